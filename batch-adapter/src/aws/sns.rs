//! A [`Notifier`] publishing to an Amazon SNS topic.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;
use pollflow::{Notification, Notifier, TaskError};

use super::errors::classify;

/// Publishes each notification to one topic: the message as `Message`, the subject as
/// `Subject`, the Notify state's name as the message attribute `state`, plus any fixed
/// attributes given with [`SnsNotifier::with_attribute`].
#[derive(Clone, Debug)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
    attributes: BTreeMap<String, String>,
}

impl SnsNotifier {
    /// A notifier for `topic_arn`.
    ///
    /// ```no_run
    /// use pollflow_batch::aws::{load_config, SnsNotifier};
    ///
    /// # async fn demo() {
    /// let config = load_config(None).await;
    /// let notifier = SnsNotifier::new(&config, "arn:aws:sns:us-east-1:123456789012:jobs")
    ///     .with_attribute("team", "data");
    /// # let _ = notifier; }
    /// ```
    pub fn new(config: &aws_config::SdkConfig, topic_arn: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            topic_arn: topic_arn.into(),
            attributes: BTreeMap::new(),
        }
    }

    /// Adds a string message attribute to every message.
    #[must_use]
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, TaskError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| TaskError::new("SNS.InvalidParameter", e.to_string()))
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn notify(&self, notification: &Notification) -> Result<(), TaskError> {
        let mut publish = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(&notification.message)
            .set_subject(notification.subject.clone())
            .message_attributes("state", attribute(&notification.state)?);
        for (name, value) in &self.attributes {
            publish = publish.message_attributes(name, attribute(value)?);
        }
        publish.send().await.map_err(|e| {
            let failure = classify(&e);
            TaskError::new(format!("SNS.{}", failure.code), failure.message).with_source(e)
        })?;
        Ok(())
    }
}
