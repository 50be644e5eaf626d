//! `carillon admin …`: the admin listener from a shell. Tables for people by default, `--json`
//! for scripts (the admin API's own JSON, one document per answer, or one event per line when
//! following the log).
//!
//! Exit codes: 0 done; 1 the admin API refused the request or answered something unexpected
//! (its message on standard error); 2 a usage error; 3 the admin listener could not be reached;
//! 4 the admin token was refused.

mod client;
mod events;
mod faults;
mod output;
mod quotas;
mod seed;
mod state;
mod time;

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use hyper::Method;
use serde_json::json;

use crate::config::{parse_duration, Secret};
use client::AdminClient;
use output::Output;

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 done, 1 refused by the server, 2 usage error, \
    3 admin listener unreachable, 4 admin token refused."
)]
pub struct AdminArgs {
    /// The admin listener (the server's --admin-listen), http://HOST:PORT.
    #[arg(
        long,
        env = "CARILLON_ADMIN_URL",
        default_value = "http://127.0.0.1:9080",
        global = true
    )]
    url: String,

    /// The admin token (the server's --admin-token).
    #[arg(
        long,
        env = "CARILLON_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    token: Option<Secret>,

    /// Print the admin API's JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Meetings across accounts and both APIs (active ones unless --state says otherwise).
    Meetings(state::MeetingsArgs),
    /// One meeting: its settings, attendee and event counts, and who is connected.
    Meeting { meeting_id: String },
    /// A meeting's attendees, with who is connected.
    Attendees {
        meeting_id: String,
        #[command(flatten)]
        page: state::Page,
    },
    /// Writes the whole state (meetings, attendees, tags) as a versioned file (`-`: standard
    /// output).
    Export { file: std::path::PathBuf },
    /// Restores a file `export` wrote (`-`: standard input) into an empty store, or with
    /// --replace into any.
    Import {
        file: std::path::PathBuf,
        /// Empty the store first.
        #[arg(long)]
        replace: bool,
    },
    /// Creates meetings and attendees from a seed file (`-`: standard input), or generates
    /// them (--meetings, --attendees-per-meeting), with a progress bar.
    Seed(seed::SeedArgs),
    /// Empties the store: every meeting, attendee and event.
    Reset {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// The server's clock: show it, or freeze, resume or advance it (needs --time-control on).
    Time {
        #[command(subcommand)]
        action: Option<TimeAction>,
    },
    /// The event log, oldest first; --follow keeps printing events as they are logged.
    Events(events::EventsArgs),
    /// Event deliveries given up on, and their replay.
    DeadLetters {
        #[command(subcommand)]
        action: Option<DeadLettersAction>,
    },
    /// Fault rules: list, add, delete, clear; and signaling sessions cut on demand.
    Faults {
        #[command(subcommand)]
        action: Option<faults::FaultsAction>,
    },
    /// The quotas in force; an account's (or the default's) replaced while the server runs.
    Quotas {
        #[command(subcommand)]
        action: Option<quotas::QuotasAction>,
    },
    /// Marks an attendee joined, left or dropped, as a session would (AttendeeId#content for
    /// its content share).
    Presence {
        meeting_id: String,
        attendee_id: String,
        state: PresenceState,
    },
}

#[derive(Debug, Subcommand)]
enum TimeAction {
    /// Where the server's clock stands (the default).
    Show,
    /// Stops the server's clock.
    Freeze,
    /// Lets a stopped clock run again from where it stands.
    Resume,
    /// Moves the clock forwards (300, 300s, 5m, 24h, 1500ms); meetings it makes expire end
    /// before the command returns.
    Advance {
        #[arg(value_parser = parse_duration)]
        by: std::time::Duration,
    },
}

#[derive(Debug, Subcommand)]
enum DeadLettersAction {
    /// Lists them, oldest first (the default).
    List(events::PageArgs),
    /// Makes dead letters due again: all of them, or those named TARGET:SEQ
    /// (webhook:orders:42).
    Replay {
        #[arg(value_name = "TARGET:SEQ", required_unless_present = "all")]
        deliveries: Vec<String>,
        #[arg(long, conflicts_with = "deliveries")]
        all: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PresenceState {
    Joined,
    Left,
    Dropped,
}

/// Why a command failed, and its exit code.
#[derive(Debug)]
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    pub fn unreachable(url: &str, e: &dyn std::error::Error) -> Self {
        let mut message = format!("cannot reach the admin listener at {url}: {e}");
        let mut source = e.source();
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        message.push_str(" (is the server running with --admin-token? see --url)");
        Failure { code: 3, message }
    }

    pub fn refused(status: hyper::StatusCode, message: String) -> Self {
        if client::is_unauthorized(status) {
            return Failure {
                code: 4,
                message: "the admin token was refused: pass the server's --admin-token \
                    (--token or CARILLON_ADMIN_TOKEN)"
                    .into(),
            };
        }
        Failure {
            code: 1,
            message: format!("{}: {message}", status.as_u16()),
        }
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

/// Runs one admin command and returns the process's exit code.
pub fn run(args: AdminArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("carillon admin: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("carillon admin: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn dispatch(args: AdminArgs) -> Result<(), Failure> {
    let token = args.token.as_ref().map(Secret::expose).ok_or_else(|| {
        Failure::usage("the admin token is needed: --token or CARILLON_ADMIN_TOKEN")
    })?;
    let client = AdminClient::new(&args.url, token)?;
    let out = Output::new(args.json);
    match args.command {
        AdminCommand::Meetings(meetings) => state::meetings(&client, &out, meetings).await,
        AdminCommand::Meeting { meeting_id } => state::meeting(&client, &out, &meeting_id).await,
        AdminCommand::Attendees { meeting_id, page } => {
            state::attendees(&client, &out, &meeting_id, page).await
        }
        AdminCommand::Export { file } => state::export(&client, &file).await,
        AdminCommand::Import { file, replace } => {
            state::import(&client, &out, &file, replace).await
        }
        AdminCommand::Seed(args) => seed::seed(&client, &out, args).await,
        AdminCommand::Reset { yes } => state::reset(&client, &out, yes).await,
        AdminCommand::Time { action } => time::run(&client, &out, action).await,
        AdminCommand::Events(events) => events::list(&client, &out, events).await,
        AdminCommand::DeadLetters { action } => match action {
            None => events::dead_letters(&client, &out, events::PageArgs::default()).await,
            Some(DeadLettersAction::List(page)) => events::dead_letters(&client, &out, page).await,
            Some(DeadLettersAction::Replay { deliveries, all }) => {
                events::replay(&client, &out, &deliveries, all).await
            }
        },
        AdminCommand::Faults { action } => faults::run(&client, &out, action).await,
        AdminCommand::Quotas { action } => quotas::run(&client, &out, action).await,
        AdminCommand::Presence {
            meeting_id,
            attendee_id,
            state,
        } => {
            let state = match state {
                PresenceState::Joined => "joined",
                PresenceState::Left => "left",
                PresenceState::Dropped => "dropped",
            };
            let path = format!(
                "/v1/meetings/{}/attendees/{}/presence",
                output::path_segment(&meeting_id),
                output::path_segment(&attendee_id)
            );
            let body = json!({ "state": state });
            let answer = client.json(Method::POST, &path, Some(&body)).await?;
            out.done(&answer, || match answer["changed"].as_bool() {
                Some(true) => format!("{attendee_id} marked {state}"),
                _ => format!("{attendee_id} was already {state}: nothing changed"),
            });
            Ok(())
        }
    }
}
