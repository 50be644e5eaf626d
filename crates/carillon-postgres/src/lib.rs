//! Carillon's PostgreSQL store: one database shared by any number of Carillon nodes.
//!
//! - Every write is one transaction (READ COMMITTED) that locks what its rule depends on: the
//!   meeting's row for the attendee cap, counts, tags and ending; the scope's advisory lock for
//!   the concurrent meeting quota; unique indexes for ClientRequestToken and ExternalUserId. So
//!   the invariants hold across nodes exactly as in one process. See `store` (the operations),
//!   `meetings` and `attendees`.
//! - Reads are single statements (one snapshot each), outside any transaction.
//! - Connections come from a pool. When none is free within the acquire timeout, or the database
//!   cannot be reached, or an operation outlasts the operation timeout, the error is
//!   [`StoreError::unavailable`] (503 to the client); pooled connections that broke are replaced
//!   on their next use, so a node recovers by itself when the database comes back.
//! - The schema is migrated at connect, under an advisory lock; see `schema`.
//! - The cluster's shared rate-quota buckets live here too; see `rate`.
//! - Every write that causes meeting events records them in its own transaction (`events`), with
//!   the deliveries they owe, which any node claims and settles (`deliveries`).

mod admin;
mod attendees;
mod db;
mod deliveries;
mod error;
mod events;
mod lease;
mod lifecycle;
mod live;
mod meetings;
mod nodes;
#[cfg(all(test, feature = "testing"))]
mod plans;
mod rate;
mod rows;
mod schema;
mod sql;
mod store;
mod tags;
#[cfg(feature = "testing")]
pub mod testing;

use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use carillon_core::events::outbox::EventRouting;
use carillon_core::{ChangeBus, StoreError, StoreResult};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::lease::Lease;

pub use schema::SCHEMA_VERSION;

/// How the store reaches its database. Its `Debug` masks the URL's password.
#[derive(Clone)]
pub struct PgConfig {
    /// `postgres://user:password@host:port/database?...` (libpq's URL form, without TLS).
    pub url: String,
    /// Connections this node keeps open at most.
    pub max_connections: usize,
    /// How long a request waits for a free connection (or for a new one to be made) before it is
    /// answered 503.
    pub acquire_timeout: Duration,
    /// How long one store operation may take in all before it is answered 503.
    pub operation_timeout: Duration,
}

impl PgConfig {
    pub fn new(url: impl Into<String>) -> Self {
        PgConfig {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(2),
            operation_timeout: Duration::from_secs(10),
        }
    }
}

impl std::fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &redacted_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .finish()
    }
}

/// The URL with its password (if any) masked, for logs and messages.
pub fn redacted_url(url: &str) -> String {
    let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return url.to_owned();
    };
    let user_info = url.get(scheme + 3..at).unwrap_or_default();
    match user_info.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme + 3],
            &user_info[..colon],
            &url[at..]
        ),
        None => url.to_owned(),
    }
}

/// The PostgreSQL implementation of [`carillon_core::Store`].
pub struct PgStore {
    pool: Pool,
    operation_timeout: Duration,
    changes: ChangeBus,
    /// The task that listens for other nodes' (and this one's) announcements of changes.
    listener: tokio::task::AbortHandle,
    /// What writes record and owe; each write reads it once, when it begins.
    routing: RwLock<Arc<EventRouting>>,
    /// Bumped after this node's writes that logged events commit.
    logged: tokio::sync::watch::Sender<u64>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects and migrates the schema (waiting for another node that is migrating).
    pub async fn connect(config: &PgConfig) -> StoreResult<Self> {
        let mut pg = tokio_postgres::Config::from_str(&config.url)
            .map_err(|e| StoreError::new(format!("postgres: invalid database URL: {e}")))?;
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(config.acquire_timeout);
        }
        if pg.get_application_name().is_none() {
            pg.application_name("carillon");
        }
        // A peer that vanished without closing (a network partition) is noticed.
        pg.keepalives(true).keepalives_idle(Duration::from_secs(30));
        let changes = ChangeBus::default();
        let mut listening = changes.subscribe();
        let listener = tokio::spawn(live::listen(pg.clone(), changes.clone())).abort_handle();
        let manager = Manager::from_config(
            pg,
            NoTls,
            ManagerConfig {
                // A connection the server closed is known closed; no extra round trip per use.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.max_connections.max(1))
            .wait_timeout(Some(config.acquire_timeout))
            .create_timeout(Some(config.acquire_timeout))
            .recycle_timeout(Some(config.acquire_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::new(format!("postgres: connection pool: {e}")))?;
        let store = PgStore {
            pool,
            operation_timeout: config.operation_timeout,
            changes,
            listener,
            routing: RwLock::new(Arc::new(EventRouting::default())),
            logged: tokio::sync::watch::Sender::new(0),
        };
        let mut client = store.client().await?;
        schema::migrate(&mut client).await?;
        drop(client);
        // Changes are announced from the moment this returns: the listener's first resync says
        // it is listening.
        if tokio::time::timeout(config.operation_timeout, listening.recv())
            .await
            .is_err()
        {
            tracing::warn!(
                "postgres: not yet listening for live changes; retrying in the background"
            );
        }
        Ok(store)
    }

    /// Closes every connection; operations still running fail.
    pub fn close(&self) {
        self.listener.abort();
        self.pool.close();
    }

    /// The events of a write that begins now, routed as the store is set to.
    fn pending(&self) -> events::Pending {
        let routing = match self.routing.read() {
            Ok(routing) => routing.clone(),
            // A writer that panicked left a whole value behind (it only ever assigns one).
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        events::Pending::new(routing)
    }

    fn set_routing(&self, routing: EventRouting) {
        let routing = Arc::new(routing);
        match self.routing.write() {
            Ok(mut current) => *current = routing,
            Err(poisoned) => *poisoned.into_inner() = routing,
        }
    }

    /// Wakes whoever waits for this node's events, once a write that logged some committed.
    fn announce(&self, logged: bool) {
        if logged {
            self.logged.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    async fn client(&self) -> StoreResult<Object> {
        self.pool.get().await.map_err(error::from_pool)
    }

    /// Runs `op` on a pooled connection, bounding the whole operation (waiting for the
    /// connection included) by the operation timeout. A connection whose operation did not
    /// finish is not pooled again; see [`Lease`].
    async fn run<T>(&self, op: impl AsyncFnOnce(&mut Object) -> StoreResult<T>) -> StoreResult<T> {
        let work = async {
            let mut lease = Lease::new(self.client().await?);
            let result = op(lease.client()).await;
            lease.finish();
            result
        };
        tokio::time::timeout(self.operation_timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::unavailable(format!(
                    "postgres: no answer within {:?}",
                    self.operation_timeout
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::{redacted_url, PgConfig};

    #[test]
    fn the_config_prints_no_password() {
        let printed = format!("{:?}", PgConfig::new("postgres://u:hunter2@h:5432/d"));
        assert!(printed.contains("postgres://u:***@h:5432/d"), "{printed}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redacted_url("postgres://u:secret@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
        assert_eq!(
            redacted_url("postgres://u:p@ss@h/d"),
            "postgres://u:***@h/d"
        );
        assert_eq!(redacted_url("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redacted_url("postgres://h/d"), "postgres://h/d");
    }
}
