//! SQS: `SendMessage` of the envelope's JSON to a meeting's `SqsQueueArn`.
//!
//! SendMessage takes a queue URL, not an ARN: `arn:aws:sqs:<region>:<account>:<name>` is turned
//! into one with `GetQueueUrl` (`QueueName`, `QueueOwnerAWSAccountId`), asked once per ARN and
//! kept; a send that fails forgets it, so a queue deleted and created again is found anew.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_sqs::config::Region;
use aws_sdk_sqs::Client;

use super::{sdk_client, Arn};
use crate::config::AwsEndpoint;
use crate::error_chain;

pub struct SqsSender {
    client: Client,
    default_region: String,
    /// Queue URL by ARN.
    urls: Mutex<HashMap<String, String>>,
}

impl SqsSender {
    pub fn new(endpoint: &AwsEndpoint, request_timeout: Duration) -> Self {
        SqsSender {
            client: sdk_client!(aws_sdk_sqs, endpoint, request_timeout),
            default_region: endpoint.region.clone(),
            urls: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `body` to the queue `queue_arn`.
    pub async fn send(&self, queue_arn: &str, body: &str) -> Result<(), String> {
        let arn = Arn::of_service(queue_arn, "sqs")?;
        let region = Region::new(arn.region_or(&self.default_region).to_owned());
        let url = self.queue_url(queue_arn, &arn, &region).await?;
        let sent = self
            .client
            .send_message()
            .queue_url(&url)
            .message_body(body)
            .customize()
            .config_override(aws_sdk_sqs::Config::builder().region(region))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) => {
                self.urls.lock().expect("queue URL cache").remove(queue_arn);
                Err(format!("SendMessage: {}", error_chain(&e)))
            }
        }
    }

    async fn queue_url(
        &self,
        queue_arn: &str,
        arn: &Arn,
        region: &Region,
    ) -> Result<String, String> {
        if let Some(url) = self.urls.lock().expect("queue URL cache").get(queue_arn) {
            return Ok(url.clone());
        }
        let mut request = self.client.get_queue_url().queue_name(&arn.resource);
        if !arn.account.is_empty() {
            request = request.queue_owner_aws_account_id(&arn.account);
        }
        let answer = request
            .customize()
            .config_override(aws_sdk_sqs::Config::builder().region(region.clone()))
            .send()
            .await
            .map_err(|e| format!("GetQueueUrl: {}", error_chain(&e)))?;
        let url = answer
            .queue_url()
            .ok_or_else(|| "GetQueueUrl answered no QueueUrl".to_owned())?
            .to_owned();
        self.urls
            .lock()
            .expect("queue URL cache")
            .insert(queue_arn.to_owned(), url.clone());
        Ok(url)
    }
}
