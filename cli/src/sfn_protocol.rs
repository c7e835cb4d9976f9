//! The Step Functions JSON protocol (awsJson1_0), for `pollflow serve` and the task-token
//! endpoint of `pollflow run`: `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>` and
//! a JSON body; answers in JSON, refusals as `{"__type": NAME, "message"}` with status 400 and
//! `x-amzn-errortype: NAME`.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pollflow::Engine;
use serde_json::{json, Map, Value};

const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// A refusal, with Step Functions' error name.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) name: String,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(name: &str, message: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"__type": self.name, "message": self.message}).to_string();
        (
            StatusCode::BAD_REQUEST,
            [
                (header::CONTENT_TYPE, CONTENT_TYPE.to_owned()),
                (
                    header::HeaderName::from_static("x-amzn-errortype"),
                    self.name,
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// A 200 with `body`.
pub(crate) fn answer(body: &Value) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body.to_string()).into_response()
}

/// The operation `X-Amz-Target` names and the body's fields.
pub(crate) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<(String, Request), ApiError> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(operation) = target.strip_prefix("AWSStepFunctions.") else {
        return Err(ApiError::new(
            "UnknownOperationException",
            format!("no operation {target:?}"),
        ));
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok((operation.to_owned(), Request(fields))),
        _ => Err(ApiError::new(
            "SerializationException",
            "the body is not a JSON object",
        )),
    }
}

/// A request's fields.
pub(crate) struct Request(Map<String, Value>);

impl Request {
    /// A string field, if present.
    pub(crate) fn text(&self, field: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(validation(format!("{field} must be a string"))),
        }
    }

    /// A string field that must be present.
    pub(crate) fn required(&self, field: &str) -> Result<&str, ApiError> {
        self.text(field)?
            .ok_or_else(|| validation(format!("{field} is required")))
    }

    /// A whole-number field, if present.
    pub(crate) fn number(&self, field: &str) -> Result<Option<u64>, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| validation(format!("{field} must be a whole number"))),
        }
    }

    /// A boolean field (false when absent).
    pub(crate) fn flag(&self, field: &str) -> Result<bool, ApiError> {
        self.flag_or(field, false)
    }

    /// A boolean field (`absent` when absent).
    pub(crate) fn flag_or(&self, field: &str, absent: bool) -> Result<bool, ApiError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(absent),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(_) => Err(validation(format!("{field} must be true or false"))),
        }
    }
}

/// `ValidationException`: a request that does not match the operation's shape.
pub(crate) fn validation(message: String) -> ApiError {
    ApiError::new("ValidationException", message)
}

/// A time as the protocol writes it: seconds since the Unix epoch, with milliseconds.
pub(crate) fn timestamp(ms: u64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// `SendTaskSuccess`, `SendTaskFailure` or `SendTaskHeartbeat` (`operation`) to `engine`.
pub(crate) fn send_task(
    engine: &Engine,
    operation: &str,
    request: &Request,
) -> Result<Value, ApiError> {
    let token = request.required("taskToken")?;
    let sent = match operation {
        "SendTaskSuccess" => {
            let output = serde_json::from_str(request.required("output")?)
                .map_err(|e| ApiError::new("InvalidOutput", format!("output is not JSON: {e}")))?;
            engine.send_task_success(token, output)
        }
        "SendTaskFailure" => engine.send_task_failure(
            token,
            request.text("error")?.unwrap_or_default(),
            request.text("cause")?.unwrap_or_default(),
        ),
        "SendTaskHeartbeat" => engine.send_task_heartbeat(token),
        _ => {
            return Err(ApiError::new(
                "UnknownOperationException",
                format!("{operation} is not a task-token operation"),
            ))
        }
    };
    sent.map(|()| json!({}))
        .map_err(|e| ApiError::new(e.name(), e.to_string()))
}

/// Whether `operation` is one of the task-token operations [`send_task`] answers.
pub(crate) fn is_task_operation(operation: &str) -> bool {
    matches!(
        operation,
        "SendTaskSuccess" | "SendTaskFailure" | "SendTaskHeartbeat"
    )
}
