//! Requests signed by the official `aws-sigv4` crate verify.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod common;

use aws_sigv4::http_request::{PayloadChecksumKind, SigningSettings};
use common::*;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

#[test]
fn a_chime_call_verifies() {
    let identity = create_attendee().verify().unwrap();
    assert_eq!(identity.access_key_id, ACCESS_KEY);
    assert_eq!(identity.account_id, ACCOUNT);
    assert_eq!(identity.region, "us-east-1");
}

#[test]
fn any_region_is_accepted_and_reported() {
    let req = Signer {
        region: "ap-southeast-9",
        ..Signer::default()
    }
    .sign("GET", "/meetings", &[], b"");
    assert_eq!(req.verify().unwrap().region, "ap-southeast-9");
}

#[test]
fn paths_and_queries_that_need_encoding_verify() {
    let paths = [
        "/",
        "/meetings",
        "/meetings/",
        "/meetings/abc/attendees/def",
        "/a%20b/c%2Fd/%E1%88%B4",
        "/a:b@c!$&'()*+,;=",
        "/x/./y/../z",
        "//double//slashes//",
        "/%25literal%25percent",
        "/-._~",
    ];
    let queries = [
        "",
        "?max-results=10&next-token=abc%2Fdef%2Bghi%3D%3D",
        "?b=2&a=1&a=0",
        "?flag&empty=",
        "?%E1%88%B4=%E1%88%B4",
        "?k=a%20b&k=a%2Bb&k=a%26b",
        "?sp=a+b",
        "?tilde=~&star=%2A&dot=.",
        "?Upper=1&lower=2&_=3",
    ];
    for path in paths {
        for query in queries {
            let target = format!("{path}{query}");
            let req = Signer::default().sign("GET", &target, &[], b"");
            req.verify()
                .unwrap_or_else(|e| panic!("{target}: {} ({e})", e.code()));
        }
    }
}

#[test]
fn bodies_and_methods_verify() {
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
        for body in [
            &b""[..],
            b"{}",
            b"{\"a\":\"\xe1\x88\xb4 \"}",
            &[0u8, 255, 10, 13][..],
        ] {
            let req = Signer::default().sign(method, "/meetings", &[], body);
            req.verify()
                .unwrap_or_else(|e| panic!("{method} {body:?}: {e}"));
        }
    }
}

#[test]
fn header_values_with_odd_spacing_verify() {
    let req = Signer::default().sign(
        "POST",
        "/meetings",
        &[
            ("content-type", "application/json"),
            ("x-custom", "  a   b \t c  "),
            ("x-repeated", "one"),
            ("x-repeated", " two  too "),
            ("x-empty", ""),
        ],
        b"{}",
    );
    req.verify().unwrap();
}

#[test]
fn x_amz_content_sha256_header_verifies() {
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let req = Signer {
        settings,
        ..Signer::default()
    }
    .sign("POST", "/meetings", &[], b"{\"x\":1}");
    assert!(req.headers.contains_key("x-amz-content-sha256"));
    req.verify().unwrap();
}

#[test]
fn unsigned_payload_is_taken_literally() {
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let mut req = Signer {
        settings,
        unsigned_payload: true,
        ..Signer::default()
    }
    .sign("POST", "/meetings", &[], b"{\"x\":1}");
    assert_eq!(req.headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
    req.verify().unwrap();
    // The body is not covered, by the client's choice.
    req.body = b"{\"x\":2}".to_vec();
    req.verify().unwrap();
}

#[test]
fn session_token_is_signed_like_any_header() {
    let req = Signer {
        session_token: Some("FwoGZXIvYXdzEBYaDEXAMPLETOKEN"),
        ..Signer::default()
    }
    .sign("GET", "/meetings", &[], b"");
    assert!(req.authorization().contains("x-amz-security-token"));
    req.verify().unwrap();
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "0", "-", "_", ".", "~", " ", "+", "/", "?", "#", "%", "&", "=", ";", ":",
            "@", "!", "$", "'", "(", ")", "*", ",", "[", "]", "\"", "<", ">", "|", "\\", "^", "`",
            "{", "}", "é", "ሴ", "😀", "..", "%20",
        ];
        let len = 1 + self.next() % 8;
        (0..len).map(|_| self.pick(PIECES)).collect()
    }
}

/// Property: whatever an SDK puts in a path label or a query parameter
/// (encoded as SDKs encode them), the request it signs verifies.
#[test]
fn sdk_encoded_labels_and_parameters_always_verify() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..300 {
        let mut target = String::new();
        for _ in 0..1 + rng.next() % 4 {
            target.push('/');
            target.extend(utf8_percent_encode(&rng.text(), NON_ALPHANUMERIC));
        }
        for i in 0..rng.next() % 4 {
            target.push(if i == 0 { '?' } else { '&' });
            target.extend(utf8_percent_encode(&rng.text(), NON_ALPHANUMERIC));
            target.push('=');
            target.extend(utf8_percent_encode(&rng.text(), NON_ALPHANUMERIC));
        }
        let body = rng.text();
        let req = Signer::default().sign(
            "POST",
            &target,
            &[("content-type", "text/plain")],
            body.as_bytes(),
        );
        req.verify()
            .unwrap_or_else(|e| panic!("round {round}: {target}: {e}"));
    }
}
