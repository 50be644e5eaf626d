//! The quota file: parsing, validation, and resolution into the limits of each account (the
//! format is documented in `docs/quotas.md`).

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::policy::{
    operation_index, operations, Limits, AWS_RATE_LIMITED, DEFAULT_BURST,
    DEFAULT_MAX_ACTIVE_MEETINGS, DEFAULT_RATE,
};
use carillon_core::rate::Rate;

/// Fastest rate accepted: one request per nanosecond is the clock's resolution.
const MAX_RATE: f64 = 1e9;

/// Validated quotas: AWS's defaults, or those of a quota file ([`QuotaConfig::from_json`]).
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaConfig {
    pub(super) default: Limits,
    pub(super) accounts: HashMap<String, Limits>,
}

impl Default for QuotaConfig {
    /// AWS's default quotas for every account.
    fn default() -> Self {
        QuotaConfig {
            default: Limits::resolve(&LimitsFile::default(), &LimitsFile::default()),
            accounts: HashMap::new(),
        }
    }
}

impl Limits {
    /// `own` field by field, falling back to `default`, then to AWS's defaults.
    fn resolve(own: &LimitsFile, default: &LimitsFile) -> Limits {
        let rate = |own: Option<&RateFile>, default: Option<&RateFile>| {
            let pick = |f: fn(&RateFile) -> Option<f64>| own.and_then(f).or(default.and_then(f));
            let pick_burst =
                |f: fn(&RateFile) -> Option<u32>| own.and_then(f).or(default.and_then(f));
            Rate::new(
                pick(|r| r.rate).unwrap_or(DEFAULT_RATE),
                pick_burst(|r| r.burst).unwrap_or(DEFAULT_BURST),
            )
        };
        let operations = operations()
            .iter()
            .map(|name| {
                let (own_op, default_op) = (own.operations.get(name), default.operations.get(name));
                let limited = AWS_RATE_LIMITED.contains(&name.as_str())
                    || own_op.is_some()
                    || default_op.is_some();
                limited.then(|| rate(own_op, default_op))
            })
            .collect();
        Limits {
            all: rate(own.all_operations.as_ref(), default.all_operations.as_ref()),
            operations,
            max_active_meetings: [
                own.max_active_meetings
                    .or(default.max_active_meetings)
                    .unwrap_or(DEFAULT_MAX_ACTIVE_MEETINGS),
                own.legacy_max_active_meetings
                    .or(default.legacy_max_active_meetings)
                    .unwrap_or(DEFAULT_MAX_ACTIVE_MEETINGS),
            ],
        }
    }
}

impl QuotaConfig {
    /// The limits of `account_id`: its own, else those of every account.
    pub(super) fn limits(&self, account_id: &str) -> &Limits {
        if self.accounts.is_empty() {
            return &self.default;
        }
        self.accounts.get(account_id).unwrap_or(&self.default)
    }

    /// Parses and validates a quota file (`docs/quotas.md` describes the format). The error
    /// names the offending member.
    pub fn from_json(text: &str) -> Result<QuotaConfig, String> {
        // serde would also read a struct from an array of its members.
        if !text.trim_start().starts_with('{') {
            return Err("quota file: expected a JSON object".into());
        }
        let file: QuotaFile = serde_json::from_str(text).map_err(|e| format!("quota file: {e}"))?;
        file.default.validate("default")?;
        for (account_id, limits) in &file.accounts {
            if !carillon_core::ids::is_account_id(account_id) {
                return Err(format!(
                    "quota file: accounts: \"{account_id}\" is not a 12-digit account id"
                ));
            }
            limits.validate(&format!("accounts.{account_id}"))?;
        }
        Ok(QuotaConfig {
            default: Limits::resolve(&file.default, &LimitsFile::default()),
            accounts: file
                .accounts
                .iter()
                .map(|(id, own)| (id.clone(), Limits::resolve(own, &file.default)))
                .collect(),
        })
    }
}

// ------------------------------------------------------------------------------------------------
// The file as written
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaFile {
    #[serde(default)]
    default: LimitsFile,
    #[serde(default)]
    accounts: BTreeMap<String, LimitsFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    all_operations: Option<RateFile>,
    #[serde(default)]
    operations: BTreeMap<String, RateFile>,
    max_active_meetings: Option<u32>,
    legacy_max_active_meetings: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateFile {
    rate: Option<f64>,
    burst: Option<u32>,
}

impl LimitsFile {
    fn validate(&self, path: &str) -> Result<(), String> {
        if let Some(all) = &self.all_operations {
            all.validate(&format!("{path}.all_operations"))?;
        }
        for (name, rate) in &self.operations {
            if operation_index(name).is_none() {
                return Err(format!(
                    "quota file: {path}.operations: unknown operation \"{name}\" (known: {})",
                    operations().join(", ")
                ));
            }
            rate.validate(&format!("{path}.operations.{name}"))?;
        }
        Ok(())
    }
}

impl RateFile {
    fn validate(&self, path: &str) -> Result<(), String> {
        if let Some(rate) = self.rate {
            if !(rate.is_finite() && rate > 0.0 && rate <= MAX_RATE) {
                return Err(format!(
                    "quota file: {path}.rate: must be a number of requests per second above 0 \
                     and at most {MAX_RATE}, not {rate}"
                ));
            }
        }
        if self.burst == Some(0) {
            return Err(format!("quota file: {path}.burst: must be at least 1"));
        }
        Ok(())
    }
}
