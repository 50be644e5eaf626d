//! Key derivation, string to sign and the signature itself.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::ascii::Ascii;
use crate::authz::ALGORITHM;
use crate::credentials::SecretKey;

type HmacSha256 = Hmac<Sha256>;

/// A 32-byte digest in lower-case hex.
pub(crate) type Hex64 = Ascii<64>;

fn hex_of(bytes: &[u8; 32]) -> Hex64 {
    let mut out = [0u8; 64];
    hex::encode_to_slice(bytes, &mut out).expect("64 bytes hold 32 bytes in hex");
    Ascii::new(out)
}

/// Lower-case hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> Hex64 {
    hex_of(&Sha256::digest(data).into())
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub(crate) fn signing_key(
    secret: &SecretKey,
    date: &str,
    region: &str,
    service: &str,
) -> Zeroizing<[u8; 32]> {
    let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret.expose().len()));
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.expose().as_bytes());
    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    let k_region = hmac_sha256(&*k_date, region.as_bytes());
    let k_service = hmac_sha256(&*k_region, service.as_bytes());
    hmac_sha256(&*k_service, b"aws4_request")
}

/// Feeds `sink` the string to sign, `AWS4-HMAC-SHA256\n<timestamp>\n<scope>\n<hex sha256 of the
/// canonical request>`, where the scope is `scope`'s parts joined by `/`. The signature is the
/// HMAC of these bytes, fed in pieces rather than gathered in a string first.
fn write_string_to_sign(
    timestamp: &str,
    scope: [&str; 4],
    canonical_request: &[u8],
    mut sink: impl FnMut(&[u8]),
) {
    sink(ALGORITHM.as_bytes());
    sink(b"\n");
    sink(timestamp.as_bytes());
    sink(b"\n");
    for (i, part) in scope.iter().enumerate() {
        if i > 0 {
            sink(b"/");
        }
        sink(part.as_bytes());
    }
    sink(b"\n");
    sink(sha256_hex(canonical_request).as_bytes());
}

/// The string to sign, as text (what AWS's documentation and test suite show).
#[cfg(test)]
pub(crate) fn string_to_sign(timestamp: &str, scope: &str, canonical_request: &[u8]) -> String {
    let parts: Vec<&str> = scope.splitn(4, '/').collect();
    let scope = [parts[0], parts[1], parts[2], parts[3]];
    let mut out = Vec::new();
    write_string_to_sign(timestamp, scope, canonical_request, |b| {
        out.extend_from_slice(b)
    });
    String::from_utf8(out).expect("the string to sign is text")
}

/// Lower-case hex HMAC of the string to sign under the signing key.
#[cfg(test)]
pub(crate) fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> Hex64 {
    hex_of(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// The signature of a request: the lower-case hex HMAC, under the signing key, of its string to
/// sign (see [`write_string_to_sign`]).
pub(crate) fn sign(
    signing_key: &[u8; 32],
    timestamp: &str,
    scope: [&str; 4],
    canonical_request: &[u8],
) -> Hex64 {
    let mut mac = HmacSha256::new_from_slice(signing_key).expect("HMAC takes any key length");
    write_string_to_sign(timestamp, scope, canonical_request, |b| mac.update(b));
    let digest: Zeroizing<[u8; 32]> = Zeroizing::new(mac.finalize().into_bytes().into());
    hex_of(&digest)
}

/// Compares signatures in time independent of where they differ.
pub(crate) fn signatures_match(expected: &str, provided: &str) -> bool {
    expected.as_bytes().ct_eq(provided.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// AWS General Reference, "Create a signed AWS API request": the IAM
    /// ListUsers example, step by step.
    #[test]
    fn iam_list_users_example() {
        let creq = "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
                    content-type:application/x-www-form-urlencoded; charset=utf-8\n\
                    host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
                    content-type;host;x-amz-date\n\
                    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            sha256_hex(creq.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let sts = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/iam/aws4_request",
            creq.as_bytes(),
        );
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n\
             f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let key = signing_key(&SecretKey::new(SECRET), "20150830", "us-east-1", "iam");
        assert_eq!(
            hex::encode(*key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        assert_eq!(signature(&key, &sts), sig);
        let scope = ["20150830", "us-east-1", "iam", "aws4_request"];
        assert_eq!(sign(&key, "20150830T123600Z", scope, creq.as_bytes()), sig);
    }

    #[test]
    fn empty_body_hash() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn comparison_is_exact() {
        let sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        assert!(signatures_match(sig, sig));
        assert!(!signatures_match(sig, &sig.to_uppercase()));
        assert!(!signatures_match(sig, &sig[..63]));
        assert!(!signatures_match(sig, ""));
    }
}
