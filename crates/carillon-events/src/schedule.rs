//! The delivery rules as a pure state machine: claimed deliveries in, settlements out.
//!
//! A claim returns the heads of several streams with their followers. [`streams`] groups them
//! back into streams (one meeting's deliveries to one target, oldest first). A [`Stream`] is
//! then delivered strictly in order: its head is attempted, and
//!
//! - on success it is settled `Delivered` and the next one becomes the head;
//! - on failure it is settled `Retry` (or `Dead` once the retry policy gives up) and every
//!   follower is `Released`: none may overtake it, so they wait for the retry, which the store
//!   serves with the stream's head again;
//! - a stream that must stop before its end (the worker stops, the lease runs short) releases
//!   what it did not attempt.
//!
//! The worker only performs the sends and hands results to [`Stream::settle_head`]; everything
//! decided here is tested without a store or a network.

use std::collections::{HashMap, VecDeque};

use carillon_core::events::outbox::{bounded_error, Delivery, DeliveryOutcome, Settlement};

use crate::backoff::RetryPolicy;

/// What became of one attempt, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    /// Failed; tried again later.
    Retry,
    /// Failed for the last time.
    Dead,
}

/// One stream's claimed deliveries, oldest first, and their settlements so far.
#[derive(Debug)]
pub struct Stream {
    target: String,
    pending: VecDeque<Delivery>,
    settled: Vec<Settlement>,
}

/// Groups claimed deliveries into streams: by meeting and target, each in log order, streams in
/// the order the claim returned their first delivery (oldest streams first).
pub fn streams(deliveries: Vec<Delivery>) -> Vec<Stream> {
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<Stream> = Vec::new();
    for d in deliveries {
        let key = (d.event.event.meeting_id.clone(), d.key.target.clone());
        let at = *index.entry(key).or_insert_with(|| {
            out.push(Stream {
                target: d.key.target.clone(),
                pending: VecDeque::new(),
                settled: Vec::new(),
            });
            out.len() - 1
        });
        out[at].pending.push_back(d);
    }
    for s in &mut out {
        s.pending.make_contiguous().sort_by_key(|d| d.key.seq);
    }
    out
}

impl Stream {
    /// The target key every delivery of the stream shares.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Deliveries not settled yet.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The delivery to attempt next; `None` once the stream is done.
    pub fn head(&self) -> Option<&Delivery> {
        self.pending.front()
    }

    /// Settles the head with the result of its attempt at `now_ms`. `fraction` (uniform in
    /// `[0, 1)`) picks the retry's delay within the policy's window.
    pub fn settle_head(
        &mut self,
        result: Result<(), String>,
        now_ms: i64,
        policy: &RetryPolicy,
        fraction: f64,
    ) -> Option<Attempt> {
        let head = self.pending.pop_front()?;
        let (outcome, attempt) = match result {
            Ok(()) => (DeliveryOutcome::Delivered, Attempt::Delivered),
            Err(error) => {
                let error = bounded_error(&error).to_owned();
                if policy.gives_up(head.attempts) {
                    (
                        DeliveryOutcome::Dead {
                            error,
                            at_ms: now_ms,
                        },
                        Attempt::Dead,
                    )
                } else {
                    let delay = policy.delay(head.attempts, fraction);
                    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
                    let retry_at_ms = now_ms.saturating_add(delay_ms);
                    (
                        DeliveryOutcome::Retry { error, retry_at_ms },
                        Attempt::Retry,
                    )
                }
            }
        };
        self.settled.push(Settlement {
            key: head.key,
            claim: head.claim,
            outcome,
        });
        if attempt != Attempt::Delivered {
            self.release_rest();
        }
        Some(attempt)
    }

    /// Gives back every delivery not attempted.
    pub fn release_rest(&mut self) {
        self.settled
            .extend(self.pending.drain(..).map(|d| Settlement {
                key: d.key,
                claim: d.claim,
                outcome: DeliveryOutcome::Released,
            }));
    }

    /// Every settlement of the stream, what was not attempted released.
    pub fn finish(mut self) -> Vec<Settlement> {
        self.release_rest();
        self.settled
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use carillon_core::events::outbox::{
        DeliveryKey, EventPosition, EventSource, LoggedEvent, StoredEvent,
    };

    use super::*;

    fn delivery(meeting: &str, target: &str, seq: i64, attempts: u32) -> Delivery {
        Delivery {
            key: DeliveryKey {
                target: target.to_owned(),
                seq,
            },
            attempts,
            claim: 7,
            event: StoredEvent {
                position: EventPosition {
                    major: 0,
                    minor: seq,
                },
                seq,
                event: LoggedEvent {
                    event_id: format!("id-{seq}"),
                    meeting_id: meeting.to_owned(),
                    account_id: "111122223333".into(),
                    source: EventSource::Meeting,
                    name: "chime:AttendeeAdded".into(),
                    at_ms: 1_000,
                    body: "{}".into(),
                },
            },
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }

    fn seqs(s: &Stream) -> Vec<i64> {
        s.pending.iter().map(|d| d.key.seq).collect()
    }

    #[test]
    fn deliveries_group_by_meeting_and_target_in_log_order() {
        let claimed = vec![
            delivery("m1", "webhook:a", 3, 0),
            delivery("m2", "webhook:a", 2, 0),
            delivery("m1", "webhook:a", 1, 0),
            delivery("m1", "eventbridge", 1, 0),
            delivery("m1", "webhook:a", 5, 0),
        ];
        let s = streams(claimed);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].target(), seqs(&s[0])), ("webhook:a", vec![1, 3, 5]));
        assert_eq!((s[1].target(), seqs(&s[1])), ("webhook:a", vec![2]));
        assert_eq!((s[2].target(), seqs(&s[2])), ("eventbridge", vec![1]));
        assert!(streams(Vec::new()).is_empty());
    }

    #[test]
    fn a_stream_delivered_in_full_settles_every_delivery() {
        let mut s = streams(vec![
            delivery("m", "sqs:q", 1, 0),
            delivery("m", "sqs:q", 2, 0),
        ])
        .remove(0);
        for expected in [1, 2] {
            assert_eq!(s.head().map(|d| d.key.seq), Some(expected));
            assert_eq!(
                s.settle_head(Ok(()), 10, &policy(), 0.5),
                Some(Attempt::Delivered)
            );
        }
        assert!(s.head().is_none());
        assert_eq!(s.settle_head(Ok(()), 10, &policy(), 0.5), None);
        let settled = s.finish();
        assert_eq!(settled.len(), 2);
        assert!(settled
            .iter()
            .all(|x| x.outcome == DeliveryOutcome::Delivered && x.claim == 7));
    }

    #[test]
    fn a_failure_retries_the_head_and_releases_its_followers() {
        let mut s = streams(vec![
            delivery("m", "sns:t", 1, 0),
            delivery("m", "sns:t", 2, 0),
            delivery("m", "sns:t", 3, 0),
        ])
        .remove(0);
        s.settle_head(Ok(()), 5_000, &policy(), 0.5);
        let attempt = s.settle_head(Err("HTTP 503".into()), 5_000, &policy(), 0.5);
        assert_eq!(attempt, Some(Attempt::Retry));
        assert!(s.head().is_none(), "nothing may overtake a failed delivery");
        let settled = s.finish();
        let outcomes: Vec<_> = settled.iter().map(|x| (x.key.seq, &x.outcome)).collect();
        assert_eq!(
            outcomes,
            vec![
                (1, &DeliveryOutcome::Delivered),
                (
                    2,
                    &DeliveryOutcome::Retry {
                        error: "HTTP 503".into(),
                        retry_at_ms: 5_500
                    }
                ),
                (3, &DeliveryOutcome::Released),
            ]
        );
    }

    #[test]
    fn the_retry_window_grows_with_the_attempts() {
        let mut s = streams(vec![delivery("m", "eventbridge", 1, 1)]).remove(0);
        s.settle_head(Err("boom".into()), 0, &policy(), 0.99);
        let settled = s.finish();
        assert_eq!(
            settled[0].outcome,
            DeliveryOutcome::Retry {
                error: "boom".into(),
                retry_at_ms: 1_980
            }
        );
    }

    #[test]
    fn the_last_attempt_makes_a_dead_letter_with_a_bounded_error() {
        let mut s = streams(vec![
            delivery("m", "webhook:a", 1, 2),
            delivery("m", "webhook:a", 2, 0),
        ])
        .remove(0);
        let long = "é".repeat(2_000);
        assert_eq!(
            s.settle_head(Err(long), 42, &policy(), 0.5),
            Some(Attempt::Dead)
        );
        let settled = s.finish();
        match &settled[0].outcome {
            DeliveryOutcome::Dead { error, at_ms } => {
                assert_eq!(*at_ms, 42);
                assert!(error.len() <= carillon_core::events::outbox::MAX_ERROR_LEN);
                assert!(error.starts_with('é'));
            }
            other => panic!("expected a dead letter, got {other:?}"),
        }
        assert_eq!(settled[1].outcome, DeliveryOutcome::Released);
    }

    #[test]
    fn a_stream_stopped_early_releases_what_it_did_not_attempt() {
        let mut s = streams(vec![
            delivery("m", "sqs:q", 1, 0),
            delivery("m", "sqs:q", 2, 4),
        ])
        .remove(0);
        s.release_rest();
        assert!(s.head().is_none());
        let settled = s.finish();
        assert_eq!(settled.len(), 2);
        assert!(settled
            .iter()
            .all(|x| x.outcome == DeliveryOutcome::Released));
    }
}
