//! The writes whose transaction is not of the common shape (`tx`): a creation, which may roll
//! back and answer from another node's meeting, and a transcription change, one statement when
//! nothing else is written.

use carillon_core::store::rules::caused;
use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    CreateMeetingOutcome, NewAttendee, NewMeeting, Scope, StoreError, StoreResult,
};

use super::tx::{begin, commit};
use crate::{meetings, PgStore};

impl PgStore {
    /// [`carillon_core::Store::create_meeting`], with `chime:MeetingStarted` and the attendees'
    /// `chime:AttendeeAdded` recorded when the meeting is created.
    pub(super) async fn create_meeting_recorded(
        &self,
        meeting: NewMeeting,
        attendees: Vec<NewAttendee>,
    ) -> StoreResult<CreateMeetingOutcome> {
        let scope = meeting.record.scope.clone();
        let token = meeting.record.client_request_token.clone();
        let mut events = self.pending();
        let (created, logged) = self
            .run(async |client| {
                let tx = begin(client).await?;
                let created = meetings::create(&tx, meeting, attendees).await?;
                let Some(outcome) = created else {
                    // Dropping the transaction rolls it back.
                    return Ok((None, false));
                };
                if let (true, CreateMeetingOutcome::Created { meeting, attendees }) =
                    (events.records(), &outcome)
                {
                    events.add(meeting, caused::meeting_created(meeting, attendees));
                }
                let logged = events.write(&tx).await?;
                commit(tx).await?;
                Ok((Some(outcome), logged))
            })
            .await?;
        self.announce(logged);
        if let Some(outcome) = created {
            return Ok(outcome);
        }
        // Another node took the token between this one's lookup and insert: answer with the
        // meeting it created, as a replay.
        let meeting = self
            .run(async |client| meetings::by_token(&*client, &scope, &token).await)
            .await?
            .ok_or_else(|| StoreError::new("postgres: a ClientRequestToken raced and vanished"))?;
        Ok(CreateMeetingOutcome::Replayed { meeting })
    }

    /// [`carillon_core::Store::set_transcription`], with the change's event.
    pub(super) async fn set_transcription_recorded(
        &self,
        scope: &Scope,
        meeting_id: &str,
        configuration: Option<TranscriptionConfiguration>,
    ) -> StoreResult<Option<()>> {
        let events = self.pending();
        if !events.records() {
            // One statement, no transaction: nothing else to write.
            return self
                .run(async |client| {
                    let configuration = configuration.as_ref();
                    meetings::set_transcription(&*client, scope, meeting_id, configuration).await
                })
                .await;
        }
        recorded!(self, events, |tx, events| {
            let configuration = configuration.as_ref();
            meetings::set_transcription_recorded(&tx, scope, meeting_id, configuration, &mut events)
                .await?
        })
    }
}
