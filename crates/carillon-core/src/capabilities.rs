//! Attendee capabilities against the meeting's features, as the model documents them for
//! `AttendeeCapabilities`, CreateAttendee, UpdateAttendeeCapabilities and
//! BatchUpdateAttendeeCapabilitiesExcept: no video or content capability on a meeting whose
//! `MaxResolution` for it is `None`, and content `SendReceive` or `Receive` only with video
//! `SendReceive` or `Receive`.

use crate::domain::{
    AttendeeCapabilities, ContentResolution, MediaCapability, MeetingFeatures, VideoResolution,
};

/// The capabilities an attendee gets when the request names none: `SendReceive` everywhere,
/// except that a meeting without video (`Video.MaxResolution=None`) gets video `Receive` when it
/// still has content (content `SendReceive` needs video at least `Receive`, as the model
/// documents) and video `None` when it has no content either; a meeting without content gets
/// content `None`.
pub fn default_capabilities(features: &MeetingFeatures) -> AttendeeCapabilities {
    let content_enabled = features.content_max_resolution() != ContentResolution::None;
    let video = if features.video_max_resolution() != VideoResolution::None {
        MediaCapability::SendReceive
    } else if content_enabled {
        MediaCapability::Receive
    } else {
        MediaCapability::None
    };
    let content = if content_enabled {
        MediaCapability::SendReceive
    } else {
        MediaCapability::None
    };
    AttendeeCapabilities {
        audio: MediaCapability::SendReceive,
        video,
        content,
    }
}

/// Checks capabilities named in a request. The message says which rule was broken.
pub fn check_capabilities(
    caps: &AttendeeCapabilities,
    features: &MeetingFeatures,
) -> Result<(), String> {
    if features.video_max_resolution() == VideoResolution::None
        && caps.video != MediaCapability::None
    {
        return Err(
            "Capabilities.Video must be None because the meeting's MeetingFeatures.Video.MaxResolution is None"
                .into(),
        );
    }
    if features.content_max_resolution() == ContentResolution::None
        && caps.content != MediaCapability::None
    {
        return Err(
            "Capabilities.Content must be None because the meeting's MeetingFeatures.Content.MaxResolution is None"
                .into(),
        );
    }
    if caps.content.receives() && !caps.video.receives() {
        return Err(
            "Capabilities.Content can be SendReceive or Receive only when Capabilities.Video is SendReceive or Receive"
                .into(),
        );
    }
    Ok(())
}

/// The capabilities to store for a new attendee: the requested ones once checked, or the defaults.
pub fn resolve_capabilities(
    requested: Option<AttendeeCapabilities>,
    features: &MeetingFeatures,
) -> Result<AttendeeCapabilities, String> {
    match requested {
        Some(caps) => check_capabilities(&caps, features).map(|()| caps),
        None => Ok(default_capabilities(features)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ContentFeatures, VideoFeatures};
    use MediaCapability::{Receive, Send, SendReceive};
    const NONE: MediaCapability = MediaCapability::None;

    fn features(
        video: Option<VideoResolution>,
        content: Option<ContentResolution>,
    ) -> MeetingFeatures {
        MeetingFeatures {
            video: Some(VideoFeatures {
                max_resolution: video,
            }),
            content: Some(ContentFeatures {
                max_resolution: content,
            }),
            ..Default::default()
        }
    }

    fn caps(
        audio: MediaCapability,
        video: MediaCapability,
        content: MediaCapability,
    ) -> AttendeeCapabilities {
        AttendeeCapabilities {
            audio,
            video,
            content,
        }
    }

    #[test]
    fn defaults_follow_the_documented_corner_cases() {
        let cases = [
            (None, None, caps(SendReceive, SendReceive, SendReceive)),
            (
                Some(VideoResolution::Fhd),
                Some(ContentResolution::Uhd),
                caps(SendReceive, SendReceive, SendReceive),
            ),
            (
                Some(VideoResolution::None),
                None,
                caps(SendReceive, Receive, SendReceive),
            ),
            (
                Some(VideoResolution::None),
                Some(ContentResolution::None),
                caps(SendReceive, NONE, NONE),
            ),
            (
                Some(VideoResolution::Hd),
                Some(ContentResolution::None),
                caps(SendReceive, SendReceive, NONE),
            ),
        ];
        for (video, content, expected) in cases {
            assert_eq!(
                default_capabilities(&features(video, content)),
                expected,
                "{video:?} {content:?}"
            );
        }
    }

    #[test]
    fn requested_capabilities_are_checked() {
        let all = MeetingFeatures::default();
        let ok = [
            caps(NONE, NONE, NONE),
            caps(Send, Receive, SendReceive),
            caps(SendReceive, SendReceive, Send),
            caps(Receive, NONE, Send),
            caps(NONE, NONE, Send),
        ];
        for c in ok {
            assert!(check_capabilities(&c, &all).is_ok(), "{c:?}");
        }
        let bad = [
            caps(SendReceive, NONE, Receive),
            caps(SendReceive, Send, SendReceive),
            caps(NONE, NONE, SendReceive),
        ];
        for c in bad {
            assert!(check_capabilities(&c, &all).is_err(), "{c:?}");
        }
        let no_video = features(Some(VideoResolution::None), None);
        assert!(check_capabilities(&caps(SendReceive, Receive, NONE), &no_video).is_err());
        assert!(check_capabilities(&caps(SendReceive, NONE, Send), &no_video).is_ok());
        let no_content = features(None, Some(ContentResolution::None));
        assert!(check_capabilities(&caps(SendReceive, SendReceive, Send), &no_content).is_err());
        assert!(check_capabilities(&caps(SendReceive, SendReceive, NONE), &no_content).is_ok());
    }
}
