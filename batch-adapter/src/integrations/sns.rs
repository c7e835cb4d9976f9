//! `sns:publish`: a message published through any [`Notifier`].

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use pollflow::task::TaskHandler;
use pollflow::{Notification, Notifier, TaskError};
use serde_json::{json, Value};

/// `sns:publish`: `Message` (a string, or JSON sent as its text), `Subject`, `TopicArn`,
/// `MessageAttributes` become a [`Notification`]; returns `{MessageId}`.
pub(super) struct SnsPublish<N> {
    notifier: N,
    published: AtomicU64,
}

impl<N> SnsPublish<N> {
    pub(super) fn new(notifier: N) -> Self {
        Self {
            notifier,
            published: AtomicU64::new(0),
        }
    }
}

/// The parameters of an `sns:publish` Task state.
pub(crate) struct Publish {
    /// `TopicArn`, when given.
    pub(crate) topic: Option<String>,
    pub(crate) message: String,
    pub(crate) subject: Option<String>,
    /// `MessageAttributes`, as given (`null` when absent).
    pub(crate) attributes: Value,
}

impl Publish {
    /// Reads the parameters as Step Functions does: `Message` is required (JSON other than a
    /// string is sent as its text), `Subject` and `TopicArn` must be strings.
    pub(crate) fn from_input(input: &Value) -> Result<Self, TaskError> {
        let invalid = |why: &str| TaskError::new("SNS.InvalidParameterException", why.to_owned());
        let message = match input.get("Message") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => return Err(invalid("Message is required")),
            Some(json) => json.to_string(),
        };
        let text = |field: &str| match input.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(&format!("{field} must be a string"))),
        };
        Ok(Self {
            topic: text("TopicArn")?,
            message,
            subject: text("Subject")?,
            attributes: input
                .get("MessageAttributes")
                .cloned()
                .unwrap_or(Value::Null),
        })
    }
}

#[async_trait]
impl<N: Notifier> TaskHandler for SnsPublish<N> {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let publish = Publish::from_input(&input)?;
        self.notifier
            .notify(&Notification {
                state: publish.topic.unwrap_or_else(|| "sns:publish".to_owned()),
                subject: publish.subject,
                message: publish.message,
                detail: publish.attributes,
            })
            .await?;
        let n = self.published.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(json!({ "MessageId": format!("pollflow-local-{n}") }))
    }
}
