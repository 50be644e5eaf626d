//! Assembles the store, the service and the HTTP front end, and serves until SIGINT/SIGTERM.

use std::sync::Arc;

use carillon_api::credentials::StaticCredentials;
use carillon_api::{ApiState, DEFAULT_BODY_LIMIT, SIGNING_NAME};
use carillon_core::{MeetingService, PublicEndpoint, ServiceConfig, Store};
use carillon_sigv4::Verifier;
use carillon_sqlite::SqliteStore;
use tokio::net::TcpListener;

use crate::config::ServeArgs;

/// The configured credentials, or AWS's example pair when none are configured.
fn credentials(args: &ServeArgs) -> Result<StaticCredentials, String> {
    let mut creds = StaticCredentials::default();
    if let Some(list) = &args.credentials {
        creds.add_list(list)?;
    }
    if let Some(path) = &args.credentials_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        creds.add_json(&text)?;
    }
    if creds.is_empty() {
        tracing::info!(
            access_key_id = carillon_api::credentials::EXAMPLE_ACCESS_KEY_ID,
            account_id = carillon_api::credentials::EXAMPLE_ACCOUNT_ID,
            "no credentials configured: accepting AWS's example key pair"
        );
        creds = StaticCredentials::example();
    }
    Ok(creds)
}

fn open_store(args: &ServeArgs) -> Result<SqliteStore, String> {
    if args.in_memory {
        return SqliteStore::open_in_memory().map_err(|e| format!("in-memory store: {e}"));
    }
    std::fs::create_dir_all(&args.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", args.data_dir.display()))?;
    let path = args.data_dir.join("carillon.sqlite3");
    SqliteStore::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))
}

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let credentials = credentials(&args)?;
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let public_url = args.public_url.clone().unwrap_or_else(|| {
        let host = if local.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            local.ip()
        };
        format!("http://{}", std::net::SocketAddr::new(host, local.port()))
    });
    let public_endpoint = PublicEndpoint::parse(&public_url)?;

    let store: Arc<dyn Store> = Arc::new(open_store(&args)?);
    let service = MeetingService::new(
        store,
        ServiceConfig {
            public_endpoint,
            max_replicas_per_primary: args.max_replicas_per_primary,
        },
    );
    let state = Arc::new(ApiState {
        service,
        model: ApiState::meetings_model(),
        verifier: Verifier::new(SIGNING_NAME),
        credentials: Arc::new(credentials),
        body_limit: DEFAULT_BODY_LIMIT,
    });

    let store_kind = if args.in_memory {
        "in-memory".to_string()
    } else {
        args.data_dir.display().to_string()
    };
    tracing::info!(%local, %public_url, store = %store_kind, "carillon ready");
    // The test harness and scripts wait for this line on standard output.
    println!("carillon listening on http://{local}");

    axum::serve(listener, carillon_api::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("carillon stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
