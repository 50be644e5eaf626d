//! The quota file: parsing, validation, and resolution into the limits of each account (the
//! format is documented in `docs/quotas.md`).

use std::collections::{BTreeMap, HashMap};

use super::entry::{expect_object, LimitsFile, QuotaFile, RateFile};
use super::policy::{
    operations, Limits, AWS_RATE_LIMITED, DEFAULT_BURST, DEFAULT_MAX_ACTIVE_MEETINGS, DEFAULT_RATE,
};
use carillon_core::rate::Rate;

/// Validated quotas: AWS's defaults, or those of a quota file ([`QuotaConfig::from_json`]).
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaConfig {
    pub(super) default: Limits,
    pub(super) accounts: HashMap<String, Limits>,
    /// The file these were resolved from, for run-time overrides to resolve against.
    pub(super) file: QuotaFile,
}

impl Default for QuotaConfig {
    /// AWS's default quotas for every account.
    fn default() -> Self {
        QuotaConfig::resolve(QuotaFile::default(), None, &BTreeMap::new())
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
        expect_object(text).map_err(|e| format!("quota file: {e}"))?;
        let file: QuotaFile = serde_json::from_str(text).map_err(|e| format!("quota file: {e}"))?;
        file.default
            .validate("default")
            .map_err(|e| format!("quota file: {e}"))?;
        for (account_id, limits) in &file.accounts {
            check_account_id(account_id).map_err(|e| format!("quota file: accounts: {e}"))?;
            limits
                .validate(&format!("accounts.{account_id}"))
                .map_err(|e| format!("quota file: {e}"))?;
        }
        Ok(QuotaConfig::resolve(file, None, &BTreeMap::new()))
    }

    /// The limits of `file`, with `default` (if any) in place of the file's `default` and the
    /// entries of `overrides` in place of (or beside) the file's accounts. Each entry, the file's
    /// or an override, resolves against the default in force, member by member.
    pub(super) fn resolve(
        file: QuotaFile,
        default: Option<&LimitsFile>,
        overrides: &BTreeMap<String, LimitsFile>,
    ) -> QuotaConfig {
        let default = default.unwrap_or(&file.default);
        let mut accounts: HashMap<String, Limits> = file
            .accounts
            .iter()
            .map(|(id, own)| (id.clone(), Limits::resolve(own, default)))
            .collect();
        for (id, own) in overrides {
            accounts.insert(id.clone(), Limits::resolve(own, default));
        }
        QuotaConfig {
            default: Limits::resolve(default, &LimitsFile::default()),
            accounts,
            file,
        }
    }
}

/// Refuses what is not a 12-digit account id.
pub(super) fn check_account_id(account_id: &str) -> Result<(), String> {
    if carillon_core::ids::is_account_id(account_id) {
        Ok(())
    } else {
        Err(format!("\"{account_id}\" is not a 12-digit account id"))
    }
}
