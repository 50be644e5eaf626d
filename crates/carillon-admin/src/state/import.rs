//! `POST /v1/import[?replace=true]`: the state file read line by line as the body arrives,
//! written in batches (see the module above for what a refusal leaves).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use carillon_core::store::admin::Imported;
use futures_util::StreamExt;
use serde_json::json;

use super::{Header, Line, FORMAT, VERSION};
use crate::query::Params;
use crate::{error, json, unavailable, Admin};

/// Items written per transaction.
const BATCH: usize = 500;
/// The longest line read; a meeting or attendee line is a few KiB at most.
const MAX_LINE: usize = 1 << 20;

/// Why an import stopped: a line of the file (400), or the store (503).
enum Stop {
    Bad { line: u64, message: String },
    Store(carillon_core::StoreError),
}

fn bad(line: u64, message: impl Into<String>) -> Stop {
    Stop::Bad {
        line,
        message: message.into(),
    }
}

/// The reading of one file.
struct Reader {
    admin: Arc<Admin>,
    /// Lines read so far (the next line's number minus one).
    line: u64,
    header: bool,
    end: Option<(u64, u64)>,
    batch: Vec<(u64, Imported)>,
    meetings: u64,
    attendees: u64,
}

impl Reader {
    async fn take(&mut self, text: &[u8]) -> Result<(), Stop> {
        self.line += 1;
        let n = self.line;
        let text = std::str::from_utf8(text).map_err(|_| bad(n, "not UTF-8"))?;
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            return Ok(());
        }
        if !self.header {
            let header: Header = serde_json::from_str(text).map_err(|e| {
                bad(n, format!("expected the header {{\"format\":\"{FORMAT}\",\"version\":{VERSION}}}: {e}"))
            })?;
            if header.format != FORMAT {
                return Err(bad(
                    n,
                    format!("format {:?} is not {FORMAT:?}", header.format),
                ));
            }
            if header.version != VERSION {
                let given = header.version;
                return Err(bad(
                    n,
                    format!(
                        "version {given} is not one this server reads (it reads version {VERSION})"
                    ),
                ));
            }
            self.header = true;
            return Ok(());
        }
        if self.end.is_some() {
            return Err(bad(n, "a line after the last line ({\"type\":\"end\",…})"));
        }
        let item = match serde_json::from_str::<Line>(text).map_err(|e| bad(n, e.to_string()))? {
            Line::Meeting(m) => {
                self.meetings += 1;
                Imported::Meeting(Box::new(m.into_stored().map_err(|e| bad(n, e))?))
            }
            Line::Attendee(a) => {
                self.attendees += 1;
                Imported::Attendee(a.into_stored())
            }
            Line::End {
                meetings,
                attendees,
            } => {
                if (meetings, attendees) != (self.meetings, self.attendees) {
                    return Err(bad(
                        n,
                        format!(
                            "the file counts {meetings} meetings and {attendees} attendees; it holds {} and {}",
                            self.meetings, self.attendees
                        ),
                    ));
                }
                self.end = Some((meetings, attendees));
                return Ok(());
            }
        };
        self.batch.push((n, item));
        if self.batch.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let (lines, items): (Vec<u64>, Vec<Imported>) =
            std::mem::take(&mut self.batch).into_iter().unzip();
        match self.admin.store.import(items).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(refusal)) => {
                let line = lines.get(refusal.index).copied().unwrap_or(self.line);
                Err(bad(line, refusal.message))
            }
            Err(e) => Err(Stop::Store(e)),
        }
    }

    async fn read(&mut self, body: Body) -> Result<(), Stop> {
        let mut chunks = body.into_data_stream();
        let mut pending: Vec<u8> = Vec::new();
        while let Some(chunk) = chunks.next().await {
            let chunk =
                chunk.map_err(|_| bad(self.line + 1, "the body could not be read to its end"))?;
            pending.extend_from_slice(&chunk);
            while let Some(at) = pending.iter().position(|b| *b == b'\n') {
                let rest = pending.split_off(at + 1);
                let text = std::mem::replace(&mut pending, rest);
                self.take(&text[..at]).await?;
            }
            if pending.len() > MAX_LINE {
                return Err(bad(self.line + 1, format!("longer than {MAX_LINE} bytes")));
            }
        }
        if !pending.iter().all(u8::is_ascii_whitespace) {
            self.take(&pending).await?;
        }
        self.flush().await?;
        if !self.header {
            return Err(bad(1, "the file is empty"));
        }
        if self.end.is_none() {
            return Err(bad(
                self.line,
                "the file ends without its last line ({\"type\":\"end\",…}): it was cut short",
            ));
        }
        Ok(())
    }
}

/// Held while an import runs: a second one at the same time would see the first one's lines as
/// a store that is not empty, or reset them away.
static IMPORTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `POST /v1/import`.
pub(crate) async fn import(State(admin): State<Arc<Admin>>, uri: Uri, body: Body) -> Response {
    let Ok(_importing) = IMPORTING.try_lock() else {
        return error(StatusCode::CONFLICT, "another import is under way");
    };
    let params = Params::parse(uri.query());
    let replace = match params.get("replace") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return error(StatusCode::BAD_REQUEST, "replace: expected true or false"),
    };
    let prepared = if replace {
        admin.store.reset().await
    } else {
        match admin.store.is_empty().await {
            Ok(true) => Ok(()),
            Ok(false) => {
                return error(
                    StatusCode::CONFLICT,
                    "the store holds meetings; reset it first, or import with ?replace=true",
                )
            }
            Err(e) => Err(e),
        }
    };
    if let Err(e) = prepared {
        return unavailable(&e);
    }
    let mut reader = Reader {
        admin: admin.clone(),
        line: 0,
        header: false,
        end: None,
        batch: Vec::new(),
        meetings: 0,
        attendees: 0,
    };
    let stop = match reader.read(body).await {
        Ok(()) => {
            let done = json!({ "meetings": reader.meetings, "attendees": reader.attendees });
            return json(StatusCode::OK, done);
        }
        Err(stop) => stop,
    };
    // Undoes the batches already written: the store was empty before.
    let undone = admin.store.reset().await;
    match (stop, undone) {
        (Stop::Bad { line, message }, Ok(())) => json(
            StatusCode::BAD_REQUEST,
            json!({ "message": format!("line {line}: {message}; nothing was imported"), "line": line }),
        ),
        (Stop::Store(e), _) | (Stop::Bad { .. }, Err(e)) => unavailable(&e),
    }
}
