//! The nodes of a cluster, as far as the signaling plane needs them: which are alive, and where
//! each is reached. Kept by a shared store (PostgreSQL); one process alone has no registry.

use std::time::Duration;

use async_trait::async_trait;

use crate::store::StoreResult;

/// A live node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeInfo {
    pub node_id: String,
    /// `http://host:port` of the node's own listener, reachable by the other nodes.
    pub url: String,
}

#[async_trait]
pub trait NodeRegistry: Send + Sync + 'static {
    /// Records this node as alive now, at `url`, and returns every node heard from within `ttl`
    /// (this one included), sorted by id.
    async fn heartbeat(&self, node: &NodeInfo, ttl: Duration) -> StoreResult<Vec<NodeInfo>>;

    /// Takes this node out at once (it is shutting down), so the others need not wait for its
    /// heartbeat to expire.
    async fn leave(&self, node_id: &str) -> StoreResult<()>;
}
