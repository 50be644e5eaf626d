//! Derived signing keys, kept between requests.
//!
//! Deriving `kSigning` takes four HMACs (a third of a verification's hashing, and the same
//! result for every request of a credential on one day, in one region): a profile of GetAttendee
//! under load had SigV4 at 9% of the server's CPU time, most of it here. A key enters the cache
//! only once a signature made with it has verified, so requests with a known access key id but
//! a forged signature cannot fill it. An entry remembers the credential it came from and is used
//! only while the credential store still answers with that same credential, so a replaced secret
//! is never verified with its predecessor's key.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::authz::CredentialScope;
use crate::credentials::Credential;
use crate::signing::signing_key;

/// More entries than this and the cache starts over: one entry per access key, day, region and
/// service in use, so a server reaches it only under a flood of distinct scopes, where starting
/// over costs what deriving every key costs anyway.
const MAX_ENTRIES: usize = 1024;

struct Entry {
    credential: Arc<Credential>,
    key: Zeroizing<[u8; 32]>,
}

/// Signing keys by credential scope (the `Credential=` value of the `Authorization` header,
/// `<access key id>/<date>/<region>/<service>/aws4_request`, which names everything the key is
/// derived from); clones share one cache.
#[derive(Clone, Default)]
pub(crate) struct KeyCache {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl KeyCache {
    /// The signing key of `scope` for `credential`, and whether it came from the cache.
    pub(crate) fn key(
        &self,
        scope: &CredentialScope<'_>,
        credential: &Arc<Credential>,
    ) -> (Zeroizing<[u8; 32]>, bool) {
        if let Some(entry) = self.lock().get(scope.credential) {
            if Arc::ptr_eq(&entry.credential, credential) {
                return (entry.key.clone(), true);
            }
        }
        let key = signing_key(
            &credential.secret_key,
            scope.date,
            scope.region,
            scope.service,
        );
        (key, false)
    }

    /// Remembers a key whose signature has just verified.
    pub(crate) fn remember(
        &self,
        scope: &CredentialScope<'_>,
        credential: &Arc<Credential>,
        key: Zeroizing<[u8; 32]>,
    ) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            scope.credential.to_owned(),
            Entry {
                credential: Arc::clone(credential),
                key,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave a map of complete entries inconsistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyCache({} keys, <redacted>)", self.lock().len())
    }
}
