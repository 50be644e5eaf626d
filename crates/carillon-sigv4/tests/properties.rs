//! Property tests: `verify` never panics on arbitrary `Authorization` headers, dates, clocks,
//! skews and requests; every refusal has one of the four codes, its status and a message that
//! shows neither the secret key nor the signature; and requests signed by the official
//! `aws-sigv4` signer, with arbitrary paths, queries, headers and bodies, verify (and stop
//! verifying when their body changes).
//!
//! Short by default, as part of `cargo test`; set `PROPTEST_CASES` for a longer run, e.g.
//! `PROPTEST_CASES=100000 cargo test --release -p carillon-sigv4 --test properties`.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use carillon_sigv4::{AuthError, SignedRequest, Verifier};
use common::{keys, t0, Signer, ACCESS_KEY, ACCOUNT, SECRET};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};

/// 2015-08-30T12:36:00Z, `t0()`.
const INSTANT: i64 = 1_440_938_160;
const SIGNATURE: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

/// `cases` unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // Failing cases are kept in `tests/properties.regressions` and tried first next time.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    }
}

/// A table entry most of the time, arbitrary text otherwise.
fn pick(table: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        7 => prop::sample::select(table).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// An `Authorization` value: free text, or the SigV4 form with each part fuzzed.
fn authorization() -> impl Strategy<Value = (String, Option<String>)> {
    let structured = (
        pick(&[
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA1",
            "AWS4-ECDSA-P256-SHA256",
            "",
        ]),
        pick(&[ACCESS_KEY, "AKIDUNKNOWN", ""]),
        pick(&["20150830", "20150831", "2015083", ""]),
        pick(&["us-east-1", "", "eu-west-9"]),
        pick(&["chime", "service", ""]),
        pick(&[
            "aws4_request",
            "aws4_request/",
            "aws5_request",
            "",
            "aws4_request/x/y",
        ]),
        pick(&[
            "host;x-amz-date",
            "host",
            "x-amz-date",
            "date;host",
            "host;x-amz-date;x-absent",
            "Host;X-Amz-Date",
            "",
            ";;",
        ]),
        prop_oneof![
            3 => Just(SIGNATURE.to_owned()),
            1 => "[0-9a-f]{0,80}",
            1 => any::<String>(),
        ],
        prop::sample::select(vec![", ", ",", " , ", ",,", " "]),
        prop::option::weighted(0.1, any::<String>()),
        any::<prop::sample::Index>(),
        prop::option::weighted(0.1, any::<prop::sample::Index>()),
    )
        .prop_map(
            |(
                algorithm,
                key,
                date,
                region,
                service,
                terminator,
                signed,
                signature,
                separator,
                extra,
                at,
                drop,
            )| {
                let mut parts = vec![
                    format!("Credential={key}/{date}/{region}/{service}/{terminator}"),
                    format!("SignedHeaders={signed}"),
                    format!("Signature={signature}"),
                ];
                if let Some(extra) = extra {
                    let i = at.index(parts.len() + 1);
                    parts.insert(i, extra);
                }
                if let Some(drop) = drop {
                    let i = drop.index(parts.len());
                    parts.remove(i);
                }
                (
                    format!("{algorithm} {}", parts.join(separator)),
                    Some(signature),
                )
            },
        );
    prop_oneof![
        3 => structured,
        1 => any::<String>().prop_map(|s| (s, None)),
    ]
}

/// A header value as bytes: mostly text, sometimes any bytes (invalid values are dropped).
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => any::<String>().prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..24),
    ]
}

#[derive(Debug)]
struct Case {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    now: i64,
    skew: u64,
    signature: Option<String>,
    /// Everything the request spells out.
    text: String,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::option::weighted(0.95, authorization()),
        prop::option::weighted(
            0.9,
            pick(&[
                "20150830T123600Z",
                "20150830T125100Z",
                "20150830T122059Z",
                "20150230T123600Z",
                "99991231T235959Z",
                "00000101T000000Z",
                "20150830T123600",
            ]),
        ),
        prop::option::weighted(
            0.1,
            pick(&[
                "Sun, 30 Aug 2015 12:36:00 GMT",
                "Sun, 30 Aug 2015 12:36:00 UTC",
                "Sun, 31 Feb 2015 12:36:00 GMT",
            ]),
        ),
        prop::collection::vec(
            (
                pick(&[
                    "authorization",
                    "x-amz-date",
                    "date",
                    "host",
                    "x-amz-content-sha256",
                    "content-type",
                ]),
                header_bytes(),
            ),
            0..4,
        ),
        (
            pick(&["GET", "POST", "PUT", "DELETE"]),
            pick(&["/", "/meetings", "/a/../b/./c//d/", "/%20%2F%FF", ""]),
            pick(&[
                "",
                "a=1&b=2",
                "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                "k=%FF+%zz",
            ]),
            prop::collection::vec(any::<u8>(), 0..32),
        ),
        prop_oneof![
            4 => -1_200i64..1_200,
            1 => any::<i64>().prop_map(|n| n % (1 << 40)),
        ],
        prop_oneof![4 => Just(900u64), 1 => any::<u64>()],
    )
        .prop_map(
            |(auth, amz_date, date, extra, (method, path, query, body), offset, skew)| {
                let mut headers = HeaderMap::new();
                let mut text = String::new();
                let mut add = |name: &str, value: &[u8]| {
                    if let (Ok(name), Ok(value)) = (
                        HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_bytes(value),
                    ) {
                        text.push_str(&String::from_utf8_lossy(value.as_bytes()));
                        headers.append(name, value);
                    }
                };
                let mut signature = None;
                if let Some((value, sig)) = auth {
                    signature = sig;
                    add("authorization", value.as_bytes());
                }
                if let Some(value) = amz_date {
                    add("x-amz-date", value.as_bytes());
                }
                if let Some(value) = date {
                    add("date", value.as_bytes());
                }
                add("host", b"meetings-chime.us-east-1.amazonaws.com");
                for (name, value) in &extra {
                    add(name, value);
                }
                text.push_str(&method);
                text.push_str(&path);
                text.push_str(&query);
                Case {
                    method,
                    path,
                    query,
                    headers,
                    body,
                    now: INSTANT + offset,
                    skew,
                    signature,
                    text,
                }
            },
        )
}

fn check_refusal(e: &AuthError, case: &Case) -> Result<(), TestCaseError> {
    let status = match e.code() {
        "IncompleteSignatureException" => 400,
        "MissingAuthenticationTokenException"
        | "InvalidSignatureException"
        | "UnrecognizedClientException" => 403,
        other => return Err(TestCaseError::fail(format!("unexpected code {other}"))),
    };
    prop_assert_eq!(e.status(), status, "{:?}", e);
    let message = e.to_string();
    prop_assert!(!message.is_empty(), "{:?} has no message", e);
    prop_assert!(
        !message.contains(SECRET) || case.text.contains(SECRET),
        "the message shows the secret key: {}",
        message
    );
    if let Some(signature) = &case.signature {
        // A hex signature that appears nowhere else in the request must not be shown.
        let hex = signature.len() >= 16 && signature.bytes().all(|b| b.is_ascii_hexdigit());
        if hex && case.text.matches(signature.as_str()).count() == 1 {
            prop_assert!(
                !message.contains(signature.as_str()),
                "the message shows the signature: {}",
                message
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Requests the official signer signs
// ---------------------------------------------------------------------------------------------

fn path_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[A-Za-z0-9._~!$&'()*+,;=:@-]{0,10}",
        2 => (any::<char>(), any::<bool>()).prop_map(|(c, lower)| {
            let mut buf = [0u8; 4];
            c.encode_utf8(&mut buf)
                .bytes()
                .map(|b| if lower { format!("%{b:02x}") } else { format!("%{b:02X}") })
                .collect::<String>()
        }),
        1 => prop::sample::select(vec!["", ".", "..", "%2F", "%25", "%2e%2e"]).prop_map(str::to_owned),
    ]
}

/// A query component as an SDK would send it: unreserved characters, valid UTF-8 escapes, `+`.
fn query_component() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[A-Za-z0-9._~-]{1,4}",
            2 => any::<char>().prop_map(|c| {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect::<String>()
            }),
            1 => Just("+".to_owned()),
            1 => Just("%2B".to_owned()),
            1 => Just("=".to_owned()),
        ],
        0..4,
    )
    .prop_map(|pieces| pieces.concat())
}

fn signed_request() -> impl Strategy<Value = (String, String, Vec<(String, String)>, Vec<u8>)> {
    let path = prop::collection::vec(path_segment(), 0..5).prop_map(|segments| {
        let mut path = String::new();
        for s in &segments {
            path.push('/');
            path.push_str(s);
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    });
    let query = prop::collection::vec(
        (
            query_component(),
            prop::option::weighted(0.8, query_component()),
        ),
        0..4,
    )
    .prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    // Values as a server receives them: no blanks at the ends.
    let header = (
        prop::sample::select(vec![
            "content-type",
            "x-amz-meta-a",
            "x-amz-meta-b",
            "x-amz-target",
            "x-amz-user-agent",
        ]),
        "[!-~]([ -~\t]{0,12}[!-~])?",
    )
        .prop_map(|(k, v)| (k.to_owned(), v));
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]).prop_map(str::to_owned),
        (path, query).prop_map(|(p, q)| if q.is_empty() { p } else { format!("{p}?{q}") }),
        prop::collection::vec(header, 0..4),
        prop::collection::vec(any::<u8>(), 0..64),
    )
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn verify_never_panics_and_refusals_are_modeled(case in case()) {
        let request = SignedRequest {
            method: &case.method,
            path: &case.path,
            query: &case.query,
            headers: &case.headers,
            body: &case.body,
        };
        let now = if case.now >= 0 {
            UNIX_EPOCH + Duration::from_secs(case.now.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(case.now.unsigned_abs())
        };
        let verifier = Verifier::new("chime").with_max_skew(Duration::from_secs(case.skew));
        match verifier.verify(&request, &keys(), now) {
            Ok(identity) => prop_assert_eq!(identity.account_id, ACCOUNT),
            Err(e) => check_refusal(&e, &case)?,
        }
    }

    #[test]
    fn what_the_official_signer_signs_verifies(
        (method, target, headers, body) in signed_request(),
        flip in any::<prop::sample::Index>(),
    ) {
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let received = Signer::default().sign(&method, &target, &pairs, &body);
        match received.verify() {
            Ok(identity) => {
                prop_assert_eq!(identity.account_id, ACCOUNT);
                prop_assert_eq!(identity.region, "us-east-1");
            }
            Err(e) => prop_assert!(false, "{} {} {:?}: {} ({})", method, target, headers, e.code(), e),
        }
        // The same request with one byte of its body changed does not.
        if !received.body.is_empty() {
            let mut changed = received.clone();
            let i = flip.index(changed.body.len());
            changed.body[i] ^= 0x01;
            let err = changed.verify().expect_err("a changed body still verifies");
            prop_assert_eq!(err.code(), "InvalidSignatureException");
        }
        // And it never verifies at another time than the one it was signed for, beyond the skew.
        let late = received.verify_at(t0() + Duration::from_secs(16 * 60));
        prop_assert_eq!(late.map_err(|e| e.code()), Err("InvalidSignatureException"));
    }
}
