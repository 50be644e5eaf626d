use super::next_token::Listing;
use super::{MeetingService, RequestContext};
use crate::capabilities::{check_capabilities, resolve_capabilities};
use crate::domain::{AttendeeRecord, MeetingFeatures, MeetingRecord, Scope};
use crate::error::ServiceError;
use crate::ids::{new_id, new_join_token, normalize_id};
use crate::operations::{
    Attendee, AttendeeIdInput, AttendeeOutput, BatchCreateAttendeeInput, BatchCreateAttendeeOutput,
    BatchUpdateAttendeeCapabilitiesExceptInput, CreateAttendeeError, CreateAttendeeInput,
    CreateAttendeeRequestItem, ListAttendeesInput, ListAttendeesOutput,
    UpdateAttendeeCapabilitiesInput,
};
use crate::store::{AttendeeLookup, AttendeeOutcome, NewAttendee};

/// `ListAttendees` page size when `MaxResults` is absent: the largest the model allows.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// `CreateAttendeeError.ErrorCode` values: the exception names without `Exception`.
pub const ERROR_CODE_BAD_REQUEST: &str = "BadRequest";
pub const ERROR_CODE_LIMIT_EXCEEDED: &str = "LimitExceeded";
pub const ERROR_CODE_NOT_FOUND: &str = "NotFound";

/// The result of creating a batch of attendees: those created (or found by ExternalUserId) and
/// those refused, each list in request order.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub attendees: Vec<Attendee>,
    pub errors: Vec<CreateAttendeeError>,
}

impl Batch {
    fn fail(&mut self, external_user_id: String, code: &str, message: String) {
        self.errors.push(CreateAttendeeError {
            external_user_id,
            error_code: code.to_string(),
            error_message: message,
        });
    }

    pub(super) fn finish(
        mut self,
        meeting: &MeetingRecord,
        outcomes: Vec<AttendeeOutcome>,
    ) -> Self {
        for outcome in outcomes {
            match outcome {
                AttendeeOutcome::Created(a) | AttendeeOutcome::Existing(a) => {
                    self.attendees.push(a.into())
                }
                AttendeeOutcome::LimitExceeded { external_user_id } => self.fail(
                    external_user_id,
                    ERROR_CODE_LIMIT_EXCEEDED,
                    attendee_limit_message(meeting),
                ),
            }
        }
        self
    }

    /// Every attendee refused because the meeting has ended.
    pub(super) fn all_failed(
        meeting: &MeetingRecord,
        items: Vec<CreateAttendeeRequestItem>,
    ) -> Self {
        let mut batch = Batch::default();
        for item in items {
            batch.fail(
                item.external_user_id,
                ERROR_CODE_NOT_FOUND,
                format!("Meeting <{}> not found", meeting.meeting_id),
            );
        }
        batch
    }
}

fn attendee_limit_message(meeting: &MeetingRecord) -> String {
    format!(
        "The meeting <{}> already has its maximum number of attendees ({})",
        meeting.meeting_id,
        meeting.max_attendees()
    )
}

fn features_of(meeting: &MeetingRecord) -> MeetingFeatures {
    meeting.features.clone().unwrap_or_default()
}

impl MeetingService {
    /// Splits request items into records to store and items refused for their capabilities.
    pub(super) fn prepare_attendees(
        &self,
        meeting: &MeetingRecord,
        items: Vec<CreateAttendeeRequestItem>,
    ) -> (Batch, Vec<NewAttendee>) {
        let features = features_of(meeting);
        let mut batch = Batch::default();
        let mut records = Vec::with_capacity(items.len());
        for item in items {
            match resolve_capabilities(item.capabilities, &features) {
                Ok(caps) => records.push(NewAttendee {
                    record: new_attendee(meeting, item.external_user_id, caps),
                    tags: item.tags.unwrap_or_default(),
                }),
                Err(message) => batch.fail(item.external_user_id, ERROR_CODE_BAD_REQUEST, message),
            }
        }
        (batch, records)
    }

    /// Creates attendees in an existing meeting; a meeting that ended meanwhile refuses them all.
    pub(super) async fn create_attendee_batch(
        &self,
        scope: &Scope,
        meeting: &MeetingRecord,
        items: Vec<CreateAttendeeRequestItem>,
    ) -> Result<Batch, ServiceError> {
        let (batch, records) = self.prepare_attendees(meeting, items.clone());
        match self
            .store
            .create_attendees(scope, &meeting.meeting_id, records)
            .await?
        {
            Some(outcomes) => Ok(batch.finish(meeting, outcomes)),
            None => Ok(Batch::all_failed(meeting, items)),
        }
    }

    /// CreateAttendee.
    pub async fn create_attendee(
        &self,
        ctx: &RequestContext,
        input: CreateAttendeeInput,
    ) -> Result<AttendeeOutput, ServiceError> {
        let meeting = self
            .active_meeting(&ctx.scope, &normalize_id(&input.meeting_id))
            .await?;
        let caps = resolve_capabilities(input.item.capabilities, &features_of(&meeting))
            .map_err(ServiceError::BadRequest)?;
        let attendee = NewAttendee {
            record: new_attendee(&meeting, input.item.external_user_id, caps),
            tags: input.item.tags.unwrap_or_default(),
        };
        let outcomes = self
            .store
            .create_attendees(&ctx.scope, &meeting.meeting_id, vec![attendee])
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&meeting.meeting_id))?;
        match outcomes.into_iter().next() {
            Some(AttendeeOutcome::Created(a) | AttendeeOutcome::Existing(a)) => {
                Ok(AttendeeOutput { attendee: a.into() })
            }
            Some(AttendeeOutcome::LimitExceeded { .. }) => Err(ServiceError::LimitExceeded(
                attendee_limit_message(&meeting),
            )),
            None => Err(ServiceError::invariant(
                "store returned no outcome for one attendee",
            )),
        }
    }

    /// BatchCreateAttendee: per-attendee failures are reported in `Errors`, with HTTP 200.
    pub async fn batch_create_attendee(
        &self,
        ctx: &RequestContext,
        input: BatchCreateAttendeeInput,
    ) -> Result<BatchCreateAttendeeOutput, ServiceError> {
        let meeting = self
            .active_meeting(&ctx.scope, &normalize_id(&input.meeting_id))
            .await?;
        let (batch, records) = self.prepare_attendees(&meeting, input.attendees);
        let outcomes = self
            .store
            .create_attendees(&ctx.scope, &meeting.meeting_id, records)
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&meeting.meeting_id))?;
        let batch = batch.finish(&meeting, outcomes);
        Ok(BatchCreateAttendeeOutput {
            attendees: batch.attendees,
            errors: batch.errors,
        })
    }

    /// GetAttendee.
    pub async fn get_attendee(
        &self,
        ctx: &RequestContext,
        input: AttendeeIdInput,
    ) -> Result<AttendeeOutput, ServiceError> {
        let (meeting_id, attendee_id) = ids(&input);
        let found = self
            .store
            .get_attendee(&ctx.scope, &meeting_id, &attendee_id)
            .await?;
        let attendee = found_or_not_found(found, &meeting_id, &attendee_id)?;
        Ok(AttendeeOutput {
            attendee: attendee.into(),
        })
    }

    /// ListAttendees.
    pub async fn list_attendees(
        &self,
        ctx: &RequestContext,
        input: ListAttendeesInput,
    ) -> Result<ListAttendeesOutput, ServiceError> {
        let meeting_id = normalize_id(&input.meeting_id);
        let listing = Listing::Attendees {
            meeting_id: &meeting_id,
        };
        let after = listing.decode(input.next_token.as_deref())?;
        let limit = input.max_results.unwrap_or(DEFAULT_PAGE_SIZE) as usize;
        let page = self
            .store
            .list_attendees(&ctx.scope, &meeting_id, after, limit)
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&meeting_id))?;
        Ok(ListAttendeesOutput {
            attendees: page.items.into_iter().map(Attendee::from).collect(),
            next_token: page.next.map(|p| listing.encode(p)),
        })
    }

    /// DeleteAttendee: the attendee and its JoinToken are gone; its slot is free again.
    pub async fn delete_attendee(
        &self,
        ctx: &RequestContext,
        input: AttendeeIdInput,
    ) -> Result<(), ServiceError> {
        let (meeting_id, attendee_id) = ids(&input);
        let found = self
            .store
            .delete_attendee(&ctx.scope, &meeting_id, &attendee_id)
            .await?;
        found_or_not_found(found, &meeting_id, &attendee_id)
    }

    /// UpdateAttendeeCapabilities.
    pub async fn update_attendee_capabilities(
        &self,
        ctx: &RequestContext,
        input: UpdateAttendeeCapabilitiesInput,
    ) -> Result<AttendeeOutput, ServiceError> {
        let meeting_id = normalize_id(&input.meeting_id);
        let attendee_id = normalize_id(&input.attendee_id);
        let meeting = self.active_meeting(&ctx.scope, &meeting_id).await?;
        check_capabilities(&input.capabilities, &features_of(&meeting))
            .map_err(ServiceError::BadRequest)?;
        let found = self
            .store
            .update_attendee_capabilities(&ctx.scope, &meeting_id, &attendee_id, input.capabilities)
            .await?;
        let attendee = found_or_not_found(found, &meeting_id, &attendee_id)?;
        Ok(AttendeeOutput {
            attendee: attendee.into(),
        })
    }

    /// BatchUpdateAttendeeCapabilitiesExcept: every attendee but the excluded ones.
    pub async fn batch_update_attendee_capabilities_except(
        &self,
        ctx: &RequestContext,
        input: BatchUpdateAttendeeCapabilitiesExceptInput,
    ) -> Result<(), ServiceError> {
        let meeting_id = normalize_id(&input.meeting_id);
        let meeting = self.active_meeting(&ctx.scope, &meeting_id).await?;
        check_capabilities(&input.capabilities, &features_of(&meeting))
            .map_err(ServiceError::BadRequest)?;
        let excluded: Vec<String> = input
            .excluded_attendee_ids
            .iter()
            .map(|item| normalize_id(&item.attendee_id))
            .collect();
        self.store
            .update_capabilities_except(&ctx.scope, &meeting_id, &excluded, input.capabilities)
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&meeting_id))
    }
}

fn new_attendee(
    meeting: &MeetingRecord,
    external_user_id: String,
    caps: crate::domain::AttendeeCapabilities,
) -> AttendeeRecord {
    let attendee_id = new_id();
    AttendeeRecord {
        meeting_id: meeting.meeting_id.clone(),
        join_token: new_join_token(&attendee_id),
        attendee_id,
        external_user_id,
        capabilities: Some(caps),
    }
}

fn ids(input: &AttendeeIdInput) -> (String, String) {
    (
        normalize_id(&input.meeting_id),
        normalize_id(&input.attendee_id),
    )
}

pub(super) fn found_or_not_found<T>(
    lookup: AttendeeLookup<T>,
    meeting_id: &str,
    attendee_id: &str,
) -> Result<T, ServiceError> {
    match lookup {
        AttendeeLookup::Found(t) => Ok(t),
        AttendeeLookup::MeetingNotFound => Err(ServiceError::meeting_not_found(meeting_id)),
        AttendeeLookup::AttendeeNotFound => Err(ServiceError::attendee_not_found(attendee_id)),
    }
}
