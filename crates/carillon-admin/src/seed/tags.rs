//! The `Tag` rules of each API's model: at most 50 tags, keys of 1 to 128 characters and values
//! of up to 256; the current API also restricts their characters (keys `[a-zA-Z+-=._:/]`, values
//! `[\s\w+-=\.:/@]`, `+-=` being a range in both) and allows an empty value, where the legacy
//! API has no pattern and wants a value of at least one character.

use carillon_core::{Namespace, Tag, MAX_TAGS_PER_RESOURCE};

use super::file::{check_length, TagSpec};

pub(crate) fn check(tags: Vec<TagSpec>, namespace: Namespace) -> Result<Vec<Tag>, String> {
    if tags.len() > MAX_TAGS_PER_RESOURCE {
        return Err(format!("tags: at most {MAX_TAGS_PER_RESOURCE}"));
    }
    let patterned = namespace == Namespace::Meetings;
    let range = |c: char| ('+'..='=').contains(&c);
    let key_char = |c: char| c.is_ascii_alphabetic() || range(c) || "._:/".contains(c);
    let value_char = |c: char| {
        c.is_ascii_alphanumeric() || c.is_ascii_whitespace() || range(c) || "_.:/@".contains(c)
    };
    let shortest_value = if patterned { 0 } else { 1 };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(tags.len());
    for (k, tag) in tags.into_iter().enumerate() {
        check_length(&format!("tags[{k}].key"), &tag.key, 1, 128)?;
        check_length(&format!("tags[{k}].value"), &tag.value, shortest_value, 256)?;
        if patterned && !tag.key.chars().all(key_char) {
            return Err(format!("tags[{k}].key: characters outside [a-zA-Z+-=._:/]"));
        }
        if patterned && !tag.value.chars().all(value_char) {
            return Err(format!(
                "tags[{k}].value: characters outside [\\s\\w+-=.:/@]"
            ));
        }
        if !seen.insert(tag.key.clone()) {
            return Err(format!("tags[{k}].key: {:?} given twice", tag.key));
        }
        out.push(Tag {
            key: tag.key,
            value: tag.value,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> TagSpec {
        TagSpec {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn each_api_has_its_own_tag_rules() {
        let current = Namespace::Meetings;
        let legacy = Namespace::Legacy;
        assert!(check(vec![tag("team", "")], current).is_ok());
        assert!(check(vec![tag("team", "")], legacy)
            .unwrap_err()
            .contains("tags[0].value"));
        assert!(check(vec![tag("a b", "x")], current)
            .unwrap_err()
            .contains("tags[0].key"));
        assert!(check(vec![tag("a b", "x*")], legacy).is_ok());
        let many: Vec<_> = (0..51).map(|n| tag(&format!("k{n}"), "v")).collect();
        assert!(check(many, legacy).unwrap_err().contains("at most 50"));
    }
}
