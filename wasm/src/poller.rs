//! A pollflow `Poller` and `Notifier` made of JS functions.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll};

use async_trait::async_trait;
use js_sys::Function;
use pollflow::{CheckError, JobStatus, Notification, Notifier, Poller, TaskError};
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::errors::{describe, message, number};
use crate::json;
use crate::keys::{get, is, set, Key};

/// Whether `value` is a promise or another thenable; what reading its `then` threw, as `Err`.
fn is_thenable(value: &JsValue) -> Result<bool, JsValue> {
    if !(value.is_object() || value.is_function()) {
        return Ok(false);
    }
    get(value, Key::Then).map(|then| then.is_function())
}

/// How many times an execution was aborted (see [`note_abort`]). An atomic only to be a safe
/// `static`: there are no threads.
static ABORTS: AtomicU32 = AtomicU32::new(0);

/// Counts an abort: a callback that aborts its own execution and returns at once has its
/// result taken only after the abort is seen, as when results always came a microtask later.
pub(crate) fn note_abort() {
    ABORTS.fetch_add(1, Relaxed);
}

/// Calls `f(args...)` and awaits its result if it is a promise (or another thenable); a
/// throw or a rejection is returned as the thrown value. A plain value is taken at once.
pub(crate) async fn call_js(f: &Function, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let aborts = ABORTS.load(Relaxed);
    let returned = match args {
        [] => f.call0(&JsValue::UNDEFINED),
        [a] => f.call1(&JsValue::UNDEFINED, a),
        [a, b, ..] => f.call2(&JsValue::UNDEFINED, a, b),
    };
    // A result whose `then` getter throws counts as that throw.
    let (returned, thenable) = match returned {
        Ok(value) => match is_thenable(&value) {
            Ok(thenable) => (Ok(value), thenable),
            Err(thrown) => (Err(thrown), false),
        },
        Err(thrown) => (Err(thrown), false),
    };
    // The callback ran: the engine must read the clock again.
    crate::clock::forget_now();
    match returned {
        Ok(promise) if thenable => crate::host::settled(&promise).await,
        returned => {
            if ABORTS.load(Relaxed) != aborts {
                YieldOnce(false).await;
            }
            returned
        }
    }
}

/// Pending once (waking at once), then ready: lets the run see an abort first.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// [`call_js`], a throw or rejection becoming `States.TaskFailed`.
async fn call(f: &Function, args: &[JsValue], what: &str) -> Result<JsValue, TaskError> {
    call_js(f, args)
        .await
        .map_err(|thrown| crate::errors::task_error(&thrown, what))
}

/// JS callbacks for submit, check and (optionally) cancel and find.
pub(crate) struct JsPoller {
    pub(crate) submit: Function,
    pub(crate) check: Function,
    pub(crate) cancel: Option<Function>,
    /// `find(input, key)`: the handle of the job submitted under `key`, or null.
    pub(crate) find: Option<Function>,
    /// `submit(input, { key })`; `false`: `submit(input)` (`pollflow/asl`'s handlers take the
    /// handler context second).
    pub(crate) pass_key: bool,
    /// The last handle checked, and its JSON text as a JS string: each check gets a fresh copy
    /// (`JSON.parse`) without printing the same handle again.
    pub(crate) handle: RefCell<Option<(Value, JsValue)>>,
}

impl JsPoller {
    /// Calls `submit` with `args`; its result is the handle.
    async fn submit_with(&self, args: &[JsValue]) -> Result<Value, TaskError> {
        let handle = call(&self.submit, args, "submit()").await?;
        let handle = json::from_js(&handle, "submit() result");
        // Reading the handle may run JS too (`toJSON`).
        crate::clock::forget_now();
        handle.map_err(|e| TaskError::new("TypeError", message(&e)))
    }

    /// `handle` as a fresh JS value.
    fn handle_js(&self, handle: &Value) -> JsValue {
        if let Some((value, text)) = &*self.handle.borrow() {
            if value == handle {
                return json::parse(text);
            }
        }
        let text = JsValue::from_str(&json::to_text(handle));
        let fresh = json::parse(&text);
        *self.handle.borrow_mut() = Some((handle.clone(), text));
        fresh
    }
}

fn shape_error(message: String) -> CheckError {
    CheckError::fatal("TypeError", message)
}

/// Reads `{status, detail, output, retryAfterMs}` as returned by `check` (or given to
/// `pushStatus`, whose errors are reworded in `push.rs`).
pub(crate) fn job_status(result: &JsValue) -> Result<JobStatus, CheckError> {
    if !result.is_object() {
        return Err(shape_error(format!(
            "check() must return an object like {{status: 'PENDING' | 'SUCCEEDED' | 'FAILED'}}, got {}",
            describe(result)
        )));
    }
    let field = |key: Key| {
        get(result, key).map_err(|thrown| {
            shape_error(format!(
                "reading check() result .{} threw: {}",
                key.name(),
                message(&thrown)
            ))
        })
    };
    let value = |key: Key| {
        let what = format!("check() result .{}", key.name());
        json::from_js(&field(key)?, &what).map_err(|e| shape_error(message(&e)))
    };
    let status = field(Key::Status)?;
    if is(&status, Key::Pending) {
        let retry_after = field(Key::RetryAfterMs)?;
        let retry_after = match retry_after.as_f64() {
            None if retry_after.is_undefined() || retry_after.is_null() => None,
            Some(ms) => Some(crate::fields::duration(ms).ok_or_else(|| {
                shape_error(format!(
                    "check() result .retryAfterMs must be a finite number >= 0 and <= {} (milliseconds), got {}",
                    number(crate::fields::MAX_SAFE_INTEGER),
                    describe(&retry_after)
                ))
            })?),
            None => {
                return Err(shape_error(format!(
                    "check() result .retryAfterMs must be a number of milliseconds, got {}",
                    describe(&retry_after)
                )))
            }
        };
        Ok(JobStatus::Pending {
            detail: value(Key::Detail)?,
            retry_after,
        })
    } else if is(&status, Key::Succeeded) {
        Ok(JobStatus::succeeded(value(Key::Output)?))
    } else if is(&status, Key::Failed) {
        Ok(JobStatus::failed(value(Key::Detail)?))
    } else {
        let got = match status.as_string() {
            Some(text) => format!("{text:?}"),
            None => describe(&status),
        };
        Err(shape_error(format!(
            "check() result .status must be 'PENDING', 'SUCCEEDED' or 'FAILED', got {got}"
        )))
    }
}

#[async_trait(?Send)]
impl Poller for JsPoller {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        self.submit_with(&[json::to_js(input)]).await
    }

    /// `submit(input, { key })`.
    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        let input = json::to_js(input);
        if !self.pass_key {
            return self.submit_with(&[input]).await;
        }
        let context = js_sys::Object::new();
        set(&context, Key::Idempotency, &key.into());
        self.submit_with(&[input, context.into()]).await
    }

    /// `find(input, key)`: `null` or `undefined` when there is no such job.
    async fn find_submitted(&self, input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        let Some(find) = &self.find else {
            return Err(TaskError::new(
                pollflow::names::FIND_UNSUPPORTED,
                "no find callback was given",
            ));
        };
        let found = call(find, &[json::to_js(input), key.into()], "find()").await?;
        let handle = if found.is_null() || found.is_undefined() {
            Ok(None)
        } else {
            json::from_js(&found, "find() result").map(Some)
        };
        crate::clock::forget_now();
        handle.map_err(|e| TaskError::new("TypeError", message(&e)))
    }

    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        match call_js(&self.check, &[self.handle_js(handle)]).await {
            Ok(result) => {
                // Reading the result may run JS too (getters, `toJSON`).
                let status = job_status(&result);
                crate::clock::forget_now();
                status
            }
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
