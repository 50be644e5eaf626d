use super::{now_ms, MeetingService, RequestContext, MAX_HIGH_DEFINITION_ATTENDEES};
use crate::domain::{MeetingFeatures, MeetingRecord, Namespace};
use crate::error::ServiceError;
use crate::ids::{new_id, normalize_id};
use crate::operations::{
    CreateMeetingInput, CreateMeetingWithAttendeesInput, CreateMeetingWithAttendeesOutput,
    MeetingIdInput, MeetingOutput,
};
use crate::store::{CreateMeetingOutcome, NewMeeting};

/// The media regions the model documents for `MediaRegion` (it is not an enum in the model, but
/// AWS refuses other values).
pub const MEDIA_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-gov-east-1",
    "us-gov-west-1",
];

fn check_media_region(region: &str) -> Result<(), ServiceError> {
    if MEDIA_REGIONS.contains(&region) {
        Ok(())
    } else {
        Err(ServiceError::BadRequest(format!(
            "MediaRegion '{region}' is not a supported media region; supported: {}",
            MEDIA_REGIONS.join(", ")
        )))
    }
}

/// The high-definition rules: FHD video or UHD content needs `Attendee.MaxCount`, at most 25.
fn check_features(features: &MeetingFeatures) -> Result<(), ServiceError> {
    if !features.is_high_definition() {
        return Ok(());
    }
    match features.attendee_max_count() {
        None => Err(ServiceError::BadRequest(
            "MeetingFeatures.Attendee.MaxCount is required when MeetingFeatures.Video.MaxResolution is FHD or MeetingFeatures.Content.MaxResolution is UHD".into(),
        )),
        Some(n) if n > MAX_HIGH_DEFINITION_ATTENDEES => Err(ServiceError::BadRequest(format!(
            "MeetingFeatures.Attendee.MaxCount must be at most {MAX_HIGH_DEFINITION_ATTENDEES} when MeetingFeatures.Video.MaxResolution is FHD or MeetingFeatures.Content.MaxResolution is UHD"
        ))),
        Some(_) => Ok(()),
    }
}

/// The concurrent meeting quota is reached (Service Quotas `L-9F286451`, legacy `L-A5C73716`,
/// 250 by default). AWS documents no error for it; the answer is `LimitExceededException`
/// (`ResourceLimitExceededException` in the legacy API), the exception both models have for a
/// limit.
fn too_many_meetings(ctx: &RequestContext) -> ServiceError {
    let quota = match ctx.scope.namespace {
        Namespace::Meetings => "L-9F286451",
        Namespace::Legacy => "L-A5C73716",
    };
    let max = ctx.max_active_meetings.unwrap_or_default();
    ServiceError::LimitExceeded(format!(
        "The account already has the maximum number of active meetings ({max}, concurrent meeting quota {quota}); end a meeting before creating another"
    ))
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

impl MeetingService {
    /// CreateMeeting.
    pub async fn create_meeting(
        &self,
        ctx: &RequestContext,
        input: CreateMeetingInput,
    ) -> Result<MeetingOutput, ServiceError> {
        let (meeting, _) = self.create_meeting_inner(ctx, input, Vec::new()).await?;
        Ok(MeetingOutput { meeting })
    }

    /// CreateMeetingWithAttendees.
    pub async fn create_meeting_with_attendees(
        &self,
        ctx: &RequestContext,
        input: CreateMeetingWithAttendeesInput,
    ) -> Result<CreateMeetingWithAttendeesOutput, ServiceError> {
        let (meeting, batch) = self
            .create_meeting_inner(ctx, input.meeting, input.attendees)
            .await?;
        Ok(CreateMeetingWithAttendeesOutput {
            meeting,
            attendees: batch.attendees,
            errors: batch.errors,
        })
    }

    async fn create_meeting_inner(
        &self,
        ctx: &RequestContext,
        input: CreateMeetingInput,
        items: Vec<crate::operations::CreateAttendeeRequestItem>,
    ) -> Result<(crate::operations::Meeting, super::attendees::Batch), ServiceError> {
        check_media_region(&input.media_region)?;
        let features = input.meeting_features.clone();
        check_features(features.as_ref().unwrap_or(&MeetingFeatures::default()))?;
        let primary_meeting_id = match &input.primary_meeting_id {
            Some(id) if is_guid(id) => Some(normalize_id(id)),
            Some(_) => {
                return Err(ServiceError::BadRequest(
                    "PrimaryMeetingId must be the MeetingId of an active meeting".into(),
                ))
            }
            None => None,
        };
        let record = MeetingRecord {
            meeting_id: new_id(),
            scope: ctx.scope.clone(),
            control_region: ctx.region.clone(),
            client_request_token: input.client_request_token,
            media_region: input.media_region,
            external_meeting_id: input.external_meeting_id,
            meeting_host_id: input.meeting_host_id,
            primary_meeting_id,
            tenant_ids: input.tenant_ids.unwrap_or_default(),
            features,
            notifications: input.notifications_configuration,
            media_placement_network_type: input.media_placement_network_type,
            transcription: None,
            created_at_ms: now_ms(),
            ended_at_ms: None,
            end_reason: None,
        };
        let (batch, new_attendees) = self.prepare_attendees(&record, items.clone());
        let primary = record.primary_meeting_id.clone();
        let outcome = self
            .store
            .create_meeting(
                NewMeeting {
                    record,
                    tags: input.tags.unwrap_or_default(),
                    max_replicas: self.config.max_replicas_per_primary,
                    max_active_meetings: ctx.max_active_meetings,
                },
                new_attendees,
            )
            .await?;
        let primary = primary.unwrap_or_default();
        match outcome {
            CreateMeetingOutcome::Created { meeting, attendees } => {
                Ok((self.meeting_output(&meeting), batch.finish(&meeting, attendees)))
            }
            // The token was used before: answer with that meeting, as AWS does, and treat the
            // attendees as a BatchCreateAttendee on it (idempotent by ExternalUserId).
            CreateMeetingOutcome::Replayed { meeting } => {
                let batch = if items.is_empty() {
                    super::attendees::Batch::default()
                } else if meeting.is_active() {
                    self.create_attendee_batch(&ctx.scope, &meeting, items).await?
                } else {
                    super::attendees::Batch::all_failed(&meeting, items)
                };
                Ok((self.meeting_output(&meeting), batch))
            }
            CreateMeetingOutcome::PrimaryNotFound => Err(ServiceError::BadRequest(format!(
                "PrimaryMeetingId <{primary}> does not name an active meeting"
            ))),
            CreateMeetingOutcome::PrimaryIsReplica => Err(ServiceError::BadRequest(format!(
                "PrimaryMeetingId <{primary}> is a replica meeting; a replica's primary must not be a replica"
            ))),
            CreateMeetingOutcome::TooManyReplicas => Err(ServiceError::LimitExceeded(format!(
                "The primary meeting <{primary}> already has the maximum number of replica meetings ({})",
                self.config.max_replicas_per_primary
            ))),
            CreateMeetingOutcome::TooManyMeetings => Err(too_many_meetings(ctx)),
        }
    }

    /// GetMeeting.
    pub async fn get_meeting(
        &self,
        ctx: &RequestContext,
        input: MeetingIdInput,
    ) -> Result<MeetingOutput, ServiceError> {
        let meeting = self
            .active_meeting(&ctx.scope, &normalize_id(&input.meeting_id))
            .await?;
        Ok(MeetingOutput {
            meeting: self.meeting_output(&meeting),
        })
    }

    /// DeleteMeeting: ends the meeting and its replicas; their attendees and JoinTokens go.
    pub async fn delete_meeting(
        &self,
        ctx: &RequestContext,
        input: MeetingIdInput,
    ) -> Result<(), ServiceError> {
        let id = normalize_id(&input.meeting_id);
        self.store
            .end_meeting(&ctx.scope, &id, now_ms())
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shape() {
        assert!(is_guid("396bc713-ecdb-4fac-a406-1db789d52713"));
        assert!(is_guid("396BC713-ECDB-4FAC-A406-1DB789D52713"));
        assert!(!is_guid("396bc713-ecdb-4fac-a406-1db789d5271"));
        assert!(!is_guid("396bc713xecdb-4fac-a406-1db789d52713"));
        assert!(!is_guid("zz"));
    }
}
