//! Data-driven decoding and validation: `check(model, request line, body, expected)` where
//! `expected` lists `"<path>: <constraint>"` for every violation, or is empty for a valid input.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod support;

use carillon_model::{DecodeError, ServiceModel};
use serde_json::{json, Value};
use support::{current, legacy, route, split_line, ATTENDEE, MEETING};

const GUID: &str = "[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}";
const CAPABILITIES: &str = "[SendReceive, Send, Receive, None]";

fn decode(model: &ServiceModel, line: &str, body: &[u8]) -> Result<Value, DecodeError> {
    let (_, _, query) = split_line(line);
    let found = route(model, line).unwrap_or_else(|e| panic!("{line}: {e}"));
    model.decode(&found, &query, body)
}

/// Decodes and compares the violations (path and constraint) with `expected`.
fn check(model: &ServiceModel, line: &str, body: &str, expected: &[&str]) -> Option<Value> {
    match decode(model, line, body.as_bytes()) {
        Ok(value) => {
            assert!(
                expected.is_empty(),
                "{line} {body}: accepted, expected {expected:?}"
            );
            Some(value)
        }
        Err(DecodeError::Invalid(violations)) => {
            let found: Vec<String> = violations
                .iter()
                .map(|v| format!("{}: {}", v.path, v.constraint))
                .collect();
            assert_eq!(found, expected, "{line} {body}");
            None
        }
        Err(other) => panic!("{line} {body}: {other:?}"),
    }
}

/// A CreateMeeting body: the required members plus `patch`.
fn meeting(patch: Value) -> String {
    let mut body = json!({
        "ClientRequestToken": "token-1",
        "MediaRegion": "us-east-1",
        "ExternalMeetingId": "meeting-1",
    });
    for (key, value) in patch.as_object().unwrap() {
        body[key] = value.clone();
    }
    body.to_string()
}

fn min_len(path: &str, n: u64) -> String {
    format!("{path}: Member must have length greater than or equal to {n}")
}

fn max_len(path: &str, n: u64) -> String {
    format!("{path}: Member must have length less than or equal to {n}")
}

fn pattern(path: &str, pattern: &str) -> String {
    format!("{path}: Member must satisfy regular expression pattern: {pattern}")
}

fn not_null(path: &str) -> String {
    format!("{path}: Member must not be null")
}

fn refs(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).collect()
}

const CREATE: &str = "POST /meetings";

#[test]
fn valid_create_meeting_is_canonical() {
    let model = current();
    let body = meeting(json!({"Unknown": 1, "MeetingHostId": null, "Tags": []}));
    let value = check(&model, CREATE, &body, &[]).unwrap();
    assert_eq!(
        value,
        json!({
            "ClientRequestToken": "token-1",
            "MediaRegion": "us-east-1",
            "ExternalMeetingId": "meeting-1",
            "Tags": [],
        })
    );
}

#[test]
fn client_request_token() {
    let model = current();
    let p = "[-_a-zA-Z0-9]*";
    let cases: Vec<(Value, Vec<String>)> = vec![
        (json!("ab"), vec![]),
        (json!("a"), vec![min_len("ClientRequestToken", 2)]),
        (json!(""), vec![min_len("ClientRequestToken", 2)]),
        (json!("x".repeat(64)), vec![]),
        (
            json!("x".repeat(65)),
            vec![max_len("ClientRequestToken", 64)],
        ),
        (json!("bad token!"), vec![pattern("ClientRequestToken", p)]),
        (
            json!("!"),
            vec![
                min_len("ClientRequestToken", 2),
                pattern("ClientRequestToken", p),
            ],
        ),
        (
            json!(5),
            vec!["ClientRequestToken: Member must be a string".into()],
        ),
        (json!(null), vec![not_null("ClientRequestToken")]),
    ];
    for (token, expected) in cases {
        let body = meeting(json!({ "ClientRequestToken": token }));
        check(&model, CREATE, &body, &refs(&expected));
    }
}

#[test]
fn lengths_count_code_points() {
    let model = current();
    for (region, expected) in [
        ("u", vec![min_len("MediaRegion", 2)]),
        ("us", vec![]),
        (&"é".repeat(64) as &str, vec![]),
        (&"é".repeat(65) as &str, vec![max_len("MediaRegion", 64)]),
        (&"😀".repeat(2) as &str, vec![]),
    ] {
        let body = meeting(json!({ "MediaRegion": region }));
        check(&model, CREATE, &body, &refs(&expected));
    }
    let body = meeting(json!({ "MeetingHostId": "x" }));
    check(&model, CREATE, &body, &[&min_len("MeetingHostId", 2)]);
}

#[test]
fn external_user_id_length() {
    let model = current();
    let line = "POST /meetings/{M}/attendees";
    check(&model, line, r#"{"ExternalUserId":"u1"}"#, &[]);
    check(
        &model,
        line,
        r#"{"ExternalUserId":"u"}"#,
        &[&min_len("ExternalUserId", 2)],
    );
    let long = json!({ "ExternalUserId": "u".repeat(65) }).to_string();
    check(&model, line, &long, &[&max_len("ExternalUserId", 64)]);
    check(&model, line, "{}", &[&not_null("ExternalUserId")]);
}

#[test]
fn tenant_ids() {
    let model = current();
    let p = r"^(?!.*?(.)\1{3})[-_!@#$a-zA-Z0-9]*$";
    let cases: Vec<(Value, Vec<String>)> = vec![
        (json!(["aaa"]), vec![]),
        (json!(["abab"]), vec![]),
        (json!(["t-1_!@#$"]), vec![]),
        (json!(["aaaa"]), vec![pattern("TenantIds[0]", p)]),
        (json!(["ok", "xbbbby"]), vec![pattern("TenantIds[1]", p)]),
        (json!(["a b"]), vec![pattern("TenantIds[0]", p)]),
        (json!(["a"]), vec![min_len("TenantIds[0]", 2)]),
        (json!([]), vec![min_len("TenantIds", 1)]),
        (json!(["t1", "t2", "t3", "t4", "t5"]), vec![]),
        (
            json!(["t1", "t2", "t3", "t4", "t5", "t6"]),
            vec![max_len("TenantIds", 5)],
        ),
        (json!("t1"), vec!["TenantIds: Member must be a list".into()]),
        (json!([null]), vec![not_null("TenantIds[0]")]),
        (
            json!([7]),
            vec!["TenantIds[0]: Member must be a string".into()],
        ),
    ];
    for (ids, expected) in cases {
        let body = meeting(json!({ "TenantIds": ids }));
        check(&model, CREATE, &body, &refs(&expected));
    }
}

#[test]
fn tags() {
    let model = current();
    let key = "^[a-zA-Z+-=._:/]+$";
    let value = r"[\s\w+-=\.:/@]*";
    let cases: Vec<(Value, Vec<String>)> = vec![
        // `+-=` is a range: `;`, `<`, digits and `,` are inside it.
        (json!([{"Key": "a;b", "Value": ""}]), vec![]),
        (
            json!([{"Key": "0", "Value": "with spaces\tand_under"}]),
            vec![],
        ),
        (
            json!([{"Key": "<,>", "Value": "v"}]),
            vec![pattern("Tags[0].Key", key)],
        ),
        (
            json!([{"Key": "a b", "Value": "v"}]),
            vec![pattern("Tags[0].Key", key)],
        ),
        (
            json!([{"Key": "", "Value": "v"}]),
            vec![min_len("Tags[0].Key", 1), pattern("Tags[0].Key", key)],
        ),
        (
            json!([{"Key": "k", "Value": "a#b"}]),
            vec![pattern("Tags[0].Value", value)],
        ),
        (json!([{"Key": "k", "Value": "x@y.z:1/2"}]), vec![]),
        (json!([{"Key": "k"}]), vec![not_null("Tags[0].Value")]),
        (
            json!([{"Value": "v"}, {"Key": "k", "Value": null}]),
            vec![not_null("Tags[0].Key"), not_null("Tags[1].Value")],
        ),
        (
            json!(["k=v"]),
            vec!["Tags[0]: Member must be an object".into()],
        ),
    ];
    for (tags, expected) in cases {
        let body = meeting(json!({ "Tags": tags }));
        check(&model, CREATE, &body, &refs(&expected));
    }
    let many: Vec<Value> = (0..51)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    check(
        &model,
        CREATE,
        &meeting(json!({ "Tags": many })),
        &[&max_len("Tags", 50)],
    );

    let tag = "POST /tags?operation=tag-resource";
    let arn = "arn:aws:chime:us-east-1:111122223333:meeting/x";
    check(
        &model,
        tag,
        &json!({"ResourceARN": arn, "Tags": []}).to_string(),
        &[],
    );
    check(
        &model,
        tag,
        &json!({"ResourceARN": "urn:x", "Tags": []}).to_string(),
        &[&pattern("ResourceARN", "^arn:.*")],
    );
    let untag = "POST /tags?operation=untag-resource";
    check(
        &model,
        untag,
        &json!({"ResourceARN": arn, "TagKeys": ["ok", "not ok"]}).to_string(),
        &[&pattern("TagKeys[1]", key)],
    );
}

#[test]
fn enums() {
    let model = current();
    let body = meeting(json!({ "MediaPlacementNetworkType": "Ipv6Only" }));
    check(
        &model,
        CREATE,
        &body,
        &["MediaPlacementNetworkType: Member must satisfy enum value set: [Ipv4Only, DualStack]"],
    );
    let body = meeting(json!({ "MediaPlacementNetworkType": "DualStack" }));
    check(&model, CREATE, &body, &[]);

    let line = "PUT /meetings/{M}/attendees/{A}/capabilities";
    let body = json!({"Capabilities": {"Audio": "Loud", "Video": "Send", "Content": "none"}});
    let expected = [
        format!("Capabilities.Audio: Member must satisfy enum value set: {CAPABILITIES}"),
        format!("Capabilities.Content: Member must satisfy enum value set: {CAPABILITIES}"),
    ];
    check(&model, line, &body.to_string(), &refs(&expected));
}

#[test]
fn integer_bounds_and_types() {
    let model = current();
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!(1), vec![]),
        (json!(250), vec![]),
        (
            json!(0),
            vec!["Attendee.MaxCount: Member must have value greater than or equal to 1"],
        ),
        (
            json!(251),
            vec!["Attendee.MaxCount: Member must have value less than or equal to 250"],
        ),
        (
            json!(-5),
            vec!["Attendee.MaxCount: Member must have value greater than or equal to 1"],
        ),
        (
            json!("5"),
            vec!["Attendee.MaxCount: Member must be an integer"],
        ),
        (
            json!(2.5),
            vec!["Attendee.MaxCount: Member must be an integer"],
        ),
        (
            json!(2147483648_i64),
            vec!["Attendee.MaxCount: Member must be an integer"],
        ),
        (
            json!(true),
            vec!["Attendee.MaxCount: Member must be an integer"],
        ),
    ];
    for (max, expected) in cases {
        let body = meeting(json!({ "MeetingFeatures": {"Attendee": {"MaxCount": max}} }));
        let expected: Vec<String> = expected
            .iter()
            .map(|e| format!("MeetingFeatures.{e}"))
            .collect();
        check(&model, CREATE, &body, &refs(&expected));
    }
}

#[test]
fn wrong_json_types() {
    let model = current();
    let body = meeting(json!({
        "MeetingFeatures": [],
        "NotificationsConfiguration": "arn",
        "TenantIds": {"a": 1},
        "ExternalMeetingId": ["x"],
    }));
    check(
        &model,
        CREATE,
        &body,
        &[
            "ExternalMeetingId: Member must be a string",
            "MeetingFeatures: Member must be an object",
            "NotificationsConfiguration: Member must be an object",
            "TenantIds: Member must be a list",
        ],
    );

    let start = "POST /meetings/{M}/transcription?operation=start";
    let body = json!({"TranscriptionConfiguration": {"EngineTranscribeSettings": {
        "LanguageCode": "en-US", "EnablePartialResultsStabilization": "yes"}}});
    check(
        &model,
        start,
        &body.to_string(),
        &["TranscriptionConfiguration.EngineTranscribeSettings.EnablePartialResultsStabilization: Member must be a boolean"],
    );
    let body = json!({"TranscriptionConfiguration": {"EngineTranscribeSettings": {
        "LanguageCode": "en-US", "EnablePartialResultsStabilization": true}}});
    check(&model, start, &body.to_string(), &[]);
    check(
        &model,
        start,
        "{}",
        &[&not_null("TranscriptionConfiguration")],
    );
}

#[test]
fn null_means_absent() {
    let model = current();
    let body = meeting(
        json!({"MeetingHostId": null, "TenantIds": null, "MeetingFeatures": {"Audio": null}}),
    );
    let value = check(&model, CREATE, &body, &[]).unwrap();
    assert!(value.get("MeetingHostId").is_none());
    assert!(value.get("TenantIds").is_none());
    assert_eq!(value["MeetingFeatures"], json!({}));

    let body = meeting(json!({"ExternalMeetingId": null}));
    check(&model, CREATE, &body, &[&not_null("ExternalMeetingId")]);
}

#[test]
fn required_nested_members() {
    let model = current();
    let line = "PUT /meetings/{M}/attendees/{A}/capabilities";
    check(
        &model,
        line,
        r#"{"Capabilities":{"Audio":"SendReceive"}}"#,
        &[
            &not_null("Capabilities.Content"),
            &not_null("Capabilities.Video"),
        ],
    );
    check(
        &model,
        line,
        r#"{"Capabilities":{"Audio":"Send","Video":"Receive","Content":"None"}}"#,
        &[],
    );
    check(&model, line, "{}", &[&not_null("Capabilities")]);

    let batch = "POST /meetings/{M}/attendees?operation=batch-create";
    let body = json!({"Attendees": [
        {"ExternalUserId": "u1", "Capabilities": {"Audio": "Send", "Video": "Send"}},
        {"Capabilities": {"Audio": "Send", "Video": "Send", "Content": "Send"}}
    ]});
    check(
        &model,
        batch,
        &body.to_string(),
        &[
            &not_null("Attendees[0].Capabilities.Content"),
            &not_null("Attendees[1].ExternalUserId"),
        ],
    );
}

fn attendees(n: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| json!({"ExternalUserId": format!("user-{i}")}))
        .collect();
    Value::Array(list)
}

#[test]
fn attendee_list_sizes() {
    let model = current();
    let batch = "POST /meetings/{M}/attendees?operation=batch-create";
    check(
        &model,
        batch,
        &json!({"Attendees": attendees(1)}).to_string(),
        &[],
    );
    check(
        &model,
        batch,
        &json!({"Attendees": attendees(100)}).to_string(),
        &[],
    );
    check(
        &model,
        batch,
        &json!({"Attendees": attendees(0)}).to_string(),
        &[&min_len("Attendees", 1)],
    );
    check(
        &model,
        batch,
        &json!({"Attendees": attendees(101)}).to_string(),
        &[&max_len("Attendees", 100)],
    );

    let with = "POST /meetings?operation=create-attendees";
    let body = |n| meeting(json!({ "Attendees": attendees(n) }));
    check(&model, with, &body(20), &[]);
    check(&model, with, &body(21), &[&max_len("Attendees", 20)]);
    check(&model, with, &body(0), &[&min_len("Attendees", 1)]);
    let body = meeting(json!({"Attendees": [{"ExternalUserId": "ok"}, {"ExternalUserId": "x"}]}));
    check(
        &model,
        with,
        &body,
        &[&min_len("Attendees[1].ExternalUserId", 2)],
    );
    check(&model, with, &meeting(json!({})), &[&not_null("Attendees")]);
}

#[test]
fn excluded_attendee_ids() {
    let model = current();
    let line = "PUT /meetings/{M}/attendees/capabilities?operation=batch-update-except";
    let caps = json!({"Audio": "Send", "Video": "Send", "Content": "Send"});
    let ids = |n: usize| -> Value { (0..n).map(|_| json!({"AttendeeId": ATTENDEE})).collect() };
    let body = |list: Value| json!({"ExcludedAttendeeIds": list, "Capabilities": caps}).to_string();
    check(&model, line, &body(ids(1)), &[]);
    check(&model, line, &body(ids(250)), &[]);
    check(
        &model,
        line,
        &body(ids(0)),
        &[&min_len("ExcludedAttendeeIds", 1)],
    );
    check(
        &model,
        line,
        &body(ids(251)),
        &[&max_len("ExcludedAttendeeIds", 250)],
    );
    check(
        &model,
        line,
        &body(json!([{"AttendeeId": "nope"}, {}])),
        &[
            &pattern("ExcludedAttendeeIds[0].AttendeeId", GUID),
            &not_null("ExcludedAttendeeIds[1].AttendeeId"),
        ],
    );
}

#[test]
fn guid_labels() {
    let model = current();
    check(&model, "GET /meetings/{M}", "", &[]);
    let upper = MEETING.to_uppercase();
    let value = check(&model, &format!("GET /meetings/{upper}"), "", &[]).unwrap();
    assert_eq!(value, json!({ "MeetingId": upper }));
    check(
        &model,
        "GET /meetings/not-a-guid",
        "",
        &[&pattern("MeetingId", GUID)],
    );
    check(
        &model,
        &format!("GET /meetings/{MEETING}x"),
        "",
        &[&pattern("MeetingId", GUID)],
    );
    check(
        &model,
        "DELETE /meetings/{M}/attendees/a%2Fb",
        "",
        &[&pattern("AttendeeId", GUID)],
    );
    check(
        &model,
        "GET /meetings/x/attendees/capabilities",
        "",
        // Members are checked in name order.
        &[&pattern("AttendeeId", GUID), &pattern("MeetingId", GUID)],
    );
}

#[test]
fn query_members() {
    let model = current();
    let list = "GET /meetings/{M}/attendees";
    let value = check(
        &model,
        &format!("{list}?max-results=100&next-token=a%2Bb+c"),
        "",
        &[],
    )
    .unwrap();
    assert_eq!(
        value,
        json!({"MeetingId": MEETING, "MaxResults": 100, "NextToken": "a+b+c"})
    );
    let cases = [
        ("max-results=1", vec![]),
        (
            "max-results=0",
            vec!["MaxResults: Member must have value greater than or equal to 1"],
        ),
        (
            "max-results=101",
            vec!["MaxResults: Member must have value less than or equal to 100"],
        ),
        (
            "max-results=-1",
            vec!["MaxResults: Member must have value greater than or equal to 1"],
        ),
        (
            "max-results=abc",
            vec!["MaxResults: Member must be an integer"],
        ),
        (
            "max-results=",
            vec!["MaxResults: Member must be an integer"],
        ),
        (
            "max-results=+5",
            vec!["MaxResults: Member must be an integer"],
        ),
        (
            "max-results=5.0",
            vec!["MaxResults: Member must be an integer"],
        ),
        (
            "max-results=2147483648",
            vec!["MaxResults: Member must be an integer"],
        ),
        ("unknown=1&MaxResults=0", vec![]),
    ];
    for (query, expected) in cases {
        check(&model, &format!("{list}?{query}"), "", &expected);
    }
    let long = format!("{list}?next-token={}", "t".repeat(4097));
    check(&model, &long, "", &[&max_len("NextToken", 4096)]);

    let repeated = decode(&model, &format!("{list}?max-results=5&max-results=6"), b"");
    assert_eq!(
        repeated,
        Err(DecodeError::BadQuery(
            "Query parameter 'max-results' must not be repeated".into()
        ))
    );

    let tags = "GET /tags";
    let value = check(
        &model,
        &format!("{tags}?arn=arn%3Aaws%3Achime%3A%3A1%3Ameeting%2Fx"),
        "",
        &[],
    )
    .unwrap();
    assert_eq!(value, json!({"ResourceARN": "arn:aws:chime::1:meeting/x"}));
    check(&model, tags, "", &[&not_null("ResourceARN")]);
    check(
        &model,
        &format!("{tags}?arn="),
        "",
        &[
            &min_len("ResourceARN", 1),
            &pattern("ResourceARN", "^arn:.*"),
        ],
    );
}

#[test]
fn labels_win_over_body_keys() {
    let model = current();
    let line = "POST /meetings/{M}/attendees";
    let body = json!({"MeetingId": "other", "ExternalUserId": "user-1", "Extra": true});
    let value = check(&model, line, &body.to_string(), &[]).unwrap();
    assert_eq!(
        value,
        json!({"MeetingId": MEETING, "ExternalUserId": "user-1"})
    );

    // Query members are not read from the body either.
    let list = "GET /meetings/{M}/attendees";
    let value = check(&model, list, r#"{"MaxResults": 0}"#, &[]).unwrap();
    assert_eq!(value, json!({"MeetingId": MEETING}));
}

#[test]
fn bodies() {
    let model = current();
    let create = |body: &[u8]| decode(&model, CREATE, body);
    assert_eq!(create(b"[]"), Err(DecodeError::NotAnObject));
    assert_eq!(create(b"\"text\""), Err(DecodeError::NotAnObject));
    assert_eq!(create(b"null"), Err(DecodeError::NotAnObject));
    assert_eq!(create(b"7"), Err(DecodeError::NotAnObject));

    let secret = "{\"ExternalMeetingId\": \"hunter2\"";
    let Err(DecodeError::MalformedJson(message)) = create(secret.as_bytes()) else {
        panic!("truncated JSON accepted");
    };
    assert!(message.contains("line 1 column"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(matches!(
        create(b"{\"a\":1,}"),
        Err(DecodeError::MalformedJson(_))
    ));
    assert!(matches!(create(b" "), Err(DecodeError::MalformedJson(_))));
    assert!(matches!(
        create(b"{\"a\":\"\xff\"}"),
        Err(DecodeError::MalformedJson(_))
    ));
    assert!(matches!(
        create(b"{} {}"),
        Err(DecodeError::MalformedJson(_))
    ));

    // Nesting beyond the parser's limit is malformed, not a stack overflow.
    let deep = format!(
        "{{\"MeetingFeatures\":{}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(matches!(
        create(deep.as_bytes()),
        Err(DecodeError::MalformedJson(_))
    ));

    // An empty body is an empty object.
    check(
        &model,
        CREATE,
        "",
        &[
            &not_null("ClientRequestToken"),
            &not_null("ExternalMeetingId"),
            &not_null("MediaRegion"),
        ],
    );
    check(
        &model,
        "POST /meetings/{M}/attendees?operation=batch-create",
        "",
        &[&not_null("Attendees")],
    );

    // Operations without body members never read the body.
    check(&model, "GET /meetings/{M}", "not json", &[]);
    check(
        &model,
        "POST /meetings/{M}/transcription?operation=stop",
        "[1]",
        &[],
    );
}

#[test]
fn string_rules() {
    let mut model = current();
    model.add_string_rule("ExternalUserId", |value| {
        value
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
            .then(|| "Member must not begin with the reserved prefix aws:".to_owned())
    });
    let line = "POST /meetings/{M}/attendees";
    check(&model, line, r#"{"ExternalUserId":"user-1"}"#, &[]);
    check(
        &model,
        line,
        r#"{"ExternalUserId":"AWS:x"}"#,
        &["ExternalUserId: Member must not begin with the reserved prefix aws:"],
    );
    // Model constraints come first, then the rule; nested values are covered too.
    let with = "POST /meetings?operation=create-attendees";
    let body = meeting(
        json!({"Attendees": [{"ExternalUserId": "ok"}, {"ExternalUserId": "aws:".to_owned() + &"x".repeat(61)}],
                              "MeetingHostId": "aws:host"}),
    );
    check(
        &model,
        with,
        &body,
        &[
            &max_len("Attendees[1].ExternalUserId", 64),
            "Attendees[1].ExternalUserId: Member must not begin with the reserved prefix aws:",
            "MeetingHostId: Member must not begin with the reserved prefix aws:",
        ],
    );
    // Other shapes are unaffected.
    check(
        &model,
        CREATE,
        &meeting(json!({"ExternalMeetingId": "aws:m"})),
        &[],
    );
}

#[test]
#[should_panic(expected = "no string shape")]
fn string_rule_needs_a_string_shape() {
    current().add_string_rule("ExternalUserIdType", |_| None);
}

#[test]
fn messages_name_members_and_never_values() {
    let model = current();
    let secret = "s3cr3t-".repeat(10);
    let line = "POST /meetings/{M}/attendees";
    let err = decode(
        &model,
        line,
        json!({ "ExternalUserId": secret }).to_string().as_bytes(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(
        text,
        "1 validation error detected: Value at 'ExternalUserId' failed to satisfy constraint: \
         Member must have length less than or equal to 64"
    );
    assert!(!text.contains("s3cr3t"));

    let batch = "POST /meetings/{M}/attendees?operation=batch-create";
    let bad: Vec<Value> = (0..12).map(|_| json!({"ExternalUserId": "x"})).collect();
    let err = decode(
        &model,
        batch,
        json!({ "Attendees": bad }).to_string().as_bytes(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with(
        "12 validation errors detected: Value at 'Attendees[0].ExternalUserId' failed to satisfy \
         constraint: Member must have length greater than or equal to 2; Value at 'Attendees[1]"
    ));
    assert!(text.contains("Attendees[9]"));
    assert!(!text.contains("Attendees[10]"));
    assert!(text.ends_with("; and 2 more"));

    assert_eq!(
        DecodeError::NotAnObject.to_string(),
        "The request body must be a JSON object"
    );
}

#[test]
fn legacy_constraints() {
    let model = legacy();
    let create = "POST /meetings";
    let value = check(&model, create, r#"{"ClientRequestToken":"token-1"}"#, &[]).unwrap();
    assert_eq!(value, json!({"ClientRequestToken": "token-1"}));
    assert_eq!(model.operation("CreateMeeting").unwrap().success_code, 201);

    let with = "POST /meetings?operation=create-attendees";
    let body = json!({"ClientRequestToken": "token-1", "Attendees": attendees(11)});
    check(
        &model,
        with,
        &body.to_string(),
        &[&max_len("Attendees", 10)],
    );

    // No maximum for BatchCreateAttendee in the legacy model.
    let batch = "POST /meetings/{M}/attendees?operation=batch-create";
    check(
        &model,
        batch,
        &json!({"Attendees": attendees(101)}).to_string(),
        &[],
    );

    let list = "GET /meetings/{M}/attendees";
    check(&model, &format!("{list}?max-results=99"), "", &[]);
    check(
        &model,
        &format!("{list}?max-results=100"),
        "",
        &["MaxResults: Member must have value less than or equal to 99"],
    );

    let tag = "POST /meetings/{M}/tags?operation=add";
    check(&model, tag, r#"{"Tags":[{"Key":"a b","Value":"v"}]}"#, &[]);
    check(&model, tag, r#"{"Tags":[]}"#, &[&min_len("Tags", 1)]);
    check(
        &model,
        tag,
        r#"{"Tags":[{"Key":"k","Value":""}]}"#,
        &[&min_len("Tags[0].Value", 1)],
    );

    let attendee_tags = "POST /meetings/{M}/attendees/{A}/tags?operation=delete";
    let keys: Vec<String> = (0..11).map(|i| format!("k{i}")).collect();
    check(
        &model,
        attendee_tags,
        &json!({ "TagKeys": keys }).to_string(),
        &[&max_len("TagKeys", 10)],
    );

    check(&model, "GET /meetings/{M}", "", &[]);
    check(
        &model,
        "GET /meetings/nope",
        "",
        &[&pattern("MeetingId", GUID)],
    );
}
