//! `run(options)`: the Job Poller workflow (or, with the feature `graph`, the graph
//! `options.workflow`: module `graph`) and its callbacks from what JS passes in, each field
//! checked by [`fields`](crate::fields).

use std::cell::RefCell;
use std::time::Duration;

use pollflow::policy::{Backoff, Jitter};
use pollflow::workflow::{Arm, Choice};
use pollflow::{names, WaitPolicy, Workflow};
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::errors::{describe, is_array, number, range_error, type_error};
use crate::fields::{absent, function, millis, read, seed, text, whole};
use crate::json;
use crate::keys::Key;
use crate::poller::{JsNotifier, JsPoller};
use crate::states;

/// Everything `run` needs, checked.
pub(crate) struct Options {
    pub(crate) workflow: Workflow,
    pub(crate) poller: JsPoller,
    pub(crate) notifier: Option<JsNotifier>,
    pub(crate) input: Value,
    /// `options.seed`, if given.
    pub(crate) seed: Option<u64>,
}

fn wait_policy(options: &JsValue) -> Result<WaitPolicy, JsValue> {
    let wait = read(options, Key::Wait, "options.wait")?;
    let mut policy = if absent(&wait) {
        WaitPolicy::fixed(Duration::from_secs(1))
    } else if !wait.is_object() || is_array(&wait) {
        return Err(type_error(&format!(
            "options.wait must be an object, got {}",
            describe(&wait)
        )));
    } else if let Some(interval) = millis(&wait, Key::IntervalMs, "options.wait.intervalMs")? {
        for key in [Key::MinDelayMs, Key::MaxDelayMs, Key::Rate, Key::Jitter] {
            let field = format!("options.wait.{}", key.name());
            if !absent(&read(&wait, key, &field)?) {
                return Err(type_error(&format!(
                    "options.wait takes intervalMs (a fixed interval) or minDelayMs and maxDelayMs (a backoff), not both: {field} was given with intervalMs"
                )));
            }
        }
        WaitPolicy::fixed(interval)
    } else {
        let min = millis(&wait, Key::MinDelayMs, "options.wait.minDelayMs")?;
        let max = millis(&wait, Key::MaxDelayMs, "options.wait.maxDelayMs")?;
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
        let rate = read(&wait, Key::Rate, "options.wait.rate")?;
        let rate = match rate.as_f64() {
            None if absent(&rate) => 2.0,
            Some(r) if r.is_finite() && r >= 1.0 => r,
            Some(r) => {
                return Err(range_error(&format!(
                    "options.wait.rate must be a finite number >= 1, got {}",
                    number(r)
                )))
            }
            None => {
                return Err(type_error(&format!(
                    "options.wait.rate must be a number, got {}",
                    describe(&rate)
                )))
            }
        };
        let jitter = match text(&wait, Key::Jitter, "options.wait.jitter", "bounded")?.as_str() {
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
    if let Some(budget) = millis(options, Key::MaxWaitMs, "options.maxWaitMs")? {
        policy = policy.with_max_wait(budget);
    }
    let attempts = (1.0, f64::from(u32::MAX));
    if let Some(attempts) = whole(options, Key::MaxAttempts, "options.maxAttempts", attempts)? {
        policy = policy.with_max_attempts(u32::try_from(attempts).unwrap_or(u32::MAX));
    }
    Ok(policy)
}

/// What makes a Job Poller workflow: runs with the same options share one (the last built).
#[derive(PartialEq)]
struct Shape {
    name: String,
    /// The Notify states' messages, when there are Notify states.
    messages: Option<(String, String)>,
    policy: WaitPolicy,
}

thread_local! {
    static LAST: RefCell<Option<(Shape, Workflow)>> = const { RefCell::new(None) };
}

/// The Job Poller shape: Submit Job → Wait → Get Job Status → Job Complete? → (Notify) → end.
fn workflow(options: &JsValue, notify: bool) -> Result<Workflow, JsValue> {
    let name = text(options, Key::Name, "options.name", "Job Poller")?;
    let messages = read(options, Key::Messages, "options.messages")?;
    let (success, failure) = if absent(&messages) {
        ("Job succeeded".to_owned(), "Job failed".to_owned())
    } else if !messages.is_object() || is_array(&messages) {
        return Err(type_error(&format!(
            "options.messages must be an object, got {}",
            describe(&messages)
        )));
    } else {
        (
            text(
                &messages,
                Key::Success,
                "options.messages.success",
                "Job succeeded",
            )?,
            text(
                &messages,
                Key::Failure,
                "options.messages.failure",
                "Job failed",
            )?,
        )
    };
    let shape = Shape {
        name,
        messages: notify.then_some((success, failure)),
        policy: wait_policy(options)?,
    };
    let cached = LAST.with(|last| match &*last.borrow() {
        Some((last, workflow)) if *last == shape => Some(workflow.clone()),
        _ => None,
    });
    if let Some(workflow) = cached {
        return Ok(workflow);
    }
    let branch = match &shape.messages {
        Some((success, failure)) => Choice::new()
            .on_succeeded(
                Arm::notify(states::NOTIFY_SUCCESS, success).then_succeed(states::SUCCEEDED),
            )
            .on_failed(
                Arm::notify(states::NOTIFY_FAILURE, failure)
                    .then_fail(states::FAILED, names::TASK_FAILED),
            ),
        None => Choice::new(),
    };
    let workflow = Workflow::builder(shape.name.as_str())
        .submit(states::SUBMIT)
        .wait(states::WAIT, shape.policy.clone())
        .check(states::CHECK)
        .branch(states::CHOICE, branch)
        .build()
        .map_err(|e| range_error(&e.to_string()))?;
    LAST.with(|last| *last.borrow_mut() = Some((shape, workflow.clone())));
    Ok(workflow)
}

pub(crate) fn parse(options: &JsValue) -> Result<Options, JsValue> {
    if !options.is_object() {
        return Err(type_error(&format!(
            "options must be an object, got {}",
            describe(options)
        )));
    }
    let submit = function(options, Key::Submit, "options.submit", true)?.expect("required");
    let check = function(options, Key::Check, "options.check", true)?.expect("required");
    let cancel = function(options, Key::Cancel, "options.cancel", false)?;
    let find = function(options, Key::Find, "options.find", false)?;
    let notifier = function(options, Key::Notify, "options.notify", false)?.map(JsNotifier);
    #[cfg(feature = "graph")]
    let custom = crate::graph::read(options)?;
    #[cfg(not(feature = "graph"))]
    let custom = None;
    let workflow = match custom {
        Some(workflow) => workflow,
        None => workflow(options, notifier.is_some())?,
    };
    Ok(Options {
        workflow,
        poller: JsPoller {
            submit,
            check,
            cancel,
            find,
            pass_key: true,
            handle: RefCell::default(),
        },
        notifier,
        input: json::from_js(
            &read(options, Key::Input, "options.input")?,
            "options.input",
        )?,
        seed: seed(options)?,
    })
}
