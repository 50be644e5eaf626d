//! A pooled connection leased for one store operation, and what becomes of it when the operation
//! does not finish.

use deadpool_postgres::Object;
use tokio_postgres::NoTls;

/// A connection taken from the pool for one operation.
///
/// When the operation finishes ([`Lease::finish`], with a result or with an error the driver
/// reported), the connection goes back to the pool. When it is abandoned instead (the operation
/// outlasted its timeout, or the request was dropped because its client went away), the future
/// that was using it is gone but the statement it sent may still be running on the server: a
/// row lock it waits for, a slow query. Pooled again, that connection would make every later
/// operation queue behind the abandoned statement. So an abandoned lease asks the server to
/// cancel what the connection is running and closes the connection (an open transaction rolls
/// back with it); the pool makes a new one when it is next needed.
pub(crate) struct Lease {
    object: Option<Object>,
    finished: bool,
}

impl Lease {
    pub(crate) fn new(object: Object) -> Self {
        Lease {
            object: Some(object),
            finished: false,
        }
    }

    pub(crate) fn client(&mut self) -> &mut Object {
        self.object
            .as_mut()
            .expect("a lease holds its connection until it is dropped")
    }

    /// The operation is over: the connection is idle and goes back to the pool.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let Some(object) = self.object.take() else {
            return;
        };
        let cancel = object.cancel_token();
        // Out of the pool: dropping the client closes the connection.
        let client = Object::take(object);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    // Best effort: if the server cannot be reached, closing is all there is.
                    if let Err(e) = cancel.cancel_query(NoTls).await {
                        tracing::debug!(error = %e, "postgres: cancelling an abandoned statement");
                    }
                    drop(client);
                });
            }
            Err(_) => drop(client),
        }
    }
}
