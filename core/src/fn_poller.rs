//! A [`Poller`] made of async closures.

use std::future::Future;

use serde_json::Value;

use crate::error::{CheckError, TaskError};
use crate::platform::{async_trait_outside_wasm, SendOutsideWasm, SyncOutsideWasm};
use crate::poller::{JobStatus, Poller};

/// Builds a [`Poller`] from two async closures; add cancellation with
/// [`FnPoller::with_cancel`]. Each closure receives its argument by value.
///
/// ```
/// use pollflow::{poller_fn, JobStatus, Poller};
/// use serde_json::json;
///
/// let poller = poller_fn(
///     |input| async move { Ok(json!({ "ticket": input["name"] })) },
///     |_ticket| async move { Ok(JobStatus::succeeded("done")) },
/// );
/// let handle = futures::executor::block_on(poller.submit(&json!({"name": "q1"}))).unwrap();
/// assert_eq!(handle, json!({"ticket": "q1"}));
/// ```
pub fn poller_fn<S, SF, C, CF>(submit: S, check: C) -> FnPoller<S, C, NoCancel>
where
    S: Fn(Value) -> SF + SendOutsideWasm + SyncOutsideWasm,
    SF: Future<Output = Result<Value, TaskError>> + SendOutsideWasm,
    C: Fn(Value) -> CF + SendOutsideWasm + SyncOutsideWasm,
    CF: Future<Output = Result<JobStatus, CheckError>> + SendOutsideWasm,
{
    FnPoller {
        submit,
        check,
        cancel: NoCancel,
    }
}

/// A poller of closures; see [`poller_fn`].
#[derive(Clone, Debug)]
pub struct FnPoller<S, C, X> {
    submit: S,
    check: C,
    cancel: X,
}

/// The cancel step of an [`FnPoller`] that has none.
#[derive(Clone, Copy, Debug)]
pub struct NoCancel;

impl<S, C> FnPoller<S, C, NoCancel> {
    /// Adds a cancel closure: `(handle, reason)`.
    pub fn with_cancel<X, XF>(self, cancel: X) -> FnPoller<S, C, X>
    where
        X: Fn(Value, String) -> XF + SendOutsideWasm + SyncOutsideWasm,
        XF: Future<Output = Result<(), TaskError>> + SendOutsideWasm,
    {
        FnPoller {
            submit: self.submit,
            check: self.check,
            cancel,
        }
    }
}

async_trait_outside_wasm! {
impl<S, SF, C, CF> Poller for FnPoller<S, C, NoCancel>
where
    S: Fn(Value) -> SF + SendOutsideWasm + SyncOutsideWasm,
    SF: Future<Output = Result<Value, TaskError>> + SendOutsideWasm,
    C: Fn(Value) -> CF + SendOutsideWasm + SyncOutsideWasm,
    CF: Future<Output = Result<JobStatus, CheckError>> + SendOutsideWasm,
{
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        (self.submit)(input.clone()).await
    }
    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        (self.check)(handle.clone()).await
    }
}
}

async_trait_outside_wasm! {
impl<S, SF, C, CF, X, XF> Poller for FnPoller<S, C, X>
where
    S: Fn(Value) -> SF + SendOutsideWasm + SyncOutsideWasm,
    SF: Future<Output = Result<Value, TaskError>> + SendOutsideWasm,
    C: Fn(Value) -> CF + SendOutsideWasm + SyncOutsideWasm,
    CF: Future<Output = Result<JobStatus, CheckError>> + SendOutsideWasm,
    X: Fn(Value, String) -> XF + SendOutsideWasm + SyncOutsideWasm,
    XF: Future<Output = Result<(), TaskError>> + SendOutsideWasm,
{
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        (self.submit)(input.clone()).await
    }
    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        (self.check)(handle.clone()).await
    }
    async fn cancel(&self, handle: &Value, reason: &str) -> Result<(), TaskError> {
        (self.cancel)(handle.clone(), reason.to_owned()).await
    }
}
}
