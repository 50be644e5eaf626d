//! `carillon admin quotas` as a table: the default, then each account with limits of its own,
//! where they come from, and the operations whose limits differ.

use carillon_api::quota::{AWS_RATE_LIMITED, DEFAULT_BURST, DEFAULT_RATE};
use serde_json::{json, Value};

use super::super::output::text;

/// `10/s burst 20`.
fn rate(rate: &Value) -> String {
    format!("{}/s burst {}", text(&rate["rate"]), text(&rate["burst"]))
}

/// Whole numbers without their `.0`: `1/s`, not `1.0/s`.
fn number(value: &Value) -> Value {
    match value.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => json!(f as i64),
        _ => value.clone(),
    }
}

fn normalized(entry: &Value) -> Value {
    let mut entry = entry.clone();
    let fix = |r: &mut Value| r["rate"] = number(&r["rate"]);
    if entry["all_operations"].is_object() {
        fix(&mut entry["all_operations"]);
    }
    if let Some(ops) = entry["operations"].as_object_mut() {
        ops.values_mut().for_each(fix);
    }
    entry
}

/// The operations whose limits differ from `base` (`None`: from AWS's defaults), as
/// `Name 1/s burst 1`.
fn differing(entry: &Value, base: Option<&Value>) -> String {
    let Some(ops) = entry["operations"].as_object() else {
        return "-".into();
    };
    let aws = json!({"rate": DEFAULT_RATE as i64, "burst": DEFAULT_BURST});
    let shown: Vec<String> = ops
        .iter()
        .filter(|(name, limits)| match base {
            Some(base) => base["operations"].get(name.as_str()) != Some(*limits),
            None => !AWS_RATE_LIMITED.contains(&name.as_str()) || **limits != aws,
        })
        .map(|(name, limits)| format!("{name} {}", rate(limits)))
        .collect();
    if shown.is_empty() {
        "-".into()
    } else {
        shown.join(", ")
    }
}

pub(super) fn summary(entry: &Value) -> String {
    let entry = normalized(entry);
    format!(
        "all operations {}, {} meetings, {} legacy meetings",
        rate(&entry["all_operations"]),
        text(&entry["max_active_meetings"]),
        text(&entry["legacy_max_active_meetings"])
    )
}

fn row(name: &str, from: &str, entry: &Value, base: Option<&Value>) -> Vec<String> {
    vec![
        name.to_owned(),
        from.to_owned(),
        rate(&entry["all_operations"]),
        text(&entry["max_active_meetings"]),
        text(&entry["legacy_max_active_meetings"]),
        differing(entry, base),
    ]
}

/// The default first, then each account, with where its limits come from; the operations
/// column lists what differs from AWS's defaults (for the default) or from the default.
pub(super) fn rows(answer: &Value) -> Vec<Vec<String>> {
    let default = normalized(&answer["default"]);
    let set_at_run_time = |id: &str| {
        answer["overriddenAccounts"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|v| v == id))
    };
    let from = if answer["overriddenDefault"] == true {
        "run time"
    } else {
        "file"
    };
    let mut rows = vec![row("default", from, &default, None)];
    if let Some(accounts) = answer["accounts"].as_object() {
        for (id, entry) in accounts {
            let from = if set_at_run_time(id) {
                "run time"
            } else {
                "file"
            };
            rows.push(row(id, from, &normalized(entry), Some(&default)));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_what_differs() {
        let answer = json!({
            "default": {"all_operations": {"rate": 10.0, "burst": 20},
                        "operations": {"GetMeeting": {"rate": 10.0, "burst": 20},
                                       "GetAttendee": {"rate": 10.0, "burst": 20}},
                        "max_active_meetings": 250, "legacy_max_active_meetings": 250},
            "accounts": {"111122223333": {"all_operations": {"rate": 10.0, "burst": 20},
                        "operations": {"GetMeeting": {"rate": 1.0, "burst": 1},
                                       "GetAttendee": {"rate": 10.0, "burst": 20}},
                        "max_active_meetings": 1, "legacy_max_active_meetings": 250}},
            "overriddenAccounts": ["111122223333"], "overriddenDefault": false
        });
        let rows = rows(&answer);
        assert_eq!(
            rows[0],
            [
                "default",
                "file",
                "10/s burst 20",
                "250",
                "250",
                "GetAttendee 10/s burst 20"
            ]
        );
        assert_eq!(
            rows[1],
            [
                "111122223333",
                "run time",
                "10/s burst 20",
                "1",
                "250",
                "GetMeeting 1/s burst 1"
            ]
        );
    }
}
