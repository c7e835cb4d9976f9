//! A pollflow `Poller` and `Notifier` made of JS functions.

use std::time::Duration;

use async_trait::async_trait;
use js_sys::{Function, Promise, Reflect};
use pollflow::{CheckError, JobStatus, Notification, Notifier, Poller, TaskError};
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::json;

/// Calls `f(args...)` and awaits its result if it is a promise; a throw or a rejection is
/// returned as the thrown value.
async fn call_js(f: &Function, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let returned = match args {
        [] => f.call0(&JsValue::UNDEFINED),
        [a] => f.call1(&JsValue::UNDEFINED, a),
        [a, b, ..] => f.call2(&JsValue::UNDEFINED, a, b),
    }?;
    JsFuture::from(Promise::resolve(&returned)).await
}

/// [`call_js`], a throw or rejection becoming `States.TaskFailed`.
async fn call(f: &Function, args: &[JsValue], what: &str) -> Result<JsValue, TaskError> {
    call_js(f, args)
        .await
        .map_err(|thrown| crate::errors::task_error(&thrown, what))
}

/// JS callbacks for submit, check and (optionally) cancel.
pub(crate) struct JsPoller {
    pub(crate) submit: Function,
    pub(crate) check: Function,
    pub(crate) cancel: Option<Function>,
}

fn shape_error(message: String) -> CheckError {
    CheckError::fatal("TypeError", message)
}

/// Reads `{status, detail, output, retryAfterMs}` as returned by `check`.
fn job_status(result: &JsValue) -> Result<JobStatus, CheckError> {
    if !result.is_object() {
        return Err(shape_error(format!(
            "check() must return an object like {{status: 'PENDING' | 'SUCCEEDED' | 'FAILED'}}, got {}",
            crate::errors::message(result)
        )));
    }
    let field = |name: &str| Reflect::get(result, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let value = |name: &str| {
        json::from_js(&field(name), &format!("check() result .{name}"))
            .map_err(|e| shape_error(crate::errors::message(&e)))
    };
    let status = field("status").as_string().unwrap_or_default();
    match status.as_str() {
        "PENDING" => {
            let retry_after = field("retryAfterMs");
            let retry_after = match retry_after.as_f64() {
                None if retry_after.is_undefined() || retry_after.is_null() => None,
                Some(ms) if ms.is_finite() && ms >= 0.0 => Some(Duration::from_secs_f64(ms / 1000.0)),
                _ => {
                    return Err(shape_error(format!(
                        "check() result .retryAfterMs must be a finite number >= 0 (milliseconds), got {}",
                        crate::errors::message(&retry_after)
                    )))
                }
            };
            Ok(JobStatus::Pending {
                detail: value("detail")?,
                retry_after,
            })
        }
        "SUCCEEDED" => Ok(JobStatus::succeeded(value("output")?)),
        "FAILED" => Ok(JobStatus::failed(value("detail")?)),
        _ => Err(shape_error(format!(
            "check() result .status must be 'PENDING', 'SUCCEEDED' or 'FAILED', got {:?}",
            crate::errors::message(&field("status"))
        ))),
    }
}

#[async_trait(?Send)]
impl Poller for JsPoller {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        let handle = call(&self.submit, &[json::to_js(input)], "submit()").await?;
        json::from_js(&handle, "submit() result")
            .map_err(|e| TaskError::new("TypeError", crate::errors::message(&e)))
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        match call_js(&self.check, &[json::to_js(handle)]).await {
            Ok(result) => job_status(&result),
            // `error.retryable = true` marks a passing failure (a 503, a timeout): retried.
            Err(thrown) if crate::errors::is_retryable(&thrown) => Err(CheckError::Transient(
                crate::errors::task_error(&thrown, "check()"),
            )),
            Err(thrown) => Err(CheckError::Fatal(crate::errors::task_error(
                &thrown, "check()",
            ))),
        }
    }

    async fn cancel(&self, handle: &Value, reason: &str) -> Result<(), TaskError> {
        match &self.cancel {
            Some(cancel) => call(cancel, &[json::to_js(handle), reason.into()], "cancel()")
                .await
                .map(drop),
            None => Err(TaskError::new(
                pollflow::names::CANCEL_UNSUPPORTED,
                "no cancel callback was given",
            )),
        }
    }
}

/// A JS `notify(notification)` callback.
pub(crate) struct JsNotifier(pub(crate) Function);

#[async_trait(?Send)]
impl Notifier for JsNotifier {
    async fn notify(&self, notification: &Notification) -> Result<(), TaskError> {
        call(&self.0, &[json::to_js(notification)], "notify()")
            .await
            .map(drop)
    }
}
