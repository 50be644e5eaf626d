//! Signaling frames as the WebSocket brings them: arbitrary bytes to `frames::decode`.
//!
//! `decode` must not panic. A frame it accepts is encoded again and decoded again, and must
//! come back the same: fields the server does not declare are dropped by the first decode, so
//! what is re-encoded is exactly what was read, and nothing read may be lost or changed by the
//! way back (the server writes frames it has read, such as data messages it relays).

#![no_main]

use carillon_signaling::frames::{self, FRAME_PREFIX};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((kind, frame)) = frames::decode(data) else {
        return;
    };
    assert_eq!(frame.kind(), Some(kind));
    let encoded = frames::encode(&frame);
    assert_eq!(encoded.first(), Some(&FRAME_PREFIX));
    let again = frames::decode(&encoded).expect("a re-encoded frame decodes");
    assert_eq!(again, (kind, frame));
});
