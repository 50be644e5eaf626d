//! Which senders are heard: the loudest few, with a bias towards those already heard so the set
//! does not change every time two voices cross in loudness.

use super::ParticipantId;

/// How much louder, in dB, a newcomer must be than a speaker already heard to take its place.
/// 3 dB is twice the power: a clear change of who dominates, not the ripple of syllables.
pub(super) const HYSTERESIS_DB: f32 = 3.0;

/// A sender that may be heard this tick.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    /// Where it is in the mixer's list of participants.
    pub(super) index: usize,
    pub(super) id: ParticipantId,
    /// Its smoothed attenuation below full scale: lower is louder.
    pub(super) attenuation_db: f32,
    /// Whether it was heard last tick.
    pub(super) was_selected: bool,
}

impl Candidate {
    fn score(&self) -> f32 {
        let bonus = if self.was_selected {
            HYSTERESIS_DB
        } else {
            0.0
        };
        bonus - self.attenuation_db
    }
}

/// Keeps the `max` best-scoring candidates, best first. Equal scores keep the lower id, so the
/// choice never depends on the order participants joined in. Sorting in place allocates
/// nothing.
pub(super) fn select(candidates: &mut Vec<Candidate>, max: usize) {
    candidates.sort_unstable_by(|a, b| b.score().total_cmp(&a.score()).then(a.id.cmp(&b.id)));
    candidates.truncate(max);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: ParticipantId, attenuation_db: f32, was_selected: bool) -> Candidate {
        Candidate {
            index: id as usize,
            id,
            attenuation_db,
            was_selected,
        }
    }

    fn ids(candidates: &[Candidate]) -> Vec<ParticipantId> {
        candidates.iter().map(|c| c.id).collect()
    }

    #[test]
    fn the_loudest_are_kept() {
        let mut all = vec![
            candidate(1, 30.0, false),
            candidate(2, 10.0, false),
            candidate(3, 50.0, false),
            candidate(4, 20.0, false),
            candidate(5, 20.0, false),
        ];
        select(&mut all, 3);
        assert_eq!(ids(&all), [2, 4, 5]);
    }

    #[test]
    fn a_speaker_already_heard_keeps_its_place_against_a_slightly_louder_one() {
        let mut all = vec![candidate(1, 12.0, true), candidate(2, 10.0, false)];
        select(&mut all, 1);
        assert_eq!(ids(&all), [1]);
        let mut all = vec![candidate(1, 14.0, true), candidate(2, 10.0, false)];
        select(&mut all, 1);
        assert_eq!(ids(&all), [2]);
    }
}
