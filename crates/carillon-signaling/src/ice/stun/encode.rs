//! Writing STUN messages: the two responses the ICE-lite responder sends, and the [`Writer`]
//! they (and the tests' requests) are built with.

use std::net::{IpAddr, SocketAddr};

use hmac::Mac;

use super::{
    attr, fingerprint, integrity_mac, message_type, xor_mask, Class, BINDING, HEADER_LEN,
    INTEGRITY_LEN, MAGIC_COOKIE,
};

/// The ERROR-CODE values the responder sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A request we cannot process, e.g. without MESSAGE-INTEGRITY.
    BadRequest,
    /// A request whose MESSAGE-INTEGRITY does not verify.
    Unauthorized,
    /// The peer claims the controlled role, which an ICE-lite agent always has (RFC 8445 §7.3.1.1).
    RoleConflict,
}

impl ErrorCode {
    pub fn code(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::RoleConflict => 487,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Self::BadRequest => "Bad Request",
            Self::Unauthorized => "Unauthorized",
            Self::RoleConflict => "Role Conflict",
        }
    }
}

/// Writes a Binding success response into `out` (replacing its contents): XOR-MAPPED-ADDRESS
/// `mapped`, MESSAGE-INTEGRITY keyed with `key` (our short-term password), FINGERPRINT.
///
/// An IPv4-mapped IPv6 address (what a dual-stack socket reports for an IPv4 peer) is written as
/// the IPv4 address it stands for: that is the address the peer knows itself by.
pub fn binding_success(
    out: &mut Vec<u8>,
    transaction_id: &[u8; 12],
    mapped: SocketAddr,
    key: &[u8],
) {
    binding_success_with_software(out, transaction_id, mapped, key, None);
}

/// [`binding_success`] with a SOFTWARE attribute first, padded with `padding` bytes; for
/// reproducing published test vectors, which pad with spaces.
pub(crate) fn binding_success_with_software(
    out: &mut Vec<u8>,
    transaction_id: &[u8; 12],
    mapped: SocketAddr,
    key: &[u8],
    software: Option<(&[u8], u8)>,
) {
    let mut writer = Writer::new(out, message_type(BINDING, Class::Success), transaction_id);
    if let Some((software, padding)) = software {
        writer.padding = padding;
        writer.attribute(attr::SOFTWARE, software);
        writer.padding = 0;
    }
    let (value, len) = xor_mapped_address(mapped, transaction_id);
    writer.attribute(attr::XOR_MAPPED_ADDRESS, &value[..len]);
    writer.integrity(key);
    writer.fingerprint();
}

/// Writes a Binding error response into `out` (replacing its contents): ERROR-CODE, then
/// MESSAGE-INTEGRITY if `key` is given (only when the request was authenticated: RFC 8489 §9.1.3
/// forbids it in the response to a request that failed the check), then FINGERPRINT.
pub fn binding_error(
    out: &mut Vec<u8>,
    transaction_id: &[u8; 12],
    error: ErrorCode,
    key: Option<&[u8]>,
) {
    let mut writer = Writer::new(out, message_type(BINDING, Class::Error), transaction_id);
    let code = error.code();
    let reason = error.reason().as_bytes();
    let mut value = [0; 4 + 16];
    // Class (hundreds) in the low 3 bits of byte 2, the rest in byte 3.
    value[2] = (code / 100) as u8;
    value[3] = (code % 100) as u8;
    value[4..4 + reason.len()].copy_from_slice(reason);
    writer.attribute(attr::ERROR_CODE, &value[..4 + reason.len()]);
    if let Some(key) = key {
        writer.integrity(key);
    }
    writer.fingerprint();
}

/// An XOR-MAPPED-ADDRESS value and how many of its bytes are used (8 for IPv4, 20 for IPv6).
fn xor_mapped_address(mapped: SocketAddr, transaction_id: &[u8; 12]) -> ([u8; 20], usize) {
    let mut value = [0; 20];
    let port = mapped.port() ^ (MAGIC_COOKIE >> 16) as u16;
    value[2..4].copy_from_slice(&port.to_be_bytes());
    match mapped.ip().to_canonical() {
        IpAddr::V4(ip) => {
            value[1] = 0x01;
            value[4..8].copy_from_slice(&(u32::from(ip) ^ MAGIC_COOKIE).to_be_bytes());
            (value, 8)
        }
        IpAddr::V6(ip) => {
            value[1] = 0x02;
            for ((out, byte), mask) in value[4..]
                .iter_mut()
                .zip(ip.octets())
                .zip(xor_mask(transaction_id))
            {
                *out = byte ^ mask;
            }
            (value, 20)
        }
    }
}

/// Appends a STUN message to a buffer attribute by attribute, keeping the header's length field
/// up to date after each one.
pub(crate) struct Writer<'a> {
    out: &'a mut Vec<u8>,
    /// The byte attribute values are padded with: 0 normally (RFC 8489 lets it be anything).
    pub(crate) padding: u8,
}

impl<'a> Writer<'a> {
    /// Clears `out` and writes a header.
    pub(crate) fn new(out: &'a mut Vec<u8>, message_type: u16, transaction_id: &[u8; 12]) -> Self {
        out.clear();
        out.extend_from_slice(&message_type.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        out.extend_from_slice(transaction_id);
        Self { out, padding: 0 }
    }

    /// Appends an attribute. Our values are a few dozen bytes; a value longer than an attribute
    /// can hold would be cut at the limit.
    pub(crate) fn attribute(&mut self, ty: u16, value: &[u8]) {
        let value = &value[..value.len().min(0xFFF0)];
        self.out.extend_from_slice(&ty.to_be_bytes());
        self.out
            .extend_from_slice(&(value.len() as u16).to_be_bytes());
        self.out.extend_from_slice(value);
        let padded = self.out.len().next_multiple_of(4);
        self.out.resize(padded, self.padding);
        self.set_length(self.out.len());
    }

    /// Appends MESSAGE-INTEGRITY: the HMAC-SHA1 of everything so far, keyed with `key`.
    pub(crate) fn integrity(&mut self, key: &[u8]) {
        let mac = integrity_mac(key, self.out.as_slice())
            .finalize()
            .into_bytes();
        debug_assert_eq!(mac.len(), INTEGRITY_LEN);
        self.attribute(attr::MESSAGE_INTEGRITY, &mac);
    }

    /// Appends FINGERPRINT, which must be the last attribute.
    pub(crate) fn fingerprint(&mut self) {
        // The CRC covers a header whose length already counts the FINGERPRINT attribute.
        self.set_length(self.out.len() + 8);
        let crc = fingerprint(self.out);
        self.attribute(attr::FINGERPRINT, &crc.to_be_bytes());
    }

    fn set_length(&mut self, total: usize) {
        let length = u16::try_from(total - HEADER_LEN).unwrap_or(u16::MAX);
        self.out[2..4].copy_from_slice(&length.to_be_bytes());
    }
}
