//! The sessions the responder answers for, keyed by our ufrag, and what each has seen.
//!
//! This (with the socket) is what outlives the STUN-only stage: a media stage finds the session
//! of a datagram here and learns the peer's address from [`IceRegistration::nominated`].

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::credentials::{IceCredentials, PWD_LEN, UFRAG_LEN};

/// Every registered session. The lock is held for a map operation only, never across I/O or
/// hashing, so the receive loop and the signaling tasks registering sessions barely contend.
#[derive(Default)]
pub(super) struct Sessions {
    by_ufrag: Mutex<HashMap<[u8; UFRAG_LEN], Arc<Session>>>,
}

/// One registration: 128 bytes, about 170 with its `Arc` counts and map entry, so 10,000
/// sessions take under 2 MB.
pub(super) struct Session {
    pwd: [u8; PWD_LEN],
    /// The signaling session whose audio the media engine carries, if it has any: its checks
    /// go to the engine's endpoint, which answers them.
    media: Option<u64>,
    peer: Mutex<Peer>,
    /// Woken when `peer` changes, for [`IceRegistration::wait_nominated`].
    changed: Notify,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Peer {
    /// Source of the latest authenticated Binding request.
    checked: Option<SocketAddr>,
    /// Source of the latest authenticated Binding request with USE-CANDIDATE.
    nominated: Option<SocketAddr>,
}

/// Nothing panics while holding these locks, but a poisoned lock still holds consistent data.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Sessions {
    pub(super) fn register(
        self: &Arc<Self>,
        creds: &IceCredentials,
        media: Option<u64>,
    ) -> IceRegistration {
        let session = Arc::new(Session {
            pwd: creds.pwd_bytes(),
            media,
            peer: Mutex::default(),
            changed: Notify::new(),
        });
        let ufrag = creds.ufrag_bytes();
        // A ufrag registered again (a clash, or the same credentials twice) now belongs to the
        // newer registration; the older one's drop leaves it alone (see `Drop`).
        lock(&self.by_ufrag).insert(ufrag, session.clone());
        IceRegistration {
            sessions: self.clone(),
            ufrag,
            session,
            detach: None,
        }
    }

    /// The session of our ufrag, if it is registered.
    pub(super) fn get(&self, ufrag: &[u8]) -> Option<Arc<Session>> {
        let ufrag: &[u8; UFRAG_LEN] = ufrag.try_into().ok()?;
        lock(&self.by_ufrag).get(ufrag).cloned()
    }

    pub(super) fn len(&self) -> usize {
        lock(&self.by_ufrag).len()
    }
}

impl Session {
    pub(super) fn pwd(&self) -> &[u8] {
        &self.pwd
    }

    pub(super) fn media(&self) -> Option<u64> {
        self.media
    }

    /// Notes an authenticated Binding request from `from`.
    pub(super) fn checked(&self, from: SocketAddr, use_candidate: bool) {
        let mut peer = lock(&self.peer);
        let before = *peer;
        peer.checked = Some(from);
        if use_candidate {
            peer.nominated = Some(from);
        }
        let changed = *peer != before;
        drop(peer);
        // Consent checks repeat every few seconds from the same address: wake waiters only when
        // something changed.
        if changed {
            self.changed.notify_waiters();
        }
    }
}

/// A session's place in the responder. Dropping it unregisters the ufrag: Binding requests for
/// it then go unanswered.
pub struct IceRegistration {
    sessions: Arc<Sessions>,
    ufrag: [u8; UFRAG_LEN],
    session: Arc<Session>,
    /// For an audio session: the engine to tell when the registration ends.
    pub(super) detach: Option<tokio::sync::mpsc::UnboundedSender<super::responder::AudioCommand>>,
}

impl IceRegistration {
    /// Where the latest authenticated Binding request carrying USE-CANDIDATE came from: the
    /// peer has nominated that path (RFC 8445 §8.2), and once our answer reaches it, its ICE
    /// state is `connected`. In the socket's terms: an IPv4 peer on a dual-stack socket is an
    /// IPv4-mapped IPv6 address.
    pub fn nominated(&self) -> Option<SocketAddr> {
        lock(&self.session.peer).nominated
    }

    /// Where the latest authenticated Binding request came from, nominating or not.
    pub fn checked(&self) -> Option<SocketAddr> {
        lock(&self.session.peer).checked
    }

    /// Waits until the peer has nominated a path (see [`Self::nominated`]), and returns it.
    pub async fn wait_nominated(&self) -> SocketAddr {
        loop {
            // Register for the wake-up before looking, so a change in between is not missed.
            let changed = self.session.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if let Some(nominated) = self.nominated() {
                return nominated;
            }
            changed.await;
        }
    }
}

impl Drop for IceRegistration {
    fn drop(&mut self) {
        if let (Some(audio), Some(session)) = (self.detach.take(), self.session.media()) {
            let _ = audio.send(super::responder::AudioCommand::Detach(session));
        }
        let mut by_ufrag = lock(&self.sessions.by_ufrag);
        if by_ufrag
            .get(&self.ufrag)
            .is_some_and(|current| Arc::ptr_eq(current, &self.session))
        {
            by_ufrag.remove(&self.ufrag);
        }
    }
}

impl fmt::Debug for IceRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let peer = *lock(&self.session.peer);
        f.debug_struct("IceRegistration")
            .field("ufrag", &String::from_utf8_lossy(&self.ufrag))
            .field("checked", &peer.checked)
            .field("nominated", &peer.nominated)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_small() {
        // The Arc's two counts come on top; the map entry adds a key and a pointer.
        let size = std::mem::size_of::<Session>();
        assert!(size <= 192, "{size} bytes");
    }

    #[test]
    fn dropping_a_replaced_registration_keeps_the_newer_one() {
        let sessions = Arc::new(Sessions::default());
        let creds = IceCredentials::generate();
        let first = sessions.register(&creds, None);
        let second = sessions.register(&creds, None);
        assert_eq!(sessions.len(), 1);
        drop(first);
        let current = sessions.get(creds.ufrag().as_bytes()).expect("still there");
        assert!(Arc::ptr_eq(&current, &second.session));
        drop(current);
        drop(second);
        assert_eq!(sessions.len(), 0);
        assert!(sessions.get(creds.ufrag().as_bytes()).is_none());
    }

    #[test]
    fn lookups_of_other_lengths_find_nothing() {
        let sessions = Arc::new(Sessions::default());
        let creds = IceCredentials::generate();
        let _registration = sessions.register(&creds, None);
        let ufrag = creds.ufrag().as_bytes();
        assert!(sessions.get(&ufrag[..7]).is_none());
        assert!(sessions.get(&[ufrag, b"x"].concat()).is_none());
        assert!(sessions.get(b"").is_none());
    }

    #[tokio::test]
    async fn nomination_is_tracked_and_awaited() {
        let sessions = Arc::new(Sessions::default());
        let creds = IceCredentials::generate();
        let registration = sessions.register(&creds, None);
        let session = sessions.get(creds.ufrag().as_bytes()).unwrap();
        let a: SocketAddr = "192.0.2.1:1000".parse().unwrap();
        let b: SocketAddr = "192.0.2.2:2000".parse().unwrap();
        session.checked(a, false);
        assert_eq!(
            (registration.checked(), registration.nominated()),
            (Some(a), None)
        );
        let waiter = async { registration.wait_nominated().await };
        let nominate = async {
            tokio::task::yield_now().await;
            session.checked(b, true);
        };
        let (nominated, ()) = tokio::join!(waiter, nominate);
        assert_eq!(nominated, b);
        // A later check without USE-CANDIDATE does not undo the nomination.
        session.checked(a, false);
        assert_eq!(
            (registration.checked(), registration.nominated()),
            (Some(a), Some(b))
        );
    }
}
