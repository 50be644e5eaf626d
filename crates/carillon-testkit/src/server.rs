//! Starts the real `carillon` binary on free ports (the current API, the legacy `chime` meeting
//! API and the signaling plane's UDP port) and stops or kills it.
//!
//! The server sees none of the caller's `CARILLON_*` variables, whatever the developer's shell
//! or the test command exports: only what [`Options`] says reaches it.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::http::{send_http, RawRequest, RawResponse};
use crate::{ACCESS_KEY_ID, ACCOUNT_ID, SECOND_ACCESS_KEY_ID, SECOND_ACCOUNT_ID};
use crate::{SECOND_SECRET_ACCESS_KEY, SECRET_ACCESS_KEY};

const READY_PREFIX: &str = "carillon listening on http://";
/// Printed before [`READY_PREFIX`] when the legacy listener is on.
const LEGACY_READY_PREFIX: &str = "carillon legacy API listening on http://";
/// Printed before [`READY_PREFIX`]: the signaling plane's UDP port.
const MEDIA_READY_PREFIX: &str = "carillon media listening on udp://";
/// Printed before [`READY_PREFIX`] when the admin listener is on.
const ADMIN_READY_PREFIX: &str = "carillon admin listening on http://";
/// The admin token of a server started with [`Options::admin`].
pub const ADMIN_TOKEN: &str = "test-admin-token";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// How to start a server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The binary; `None` means the one of this build (see [`carillon_binary`]).
    pub binary: Option<PathBuf>,
    /// `--data-dir`; `None` means `--in-memory` (unless `store_url` is set).
    pub data_dir: Option<PathBuf>,
    /// `--store-url` (PostgreSQL).
    pub store_url: Option<String>,
    /// Environment variables passed on purpose (after the caller's `CARILLON_*` are removed).
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

    /// `--meeting-idle-timeout IDLE --meeting-max-duration MAX` (durations or `off`).
    pub fn lifecycle(self, idle: &str, max: &str) -> Self {
        self.arg("--meeting-idle-timeout")
            .arg(idle)
            .arg("--meeting-max-duration")
            .arg(max)
    }

    /// Opens the admin listener (on a free port) with [`ADMIN_TOKEN`].
    pub fn admin(self) -> Self {
        self.arg("--admin-token").arg(ADMIN_TOKEN)
    }

    pub fn binary(mut self, binary: &Path) -> Self {
        self.binary = Some(binary.to_path_buf());
        self
    }
}

/// The `carillon` binary of the build running this test: `<target>/<profile>/carillon`, beside
/// the test executable's `deps` directory. The `carillon` package's integration tests always
/// find it up to date there, since cargo builds a package's binaries before its integration
/// tests (it is the file `CARGO_BIN_EXE_carillon` names). Other packages build it first.
pub fn carillon_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable is in <target>/<profile>/deps");
    profile_dir.join(format!("carillon{}", std::env::consts::EXE_SUFFIX))
}

/// Which of the server's two APIs a raw request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `chime-sdk-meetings` 2021-07-15, on `--listen`.
    Current,
    /// The meeting operations of `chime` 2018-05-01, on `--legacy-listen`.
    Legacy,
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
    /// The admin listener's address, when [`Options::admin`] opened it.
    pub admin_addr: Option<SocketAddr>,
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

/// The command for `options`: every listener on a free loopback port, quotas off, and the
/// environment cleared of `CARILLON_*` but for what `options` passes.
fn command(options: &Options) -> Command {
    let binary = options.binary.clone().unwrap_or_else(carillon_binary);
    assert!(
        binary.is_file(),
        "no carillon binary at {binary:?} (cargo build -p carillon --bin carillon)"
    );
    let mut cmd = Command::new(binary);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--legacy-listen",
        "127.0.0.1:0",
        "--media-listen",
        "127.0.0.1:0",
        "--admin-listen",
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
    // Every setting of the binary has a CARILLON_* variable: none of the caller's may change
    // what a test starts.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CARILLON_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "warn");
    cmd.envs(options.env.iter().map(|(k, v)| (k, v)));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

impl Server {
    /// Starts the binary and waits for its ready line.
    pub fn start(options: Options) -> Server {
        let mut child = command(&options)
            .spawn()
            .expect("cannot start the carillon binary");

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
                    || line.starts_with(ADMIN_READY_PREFIX)
                {
                    let _ = tx.send(line);
                }
            }
        });

        // The legacy and media lines come before the main one.
        let deadline = Instant::now() + START_TIMEOUT;
        let mut legacy_addr = None;
        let mut media_addr = None;
        let mut admin_addr = None;
        let addr = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(remaining) {
                Ok(line) if line.starts_with(LEGACY_READY_PREFIX) => {
                    legacy_addr = Some(parse_ready_addr(&line, LEGACY_READY_PREFIX));
                }
                Ok(line) if line.starts_with(MEDIA_READY_PREFIX) => {
                    media_addr = Some(parse_ready_addr(&line, MEDIA_READY_PREFIX));
                }
                Ok(line) if line.starts_with(ADMIN_READY_PREFIX) => {
                    admin_addr = Some(parse_ready_addr(&line, ADMIN_READY_PREFIX));
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
            admin_addr,
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

    /// `http://<admin address>`; panics when the admin listener is off.
    pub fn admin_url(&self) -> String {
        let addr = self.admin_addr.expect("started with Options::admin()");
        format!("http://{addr}")
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

    /// Sends exactly this request (signed only if it says so) to the current API.
    pub async fn send(&self, req: &RawRequest) -> RawResponse {
        send_http(self.addr, req).await
    }

    /// [`Server::send`] to the legacy API.
    pub async fn send_legacy(&self, req: &RawRequest) -> RawResponse {
        self.send_to(Api::Legacy, req).await
    }

    /// [`Server::send`] to one API.
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
