//! Each way a request can fail, with the name, status and message AWS uses.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod common;

use std::time::Duration;

use carillon_sigv4::{Credential, SecretKey, Verifier};
use common::*;
use http::HeaderValue;

const MISMATCH: &str = "The request signature we calculated does not match the signature you \
provided. Check your AWS Secret Access Key and signing method. Consult the service documentation \
for details.";

fn invalid(req: &Received) -> String {
    assert_refused(req.verify(), "InvalidSignatureException", 403)
}

fn incomplete(req: &Received) -> String {
    assert_refused(req.verify(), "IncompleteSignatureException", 400)
}

#[test]
fn no_authorization_header() {
    let mut req = create_attendee();
    req.headers.remove("authorization");
    let msg = assert_refused(req.verify(), "MissingAuthenticationTokenException", 403);
    assert_eq!(msg, "Missing Authentication Token");
}

#[test]
fn wrong_secret() {
    let req = Signer {
        secret: "not-the-secret",
        ..Signer::default()
    }
    .sign("POST", "/meetings", &[], b"{}");
    assert_eq!(invalid(&req), MISMATCH);
}

#[test]
fn unknown_access_key() {
    let req = Signer {
        access_key: "AKIDUNKNOWN",
        ..Signer::default()
    }
    .sign("POST", "/meetings", &[], b"{}");
    let msg = assert_refused(req.verify(), "UnrecognizedClientException", 403);
    assert_eq!(
        msg,
        "The security token included in the request is invalid."
    );
}

#[test]
fn altered_body() {
    let mut req = create_attendee();
    req.body = br#"{"ExternalUserId":"user-2"}"#.to_vec();
    assert_eq!(invalid(&req), MISMATCH);
}

#[test]
fn body_not_matching_x_amz_content_sha256() {
    let mut settings = aws_sigv4::http_request::SigningSettings::default();
    settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
    let mut req = Signer {
        settings,
        ..Signer::default()
    }
    .sign("POST", "/meetings", &[], b"{}");
    req.body = b"{ }".to_vec();
    assert_eq!(
        invalid(&req),
        "The provided 'x-amz-content-sha256' header does not match what was computed."
    );
}

#[test]
fn altered_signed_header() {
    let mut req = create_attendee();
    req.headers
        .insert("content-type", HeaderValue::from_static("text/plain"));
    assert_eq!(invalid(&req), MISMATCH);
}

#[test]
fn signed_header_removed() {
    let mut req = create_attendee();
    req.headers.remove("content-type");
    assert_eq!(invalid(&req), MISMATCH);
}

#[test]
fn altered_path_query_or_method() {
    let base = Signer::default().sign("GET", "/meetings/abc?max-results=10", &[], b"");
    base.verify().unwrap();

    let mut req = base.clone();
    req.path = "/meetings/abd".into();
    assert_eq!(invalid(&req), MISMATCH);

    let mut req = base.clone();
    req.query = "max-results=11".into();
    assert_eq!(invalid(&req), MISMATCH);

    let mut req = base;
    req.method = "DELETE".into();
    assert_eq!(invalid(&req), MISMATCH);
}

#[test]
fn unsigned_extra_header_is_fine() {
    let mut req = create_attendee();
    req.headers
        .insert("x-forwarded-for", HeaderValue::from_static("203.0.113.7"));
    req.headers
        .insert("user-agent", HeaderValue::from_static("something else"));
    req.verify().unwrap();
}

#[test]
fn request_too_old() {
    let req = create_attendee();
    // Exactly at the limit is still fine.
    req.verify_at(minutes(15)).unwrap();
    let msg = assert_refused(req.verify_at(minutes(30)), "InvalidSignatureException", 403);
    assert_eq!(
        msg,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T125100Z \
         (20150830T130600Z - 15 min.)"
    );
}

#[test]
fn request_from_the_future() {
    let req = create_attendee();
    req.verify_at(minutes(-15)).unwrap();
    let msg = assert_refused(
        req.verify_at(minutes(-30)),
        "InvalidSignatureException",
        403,
    );
    assert_eq!(
        msg,
        "Signature not yet current: 20150830T123600Z is still later than 20150830T122100Z \
         (20150830T120600Z + 15 min.)"
    );
}

#[test]
fn skew_is_configurable() {
    let req = create_attendee();
    let strict = Verifier::new("chime").with_max_skew(Duration::from_secs(5 * 60));
    assert_eq!(strict.max_skew(), Duration::from_secs(300));
    req.verify_with(&strict, minutes(5)).unwrap();
    let msg = assert_refused(
        req.verify_with(&strict, minutes(6)),
        "InvalidSignatureException",
        403,
    );
    assert_eq!(
        msg,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z \
         (20150830T124200Z - 5 min.)"
    );
    let odd = Verifier::new("chime").with_max_skew(Duration::from_secs(90));
    let msg = assert_refused(
        req.verify_with(&odd, minutes(2)),
        "InvalidSignatureException",
        403,
    );
    assert!(msg.ends_with("(20150830T123800Z - 90 sec.)"), "{msg}");
}

#[test]
fn wrong_service() {
    let req = Signer {
        service: "chime-sdk-meetings",
        ..Signer::default()
    }
    .sign("GET", "/meetings", &[], b"");
    assert_eq!(
        invalid(&req),
        "Credential should be scoped to correct service: 'chime'. "
    );
    let other = Verifier::new("chime-sdk-meetings");
    assert_eq!(other.service(), "chime-sdk-meetings");
    req.verify_with(&other, t0()).unwrap();
}

#[test]
fn scope_date_not_the_request_date() {
    let mut req = create_attendee();
    let auth = req.authorization().replace("/20150830/", "/20150829/");
    req.set_authorization(&auth);
    assert_eq!(
        invalid(&req),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
         HTTP: '20150829' != '20150830', from '20150830T123600Z'."
    );
}

#[test]
fn scope_terminator() {
    let mut req = create_attendee();
    let auth = req
        .authorization()
        .replace("/aws4_request", "/aws5_request");
    req.set_authorization(&auth);
    assert_eq!(
        invalid(&req),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
    );
}

#[test]
fn host_must_be_signed() {
    let mut req = create_attendee();
    let auth = req.authorization().replace(
        "SignedHeaders=content-type;host;",
        "SignedHeaders=content-type;",
    );
    assert!(!auth.contains(";host;"));
    req.set_authorization(&auth);
    assert_eq!(
        invalid(&req),
        "'Host' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn malformed_authorization_headers() {
    let good = create_attendee();
    let auth = good.authorization();
    let signature = good.signature();
    let credential = auth
        .split("Credential=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    let cases = [
        (
            format!("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature={signature}"),
            "Authorization header requires 'Credential' parameter.",
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential={credential}, Signature={signature}"),
            "Authorization header requires 'SignedHeaders' parameter.",
        ),
        (
            format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date"),
            "Authorization header requires 'Signature' parameter.",
        ),
        (
            "Basic".to_owned(),
            "Authorization header requires 'Credential' parameter. \
             Authorization header requires 'Signature' parameter. \
             Authorization header requires 'SignedHeaders' parameter.",
        ),
        (
            "Bearer eyJhbGciOiJIUzI1NiJ9".to_owned(),
            "Authorization header has a part that is not a valid key=value pair \
             (missing equal-sign).",
        ),
        (
            auth.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
        ),
        (
            auth.replace(&credential, "AKIDEXAMPLE/20150830/us-east-1/chime"),
            "Credential must have exactly 5 slash-delimited elements, \
             e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/chime'",
        ),
    ];
    for (header, want) in cases {
        let mut req = good.clone();
        req.set_authorization(&header);
        let msg = incomplete(&req);
        assert_eq!(msg, want, "{header}");
        assert!(!msg.contains(&signature), "{msg}");
    }
}

#[test]
fn missing_or_bad_date() {
    let mut req = create_attendee();
    req.headers.remove("x-amz-date");
    assert_eq!(
        incomplete(&req),
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    );

    req.headers.insert(
        "x-amz-date",
        HeaderValue::from_static("2015-08-30T12:36:00Z"),
    );
    assert_eq!(
        incomplete(&req),
        "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. \
         See http://en.wikipedia.org/wiki/ISO_8601"
    );

    req.headers.remove("x-amz-date");
    req.headers
        .insert("date", HeaderValue::from_static("yesterday"));
    assert_eq!(
        incomplete(&req),
        "Date must be in ISO-8601 'basic format'. Got 'yesterday'. \
         See http://en.wikipedia.org/wiki/ISO_8601"
    );
}

#[test]
fn presigned_query_authentication() {
    let mut req = create_attendee();
    req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc".into();
    assert_eq!(
        invalid(&req),
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    );
    req.headers.remove("authorization");
    let msg = incomplete(&req);
    assert!(msg.contains("not supported"), "{msg}");
}

#[test]
fn two_authorization_headers() {
    let mut req = create_attendee();
    let auth = req.headers["authorization"].clone();
    req.headers.append("authorization", auth);
    incomplete(&req);
}

#[test]
fn checks_run_in_aws_order() {
    // Expired *and* wrong service *and* unknown key: the clock comes first.
    let req = Signer {
        access_key: "AKIDUNKNOWN",
        service: "s3",
        ..Signer::default()
    }
    .sign("GET", "/meetings", &[], b"");
    let msg = assert_refused(req.verify_at(minutes(60)), "InvalidSignatureException", 403);
    assert!(msg.starts_with("Signature expired"), "{msg}");
    // Then the scope, then the key.
    let msg = assert_refused(req.verify(), "InvalidSignatureException", 403);
    assert!(msg.starts_with("Credential should be scoped"), "{msg}");
}

#[test]
fn debug_output_hides_secrets() {
    let cred = Credential {
        secret_key: SecretKey::new(SECRET),
        account_id: ACCOUNT.into(),
    };
    let shown = format!("{cred:?} {:?} {:?}", cred.secret_key, keys());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("SecretKey(<redacted>)"), "{shown}");
}
