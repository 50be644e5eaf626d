//! What the admin commands print: the admin API's JSON with `--json`, otherwise lines and
//! tables for people.

use comfy_table::presets::NOTHING;
use comfy_table::{ContentArrangement, Table};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    /// An answer: as JSON, or as the line `text` makes of it.
    pub fn done(&self, answer: &Value, text: impl FnOnce() -> String) {
        if self.json {
            println!("{}", pretty(answer));
        } else {
            println!("{}", text());
        }
    }

    /// A list: as the answer's JSON, or as a table of `headers` and `rows` (a note when there
    /// are none).
    pub fn list(&self, answer: &Value, headers: &[&str], rows: Vec<Vec<String>>, empty: &str) {
        if self.json {
            println!("{}", pretty(answer));
        } else if rows.is_empty() {
            println!("{empty}");
        } else {
            println!("{}", table(headers, rows));
        }
    }
}

/// Columns aligned, no borders: what `ls -l` and `kubectl get` users read.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table
        .load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_uppercase()));
    for row in rows {
        table.add_row(row);
    }
    // The preset pads every cell with a space on each side: a row starts flush left.
    table
        .lines()
        .map(|line| {
            line.trim_end()
                .strip_prefix(' ')
                .unwrap_or(&line)
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// A member as text: strings bare, absent as `-`.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// An epoch-milliseconds member as a UTC time, `-` when absent.
pub fn when(value: &Value) -> String {
    value
        .as_i64()
        .map_or_else(|| "-".into(), carillon_core::events::time::format_epoch_ms)
}

/// Everything but unreserved characters escaped, for a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn path_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A query string of the parameters that are set.
pub fn query(params: &[(&str, Option<String>)]) -> String {
    let pairs: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| {
            value
                .as_ref()
                .map(|v| format!("{name}={}", utf8_percent_encode(v, SEGMENT)))
        })
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns_without_borders() {
        let rows = vec![
            vec!["a".to_owned(), "1".to_owned()],
            vec!["longer".to_owned(), "22".to_owned()],
        ];
        let printed = table(&["name", "n"], rows);
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(lines.len(), 3, "{printed}");
        assert!(lines[0].starts_with("NAME"), "{printed}");
        // The second column's header and values start at the same place.
        assert_eq!(lines[2].find("22"), lines[0].rfind('N'), "{printed}");
    }

    #[test]
    fn queries_escape_values_and_skip_absent_ones() {
        let q = query(&[
            ("name", Some("chime:AttendeeJoined".into())),
            ("after", None),
            ("x", Some("a b&c".into())),
        ]);
        assert_eq!(q, "?name=chime%3AAttendeeJoined&x=a%20b%26c");
        assert_eq!(query(&[("after", None)]), "");
        assert_eq!(path_segment("a#content"), "a%23content");
    }
}
