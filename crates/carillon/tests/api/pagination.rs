//! ListAttendees: page sizes, NextToken, and consistency while attendees come and go.

use std::collections::HashSet;

use aws_sdk_chimesdkmeetings::operation::list_attendees::ListAttendeesError;
use aws_sdk_chimesdkmeetings::operation::RequestId;
use aws_sdk_chimesdkmeetings::types::Attendee;
use aws_sdk_chimesdkmeetings::Client;

use carillon_testkit::expect_err;
use carillon_testkit::*;

async fn meeting_with_attendees(client: &Client, count: usize) -> (String, Vec<Attendee>) {
    let meeting_id = create_meeting(client).await.meeting_id.unwrap();
    let items = (0..count)
        .map(|i| item(&format!("page-user-{i}")))
        .collect();
    let out = client
        .batch_create_attendee()
        .meeting_id(&meeting_id)
        .set_attendees(Some(items))
        .send()
        .await
        .expect("BatchCreateAttendee");
    assert_eq!(out.attendees().len(), count);
    (meeting_id, out.attendees().to_vec())
}

fn ids(attendees: &[Attendee]) -> Vec<String> {
    attendees
        .iter()
        .map(|a| a.attendee_id().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn pages_return_every_attendee_once_in_creation_order() {
    let server = shared_server();
    let client = server.client();
    let (meeting_id, created) = meeting_with_attendees(&client, 7).await;

    // Without MaxResults: one page with everything.
    let all = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .send()
        .await
        .expect("ListAttendees");
    assert!(all.request_id().is_some());
    assert_eq!(all.attendees(), created);
    assert_eq!(all.next_token(), None);

    for size in [1, 2, 3, 6, 7, 8, 100] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = client
                .list_attendees()
                .meeting_id(&meeting_id)
                .max_results(size)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("MaxResults {size}: {e:?}"));
            pages += 1;
            assert!(page.attendees().len() <= size as usize);
            seen.extend(page.attendees().iter().cloned());
            match page.next_token() {
                Some(t) => {
                    assert!(!t.is_empty());
                    assert!(!t.contains(&meeting_id), "NextToken is not opaque: {t}");
                    token = Some(t.to_string());
                }
                None => break,
            }
            assert!(pages <= 10, "too many pages for MaxResults {size}");
        }
        assert_eq!(seen, created, "MaxResults {size}");
        let expected_pages = 7_usize.div_ceil(size as usize);
        assert!(
            pages == expected_pages || pages == expected_pages + 1,
            "MaxResults {size}: {pages} pages"
        );
    }
}

#[tokio::test]
async fn the_sdk_paginator_walks_every_page() {
    let server = shared_server();
    let client = server.client();
    let (meeting_id, created) = meeting_with_attendees(&client, 5).await;
    let mut stream = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .max_results(2)
        .into_paginator()
        .send();
    let mut seen = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page.expect("ListAttendees page");
        seen.extend(page.attendees().iter().cloned());
    }
    assert_eq!(seen, created);
}

#[tokio::test]
async fn max_results_must_be_between_1_and_100() {
    let server = shared_server();
    let client = server.client();
    let (meeting_id, _) = meeting_with_attendees(&client, 2).await;
    for bad in [0, 101, -1] {
        let e = expect_err!(
            client
                .list_attendees()
                .meeting_id(&meeting_id)
                .max_results(bad)
                .send()
                .await,
            ListAttendeesError::BadRequestException
        );
        assert_eq!(e.meta().code(), Some("BadRequestException"));
        assert!(
            e.meta().message().is_some_and(|m| m.contains("MaxResults")),
            "{bad}: {e:?}"
        );
    }
}

#[tokio::test]
async fn a_bad_next_token_is_refused() {
    let server = shared_server();
    let client = server.client();
    let (meeting_id, _) = meeting_with_attendees(&client, 3).await;
    let (other_meeting, _) = meeting_with_attendees(&client, 3).await;
    let other_token = client
        .list_attendees()
        .meeting_id(&other_meeting)
        .max_results(1)
        .send()
        .await
        .unwrap()
        .next_token
        .expect("a NextToken");
    for bad in ["garbage", "!!!", "bm90IGEgdG9rZW4", other_token.as_str()] {
        let e = expect_err!(
            client
                .list_attendees()
                .meeting_id(&meeting_id)
                .next_token(bad)
                .send()
                .await,
            ListAttendeesError::BadRequestException
        );
        assert!(e.meta().message().is_some_and(|m| !m.is_empty()), "{bad}");
    }
    // A NextToken longer than the model allows.
    expect_err!(
        client
            .list_attendees()
            .meeting_id(&meeting_id)
            .next_token("a".repeat(4097))
            .send()
            .await,
        ListAttendeesError::BadRequestException
    );
}

#[tokio::test]
async fn attendees_added_while_paging_appear_exactly_once() {
    let server = shared_server();
    let client = server.client();
    let (meeting_id, created) = meeting_with_attendees(&client, 6).await;
    let mut expected: Vec<String> = ids(&created);
    let mut seen: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    let mut round = 0;
    loop {
        let page = client
            .list_attendees()
            .meeting_id(&meeting_id)
            .max_results(2)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("ListAttendees");
        seen.extend(ids(page.attendees()));
        // Add two attendees between pages, for the first few pages.
        if round < 3 {
            for k in 0..2 {
                let a = create_attendee(&client, &meeting_id, &format!("late-{round}-{k}")).await;
                expected.push(a.attendee_id().unwrap().to_string());
            }
        }
        round += 1;
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
        assert!(round < 50, "paging does not end");
    }
    let unique_seen: HashSet<&String> = seen.iter().collect();
    assert_eq!(
        unique_seen.len(),
        seen.len(),
        "an attendee was listed twice"
    );
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn deleted_attendees_are_not_listed() {
    let server = shared_server();
    let client = server.client();
    let (meeting_id, created) = meeting_with_attendees(&client, 6).await;
    let first = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(first.attendees(), &created[..3]);
    // Delete one already listed and one not yet reached.
    for victim in [&created[1], &created[4]] {
        client
            .delete_attendee()
            .meeting_id(&meeting_id)
            .attendee_id(victim.attendee_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    let rest = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .max_results(3)
        .set_next_token(first.next_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids(rest.attendees()),
        ids(&[created[3].clone(), created[5].clone()])
    );
    let all = list_all_attendees(&client, &meeting_id).await;
    assert_eq!(
        ids(&all),
        ids(&[
            created[0].clone(),
            created[2].clone(),
            created[3].clone(),
            created[5].clone()
        ])
    );

    // A meeting whose attendees were all deleted lists nothing.
    for a in &all {
        client
            .delete_attendee()
            .meeting_id(&meeting_id)
            .attendee_id(a.attendee_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    let empty = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .send()
        .await
        .unwrap();
    assert!(empty.attendees().is_empty());
    assert_eq!(empty.next_token(), None);
}

#[tokio::test]
async fn paging_continues_after_the_last_listed_attendee_is_deleted() {
    let server = shared_server();
    let client = server.client();
    let (meeting_id, created) = meeting_with_attendees(&client, 6).await;
    let first = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(first.attendees()), ids(&created[..3]));
    // The attendee the NextToken points after goes away.
    client
        .delete_attendee()
        .meeting_id(&meeting_id)
        .attendee_id(created[2].attendee_id().unwrap())
        .send()
        .await
        .unwrap();
    let rest = client
        .list_attendees()
        .meeting_id(&meeting_id)
        .max_results(3)
        .set_next_token(first.next_token)
        .send()
        .await
        .expect("ListAttendees with a token past a deleted attendee");
    assert_eq!(ids(rest.attendees()), ids(&created[3..]));
}
