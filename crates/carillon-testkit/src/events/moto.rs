//! A moto server (`moto_server`, SQS, SNS and EventBridge-compatible) for the length of a test.
//!
//! `CARILLON_TEST_MOTO` names the `moto_server` executable (`scripts/test.sh` installs it in
//! `.venv-moto`). Without it the tests that need it print a loud skip message and pass, except
//! with `CI=true`, where a missing server is a failure.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long moto may take to answer after it starts.
const STARTUP: Duration = Duration::from_secs(60);

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    /// A fresh moto server on a free port, or `None` (after saying so) when none is installed.
    ///
    /// # Panics
    /// With `CI=true` when none is installed; whenever one is installed but does not answer.
    pub fn start() -> Option<Moto> {
        let executable = match std::env::var_os("CARILLON_TEST_MOTO").map(PathBuf::from) {
            Some(path) if path.is_file() => path,
            other => {
                let why = match other {
                    Some(path) => format!("CARILLON_TEST_MOTO={} does not exist", path.display()),
                    None => "CARILLON_TEST_MOTO is not set".to_owned(),
                };
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("moto is required with CI=true: {why}");
                }
                eprintln!(
                    "\n*** {why}: SKIPPING this test, which needs a moto server. Run \
                     scripts/test.sh, or install tests/moto/requirements.txt in a virtual \
                     environment and set CARILLON_TEST_MOTO to its bin/moto_server. ***\n"
                );
                return None;
            }
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&executable)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", executable.display()));
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + STARTUP;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer in {STARTUP:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The key pair tests sign their own moto requests with (moto takes any).
pub const MOTO_KEY_ID: &str = "AKIDMOTOEXAMPLE";
pub const MOTO_SECRET: &str = "moto/secret/key";

fn credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(MOTO_KEY_ID, MOTO_SECRET, None, None, "moto")
}

/// An SDK client of this server, signing for `region`: `sdk_client!(aws_sdk_sqs, moto, region)`.
macro_rules! sdk_client {
    ($sdk:ident, $endpoint:expr, $region:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .endpoint_url($endpoint)
                .region($sdk::config::Region::new($region.to_owned()))
                .credentials_provider(credentials())
                .build(),
        )
    };
}

impl Moto {
    pub fn sqs(&self, region: &str) -> aws_sdk_sqs::Client {
        sdk_client!(aws_sdk_sqs, &self.endpoint, region)
    }

    pub fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        sdk_client!(aws_sdk_sns, &self.endpoint, region)
    }

    pub fn eventbridge(&self, region: &str) -> aws_sdk_eventbridge::Client {
        sdk_client!(aws_sdk_eventbridge, &self.endpoint, region)
    }
}

/// A new queue: its URL and ARN.
pub async fn queue(client: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let url = client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("a queue URL");
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes");
    let arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .expect("the queue's ARN")
        .clone();
    (url, arn)
}

/// Receives (and deletes) the queue's messages until `n` came, then looks once more, a second
/// long, for any beyond them; panics when `n` did not come within `patience`.
pub async fn drain(
    client: &aws_sdk_sqs::Client,
    url: &str,
    n: usize,
    patience: Duration,
) -> Vec<String> {
    let start = Instant::now();
    let mut bodies = Vec::new();
    let mut looked_beyond = false;
    loop {
        let answer = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(if bodies.len() >= n { 1 } else { 0 })
            .send()
            .await
            .expect("ReceiveMessage");
        for m in answer.messages() {
            bodies.push(m.body().expect("a body").to_owned());
            let handle = m.receipt_handle().expect("a receipt handle");
            let delete = client
                .delete_message()
                .queue_url(url)
                .receipt_handle(handle);
            delete.send().await.expect("DeleteMessage");
        }
        if bodies.len() >= n {
            if looked_beyond {
                return bodies;
            }
            looked_beyond = true;
            continue;
        }
        assert!(
            start.elapsed() < patience,
            "{} of {n} messages in {url}",
            bodies.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
