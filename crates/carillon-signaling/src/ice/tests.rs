//! The responder over real UDP sockets, with requests shaped like Chrome's.

use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::registry::Registry;
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::stun::{self, attr, message_type, Class, Writer, BINDING};
use super::{IceCredentials, IceRegistration, IceResponder};

/// How long a test waits for an answer that should come: generous, for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(5);

struct Harness {
    responder: Arc<IceResponder>,
    registry: Registry,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    client: UdpSocket,
    /// A session of its own, whose checks follow a datagram that should go unanswered: the loop
    /// answers in order, so if the probe's answer comes first, the datagram got none. No test
    /// waits out a silence.
    probe: IceCredentials,
    _probe_registration: IceRegistration,
    probes: Cell<u64>,
}

/// A Binding request as Chrome sends it: USERNAME, GOOG-NETWORK-INFO (comprehension-optional,
/// which we skip), ICE-CONTROLLING, USE-CANDIDATE, PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT.
struct Check<'a> {
    username: Option<String>,
    key: Option<&'a [u8]>,
    controlled: bool,
    use_candidate: bool,
    class: Class,
}

impl<'a> Check<'a> {
    fn chrome(creds: &'a IceCredentials) -> Self {
        Self {
            username: Some(format!("{}:Zx9c", creds.ufrag())),
            key: Some(creds.pwd().as_bytes()),
            controlled: false,
            use_candidate: true,
            class: Class::Request,
        }
    }

    fn encode(&self) -> ([u8; 12], Vec<u8>) {
        let id: [u8; 12] = rand::random();
        let mut out = Vec::new();
        let mut writer = Writer::new(&mut out, message_type(BINDING, self.class), &id);
        if let Some(username) = &self.username {
            writer.attribute(attr::USERNAME, username.as_bytes());
        }
        writer.attribute(0xC057, &[0x00, 0x01, 0x00, 0x0A]);
        let role = match self.controlled {
            true => attr::ICE_CONTROLLED,
            false => attr::ICE_CONTROLLING,
        };
        writer.attribute(role, &rand::random::<u64>().to_be_bytes());
        if self.use_candidate {
            writer.attribute(attr::USE_CANDIDATE, &[]);
        }
        writer.attribute(attr::PRIORITY, &0x6E7F_1EFF_u32.to_be_bytes());
        if let Some(key) = self.key {
            writer.integrity(key);
        }
        writer.fingerprint();
        (id, out)
    }
}

impl Harness {
    async fn start() -> Self {
        let mut registry = Registry::default();
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let responder = IceResponder::bind(listen, &mut registry).await.unwrap();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(responder.clone().run(stopped, None));
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let probe = IceCredentials::generate();
        let _probe_registration = responder.register(&probe);
        Self {
            responder,
            registry,
            stop,
            task,
            client,
            probe,
            _probe_registration,
            probes: Cell::new(0),
        }
    }

    /// Sends a datagram and returns its answer, or `None` if it got none (see `probe`).
    async fn send(&self, datagram: &[u8]) -> Option<Vec<u8>> {
        let server = self.responder.local_addr();
        self.client.send_to(datagram, server).await.unwrap();
        let (probe_id, probe) = Check::chrome(&self.probe).encode();
        self.client.send_to(&probe, server).await.unwrap();
        self.probes.set(self.probes.get() + 1);
        let first = self.receive().await;
        if stun::parse(&first).unwrap().transaction_id == probe_id {
            return None;
        }
        let second = self.receive().await;
        assert_eq!(stun::parse(&second).unwrap().transaction_id, probe_id);
        Some(first)
    }

    async fn receive(&self) -> Vec<u8> {
        let mut buf = vec![0; 1500];
        let received = tokio::time::timeout(PATIENCE, self.client.recv_from(&mut buf)).await;
        let (len, from) = received.expect("an answer").unwrap();
        assert_eq!(from, self.responder.local_addr());
        buf.truncate(len);
        buf
    }

    /// Sends `check` and returns its answer, checking the transaction id and the fingerprint.
    async fn check(&self, check: &Check<'_>) -> Option<Vec<u8>> {
        let (id, request) = check.encode();
        let answer = self.send(&request).await?;
        let message = stun::parse(&answer).unwrap();
        assert_eq!(message.method, BINDING);
        assert_eq!(message.transaction_id, id);
        assert!(message.has_fingerprint);
        Some(answer)
    }

    /// The value of a counter series, e.g. `carillon_ice_non_stun_packets_total`.
    fn counter(&self, series: &str) -> u64 {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).unwrap();
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"));
        line.parse().unwrap()
    }

    fn requests(&self, result: &str) -> u64 {
        let series = format!("carillon_ice_binding_requests_total{{result=\"{result}\"}}");
        let count = self.counter(&series);
        match result {
            "answered" => count - self.probes.get(),
            _ => count,
        }
    }
}

#[tokio::test]
async fn answers_a_chrome_check_and_records_the_nomination() {
    let harness = Harness::start().await;
    let creds = IceCredentials::generate();
    let registration = harness.responder.register(&creds);
    assert_eq!(registration.nominated(), None);

    let answer = harness
        .check(&Check::chrome(&creds))
        .await
        .expect("answered");
    let message = stun::parse(&answer).unwrap();
    let client = harness.client.local_addr().unwrap();
    assert_eq!(message.class, Class::Success);
    assert_eq!(message.xor_mapped_address, Some(client));
    assert!(message.verify_integrity(creds.pwd().as_bytes()));
    assert!(!message.verify_integrity(b"another password"));
    assert_eq!(registration.nominated(), Some(client));
    assert_eq!(registration.wait_nominated().await, client);
    assert_eq!(harness.requests("answered"), 1);
    for result in [
        "unauthorized",
        "role_conflict",
        "unknown_ufrag",
        "malformed",
    ] {
        assert_eq!(harness.requests(result), 0, "{result}");
    }
}

#[tokio::test]
async fn a_check_without_use_candidate_is_answered_but_nominates_nothing() {
    let harness = Harness::start().await;
    let creds = IceCredentials::generate();
    let registration = harness.responder.register(&creds);
    let check = Check {
        use_candidate: false,
        ..Check::chrome(&creds)
    };
    let answer = harness.check(&check).await.expect("answered");
    assert_eq!(stun::parse(&answer).unwrap().class, Class::Success);
    assert_eq!(registration.checked(), harness.client.local_addr().ok());
    assert_eq!(registration.nominated(), None);
}

#[tokio::test]
async fn refusals() {
    let harness = Harness::start().await;
    let creds = IceCredentials::generate();
    let registration = harness.responder.register(&creds);

    // The wrong password: 401, without MESSAGE-INTEGRITY (the peer could not check it).
    let wrong = IceCredentials::generate();
    let check = Check {
        key: Some(wrong.pwd().as_bytes()),
        ..Check::chrome(&creds)
    };
    let message_bytes = harness.check(&check).await.expect("answered");
    let message = stun::parse(&message_bytes).unwrap();
    assert_eq!(
        (message.class, message.error_code),
        (Class::Error, Some(401))
    );
    assert_eq!(message.integrity_offset(), None);

    // No MESSAGE-INTEGRITY: 400.
    let check = Check {
        key: None,
        ..Check::chrome(&creds)
    };
    let message_bytes = harness.check(&check).await.expect("answered");
    let message = stun::parse(&message_bytes).unwrap();
    assert_eq!(
        (message.class, message.error_code),
        (Class::Error, Some(400))
    );

    // A peer claiming the controlled role: 487, authenticated.
    let check = Check {
        controlled: true,
        ..Check::chrome(&creds)
    };
    let message_bytes = harness.check(&check).await.expect("answered");
    let message = stun::parse(&message_bytes).unwrap();
    assert_eq!(
        (message.class, message.error_code),
        (Class::Error, Some(487))
    );
    assert!(message.verify_integrity(creds.pwd().as_bytes()));

    assert_eq!(registration.checked(), None, "no refused check counts");
    assert_eq!(harness.requests("unauthorized"), 1);
    assert_eq!(harness.requests("malformed"), 1);
    assert_eq!(harness.requests("role_conflict"), 1);
    assert_eq!(harness.requests("answered"), 0);
}

#[tokio::test]
async fn silence_for_unknown_ufrags_and_ended_sessions() {
    let harness = Harness::start().await;
    let creds = IceCredentials::generate();
    let unknown = IceCredentials::generate();
    assert_eq!(harness.check(&Check::chrome(&unknown)).await, None);
    assert_eq!(harness.requests("unknown_ufrag"), 1);

    let registration = harness.responder.register(&creds);
    assert!(harness.check(&Check::chrome(&creds)).await.is_some());
    drop(registration);
    assert_eq!(harness.responder.registrations(), 1, "the probe's");
    assert_eq!(harness.check(&Check::chrome(&creds)).await, None);
    assert_eq!(harness.requests("unknown_ufrag"), 2);
}

#[tokio::test]
async fn a_reregistered_ufrag_outlives_the_first_guard() {
    let harness = Harness::start().await;
    let creds = IceCredentials::generate();
    let first = harness.responder.register(&creds);
    let second = harness.responder.register(&creds);
    drop(first);
    assert!(harness.check(&Check::chrome(&creds)).await.is_some());
    assert!(second.nominated().is_some());
}

#[tokio::test]
async fn ignored_datagrams() {
    let harness = Harness::start().await;
    let creds = IceCredentials::generate();
    let _registration = harness.responder.register(&creds);

    // A DTLS 1.2 ClientHello's record header, an empty datagram, an RTP-looking packet.
    let dtls = [
        0x16, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2C, 0x01, 0, 0,
    ];
    assert_eq!(harness.send(&dtls).await, None);
    assert_eq!(harness.send(&[]).await, None);
    assert_eq!(harness.send(&[0x80; 40]).await, None);
    // STUN-looking but unreadable; then a request without USERNAME.
    assert_eq!(harness.send(&[0x00, 0x01, 0x00, 0x04]).await, None);
    let check = Check {
        username: None,
        ..Check::chrome(&creds)
    };
    assert_eq!(harness.check(&check).await, None);
    // A Binding indication (a keepalive) and a stray success response.
    for class in [Class::Indication, Class::Success] {
        let check = Check {
            class,
            ..Check::chrome(&creds)
        };
        assert_eq!(harness.check(&check).await, None);
    }
    // The loop is still answering.
    assert!(harness.check(&Check::chrome(&creds)).await.is_some());
    assert_eq!(harness.counter("carillon_ice_non_stun_packets_total"), 3);
    assert_eq!(harness.requests("malformed"), 2);
    assert_eq!(harness.requests("answered"), 1);
}

#[tokio::test]
async fn the_loop_ends_when_told() {
    let harness = Harness::start().await;
    harness.stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), harness.task)
        .await
        .expect("the loop stopped")
        .unwrap();
}
