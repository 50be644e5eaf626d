//! The SigV4 signer of the load generator and the tests, written from AWS's specification
//! ("Create a signed AWS API request", AWS General Reference) on `hmac` and `sha2`.
//!
//! It signs over the exact bytes of the request target, so it can sign what the official
//! `aws-sigv4` signer cannot represent (a query that is not UTF-8), and it is independent of the
//! server's verifier (`carillon-sigv4`), whose signing primitives are private to it: a test signed
//! here checks the verifier against a second reading of the specification.
//!
//! Canonical URI: the raw path with `.`/`..` and empty segments resolved, each segment
//! percent-encoded once more (AWS services other than S3 encode the path twice). Canonical
//! query: each name and value percent-decoded (`+` as a space) to bytes, encoded with the
//! unreserved set, sorted. Every header given is signed, with the `x-amz-date` the signer adds.
//!
//! Cost per request, which matters to the load generator: the signing key is derived once per
//! UTC day and the HMAC state keyed with it is cached and cloned, so a request costs one SHA-256
//! of the body, one of the canonical request and one HMAC of the string to sign.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, SIGNING_NAME};

type HmacSha256 = Hmac<Sha256>;

/// A key pair and the region of its credential scope.
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
    /// AWS's documented example pair, which Carillon maps to account 123456789012, for us-east-1.
    fn default() -> Self {
        Credentials {
            access_key_id: ACCESS_KEY_ID.into(),
            secret_access_key: SECRET_ACCESS_KEY.into(),
            region: REGION.into(),
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

impl Signature {
    /// The `x-amz-date` and `authorization` headers, to add to the request.
    pub fn headers(self) -> [(String, String); 2] {
        [
            ("x-amz-date".into(), self.amz_date),
            ("authorization".into(), self.authorization),
        ]
    }
}

/// Signs requests for one key pair and service. Not shared between tasks (the load generator
/// gives each connection its own), so the key cache needs no lock.
#[derive(Clone)]
pub struct Signer {
    credentials: Credentials,
    service: String,
    /// The UTC day (`YYYYMMDD`) the cached key belongs to, and the HMAC keyed with it.
    cached: Option<(String, HmacSha256)>,
}

impl Signer {
    /// A signer for the Chime SDK Meetings API (signing name `chime`).
    pub fn new(credentials: Credentials) -> Self {
        Signer::for_service(credentials, SIGNING_NAME)
    }

    /// A signer for another signing name.
    pub fn for_service(credentials: Credentials, service: &str) -> Self {
        Signer {
            credentials,
            service: service.to_owned(),
            cached: None,
        }
    }

    /// Signs a request as of `now`. `target` is the request target as sent (path and query);
    /// every header of `headers`, which should include `host`, is signed, with the
    /// `x-amz-date` this adds.
    pub fn sign(
        &mut self,
        method: &str,
        target: &[u8],
        headers: &[(&str, &str)],
        body: &[u8],
        now: SystemTime,
    ) -> Signature {
        let amz_date = amz_date(now);
        let day = &amz_date[..8];
        let (canonical, signed_headers) =
            canonical_request(method, target, headers, &amz_date, body);
        let scope = format!(
            "{day}/{}/{}/aws4_request",
            self.credentials.region, self.service
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let mut mac = self.keyed_mac(day);
        mac.update(string_to_sign.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.credentials.access_key_id
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
                    &self.credentials.secret_access_key,
                    day,
                    &self.credentials.region,
                    &self.service,
                );
                let mac = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
                self.cached = Some((day.to_owned(), mac.clone()));
                mac
            }
        }
    }
}

/// The canonical request, and the `SignedHeaders` list.
fn canonical_request(
    method: &str,
    target: &[u8],
    headers: &[(&str, &str)],
    amz_date: &str,
    body: &[u8],
) -> (String, String) {
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            // Values are trimmed and inner runs of spaces collapsed.
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            (name.to_ascii_lowercase(), value)
        })
        .collect();
    all.push(("x-amz-date".into(), amz_date.to_owned()));
    let mut names: Vec<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    names.dedup();

    let (path, query) = match target.iter().position(|&b| b == b'?') {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, &b""[..]),
    };
    let mut canonical = format!(
        "{method}\n{}\n{}\n",
        canonical_uri(path),
        canonical_query(query)
    );
    for name in &names {
        // Repeated headers are one line, their values in the order given.
        let values: Vec<&str> = all
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        canonical.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let signed_headers = names.join(";");
    canonical.push_str(&format!("\n{signed_headers}\n{}", sha256_hex(body)));
    (canonical, signed_headers)
}

/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
fn signing_key(secret: &str, day: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Percent-encodes everything but RFC 3986's unreserved characters (as SigV4 encodes, and as
/// query values are sent).
pub fn percent_encode(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn canonical_uri(path: &[u8]) -> String {
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len() + 8);
    for segment in segments {
        out.push('/');
        out.push_str(&percent_encode(segment));
    }
    let directory = [&b"/"[..], b"/.", b"/.."]
        .iter()
        .any(|end| path.ends_with(end));
    if out.is_empty() || directory {
        out.push('/');
    }
    out
}

fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let hex_value = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escaped = (raw[i] == b'%')
            .then(|| Some((hex_value(*raw.get(i + 1)?)?, hex_value(*raw.get(i + 2)?)?)))
            .flatten();
        match escaped {
            Some((hi, lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            None => {
                out.push(if raw[i] == b'+' { b' ' } else { raw[i] });
                i += 1;
            }
        }
    }
    out
}

fn canonical_query(query: &[u8]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (
                percent_encode(percent_decode(&p[..i])),
                percent_encode(percent_decode(&p[i + 1..])),
            ),
            None => (percent_encode(percent_decode(p)), String::new()),
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
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
mod tests;
