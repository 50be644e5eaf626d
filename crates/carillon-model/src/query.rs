//! Percent-decoding of path segments and query strings.

/// Decodes `%XX` escapes strictly: a `%` must be followed by two hex digits and the result must
/// be UTF-8. `+` stays a literal plus (AWS SDKs encode a space as `%20`).
pub(crate) fn percent_decode(raw: &str) -> Option<String> {
    if !raw.contains('%') {
        return Some(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a raw query string into decoded `(name, value)` pairs in order. Empty pieces are
/// skipped; a piece without `=` has an empty value. `None` when any piece is badly encoded.
pub(crate) fn parse_query(raw: &str) -> Option<Vec<(String, String)>> {
    raw.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            Some((percent_decode(name)?, percent_decode(value)?))
        })
        .collect()
}

/// All values given for `name`, in order.
pub(crate) fn values<'q>(pairs: &'q [(String, String)], name: &str) -> Vec<&'q str> {
    pairs
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b+c"));
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(percent_decode("arn%3Aaws").as_deref(), Some("arn:aws"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None);
    }

    #[test]
    fn pairs() {
        let pairs = parse_query("a=1&&b&c=x%3Dy&a=2").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "x=y".into()),
                ("a".into(), "2".into()),
            ]
        );
        assert_eq!(values(&pairs, "a"), vec!["1", "2"]);
        assert!(parse_query("").unwrap().is_empty());
        assert!(parse_query("a=%E9").is_none());
    }
}
