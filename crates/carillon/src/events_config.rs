//! The flags of meeting events (what is recorded, where it is delivered, how hard delivery
//! tries) and of the admin listener.

use std::net::SocketAddr;
use std::time::Duration;

use carillon_core::events::outbox::EventRouting;
use carillon_events::{
    AwsCredentials, AwsEndpoint, DeliveryConfig, EventBridgeTarget, RetryPolicy, WebhookTarget,
};
use clap::Args;

use crate::config::{OptionalDuration, Secret, Switch};

#[derive(Debug, Clone, Args)]
pub struct EventArgs {
    /// Record meeting events (`off`: nothing is recorded or delivered, and the live stream is
    /// silent).
    #[arg(long, env = "CARILLON_EVENTS", value_enum, default_value = "on")]
    pub events: Switch,

    /// A webhook every meeting event is POSTed to, signed (repeatable, or comma-separated).
    /// Its name keys its deliveries: keep it when the URL changes.
    #[arg(
        long = "webhook",
        env = "CARILLON_WEBHOOKS",
        value_delimiter = ',',
        value_name = "NAME=URL"
    )]
    pub webhooks: Vec<Webhook>,

    /// The secret webhook signatures are made with (HMAC-SHA256); required with --webhook.
    #[arg(long, env = "CARILLON_WEBHOOK_SECRET", value_name = "SECRET")]
    pub webhook_secret: Option<Secret>,

    /// An SQS-compatible endpoint: the queues of meetings' NotificationsConfiguration
    /// (SqsQueueArn) receive their events there.
    #[arg(long, env = "CARILLON_SQS_ENDPOINT", value_name = "URL")]
    pub sqs_endpoint: Option<String>,

    /// An SNS-compatible endpoint: the topics of meetings' NotificationsConfiguration
    /// (SnsTopicArn) receive their events there.
    #[arg(long, env = "CARILLON_SNS_ENDPOINT", value_name = "URL")]
    pub sns_endpoint: Option<String>,

    /// An EventBridge-compatible endpoint every meeting event is put on (PutEvents).
    #[arg(long, env = "CARILLON_EVENTBRIDGE_ENDPOINT", value_name = "URL")]
    pub eventbridge_endpoint: Option<String>,

    /// The event bus of --eventbridge-endpoint.
    #[arg(long, env = "CARILLON_EVENTBRIDGE_BUS", default_value = "default")]
    pub eventbridge_bus: String,

    /// The Region the SQS, SNS and EventBridge requests are signed for when an ARN names none.
    #[arg(long, env = "CARILLON_TARGETS_REGION", default_value = "us-east-1")]
    pub targets_region: String,

    /// The access key the SQS, SNS and EventBridge requests are signed with (`test` suits moto
    /// and LocalStack).
    #[arg(long, env = "CARILLON_TARGETS_ACCESS_KEY_ID", default_value = "test")]
    pub targets_access_key_id: String,

    /// The secret key of --targets-access-key-id.
    #[arg(
        long,
        env = "CARILLON_TARGETS_SECRET_ACCESS_KEY",
        default_value = "test"
    )]
    pub targets_secret_access_key: Secret,

    /// Attempts of one delivery (the first included) before it becomes a dead letter.
    #[arg(long, env = "CARILLON_EVENT_MAX_ATTEMPTS", default_value_t = 12)]
    pub event_max_attempts: u32,

    /// The first retry of a failed delivery comes within this; each next one within twice the
    /// last, up to --event-retry-max.
    #[arg(long, env = "CARILLON_EVENT_RETRY_INITIAL", default_value = "1s")]
    pub event_retry_initial: OptionalDuration,

    #[arg(long, env = "CARILLON_EVENT_RETRY_MAX", default_value = "5m")]
    pub event_retry_max: OptionalDuration,

    /// How long a delivered event stays in the log (the admin API reads it).
    #[arg(long, env = "CARILLON_EVENT_RETENTION", default_value = "1h")]
    pub event_retention: OptionalDuration,

    /// Address of the admin listener (events, dead letters, presence marks); it serves only
    /// when --admin-token is set. Keep it off public networks.
    #[arg(long, env = "CARILLON_ADMIN_LISTEN", default_value = "127.0.0.1:9080")]
    pub admin_listen: SocketAddr,

    /// The bearer token every admin request must carry; without it the admin listener is off.
    #[arg(long, env = "CARILLON_ADMIN_TOKEN", value_name = "TOKEN")]
    pub admin_token: Option<Secret>,
}

/// `NAME=URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub name: String,
    pub url: String,
}

impl std::str::FromStr for Webhook {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, url) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: expected NAME=URL"))?;
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(format!(
                "{name:?}: a webhook name is 1 to 64 letters, digits, '-' or '_'"
            ));
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("{url:?}: expected an http:// or https:// URL"));
        }
        Ok(Webhook {
            name: name.to_owned(),
            url: url.to_owned(),
        })
    }
}

fn required(d: OptionalDuration, flag: &str) -> Result<Duration, String> {
    d.0.ok_or_else(|| format!("{flag} cannot be off"))
}

impl EventArgs {
    /// What the deliverer sends where, checked.
    pub fn delivery(&self) -> Result<DeliveryConfig, String> {
        let secret = match (&self.webhook_secret, self.webhooks.is_empty()) {
            (Some(secret), _) => Some(secret.expose().to_owned()),
            (None, true) => None,
            (None, false) => return Err("--webhook needs --webhook-secret".to_owned()),
        };
        let mut names: Vec<&str> = self.webhooks.iter().map(|w| w.name.as_str()).collect();
        names.sort_unstable();
        if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("--webhook: the name {:?} is given twice", twice[0]));
        }
        if self.event_max_attempts == 0 {
            return Err("--event-max-attempts must be at least 1".to_owned());
        }
        let credentials = AwsCredentials {
            access_key_id: self.targets_access_key_id.clone(),
            secret_access_key: carillon_events::Secret::new(
                self.targets_secret_access_key.expose(),
            ),
            session_token: None,
        };
        let endpoint = |url: &Option<String>| {
            url.as_ref().map(|url| AwsEndpoint {
                endpoint_url: url.clone(),
                region: self.targets_region.clone(),
                credentials: credentials.clone(),
            })
        };
        Ok(DeliveryConfig {
            webhooks: self
                .webhooks
                .iter()
                .map(|w| WebhookTarget {
                    name: w.name.clone(),
                    url: w.url.clone(),
                    secret: carillon_events::Secret::new(secret.clone().unwrap_or_default()),
                })
                .collect(),
            eventbridge: self
                .eventbridge_endpoint
                .as_ref()
                .map(|url| EventBridgeTarget {
                    endpoint_url: url.clone(),
                    region: self.targets_region.clone(),
                    bus_name: self.eventbridge_bus.clone(),
                    credentials: credentials.clone(),
                }),
            sqs: endpoint(&self.sqs_endpoint),
            sns: endpoint(&self.sns_endpoint),
            retry: RetryPolicy {
                max_attempts: self.event_max_attempts,
                initial: required(self.event_retry_initial, "--event-retry-initial")?,
                max: required(self.event_retry_max, "--event-retry-max")?,
            },
            retention: required(self.event_retention, "--event-retention")?,
            ..DeliveryConfig::default()
        })
    }

    /// What the store records and owes.
    pub fn routing(&self, delivery: &DeliveryConfig) -> EventRouting {
        match self.events {
            Switch::On => delivery.routing(),
            Switch::Off => EventRouting::off(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::config::Cli;

    fn events(args: &[&str]) -> super::EventArgs {
        let all = std::iter::once("carillon").chain(args.iter().copied());
        Cli::parse_from(all).serve_args().events
    }

    #[test]
    fn webhooks_need_a_secret_and_distinct_names() {
        let ok = events(&[
            "--webhook",
            "a=http://x/1,b=https://y/2",
            "--webhook-secret",
            "s",
        ]);
        let config = ok.delivery().unwrap();
        assert_eq!(config.webhooks.len(), 2);
        assert_eq!(config.webhooks[1].secret.expose(), "s");
        assert_eq!(
            ok.routing(&config).everywhere.len(),
            2,
            "both webhooks take every event"
        );
        assert!(events(&["--webhook", "a=http://x"]).delivery().is_err());
        let twice = events(&[
            "--webhook",
            "a=http://x,a=http://y",
            "--webhook-secret",
            "s",
        ]);
        assert!(twice.delivery().is_err());
        for bad in ["a", "=http://x", "a b=http://x", "a=ftp://x"] {
            assert!(bad.parse::<super::Webhook>().is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_route_meetings_own_queues_and_topics() {
        let args = events(&["--sqs-endpoint", "http://127.0.0.1:5000"]);
        let config = args.delivery().unwrap();
        let routing = args.routing(&config);
        assert!(routing.record && routing.meeting_sqs && !routing.meeting_sns);
        let off = events(&["--events", "off", "--sqs-endpoint", "http://x"]);
        assert!(!off.routing(&off.delivery().unwrap()).record);
        assert!(events(&["--event-retry-initial", "off"])
            .delivery()
            .is_err());
        assert!(events(&["--event-max-attempts", "0"]).delivery().is_err());
    }

    #[test]
    fn the_secrets_are_not_printed() {
        let args = events(&["--webhook-secret", "hush", "--admin-token", "quiet"]);
        let printed = format!("{args:?} {:?}", args.delivery().unwrap());
        assert!(
            !printed.contains("hush") && !printed.contains("quiet"),
            "{printed}"
        );
    }
}
