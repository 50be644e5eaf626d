//! `carillon admin seed FILE|-` and `carillon admin seed --meetings N --attendees-per-meeting M`:
//! a seed file (the admin listener's `seed` module documents it) checked whole by the server
//! first (`?dryRun=true`), then sent in parts of at most [`PART_MEETINGS`] meetings and about
//! [`PART_ATTENDEES`] attendees, [`PARALLEL`] at a time, with a progress bar. A template with `count` is split into
//! parts by `count` and `indexFrom`, so the ExternalMeetingIds are those one request would make.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;
use hyper::Method;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};

use super::client::AdminClient;
use super::output::Output;
use super::state::Api;
use super::Failure;

/// Meetings one request creates at most.
const PART_MEETINGS: u64 = 100;
/// Attendees one request creates, about (a meeting's attendees are never split).
const PART_ATTENDEES: u64 = 10_000;
/// Requests in flight at once.
const PARALLEL: usize = 4;
/// Meetings the summary lists, as the server's own answer does.
const LISTED_MEETINGS: usize = 1_000;

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// A seed file (`-`: standard input); or none, with --meetings.
    #[arg(required_unless_present = "meetings", conflicts_with = "meetings")]
    file: Option<PathBuf>,
    /// Generate the seed instead: this many meetings (ExternalMeetingIds seed-1, seed-2, …).
    #[arg(long)]
    meetings: Option<u64>,
    /// With --meetings: attendees in each (ExternalUserIds user-1, user-2, …).
    #[arg(long, requires = "meetings", default_value_t = 0)]
    attendees_per_meeting: u32,
    /// With --meetings: the account (default 123456789012).
    #[arg(long, requires = "meetings")]
    account_id: Option<String>,
    /// With --meetings: the API whose meetings they are (default meetings).
    #[arg(long, value_enum, requires = "meetings")]
    api: Option<Api>,
}

pub async fn seed(client: &AdminClient, out: &Output, args: SeedArgs) -> Result<(), Failure> {
    let document = match (&args.file, args.meetings) {
        (Some(file), _) => read(file)?,
        (None, Some(meetings)) => generated(&args, meetings),
        (None, None) => return Err(Failure::usage("a seed file, or --meetings")),
    };
    let planned = client
        .json(Method::POST, "/v1/seed?dryRun=true", Some(&document))
        .await?;
    let total = planned["meetings"].as_u64().unwrap_or(0);
    let progress = bar(total);
    let mut summary = Summary::default();
    let parts = parts(&document);
    // A few requests at once, so that the store commits their writes together; a wave is
    // waited for whole, so that a failure is told with everything the others created.
    for wave in parts.chunks(PARALLEL) {
        let sent = wave
            .iter()
            .map(|part| client.json(Method::POST, "/v1/seed", Some(part)));
        let mut failed = None;
        for answer in futures_util::future::join_all(sent).await {
            match answer {
                Ok(answer) => summary.add(&answer),
                Err(failure) => failed = failed.or(Some(failure)),
            }
        }
        if let Some(mut failure) = failed {
            progress.abandon();
            if summary.meetings > 0 {
                failure.message = format!(
                    "{} (the other requests created {} meetings and {} attendees)",
                    failure.message, summary.meetings, summary.attendees
                );
            }
            return Err(failure);
        }
        progress.set_position(summary.meetings);
        progress.set_message(format!("{} attendees", summary.attendees));
    }
    progress.finish_and_clear();
    let answer = summary.answer();
    out.done(&answer, || {
        format!(
            "seeded {} meetings with {} attendees",
            summary.meetings, summary.attendees
        )
    });
    Ok(())
}

fn read(file: &PathBuf) -> Result<Value, Failure> {
    let mut text = String::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_string(&mut text))
    };
    read.map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("{}: not JSON: {e}", file.display())))
}

/// The seed file the generator flags describe: one template, `count` copies.
fn generated(args: &SeedArgs, meetings: u64) -> Value {
    let mut template = Map::new();
    if let Some(account_id) = &args.account_id {
        template.insert("accountId".into(), json!(account_id));
    }
    if let Some(api) = args.api {
        let api = match api {
            Api::Meetings => "meetings",
            Api::Legacy => "legacy",
        };
        template.insert("api".into(), json!(api));
    }
    template.insert("count".into(), json!(meetings));
    template.insert("attendeeCount".into(), json!(args.attendees_per_meeting));
    json!({ "meetings": [template] })
}

/// Meetings and attendees of one template (its copies counted).
fn size(template: &Value) -> (u64, u64) {
    let copies = template["count"].as_u64().unwrap_or(1);
    let each = match &template["attendees"] {
        Value::Array(listed) => listed.len() as u64,
        _ => template["attendeeCount"].as_u64().unwrap_or(0),
    };
    (copies, each)
}

/// The file cut into requests: templates split by `count`, then grouped up to the limits.
fn parts(document: &Value) -> Vec<Value> {
    let mut pieces = Vec::new();
    for template in document["meetings"].as_array().into_iter().flatten() {
        let (copies, each) = size(template);
        if template.get("count").is_none() {
            pieces.push(template.clone());
            continue;
        }
        let step = (PART_ATTENDEES / each.max(1)).clamp(1, PART_MEETINGS);
        let from = template["indexFrom"].as_u64().unwrap_or(1);
        let mut done = 0;
        while done < copies {
            let mut piece = template.clone();
            let n = step.min(copies - done);
            piece["count"] = json!(n);
            piece["indexFrom"] = json!(from + done);
            pieces.push(piece);
            done += n;
        }
    }
    let mut requests = Vec::new();
    let (mut current, mut meetings, mut attendees) = (Vec::new(), 0, 0);
    for piece in pieces {
        let (copies, each) = size(&piece);
        let full = meetings + copies > PART_MEETINGS || attendees + copies * each > PART_ATTENDEES;
        if full && !current.is_empty() {
            requests.push(json!({ "meetings": std::mem::take(&mut current) }));
            (meetings, attendees) = (0, 0);
        }
        meetings += copies;
        attendees += copies * each;
        current.push(piece);
    }
    if !current.is_empty() {
        requests.push(json!({ "meetings": current }));
    }
    requests
}

/// The answers added up.
#[derive(Default)]
struct Summary {
    meetings: u64,
    attendees: u64,
    attendees_listed: Option<bool>,
    created: Vec<Value>,
}

impl Summary {
    fn add(&mut self, answer: &Value) {
        self.meetings += answer["meetings"].as_u64().unwrap_or(0);
        self.attendees += answer["attendees"].as_u64().unwrap_or(0);
        let listed = answer["attendeesListed"].as_bool().unwrap_or(false);
        self.attendees_listed = Some(self.attendees_listed.unwrap_or(true) && listed);
        for meeting in answer["created"].as_array().into_iter().flatten() {
            if self.created.len() < LISTED_MEETINGS {
                self.created.push(meeting.clone());
            }
        }
    }

    fn answer(&self) -> Value {
        json!({
            "meetings": self.meetings,
            "attendees": self.attendees,
            "attendeesListed": self.attendees_listed.unwrap_or(false),
            "created": self.created,
        })
    }
}

fn bar(meetings: u64) -> ProgressBar {
    let bar = ProgressBar::new(meetings);
    let template = "{bar:40} {pos}/{len} meetings, {msg} ({per_sec}, {eta} left)";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_template_is_split_and_small_ones_grouped() {
        let document = json!({"meetings": [
            {"externalMeetingId": "a"},
            {"externalMeetingId": "b", "attendees": [{"externalUserId": "u1"}]},
            {"externalMeetingId": "load", "count": 100, "indexFrom": 5, "attendeeCount": 250},
        ]});
        let requests = parts(&document);
        // 40 meetings of 250 make a part; the two small ones ride with the first.
        let counts: Vec<Vec<(Value, Value)>> = requests
            .iter()
            .map(|r| {
                r["meetings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| (t["count"].clone(), t["indexFrom"].clone()))
                    .collect()
            })
            .collect();
        assert_eq!(requests.len(), 4, "{requests:?}");
        assert_eq!(counts[0][0], (Value::Null, Value::Null));
        assert_eq!(counts[0].len(), 2);
        assert_eq!(counts[1], [(json!(40), json!(5))]);
        assert_eq!(counts[2], [(json!(40), json!(45))]);
        assert_eq!(counts[3], [(json!(20), json!(85))]);
    }

    #[test]
    fn meetings_without_attendees_go_a_hundred_at_a_time() {
        let requests = parts(&json!({"meetings": [{"count": 250}]}));
        let counts: Vec<_> = requests
            .iter()
            .map(|r| r["meetings"][0]["count"].as_u64().unwrap())
            .collect();
        assert_eq!(counts, [100, 100, 50]);
    }
}
