//! The seed file: read strictly, every default filled in and every rule checked before anything
//! is created, so that a bad file creates nothing. The checks are the ones the API applies to
//! CreateMeeting and BatchCreateAttendee (lengths, the documented ExternalUserId characters,
//! media Regions, the tag rules, the attendee cap), named by where they fail in the file.

use carillon_core::ids::{check_external_id, is_account_id};
use carillon_core::service::MEDIA_REGIONS;
use carillon_core::{Namespace, Scope, Tag, DEFAULT_MAX_ATTENDEES};
use serde::Deserialize;

/// The account a meeting goes to when the file names none (the test harness's first account).
pub(crate) const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// The Region of the meetings' ARNs when the file names none.
pub(crate) const DEFAULT_CONTROL_REGION: &str = "us-east-1";
/// The media Region when the file names none (the legacy API's own default).
pub(crate) const DEFAULT_MEDIA_REGION: &str = "us-east-1";
/// What ExternalMeetingIds start with when the file names none.
pub(crate) const DEFAULT_EXTERNAL_MEETING_ID: &str = "seed";
/// What generated ExternalUserIds start with when the file names no prefix.
pub(crate) const DEFAULT_USER_PREFIX: &str = "user-";
/// Meetings one request may create: a bigger seed is sent in several requests.
pub(crate) const MAX_MEETINGS: u64 = 10_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedFile {
    meetings: Vec<MeetingSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MeetingSpec {
    account_id: Option<String>,
    api: Option<String>,
    external_meeting_id: Option<String>,
    media_region: Option<String>,
    control_region: Option<String>,
    meeting_host_id: Option<String>,
    max_attendees: Option<u32>,
    #[serde(default)]
    tags: Vec<TagSpec>,
    attendees: Option<Vec<AttendeeSpec>>,
    attendee_count: Option<u32>,
    external_user_id_prefix: Option<String>,
    count: Option<u64>,
    index_from: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AttendeeSpec {
    external_user_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagSpec {
    pub key: String,
    pub value: String,
}

/// A seed file once checked: what to create, in file order.
#[derive(Debug)]
pub(crate) struct Plan {
    pub templates: Vec<Template>,
    pub meetings: u64,
    pub attendees: u64,
}

/// One entry of `meetings`, defaults filled in: `copies` meetings alike.
#[derive(Debug)]
pub(crate) struct Template {
    pub scope: Scope,
    pub control_region: String,
    pub media_region: String,
    pub external_meeting_id: String,
    /// With `count`: the first copy's number and how many; each copy's ExternalMeetingId ends
    /// with `-<number>`.
    pub numbered: Option<(u64, u64)>,
    pub meeting_host_id: Option<String>,
    pub max_attendees: Option<u32>,
    pub tags: Vec<Tag>,
    pub attendees: Attendees,
}

/// Each copy's attendees: listed, or generated as `<prefix><n>` for n from 1.
#[derive(Debug)]
pub(crate) enum Attendees {
    Listed(Vec<String>),
    Generated { prefix: String, count: u32 },
}

impl Attendees {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Attendees::Listed(ids) => ids.len() as u64,
            Attendees::Generated { count, .. } => u64::from(*count),
        }
    }

    /// The ExternalUserIds, in order.
    pub(crate) fn external_user_ids(&self) -> Box<dyn Iterator<Item = String> + Send + '_> {
        match self {
            Attendees::Listed(ids) => Box::new(ids.iter().cloned()),
            Attendees::Generated { prefix, count } => {
                Box::new((1..=*count).map(move |n| format!("{prefix}{n}")))
            }
        }
    }
}

impl Template {
    pub(crate) fn copies(&self) -> u64 {
        self.numbered.map_or(1, |(_, count)| count)
    }

    /// The ExternalMeetingId of copy `i` (from 0).
    pub(crate) fn external_meeting_id(&self, i: u64) -> String {
        match self.numbered {
            Some((from, _)) => format!("{}-{}", self.external_meeting_id, from + i),
            None => self.external_meeting_id.clone(),
        }
    }
}

/// Reads and checks a seed file; `Err` says where and what is wrong.
pub(crate) fn parse(body: &[u8]) -> Result<Plan, String> {
    let file: SeedFile =
        serde_json::from_slice(body).map_err(|e| format!("the seed file is not valid: {e}"))?;
    if file.meetings.is_empty() {
        return Err("meetings: expected at least one meeting".into());
    }
    let mut plan = Plan {
        templates: Vec::with_capacity(file.meetings.len()),
        meetings: 0,
        attendees: 0,
    };
    for (i, spec) in file.meetings.into_iter().enumerate() {
        let template = check(spec).map_err(|e| format!("meetings[{i}].{e}"))?;
        plan.meetings += template.copies();
        plan.attendees += template.copies() * template.attendees.len();
        if plan.meetings > MAX_MEETINGS {
            return Err(format!(
                "the file makes more than {MAX_MEETINGS} meetings: send it in several requests"
            ));
        }
        plan.templates.push(template);
    }
    Ok(plan)
}

fn check(spec: MeetingSpec) -> Result<Template, String> {
    let account_id = spec.account_id.unwrap_or_else(|| DEFAULT_ACCOUNT_ID.into());
    if !is_account_id(&account_id) {
        return Err(format!("accountId: {account_id:?} is not 12 digits"));
    }
    let namespace = match spec.api.as_deref() {
        None => Namespace::Meetings,
        Some(api) => Namespace::parse(api)
            .ok_or_else(|| format!("api: {api:?} is neither \"meetings\" nor \"legacy\""))?,
    };
    let media_region = spec
        .media_region
        .unwrap_or_else(|| DEFAULT_MEDIA_REGION.into());
    if !MEDIA_REGIONS.contains(&media_region.as_str()) {
        return Err(format!(
            "mediaRegion: {media_region:?} is not a supported media Region"
        ));
    }
    let control_region = spec
        .control_region
        .unwrap_or_else(|| DEFAULT_CONTROL_REGION.into());
    let region_shaped = |r: &str| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !region_shaped(&control_region) {
        return Err(format!(
            "controlRegion: {control_region:?} is not a Region name"
        ));
    }
    let numbered = match (spec.count, spec.index_from) {
        (None, None) => None,
        (None, Some(_)) => return Err("indexFrom: only with count".into()),
        (Some(count), from) => {
            if !(1..=MAX_MEETINGS).contains(&count) {
                return Err(format!("count: expected 1 to {MAX_MEETINGS}"));
            }
            Some((from.unwrap_or(1), count))
        }
    };
    let external_meeting_id = spec
        .external_meeting_id
        .unwrap_or_else(|| DEFAULT_EXTERNAL_MEETING_ID.into());
    // The longest a numbered id gets is the one with the largest number.
    let longest = match numbered {
        Some((from, count)) => format!("{external_meeting_id}-{}", from + count - 1),
        None => external_meeting_id.clone(),
    };
    check_external("externalMeetingId", &external_meeting_id, &longest)?;
    if let Some(host) = &spec.meeting_host_id {
        check_length("meetingHostId", host, 2, 64)?;
    }
    let max_attendees = match spec.max_attendees {
        Some(_) if namespace == Namespace::Legacy => return Err(
            "maxAttendees: the legacy API has no MeetingFeatures; its meetings take 250 attendees"
                .into(),
        ),
        Some(n) if !(1..=DEFAULT_MAX_ATTENDEES).contains(&n) => {
            return Err(format!(
                "maxAttendees: expected 1 to {DEFAULT_MAX_ATTENDEES}"
            ))
        }
        other => other,
    };
    let tags = super::tags::check(spec.tags, namespace)?;
    let attendees = check_attendees(
        spec.attendees,
        spec.attendee_count,
        spec.external_user_id_prefix,
    )?;
    let cap = max_attendees.unwrap_or(DEFAULT_MAX_ATTENDEES);
    if attendees.len() > u64::from(cap) {
        return Err(format!(
            "attendees: {} attendees for a meeting of at most {cap} (maxAttendees)",
            attendees.len()
        ));
    }
    Ok(Template {
        scope: Scope {
            account_id,
            namespace,
        },
        control_region,
        media_region,
        external_meeting_id,
        numbered,
        meeting_host_id: spec.meeting_host_id,
        max_attendees,
        tags,
        attendees,
    })
}

pub(crate) fn check_length(
    member: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), String> {
    let n = value.chars().count();
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(format!("{member}: {n} characters; expected {min} to {max}"))
    }
}

/// An ExternalMeetingId or ExternalUserId, and (for generated ones) its longest form.
fn check_external(member: &str, value: &str, longest: &str) -> Result<(), String> {
    check_length(member, value, 2, 64)?;
    check_length(member, longest, 2, 64)?;
    match check_external_id(value) {
        Some(problem) => Err(format!("{member}: {problem}")),
        None => Ok(()),
    }
}

fn check_attendees(
    listed: Option<Vec<AttendeeSpec>>,
    count: Option<u32>,
    prefix: Option<String>,
) -> Result<Attendees, String> {
    match (listed, count) {
        (Some(_), Some(_)) => Err("attendees: give attendees or attendeeCount, not both".into()),
        (Some(_), None) if prefix.is_some() => {
            Err("externalUserIdPrefix: only with attendeeCount".into())
        }
        (Some(listed), None) => {
            let mut seen = std::collections::HashSet::with_capacity(listed.len());
            let mut ids = Vec::with_capacity(listed.len());
            for (j, a) in listed.into_iter().enumerate() {
                let member = format!("attendees[{j}].externalUserId");
                check_external(&member, &a.external_user_id, &a.external_user_id)?;
                if !seen.insert(a.external_user_id.clone()) {
                    return Err(format!("{member}: given twice in this meeting"));
                }
                ids.push(a.external_user_id);
            }
            Ok(Attendees::Listed(ids))
        }
        (None, Some(count)) => {
            let prefix = prefix.unwrap_or_else(|| DEFAULT_USER_PREFIX.into());
            if count > 0 {
                // The shortest generated id ends in 1, the longest in `count`.
                let member = "externalUserIdPrefix";
                check_external(member, &format!("{prefix}1"), &format!("{prefix}{count}"))?;
            }
            Ok(Attendees::Generated { prefix, count })
        }
        (None, None) if prefix.is_some() => {
            Err("externalUserIdPrefix: only with attendeeCount".into())
        }
        (None, None) => Ok(Attendees::Listed(Vec::new())),
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
