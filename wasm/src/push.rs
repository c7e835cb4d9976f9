//! Pushes into a running execution (the second engine only, built with the feature `push`):
//! a job's status from the host (`pushStatus`), and, in `pollflow/asl`, the sends that answer
//! a `.waitForTaskToken` task (`sendTaskSuccess`, `sendTaskFailure`, `sendTaskHeartbeat`).

use wasm_bindgen::prelude::*;

use crate::errors::type_error;
use crate::execution::Execution;
use crate::{json, poller, wire};

#[wasm_bindgen]
impl Execution {
    /// Delivers the status of the job `handle` (as `submit` returned it), in `check`'s result
    /// shape, to this execution: a wait before its next check of that job ends now, and the
    /// status stands for that check. Whether the execution polls that job.
    #[wasm_bindgen(js_name = pushStatus)]
    pub fn push_status(&self, handle: JsValue, status: JsValue) -> Result<bool, JsValue> {
        let _unfinished = wire::Unfinished::enter();
        let handle = json::from_js(&handle, "pushStatus(handle, status): handle")?;
        let status = poller::job_status(&status).map_err(|e| {
            // The checks of a check result, named for this call.
            let cause = e
                .task_error()
                .cause
                .replacen("check() must return", "must be", 1);
            let cause = cause.replacen("check() result ", "", 1);
            type_error(&format!("pushStatus(handle, status): status {cause}"))
        })?;
        crate::clock::forget_now();
        Ok(self.engine.push_status(&handle, status))
    }
}

#[cfg(feature = "asl")]
#[wasm_bindgen]
impl Execution {
    /// Completes the task waiting for `token` with `output`.
    #[wasm_bindgen(js_name = sendTaskSuccess)]
    pub fn send_task_success(&self, token: JsValue, output: JsValue) -> Result<(), JsValue> {
        let _unfinished = wire::Unfinished::enter();
        let token = text(&token, "sendTaskSuccess(token, output): token")?;
        let output = json::from_js(&output, "sendTaskSuccess(token, output): output")?;
        self.engine
            .send_task_success(&token, output)
            .map_err(token_error)
    }

    /// Fails the task waiting for `token` with `error` and `cause`.
    #[wasm_bindgen(js_name = sendTaskFailure)]
    pub fn send_task_failure(
        &self,
        token: JsValue,
        error: JsValue,
        cause: JsValue,
    ) -> Result<(), JsValue> {
        let _unfinished = wire::Unfinished::enter();
        let token = text(&token, "sendTaskFailure(token, error, cause): token")?;
        let error = optional_text(&error, "sendTaskFailure(token, error, cause): error")?;
        let cause = optional_text(&cause, "sendTaskFailure(token, error, cause): cause")?;
        self.engine
            .send_task_failure(&token, error, cause)
            .map_err(token_error)
    }

    /// Restarts the heartbeat timeout of the task waiting for `token`.
    #[wasm_bindgen(js_name = sendTaskHeartbeat)]
    pub fn send_task_heartbeat(&self, token: JsValue) -> Result<(), JsValue> {
        let _unfinished = wire::Unfinished::enter();
        let token = text(&token, "sendTaskHeartbeat(token): token")?;
        self.engine.send_task_heartbeat(&token).map_err(token_error)
    }
}

/// `value` as a string, or a `TypeError` naming it `field`.
#[cfg(feature = "asl")]
fn text(value: &JsValue, field: &str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| {
        type_error(&format!(
            "{field} must be a string, got {}",
            crate::fields::kind(value)
        ))
    })
}

/// `value` as a string, `""` when undefined, or a `TypeError` naming it `field`.
#[cfg(feature = "asl")]
fn optional_text(value: &JsValue, field: &str) -> Result<String, JsValue> {
    if value.is_undefined() {
        return Ok(String::new());
    }
    text(value, field)
}

/// An `Error` named as Step Functions names the refusal (`TaskDoesNotExist`...).
#[cfg(feature = "asl")]
fn token_error(e: pollflow::TokenError) -> JsValue {
    let error = js_sys::Error::new(&format!("pollflow: {e}"));
    error.set_name(e.name());
    error.into()
}
