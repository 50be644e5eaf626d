//! The policy: which operations have a rate quota of their own, AWS's defaults, the limits an
//! account resolves to, which quotas a request draws from, and which of them refused it.

use std::collections::BTreeSet;
use std::ops::Deref;
use std::sync::LazyLock;

use carillon_core::Namespace;
use carillon_model::{
    ServiceModel, CHIME_2018_05_01_MEETING_OPERATIONS, CHIME_SDK_MEETINGS_2021_07_15,
};

use super::refusal::{Throttled, ThrottledBy};
use carillon_core::rate::Rate;

/// AWS's default rate of every rate quota: requests per second.
pub const DEFAULT_RATE: f64 = 10.0;
/// AWS's default burst of every rate quota.
pub const DEFAULT_BURST: u32 = 20;
/// AWS's default concurrent meeting quota, in each API (`L-9F286451`, `L-A5C73716`).
pub const DEFAULT_MAX_ACTIVE_MEETINGS: u32 = 250;

/// The operations AWS lists a rate quota for ("Amazon Chime SDK endpoints and quotas",
/// <https://docs.aws.amazon.com/general/latest/gr/chime-sdk.html>): they have a bucket of their
/// own by default. No quota covers the others (GetAttendee, the transcription operations, the
/// legacy API's meeting and attendee tags).
pub const AWS_RATE_LIMITED: [&str; 14] = [
    "CreateMeeting",
    "CreateMeetingWithAttendees",
    "CreateAttendee",
    "BatchCreateAttendee",
    "GetMeeting",
    "ListAttendees",
    "ListMeetings",
    "DeleteAttendee",
    "DeleteMeeting",
    "UpdateAttendeeCapabilities",
    "BatchUpdateAttendeeCapabilitiesExcept",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

/// Every operation either API serves, sorted by name: the names a quota file may use, and the
/// order of an account's buckets. Read from the models (every operation of the current one, and
/// the legacy one's meeting operations, which are what the legacy API serves), so that an
/// operation a model gains has its place here without a list to edit.
pub(super) fn operations() -> &'static [String] {
    static OPERATIONS: LazyLock<Box<[String]>> = LazyLock::new(|| {
        let current = ServiceModel::from_json(CHIME_SDK_MEETINGS_2021_07_15)
            .expect("the vendored chime-sdk-meetings model is valid");
        let names: BTreeSet<&str> = current
            .operations()
            .map(|op| op.name.as_str())
            .chain(CHIME_2018_05_01_MEETING_OPERATIONS.iter().copied())
            .collect();
        names.into_iter().map(String::from).collect()
    });
    &OPERATIONS
}

/// The operation's place in [`operations`]; `None` for a name neither API serves.
pub(super) fn operation_index(name: &str) -> Option<usize> {
    operations()
        .binary_search_by(|op| op.as_str().cmp(name))
        .ok()
}

/// How many buckets an account has in one API: the aggregate, then one per operation
/// ([`Quota::slot`]).
pub(super) fn slots_per_api() -> usize {
    1 + operations().len()
}

/// The two APIs, indexed by [`namespace_index`].
pub(super) const NAMESPACES: usize = 2;

pub(super) fn namespace_index(namespace: Namespace) -> usize {
    match namespace {
        Namespace::Meetings => 0,
        Namespace::Legacy => 1,
    }
}

/// The limits of one account, resolved.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Limits {
    /// "All meeting management API": every operation draws from it.
    pub all: Rate,
    /// Indexed like [`operations`]; `None`: the operation draws from `all` only.
    pub operations: Box<[Option<Rate>]>,
    /// Indexed by [`namespace_index`].
    pub max_active_meetings: [u32; NAMESPACES],
}

impl Limits {
    /// The quotas a request of `operation` (a model's operation name) draws from: the aggregate,
    /// then the operation's own if it has one. A name outside [`operations`] draws from the
    /// aggregate only.
    pub(super) fn drawn(&self, operation: &str) -> Drawn {
        let all = Quota {
            by: ThrottledBy::AllOperations,
            rate: self.all,
            slot: 0,
        };
        let own = operation_index(operation).and_then(|i| {
            self.operations[i].map(|rate| Quota {
                by: ThrottledBy::Operation(operations()[i].as_str()),
                rate,
                slot: 1 + i,
            })
        });
        match own {
            Some(own) => Drawn {
                quotas: [all, own],
                len: 2,
            },
            None => Drawn {
                quotas: [all; MAX_DRAWN],
                len: 1,
            },
        }
    }
}

/// One quota a request draws from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Quota {
    pub by: ThrottledBy,
    pub rate: Rate,
    /// Its bucket among an account's buckets in one API: 0 for the aggregate, then one per
    /// operation, in the order of [`operations`].
    pub slot: usize,
}

/// The most quotas one request draws from: the aggregate and its operation's own.
pub(super) const MAX_DRAWN: usize = 2;

/// The quotas one request draws from, the aggregate first ([`Limits::drawn`]). Kept inline, so
/// that admitting a request allocates nothing.
#[derive(Debug)]
pub(super) struct Drawn {
    quotas: [Quota; MAX_DRAWN],
    len: usize,
}

impl Deref for Drawn {
    type Target = [Quota];

    fn deref(&self) -> &[Quota] {
        &self.quotas[..self.len]
    }
}

impl Drawn {
    /// What a request these quotas refused is told, given each quota's wait in nanoseconds until
    /// it would admit (0 for one that admits now), in order. The longest wait names the quota;
    /// on a tie, the operation's own (it comes last), the narrower of the two. The buckets of one
    /// process and the cluster's both answer through this, so a refusal names the same quota
    /// wherever the buckets are kept.
    pub(super) fn refusal(&self, waits_ns: &[u64]) -> Throttled {
        let (quota, wait_ns) = self
            .iter()
            .zip(waits_ns)
            .max_by_key(|(_, wait)| **wait)
            .map_or((&self.quotas[0], 0), |(quota, wait)| (quota, *wait));
        Throttled {
            retry_after_ms: wait_ns.div_ceil(1_000_000).max(1),
            limit: quota.by,
            rate: quota.rate.rate,
            burst: quota.rate.burst,
        }
    }
}
