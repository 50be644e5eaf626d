//! The canonical request, rebuilt from the request as received.
//!
//! This follows what AWS SDKs do for every service but S3:
//! - the path is normalized (`.` and `..` resolved, empty segments dropped)
//!   and each segment is percent-encoded again, so an already-encoded `%20`
//!   becomes `%2520` ("double encoding");
//! - query parameters are decoded, re-encoded with the RFC 3986 unreserved
//!   set, and sorted by name, then value;
//! - each signed header is written as `name:value`, its value trimmed, inner
//!   runs of spaces collapsed and repeated headers joined with `,`.

use http::header::GetAll;
use http::{HeaderMap, HeaderValue};
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`).
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A header named in `SignedHeaders` is not in the request. The client
/// cannot have signed what was received, so this ends as a signature mismatch.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MissingSignedHeader;

/// Builds the canonical request. `signed_headers` are the lower-cased names
/// from the `Authorization` header, in the client's order.
pub(crate) fn canonical_request<S: AsRef<str>>(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    signed_headers: &[S],
    payload_hash: &str,
) -> Result<Vec<u8>, MissingSignedHeader> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(method.as_bytes());
    out.push(b'\n');
    push_canonical_uri(&mut out, raw_path);
    out.push(b'\n');
    if !raw_query.is_empty() {
        out.extend_from_slice(canonical_query(raw_query).as_bytes());
    }
    out.push(b'\n');
    for name in signed_headers {
        let name = name.as_ref();
        let values = headers.get_all(name);
        if values.iter().next().is_none() {
            return Err(MissingSignedHeader);
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        write_header_values(&mut out, values);
        out.push(b'\n');
    }
    out.push(b'\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_ref().as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    Ok(out)
}

/// The raw (still percent-encoded) path, normalized and encoded once more.
#[cfg(test)]
pub(crate) fn canonical_uri(raw_path: &str) -> String {
    let mut out = Vec::new();
    push_canonical_uri(&mut out, raw_path);
    String::from_utf8(out).expect("percent-encoding gives ASCII")
}

/// Appends the canonical form of the raw (still percent-encoded) path: normalized, and each
/// segment encoded once more. A `..` drops the segment written before it.
fn push_canonical_uri(out: &mut Vec<u8>, raw_path: &str) {
    let start = out.len();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                let last = out[start..].iter().rposition(|b| *b == b'/').unwrap_or(0);
                out.truncate(start + last);
            }
            s => {
                out.push(b'/');
                for piece in percent_encode(s.as_bytes(), STRICT) {
                    out.extend_from_slice(piece.as_bytes());
                }
            }
        }
    }
    // A path that names a directory keeps its trailing slash (RFC 3986
    // §5.2.4: "/a/b/", "/a/b/." and "/a/b/.." all end in "/").
    let names_directory = ["/", "/.", "/.."].iter().any(|end| raw_path.ends_with(end));
    if out.len() == start || names_directory {
        out.push(b'/');
    }
}

/// The raw query string (without `?`) in canonical form.
///
/// `+` is read as a space, as `form_urlencoded` does in the official Rust
/// SDK's signer; SDKs themselves never send a bare `+` (they write `%2B`),
/// so this only matters for hand-made requests. A key without `=` gets an
/// empty value.
pub(crate) fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (reencode(key), reencode(value))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

fn reencode(component: &str) -> String {
    let spaced = component.replace('+', " ");
    let decoded: Vec<u8> = percent_decode(spaced.as_bytes()).collect();
    percent_encode(&decoded, STRICT).to_string()
}

fn write_header_values(out: &mut Vec<u8>, values: GetAll<'_, HeaderValue>) {
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        trim_all(out, value.as_bytes());
    }
}

/// Appends `value` without leading/trailing blanks and with each run of
/// spaces reduced to one.
fn trim_all(out: &mut Vec<u8>, value: &[u8]) {
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value
        .iter()
        .position(|b| !is_blank(b))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_blank(b))
        .map_or(start, |i| i + 1);
    let mut previous_space = false;
    for &b in &value[start..end] {
        let space = b == b' ';
        if !(space && previous_space) {
            out.push(b);
        }
        previous_space = space;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_is_normalized_then_encoded_again() {
        for (raw, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/../../a", "/a"),
            ("/a/b/.", "/a/b/"),
            ("/a/b/..", "/a/"),
            ("/meetings/abc/attendees", "/meetings/abc/attendees"),
            ("/example space/", "/example%20space/"),
            ("/ሴ", "/%E1%88%B4"),
            ("/a%20b/c%2Fd", "/a%2520b/c%252Fd"),
            ("/-._~0123456789AZaz", "/-._~0123456789AZaz"),
            (
                "/a:b@c!$&'()*+,;=",
                "/a%3Ab%40c%21%24%26%27%28%29%2A%2B%2C%3B%3D",
            ),
        ] {
            assert_eq!(canonical_uri(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        for (raw, want) in [
            ("", ""),
            ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
            ("Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2"),
            ("b&a=", "a=&b="),
            ("a=1&&b=2&", "a=1&b=2"),
            ("ሴ=bar", "%E1%88%B4=bar"),
            ("k=a%20b", "k=a%20b"),
            ("k=a+b", "k=a%20b"),
            ("k=a%2Bb", "k=a%2Bb"),
            ("k=%2f%7e%41", "k=%2F~A"),
            ("k=a=b", "k=a%3Db"),
            ("next-token=x%2Fy%3D%3D", "next-token=x%2Fy%3D%3D"),
            ("k=%zz", "k=%25zz"),
            ("k=%FF", "k=%FF"),
            ("B=1&a=2", "B=1&a=2"),
        ] {
            assert_eq!(canonical_query(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let mut out = Vec::new();
        trim_all(&mut out, b"  \"a   b   c\"\t ");
        assert_eq!(out, b"\"a b c\"");
        out.clear();
        trim_all(&mut out, b"   ");
        assert_eq!(out, b"");

        let mut headers = HeaderMap::new();
        headers.append("my-header1", HeaderValue::from_static("value2"));
        headers.append("my-header1", HeaderValue::from_static(" value2 "));
        headers.append("my-header1", HeaderValue::from_static("value1"));
        headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
        let signed = vec!["host".to_string(), "my-header1".to_string()];
        let creq = canonical_request("GET", "/", "", &headers, &signed, "hash").unwrap();
        assert_eq!(
            String::from_utf8(creq).unwrap(),
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n\nhost;my-header1\nhash"
        );
    }

    #[test]
    fn a_signed_header_that_is_absent_is_reported() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
        let signed = vec!["host".to_string(), "x-amz-date".to_string()];
        assert_eq!(
            canonical_request("GET", "/", "", &headers, &signed, "hash"),
            Err(MissingSignedHeader)
        );
    }
}
