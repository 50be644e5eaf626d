//! Live changes across nodes. A write that ends a meeting or deletes an attendee also runs
//! `pg_notify` in its own transaction, so the announcement is sent if and only if the write
//! commits, and PostgreSQL delivers it to every node listening, the writer included. Each node
//! keeps one connection of its own (outside the pool) that LISTENs and republishes what arrives
//! on the process's [`ChangeBus`]. While that connection is down, announcements are lost; so each
//! time it is (re)established the bus carries [`LiveChange::Resync`], and listeners check their
//! sessions against the database.

use std::time::Duration;

use carillon_core::{ChangeBus, LiveChange, StoreResult};
use deadpool_postgres::Transaction;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::db::query;

/// The notification channel.
const CHANNEL: &str = "carillon_live";

/// Wait between attempts to reconnect the listening connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Announces `change` when `tx` commits.
pub(crate) async fn notify(tx: &Transaction<'_>, change: &LiveChange) -> StoreResult<()> {
    let payload = payload(change);
    query(
        tx,
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &payload],
        "announcing a change",
    )
    .await
    .map(drop)
}

/// `E <meeting>`, `D <meeting> <attendee>`, `C <meeting>` or `R`: ids are GUIDs, so spaces separate.
fn payload(change: &LiveChange) -> String {
    match change {
        LiveChange::MeetingEnded { meeting_id } => format!("E {meeting_id}"),
        LiveChange::AttendeeDeleted {
            meeting_id,
            attendee_id,
        } => format!("D {meeting_id} {attendee_id}"),
        LiveChange::CapabilitiesChanged { meeting_id } => format!("C {meeting_id}"),
        LiveChange::Resync => "R".to_owned(),
    }
}

fn parse(payload: &str) -> Option<LiveChange> {
    let mut fields = payload.split(' ');
    let change = match (fields.next()?, fields.next(), fields.next()) {
        ("E", Some(meeting_id), None) => LiveChange::MeetingEnded {
            meeting_id: meeting_id.to_owned(),
        },
        ("D", Some(meeting_id), Some(attendee_id)) => LiveChange::AttendeeDeleted {
            meeting_id: meeting_id.to_owned(),
            attendee_id: attendee_id.to_owned(),
        },
        ("C", Some(meeting_id), None) => LiveChange::CapabilitiesChanged {
            meeting_id: meeting_id.to_owned(),
        },
        ("R", None, None) => LiveChange::Resync,
        _ => return None,
    };
    fields.next().is_none().then_some(change)
}

/// Listens for announcements until aborted, reconnecting whenever the connection is lost.
pub(crate) async fn listen(config: tokio_postgres::Config, bus: ChangeBus) {
    loop {
        match listen_once(&config, &bus).await {
            Ok(()) => tracing::warn!("postgres: the connection for live changes closed"),
            Err(e) => {
                tracing::warn!(error = %e, "postgres: the connection for live changes failed")
            }
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

async fn listen_once(
    config: &tokio_postgres::Config,
    bus: &ChangeBus,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let republish = bus.clone();
    // The connection must be driven for the LISTEN below to complete; its notifications are
    // republished as they come.
    let mut driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(n)) => match parse(n.payload()) {
                    Some(change) => republish.publish(change),
                    None => tracing::warn!("postgres: an unreadable live change was ignored"),
                },
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    let listen = format!("LISTEN {CHANNEL}");
    tokio::select! {
        listened = client.batch_execute(&listen) => listened?,
        ended = &mut driver => return ended.unwrap_or(Ok(())),
    }
    // Whatever was announced while no connection listened is lost: have it checked.
    bus.publish(LiveChange::Resync);
    let ended = driver.await.unwrap_or(Ok(()));
    drop(client);
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [
            LiveChange::MeetingEnded {
                meeting_id: "m".into(),
            },
            LiveChange::AttendeeDeleted {
                meeting_id: "m".into(),
                attendee_id: "a".into(),
            },
            LiveChange::Resync,
        ] {
            assert_eq!(parse(&payload(&change)), Some(change));
        }
        for bad in ["", "E", "E a b", "D a", "X a", "R x"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
