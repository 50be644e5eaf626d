//! Rules the model states only in member documentation, registered on the model's validator.

use carillon_model::ServiceModel;

/// The character set documented for `ExternalUserId` and `ExternalMeetingId`:
/// `[-_&@+=,(){}\[\]\/«».:|'"#a-zA-Z0-9À-ÿ\s]*`.
fn allowed_external_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "-_&@+=,(){}[]/«».:|'\"#".contains(c)
        || ('\u{C0}'..='\u{FF}').contains(&c)
        || matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

/// Checks one external id: the documented characters, and no `aws:` prefix in any case.
pub fn check_external_id(value: &str) -> Option<String> {
    if !value.chars().all(allowed_external_id_char) {
        return Some(
            "Member must satisfy regular expression pattern: [-_&@+=,(){}\\[\\]\\/«».:|'\"#a-zA-Z0-9À-ÿ\\s]*"
                .into(),
        );
    }
    if value
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
    {
        return Some("Member must not begin with the reserved prefix aws:".into());
    }
    None
}

pub fn add_documented_rules(model: &mut ServiceModel) {
    for shape in ["ExternalUserId", "ExternalMeetingId"] {
        model.add_string_rule(shape, check_external_id);
    }
}

#[cfg(test)]
mod tests {
    use super::check_external_id;

    #[test]
    fn external_ids() {
        for ok in [
            "ab",
            "737c4f63#sugiy",
            "Zoë Müller",
            "a b\tc",
            "x@y.z",
            "[a]{b}(c)",
            "«q»",
            "awsx",
            "aw:s",
        ] {
            assert_eq!(check_external_id(ok), None, "{ok}");
        }
        for bad in [
            "aws:x",
            "AWS:x",
            "Aws:",
            "a*b",
            "a\u{100}",
            "emoji😀",
            "a;b",
            "a<b",
        ] {
            assert!(check_external_id(bad).is_some(), "{bad}");
        }
    }
}
