//! One session's WebRTC endpoint: a str0m `Rtc` configured from what the SDP exchange agreed,
//! without str0m's own SDP.
//!
//! The signaling plane writes the SDP answer itself (it has done so since before there was
//! media, and it must mirror every section of the SDK's offer), so the `Rtc` is set up through
//! str0m's direct API to match that answer exactly: ICE-lite with the session's credentials,
//! passive DTLS with the node's one certificate, the offer's Opus payload type and header
//! extension ids, and the one outbound SSRC the answer declared. str0m is sans-IO: the caller
//! owns the socket and the clock, feeds datagrams in and sends what comes out.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use str0m::config::{CryptoProvider, DtlsCert, Fingerprint};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{Extension, ExtensionMap, Ssrc};
use str0m::{Candidate, Event, IceConnectionState, IceCreds, Input, Output, Rtc, RtcConfig};

use crate::mixer::FRAME_SAMPLES;

/// What the client's offer says about its audio, as far as the endpoint needs it. Taken from
/// the offer when the session subscribes and kept (a few hundred bytes) until the client's
/// first ICE check, when the endpoint is built: sessions that never connect media (bots,
/// signaling-only clients) never cost an `Rtc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPlan {
    pub remote_ufrag: String,
    pub remote_pwd: String,
    /// `<hash function> <hex>`, as in `a=fingerprint`.
    pub remote_fingerprint: String,
    pub mid: String,
    pub opus_pt: u8,
    /// `urn:ietf:params:rtp-hdrext:ssrc-audio-level`, when offered (and so answered).
    pub audio_level_ext: Option<u8>,
    /// `urn:ietf:params:rtp-hdrext:sdes:mid`, when offered (and so answered).
    pub mid_ext: Option<u8>,
    /// The client's audio SSRC (`a=ssrc`), when it sends audio.
    pub remote_ssrc: Option<u32>,
}

/// What the node gives every endpoint.
#[derive(Clone)]
pub struct NodeMedia {
    crypto: Arc<CryptoProvider>,
    cert: DtlsCert,
    fingerprint: String,
}

impl NodeMedia {
    /// Makes the node's DTLS certificate. Its fingerprint goes into every SDP answer.
    pub fn generate() -> Result<Self, PeerError> {
        let crypto = Arc::new(str0m::crypto::from_feature_flags());
        let cert = crypto
            .dtls_provider
            .generate_certificate()
            .ok_or(PeerError::Certificate)?;
        // The fingerprint is the one str0m computes for the certificate: read it off an `Rtc`
        // made with it, so that the answers always carry what the handshake will present.
        let mut rtc = RtcConfig::new()
            .set_crypto_provider(crypto.clone())
            .set_dtls_cert(cert.clone())
            .build(Instant::now());
        let fingerprint = rtc.direct_api().local_dtls_fingerprint().clone();
        Ok(Self {
            crypto,
            cert,
            fingerprint: colon_hex(&fingerprint.bytes),
        })
    }

    /// The certificate's `sha-256` fingerprint as colon-separated upper-case hex.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

impl std::fmt::Debug for NodeMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeMedia")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Bytes as SDP writes a fingerprint: colon-separated upper-case hex.
pub fn colon_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02X}");
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("the DTLS certificate could not be generated")]
    Certificate,
    #[error("the offer's fingerprint is unreadable: {0}")]
    Fingerprint(String),
    #[error("WebRTC: {0}")]
    Rtc(#[from] str0m::RtcError),
    #[error("the local candidate is unusable: {0}")]
    Candidate(String),
}

/// What an endpoint reports.
#[derive(Debug)]
pub enum PeerEvent {
    /// ICE and DTLS are up: media can flow.
    Connected,
    /// One inbound Opus packet.
    Audio {
        sequence: u16,
        timestamp: u32,
        payload: Arc<[u8]>,
        /// RFC 6464 level: 0 loudest, 127 silence.
        audio_level: Option<u8>,
    },
    /// The client went away (ICE timed out, DTLS closed).
    Disconnected,
}

/// One session's endpoint.
pub struct Peer {
    rtc: Rtc,
    mid: Mid,
    pt: Pt,
    /// The local candidate: where the client sends, so the destination of every datagram.
    candidate: SocketAddr,
    /// Samples sent so far on the outbound stream: its RTP clock.
    sent_samples: u64,
    connected: bool,
}

impl Peer {
    /// Builds the endpoint for a session whose answer carried `local` ICE credentials, the
    /// node's fingerprint, `candidate` and `local_ssrc`.
    pub fn new(
        node: &NodeMedia,
        plan: &AudioPlan,
        local: IceCreds,
        candidate: SocketAddr,
        local_ssrc: u32,
        now: Instant,
    ) -> Result<Self, PeerError> {
        let pt = Pt::from(plan.opus_pt);
        let mut exts = ExtensionMap::empty();
        if let Some(id) = plan.audio_level_ext {
            exts.set(id, Extension::AudioLevel);
        }
        if let Some(id) = plan.mid_ext {
            exts.set(id, Extension::RtpMid);
        }
        let mut config = RtcConfig::new()
            .set_crypto_provider(node.crypto.clone())
            .set_dtls_cert(node.cert.clone())
            .set_ice_lite(true)
            .set_local_ice_credentials(local)
            .clear_codecs()
            .set_extension_map(exts)
            // Reordering is the mixer's jitter buffer's job: hand every packet over at once.
            .set_reordering_size_audio(0);
        config.codec_config().add_config(
            pt,
            None,
            Codec::Opus,
            Frequency::FORTY_EIGHT_KHZ,
            Some(2),
            FormatParams {
                min_p_time: Some(10),
                use_inband_fec: Some(true),
                ..Default::default()
            },
        );
        let mut rtc = config.build(now);
        let fingerprint: Fingerprint = plan
            .remote_fingerprint
            .parse()
            .map_err(|_| PeerError::Fingerprint(plan.remote_fingerprint.clone()))?;
        let mid = Mid::from(plan.mid.as_str());
        {
            let mut api = rtc.direct_api();
            api.set_ice_controlling(false);
            api.set_remote_ice_credentials(IceCreds {
                ufrag: plan.remote_ufrag.clone(),
                pass: plan.remote_pwd.clone(),
            });
            api.set_remote_fingerprint(fingerprint);
            // The answer says a=setup:passive: the browser starts the handshake.
            api.start_dtls(false)?;
            api.declare_media(mid, MediaKind::Audio);
            api.declare_stream_tx(Ssrc::from(local_ssrc), None, mid, None);
            if let Some(ssrc) = plan.remote_ssrc {
                api.expect_stream_rx(Ssrc::from(ssrc), None, mid, None);
            }
        }
        let host =
            Candidate::host(candidate, "udp").map_err(|e| PeerError::Candidate(e.to_string()))?;
        rtc.add_local_candidate(host)
            .ok_or_else(|| PeerError::Candidate(candidate.to_string()))?;
        Ok(Self {
            rtc,
            mid,
            pt,
            candidate,
            sent_samples: 0,
            connected: false,
        })
    }

    /// Whether `datagram` from `source` is this endpoint's (a check with its ufrag, or traffic
    /// from the address its checks came from).
    pub fn accepts(&self, now: Instant, source: SocketAddr, datagram: &[u8]) -> bool {
        match Receive::new(Protocol::Udp, source, self.candidate, datagram) {
            Ok(receive) => self.rtc.accepts(&Input::Receive(now, receive)),
            Err(_) => false,
        }
    }

    /// Feeds a datagram from `source` in. An unreadable one is dropped.
    pub fn receive(&mut self, now: Instant, source: SocketAddr, datagram: &[u8]) {
        let Ok(receive) = Receive::new(Protocol::Udp, source, self.candidate, datagram) else {
            return;
        };
        if let Err(e) = self.rtc.handle_input(Input::Receive(now, receive)) {
            tracing::debug!(error = %e, peer = %source, "media input refused");
        }
    }

    /// Moves time on to `now`.
    pub fn timeout(&mut self, now: Instant) {
        if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
            tracing::debug!(error = %e, "media timeout failed");
        }
    }

    /// Sends one 20 ms Opus packet on the outbound stream. Dropped until the endpoint is
    /// connected: the browser's jitter buffer starts from the first packet it gets.
    pub fn send_audio(&mut self, now: Instant, payload: Arc<[u8]>) {
        if !self.connected {
            return;
        }
        let time = MediaTime::new(self.sent_samples, Frequency::FORTY_EIGHT_KHZ);
        self.sent_samples += FRAME_SAMPLES as u64;
        let Some(writer) = self.rtc.writer(self.mid) else {
            return;
        };
        if let Err(e) = writer.write(self.pt, now, time, payload) {
            tracing::debug!(error = %e, "audio not sent");
        }
    }

    /// Drains what the endpoint has to say: datagrams to `transmit` (destination, bytes) and
    /// events to `event`. Returns when it next needs [`Peer::timeout`].
    pub fn poll(
        &mut self,
        mut transmit: impl FnMut(SocketAddr, &[u8]),
        mut event: impl FnMut(PeerEvent),
    ) -> Option<Instant> {
        loop {
            if !self.rtc.is_alive() {
                return None;
            }
            let output = match self.rtc.poll_output() {
                Ok(output) => output,
                Err(e) => {
                    tracing::debug!(error = %e, "media endpoint failed");
                    self.rtc.disconnect();
                    event(PeerEvent::Disconnected);
                    return None;
                }
            };
            match output {
                Output::Timeout(at) => return Some(at),
                Output::Transmit(t) => transmit(t.destination, &t.contents),
                Output::Event(e) => match e {
                    Event::Connected => {
                        self.connected = true;
                        event(PeerEvent::Connected);
                    }
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                        self.rtc.disconnect();
                        event(PeerEvent::Disconnected);
                    }
                    Event::MediaData(data) if data.mid == self.mid => {
                        event(PeerEvent::Audio {
                            // The extended sequence number's low 16 bits are the packet's own.
                            sequence: (*data.seq_range.start()).as_u16(),
                            timestamp: data.time.numer() as u32,
                            payload: data.data,
                            audio_level: data
                                .ext_vals
                                .audio_level
                                .map(|level| level.unsigned_abs().min(127)),
                        });
                    }
                    Event::Closed => event(PeerEvent::Disconnected),
                    _ => {}
                },
            }
        }
    }
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("mid", &self.mid)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}
