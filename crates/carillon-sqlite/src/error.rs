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

impl<T> Context<T> for serde_json::Result<T> {
    fn context(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::new(format!("sqlite: {what}: {e}")))
    }
}
