//! One sender's jitter buffer: puts packets back in sequence order and hands the mixer one per
//! 20 ms tick, on a timeline that advances every tick whether or not the packet came.
//!
//! Because the timeline never waits for a packet, latency cannot creep up through underruns: a
//! packet that arrives after its turn is dropped (it was concealed). A stream whose delay
//! stepped up for good shows as [`LATE_TO_RESYNC`] late packets in a row, and playout starts
//! again from the latest of them; a sender that stops goes silent after [`MAX_CONCEALED`]
//! frames. Latency can only grow when more packets arrive than are played (a burst after a
//! stall, a sender whose clock runs fast); [`JitterBuffer::max_span`] caps that by skipping the
//! oldest frames, and a depth that stays above its target for [`DRAIN_AFTER`] ticks in a row
//! loses one frame, so a buffer that filled up drains back to its target.

/// Slots in the ring, indexed by `sequence % RING`. It divides 65,536, so the index stays right
/// across the wrap of the 16-bit sequence number. 32 frames is 640 ms, well beyond the cap.
pub(super) const RING: usize = 32;

/// Frames concealed in a row (200 ms) after which a sender with nothing buffered counts as
/// silent: it stopped sending, or its packets all arrive too late to play.
pub(super) const MAX_CONCEALED: u32 = 10;

/// Late packets in a row (none on time between) that mean the stream now runs behind the
/// timeline rather than jittering around it. One or two are ordinary jitter: dropping them
/// costs less than starting over.
pub(super) const LATE_TO_RESYNC: u32 = 3;

/// Ticks in a row the depth must stay above its target before one frame is skipped (one
/// second). Jitter makes the depth swing for a tick or two; only standing latency lasts.
pub(super) const DRAIN_AFTER: u32 = 50;

/// Frames the depth may exceed its target by before the oldest are skipped.
const SLACK_FRAMES: usize = 3;

/// What one tick plays.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Playout<'a> {
    /// Nothing: the sender is silent, or its buffer is still filling.
    Silent,
    /// The packet whose turn it is.
    Packet { sequence: u16, payload: &'a [u8] },
    /// The packet whose turn it is never came (or not in time): conceal it, from the in-band
    /// FEC of `next` (the following packet) when that is already here.
    Missing {
        sequence: u16,
        next: Option<&'a [u8]>,
    },
}

/// What became of a pushed packet.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(super) enum Pushed {
    Stored,
    Duplicate,
    /// Its turn has passed.
    Late,
    /// It lies beyond the ring (the sender restarted its sequence), or it is one late packet
    /// too many: what was buffered is dropped and playout starts again from this packet.
    Restarted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing buffered, nothing playing.
    Idle,
    /// Buffering before playout: `waited` ticks have passed since the first packet came.
    Priming {
        waited: usize,
    },
    Playing,
}

struct Slot {
    sequence: u16,
    filled: bool,
    /// Kept (with its capacity) when the slot is emptied, so a steady stream reuses it instead
    /// of allocating: a slot allocates only when a packet larger than any before it arrives.
    payload: Vec<u8>,
}

pub(super) struct JitterBuffer {
    slots: Vec<Slot>,
    state: State,
    /// The sequence whose turn is next (while priming: the earliest buffered).
    next: u16,
    /// The latest sequence buffered; meaningful while `buffered > 0`.
    highest: u16,
    buffered: usize,
    target: usize,
    concealed_in_a_row: u32,
    late_in_a_row: u32,
    above_target_in_a_row: u32,
}

impl JitterBuffer {
    /// A buffer that starts playout `target` ticks after a sender's first packet.
    pub(super) fn new(target: usize) -> Self {
        debug_assert!(target + 1 + SLACK_FRAMES < RING);
        let slots = (0..RING)
            .map(|_| Slot {
                sequence: 0,
                filled: false,
                payload: Vec::new(),
            })
            .collect();
        Self {
            slots,
            state: State::Idle,
            next: 0,
            highest: 0,
            buffered: 0,
            target,
            concealed_in_a_row: 0,
            late_in_a_row: 0,
            above_target_in_a_row: 0,
        }
    }

    /// The most frames held at a tick, counting the one about to play and the gaps between
    /// (they are latency too): the target depth, the frame played, and a little slack.
    pub(super) fn max_span(&self) -> usize {
        self.target + 1 + SLACK_FRAMES
    }

    /// Frames from the next to play to the latest buffered, gaps included; 0 when empty.
    pub(super) fn span(&self) -> usize {
        if self.buffered == 0 {
            0
        } else {
            usize::from(self.highest.wrapping_sub(self.next)) + 1
        }
    }

    #[cfg(test)]
    pub(super) fn is_playing(&self) -> bool {
        self.state == State::Playing
    }

    pub(super) fn push(&mut self, sequence: u16, payload: &[u8]) -> Pushed {
        if self.state == State::Idle {
            self.restart(sequence, payload);
            return Pushed::Stored;
        }
        let ahead = sequence.wrapping_sub(self.next) as i16;
        if ahead < 0 {
            // While priming, an earlier packet that arrives out of order moves the start back,
            // as long as the whole window still fits in the ring.
            let window = usize::from(self.highest.wrapping_sub(sequence));
            if matches!(self.state, State::Priming { .. }) && window < RING {
                self.next = sequence;
                self.store(sequence, payload);
                return Pushed::Stored;
            }
            self.late_in_a_row += 1;
            if self.late_in_a_row >= LATE_TO_RESYNC {
                self.restart(sequence, payload);
                return Pushed::Restarted;
            }
            return Pushed::Late;
        }
        if ahead as usize >= RING {
            self.restart(sequence, payload);
            return Pushed::Restarted;
        }
        let slot = &self.slots[Self::index(sequence)];
        if slot.filled && slot.sequence == sequence {
            return Pushed::Duplicate;
        }
        self.store(sequence, payload);
        Pushed::Stored
    }

    /// Advances the timeline by one frame.
    pub(super) fn tick(&mut self) -> Playout<'_> {
        if self.state == State::Idle {
            return Playout::Silent;
        }
        self.skip_beyond_cap();
        match self.state {
            State::Priming { waited } if waited < self.target => {
                self.state = State::Priming { waited: waited + 1 };
                Playout::Silent
            }
            _ => {
                self.state = State::Playing;
                self.drain_standing_latency();
                self.play()
            }
        }
    }

    fn play(&mut self) -> Playout<'_> {
        let sequence = self.next;
        self.next = sequence.wrapping_add(1);
        let index = Self::index(sequence);
        if self.slots[index].filled && self.slots[index].sequence == sequence {
            self.slots[index].filled = false;
            self.buffered -= 1;
            self.concealed_in_a_row = 0;
            return Playout::Packet {
                sequence,
                payload: &self.slots[index].payload,
            };
        }
        self.concealed_in_a_row += 1;
        if self.buffered == 0 && self.concealed_in_a_row > MAX_CONCEALED {
            self.state = State::Idle;
            self.concealed_in_a_row = 0;
            return Playout::Silent;
        }
        let following = &self.slots[Self::index(self.next)];
        let next = (following.filled && following.sequence == self.next)
            .then_some(following.payload.as_slice());
        Playout::Missing { sequence, next }
    }

    /// Skips the oldest frames while more are held than [`Self::max_span`] allows.
    fn skip_beyond_cap(&mut self) {
        while self.span() > self.max_span() {
            self.skip_oldest();
        }
    }

    /// Skips one frame when the depth has stayed above its target for [`DRAIN_AFTER`] ticks.
    fn drain_standing_latency(&mut self) {
        if self.span() <= self.target + 1 {
            self.above_target_in_a_row = 0;
            return;
        }
        self.above_target_in_a_row += 1;
        if self.above_target_in_a_row >= DRAIN_AFTER {
            self.above_target_in_a_row = 0;
            self.skip_oldest();
        }
    }

    fn skip_oldest(&mut self) {
        let slot = &mut self.slots[Self::index(self.next)];
        if slot.filled && slot.sequence == self.next {
            slot.filled = false;
            self.buffered -= 1;
        }
        self.next = self.next.wrapping_add(1);
    }

    fn restart(&mut self, sequence: u16, payload: &[u8]) {
        for slot in &mut self.slots {
            slot.filled = false;
        }
        self.buffered = 0;
        self.next = sequence;
        self.concealed_in_a_row = 0;
        self.late_in_a_row = 0;
        self.above_target_in_a_row = 0;
        self.state = State::Priming { waited: 0 };
        self.store(sequence, payload);
    }

    /// Stores a packet known to lie in `next .. next + RING` and not to be buffered yet.
    fn store(&mut self, sequence: u16, payload: &[u8]) {
        let later = sequence.wrapping_sub(self.highest) as i16 > 0;
        if self.buffered == 0 || later {
            self.highest = sequence;
        }
        self.late_in_a_row = 0;
        let slot = &mut self.slots[Self::index(sequence)];
        slot.sequence = sequence;
        slot.filled = true;
        slot.payload.clear();
        slot.payload.extend_from_slice(payload);
        self.buffered += 1;
    }

    fn index(sequence: u16) -> usize {
        usize::from(sequence) % RING
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a tick played, by sequence: `Some(Ok(s))` packet `s`, `Some(Err(s))` `s` concealed.
    fn played(buffer: &mut JitterBuffer) -> Option<Result<u16, u16>> {
        match buffer.tick() {
            Playout::Silent => None,
            Playout::Packet { sequence, payload } => {
                assert_eq!(payload, &sequence.to_be_bytes());
                Some(Ok(sequence))
            }
            Playout::Missing { sequence, .. } => Some(Err(sequence)),
        }
    }

    fn push(buffer: &mut JitterBuffer, sequence: u16) -> Pushed {
        buffer.push(sequence, &sequence.to_be_bytes())
    }

    #[test]
    fn playout_starts_target_ticks_after_the_first_packet() {
        for target in 0..4 {
            let mut buffer = JitterBuffer::new(target);
            let mut first_played_at = None;
            for tick in 0..8u16 {
                push(&mut buffer, 100 + tick);
                if let Some(Ok(sequence)) = played(&mut buffer) {
                    first_played_at.get_or_insert((tick, sequence));
                }
            }
            assert_eq!(first_played_at, Some((target as u16, 100)));
        }
    }

    #[test]
    fn reordered_packets_play_in_sequence_order() {
        let mut buffer = JitterBuffer::new(2);
        // Pairs swapped: 1 0 3 2 5 4 ...
        let mut order = Vec::new();
        for tick in 0..20u16 {
            push(&mut buffer, tick ^ 1);
            order.extend(played(&mut buffer));
        }
        let expected: Vec<_> = (0..18).map(Ok).collect();
        assert_eq!(order, expected);
    }

    #[test]
    fn duplicates_are_ignored_and_late_packets_dropped() {
        let mut buffer = JitterBuffer::new(1);
        assert_eq!(push(&mut buffer, 10), Pushed::Stored);
        assert_eq!(push(&mut buffer, 11), Pushed::Stored);
        assert_eq!(push(&mut buffer, 11), Pushed::Duplicate);
        assert_eq!(played(&mut buffer), None);
        assert_eq!(played(&mut buffer), Some(Ok(10)));
        assert_eq!(push(&mut buffer, 10), Pushed::Late);
        assert_eq!(push(&mut buffer, 9), Pushed::Late);
        assert_eq!(played(&mut buffer), Some(Ok(11)));
        assert_eq!(buffer.span(), 0);
    }

    #[test]
    fn sequence_numbers_wrap_from_65535_to_0() {
        let mut buffer = JitterBuffer::new(2);
        let mut order = Vec::new();
        for n in 0..12u16 {
            let sequence = 65_530u16.wrapping_add(n);
            // Arrive pairwise swapped across the wrap too.
            let arriving = 65_530u16.wrapping_add(n ^ 1);
            assert_eq!(push(&mut buffer, arriving), Pushed::Stored, "{sequence}");
            order.extend(played(&mut buffer));
        }
        let expected: Vec<_> = (0..10).map(|n| Ok(65_530u16.wrapping_add(n))).collect();
        assert_eq!(order, expected);
    }

    #[test]
    fn a_missing_packet_is_concealed_with_the_next_packet_offered_for_fec() {
        let mut buffer = JitterBuffer::new(2);
        for sequence in [0, 1, 3, 4] {
            push(&mut buffer, sequence);
        }
        let mut results = Vec::new();
        for _ in 0..6 {
            match buffer.tick() {
                Playout::Missing { sequence, next } => {
                    results.push((sequence, next.map(<[u8]>::to_vec)));
                }
                Playout::Packet { sequence, .. } => results.push((sequence, None)),
                Playout::Silent => {}
            }
        }
        assert_eq!(
            results,
            [
                (0, None),
                (1, None),
                (2, Some(3u16.to_be_bytes().to_vec())),
                (3, None)
            ]
        );
    }

    #[test]
    fn a_sender_that_stops_goes_silent_after_200_ms_and_primes_again() {
        let mut buffer = JitterBuffer::new(1);
        push(&mut buffer, 0);
        assert_eq!(played(&mut buffer), None);
        assert_eq!(played(&mut buffer), Some(Ok(0)));
        for n in 1..=MAX_CONCEALED as u16 {
            assert_eq!(played(&mut buffer), Some(Err(n)));
        }
        assert_eq!(played(&mut buffer), None);
        assert!(!buffer.is_playing());
        // Any packet now starts a new talk spurt, however far its sequence moved.
        push(&mut buffer, 500);
        assert_eq!(played(&mut buffer), None);
        assert_eq!(played(&mut buffer), Some(Ok(500)));
    }

    #[test]
    fn a_stream_whose_delay_steps_up_resynchronises() {
        let mut buffer = JitterBuffer::new(2);
        let mut tick_played = Vec::new();
        // 40 ticks on time, then every packet arrives 100 ms (5 ticks) later than before.
        for tick in 0..120u16 {
            if tick < 40 {
                push(&mut buffer, tick);
            } else if tick >= 45 {
                push(&mut buffer, tick - 5);
            }
            tick_played.push(played(&mut buffer));
        }
        // Concealed while the packets are missing or late, silent while priming again (the
        // target), then played at the target delay from the new arrival times.
        let after_step = &tick_played[42..];
        let concealed = after_step
            .iter()
            .take_while(|p| matches!(p, Some(Err(_))))
            .count();
        // Three ticks with nothing buffered (the 5-tick step less the 2 of depth), then the
        // late packets but the last of the resynchronising run.
        assert_eq!(concealed, 3 + LATE_TO_RESYNC as usize - 1);
        let silent = after_step[concealed..]
            .iter()
            .take_while(|p| p.is_none())
            .count();
        assert_eq!(silent, 2);
        for (tick, played) in tick_played.iter().enumerate().skip(42 + concealed + silent) {
            assert_eq!(*played, Some(Ok(tick as u16 - 5 - 2)));
        }
    }

    #[test]
    fn a_burst_of_late_packets_is_capped() {
        let mut buffer = JitterBuffer::new(2);
        let mut sequence = 0u16;
        for _ in 0..10 {
            push(&mut buffer, sequence);
            sequence += 1;
            played(&mut buffer);
        }
        // A stall of 8 ticks, then the 8 held packets arrive at once with the current one.
        for _ in 0..8 {
            played(&mut buffer);
        }
        for _ in 0..9 {
            push(&mut buffer, sequence);
            sequence += 1;
        }
        for _ in 0..50 {
            push(&mut buffer, sequence);
            sequence += 1;
            played(&mut buffer);
            assert!(buffer.span() <= buffer.max_span(), "span {}", buffer.span());
        }
        // A sender whose clock runs fast (two packets some ticks) is held at the cap too.
        for tick in 0..200 {
            push(&mut buffer, sequence);
            sequence += 1;
            if tick % 5 == 0 {
                push(&mut buffer, sequence);
                sequence += 1;
            }
            played(&mut buffer);
            assert!(buffer.span() <= buffer.max_span(), "span {}", buffer.span());
        }
        assert!(buffer.is_playing());
    }

    #[test]
    fn a_depth_that_stays_above_its_target_drains_back() {
        let mut buffer = JitterBuffer::new(2);
        // Six packets at once, then one a tick: the depth starts three frames over its target.
        for sequence in 0..6 {
            push(&mut buffer, sequence);
        }
        let mut spans = Vec::new();
        for (tick, sequence) in (0..4 * DRAIN_AFTER).zip(6..) {
            push(&mut buffer, sequence);
            spans.push(buffer.span());
            let played = played(&mut buffer);
            assert!(
                tick < 2 || played.is_some_and(|p| p.is_ok()),
                "tick {tick}: {played:?}"
            );
        }
        // Measured before each tick. Capped at once, then drained a frame a second down to the
        // frame about to play and the two of the target depth.
        assert_eq!(spans[0], 7);
        assert_eq!(spans[10], 6);
        assert!(spans[2..].windows(2).all(|w| w[1] <= w[0]));
        assert_eq!(spans[10 + 3 * DRAIN_AFTER as usize], 3);
    }

    #[test]
    fn a_jump_beyond_the_ring_restarts_playout() {
        let mut buffer = JitterBuffer::new(0);
        push(&mut buffer, 0);
        push(&mut buffer, 1);
        assert_eq!(played(&mut buffer), Some(Ok(0)));
        assert_eq!(push(&mut buffer, 1_000), Pushed::Restarted);
        assert_eq!(played(&mut buffer), Some(Ok(1_000)));
        assert_eq!(buffer.span(), 0);
    }

    #[test]
    fn an_earlier_packet_arriving_while_priming_moves_the_start_back() {
        let mut buffer = JitterBuffer::new(2);
        push(&mut buffer, 7);
        assert_eq!(played(&mut buffer), None);
        push(&mut buffer, 5);
        assert_eq!(played(&mut buffer), None);
        push(&mut buffer, 6);
        assert_eq!(played(&mut buffer), Some(Ok(5)));
        assert_eq!(played(&mut buffer), Some(Ok(6)));
        assert_eq!(played(&mut buffer), Some(Ok(7)));
    }
}
