//! An event as AWS documents it, checked member by member and in order (../shared/spec digest §9,
//! after <https://docs.aws.amazon.com/chime-sdk/latest/dg/using-events.html> and
//! <https://docs.aws.amazon.com/chime-sdk/latest/dg/transcription-events.html>).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use carillon_testkit::ACCOUNT_ID;

/// The envelope's members, in the documented order.
const ENVELOPE: [&str; 9] = [
    "version",
    "source",
    "account",
    "id",
    "region",
    "detail-type",
    "time",
    "resources",
    "detail",
];

/// What one event must say.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub event_type: &'static str,
    /// The control Region: the one the request was signed for.
    pub region: String,
    pub meeting_id: String,
    pub external_meeting_id: Option<String>,
    pub media_region: String,
    /// (AttendeeId, ExternalUserId).
    pub attendee: Option<(String, String)>,
    /// audio, video, content.
    pub capabilities: Option<[&'static str; 3]>,
    /// (transcriptionRegion, transcriptionConfiguration as JSON).
    pub transcription: Option<(String, Value)>,
}

impl Expect {
    pub fn meeting(event_type: &'static str, of: &Expect) -> Expect {
        Expect {
            event_type,
            attendee: None,
            capabilities: None,
            transcription: None,
            ..of.clone()
        }
    }

    pub fn attendee(event_type: &'static str, of: &Expect, id: &str, user: &str) -> Expect {
        Expect {
            attendee: Some((id.to_owned(), user.to_owned())),
            ..Expect::meeting(event_type, of)
        }
    }

    /// The detail's members for this type, in the documented order.
    fn detail_members(&self) -> Vec<&'static str> {
        let external = self.external_meeting_id.is_some();
        let mut m = vec!["version", "eventType"];
        if self.event_type == "chime:AttendeeCapabilitiesUpdated" {
            // The documented example puts success first and the meeting's ids before the
            // attendee's.
            m.extend(["success", "timestamp", "meetingId"]);
            m.extend(external.then_some("externalMeetingId"));
            m.extend(["attendeeId", "externalUserId", "mediaRegion"]);
            m.push("attendeeCapabilities");
            return m;
        }
        m.extend(["timestamp", "meetingId"]);
        if self.attendee.is_some() {
            m.extend(["attendeeId", "externalUserId"]);
        }
        m.extend(external.then_some("externalMeetingId"));
        m.push("mediaRegion");
        if self.transcription.is_some() {
            m.extend(["transcriptionRegion", "transcriptionConfiguration"]);
        }
        m
    }
}

/// A JSON object's members in the order they were written.
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// The members of the JSON object `raw`, in order, and their values.
fn members(raw: &str) -> (Vec<String>, serde_json::Map<String, Value>) {
    let Members(members) = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{e}: {raw}"));
    let names = members.iter().map(|(k, _)| k.clone()).collect();
    let values = members
        .into_iter()
        .map(|(k, v)| (k, serde_json::from_str(v.get()).unwrap()))
        .collect();
    (names, values)
}

/// Checks the envelope `raw` (as sent) against `e`, member by member; returns its `id`.
pub fn check(raw: &str, e: &Expect) -> String {
    let (names, env) = members(raw);
    assert_eq!(names, ENVELOPE, "envelope members of {raw}");
    assert_eq!(env["version"], "0", "{raw}");
    assert_eq!(env["source"], "aws.chime", "{raw}");
    assert_eq!(env["account"], ACCOUNT_ID, "{raw}");
    let id = env["id"].as_str().unwrap().to_owned();
    assert_uuid(&id);
    assert_eq!(env["region"], e.region.as_str(), "{raw}");
    assert_eq!(env["detail-type"], "Chime Meeting State Change", "{raw}");
    assert_eq!(env["resources"], json!([]), "{raw}");

    let detail_raw = serde_json::to_string(&env["detail"]).unwrap();
    let detail_text = &raw[raw.rfind("\"detail\":").unwrap() + "\"detail\":".len()..raw.len() - 1];
    let (names, d) = members(detail_text);
    assert_eq!(names, e.detail_members(), "detail members of {raw}");
    assert_eq!(d["version"], "0", "{detail_raw}");
    assert_eq!(d["eventType"], e.event_type, "{detail_raw}");
    let timestamp = d["timestamp"]
        .as_i64()
        .unwrap_or_else(|| panic!("timestamp is not a number: {detail_raw}"));
    let now = now_ms();
    assert!(
        (now - 120_000..=now + 5_000).contains(&timestamp),
        "timestamp {timestamp} is not near now ({now})"
    );
    let time = env["time"].as_str().unwrap();
    assert_eq!(
        epoch_s_of(time),
        Some(timestamp.div_euclid(1000)),
        "time {time} is not the timestamp {timestamp} to the second"
    );
    assert_eq!(d["meetingId"], e.meeting_id.as_str(), "{detail_raw}");
    if let Some(external) = &e.external_meeting_id {
        assert_eq!(d["externalMeetingId"], external.as_str(), "{detail_raw}");
    }
    assert_eq!(d["mediaRegion"], e.media_region.as_str(), "{detail_raw}");
    if let Some((id, user)) = &e.attendee {
        assert_eq!(d["attendeeId"], id.as_str(), "{detail_raw}");
        assert_eq!(d["externalUserId"], user.as_str(), "{detail_raw}");
    }
    if let Some([audio, video, content]) = e.capabilities {
        assert_eq!(d["success"], "1", "{detail_raw}");
        let caps = json!({"audio": audio, "video": video, "content": content});
        assert_eq!(d["attendeeCapabilities"], caps, "{detail_raw}");
    }
    if let Some((region, configuration)) = &e.transcription {
        assert_eq!(d["transcriptionRegion"], region.as_str(), "{detail_raw}");
        let text = d["transcriptionConfiguration"]
            .as_str()
            .unwrap_or_else(|| panic!("the configuration is a JSON string: {detail_raw}"));
        let parsed: Value = serde_json::from_str(text).unwrap();
        assert_eq!(&parsed, configuration, "{detail_raw}");
    }
    id
}

pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

pub fn assert_uuid(id: &str) {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    assert_eq!(lengths, [8, 4, 4, 4, 12], "not a UUID: {id}");
    assert!(
        id.bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "not a lowercase UUID: {id}"
    );
}

/// The epoch seconds of `yyyy-mm-ddThh:mm:ssZ`, or `None` when `time` has another form.
fn epoch_s_of(time: &str) -> Option<i64> {
    let b = time.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let n = |from: usize, to: usize| time[from..to].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // Days since 1970-01-01 of a proleptic Gregorian date, counting years from March so that
    // the leap day is the last of its year.
    let (y, m) = if m <= 2 { (y - 1, m + 12) } else { (y, m) };
    let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d - 719_469;
    Some(days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19))
}

#[test]
fn times_convert_to_epoch_seconds() {
    assert_eq!(epoch_s_of("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(epoch_s_of("2000-02-29T00:00:00Z"), Some(951_782_400));
    assert_eq!(epoch_s_of("2024-03-01T00:00:00Z"), Some(1_709_251_200));
    assert_eq!(epoch_s_of("2024-02-29T12:34:56.789Z"), None);
    assert_eq!(epoch_s_of("2024-02-29 12:34:56Z"), None);
}
