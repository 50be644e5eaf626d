//! Transcription and tags.

use crate::ids::new_id;
use crate::store::{Store, TagOutcome};
use crate::transcription::{EngineTranscribeMedicalSettings, TranscriptionConfiguration};

use super::builders::*;

/// StartMeetingTranscription / StopMeetingTranscription.
pub async fn transcription(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    created(store, new_meeting(m.clone()), vec![]).await;
    let standard = transcription_config();
    assert_eq!(
        ok(store
            .set_transcription(&scope, &m.meeting_id, Some(standard.clone()))
            .await),
        Some(())
    );
    let mut expected = m.clone();
    expected.transcription = Some(standard);
    assert_eq!(
        get(store, &scope, &m.meeting_id).await,
        Some(expected.clone())
    );

    let medical = TranscriptionConfiguration {
        engine_transcribe_settings: None,
        engine_transcribe_medical_settings: Some(EngineTranscribeMedicalSettings {
            language_code: "en-US".into(),
            specialty: "PRIMARYCARE".into(),
            kind: "CONVERSATION".into(),
            vocabulary_name: None,
            region: Some("us-east-1".into()),
            content_identification_type: Some("PHI".into()),
        }),
    };
    assert_eq!(
        ok(store
            .set_transcription(&scope, &m.meeting_id, Some(medical.clone()))
            .await),
        Some(())
    );
    expected.transcription = Some(medical);
    assert_eq!(get(store, &scope, &m.meeting_id).await, Some(expected));

    assert_eq!(
        ok(store.set_transcription(&scope, &m.meeting_id, None).await),
        Some(())
    );
    assert_eq!(get(store, &scope, &m.meeting_id).await, Some(m.clone()));
    assert_eq!(
        ok(store.set_transcription(&scope, &m.meeting_id, None).await),
        Some(())
    );
    assert_eq!(
        ok(store.set_transcription(&scope, &new_id(), None).await),
        None
    );
}

/// TagResource / UntagResource / ListTagsForResource on meetings.
pub async fn tags(store: &dyn Store) {
    let scope = new_scope();
    let m = meeting_record(&scope);
    let mut new = new_meeting(m.clone());
    new.tags = vec![tag("k1", "v1"), tag("k2", "v2")];
    created(store, new, vec![]).await;
    let id = m.meeting_id.as_str();
    let list = || async { ok(store.list_meeting_tags(&scope, id).await) };
    assert_eq!(list().await, Some(vec![tag("k1", "v1"), tag("k2", "v2")]));

    // Merge: an existing key is overwritten in place, a new one goes last.
    assert_eq!(
        ok(store
            .tag_meeting(&scope, id, vec![tag("k2", "v2b"), tag("k3", "v3")], 50)
            .await),
        Some(TagOutcome::Tagged)
    );
    let three = vec![tag("k1", "v1"), tag("k2", "v2b"), tag("k3", "v3")];
    assert_eq!(list().await, Some(three.clone()));

    // Over the cap: nothing changes, overwrites included.
    assert_eq!(
        ok(store
            .tag_meeting(
                &scope,
                id,
                vec![tag("k1", "changed"), tag("k4", "v4"), tag("k5", "v5")],
                4
            )
            .await),
        Some(TagOutcome::TooManyTags)
    );
    assert_eq!(list().await, Some(three));
    // Exactly at the cap.
    assert_eq!(
        ok(store
            .tag_meeting(&scope, id, vec![tag("k1", "v1b"), tag("k4", "v4")], 4)
            .await),
        Some(TagOutcome::Tagged)
    );
    // At the cap, overwriting adds nothing; a key repeated in one request counts once and its
    // last value wins.
    assert_eq!(
        ok(store
            .tag_meeting(&scope, id, vec![tag("k2", "x"), tag("k2", "y")], 4)
            .await),
        Some(TagOutcome::Tagged)
    );
    assert_eq!(
        ok(store
            .tag_meeting(&scope, id, vec![tag("k5", "a"), tag("k5", "b")], 5)
            .await),
        Some(TagOutcome::Tagged)
    );
    assert_eq!(
        list().await,
        Some(vec![
            tag("k1", "v1b"),
            tag("k2", "y"),
            tag("k3", "v3"),
            tag("k4", "v4"),
            tag("k5", "b"),
        ])
    );

    // Untag: absent keys are fine; a key set again goes last.
    assert_eq!(
        ok(store
            .untag_meeting(&scope, id, vec!["k1".into(), "absent".into(), "k3".into()])
            .await),
        Some(())
    );
    assert_eq!(ok(store.untag_meeting(&scope, id, vec![]).await), Some(()));
    assert_eq!(
        ok(store
            .tag_meeting(&scope, id, vec![tag("k1", "again")], 50)
            .await),
        Some(TagOutcome::Tagged)
    );
    assert_eq!(
        list().await,
        Some(vec![
            tag("k2", "y"),
            tag("k4", "v4"),
            tag("k5", "b"),
            tag("k1", "again"),
        ])
    );

    // Another meeting's tags are its own.
    let other = meeting_record(&scope);
    created(store, new_meeting(other.clone()), vec![]).await;
    assert_eq!(
        ok(store.list_meeting_tags(&scope, &other.meeting_id).await),
        Some(vec![])
    );
    assert_eq!(
        ok(store
            .tag_meeting(&scope, &other.meeting_id, vec![tag("k2", "mine")], 1)
            .await),
        Some(TagOutcome::Tagged)
    );
    assert_eq!(list().await.map(|t| t.len()), Some(4));

    let unknown = new_id();
    assert_eq!(
        ok(store
            .tag_meeting(&scope, &unknown, vec![tag("k", "v")], 50)
            .await),
        None
    );
    assert_eq!(
        ok(store
            .untag_meeting(&scope, &unknown, vec!["k".into()])
            .await),
        None
    );
    assert_eq!(ok(store.list_meeting_tags(&scope, &unknown).await), None);

    // Gone with the meeting.
    assert_eq!(
        ok(store.end_meeting(&scope, id, ENDED_AT_MS).await),
        Some(())
    );
    assert_eq!(list().await, None);
}
