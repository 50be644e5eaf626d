//! Assembles the store, the service, the two HTTP front ends (the current API and the legacy
//! one, each on its own listener), the signaling plane, the lifecycle sweeper, the event
//! deliverer and the admin listener, and serves until SIGINT/SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use carillon_admin::Admin;
use carillon_api::credentials::StaticCredentials;
use carillon_api::metered_store::MeteredStore;
use carillon_api::metrics::Metrics;
use carillon_api::quota::{QuotaConfig, Quotas};
use carillon_api::{ApiState, Limits, Shared, DEFAULT_BODY_LIMIT, SIGNING_NAME};
use carillon_core::{
    Lifecycle, LifecyclePolicy, MeetingService, NodeInfo, NodeRegistry, PublicEndpoint,
    ServiceConfig, SharedRateBuckets, Store,
};
use carillon_events::DeliveryMetrics;
use carillon_faults::FaultMetrics;
use carillon_postgres::{PgConfig, PgStore};
use carillon_signaling::cluster::Cluster;
use carillon_signaling::ice::IceResponder;
use carillon_signaling::turn::TurnConfig;
use carillon_signaling::{MixerConfig, Plane, SignalingConfig, SignalingMetrics};
use carillon_sigv4::Verifier;
use carillon_sqlite::SqliteStore;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{OptionalDuration, Secret, ServeArgs, Switch};
use crate::listener::{self, ConnectionLimits};

/// The configured credentials, or AWS's example pair when none are configured.
fn credentials(args: &ServeArgs) -> Result<StaticCredentials, String> {
    let mut creds = StaticCredentials::default();
    if let Some(list) = &args.credentials {
        creds.add_list(list.expose())?;
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

/// AWS's quotas (or the quota file's), or none. With a shared store the rate buckets are the
/// cluster's, not this process's.
fn quotas(args: &ServeArgs, shared: Option<Arc<dyn SharedRateBuckets>>) -> Result<Quotas, String> {
    if args.quotas == Switch::Off {
        return Ok(Quotas::disabled());
    }
    let config = match &args.quota_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            QuotaConfig::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => QuotaConfig::default(),
    };
    Ok(match shared {
        Some(buckets) => Quotas::shared(config, buckets),
        None => Quotas::new(config),
    })
}

/// The meeting lifecycle of every account, from the command line: the server's rules, and the
/// accounts that have their own.
fn lifecycle_policy(args: &ServeArgs) -> LifecyclePolicy {
    let ms = |d: OptionalDuration| {
        d.0.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    };
    let lifecycle = |idle, max| Lifecycle {
        idle_timeout_ms: ms(idle),
        max_duration_ms: ms(max),
    };
    args.account_lifecycle.iter().fold(
        LifecyclePolicy::uniform(lifecycle(
            args.meeting_idle_timeout,
            args.meeting_max_duration,
        )),
        |policy, account| {
            policy.with_account(
                &account.account_id,
                lifecycle(account.idle_timeout, account.max_duration),
            )
        },
    )
}

/// The configured store, the cluster's shared rate buckets when it has them, and how to name it
/// in the log (no password).
struct OpenedStore {
    store: Arc<dyn Store>,
    rate_buckets: Option<Arc<dyn SharedRateBuckets>>,
    /// The cluster's registry of live nodes, with a shared store.
    nodes: Option<Arc<dyn NodeRegistry>>,
    description: String,
}

async fn open_store(args: &ServeArgs) -> Result<OpenedStore, String> {
    if let Some(url) = args.store_url.as_ref().map(Secret::expose) {
        let description = carillon_postgres::redacted_url(url);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(format!(
                "--store-url {description}: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            ));
        }
        let mut config = PgConfig::new(url);
        config.max_connections = args.store_max_connections;
        config.acquire_timeout = Duration::from_millis(args.store_acquire_timeout_ms);
        config.operation_timeout = Duration::from_secs(args.store_operation_timeout_secs);
        let store = Arc::new(
            PgStore::connect(&config)
                .await
                .map_err(|e| format!("cannot open {description}: {e}"))?,
        );
        return Ok(OpenedStore {
            store: store.clone(),
            rate_buckets: Some(store.clone()),
            nodes: Some(store),
            description,
        });
    }
    let (store, description) = if args.in_memory {
        let store = SqliteStore::open_in_memory().map_err(|e| format!("in-memory store: {e}"))?;
        (store, "in-memory".to_owned())
    } else {
        std::fs::create_dir_all(&args.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", args.data_dir.display()))?;
        let path = args.data_dir.join("carillon.sqlite3");
        let store =
            SqliteStore::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        (store, path.display().to_string())
    };
    Ok(OpenedStore {
        store: Arc::new(store),
        rate_buckets: None,
        nodes: None,
        description,
    })
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

/// The address, or the loopback address when it is unspecified (0.0.0.0): what a client on this
/// machine can reach.
fn reachable(ip: IpAddr) -> IpAddr {
    if ip.is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        ip
    }
}

/// `http://<address>`, with an unspecified address shown as the loopback address.
fn default_public_url(local: SocketAddr) -> String {
    format!(
        "http://{}",
        SocketAddr::new(reachable(local.ip()), local.port())
    )
}

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let credentials = credentials(&args)?;
    let delivery = args.events.delivery()?;
    if args.time_control == Switch::On {
        if args.events.admin_token.is_none() {
            return Err("--time-control on needs the admin listener: set --admin-token".into());
        }
        // Before anything reads the server's clock, so that every instant comes from one clock.
        carillon_core::clock::enable_control();
        tracing::warn!(
            "time control is on: the admin API can freeze and advance the server's clock"
        );
    }
    let fault_rules = args.faults.rules()?;
    let opened = open_store(&args).await?;
    let quotas = quotas(&args, opened.rate_buckets)?;
    let (listener, local) = bind(args.listen).await?;
    let legacy = match args.legacy_listen.0 {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let admin = match &args.events.admin_token {
        Some(token) => Some((bind(args.events.admin_listen).await?, token.clone())),
        None => None,
    };
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| default_public_url(local));
    let public_endpoint = PublicEndpoint::parse(&public_url)?;

    let media_socket = std::net::UdpSocket::bind(args.media_listen)
        .map_err(|e| format!("cannot listen on udp {}: {e}", args.media_listen))?;
    let mut signaling = None;
    let metrics = Arc::new(Metrics::new_with(|registry| {
        signaling = Some((
            IceResponder::from_std(media_socket, registry),
            SignalingMetrics::register(registry),
            DeliveryMetrics::register(registry),
            FaultMetrics::register(registry),
        ));
    }));
    let (ice, signaling_metrics, delivery_metrics, fault_metrics) =
        signaling.expect("the registration closure ran");
    let faults = args.faults.registry(fault_metrics, fault_rules)?;
    let ice = ice.map_err(|e| format!("cannot use udp {}: {e}", args.media_listen))?;
    let media_local = ice.local_addr();
    let store: Arc<dyn Store> = Arc::new(MeteredStore::new(opened.store, metrics.clone()));
    // Set before the first write, so that every write records what this configuration owes.
    store.set_event_routing(args.events.routing(&delivery));
    let store_for_signaling = store.clone();
    let store_for_sweeper = store.clone();
    let store_for_events = store.clone();
    let service_config = ServiceConfig {
        public_endpoint,
        max_replicas_per_primary: args.max_replicas_per_primary,
    };
    // The admin listener seeds through a service of its own over the same store and settings.
    let seed_service = Arc::new(MeetingService::new(store.clone(), service_config.clone()));
    let shared = Arc::new(
        Shared::new(
            MeetingService::new(store, service_config),
            Verifier::new(SIGNING_NAME),
            Arc::new(credentials),
            Limits {
                body_limit: DEFAULT_BODY_LIMIT,
                body_read_timeout: Duration::from_secs(args.body_read_timeout_secs),
                max_in_flight: args.max_in_flight,
            },
            metrics,
            quotas,
        )
        .with_faults(faults.clone()),
    );
    let connection_limits = ConnectionLimits {
        max_connections: args.max_connections,
        header_read_timeout: Duration::from_secs(args.header_read_timeout_secs),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout_secs),
    };

    let cluster = match opened.nodes {
        Some(registry) => {
            let me = NodeInfo {
                node_id: uuid::Uuid::new_v4().to_string(),
                url: args
                    .node_url
                    .clone()
                    .unwrap_or_else(|| default_public_url(local)),
            };
            tracing::info!(node_id = %me.node_id, node_url = %me.url, "joining the cluster");
            Some(
                Cluster::join(me, registry)
                    .await
                    .map_err(|e| format!("cannot join the cluster: {e}"))?,
            )
        }
        None => None,
    };
    let shutdown = shutdown_signal()?;
    let (stop, stopped) = watch::channel(false);
    let plane = Plane::start(
        store_for_signaling,
        ice,
        cluster,
        SignalingConfig {
            media_advertise: args
                .media_advertise
                .unwrap_or_else(|| reachable(media_local.ip())),
            max_sessions: args.max_sessions,
            idle_timeout: Duration::from_secs(args.session_idle_timeout_secs.max(1)),
            faults,
            audio: (args.audio == Switch::On).then(|| MixerConfig {
                max_jitter_frames: (args.audio_max_jitter_buffer.as_millis() / 20) as usize,
                ..MixerConfig::default()
            }),
            turn: args.turn_secret.as_ref().map(|secret| TurnConfig {
                uris: args.turn_uris.clone(),
                secret: secret.expose().to_owned(),
                ttl_secs: u32::try_from(args.turn_ttl.as_secs()).unwrap_or(u32::MAX),
            }),
            ..SignalingConfig::default()
        },
        signaling_metrics,
        stopped.clone(),
    );
    // What expired while no node ran ends before the first request is served.
    let sweeper =
        crate::lifecycle::start(store_for_sweeper, lifecycle_policy(&args), stopped.clone()).await;
    let deliverer = carillon_events::start(
        store_for_events.clone(),
        delivery,
        delivery_metrics,
        stopped.clone(),
    );
    let mut servers = tokio::task::JoinSet::new();
    if let Some(((admin_listener, admin_local), token)) = admin {
        let mut admin = Admin::new(
            store_for_events,
            plane.clone(),
            token.expose(),
            stopped.clone(),
        );
        if let Some(sweeper) = &sweeper {
            admin = admin.with_sweeps(sweeper.swept.clone());
        }
        let metrics = shared.metrics.clone();
        admin = admin.with_metrics(Arc::new(move || metrics.render()));
        admin = admin.with_service(seed_service);
        admin = admin.with_quotas(shared.quotas.clone());
        servers.spawn(listener::serve(
            admin_listener,
            carillon_admin::router(Arc::new(admin)),
            connection_limits.clone(),
            stopped.clone(),
        ));
        tracing::info!(local = %admin_local, "admin API ready");
        println!("carillon admin listening on http://{admin_local}");
    }
    if let Some((legacy_listener, legacy_local)) = legacy {
        let app = carillon_api::app(Arc::new(ApiState::legacy(shared.clone())));
        servers.spawn(listener::serve(
            legacy_listener,
            app,
            connection_limits.clone(),
            stopped.clone(),
        ));
        tracing::info!(local = %legacy_local, "legacy chime meeting API ready");
        println!("carillon legacy API listening on http://{legacy_local}");
    }
    // The meetings' SignalingUrl points at this listener, whichever API created them.
    let app = carillon_api::app(Arc::new(ApiState::meetings(shared.clone()))).merge(plane.router());
    servers.spawn(listener::serve(
        listener,
        app,
        connection_limits.clone(),
        stopped,
    ));
    println!("carillon media listening on udp://{media_local}");
    tracing::info!(%local, %public_url, media = %media_local, store = %opened.description, "carillon ready");
    // Scripts and test harnesses wait for this line on standard output; it comes last.
    println!("carillon listening on http://{local}");

    shutdown.await;
    tracing::info!("shutdown requested: no new connections; finishing requests in flight");
    shared.start_draining();
    // Joined clients are told to reconnect (to another node behind a load balancer).
    plane
        .shutdown(
            connection_limits
                .shutdown_timeout
                .min(Duration::from_secs(2)),
        )
        .await;
    let _ = stop.send(true);
    while let Some(result) = servers.join_next().await {
        result.map_err(|e| format!("server task failed: {e}"))?;
    }
    deliverer
        .await
        .map_err(|e| format!("event deliverer failed: {e}"))?;
    if let Some(sweeper) = sweeper {
        sweeper
            .task
            .await
            .map_err(|e| format!("lifecycle sweeper failed: {e}"))?;
    }
    // Dropping the last handle on the store lets its writer commit what is queued and close.
    drop(plane);
    drop(shared);
    tracing::info!("carillon stopped");
    Ok(())
}

/// Resolves at SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal sent as soon as the ready line is out is never missed
/// (nor does it kill the process unhandled).
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let listen = |kind: SignalKind, name: &str| {
        signal(kind).map_err(|e| format!("cannot handle {name}: {e}"))
    };
    let mut terminate = listen(SignalKind::terminate(), "SIGTERM")?;
    let mut interrupt = listen(SignalKind::interrupt(), "SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
