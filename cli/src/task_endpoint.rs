//! The Step Functions API's task-token operations on 127.0.0.1, for a run with
//! `.waitForTaskToken` states: `SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` in
//! the Step Functions JSON protocol (awsJson1_0: `POST /` with `X-Amz-Target:
//! AWSStepFunctions.<Operation>`), so that the AWS CLI, an AWS SDK or `curl` can answer a token:
//!
//! ```text
//! AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1 \
//! aws stepfunctions send-task-success --endpoint-url "$POLLFLOW_ENDPOINT" \
//!     --task-token "$TOKEN" --task-output '{"approved": true}'
//! ```
//!
//! (The AWS CLI signs every request, so it wants some credentials and a region; the endpoint
//! does not check them.)
//!
//! Refusals have Step Functions' names and shape (`{"__type": "TaskDoesNotExist", "message"}`).

use std::net::{Ipv4Addr, TcpListener};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use pollflow::Engine;

use crate::sfn_protocol::{self, ApiError};

/// The environment variable that gives `--task` commands the endpoint's URL.
pub(crate) const ENDPOINT_VAR: &str = "POLLFLOW_ENDPOINT";

/// A socket bound on 127.0.0.1 (an ephemeral port), not yet served.
pub(crate) struct TaskEndpoint {
    listener: TcpListener,
    url: String,
}

impl TaskEndpoint {
    /// Binds the socket: its URL is known before the engine that answers it exists.
    pub(crate) fn bind() -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        Ok(Self { listener, url })
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Answers requests with `engine`, on the current tokio runtime, until the process ends.
    pub(crate) fn serve(self, engine: Engine) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        let app = Router::new().route("/", post(answer)).with_state(engine);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(())
    }
}

/// One request: a task-token operation, answered by `engine`.
async fn answer(State(engine): State<Engine>, headers: HeaderMap, body: Bytes) -> Response {
    let answered = sfn_protocol::parse(&headers, &body).and_then(|(operation, request)| {
        if !sfn_protocol::is_task_operation(&operation) {
            return Err(ApiError::new(
                "UnknownOperationException",
                format!("pollflow run answers SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, not {operation}"),
            ));
        }
        sfn_protocol::send_task(&engine, &operation, &request)
    });
    match answered {
        Ok(body) => sfn_protocol::answer(&body),
        Err(e) => e.into_response(),
    }
}
