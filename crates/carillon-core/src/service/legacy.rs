//! Operations that only the legacy `chime` API has: ListMeetings, meeting tags by MeetingId, and
//! attendee tags.

use super::attendees::found_or_not_found;
use super::next_token::Listing;
use super::{MeetingService, RequestContext, MAX_TAGS_PER_RESOURCE};
use crate::error::ServiceError;
use crate::ids::normalize_id;
use crate::operations::{
    AttendeeIdInput, ListMeetingsInput, ListMeetingsOutput, MeetingIdInput, TagAttendeeInput,
    TagMeetingInput, TagsOutput, UntagAttendeeInput, UntagMeetingInput,
};
use crate::store::TagOutcome;

/// Tags per attendee (legacy `AttendeeTagList`, 1..10).
pub const MAX_TAGS_PER_ATTENDEE: usize = 10;

/// ListMeetings page size when `MaxResults` is absent ("Lists up to 100 active meetings").
pub const DEFAULT_MEETINGS_PAGE_SIZE: u32 = 100;

fn too_many_tags(resource: String, max: usize) -> ServiceError {
    ServiceError::TooManyTags {
        message: format!("Too many tags: a resource can have at most {max} tags"),
        resource,
    }
}

impl MeetingService {
    /// ListMeetings: the caller's active meetings, oldest first.
    pub async fn list_meetings(
        &self,
        ctx: &RequestContext,
        input: ListMeetingsInput,
    ) -> Result<ListMeetingsOutput, ServiceError> {
        let after = Listing::Meetings.decode(input.next_token.as_deref())?;
        let limit = input.max_results.unwrap_or(DEFAULT_MEETINGS_PAGE_SIZE) as usize;
        let page = self.store.list_meetings(&ctx.scope, after, limit).await?;
        Ok(ListMeetingsOutput {
            meetings: page.items.iter().map(|m| self.meeting_output(m)).collect(),
            next_token: page.next.map(|p| Listing::Meetings.encode(p)),
        })
    }

    /// TagMeeting.
    pub async fn tag_meeting(
        &self,
        ctx: &RequestContext,
        input: TagMeetingInput,
    ) -> Result<(), ServiceError> {
        let meeting = self
            .active_meeting(&ctx.scope, &normalize_id(&input.meeting_id))
            .await?;
        let tagged = self
            .store
            .tag_meeting(
                &ctx.scope,
                &meeting.meeting_id,
                input.tags,
                MAX_TAGS_PER_RESOURCE,
            )
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&meeting.meeting_id))?;
        match tagged {
            TagOutcome::Tagged => Ok(()),
            TagOutcome::TooManyTags => Err(too_many_tags(meeting.arn(), MAX_TAGS_PER_RESOURCE)),
        }
    }

    /// UntagMeeting: succeeds for keys that are not set.
    pub async fn untag_meeting(
        &self,
        ctx: &RequestContext,
        input: UntagMeetingInput,
    ) -> Result<(), ServiceError> {
        let id = normalize_id(&input.meeting_id);
        self.store
            .untag_meeting(&ctx.scope, &id, input.tag_keys)
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&id))
    }

    /// ListMeetingTags.
    pub async fn list_meeting_tags(
        &self,
        ctx: &RequestContext,
        input: MeetingIdInput,
    ) -> Result<TagsOutput, ServiceError> {
        let id = normalize_id(&input.meeting_id);
        let tags = self
            .store
            .list_meeting_tags(&ctx.scope, &id)
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(&id))?;
        Ok(TagsOutput { tags })
    }

    /// TagAttendee: at most 10 tags per attendee.
    pub async fn tag_attendee(
        &self,
        ctx: &RequestContext,
        input: TagAttendeeInput,
    ) -> Result<(), ServiceError> {
        let (meeting_id, attendee_id) = (
            normalize_id(&input.meeting_id),
            normalize_id(&input.attendee_id),
        );
        let lookup = self
            .store
            .tag_attendee(
                &ctx.scope,
                &meeting_id,
                &attendee_id,
                input.tags,
                MAX_TAGS_PER_ATTENDEE,
            )
            .await?;
        match found_or_not_found(lookup, &meeting_id, &attendee_id)? {
            TagOutcome::Tagged => Ok(()),
            TagOutcome::TooManyTags => Err(too_many_tags(
                format!("attendee/{attendee_id}"),
                MAX_TAGS_PER_ATTENDEE,
            )),
        }
    }

    /// UntagAttendee: succeeds for keys that are not set.
    pub async fn untag_attendee(
        &self,
        ctx: &RequestContext,
        input: UntagAttendeeInput,
    ) -> Result<(), ServiceError> {
        let (meeting_id, attendee_id) = (
            normalize_id(&input.meeting_id),
            normalize_id(&input.attendee_id),
        );
        let lookup = self
            .store
            .untag_attendee(&ctx.scope, &meeting_id, &attendee_id, input.tag_keys)
            .await?;
        found_or_not_found(lookup, &meeting_id, &attendee_id)
    }

    /// ListAttendeeTags.
    pub async fn list_attendee_tags(
        &self,
        ctx: &RequestContext,
        input: AttendeeIdInput,
    ) -> Result<TagsOutput, ServiceError> {
        let (meeting_id, attendee_id) = (
            normalize_id(&input.meeting_id),
            normalize_id(&input.attendee_id),
        );
        let lookup = self
            .store
            .list_attendee_tags(&ctx.scope, &meeting_id, &attendee_id)
            .await?;
        let tags = found_or_not_found(lookup, &meeting_id, &attendee_id)?;
        Ok(TagsOutput { tags })
    }
}
