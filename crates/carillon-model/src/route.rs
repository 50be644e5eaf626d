//! Routing: method + path segments + literal query parameters (the `operation=` selector).

use std::collections::BTreeSet;

use crate::error::RouteError;
use crate::query::{parse_query, percent_decode, values};
use crate::{Operation, ServiceModel};

/// The query parameter every operation selector uses. A request carrying it must match a route
/// that names the same value, even where no route of the path has a selector.
const SELECTOR: &str = "operation";

/// The operation a request addresses, with its URI label values.
#[derive(Clone, Debug)]
pub struct RouteMatch<'a> {
    pub operation: &'a Operation,
    /// `(member name, percent-decoded value)` for each URI label, in path order.
    pub labels: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    /// A `{Label}`: one non-empty segment, bound to the named input member.
    Label(String),
    /// A `{Label+}` at the end: the rest of the path.
    Greedy(String),
}

/// A parsed `http.requestUri`.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    pub(crate) segments: Vec<Segment>,
    /// Literal query parameters, e.g. `("operation", "batch-create")`.
    pub(crate) query: Vec<(String, String)>,
    /// [`Template::specificity`], computed once.
    rank: Vec<u8>,
}

impl Template {
    /// Parses a request URI; `member_for_label` maps a label name to its input member name.
    pub(crate) fn parse(
        request_uri: &str,
        member_for_label: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let (path, query) = request_uri.split_once('?').unwrap_or((request_uri, ""));
        let rest = path
            .strip_prefix('/')
            .ok_or_else(|| format!("request URI {request_uri:?} does not start with '/'"))?;
        let mut segments = Vec::new();
        let pieces: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        for (index, piece) in pieces.iter().enumerate() {
            let segment = match piece.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(label) => {
                    let (name, greedy) = match label.strip_suffix('+') {
                        Some(name) => (name, true),
                        None => (label, false),
                    };
                    let member = member_for_label(name)
                        .ok_or_else(|| format!("label {{{name}}} has no input member"))?;
                    if greedy && index + 1 != pieces.len() {
                        return Err(format!("greedy label {{{name}+}} is not last"));
                    }
                    if greedy {
                        Segment::Greedy(member)
                    } else {
                        Segment::Label(member)
                    }
                }
                None if piece.is_empty() || piece.contains(['{', '}']) => {
                    return Err(format!("request URI {request_uri:?} has a bad segment"));
                }
                None => Segment::Literal((*piece).to_owned()),
            };
            segments.push(segment);
        }
        let query = query
            .split('&')
            .filter(|piece| !piece.is_empty())
            .map(|piece| {
                let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
                (name.to_owned(), value.to_owned())
            })
            .collect();
        let rank = Self::specificity(&segments);
        Ok(Template {
            segments,
            query,
            rank,
        })
    }

    /// Ranks templates: a literal segment is more specific than a label, a label than a greedy
    /// label. Lower sorts first.
    fn specificity(segments: &[Segment]) -> Vec<u8> {
        segments
            .iter()
            .map(|s| match s {
                Segment::Literal(_) => 0,
                Segment::Label(_) => 1,
                Segment::Greedy(_) => 2,
            })
            .collect()
    }

    /// The same path for the same requests (label names aside).
    pub(crate) fn same_path(&self, other: &Template) -> bool {
        self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|pair| match pair {
                    (Segment::Literal(a), Segment::Literal(b)) => a == b,
                    (Segment::Label(_), Segment::Label(_)) => true,
                    (Segment::Greedy(_), Segment::Greedy(_)) => true,
                    _ => false,
                })
    }

    pub(crate) fn literal_query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The selector text shown to clients, e.g. `operation=batch-create`.
    fn selector_text(&self) -> Option<String> {
        if self.query.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.query.iter().map(|(n, v)| format!("{n}={v}")).collect();
        Some(parts.join("&"))
    }

    /// Whether the decoded path segments match. Allocates nothing: every operation's template
    /// is tried against every request, and only the chosen one's labels are bound
    /// ([`Template::labels`]).
    fn matches_path(&self, segments: &[String]) -> bool {
        for (index, template) in self.segments.iter().enumerate() {
            let matched = match template {
                Segment::Literal(text) => segments.get(index) == Some(text),
                Segment::Label(_) => segments.get(index).is_some_and(|v| !v.is_empty()),
                Segment::Greedy(_) => {
                    return segments.get(index..).is_some_and(|rest| {
                        !rest.is_empty() && !rest.iter().any(String::is_empty)
                    });
                }
            };
            if !matched {
                return false;
            }
        }
        segments.len() == self.segments.len()
    }

    /// The label bindings of segments that [`Template::matches_path`].
    fn labels(&self, segments: &[String]) -> Vec<(String, String)> {
        self.segments
            .iter()
            .enumerate()
            .filter_map(|(index, template)| match template {
                Segment::Literal(_) => None,
                Segment::Label(member) => Some((member.clone(), segments[index].clone())),
                Segment::Greedy(member) => Some((member.clone(), segments[index..].join("/"))),
            })
            .collect()
    }
}

/// Decoded path segments; `/` is no segment, `/a/` is `["a", ""]`.
fn split_path(raw_path: &str) -> Result<Vec<String>, RouteError> {
    let Some(rest) = raw_path.strip_prefix('/') else {
        return Err(RouteError::NoSuchPath);
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('/')
        .map(|s| percent_decode(s).ok_or(RouteError::BadEncoding))
        .collect()
}

struct Candidate<'a> {
    operation: &'a Operation,
    rank: &'a [u8],
}

impl ServiceModel {
    /// Finds the operation a request addresses.
    ///
    /// Among templates that match the path and method, the most specific wins (literal segments
    /// before labels), falling back to less specific ones when its selectors do not match. A
    /// request without `operation=` only matches selector-less routes; one with it only routes
    /// naming the same value.
    pub fn route(
        &self,
        method: &str,
        raw_path: &str,
        raw_query: &str,
    ) -> Result<RouteMatch<'_>, RouteError> {
        let segments = split_path(raw_path)?;
        let query = parse_query(raw_query).ok_or(RouteError::BadEncoding)?;

        let on_path = || {
            self.operations
                .iter()
                .filter(|operation| operation.template.matches_path(&segments))
        };
        let mut candidates: Vec<Candidate<'_>> = on_path()
            .filter(|operation| operation.method == method)
            .map(|operation| Candidate {
                operation,
                rank: &operation.template.rank,
            })
            .collect();
        if candidates.is_empty() {
            let allowed: BTreeSet<String> = on_path().map(|o| o.method.clone()).collect();
            if allowed.is_empty() {
                return Err(RouteError::NoSuchPath);
            }
            return Err(RouteError::MethodNotAllowed {
                allowed: allowed.into_iter().collect(),
            });
        }
        candidates.sort_by(|a, b| a.rank.cmp(b.rank));

        let mut first_error = None;
        for group in candidates.chunk_by(|a, b| a.rank == b.rank) {
            match select(group, &query) {
                Ok(index) => {
                    let operation = group[index].operation;
                    return Ok(RouteMatch {
                        operation,
                        labels: operation.template.labels(&segments),
                    });
                }
                Err(error @ RouteError::DuplicateSelector { .. }) => return Err(error),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        Err(first_error.unwrap_or(RouteError::NoSuchPath))
    }
}

/// Picks the route of one specificity group whose literal query parameters agree with the
/// request on every selector parameter.
fn select(group: &[Candidate<'_>], query: &[(String, String)]) -> Result<usize, RouteError> {
    let mut keys: BTreeSet<&str> = BTreeSet::from([SELECTOR]);
    for candidate in group {
        keys.extend(
            candidate
                .operation
                .template
                .query
                .iter()
                .map(|(n, _)| n.as_str()),
        );
    }
    let mut given: Vec<(&str, Option<&str>)> = Vec::with_capacity(keys.len());
    for key in &keys {
        let found = values(query, key);
        if found.len() > 1 {
            return Err(RouteError::DuplicateSelector {
                parameter: (*key).to_owned(),
            });
        }
        given.push((key, found.first().copied()));
    }
    let chosen = group.iter().position(|candidate| {
        given
            .iter()
            .all(|(key, value)| candidate.operation.template.literal_query(key) == *value)
    });
    if let Some(index) = chosen {
        return Ok(index);
    }
    let expected: Vec<String> = group
        .iter()
        .filter_map(|c| c.operation.template.selector_text())
        .collect();
    if given.iter().any(|(_, value)| value.is_some()) {
        Err(RouteError::UnknownSelector { expected })
    } else {
        Err(RouteError::MissingSelector { expected })
    }
}
