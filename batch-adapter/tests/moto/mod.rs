//! The AWS-compatible server of the tests (moto, started by `scripts/moto-server.sh`), and a
#![allow(unreachable_pub)]
//! fault-injecting HTTP layer in front of it that also counts requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// The submit window of an `AwsBatch` on moto (`AwsBatch::with_submit_window`): moto does not
/// expire signed requests, so no bound holds in principle; a SubmitJob left in its backlog by a
/// killed process was seen landing 250 ms later (`durable_crash.rs`), and 3 s covers that on a
/// loaded machine.
pub const SUBMIT_WINDOW: std::time::Duration = std::time::Duration::from_secs(3);

/// Where moto is and what the fixtures created.
pub struct Moto {
    pub endpoint: String,
    pub job_queue: String,
    pub job_definition: String,
    pub topic_arn: String,
    pub sqs_queue_url: String,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: these tests need moto; run scripts/test.sh, or `eval \"$(scripts/moto-server.sh start)\"` first")
    })
}

pub fn moto() -> Moto {
    Moto {
        endpoint: var("MOTO_ENDPOINT"),
        job_queue: var("MOTO_JOB_QUEUE"),
        job_definition: var("MOTO_JOB_DEFINITION"),
        topic_arn: var("MOTO_TOPIC_ARN"),
        sqs_queue_url: var("MOTO_SQS_QUEUE_URL"),
    }
}

/// Tells moto whether Batch jobs run in Docker: without Docker they SUCCEED at once; with it
/// (and no Docker engine here) they FAIL within a second.
pub async fn use_docker(moto: &Moto, yes: bool) {
    let body = format!(r#"{{"batch":{{"use_docker":{yes}}}}}"#);
    let status = std::process::Command::new("curl")
        .args([
            "-sf",
            "-o",
            "/dev/null",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            &body,
        ])
        .arg(format!("{}/moto-api/config", moto.endpoint))
        .status()
        .expect("curl runs");
    assert!(status.success(), "moto config update failed");
}

/// What the fault layer saw: requests per operation, forwarded and throttled.
#[derive(Debug, Default)]
pub struct Traffic {
    pub forwarded: HashMap<String, usize>,
    pub throttled: HashMap<String, usize>,
    /// Throttle every `n`th request (0: never).
    pub throttle_every: usize,
    seen: usize,
}

/// An HTTP client that forwards to a real one, counts each operation, and answers some
/// requests `429 TooManyRequestsException` without forwarding them.
#[derive(Clone, Debug)]
pub struct FaultLayer {
    inner: SharedHttpClient,
    pub traffic: Arc<Mutex<Traffic>>,
}

impl FaultLayer {
    pub fn new(throttle_every: usize) -> Self {
        Self {
            inner: aws_smithy_http_client::Builder::new().build_http(),
            traffic: Arc::new(Mutex::new(Traffic {
                throttle_every,
                ..Traffic::default()
            })),
        }
    }

    pub fn forwarded(&self, operation: &str) -> usize {
        self.traffic
            .lock()
            .unwrap()
            .forwarded
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    pub fn throttled(&self) -> usize {
        self.traffic.lock().unwrap().throttled.values().sum()
    }
}

impl HttpClient for FaultLayer {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultConnector {
            inner: self.inner.http_connector(settings, components),
            traffic: self.traffic.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultConnector {
    inner: SharedHttpConnector,
    traffic: Arc<Mutex<Traffic>>,
}

/// `/v1/describejobs` → `describejobs`; SNS and SQS name the action elsewhere.
fn operation(request: &HttpRequest) -> String {
    let uri = request.uri().split('?').next().unwrap_or_default();
    match uri.find("/v1/") {
        Some(at) => uri[at + 4..].to_owned(),
        None => request
            .headers()
            .get("x-amz-target")
            .unwrap_or("query")
            .to_owned(),
    }
}

impl HttpConnector for FaultConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = operation(&request);
        let mut traffic = self.traffic.lock().unwrap();
        traffic.seen += 1;
        if traffic.throttle_every > 0 && traffic.seen.is_multiple_of(traffic.throttle_every) {
            *traffic.throttled.entry(operation).or_default() += 1;
            let mut response = HttpResponse::new(
                StatusCode::try_from(429u16).expect("valid status"),
                SdkBody::from(r#"{"__type":"TooManyRequestsException","message":"Rate exceeded"}"#),
            );
            response
                .headers_mut()
                .insert("x-amzn-errortype", "TooManyRequestsException");
            response
                .headers_mut()
                .insert("content-type", "application/json");
            return HttpConnectorFuture::ready(Ok(response));
        }
        *traffic.forwarded.entry(operation).or_default() += 1;
        drop(traffic);
        self.inner.call(request)
    }
}

/// AWS configuration for moto, through a fault layer.
pub async fn config(moto: &Moto, layer: &FaultLayer) -> aws_config::SdkConfig {
    pollflow_batch::aws::load_config(Some(&moto.endpoint))
        .await
        .into_builder()
        .http_client(layer.clone())
        .build()
}

/// Jobs moto holds whose name starts with `prefix`, from a client without faults.
pub async fn jobs_named(
    sdk: &aws_config::SdkConfig,
    queue: &str,
    prefix: &str,
) -> Vec<aws_sdk_batch::types::JobSummary> {
    let client = aws_sdk_batch::Client::new(sdk);
    let mut found = Vec::new();
    for status in [
        "SUBMITTED",
        "PENDING",
        "RUNNABLE",
        "STARTING",
        "RUNNING",
        "SUCCEEDED",
        "FAILED",
    ] {
        let page = client
            .list_jobs()
            .job_queue(queue)
            .job_status(status.into())
            .send()
            .await
            .unwrap();
        found.extend(
            page.job_summary_list()
                .iter()
                .filter(|j| j.job_name().unwrap_or_default().starts_with(prefix))
                .cloned(),
        );
    }
    found
}

/// The ARN of the SQS queue at `url`.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    attributes.attributes().unwrap()[&QueueAttributeName::QueueArn].clone()
}

/// The bodies of the messages received from the queue at `url` until `enough` says so, for
/// 10 s at most (one-second long polls).
pub async fn receive_until(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    enough: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mut bodies = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !enough(&bodies) && std::time::Instant::now() < deadline {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        bodies.extend(
            received
                .messages()
                .iter()
                .filter_map(|m| m.body().map(str::to_owned)),
        );
    }
    bodies
}
