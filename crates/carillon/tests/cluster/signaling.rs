//! The signaling plane across nodes: the sessions of a meeting meet on its home node, whichever
//! node each client entered through; a DeleteAttendee answered by any node ends the session; a
//! dead home node's clients come back on the new home, where the roster is rebuilt.

use std::time::{Duration, Instant};

use aws_sdk_chimesdkmeetings::types::{Attendee, Meeting};
use carillon_signaling::frames::{FrameType, SdkAudioStreamIdInfo};

use super::Cluster;
use carillon_testkit::signaling::{data, Client};
use carillon_testkit::*;

/// Joins and subscribes through `node` (a node, or a load balancer), retrying while the meeting's
/// home is unreachable (503 at the upgrade, as the SDK retries), within 20 s.
pub(super) async fn join_retrying(
    node: std::net::SocketAddr,
    meeting: &Meeting,
    attendee: &Attendee,
) -> Client {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let opened = Client::try_open(
            node,
            meeting.meeting_id().unwrap(),
            attendee.join_token().unwrap(),
        )
        .await;
        match opened {
            Ok(mut client) => {
                client.attendee_id = attendee.attendee_id().unwrap().to_owned();
                client.send_join().await;
                client.expect(FrameType::JoinAck).await;
                client.expect(FrameType::Index).await;
                client.subscribe().await;
                return client;
            }
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("could not join through {node}: {e}"),
        }
    }
}

/// The attendee ids of a roster frame, sorted.
pub(super) fn ids(entries: &[SdkAudioStreamIdInfo]) -> Vec<String> {
    let mut ids: Vec<String> = entries
        .iter()
        .filter_map(|e| e.attendee_id.clone())
        .collect();
    ids.sort();
    ids
}

pub(super) fn sorted(attendees: [&Attendee; 2]) -> Vec<String> {
    let mut ids: Vec<String> = attendees
        .iter()
        .map(|a| a.attendee_id().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Waits until every node sees all `n` nodes alive (each reads the others' heartbeats about
/// once a second), so that they agree on every meeting's home.
pub(super) async fn settled(cluster: &Cluster) {
    wait_for_views(cluster.nodes.iter().collect()).await;
}

/// As [`settled`], once node `gone` has been killed: the others see only each other.
pub(super) async fn settled_without(cluster: &Cluster, gone: usize) {
    let alive = cluster
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != gone)
        .map(|(_, node)| node)
        .collect();
    wait_for_views(alive).await;
}

async fn wait_for_views(nodes: Vec<&Server>) {
    let n = nodes.len() as f64;
    let deadline = Instant::now() + Duration::from_secs(15);
    for node in nodes {
        loop {
            let metrics = send_http(node.addr, &RawRequest::new("GET", "/metrics")).await;
            let seen = metrics
                .text()
                .lines()
                .find_map(|l| l.strip_prefix("carillon_signaling_cluster_nodes "))
                .and_then(|v| v.trim().parse::<f64>().ok());
            if seen == Some(n) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the nodes do not see each other: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The node whose sessions joined the meeting (relays do not count as joins).
async fn home_of(cluster: &Cluster) -> usize {
    for (i, node) in cluster.nodes.iter().enumerate() {
        let metrics = send_http(node.addr, &RawRequest::new("GET", "/metrics")).await;
        let joined = metrics
            .text()
            .lines()
            .find_map(|l| l.strip_prefix("carillon_signaling_joins_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0);
        if joined > 0.0 {
            return i;
        }
    }
    panic!("no node has joined sessions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attendees_entering_through_different_nodes_meet() {
    let Some(cluster) = Cluster::start("signaling", 3, &[]) else {
        return;
    };
    settled(&cluster).await;
    let [n0, n1, n2] = [&cluster.nodes[0], &cluster.nodes[1], &cluster.nodes[2]];
    let meeting = create_meeting(&n0.client()).await;
    let id = meeting.meeting_id().unwrap();
    let alice = create_attendee(&n0.client(), id, "alice").await;
    let bob = create_attendee(&n1.client(), id, "bob").await;

    let mut a = join_retrying(n0.addr, &meeting, &alice).await;
    assert_eq!(
        ids(&a.presence().await),
        vec![alice.attendee_id().unwrap().to_owned()]
    );
    let mut b = join_retrying(n1.addr, &meeting, &bob).await;
    assert_eq!(ids(&b.presence().await), sorted([&alice, &bob]));
    assert_eq!(
        a.presence().await[0].attendee_id.as_deref(),
        bob.attendee_id()
    );
    a.send_data(vec![data("chat", "over the relay", None)])
        .await;
    let got = b.expect(FrameType::DataMessage).await.data_message.unwrap();
    assert_eq!(
        got.messages[0].sender_attendee_id.as_deref(),
        alice.attendee_id()
    );

    // DeleteAttendee through the third node reaches Bob's session wherever it lives.
    n2.client()
        .delete_attendee()
        .meeting_id(id)
        .attendee_id(bob.attendee_id().unwrap())
        .send()
        .await
        .expect("DeleteAttendee");
    let closed = b.closed().await;
    assert_eq!((closed.audio_status, closed.code), (Some(411), Some(4411)));
    assert_eq!(a.presence().await[0].attendee_id, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_home_nodes_clients_come_back_on_the_new_home() {
    let Some(cluster) = Cluster::start("signaling_failover", 3, &[]) else {
        return;
    };
    settled(&cluster).await;
    let meeting = create_meeting(&cluster.nodes[0].client()).await;
    let id = meeting.meeting_id().unwrap();
    let alice = create_attendee(&cluster.nodes[0].client(), id, "alice").await;
    let bob = create_attendee(&cluster.nodes[0].client(), id, "bob").await;
    let mut a = join_retrying(cluster.nodes[0].addr, &meeting, &alice).await;
    a.presence().await;
    let mut b = join_retrying(cluster.nodes[1].addr, &meeting, &bob).await;
    b.presence().await;
    a.presence().await;

    let home = home_of(&cluster).await;
    cluster.nodes[home].kill();
    // Both lose their session: closed by the relay (4503), or cut with the dead node.
    for client in [&mut a, &mut b] {
        let closed = client.closed().await;
        assert!(matches!(closed.code, None | Some(4503)), "{closed:?}");
    }
    // As the SDK does, they reconnect through nodes that are still up.
    let survivors: Vec<&Server> = (0..3)
        .filter(|i| *i != home)
        .map(|i| &cluster.nodes[i])
        .collect();
    let mut a = join_retrying(survivors[0].addr, &meeting, &alice).await;
    a.presence().await;
    let mut b = join_retrying(survivors[1].addr, &meeting, &bob).await;
    assert_eq!(
        ids(&b.presence().await),
        sorted([&alice, &bob]),
        "the roster is rebuilt"
    );
    assert_eq!(
        a.presence().await[0].attendee_id.as_deref(),
        bob.attendee_id()
    );
}
