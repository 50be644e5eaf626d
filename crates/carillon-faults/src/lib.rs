//! Fault injection: rules, kept in this node's memory, that make the API answer a modeled
//! error, wait, or drop the connection, and make the signaling plane refuse joins or delay its
//! frames; so that a client's retries and reconnections can be tested on demand.
//!
//! A rule matches by API (`meetings`, `legacy`), operation, account id and meeting id (the
//! request's `MeetingId` URI label, compared case-insensitively), each optional; signaling rules
//! by account, meeting and attendee. It fires with a probability (default 1), for a count of
//! firings (then it is gone) and until its time to live runs out. When several rules match a
//! request, they are taken in the order they were created: every latency rule that fires adds
//! its latency, and the first error or drop rule that fires decides the answer (the ones after
//! it are not rolled, and their counts are not used). The same holds for signaling: frame delays
//! add up, the first refusal that fires refuses.
//!
//! A hit is one request for the API's rules, one join for `refuseJoin`, and one frame for
//! `delayFrames` (a `count` of 10 delays the next ten frames). Times to live are read from
//! `carillon_core::clock`, the wall clock every rule of the server reads.
//!
//! Rules are per node: with PostgreSQL and several nodes, each node has its own.
//!
//! The rule's JSON form ([`rule::RuleSpec`] in, [`rule::RuleView`] out) is the admin API's
//! (`carillon-admin`'s `faults` module) and the config file's.

pub mod catalog;
mod decision;
pub mod header;
mod metrics;
mod registry;
pub mod rule;

pub use catalog::{Catalog, ModeledError};
pub use decision::{ApiRequest, Injection, Outcome};
pub use metrics::FaultMetrics;
pub use registry::{Faults, MAX_RULES};
pub use rule::{Action, Api, RuleSpec, RuleView, SessionKey};

/// The config file (`--faults FILE`): `{"rules": [<rule>, …]}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    pub rules: Vec<RuleSpec>,
}

impl FaultFile {
    /// Reads the file's text; the error says what is wrong, and in which rule.
    pub fn parse(text: &str) -> Result<FaultFile, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}
