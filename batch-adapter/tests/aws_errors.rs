//! AWS SDK errors end to end, with no server: each HTTP answer is scripted. Transient ones
//! (the SDK's throttling and transient error codes, its transient HTTP statuses) are retried by
//! the Check state; a client error fails the execution and keeps the SDK error as its source.

use std::collections::VecDeque;
use std::error::Error;
use std::sync::{Arc, Mutex};

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_sdk_batch::config::{Credentials, Region};
use aws_sdk_batch::error::SdkError;
use aws_sdk_batch::operation::describe_jobs::DescribeJobsError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use futures::StreamExt;
use pollflow::workflow::Choice;
use pollflow::{Engine, EventKind, Outcome, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::aws::AwsBatch;
use pollflow_batch::{BatchError, BatchPoller};
use serde_json::json;

/// One scripted answer: status, `x-amzn-errortype` (for errors), JSON body.
type Answer = (u16, Option<String>, String);

/// Answers each request with the next scripted answer, and records the operations asked.
#[derive(Clone, Debug, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Script {
    fn new(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            answers: Arc::new(Mutex::new(answers.into_iter().collect())),
            asked: Arc::default(),
        }
    }
}

impl HttpClient for Script {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Script {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.asked.lock().unwrap().push(request.uri().to_owned());
        let (status, error_type, body) = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| (500, None, r#"{"message":"the script ran out"}"#.to_owned()));
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
        response
            .headers_mut()
            .insert("content-type", "application/json");
        if let Some(error_type) = error_type {
            response
                .headers_mut()
                .insert("x-amzn-errortype", error_type);
        }
        HttpConnectorFuture::ready(Ok(response))
    }
}

fn submitted() -> Answer {
    (200, None, json!({"jobArn": "arn:aws:batch:us-east-1:123456789012:job/job-1", "jobName": "x", "jobId": "job-1"}).to_string())
}

fn succeeded() -> Answer {
    let job = json!({"jobId": "job-1", "jobName": "x", "jobQueue": "q", "jobDefinition": "d",
        "status": "SUCCEEDED", "createdAt": 1, "startedAt": 2, "stoppedAt": 3});
    (200, None, json!({"jobs": [job]}).to_string())
}

fn error(status: u16, code: &str) -> Answer {
    (
        status,
        Some(code.to_owned()),
        json!({"__type": code, "message": format!("{code} from the script")}).to_string(),
    )
}

/// AwsBatch over the script, with the SDK's own retries off: every retry seen is the engine's.
async fn batch(script: &Script) -> AwsBatch {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_batch::config::SharedCredentialsProvider::new(
            Credentials::new("AKIDSCRIPT", "secret", None, None, "script"),
        ))
        .endpoint_url("http://127.0.0.1:1")
        .http_client(script.clone())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    AwsBatch::new(&config)
}

fn job_poller() -> Workflow {
    Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait", WaitPolicy::fixed(std::time::Duration::from_secs(5)))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap()
}

/// Runs the Job Poller over `answers`; its events.
async fn run(answers: Vec<Answer>) -> (Vec<EventKind>, Script) {
    let script = Script::new(answers);
    let engine = Engine::new(
        job_poller(),
        BatchPoller::new(batch(&script).await),
        TokioClock::new(),
    );
    let events = engine
        .start(json!({"jobName": "x", "jobQueue": "q", "jobDefinition": "d"}))
        .map(|e| e.kind)
        .collect()
        .await;
    (events, script)
}

/// The check errors the engine saw and retried.
fn retried(events: &[EventKind]) -> Vec<String> {
    events
        .iter()
        .filter_map(|kind| match kind {
            EventKind::TaskFailed {
                error,
                retry_in_ms: Some(_),
                ..
            } => Some(error.error.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn each_throttling_error_code_of_the_sdk_is_retried() {
    assert!(THROTTLING_ERRORS.contains(&"ThrottlingException"));
    assert!(THROTTLING_ERRORS.contains(&"TooManyRequestsException"));
    for code in THROTTLING_ERRORS {
        let (events, _) = run(vec![submitted(), error(400, code), succeeded()]).await;
        assert_eq!(
            retried(&events),
            ["Batch.TooManyRequestsException"],
            "{code}"
        );
        assert!(
            matches!(events.last(), Some(EventKind::ExecutionSucceeded { .. })),
            "{code}: {events:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn each_transient_error_code_and_status_is_retried() {
    assert!(TRANSIENT_ERRORS.contains(&"RequestTimeoutException"));
    let answers = TRANSIENT_ERRORS
        .iter()
        .map(|code| error(400, code))
        .chain([500, 502, 503, 504].map(|status| error(status, "InternalFailure")));
    for answer in answers {
        let what = format!("{} {:?}", answer.0, answer.1);
        let (events, _) = run(vec![submitted(), answer, succeeded()]).await;
        assert_eq!(retried(&events), ["Batch.ServerException"], "{what}");
        assert!(
            matches!(events.last(), Some(EventKind::ExecutionSucceeded { .. })),
            "{what}"
        );
    }
    let (events, _) = run(vec![submitted(), error(429, "SlowDownPlease"), succeeded()]).await;
    assert_eq!(retried(&events), ["Batch.TooManyRequestsException"]);
}

#[tokio::test(start_paused = true)]
async fn a_client_error_fails_the_execution_with_the_sdk_error_as_its_source() {
    let (events, script) = run(vec![submitted(), error(400, "ClientException")]).await;
    assert_eq!(
        script.asked.lock().unwrap().len(),
        2,
        "a client error is not retried"
    );
    let Some(EventKind::ExecutionFailed { error }) = events.last() else {
        panic!("the execution should fail: {events:?}");
    };
    assert_eq!(error.error, "Batch.ClientException");
    let outcome = Outcome::from_terminal(events.last().unwrap()).unwrap();
    let Outcome::Failed { error } = outcome else {
        panic!("{outcome:?}");
    };
    // TaskError -> BatchError -> the SDK's error for DescribeJobs -> its service error.
    let batch_error = error
        .source()
        .and_then(|e| e.downcast_ref::<BatchError>())
        .expect("BatchError source");
    assert!(
        batch_error
            .message
            .contains("ClientException from the script"),
        "{batch_error}"
    );
    let sdk_error = batch_error
        .source()
        .and_then(|e| e.downcast_ref::<SdkError<DescribeJobsError, HttpResponse>>())
        .expect("SdkError source");
    assert_eq!(
        sdk_error.raw_response().map(|r| r.status().as_u16()),
        Some(400)
    );
    let service = sdk_error.as_service_error().expect("a service error");
    assert_eq!(
        aws_sdk_batch::error::ProvideErrorMetadata::code(service),
        Some("ClientException")
    );
}
