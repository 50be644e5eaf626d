//! Decoding and validation of arbitrary bodies for the operations that take one.
//!
//! The first byte picks one of a fixed set of routes (current and legacy model), the rest is the
//! body. Checked besides "no panic": an error has a message; a body that is not JSON is
//! `MalformedJson` and a JSON object never is; and an accepted input is a fixed point: sending
//! it back as the body decodes to the same value.

#![no_main]

use carillon_fuzz::{models, GUID};
use carillon_model::DecodeError;
use libfuzzer_sys::fuzz_target;

/// (legacy model?, method, path, query).
const ROUTES: &[(bool, &str, &str, &str)] = &[
    (false, "POST", "/meetings", ""),
    (false, "POST", "/meetings", "operation=create-attendees"),
    (false, "POST", "/meetings/{id}/attendees", ""),
    (
        false,
        "POST",
        "/meetings/{id}/attendees",
        "operation=batch-create",
    ),
    (
        false,
        "PUT",
        "/meetings/{id}/attendees/capabilities",
        "operation=batch-update-except",
    ),
    (
        false,
        "PUT",
        "/meetings/{id}/attendees/{id}/capabilities",
        "",
    ),
    (
        false,
        "POST",
        "/meetings/{id}/transcription",
        "operation=start",
    ),
    (false, "POST", "/tags", "operation=tag-resource"),
    (false, "POST", "/tags", "operation=untag-resource"),
    (true, "POST", "/meetings", ""),
    (true, "POST", "/meetings", "operation=create-attendees"),
    (
        true,
        "POST",
        "/meetings/{id}/attendees",
        "operation=batch-create",
    ),
    (true, "POST", "/meetings/{id}/tags", "operation=add"),
    (
        true,
        "POST",
        "/meetings/{id}/attendees/{id}/tags",
        "operation=delete",
    ),
    (
        true,
        "POST",
        "/meetings/{id}/transcription",
        "operation=start",
    ),
    (true, "POST", "/tags", "operation=tag-resource"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (legacy, method, template, query) = ROUTES[usize::from(selector) % ROUTES.len()];
    let [current, old] = models();
    let model = if legacy { old } else { current };
    let path = template.replace("{id}", GUID);
    let route = model
        .route(method, &path, query)
        .unwrap_or_else(|e| panic!("{method} {path}?{query} does not route: {e}"));

    let parsed = serde_json::from_slice::<serde_json::Value>(body);
    match model.decode(&route, query, body) {
        Ok(input) => {
            assert!(input.is_object(), "decode returned {input}");
            assert!(
                body.is_empty() || matches!(parsed, Ok(serde_json::Value::Object(_))),
                "a body that is not a JSON object was accepted"
            );
            // The canonical input decodes to itself (labels come back from the path).
            let again = serde_json::to_vec(&input).expect("a JSON value serializes");
            match model.decode(&route, query, &again) {
                Ok(second) => assert_eq!(second, input, "decoding is not idempotent"),
                Err(e) => panic!("the canonical input is refused: {e}"),
            }
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "{e:?} has no message");
            let is_malformed = matches!(e, DecodeError::MalformedJson(_));
            match &parsed {
                Ok(serde_json::Value::Object(_)) => {
                    assert!(!is_malformed, "a JSON object was called malformed: {e}")
                }
                Ok(_) => assert!(
                    matches!(e, DecodeError::NotAnObject),
                    "JSON that is not an object: {e:?}"
                ),
                Err(_) if !body.is_empty() => {
                    assert!(
                        is_malformed,
                        "a body that is not JSON was accepted as JSON: {e:?}"
                    )
                }
                Err(_) => {}
            }
        }
    }
});
