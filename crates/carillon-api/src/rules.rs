//! Rules the model states only in member documentation, registered on the model's validator.

use carillon_model::ServiceModel;

/// Checks one external id: the documented characters, and no `aws:` prefix in any case (the
/// rule lives in core, where the admin listener's seeding applies it too).
pub fn check_external_id(value: &str) -> Option<String> {
    carillon_core::ids::check_external_id(value)
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
