//! Operation name → typed input → service call → output in the API's own shape.
//!
//! One table serves both APIs: an operation that exists in both (CreateMeeting, ...) is the same
//! service call; each model only routes its own operations. The legacy API differs only in
//! [`legacy::adapt_input`], in projecting outputs onto its model's output shapes, and in
//! [`legacy::adapt_output`].

use carillon_core::{Fault, MeetingService, Namespace, RequestContext, ServiceError};
use carillon_model::Operation;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::{legacy, ApiState};

/// A successful output: a JSON body, or none for operations without output members.
pub enum Output {
    Json(Vec<u8>),
    Empty,
}

fn input<T: DeserializeOwned>(operation: &str, value: Value) -> Result<T, ApiError> {
    // The model validator has already checked every member, so this only fails on a mismatch
    // between the model and the typed input: a bug, whose detail is logged, not sent.
    serde_json::from_value(value).map_err(|e| {
        ApiError::bad_request(format!(
            "The request does not match the shape of {operation}Request"
        ))
        .with_cause(format_args!(
            "validated input did not fit its typed shape: {e}"
        ))
    })
}

/// Encodes outputs in the shape of the API being served.
struct Encoder<'a> {
    state: &'a ApiState,
    operation: &'a Operation,
}

impl Encoder<'_> {
    fn json<T: Serialize>(&self, result: Result<T, ServiceError>) -> Result<Output, ServiceError> {
        let output = result?;
        let encoded = match self.state.namespace {
            // The service's outputs are the current model's shapes: no projection needed.
            Namespace::Meetings => serde_json::to_vec(&output),
            Namespace::Legacy => serde_json::to_value(&output).and_then(|value| {
                let mut value = self.state.model.project_output(self.operation, value);
                legacy::adapt_output(&mut value);
                serde_json::to_vec(&value)
            }),
        };
        encoded
            .map(Output::Json)
            .map_err(|e| ServiceError::Internal(Fault::Encoding(e.to_string())))
    }

    fn empty(&self, result: Result<(), ServiceError>) -> Result<Output, ServiceError> {
        result.map(|()| Output::Empty)
    }
}

pub async fn dispatch(
    state: &ApiState,
    ctx: &RequestContext,
    operation: &Operation,
    mut value: Value,
) -> Result<Output, ApiError> {
    if state.namespace == Namespace::Legacy {
        legacy::adapt_input(&operation.name, &mut value)?;
    }
    let s: &MeetingService = &state.shared.service;
    let e = Encoder { state, operation };
    let op = operation.name.as_str();
    let result = match op {
        "CreateMeeting" => e.json(s.create_meeting(ctx, input(op, value)?).await),
        "CreateMeetingWithAttendees" => e.json(
            s.create_meeting_with_attendees(ctx, input(op, value)?)
                .await,
        ),
        "GetMeeting" => e.json(s.get_meeting(ctx, input(op, value)?).await),
        "DeleteMeeting" => e.empty(s.delete_meeting(ctx, input(op, value)?).await),
        "CreateAttendee" => e.json(s.create_attendee(ctx, input(op, value)?).await),
        "BatchCreateAttendee" => e.json(s.batch_create_attendee(ctx, input(op, value)?).await),
        "GetAttendee" => e.json(s.get_attendee(ctx, input(op, value)?).await),
        "ListAttendees" => e.json(s.list_attendees(ctx, input(op, value)?).await),
        "DeleteAttendee" => e.empty(s.delete_attendee(ctx, input(op, value)?).await),
        "UpdateAttendeeCapabilities" => {
            e.json(s.update_attendee_capabilities(ctx, input(op, value)?).await)
        }
        "BatchUpdateAttendeeCapabilitiesExcept" => e.empty(
            s.batch_update_attendee_capabilities_except(ctx, input(op, value)?)
                .await,
        ),
        "StartMeetingTranscription" => {
            e.empty(s.start_meeting_transcription(ctx, input(op, value)?).await)
        }
        "StopMeetingTranscription" => {
            e.empty(s.stop_meeting_transcription(ctx, input(op, value)?).await)
        }
        "TagResource" => e.empty(s.tag_resource(ctx, input(op, value)?).await),
        "UntagResource" => e.empty(s.untag_resource(ctx, input(op, value)?).await),
        "ListTagsForResource" => e.json(s.list_tags_for_resource(ctx, input(op, value)?).await),
        // Legacy only.
        "ListMeetings" => e.json(s.list_meetings(ctx, input(op, value)?).await),
        "TagMeeting" => e.empty(s.tag_meeting(ctx, input(op, value)?).await),
        "UntagMeeting" => e.empty(s.untag_meeting(ctx, input(op, value)?).await),
        "ListMeetingTags" => e.json(s.list_meeting_tags(ctx, input(op, value)?).await),
        "TagAttendee" => e.empty(s.tag_attendee(ctx, input(op, value)?).await),
        "UntagAttendee" => e.empty(s.untag_attendee(ctx, input(op, value)?).await),
        "ListAttendeeTags" => e.json(s.list_attendee_tags(ctx, input(op, value)?).await),
        other => {
            return Err(ApiError::service_failure()
                .with_cause(format_args!("routed operation {other} has no handler")));
        }
    };
    result.map_err(|err| ApiError::from_service(&err, state.namespace, operation, &state.model))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use carillon_core::{MeetingService, PublicEndpoint, RequestContext, Scope, ServiceConfig};
    use carillon_sqlite::SqliteStore;

    use crate::credentials::StaticCredentials;
    use crate::{ApiState, Shared};

    fn shared() -> Arc<Shared> {
        Arc::new(Shared::new(
            MeetingService::new(
                Arc::new(SqliteStore::open_in_memory().unwrap()),
                ServiceConfig {
                    public_endpoint: PublicEndpoint::parse("http://127.0.0.1:8080").unwrap(),
                    max_replicas_per_primary: 4,
                },
            ),
            carillon_sigv4::Verifier::new(crate::SIGNING_NAME),
            Arc::new(StaticCredentials::example()),
            crate::Limits::default(),
            Arc::new(crate::metrics::Metrics::new()),
            crate::quota::Quotas::disabled(),
        ))
    }

    fn ctx(api: &ApiState) -> RequestContext {
        RequestContext {
            scope: Scope {
                account_id: "123456789012".into(),
                namespace: api.namespace,
            },
            region: "us-east-1".into(),
            max_active_meetings: None,
        }
    }

    /// Dispatches `input` to `operation` and parses the JSON body it answers.
    async fn call(api: &ApiState, operation: &str, input: serde_json::Value) -> serde_json::Value {
        let op = api.model.operation(operation).unwrap();
        match super::dispatch(api, &ctx(api), op, input).await.unwrap() {
            super::Output::Json(body) => serde_json::from_slice(&body).unwrap(),
            super::Output::Empty => panic!("{operation} answered no body"),
        }
    }

    /// Dispatching an empty input reaches the operation's handler, which refuses it as a bad
    /// request or serves it; only an operation without a handler is a service failure.
    #[tokio::test]
    async fn every_operation_of_both_models_has_a_handler() {
        let shared = shared();
        for api in [ApiState::meetings(shared.clone()), ApiState::legacy(shared)] {
            let ctx = ctx(&api);
            for op in api.model.operations() {
                let result = super::dispatch(&api, &ctx, op, serde_json::json!({})).await;
                if let Err(e) = result {
                    assert_ne!(
                        e.name, "ServiceFailureException",
                        "{} has no handler",
                        op.name
                    );
                }
            }
        }
    }

    /// A meeting without tenants carries `"TenantIds": []` in the current API, where app code
    /// reads `Meeting.TenantIds.length`; the legacy Meeting shape has no TenantIds at all.
    #[tokio::test]
    async fn a_meeting_without_tenants_lists_none() {
        let shared = shared();
        let current = ApiState::meetings(shared.clone());
        let create =
            serde_json::json!({"ClientRequestToken": "token-1", "MediaRegion": "us-east-1"});
        let created = call(&current, "CreateMeeting", create.clone()).await;
        assert_eq!(created["Meeting"]["TenantIds"], serde_json::json!([]));
        let id = created["Meeting"]["MeetingId"].clone();
        let got = call(&current, "GetMeeting", serde_json::json!({"MeetingId": id})).await;
        assert_eq!(got["Meeting"]["TenantIds"], serde_json::json!([]));
        let with_tenants = serde_json::json!({
            "ClientRequestToken": "token-2", "MediaRegion": "us-east-1", "TenantIds": ["tenant-a"]
        });
        let created = call(&current, "CreateMeeting", with_tenants).await;
        assert_eq!(
            created["Meeting"]["TenantIds"],
            serde_json::json!(["tenant-a"])
        );

        let legacy = ApiState::legacy(shared);
        let created = call(&legacy, "CreateMeeting", create).await;
        assert_eq!(created["Meeting"].get("TenantIds"), None);
    }
}
