//! The meetings and attendees a signaling workload joins, created through the API with signed
//! requests (CreateMeeting, then BatchCreateAttendee of at most 100) before anything is measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use carillon_testkit::sigv4::{Credentials, Signer};
use serde::Deserialize;

use crate::client::{answer, Conn, Endpoint};
use crate::run::BenchError;
use crate::workload::{self, Op, BATCH_SIZE};

/// One attendee's way in.
#[derive(Debug, Clone)]
pub struct Seat {
    pub meeting_id: Arc<str>,
    pub attendee_id: String,
    pub join_token: String,
}

/// What setup created, meeting by meeting.
#[derive(Debug, Default)]
pub struct Seats {
    pub meetings: Vec<Vec<Seat>>,
    pub took: Duration,
}

impl Seats {
    pub fn attendees(&self) -> usize {
        self.meetings.iter().map(Vec::len).sum()
    }

    /// Every seat, meeting after meeting.
    pub fn all(&self) -> impl Iterator<Item = &Seat> {
        self.meetings.iter().flatten()
    }
}

#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(rename = "Attendees", default)]
    attendees: Vec<AttendeeAnswer>,
    #[serde(rename = "Errors", default)]
    errors: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct AttendeeAnswer {
    #[serde(rename = "AttendeeId")]
    attendee_id: String,
    #[serde(rename = "JoinToken")]
    join_token: String,
}

/// Creates `attendees` attendees in meetings of at most `per_meeting` (the last one may hold
/// fewer), over `connections` keep-alive connections in parallel.
pub async fn create(
    endpoint: &Arc<Endpoint>,
    credentials: &Credentials,
    run_id: &str,
    attendees: usize,
    per_meeting: usize,
    connections: usize,
) -> Result<Seats, BenchError> {
    if per_meeting == 0 || per_meeting > 250 {
        return Err(BenchError::Config(
            "attendees per meeting must be 1 to 250 (the meeting's cap)".into(),
        ));
    }
    let started = Instant::now();
    let sizes: Vec<usize> = (0..attendees.div_ceil(per_meeting))
        .map(|m| per_meeting.min(attendees - m * per_meeting))
        .collect();
    let connections = connections.clamp(1, sizes.len().max(1));
    let mut tasks = Vec::new();
    for c in 0..connections {
        // Connection c creates meetings c, c + connections, ...
        let mine: Vec<(usize, usize)> = sizes
            .iter()
            .copied()
            .enumerate()
            .skip(c)
            .step_by(connections)
            .collect();
        let endpoint = Arc::clone(endpoint);
        let credentials = credentials.clone();
        let run_id = run_id.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&endpoint).await?;
            let mut signer = Signer::new(credentials);
            let mut out = Vec::with_capacity(mine.len());
            for (m, size) in mine {
                let seats =
                    create_meeting(&mut conn, &endpoint, &mut signer, &run_id, m, size).await?;
                out.push((m, seats));
            }
            Ok::<_, String>(out)
        }));
    }
    let mut meetings = vec![Vec::new(); sizes.len()];
    for task in tasks {
        let created = task
            .await
            .map_err(|e| BenchError::Setup(e.to_string()))?
            .map_err(BenchError::Setup)?;
        for (m, seats) in created {
            meetings[m] = seats;
        }
    }
    Ok(Seats {
        meetings,
        took: started.elapsed(),
    })
}

async fn create_meeting(
    conn: &mut Conn,
    endpoint: &Endpoint,
    signer: &mut Signer,
    run_id: &str,
    m: usize,
    size: usize,
) -> Result<Vec<Seat>, String> {
    let spec = workload::create_meeting(&format!("{run_id}-sig-{m}"), &format!("sig-{m}"));
    let meeting_id: Arc<str> = conn.create_meeting(endpoint, signer, &spec).await?.into();
    let mut seats = Vec::with_capacity(size);
    let mut batch = 0;
    while seats.len() < size {
        let n = (size - seats.len()).min(BATCH_SIZE as usize);
        let spec = workload::batch_create_n(&meeting_id, &format!("sig{batch}"), n);
        batch += 1;
        let (status, body) = conn.send(endpoint, signer, &spec).await?;
        let out: BatchAnswer = serde_json::from_slice(&body)
            .ok()
            .filter(|out: &BatchAnswer| status == 200 && out.errors.is_empty())
            .ok_or_else(|| answer(Op::BatchCreateAttendee, status, &body))?;
        if out.attendees.len() != n {
            return Err(format!(
                "BatchCreateAttendee of {n} answered {} attendees",
                out.attendees.len()
            ));
        }
        seats.extend(out.attendees.into_iter().map(|a| Seat {
            meeting_id: Arc::clone(&meeting_id),
            attendee_id: a.attendee_id,
            join_token: a.join_token,
        }));
    }
    Ok(seats)
}
