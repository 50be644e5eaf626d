//! How a write runs: one transaction on a pooled connection, within the operation timeout
//! (`transaction!`), with the meeting's row locked first (`with_meeting!`), and with the events
//! it causes written just before it commits (`recorded!`, `with_meeting_recorded!`).

use std::future::Future;

use carillon_core::store::rules::ActiveMeeting;
use carillon_core::StoreResult;
use deadpool_postgres::Object;

use crate::attendees;
use crate::error::Context;

pub(super) async fn begin(client: &mut Object) -> StoreResult<deadpool_postgres::Transaction<'_>> {
    client.transaction().await.context("starting a transaction")
}

pub(super) async fn commit(tx: deadpool_postgres::Transaction<'_>) -> StoreResult<()> {
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

/// As `transaction!`, with `$events` the write's [`events::Pending`] events (`$pending`), written just
/// before the commit; whoever waits for this node's events is woken once it committed.
macro_rules! recorded {
    ($store:expr, $pending:expr, |$tx:ident, $events:ident| $body:expr) => {{
        let mut $events = $pending;
        $store
            .run(async |client| {
                let $tx = begin(client).await?;
                let value = $body;
                let logged = $events.write(&$tx).await?;
                commit($tx).await?;
                Ok((value, logged))
            })
            .await
            .map(|(value, logged)| {
                $store.announce(logged);
                value
            })
    }};
}

/// As `with_meeting!`, recording events: the meeting is read whole into `$events` when the
/// write records events.
macro_rules! with_meeting_recorded {
    ($store:expr, $scope:expr, $meeting_id:expr, |$tx:ident, $meeting:ident, $events:ident| $body:expr) => {
        recorded!($store, $store.pending(), |$tx, $events| {
            match meetings::lock_for(&$tx, $scope, $meeting_id, &mut $events).await? {
                Some($meeting) => Some($body),
                None => None,
            }
        })
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
pub(super) async fn with_attendee<T, F, Fut>(
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
