//! Data messages: what a message may carry, AWS's throttling, and the buffer that replays
//! messages with a lifetime to late joiners.
//!
//! AWS documents (the SDK's API overview, "Data messages"): topics of 1-36 characters
//! `[A-Za-z0-9_-]`, at most 2 KiB of data; a soft limit of 100 messages a second with bursts of
//! 200 per meeting, above which messages come back to their sender marked throttled; and hard
//! limits of 200 a second (bursts of 2,000) per attendee and 500 a second (bursts of 10,000) per
//! meeting, above which "the server may hang up the connection": here it does, for the sender.
//! Messages with a lifetime are kept for at most 5 minutes, 1,024 at most per meeting.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use carillon_core::rate::Rate;

/// Largest `data` of one message.
pub const MAX_DATA_BYTES: usize = 2048;
/// Longest topic.
pub const MAX_TOPIC_LEN: usize = 36;
/// Longest lifetime a message is kept for.
pub const MAX_LIFETIME: Duration = Duration::from_secs(300);
/// Messages kept per meeting for replay.
pub const BUFFERED_MESSAGES: usize = 1024;

/// The limits of [the module documentation](self).
#[derive(Debug, Clone, Copy)]
pub struct DataLimits {
    pub meeting_soft: Rate,
    pub meeting_hard: Rate,
    pub attendee_hard: Rate,
}

impl Default for DataLimits {
    fn default() -> Self {
        DataLimits {
            meeting_soft: Rate::new(100.0, 200),
            meeting_hard: Rate::new(500.0, 10_000),
            attendee_hard: Rate::new(200.0, 2_000),
        }
    }
}

/// One limit's bucket, on the same rate algorithm as the API's quotas; its time counts from its
/// creation.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: Rate,
    origin: Instant,
    next_free_ns: u64,
}

impl TokenBucket {
    pub fn new(rate: Rate, now: Instant) -> Self {
        TokenBucket {
            rate,
            origin: now,
            next_free_ns: 0,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let now_ns = now.saturating_duration_since(self.origin).as_nanos();
        let now_ns = u64::try_from(now_ns).unwrap_or(u64::MAX);
        match self.rate.check(self.next_free_ns, now_ns) {
            Ok(next_free_ns) => {
                self.next_free_ns = next_free_ns;
                true
            }
            Err(_) => false,
        }
    }
}

/// The topic rule the SDK itself applies before sending: `^[a-zA-Z0-9_-]{1,36}$`.
pub fn valid_topic(topic: &str) -> bool {
    (1..=MAX_TOPIC_LEN).contains(&topic.len())
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Stamps messages with a wall-clock time in nanoseconds that never repeats nor goes back
/// within a meeting: apps drop a message whose time is not after the previous one's.
#[derive(Debug, Default)]
pub struct IngestClock {
    last_ns: i64,
}

/// The least step from one stamp to the next. The SDK reads the time as a JavaScript number
/// (protobufjs without long.js), which holds today's times in nanoseconds to 256 ns: two
/// stamps closer than that would read as the same time. A microsecond leaves room.
const MIN_STEP_NS: i64 = 1_000;

impl IngestClock {
    pub fn stamp(&mut self) -> i64 {
        let now = carillon_core::clock::real_ns();
        self.last_ns = now.max(self.last_ns.saturating_add(MIN_STEP_NS));
        self.last_ns
    }
}

/// A relayed message kept for replay: its encoded DATA_MESSAGE frame and who sent it.
#[derive(Debug)]
struct Buffered {
    expires: Instant,
    sender_attendee_id: std::sync::Arc<str>,
    frame: Bytes,
}

/// The messages of one meeting still within their lifetime, oldest first.
#[derive(Debug, Default)]
pub struct ReplayBuffer {
    messages: VecDeque<Buffered>,
}

impl ReplayBuffer {
    pub fn push(
        &mut self,
        now: Instant,
        lifetime: Duration,
        sender_attendee_id: std::sync::Arc<str>,
        frame: Bytes,
    ) {
        self.prune(now);
        if self.messages.len() == BUFFERED_MESSAGES {
            self.messages.pop_front();
        }
        self.messages.push_back(Buffered {
            expires: now + lifetime.min(MAX_LIFETIME),
            sender_attendee_id,
            frame,
        });
    }

    /// The frames to replay to a joining `attendee_id`, oldest first: every live message but
    /// its own (a reconnecting client has seen those).
    pub fn replay(&mut self, now: Instant, attendee_id: &str) -> Vec<Bytes> {
        self.prune(now);
        self.messages
            .iter()
            .filter(|m| &*m.sender_attendee_id != attendee_id)
            .map(|m| m.frame.clone())
            .collect()
    }

    fn prune(&mut self, now: Instant) {
        // Lifetimes differ, so expired messages are not only at the front.
        self.messages.retain(|m| m.expires > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_follow_the_sdk_rule() {
        for good in ["a", "chat", "A-b_9", &"x".repeat(36)] {
            assert!(valid_topic(good), "{good}");
        }
        for bad in ["", "with space", "é", "a/b", &"x".repeat(37)] {
            assert!(!valid_topic(bad), "{bad}");
        }
    }

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Rate::new(100.0, 200), start);
        assert_eq!((0..300).filter(|_| bucket.take(start)).count(), 200);
        let later = start + Duration::from_millis(100);
        assert_eq!((0..300).filter(|_| bucket.take(later)).count(), 10);
    }

    #[test]
    fn the_ingest_clock_always_moves_forward() {
        let mut clock = IngestClock::default();
        let mut last = 0;
        for _ in 0..10_000 {
            let now = clock.stamp();
            assert!(now >= last + MIN_STEP_NS);
            last = now;
        }
    }

    #[test]
    fn the_buffer_keeps_what_is_alive_and_not_the_joiners_own() {
        let start = Instant::now();
        let mut buffer = ReplayBuffer::default();
        buffer.push(
            start,
            Duration::from_secs(1),
            "a".into(),
            Bytes::from_static(b"1"),
        );
        buffer.push(
            start,
            Duration::from_secs(10),
            "b".into(),
            Bytes::from_static(b"2"),
        );
        buffer.push(
            start,
            Duration::from_secs(10),
            "a".into(),
            Bytes::from_static(b"3"),
        );
        assert_eq!(buffer.replay(start, "c").len(), 3);
        assert_eq!(buffer.replay(start, "a"), vec![Bytes::from_static(b"2")]);
        let later = start + Duration::from_secs(2);
        assert_eq!(
            buffer.replay(later, "c"),
            vec![Bytes::from_static(b"2"), Bytes::from_static(b"3")]
        );
        let much_later = start + MAX_LIFETIME + Duration::from_secs(1);
        buffer.push(
            start,
            Duration::from_secs(3600),
            "a".into(),
            Bytes::from_static(b"4"),
        );
        assert!(buffer.replay(much_later, "c").is_empty());
    }

    #[test]
    fn the_buffer_holds_at_most_1024() {
        let start = Instant::now();
        let mut buffer = ReplayBuffer::default();
        for i in 0..1100u32 {
            buffer.push(start, MAX_LIFETIME, "a".into(), Bytes::from(i.to_string()));
        }
        let kept = buffer.replay(start, "b");
        assert_eq!(kept.len(), BUFFERED_MESSAGES);
        assert_eq!(kept[0], Bytes::from("76"));
    }
}
