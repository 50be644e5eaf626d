//! `carillon admin quotas …`: the quotas in force, and overrides set while the server runs (see
//! the admin listener's `quotas.rs` and `docs/quotas.md`). `default` in place of an account id
//! names the default of every account.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use hyper::Method;
use serde_json::{json, Map, Value};

use super::client::AdminClient;
use super::output::{path_segment, Output};
use super::Failure;

mod table;
use table::{rows, summary};

#[derive(Debug, Subcommand)]
pub enum QuotasAction {
    /// The default and every account with limits of its own (the default).
    Show,
    /// Replaces an account's limits (or, with `default`, those of every account without an
    /// entry) from its next request: with an account entry of the quota file (FILE, `-` for
    /// standard input), or with flags, e.g. `--operation CreateAttendee --rate 1 --burst 1`.
    /// The entry replaces the account's whole: what it leaves out comes from the default.
    Set(SetArgs),
    /// Drops an account's run-time limits (or the default's): the quota file's, or the
    /// default, apply again.
    Reset {
        #[arg(value_name = "ACCOUNT_ID|default")]
        account_id: String,
    },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    #[arg(value_name = "ACCOUNT_ID|default")]
    account_id: String,
    /// An account entry of the quota file (JSON); `-`: standard input.
    #[arg(value_name = "FILE|-", conflicts_with_all = ["operation", "rate", "burst", "max_active_meetings", "legacy_max_active_meetings"])]
    file: Option<PathBuf>,
    /// The operation --rate and --burst apply to; without it, they apply to all operations
    /// together.
    #[arg(long)]
    operation: Option<String>,
    /// Requests per second (fractions allowed).
    #[arg(long)]
    rate: Option<f64>,
    /// Requests admitted at once.
    #[arg(long)]
    burst: Option<u32>,
    /// Active meetings the account may hold in the current API.
    #[arg(long)]
    max_active_meetings: Option<u32>,
    /// Active meetings the account may hold in the legacy API.
    #[arg(long)]
    legacy_max_active_meetings: Option<u32>,
}

impl SetArgs {
    /// The account entry to send.
    fn entry(&self) -> Result<Value, Failure> {
        if let Some(file) = &self.file {
            return read_entry(file);
        }
        let mut entry = Map::new();
        let rate_or_burst = self.rate.is_some() || self.burst.is_some();
        if self.operation.is_some() && !rate_or_burst {
            return Err(Failure::usage(
                "--operation goes with --rate and/or --burst",
            ));
        }
        if rate_or_burst {
            let mut rate = Map::new();
            if let Some(r) = self.rate {
                rate.insert("rate".into(), json!(r));
            }
            if let Some(b) = self.burst {
                rate.insert("burst".into(), json!(b));
            }
            match &self.operation {
                Some(operation) => {
                    entry.insert("operations".into(), json!({ operation: rate }));
                }
                None => {
                    entry.insert("all_operations".into(), Value::Object(rate));
                }
            }
        }
        let meetings = [
            ("max_active_meetings", self.max_active_meetings),
            (
                "legacy_max_active_meetings",
                self.legacy_max_active_meetings,
            ),
        ];
        for (name, value) in meetings {
            if let Some(n) = value {
                entry.insert(name.into(), json!(n));
            }
        }
        if entry.is_empty() {
            return Err(Failure::usage(
                "say what to set: FILE, or --rate/--burst (with --operation), \
                 --max-active-meetings, --legacy-max-active-meetings",
            ));
        }
        Ok(Value::Object(entry))
    }
}

fn read_entry(file: &PathBuf) -> Result<Value, Failure> {
    let mut text = String::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    read.map_err(|e| Failure::usage(format!("cannot read {}: {e}", file.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("{}: not JSON: {e}", file.display())))
}

/// The route of an account's limits, or of the default's.
fn target(account_id: &str) -> String {
    if account_id == "default" {
        "/v1/quotas/default".into()
    } else {
        format!("/v1/quotas/accounts/{}", path_segment(account_id))
    }
}

pub async fn run(
    client: &AdminClient,
    out: &Output,
    action: Option<QuotasAction>,
) -> Result<(), Failure> {
    match action.unwrap_or(QuotasAction::Show) {
        QuotasAction::Show => {
            let answer = client.json(Method::GET, "/v1/quotas", None).await?;
            let headers = [
                "account",
                "from",
                "all operations",
                "meetings",
                "legacy meetings",
                "operations",
            ];
            out.list(&answer, &headers, rows(&answer), "no quotas");
        }
        QuotasAction::Set(args) => {
            let entry = args.entry()?;
            let path = target(&args.account_id);
            let in_force = client.json(Method::PUT, &path, Some(&entry)).await?;
            out.done(&in_force, || {
                format!("{}: {}", args.account_id, summary(&in_force))
            });
        }
        QuotasAction::Reset { account_id } => {
            client
                .send(Method::DELETE, &target(&account_id), None)
                .await?;
            out.done(&json!({ "reset": account_id }), || {
                format!("{account_id}: back to the quota file's limits or the default")
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        set: SetArgs,
    }

    fn entry(args: &[&str]) -> Result<Value, Failure> {
        let mut all = vec!["set"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("parses").set.entry()
    }

    #[test]
    fn flags_make_the_account_entry() {
        let one = entry(&[
            "1",
            "--operation",
            "CreateAttendee",
            "--rate",
            "1",
            "--burst",
            "1",
        ]);
        let expected = json!({"operations": {"CreateAttendee": {"rate": 1.0, "burst": 1}}});
        assert_eq!(one.unwrap(), expected);
        let all = entry(&["1", "--rate", "0.5", "--max-active-meetings", "3"]).unwrap();
        assert_eq!(
            all,
            json!({"all_operations": {"rate": 0.5}, "max_active_meetings": 3})
        );
        assert!(entry(&["1"]).is_err(), "nothing to set");
        assert!(
            entry(&["1", "--operation", "GetMeeting"]).is_err(),
            "an operation without a rate or burst"
        );
        assert!(
            Cli::try_parse_from(["set", "1", "entry.json", "--rate", "1"]).is_err(),
            "a file and flags"
        );
    }
}
