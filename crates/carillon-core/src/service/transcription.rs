use super::{MeetingService, RequestContext};
use crate::error::ServiceError;
use crate::ids::normalize_id;
use crate::operations::{MeetingIdInput, StartMeetingTranscriptionInput};

impl MeetingService {
    /// StartMeetingTranscription: checks the configuration and keeps it on the meeting; a second
    /// call replaces it, as AWS documents.
    pub async fn start_meeting_transcription(
        &self,
        ctx: &RequestContext,
        input: StartMeetingTranscriptionInput,
    ) -> Result<(), ServiceError> {
        input
            .transcription_configuration
            .check()
            .map_err(ServiceError::BadRequest)?;
        let id = normalize_id(&input.meeting_id);
        self.store
            .set_transcription(&ctx.scope, &id, Some(input.transcription_configuration))
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&id))
    }

    /// StopMeetingTranscription. Stopping a meeting without transcription succeeds: the caller's
    /// intent (no transcription) holds either way, and retries stay safe.
    pub async fn stop_meeting_transcription(
        &self,
        ctx: &RequestContext,
        input: MeetingIdInput,
    ) -> Result<(), ServiceError> {
        let id = normalize_id(&input.meeting_id);
        self.store
            .set_transcription(&ctx.scope, &id, None)
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&id))
    }
}
