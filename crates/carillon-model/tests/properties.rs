//! Property tests on arbitrary requests, for the current and the legacy model: `route` and
//! `decode` never panic, every error has a message, no error message repeats a value of the
//! request, and an accepted input is a fixed point of decoding.
//!
//! Short by default, as part of `cargo test`; set `PROPTEST_CASES` for a longer run, e.g.
//! `PROPTEST_CASES=100000 cargo test --release -p carillon-model --test properties`.

use std::sync::OnceLock;

use carillon_model::{
    ServiceModel, CHIME_2018_05_01, CHIME_2018_05_01_MEETING_OPERATIONS,
    CHIME_SDK_MEETINGS_2021_07_15,
};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};
use serde_json::{Map, Number, Value};

/// Put in every string value of a request; no message of the model contains it.
const CANARY: &str = "qzxcanary";
/// Put in numeric values; no message of the model contains it.
const NUMBER_CANARY: i64 = 7_391_845_263;
const GUID: &str = "0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11";

fn models() -> &'static [ServiceModel; 2] {
    static MODELS: OnceLock<[ServiceModel; 2]> = OnceLock::new();
    MODELS.get_or_init(|| {
        [
            ServiceModel::from_json(CHIME_SDK_MEETINGS_2021_07_15).expect("current model"),
            ServiceModel::from_json_with_operations(
                CHIME_2018_05_01,
                CHIME_2018_05_01_MEETING_OPERATIONS,
            )
            .expect("legacy model"),
        ]
    })
}

/// `cases` unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // Failing cases are kept in `tests/properties.regressions` and tried first next time.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get"])
            .prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// A string value that carries the canary.
fn canary_text() -> impl Strategy<Value = String> {
    "[ -~]{0,8}".prop_map(|suffix| format!("{CANARY}{suffix}"))
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "meetings", "attendees", "tags", "transcription", "capabilities", GUID,
            "0C4A6A8E-5B8D-4D16-9E2A-3F1F7C1A9B11", "..", ".", "", "%2e%2e", "%2F", "%252F",
            "%00", "%FF", "%C0%AE", "%", "%4", "%zz", "{MeetingId}",
        ])
        .prop_map(str::to_owned),
        2 => "[a-zA-Z0-9_.~-]{1,8}".prop_map(|s| format!("{CANARY}{s}")),
        1 => "(%[0-9a-fA-F]{2}){1,4}",
        1 => "[^/?#]{0,12}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        9 => prop::collection::vec(segment(), 0..6).prop_map(|segments| {
            let mut path = String::new();
            for s in &segments {
                path.push('/');
                path.push_str(s);
            }
            if path.is_empty() {
                path.push('/');
            }
            path
        }),
        1 => any::<String>(),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        5 => prop::sample::select(vec!["operation", "max-results", "next-token", "arn", "x"])
            .prop_map(str::to_owned),
        1 => "[^&=]{0,6}",
    ];
    let value = prop_oneof![
        4 => prop::sample::select(vec![
            "batch-create", "create-attendees", "batch-update-except", "start", "stop",
            "tag-resource", "untag-resource", "add", "delete", "1", "100", "101", "0", "-1",
            "1.5", "", "%FF", "%00",
        ])
        .prop_map(str::to_owned),
        2 => canary_text().prop_map(|s| encode(&s)),
        1 => Just(NUMBER_CANARY.to_string()),
        1 => "[^&]{0,8}",
    ];
    prop::collection::vec((name, prop::option::weighted(0.9, value)), 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!("{name}={value}"),
                None => name.clone(),
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// Member names of both models' inputs, so that generated objects reach validation.
const MEMBERS: &[&str] = &[
    "ClientRequestToken",
    "MediaRegion",
    "ExternalMeetingId",
    "MeetingHostId",
    "NotificationsConfiguration",
    "SnsTopicArn",
    "SqsQueueArn",
    "LambdaFunctionArn",
    "MeetingFeatures",
    "Audio",
    "EchoReduction",
    "Video",
    "Content",
    "MaxResolution",
    "Attendee",
    "MaxCount",
    "PrimaryMeetingId",
    "TenantIds",
    "Tags",
    "Key",
    "Value",
    "MediaPlacementNetworkType",
    "Attendees",
    "ExternalUserId",
    "Capabilities",
    "ExcludedAttendeeIds",
    "AttendeeId",
    "MeetingId",
    "TranscriptionConfiguration",
    "EngineTranscribeSettings",
    "EngineTranscribeMedicalSettings",
    "LanguageCode",
    "Region",
    "VocabularyName",
    "VocabularyFilterMethod",
    "PartialResultsStability",
    "EnablePartialResultsStabilization",
    "ContentIdentificationType",
    "PiiEntityTypes",
    "IdentifyLanguage",
    "LanguageOptions",
    "Specialty",
    "Type",
    "ResourceARN",
    "TagKeys",
    "NextToken",
    "MaxResults",
];

/// Values a member may accept, to get past the first violation.
const VALID: &[&str] = &[
    "SendReceive",
    "None",
    "us-east-1",
    "en-US",
    "AVAILABLE",
    "FHD",
    "PRIMARYCARE",
    "CONVERSATION",
    GUID,
    "arn:aws:chime:us-east-1:123456789012:meeting/0c4a6a8e-5b8d-4d16-9e2a-3f1f7c1a9b11",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![Just(NUMBER_CANARY), -3i64..300].prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        canary_text().prop_map(Value::String),
        prop::sample::select(VALID).prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(MEMBERS), inner), 0..6).prop_map(
                |entries| {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }
            ),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(MEMBERS), json_value()), 0..8).prop_map(|entries| {
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => json_object().prop_map(|v| serde_json::to_vec(&v).expect("serializes")),
        // A JSON text cut short or with a byte changed.
        2 => (json_object(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(v, at, byte)| {
            let mut text = serde_json::to_vec(&v).expect("serializes");
            let i = at.index(text.len());
            if byte % 2 == 0 {
                text.truncate(i);
            } else {
                text[i] = byte;
            }
            text
        }),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => prop::sample::select(vec![
            "", "{}", "[]", "null", "\"x\"", "1e400", "{\"ExternalUserId\":\"\\ud800\"}",
            "\u{feff}{}", "{} {}", "{\"a\":1,}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// A message is non-empty and repeats none of the request's values.
fn check_message(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.is_empty(), "an error without a message");
    prop_assert!(
        !message.contains(CANARY),
        "the message repeats a value: {message}"
    );
    prop_assert!(
        !message.contains(&NUMBER_CANARY.to_string()),
        "the message repeats a number: {message}"
    );
    Ok(())
}

/// Routes and decodes; checks every error and that an accepted input decodes to itself.
fn exercise(
    model: &ServiceModel,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Result<(), TestCaseError> {
    let route = match model.route(method, path, query) {
        Ok(route) => route,
        Err(e) => return check_message(&e.to_string()),
    };
    prop_assert_eq!(&route.operation.method, method);
    match model.decode(&route, query, body) {
        Ok(input) => {
            prop_assert!(input.is_object(), "decode returned {}", input);
            let again = serde_json::to_vec(&input).expect("serializes");
            match model.decode(&route, query, &again) {
                Ok(second) => prop_assert_eq!(second, input, "decoding is not idempotent"),
                Err(e) => prop_assert!(false, "the canonical input is refused: {}", e),
            }
            Ok(())
        }
        Err(e) => check_message(&e.to_string()),
    }
}

/// The operation's path with every label replaced.
fn fill(template: &str, label: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                encode(label)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

proptest! {
    #![proptest_config(config(512))]

    /// Arbitrary method, path, query and body, on both models.
    #[test]
    fn arbitrary_requests_route_and_decode_without_panic(
        legacy in any::<bool>(),
        method in method(),
        path in path(),
        query in query(),
        body in body(),
    ) {
        let model = &models()[usize::from(legacy)];
        exercise(model, &method, &path, &query, &body)?;
    }

    /// Every operation of both models, with arbitrary labels, query members and bodies.
    #[test]
    fn every_operation_decodes_arbitrary_input_without_panic(
        legacy in any::<bool>(),
        which in any::<prop::sample::Index>(),
        label in prop_oneof![
            3 => Just(GUID.to_owned()),
            1 => Just(GUID.to_ascii_uppercase()),
            2 => canary_text(),
        ],
        extra_query in prop::option::of(query()),
        body in body(),
    ) {
        let model = &models()[usize::from(legacy)];
        let operations: Vec<_> = model.operations().collect();
        let operation = operations[which.index(operations.len())];
        let path = fill(&operation.path, &label);
        let mut query = operation
            .selector
            .as_ref()
            .map(|s| format!("operation={s}"))
            .unwrap_or_default();
        match extra_query {
            // Without extra parameters the request must reach decoding.
            None => {
                let route = model.route(&operation.method, &path, &query);
                prop_assert!(
                    route.is_ok(),
                    "{} {}?{} does not route: {:?}",
                    operation.method,
                    path,
                    query,
                    route.err()
                );
            }
            Some(extra) => {
                if !query.is_empty() && !extra.is_empty() {
                    query.push('&');
                }
                query.push_str(&extra);
            }
        }
        exercise(model, &operation.method, &path, &query, &body)?;
    }
}

/// A few hand-picked values for which echoing would be easy to get wrong.
#[test]
fn messages_never_repeat_hostile_values() {
    let [current, legacy] = models();
    for model in [current, legacy] {
        for (method, path, query, body) in [
            (
                "POST",
                "/meetings",
                "",
                format!(
                    r#"{{"ClientRequestToken":"{CANARY}<script>","MediaRegion":"{CANARY}","ExternalMeetingId":"{CANARY}\u0000"}}"#
                ),
            ),
            (
                "POST",
                "/meetings",
                "",
                format!(
                    r#"{{"Tags":[{{"Key":"{CANARY}\n","Value":"{CANARY}"}}],"TenantIds":["{CANARY}{CANARY}"]}}"#
                ),
            ),
            ("GET", &format!("/meetings/{CANARY}"), "", String::new()),
            (
                "GET",
                &format!("/meetings/{GUID}/attendees"),
                &format!("max-results={CANARY}&next-token={CANARY}"),
                String::new(),
            ),
            ("GET", "/tags", &format!("arn={CANARY}"), String::new()),
            (
                "POST",
                "/meetings",
                &format!("operation={CANARY}"),
                String::new(),
            ),
            (
                "POST",
                "/meetings",
                "",
                format!(r#"{{"{CANARY}":1,"ClientRequestToken":{NUMBER_CANARY}}}"#),
            ),
        ] {
            if let Err(e) = exercise(model, method, path, query, body.as_bytes()) {
                panic!("{method} {path}?{query} {body}: {e}");
            }
        }
    }
}
