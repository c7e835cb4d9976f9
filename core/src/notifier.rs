//! Where Notify states send their messages.

use std::future::Future;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::TaskError;
use crate::platform::{async_trait_outside_wasm, SendOutsideWasm, SyncOutsideWasm};

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

async_trait_outside_wasm! {
/// Delivers notifications: a topic, a chat channel, a log.
///
/// Implemented like [`Poller`](crate::Poller): `#[async_trait]` on native targets (`Send`
/// futures, a `Send + Sync` notifier), `#[async_trait(?Send)]` on `wasm32`.
///
/// ```
/// use pollflow::{async_trait, Notification, Notifier, TaskError};
///
/// struct Log;
///
/// #[async_trait]
/// impl Notifier for Log {
///     async fn notify(&self, n: &Notification) -> Result<(), TaskError> {
///         println!("{}: {}", n.state, n.message);
///         Ok(())
///     }
/// }
/// ```
pub trait Notifier: SendOutsideWasm + SyncOutsideWasm {
    /// Sends one notification; an error fails the execution with that error.
    async fn notify(&self, notification: &Notification) -> Result<(), TaskError>;
}
}

async_trait_outside_wasm! {
impl<N: Notifier + ?Sized> Notifier for Arc<N> {
    async fn notify(&self, notification: &Notification) -> Result<(), TaskError> {
        (**self).notify(notification).await
    }
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
    F: Fn(Notification) -> Fut + SendOutsideWasm + SyncOutsideWasm,
    Fut: Future<Output = Result<(), TaskError>> + SendOutsideWasm,
{
    FnNotifier(send)
}

/// A notifier of a closure; see [`notifier_fn`].
#[derive(Clone, Debug)]
pub struct FnNotifier<F>(F);

async_trait_outside_wasm! {
impl<F, Fut> Notifier for FnNotifier<F>
where
    F: Fn(Notification) -> Fut + SendOutsideWasm + SyncOutsideWasm,
    Fut: Future<Output = Result<(), TaskError>> + SendOutsideWasm,
{
    async fn notify(&self, notification: &Notification) -> Result<(), TaskError> {
        (self.0)(notification.clone()).await
    }
}
}
