//! What the rules decide for an API request, and what they are asked about it.

use std::time::Duration;

use crate::catalog::ModeledError;
use crate::rule::Api;

/// What an API request gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Injection {
    /// Waited before anything else.
    pub latency: Duration,
    /// Then, instead of the operation: an error, or no answer at all.
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Error(ModeledError),
    Drop,
}

/// An API request, as rules see it.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest<'a> {
    pub api: Api,
    pub operation: &'a str,
    pub account_id: &'a str,
    /// The `MeetingId` URI label, if the route has one.
    pub meeting_id: Option<&'a str>,
}
