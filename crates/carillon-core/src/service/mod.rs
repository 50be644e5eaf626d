//! The operations, as plain async methods: typed input in, typed output or [`ServiceError`] out.
//! They apply the rules AWS documents for each operation (the service model and the Amazon Chime
//! SDK Developer Guide) and call the [`Store`] for anything that must be atomic. One file per
//! resource.

mod attendees;
mod legacy;
mod meetings;
mod next_token;
mod tags;
mod transcription;

pub use meetings::MEDIA_REGIONS;

use std::sync::Arc;

use crate::domain::{MeetingRecord, Scope};
use crate::error::ServiceError;
use crate::media_placement::PublicEndpoint;
use crate::operations::Meeting;
use crate::store::Store;

/// Who is calling: the account (and namespace) the request is scoped to, the region its
/// signature named (which becomes the control region of the meetings it creates), and the
/// account's quotas in that namespace.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub scope: Scope,
    pub region: String,
    /// Concurrent meeting quota of the scope: how many active meetings (replicas included) it may
    /// hold (AWS default 250; quota `L-9F286451`, legacy `L-A5C73716`). `None`: unlimited.
    pub max_active_meetings: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub public_endpoint: PublicEndpoint,
    /// Replica meetings per primary meeting (AWS default 4, quota `L-154D84D0`).
    pub max_replicas_per_primary: u32,
}

/// Tags per resource (new namespace).
pub const MAX_TAGS_PER_RESOURCE: usize = 50;

/// Attendee cap of a high-definition session (model docs of `AttendeeFeatures`).
pub const MAX_HIGH_DEFINITION_ATTENDEES: u32 = 25;

pub struct MeetingService {
    store: Arc<dyn Store>,
    config: ServiceConfig,
}

impl MeetingService {
    pub fn new(store: Arc<dyn Store>, config: ServiceConfig) -> Self {
        MeetingService { store, config }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn meeting_output(&self, record: &MeetingRecord) -> Meeting {
        Meeting {
            meeting_id: record.meeting_id.clone(),
            meeting_host_id: record.meeting_host_id.clone(),
            external_meeting_id: record.external_meeting_id.clone(),
            media_region: record.media_region.clone(),
            media_placement: self
                .config
                .public_endpoint
                .media_placement(&record.meeting_id),
            meeting_features: record.features.clone(),
            primary_meeting_id: record.primary_meeting_id.clone(),
            // Always present, empty when the meeting has none: AWS documents neither form, but
            // answers dumped by users show `"TenantIds": []`, and app code reads
            // `Meeting.TenantIds.length` without a guard. (The legacy Meeting shape has no
            // TenantIds; projection onto it drops the member.)
            tenant_ids: record.tenant_ids.clone(),
            meeting_arn: record.arn(),
        }
    }

    /// An active meeting of the caller, or `NotFoundException`.
    async fn active_meeting(
        &self,
        scope: &Scope,
        meeting_id: &str,
    ) -> Result<MeetingRecord, ServiceError> {
        self.store
            .get_meeting(scope, meeting_id)
            .await?
            .ok_or_else(|| ServiceError::meeting_not_found(meeting_id))
    }
}

pub(crate) use crate::clock::now_ms;
