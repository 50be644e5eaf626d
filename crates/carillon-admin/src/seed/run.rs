//! Creating what a checked seed file plans, through the service as the API would: one
//! CreateMeeting per meeting (a fresh ClientRequestToken each), then its attendees by
//! BatchCreateAttendee, at most [`BATCH`] at a time as AWS allows. The answer is bounded.

use carillon_core::ids::new_id;
use carillon_core::operations::{
    BatchCreateAttendeeInput, CreateAttendeeRequestItem, CreateMeetingInput,
};
use carillon_core::{
    AttendeeFeatures, Fault, MeetingFeatures, MeetingService, RequestContext, ServiceError,
};
use serde::Serialize;

use super::file::{Plan, Template};

/// Attendees per BatchCreateAttendee: the most the API takes in one.
pub(crate) const BATCH: usize = 100;
/// Meetings the answer lists; beyond them it only counts.
pub(crate) const LISTED_MEETINGS: usize = 1_000;
/// Attendees the answer lists (with their JoinTokens), when the request creates no more.
pub(crate) const LISTED_ATTENDEES: u64 = 1_000;

/// What a seed created: counts, and the first meetings (with their attendees when few).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Created {
    pub meetings: u64,
    pub attendees: u64,
    /// Whether `created` lists each meeting's attendees.
    pub attendees_listed: bool,
    pub created: Vec<CreatedMeeting>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedMeeting {
    pub meeting_id: String,
    pub account_id: String,
    pub api: &'static str,
    pub external_meeting_id: String,
    pub attendee_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attendees: Option<Vec<CreatedAttendee>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedAttendee {
    pub attendee_id: String,
    pub external_user_id: String,
    pub join_token: String,
}

/// Why creation stopped midway: the service's error, or an attendee it refused.
#[derive(Debug)]
pub(crate) struct Stopped {
    pub message: String,
    /// The store did not answer (worth a retry), rather than something refused.
    pub unavailable: bool,
}

impl From<ServiceError> for Stopped {
    fn from(e: ServiceError) -> Self {
        let unavailable =
            matches!(&e, ServiceError::Internal(Fault::Store(s)) if s.is_unavailable());
        if let ServiceError::Internal(fault) = &e {
            tracing::warn!(error = %fault, "admin: seeding stopped");
        }
        Stopped {
            message: e.to_string(),
            unavailable,
        }
    }
}

/// Creates every meeting of `plan` in order, counting into `created` as it goes (so that a
/// failure midway still says what exists).
pub(crate) async fn run(
    service: &MeetingService,
    plan: &Plan,
    created: &mut Created,
) -> Result<(), Stopped> {
    created.attendees_listed = plan.attendees <= LISTED_ATTENDEES;
    for template in &plan.templates {
        for copy in 0..template.copies() {
            create_one(service, template, copy, created).await?;
        }
    }
    Ok(())
}

async fn create_one(
    service: &MeetingService,
    template: &Template,
    copy: u64,
    created: &mut Created,
) -> Result<(), Stopped> {
    let ctx = RequestContext {
        scope: template.scope.clone(),
        region: template.control_region.clone(),
        // An operator's tool: the concurrent meeting quota is not applied.
        max_active_meetings: None,
    };
    let external_meeting_id = template.external_meeting_id(copy);
    let features = template.max_attendees.map(|n| MeetingFeatures {
        attendee: Some(AttendeeFeatures { max_count: Some(n) }),
        ..MeetingFeatures::default()
    });
    let input = CreateMeetingInput {
        client_request_token: new_id(),
        media_region: template.media_region.clone(),
        meeting_host_id: template.meeting_host_id.clone(),
        external_meeting_id: Some(external_meeting_id.clone()),
        notifications_configuration: None,
        meeting_features: features,
        primary_meeting_id: None,
        tenant_ids: None,
        tags: (!template.tags.is_empty()).then(|| template.tags.clone()),
        media_placement_network_type: None,
    };
    let meeting = service.create_meeting(&ctx, input).await?.meeting;
    created.meetings += 1;
    // Listed as soon as it exists, so that a failure among its attendees still names it.
    let slot = (created.created.len() < LISTED_MEETINGS).then(|| {
        created.created.push(CreatedMeeting {
            meeting_id: meeting.meeting_id.clone(),
            account_id: template.scope.account_id.clone(),
            api: template.scope.namespace.as_str(),
            external_meeting_id,
            attendee_count: 0,
            attendees: created.attendees_listed.then(Vec::new),
        });
        created.created.len() - 1
    });
    let mut ids = template.attendees.external_user_ids().peekable();
    while ids.peek().is_some() {
        let items: Vec<_> = ids
            .by_ref()
            .take(BATCH)
            .map(|external_user_id| CreateAttendeeRequestItem {
                external_user_id,
                capabilities: None,
                tags: None,
            })
            .collect();
        let input = BatchCreateAttendeeInput {
            meeting_id: meeting.meeting_id.clone(),
            attendees: items,
        };
        let batch = service.batch_create_attendee(&ctx, input).await?;
        created.attendees += batch.attendees.len() as u64;
        if let Some(listed) = slot.and_then(|i| created.created.get_mut(i)) {
            listed.attendee_count += batch.attendees.len() as u64;
            if let Some(attendees) = &mut listed.attendees {
                attendees.extend(batch.attendees.into_iter().map(|a| CreatedAttendee {
                    attendee_id: a.attendee_id,
                    external_user_id: a.external_user_id,
                    join_token: a.join_token,
                }));
            }
        }
        if let Some(refused) = batch.errors.first() {
            return Err(Stopped {
                message: format!(
                    "meeting {}: attendee {:?} refused: {}: {}",
                    meeting.meeting_id,
                    refused.external_user_id,
                    refused.error_code,
                    refused.error_message
                ),
                unavailable: false,
            });
        }
    }
    Ok(())
}
