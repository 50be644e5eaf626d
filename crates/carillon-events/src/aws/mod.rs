//! The AWS targets: SQS queues and SNS topics of meetings' `NotificationsConfiguration`, and
//! the EventBridge bus, each through its official SDK client.
//!
//! The clients are built without `aws-config` (no credential chain, no profile files): the
//! endpoint, Region and static credentials come from [`AwsEndpoint`]. The SDK's own retries are
//! off: a failed send is retried by the outbox, with its backoff, durably, and never twice at
//! once. Each call ends within the request timeout.

pub mod eventbridge;
pub mod sns;
pub mod sqs;

use std::time::Duration;

use aws_credential_types::Credentials;

use crate::config::AwsEndpoint;

/// The static credentials of `endpoint`, as the SDK clients take them.
fn credentials(endpoint: &AwsEndpoint) -> Credentials {
    let c = &endpoint.credentials;
    Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().to_owned(),
        c.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "carillon-events",
    )
}

/// One SDK's client of `endpoint`: its Region and static credentials, the SDK's retries off, each
/// call within `timeout` (`sdk_client!(aws_sdk_sqs, endpoint, timeout)`). A macro because each
/// SDK crate has its own config types, built alike.
macro_rules! sdk_client {
    ($sdk:ident, $endpoint:expr, $timeout:expr) => {{
        let endpoint: &$crate::config::AwsEndpoint = $endpoint;
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .endpoint_url(&endpoint.endpoint_url)
                .region($sdk::config::Region::new(endpoint.region.clone()))
                .credentials_provider($crate::aws::credentials(endpoint))
                .retry_config($sdk::config::retry::RetryConfig::disabled())
                .timeout_config($crate::aws::timeouts($timeout))
                .build(),
        )
    }};
}
use sdk_client;

/// The parts of an ARN (`arn:<partition>:<service>:<region>:<account>:<resource>`) a send needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

impl Arn {
    pub fn parse(arn: &str) -> Option<Arn> {
        let mut parts = arn.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let _partition = parts.next().filter(|p| !p.is_empty())?;
        let service = parts.next().filter(|s| !s.is_empty())?;
        let region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next().filter(|r| !r.is_empty())?;
        Some(Arn {
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }

    /// The ARN of `service`, or why not.
    fn of_service(arn: &str, service: &str) -> Result<Arn, String> {
        match Arn::parse(arn) {
            Some(a) if a.service == service => Ok(a),
            _ => Err(format!("not an {service} ARN: {arn}")),
        }
    }

    /// The Region requests for this resource are signed for: the ARN's own, since the
    /// resource lives there, else the endpoint's.
    fn region_or<'a>(&'a self, default: &'a str) -> &'a str {
        if self.region.is_empty() {
            default
        } else {
            &self.region
        }
    }
}

/// The SDK clients' timeouts: one attempt, the whole call within `request_timeout`.
fn timeouts(request_timeout: Duration) -> aws_sdk_sqs::config::timeout::TimeoutConfig {
    aws_sdk_sqs::config::timeout::TimeoutConfig::builder()
        .operation_timeout(request_timeout)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_split_into_their_parts() {
        assert_eq!(
            Arn::parse("arn:aws:sqs:us-east-1:111122223333:my-queue"),
            Some(Arn {
                service: "sqs".into(),
                region: "us-east-1".into(),
                account: "111122223333".into(),
                resource: "my-queue".into(),
            })
        );
        let topic = Arn::parse("arn:aws-cn:sns:cn-north-1:111122223333:a:b").expect("an ARN");
        assert_eq!(topic.resource, "a:b");
        assert_eq!(topic.region_or("us-east-1"), "cn-north-1");
        let regionless = Arn::parse("arn:aws:sns::111122223333:t").expect("an ARN");
        assert_eq!(regionless.region_or("eu-west-1"), "eu-west-1");
        for bad in [
            "",
            "arn",
            "arn:aws:sqs:us-east-1:111122223333",
            "arn:aws:sqs:us-east-1:111122223333:",
            "urn:aws:sqs:us-east-1:111122223333:q",
            "arn::sqs:us-east-1:111122223333:q",
        ] {
            assert_eq!(Arn::parse(bad), None, "{bad}");
        }
        assert!(Arn::of_service("arn:aws:sns:us-east-1:1:t", "sqs").is_err());
        assert!(Arn::of_service("arn:aws:sqs:us-east-1:1:q", "sqs").is_ok());
    }
}
