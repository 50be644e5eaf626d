//! A private PostgreSQL instance for one test, which the test may stop and start again without
//! touching the machine's shared server (other tests use that one).
//!
//! The binaries come from `pg_config --bindir` or `/usr/lib/postgresql/*/bin`. `initdb` refuses
//! to run as root, so as root every server-side command runs as the `postgres` user through
//! `runuser`, in a temporary directory owned by that user.

use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// Environment variables libpq and the PostgreSQL tools read; cleared so the caller's
/// environment cannot redirect a command to another server or directory.
const PG_ENV: &[&str] = &[
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGOPTIONS",
    "PGPASSWORD",
    "PGSERVICE",
];

/// One running (or stopped) PostgreSQL instance in a temporary directory. Stopped (immediate
/// mode) and deleted when dropped.
pub struct PrivatePostgres {
    bindir: PathBuf,
    /// Owned by `postgres` when the tests run as root; holds the data directory, the socket and
    /// the logs.
    dir: tempfile::TempDir,
    data: PathBuf,
    port: u16,
    /// Server-side commands run as `postgres` through `runuser`.
    as_postgres: bool,
    /// The database `carillon` on this instance.
    pub url: String,
}

/// Skips the test loudly, or fails it in CI.
fn skip(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("cannot run a private PostgreSQL instance: {why}");
    }
    eprintln!(
        "\n*** {why}: SKIPPING this test, which needs a private PostgreSQL instance \
         (initdb, pg_ctl). ***\n"
    );
}

fn has_server_binaries(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|b| dir.join(b).is_file())
}

/// Where `initdb` and `pg_ctl` are.
fn find_bindir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        if out.status.success() {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if has_server_binaries(&dir) {
                return Some(dir);
            }
        }
    }
    // The newest of the Debian-style installations.
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_server_binaries(&bin).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The first port of the kernel's ephemeral range: ports below it are never handed out to
/// outgoing connections, so the instance can bind its port again after a restart.
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

/// A port that is free now, below the ephemeral range when there is room for it.
fn free_port(attempt: u32) -> u16 {
    let low = ephemeral_low();
    if low > 12_000 {
        let seed = u64::from(std::process::id())
            ^ SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::from(d.subsec_nanos()))
            ^ u64::from(attempt).wrapping_mul(7919);
        for i in 0..50u64 {
            let port = low - 10_000 + ((seed + i * 131) % 9_000) as u16;
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return port;
            }
        }
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free port")
        .port()
}

impl PrivatePostgres {
    /// Initializes and starts an instance with a database `carillon`; `None` (after saying so
    /// loudly) when PostgreSQL's server binaries are not installed.
    ///
    /// # Panics
    /// When the binaries are missing and `CI=true`, or when initializing or starting fails.
    pub fn start() -> Option<PrivatePostgres> {
        let Some(bindir) = find_bindir() else {
            skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed");
            return None;
        };
        let as_postgres = is_root();
        if as_postgres && Command::new("runuser").arg("--help").output().is_err() {
            skip("running as root without runuser, and initdb refuses root");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("carillon-pg-")
            .tempdir()
            .expect("cannot create a temporary directory");
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("cannot run chown");
            assert!(status.success(), "chown -R postgres:postgres failed");
        }
        let data = dir.path().join("data");
        let mut pg = PrivatePostgres {
            bindir,
            data,
            port: 0,
            as_postgres,
            url: String::new(),
            dir,
        };
        pg.run_server_tool(
            "initdb",
            &[
                "-D",
                &pg.data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )
        .unwrap_or_else(|log| panic!("initdb failed:\n{log}"));

        let mut last_failure = String::new();
        for attempt in 0..5 {
            pg.port = free_port(attempt);
            match pg.try_start() {
                Ok(()) => {
                    last_failure.clear();
                    break;
                }
                Err(log) => last_failure = log,
            }
        }
        assert!(
            last_failure.is_empty(),
            "the private PostgreSQL instance did not start:\n{last_failure}"
        );

        let psql = pg.bindir.join("psql");
        let psql = if psql.is_file() {
            psql
        } else {
            PathBuf::from("psql")
        };
        let out = Command::new(psql)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U"])
            .args(["postgres", "-d", "postgres", "-p", &pg.port.to_string()])
            .args(["-c", "CREATE DATABASE carillon"])
            .envs_removed(PG_ENV)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run psql");
        assert!(
            out.status.success(),
            "CREATE DATABASE carillon failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.url = format!("postgres://postgres@127.0.0.1:{}/carillon", pg.port);
        Some(pg)
    }

    /// `pg_ctl stop -m fast`: every session is terminated; returns once the server is down.
    pub fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "-w", "stop"])
            .unwrap_or_else(|log| panic!("pg_ctl stop failed:\n{log}"));
    }

    /// Starts the instance again on the same port; returns once it accepts connections.
    pub fn start_again(&self) {
        self.try_start()
            .unwrap_or_else(|log| panic!("pg_ctl start failed:\n{log}"));
    }

    fn try_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        self.pg_ctl(&["-w", "-t", "60", "-l", &log, "-o", &options, "start"])
            .map_err(|out| format!("{out}\nserver log:\n{}", self.server_log()))
    }

    fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let mut all = vec!["-D".to_owned(), self.data.display().to_string()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        self.run_server_tool("pg_ctl", &all)
    }

    /// Runs one of the server's tools (as `postgres` when root), its output into a file rather
    /// than a pipe: `pg_ctl start` leaves the server running, which must not hold our pipe.
    fn run_server_tool(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bindir.join(tool);
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        let log_path = self.dir.path().join(format!("{tool}.out"));
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("cannot open a command log");
        let status = cmd
            .args(args)
            .current_dir(self.dir.path())
            .envs_removed(PG_ENV)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup"))
            .stderr(log)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        if status.success() {
            Ok(())
        } else {
            let mut text = String::new();
            if let Ok(mut f) = File::open(&log_path) {
                use std::io::Read as _;
                let _ = f.read_to_string(&mut text);
            }
            Err(format!("{tool} {args:?}: {status}\n{text}"))
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        // Immediate: nothing of this instance is kept. Fails harmlessly when already stopped.
        let _ = self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
    }
}

trait EnvsRemoved {
    fn envs_removed(&mut self, keys: &[&str]) -> &mut Self;
}

impl EnvsRemoved for Command {
    fn envs_removed(&mut self, keys: &[&str]) -> &mut Self {
        for key in keys {
            self.env_remove(key);
        }
        self
    }
}
