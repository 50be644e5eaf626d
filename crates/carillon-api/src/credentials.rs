//! The credential store: access key id → secret access key → 12-digit account id.

use std::collections::HashMap;
use std::sync::Arc;

use carillon_sigv4::{Credential, CredentialLookup, SecretKey};
use serde::Deserialize;

/// AWS's documented example key pair, accepted out of the box for local use.
pub const EXAMPLE_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const EXAMPLE_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// AWS's documented example account id, owner of the example key pair.
pub const EXAMPLE_ACCOUNT_ID: &str = "123456789012";

#[derive(Default)]
pub struct StaticCredentials {
    by_access_key: HashMap<String, Arc<Credential>>,
}

/// Shows the access key ids only.
impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field(
                "access_key_ids",
                &self.by_access_key.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    access_key_id: String,
    secret_access_key: String,
    account_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    credentials: Vec<FileEntry>,
}

impl StaticCredentials {
    /// Only the example key pair, in account 123456789012.
    pub fn example() -> Self {
        let mut c = StaticCredentials::default();
        c.insert(
            EXAMPLE_ACCESS_KEY_ID,
            EXAMPLE_SECRET_ACCESS_KEY,
            EXAMPLE_ACCOUNT_ID,
        )
        .expect("the example credentials are well formed");
        c
    }

    pub fn insert(
        &mut self,
        access_key_id: &str,
        secret_access_key: &str,
        account_id: &str,
    ) -> Result<(), String> {
        if access_key_id.is_empty() || secret_access_key.is_empty() {
            return Err("access key id and secret access key must not be empty".into());
        }
        if !carillon_core::ids::is_account_id(account_id) {
            return Err(format!(
                "account id for access key {access_key_id} must be 12 digits"
            ));
        }
        self.by_access_key.insert(
            access_key_id.to_string(),
            Arc::new(Credential {
                secret_key: SecretKey::new(secret_access_key),
                account_id: account_id.to_string(),
            }),
        );
        Ok(())
    }

    /// Adds entries written `ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT_ID`, separated by commas or
    /// whitespace (the `CARILLON_CREDENTIALS` format).
    pub fn add_list(&mut self, list: &str) -> Result<(), String> {
        for entry in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let mut parts = entry.split(':');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(key), Some(secret), Some(account), None) => {
                    self.insert(key, secret, account)?
                }
                _ => {
                    return Err(
                        "credentials must be written ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT_ID"
                            .into(),
                    )
                }
            }
        }
        Ok(())
    }

    /// Adds the entries of a JSON file:
    /// `{"credentials": [{"access_key_id": …, "secret_access_key": …, "account_id": …}]}`.
    pub fn add_json(&mut self, json: &str) -> Result<(), String> {
        let file: File =
            serde_json::from_str(json).map_err(|e| format!("credentials file: {e}"))?;
        for e in file.credentials {
            self.insert(&e.access_key_id, &e.secret_access_key, &e.account_id)?;
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.by_access_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_access_key.is_empty()
    }
}

impl CredentialLookup for StaticCredentials {
    fn lookup(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        self.by_access_key.get(access_key_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_files() {
        let mut c = StaticCredentials::default();
        c.add_list("AKID1:secret/1:111111111111, AKID2:s2:222222222222\nAKID3:s3:333333333333")
            .unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.lookup("AKID2").unwrap().account_id, "222222222222");
        c.add_json(r#"{"credentials":[{"access_key_id":"K","secret_access_key":"S","account_id":"444444444444"}]}"#)
            .unwrap();
        assert_eq!(c.lookup("K").unwrap().secret_key.expose(), "S");
        assert!(c.add_list("AKID:secret").is_err());
        assert!(c.add_list("AKID:secret:12345").is_err());
        assert!(c
            .add_json(r#"{"credentials":[{"access_key_id":"K"}]}"#)
            .is_err());
    }

    #[test]
    fn debug_shows_no_secret() {
        let c = StaticCredentials::example();
        let shown = format!("{c:?}");
        assert!(shown.contains(EXAMPLE_ACCESS_KEY_ID));
        assert!(!shown.contains(EXAMPLE_SECRET_ACCESS_KEY));
    }
}
