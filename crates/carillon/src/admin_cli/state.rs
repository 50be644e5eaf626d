//! `carillon admin meetings|meeting|attendees|export|import|reset`: the store's state as the
//! admin listener shows it (see its `meetings.rs` and `state/` for the JSON and the state file).

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use bytes::Bytes;
use clap::{Args, ValueEnum};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::Method;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use super::client::{read_json, AdminClient};
use super::output::{path_segment, query, text, when, Output};
use super::Failure;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Api {
    Meetings,
    Legacy,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MeetingState {
    Active,
    Ended,
    All,
}

#[derive(Debug, Args)]
pub struct MeetingsArgs {
    /// Only this account's meetings.
    #[arg(long)]
    account_id: Option<String>,
    /// Only meetings of this API.
    #[arg(long, value_enum)]
    api: Option<Api>,
    /// Only meetings with this ExternalMeetingId.
    #[arg(long)]
    external_meeting_id: Option<String>,
    /// Active (the default), ended, or all meetings.
    #[arg(long, value_enum)]
    state: Option<MeetingState>,
    #[command(flatten)]
    page: Page,
}

#[derive(Debug, Default, Args)]
pub struct Page {
    /// Start where a previous page said the next one starts.
    #[arg(long)]
    next: Option<String>,
    /// At most this many.
    #[arg(long)]
    limit: Option<u32>,
}

pub async fn meetings(
    client: &AdminClient,
    out: &Output,
    args: MeetingsArgs,
) -> Result<(), Failure> {
    let params = [
        ("account_id", args.account_id),
        ("api", args.api.map(|a| api_name(a).to_owned())),
        ("external_meeting_id", args.external_meeting_id),
        ("state", args.state.map(|s| state_name(s).to_owned())),
        ("limit", args.page.limit.map(|l| l.to_string())),
        ("next", args.page.next),
    ];
    let path = format!("/v1/meetings{}", query(&params));
    let answer = client.json(Method::GET, &path, None).await?;
    let meetings = answer["meetings"].as_array().cloned().unwrap_or_default();
    let rows = meetings
        .iter()
        .map(|m| {
            vec![
                text(&m["meetingId"]),
                text(&m["api"]),
                text(&m["accountId"]),
                text(&m["externalMeetingId"]),
                text(&m["attendeeCount"]),
                text(&m["state"]),
                when(&m["createdAtMs"]),
            ]
        })
        .collect();
    let headers = [
        "meeting",
        "api",
        "account",
        "external id",
        "attendees",
        "state",
        "created",
    ];
    out.list(&answer, &headers, rows, "no meetings");
    next_page(out, &answer);
    Ok(())
}

pub async fn meeting(client: &AdminClient, out: &Output, id: &str) -> Result<(), Failure> {
    let path = format!("/v1/meetings/{}", path_segment(id));
    let m = client.json(Method::GET, &path, None).await?;
    out.done(&m, || {
        let presence = &m["presence"];
        let list = |v: &Value| {
            let items: Vec<String> = v.as_array().into_iter().flatten().map(text).collect();
            if items.is_empty() {
                "none".to_owned()
            } else {
                items.join(", ")
            }
        };
        let ended = match m["endedAtMs"].as_i64() {
            Some(_) => format!("{} ({})", when(&m["endedAtMs"]), text(&m["endReason"])),
            None => "-".into(),
        };
        let lines = [
            ("meeting", text(&m["meetingId"])),
            ("api", text(&m["api"])),
            ("account", text(&m["accountId"])),
            ("external id", text(&m["externalMeetingId"])),
            ("media region", text(&m["mediaRegion"])),
            ("state", text(&m["state"])),
            ("created", when(&m["createdAtMs"])),
            ("ended", ended),
            ("attendees", text(&m["attendeeCount"])),
            ("events", text(&m["eventCount"])),
            ("sessions here", list(&presence["sessions"])),
            ("marked present", list(&presence["marked"])),
        ];
        let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let text: Vec<String> = lines
            .iter()
            .map(|(k, v)| format!("{k:width$}  {v}"))
            .collect();
        text.join("\n")
    });
    Ok(())
}

pub async fn attendees(
    client: &AdminClient,
    out: &Output,
    meeting_id: &str,
    page: Page,
) -> Result<(), Failure> {
    let params = [
        ("limit", page.limit.map(|l| l.to_string())),
        ("next", page.next),
    ];
    let path = format!(
        "/v1/meetings/{}/attendees{}",
        path_segment(meeting_id),
        query(&params)
    );
    let answer = client.json(Method::GET, &path, None).await?;
    let attendees = answer["attendees"].as_array().cloned().unwrap_or_default();
    let rows = attendees
        .iter()
        .map(|a| {
            let p = &a["presence"];
            let sessions = p["sessions"].as_u64().unwrap_or(0);
            let mut presence = Vec::new();
            if sessions > 0 {
                presence.push(format!(
                    "{sessions} session{}",
                    if sessions > 1 { "s" } else { "" }
                ));
            }
            if p["marked"] == true {
                presence.push("marked".into());
            }
            if p["contentShare"] == true {
                presence.push("sharing content".into());
            }
            let capabilities = &a["capabilities"];
            vec![
                text(&a["attendeeId"]),
                text(&a["externalUserId"]),
                if presence.is_empty() {
                    "absent".into()
                } else {
                    presence.join(", ")
                },
                if capabilities.is_object() {
                    format!(
                        "{}/{}/{}",
                        text(&capabilities["Audio"]),
                        text(&capabilities["Video"]),
                        text(&capabilities["Content"])
                    )
                } else {
                    "-".into()
                },
            ]
        })
        .collect();
    let headers = [
        "attendee",
        "external user id",
        "presence",
        "audio/video/content",
    ];
    out.list(&answer, &headers, rows, "no attendees");
    next_page(out, &answer);
    Ok(())
}

fn next_page(out: &Output, answer: &Value) {
    if !out.json() && answer["next"].is_string() {
        println!("next page: --next {}", text(&answer["next"]));
    }
}

/// Writes the state file to `file` (standard output for `-`), counting what it holds.
pub async fn export(client: &AdminClient, file: &PathBuf) -> Result<(), Failure> {
    let to_stdout = file.as_os_str() == "-";
    let mut sink: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        let created = std::fs::File::create(file)
            .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
        Box::new(std::io::BufWriter::new(created))
    };
    let progress = spinner(to_stdout);
    let mut body = client
        .send(Method::GET, "/v1/export", None)
        .await?
        .into_body();
    let mut lines = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Failure::protocol(format!("the export broke off: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        lines += data.iter().filter(|b| **b == b'\n').count() as u64;
        progress.set_message(format!("{lines} lines"));
        sink.write_all(&data)
            .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    }
    sink.flush()
        .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    progress.finish_and_clear();
    if !to_stdout {
        eprintln!("exported {lines} lines to {}", file.display());
    }
    Ok(())
}

/// Sends `file` (standard input for `-`) to the import, as it is read.
pub async fn import(
    client: &AdminClient,
    out: &Output,
    file: &PathBuf,
    replace: bool,
) -> Result<(), Failure> {
    let (reader, size): (Box<dyn Read + Send + Sync>, Option<u64>) = if file.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let opened = std::fs::File::open(file)
            .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
        let size = opened.metadata().ok().map(|m| m.len());
        (Box::new(opened), size)
    };
    let progress = match size {
        Some(size) => bar(size),
        None => spinner(false),
    };
    let body = StreamBody::new(chunks(reader, progress.clone())).boxed();
    let path = if replace {
        "/v1/import?replace=true"
    } else {
        "/v1/import"
    };
    let response = client
        .send_body(Method::POST, path, "application/x-ndjson", body)
        .await?;
    let answer = read_json(response).await?;
    progress.finish_and_clear();
    out.done(&answer, || {
        format!(
            "imported {} meetings and {} attendees",
            text(&answer["meetings"]),
            text(&answer["attendees"])
        )
    });
    Ok(())
}

/// The file as body frames of up to 64 KiB, read as the connection takes them (a blocking read
/// of a local file between two writes: the command runs nothing else meanwhile).
fn chunks(
    mut reader: Box<dyn Read + Send + Sync>,
    progress: ProgressBar,
) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Send {
    futures_util::stream::unfold(Some(()), move |more| {
        let read = more.map(|()| {
            let mut buffer = vec![0; 64 * 1024];
            reader.read(&mut buffer).map(|n| {
                buffer.truncate(n);
                buffer
            })
        });
        let progress = progress.clone();
        async move {
            match read? {
                Ok(buffer) if buffer.is_empty() => None,
                Ok(buffer) => {
                    progress.inc(buffer.len() as u64);
                    Some((Ok(Frame::data(Bytes::from(buffer))), Some(())))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    })
}

/// A byte count against a known size, on standard error when it is a terminal.
fn bar(size: u64) -> ProgressBar {
    let bar = ProgressBar::new(size);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)")
    {
        bar.set_style(style);
    }
    bar
}

/// A spinner with a message, on standard error when it is a terminal (never while the data
/// itself goes to standard output of a terminal).
fn spinner(data_on_stdout: bool) -> ProgressBar {
    if data_on_stdout && std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::new_spinner();
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
}

/// Empties the store, after a confirmation when asked at a terminal.
pub async fn reset(client: &AdminClient, out: &Output, yes: bool) -> Result<(), Failure> {
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::usage(
                "reset deletes every meeting and attendee: pass --yes to confirm",
            ));
        }
        eprint!(
            "Delete every meeting, attendee and event of the server at {}? [y/N] ",
            client.base()
        );
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| Failure::usage(e.to_string()))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(Failure::usage("not reset"));
        }
    }
    let answer = client.json(Method::POST, "/v1/reset", None).await?;
    out.done(&answer, || "the store is empty".into());
    Ok(())
}

fn api_name(api: Api) -> &'static str {
    match api {
        Api::Meetings => "meetings",
        Api::Legacy => "legacy",
    }
}

fn state_name(state: MeetingState) -> &'static str {
    match state {
        MeetingState::Active => "active",
        MeetingState::Ended => "ended",
        MeetingState::All => "all",
    }
}
