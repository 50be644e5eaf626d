//! Turning SQLite failures into [`StoreError`]s that say what the store was doing.

use carillon_core::StoreError;

pub(crate) trait Context<T> {
    /// Wraps the error with what was being done (never with client data such as tokens).
    fn context(self, what: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::new(format!("sqlite: {what}: {e}")))
    }
}

/// A value the store read or is about to write that does not convert (see
/// [`carillon_core::store::rows`]).
impl<T> Context<T> for Result<T, StoreError> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::new(format!("sqlite: {what}: {e}")))
    }
}
