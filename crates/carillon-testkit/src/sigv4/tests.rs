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

#[test]
fn sha256_of_the_empty_body() {
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

type Case<'a> = (&'a str, &'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);

/// Cases of AWS's published SigV4 test suite (`aws-sig-v4-test-suite`): key AKIDEXAMPLE,
/// us-east-1, service `service`, 2015-08-30T12:36:00Z, host example.amazonaws.com.
#[test]
fn signatures_match_the_aws_test_suite() {
    let credentials = Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        region: "us-east-1".into(),
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let host = ("Host", "example.amazonaws.com");
    // Name, method, target, headers, signature.
    let cases: Vec<Case> = vec![
        (
            "get-vanilla",
            "GET",
            "/",
            vec![host],
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "get-vanilla-query-order-key",
            "GET",
            "/?Param1=value2&Param1=Value1",
            vec![host],
            "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
        ),
        (
            "get-vanilla-query-order-key-case",
            "GET",
            "/?Param2=value2&Param1=value1",
            vec![host],
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        (
            "get-vanilla-utf8-query",
            "GET",
            "/?ሴ=bar",
            vec![host],
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        ),
        (
            "get-utf8",
            "GET",
            "/ሴ",
            vec![host],
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        ),
        (
            "get-relative-relative",
            "GET",
            "/example1/example2/../..",
            vec![host],
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "get-slashes",
            "GET",
            "//example//",
            vec![host],
            "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
        ),
        (
            "get-space",
            "GET",
            "/example space/",
            vec![host],
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        ),
        (
            "get-header-key-duplicate",
            "GET",
            "/",
            vec![
                host,
                ("My-Header1", "value2"),
                ("My-Header1", "value2"),
                ("My-Header1", "value1"),
            ],
            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        ),
        (
            "get-header-value-trim",
            "GET",
            "/",
            vec![
                host,
                ("My-Header1", " value1"),
                ("My-Header2", "\"a   b   c\""),
            ],
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        ),
    ];
    for (name, method, target, headers, signature) in cases {
        let mut signer = Signer::for_service(credentials.clone(), "service");
        let signed = signer.sign(method, target.as_bytes(), &headers, b"", now);
        assert_eq!(signed.amz_date, "20150830T123600Z");
        assert!(
            signed
                .authorization
                .ends_with(&format!("Signature={signature}")),
            "{name}: {}",
            signed.authorization
        );
    }
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
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    // Twice: the second signature comes from the cached key.
    for _ in 0..2 {
        let headers = [
            ("host", "127.0.0.1:8080"),
            ("content-type", "application/json"),
        ];
        let sig = signer.sign(method, target.as_bytes(), &headers, body, now);
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
        let identity = Verifier::new(SIGNING_NAME)
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
    verify(
        "GET",
        "/tags",
        "arn=arn%3Aaws%3Achime%3A%3A1%3Ameeting%2Fx",
        b"",
        now,
    );
}

#[test]
fn key_is_rederived_when_the_day_changes() {
    let day1 = UNIX_EPOCH + Duration::from_secs(1_440_979_199); // 2015-08-30T23:59:59Z
    let day2 = day1 + Duration::from_secs(1);
    let mut signer = Signer::new(Credentials::default());
    let a = signer.sign("GET", b"/", &[("host", "h")], b"", day1);
    let b = signer.sign("GET", b"/", &[("host", "h")], b"", day2);
    assert!(a.authorization.contains("/20150830/"));
    assert!(b.authorization.contains("/20150831/"));
    verify("GET", "/meetings", "", b"", day1);
    verify("GET", "/meetings", "", b"", day2);
}
