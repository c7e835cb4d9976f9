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

#[async_trait]
impl<N: Notifier> TaskHandler for SnsPublish<N> {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let invalid = |why: &str| TaskError::new("SNS.InvalidParameterException", why.to_owned());
        let message = match input.get("Message") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => return Err(invalid("Message is required")),
            Some(json) => json.to_string(),
        };
        let subject = match input.get("Subject") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(invalid("Subject must be a string")),
        };
        let topic = input
            .get("TopicArn")
            .and_then(Value::as_str)
            .unwrap_or("sns:publish");
        self.notifier
            .notify(&Notification {
                state: topic.to_owned(),
                subject,
                message,
                detail: input
                    .get("MessageAttributes")
                    .cloned()
                    .unwrap_or(Value::Null),
            })
            .await?;
        let n = self.published.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(json!({ "MessageId": format!("pollflow-local-{n}") }))
    }
}
