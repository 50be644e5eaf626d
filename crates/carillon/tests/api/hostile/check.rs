//! What a row's outcome must be.

use carillon_testkit::{Outcome, RawResponse};

use super::row::{Expect, Row};

/// Checks one outcome against its expectation; `Err` says what is wrong.
pub(super) fn check(row: &Row, outcome: &Outcome) -> Result<(), String> {
    let reply = match (outcome, row.expect) {
        (Outcome::Hung, _) => return Err("no answer and no close: the server hangs".into()),
        (Outcome::Closed, Expect::Closed) => return Ok(()),
        (Outcome::Closed, _) => return Err("the connection closed without a response".into()),
        (Outcome::Reply(reply), _) => reply,
    };
    let summary = || {
        format!(
            "{} {:?} {}",
            reply.status,
            reply.header("x-amzn-ErrorType"),
            reply.text()
        )
    };
    if reply.status >= 500 {
        return Err(format!("a server error: {}", summary()));
    }
    for forbidden in ["set-cookie", "x-injected"] {
        if reply.header(forbidden).is_some() {
            return Err(format!(
                "the response has a {forbidden} header: {}",
                summary()
            ));
        }
    }
    match row.expect {
        Expect::Closed => Err(format!("expected a closed connection, got {}", summary())),
        Expect::Http(status) => {
            if reply.status != status || reply.header("x-amzn-ErrorType").is_some() {
                return Err(format!(
                    "expected {status} from the HTTP layer, got {}",
                    summary()
                ));
            }
            Ok(())
        }
        Expect::Ok(status) => {
            if reply.status != status || reply.header("x-amzn-RequestId").is_none() {
                return Err(format!("expected {status} from the API, got {}", summary()));
            }
            Ok(())
        }
        Expect::Api(status, error_type) => {
            if (reply.status, reply.header("x-amzn-ErrorType")) != (status, Some(error_type)) {
                return Err(format!("expected {status} {error_type}, got {}", summary()));
            }
            check_error_reply(row, reply, error_type)
        }
    }
}

/// The AWS rest-json error shape, and a message that does not echo a large input.
fn check_error_reply(row: &Row, reply: &RawResponse, error_type: &str) -> Result<(), String> {
    let request_id = reply
        .header("x-amzn-RequestId")
        .filter(|id| !id.is_empty())
        .ok_or("no x-amzn-RequestId")?;
    if reply.header("content-type") != Some("application/json") {
        return Err(format!("content type {:?}", reply.header("content-type")));
    }
    if row.method() == Some("HEAD") {
        return if reply.body.is_empty() {
            Ok(())
        } else {
            Err("a body in the response to HEAD".into())
        };
    }
    let body: serde_json::Value = serde_json::from_slice(&reply.body)
        .map_err(|e| format!("the error body is not JSON ({e}): {}", reply.text()))?;
    carillon_testkit::check_error_body(&body, error_type, request_id)?;
    if reply.body.len() > 4096 {
        return Err(format!(
            "a {}-byte error body echoes the input",
            reply.body.len()
        ));
    }
    Ok(())
}
