//! The verifier: every check on an incoming request, in AWS's order.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, DATE};
use http::HeaderMap;

use crate::authz::{
    check_algorithm, parse_authorization, signed_header_names, CredentialScope, MSG_MISSING_DATE,
};
use crate::canonical::canonical_request;
use crate::credentials::CredentialLookup;
use crate::error::{AuthError, MSG_CONTENT_SHA256_MISMATCH};
use crate::key_cache::KeyCache;
use crate::signing::{sha256_hex, sign, signatures_match, Hex64};
use crate::time::{format_amz_date, parse_amz_date, parse_http_date};
use crate::{Identity, SignedRequest};

const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Checks SigV4 `Authorization` headers for one service.
#[derive(Debug, Clone)]
pub struct Verifier {
    service: String,
    max_skew: Duration,
    keys: KeyCache,
}

impl Verifier {
    /// A verifier for requests scoped to `service` (e.g. `"chime"`), allowing
    /// the request date to be up to 15 minutes away from the clock.
    pub fn new(service: &str) -> Self {
        Verifier {
            service: service.to_owned(),
            max_skew: Duration::from_secs(15 * 60),
            keys: KeyCache::default(),
        }
    }

    /// Sets how far the request date may be from `now`, either way.
    pub fn with_max_skew(mut self, d: Duration) -> Self {
        self.max_skew = d;
        self
    }

    /// The service name the credential scope must carry.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The allowed clock skew.
    pub fn max_skew(&self) -> Duration {
        self.max_skew
    }

    /// Verifies `req` against the keys in `creds`, with `now` as the clock.
    ///
    /// Checks run in the order AWS was observed to use, so that a request
    /// with several faults gets the error AWS would give: header syntax and
    /// presence, date format, clock skew, `host` signed, algorithm,
    /// credential shape, credential scope, access key, payload hash, and last
    /// the signature.
    pub fn verify(
        &self,
        req: &SignedRequest<'_>,
        creds: &dyn CredentialLookup,
        now: SystemTime,
    ) -> Result<Identity, AuthError> {
        let authorization = authorization_header(req)?;
        let amz_date = first_header(req.headers, X_AMZ_DATE);
        let http_date = first_header(req.headers, DATE.as_str());

        let auth = parse_authorization(authorization, amz_date.is_some() || http_date.is_some())?;
        let request_time = match (amz_date, http_date) {
            (Some(raw), _) => parse_amz_date(raw).ok_or_else(|| bad_date(raw))?,
            (None, Some(raw)) => parse_http_date(raw).ok_or_else(|| bad_date(raw))?,
            (None, None) => return Err(AuthError::incomplete(MSG_MISSING_DATE)),
        };
        self.check_skew(request_time, now)?;

        let signed_headers = signed_header_names(auth.signed_headers);
        if !signed_headers.iter().any(|h| h == "host") {
            return Err(AuthError::invalid(
                "'Host' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
        check_algorithm(auth.algorithm)?;

        let scope = CredentialScope::parse(auth.credential)?;
        let timestamp = format_amz_date(request_time);
        scope.check(&self.service, &timestamp[..8], &timestamp)?;

        let credential = creds
            .lookup(scope.access_key_id)
            .ok_or(AuthError::UnrecognizedClient)?;

        let payload_hash = payload_hash(req.headers, req.body)?;
        let creq = canonical_request(
            req.method,
            req.path,
            req.query,
            req.headers,
            &signed_headers,
            payload_hash.as_str(),
        )
        .map_err(|_| AuthError::mismatch())?;
        let (key, cached) = self.keys.key(&scope, &credential);
        let expected = sign(&key, &timestamp, scope.parts(), &creq);
        if !signatures_match(&expected, auth.signature) {
            return Err(AuthError::mismatch());
        }
        if !cached {
            self.keys.remember(&scope, &credential, key);
        }

        Ok(Identity {
            access_key_id: scope.access_key_id.to_owned(),
            account_id: credential.account_id.clone(),
            region: scope.region.to_owned(),
        })
    }

    fn check_skew(&self, request_time: i64, now: SystemTime) -> Result<(), AuthError> {
        let now = unix_seconds(now);
        let skew = i64::try_from(self.max_skew.as_secs()).unwrap_or(i64::MAX);
        let skew_text = || {
            if skew % 60 == 0 {
                format!("{} min", skew / 60)
            } else {
                format!("{skew} sec")
            }
        };
        let earliest = now.saturating_sub(skew);
        let latest = now.saturating_add(skew);
        if request_time < earliest {
            return Err(AuthError::invalid(format!(
                "Signature expired: {} is now earlier than {} ({} - {}.)",
                format_amz_date(request_time),
                format_amz_date(earliest),
                format_amz_date(now),
                skew_text(),
            )));
        }
        if request_time > latest {
            return Err(AuthError::invalid(format!(
                "Signature not yet current: {} is still later than {} ({} + {}.)",
                format_amz_date(request_time),
                format_amz_date(latest),
                format_amz_date(now),
                skew_text(),
            )));
        }
        Ok(())
    }
}

/// The `Authorization` header as text, or why the request cannot be checked.
fn authorization_header<'r>(req: &SignedRequest<'r>) -> Result<&'r str, AuthError> {
    let mut values = req.headers.get_all(AUTHORIZATION).iter();
    let first = values.next();
    if has_query_auth(req.query) {
        return Err(match first {
            Some(_) => AuthError::invalid(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as \
                 HTTP header.",
            ),
            // Presigned URLs are not verified (no SDK presigns Chime SDK
            // Meetings calls); saying so beats a misleading "missing token".
            None => AuthError::incomplete(
                "Query-string (presigned URL) authentication is not supported. \
                 Sign the request with an Authorization header.",
            ),
        });
    }
    let Some(first) = first else {
        return Err(AuthError::MissingAuthenticationToken);
    };
    if values.next().is_some() {
        // Not confirmed against AWS; two headers cannot both be checked.
        return Err(AuthError::incomplete(
            "Request has more than one Authorization header.",
        ));
    }
    first
        .to_str()
        .map_err(|_| AuthError::incomplete("Authorization header is not valid ASCII text."))
}

fn has_query_auth(query: &str) -> bool {
    query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        key == "X-Amz-Algorithm"
    })
}

/// The first value of a header, if present, non-empty and visible ASCII.
fn first_header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn bad_date(raw: &str) -> AuthError {
    AuthError::incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{raw}'. \
         See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// The payload hash for the canonical request.
///
/// AWS SDKs for JSON services hash the body themselves; some also send it as
/// `x-amz-content-sha256`. A hex value there must match the body. The value
/// `UNSIGNED-PAYLOAD` is taken literally, as S3 does: the body is then not
/// covered by the signature, which is the client's choice. Any other value
/// (e.g. the streaming forms) is ignored, so such a request fails as a
/// signature mismatch.
fn payload_hash(headers: &HeaderMap, body: &[u8]) -> Result<PayloadHash, AuthError> {
    let declared = headers
        .get(X_AMZ_CONTENT_SHA256)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match declared {
        Some(UNSIGNED_PAYLOAD) => Ok(PayloadHash::Unsigned),
        Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            let actual = sha256_hex(body);
            if hash.eq_ignore_ascii_case(&actual) {
                Ok(PayloadHash::Body(actual))
            } else {
                Err(AuthError::invalid(MSG_CONTENT_SHA256_MISMATCH))
            }
        }
        _ => Ok(PayloadHash::Body(sha256_hex(body))),
    }
}

/// The last line of the canonical request.
enum PayloadHash {
    Body(Hex64),
    Unsigned,
}

impl PayloadHash {
    fn as_str(&self) -> &str {
        match self {
            PayloadHash::Body(hash) => hash,
            PayloadHash::Unsigned => UNSIGNED_PAYLOAD,
        }
    }
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use http::HeaderValue;

    use super::*;
    use crate::signing::signing_key;
    use crate::signing::{signature, string_to_sign};
    use crate::{Credential, SecretKey};

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn keys() -> HashMap<String, Arc<Credential>> {
        let mut keys = HashMap::new();
        keys.insert(
            "AKIDEXAMPLE".to_string(),
            Arc::new(Credential {
                secret_key: SecretKey::new(SECRET),
                account_id: "111122223333".to_string(),
            }),
        );
        keys
    }

    const NOW_2015: u64 = 1_440_938_160 + 60;

    /// Headers of `GET /` sent with `Date` (not `X-Amz-Date`), signed with `secret`.
    fn date_signed_headers(secret: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
        headers.insert(
            "date",
            HeaderValue::from_static("Sun, 30 Aug 2015 12:36:00 GMT"),
        );
        let creq = format!(
            "GET\n/\n\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nhost:example.amazonaws.com\n\n\
             date;host\n{EMPTY}"
        );
        let scope = "20150830/us-east-1/service/aws4_request";
        let sts = string_to_sign("20150830T123600Z", scope, creq.as_bytes());
        let key = signing_key(&SecretKey::new(secret), "20150830", "us-east-1", "service");
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, SignedHeaders=date;host, \
                 Signature={}",
                signature(&key, &sts)
            ))
            .unwrap(),
        );
        headers
    }

    fn get_root(headers: &HeaderMap) -> SignedRequest<'_> {
        SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers,
            body: b"",
        }
    }

    /// A client that sends `Date` instead of `X-Amz-Date` signs `date`, and
    /// the string to sign still carries the ISO 8601 basic timestamp.
    #[test]
    fn date_header_is_accepted_in_place_of_x_amz_date() {
        let headers = date_signed_headers(SECRET);
        let now = UNIX_EPOCH + Duration::from_secs(NOW_2015);
        let identity = Verifier::new("service")
            .verify(&get_root(&headers), &keys(), now)
            .unwrap();
        assert_eq!(identity.account_id, "111122223333");
    }

    #[test]
    fn signing_keys_are_cached_only_once_a_signature_verified() {
        let verifier = Verifier::new("service");
        let now = UNIX_EPOCH + Duration::from_secs(NOW_2015);
        let forged = date_signed_headers("not the secret");
        let err = verifier
            .verify(&get_root(&forged), &keys(), now)
            .unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        assert_eq!(verifier.keys.len(), 0, "a forged signature fills no entry");

        let creds = keys();
        let scope =
            CredentialScope::parse("AKIDEXAMPLE/20150830/us-east-1/service/aws4_request").unwrap();
        let genuine = date_signed_headers(SECRET);
        verifier.verify(&get_root(&genuine), &creds, now).unwrap();
        let (_, cached) = verifier.keys.key(&scope, &creds["AKIDEXAMPLE"]);
        assert!(cached, "the verified key is served from the cache");
        // A clone (every request path holds one) shares the cache.
        verifier
            .clone()
            .verify(&get_root(&genuine), &creds, now)
            .unwrap();
        assert_eq!(verifier.keys.len(), 1);
        // The cached key does not make a forged signature pass.
        let err = verifier
            .verify(&get_root(&forged), &keys(), now)
            .unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
    }

    #[test]
    fn a_replaced_secret_is_never_verified_with_the_old_key() {
        let verifier = Verifier::new("service");
        let now = UNIX_EPOCH + Duration::from_secs(NOW_2015);
        let old = keys();
        let signed_with_old = date_signed_headers(SECRET);
        verifier
            .verify(&get_root(&signed_with_old), &old, now)
            .unwrap();

        let mut new = HashMap::new();
        new.insert(
            "AKIDEXAMPLE".to_string(),
            Arc::new(Credential {
                secret_key: SecretKey::new("a new secret"),
                account_id: "111122223333".to_string(),
            }),
        );
        let err = verifier
            .verify(&get_root(&signed_with_old), &new, now)
            .unwrap_err();
        assert_eq!(err.code(), "InvalidSignatureException");
        let signed_with_new = date_signed_headers("a new secret");
        verifier
            .verify(&get_root(&signed_with_new), &new, now)
            .unwrap();
    }

    #[test]
    fn payload_hash_follows_x_amz_content_sha256() {
        let mut headers = HeaderMap::new();
        assert_eq!(payload_hash(&headers, b"").unwrap().as_str(), EMPTY);

        headers.insert(X_AMZ_CONTENT_SHA256, HeaderValue::from_static(EMPTY));
        assert_eq!(payload_hash(&headers, b"").unwrap().as_str(), EMPTY);
        let Err(err) = payload_hash(&headers, b"x") else {
            panic!("a mismatched hash was accepted");
        };
        assert_eq!(err.code(), "InvalidSignatureException");

        let upper = EMPTY.to_ascii_uppercase();
        headers.insert(X_AMZ_CONTENT_SHA256, HeaderValue::from_str(&upper).unwrap());
        assert_eq!(payload_hash(&headers, b"").unwrap().as_str(), EMPTY);

        headers.insert(
            X_AMZ_CONTENT_SHA256,
            HeaderValue::from_static("UNSIGNED-PAYLOAD"),
        );
        assert_eq!(
            payload_hash(&headers, b"x").unwrap().as_str(),
            "UNSIGNED-PAYLOAD"
        );

        headers.insert(
            X_AMZ_CONTENT_SHA256,
            HeaderValue::from_static("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        );
        assert_eq!(payload_hash(&headers, b"").unwrap().as_str(), EMPTY);
    }

    #[test]
    fn clock_before_the_epoch_does_not_panic() {
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), -5);
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_secs(5)), 5);
    }

    #[test]
    fn query_auth_is_detected_by_parameter_name() {
        assert!(has_query_auth("X-Amz-Algorithm=AWS4-HMAC-SHA256&a=b"));
        assert!(has_query_auth("a=b&X-Amz-Algorithm"));
        assert!(!has_query_auth("x-amz-algorithm=1"));
        assert!(!has_query_auth("a=X-Amz-Algorithm"));
        assert!(!has_query_auth(""));
    }
}
