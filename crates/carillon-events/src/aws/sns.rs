//! SNS: `Publish` of the envelope's JSON (`Message`) to a meeting's `SnsTopicArn`.

use std::time::Duration;

use aws_sdk_sns::config::Region;
use aws_sdk_sns::Client;

use super::{sdk_client, Arn};
use crate::config::AwsEndpoint;
use crate::error_chain;

pub struct SnsSender {
    client: Client,
    default_region: String,
}

impl SnsSender {
    pub fn new(endpoint: &AwsEndpoint, request_timeout: Duration) -> Self {
        SnsSender {
            client: sdk_client!(aws_sdk_sns, endpoint, request_timeout),
            default_region: endpoint.region.clone(),
        }
    }

    /// Publishes `message` to the topic `topic_arn`.
    pub async fn send(&self, topic_arn: &str, message: &str) -> Result<(), String> {
        let arn = Arn::of_service(topic_arn, "sns")?;
        let region = Region::new(arn.region_or(&self.default_region).to_owned());
        self.client
            .publish()
            .topic_arn(topic_arn)
            .message(message)
            .customize()
            .config_override(aws_sdk_sns::Config::builder().region(region))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("Publish: {}", error_chain(&e)))
    }
}
