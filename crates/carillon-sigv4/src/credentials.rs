//! Secret keys and where they come from.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

/// A secret access key: zeroized on drop, redacted in `Debug`, readable only
/// through [`SecretKey::expose`].
#[derive(Clone)]
pub struct SecretKey(Zeroizing<String>);

impl SecretKey {
    /// Wraps a secret access key.
    pub fn new(s: impl Into<String>) -> Self {
        SecretKey(Zeroizing::new(s.into()))
    }

    /// The key itself. Call sites are easy to audit by searching for `expose`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// What an access key id stands for: its secret and the account it belongs to.
#[derive(Clone, Debug)]
pub struct Credential {
    /// The secret access key (redacted in `Debug`).
    pub secret_key: SecretKey,
    /// The 12-digit AWS account id the key belongs to.
    pub account_id: String,
}

/// Finds the credential for an access key id, so the source of keys (a
/// config file today, a database later) can be swapped without touching the
/// verifier.
pub trait CredentialLookup: Send + Sync {
    /// The credential for `access_key_id`, or `None` if the key is unknown.
    fn lookup(&self, access_key_id: &str) -> Option<Arc<Credential>>;
}

impl CredentialLookup for HashMap<String, Arc<Credential>> {
    fn lookup(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        self.get(access_key_id).cloned()
    }
}

impl<T: CredentialLookup + ?Sized> CredentialLookup for Arc<T> {
    fn lookup(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        (**self).lookup(access_key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SecretKey::new(SECRET);
        assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
        assert_eq!(key.expose(), SECRET);

        let cred = Credential {
            secret_key: key,
            account_id: "123456789012".into(),
        };
        for shown in [format!("{cred:?}"), format!("{cred:#?}")] {
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
            assert!(shown.contains("123456789012"), "{shown}");
        }
    }

    #[test]
    fn hash_map_is_a_lookup() {
        let mut keys: HashMap<String, Arc<Credential>> = HashMap::new();
        keys.insert(
            "AKIDEXAMPLE".into(),
            Arc::new(Credential {
                secret_key: SecretKey::new(SECRET),
                account_id: "123456789012".into(),
            }),
        );
        let shared: Arc<dyn CredentialLookup> = Arc::new(keys);
        assert!(shared.lookup("AKIDEXAMPLE").is_some());
        assert!(shared.lookup("AKIDOTHER").is_none());
    }
}
