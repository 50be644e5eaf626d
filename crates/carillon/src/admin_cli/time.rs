//! `carillon admin time [show|freeze|resume|advance DURATION]`.

use hyper::Method;
use serde_json::{json, Value};

use super::client::AdminClient;
use super::output::Output;
use super::{Failure, TimeAction};

pub async fn run(
    client: &AdminClient,
    out: &Output,
    action: Option<TimeAction>,
) -> Result<(), Failure> {
    let answer = match action.unwrap_or(TimeAction::Show) {
        TimeAction::Show => client.json(Method::GET, "/v1/time", None).await?,
        TimeAction::Freeze => client.json(Method::POST, "/v1/time/freeze", None).await?,
        TimeAction::Resume => client.json(Method::POST, "/v1/time/resume", None).await?,
        TimeAction::Advance { by } => {
            let by_ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
            let body = json!({ "byMs": by_ms });
            client
                .json(Method::POST, "/v1/time/advance", Some(&body))
                .await?
        }
    };
    out.done(&answer, || describe(&answer));
    Ok(())
}

/// `2026-12-07T10:00:00Z, frozen, 5m 1s ahead of the wall clock`.
fn describe(state: &Value) -> String {
    let mut line = super::output::when(&state["nowMs"]);
    if state["controlled"] != true {
        line.push_str(", the wall clock (time control is off)");
        return line;
    }
    line.push_str(if state["frozen"] == true {
        ", frozen"
    } else {
        ", running"
    });
    let offset_ms = state["offsetMs"].as_i64().unwrap_or(0);
    if offset_ms != 0 {
        let side = if offset_ms > 0 { "ahead of" } else { "behind" };
        line.push_str(&format!(
            ", {} {side} the wall clock",
            span(offset_ms.unsigned_abs())
        ));
    }
    if state["swept"] == false {
        line.push_str("; the meetings it made expire end at the next sweep (the store is slow)");
    }
    line
}

/// `1d 2h 3m 4s` (milliseconds when under a second).
fn span(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    let parts = [
        (s / 86_400, "d"),
        (s / 3600 % 24, "h"),
        (s / 60 % 60, "m"),
        (s % 60, "s"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_as_a_sentence() {
        let frozen = json!({"controlled": true, "nowMs": 0, "offsetMs": 301_000, "frozen": true});
        assert_eq!(
            describe(&frozen),
            "1970-01-01T00:00:00Z, frozen, 5m 1s ahead of the wall clock"
        );
        let off = json!({"controlled": false, "nowMs": 86_400_000, "offsetMs": 0, "frozen": false});
        assert_eq!(
            describe(&off),
            "1970-01-02T00:00:00Z, the wall clock (time control is off)"
        );
        assert_eq!(span(90_061_000), "1d 1h 1m 1s");
        assert_eq!(span(20), "20ms");
    }
}
