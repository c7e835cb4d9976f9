//! `handlers`: JS functions and `{submit, check, cancel}` objects bound to Task states by
//! resource ARN or state name.

use std::cell::RefCell;

use async_trait::async_trait;
use js_sys::{Function, Object};
use pollflow::{names, TaskError, TaskHandler, Tasks};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::{describe, error_name, message, type_error};
use crate::json;
use crate::keys::{get, Key};
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

/// `object[key]` as a function; `None` when absent.
fn function(object: &JsValue, key: Key, field: &str) -> Result<Option<Function>, JsValue> {
    let value = get(object, key).map_err(|thrown| {
        type_error(&format!(
            "reading {field}.{} threw: {}",
            key.name(),
            message(&thrown)
        ))
    })?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|value| {
        type_error(&format!(
            "{field}.{} must be a function, got {}",
            key.name(),
            describe(&value)
        ))
    })
}

/// The bindings of `handlers` (an object, or `undefined` for none).
pub(super) fn tasks(handlers: &JsValue) -> Result<Tasks, JsValue> {
    let mut tasks = Tasks::new();
    let Some(handlers) = handlers.dyn_ref::<Object>() else {
        return Ok(tasks);
    };
    for key in Object::keys(handlers) {
        let key = key.as_string().unwrap_or_default();
        let field = format!("options.handlers[{key:?}]");
        let value = js_sys::Reflect::get(handlers, &key.as_str().into())?;
        if let Some(handler) = value.dyn_ref::<Function>() {
            let handler = handler.clone();
            tasks = tasks.handler(key.clone(), JsTask { handler, key });
            continue;
        }
        let submit = function(&value, Key::Submit, &field)?;
        let check = function(&value, Key::Check, &field)?;
        let (true, Some(submit), Some(check)) = (value.is_object(), submit, check) else {
            return Err(type_error(&format!(
                "{field} must be a function, or an object with submit and check functions"
            )));
        };
        let cancel = function(&value, Key::Cancel, &field)?;
        let poller = JsPoller {
            submit,
            check,
            cancel,
            handle: RefCell::default(),
        };
        tasks = tasks.job(key, poller);
    }
    Ok(tasks)
}
