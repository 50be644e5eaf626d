//! The RFC 5769 test vectors, round trips, and hostile input.

use std::net::SocketAddr;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::encode::binding_success_with_software;
use super::*;

/// The password of the RFC 5769 samples.
const PASSWORD: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";
const TRANSACTION_ID: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];

/// RFC 5769 §2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME
/// ("evtj:h6vY", padded with spaces), MESSAGE-INTEGRITY and FINGERPRINT.
const SAMPLE_REQUEST: [u8; 108] = [
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
];

/// RFC 5769 §2.2: the success response, SOFTWARE "test vector", 192.0.2.1:32853.
const SAMPLE_IPV4_RESPONSE: [u8; 80] = [
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
];

/// RFC 5769 §2.3: the same with [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const SAMPLE_IPV6_RESPONSE: [u8; 92] = [
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
];

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[test]
fn sample_request_parses_and_verifies() {
    let message = parse(&SAMPLE_REQUEST).unwrap();
    assert_eq!(message.method, BINDING);
    assert_eq!(message.class, Class::Request);
    assert_eq!(message.transaction_id, TRANSACTION_ID);
    assert_eq!(message.username, Some(&b"evtj:h6vY"[..]));
    assert_eq!(message.priority, Some(0x6e00_01ff));
    assert_eq!(message.ice_controlled, Some(0x932f_f9b1_5126_3b36));
    assert_eq!(message.ice_controlling, None);
    assert!(!message.use_candidate);
    assert!(message.has_fingerprint, "parse checked the fingerprint");
    assert_eq!(message.integrity_offset(), Some(76));
    assert!(message.verify_integrity(PASSWORD));
    assert!(!message.verify_integrity(b"VOkJxbRl1RmTxUk/WvJxBu"));
    assert!(!message.verify_integrity(b""));
}

#[test]
fn sample_responses_parse_and_verify() {
    for (bytes, mapped) in [
        (&SAMPLE_IPV4_RESPONSE[..], addr("192.0.2.1:32853")),
        (
            &SAMPLE_IPV6_RESPONSE[..],
            addr("[2001:db8:1234:5678:11:2233:4455:6677]:32853"),
        ),
    ] {
        let message = parse(bytes).unwrap();
        assert_eq!((message.method, message.class), (BINDING, Class::Success));
        assert_eq!(message.transaction_id, TRANSACTION_ID);
        assert_eq!(message.xor_mapped_address, Some(mapped));
        assert!(message.has_fingerprint);
        assert!(message.verify_integrity(PASSWORD));
    }
}

#[test]
fn encoder_reproduces_the_sample_responses() {
    let mut out = Vec::new();
    let software = Some((&b"test vector"[..], b' '));
    binding_success_with_software(
        &mut out,
        &TRANSACTION_ID,
        addr("192.0.2.1:32853"),
        PASSWORD,
        software,
    );
    assert_eq!(out, SAMPLE_IPV4_RESPONSE);
    let mapped = addr("[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    binding_success_with_software(&mut out, &TRANSACTION_ID, mapped, PASSWORD, software);
    assert_eq!(out, SAMPLE_IPV6_RESPONSE);
}

#[test]
fn success_response_round_trips_and_unmaps_ipv4() {
    let mut out = vec![0xAA; 7];
    let mapped = addr("[::ffff:198.51.100.7]:50000");
    binding_success(&mut out, &TRANSACTION_ID, mapped, b"pwd");
    let message = parse(&out).unwrap();
    assert_eq!(message.xor_mapped_address, Some(addr("198.51.100.7:50000")));
    assert!(message.verify_integrity(b"pwd"));
    assert!(message.has_fingerprint);
    assert_eq!(out.len(), HEADER_LEN + 12 + 24 + 8);
}

#[test]
fn error_responses() {
    let mut out = Vec::new();
    for error in [
        ErrorCode::BadRequest,
        ErrorCode::Unauthorized,
        ErrorCode::RoleConflict,
    ] {
        for key in [None, Some(&b"pwd"[..])] {
            binding_error(&mut out, &TRANSACTION_ID, error, key);
            let message = parse(&out).unwrap();
            assert_eq!((message.method, message.class), (BINDING, Class::Error));
            assert_eq!(message.transaction_id, TRANSACTION_ID);
            assert_eq!(message.error_code, Some(error.code()));
            assert!(message.has_fingerprint);
            assert_eq!(message.integrity_offset().is_some(), key.is_some());
            assert_eq!(message.verify_integrity(b"pwd"), key.is_some());
        }
    }
}

#[test]
fn message_type_bits() {
    assert_eq!(message_type(BINDING, Class::Request), 0x0001);
    assert_eq!(message_type(BINDING, Class::Indication), 0x0011);
    assert_eq!(message_type(BINDING, Class::Success), 0x0101);
    assert_eq!(message_type(BINDING, Class::Error), 0x0111);
    for method in [0x000, 0x001, 0x0ABC, 0x0FFF] {
        for class in [
            Class::Request,
            Class::Indication,
            Class::Success,
            Class::Error,
        ] {
            assert_eq!(split_type(message_type(method, class)), (method, class));
        }
    }
}

#[test]
fn header_checks() {
    assert_eq!(parse(&[]).unwrap_err(), StunError::TooShort);
    assert_eq!(
        parse(&SAMPLE_REQUEST[..19]).unwrap_err(),
        StunError::TooShort
    );
    let mut bad = SAMPLE_REQUEST;
    bad[0] |= 0x40;
    assert_eq!(parse(&bad).unwrap_err(), StunError::NotStun);
    let mut bad = SAMPLE_REQUEST;
    bad[5] ^= 1;
    assert_eq!(parse(&bad).unwrap_err(), StunError::BadMagicCookie);
    let mut bad = SAMPLE_REQUEST;
    bad[3] -= 2;
    assert_eq!(parse(&bad).unwrap_err(), StunError::BadLength);
    let mut longer = SAMPLE_REQUEST.to_vec();
    longer.extend_from_slice(&[0; 4]);
    assert_eq!(parse(&longer).unwrap_err(), StunError::BadLength);
}

#[test]
fn attribute_checks() {
    // A flipped bit anywhere after the header breaks the fingerprint (or the structure).
    let mut bad = SAMPLE_REQUEST;
    bad[60] ^= 0x01;
    assert_eq!(parse(&bad).unwrap_err(), StunError::BadFingerprint);
    // A byte flipped inside the HMAC keeps the fingerprint valid once it is recomputed, but not
    // the integrity.
    let mut bad = SAMPLE_REQUEST;
    bad[80] ^= 0x01;
    let crc = fingerprint(&bad[..100]);
    bad[104..].copy_from_slice(&crc.to_be_bytes());
    let message = parse(&bad).unwrap();
    assert!(!message.verify_integrity(PASSWORD));
    // PRIORITY's length is 4: claiming 8 mis-sizes it.
    let mut bad = SAMPLE_REQUEST;
    bad[43] = 8;
    assert_eq!(
        parse(&bad).unwrap_err(),
        StunError::BadAttribute(attr::PRIORITY)
    );
    // An attribute whose length runs past the end.
    let mut bad = SAMPLE_REQUEST;
    bad[23] = 0xF0;
    assert_eq!(parse(&bad).unwrap_err(), StunError::TruncatedAttribute);
    // Anything after FINGERPRINT (even with a FINGERPRINT that counts it).
    let mut longer = SAMPLE_REQUEST.to_vec();
    longer.extend_from_slice(&[0x80, 0x22, 0, 0]);
    longer[3] += 4;
    let crc = fingerprint(&longer[..100]);
    longer[104..108].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(
        parse(&longer).unwrap_err(),
        StunError::AttributeAfterFingerprint
    );
}

#[test]
fn every_truncation_is_refused() {
    for len in 0..SAMPLE_REQUEST.len() {
        assert!(parse(&SAMPLE_REQUEST[..len]).is_err(), "prefix of {len}");
    }
    // With the length field rewritten to match, a cut at an attribute boundary is a valid
    // message, but only dropping FINGERPRINT leaves one whose integrity still verifies.
    for len in (HEADER_LEN..SAMPLE_REQUEST.len()).step_by(4) {
        let mut cut = SAMPLE_REQUEST[..len].to_vec();
        cut[2..4].copy_from_slice(&((len - HEADER_LEN) as u16).to_be_bytes());
        if let Ok(message) = parse(&cut) {
            assert_eq!(
                message.verify_integrity(PASSWORD),
                len == 100,
                "cut at {len}"
            );
        }
    }
}

#[test]
fn random_input_never_panics() {
    let mut rng = StdRng::seed_from_u64(5769);
    let mut packet = Vec::new();
    for round in 0..200_000 {
        packet.clear();
        let len = rng.random_range(0..160);
        packet.extend((0..len).map(|_| rng.random::<u8>()));
        if round % 2 == 1 && len >= HEADER_LEN {
            // A plausible header, so that the attribute walk gets random attributes.
            packet[0] &= 0x01;
            packet[2..4].copy_from_slice(&((len - HEADER_LEN) as u16 & !3).to_be_bytes());
            packet[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
            packet.truncate(HEADER_LEN + (len - HEADER_LEN) / 4 * 4);
        }
        if let Ok(message) = parse(&packet) {
            let _ = message.verify_integrity(PASSWORD);
        }
    }
}

#[test]
fn mutations_of_the_sample_never_panic() {
    let mut rng = StdRng::seed_from_u64(8489);
    for _ in 0..100_000 {
        let mut packet = SAMPLE_REQUEST;
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(HEADER_LEN..packet.len());
            packet[at] = rng.random();
        }
        if let Ok(message) = parse(&packet) {
            let _ = message.verify_integrity(PASSWORD);
        }
    }
}
