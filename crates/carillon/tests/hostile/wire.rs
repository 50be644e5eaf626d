//! Byte-exact requests for the hostile-input table: a builder that can produce broken HTTP,
//! signing (with the official `aws-sigv4` signer, or by the SigV4 specification over exact bytes
//! where that signer cannot represent the request), and an exchange over raw TCP that tolerates
//! resets and reports a connection closed without an answer.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{RawRequest, Signing};

/// How long one exchange may take before the row counts as a hang.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a connection may stay silent after the start of a response.
const QUIET: Duration = Duration::from_secs(2);

/// How a request is authenticated.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// Signed with the official `aws-sigv4` signer, with the example key for us-east-1.
    Sdk(Signing),
    /// Signed with the official signer as this `Signing` says: wrong key, time or form.
    BadSdk(Signing),
    /// Signed by the SigV4 specification over the exact bytes of the target (the official signer
    /// reads queries as text and replaces invalid UTF-8, so it cannot sign those).
    Spec,
}

/// The `Content-Length` header.
#[derive(Clone, Debug)]
pub enum Length {
    /// The length of the body sent.
    Auto,
    /// No `Content-Length` header.
    Omit,
    /// This text, whatever the body.
    Value(String),
}

/// A request to send as bytes. Unless told otherwise it is HTTP/1.1 with `Host`,
/// `Content-Length`, `Connection: close`, and signed with the example key for us-east-1.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    /// The request target as the signer sees it.
    pub target: String,
    /// The request target as sent, when it differs from `target`.
    pub raw_target: Option<Vec<u8>>,
    pub version: String,
    /// Headers given to the signer (so signed, except those it never signs).
    pub headers: Vec<(String, String)>,
    /// Raw header lines (without CRLF) added after signing, never signed.
    pub lines: Vec<Vec<u8>>,
    pub body: Vec<u8>,
    /// The body the signer sees, when it differs from the one sent.
    pub signed_body: Option<Vec<u8>>,
    pub length: Length,
    pub close: bool,
    pub host: bool,
    pub auth: Auth,
    /// Shut the sending side once everything is written.
    pub half_close: bool,
    /// Bytes written after the body: a pipelined second request, garbage.
    pub trailer: Vec<u8>,
}

impl Req {
    pub fn new(method: &str, target: &str) -> Self {
        Req {
            method: method.into(),
            target: target.into(),
            raw_target: None,
            version: "HTTP/1.1".into(),
            headers: Vec::new(),
            lines: Vec::new(),
            body: Vec::new(),
            signed_body: None,
            length: Length::Auto,
            close: true,
            host: true,
            auth: Auth::Sdk(Signing::default()),
            half_close: false,
            trailer: Vec::new(),
        }
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self.body = body.into();
        self
    }

    /// Sets or removes the content type.
    pub fn content_type(mut self, value: Option<&str>) -> Self {
        self.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        if let Some(value) = value {
            self.headers.push(("content-type".into(), value.into()));
        }
        self
    }

    pub fn unsigned(mut self) -> Self {
        self.auth = Auth::None;
        self
    }

    pub fn spec_signed(mut self) -> Self {
        self.auth = Auth::Spec;
        self
    }

    pub fn signed_as(mut self, signing: Signing) -> Self {
        self.auth = Auth::BadSdk(signing);
        self
    }

    /// A header that is signed.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A raw header line added after signing.
    pub fn line(mut self, line: impl Into<Vec<u8>>) -> Self {
        self.lines.push(line.into());
        self
    }

    pub fn length(mut self, length: Length) -> Self {
        self.length = length;
        self
    }

    pub fn keep_alive(mut self) -> Self {
        self.close = false;
        self
    }

    pub fn version(mut self, version: &str) -> Self {
        self.version = version.into();
        self
    }

    pub fn raw_target(mut self, target: impl Into<Vec<u8>>) -> Self {
        self.raw_target = Some(target.into());
        self
    }

    pub fn signed_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.signed_body = Some(body.into());
        self
    }

    pub fn no_host(mut self) -> Self {
        self.host = false;
        self
    }

    pub fn half_close(mut self) -> Self {
        self.half_close = true;
        self
    }

    pub fn trailer(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.trailer = bytes.into();
        self
    }

    /// Sends `raw` as a chunked body: no `Content-Length`, `Transfer-Encoding: chunked` (never
    /// signed), and the signature covers `decoded`.
    pub fn chunked(self, raw: impl Into<Vec<u8>>, decoded: impl Into<Vec<u8>>) -> Self {
        self.chunked_as("chunked", raw, decoded)
    }

    /// [`Req::chunked`] with another `Transfer-Encoding` value.
    pub fn chunked_as(
        mut self,
        transfer_encoding: &str,
        raw: impl Into<Vec<u8>>,
        decoded: impl Into<Vec<u8>>,
    ) -> Self {
        self.body = raw.into();
        self.signed_body = Some(decoded.into());
        self.length = Length::Omit;
        self.lines
            .push(format!("transfer-encoding: {transfer_encoding}").into_bytes());
        self
    }

    /// The bytes to send to `addr` now.
    pub fn render(&self, addr: SocketAddr) -> Vec<u8> {
        let mut headers = self.headers.clone();
        headers.insert(0, ("host".into(), addr.to_string()));
        let signed_body = self.signed_body.as_deref().unwrap_or(&self.body);
        let mut target = self.target.clone();
        match &self.auth {
            Auth::None => {}
            Auth::Sdk(signing) | Auth::BadSdk(signing) => {
                let signed = RawRequest {
                    method: self.method.clone(),
                    path_and_query: self.target.clone(),
                    headers,
                    body: signed_body.to_vec(),
                }
                .sign_for(signing, addr);
                headers = signed.headers;
                // A presigned request carries its signature in the query.
                if self.raw_target.is_none() {
                    target = signed.path_and_query;
                }
            }
            Auth::Spec => {
                let target = self.raw_target.as_deref().unwrap_or(self.target.as_bytes());
                let added = spec_sign(&self.method, target, &headers, signed_body);
                headers.extend(added);
            }
        }
        if !self.host {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("host"));
        }

        let mut out = Vec::with_capacity(self.body.len() + 1024);
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.raw_target.as_deref().unwrap_or(target.as_bytes()));
        out.push(b' ');
        out.extend_from_slice(self.version.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        for line in &self.lines {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        match &self.length {
            Length::Auto => {
                out.extend_from_slice(format!("content-length: {}\r\n", self.body.len()).as_bytes())
            }
            Length::Omit => {}
            Length::Value(v) => {
                out.extend_from_slice(format!("content-length: {v}\r\n").as_bytes())
            }
        }
        if self.close {
            out.extend_from_slice(b"connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out.extend_from_slice(&self.trailer);
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Exchange
// ---------------------------------------------------------------------------------------------

/// The first response on a connection.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What came back.
#[derive(Debug)]
pub enum Outcome {
    Reply(Reply),
    /// The connection ended without a byte of response.
    Closed,
    /// Nothing ended within the time limit.
    Hung,
}

/// Writes `bytes` on a fresh connection while reading the answer, until the server closes.
/// Write errors and a reset are tolerated: the server may answer and close before it has read
/// everything. A response on a connection the server keeps open counts as given once nothing
/// more arrives for a while.
pub async fn exchange(addr: SocketAddr, bytes: &[u8], half_close: bool) -> Outcome {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("cannot connect to the server");
    let (mut reader, mut writer) = stream.split();
    let write = async {
        if writer.write_all(bytes).await.is_ok() && half_close {
            let _ = writer.shutdown().await;
        }
    };
    let read = async {
        let deadline = tokio::time::Instant::now() + EXCHANGE_TIMEOUT;
        let mut raw = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // Once something came, a pause means the server keeps the connection open.
            let limit = if raw.is_empty() {
                deadline
            } else {
                deadline.min(tokio::time::Instant::now() + QUIET)
            };
            match tokio::time::timeout_at(limit, reader.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => return Some(raw),
                Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
                Err(_) if raw.is_empty() => return None,
                Err(_) => return Some(raw),
            }
        }
    };
    match tokio::join!(write, read).1 {
        None => Outcome::Hung,
        Some(raw) if raw.is_empty() => Outcome::Closed,
        Some(raw) => Outcome::Reply(parse_reply(&raw)),
    }
}

/// Skips interim (1xx) responses.
fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    if (100..200).contains(&status) && status != 101 {
        return parse_reply(rest);
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = match length {
        _ if chunked => crate::common::dechunk(rest),
        Some(n) => rest[..n.min(rest.len())].to_vec(),
        None => rest.to_vec(),
    };
    Reply {
        status,
        headers,
        body,
    }
}

// ---------------------------------------------------------------------------------------------
// SigV4 by the specification, over exact bytes
// ---------------------------------------------------------------------------------------------

/// Signs with the example key for us-east-1 and `chime`; returns the `x-amz-date` and
/// `authorization` headers to add. Every header in `headers` is signed.
///
/// Canonical URI: the raw path with `.`/`..` and empty segments resolved, each segment
/// percent-encoded once more. Canonical query: each name and value percent-decoded (`+` as a
/// space) to bytes, encoded with the unreserved set, sorted.
pub fn spec_sign(
    method: &str,
    target: &[u8],
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<(String, String)> {
    let signing = Signing::default();
    let now = SystemTime::now();
    let timestamp = amz_date(now);
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    all.push(("x-amz-date".into(), timestamp.clone()));
    let mut names: Vec<String> = all.iter().map(|(k, _)| k.clone()).collect();
    names.sort();
    names.dedup();

    let (path, query) = match target.iter().position(|&b| b == b'?') {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, &b""[..]),
    };
    let mut creq = Vec::new();
    creq.extend_from_slice(method.as_bytes());
    creq.push(b'\n');
    creq.extend_from_slice(canonical_uri(path).as_bytes());
    creq.push(b'\n');
    creq.extend_from_slice(canonical_query(query).as_bytes());
    creq.push(b'\n');
    for name in &names {
        let values: Vec<String> = all
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        creq.extend_from_slice(format!("{name}:{}\n", values.join(",")).as_bytes());
    }
    creq.push(b'\n');
    let signed_headers = names.join(";");
    creq.extend_from_slice(signed_headers.as_bytes());
    creq.push(b'\n');
    creq.extend_from_slice(hex(&sha256(body)).as_bytes());

    let scope = format!(
        "{}/{}/{}/aws4_request",
        &timestamp[..8],
        signing.region,
        signing.service
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        hex(&sha256(&creq))
    );
    let key = aws_sigv4::sign::v4::generate_signing_key(
        &signing.secret_access_key,
        now,
        &signing.region,
        &signing.service,
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes());
    vec![
        ("x-amz-date".into(), timestamp),
        (
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                signing.access_key_id
            ),
        ),
    ]
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~".contains(&b)
}

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn canonical_uri(path: &[u8]) -> String {
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::new();
    for segment in segments {
        out.push('/');
        out.push_str(&encode(segment));
    }
    let directory = [&b"/"[..], b"/.", b"/.."]
        .iter()
        .any(|end| path.ends_with(end));
    if out.is_empty() || directory {
        out.push('/');
    }
    out
}

fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let hex_value = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escaped = (raw[i] == b'%')
            .then(|| Some((hex_value(*raw.get(i + 1)?)?, hex_value(*raw.get(i + 2)?)?)))
            .flatten();
        match escaped {
            Some((hi, lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            None => {
                out.push(if raw[i] == b'+' { b' ' } else { raw[i] });
                i += 1;
            }
        }
    }
    out
}

fn canonical_query(query: &[u8]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (
                encode(&percent_decode(&p[..i])),
                encode(&percent_decode(&p[i + 1..])),
            ),
            None => (encode(&percent_decode(p)), String::new()),
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `YYYYMMDDTHHMMSSZ`.
pub fn amz_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for (k, word) in K.iter().zip(w) {
            let [a, b, c, d, e, f, g, hh] = v;
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(*k)
                .wrapping_add(word);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            v = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
        }
        for (state, add) in h.iter_mut().zip(v) {
            *state = state.wrapping_add(add);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[test]
fn sha256_matches_the_standard_vectors() {
    assert_eq!(
        hex(&sha256(b"")),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex(&sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let long = vec![b'a'; 1_000_000];
    assert_eq!(
        hex(&sha256(&long)),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
}
