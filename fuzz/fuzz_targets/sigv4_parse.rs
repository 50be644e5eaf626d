//! SigV4 verification of arbitrary requests: `Authorization` headers (free text, or the
//! `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` form with fuzzed parts),
//! dates, other headers, paths, queries, bodies, clocks and allowed skews.
//!
//! `verify` must not panic; a refusal has one of the four codes with its status and a message;
//! the message never contains the secret key, nor the signature the client sent.

#![no_main]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use carillon_sigv4::{Credential, SecretKey, SignedRequest, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z.
const INSTANT: u64 = 1_440_938_160;

const HEADER_NAMES: &[&str] = &[
    "authorization",
    "x-amz-date",
    "date",
    "host",
    "x-amz-content-sha256",
    "content-type",
    "x-amz-security-token",
];
const ALGORITHMS: &[&str] = &[
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA1",
    "AWS4-ECDSA-P256-SHA256",
    "",
];
const KEYS: &[&str] = &[ACCESS_KEY_ID, "AKIDUNKNOWN", ""];
const DATES: &[&str] = &["20150830", "20150831", "2015083", ""];
const REGIONS: &[&str] = &["us-east-1", "", "eu-west-9"];
const SERVICES: &[&str] = &["service", "chime", ""];
const TERMINATORS: &[&str] = &["aws4_request", "aws4_request/", "aws5_request", ""];
const SIGNED_HEADERS: &[&str] = &[
    "host;x-amz-date",
    "host",
    "x-amz-date",
    "date;host",
    "host;x-amz-date;x-absent",
    "Host;X-Amz-Date",
    "",
];
const AMZ_DATES: &[&str] = &[
    "20150830T123600Z",
    "20150830T125100Z",
    "20150830T122059Z",
    "20150230T123600Z",
    "99991231T235959Z",
    "00000101T000000Z",
    "20150830T123600",
    "",
];
const HTTP_DATES: &[&str] = &[
    "Sun, 30 Aug 2015 12:36:00 GMT",
    "Sun, 30 Aug 2015 12:36:00 UTC",
    "Sun, 31 Feb 2015 12:36:00 GMT",
];
const SIGNATURE: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn pick(u: &mut Unstructured<'_>, table: &[&str]) -> Result<String> {
    if u.ratio(7u8, 8u8)? {
        Ok((*u.choose(table)?).to_owned())
    } else {
        String::arbitrary(u)
    }
}

struct Case {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    now: SystemTime,
    skew: Duration,
    /// The signature value put in a structured header, if one was built.
    signature: Option<String>,
    /// Everything the input spells out, to tell an echo of input from a leak.
    text: String,
}

fn authorization(u: &mut Unstructured<'_>) -> Result<(String, Option<String>)> {
    if u.ratio(1u8, 4u8)? {
        return Ok((String::arbitrary(u)?, None));
    }
    let algorithm = pick(u, ALGORITHMS)?;
    let credential = format!(
        "{}/{}/{}/{}/{}",
        pick(u, KEYS)?,
        pick(u, DATES)?,
        pick(u, REGIONS)?,
        pick(u, SERVICES)?,
        pick(u, TERMINATORS)?
    );
    let signed = pick(u, SIGNED_HEADERS)?;
    let signature = if u.ratio(3u8, 4u8)? {
        SIGNATURE.to_owned()
    } else {
        String::arbitrary(u)?
    };
    let separator = *u.choose(&[", ", ",", " , ", ",,"])?;
    let mut parts = vec![
        format!("Credential={credential}"),
        format!("SignedHeaders={signed}"),
        format!("Signature={signature}"),
    ];
    if u.ratio(1u8, 8u8)? {
        let extra = String::arbitrary(u)?;
        let at = u.int_in_range(0..=parts.len())?;
        parts.insert(at, extra);
    }
    if u.ratio(1u8, 8u8)? {
        let from = u.int_in_range(0..=parts.len() - 1)?;
        parts.remove(from);
    }
    let header = format!("{algorithm} {}", parts.join(separator));
    Ok((header, Some(signature)))
}

fn case(u: &mut Unstructured<'_>) -> Result<Case> {
    let mut headers = HeaderMap::new();
    let mut text = String::new();
    let mut signature = None;
    let add = |headers: &mut HeaderMap, text: &mut String, name: &str, value: &[u8]| {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            text.push_str(&String::from_utf8_lossy(value.as_bytes()));
            headers.append(name, value);
        }
    };
    if u.ratio(15u8, 16u8)? {
        let (value, sig) = authorization(u)?;
        signature = sig;
        add(&mut headers, &mut text, "authorization", value.as_bytes());
    }
    if u.ratio(7u8, 8u8)? {
        let date = pick(u, AMZ_DATES)?;
        add(&mut headers, &mut text, "x-amz-date", date.as_bytes());
    }
    if u.ratio(1u8, 8u8)? {
        let date = pick(u, HTTP_DATES)?;
        add(&mut headers, &mut text, "date", date.as_bytes());
    }
    add(&mut headers, &mut text, "host", b"example.amazonaws.com");
    for _ in 0..u.int_in_range(0..=4)? {
        let name = pick(u, HEADER_NAMES)?;
        let value = Vec::<u8>::arbitrary(u)?;
        add(&mut headers, &mut text, &name, &value);
    }
    let method = pick(u, &["GET", "POST", "PUT", "DELETE"])?;
    let path = pick(u, &["/", "/meetings", "/a/../b/./c//d/", "/%20%2F%FF"])?;
    let query = pick(
        u,
        &[
            "",
            "a=1&b=2",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "k=%FF+%zz",
        ],
    )?;
    let offset = i64::arbitrary(u)? % (1 << 40);
    let now = if offset >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(INSTANT + offset.unsigned_abs()))
    } else {
        UNIX_EPOCH
            .checked_add(Duration::from_secs(INSTANT))
            .and_then(|t| t.checked_sub(Duration::from_secs(offset.unsigned_abs())))
    };
    let now = now.unwrap_or(UNIX_EPOCH);
    let skew = if u.ratio(3u8, 4u8)? {
        Duration::from_secs(15 * 60)
    } else {
        Duration::from_secs(u64::arbitrary(u)?)
    };
    let body = u.bytes(u.len())?.to_vec();
    text.push_str(&method);
    text.push_str(&path);
    text.push_str(&query);
    Ok(Case {
        method,
        path,
        query,
        headers,
        body,
        now,
        skew,
        signature,
        text,
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(case) = case(&mut u) else {
        return;
    };
    let mut keys = HashMap::new();
    keys.insert(
        ACCESS_KEY_ID.to_owned(),
        Arc::new(Credential {
            secret_key: SecretKey::new(SECRET),
            account_id: "111122223333".to_owned(),
        }),
    );
    let request = SignedRequest {
        method: &case.method,
        path: &case.path,
        query: &case.query,
        headers: &case.headers,
        body: &case.body,
    };
    let verifier = Verifier::new("service").with_max_skew(case.skew);
    match verifier.verify(&request, &keys, case.now) {
        Ok(identity) => assert_eq!(identity.account_id, "111122223333"),
        Err(e) => {
            let expected_status = match e.code() {
                "IncompleteSignatureException" => 400,
                "MissingAuthenticationTokenException"
                | "InvalidSignatureException"
                | "UnrecognizedClientException" => 403,
                other => panic!("unexpected code {other}"),
            };
            assert_eq!(e.status(), expected_status, "{e:?}");
            let message = e.to_string();
            assert!(!message.is_empty(), "{e:?} has no message");
            assert!(
                !message.contains(SECRET) || case.text.contains(SECRET),
                "the message shows the secret key: {message}"
            );
            if let Some(signature) = &case.signature {
                // Only a hex signature (arbitrary text can be a piece of any fixed message)
                // that appears nowhere else in the request can be told apart.
                let hex = signature.len() >= 16 && signature.bytes().all(|b| b.is_ascii_hexdigit());
                let elsewhere = case.text.matches(signature.as_str()).count() > 1;
                if hex && !elsewhere {
                    assert!(
                        !message.contains(signature.as_str()),
                        "the message shows the signature: {message}"
                    );
                }
            }
        }
    }
});
