//! Shared fixtures for the integration tests.
#![allow(dead_code)]

use carillon_model::{
    RouteError, RouteMatch, ServiceModel, CHIME_2018_05_01, CHIME_2018_05_01_MEETING_OPERATIONS,
    CHIME_SDK_MEETINGS_2021_07_15,
};

pub const MEETING: &str = "0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11";
pub const ATTENDEE: &str = "7a5c1b2e-0f3d-4c8e-9a6b-5d4e3c2b1a09";

pub fn current() -> ServiceModel {
    ServiceModel::from_json(CHIME_SDK_MEETINGS_2021_07_15).expect("current model loads")
}

pub fn legacy() -> ServiceModel {
    ServiceModel::from_json_with_operations(CHIME_2018_05_01, CHIME_2018_05_01_MEETING_OPERATIONS)
        .expect("legacy meeting operations load")
}

/// Replaces `{M}` and `{A}` with the fixture meeting and attendee ids.
pub fn expand(text: &str) -> String {
    text.replace("{M}", MEETING).replace("{A}", ATTENDEE)
}

/// Splits a raw request line `"METHOD /path?query"` into its parts.
pub fn split_line(line: &str) -> (String, String, String) {
    let line = expand(line);
    let (method, target) = line.split_once(' ').expect("METHOD /path");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    (method.to_owned(), path.to_owned(), query.to_owned())
}

/// Routes a raw request line.
pub fn route<'m>(model: &'m ServiceModel, line: &str) -> Result<RouteMatch<'m>, RouteError> {
    let (method, path, query) = split_line(line);
    model.route(&method, &path, &query)
}
