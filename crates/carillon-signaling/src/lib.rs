//! The signaling plane: what the Amazon Chime SDK for JavaScript connects to once it has a
//! meeting and an attendee. One WebSocket per session at the meeting's `SignalingUrl`
//! (`/control/<MeetingId>`), speaking the SDK's protobuf frames ([`frames`]); ICE-lite on one UDP
//! port so the browser's peer connection comes up ([`ice`]); the sessions of each meeting in a
//! [`room::Room`], kept by the [`hub::Hub`], which also applies what the store announces (a
//! meeting ended, an attendee deleted).
//!
//! Path of a join: [`ws::upgrade`] reads the JoinToken and admits it ([`admission`]) → the
//! upgrade is accepted either way (the SDK understands a refusal only as a close during its
//! join) → [`session::serve`] answers JOIN with JOIN_ACK and INDEX, SUBSCRIBE with an SDP answer
//! ([`sdp`]) and enters the roster, then relays presence, mute state and data messages ([`data`])
//! through the room until the session ends ([`ending`]).
//!
//! The rooms' occupancy reaches the store as presence marks ([`presence`]), from which it ends
//! meetings nobody is connected to.

pub mod admission;
mod client_events;
pub mod cluster;
pub mod data;
pub mod ending;
pub mod frames;
pub mod hub;
pub mod ice;
mod metrics;
pub mod presence;
mod relay;
pub mod room;
pub mod sdp;
mod session;
pub mod session_events;
pub mod turn;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carillon_core::{JoinLookup, LiveChange, SessionChange, Store, StoreResult};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::cluster::{Cluster, Home};
pub use crate::data::DataLimits;
use crate::ending::Ending;
use crate::hub::Hub;
use crate::ice::{AudioRun, IceResponder};
pub use crate::metrics::SignalingMetrics;
use crate::presence::PresenceReports;
use crate::session_events::SessionEvents;
use carillon_media::engine::{Engine, MeetingLevels};
pub use carillon_media::mixer::MixerConfig;
use carillon_media::peer::NodeMedia;

/// How long the last write of presence marks at shutdown may take.
const LAST_PRESENCE_FLUSH: Duration = Duration::from_secs(1);

/// What [`Plane::mark_attendee`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marked {
    /// The mark changed the attendee's presence; its event was sent.
    Changed,
    /// The attendee was already so marked (or, for left and dropped, not marked joined).
    Unchanged,
    MeetingNotFound,
    AttendeeNotFound,
    /// The meeting's sessions live on this other node (its URL): mark it there.
    Elsewhere(String),
}

/// Who is connected to a meeting on this node now ([`Plane::presence`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Presence {
    /// The attendee id of each open session, `<AttendeeId>#content` for a content share; an
    /// attendee whose connection is being replaced appears twice for that moment.
    pub sessions: Vec<Arc<str>>,
    /// Attendees an operator marked present without a session.
    pub marked: Vec<Arc<str>>,
    /// The meeting's sessions live on this other node of the cluster (its URL), not here.
    pub elsewhere: Option<String>,
}

/// How the plane is set up.
#[derive(Debug, Clone)]
pub struct SignalingConfig {
    /// The address put in the SDP answer's host candidate: where browsers reach the UDP port.
    pub media_advertise: IpAddr,
    /// Sessions open at once on this node; more are answered 503 at the upgrade.
    pub max_sessions: usize,
    /// A session that sends nothing for this long is closed. The SDK pings every 10 s and gives
    /// up after four missed pongs.
    pub idle_timeout: Duration,
    pub data_limits: DataLimits,
    /// This node's fault rules: joins refused, frames delayed ([`carillon_faults`]).
    pub faults: Arc<carillon_faults::Faults>,
    /// Meeting audio (DTLS-SRTP endpoints and a mixer per meeting); `None` answers ICE only,
    /// as for clients that need no media.
    pub audio: Option<MixerConfig>,
    /// TURN servers to send the SDK to (JOIN_ACK), if any.
    pub turn: Option<turn::TurnConfig>,
}

impl Default for SignalingConfig {
    fn default() -> Self {
        SignalingConfig {
            media_advertise: IpAddr::from([127, 0, 0, 1]),
            max_sessions: 20_000,
            idle_timeout: Duration::from_secs(45),
            data_limits: DataLimits::default(),
            faults: Arc::default(),
            audio: Some(MixerConfig::default()),
            turn: None,
        }
    }
}

/// How long a clock jump waits for the queued presence marks to be written.
const PRESENCE_FLUSH_WAIT: Duration = Duration::from_secs(10);

pub struct Plane {
    store: Arc<dyn Store>,
    hub: Hub,
    ice: Arc<IceResponder>,
    config: SignalingConfig,
    metrics: SignalingMetrics,
    /// The other nodes, when there are any (a shared store).
    cluster: Option<Arc<Cluster>>,
    /// The DTLS fingerprint the answers carry: the node's certificate's, or a random one when
    /// there is no audio (and so no DTLS).
    fingerprint: String,
    next_session: AtomicU64,
    open_sessions: AtomicUsize,
    /// Shutting down: new sessions are turned away (503), so the SDK joins another node.
    draining: AtomicBool,
    /// The session events waiting to be written.
    session_events: Arc<SessionEvents>,
    /// Who may post client events, at what rate.
    client_events: client_events::Ingestion,
    /// Tells the presence and session-event tasks to write what is left and stop.
    presence_stop: watch::Sender<bool>,
    writers: Mutex<Vec<JoinHandle<()>>>,
}

impl Plane {
    /// Builds the plane around an ICE responder already bound, and starts applying the store's
    /// changes (and, in a cluster, following the live nodes) until `stop` turns true.
    pub fn start(
        store: Arc<dyn Store>,
        ice: Arc<IceResponder>,
        cluster: Option<Arc<Cluster>>,
        config: SignalingConfig,
        metrics: SignalingMetrics,
        stop: watch::Receiver<bool>,
    ) -> Arc<Plane> {
        let changes = store.changes();
        let presence = Arc::new(PresenceReports::default());
        let (presence_stop, presence_stopped) = watch::channel(false);
        let presence_store = store.clone();
        let presence_task = tokio::spawn(presence::run(
            presence.clone(),
            move |marks| {
                let store = presence_store.clone();
                async move { store.mark_presence(&marks).await }
            },
            metrics.clone(),
            [stop.clone(), presence_stopped],
            LAST_PRESENCE_FLUSH,
        ));
        let session_events = Arc::new(SessionEvents::default());
        let events_store = store.clone();
        let events_task = tokio::spawn(session_events::run(
            session_events.clone(),
            move |events| {
                let store = events_store.clone();
                async move { store.record_events(events).await }
            },
            metrics.clone(),
            presence_stop.subscribe(),
            LAST_PRESENCE_FLUSH,
        ));
        // Audio needs the node's DTLS certificate; without one, sessions get ICE only.
        let audio = config.audio.and_then(|mixer| match NodeMedia::generate() {
            Ok(node) => Some((node, mixer)),
            Err(e) => {
                tracing::error!(error = %e, "meeting audio is off");
                None
            }
        });
        let fingerprint = audio.as_ref().map_or_else(random_fingerprint, |(node, _)| {
            node.fingerprint().to_owned()
        });
        let plane = Arc::new(Plane {
            store,
            hub: Hub::new(config.data_limits, presence.clone()),
            ice: ice.clone(),
            config,
            metrics,
            cluster: cluster.clone(),
            fingerprint,
            next_session: AtomicU64::new(1),
            open_sessions: AtomicUsize::new(0),
            draining: AtomicBool::new(false),
            session_events,
            client_events: client_events::Ingestion::default(),
            presence_stop,
            writers: Mutex::new(vec![presence_task, events_task]),
        });
        let audio = audio.map(|(node, mixer)| {
            let engine = Engine::new(node, plane.media_candidate(), mixer);
            let plane = Arc::downgrade(&plane);
            AudioRun {
                engine,
                report: Box::new(move |levels: MeetingLevels| {
                    if let Some(plane) = plane.upgrade() {
                        plane.audio_levels(&levels);
                    }
                }),
            }
        });
        if let Err(e) = ice.spawn(stop.clone(), audio) {
            tracing::error!(error = %e, "the media port's thread did not start: no ICE, no audio");
        }
        tokio::spawn(apply_changes(Arc::downgrade(&plane), changes, stop.clone()));
        if let Some(cluster) = &cluster {
            plane.metrics.cluster_nodes(cluster.live_nodes());
            tokio::spawn(follow_cluster(Arc::downgrade(&plane), stop));
        }
        plane
    }

    /// Where the meeting's sessions live.
    fn home(&self, meeting_id: &str) -> Home {
        match &self.cluster {
            Some(cluster) => cluster.home(&meeting_id.to_ascii_lowercase()),
            None => Home::Here,
        }
    }

    /// Ends the sessions of meetings whose home is now another node: their clients reconnect
    /// and are relayed there.
    fn rehome(&self) {
        for room in self.hub.rooms() {
            if self.home(&room.meeting_id) != Home::Here {
                room.end_all(Ending::GOING_AWAY);
                self.hub.release(&room);
            }
        }
    }

    /// The routes of the plane, to merge into the server's router.
    pub fn router(self: &Arc<Self>) -> axum::Router {
        ws::router(self.clone())
    }

    /// A meeting's levels, to its room if it has one here.
    fn audio_levels(&self, levels: &MeetingLevels) {
        if let Some(room) = self.hub.existing(&levels.meeting) {
            room.levels(&levels.levels);
        }
    }

    fn media_candidate(&self) -> SocketAddr {
        SocketAddr::new(self.config.media_advertise, self.ice.local_addr().port())
    }

    fn next_session_id(&self) -> u64 {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }

    /// This node's fault rules.
    pub fn faults(&self) -> &Arc<carillon_faults::Faults> {
        &self.config.faults
    }

    /// Cuts the sessions here of a meeting, or of one of its attendees (with its content
    /// share), as a network drop would: no AUDIO_STATUS and no close frame, so that the SDK sees
    /// an abnormal closure and reconnects. Answers how many sessions were cut. Only this node's
    /// sessions: in a cluster, a meeting's sessions are on its home node.
    pub fn drop_sessions(&self, meeting_id: &str, attendee_id: Option<&str>) -> usize {
        let meeting_id = meeting_id.to_ascii_lowercase();
        let dropped: usize = self
            .hub
            .rooms()
            .iter()
            .filter(|room| *room.meeting_id == *meeting_id)
            .map(|room| room.end_sessions(attendee_id, Ending::FAULT_DROPPED))
            .sum();
        self.config.faults.sessions_dropped(dropped);
        dropped
    }

    /// Sessions open now.
    pub fn open_sessions(&self) -> usize {
        self.open_sessions.load(Ordering::Relaxed)
    }

    /// Who is connected to the meeting on this node now. Cheap: one look into the rooms' map
    /// and one into the meeting's room, each under its lock only while copying the ids.
    pub fn presence(&self, meeting_id: &str) -> Presence {
        let meeting_id = meeting_id.to_ascii_lowercase();
        let (sessions, marked) = self
            .hub
            .existing(&meeting_id)
            .map(|room| room.present())
            .unwrap_or_default();
        let elsewhere = match self.home(&meeting_id) {
            Home::Elsewhere(url) => Some(url),
            Home::Here => None,
        };
        Presence {
            sessions,
            marked,
            elsewhere,
        }
    }

    /// Leaves the cluster, ends every session (their clients reconnect, to another node behind
    /// a load balancer) and waits, at most `within`, for them to close; then writes the
    /// meetings' presence left to write (their sessions ended at once: they are vacated now): a
    /// write already under way may finish within the rest of `within`, and the last one takes at
    /// most [`LAST_PRESENCE_FLUSH`].
    pub async fn shutdown(&self, within: Duration) {
        self.draining.store(true, Ordering::Relaxed);
        if let Some(cluster) = &self.cluster {
            cluster.leave().await;
        }
        for room in self.hub.rooms() {
            room.end_all(Ending::GOING_AWAY);
        }
        let deadline = tokio::time::Instant::now() + within;
        while self.open_sessions() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = self.presence_stop.send(true);
        let writers = std::mem::take(&mut *self.writers.lock().unwrap_or_else(|e| e.into_inner()));
        // Both flush at once; the later of the two deadlines bounds the wait for each.
        let last = deadline.max(tokio::time::Instant::now() + LAST_PRESENCE_FLUSH);
        for writer in writers {
            let _ = tokio::time::timeout_at(last, writer).await;
        }
    }

    /// Prepares a jump of the server's clock to `until_ms`: writes every presence mark still
    /// queued (a meeting vacated a moment ago must be idle from then, not from the end of its
    /// last lease), then leases for the meetings occupied on this node that run a full lease past
    /// `until_ms` (a lease counted from before the jump would have ended by then, and an occupied
    /// meeting would look idle to the lifecycle).
    pub async fn hold_presence_through(&self, until_ms: i64) -> StoreResult<()> {
        let presence = self.hub.presence();
        if !presence.flush(PRESENCE_FLUSH_WAIT).await {
            return Err(carillon_core::StoreError::unavailable(
                "presence marks were not written in time",
            ));
        }
        let marks = presence.occupied_marks(until_ms);
        for batch in marks.chunks(presence::MAX_BATCH) {
            self.store.mark_presence(batch).await?;
        }
        Ok(())
    }

    /// An operator marks an attendee (`<AttendeeId>#content` for its content share) joined, left
    /// or dropped without a session: joined, it keeps the meeting occupied (so it does not idle
    /// out) until marked left or dropped, and each change that changes something sends the
    /// session's event, as a real session's would. Marks are this node's: in a cluster they
    /// belong on the meeting's home node ([`Marked::Elsewhere`] names it). A meeting that ends,
    /// or an attendee deleted, drops its marks without further events.
    pub async fn mark_attendee(
        &self,
        meeting_id: &str,
        attendee_id: &str,
        change: SessionChange,
    ) -> Result<Marked, carillon_core::StoreError> {
        let meeting_id = meeting_id.to_ascii_lowercase();
        let (base, content) = match attendee_id.strip_suffix(carillon_core::ids::CONTENT_SUFFIX) {
            Some(base) => (base, true),
            None => (attendee_id, false),
        };
        let (meeting, attendee) = match self.store.join_lookup(&meeting_id, base).await? {
            JoinLookup::Found(meeting, attendee) => (meeting, attendee),
            JoinLookup::MeetingNotFound | JoinLookup::MeetingEnded(_) => {
                return Ok(Marked::MeetingNotFound)
            }
            JoinLookup::AttendeeNotFound(_) => return Ok(Marked::AttendeeNotFound),
        };
        if let Home::Elsewhere(node_url) = self.home(&meeting_id) {
            return Ok(Marked::Elsewhere(node_url));
        }
        let present = change == SessionChange::Joined;
        loop {
            let room = self.hub.room(&meeting_id);
            let result = room.mark(attendee_id, present);
            self.hub.release(&room);
            match result {
                Ok(false) => return Ok(Marked::Unchanged),
                Ok(true) => {
                    let now = carillon_core::clock::now_ms();
                    let event = carillon_core::MeetingEvent::session(
                        &meeting, &attendee, change, content, now,
                    );
                    self.session_event(event);
                    return Ok(Marked::Changed);
                }
                Err(room::JoinRefusal::Retired) => continue,
                Err(room::JoinRefusal::Ended(_)) => return Ok(Marked::MeetingNotFound),
            }
        }
    }

    /// Queues a session's event for the store.
    fn session_event(&self, event: carillon_core::MeetingEvent) {
        if self.session_events.record(event) {
            self.metrics.session_event_dropped();
        }
    }

    /// Checks every session here against the store, ending those whose meeting ended or whose
    /// attendee was deleted (after announcements may have been missed).
    /// Reads the capabilities of the attendees in the meeting's room again, and gives their
    /// audio sessions the role the Audio capability now says. The SDP direction the client
    /// negotiated stays (AWS renegotiates nothing either); the mixer enforces the new role.
    async fn recapabilities(&self, meeting_id: &str) {
        let Some(room) = self.hub.existing(meeting_id) else {
            return;
        };
        for (session, attendee_id) in room.audio_sessions() {
            match self.store.join_lookup(meeting_id, &attendee_id).await {
                Ok(JoinLookup::Found(_, attendee)) => {
                    // No capabilities: a legacy attendee, who sends and receives.
                    let audio = attendee
                        .capabilities
                        .map_or(carillon_core::MediaCapability::SendReceive, |c| c.audio);
                    let role = session::role(admission::audio_direction(audio));
                    self.ice.audio(ice::AudioCommand::Role(session, role));
                }
                // Gone: its own announcement ends the session.
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "capabilities not read again; roles kept");
                    return;
                }
            }
        }
    }

    async fn resync(&self) {
        for room in self.hub.rooms() {
            for attendee_id in room.attendee_ids() {
                let base = attendee_id
                    .strip_suffix(carillon_core::ids::CONTENT_SUFFIX)
                    .unwrap_or(&attendee_id);
                let change = match self.store.join_lookup(&room.meeting_id, base).await {
                    Ok(JoinLookup::Found(..)) => continue,
                    Ok(JoinLookup::MeetingEnded(_) | JoinLookup::MeetingNotFound) => {
                        LiveChange::MeetingEnded {
                            meeting_id: room.meeting_id.to_string(),
                        }
                    }
                    Ok(JoinLookup::AttendeeNotFound(_)) => LiveChange::AttendeeDeleted {
                        meeting_id: room.meeting_id.to_string(),
                        attendee_id: base.to_owned(),
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "resync: the store did not answer; sessions kept");
                        return;
                    }
                };
                self.hub.apply(&change);
            }
        }
    }
}

/// Applies the store's announcements to the rooms until `stop` (or the plane is gone).
async fn apply_changes(
    plane: std::sync::Weak<Plane>,
    mut changes: broadcast::Receiver<LiveChange>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let change = tokio::select! {
            change = changes.recv() => change,
            _ = stop.wait_for(|stop| *stop) => return,
        };
        let Some(plane) = plane.upgrade() else {
            return;
        };
        match change {
            Ok(LiveChange::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => {
                plane.resync().await
            }
            Ok(LiveChange::CapabilitiesChanged { meeting_id }) => {
                plane.recapabilities(&meeting_id).await
            }
            Ok(change) => plane.hub.apply(&change),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Heartbeats and follows the live nodes until `stop` (or the plane is gone).
async fn follow_cluster(plane: std::sync::Weak<Plane>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(cluster::HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let Some(plane) = plane.upgrade() else {
            return;
        };
        let Some(cluster) = plane.cluster.clone() else {
            return;
        };
        if cluster.refresh().await {
            plane.metrics.cluster_nodes(cluster.live_nodes());
            plane.rehome();
        }
    }
}

/// A `sha-256` fingerprint of 32 random bytes, as SDP writes it.
fn random_fingerprint() -> String {
    carillon_media::peer::colon_hex(&rand::random::<[u8; 32]>())
}
