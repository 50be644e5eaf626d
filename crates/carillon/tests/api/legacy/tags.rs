//! Legacy tags: meeting tags by MeetingId (TagMeeting, UntagMeeting, ListMeetingTags) and by ARN
//! (TagResource, UntagResource, ListTagsForResource), and attendee tags (TagAttendee,
//! UntagAttendee, ListAttendeeTags).

use serde_json::json;

use super::support::*;
use carillon_testkit::*;

async fn tag_meeting(server: &Server, meeting: &str, tags: serde_json::Value) -> RawResponse {
    server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/tags?operation=add"),
            &json!({ "Tags": tags }).to_string(),
        )
        .await
}

async fn untag_meeting(server: &Server, meeting: &str, keys: &[&str]) -> RawResponse {
    server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/tags?operation=delete"),
            &json!({ "TagKeys": keys }).to_string(),
        )
        .await
}

async fn tag_resource(server: &Server, arn: &str, tags: serde_json::Value) -> RawResponse {
    server
        .legacy_signed(
            "POST",
            "/tags?operation=tag-resource",
            &json!({"ResourceARN": arn, "Tags": tags}).to_string(),
        )
        .await
}

async fn untag_resource(server: &Server, arn: &str, keys: &[&str]) -> RawResponse {
    server
        .legacy_signed(
            "POST",
            "/tags?operation=untag-resource",
            &json!({"ResourceARN": arn, "TagKeys": keys}).to_string(),
        )
        .await
}

async fn tag_attendee(
    server: &Server,
    meeting: &str,
    attendee: &str,
    tags: serde_json::Value,
) -> RawResponse {
    server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/attendees/{attendee}/tags?operation=add"),
            &json!({ "Tags": tags }).to_string(),
        )
        .await
}

async fn untag_attendee(
    server: &Server,
    meeting: &str,
    attendee: &str,
    keys: &[&str],
) -> RawResponse {
    server
        .legacy_signed(
            "POST",
            &format!("/meetings/{meeting}/attendees/{attendee}/tags?operation=delete"),
            &json!({ "TagKeys": keys }).to_string(),
        )
        .await
}

#[tokio::test]
async fn meeting_tags_by_id_and_by_arn_are_the_same_tags() {
    let server = shared_server();
    let meeting = new_meeting_from(
        &server,
        &json!({"ClientRequestToken": unique("tok"), "Tags": tags_json(&[("a", "1")])}),
    )
    .await;
    let id = id_of(&meeting);
    let arn = meeting_arn(REGION, ACCOUNT_ID, &id);

    expect_no_content(&tag_meeting(&server, &id, tags_json(&[("b", "2")])).await);
    expect_no_content(&tag_resource(&server, &arn, tags_json(&[("c", "3")])).await);
    let all = owned(&[("a", "1"), ("b", "2"), ("c", "3")]);
    assert_eq!(meeting_tags(&server, &id).await, all);
    assert_eq!(resource_tags(&server, &arn).await, all);

    // Overwriting a value, through either.
    expect_no_content(&tag_meeting(&server, &id, tags_json(&[("c", "30")])).await);
    expect_no_content(&tag_resource(&server, &arn, tags_json(&[("a", "10")])).await);
    let all = owned(&[("a", "10"), ("b", "2"), ("c", "30")]);
    assert_eq!(meeting_tags(&server, &id).await, all);
    assert_eq!(resource_tags(&server, &arn).await, all);

    // Removing, through either; absent keys are fine.
    expect_no_content(&untag_meeting(&server, &id, &["a", "never-set"]).await);
    expect_no_content(&untag_resource(&server, &arn, &["b", "never-set"]).await);
    let all = owned(&[("c", "30")]);
    assert_eq!(meeting_tags(&server, &id).await, all);
    assert_eq!(resource_tags(&server, &arn).await, all);

    // Legacy tag keys and values have no pattern; values must not be empty.
    expect_no_content(
        &tag_meeting(&server, &id, tags_json(&[("team name", "blue & green!")])).await,
    );
    assert!(meeting_tags(&server, &id)
        .await
        .contains(&("team name".to_string(), "blue & green!".to_string())));
    for tags in [json!([]), tags_json(&[("k", "")]), tags_json(&[("", "v")])] {
        tag_meeting(&server, &id, tags.clone())
            .await
            .assert_error(400, "BadRequestException");
        tag_resource(&server, &arn, tags)
            .await
            .assert_error(400, "BadRequestException");
    }
    untag_meeting(&server, &id, &[])
        .await
        .assert_error(400, "BadRequestException");
    untag_resource(&server, &arn, &[])
        .await
        .assert_error(400, "BadRequestException");
    let r = server
        .legacy_signed(
            "GET",
            &format!("/tags?arn={}", percent_encode("not-an-arn")),
            "",
        )
        .await;
    r.assert_error(400, "BadRequestException");
    let r = server.legacy_signed("GET", "/tags", "").await;
    r.assert_error(400, "BadRequestException");

    // Unknown meetings, by id and by ARN.
    let unknown = unknown_guid();
    let unknown_arn = meeting_arn(REGION, ACCOUNT_ID, &unknown);
    let gone = meeting_not_found(&unknown);
    expect_not_found(
        &tag_meeting(&server, &unknown, tags_json(&[("k", "v")])).await,
        &gone,
    );
    expect_not_found(&untag_meeting(&server, &unknown, &["k"]).await, &gone);
    let r = server
        .legacy_signed("GET", &format!("/meetings/{unknown}/tags"), "")
        .await;
    expect_not_found(&r, &gone);
    tag_resource(&server, &unknown_arn, tags_json(&[("k", "v")]))
        .await
        .assert_error(404, "NotFoundException");
    untag_resource(&server, &unknown_arn, &["k"])
        .await
        .assert_error(404, "NotFoundException");
    let r = server
        .legacy_signed(
            "GET",
            &format!("/tags?arn={}", percent_encode(&unknown_arn)),
            "",
        )
        .await;
    r.assert_error(404, "NotFoundException");
    // The ARN must name this account.
    let foreign = meeting_arn(REGION, SECOND_ACCOUNT_ID, &id);
    let r = server
        .legacy_signed(
            "GET",
            &format!("/tags?arn={}", percent_encode(&foreign)),
            "",
        )
        .await;
    r.assert_error(404, "NotFoundException");

    // A deleted meeting's tags are gone with it.
    let r = server
        .legacy_signed("DELETE", &format!("/meetings/{id}"), "")
        .await;
    expect_no_content(&r);
    let r = server
        .legacy_signed("GET", &format!("/meetings/{id}/tags"), "")
        .await;
    expect_not_found(&r, &meeting_not_found(&id));
    let r = server
        .legacy_signed("GET", &format!("/tags?arn={}", percent_encode(&arn)), "")
        .await;
    r.assert_error(404, "NotFoundException");
}

#[tokio::test]
async fn a_51st_meeting_tag_exceeds_the_resource_limit() {
    let server = shared_server();
    let id = id_of(
        &new_meeting_from(
            &server,
            &json!({"ClientRequestToken": unique("tok"), "Tags": many_tags("first", 30)}),
        )
        .await,
    );
    expect_no_content(&tag_meeting(&server, &id, many_tags("second", 20)).await);
    assert_eq!(meeting_tags(&server, &id).await.len(), 50);

    let r = tag_meeting(&server, &id, tags_json(&[("one-more", "v")])).await;
    let body = r.assert_error(400, "ResourceLimitExceededException");
    assert_eq!(body["Code"], "ResourceLimitExceeded");
    assert!(body.get("ResourceName").is_none(), "{body}");
    // Nothing of a refused request is kept, not even its overwrites.
    let r = tag_meeting(
        &server,
        &id,
        tags_json(&[("first-0", "changed"), ("one-more", "v")]),
    )
    .await;
    r.assert_error(400, "ResourceLimitExceededException");
    let tags = meeting_tags(&server, &id).await;
    assert_eq!(tags.len(), 50);
    assert!(
        tags.contains(&("first-0".to_string(), "v0".to_string())),
        "{tags:?}"
    );

    // Overwriting an existing key is no new tag.
    expect_no_content(&tag_meeting(&server, &id, tags_json(&[("first-0", "again")])).await);
    // TagResource models no limit error: the same condition is a bad request there.
    let arn = meeting_arn(REGION, ACCOUNT_ID, &id);
    tag_resource(&server, &arn, tags_json(&[("one-more", "v")]))
        .await
        .assert_error(400, "BadRequestException");
    assert_eq!(meeting_tags(&server, &id).await.len(), 50);

    // Once a tag is removed, there is room for one.
    expect_no_content(&untag_meeting(&server, &id, &["first-1"]).await);
    expect_no_content(&tag_meeting(&server, &id, tags_json(&[("one-more", "v")])).await);
    assert_eq!(meeting_tags(&server, &id).await.len(), 50);

    // 51 tags in one request is a shape violation.
    let fresh = new_meeting(&server).await;
    tag_meeting(&server, &fresh, many_tags("k", 51))
        .await
        .assert_error(400, "BadRequestException");
    let keys: Vec<String> = (0..51).map(|i| format!("k-{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    untag_meeting(&server, &fresh, &keys)
        .await
        .assert_error(400, "BadRequestException");
    assert_eq!(meeting_tags(&server, &fresh).await, owned(&[]));
}

#[tokio::test]
async fn attendee_tags_live_and_die_with_their_attendee() {
    let server = shared_server();
    let meeting = new_meeting(&server).await;
    let a = new_attendee_from(
        &server,
        &meeting,
        &json!({"ExternalUserId": "tagged-user", "Tags": tags_json(&[("role", "host"), ("team", "blue")])}),
    )
    .await;
    let a = attendee_id_of(&a);
    let b = attendee_id_of(&new_attendee(&server, &meeting, "untagged-user").await);
    assert_eq!(
        attendee_tags(&server, &meeting, &a).await,
        owned(&[("role", "host"), ("team", "blue")])
    );
    assert_eq!(attendee_tags(&server, &meeting, &b).await, owned(&[]));

    expect_no_content(
        &tag_attendee(
            &server,
            &meeting,
            &a,
            tags_json(&[("lang", "en"), ("role", "guest")]),
        )
        .await,
    );
    expect_no_content(&untag_attendee(&server, &meeting, &a, &["team", "never-set"]).await);
    assert_eq!(
        attendee_tags(&server, &meeting, &a).await,
        owned(&[("lang", "en"), ("role", "guest")])
    );
    expect_no_content(&tag_attendee(&server, &meeting, &b, tags_json(&[("seat", "9")])).await);
    assert_eq!(
        attendee_tags(&server, &meeting, &b).await,
        owned(&[("seat", "9")])
    );
    // Attendee tags are not meeting tags.
    assert_eq!(meeting_tags(&server, &meeting).await, owned(&[]));
    // Ids in paths are matched whatever their case.
    assert_eq!(
        attendee_tags(&server, &meeting.to_uppercase(), &a.to_uppercase()).await,
        owned(&[("lang", "en"), ("role", "guest")])
    );

    // Unknown attendee, unknown meeting: each named in its own message.
    let unknown_attendee = unknown_guid();
    let unknown_meeting = unknown_guid();
    for (m, at, message) in [
        (
            &meeting,
            &unknown_attendee,
            attendee_not_found(&unknown_attendee),
        ),
        (&unknown_meeting, &a, meeting_not_found(&unknown_meeting)),
    ] {
        let r = server
            .legacy_signed("GET", &format!("/meetings/{m}/attendees/{at}/tags"), "")
            .await;
        expect_not_found(&r, &message);
        expect_not_found(
            &tag_attendee(&server, m, at, tags_json(&[("k", "v")])).await,
            &message,
        );
        expect_not_found(&untag_attendee(&server, m, at, &["k"]).await, &message);
    }
    for tags in [json!([]), tags_json(&[("k", "")])] {
        tag_attendee(&server, &meeting, &a, tags)
            .await
            .assert_error(400, "BadRequestException");
    }
    untag_attendee(&server, &meeting, &a, &[])
        .await
        .assert_error(400, "BadRequestException");
    let r = server
        .legacy_signed(
            "GET",
            &format!("/meetings/{meeting}/attendees/not-a-guid/tags"),
            "",
        )
        .await;
    r.assert_error(400, "BadRequestException");

    // Deleting the attendee deletes its tags; a new attendee for the same ExternalUserId starts
    // with none.
    let r = server
        .legacy_signed("DELETE", &format!("/meetings/{meeting}/attendees/{a}"), "")
        .await;
    expect_no_content(&r);
    let r = server
        .legacy_signed(
            "GET",
            &format!("/meetings/{meeting}/attendees/{a}/tags"),
            "",
        )
        .await;
    expect_not_found(&r, &attendee_not_found(&a));
    expect_not_found(
        &tag_attendee(&server, &meeting, &a, tags_json(&[("k", "v")])).await,
        &attendee_not_found(&a),
    );
    expect_not_found(
        &untag_attendee(&server, &meeting, &a, &["lang"]).await,
        &attendee_not_found(&a),
    );
    let back = attendee_id_of(&new_attendee(&server, &meeting, "tagged-user").await);
    assert_ne!(back, a);
    assert_eq!(attendee_tags(&server, &meeting, &back).await, owned(&[]));
    assert_eq!(
        attendee_tags(&server, &meeting, &b).await,
        owned(&[("seat", "9")])
    );

    // Ending the meeting: its attendees' tags are gone too.
    let r = server
        .legacy_signed("DELETE", &format!("/meetings/{meeting}"), "")
        .await;
    expect_no_content(&r);
    let r = server
        .legacy_signed(
            "GET",
            &format!("/meetings/{meeting}/attendees/{b}/tags"),
            "",
        )
        .await;
    expect_not_found(&r, &meeting_not_found(&meeting));
}

#[tokio::test]
async fn an_11th_attendee_tag_exceeds_the_resource_limit() {
    let server = shared_server();
    let meeting = new_meeting(&server).await;
    let full = attendee_id_of(
        &new_attendee_from(
            &server,
            &meeting,
            &json!({"ExternalUserId": "ten-tags", "Tags": many_tags("k", 10)}),
        )
        .await,
    );
    let r = tag_attendee(&server, &meeting, &full, tags_json(&[("eleventh", "v")])).await;
    let body = r.assert_error(400, "ResourceLimitExceededException");
    assert_eq!(body["Code"], "ResourceLimitExceeded");
    // Overwriting is fine.
    expect_no_content(&tag_attendee(&server, &meeting, &full, tags_json(&[("k-0", "new")])).await);
    let tags = attendee_tags(&server, &meeting, &full).await;
    assert_eq!(tags.len(), 10);
    assert!(tags.contains(&("k-0".to_string(), "new".to_string())));

    // Six, then five more.
    let six = attendee_id_of(
        &new_attendee_from(
            &server,
            &meeting,
            &json!({"ExternalUserId": "six-tags", "Tags": many_tags("six", 6)}),
        )
        .await,
    );
    tag_attendee(&server, &meeting, &six, many_tags("five", 5))
        .await
        .assert_error(400, "ResourceLimitExceededException");
    assert_eq!(attendee_tags(&server, &meeting, &six).await.len(), 6);
    expect_no_content(&tag_attendee(&server, &meeting, &six, many_tags("four", 4)).await);
    assert_eq!(attendee_tags(&server, &meeting, &six).await.len(), 10);

    // Eleven in one request is a shape violation (AttendeeTagList and AttendeeTagKeyList are
    // 1..10).
    let bare = attendee_id_of(&new_attendee(&server, &meeting, "no-tags").await);
    tag_attendee(&server, &meeting, &bare, many_tags("k", 11))
        .await
        .assert_error(400, "BadRequestException");
    let keys: Vec<String> = (0..11).map(|i| format!("k-{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    untag_attendee(&server, &meeting, &full, &keys)
        .await
        .assert_error(400, "BadRequestException");
    assert_eq!(attendee_tags(&server, &meeting, &bare).await, owned(&[]));
    assert_eq!(attendee_tags(&server, &meeting, &full).await.len(), 10);
}
