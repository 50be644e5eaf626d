//! Error types. `Display` of [`RouteError`] and [`DecodeError`] is the message for the client.

use crate::messages::{summarize, Violation};

/// The service model could not be loaded or compiled.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("service model is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("service model protocol is {0:?}; only rest-json is supported")]
    UnsupportedProtocol(String),
    #[error("operation {0:?} is not in the service model")]
    UnknownOperation(String),
    #[error("shape {0:?} is referenced but not defined")]
    UnknownShape(String),
    #[error("pattern {pattern:?} of shape {shape:?} cannot be compiled: {reason}")]
    Pattern {
        shape: String,
        pattern: String,
        reason: String,
    },
    #[error("operations {0:?} and {1:?} have the same route")]
    AmbiguousRoute(String, String),
    #[error("service model is malformed: {0}")]
    Malformed(String),
}

/// The request does not address an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No operation has a path template matching the request path.
    #[error("No resource exists at the requested path")]
    NoSuchPath,
    /// The path exists, but not for this method. `allowed` is sorted.
    #[error("The method is not allowed for this resource; allowed methods: {}", allowed.join(", "))]
    MethodNotAllowed { allowed: Vec<String> },
    /// The request named a selector (`operation=...`) that this method and path do not have.
    /// `expected` lists the selectors that exist, e.g. `operation=batch-create`.
    #[error(
        "The operation query parameter does not name an operation of this resource{}",
        expected_list(expected)
    )]
    UnknownSelector { expected: Vec<String> },
    /// The method and path only exist with a selector, and the request has none.
    #[error(
        "The request must name an operation with a query parameter{}",
        expected_list(expected)
    )]
    MissingSelector { expected: Vec<String> },
    /// A selector parameter (`operation`) appears more than once.
    #[error("Query parameter '{parameter}' must not be repeated")]
    DuplicateSelector { parameter: String },
    /// The path or query has a malformed percent-escape or decodes to invalid UTF-8.
    #[error("The request URI contains malformed percent-encoding or invalid UTF-8")]
    BadEncoding,
}

fn expected_list(expected: &[String]) -> String {
    if expected.is_empty() {
        String::new()
    } else {
        format!("; expected one of: {}", expected.join(", "))
    }
}

/// The request addresses an operation but its input is unacceptable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body is not JSON (or not UTF-8). Holds the parser's description and position; never
    /// the body text.
    #[error("The request body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is JSON but not an object.
    #[error("The request body must be a JSON object")]
    NotAnObject,
    /// Constraint violations; members are visited in name order, list items in index order.
    #[error("{}", summarize(.0))]
    Invalid(Vec<Violation>),
    /// The query string cannot be used: bad encoding or a repeated parameter.
    #[error("{0}")]
    BadQuery(String),
}
