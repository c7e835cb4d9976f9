//! Where Notify states send their messages.

use std::future::Future;
use std::rc::Rc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::TaskError;

/// A message from a Notify state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The Notify state that sent it.
    pub state: String,
    /// Subject line (SNS `Subject`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The message text.
    pub message: String,
    /// The job's last known detail or output (`null` before the first check).
    pub detail: Value,
}

/// Delivers notifications: a topic, a chat channel, a log.
#[async_trait(?Send)]
pub trait Notifier {
    /// Sends one notification; an error fails the execution with that error.
    async fn notify(&self, notification: &Notification) -> Result<(), TaskError>;
}

#[async_trait(?Send)]
impl<N: Notifier + ?Sized> Notifier for Rc<N> {
    async fn notify(&self, notification: &Notification) -> Result<(), TaskError> {
        (**self).notify(notification).await
    }
}

/// A [`Notifier`] from an async closure.
///
/// ```
/// use pollflow::notifier_fn;
///
/// let notifier = notifier_fn(|n| async move {
///     println!("{}: {}", n.state, n.message);
///     Ok(())
/// });
/// # let _ = notifier;
/// ```
pub fn notifier_fn<F, Fut>(send: F) -> FnNotifier<F>
where
    F: Fn(Notification) -> Fut,
    Fut: Future<Output = Result<(), TaskError>>,
{
    FnNotifier(send)
}

/// A notifier of a closure; see [`notifier_fn`].
#[derive(Clone, Debug)]
pub struct FnNotifier<F>(F);

#[async_trait(?Send)]
impl<F, Fut> Notifier for FnNotifier<F>
where
    F: Fn(Notification) -> Fut,
    Fut: Future<Output = Result<(), TaskError>>,
{
    async fn notify(&self, notification: &Notification) -> Result<(), TaskError> {
        (self.0)(notification.clone()).await
    }
}
