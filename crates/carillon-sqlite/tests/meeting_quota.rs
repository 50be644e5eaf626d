//! The concurrent meeting quota through the service: `LimitExceeded` at the quota, a replayed
//! ClientRequestToken still answered, DeleteMeeting freeing a slot, one count per scope.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::sync::Arc;

use carillon_core::operations::{
    CreateMeetingInput, CreateMeetingWithAttendeesInput, MeetingIdInput,
};
use carillon_core::{
    MeetingService, Namespace, PublicEndpoint, RequestContext, Scope, ServiceConfig, ServiceError,
};
use carillon_sqlite::SqliteStore;
use serde_json::json;

fn service() -> MeetingService {
    MeetingService::new(
        Arc::new(SqliteStore::open_in_memory().expect("open")),
        ServiceConfig {
            public_endpoint: PublicEndpoint::parse("http://127.0.0.1:8080").unwrap(),
            max_replicas_per_primary: 4,
        },
    )
}

fn ctx(account_id: &str, namespace: Namespace, max_active_meetings: Option<u32>) -> RequestContext {
    RequestContext {
        scope: Scope {
            account_id: account_id.into(),
            namespace,
        },
        region: "us-east-1".into(),
        max_active_meetings,
    }
}

fn create_input(token: &str) -> CreateMeetingInput {
    serde_json::from_value(json!({"ClientRequestToken": token, "MediaRegion": "us-east-1"}))
        .unwrap()
}

async fn create(service: &MeetingService, ctx: &RequestContext, token: &str) -> String {
    service
        .create_meeting(ctx, create_input(token))
        .await
        .expect("CreateMeeting")
        .meeting
        .meeting_id
}

fn assert_limit(result: Result<impl std::fmt::Debug, ServiceError>, quota_code: &str) {
    match result {
        Err(ServiceError::LimitExceeded(message)) => {
            assert!(message.contains(quota_code), "{message}");
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}

#[tokio::test]
async fn the_quota_refuses_answers_replays_and_frees_on_delete() {
    let service = service();
    let ctx = ctx("111122223333", Namespace::Meetings, Some(2));
    let first = create(&service, &ctx, "t1").await;
    create(&service, &ctx, "t2").await;

    assert_limit(
        service.create_meeting(&ctx, create_input("t3")).await,
        "L-9F286451",
    );
    let with_attendees: CreateMeetingWithAttendeesInput = serde_json::from_value(json!({
        "ClientRequestToken": "t4", "MediaRegion": "us-east-1",
        "Attendees": [{"ExternalUserId": "alice"}]
    }))
    .unwrap();
    assert_limit(
        service
            .create_meeting_with_attendees(&ctx, with_attendees)
            .await,
        "L-9F286451",
    );

    // A replay at the quota is the original meeting; its attendees join it.
    assert_eq!(create(&service, &ctx, "t1").await, first);
    let replay: CreateMeetingWithAttendeesInput = serde_json::from_value(json!({
        "ClientRequestToken": "t1", "MediaRegion": "us-east-1",
        "Attendees": [{"ExternalUserId": "alice"}]
    }))
    .unwrap();
    let out = service
        .create_meeting_with_attendees(&ctx, replay)
        .await
        .expect("replay");
    assert_eq!(out.meeting.meeting_id, first);
    assert_eq!(out.attendees.len(), 1);
    assert!(out.errors.is_empty());

    // DeleteMeeting frees a slot; the refused token was never used.
    service
        .delete_meeting(
            &ctx,
            MeetingIdInput {
                meeting_id: first.clone(),
            },
        )
        .await
        .expect("DeleteMeeting");
    let third = create(&service, &ctx, "t3").await;
    assert_ne!(third, first);
    assert_limit(
        service.create_meeting(&ctx, create_input("t5")).await,
        "L-9F286451",
    );
    // The ended meeting's token is still answered with it.
    assert_eq!(create(&service, &ctx, "t1").await, first);
}

#[tokio::test]
async fn each_scope_has_its_own_count_and_none_is_unlimited() {
    let service = service();
    let current = ctx("111122223333", Namespace::Meetings, Some(1));
    let legacy = ctx("111122223333", Namespace::Legacy, Some(1));
    let other = ctx("444455556666", Namespace::Meetings, Some(1));
    for ctx in [&current, &legacy, &other] {
        create(&service, ctx, "t1").await;
    }
    assert_limit(
        service.create_meeting(&current, create_input("t2")).await,
        "L-9F286451",
    );
    assert_limit(
        service.create_meeting(&legacy, create_input("t2")).await,
        "L-A5C73716",
    );
    let unlimited = RequestContext {
        max_active_meetings: None,
        ..current.clone()
    };
    for i in 2..6 {
        create(&service, &unlimited, &format!("t{i}")).await;
    }
}
