//! A rule: what it matches, what it does, and how often; its JSON form, in and out.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;

/// The longest latency or frame delay a rule may add.
pub const MAX_DELAY_MS: u64 = 120_000;

/// The longest a rule may live (`ttlSeconds`): a week.
pub const MAX_TTL_SECONDS: u64 = 7 * 24 * 3600;

/// One of the two HTTP APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    Meetings,
    Legacy,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Meetings => "meetings",
            Api::Legacy => "legacy",
        }
    }
}

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Answer with this modeled error (its status and form depend on the API and operation).
    Error(&'static str),
    /// Wait this long, then go on (API requests).
    Latency(Duration),
    /// Close the connection without answering.
    Drop,
    /// Refuse a signaling join.
    RefuseJoin,
    /// Hold each of the server's signaling frames this long before sending it.
    DelayFrames(Duration),
}

impl Action {
    /// The name used in the JSON and in the metrics' `action` label.
    pub fn name(self) -> &'static str {
        match self {
            Action::Error(_) => "error",
            Action::Latency(_) => "latency",
            Action::Drop => "drop",
            Action::RefuseJoin => "refuseJoin",
            Action::DelayFrames(_) => "delayFrames",
        }
    }

    /// Whether the rule is the signaling plane's.
    pub fn is_signaling(self) -> bool {
        matches!(self, Action::RefuseJoin | Action::DelayFrames(_))
    }
}

/// A rule as it is posted or written in the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpec {
    pub api: Option<String>,
    pub operation: Option<String>,
    pub account_id: Option<String>,
    pub meeting_id: Option<String>,
    pub attendee_id: Option<String>,
    pub action: String,
    pub error: Option<String>,
    pub latency_ms: Option<u64>,
    pub probability: Option<f64>,
    pub count: Option<u64>,
    pub ttl_seconds: Option<u64>,
}

/// What a rule matches; `None` matches anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub api: Option<Api>,
    pub operation: Option<String>,
    pub account_id: Option<String>,
    /// Lower-cased, as the server stores meeting ids.
    pub meeting_id: Option<String>,
    /// Lower-cased; matches the attendee's content share (`#content`) too.
    pub attendee_id: Option<String>,
}

/// A validated rule, before it gets its id.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDef {
    pub matcher: Matcher,
    pub action: Action,
    pub probability: f64,
    pub count: Option<u64>,
    pub ttl_seconds: Option<u64>,
}

/// A rule in the registry, as listed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attendee_id: Option<String>,
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    pub probability: f64,
    /// Firings left, for a rule with a count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u64>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Times the rule fired.
    pub hits: u64,
}

impl RuleSpec {
    /// Validates the rule; the error is the message a client gets with its 400.
    pub fn validate(self, catalog: &'static Catalog) -> Result<RuleDef, String> {
        let action = self.action.as_str();
        let signaling = matches!(action, "refuseJoin" | "delayFrames");
        let api = match self.api.as_deref() {
            None => None,
            Some("signaling") if signaling => None,
            Some("meetings") if !signaling => Some(Api::Meetings),
            Some("legacy") if !signaling => Some(Api::Legacy),
            Some("meetings" | "legacy") => {
                return Err(format!(
                    "{action} applies to the signaling plane: api must be \"signaling\" or absent"
                ))
            }
            Some("signaling") => {
                return Err(format!(
                    "{action} applies to the API: api must be \"meetings\", \"legacy\" or absent"
                ))
            }
            Some(other) => {
                return Err(format!(
                    "api must be \"meetings\", \"legacy\" or \"signaling\", not {other:?}"
                ))
            }
        };
        if signaling && self.operation.is_some() {
            return Err(format!(
                "{action} applies to the signaling plane, which has no operations"
            ));
        }
        if !signaling && self.attendee_id.is_some() {
            return Err("attendeeId applies only to the signaling plane's rules".into());
        }
        if let Some(op) = &self.operation {
            let known = [Api::Meetings, Api::Legacy]
                .into_iter()
                .filter(|a| api.is_none_or(|api| api == *a))
                .any(|a| catalog.has_operation(a, op));
            if !known {
                return Err(format!(
                    "no operation named {op:?} in the {} API",
                    api.map_or("meetings or legacy", Api::as_str)
                ));
            }
        }
        let needs_latency = matches!(action, "latency" | "delayFrames");
        if self.latency_ms.is_some() && !needs_latency {
            return Err(format!("latencyMs does not apply to {action}"));
        }
        if self.error.is_some() && action != "error" {
            return Err(format!("error does not apply to {action}"));
        }
        let delay = || match self.latency_ms {
            Some(ms) if (1..=MAX_DELAY_MS).contains(&ms) => Ok(Duration::from_millis(ms)),
            Some(_) => Err(format!("latencyMs must be from 1 to {MAX_DELAY_MS}")),
            None => Err(format!("{action} needs latencyMs")),
        };
        let action = match action {
            "error" => {
                let Some(name) = self.error.as_deref() else {
                    return Err("error needs the name of a modeled error, e.g. \"error\": \"ThrottlingException\"".into());
                };
                catalog.check(api, self.operation.as_deref(), name)?;
                Action::Error(
                    catalog
                        .name(name)
                        .ok_or_else(|| format!("no operation models {name}"))?,
                )
            }
            "latency" => Action::Latency(delay()?),
            "drop" => Action::Drop,
            "refuseJoin" => Action::RefuseJoin,
            "delayFrames" => Action::DelayFrames(delay()?),
            other => {
                return Err(format!(
                    "action must be error, latency, drop, refuseJoin or delayFrames, not {other:?}"
                ))
            }
        };
        let probability = self.probability.unwrap_or(1.0);
        if !(probability > 0.0 && probability <= 1.0) {
            return Err("probability must be greater than 0 and at most 1".into());
        }
        if self.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        if let Some(ttl) = self.ttl_seconds {
            if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
                return Err(format!("ttlSeconds must be from 1 to {MAX_TTL_SECONDS}"));
            }
        }
        for (member, value) in [
            ("accountId", &self.account_id),
            ("meetingId", &self.meeting_id),
            ("attendeeId", &self.attendee_id),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.is_empty() || v.len() > 256)
            {
                return Err(format!("{member} must have 1 to 256 characters"));
            }
        }
        Ok(RuleDef {
            matcher: Matcher {
                api,
                operation: self.operation,
                account_id: self.account_id,
                meeting_id: self.meeting_id.map(|m| m.to_ascii_lowercase()),
                attendee_id: self.attendee_id.map(|a| a.to_ascii_lowercase()),
            },
            action,
            probability,
            count: self.count,
            ttl_seconds: self.ttl_seconds,
        })
    }
}

/// What a signaling rule is asked about.
#[derive(Debug, Clone, Copy)]
pub struct SessionKey<'a> {
    pub account_id: &'a str,
    pub meeting_id: &'a str,
    /// With `#content` for a content-share session.
    pub attendee_id: &'a str,
}

impl Matcher {
    /// Whether an API request matches. `meeting_id` is the request's MeetingId URI label.
    pub fn api_request(
        &self,
        api: Api,
        operation: &str,
        account_id: &str,
        meeting_id: Option<&str>,
    ) -> bool {
        self.api.is_none_or(|a| a == api)
            && self.operation.as_deref().is_none_or(|o| o == operation)
            && self.account_id.as_deref().is_none_or(|a| a == account_id)
            && self
                .meeting_id
                .as_deref()
                .is_none_or(|m| meeting_id.is_some_and(|id| id.eq_ignore_ascii_case(m)))
    }

    /// Whether a signaling session matches.
    pub fn session(&self, key: &SessionKey<'_>) -> bool {
        let base = key
            .attendee_id
            .strip_suffix(carillon_core::ids::CONTENT_SUFFIX)
            .unwrap_or(key.attendee_id);
        self.account_id
            .as_deref()
            .is_none_or(|a| a == key.account_id)
            && self
                .meeting_id
                .as_deref()
                .is_none_or(|m| key.meeting_id.eq_ignore_ascii_case(m))
            && self
                .attendee_id
                .as_deref()
                .is_none_or(|a| base.eq_ignore_ascii_case(a))
    }
}
