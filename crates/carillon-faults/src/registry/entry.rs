//! A rule in the registry: its definition, what is left of it, and its listing.

use crate::rule::{Action, Api, RuleDef, RuleView};

#[derive(Debug)]
pub(super) struct Entry {
    pub(super) id: String,
    pub(super) def: RuleDef,
    /// Firings left, for a rule with a count.
    pub(super) remaining: Option<u64>,
    pub(super) created_at_ms: i64,
    pub(super) expires_at_ms: Option<i64>,
    pub(super) hits: u64,
}

impl Entry {
    pub(super) fn view(&self) -> RuleView {
        let m = &self.def.matcher;
        let (error, latency_ms) = match self.def.action {
            Action::Error(name) => (Some(name), None),
            Action::Latency(d) | Action::DelayFrames(d) => (None, Some(d.as_millis() as u64)),
            Action::Drop | Action::RefuseJoin => (None, None),
        };
        RuleView {
            id: self.id.clone(),
            api: if self.def.action.is_signaling() {
                Some("signaling")
            } else {
                m.api.map(Api::as_str)
            },
            operation: m.operation.clone(),
            account_id: m.account_id.clone(),
            meeting_id: m.meeting_id.clone(),
            attendee_id: m.attendee_id.clone(),
            action: self.def.action.name(),
            error,
            latency_ms,
            probability: self.def.probability,
            remaining: self.remaining,
            ttl_seconds: self.def.ttl_seconds,
            created_at: self.created_at_ms,
            expires_at: self.expires_at_ms,
            hits: self.hits,
        }
    }

    pub(super) fn expired(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_some_and(|at| now_ms >= at)
    }
}
