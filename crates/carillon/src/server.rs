//! Assembles the store, the service and the two HTTP front ends (the current API and the legacy
//! one, each on its own listener), and serves until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;

use carillon_api::credentials::StaticCredentials;
use carillon_api::{ApiState, Shared, DEFAULT_BODY_LIMIT, SIGNING_NAME};
use carillon_core::{MeetingService, PublicEndpoint, ServiceConfig, Store};
use carillon_sigv4::Verifier;
use carillon_sqlite::SqliteStore;
use tokio::net::TcpListener;
use tokio::sync::watch;

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

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    Ok((listener, local))
}

/// `http://<address>`, with an unspecified address (0.0.0.0) shown as the loopback address.
fn default_public_url(local: SocketAddr) -> String {
    let host = if local.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        local.ip()
    };
    format!("http://{}", SocketAddr::new(host, local.port()))
}

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let credentials = credentials(&args)?;
    let (listener, local) = bind(args.listen).await?;
    let legacy = match args.legacy_listen.0 {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| default_public_url(local));
    let public_endpoint = PublicEndpoint::parse(&public_url)?;

    let store: Arc<dyn Store> = Arc::new(open_store(&args)?);
    let shared = Arc::new(Shared {
        service: MeetingService::new(
            store,
            ServiceConfig {
                public_endpoint,
                max_replicas_per_primary: args.max_replicas_per_primary,
            },
        ),
        verifier: Verifier::new(SIGNING_NAME),
        credentials: Arc::new(credentials),
        body_limit: DEFAULT_BODY_LIMIT,
    });

    let store_kind = if args.in_memory {
        "in-memory".to_string()
    } else {
        args.data_dir.display().to_string()
    };
    let (stop, stopped) = watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    if let Some((legacy_listener, legacy_local)) = legacy {
        let app = carillon_api::app(Arc::new(ApiState::legacy(shared.clone())));
        servers.spawn(run(legacy_listener, app, stopped.clone()));
        tracing::info!(local = %legacy_local, "legacy chime meeting API ready");
        println!("carillon legacy API listening on http://{legacy_local}");
    }
    let app = carillon_api::app(Arc::new(ApiState::meetings(shared)));
    servers.spawn(run(listener, app, stopped));
    tracing::info!(%local, %public_url, store = %store_kind, "carillon ready");
    // Scripts and test harnesses wait for this line on standard output; it comes last.
    println!("carillon listening on http://{local}");

    tokio::select! {
        () = shutdown_signal() => {
            tracing::info!("shutdown requested; finishing requests in flight");
            let _ = stop.send(true);
        }
        Some(result) = servers.join_next() => {
            // A listener failed on its own: stop the other one too.
            let _ = stop.send(true);
            result.map_err(|e| format!("server task failed: {e}"))??;
        }
    }
    while let Some(result) = servers.join_next().await {
        result.map_err(|e| format!("server task failed: {e}"))??;
    }
    tracing::info!("carillon stopped");
    Ok(())
}

async fn run(
    listener: TcpListener,
    app: axum::Router,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), String> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .await
        .map_err(|e| format!("server error: {e}"))
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
}
