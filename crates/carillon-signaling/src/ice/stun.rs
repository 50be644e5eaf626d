//! STUN messages (RFC 8489, which keeps RFC 5389's wire format), limited to what an ICE-lite
//! agent answering Binding requests needs.
//!
//! [`parse`] reads one datagram without allocating: the [`Message`] borrows the packet, so the
//! USERNAME is a slice of it and [`Message::verify_integrity`] hashes the packet in place. Every
//! length read from the packet is checked before it is used; no input makes it panic, because
//! the input is whatever arrives on a public UDP port.
//!
//! Rules kept from RFC 8489 §14: the first occurrence of an attribute wins; attributes after
//! MESSAGE-INTEGRITY are ignored, except FINGERPRINT, which must be the last attribute.
//! Attributes we do not know are skipped, comprehension-required ones included: answering 420
//! would cut off a browser that adds an extension we have no use for, and the responder only
//! acts on authenticated requests anyway.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use hmac::{Hmac, Mac};
use sha1::Sha1;

mod encode;
#[cfg(test)]
mod tests;

/// For building requests in the responder's tests.
#[cfg(test)]
pub(crate) use encode::Writer;
pub use encode::{binding_error, binding_success, ErrorCode};

/// The fixed value in bytes 4..8 of every STUN message (RFC 8489 §5).
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// Message type, length, cookie, transaction id.
pub const HEADER_LEN: usize = 20;
/// The Binding method, the only one we answer.
pub const BINDING: u16 = 0x001;

/// Attribute types (RFC 8489 §18.3, RFC 8445 §16.1).
pub mod attr {
    pub const USERNAME: u16 = 0x0006;
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    pub const ERROR_CODE: u16 = 0x0009;
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    pub const PRIORITY: u16 = 0x0024;
    pub const USE_CANDIDATE: u16 = 0x0025;
    pub const SOFTWARE: u16 = 0x8022;
    pub const FINGERPRINT: u16 = 0x8028;
    pub const ICE_CONTROLLED: u16 = 0x8029;
    pub const ICE_CONTROLLING: u16 = 0x802A;
}

/// Length of a MESSAGE-INTEGRITY value (an HMAC-SHA1).
const INTEGRITY_LEN: usize = 20;
/// FINGERPRINT is the CRC-32 of the message XOR this, so that it differs from a CRC that another
/// protocol sharing the port might carry (RFC 8489 §14.7).
const FINGERPRINT_XOR: u32 = 0x5354_554E;

/// The class bits of a message type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Request = 0b00,
    Indication = 0b01,
    Success = 0b10,
    Error = 0b11,
}

/// The message type of `method` in `class`: the class bits sit at positions 4 and 8, between
/// the method's bits (RFC 8489 §5).
pub fn message_type(method: u16, class: Class) -> u16 {
    let class = class as u16;
    (method & 0x000F)
        | ((method & 0x0070) << 1)
        | ((method & 0x0F80) << 2)
        | ((class & 0b01) << 4)
        | ((class & 0b10) << 7)
}

fn split_type(message_type: u16) -> (u16, Class) {
    let method =
        (message_type & 0x000F) | ((message_type >> 1) & 0x0070) | ((message_type >> 2) & 0x0F80);
    let class = match ((message_type >> 4) & 0b01) | ((message_type >> 7) & 0b10) {
        0b00 => Class::Request,
        0b01 => Class::Indication,
        0b10 => Class::Success,
        _ => Class::Error,
    };
    (method, class)
}

/// Why a datagram is not a STUN message we can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StunError {
    /// Shorter than the 20-byte header.
    TooShort,
    /// One of the two leading bits is set: another protocol (RFC 7983 demultiplexing).
    NotStun,
    BadMagicCookie,
    /// The length field is not a multiple of 4 or disagrees with the datagram's size.
    BadLength,
    /// An attribute (or its padding) runs past the end of the message.
    TruncatedAttribute,
    /// An attribute we read has a value of the wrong size or content.
    BadAttribute(u16),
    /// FINGERPRINT does not match the message.
    BadFingerprint,
    /// An attribute follows FINGERPRINT.
    AttributeAfterFingerprint,
}

impl fmt::Display for StunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort => f.write_str("shorter than a STUN header"),
            Self::NotStun => f.write_str("leading bits are not zero"),
            Self::BadMagicCookie => f.write_str("wrong magic cookie"),
            Self::BadLength => f.write_str("length field does not match the datagram"),
            Self::TruncatedAttribute => f.write_str("attribute runs past the end"),
            Self::BadAttribute(ty) => write!(f, "malformed attribute 0x{ty:04x}"),
            Self::BadFingerprint => f.write_str("FINGERPRINT does not match"),
            Self::AttributeAfterFingerprint => f.write_str("attribute after FINGERPRINT"),
        }
    }
}

impl std::error::Error for StunError {}

/// A parsed STUN message, borrowing the datagram it was read from.
#[derive(Clone, Debug)]
pub struct Message<'a> {
    pub method: u16,
    pub class: Class,
    pub transaction_id: [u8; 12],
    pub username: Option<&'a [u8]>,
    pub priority: Option<u32>,
    pub use_candidate: bool,
    /// The tie-breaker of an ICE-CONTROLLING attribute.
    pub ice_controlling: Option<u64>,
    /// The tie-breaker of an ICE-CONTROLLED attribute.
    pub ice_controlled: Option<u64>,
    pub xor_mapped_address: Option<SocketAddr>,
    /// The number of an ERROR-CODE attribute (300 to 699).
    pub error_code: Option<u16>,
    /// A FINGERPRINT was present; [`parse`] has checked it.
    pub has_fingerprint: bool,
    integrity_offset: Option<usize>,
    raw: &'a [u8],
}

impl Message<'_> {
    /// Where the MESSAGE-INTEGRITY attribute (its type field) starts in the datagram.
    pub fn integrity_offset(&self) -> Option<usize> {
        self.integrity_offset
    }

    /// Whether MESSAGE-INTEGRITY is present and is the HMAC-SHA1, keyed with `key` (the
    /// short-term password), of the message up to the attribute, with the header's length
    /// counting up to the end of the attribute (RFC 8489 §14.5). The comparison takes the same
    /// time wherever the values differ.
    pub fn verify_integrity(&self, key: &[u8]) -> bool {
        let Some(offset) = self.integrity_offset else {
            return false;
        };
        let (Some(covered), Some(expected)) = (
            self.raw.get(..offset),
            self.raw.get(offset + 4..offset + 4 + INTEGRITY_LEN),
        ) else {
            return false;
        };
        integrity_mac(key, covered).verify_slice(expected).is_ok()
    }
}

/// The HMAC of a message whose attributes end at `covered.len()`, to be followed by a
/// MESSAGE-INTEGRITY attribute: the header is hashed with its length field counting that
/// attribute, whatever it says in `covered`.
fn integrity_mac(key: &[u8], covered: &[u8]) -> Hmac<Sha1> {
    let length = (covered.len() + 4 + INTEGRITY_LEN).saturating_sub(HEADER_LEN);
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(covered.get(..2).unwrap_or_default());
    mac.update(&u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes());
    mac.update(covered.get(4..).unwrap_or_default());
    mac
}

/// FINGERPRINT of the message in `covered`, whose length field already counts the FINGERPRINT
/// attribute that follows.
fn fingerprint(covered: &[u8]) -> u32 {
    crc32fast::hash(covered) ^ FINGERPRINT_XOR
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Reads one STUN message from a datagram (see the module documentation for what is checked).
pub fn parse(packet: &[u8]) -> Result<Message<'_>, StunError> {
    let (Some(message_type), Some(length), Some(cookie), Some(transaction_id)) = (
        be16(packet, 0),
        be16(packet, 2),
        be32(packet, 4),
        packet.get(8..HEADER_LEN),
    ) else {
        return Err(StunError::TooShort);
    };
    if message_type & 0xC000 != 0 {
        return Err(StunError::NotStun);
    }
    if cookie != MAGIC_COOKIE {
        return Err(StunError::BadMagicCookie);
    }
    let length = usize::from(length);
    if length % 4 != 0 || HEADER_LEN + length != packet.len() {
        return Err(StunError::BadLength);
    }
    let (method, class) = split_type(message_type);
    let mut message = Message {
        method,
        class,
        transaction_id: transaction_id.try_into().map_err(|_| StunError::TooShort)?,
        username: None,
        priority: None,
        use_candidate: false,
        ice_controlling: None,
        ice_controlled: None,
        xor_mapped_address: None,
        error_code: None,
        has_fingerprint: false,
        integrity_offset: None,
        raw: packet,
    };
    let mut offset = HEADER_LEN;
    while offset < packet.len() {
        if message.has_fingerprint {
            return Err(StunError::AttributeAfterFingerprint);
        }
        let (Some(ty), Some(len)) = (be16(packet, offset), be16(packet, offset + 2)) else {
            return Err(StunError::TruncatedAttribute);
        };
        let start = offset + 4;
        let len = usize::from(len);
        let value = packet
            .get(start..start + len)
            .ok_or(StunError::TruncatedAttribute)?;
        // Values are padded to a multiple of 4; the padding must be inside the message too.
        let next = start + len.next_multiple_of(4);
        if next > packet.len() {
            return Err(StunError::TruncatedAttribute);
        }
        let bad = StunError::BadAttribute(ty);
        match ty {
            attr::FINGERPRINT => {
                let expected = be32(value, 0).filter(|_| len == 4).ok_or(bad)?;
                if fingerprint(&packet[..offset]) != expected {
                    return Err(StunError::BadFingerprint);
                }
                message.has_fingerprint = true;
            }
            // Only FINGERPRINT may follow MESSAGE-INTEGRITY; anything else there is not covered
            // by the integrity check, so it is not read.
            _ if message.integrity_offset.is_some() => {}
            attr::MESSAGE_INTEGRITY if len != INTEGRITY_LEN => return Err(bad),
            attr::MESSAGE_INTEGRITY => message.integrity_offset = Some(offset),
            attr::USERNAME => {
                message.username.get_or_insert(value);
            }
            attr::PRIORITY => {
                let priority = be32(value, 0).filter(|_| len == 4).ok_or(bad)?;
                message.priority.get_or_insert(priority);
            }
            attr::USE_CANDIDATE if len != 0 => return Err(bad),
            attr::USE_CANDIDATE => message.use_candidate = true,
            attr::ICE_CONTROLLING | attr::ICE_CONTROLLED => {
                let tie_breaker = be64(value, 0).filter(|_| len == 8).ok_or(bad)?;
                let slot = if ty == attr::ICE_CONTROLLING {
                    &mut message.ice_controlling
                } else {
                    &mut message.ice_controlled
                };
                slot.get_or_insert(tie_breaker);
            }
            attr::XOR_MAPPED_ADDRESS => {
                let address = xor_address(value, &message.transaction_id).ok_or(bad)?;
                message.xor_mapped_address.get_or_insert(address);
            }
            attr::ERROR_CODE => {
                let code = error_code(value).ok_or(bad)?;
                message.error_code.get_or_insert(code);
            }
            _ => {}
        }
        offset = next;
    }
    Ok(message)
}

/// Decodes an XOR-MAPPED-ADDRESS value: the port is XORed with the cookie's top half, an IPv4
/// address with the cookie, an IPv6 address with the cookie and the transaction id.
fn xor_address(value: &[u8], transaction_id: &[u8; 12]) -> Option<SocketAddr> {
    let port = be16(value, 2)? ^ (MAGIC_COOKIE >> 16) as u16;
    let ip = match (value.get(1)?, value.len()) {
        (0x01, 8) => IpAddr::V4(Ipv4Addr::from(be32(value, 4)? ^ MAGIC_COOKIE)),
        (0x02, 20) => {
            let mut bytes: [u8; 16] = value.get(4..20)?.try_into().ok()?;
            for (byte, mask) in bytes.iter_mut().zip(xor_mask(transaction_id)) {
                *byte ^= mask;
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The 16 bytes an IPv6 address is XORed with: the magic cookie, then the transaction id.
fn xor_mask(transaction_id: &[u8; 12]) -> [u8; 16] {
    let mut mask = [0; 16];
    mask[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    mask[4..].copy_from_slice(transaction_id);
    mask
}

/// The number of an ERROR-CODE value: class (hundreds) in 3 bits, then the rest, 0..=99.
fn error_code(value: &[u8]) -> Option<u16> {
    let class = u16::from(*value.get(2)? & 0x07);
    let number = u16::from(*value.get(3)?);
    ((3..=6).contains(&class) && number <= 99).then_some(class * 100 + number)
}
