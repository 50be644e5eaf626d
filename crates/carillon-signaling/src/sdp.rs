//! The SDP answer to a client's offer (SUBSCRIBE → SUBSCRIBE_ACK).
//!
//! The server is ICE-lite and only ever answers: the client offers one `sendrecv` audio section
//! and one section per video transceiver, and the answer mirrors them in order with the same
//! MIDs (WebRTC refuses an answer whose sections do not match the offer's). Audio is answered
//! with Opus only, so the client never adds its RED encoding, and with `a=msid`, without which
//! the SDK ignores the remote track. Video waits for the forwarding unit: its sections are
//! answered `inactive` with the first codec the client offered. Sections of other kinds (a data
//! channel) are rejected with port 0, which WebRTC allows in an answer.

use std::fmt::Write as _;
use std::net::SocketAddr;

pub use carillon_media::peer::AudioPlan;

/// What the server puts in every answer besides what the offer decides.
#[derive(Debug, Clone)]
pub struct AnswerParams<'a> {
    pub ice_ufrag: &'a str,
    pub ice_pwd: &'a str,
    /// The host candidate: advertised address and UDP port.
    pub candidate: SocketAddr,
    /// `sha-256` fingerprint of the DTLS certificate, as colon-separated upper-case hex.
    pub fingerprint: &'a str,
    pub audio_direction: Direction,
    /// The SSRC of the one audio stream the server sends, and the ids that name it (`a=msid`).
    pub audio_ssrc: u32,
    pub stream_label: &'a str,
    pub track_label: &'a str,
    /// The `o=` session id: one per session, so that a renegotiated answer keeps it.
    pub session_id: u64,
    /// The `o=` version: one more for every answer of the session.
    pub version: u32,
}

/// The server's direction for a media section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// Media sections an offer may have. The SDK offers one for audio and one per video
/// transceiver (its own camera, content, and up to 25 remote videos by default); every section
/// costs a few hundred bytes of answer, so a larger offer is refused rather than answered.
pub const MAX_SECTIONS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfferError {
    #[error("the offer has no media section")]
    NoMedia,
    #[error("the offer has more than {MAX_SECTIONS} media sections")]
    TooManySections,
    #[error("the offer has no audio section")]
    NoAudio,
    #[error("the offer's audio section does not offer opus/48000/2")]
    NoOpus,
    #[error("a media section of the offer has no a=mid")]
    NoMid,
    #[error("the offer's media line is malformed: {0}")]
    BadMediaLine(String),
}

/// One `m=` section of the offer, as far as the answer needs it.
#[derive(Debug, Default)]
struct Section<'a> {
    kind: &'a str,
    formats: Vec<&'a str>,
    mid: Option<&'a str>,
    rtpmaps: Vec<(&'a str, &'a str)>,
    /// `a=extmap:<id> <uri>` (the id without any `/direction`).
    extmaps: Vec<(u8, &'a str)>,
    transport: Transport<'a>,
    /// The first `a=ssrc:` id: the client's own stream in this section.
    ssrc: Option<u32>,
}

/// What the offer says about its ICE and DTLS, in a section or before the first one.
#[derive(Debug, Default, Clone, Copy)]
struct Transport<'a> {
    ufrag: Option<&'a str>,
    pwd: Option<&'a str>,
    fingerprint: Option<&'a str>,
}

impl<'a> Transport<'a> {
    /// Reads a transport attribute into `self`; false if `line` is not one.
    fn read(&mut self, line: &'a str) -> bool {
        if let Some(ufrag) = line.strip_prefix("a=ice-ufrag:") {
            self.ufrag = Some(ufrag);
        } else if let Some(pwd) = line.strip_prefix("a=ice-pwd:") {
            self.pwd = Some(pwd);
        } else if let Some(fingerprint) = line.strip_prefix("a=fingerprint:") {
            self.fingerprint = Some(fingerprint);
        } else {
            return false;
        }
        true
    }

    /// Section attributes where given, the session's otherwise.
    fn or(self, session: Transport<'a>) -> Transport<'a> {
        Transport {
            ufrag: self.ufrag.or(session.ufrag),
            pwd: self.pwd.or(session.pwd),
            fingerprint: self.fingerprint.or(session.fingerprint),
        }
    }
}

/// The header extensions the audio answer accepts when offered: the client's level in each
/// packet, and the MID that ties its packets to the audio section.
const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
const MID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";

/// An answer, and what the endpoint needs of the offer to carry its audio.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub sdp: String,
    /// `None` when the offer lacks what a media endpoint needs (ICE credentials, a DTLS
    /// fingerprint): the session then gets ICE only, as a signaling-only client needs.
    pub audio: Option<AudioPlan>,
}

fn sections(offer: &str) -> Result<(Vec<Section<'_>>, Transport<'_>), OfferError> {
    let mut sections: Vec<Section<'_>> = Vec::new();
    let mut session = Transport::default();
    for line in offer.lines().map(str::trim_end) {
        if let Some(media) = line.strip_prefix("m=") {
            if sections.len() == MAX_SECTIONS {
                return Err(OfferError::TooManySections);
            }
            let mut fields = media.split(' ');
            let (Some(kind), Some(_port), Some(_proto)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(OfferError::BadMediaLine(truncated(line)));
            };
            sections.push(Section {
                kind,
                formats: fields.filter(|f| !f.is_empty()).collect(),
                ..Section::default()
            });
        } else if let Some(section) = sections.last_mut() {
            if let Some(mid) = line.strip_prefix("a=mid:") {
                section.mid = Some(mid);
            } else if let Some(map) = line.strip_prefix("a=rtpmap:") {
                if let Some((pt, codec)) = map.split_once(' ') {
                    section.rtpmaps.push((pt, codec));
                }
            } else if let Some(map) = line.strip_prefix("a=extmap:") {
                // `<id>[/<direction>] <uri> [<attributes>]`
                let mut fields = map.split(' ');
                let id = fields
                    .next()
                    .and_then(|id| id.split('/').next()?.parse().ok());
                if let (Some(id), Some(uri)) = (id, fields.next()) {
                    section.extmaps.push((id, uri));
                }
            } else if let Some(ssrc) = line.strip_prefix("a=ssrc:") {
                if section.ssrc.is_none() {
                    section.ssrc = ssrc.split(' ').next().and_then(|id| id.parse().ok());
                }
            } else {
                section.transport.read(line);
            }
        } else {
            session.read(line);
        }
    }
    if sections.is_empty() {
        return Err(OfferError::NoMedia);
    }
    Ok((sections, session))
}

/// The first characters of an offending line, for an error message.
fn truncated(line: &str) -> String {
    line.chars().take(64).collect()
}

/// A valid MID token: what RFC 8843 allows (`token` characters), kept short.
fn valid_mid(mid: &str) -> bool {
    !mid.is_empty()
        && mid.len() <= 32
        && mid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`{|}~".contains(&b))
}

/// Builds the answer to `offer`.
pub fn answer(offer: &str, params: &AnswerParams<'_>) -> Result<Answer, OfferError> {
    let (sections, session) = sections(offer)?;
    let audio = sections
        .iter()
        .position(|s| s.kind == "audio")
        .ok_or(OfferError::NoAudio)?;
    for section in &sections {
        if !section.mid.is_some_and(valid_mid) {
            return Err(OfferError::NoMid);
        }
    }
    let opus = sections[audio]
        .rtpmaps
        .iter()
        .find(|(_, codec)| codec.eq_ignore_ascii_case("opus/48000/2"))
        .map(|(pt, _)| *pt)
        .ok_or(OfferError::NoOpus)?;
    let audio_section = &sections[audio];
    let ext = |uri: &str| {
        audio_section
            .extmaps
            .iter()
            .find(|(_, offered)| *offered == uri)
            .map(|(id, _)| *id)
    };
    let (audio_level_ext, mid_ext) = (ext(AUDIO_LEVEL_URI), ext(MID_URI));

    let accepted = |s: &Section<'_>| matches!(s.kind, "audio" | "video") && !s.formats.is_empty();
    let bundle: Vec<&str> = sections
        .iter()
        .filter(|s| accepted(s))
        .filter_map(|s| s.mid)
        .collect();
    let ip = params.candidate.ip();
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let port = params.candidate.port();

    let mut sdp = String::with_capacity(1024 + 512 * sections.len());
    // Writing to a String cannot fail.
    let _ = write!(
        sdp,
        "v=0\r\no=- {} {} IN {family} {ip}\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n\
         a=group:BUNDLE {}\r\na=msid-semantic: WMS {}\r\n",
        params.session_id,
        params.version,
        bundle.join(" "),
        params.stream_label
    );
    for (index, section) in sections.iter().enumerate() {
        let mid = section.mid.unwrap_or_default();
        if !accepted(section) {
            let _ = write!(
                sdp,
                "m={} 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN {family} {ip}\r\na=mid:{mid}\r\n",
                section.kind
            );
            continue;
        }
        let (format, codec) = if index == audio {
            (opus, "opus/48000/2")
        } else {
            let format = section.formats[0];
            let codec = section
                .rtpmaps
                .iter()
                .find(|(pt, _)| *pt == format)
                .map_or("", |(_, codec)| *codec);
            (format, codec)
        };
        let direction = if index == audio {
            params.audio_direction
        } else {
            Direction::Inactive
        };
        let _ = write!(
            sdp,
            "m={kind} {port} UDP/TLS/RTP/SAVPF {format}\r\nc=IN {family} {ip}\r\n\
             a=rtcp:{port} IN {family} {ip}\r\n\
             a=candidate:1 1 udp 2130706431 {ip} {port} typ host generation 0\r\n\
             a=end-of-candidates\r\na=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n\
             a=fingerprint:sha-256 {fingerprint}\r\na=setup:passive\r\na=mid:{mid}\r\n\
             a={direction}\r\na=rtcp-mux\r\n",
            kind = section.kind,
            ufrag = params.ice_ufrag,
            pwd = params.ice_pwd,
            fingerprint = params.fingerprint,
            direction = direction.attribute(),
        );
        if !codec.is_empty() {
            let _ = write!(sdp, "a=rtpmap:{format} {codec}\r\n");
        }
        if index == audio {
            let _ = write!(
                sdp,
                "a=fmtp:{format} minptime=10;useinbandfec=1\r\n\
                 a=msid:{stream} {track}\r\n\
                 a=ssrc:{ssrc} cname:{stream}\r\na=ssrc:{ssrc} msid:{stream} {track}\r\n",
                stream = params.stream_label,
                track = params.track_label,
                ssrc = params.audio_ssrc,
            );
            for (id, uri) in [(audio_level_ext, AUDIO_LEVEL_URI), (mid_ext, MID_URI)] {
                if let Some(id) = id {
                    let _ = write!(sdp, "a=extmap:{id} {uri}\r\n");
                }
            }
        }
    }
    let transport = audio_section.transport.or(session);
    let audio = match (transport.ufrag, transport.pwd, transport.fingerprint) {
        (Some(ufrag), Some(pwd), Some(fingerprint)) => Some(AudioPlan {
            remote_ufrag: ufrag.to_owned(),
            remote_pwd: pwd.to_owned(),
            remote_fingerprint: fingerprint.to_owned(),
            mid: audio_section.mid.unwrap_or_default().to_owned(),
            opus_pt: opus.parse().map_err(|_| OfferError::NoOpus)?,
            audio_level_ext,
            mid_ext,
            remote_ssrc: audio_section.ssrc,
        }),
        _ => None,
    };
    Ok(Answer { sdp, audio })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of Chrome's offer for an SDK session with audio and an inactive camera
    /// transceiver (trimmed to the lines the answer depends on, plus some it must ignore).
    const OFFER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS s1\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0\r\nc=IN IP4 0.0.0.0\r\n\
        a=candidate:1 1 udp 2122260223 127.0.0.1 53412 typ host generation 0\r\n\
        a=ice-ufrag:abcd\r\na=ice-pwd:efghijklmnopqrstuvwxyz12\r\na=mid:0\r\na=sendrecv\r\n\
        a=rtpmap:111 opus/48000/2\r\na=rtpmap:63 red/48000/2\r\na=rtpmap:9 G722/8000\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\n\
        a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n";

    fn params() -> AnswerParams<'static> {
        AnswerParams {
            ice_ufrag: "srvufrag",
            ice_pwd: "serverpasswordserverpass",
            candidate: "127.0.0.1:3478".parse().unwrap(),
            fingerprint: "AA:BB",
            audio_direction: Direction::SendRecv,
            audio_ssrc: 1234,
            stream_label: "carillon",
            track_label: "carillon-audio",
            session_id: 42,
            version: 2,
        }
    }

    #[test]
    fn the_answer_mirrors_the_offer() {
        let sdp = answer(OFFER, &params()).unwrap().sdp;
        assert!(sdp.contains("a=ice-lite\r\n"));
        assert!(sdp.contains("a=group:BUNDLE 0 1\r\n"));
        assert!(sdp.contains("m=audio 3478 UDP/TLS/RTP/SAVPF 111\r\n"));
        assert!(sdp.contains("a=rtpmap:111 opus/48000/2\r\n"));
        assert!(!sdp.contains("red/48000"));
        assert!(sdp.contains("a=msid:carillon carillon-audio\r\n"));
        assert!(sdp.contains("m=video 3478 UDP/TLS/RTP/SAVPF 96\r\n"));
        assert!(sdp.contains("a=candidate:1 1 udp 2130706431 127.0.0.1 3478 typ host"));
        let audio = &sdp[sdp.find("m=audio").unwrap()..sdp.find("m=video").unwrap()];
        assert!(audio.contains("a=mid:0\r\na=sendrecv\r\n"), "{audio}");
        let video = &sdp[sdp.find("m=video").unwrap()..];
        assert!(video.contains("a=mid:1\r\na=inactive\r\n"), "{video}");
        assert!(sdp.ends_with("\r\n"));
    }

    #[test]
    fn the_audio_direction_follows_the_capability() {
        let mut p = params();
        p.audio_direction = Direction::RecvOnly;
        assert!(answer(OFFER, &p)
            .unwrap()
            .sdp
            .contains("a=mid:0\r\na=recvonly\r\n"));
    }

    #[test]
    fn other_sections_are_rejected_and_left_out_of_the_bundle() {
        let offer =
            format!("{OFFER}m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n");
        let sdp = answer(&offer, &params()).unwrap().sdp;
        assert!(sdp.contains("a=group:BUNDLE 0 1\r\n"));
        assert!(sdp.contains("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    }

    #[test]
    fn an_offer_with_ice_and_dtls_gives_the_audio_plan() {
        let offer = OFFER.replace(
            "a=mid:0\r\na=sendrecv\r\n",
            "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=mid:0\r\n\
             a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
             a=extmap:2/sendrecv http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n\
             a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendrecv\r\n\
             a=ssrc:3735928559 cname:x\r\na=ssrc:3735928559 msid:s1 a1\r\n",
        );
        let answer = answer(&offer, &params()).unwrap();
        assert_eq!(
            answer.audio,
            Some(AudioPlan {
                remote_ufrag: "abcd".into(),
                remote_pwd: "efghijklmnopqrstuvwxyz12".into(),
                remote_fingerprint: "sha-256 AB:CD".into(),
                mid: "0".into(),
                opus_pt: 111,
                audio_level_ext: Some(1),
                mid_ext: Some(4),
                remote_ssrc: Some(3_735_928_559),
            })
        );
        // Only the extensions the endpoint reads are answered, in the audio section.
        let audio = &answer.sdp[..answer.sdp.find("m=video").unwrap()];
        assert!(audio.contains("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
        assert!(audio.contains("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"));
        assert!(!answer.sdp.contains("abs-send-time"));
    }

    #[test]
    fn an_offer_without_dtls_gets_ice_only() {
        // The offer above has ICE credentials but no fingerprint: nothing a DTLS endpoint can
        // verify, so no audio plan.
        assert_eq!(answer(OFFER, &params()).unwrap().audio, None);
    }

    #[test]
    fn unusable_offers_are_named() {
        assert_eq!(answer("", &params()), Err(OfferError::NoMedia));
        assert_eq!(
            answer("v=0\r\nm=video 9 X 96\r\na=mid:0\r\n", &params()),
            Err(OfferError::NoAudio)
        );
        assert_eq!(
            answer(
                "m=audio 9 X 0\r\na=mid:0\r\na=rtpmap:0 PCMU/8000\r\n",
                &params()
            ),
            Err(OfferError::NoOpus)
        );
        assert_eq!(
            answer(
                "m=audio 9 X 111\r\na=rtpmap:111 opus/48000/2\r\n",
                &params()
            ),
            Err(OfferError::NoMid)
        );
        assert_eq!(
            answer(
                "m=audio 9 X 111\r\na=mid:0 1\r\na=rtpmap:111 opus/48000/2\r\n",
                &params()
            ),
            Err(OfferError::NoMid)
        );
        assert!(matches!(
            answer("m=audio\r\n", &params()),
            Err(OfferError::BadMediaLine(_))
        ));
        let huge = format!(
            "{OFFER}{}",
            "m=video 9 X 96\r\na=mid:v\r\n".repeat(MAX_SECTIONS)
        );
        assert_eq!(answer(&huge, &params()), Err(OfferError::TooManySections));
    }
}
