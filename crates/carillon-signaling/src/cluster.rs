//! Several nodes: every node accepts every join, and the sessions of one meeting meet on its
//! home node, chosen by rendezvous hashing of the meeting id over the live nodes (kept in the
//! shared database, [`NodeRegistry`]). A node that gets a join for a meeting homed elsewhere
//! relays the WebSocket there (`relay.rs`). So a load balancer needs no affinity, two attendees
//! entering through different nodes still meet, and a node's death moves its meetings: the
//! others stop hearing its heartbeat, every node computes the same new homes, and the SDK's own
//! reconnect brings the clients to them.
//!
//! While views of the live nodes differ (for a heartbeat or two after a node comes or goes),
//! one meeting may have sessions on two nodes. Each node therefore checks its rooms whenever
//! its view changes and ends the sessions of meetings no longer homed on it (close 4503: the
//! SDK reconnects), so the meeting comes together again on its new home.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use carillon_core::{NodeInfo, NodeRegistry, StoreError};
use sha2::{Digest, Sha256};

/// How often a node records its heartbeat and reads the others'.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// A node not heard from for this long is taken as gone.
pub const NODE_TTL: Duration = Duration::from_secs(5);

/// Where a meeting's sessions live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Home {
    Here,
    /// Another node, at this URL.
    Elsewhere(String),
}

pub struct Cluster {
    me: NodeInfo,
    registry: Arc<dyn NodeRegistry>,
    live: RwLock<Vec<NodeInfo>>,
}

impl Cluster {
    /// Records this node and reads the others: the view is complete before any join is served.
    pub async fn join(
        me: NodeInfo,
        registry: Arc<dyn NodeRegistry>,
    ) -> Result<Arc<Cluster>, StoreError> {
        let live = registry.heartbeat(&me, NODE_TTL).await?;
        Ok(Arc::new(Cluster {
            me,
            registry,
            live: RwLock::new(live),
        }))
    }

    /// How many nodes this node sees alive, itself included.
    pub fn live_nodes(&self) -> usize {
        self.live.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The meeting's home: the live node that ranks it highest.
    pub fn home(&self, meeting_id: &str) -> Home {
        let live = self.live.read().unwrap_or_else(|e| e.into_inner());
        let best = live
            .iter()
            .max_by_key(|node| (rank(&node.node_id, meeting_id), &node.node_id));
        match best {
            Some(node) if node.node_id != self.me.node_id => Home::Elsewhere(node.url.clone()),
            _ => Home::Here,
        }
    }

    /// Heartbeats once; true when the set of live nodes changed. A registry that does not
    /// answer leaves the view as it was.
    pub async fn refresh(&self) -> bool {
        let live = match self.registry.heartbeat(&self.me, NODE_TTL).await {
            Ok(live) => live,
            Err(e) => {
                tracing::warn!(error = %e, "cluster: heartbeat failed; keeping the last view of the nodes");
                return false;
            }
        };
        let mut view = self.live.write().unwrap_or_else(|e| e.into_inner());
        if *view == live {
            return false;
        }
        tracing::info!(
            nodes = live.len(),
            "cluster: the live nodes changed; meetings may move"
        );
        *view = live;
        true
    }

    /// Leaves the cluster at shutdown, so the others move this node's meetings at once.
    pub async fn leave(&self) {
        if let Err(e) = self.registry.leave(&self.me.node_id).await {
            tracing::warn!(error = %e, "cluster: could not leave; the others will notice the silence");
        }
    }
}

/// The node's score for a meeting: the first 8 bytes of SHA-256 of both ids, so that every node
/// (whatever its version or platform) ranks alike.
fn rank(node_id: &str, meeting_id: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(node_id.as_bytes())
        .chain_update([0])
        .chain_update(meeting_id.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str) -> NodeInfo {
        NodeInfo {
            node_id: id.into(),
            url: format!("http://{id}"),
        }
    }

    fn homes(live: &[NodeInfo], meetings: &[String]) -> Vec<String> {
        meetings
            .iter()
            .map(|m| {
                live.iter()
                    .max_by_key(|n| (rank(&n.node_id, m), &n.node_id))
                    .unwrap()
                    .node_id
                    .clone()
            })
            .collect()
    }

    #[test]
    fn meetings_spread_and_only_a_gone_nodes_meetings_move() {
        let meetings: Vec<String> = (0..3000).map(|i| format!("meeting-{i}")).collect();
        let three = [node("a"), node("b"), node("c")];
        let before = homes(&three, &meetings);
        for id in ["a", "b", "c"] {
            let share = before.iter().filter(|h| *h == id).count();
            assert!((800..1200).contains(&share), "{id}: {share}");
        }
        let after = homes(&three[..2], &meetings);
        for (was, now) in before.iter().zip(&after) {
            if was != "c" {
                assert_eq!(was, now, "a meeting moved although its node stayed");
            }
        }
    }
}
