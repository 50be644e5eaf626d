//! Which database failures are the database being away or saturated (503, retry later) and which
//! are faults (500).

use std::error::Error as _;

use carillon_core::StoreError;
use deadpool_postgres::PoolError;

/// SQLSTATEs that mean "try again later": the connection broke or could not be made (class 08),
/// the server is shutting down or starting (57P01-57P03), out of connections or resources (53),
/// a statement was cancelled (57014), or two transactions collided (40001, 40P01) and the whole
/// request can simply be retried.
fn transient_sqlstate(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "57014" | "40001" | "40P01"
        )
}

/// Classifies a driver error.
pub(crate) fn from_pg(what: &str, e: &tokio_postgres::Error) -> StoreError {
    let message = format!("postgres: {what}: {e}");
    let transient = if let Some(db) = e.as_db_error() {
        transient_sqlstate(db.code().code())
    } else {
        // No answer from the server: the connection is closed, or I/O failed (connecting
        // included). Anything else without a server answer (a value that does not convert) is
        // a fault.
        e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>())
    };
    if transient {
        StoreError::unavailable(message)
    } else {
        StoreError::new(message)
    }
}

pub(crate) fn from_pool(e: PoolError) -> StoreError {
    match e {
        PoolError::Timeout(kind) => StoreError::unavailable(format!(
            "postgres: no database connection in time ({kind:?})"
        )),
        PoolError::Backend(e) => from_pg("connecting", &e),
        other => StoreError::new(format!("postgres: connection pool: {other}")),
    }
}

pub(crate) trait Context<T> {
    fn context(self, what: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, tokio_postgres::Error> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| from_pg(what, &e))
    }
}

/// A value the store read or is about to write that does not convert (see
/// [`carillon_core::store::rows`]).
impl<T> Context<T> for Result<T, StoreError> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::new(format!("postgres: {what}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_states() {
        for code in [
            "08006", "08001", "57P01", "57P03", "53300", "40001", "40P01", "57014",
        ] {
            assert!(transient_sqlstate(code), "{code}");
        }
        for code in ["23505", "42P01", "22P02", "XX000"] {
            assert!(!transient_sqlstate(code), "{code}");
        }
    }
}
