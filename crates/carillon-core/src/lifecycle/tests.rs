use super::*;

const MIN: i64 = 60 * 1000;

fn clock(created_at_ms: i64, idle_since_ms: Option<i64>, lease: Option<i64>) -> MeetingClock {
    MeetingClock {
        created_at_ms,
        presence: Presence {
            idle_since_ms,
            presence_lease_ms: lease,
        },
    }
}

fn connected(lease_until_ms: i64) -> PresenceMark {
    PresenceMark::Connected {
        meeting_id: "m".into(),
        lease_until_ms,
    }
}

fn idle(since_ms: i64) -> PresenceMark {
    PresenceMark::Idle {
        meeting_id: "m".into(),
        since_ms,
    }
}

#[test]
fn reasons_have_stable_stored_forms() {
    for (reason, text) in [
        (EndReason::Deleted, "deleted"),
        (EndReason::PrimaryEnded, "primary-ended"),
        (EndReason::Idle, "idle"),
        (EndReason::MaxDuration, "max-duration"),
    ] {
        assert_eq!(reason.as_str(), text);
        assert_eq!(EndReason::parse(text), Some(reason));
    }
    assert_eq!(EndReason::parse("Idle"), None);
}

#[test]
fn aws_rules_are_five_minutes_idle_and_a_day_in_all() {
    let aws = Lifecycle::aws();
    assert_eq!(aws.idle_timeout_ms, Some(5 * MIN));
    assert_eq!(aws.max_duration_ms, Some(24 * 60 * MIN));
    assert_eq!(LifecyclePolicy::default(), LifecyclePolicy::uniform(aws));
    assert!(Lifecycle::off().is_off() && !aws.is_off());
}

#[test]
fn a_meeting_nobody_joins_ends_at_creation_plus_the_idle_timeout() {
    let aws = Lifecycle::aws();
    let c = MeetingClock {
        created_at_ms: 1000,
        presence: Presence::created(1000),
    };
    assert_eq!(aws.expiry(&c, 1000 + 5 * MIN - 1), None);
    assert_eq!(aws.expiry(&c, 1000 + 5 * MIN), Some(EndReason::Idle));
    assert_eq!(aws.idle_cutoff(1000 + 5 * MIN), Some(1000));
}

#[test]
fn a_lease_counts_as_idle_from_its_end() {
    let aws = Lifecycle::aws();
    let c = clock(0, None, Some(10 * MIN));
    assert_eq!(aws.expiry(&c, 15 * MIN - 1), None);
    assert_eq!(aws.expiry(&c, 15 * MIN), Some(EndReason::Idle));
}

#[test]
fn the_rule_whose_deadline_came_first_is_the_reason() {
    let aws = Lifecycle::aws();
    let day = 24 * 60 * MIN;
    // Idle from minute 10: idle at minute 15, long before the day was up.
    assert_eq!(
        aws.expiry(&clock(0, Some(10 * MIN), None), 2 * day),
        Some(EndReason::Idle)
    );
    // Connected throughout: the day.
    assert_eq!(
        aws.expiry(&clock(0, None, Some(3 * day)), day),
        Some(EndReason::MaxDuration)
    );
    // Idle from 5 minutes before the day was up: both deadlines at once.
    assert_eq!(
        aws.expiry(&clock(0, Some(day - 5 * MIN), None), day),
        Some(EndReason::MaxDuration)
    );
    assert_eq!(
        aws.expiry(&clock(0, Some(day - 5 * MIN + 1), None), day),
        Some(EndReason::MaxDuration)
    );
}

#[test]
fn rules_switched_off_never_hold() {
    let no_idle = Lifecycle {
        idle_timeout_ms: None,
        ..Lifecycle::aws()
    };
    let c = clock(0, Some(0), None);
    assert_eq!(no_idle.expiry(&c, 60 * MIN), None);
    assert_eq!(no_idle.idle_cutoff(60 * MIN), None);
    assert_eq!(Lifecycle::off().expiry(&c, i64::MAX), None);
    assert_eq!(Lifecycle::aws().expiry(&c, i64::MAX), Some(EndReason::Idle));
}

#[test]
fn an_account_may_have_rules_of_its_own() {
    let policy = LifecyclePolicy::uniform(Lifecycle::off()).with_account("a", Lifecycle::aws());
    assert_eq!(policy.for_account("a"), &Lifecycle::aws());
    assert_eq!(policy.for_account("b"), &Lifecycle::off());
}

#[test]
fn presence_follows_the_marks() {
    let p = Presence::created(0);
    assert_eq!(p.idle_from(), Some(0));
    let p = p.after(&connected(100));
    assert_eq!(
        p,
        Presence {
            idle_since_ms: None,
            presence_lease_ms: Some(100),
        }
    );
    // A late renewal does not shorten the lease.
    assert_eq!(p.after(&connected(50)).presence_lease_ms, Some(100));
    assert_eq!(p.after(&connected(150)).presence_lease_ms, Some(150));
    let p = p.after(&idle(70));
    assert_eq!(
        p,
        Presence {
            idle_since_ms: Some(70),
            presence_lease_ms: None,
        }
    );
    assert_eq!(p.idle_from(), Some(70));
    // The idle clock restarts forwards only.
    assert_eq!(p.after(&idle(90)).idle_since_ms, Some(90));
    assert_eq!(p.after(&idle(60)).idle_since_ms, Some(70));
    assert_eq!(connected(1).meeting_id(), "m");
    assert_eq!(idle(1).meeting_id(), "m");
}
