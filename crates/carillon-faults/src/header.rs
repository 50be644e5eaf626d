//! The per-request fault header, `X-Carillon-Fault`, honoured only when the server was started
//! with `--fault-header on`.
//!
//! Its value is one or more directives separated by commas:
//!
//! | directive | effect |
//! |---|---|
//! | `error=<ExceptionName>` | answer with that error, which the operation must model |
//! | `latency=<ms>` | wait that long first (1 to 120000) |
//! | `drop` | close the connection without answering |
//!
//! `latency` combines with `error` or `drop` (`latency=500, error=ThrottlingException`); `error`
//! and `drop` exclude each other. A request that carries the header gets what it says and
//! nothing of the registry's rules.

use std::time::Duration;

use crate::catalog::Catalog;
use crate::decision::{Injection, Outcome};
use crate::rule::{Api, MAX_DELAY_MS};

/// The header's name.
pub const HEADER: &str = "x-carillon-fault";

/// Reads the header's value for a request of `operation`; the error is the message of the 400
/// the request then gets.
pub fn parse(
    value: &str,
    catalog: &'static Catalog,
    api: Api,
    operation: &str,
) -> Result<Injection, String> {
    let mut injection = Injection::default();
    let mut latency_seen = false;
    for directive in value.split(',').map(str::trim) {
        let (key, arg) = match directive.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (directive, None),
        };
        match (key, arg) {
            ("drop", None) => set_outcome(&mut injection, Outcome::Drop)?,
            ("error", Some(name)) => {
                let Some(error) = catalog.error(api, operation, name) else {
                    return Err(format!(
                        "{HEADER}: {operation} of the {} API does not model {name}",
                        api.as_str()
                    ));
                };
                set_outcome(&mut injection, Outcome::Error(error))?;
            }
            ("latency", Some(ms)) => {
                let ms = ms
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| (1..=MAX_DELAY_MS).contains(ms))
                    .ok_or_else(|| {
                        format!("{HEADER}: latency must be a number of milliseconds from 1 to {MAX_DELAY_MS}")
                    })?;
                if std::mem::replace(&mut latency_seen, true) {
                    return Err(format!("{HEADER}: latency is given twice"));
                }
                injection.latency = Duration::from_millis(ms);
            }
            _ => {
                return Err(format!(
                    "{HEADER}: expected directives error=<Name>, latency=<ms> or drop, separated by commas"
                ))
            }
        }
    }
    Ok(injection)
}

fn set_outcome(injection: &mut Injection, outcome: Outcome) -> Result<(), String> {
    if injection.outcome.is_some() {
        return Err(format!(
            "{HEADER}: error and drop exclude each other, and each comes once"
        ));
    }
    injection.outcome = Some(outcome);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(value: &str) -> Result<Injection, String> {
        parse(value, Catalog::vendored(), Api::Meetings, "CreateAttendee")
    }

    #[test]
    fn reads_each_directive_and_their_combinations() {
        let i = p("error=ThrottlingException").unwrap();
        assert!(
            matches!(i.outcome, Some(Outcome::Error(e)) if e.name == "ThrottlingException" && e.status == 429)
        );
        assert_eq!(i.latency, Duration::ZERO);
        let i = p(" latency=250 , drop ").unwrap();
        assert_eq!(i.latency, Duration::from_millis(250));
        assert_eq!(i.outcome, Some(Outcome::Drop));
        let i = p("latency=10").unwrap();
        assert_eq!(i.outcome, None);
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for bad in [
            "",
            "drop=1",
            "error",
            "error=ConflictException",
            "error=NoSuch",
            "latency=0",
            "latency=120001",
            "latency=abc",
            "latency=1,latency=2",
            "drop,error=ThrottlingException",
            "drop,drop",
            "explode",
        ] {
            assert!(p(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
