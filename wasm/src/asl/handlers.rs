//! `handlers`: JS functions and `{submit, check, cancel}` objects bound to Task states by
//! resource ARN or state name.

use std::cell::RefCell;

use async_trait::async_trait;
use js_sys::Function;
use pollflow::task::{TaskHandler, Tasks};
use pollflow::{names, TaskError};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

use super::options::{entries, entry_field};
use crate::errors::{error_name, message, type_error};
use crate::fields::{is_plain_object, kind, read, read_named};
use crate::json;
use crate::keys::Key;
use crate::poller::{call_js, JsPoller};

/// A request-response handler: `handler(input)` returns (or resolves to) the result.
struct JsTask {
    handler: Function,
    /// The handler's key, naming it in errors.
    key: String,
}

/// A throw or rejection as an ASL error: the error's `name` (`States.TaskFailed` for a plain
/// `Error` or a thrown non-error), its `message` as the cause.
fn task_error(thrown: &JsValue) -> TaskError {
    let name = error_name(thrown).filter(|name| name != "Error");
    TaskError::new(
        name.as_deref().unwrap_or(names::TASK_FAILED),
        message(thrown),
    )
}

#[async_trait(?Send)]
impl TaskHandler for JsTask {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let result = call_js(&self.handler, &[json::to_js(&input)])
            .await
            .map_err(|thrown| task_error(&thrown))?;
        let what = format!("the result of options.handlers[{:?}]", self.key);
        let value = json::from_js(&result, &what);
        // Reading the result may run JS too (`toJSON`).
        crate::clock::forget_now();
        value.map_err(|e| TaskError::new("TypeError", message(&e)))
    }
}

/// `object[key]`: read whatever it is, a throwing getter being a `TypeError`.
fn member(object: &JsValue, key: Key, field: &str) -> Result<JsValue, JsValue> {
    read(object, key, &format!("{field}.{}", key.name()))
}

/// `wrap(f)`: the function the engine calls instead of the handler `f` (the wrapper counts
/// running calls and hands each its context).
fn wrapped(wrap: &Function, f: &Function) -> Result<Function, JsValue> {
    wrap.call1(&JsValue::UNDEFINED, f)?.dyn_into::<Function>()
}

/// The bindings of `options.handlers` (absent: none): a function is a request-response
/// handler, an object with `submit`, `check` (and an optional `cancel`) functions a job
/// poller; each function as `wrap` makes it.
pub(super) fn tasks(options: &JsValue, wrap: &Function) -> Result<Tasks, JsValue> {
    let mut tasks = Tasks::new();
    let handlers = read_named(options, "handlers", "options.handlers")?;
    if handlers.is_undefined() {
        return Ok(tasks);
    }
    if !is_plain_object(&handlers) {
        return Err(type_error(&format!(
            "options.handlers must be an object, got {}",
            kind(&handlers)
        )));
    }
    for (key, value) in entries(&handlers, "options.handlers")? {
        let field = entry_field("options.handlers", &key);
        if let Some(handler) = value.dyn_ref::<Function>() {
            let handler = wrapped(wrap, handler)?;
            tasks = tasks.handler(key.clone(), JsTask { handler, key });
            continue;
        }
        let [submit, check, cancel, find] = if is_plain_object(&value) {
            [
                member(&value, Key::Submit, &field)?,
                member(&value, Key::Check, &field)?,
                member(&value, Key::Cancel, &field)?,
                member(&value, Key::Find, &field)?,
            ]
        } else {
            [JsValue::UNDEFINED; 4]
        };
        let (Some(submit), Some(check)) =
            (submit.dyn_ref::<Function>(), check.dyn_ref::<Function>())
        else {
            return Err(type_error(&format!(
                "{field} must be a function, or an object with submit and check functions"
            )));
        };
        let optional = |f: JsValue, name: &str| match f.dyn_ref::<Function>() {
            Some(f) => wrapped(wrap, f).map(Some),
            None if f.is_undefined() => Ok(None),
            None => Err(type_error(&format!(
                "{field}.{name} must be a function, got {}",
                kind(&f)
            ))),
        };
        let poller = JsPoller {
            submit: wrapped(wrap, submit)?,
            check: wrapped(wrap, check)?,
            cancel: optional(cancel, "cancel")?,
            find: optional(find, "find")?,
            pass_key: false,
            handle: RefCell::default(),
        };
        tasks = tasks.job(key, poller);
    }
    Ok(tasks)
}
