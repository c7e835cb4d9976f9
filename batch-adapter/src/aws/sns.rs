//! Amazon SNS: a [`Notifier`] publishing to a topic, and the `sns:publish` Task state.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;
use pollflow::task::TaskHandler;
use pollflow::{Notification, Notifier, TaskError};
use serde_json::{json, Value};

use super::errors::classify;
use crate::integrations::Publish;

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
        publish.send().await.map_err(sns_error)?;
        Ok(())
    }
}

/// A failed SNS call as a task error named the way Step Functions names it (`SNS.<code>`).
fn sns_error<E>(
    e: aws_sdk_sns::error::SdkError<E, aws_sdk_sns::config::http::HttpResponse>,
) -> TaskError
where
    E: aws_sdk_sns::error::ProvideErrorMetadata
        + aws_smithy_types::retry::ProvideErrorKind
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    let failure = classify(&e);
    TaskError::new(format!("SNS.{}", failure.code), failure.message).with_source(e)
}

/// The `sns:publish` Task state on Amazon SNS: publishes to the state's `TopicArn` (or
/// `TargetArn`, or `PhoneNumber`), with its `Message`, `Subject`, `MessageAttributes`
/// (`{"name": {"DataType": "String", "StringValue": "..."}}`; binary values are not passed
/// on), and for FIFO topics `MessageGroupId` and `MessageDeduplicationId`; returns
/// `{MessageId}` (and `SequenceNumber` from a FIFO topic), as Step Functions does.
#[derive(Clone, Debug)]
pub struct SnsPublishTask {
    client: Client,
}

impl SnsPublishTask {
    /// Publishes with AWS configuration `config` (see [`load_config`](super::load_config)).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

#[async_trait]
impl TaskHandler for SnsPublishTask {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let publish = Publish::from_input(&input)?;
        let invalid = |why: String| TaskError::new("SNS.InvalidParameterException", why);
        let text = |field: &str| input.get(field).and_then(Value::as_str).map(str::to_owned);
        let (target, phone) = (text("TargetArn"), text("PhoneNumber"));
        if publish.topic.is_none() && target.is_none() && phone.is_none() {
            return Err(invalid(
                "TopicArn, TargetArn or PhoneNumber is required".into(),
            ));
        }
        let mut request = self
            .client
            .publish()
            .set_topic_arn(publish.topic)
            .set_target_arn(target)
            .set_phone_number(phone)
            .message(publish.message)
            .set_subject(publish.subject)
            .set_message_group_id(text("MessageGroupId"))
            .set_message_deduplication_id(text("MessageDeduplicationId"));
        for (name, value) in publish.attributes.as_object().into_iter().flatten() {
            let field = |field: &str| value.get(field).and_then(Value::as_str).map(str::to_owned);
            let attribute = MessageAttributeValue::builder()
                .set_data_type(field("DataType"))
                .set_string_value(field("StringValue"))
                .build()
                .map_err(|e| invalid(format!("MessageAttributes.{name}: {e}")))?;
            request = request.message_attributes(name, attribute);
        }
        let published = request.send().await.map_err(sns_error)?;
        let mut result = json!({ "MessageId": published.message_id() });
        if let Some(sequence) = published.sequence_number() {
            result["SequenceNumber"] = json!(sequence);
        }
        Ok(result)
    }
}
