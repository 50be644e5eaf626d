//! The query string, read by hand: the workspace's axum is built without its query extractor,
//! and these routes take a handful of plain parameters.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// The query's parameters, decoded (`+` is a space); a name given twice keeps its last value.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let decode = |s: &str| -> String {
            let spaced = s.replace('+', " ");
            percent_decode_str(&spaced)
                .decode_utf8()
                .map(Cow::into_owned)
                .unwrap_or_default()
        };
        let pairs = query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            });
        Params(pairs.collect())
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A number between 1 and `max`, `default` when absent; `Err` names the parameter.
    pub(crate) fn limit(&self, default: usize, max: usize) -> Result<usize, String> {
        match self.get("limit") {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("limit: expected a number from 1 to {max}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_decoded_and_the_last_wins() {
        let p = Params::parse(Some("a=1&name=chime%3AAttendeeAdded&a=2&b=x+y&flag"));
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.get("name"), Some("chime:AttendeeAdded"));
        assert_eq!(p.get("b"), Some("x y"));
        assert_eq!(p.get("flag"), Some(""));
        assert_eq!(p.get("c"), None);
        assert_eq!(p.limit(10, 100), Ok(10));
        assert!(Params::parse(Some("limit=0")).limit(10, 100).is_err());
        assert!(Params::parse(Some("limit=101")).limit(10, 100).is_err());
        assert_eq!(Params::parse(Some("limit=100")).limit(10, 100), Ok(100));
    }
}
