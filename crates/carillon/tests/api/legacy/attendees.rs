//! Legacy attendee operations: CreateAttendee, BatchCreateAttendee, GetAttendee, ListAttendees,
//! DeleteAttendee, and the attendee limit.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::support::*;
use carillon_testkit::*;

#[tokio::test]
async fn attendee_lifecycle() {
    let server = shared_server();
    let meeting = new_meeting(&server).await;
    let attendee = new_attendee(&server, &meeting, "legacy-user-1").await;
    let id = attendee_id_of(&attendee);
    assert_eq!(attendee["ExternalUserId"], "legacy-user-1");

    // The same ExternalUserId returns the same attendee.
    let again = new_attendee(&server, &meeting, "legacy-user-1").await;
    assert_eq!(again, attendee);

    let r = server
        .legacy_signed("GET", &format!("/meetings/{meeting}/attendees/{id}"), "")
        .await;
    assert_eq!(expect_status(&r, 200), json!({ "Attendee": attendee }));
    let r = server
        .legacy_signed(
            "GET",
            &format!(
                "/meetings/{}/attendees/{}",
                meeting.to_uppercase(),
                id.to_uppercase()
            ),
            "",
        )
        .await;
    assert_eq!(expect_status(&r, 200), json!({ "Attendee": attendee }));

    let other = new_attendee(&server, &meeting, "legacy-user-2").await;
    assert_eq!(
        all_attendees(&server, &meeting, 99).await,
        vec![attendee.clone(), other.clone()]
    );

    let r = server
        .legacy_signed("DELETE", &format!("/meetings/{meeting}/attendees/{id}"), "")
        .await;
    expect_no_content(&r);
    for method in ["GET", "DELETE"] {
        let r = server
            .legacy_signed(method, &format!("/meetings/{meeting}/attendees/{id}"), "")
            .await;
        expect_not_found(&r, &attendee_not_found(&id));
    }
    assert_eq!(all_attendees(&server, &meeting, 99).await, vec![other]);

    // After DeleteAttendee, the ExternalUserId gets a new attendee.
    let back = new_attendee(&server, &meeting, "legacy-user-1").await;
    assert_ne!(attendee_id_of(&back), id);
    assert_ne!(back["JoinToken"], attendee["JoinToken"]);

    // Unknown meeting or attendee.
    let unknown_meeting = unknown_guid();
    let unknown_attendee = unknown_guid();
    for method in ["GET", "DELETE"] {
        let r = server
            .legacy_signed(
                method,
                &format!("/meetings/{meeting}/attendees/{unknown_attendee}"),
                "",
            )
            .await;
        expect_not_found(&r, &attendee_not_found(&unknown_attendee));
        let r = server
            .legacy_signed(
                method,
                &format!("/meetings/{unknown_meeting}/attendees/{id}"),
                "",
            )
            .await;
        expect_not_found(&r, &meeting_not_found(&unknown_meeting));
    }
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{unknown_meeting}/attendees"),
            r#"{"ExternalUserId":"nobody-home"}"#,
        )
        .await;
    expect_not_found(&r, &meeting_not_found(&unknown_meeting));
    let r = server
        .legacy_signed(
            "GET",
            &format!("/meetings/{meeting}/attendees/not-a-guid"),
            "",
        )
        .await;
    r.assert_error(400, "BadRequestException");
}

#[tokio::test]
async fn create_attendee_validates_its_input() {
    let server = shared_server();
    let meeting = new_meeting(&server).await;
    for (what, body) in [
        ("no ExternalUserId", json!({})),
        ("short ExternalUserId", json!({"ExternalUserId": "x"})),
        (
            "long ExternalUserId",
            json!({"ExternalUserId": "x".repeat(65)}),
        ),
        (
            "11 tags",
            json!({"ExternalUserId": "many-tags", "Tags": many_tags("k", 11)}),
        ),
        (
            "empty tag list",
            json!({"ExternalUserId": "no-tags", "Tags": []}),
        ),
        (
            "empty tag key",
            json!({"ExternalUserId": "bad-tag", "Tags": tags_json(&[("", "v")])}),
        ),
    ] {
        let r = server
            .legacy_signed(
                "POST",
                &format!("/meetings/{meeting}/attendees"),
                &body.to_string(),
            )
            .await;
        r.assert_error(400, "BadRequestException");
        assert!(!r.message().is_empty(), "{what}");
    }
    // Ten tags is the most.
    let a = new_attendee_from(
        &server,
        &meeting,
        &json!({"ExternalUserId": "ten-tags", "Tags": many_tags("k", 10)}),
    )
    .await;
    assert_eq!(
        attendee_tags(&server, &meeting, &attendee_id_of(&a))
            .await
            .len(),
        10
    );
    // Nothing was created by the refused requests.
    let names: Vec<Value> = all_attendees(&server, &meeting, 99)
        .await
        .iter()
        .map(|a| a["ExternalUserId"].clone())
        .collect();
    assert_eq!(names, vec![json!("ten-tags")]);
}

#[tokio::test]
async fn batch_create_attendee_answers_201() {
    let server = shared_server();
    let meeting = new_meeting(&server).await;
    let existing = new_attendee(&server, &meeting, "batch-existing").await;
    let body = json!({"Attendees": [
        {"ExternalUserId": "batch-1", "Tags": tags_json(&[("seat", "1")])},
        {"ExternalUserId": "batch-existing"},
        {"ExternalUserId": "batch-2"}
    ]});
    let path = format!("/meetings/{meeting}/attendees?operation=batch-create");
    let r = server.legacy_signed("POST", &path, &body.to_string()).await;
    let out = expect_status(&r, 201);
    assert_eq!(keys(&out), ["Attendees", "Errors"], "{out}");
    assert_eq!(out["Errors"], json!([]));
    let attendees = out["Attendees"].as_array().unwrap();
    let names: Vec<&str> = attendees
        .iter()
        .map(|a| a["ExternalUserId"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["batch-1", "batch-existing", "batch-2"]);
    for a in attendees {
        assert_legacy_attendee(a);
    }
    assert_eq!(
        attendees[1], existing,
        "an existing attendee is returned as is"
    );
    assert_eq!(
        attendee_tags(&server, &meeting, &attendee_id_of(&attendees[0])).await,
        owned(&[("seat", "1")])
    );
    assert_eq!(all_attendees(&server, &meeting, 99).await.len(), 3);

    // 100 attendees in one batch is the documented most; 101 is refused as a whole.
    add_attendees(&server, &meeting, "hundred", 100).await;
    let items: Vec<Value> = (0..101)
        .map(|i| json!({"ExternalUserId": format!("too-many-{i}")}))
        .collect();
    let r = server
        .legacy_signed("POST", &path, &json!({ "Attendees": items }).to_string())
        .await;
    r.assert_error(400, "BadRequestException");
    assert_eq!(all_attendees(&server, &meeting, 99).await.len(), 103);

    for (what, body) in [
        ("no Attendees", json!({})),
        ("an item without ExternalUserId", json!({"Attendees": [{}]})),
        (
            "an item with 11 tags",
            json!({"Attendees": [{"ExternalUserId": "tagged", "Tags": many_tags("k", 11)}]}),
        ),
    ] {
        let r = server.legacy_signed("POST", &path, &body.to_string()).await;
        r.assert_error(400, "BadRequestException");
        assert!(!r.message().is_empty(), "{what}");
    }

    let unknown = unknown_guid();
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{unknown}/attendees?operation=batch-create"),
            r#"{"Attendees":[{"ExternalUserId":"nobody-home"}]}"#,
        )
        .await;
    expect_not_found(&r, &meeting_not_found(&unknown));
}

#[tokio::test]
async fn list_attendees_pages_and_validates_max_results() {
    let server = shared_server();
    let meeting = new_meeting(&server).await;
    add_attendees(&server, &meeting, "page", 7).await;

    let r = server
        .legacy_signed("GET", &format!("/meetings/{meeting}/attendees"), "")
        .await;
    let page = expect_status(&r, 200);
    assert_eq!(keys(&page), ["Attendees"], "{page}");
    let everyone = page["Attendees"].as_array().unwrap().clone();
    assert_eq!(everyone.len(), 7);
    for size in [1, 2, 3, 7, 99] {
        let listed = all_attendees(&server, &meeting, size).await;
        let ids: HashSet<String> = listed.iter().map(attendee_id_of).collect();
        assert_eq!(ids.len(), listed.len(), "listed twice with pages of {size}");
        assert_eq!(listed.len(), 7, "pages of {size}");
        for a in &everyone {
            assert!(listed.contains(a), "pages of {size} lost {a}");
        }
    }

    for query in ["max-results=0", "max-results=100", "max-results=-1"] {
        let r = server
            .legacy_signed("GET", &format!("/meetings/{meeting}/attendees?{query}"), "")
            .await;
        r.assert_error(400, "BadRequestException");
    }
    let r = server
        .legacy_signed(
            "GET",
            &format!("/meetings/{meeting}/attendees?next-token=made-up"),
            "",
        )
        .await;
    r.assert_error(400, "BadRequestException");
    let unknown = unknown_guid();
    let r = server
        .legacy_signed("GET", &format!("/meetings/{unknown}/attendees"), "")
        .await;
    expect_not_found(&r, &meeting_not_found(&unknown));
}

#[tokio::test]
async fn the_251st_attendee_exceeds_the_resource_limit() {
    let server = shared_server();
    let meeting = new_meeting(&server).await;
    add_attendees(&server, &meeting, "seat-a", 100).await;
    add_attendees(&server, &meeting, "seat-b", 100).await;
    add_attendees(&server, &meeting, "seat-c", 50).await;

    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/attendees"),
            r#"{"ExternalUserId":"one-too-many"}"#,
        )
        .await;
    let body = r.assert_error(400, "ResourceLimitExceededException");
    assert_eq!(body["Code"], "ResourceLimitExceeded");

    // In a batch: the existing attendee is returned, the new one is reported.
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/attendees?operation=batch-create"),
            r#"{"Attendees":[{"ExternalUserId":"seat-a-0"},{"ExternalUserId":"one-too-many"}]}"#,
        )
        .await;
    let out = expect_status(&r, 201);
    let attendees = out["Attendees"].as_array().unwrap();
    assert_eq!(attendees.len(), 1, "{out}");
    assert_eq!(attendees[0]["ExternalUserId"], "seat-a-0");
    let errors = out["Errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{out}");
    assert_members_within(&errors[0], ATTENDEE_ERROR_MEMBERS);
    assert_eq!(errors[0]["ExternalUserId"], "one-too-many");
    assert_eq!(
        errors[0]["ErrorCode"], "ResourceLimitExceeded",
        "the legacy ErrorCode enum value: {out}"
    );
    assert!(
        errors[0]["ErrorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{out}"
    );

    // A deleted attendee frees its slot.
    let r = server
        .legacy_signed(
            "DELETE",
            &format!(
                "/meetings/{meeting}/attendees/{}",
                attendee_id_of(&attendees[0])
            ),
            "",
        )
        .await;
    expect_no_content(&r);
    new_attendee(&server, &meeting, "one-too-many").await;
    let r = server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/attendees"),
            r#"{"ExternalUserId":"two-too-many"}"#,
        )
        .await;
    r.assert_error(400, "ResourceLimitExceededException");
}
