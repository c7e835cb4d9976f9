//! `run(options)`: reading and checking what JS passes in. Every mistake is a `TypeError` or
//! `RangeError` naming the field.

use std::time::Duration;

use js_sys::{Function, Reflect};
use pollflow::{names, Backoff, Branch, Jitter, Path, WaitPolicy, Workflow};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::{range_error, type_error};
use crate::json;
use crate::poller::{JsNotifier, JsPoller};

/// Everything `run` needs, checked.
pub(crate) struct Options {
    pub(crate) workflow: Workflow,
    pub(crate) poller: JsPoller,
    pub(crate) notifier: Option<JsNotifier>,
    pub(crate) input: Value,
    pub(crate) seed: u64,
}

fn get(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

fn describe(value: &JsValue) -> String {
    if let Some(n) = value.as_f64() {
        return n.to_string();
    }
    value.js_typeof().as_string().unwrap_or_default()
}

fn function(object: &JsValue, name: &str, required: bool) -> Result<Option<Function>, JsValue> {
    let value = get(object, name);
    if absent(&value) && !required {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|v| {
        type_error(&format!(
            "options.{name} must be a function, got {}",
            describe(&v)
        ))
    })
}

/// A duration in milliseconds: absent → `None`; not a number → `TypeError`; NaN, infinite or
/// negative → `RangeError`.
fn millis(object: &JsValue, field: &str) -> Result<Option<Duration>, JsValue> {
    let value = get(object, field.rsplit('.').next().unwrap_or(field));
    if absent(&value) {
        return Ok(None);
    }
    let ms = value.as_f64().ok_or_else(|| {
        type_error(&format!(
            "{field} must be a number of milliseconds, got {}",
            describe(&value)
        ))
    })?;
    if !ms.is_finite() || ms < 0.0 {
        return Err(range_error(&format!(
            "{field} must be a finite number >= 0 (milliseconds), got {ms}"
        )));
    }
    Ok(Some(Duration::from_secs_f64(ms / 1000.0)))
}

/// A whole number of at least `min`.
fn whole(object: &JsValue, field: &str, min: f64) -> Result<Option<u64>, JsValue> {
    let value = get(object, field.rsplit('.').next().unwrap_or(field));
    if absent(&value) {
        return Ok(None);
    }
    let n = value.as_f64().ok_or_else(|| {
        type_error(&format!(
            "{field} must be a number, got {}",
            describe(&value)
        ))
    })?;
    if !(n.is_finite() && n.fract() == 0.0 && n >= min && n <= 9_007_199_254_740_991.0) {
        return Err(range_error(&format!(
            "{field} must be a whole number >= {min}, got {n}"
        )));
    }
    Ok(Some(n as u64))
}

fn text(object: &JsValue, field: &str, default: &str) -> Result<String, JsValue> {
    let value = get(object, field.rsplit('.').next().unwrap_or(field));
    if absent(&value) {
        return Ok(default.to_owned());
    }
    value.as_string().ok_or_else(|| {
        type_error(&format!(
            "{field} must be a string, got {}",
            describe(&value)
        ))
    })
}

fn wait_policy(options: &JsValue) -> Result<WaitPolicy, JsValue> {
    let wait = get(options, "wait");
    let mut policy = if absent(&wait) {
        WaitPolicy::fixed(Duration::from_secs(1))
    } else if !wait.is_object() {
        return Err(type_error(&format!(
            "options.wait must be an object, got {}",
            describe(&wait)
        )));
    } else if let Some(interval) = millis(&wait, "options.wait.intervalMs")? {
        WaitPolicy::fixed(interval)
    } else {
        let min = millis(&wait, "options.wait.minDelayMs")?;
        let max = millis(&wait, "options.wait.maxDelayMs")?;
        let (Some(initial), Some(max)) = (min, max) else {
            return Err(type_error(
                "options.wait needs intervalMs, or minDelayMs and maxDelayMs",
            ));
        };
        if initial > max {
            return Err(range_error(
                "options.wait.minDelayMs must not exceed options.wait.maxDelayMs",
            ));
        }
        let rate = get(&wait, "rate");
        let rate = match rate.as_f64() {
            None if absent(&rate) => 2.0,
            Some(r) if r.is_finite() && r >= 1.0 => r,
            _ => {
                return Err(range_error(&format!(
                    "options.wait.rate must be a finite number >= 1, got {}",
                    describe(&rate)
                )))
            }
        };
        let jitter = match text(&wait, "options.wait.jitter", "bounded")?.as_str() {
            "none" => Jitter::None,
            "full" => Jitter::Full,
            "bounded" => Jitter::Bounded,
            other => {
                return Err(range_error(&format!(
                    "options.wait.jitter must be 'none', 'full' or 'bounded', got {other:?}"
                )))
            }
        };
        WaitPolicy::with_backoff(Backoff::Exponential {
            initial,
            max,
            rate,
            jitter,
        })
    };
    if let Some(budget) = millis(options, "options.maxWaitMs")? {
        policy = policy.with_max_wait(budget);
    }
    if let Some(attempts) = whole(options, "options.maxAttempts", 1.0)? {
        policy = policy.with_max_attempts(u32::try_from(attempts).unwrap_or(u32::MAX));
    }
    Ok(policy)
}

/// The Job Poller shape: Submit Job → Wait → Get Job Status → Job Complete? → (Notify) → end.
fn workflow(options: &JsValue, notify: bool) -> Result<Workflow, JsValue> {
    let name = text(options, "options.name", "Job Poller")?;
    let messages = get(options, "messages");
    let (success, failure) = if absent(&messages) {
        ("Job succeeded".to_owned(), "Job failed".to_owned())
    } else {
        (
            text(&messages, "options.messages.success", "Job succeeded")?,
            text(&messages, "options.messages.failure", "Job failed")?,
        )
    };
    let branch = if notify {
        Branch::new()
            .on_succeeded(Path::notify("Notify Success", success).then_succeed("Succeeded"))
            .on_failed(
                Path::notify("Notify Failure", failure).then_fail("Failed", names::TASK_FAILED),
            )
    } else {
        Branch::new()
    };
    Workflow::builder(name)
        .submit("Submit Job")
        .wait("Wait", wait_policy(options)?)
        .check("Get Job Status")
        .branch("Job Complete?", branch)
        .build()
        .map_err(|e| range_error(&e.to_string()))
}

pub(crate) fn parse(options: &JsValue) -> Result<Options, JsValue> {
    if !options.is_object() {
        return Err(type_error(&format!(
            "options must be an object, got {}",
            describe(options)
        )));
    }
    let submit = function(options, "submit", true)?.expect("required");
    let check = function(options, "check", true)?.expect("required");
    let cancel = function(options, "cancel", false)?;
    let notifier = function(options, "notify", false)?.map(JsNotifier);
    Ok(Options {
        workflow: workflow(options, notifier.is_some())?,
        poller: JsPoller {
            submit,
            check,
            cancel,
        },
        notifier,
        input: json::from_js(&get(options, "input"), "options.input")?,
        seed: whole(options, "options.seed", 0.0)?.unwrap_or(0),
    })
}
