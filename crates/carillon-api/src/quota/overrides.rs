//! The quotas in force, replaced at run time: the quota file's (or AWS's defaults) with the
//! overrides the admin listener set, an account entry each (or one for `default`).
//!
//! Every API request reads the limits in force, so the read is lock-free: the resolved
//! [`QuotaConfig`] sits behind an [`ArcSwap`], and an override builds a new one from the file and
//! every override, then swaps it in. Writers, rare, take a mutex so that two overrides set at once
//! both land.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::{ArcSwap, Guard};
use serde::Serialize;

use super::config::{check_account_id, QuotaConfig};
use super::entry::{LimitsFile, QuotaFile};

/// What was set at run time.
#[derive(Default)]
struct Set {
    default: Option<LimitsFile>,
    accounts: BTreeMap<String, LimitsFile>,
}

pub(super) struct Table {
    current: ArcSwap<QuotaConfig>,
    /// The file as read at start; overrides are resolved against it.
    file: QuotaFile,
    set: Mutex<Set>,
}

/// The quotas in force, in the quota file's shape (`GET /v1/quotas` of the admin listener).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaView {
    /// The limits of every account without an entry of its own, every member spelled out.
    pub default: LimitsFile,
    /// The accounts with an entry (the file's or set at run time), every member spelled out.
    pub accounts: BTreeMap<String, LimitsFile>,
    /// The accounts whose entry was set at run time rather than read from the file.
    pub overridden_accounts: Vec<String>,
    /// Whether `default` was set at run time.
    pub overridden_default: bool,
}

impl Table {
    pub(super) fn new(config: QuotaConfig) -> Table {
        Table {
            file: config.file.clone(),
            current: ArcSwap::from_pointee(config),
            set: Mutex::new(Set::default()),
        }
    }

    /// The limits in force: a lock-free read, on every request.
    pub(super) fn load(&self) -> Guard<Arc<QuotaConfig>> {
        self.current.load()
    }

    /// Replaces `account_id`'s entry with `entry` (JSON, validated as the file's entries are).
    pub(super) fn set_account(&self, account_id: &str, entry: &str) -> Result<(), String> {
        check_account_id(account_id)?;
        let entry = LimitsFile::parse(entry, &format!("accounts.{account_id}"))?;
        self.update(|set| {
            set.accounts.insert(account_id.to_owned(), entry);
        });
        Ok(())
    }

    /// Replaces the default of every account with `entry`.
    pub(super) fn set_default(&self, entry: &str) -> Result<(), String> {
        let entry = LimitsFile::parse(entry, "default")?;
        self.update(|set| set.default = Some(entry));
        Ok(())
    }

    /// Drops `account_id`'s override: the file's entry, or the default, applies again. False when
    /// it had none.
    pub(super) fn reset_account(&self, account_id: &str) -> bool {
        let mut removed = false;
        self.update(|set| removed = set.accounts.remove(account_id).is_some());
        removed
    }

    /// Drops the default's override: the file's applies again. False when there was none.
    pub(super) fn reset_default(&self) -> bool {
        let mut removed = false;
        self.update(|set| removed = set.default.take().is_some());
        removed
    }

    fn update(&self, change: impl FnOnce(&mut Set)) {
        let mut set = self.set.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut set);
        let config = QuotaConfig::resolve(self.file.clone(), set.default.as_ref(), &set.accounts);
        self.current.store(Arc::new(config));
    }

    pub(super) fn view(&self) -> QuotaView {
        let set = self.set.lock().unwrap_or_else(PoisonError::into_inner);
        let config = self.current.load();
        QuotaView {
            default: LimitsFile::spelled_out(&config.default),
            accounts: config
                .accounts
                .iter()
                .map(|(id, limits)| (id.clone(), LimitsFile::spelled_out(limits)))
                .collect(),
            overridden_accounts: set.accounts.keys().cloned().collect(),
            overridden_default: set.default.is_some(),
        }
    }
}
