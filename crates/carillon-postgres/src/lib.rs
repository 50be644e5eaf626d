//! Carillon's PostgreSQL store: one database shared by any number of Carillon nodes.
//!
//! - Every write is one transaction (READ COMMITTED) that locks what its rule depends on: the
//!   meeting's row for the attendee cap, counts, tags and ending; the scope's advisory lock for
//!   the concurrent meeting quota; unique indexes for ClientRequestToken and ExternalUserId. So
//!   the invariants hold across nodes exactly as in one process. See `meetings` and `attendees`.
//! - Reads are single statements (one snapshot each), outside any transaction.
//! - Connections come from a pool. When none is free within the acquire timeout, or the database
//!   cannot be reached, or an operation outlasts the operation timeout, the error is
//!   [`StoreError::unavailable`] (503 to the client); pooled connections that broke are replaced
//!   on their next use, so a node recovers by itself when the database comes back.
//! - The schema is migrated at connect, under an advisory lock; see `schema`.
//! - The cluster's shared rate-quota buckets live here too; see `rate`.

mod attendees;
mod db;
mod error;
mod lease;
mod live;
mod meetings;
mod nodes;
#[cfg(all(test, feature = "testing"))]
mod plans;
mod rate;
mod rows;
mod schema;
mod sql;
mod tags;
#[cfg(feature = "testing")]
pub mod testing;

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use carillon_core::store::rules::{self, ActiveMeeting};
use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    AttendeeCapabilities, AttendeeLookup, AttendeeOutcome, AttendeePage, AttendeeRecord, ChangeBus,
    CreateMeetingOutcome, JoinLookup, LiveChange, MeetingPage, MeetingRecord, NewAttendee,
    NewMeeting, Scope, Store, StoreError, StoreResult, Tag, TagOutcome,
};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::error::Context;
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

/// The PostgreSQL implementation of [`Store`].
pub struct PgStore {
    pool: Pool,
    operation_timeout: Duration,
    changes: ChangeBus,
    /// The task that listens for other nodes' (and this one's) announcements of changes.
    listener: tokio::task::AbortHandle,
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

async fn begin(client: &mut Object) -> StoreResult<deadpool_postgres::Transaction<'_>> {
    client.transaction().await.context("starting a transaction")
}

async fn commit(tx: deadpool_postgres::Transaction<'_>) -> StoreResult<()> {
    tx.commit().await.context("committing")
}

/// Runs `$body` in a transaction on a pooled connection, within the operation timeout; `$tx`
/// names the transaction inside `$body`. A body that fails (`?`) rolls back.
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:expr) => {
        $store
            .run(async |client| {
                let $tx = begin(client).await?;
                let value = $body;
                commit($tx).await?;
                Ok(value)
            })
            .await
    };
}

/// Runs `$body` with `$meeting` the locked active meeting of the scope, in a transaction: its
/// value, or `None` when the scope has no such active meeting.
macro_rules! with_meeting {
    ($store:expr, $scope:expr, $meeting_id:expr, |$tx:ident, $meeting:ident| $body:expr) => {
        transaction!(
            $store,
            |$tx| match meetings::lock(&$tx, $scope, $meeting_id).await? {
                Some($meeting) => Some($body),
                None => None,
            }
        )
    };
}

/// Runs `op` on the key of an attendee of the locked meeting; `None` when the meeting has no
/// such attendee.
async fn with_attendee<T, F, Fut>(
    tx: &deadpool_postgres::Transaction<'_>,
    meeting: &ActiveMeeting,
    attendee_id: &str,
    op: F,
) -> StoreResult<Option<T>>
where
    F: FnOnce(i64) -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    match attendees::seq(tx, meeting, attendee_id).await? {
        Some(seq) => op(seq).await.map(Some),
        None => Ok(None),
    }
}

#[async_trait]
impl Store for PgStore {
    async fn create_meeting(
        &self,
        meeting: NewMeeting,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<CreateMeetingOutcome> {
        let scope = meeting.record.scope.clone();
        let token = meeting.record.client_request_token.clone();
        let created = self
            .run(async |client| {
                let tx = begin(client).await?;
                let created = meetings::create(&tx, meeting, attendees).await?;
                // Dropping the transaction instead rolls it back.
                if created.is_some() {
                    commit(tx).await?;
                }
                Ok(created)
            })
            .await?;
        if let Some(outcome) = created {
            return Ok(outcome);
        }
        // Another node took the token between this one's lookup and insert: answer with the
        // meeting it created, as a replay.
        let meeting = self
            .run(async |client| meetings::by_token(&*client, &scope, &token).await)
            .await?
            .ok_or_else(|| StoreError::new("postgres: a ClientRequestToken raced and vanished"))?;
        Ok(CreateMeetingOutcome::Replayed { meeting })
    }

    async fn get_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<MeetingRecord>> {
        self.run(async |client| meetings::get(&*client, scope, meeting_id).await)
            .await
    }

    async fn end_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<()>> {
        transaction!(self, |tx| meetings::end(&tx, scope, meeting_id, now_ms)
            .await?)
    }

    async fn create_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<Option<Vec<AttendeeOutcome>>> {
        with_meeting!(self, scope, meeting_id, |tx, meeting| {
            attendees::create_in(&tx, &meeting, attendees).await?
        })
    }

    /// One statement: the meeting and its attendee are one snapshot.
    async fn get_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
        self.run(async |client| {
            let row = db::query_opt(
                &*client,
                sql::GET_ATTENDEE,
                &[
                    &meeting_id,
                    &scope.account_id,
                    &scope.namespace.as_str(),
                    &attendee_id,
                ],
                "reading an attendee",
            )
            .await?;
            let found = row
                .map(|row| rows::attendee(&row, meeting_id))
                .transpose()?;
            Ok(AttendeeLookup::from(found))
        })
        .await
    }

    /// One statement: no row at all when the meeting is not active.
    async fn list_attendees(
        &self,
        scope: &Scope,
        meeting_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Option<AttendeePage>> {
        let rows = self
            .run(async |client| {
                db::query(
                    &*client,
                    sql::LIST_ATTENDEES,
                    &[
                        &meeting_id,
                        &scope.account_id,
                        &scope.namespace.as_str(),
                        &after.unwrap_or(0),
                        &rules::rows_for_page(limit),
                    ],
                    "listing attendees",
                )
                .await
            })
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut attendees = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(attendee) = rows::attendee(row, meeting_id)? {
                attendees.push((attendee, rows::get(row, 4)?));
            }
        }
        Ok(Some(rules::page(attendees, limit, after)))
    }

    async fn delete_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<()>> {
        let deleted = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            attendees::delete(&tx, &meeting, attendee_id).await?
        });
        deleted.map(AttendeeLookup::from)
    }

    async fn update_attendee_capabilities(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
        let updated = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            attendees::update_capabilities(&tx, &meeting, attendee_id, &capabilities).await?
        });
        updated.map(AttendeeLookup::from)
    }

    async fn update_capabilities_except(
        &self,
        scope: &Scope,
        meeting_id: &str,
        excluded_attendee_ids: &[String],
        capabilities: AttendeeCapabilities,
    ) -> StoreResult<Option<()>> {
        with_meeting!(self, scope, meeting_id, |tx, meeting| {
            attendees::update_capabilities_except(
                &tx,
                &meeting,
                excluded_attendee_ids,
                &capabilities,
            )
            .await?
        })
    }

    async fn set_transcription(
        &self,
        scope: &Scope,
        meeting_id: &str,
        configuration: Option<TranscriptionConfiguration>,
    ) -> StoreResult<Option<()>> {
        self.run(async |client| {
            meetings::set_transcription(&*client, scope, meeting_id, configuration.as_ref()).await
        })
        .await
    }

    async fn tag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<Option<TagOutcome>> {
        with_meeting!(self, scope, meeting_id, |tx, meeting| {
            tags::tag(&tx, &tags::MEETING, meeting.seq, tags, max_tags).await?
        })
    }

    async fn untag_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<Option<()>> {
        with_meeting!(self, scope, meeting_id, |tx, meeting| {
            tags::untag(&tx, &tags::MEETING, meeting.seq, &keys).await?
        })
    }

    async fn list_meeting_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> StoreResult<Option<Vec<Tag>>> {
        self.run(
            async |client| match meetings::active_seq(&*client, scope, meeting_id).await? {
                Some(seq) => Ok(Some(tags::list(&*client, &tags::MEETING, seq).await?)),
                None => Ok(None),
            },
        )
        .await
    }

    async fn list_meetings(
        &self,
        scope: &Scope,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<MeetingPage> {
        self.run(async |client| meetings::list(&*client, scope, after, limit).await)
            .await
    }

    async fn tag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        tags: Vec<Tag>,
        max_tags: usize,
    ) -> StoreResult<AttendeeLookup<TagOutcome>> {
        let tagged = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            with_attendee(&tx, &meeting, attendee_id, |seq| {
                tags::tag(&tx, &tags::ATTENDEE, seq, tags, max_tags)
            })
            .await?
        });
        tagged.map(AttendeeLookup::from)
    }

    async fn untag_attendee(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
        keys: Vec<String>,
    ) -> StoreResult<AttendeeLookup<()>> {
        let untagged = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            with_attendee(&tx, &meeting, attendee_id, |seq| {
                let (tx, keys) = (&tx, &keys);
                async move { tags::untag(tx, &tags::ATTENDEE, seq, keys).await }
            })
            .await?
        });
        untagged.map(AttendeeLookup::from)
    }

    /// In a transaction so that the meeting, the attendee and the tags are one snapshot... and
    /// a concurrent delete of the attendee waits for it or is seen whole.
    async fn list_attendee_tags(
        &self,
        scope: &Scope,
        meeting_id: &str,
        attendee_id: &str,
    ) -> StoreResult<AttendeeLookup<Vec<Tag>>> {
        let listed = with_meeting!(self, scope, meeting_id, |tx, meeting| {
            with_attendee(&tx, &meeting, attendee_id, |seq| {
                let tx = &tx;
                async move { tags::list(tx, &tags::ATTENDEE, seq).await }
            })
            .await?
        });
        listed.map(AttendeeLookup::from)
    }

    async fn join_lookup(&self, meeting_id: &str, attendee_id: &str) -> StoreResult<JoinLookup> {
        self.run(async |client| meetings::join_lookup(&*client, meeting_id, attendee_id).await)
            .await
    }

    fn changes(&self) -> tokio::sync::broadcast::Receiver<LiveChange> {
        self.changes.subscribe()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.run(async |client| {
            client
                .simple_query("SELECT 1")
                .await
                .context("ping")
                .map(drop)
        })
        .await
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
