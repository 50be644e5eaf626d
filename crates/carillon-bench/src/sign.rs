//! A small SigV4 signer for the requests the load generator sends.
//!
//! `carillon-sigv4` only verifies (its key derivation and canonicalization are crate-private), and
//! the official `aws-sigv4` crate is heavier than a load generator wants on its hot path, so this
//! is hand-rolled on `hmac`/`sha2`. It signs exactly `host;x-amz-date`, the minimum the server's
//! verifier requires (`host` must be signed; a date header must be present). Paths and queries
//! the workloads send need no encoding (UUIDs, `operation=batch-create`, `max-results=10`), so
//! they are already in canonical form; callers must keep it that way (one query parameter, no
//! characters outside RFC 3986's unreserved set).
//!
//! Cost per request: the signing key is derived once per UTC day and the HMAC state keyed with it
//! is cached and cloned, so a request costs one SHA-256 of the body, one of the canonical request
//! and one HMAC of the string to sign.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The SigV4 signing name of the Chime SDK Meetings API.
pub const SERVICE: &str = "chime";

/// The key pair and region to sign with.
#[derive(Clone)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The region of the credential scope.
    pub region: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("region", &self.region)
            .finish()
    }
}

impl Default for Credentials {
    /// AWS's documented example pair, which Carillon maps to account 123456789012.
    fn default() -> Self {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            region: "us-east-1".into(),
        }
    }
}

/// The headers a signed request must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `X-Amz-Date`, `YYYYMMDDTHHMMSSZ`.
    pub amz_date: String,
    /// The complete `Authorization` header value.
    pub authorization: String,
}

/// Signs requests; one per connection, so the key cache needs no lock.
#[derive(Clone)]
pub struct Signer {
    creds: Credentials,
    /// The UTC day (`YYYYMMDD`) the cached key belongs to, and the HMAC keyed with it.
    cached: Option<(String, HmacSha256)>,
}

impl Signer {
    /// A signer for `creds`; the key is derived on first use.
    pub fn new(creds: Credentials) -> Self {
        Signer {
            creds,
            cached: None,
        }
    }

    /// Signs a request to `host` at the current time.
    pub fn sign(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        host: &str,
        body: &[u8],
    ) -> Signature {
        self.sign_at(method, path, query, host, body, SystemTime::now())
    }

    /// Signs a request as of `now`.
    pub fn sign_at(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        host: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Signature {
        let amz_date = amz_date(now);
        let day = &amz_date[..8];
        let payload_hash = hex::encode(Sha256::digest(body));
        let canonical = format!(
            "{method}\n{path}\n{query}\nhost:{host}\nx-amz-date:{amz_date}\n\nhost;x-amz-date\n{payload_hash}"
        );
        let scope = format!("{day}/{}/{SERVICE}/aws4_request", self.creds.region);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut mac = self.keyed_mac(day);
        mac.update(string_to_sign.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}",
            self.creds.access_key_id
        );
        Signature {
            amz_date,
            authorization,
        }
    }

    /// A fresh HMAC keyed with the signing key of `day`, deriving it if the day changed.
    fn keyed_mac(&mut self, day: &str) -> HmacSha256 {
        match &self.cached {
            Some((cached_day, mac)) if cached_day == day => mac.clone(),
            _ => {
                let key = signing_key(
                    &self.creds.secret_access_key,
                    day,
                    &self.creds.region,
                    SERVICE,
                );
                let mac = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
                self.cached = Some((day.to_owned(), mac.clone()));
                mac
            }
        }
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
fn signing_key(secret: &str, day: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// `YYYYMMDDTHHMMSSZ` (UTC) for `t`.
pub fn amz_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    use carillon_sigv4::{Credential, SecretKey, SignedRequest, Verifier};

    use super::*;

    #[test]
    fn amz_dates() {
        let at = |s: u64| amz_date(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "19700101T000000Z");
        assert_eq!(at(1_440_938_160), "20150830T123600Z");
        assert_eq!(at(951_782_399), "20000228T235959Z");
        assert_eq!(at(951_782_400), "20000229T000000Z");
        assert_eq!(at(1_709_251_199), "20240229T235959Z");
    }

    /// AWS General Reference, "Create a signed AWS API request" (IAM ListUsers).
    #[test]
    fn signing_key_matches_aws_example() {
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    fn verify(method: &str, path: &str, query: &str, body: &[u8], now: SystemTime) {
        let creds = Credentials::default();
        let mut keys = HashMap::new();
        keys.insert(
            creds.access_key_id.clone(),
            Arc::new(Credential {
                secret_key: SecretKey::new(creds.secret_access_key.clone()),
                account_id: "123456789012".into(),
            }),
        );
        let mut signer = Signer::new(creds);
        // Twice: the second signature comes from the cached key.
        for _ in 0..2 {
            let sig = signer.sign_at(method, path, query, "127.0.0.1:8080", body, now);
            let mut headers = http::HeaderMap::new();
            headers.insert("host", "127.0.0.1:8080".parse().unwrap());
            headers.insert("x-amz-date", sig.amz_date.parse().unwrap());
            headers.insert("authorization", sig.authorization.parse().unwrap());
            headers.insert("content-type", "application/json".parse().unwrap());
            let req = SignedRequest {
                method,
                path,
                query,
                headers: &headers,
                body,
            };
            let identity = Verifier::new(SERVICE)
                .verify(&req, &keys, now)
                .unwrap_or_else(|e| panic!("{method} {path}?{query}: {e}"));
            assert_eq!(identity.account_id, "123456789012");
            assert_eq!(identity.region, "us-east-1");
        }
    }

    #[test]
    fn signatures_verify_with_carillon_sigv4() {
        let now = SystemTime::now();
        let m = "/meetings/5a1b7c52-0e4f-4f8e-9f3b-2c1d0e9f8a7b";
        verify(
            "POST",
            "/meetings",
            "",
            br#"{"ClientRequestToken":"t1"}"#,
            now,
        );
        verify("POST", &format!("{m}/attendees"), "", b"{}", now);
        verify(
            "POST",
            &format!("{m}/attendees"),
            "operation=batch-create",
            br#"{"Attendees":[]}"#,
            now,
        );
        verify("GET", &format!("{m}/attendees/abc"), "", b"", now);
        verify("GET", &format!("{m}/attendees"), "max-results=10", b"", now);
    }

    #[test]
    fn key_is_rederived_when_the_day_changes() {
        let day1 = UNIX_EPOCH + Duration::from_secs(1_440_979_199); // 2015-08-30T23:59:59Z
        let day2 = day1 + Duration::from_secs(1);
        let mut signer = Signer::new(Credentials::default());
        let a = signer.sign_at("GET", "/", "", "h", b"", day1);
        let b = signer.sign_at("GET", "/", "", "h", b"", day2);
        assert!(a.authorization.contains("/20150830/"));
        assert!(b.authorization.contains("/20150831/"));
        verify("GET", "/meetings", "", b"", day1);
        verify("GET", "/meetings", "", b"", day2);
    }
}
