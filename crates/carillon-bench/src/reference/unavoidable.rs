//! `--work unavoidable`: the work no implementation of the API can skip, and nothing more.
//!
//! Each request's body is read whole and its SigV4 signature verified with Carillon's own
//! verifier against the credentials Carillon accepts when none are configured (AWS's example
//! pair, as the load generator signs by default); a refusal is answered as Carillon's front door
//! answers it. The request is then parsed: the route, its ids as UUIDs, the ListAttendees query,
//! and the body into typed structs of what the operation takes. Writes are committed durably
//! ([`super::durable`]) before they are answered. Every answer is the bare mode's fixed body, but
//! CreateMeeting's names the meeting stored; a write to a meeting the indexed layout does not
//! have is refused as Carillon refuses it (404 `NotFoundException`).
//!
//! Left out, as what Carillon chooses to do rather than what the API forces: validation of
//! members against the model's constraints, quotas, request ids, logging and metrics, and the
//! lookups behind the reads (answered from memory: the ids they name are parsed and dropped).

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use carillon_api::credentials::StaticCredentials;
use carillon_sigv4::{AuthError, SignedRequest, Verifier};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use tokio::net::TcpStream;
use uuid::Uuid;

use super::durable::{Durable, Outcome, Write};
use super::{respond, Bodies};

/// The CreateMeeting members the workloads send (other members are skipped unread).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateMeetingInput {
    client_request_token: String,
    media_region: String,
    external_meeting_id: String,
}

/// One attendee of CreateAttendee or BatchCreateAttendee.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateAttendeeInput {
    external_user_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchCreateAttendeeInput {
    attendees: Vec<CreateAttendeeInput>,
}

/// A parsed request.
#[derive(Debug)]
enum Call {
    CreateMeeting(CreateMeetingInput),
    CreateAttendee {
        meeting_id: Uuid,
        input: CreateAttendeeInput,
    },
    BatchCreateAttendee {
        meeting_id: Uuid,
        input: BatchCreateAttendeeInput,
    },
    GetAttendee,
    ListAttendees,
}

/// A refused request: its status, `x-amzn-ErrorType` and body.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    error_type: &'static str,
    body: Bytes,
}

impl Refusal {
    /// An error of the API, in the rest-json shape (`Code`, `Message`).
    fn api(status: StatusCode, error_type: &'static str, message: impl Into<String>) -> Refusal {
        let code = error_type.strip_suffix("Exception").unwrap_or(error_type);
        let body = serde_json::json!({ "Code": code, "Message": message.into() });
        Refusal {
            status,
            error_type,
            body: Bytes::from(body.to_string()),
        }
    }

    fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal::api(StatusCode::BAD_REQUEST, "BadRequestException", message)
    }

    /// As Carillon's front door refuses a request that does not authenticate: the error's status
    /// and name, and a body of `{"message"}` alone.
    fn auth(e: AuthError) -> Refusal {
        let body = serde_json::json!({ "message": e.to_string() });
        Refusal {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN),
            error_type: e.code(),
            body: Bytes::from(body.to_string()),
        }
    }

    fn response(self) -> Response<Full<Bytes>> {
        let mut response = respond(self.status, self.body);
        let error_type = HeaderValue::from_static(self.error_type);
        response
            .headers_mut()
            .insert("x-amzn-errortype", error_type);
        response
    }
}

/// What every connection of the mode shares.
pub(super) struct Unavoidable {
    bodies: Arc<Bodies>,
    verifier: Verifier,
    credentials: StaticCredentials,
    store: Arc<Durable>,
}

impl Unavoidable {
    /// Carillon's verifier and default credentials, as `carillon`'s server builds them.
    pub(super) fn new(bodies: Arc<Bodies>, store: Arc<Durable>) -> Unavoidable {
        Unavoidable {
            bodies,
            verifier: Verifier::new(carillon_api::SIGNING_NAME),
            credentials: StaticCredentials::example(),
            store,
        }
    }

    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        match self.serve(request).await {
            Ok(body) => respond(StatusCode::OK, body),
            Err(refusal) => refusal.response(),
        }
    }

    async fn serve(&self, request: Request<Incoming>) -> Result<Bytes, Refusal> {
        let (parts, body) = request.into_parts();
        let body = Limited::new(body, carillon_api::DEFAULT_BODY_LIMIT)
            .collect()
            .await
            .map_err(|e| Refusal::bad_request(format!("cannot read the body: {e}")))?
            .to_bytes();
        let path = parts.uri.path();
        let query = parts.uri.query().unwrap_or("");
        let signed = SignedRequest {
            method: parts.method.as_str(),
            path,
            query,
            headers: &parts.headers,
            body: &body,
        };
        self.verifier
            .verify(&signed, &self.credentials, SystemTime::now())
            .map_err(Refusal::auth)?;
        let bodies = &self.bodies;
        let answer = match parse(&parts.method, path, query, &body)? {
            Call::CreateMeeting(input) => {
                let created = Uuid::new_v4();
                let outcome = self
                    .commit(Write::Meeting {
                        meeting_id: created,
                        client_request_token: input.client_request_token,
                        external_meeting_id: input.external_meeting_id,
                        media_region: input.media_region,
                    })
                    .await?;
                let meeting_id = match outcome {
                    Outcome::MeetingExists(existing) => existing,
                    _ => created,
                };
                return Ok(bodies.meeting_for(&meeting_id.to_string()));
            }
            Call::CreateAttendee { meeting_id, input } => {
                let attendees = vec![(Uuid::new_v4(), input.external_user_id)];
                self.commit(Write::Attendees {
                    meeting_id,
                    attendees,
                })
                .await?;
                &bodies.attendee
            }
            Call::BatchCreateAttendee { meeting_id, input } => {
                let attendees = input
                    .attendees
                    .into_iter()
                    .map(|a| (Uuid::new_v4(), a.external_user_id))
                    .collect();
                self.commit(Write::Attendees {
                    meeting_id,
                    attendees,
                })
                .await?;
                &bodies.batch
            }
            Call::GetAttendee => &bodies.attendee,
            Call::ListAttendees => &bodies.list,
        };
        Ok(answer.clone())
    }

    /// Commits `write`; what it did, a missing meeting refused as Carillon refuses it.
    async fn commit(&self, write: Write) -> Result<Outcome, Refusal> {
        let outcome = self.store.commit(write).await.map_err(|e| {
            Refusal::api(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceFailureException",
                format!("the write was not committed: {e}"),
            )
        })?;
        match outcome {
            Outcome::NoSuchMeeting => Err(Refusal::api(
                StatusCode::NOT_FOUND,
                "NotFoundException",
                "The requested resource was not found",
            )),
            done => Ok(done),
        }
    }
}

/// Serves one connection until the client closes it.
pub(super) async fn serve_connection(stream: TcpStream, state: Arc<Unavoidable>) {
    let service = service_fn(move |req: Request<Incoming>| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(state.answer(req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Routes the request and parses what the operation takes.
fn parse(method: &Method, path: &str, query: &str, body: &[u8]) -> Result<Call, Refusal> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::POST, ["meetings"]) => Ok(Call::CreateMeeting(json(body)?)),
        (&Method::POST, ["meetings", meeting, "attendees"]) => {
            let meeting_id = id(meeting)?;
            let batch = parameters(query)?
                .iter()
                .any(|(k, v)| k == "operation" && v == "batch-create");
            Ok(if batch {
                Call::BatchCreateAttendee {
                    meeting_id,
                    input: json(body)?,
                }
            } else {
                Call::CreateAttendee {
                    meeting_id,
                    input: json(body)?,
                }
            })
        }
        (&Method::GET, ["meetings", meeting, "attendees"]) => {
            id(meeting)?;
            page(query)?;
            Ok(Call::ListAttendees)
        }
        (&Method::GET, ["meetings", meeting, "attendees", attendee]) => {
            id(meeting)?;
            id(attendee)?;
            Ok(Call::GetAttendee)
        }
        _ => Err(Refusal::api(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            "no such route",
        )),
    }
}

fn json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| Refusal::bad_request(format!("invalid body: {e}")))
}

/// A MeetingId or AttendeeId: a UUID (the model's pattern).
fn id(segment: &str) -> Result<Uuid, Refusal> {
    Uuid::try_parse(segment).map_err(|_| Refusal::bad_request(format!("{segment:?} is no id")))
}

/// ListAttendees' `max-results` (an integer) and `next-token` (text).
fn page(query: &str) -> Result<(Option<u32>, Option<String>), Refusal> {
    let (mut max_results, mut next_token) = (None, None);
    for (key, value) in parameters(query)? {
        match key.as_ref() {
            "max-results" => {
                let n = value.parse().map_err(|_| {
                    Refusal::bad_request(format!("max-results {value:?} is not an integer"))
                })?;
                max_results = Some(n);
            }
            "next-token" => next_token = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok((max_results, next_token))
}

/// A query parameter's name and value, percent-decoded.
type Parameter<'q> = (Cow<'q, str>, Cow<'q, str>);

/// The query's parameters.
fn parameters(query: &str) -> Result<Vec<Parameter<'_>>, Refusal> {
    let decode = |s| {
        percent_decode_str(s)
            .decode_utf8()
            .map_err(|_| Refusal::bad_request("the query is not UTF-8"))
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "0f9c072e-0b4d-4c9e-bb1d-ef434fbb546b";
    const A: &str = "9714e14c-1414-49f1-9e6f-000000000000";

    fn status(result: Result<Call, Refusal>) -> StatusCode {
        result.map_or_else(|r| r.status, |_| StatusCode::OK)
    }

    #[test]
    fn parses_what_each_operation_takes() {
        let body =
            br#"{"ClientRequestToken":"t","MediaRegion":"us-east-1","ExternalMeetingId":"e"}"#;
        match parse(&Method::POST, "/meetings", "", body).unwrap() {
            Call::CreateMeeting(input) => assert_eq!(input.client_request_token, "t"),
            other => panic!("{other:?}"),
        }
        let path = format!("/meetings/{M}/attendees");
        match parse(&Method::POST, &path, "", br#"{"ExternalUserId":"u"}"#).unwrap() {
            Call::CreateAttendee { meeting_id, input } => {
                assert_eq!(meeting_id.to_string(), M);
                assert_eq!(input.external_user_id, "u");
            }
            other => panic!("{other:?}"),
        }
        let batch = br#"{"Attendees":[{"ExternalUserId":"a"},{"ExternalUserId":"b"}]}"#;
        match parse(&Method::POST, &path, "operation=batch-create", batch).unwrap() {
            Call::BatchCreateAttendee { input, .. } => assert_eq!(input.attendees.len(), 2),
            other => panic!("{other:?}"),
        }
        let list = parse(&Method::GET, &path, "max-results=10&next-token=a%2Bb", b"");
        assert!(matches!(list, Ok(Call::ListAttendees)));
        let get = parse(&Method::GET, &format!("{path}/{A}"), "", b"");
        assert!(matches!(get, Ok(Call::GetAttendee)));
    }

    #[test]
    fn refuses_what_does_not_parse() {
        let path = format!("/meetings/{M}/attendees");
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(status(parse(&Method::POST, "/meetings", "", b"{}")), bad);
        assert_eq!(status(parse(&Method::POST, &path, "", b"not json")), bad);
        let no_id = "/meetings/x/attendees";
        assert_eq!(
            status(parse(
                &Method::POST,
                no_id,
                "",
                br#"{"ExternalUserId":"u"}"#
            )),
            bad
        );
        assert_eq!(
            status(parse(&Method::GET, &path, "max-results=ten", b"")),
            bad
        );
        assert_eq!(
            status(parse(&Method::GET, &path, "next-token=%FF", b"")),
            bad
        );
        let not_found = StatusCode::NOT_FOUND;
        assert_eq!(
            status(parse(&Method::DELETE, "/meetings", "", b"")),
            not_found
        );
        assert_eq!(status(parse(&Method::GET, "/nope", "", b"")), not_found);
    }

    #[test]
    fn page_reads_both_parameters() {
        assert_eq!(
            page("max-results=10&next-token=a%2Bb%3D").unwrap(),
            (Some(10), Some("a+b=".to_owned()))
        );
        assert_eq!(page("").unwrap(), (None, None));
    }
}
