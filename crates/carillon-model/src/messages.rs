//! Client-facing texts for validation failures, in the style of AWS (Coral) validation errors.
//! Members are named by their model path; values are never echoed.

use std::fmt;

/// How many violations a summary lists before it only counts the rest.
const LISTED: usize = 10;

/// One failed constraint: `Value at '<path>' failed to satisfy constraint: <constraint>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Model path of the member, e.g. `Attendees[0].ExternalUserId` or `MaxResults`.
    pub path: String,
    /// The constraint text, e.g. `Member must not be null`.
    pub constraint: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Value at '{}' failed to satisfy constraint: {}",
            self.path, self.constraint
        )
    }
}

/// `1 validation error detected: <v>` or `N validation errors detected: <v1>; <v2>; ...`,
/// listing at most ten and counting the rest (`; and N more`).
pub fn summarize(violations: &[Violation]) -> String {
    let count = violations.len();
    let noun = if count == 1 { "error" } else { "errors" };
    let listed: Vec<String> = violations
        .iter()
        .take(LISTED)
        .map(|v| v.to_string())
        .collect();
    let mut text = format!("{count} validation {noun} detected: {}", listed.join("; "));
    if count > LISTED {
        text.push_str(&format!("; and {} more", count - LISTED));
    }
    text
}

pub(crate) const NOT_NULL: &str = "Member must not be null";
pub(crate) const NOT_STRING: &str = "Member must be a string";
pub(crate) const NOT_INTEGER: &str = "Member must be an integer";
pub(crate) const NOT_NUMBER: &str = "Member must be a number";
pub(crate) const NOT_BOOLEAN: &str = "Member must be a boolean";
pub(crate) const NOT_OBJECT: &str = "Member must be an object";
pub(crate) const NOT_LIST: &str = "Member must be a list";
pub(crate) const NOT_TIMESTAMP: &str = "Member must be a timestamp";

pub(crate) fn min_length(min: u64) -> String {
    format!("Member must have length greater than or equal to {min}")
}

pub(crate) fn max_length(max: u64) -> String {
    format!("Member must have length less than or equal to {max}")
}

pub(crate) fn min_value(min: impl fmt::Display) -> String {
    format!("Member must have value greater than or equal to {min}")
}

pub(crate) fn max_value(max: impl fmt::Display) -> String {
    format!("Member must have value less than or equal to {max}")
}

pub(crate) fn pattern(source: &str) -> String {
    format!("Member must satisfy regular expression pattern: {source}")
}

pub(crate) fn enumeration(values: &[String]) -> String {
    format!(
        "Member must satisfy enum value set: [{}]",
        values.join(", ")
    )
}

pub(crate) fn map_keys(constraints: &[String]) -> String {
    format!(
        "Map keys must satisfy constraint: [{}]",
        constraints.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(path: &str) -> Violation {
        Violation {
            path: path.into(),
            constraint: NOT_NULL.into(),
        }
    }

    #[test]
    fn single_and_plural() {
        assert_eq!(
            summarize(&[v("A")]),
            "1 validation error detected: Value at 'A' failed to satisfy constraint: Member must not be null"
        );
        let two = summarize(&[v("A"), v("B")]);
        assert!(two.starts_with("2 validation errors detected: Value at 'A'"));
        assert!(two.contains("; Value at 'B'"));
    }

    #[test]
    fn long_lists_are_cut() {
        let many: Vec<Violation> = (0..13).map(|i| v(&format!("L[{i}]"))).collect();
        let text = summarize(&many);
        assert!(text.starts_with("13 validation errors detected: "));
        assert!(text.contains("L[9]"));
        assert!(!text.contains("L[10]"));
        assert!(text.ends_with("; and 3 more"));
    }
}
