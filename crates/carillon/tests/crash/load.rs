//! The load that runs until the kill, and the writes after each restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::types::{Attendee, CreateAttendeeRequestItem};
use aws_sdk_chimesdkmeetings::Client;
use carillon_testkit::{item, Server, REGION};
use tokio::task::JoinSet;

use crate::ledger::{lock, Ledger, LoadStats, Plan};
use crate::outcome::{describe, outcome};
use crate::{Rng, PHASE_TIMEOUT, TASKS};

pub(crate) async fn worker(
    client: Client,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    mut rng: Rng,
    name: String,
) {
    let mut seq = 0u64;
    while !stop.load(Ordering::SeqCst) {
        seq += 1;
        let request = format!("{name}-{seq}");
        let plan = lock(&ledger).plan(&mut rng);
        match plan {
            Plan::CreateMeeting => {
                let token = format!("crash-{request}");
                let result = client
                    .create_meeting()
                    .client_request_token(&token)
                    .media_region(REGION)
                    .external_meeting_id(format!("crash-{request}"))
                    .send()
                    .await;
                let result = outcome(result).map(|out| out.meeting.and_then(|m| m.meeting_id));
                lock(&ledger).record_meeting(token, result);
            }
            Plan::CreateAttendee(meeting_id) => {
                let ext = format!("u-{request}");
                let result = client
                    .create_attendee()
                    .meeting_id(&meeting_id)
                    .external_user_id(&ext)
                    .send()
                    .await;
                let result =
                    outcome(result).map(|out| (out.attendee.into_iter().collect(), vec![]));
                lock(&ledger).record_attendees(1, &meeting_id, &[ext], result);
            }
            Plan::Batch(meeting_id, n) => {
                let exts: Vec<String> = (0..n).map(|i| format!("u-{request}-{i}")).collect();
                let items: Vec<CreateAttendeeRequestItem> = exts.iter().map(|e| item(e)).collect();
                let result = client
                    .batch_create_attendee()
                    .meeting_id(&meeting_id)
                    .set_attendees(Some(items))
                    .send()
                    .await;
                let result = outcome(result).map(|out| {
                    let errors = out
                        .errors()
                        .iter()
                        .map(|e| {
                            (
                                e.external_user_id().unwrap_or_default().to_string(),
                                e.error_code().unwrap_or_default().to_string(),
                            )
                        })
                        .collect();
                    (out.attendees().to_vec(), errors)
                });
                lock(&ledger).record_attendees(2, &meeting_id, &exts, result);
            }
            Plan::DeleteAttendee(meeting_id, attendee_id) => {
                let result = client
                    .delete_attendee()
                    .meeting_id(&meeting_id)
                    .attendee_id(&attendee_id)
                    .send()
                    .await;
                let result = outcome(result).map(|_| ());
                lock(&ledger).record_delete_attendee(&meeting_id, &attendee_id, result);
            }
            Plan::DeleteMeeting(meeting_id) => {
                let result = client.delete_meeting().meeting_id(&meeting_id).send().await;
                let result = outcome(result).map(|_| ());
                lock(&ledger).record_delete_meeting(&meeting_id, result);
            }
        }
    }
}

/// Runs the load on `server` and kills the server `kill_after` into it. Returns the round's
/// counters and the time the kill actually happened.
pub(crate) async fn load_and_kill(
    server: &Server,
    ledger: &Arc<Mutex<Ledger>>,
    round: u64,
    kill_after: Duration,
    seed: u64,
) -> (LoadStats, Duration) {
    lock(ledger).reopen();
    let client = server.client();
    let stop = Arc::new(AtomicBool::new(false));
    let mut seeds = Rng::new(seed);
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for t in 0..TASKS {
        tasks.spawn(worker(
            client.clone(),
            Arc::clone(ledger),
            Arc::clone(&stop),
            Rng::new(seeds.next()),
            format!("r{round}t{t}"),
        ));
    }
    tokio::time::sleep(kill_after).await;
    // No request starts after this; those already sent are in flight when the process dies.
    stop.store(true, Ordering::SeqCst);
    server.kill();
    let killed_at = started.elapsed();
    let joined = tokio::time::timeout(PHASE_TIMEOUT, async {
        while let Some(joined) = tasks.join_next().await {
            joined.expect("a load task panicked");
        }
    })
    .await;
    assert!(
        joined.is_ok(),
        "requests to the killed server did not fail within {PHASE_TIMEOUT:?}"
    );
    (lock(ledger).stats.clone(), killed_at)
}

/// CreateMeeting, CreateAttendee, BatchCreateAttendee, DeleteAttendee and the reads that show
/// them. Returns the token, the meeting, its attendees, the deleted one and the request count.
pub(crate) async fn write_after_restart(
    client: &Client,
    round: u64,
) -> Result<(String, String, Vec<Attendee>, String, usize), String> {
    let token = format!("crash-after-{round}");
    let meeting_id = client
        .create_meeting()
        .client_request_token(&token)
        .media_region(REGION)
        .external_meeting_id(format!("crash-after-{round}"))
        .send()
        .await
        .map_err(|e| format!("CreateMeeting: {}", describe(&e)))?
        .meeting
        .and_then(|m| m.meeting_id)
        .ok_or("CreateMeeting without a MeetingId")?;
    let first = client
        .create_attendee()
        .meeting_id(&meeting_id)
        .external_user_id(format!("after-{round}-0"))
        .send()
        .await
        .map_err(|e| format!("CreateAttendee: {}", describe(&e)))?
        .attendee
        .ok_or("CreateAttendee without an Attendee")?;
    let batch = client
        .batch_create_attendee()
        .meeting_id(&meeting_id)
        .set_attendees(Some(
            (1..=10)
                .map(|i| item(&format!("after-{round}-{i}")))
                .collect(),
        ))
        .send()
        .await
        .map_err(|e| format!("BatchCreateAttendee: {}", describe(&e)))?;
    if !batch.errors().is_empty() || batch.attendees().len() != 10 {
        return Err(format!("BatchCreateAttendee answered {batch:?}"));
    }
    let mut attendees = vec![first];
    attendees.extend(batch.attendees().iter().cloned());
    let deleted = attendees[0].attendee_id().unwrap_or_default().to_string();
    client
        .delete_attendee()
        .meeting_id(&meeting_id)
        .attendee_id(&deleted)
        .send()
        .await
        .map_err(|e| format!("DeleteAttendee: {}", describe(&e)))?;
    let listed = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .send()
        .await
        .map_err(|e| format!("ListAttendees: {}", describe(&e)))?;
    if listed.attendees() != &attendees[1..] {
        return Err(format!(
            "ListAttendees after the writes lists {:?}",
            listed.attendees()
        ));
    }
    Ok((token, meeting_id, attendees, deleted, 5))
}
