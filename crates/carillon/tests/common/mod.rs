//! Shared harness of the end-to-end tests: starts the real `carillon` binary on free ports (the
//! current API and the legacy `chime` meeting API), builds official AWS SDK clients pointed at it,
//! and sends raw HTTP/1.1 requests (signed with the official `aws-sigv4` signer, or deliberately
//! unsigned or damaged) to either listener to check wire details.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_chimesdkmeetings::config::retry::RetryConfig;
use aws_sdk_chimesdkmeetings::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_chimesdkmeetings::types::{
    Attendee, AttendeeCapabilities, CreateAttendeeRequestItem, MediaCapabilities, Meeting, Tag,
};
use aws_sdk_chimesdkmeetings::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// AWS's documented example key pair; the server maps it to account 123456789012.
pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const ACCOUNT_ID: &str = "123456789012";

/// A second account, configured on servers started with [`Options::with_second_account`].
pub const SECOND_ACCESS_KEY_ID: &str = "AKIDSECONDACCOUNT0002";
pub const SECOND_SECRET_ACCESS_KEY: &str = "second/secret+key0002";
pub const SECOND_ACCOUNT_ID: &str = "210987654321";

pub const REGION: &str = "us-east-1";
/// The SigV4 signing name of the Chime SDK Meetings API.
pub const SIGNING_NAME: &str = "chime";

const READY_PREFIX: &str = "carillon listening on http://";
/// Printed before [`READY_PREFIX`] when the legacy listener is on.
const LEGACY_READY_PREFIX: &str = "carillon legacy API listening on http://";
/// Printed before [`READY_PREFIX`]: the signaling plane's UDP port.
const MEDIA_READY_PREFIX: &str = "carillon media listening on udp://";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// How to start a server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--data-dir`; `None` means `--in-memory` (unless `store_url` is set).
    pub data_dir: Option<PathBuf>,
    /// `--store-url` (PostgreSQL).
    pub store_url: Option<String>,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

impl Options {
    pub fn in_memory() -> Self {
        Options::default()
    }

    /// A node on this PostgreSQL database.
    pub fn postgres(url: &str) -> Self {
        Options {
            store_url: Some(url.to_owned()),
            ..Options::default()
        }
    }

    pub fn data_dir(dir: &Path) -> Self {
        Options {
            data_dir: Some(dir.to_path_buf()),
            ..Options::default()
        }
    }

    /// Accept the example key pair (account 123456789012) and a second key pair (account
    /// 210987654321).
    pub fn with_second_account(mut self) -> Self {
        self.env.push((
            "CARILLON_CREDENTIALS".into(),
            format!(
                "{ACCESS_KEY_ID}:{SECRET_ACCESS_KEY}:{ACCOUNT_ID},{SECOND_ACCESS_KEY_ID}:{SECOND_SECRET_ACCESS_KEY}:{SECOND_ACCOUNT_ID}"
            ),
        ));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.into());
        self
    }
}

/// Which of the server's two APIs a raw request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `chime-sdk-meetings` 2021-07-15, on `--listen`.
    Current,
    /// The meeting operations of `chime` 2018-05-01, on `--legacy-listen`.
    Legacy,
}

/// An SDK client for `endpoint` (a server, or a load balancer in front of several), retries off.
pub fn sdk_client(endpoint: &str, access_key_id: &str, secret: &str, region: &str) -> Client {
    let config = aws_sdk_chimesdkmeetings::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(access_key_id, secret, None, None, "test"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// A running `carillon` process. Killed when dropped.
pub struct Server {
    child: Mutex<Option<Child>>,
    /// The current API's address.
    pub addr: SocketAddr,
    /// The legacy API's address (`None` if the server did not open that listener).
    pub legacy_addr: Option<SocketAddr>,
    /// The UDP address of the signaling plane's ICE responder.
    pub media_addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

fn parse_ready_addr(line: &str, prefix: &str) -> SocketAddr {
    let addr: SocketAddr = line[prefix.len()..]
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("bad ready line {line:?}: {e}"));
    assert_eq!(addr.ip().to_string(), "127.0.0.1", "{line}");
    assert_ne!(addr.port(), 0, "{line}");
    addr
}

impl Server {
    /// Starts the binary and waits for its ready line.
    pub fn start(options: Options) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_carillon"));
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--legacy-listen",
            "127.0.0.1:0",
            "--media-listen",
            "127.0.0.1:0",
            "--quotas",
            "off",
        ]);
        match (&options.store_url, &options.data_dir) {
            (Some(url), _) => {
                cmd.arg("--store-url").arg(url);
            }
            (None, Some(dir)) => {
                cmd.arg("--data-dir").arg(dir);
            }
            (None, None) => {
                cmd.arg("--in-memory");
            }
        }
        cmd.args(&options.args);
        // The caller's environment must not change what a test starts.
        for (key, _) in std::env::vars() {
            if key.starts_with("CARILLON_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("RUST_LOG", "warn");
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("cannot start the carillon binary");

        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match err_pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sink
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_str(&String::from_utf8_lossy(&buf[..n])),
                }
            }
        });

        let out_pipe = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            // Keep draining stdout after the ready line so the server never blocks on it.
            for line in BufReader::new(out_pipe).lines() {
                let Ok(line) = line else { break };
                if line.starts_with(READY_PREFIX)
                    || line.starts_with(LEGACY_READY_PREFIX)
                    || line.starts_with(MEDIA_READY_PREFIX)
                {
                    let _ = tx.send(line);
                }
            }
        });

        // The legacy line, if any, comes before the main one.
        let deadline = Instant::now() + START_TIMEOUT;
        let mut legacy_addr = None;
        let mut media_addr = None;
        let addr = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(remaining) {
                Ok(line) if line.starts_with(LEGACY_READY_PREFIX) => {
                    legacy_addr = Some(parse_ready_addr(&line, LEGACY_READY_PREFIX));
                }
                Ok(line) if line.starts_with(MEDIA_READY_PREFIX) => {
                    media_addr = Some(parse_ready_addr(&line, MEDIA_READY_PREFIX));
                }
                Ok(line) => break parse_ready_addr(&line, READY_PREFIX),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    std::thread::sleep(Duration::from_millis(100));
                    panic!(
                        "carillon did not print its ready line ({e}); stderr:\n{}",
                        stderr.lock().unwrap_or_else(|e| e.into_inner())
                    );
                }
            }
        };
        if let Some(legacy) = legacy_addr {
            assert_ne!(legacy, addr, "both APIs on one address");
        }
        Server {
            child: Mutex::new(Some(child)),
            addr,
            legacy_addr,
            media_addr: media_addr.expect("the media line comes before the ready line"),
            stderr,
        }
    }

    /// The address of one of the two APIs.
    pub fn addr_of(&self, api: Api) -> SocketAddr {
        match api {
            Api::Current => self.addr,
            Api::Legacy => self
                .legacy_addr
                .expect("the server printed no legacy API ready line"),
        }
    }

    /// The legacy API's base URL.
    pub fn legacy_endpoint(&self) -> String {
        format!("http://{}", self.addr_of(Api::Legacy))
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(Child::id)
    }

    /// What the server wrote on standard error so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Graceful stop: SIGTERM (through `kill -TERM`), then waits for the process to exit.
    pub fn stop(&self) -> ExitStatus {
        let pid = self.pid().expect("the server is still running");
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -TERM failed: {status}");
        self.stop_after_signal(STOP_TIMEOUT)
    }

    /// Waits (at most `within`) for the process to exit after a signal sent by the caller.
    pub fn stop_after_signal(&self, within: Duration) -> ExitStatus {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let mut child = guard.take().expect("the server is still running");
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("cannot wait for the server") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "carillon did not exit within {within:?} of the signal; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Abrupt stop: SIGKILL, as a crash would.
    pub fn kill(&self) {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut child) = guard.take() {
            child.kill().expect("cannot kill the server");
            let _ = child.wait();
        }
    }

    /// A client of the first account, signing for us-east-1.
    pub fn client(&self) -> Client {
        self.client_as(ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION)
    }

    /// A client of the second account (see [`Options::with_second_account`]).
    pub fn second_client(&self) -> Client {
        self.client_as(SECOND_ACCESS_KEY_ID, SECOND_SECRET_ACCESS_KEY, REGION)
    }

    /// A client with the given credentials and signing region. Retries are off so that errors
    /// are seen exactly once (the SDK retries `LimitExceededException`).
    pub fn client_as(&self, access_key_id: &str, secret: &str, region: &str) -> Client {
        sdk_client(&self.endpoint(), access_key_id, secret, region)
    }

    /// Sends a request signed with the first account's key for us-east-1.
    pub async fn signed(&self, method: &str, path_and_query: &str, body: &str) -> RawResponse {
        self.signed_to(Api::Current, method, path_and_query, body)
            .await
    }

    /// [`Server::signed`] to the legacy API.
    pub async fn legacy_signed(
        &self,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> RawResponse {
        self.signed_to(Api::Legacy, method, path_and_query, body)
            .await
    }

    /// Sends a request to one API, signed with the first account's key for us-east-1.
    pub async fn signed_to(
        &self,
        api: Api,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> RawResponse {
        self.signed_as(api, &Signing::default(), method, path_and_query, body)
            .await
    }

    /// Sends a request to one API, signed as `signing` says.
    pub async fn signed_as(
        &self,
        api: Api,
        signing: &Signing,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> RawResponse {
        let req = RawRequest::new(method, path_and_query)
            .json_body(body)
            .sign_for(signing, self.addr_of(api));
        self.send_to(api, &req).await
    }

    /// Sends exactly these bytes' worth of request: no signing.
    pub async fn send(&self, req: &RawRequest) -> RawResponse {
        send_http(self.addr, req).await
    }

    /// [`Server::send`] to the legacy API.
    pub async fn send_legacy(&self, req: &RawRequest) -> RawResponse {
        self.send_to(Api::Legacy, req).await
    }

    /// Sends exactly these bytes' worth of request to one API.
    pub async fn send_to(&self, api: Api, req: &RawRequest) -> RawResponse {
        send_http(self.addr_of(api), req).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut child) = guard.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

static SHARED: Mutex<Weak<Server>> = Mutex::new(Weak::new());

/// One in-memory server (with the second account) shared by the tests of a binary that run at
/// the same time; it stops when the last of them drops its handle.
pub fn shared_server() -> Arc<Server> {
    let mut guard = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(server) = guard.upgrade() {
        return server;
    }
    let server = Arc::new(Server::start(Options::in_memory().with_second_account()));
    *guard = Arc::downgrade(&server);
    server
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------------

/// An HTTP/1.1 request to send as is. `Host`, `Content-Length` and `Connection: close` are added
/// by [`send_http`] unless present.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn new(method: &str, path_and_query: &str) -> Self {
        RawRequest {
            method: method.into(),
            path_and_query: path_and_query.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Sets a JSON body and its content type (nothing for an empty string).
    pub fn json_body(mut self, body: &str) -> Self {
        if !body.is_empty() {
            self.headers
                .push(("content-type".into(), "application/json".into()));
            self.body = body.as_bytes().to_vec();
        }
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Signs the request with `aws-sigv4` (host, content type and date are signed) and returns
    /// it with the `Authorization` and `X-Amz-Date` headers added.
    pub fn sign(self, signing: &Signing, server: &Server) -> Self {
        self.sign_for(signing, server.addr)
    }

    /// [`RawRequest::sign`] for a request to `addr` (the `Host` it signs unless one is set).
    pub fn sign_for(mut self, signing: &Signing, addr: SocketAddr) -> Self {
        let host = addr.to_string();
        if !self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("host"))
        {
            self.headers.push(("host".into(), host.clone()));
        }
        let uri = format!("http://{host}{}", self.path_and_query);
        let identity = aws_credential_types::Credentials::new(
            signing.access_key_id.clone(),
            signing.secret_access_key.clone(),
            signing.session_token.clone(),
            None,
            "test",
        )
        .into();
        let mut settings = aws_sigv4::http_request::SigningSettings::default();
        if let Some(expires_in) = signing.presign {
            settings.signature_location = aws_sigv4::http_request::SignatureLocation::QueryParams;
            settings.expires_in = Some(expires_in);
        }
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&signing.region)
            .name(&signing.service)
            .time(signing.time)
            .settings(settings)
            .build()
            .expect("signing params")
            .into();
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let signable = aws_sigv4::http_request::SignableRequest::new(
            &self.method,
            uri,
            headers.into_iter(),
            aws_sigv4::http_request::SignableBody::Bytes(&self.body),
        )
        .expect("signable request");
        let (instructions, _signature) = aws_sigv4::http_request::sign(signable, &params)
            .expect("signing")
            .into_parts();
        let added: Vec<(String, String)> = instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.headers.extend(added);
        for (name, value) in instructions.params() {
            let sep = if self.path_and_query.contains('?') {
                '&'
            } else {
                '?'
            };
            self.path_and_query
                .push_str(&format!("{sep}{name}={}", percent_encode(value)));
        }
        self
    }
}

/// Percent-encodes everything but the RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Who signs, for which region and service, and when.
#[derive(Debug, Clone)]
pub struct Signing {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
    pub service: String,
    pub time: SystemTime,
    /// Signed as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
    /// Sign in the query string (a presigned URL) valid for this long, instead of a header.
    pub presign: Option<Duration>,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            access_key_id: ACCESS_KEY_ID.into(),
            secret_access_key: SECRET_ACCESS_KEY.into(),
            region: REGION.into(),
            service: SIGNING_NAME.into(),
            time: SystemTime::now(),
            session_token: None,
            presign: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }

    /// Asserts the AWS rest-json error shape: status, `x-amzn-ErrorType`, JSON content type, a
    /// request id in the header and the body, and `Code`/`Message` members. Returns the body.
    pub fn assert_error(&self, status: u16, error_type: &str) -> serde_json::Value {
        assert_eq!(
            (self.status, self.header("x-amzn-ErrorType")),
            (status, Some(error_type)),
            "unexpected response: {self:?} {}",
            self.text()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        let request_id = self
            .header("x-amzn-RequestId")
            .unwrap_or_else(|| panic!("no x-amzn-RequestId: {self:?}"))
            .to_string();
        assert!(!request_id.is_empty());
        let body = self.json();
        assert_eq!(body["RequestId"], request_id.as_str(), "{body}");
        let code = error_type.strip_suffix("Exception").unwrap_or(error_type);
        assert_eq!(body["Code"], code, "{body}");
        assert!(
            body["Message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        body
    }

    pub fn message(&self) -> String {
        self.json()["Message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Writes one HTTP/1.1 request on a fresh connection and reads the whole response.
pub async fn send_http(addr: SocketAddr, req: &RawRequest) -> RawResponse {
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.path_and_query);
    let has = |name: &str| {
        req.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !has("host") {
        head.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has("content-length") {
        head.push_str(&format!("content-length: {}\r\n", req.body.len()));
    }
    head.push_str("connection: close\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("cannot connect to the server");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(&req.body).await.expect("write body");
    stream.flush().await.expect("flush");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("the server did not answer in time")
        .expect("read");
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> RawResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

/// The payload of a chunked body (lenient: stops at the first malformed chunk).
pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        data = &data[end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Values and checks
// ---------------------------------------------------------------------------------------------

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A value unique within this test run: `<prefix>-<pid>-<time>-<n>`, made only of characters
/// every id shape accepts (letters, digits, `-`).
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() % 1_000_000_000)
        .unwrap_or(0);
    format!("{prefix}-{}-{t}-{n}", std::process::id())
}

/// A random-looking GUID that no meeting has (version nibble 4).
pub fn unknown_guid() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let hex = format!("{:016x}{:016x}", t as u64, n ^ 0x5eed_0000_0000);
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Asserts a lower-case GUID (8-4-4-4-12 hex digits).
pub fn assert_guid(id: &str) {
    assert_eq!(id.len(), 36, "not a GUID: {id}");
    for (i, c) in id.chars().enumerate() {
        match i {
            8 | 13 | 18 | 23 => assert_eq!(c, '-', "not a GUID: {id}"),
            _ => assert!(
                c.is_ascii_digit() || ('a'..='f').contains(&c),
                "not a lower-case GUID: {id}"
            ),
        }
    }
}

/// Decodes standard base64 without padding.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Asserts the AWS JoinToken shape: unpadded base64 of `<AttendeeId>:<uuid>`, with no `/`, `+`
/// or `=`.
pub fn assert_join_token(token: &str, attendee_id: &str) {
    assert!(!token.contains(['/', '+', '=']), "JoinToken {token}");
    let raw = base64_decode(token).unwrap_or_else(|| panic!("JoinToken is not base64: {token}"));
    let raw = String::from_utf8(raw).expect("JoinToken decodes to text");
    let (id, random) = raw
        .split_once(':')
        .unwrap_or_else(|| panic!("JoinToken does not decode to <id>:<uuid>: {raw}"));
    assert_eq!(id, attendee_id, "JoinToken names another attendee");
    assert_guid(random);
}

/// Asserts the MediaPlacement of a meeting: URLs point at this server, the signaling URL is
/// `ws://<host:port>/control/<MeetingId>` without a query (clients add their own).
pub fn assert_media_placement(server: &Server, meeting: &Meeting) {
    let id = meeting.meeting_id().expect("MeetingId");
    let placement = meeting.media_placement().expect("MediaPlacement");
    let signaling = placement.signaling_url().expect("SignalingUrl");
    assert_eq!(
        signaling,
        format!("ws://127.0.0.1:{}/control/{id}", server.port())
    );
    assert!(!signaling.contains('?'), "{signaling}");
    for (name, url) in [
        ("AudioHostUrl", placement.audio_host_url()),
        ("AudioFallbackUrl", placement.audio_fallback_url()),
        ("TurnControlUrl", placement.turn_control_url()),
        ("EventIngestionUrl", placement.event_ingestion_url()),
    ] {
        assert!(url.is_some_and(|u| !u.is_empty()), "{name} is empty");
    }
}

pub fn meeting_arn(region: &str, account: &str, meeting_id: &str) -> String {
    format!("arn:aws:chime:{region}:{account}:meeting/{meeting_id}")
}

pub fn caps(
    audio: MediaCapabilities,
    video: MediaCapabilities,
    content: MediaCapabilities,
) -> AttendeeCapabilities {
    AttendeeCapabilities::builder()
        .audio(audio)
        .video(video)
        .content(content)
        .build()
        .expect("all three capabilities are set")
}

pub fn send_receive_all() -> AttendeeCapabilities {
    caps(
        MediaCapabilities::SendReceive,
        MediaCapabilities::SendReceive,
        MediaCapabilities::SendReceive,
    )
}

pub fn item(external_user_id: &str) -> CreateAttendeeRequestItem {
    CreateAttendeeRequestItem::builder()
        .external_user_id(external_user_id)
        .build()
        .expect("ExternalUserId is set")
}

pub fn item_with(
    external_user_id: &str,
    capabilities: AttendeeCapabilities,
) -> CreateAttendeeRequestItem {
    CreateAttendeeRequestItem::builder()
        .external_user_id(external_user_id)
        .capabilities(capabilities)
        .build()
        .expect("ExternalUserId is set")
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .expect("key and value are set")
}

/// Tags as sorted (key, value) pairs.
pub fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = tags
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Creates a meeting in us-east-1 with fresh tokens.
pub async fn create_meeting(client: &Client) -> Meeting {
    client
        .create_meeting()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("ext"))
        .send()
        .await
        .expect("CreateMeeting")
        .meeting
        .expect("CreateMeeting returns a Meeting")
}

pub async fn create_attendee(
    client: &Client,
    meeting_id: &str,
    external_user_id: &str,
) -> Attendee {
    client
        .create_attendee()
        .meeting_id(meeting_id)
        .external_user_id(external_user_id)
        .send()
        .await
        .expect("CreateAttendee")
        .attendee
        .expect("CreateAttendee returns an Attendee")
}

/// A new meeting of `server` with an attendee for each of these ExternalUserIds, in order.
pub async fn meeting_with<const N: usize>(
    server: &Server,
    users: [&str; N],
) -> (Meeting, [Attendee; N]) {
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().expect("a MeetingId").to_owned();
    let mut attendees = Vec::with_capacity(N);
    for user in users {
        attendees.push(create_attendee(&client, &id, user).await);
    }
    let attendees = attendees
        .try_into()
        .unwrap_or_else(|_| unreachable!("one attendee per user"));
    (meeting, attendees)
}

/// Every attendee of a meeting, following NextToken.
pub async fn list_all_attendees(client: &Client, meeting_id: &str) -> Vec<Attendee> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_attendees()
            .meeting_id(meeting_id)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("ListAttendees");
        all.extend(page.attendees().iter().cloned());
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return all,
        }
    }
}

/// Asserts that a call failed with the given modeled error of its operation and returns the
/// operation error.
#[macro_export]
macro_rules! expect_err {
    ($result:expr, $variant:path) => {{
        let err = match $result {
            Ok(out) => panic!("expected {}, got success: {out:?}", stringify!($variant)),
            Err(e) => e.into_service_error(),
        };
        assert!(
            matches!(err, $variant(_)),
            "expected {}, got {err:?}",
            stringify!($variant)
        );
        err
    }};
}
