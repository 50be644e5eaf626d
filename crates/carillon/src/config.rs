//! Command line and environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "carillon",
    version,
    about = "A server for the Amazon Chime SDK Meetings API"
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
    Serve(ServeArgs),
}

impl Cli {
    pub fn serve_args(self) -> ServeArgs {
        match self.command {
            Some(Command::Serve(args)) => args,
            None => self.serve,
        }
    }
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

    /// Keep everything in memory (nothing is written to disk; for throwaway runs).
    #[arg(long, env = "CARILLON_IN_MEMORY", conflicts_with = "data_dir")]
    pub in_memory: bool,

    /// Base URL clients use to reach this server; MediaPlacement URLs point here. Defaults to
    /// http://<listen address>.
    #[arg(long, env = "CARILLON_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Extra credentials, `ACCESS_KEY_ID:SECRET_ACCESS_KEY:ACCOUNT_ID`, comma separated.
    #[arg(long, env = "CARILLON_CREDENTIALS", hide_env_values = true)]
    pub credentials: Option<String>,

    /// A JSON file of credentials:
    /// {"credentials": [{"access_key_id": "...", "secret_access_key": "...", "account_id": "..."}]}.
    #[arg(long, env = "CARILLON_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,

    /// Replica meetings allowed per primary meeting.
    #[arg(long, env = "CARILLON_MAX_REPLICAS_PER_PRIMARY", default_value_t = 4)]
    pub max_replicas_per_primary: u32,

    /// Log format (logs go to standard error; RUST_LOG sets the level).
    #[arg(long, env = "CARILLON_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
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
