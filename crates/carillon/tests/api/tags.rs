//! TagResource, UntagResource, ListTagsForResource.

use aws_sdk_chimesdkmeetings::operation::list_tags_for_resource::ListTagsForResourceError;
use aws_sdk_chimesdkmeetings::operation::tag_resource::TagResourceError;
use aws_sdk_chimesdkmeetings::operation::untag_resource::UntagResourceError;
use aws_sdk_chimesdkmeetings::operation::RequestId;
use aws_sdk_chimesdkmeetings::Client;

use carillon_testkit::expect_err;
use carillon_testkit::*;

async fn list(client: &Client, arn: &str) -> Vec<(String, String)> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("ListTagsForResource");
    assert!(out.request_id().is_some());
    tag_pairs(out.tags())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn tag_untag_and_list() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting_request(&client)
        .tags(tag("created", "at-start"))
        .send()
        .await
        .unwrap()
        .meeting
        .unwrap();
    let arn = meeting.meeting_arn().unwrap().to_string();
    assert_eq!(list(&client, &arn).await, pairs(&[("created", "at-start")]));

    let out = client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "test"))
        .tags(tag("owner", "team@example.com"))
        .tags(tag("empty", ""))
        .tags(tag("team:like/key.with_chars", "value with spaces"))
        .send()
        .await
        .expect("TagResource");
    assert!(out.request_id().is_some());
    assert_eq!(
        list(&client, &arn).await,
        pairs(&[
            ("created", "at-start"),
            ("env", "test"),
            ("owner", "team@example.com"),
            ("empty", ""),
            ("team:like/key.with_chars", "value with spaces"),
        ])
    );

    // A tag with an existing key replaces its value.
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "prod"))
        .send()
        .await
        .expect("TagResource overwrite");
    // Untagging removes the named keys and ignores keys that are not set.
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("created")
        .tag_keys("never-set")
        .tag_keys("empty")
        .send()
        .await
        .expect("UntagResource");
    assert_eq!(
        list(&client, &arn).await,
        pairs(&[
            ("env", "prod"),
            ("owner", "team@example.com"),
            ("team:like/key.with_chars", "value with spaces"),
        ])
    );
    // Untagging keys already removed succeeds.
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("created")
        .send()
        .await
        .expect("UntagResource of a removed key");
    // Empty lists are allowed by the model.
    client
        .tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(Vec::new()))
        .send()
        .await
        .expect("TagResource with no tags");
    client
        .untag_resource()
        .resource_arn(&arn)
        .set_tag_keys(Some(Vec::new()))
        .send()
        .await
        .expect("UntagResource with no keys");
    assert_eq!(list(&client, &arn).await.len(), 3);
}

#[tokio::test]
async fn at_most_50_tags_per_meeting() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let arn = meeting.meeting_arn().unwrap().to_string();
    let tags: Vec<_> = (0..50).map(|i| tag(&format!("key{i}"), "v")).collect();
    client
        .tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(tags))
        .send()
        .await
        .expect("50 tags");
    // Overwriting an existing key keeps the count at 50.
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("key7", "changed"))
        .send()
        .await
        .expect("overwrite at 50 tags");
    let e = expect_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("key50", "v"))
            .send()
            .await,
        TagResourceError::TooManyTagsException
    );
    assert_eq!(e.meta().code(), Some("TooManyTagsException"));
    assert!(e.meta().message().is_some_and(|m| !m.is_empty()));
    if let TagResourceError::TooManyTagsException(inner) = &e {
        assert_eq!(inner.resource_name(), Some(arn.as_str()));
    }
    let listed = list(&client, &arn).await;
    assert_eq!(listed.len(), 50);
    assert!(listed.contains(&("key7".to_string(), "changed".to_string())));

    // After removing one, one more fits.
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("key0")
        .send()
        .await
        .unwrap();
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("key50", "v"))
        .send()
        .await
        .expect("a 50th tag after an untag");

    // A request with 51 tags breaks the model's list limit.
    let other = create_meeting(&client).await;
    let tags: Vec<_> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    let e = expect_err!(
        client
            .tag_resource()
            .resource_arn(other.meeting_arn().unwrap())
            .set_tags(Some(tags))
            .send()
            .await,
        TagResourceError::BadRequestException
    );
    assert!(
        e.meta().message().is_some_and(|m| m.contains("Tags")),
        "{e:?}"
    );
    // CreateMeeting with 51 tags likewise.
    let mut request = create_meeting_request(&client);
    for i in 0..51 {
        request = request.tags(tag(&format!("k{i}"), "v"));
    }
    expect_err!(
        request.send().await,
        aws_sdk_chimesdkmeetings::operation::create_meeting::CreateMeetingError::BadRequestException
    );
}

#[tokio::test]
async fn unknown_resources_are_resource_not_found() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let id = meeting.meeting_id().unwrap();
    let unknown = [
        meeting_arn(REGION, ACCOUNT_ID, &unknown_guid()),
        // The right meeting in the wrong account or region.
        meeting_arn(REGION, SECOND_ACCOUNT_ID, id),
        meeting_arn("eu-west-1", ACCOUNT_ID, id),
        // Not a meeting ARN.
        format!("arn:aws:chime:{REGION}:{ACCOUNT_ID}:attendee/{id}"),
        format!("arn:aws:sns:{REGION}:{ACCOUNT_ID}:meeting/{id}"),
        "arn:aws:chime:us-east-1:123456789012:meeting/not-a-guid".to_string(),
    ];
    for arn in &unknown {
        let e = expect_err!(
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await,
            ListTagsForResourceError::ResourceNotFoundException
        );
        assert_eq!(e.meta().code(), Some("ResourceNotFoundException"));
        assert!(e.meta().message().is_some_and(|m| !m.is_empty()));
        if let ListTagsForResourceError::ResourceNotFoundException(inner) = &e {
            assert_eq!(inner.resource_name(), Some(arn.as_str()));
        }
        expect_err!(
            client
                .tag_resource()
                .resource_arn(arn)
                .tags(tag("k", "v"))
                .send()
                .await,
            TagResourceError::ResourceNotFoundException
        );
        expect_err!(
            client
                .untag_resource()
                .resource_arn(arn)
                .tag_keys("k")
                .send()
                .await,
            UntagResourceError::ResourceNotFoundException
        );
    }
    // The real meeting was not tagged by any of that.
    assert!(list(&client, meeting.meeting_arn().unwrap())
        .await
        .is_empty());

    // Something that is not an ARN breaks the model's pattern.
    let e = expect_err!(
        client
            .list_tags_for_resource()
            .resource_arn("not-an-arn")
            .send()
            .await,
        ListTagsForResourceError::BadRequestException
    );
    assert!(
        e.meta()
            .message()
            .is_some_and(|m| m.contains("ResourceARN")),
        "{e:?}"
    );
}

#[tokio::test]
async fn tags_go_with_the_meeting() {
    let server = shared_server();
    let client = server.client();
    let meeting = create_meeting(&client).await;
    let arn = meeting.meeting_arn().unwrap().to_string();
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap();
    client
        .delete_meeting()
        .meeting_id(meeting.meeting_id().unwrap())
        .send()
        .await
        .unwrap();
    expect_err!(
        client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await,
        ListTagsForResourceError::ResourceNotFoundException
    );
    expect_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("k2", "v"))
            .send()
            .await,
        TagResourceError::ResourceNotFoundException
    );
    expect_err!(
        client
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("k")
            .send()
            .await,
        UntagResourceError::ResourceNotFoundException
    );
}

#[tokio::test]
async fn tag_keys_and_values_follow_the_model_patterns() {
    let server = shared_server();
    let client = server.client();
    let arn = create_meeting(&client).await.meeting_arn.unwrap();
    for (key, value, member) in [
        ("bad key", "v", "Key"),
        ("bad!key", "v", "Key"),
        ("", "v", "Key"),
        ("ok", "bad\u{0}value", "Value"),
    ] {
        let e = expect_err!(
            client
                .tag_resource()
                .resource_arn(&arn)
                .tags(tag(key, value))
                .send()
                .await,
            TagResourceError::BadRequestException
        );
        assert!(
            e.meta().message().is_some_and(|m| m.contains(member)),
            "{key:?}={value:?}: {e:?}"
        );
    }
    let long_key = "k".repeat(129);
    expect_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag(&long_key, "v"))
            .send()
            .await,
        TagResourceError::BadRequestException
    );
    let long_value = "v".repeat(257);
    expect_err!(
        client
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("k", &long_value))
            .send()
            .await,
        TagResourceError::BadRequestException
    );
    assert!(list(&client, &arn).await.is_empty());
}
