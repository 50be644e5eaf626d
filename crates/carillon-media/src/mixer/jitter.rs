//! One sender's jitter buffer: puts packets back in sequence order and hands the mixer one per
//! 20 ms tick, with a playout delay that adapts to the jitter the sender's packets show.
//!
//! **The delay.** The buffer counts its ticks. A packet's *lag* is the number of the tick it
//! arrived before, minus its sequence number: the packets of a steady stream all have the same
//! lag, and network jitter spreads them. Tick *t* plays sequence *t* − `delay`, so a packet is on
//! time when its lag is at most the delay, and it waits the difference in ticks. The delay
//! follows the largest lag of the last [`WINDOW_BLOCKS`] seconds:
//! - It starts at the first packet's lag: that packet plays at the very next tick.
//! - A late packet is dropped (its turn was concealed) when it is the window's only one: a rare
//!   straggler costs one concealed frame rather than 20 ms more for everything after it. A
//!   second late packet in the window raises the delay at once, as far as it takes for at most
//!   one packet of the window to have been late. Playout steps back to play the late packet
//!   next: its turn was concealed, so the concealed frame is the one inserted (a 20 ms stretch)
//!   and nothing after it is lost. When a later packet has played already, playout never steps
//!   back to it; the delay rises by inserting concealed frames instead.
//! - At the end of every second in which the whole window's packets waited at least one tick,
//!   it falls by one frame: the oldest frame is skipped.
//!
//! So a packet from a network without jitter is played at the first tick after it arrives, and a
//! jittery stream gets the depth its jitter needs and no more. The depth never exceeds
//! `max_frames`: a packet that would need more is dropped (it was concealed), and a packet so
//! early that it would wait longer lowers the delay. [`LATE_TO_RESYNC`] packets in a row
//! dropped as late mean the stream now runs behind for good, and playout starts again from the
//! latest of them; a sender that stops goes silent after [`MAX_CONCEALED`] frames.

/// Slots in the ring, indexed by `sequence % RING`. It divides 65,536, so the index stays right
/// across the wrap of the 16-bit sequence number. 32 frames is 640 ms, well beyond any depth.
pub(super) const RING: usize = 32;

/// Frames concealed in a row (200 ms) after which a sender with nothing buffered counts as
/// silent: it stopped sending, or its packets all arrive too late to play.
pub(super) const MAX_CONCEALED: u32 = 10;

/// Late packets dropped in a row (none on time between) that mean the stream now runs behind
/// more than the deepest buffer allows, rather than jittering.
pub(super) const LATE_TO_RESYNC: u32 = 3;

/// Late packets the window may hold without raising the delay: one in about 150 (under 1%).
pub(super) const LATE_BUDGET: usize = 1;

/// Ticks of one block of the window (one second).
pub(super) const BLOCK_TICKS: u32 = 50;

/// Blocks the window keeps, the current one included: the delay falls only after two to three
/// seconds without the jitter that raised it, so a stream whose jitter comes in bursts a few
/// seconds apart does not pay a concealed frame at every burst.
pub(super) const WINDOW_BLOCKS: usize = 3;

/// What one tick plays.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Playout<'a> {
    /// Nothing: the sender is silent.
    Silent,
    /// The packet whose turn it is.
    Packet { sequence: u16, payload: &'a [u8] },
    /// The packet whose turn it is never came (or not in time): conceal it, from the in-band
    /// FEC of `next` (the following packet) when that is already here.
    Missing {
        sequence: u16,
        next: Option<&'a [u8]>,
    },
    /// The delay rose: a concealed frame is inserted before `next` plays.
    Stretched { next: u16 },
}

/// What became of a pushed packet.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(super) enum Pushed {
    Stored,
    Duplicate,
    /// Its turn had passed; the delay rose and it plays next.
    Delayed,
    /// Its turn has passed and it is dropped: a later packet was played already (the delay
    /// still rose for the packets after it), or waiting for it would take the depth beyond its
    /// cap.
    Late,
    /// It lies beyond the ring (the sender restarted its sequence), or it is one late packet
    /// too many: what was buffered is dropped and playout starts again from this packet.
    Restarted,
}

struct Slot {
    sequence: u16,
    filled: bool,
    /// Emptied by playing its packet: the same sequence again is a duplicate.
    played: bool,
    /// Kept (with its capacity) when the slot is emptied, so a steady stream reuses it instead
    /// of allocating: a slot allocates only when a packet larger than any before it arrives.
    payload: Vec<u8>,
}

/// The least *excess* (lag minus the delay: how many ticks late a packet was, negative for the
/// ticks it waits) among one block's packets, and the greatest few, in descending order
/// (`i32::MIN` for none). Kept relative to the current delay, so they move when it moves.
#[derive(Debug, Clone, Copy)]
struct Extremes {
    least: i32,
    greatest: [i32; LATE_BUDGET + 1],
}

impl Extremes {
    fn of(excess: i32) -> Self {
        let mut greatest = [i32::MIN; LATE_BUDGET + 1];
        greatest[0] = excess;
        Extremes {
            least: excess,
            greatest,
        }
    }

    fn add(&mut self, excess: i32) {
        self.least = self.least.min(excess);
        if let Some(at) = self.greatest.iter().position(|&g| excess > g) {
            self.greatest.copy_within(at..LATE_BUDGET, at + 1);
            self.greatest[at] = excess;
        }
    }

    fn merge(mut self, other: Extremes) -> Self {
        for excess in other.greatest.into_iter().filter(|&g| g != i32::MIN) {
            self.add(excess);
        }
        self.least = self.least.min(other.least);
        self
    }

    fn shift(&mut self, by: i32) {
        self.least -= by;
        for g in self.greatest.iter_mut().filter(|g| **g != i32::MIN) {
            *g -= by;
        }
    }
}

pub(super) struct JitterBuffer {
    slots: Vec<Slot>,
    playing: bool,
    /// The number of the coming tick (wraps).
    clock: u16,
    /// The coming tick plays sequence `clock - delay` (wrapping).
    delay: u16,
    /// The sequence to play next, after `hold` stretched frames: while playing,
    /// `next - hold == clock - delay`.
    next: u16,
    hold: u16,
    /// The latest sequence buffered; meaningful while `buffered > 0`.
    highest: u16,
    buffered: usize,
    /// The last sequence played from a packet (not concealed): playout never steps back to it.
    last_played: Option<u16>,
    max_frames: i32,
    window: [Option<Extremes>; WINDOW_BLOCKS],
    /// The window's current block, and the ticks it has counted.
    block: usize,
    block_ticks: u32,
    concealed_in_a_row: u32,
    late_in_a_row: u32,
}

impl JitterBuffer {
    /// A buffer whose depth adapts between nothing and `max_frames` frames.
    pub(super) fn new(max_frames: usize) -> Self {
        debug_assert!(max_frames + 1 < RING);
        let slots = (0..RING)
            .map(|_| Slot {
                sequence: 0,
                filled: false,
                played: false,
                payload: Vec::new(),
            })
            .collect();
        Self {
            slots,
            playing: false,
            clock: 0,
            delay: 0,
            next: 0,
            hold: 0,
            highest: 0,
            buffered: 0,
            last_played: None,
            max_frames: max_frames as i32,
            window: [None; WINDOW_BLOCKS],
            block: 0,
            block_ticks: 0,
            concealed_in_a_row: 0,
            late_in_a_row: 0,
        }
    }

    /// The most frames held at a tick, counting the one about to play and the gaps between
    /// (they are latency too): the deepest the buffer may go, and the frame played.
    #[cfg(test)]
    pub(super) fn max_span(&self) -> usize {
        self.max_frames as usize + 1
    }

    /// Frames from the next to play to the latest buffered, gaps included; 0 when empty.
    #[cfg(test)]
    pub(super) fn span(&self) -> usize {
        if self.buffered == 0 {
            0
        } else {
            usize::from(self.highest.wrapping_sub(self.next)) + 1
        }
    }

    #[cfg(test)]
    pub(super) fn is_playing(&self) -> bool {
        self.playing
    }

    pub(super) fn push(&mut self, sequence: u16, payload: &[u8]) -> Pushed {
        if !self.playing {
            self.restart(sequence, payload);
            return Pushed::Stored;
        }
        let ahead = sequence.wrapping_sub(self.next) as i16;
        if i32::from(ahead) >= RING as i32 {
            self.restart(sequence, payload);
            return Pushed::Restarted;
        }
        let slot = &self.slots[Self::index(sequence)];
        if slot.sequence == sequence && (slot.filled || slot.played) {
            return Pushed::Duplicate;
        }
        // The packet's lag minus the delay: `next - hold` is `clock - delay`.
        let excess = -i32::from(ahead) - i32::from(self.hold);
        self.note(excess);
        if ahead < 0 || excess > 0 {
            return self.late(sequence, payload, excess);
        }
        self.late_in_a_row = 0;
        if -excess > self.max_frames {
            // So early it would wait beyond the cap (a burst after a stall, a sender whose
            // clock runs fast): play sooner, skipping the oldest frames.
            self.lower(-excess - self.max_frames);
        }
        self.store(sequence, payload);
        Pushed::Stored
    }

    /// A packet whose turn has passed (by `excess` ticks) or that playout has moved past. When the
    /// window holds more late packets than [`LATE_BUDGET`], the delay rises so that only that
    /// many stay late, if the depth stays within its cap for every packet of the window; the
    /// packet then plays next, unless a later one has played or it is the latest of them.
    fn late(&mut self, sequence: u16, payload: &[u8], excess: i32) -> Pushed {
        let overtaken = self
            .last_played
            .is_some_and(|last| sequence.wrapping_sub(last) as i16 <= 0);
        let window = self.window_extremes().unwrap_or(Extremes::of(excess));
        let raise = window.greatest[LATE_BUDGET];
        // Playout steps back at most as far as the delay rises: what is buffered must still
        // lie within the ring from there.
        let stepped_back = self.next.wrapping_sub(raise as u16);
        let fits_ring =
            self.buffered == 0 || usize::from(self.highest.wrapping_sub(stepped_back)) < RING;
        if raise > 0 && raise - window.least <= self.max_frames && fits_ring {
            self.raise(raise);
            self.late_in_a_row = 0;
            if overtaken || excess > raise {
                return Pushed::Late;
            }
            self.store(sequence, payload);
            return Pushed::Delayed;
        }
        if overtaken {
            return Pushed::Late;
        }
        self.late_in_a_row += 1;
        if self.late_in_a_row >= LATE_TO_RESYNC {
            self.restart(sequence, payload);
            return Pushed::Restarted;
        }
        Pushed::Late
    }

    /// Advances the timeline by one frame.
    pub(super) fn tick(&mut self) -> Playout<'_> {
        self.clock = self.clock.wrapping_add(1);
        if !self.playing {
            return Playout::Silent;
        }
        self.end_of_block();
        if self.hold > 0 {
            self.hold -= 1;
            return Playout::Stretched { next: self.next };
        }
        self.play()
    }

    /// Plays `next` (the tick's own sequence) and moves on with the clock.
    fn play(&mut self) -> Playout<'_> {
        let sequence = self.next;
        self.next = sequence.wrapping_add(1);
        let index = Self::index(sequence);
        if self.slots[index].filled && self.slots[index].sequence == sequence {
            self.slots[index].filled = false;
            self.slots[index].played = true;
            self.buffered -= 1;
            self.concealed_in_a_row = 0;
            self.last_played = Some(sequence);
            return Playout::Packet {
                sequence,
                payload: &self.slots[index].payload,
            };
        }
        self.concealed_in_a_row += 1;
        if self.buffered == 0 && self.concealed_in_a_row > MAX_CONCEALED {
            self.playing = false;
            return Playout::Silent;
        }
        let following = &self.slots[Self::index(self.next)];
        let next = (following.filled && following.sequence == self.next)
            .then_some(following.payload.as_slice());
        Playout::Missing { sequence, next }
    }

    /// Counts a tick of the window's current block; at the end of the block, lowers the delay
    /// by a frame if every packet of the window waited at least one tick, and starts a block.
    fn end_of_block(&mut self) {
        self.block_ticks += 1;
        if self.block_ticks < BLOCK_TICKS {
            return;
        }
        self.block_ticks = 0;
        if self.window_extremes().is_some_and(|e| e.greatest[0] < 0) {
            self.lower(1);
        }
        self.block = (self.block + 1) % WINDOW_BLOCKS;
        self.window[self.block] = None;
    }

    /// Records a packet's excess in the window's current block.
    fn note(&mut self, excess: i32) {
        match &mut self.window[self.block] {
            Some(block) => block.add(excess),
            block @ None => *block = Some(Extremes::of(excess)),
        }
    }

    fn window_extremes(&self) -> Option<Extremes> {
        self.window
            .iter()
            .flatten()
            .copied()
            .reduce(Extremes::merge)
    }

    /// Moves the recorded excesses with the delay: a later delay makes every packet less late.
    fn shift_window(&mut self, delay_change: i32) {
        for block in self.window.iter_mut().flatten() {
            block.shift(delay_change);
        }
    }

    /// Raises the delay by `frames`. Playout steps back over the turns that were concealed (their
    /// slots are empty), never to a played packet, and holds for the rest.
    fn raise(&mut self, frames: i32) {
        let frames = frames as u16;
        self.delay = self.delay.wrapping_add(frames);
        let concealed_behind = self.last_played.map_or(u16::MAX, |last| {
            self.next.wrapping_sub(last).wrapping_sub(1)
        });
        let back = frames.min(concealed_behind);
        self.next = self.next.wrapping_sub(back);
        self.hold += frames - back;
        self.shift_window(i32::from(frames));
    }

    /// Lowers the delay by `frames`: holds less, then skips the oldest frames.
    fn lower(&mut self, frames: i32) {
        let frames = frames as u16;
        self.delay = self.delay.wrapping_sub(frames);
        let unheld = frames.min(self.hold);
        self.hold -= unheld;
        for _ in unheld..frames {
            let slot = &mut self.slots[Self::index(self.next)];
            if slot.filled && slot.sequence == self.next {
                slot.filled = false;
                self.buffered -= 1;
            }
            self.next = self.next.wrapping_add(1);
        }
        self.shift_window(-i32::from(frames));
    }

    /// Starts playout afresh from `sequence`, which plays at the coming tick.
    fn restart(&mut self, sequence: u16, payload: &[u8]) {
        for slot in &mut self.slots {
            slot.filled = false;
            slot.played = false;
        }
        self.buffered = 0;
        self.playing = true;
        self.next = sequence;
        self.hold = 0;
        self.delay = self.clock.wrapping_sub(sequence);
        self.last_played = None;
        self.window = [None; WINDOW_BLOCKS];
        self.block_ticks = 0;
        self.concealed_in_a_row = 0;
        self.late_in_a_row = 0;
        self.note(0);
        self.store(sequence, payload);
    }

    /// Stores a packet known to lie in `next .. next + RING` and not to be buffered yet.
    fn store(&mut self, sequence: u16, payload: &[u8]) {
        let later = sequence.wrapping_sub(self.highest) as i16 > 0;
        if self.buffered == 0 || later {
            self.highest = sequence;
        }
        let slot = &mut self.slots[Self::index(sequence)];
        if !slot.filled {
            self.buffered += 1;
        }
        slot.sequence = sequence;
        slot.filled = true;
        slot.played = false;
        slot.payload.clear();
        slot.payload.extend_from_slice(payload);
    }

    fn index(sequence: u16) -> usize {
        usize::from(sequence) % RING
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a tick played, by sequence: `Some(Ok(s))` packet `s`, `Some(Err(s))` `s` concealed.
    type Played = Option<Result<u16, u16>>;

    fn played(buffer: &mut JitterBuffer) -> Played {
        match buffer.tick() {
            Playout::Silent => None,
            Playout::Packet { sequence, payload } => {
                assert_eq!(payload, &sequence.to_be_bytes());
                Some(Ok(sequence))
            }
            Playout::Missing { sequence, .. } => Some(Err(sequence)),
            Playout::Stretched { next } => Some(Err(next.wrapping_sub(1))),
        }
    }

    fn push(buffer: &mut JitterBuffer, sequence: u16) -> Pushed {
        buffer.push(sequence, &sequence.to_be_bytes())
    }

    /// Runs one tick per entry of `arrivals`, pushing that entry's packets before it; answers
    /// what each tick played.
    fn run(buffer: &mut JitterBuffer, arrivals: &[Vec<u16>]) -> Vec<Played> {
        arrivals
            .iter()
            .map(|packets| {
                for &sequence in packets {
                    push(buffer, sequence);
                }
                played(buffer)
            })
            .collect()
    }

    /// Packet `n` of a stream arrives before tick `n + lateness(n)`, over `ticks` ticks.
    fn arrivals(ticks: usize, lateness: impl Fn(usize) -> usize) -> Vec<Vec<u16>> {
        let mut arrivals = vec![Vec::new(); ticks];
        for n in 0..ticks {
            if let Some(tick) = arrivals.get_mut(n + lateness(n)) {
                tick.push(n as u16);
            }
        }
        arrivals
    }

    /// Ticks each packet waited: the tick it played at less the tick it arrived before, by
    /// sequence (packets never played are absent).
    fn waits(arrivals: &[Vec<u16>], played: &[Played]) -> Vec<(u16, usize)> {
        let arrived: std::collections::HashMap<u16, usize> = arrivals
            .iter()
            .enumerate()
            .flat_map(|(tick, packets)| packets.iter().map(move |&s| (s, tick)))
            .collect();
        played
            .iter()
            .enumerate()
            .filter_map(|(tick, p)| match p {
                Some(Ok(s)) => Some((*s, tick - arrived[s])),
                _ => None,
            })
            .collect()
    }

    fn concealed(played: &[Played]) -> usize {
        played.iter().filter(|p| matches!(p, Some(Err(_)))).count()
    }

    #[test]
    fn a_steady_stream_plays_each_packet_at_the_next_tick() {
        for max_frames in [0, 2, 5] {
            let mut buffer = JitterBuffer::new(max_frames);
            let steady = arrivals(300, |_| 0);
            let played = run(&mut buffer, &steady);
            let expected: Vec<Played> = (0..300).map(|n| Some(Ok(n))).collect();
            assert_eq!(played, expected, "max_frames {max_frames}");
        }
    }

    #[test]
    fn the_delay_rises_to_the_jitter_and_no_further() {
        // Every packet 0 to 2 ticks late, in a pattern with no period of its own.
        let lateness = |n: usize| (n * 7 + n / 3) % 3;
        let jittery = arrivals(400, lateness);
        let mut buffer = JitterBuffer::new(5);
        let played = run(&mut buffer, &jittery);
        // The first late packets raise the delay (the first of them is dropped, and the turns
        // stepped back over concealed); after that, nothing is concealed and every packet plays.
        assert!(concealed(&played[..20]) <= 5, "{:?}", &played[..20]);
        assert_eq!(concealed(&played[20..]), 0);
        let waited = waits(&jittery, &played);
        let from_20: Vec<_> = waited.iter().filter(|w| w.0 >= 20).collect();
        // Every packet from the 20th on is played, but the last two, still waiting.
        assert_eq!(from_20.len(), 400 - 20 - 2);
        for &&(sequence, waited) in &from_20 {
            // Packets 2 ticks late are played at once, the others wait for them.
            assert_eq!(
                waited,
                2 - lateness(usize::from(sequence)),
                "packet {sequence}"
            );
        }
    }

    #[test]
    fn when_the_jitter_stops_the_delay_falls_a_frame_a_second() {
        // Two seconds of packets 0 to 2 ticks late, then a steady stream.
        let jitter_ticks = 2 * BLOCK_TICKS as usize;
        let stream = arrivals(12 * BLOCK_TICKS as usize, |n| {
            if n < jitter_ticks {
                n % 3
            } else {
                0
            }
        });
        let mut buffer = JitterBuffer::new(5);
        let played = run(&mut buffer, &stream);
        let waited = waits(&stream, &played);
        let wait_of = |sequence: usize| waited.iter().find(|w| usize::from(w.0) == sequence);
        assert_eq!(wait_of(jitter_ticks + 10).unwrap().1, 2);
        // Lowered once the window holds no packet that needed the delay, then by a frame a
        // second: each lowering skips the oldest frame.
        let skipped: Vec<usize> = (jitter_ticks..stream.len() - 1)
            .filter(|&s| wait_of(s).is_none())
            .collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped[0] > jitter_ticks + 2 * BLOCK_TICKS as usize - 2);
        // A second of ticks later, and one more sequence: the one the first lowering skipped.
        assert_eq!(skipped[1] - skipped[0], BLOCK_TICKS as usize + 1);
        assert_eq!(concealed(&played[jitter_ticks..]), 0);
        assert_eq!(waited.last().unwrap().1, 0);
    }

    fn stream(played: &[&[Result<u16, u16>]]) -> Vec<Played> {
        played.concat().into_iter().map(Some).collect()
    }

    fn ok(sequences: std::ops::Range<u16>) -> Vec<Result<u16, u16>> {
        sequences.map(Ok).collect()
    }

    #[test]
    fn a_lone_late_packet_is_concealed_and_a_second_raises_the_delay() {
        let mut buffer = JitterBuffer::new(5);
        // Packet 5 comes 2 ticks late (after 6 and 7), then packets 20 and 21, while 5 is still
        // in the window.
        let late = [5, 20, 21];
        let arrived = arrivals(30, |n| if late.contains(&n) { 2 } else { 0 });
        let played = run(&mut buffer, &arrived);
        let expected = stream(&[
            &ok(0..5),
            &[Err(5)],
            &ok(6..20),
            &[Err(20), Err(21)],
            &ok(20..28),
        ]);
        assert_eq!(played, expected);
    }

    #[test]
    fn a_late_packet_that_raises_the_delay_is_played_after_the_frames_concealed_for_it() {
        let mut buffer = JitterBuffer::new(5);
        // Packets 5, 6 and 7 come 2 ticks late: 5 is dropped, 6 raises the delay by 2.
        let arrived = arrivals(12, |n| if (5..8).contains(&n) { 2 } else { 0 });
        let played = run(&mut buffer, &arrived);
        let expected = stream(&[&ok(0..5), &[Err(5), Err(6), Err(7)], &ok(6..10)]);
        assert_eq!(played, expected);
    }

    #[test]
    fn a_late_packet_overtaken_is_dropped_and_the_delay_rises_by_stretching() {
        let mut buffer = JitterBuffer::new(5);
        // Packets 5 and 6 come 2 ticks late; 7 comes on time and plays before 6 arrives.
        let arrived = arrivals(12, |n| if n == 5 || n == 6 { 2 } else { 0 });
        let played = run(&mut buffer, &arrived);
        let stretched = Err(7);
        let expected = stream(&[
            &ok(0..5),
            &[Err(5), Err(6), Ok(7), stretched, stretched],
            &ok(8..10),
        ]);
        assert_eq!(played, expected);
    }

    #[test]
    fn the_depth_never_exceeds_its_cap() {
        // Lateness of 0 to 8 ticks against a cap of 3: the latest are dropped.
        let stream = arrivals(500, |n| (n * 5 + n / 7) % 9);
        let mut buffer = JitterBuffer::new(3);
        for packets in &stream {
            for &sequence in packets {
                push(&mut buffer, sequence);
                assert!(buffer.span() <= buffer.max_span(), "span {}", buffer.span());
            }
            played(&mut buffer);
        }
        assert!(buffer.is_playing());
        let played = run(&mut JitterBuffer::new(3), &stream);
        for (sequence, waited) in waits(&stream, &played) {
            assert!(waited <= 3, "packet {sequence} waited {waited}");
        }
    }

    #[test]
    fn reordered_packets_play_in_sequence_order() {
        let mut buffer = JitterBuffer::new(2);
        // Pairs swapped: 1 0 3 2 5 4 ... Packets 0 and 2 arrive after the packet after them
        // has played and are dropped, and 2, the second late packet, raises the delay by the two
        // frames it was late (two stretched frames): from then on the order is repaired.
        let swapped: Vec<Vec<u16>> = (0..20u16).map(|n| vec![n ^ 1]).collect();
        let played = run(&mut buffer, &swapped);
        let packets: Vec<u16> = played.iter().flatten().filter_map(|p| p.ok()).collect();
        let expected: Vec<u16> = [1].into_iter().chain(3..19).collect();
        assert_eq!(packets, expected);
        assert_eq!(concealed(&played), 3);
    }

    #[test]
    fn duplicates_are_ignored_and_late_packets_dropped() {
        let mut buffer = JitterBuffer::new(1);
        assert_eq!(push(&mut buffer, 10), Pushed::Stored);
        assert_eq!(push(&mut buffer, 11), Pushed::Stored);
        assert_eq!(push(&mut buffer, 11), Pushed::Duplicate);
        assert_eq!(played(&mut buffer), Some(Ok(10)));
        assert_eq!(push(&mut buffer, 10), Pushed::Duplicate);
        assert_eq!(push(&mut buffer, 9), Pushed::Late);
        assert_eq!(played(&mut buffer), Some(Ok(11)));
        assert_eq!(buffer.span(), 0);
        // Late by more than the cap (one frame) allows.
        assert_eq!(played(&mut buffer), Some(Err(12)));
        assert_eq!(played(&mut buffer), Some(Err(13)));
        assert_eq!(push(&mut buffer, 12), Pushed::Late);
        assert_eq!(push(&mut buffer, 14), Pushed::Stored);
        assert_eq!(played(&mut buffer), Some(Ok(14)));
        assert_eq!(push(&mut buffer, 14), Pushed::Duplicate);
    }

    #[test]
    fn sequence_numbers_wrap_from_65535_to_0() {
        let mut buffer = JitterBuffer::new(2);
        let first = 65_530u16;
        let stream: Vec<Vec<u16>> = arrivals(12, |n| n % 2)
            .into_iter()
            .map(|packets| packets.iter().map(|&n| first.wrapping_add(n)).collect())
            .collect();
        let played = run(&mut buffer, &stream);
        let packets: Vec<u16> = played.iter().flatten().filter_map(|p| p.ok()).collect();
        // The first late packet is dropped; the second raises the delay.
        let expected: Vec<u16> = [0]
            .into_iter()
            .chain(2..11)
            .map(|n| first.wrapping_add(n))
            .collect();
        assert_eq!(packets, expected);
    }

    #[test]
    fn a_missing_packet_is_concealed_with_the_next_packet_offered_for_fec() {
        let mut buffer = JitterBuffer::new(4);
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
                Playout::Silent | Playout::Stretched { .. } => {}
            }
        }
        assert_eq!(
            results,
            [
                (0, None),
                (1, None),
                (2, Some(3u16.to_be_bytes().to_vec())),
                (3, None),
                (4, None),
                (5, None)
            ]
        );
    }

    #[test]
    fn a_sender_that_stops_goes_silent_after_200_ms_and_starts_again_at_once() {
        let mut buffer = JitterBuffer::new(1);
        push(&mut buffer, 0);
        assert_eq!(played(&mut buffer), Some(Ok(0)));
        for n in 1..=MAX_CONCEALED as u16 {
            assert_eq!(played(&mut buffer), Some(Err(n)));
        }
        assert_eq!(played(&mut buffer), None);
        assert!(!buffer.is_playing());
        // Any packet now starts a new talk spurt, however far its sequence moved.
        push(&mut buffer, 500);
        assert_eq!(played(&mut buffer), Some(Ok(500)));
    }

    #[test]
    fn a_delay_step_within_the_cap_costs_one_packet() {
        let mut buffer = JitterBuffer::new(5);
        // From packet 40 on, every packet arrives 3 ticks later than before: 40 is dropped as
        // the window's one late packet, and 41 raises the delay.
        let arrived = arrivals(100, |n| if n < 40 { 0 } else { 3 });
        let played = run(&mut buffer, &arrived);
        let expected = stream(&[
            &ok(0..40),
            &[Err(40), Err(41), Err(42), Err(43)],
            &ok(41..97),
        ]);
        assert_eq!(played, expected);
    }

    #[test]
    fn a_delay_step_beyond_the_cap_resynchronises() {
        let mut buffer = JitterBuffer::new(5);
        // From packet 40 on, every packet arrives 8 ticks later than before.
        let stream = arrivals(100, |n| if n < 40 { 0 } else { 8 });
        let played = run(&mut buffer, &stream);
        // The 8 turns without a packet are concealed, two late packets are dropped (and two
        // more frames concealed for them), and the third starts playout again.
        assert_eq!(
            &played[40..50],
            &(40..50).map(|s| Some(Err(s))).collect::<Vec<_>>()
        );
        let packets: Vec<u16> = played[40..]
            .iter()
            .flatten()
            .filter_map(|p| p.ok())
            .collect();
        assert_eq!(packets, (42..92).collect::<Vec<_>>());
        let waited = waits(&stream, &played);
        assert!(waited.iter().filter(|w| w.0 >= 42).all(|w| w.1 == 0));
    }

    #[test]
    fn a_burst_after_a_stall_is_capped_and_drained() {
        let mut buffer = JitterBuffer::new(4);
        // Ten steady packets, a stall of 8 ticks, the 8 held packets at once with the current
        // one, then steady again.
        let stream = arrivals(400, |n| if (10..18).contains(&n) { 18 - n } else { 0 });
        let mut spans = Vec::new();
        for packets in &stream {
            for &sequence in packets {
                push(&mut buffer, sequence);
            }
            spans.push(buffer.span());
            played(&mut buffer);
        }
        assert!(
            spans.iter().all(|&span| span <= buffer.max_span()),
            "{spans:?}"
        );
        assert!(spans[20] > 1, "the burst is buffered");
        assert_eq!(
            spans.last(),
            Some(&1),
            "drained back to the frame about to play"
        );

        // A sender whose clock runs fast (two packets some ticks) is held at the cap too.
        let mut sequence = 400u16;
        for tick in 0..300 {
            push(&mut buffer, sequence);
            sequence += 1;
            if tick % 5 == 0 {
                push(&mut buffer, sequence);
                sequence += 1;
            }
            assert!(buffer.span() <= buffer.max_span(), "span {}", buffer.span());
            played(&mut buffer);
        }
        assert!(buffer.is_playing());
    }

    #[test]
    fn a_jump_beyond_the_ring_restarts_playout() {
        let mut buffer = JitterBuffer::new(0);
        push(&mut buffer, 0);
        assert_eq!(played(&mut buffer), Some(Ok(0)));
        push(&mut buffer, 1);
        assert_eq!(push(&mut buffer, 1_000), Pushed::Restarted);
        assert_eq!(played(&mut buffer), Some(Ok(1_000)));
        assert_eq!(buffer.span(), 0);
    }
}
