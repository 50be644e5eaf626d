//! `carillon admin events` (the log, or followed live) and `carillon admin dead-letters`.

use clap::Args;
use http_body_util::BodyExt;
use hyper::Method;
use serde_json::{json, Value};

use super::client::AdminClient;
use super::output::{query, text, when, Output};
use super::Failure;

#[derive(Debug, Default, Args)]
pub struct PageArgs {
    /// Start after this position (the `next` a previous page printed).
    #[arg(long)]
    after: Option<String>,
    /// At most this many (the server's default when absent).
    #[arg(long)]
    limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this meeting's events.
    #[arg(long)]
    meeting_id: Option<String>,
    /// Only this account's events.
    #[arg(long)]
    account_id: Option<String>,
    /// Only events of this name (chime:AttendeeJoined, meetingStartSucceeded).
    #[arg(long)]
    name: Option<String>,
    /// Only meeting events (`meeting`) or the clients' own (`client`).
    #[arg(long, value_parser = ["meeting", "client"])]
    source: Option<String>,
    /// Keep printing events as they are logged (until interrupted); without --after, from now.
    #[arg(long)]
    follow: bool,
    #[command(flatten)]
    page: PageArgs,
}

pub async fn list(client: &AdminClient, out: &Output, args: EventsArgs) -> Result<(), Failure> {
    let mut params = vec![
        ("meeting_id", args.meeting_id),
        ("account_id", args.account_id),
        ("name", args.name),
        ("source", args.source),
        ("after", args.page.after),
    ];
    if args.follow {
        return follow(client, out, &query(&params)).await;
    }
    params.push(("limit", args.page.limit.map(|l| l.to_string())));
    let path = format!("/v1/events{}", query(&params));
    let answer = client.json(Method::GET, &path, None).await?;
    let events = answer["events"].as_array().cloned().unwrap_or_default();
    let rows = events.iter().map(row).collect();
    let headers = ["position", "time", "meeting", "name", "source"];
    out.list(&answer, &headers, rows, "no events");
    if !out.json() && !events.is_empty() {
        println!("next page: --after {}", text(&answer["next"]));
    }
    Ok(())
}

fn row(event: &Value) -> Vec<String> {
    vec![
        text(&event["position"]),
        when(&event["atMs"]),
        text(&event["meetingId"]),
        text(&event["name"]),
        text(&event["source"]),
    ]
}

/// Prints the live stream's events until it ends (the server stops) or the user interrupts.
async fn follow(client: &AdminClient, out: &Output, query: &str) -> Result<(), Failure> {
    let path = format!("/v1/events/stream{query}");
    let mut body = client.send(Method::GET, &path, None).await?.into_body();
    let mut pending = String::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Failure::protocol(format!("the stream broke off: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        pending.push_str(&String::from_utf8_lossy(&data));
        while let Some(end) = pending.find("\n\n") {
            let message: String = pending.drain(..end + 2).collect();
            if let Some(event) = sse_data(&message) {
                if out.json() {
                    println!("{event}");
                } else {
                    println!("{}", row(&event).join("  "));
                }
            }
        }
    }
    Ok(())
}

/// The JSON `data` of one server-sent event; `None` for comments (keep-alives) and others.
fn sse_data(message: &str) -> Option<Value> {
    let data: Vec<&str> = message
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d))
        .collect();
    if data.is_empty() {
        return None;
    }
    serde_json::from_str(&data.join("\n")).ok()
}

pub async fn dead_letters(
    client: &AdminClient,
    out: &Output,
    page: PageArgs,
) -> Result<(), Failure> {
    let params = [
        ("after", page.after),
        ("limit", page.limit.map(|l| l.to_string())),
    ];
    let path = format!("/v1/dead-letters{}", query(&params));
    let answer = client.json(Method::GET, &path, None).await?;
    let letters = answer["deadLetters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rows = letters
        .iter()
        .map(|d| {
            vec![
                format!("{}:{}", text(&d["target"]), text(&d["seq"])),
                text(&d["event"]["name"]),
                text(&d["event"]["meetingId"]),
                text(&d["attempts"]),
                when(&d["deadAtMs"]),
                text(&d["lastError"]),
            ]
        })
        .collect();
    let headers = [
        "delivery",
        "event",
        "meeting",
        "attempts",
        "dead since",
        "last error",
    ];
    out.list(&answer, &headers, rows, "no dead letters");
    if !out.json() && answer["next"].is_string() {
        println!("next page: --after {}", text(&answer["next"]));
    }
    Ok(())
}

pub async fn replay(
    client: &AdminClient,
    out: &Output,
    deliveries: &[String],
    all: bool,
) -> Result<(), Failure> {
    let body = if all {
        json!({ "all": true })
    } else {
        let keys = deliveries
            .iter()
            .map(|d| delivery_key(d))
            .collect::<Result<Vec<_>, _>>()?;
        json!({ "deliveries": keys })
    };
    let answer = client
        .json(Method::POST, "/v1/dead-letters/replay", Some(&body))
        .await?;
    out.done(&answer, || {
        format!("{} dead letters due again", text(&answer["replayed"]))
    });
    Ok(())
}

/// `webhook:orders:42` as `{"target":"webhook:orders","seq":42}` (a target has colons of its
/// own: the sequence number is after the last one).
fn delivery_key(delivery: &str) -> Result<Value, Failure> {
    delivery
        .rsplit_once(':')
        .and_then(|(target, seq)| Some((target, seq.parse::<i64>().ok()?)))
        .filter(|(target, _)| !target.is_empty())
        .map(|(target, seq)| json!({ "target": target, "seq": seq }))
        .ok_or_else(|| {
            Failure::usage(format!(
                "{delivery:?}: expected TARGET:SEQ, as the DELIVERY column prints it"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_named_as_listed() {
        assert_eq!(
            delivery_key("webhook:orders:42").unwrap(),
            json!({"target": "webhook:orders", "seq": 42})
        );
        assert_eq!(
            delivery_key("sqs:arn:aws:sqs:us-east-1:1:q:7").unwrap()["target"],
            "sqs:arn:aws:sqs:us-east-1:1:q"
        );
        for bad in ["42", ":42", "webhook:x", "webhook:x:"] {
            assert!(delivery_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_sent_events_give_their_data() {
        let event = sse_data("id: 0-1\nevent: event\ndata: {\"a\":1}\n\n").unwrap();
        assert_eq!(event, json!({"a": 1}));
        assert_eq!(sse_data(": keep-alive\n\n"), None);
    }
}
