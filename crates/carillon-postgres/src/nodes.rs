//! The cluster's live nodes (migration 0004), for the signaling plane's choice of each meeting's
//! home node. Times are the database's own (`now()`), so the nodes' clocks need not agree.

use std::time::Duration;

use async_trait::async_trait;
use carillon_core::{NodeInfo, NodeRegistry, StoreResult};

use crate::db::{execute, query};
use crate::PgStore;

/// Rows of nodes silent this long are deleted (they are long gone, restarted under a new id).
const FORGET_AFTER: &str = "1 hour";

#[async_trait]
impl NodeRegistry for PgStore {
    async fn heartbeat(&self, node: &NodeInfo, ttl: Duration) -> StoreResult<Vec<NodeInfo>> {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        self.run(async |client| {
            execute(
                &*client,
                "INSERT INTO nodes (node_id, url, heartbeat_at) VALUES ($1, $2, now()) \
                 ON CONFLICT (node_id) DO UPDATE SET url = EXCLUDED.url, heartbeat_at = now()",
                &[&node.node_id, &node.url],
                "recording a heartbeat",
            )
            .await?;
            execute(
                &*client,
                &format!(
                    "DELETE FROM nodes WHERE heartbeat_at < now() - interval '{FORGET_AFTER}'"
                ),
                &[],
                "forgetting old nodes",
            )
            .await?;
            let rows = query(
                &*client,
                "SELECT node_id, url FROM nodes \
                 WHERE heartbeat_at > now() - $1::bigint * interval '1 millisecond' \
                 ORDER BY node_id",
                &[&ttl_ms],
                "listing live nodes",
            )
            .await?;
            Ok(rows
                .iter()
                .map(|row| NodeInfo {
                    node_id: row.get(0),
                    url: row.get(1),
                })
                .collect())
        })
        .await
    }

    async fn leave(&self, node_id: &str) -> StoreResult<()> {
        self.run(async |client| {
            execute(
                &*client,
                "DELETE FROM nodes WHERE node_id = $1",
                &[&node_id],
                "leaving the cluster",
            )
            .await
            .map(drop)
        })
        .await
    }
}
