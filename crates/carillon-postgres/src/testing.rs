//! Throwaway databases on a PostgreSQL server, for tests (feature `testing`).
//!
//! The server is `CARILLON_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`,
//! the local server with trust authentication). Each [`TestDatabase`] is a new database with a
//! unique name, dropped when the value is dropped. When the server cannot be reached, tests say
//! so loudly on standard error and are skipped, except in CI (`CI=true`), where that is a
//! failure.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio_postgres::NoTls;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// Connects to the new database.
    pub url: String,
    admin_url: String,
    name: String,
}

fn admin_url() -> String {
    std::env::var("CARILLON_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// Runs `sql` on the admin database from a thread of its own (callable from sync code and from
/// inside an async runtime alike).
fn admin(admin_url: &str, sql: String) -> Result<(), String> {
    let admin_url = admin_url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&admin_url, NoTls)
                .await
                .map_err(|e| e.to_string())?;
            let driver = tokio::spawn(connection);
            let result = client.batch_execute(&sql).await.map_err(|e| e.to_string());
            drop(client);
            let _ = driver.await;
            result
        })
    })
    .join()
    .map_err(|_| "the admin thread panicked".to_owned())?
}

impl TestDatabase {
    /// A new empty database, or `None` when no PostgreSQL server is reachable outside CI.
    ///
    /// # Panics
    /// When the server is unreachable and `CI=true`, or refuses to create the database.
    pub fn create(label: &str) -> Option<TestDatabase> {
        let admin_url = admin_url();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("carillon_test_{label}_{}_{nanos}", std::process::id());
        if let Err(e) = admin(&admin_url, format!("CREATE DATABASE {name}")) {
            let unreachable = !e.contains("db error");
            if unreachable && std::env::var("CI").as_deref() != Ok("true") {
                eprintln!(
                    "\n*** PostgreSQL is not reachable at {} ({e}): SKIPPING the PostgreSQL \
                     tests. Start PostgreSQL or set CARILLON_TEST_POSTGRES_URL. ***\n",
                    crate::redacted_url(&admin_url)
                );
                return None;
            }
            panic!(
                "cannot create a test database on {}: {e}",
                crate::redacted_url(&admin_url)
            );
        }
        let url = match admin_url.rfind('/') {
            Some(slash) if slash > "postgres://".len() => {
                let (base, rest) = admin_url.split_at(slash);
                let query = rest.find('?').map_or("", |q| &rest[q..]);
                format!("{base}/{name}{query}")
            }
            _ => format!("{admin_url}/{name}"),
        };
        Some(TestDatabase {
            url,
            admin_url,
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Err(e) = admin(
            &self.admin_url,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        ) {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}
