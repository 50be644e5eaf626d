//! Statement helpers: every statement is prepared once per connection (cached) and its failure
//! reported with what was being done.

use carillon_core::StoreResult;
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::error::Context;

pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(crate) async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: Params<'_>,
    what: &str,
) -> StoreResult<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await.context(what)?;
    c.query(&stmt, params).await.context(what)
}

pub(crate) async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: Params<'_>,
    what: &str,
) -> StoreResult<Option<Row>> {
    let stmt = c.prepare_cached(sql).await.context(what)?;
    c.query_opt(&stmt, params).await.context(what)
}

pub(crate) async fn execute<C: GenericClient>(
    c: &C,
    sql: &str,
    params: Params<'_>,
    what: &str,
) -> StoreResult<u64> {
    let stmt = c.prepare_cached(sql).await.context(what)?;
    c.execute(&stmt, params).await.context(what)
}
