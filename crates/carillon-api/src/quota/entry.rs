//! The quota file as written (`docs/quotas.md`): its members, their validation, and the way back
//! from resolved limits to an account entry. A run-time override is one account entry, read and
//! validated by the same code as the file's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::policy::{operation_index, operations, Limits};

/// Fastest rate accepted: one request per nanosecond is the clock's resolution.
const MAX_RATE: f64 = 1e9;

#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuotaFile {
    #[serde(default)]
    pub default: LimitsFile,
    #[serde(default)]
    pub accounts: BTreeMap<String, LimitsFile>,
}

/// An account entry (or `default`): every member optional.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) all_operations: Option<RateFile>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) operations: BTreeMap<String, RateFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_active_meetings: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) legacy_max_active_meetings: Option<u32>,
}

#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RateFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

/// serde would also read a struct from an array of its members: only an object is accepted.
pub(super) fn expect_object(text: &str) -> Result<(), String> {
    if text.trim_start().starts_with('{') {
        Ok(())
    } else {
        Err("expected a JSON object".into())
    }
}

impl LimitsFile {
    /// Reads and validates one account entry; the error names the member, under `path`.
    pub(super) fn parse(text: &str, path: &str) -> Result<LimitsFile, String> {
        expect_object(text).map_err(|e| format!("{path}: {e}"))?;
        let entry: LimitsFile = serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
        entry.validate(path)?;
        Ok(entry)
    }

    pub(super) fn validate(&self, path: &str) -> Result<(), String> {
        if let Some(all) = &self.all_operations {
            all.validate(&format!("{path}.all_operations"))?;
        }
        for (name, rate) in &self.operations {
            if operation_index(name).is_none() {
                return Err(format!(
                    "{path}.operations: unknown operation \"{name}\" (known: {})",
                    operations().join(", ")
                ));
            }
            rate.validate(&format!("{path}.operations.{name}"))?;
        }
        Ok(())
    }

    /// Every member of resolved limits spelled out: read back, it resolves to the same limits
    /// whatever the default.
    pub(super) fn spelled_out(limits: &Limits) -> LimitsFile {
        let rate = |r: &carillon_core::rate::Rate| RateFile {
            rate: Some(r.rate),
            burst: Some(r.burst),
        };
        LimitsFile {
            all_operations: Some(rate(&limits.all)),
            operations: operations()
                .iter()
                .zip(limits.operations.iter())
                .filter_map(|(name, own)| own.as_ref().map(|r| (name.clone(), rate(r))))
                .collect(),
            max_active_meetings: Some(limits.max_active_meetings[0]),
            legacy_max_active_meetings: Some(limits.max_active_meetings[1]),
        }
    }
}

impl RateFile {
    fn validate(&self, path: &str) -> Result<(), String> {
        if let Some(rate) = self.rate {
            if !(rate.is_finite() && rate > 0.0 && rate <= MAX_RATE) {
                return Err(format!(
                    "{path}.rate: must be a number of requests per second above 0 \
                     and at most {MAX_RATE}, not {rate}"
                ));
            }
        }
        if self.burst == Some(0) {
            return Err(format!("{path}.burst: must be at least 1"));
        }
        Ok(())
    }
}
