//! STUN parsing of arbitrary datagrams, as the ICE port receives them.
//!
//! `parse` must not panic, nor must the MESSAGE-INTEGRITY check of what it accepts. Integrity can
//! only verify on a message that has the attribute. When the datagram carries an
//! XOR-MAPPED-ADDRESS, a success response for that address is encoded, and it must read back
//! with the same transaction id and address and verify with the key.

#![no_main]

use carillon_signaling::ice::stun::{self, Class, BINDING};
use libfuzzer_sys::fuzz_target;

/// The password of the RFC 5769 samples.
const KEY: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";

fuzz_target!(|data: &[u8]| {
    let Ok(message) = stun::parse(data) else {
        return;
    };
    let verified = message.verify_integrity(KEY);
    assert!(!verified || message.integrity_offset().is_some());

    let Some(mapped) = message.xor_mapped_address else {
        return;
    };
    let mut out = Vec::new();
    stun::binding_success(&mut out, &message.transaction_id, mapped, KEY);
    let response = stun::parse(&out).expect("our response parses");
    assert_eq!((response.method, response.class), (BINDING, Class::Success));
    assert_eq!(response.transaction_id, message.transaction_id);
    // An IPv4-mapped IPv6 address is written as the IPv4 address.
    let canonical = std::net::SocketAddr::new(mapped.ip().to_canonical(), mapped.port());
    assert_eq!(response.xor_mapped_address, Some(canonical));
    assert!(response.has_fingerprint);
    assert!(response.verify_integrity(KEY));
});
