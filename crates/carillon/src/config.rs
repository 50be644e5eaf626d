//! Command line and environment.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "carillon",
    version,
    about = "A server for the Amazon Chime SDK Meetings API",
    // A later occurrence of a flag overrides an earlier one.
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// `carillon` alone means `carillon serve`.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    #[command(args_override_self = true)]
    Serve(Box<ServeArgs>),
    /// Ask a running server's admin listener: meetings, state files, events, faults, its clock.
    Admin(Box<crate::admin_cli::AdminArgs>),
    /// Print a shell completion script (for example: carillon completions bash >
    /// /etc/bash_completion.d/carillon).
    Completions { shell: clap_complete::Shell },
}

/// What the command line asks for.
pub enum Invocation {
    Serve(Box<ServeArgs>),
    Admin(Box<crate::admin_cli::AdminArgs>),
    Completions(clap_complete::Shell),
}

impl Cli {
    pub fn invocation(self) -> Invocation {
        match self.command {
            Some(Command::Serve(args)) => Invocation::Serve(args),
            Some(Command::Admin(args)) => Invocation::Admin(args),
            Some(Command::Completions { shell }) => Invocation::Completions(shell),
            None => Invocation::Serve(Box::new(self.serve)),
        }
    }

    #[cfg(test)]
    pub fn serve_args(self) -> ServeArgs {
        match self.invocation() {
            Invocation::Serve(args) => *args,
            _ => panic!("not serve"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "CARILLON_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Address of the legacy Amazon Chime meeting API (the `chime` client's meeting
    /// operations), or `off`.
    #[arg(long, env = "CARILLON_LEGACY_LISTEN", default_value = "127.0.0.1:8081")]
    pub legacy_listen: OptionalAddr,

    /// Directory of the embedded database.
    #[arg(long, env = "CARILLON_DATA_DIR", default_value = "./carillon-data")]
    pub data_dir: PathBuf,

    /// Keep everything in PostgreSQL instead of the embedded database:
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE. Several nodes may share one database; its
    /// schema is migrated at start.
    #[arg(
        long,
        env = "CARILLON_STORE_URL",
        hide_env_values = true,
        conflicts_with = "in_memory"
    )]
    pub store_url: Option<Secret>,

    /// PostgreSQL connections this node keeps open at most.
    #[arg(long, env = "CARILLON_STORE_MAX_CONNECTIONS", default_value_t = 16)]
    pub store_max_connections: usize,

    /// Milliseconds a request waits for a PostgreSQL connection before it is answered 503
    /// ServiceUnavailableException.
    #[arg(
        long,
        env = "CARILLON_STORE_ACQUIRE_TIMEOUT_MS",
        default_value_t = 2000
    )]
    pub store_acquire_timeout_ms: u64,

    /// Seconds one PostgreSQL operation may take in all before it is answered 503
    /// ServiceUnavailableException.
    #[arg(
        long,
        env = "CARILLON_STORE_OPERATION_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub store_operation_timeout_secs: u64,

    /// Keep everything in memory (nothing is written to disk; for throwaway runs).
    #[arg(long, env = "CARILLON_IN_MEMORY", conflicts_with = "data_dir")]
    pub in_memory: bool,

    /// Base URL clients use to reach this server; MediaPlacement URLs point here. Defaults to
    /// http://<listen address>.
    #[arg(long, env = "CARILLON_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The key pairs to accept, `ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT_ID`, comma separated.
    /// They replace AWS's example pair, which is accepted only when no credentials are
    /// configured (list it too to keep it).
    #[arg(long, env = "CARILLON_CREDENTIALS", hide_env_values = true)]
    pub credentials: Option<Secret>,

    /// A JSON file of credentials:
    /// {"credentials": [{"access_key_id": "...", "secret_access_key": "...", "account_id": "..."}]}.
    #[arg(long, env = "CARILLON_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,

    /// Replica meetings allowed per primary meeting.
    #[arg(long, env = "CARILLON_MAX_REPLICAS_PER_PRIMARY", default_value_t = 4)]
    pub max_replicas_per_primary: u32,

    /// AWS's API rate quotas and the concurrent-meeting quota: `on` (AWS's defaults, or those of
    /// --quota-file) or `off`.
    #[arg(long, env = "CARILLON_QUOTAS", value_enum, default_value = "on")]
    pub quotas: Switch,

    /// A JSON file of quota overrides, for every account or per account (see the README).
    #[arg(long, env = "CARILLON_QUOTA_FILE")]
    pub quota_file: Option<PathBuf>,

    /// Requests processed at once; beyond it requests are refused with 503
    /// ServiceUnavailableException and Retry-After.
    #[arg(long, env = "CARILLON_MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: usize,

    /// Open connections accepted at once; beyond it new connections wait in the listen backlog.
    #[arg(long, env = "CARILLON_MAX_CONNECTIONS", default_value_t = 16384)]
    pub max_connections: usize,

    /// Seconds a client may take to send a request's headers (also closes idle keep-alive
    /// connections after this long).
    #[arg(long, env = "CARILLON_HEADER_READ_TIMEOUT_SECS", default_value_t = 30)]
    pub header_read_timeout_secs: u64,

    /// Seconds a client may take to send a request's body.
    #[arg(long, env = "CARILLON_BODY_READ_TIMEOUT_SECS", default_value_t = 30)]
    pub body_read_timeout_secs: u64,

    /// Seconds requests in flight get to finish after SIGTERM/SIGINT before the server exits.
    #[arg(long, env = "CARILLON_SHUTDOWN_TIMEOUT_SECS", default_value_t = 10)]
    pub shutdown_timeout_secs: u64,

    /// UDP address of the media port (ICE), which the SDP answers point browsers at (port 0
    /// picks a free port).
    #[arg(long, env = "CARILLON_MEDIA_LISTEN", default_value = "127.0.0.1:3478")]
    pub media_listen: SocketAddr,

    /// IP address put in the SDP answers' ICE candidate: the address browsers reach the media
    /// port at. Default: the --media-listen address, or 127.0.0.1 when that is unspecified
    /// (0.0.0.0).
    #[arg(long, env = "CARILLON_MEDIA_ADVERTISE")]
    pub media_advertise: Option<IpAddr>,

    /// Meeting audio on the media port: `on` (DTLS-SRTP with every browser that joins, and a
    /// mixer per meeting that sends each attendee everyone else) or `off` (ICE only: clients
    /// join and see each other, and hear nothing).
    #[arg(long, env = "CARILLON_AUDIO", value_enum, default_value = "on")]
    pub audio: Switch,

    /// The most of each attendee's audio the mixer may hold before playing it, against network
    /// jitter: a multiple of 20 ms (one Opus frame), up to 200 ms. Each attendee's buffer holds
    /// only what the jitter of its packets needs (nothing on a steady network); packets later
    /// than this allows are concealed instead of waited for.
    #[arg(long, env = "CARILLON_AUDIO_MAX_JITTER_BUFFER", default_value = "100ms", value_parser = parse_jitter_buffer)]
    pub audio_max_jitter_buffer: Duration,

    /// TURN servers the Chime SDK is sent to in JOIN_ACK (`turn:host:3478?transport=udp`,
    /// `turns:host:443?transport=tcp`); repeat, or separate with commas. The SDK then relays
    /// all of its media through them. Needs --turn-secret.
    #[arg(
        long = "turn-uri",
        env = "CARILLON_TURN_URIS",
        value_delimiter = ',',
        requires = "turn_secret"
    )]
    pub turn_uris: Vec<String>,

    /// The TURN servers' shared secret (coturn's `static-auth-secret` with `use-auth-secret`):
    /// each attendee gets a username and password the TURN server checks with it.
    #[arg(long, env = "CARILLON_TURN_SECRET", requires = "turn_uris")]
    pub turn_secret: Option<Secret>,

    /// How long TURN credentials stay valid (the longest a session may need them).
    #[arg(long, env = "CARILLON_TURN_TTL", default_value = "24h", value_parser = parse_duration)]
    pub turn_ttl: Duration,

    /// With --store-url: the URL the other nodes reach this node's --listen address at, to relay
    /// joins of meetings whose sessions live here. Default: http://<listen address>.
    #[arg(long, env = "CARILLON_NODE_URL")]
    pub node_url: Option<String>,

    /// Signaling sessions (WebSockets of joined clients) open at once; beyond it joins are
    /// answered 503 and the SDK retries.
    #[arg(long, env = "CARILLON_MAX_SESSIONS", default_value_t = 20_000)]
    pub max_sessions: usize,

    /// Seconds a joined client may stay silent before its session is closed (the SDK pings every
    /// 10 s).
    #[arg(long, env = "CARILLON_SESSION_IDLE_TIMEOUT_SECS", default_value_t = 45)]
    pub session_idle_timeout_secs: u64,

    /// How long a meeting may have no attendee connected before it ends, counted from its
    /// creation when nobody joins (AWS: 5 minutes). A duration (`300`, `300s`, `5m`, `1500ms`)
    /// or `off`.
    #[arg(long, env = "CARILLON_MEETING_IDLE_TIMEOUT", default_value = "5m")]
    pub meeting_idle_timeout: OptionalDuration,

    /// How long after its creation a meeting ends, connected or not (AWS: 24 hours). A duration
    /// (`86400`, `24h`, `90m`) or `off`.
    #[arg(long, env = "CARILLON_MEETING_MAX_DURATION", default_value = "24h")]
    pub meeting_max_duration: OptionalDuration,

    /// An account's own idle timeout and maximum duration, `ACCOUNT_ID=IDLE/MAX` (for example
    /// `123456789012=30s/off`); repeat the flag (or separate with commas) for several accounts.
    /// Other accounts keep the two settings above.
    #[arg(
        long,
        env = "CARILLON_ACCOUNT_LIFECYCLE",
        value_delimiter = ',',
        value_name = "ACCOUNT_ID=IDLE/MAX"
    )]
    pub account_lifecycle: Vec<AccountLifecycle>,

    /// Let the admin API freeze and advance the server's clock (meetings' lifecycle, presence
    /// and events' times), for tests: `on` or `off`. Needs the admin listener (--admin-token).
    #[arg(long, env = "CARILLON_TIME_CONTROL", value_enum, default_value = "off")]
    pub time_control: Switch,

    /// Log format (logs go to standard error; RUST_LOG sets the level).
    #[arg(long, env = "CARILLON_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub events: crate::events_config::EventArgs,

    #[command(flatten)]
    pub faults: crate::faults_config::FaultArgs,
}

/// A duration, or `off` for none: a whole number with an optional unit, `ms`, `s` (the
/// default), `m` or `h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionalDuration(pub Option<Duration>);

impl std::str::FromStr for OptionalDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(OptionalDuration(None));
        }
        parse_duration(s)
            .map(|d| OptionalDuration(Some(d)))
            .map_err(|e| format!("{e}, or off"))
    }
}

/// A jitter buffer: a duration (see [`parse_duration`], and `0`) in whole 20 ms frames up to
/// 200 ms.
fn parse_jitter_buffer(s: &str) -> Result<Duration, String> {
    let duration = if s.trim() == "0" {
        Duration::ZERO
    } else {
        parse_duration(s)?
    };
    let ms = duration.as_millis();
    if ms % 20 != 0 || ms > 200 {
        return Err(format!(
            "{s}: the jitter buffer is a multiple of 20 ms up to 200 ms (40ms, 60ms, ...)"
        ));
    }
    Ok(duration)
}

/// A duration as people write it: `300` (seconds), `300s`, `5m`, `24h`, `1500ms`; above zero.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let invalid = || format!("{s:?}: expected a duration such as 300, 300s, 5m, 24h or 1500ms");
    let n: u64 = number.parse().map_err(|_| invalid())?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(invalid)?),
        "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(invalid)?),
        _ => return Err(invalid()),
    };
    if duration.is_zero() {
        return Err(format!("{s:?}: a duration must be above zero"));
    }
    Ok(duration)
}

/// One account's lifecycle settings: `ACCOUNT_ID=IDLE/MAX`, each a duration or `off`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLifecycle {
    pub account_id: String,
    pub idle_timeout: OptionalDuration,
    pub max_duration: OptionalDuration,
}

impl std::str::FromStr for AccountLifecycle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid =
            || format!("{s:?}: expected ACCOUNT_ID=IDLE/MAX, such as 123456789012=30s/off");
        let (account_id, rules) = s.split_once('=').ok_or_else(invalid)?;
        let (idle, max) = rules.split_once('/').ok_or_else(invalid)?;
        if !carillon_core::ids::is_account_id(account_id) {
            return Err(format!("{s:?}: an account id is 12 digits"));
        }
        Ok(AccountLifecycle {
            account_id: account_id.to_owned(),
            idle_timeout: idle.parse()?,
            max_duration: max.parse()?,
        })
    }
}

/// A listening address, or `off` for none.
#[derive(Debug, Clone, Copy)]
pub struct OptionalAddr(pub Option<SocketAddr>);

impl std::str::FromStr for OptionalAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("off") {
            Ok(OptionalAddr(None))
        } else {
            s.parse()
                .map(|a| OptionalAddr(Some(a)))
                .map_err(|e| format!("{e}: expected HOST:PORT or off"))
        }
    }
}

/// A setting that holds secrets (a database URL with its password, secret access keys): its
/// `Debug` says that it is set, never what it is, so that printing the settings leaks nothing.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let parse = |s: &str| s.parse::<OptionalDuration>().map(|d| d.0);
        assert_eq!(parse("300"), Ok(Some(Duration::from_secs(300))));
        assert_eq!(parse("300s"), Ok(Some(Duration::from_secs(300))));
        assert_eq!(parse("5m"), Ok(Some(Duration::from_secs(300))));
        assert_eq!(parse("24h"), Ok(Some(Duration::from_secs(86_400))));
        assert_eq!(parse("1500ms"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(parse("off"), Ok(None));
        assert_eq!(parse("OFF"), Ok(None));
        for bad in [
            "",
            "0",
            "0s",
            "5d",
            "-1",
            "1.5s",
            "s",
            "99999999999999999999h",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
        // AWS's rules are the defaults.
        let serve = Cli::parse_from(["carillon"]).serve_args();
        assert_eq!(serve.meeting_idle_timeout.0, Some(Duration::from_secs(300)));
        assert_eq!(
            serve.meeting_max_duration.0,
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn the_jitter_buffer_is_whole_frames() {
        for (text, ms) in [("40ms", 40), ("0", 0), ("200ms", 200), ("20ms", 20)] {
            assert_eq!(
                parse_jitter_buffer(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["30ms", "220ms", "1s", "-20ms", "x"] {
            assert!(parse_jitter_buffer(bad).is_err(), "{bad:?} was accepted");
        }
        let serve = Cli::parse_from(["carillon"]).serve_args();
        assert_eq!(serve.audio_max_jitter_buffer, Duration::from_millis(100));
    }

    #[test]
    fn accounts_have_lifecycles_of_their_own() {
        let serve = Cli::parse_from([
            "carillon",
            "--account-lifecycle",
            "111111111111=30s/off,222222222222=off/2h",
            "--account-lifecycle",
            "333333333333=1m/90m",
        ])
        .serve_args();
        let got: Vec<_> = serve
            .account_lifecycle
            .iter()
            .map(|a| (a.account_id.as_str(), a.idle_timeout.0, a.max_duration.0))
            .collect();
        let (secs, mins) = (Duration::from_secs, |m: u64| Duration::from_secs(m * 60));
        assert_eq!(
            got,
            [
                ("111111111111", Some(secs(30)), None),
                ("222222222222", None, Some(mins(120))),
                ("333333333333", Some(mins(1)), Some(mins(90))),
            ]
        );
        for bad in [
            "111111111111",
            "111111111111=30s",
            "1111=30s/off",
            "111111111111=x/off",
        ] {
            assert!(
                bad.parse::<AccountLifecycle>().is_err(),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn the_settings_print_no_secret() {
        let args = Cli::parse_from([
            "carillon",
            "--store-url",
            "postgres://carillon:hunter2@db:5432/carillon",
            "--credentials",
            "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCY:123456789012",
        ])
        .serve_args();
        assert_eq!(
            args.store_url.as_ref().map(Secret::expose),
            Some("postgres://carillon:hunter2@db:5432/carillon")
        );
        let printed = format!("{args:?}");
        assert!(
            printed.contains("store_url: Some(Secret(<redacted>))"),
            "{printed}"
        );
        for secret in ["hunter2", "wJalrXUtnFEMI", "AKIDEXAMPLE"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }
}
