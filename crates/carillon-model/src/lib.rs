//! A rest-json protocol engine driven by a botocore service model (`service-2.json`).
//!
//! [`ServiceModel::route`] turns a request's method, raw path and raw query into the operation
//! it targets; [`ServiceModel::decode`] builds that operation's input as one JSON object (URI
//! labels, query-string members and body members, keyed by model member name) and validates it
//! against every constraint of the model. Callers deserialize the object into typed inputs.
//! [`ServiceModel::project_output`] trims a response value to what the operation's output shape
//! defines, so one implementation can answer models of different generations of the API.
//!
//! ```
//! use carillon_model::{ServiceModel, CHIME_SDK_MEETINGS_2021_07_15};
//!
//! let model = ServiceModel::from_json(CHIME_SDK_MEETINGS_2021_07_15).unwrap();
//! let route = model
//!     .route("GET", "/meetings/0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11/attendees", "max-results=5")
//!     .unwrap();
//! assert_eq!(route.operation.name, "ListAttendees");
//! let input = model.decode(&route, "max-results=5", b"").unwrap();
//! assert_eq!(input["MaxResults"], 5);
//! ```

mod compile;
mod decode;
mod error;
mod messages;
mod model;
mod pattern;
mod project;
mod query;
mod route;
mod shape;
mod unique;
mod validate;

pub use error::{DecodeError, ModelError, RouteError};
pub use messages::{summarize, Violation};
pub use model::{Operation, ServiceModel};
pub use route::RouteMatch;

/// The Amazon Chime SDK Meetings model (`chime-sdk-meetings` 2021-07-15).
pub const CHIME_SDK_MEETINGS_2021_07_15: &str =
    include_str!("../models/chime-sdk-meetings-2021-07-15.json");

/// The legacy Amazon Chime model (`chime` 2018-05-01) that still has the meeting operations.
pub const CHIME_2018_05_01: &str = include_str!("../models/chime-2018-05-01-with-meetings.json");

/// The legacy operations that belong to the meetings API.
pub const CHIME_2018_05_01_MEETING_OPERATIONS: &[&str] = &[
    "CreateMeeting",
    "CreateMeetingWithAttendees",
    "GetMeeting",
    "ListMeetings",
    "DeleteMeeting",
    "CreateAttendee",
    "BatchCreateAttendee",
    "GetAttendee",
    "ListAttendees",
    "DeleteAttendee",
    "StartMeetingTranscription",
    "StopMeetingTranscription",
    "TagMeeting",
    "UntagMeeting",
    "ListMeetingTags",
    "TagAttendee",
    "UntagAttendee",
    "ListAttendeeTags",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

#[cfg(test)]
mod tests {
    use super::ServiceModel;

    #[test]
    fn model_is_shareable_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ServiceModel>();
    }
}
