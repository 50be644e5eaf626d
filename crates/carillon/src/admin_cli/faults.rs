//! `carillon admin faults …`: this node's fault rules (see the admin listener's `faults.rs` for
//! their JSON), and signaling sessions cut on demand.

use clap::{Args, Subcommand, ValueEnum};
use hyper::Method;
use serde_json::{json, Map, Value};

use super::client::AdminClient;
use super::output::{path_segment, text, Output};
use super::Failure;

#[derive(Debug, Subcommand)]
pub enum FaultsAction {
    /// Lists the rules in force, with their hits (the default).
    List,
    /// Adds a rule: for example `add --operation CreateAttendee --error ThrottlingException
    /// --count 2`.
    Add(AddArgs),
    /// Removes one rule.
    Delete { id: String },
    /// Removes every rule.
    Clear,
    /// Cuts the signaling sessions of a meeting (or of one attendee) now, as a network drop.
    DropSessions {
        meeting_id: String,
        attendee_id: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Api {
    Meetings,
    Legacy,
    Signaling,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Only requests of this API (signaling for --refuse-join and --delay-frames-ms).
    #[arg(long, value_enum)]
    api: Option<Api>,
    /// Only this operation (CreateAttendee, GetMeeting, …).
    #[arg(long)]
    operation: Option<String>,
    /// Only this account's requests.
    #[arg(long)]
    account_id: Option<String>,
    /// Only requests for this meeting.
    #[arg(long)]
    meeting_id: Option<String>,
    /// Only this attendee's signaling sessions.
    #[arg(long)]
    attendee_id: Option<String>,
    /// Answer with this modeled error (ThrottlingException, NotFoundException, …).
    #[arg(long, group = "action")]
    error: Option<String>,
    /// Add this many milliseconds before answering.
    #[arg(long, group = "action")]
    latency_ms: Option<u64>,
    /// Close the connection without an answer.
    #[arg(long, group = "action")]
    drop: bool,
    /// Refuse signaling joins.
    #[arg(long, group = "action")]
    refuse_join: bool,
    /// Hold each signaling frame this many milliseconds.
    #[arg(long, group = "action")]
    delay_frames_ms: Option<u64>,
    /// Fire with this probability (0 < p ≤ 1).
    #[arg(long)]
    probability: Option<f64>,
    /// Fire this many times, then disappear.
    #[arg(long)]
    count: Option<u64>,
    /// Disappear after this many seconds.
    #[arg(long)]
    ttl_seconds: Option<u64>,
}

impl AddArgs {
    /// The rule spec the admin API takes.
    fn spec(self) -> Result<Value, Failure> {
        let (action, extra) = if let Some(error) = self.error {
            ("error", Some(("error", json!(error))))
        } else if let Some(ms) = self.latency_ms {
            ("latency", Some(("latencyMs", json!(ms))))
        } else if self.drop {
            ("drop", None)
        } else if self.refuse_join {
            ("refuseJoin", None)
        } else if let Some(ms) = self.delay_frames_ms {
            ("delayFrames", Some(("latencyMs", json!(ms))))
        } else {
            return Err(Failure::usage(
                "say what the rule does: --error, --latency-ms, --drop, --refuse-join or \
                 --delay-frames-ms",
            ));
        };
        let mut spec = Map::new();
        let api = self.api.map(|api| match api {
            Api::Meetings => "meetings",
            Api::Legacy => "legacy",
            Api::Signaling => "signaling",
        });
        let optional = [
            ("api", api.map(Value::from)),
            ("operation", self.operation.map(Value::from)),
            ("accountId", self.account_id.map(Value::from)),
            ("meetingId", self.meeting_id.map(Value::from)),
            ("attendeeId", self.attendee_id.map(Value::from)),
        ];
        for (name, value) in optional.into_iter() {
            if let Some(value) = value {
                spec.insert(name.into(), value);
            }
        }
        spec.insert("action".into(), json!(action));
        if let Some((name, value)) = extra {
            spec.insert(name.into(), value);
        }
        let limits = [
            ("probability", self.probability.map(Value::from)),
            ("count", self.count.map(Value::from)),
            ("ttlSeconds", self.ttl_seconds.map(Value::from)),
        ];
        for (name, value) in limits {
            if let Some(value) = value {
                spec.insert(name.into(), value);
            }
        }
        Ok(Value::Object(spec))
    }
}

pub async fn run(
    client: &AdminClient,
    out: &Output,
    action: Option<FaultsAction>,
) -> Result<(), Failure> {
    match action.unwrap_or(FaultsAction::List) {
        FaultsAction::List => {
            let answer = client.json(Method::GET, "/v1/faults", None).await?;
            let rules = answer["rules"].as_array().cloned().unwrap_or_default();
            let rows = rules.iter().map(rule_row).collect();
            let headers = ["id", "matches", "does", "probability", "left", "hits"];
            out.list(&answer, &headers, rows, "no fault rules");
        }
        FaultsAction::Add(args) => {
            let spec = args.spec()?;
            let rule = client.json(Method::POST, "/v1/faults", Some(&spec)).await?;
            out.done(&rule, || format!("added rule {}", text(&rule["id"])));
        }
        FaultsAction::Delete { id } => {
            let path = format!("/v1/faults/{}", path_segment(&id));
            client.send(Method::DELETE, &path, None).await?;
            out.done(&json!({ "removed": 1 }), || format!("removed rule {id}"));
        }
        FaultsAction::Clear => {
            let answer = client.json(Method::DELETE, "/v1/faults", None).await?;
            out.done(&answer, || {
                format!("removed {} rules", text(&answer["removed"]))
            });
        }
        FaultsAction::DropSessions {
            meeting_id,
            attendee_id,
        } => {
            let mut body = json!({ "meetingId": meeting_id });
            if let Some(attendee_id) = attendee_id {
                body["attendeeId"] = json!(attendee_id);
            }
            let answer = client
                .json(Method::POST, "/v1/faults/drop-sessions", Some(&body))
                .await?;
            out.done(&answer, || {
                format!("dropped {} sessions", text(&answer["dropped"]))
            });
        }
    }
    Ok(())
}

fn rule_row(rule: &Value) -> Vec<String> {
    let matches: Vec<String> = ["api", "operation", "accountId", "meetingId", "attendeeId"]
        .iter()
        .filter(|name| rule[**name].is_string())
        .map(|name| text(&rule[*name]))
        .collect();
    let does = match (rule["action"].as_str(), rule["latencyMs"].as_u64()) {
        (Some("error"), _) => text(&rule["error"]),
        (Some(action), Some(ms)) => format!("{action} {ms} ms"),
        (action, _) => action.unwrap_or("-").to_owned(),
    };
    vec![
        text(&rule["id"]),
        if matches.is_empty() {
            "everything".into()
        } else {
            matches.join(" ")
        },
        does,
        text(&rule["probability"]),
        if rule["remaining"].is_null() {
            "unlimited".into()
        } else {
            text(&rule["remaining"])
        },
        text(&rule["hits"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        add: AddArgs,
    }

    fn spec(args: &[&str]) -> Result<Value, Failure> {
        let mut all = vec!["add"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("parses").add.spec()
    }

    #[test]
    fn flags_make_the_rule_spec() {
        let rule = spec(&[
            "--operation",
            "CreateAttendee",
            "--error",
            "ThrottlingException",
            "--count",
            "2",
        ])
        .unwrap();
        let expected = json!({"operation": "CreateAttendee", "action": "error",
            "error": "ThrottlingException", "count": 2});
        assert_eq!(rule, expected);
        let frames = spec(&["--api", "signaling", "--delay-frames-ms", "200"]).unwrap();
        assert_eq!(frames["action"], "delayFrames");
        assert_eq!(frames["latencyMs"], 200);
        assert!(spec(&["--operation", "GetMeeting"]).is_err(), "no action");
        assert!(
            Cli::try_parse_from(["add", "--drop", "--error", "X"]).is_err(),
            "two actions"
        );
    }

    #[test]
    fn rules_read_as_rows() {
        let rule = json!({"id": "f1", "operation": "CreateAttendee", "action": "latency",
            "latencyMs": 200, "probability": 0.5, "remaining": null, "hits": 3});
        assert_eq!(
            rule_row(&rule),
            [
                "f1",
                "CreateAttendee",
                "latency 200 ms",
                "0.5",
                "unlimited",
                "3"
            ]
        );
    }
}
