use super::tests::record;
use super::*;
use crate::lifecycle::{EndReason, Lifecycle, LifecyclePolicy, MeetingClock, Presence};

const MIN: i64 = 60 * 1000;

fn candidate(seq: i64, account: &str, primary: Option<&str>, idle_since: i64) -> ExpiryCandidate {
    let mut r = record(&format!("m{seq}"), primary);
    r.scope.account_id = account.into();
    ExpiryCandidate {
        meeting: ActiveMeeting::inserted(&r, seq),
        scope: r.scope,
        clock: MeetingClock {
            created_at_ms: 0,
            presence: Presence::created(idle_since),
        },
    }
}

#[test]
fn queries_cover_each_account_of_its_own_then_the_default() {
    let policy = LifecyclePolicy::uniform(Lifecycle::aws())
        .with_account("b", Lifecycle::off())
        .with_account(
            "a",
            Lifecycle {
                idle_timeout_ms: Some(MIN),
                max_duration_ms: None,
            },
        );
    let now = 10 * MIN;
    assert_eq!(
        Sweep::new(&policy, now, 10).queries(),
        [
            SweepQuery {
                accounts: SweepAccounts::Only("a".into()),
                idle_cutoff: Some(9 * MIN),
                duration_cutoff: None,
            },
            SweepQuery {
                accounts: SweepAccounts::Except(vec!["a".into(), "b".into()]),
                idle_cutoff: Some(5 * MIN),
                duration_cutoff: Some(now - 24 * 60 * MIN),
            },
        ]
    );
    let off = LifecyclePolicy::uniform(Lifecycle::off());
    assert!(Sweep::new(&off, now, 10).queries().is_empty());
}

#[test]
fn a_sweep_keeps_each_expired_meeting_once_up_to_its_limit() {
    let policy = LifecyclePolicy::uniform(Lifecycle::aws()).with_account(
        "slow",
        Lifecycle {
            idle_timeout_ms: Some(60 * MIN),
            max_duration_ms: None,
        },
    );
    let mut sweep = Sweep::new(&policy, 10 * MIN, 2);
    sweep.add(candidate(1, "fast", None, 0));
    sweep.add(candidate(1, "fast", None, 0)); // read twice, by both rules
    sweep.add(candidate(2, "slow", None, 0)); // not expired under its own rules
    sweep.add(candidate(3, "fast", Some("m9"), 0)); // a replica
    assert_eq!(sweep.remaining(), 1);
    sweep.add(candidate(4, "fast", None, 0));
    assert_eq!(sweep.remaining(), 0);
    sweep.add(candidate(5, "fast", None, 0));
    let expired = sweep.into_expired();
    let seqs: Vec<i64> = expired.iter().map(|e| e.meeting.seq).collect();
    assert_eq!(seqs, [1, 4]);
    assert!(expired.iter().all(|e| e.reason == EndReason::Idle));
}

#[test]
fn replicas_end_with_their_primary_for_a_reason_of_their_own() {
    let primary = ActiveMeeting::inserted(&record("p", None), 2);
    let replicas = vec![(5, "r1".to_owned())];
    assert_eq!(
        ending_with(primary, replicas, EndReason::Idle),
        [
            (2, "p".into(), EndReason::Idle),
            (5, "r1".into(), EndReason::PrimaryEnded),
        ]
    );
}
