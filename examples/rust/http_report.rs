//! Seed 003's pattern: `POST` a request, then `GET` until the result is ready.
//!
//! A report service (simulated in process) answers `202 Accepted` with a `Retry-After` while
//! it works, fails now and then with a `503`, and finally answers `200` with the data. A
//! custom [`Poller`] maps that onto pollflow: 202 → pending (honouring `Retry-After`), 503 →
//! transient error (retried), 404 → fatal error, 200 → success.
//!
//! ```text
//! cargo run --example http_report
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Engine, EventKind, JobStatus, Poller, TaskError, TokioClock,
    WaitPolicy, Workflow,
};
use serde_json::{json, Value};

/// An HTTP response, as far as this example needs one.
struct Response {
    status: u16,
    retry_after: Option<Duration>,
    body: Value,
}

/// The report service: each report needs a few GETs before it is ready.
#[derive(Default)]
struct ReportService {
    next_id: AtomicU32,
    /// Report id → GETs still answered with 202.
    remaining: Mutex<HashMap<String, u32>>,
    gets: AtomicU32,
}

impl ReportService {
    /// `POST /reports`: accepts the query, answers with the report's location.
    async fn post(&self, query: &Value) -> Response {
        let id = format!("r-{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        self.remaining.lock().unwrap().insert(id.clone(), 3);
        Response {
            status: 202,
            retry_after: None,
            body: json!({ "location": format!("/reports/{id}"), "query": query }),
        }
    }

    /// `GET /reports/{id}`.
    async fn get(&self, location: &str) -> Response {
        let gets = self.gets.fetch_add(1, Ordering::Relaxed) + 1;
        let id = location.trim_start_matches("/reports/");
        let mut remaining = self.remaining.lock().unwrap();
        let Some(left) = remaining.get_mut(id) else {
            return Response {
                status: 404,
                retry_after: None,
                body: json!({"message": "no such report"}),
            };
        };
        if gets == 2 {
            return Response {
                status: 503,
                retry_after: None,
                body: json!({"message": "busy"}),
            };
        }
        if *left > 0 {
            *left -= 1;
            return Response {
                status: 202,
                retry_after: Some(Duration::from_millis(150)),
                body: json!({ "progress": format!("{}%", (3 - *left) * 30) }),
            };
        }
        Response {
            status: 200,
            retry_after: None,
            body: json!({ "rows": 1284, "location": location }),
        }
    }
}

/// The poller: POST once, then GET the location until it answers 200.
struct ReportPoller {
    service: ReportService,
}

#[async_trait]
impl Poller for ReportPoller {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        let response = self.service.post(input).await;
        match response.status {
            202 => Ok(response.body["location"].clone()),
            code => Err(TaskError::new(
                format!("Http.{code}"),
                response.body.to_string(),
            )),
        }
    }

    async fn check(&self, location: &Value) -> Result<JobStatus, CheckError> {
        let response = self
            .service
            .get(location.as_str().unwrap_or_default())
            .await;
        match response.status {
            200 => Ok(JobStatus::succeeded(response.body)),
            202 => Ok(JobStatus::Pending {
                detail: response.body,
                retry_after: response.retry_after,
            }),
            code @ 500..=599 => Err(CheckError::transient(
                format!("Http.{code}"),
                response.body.to_string(),
            )),
            code => Err(CheckError::fatal(
                format!("Http.{code}"),
                response.body.to_string(),
            )),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let workflow = Workflow::builder("Report")
        .submit("POST /reports")
        .wait(
            "Wait",
            WaitPolicy::exponential(Duration::from_millis(100), Duration::from_secs(2))
                .with_max_wait(Duration::from_secs(30)),
        )
        .check_with_retry(
            "GET report",
            WaitPolicy::fixed(Duration::from_millis(50)).with_max_attempts(3),
        )
        .branch("Ready?", Choice::new())
        .build()?;
    let poller = ReportPoller {
        service: ReportService::default(),
    };
    let engine = Engine::new(workflow, poller, TokioClock::new());

    let mut run = engine.start(json!({ "sql": "select * from orders" }));
    let started = run_started_ms(&mut run).await;
    while let Some(event) = run.next().await {
        let at = event.timestamp_ms - started;
        match &event.kind {
            EventKind::TaskSubmitted { handle, .. } => {
                println!("{at:>5} ms  POST accepted: {handle}")
            }
            EventKind::WaitStarted { delay_ms, .. } => {
                println!("{at:>5} ms  waiting {delay_ms} ms")
            }
            EventKind::StatusChecked { status, .. } => println!(
                "{at:>5} ms  GET: {}",
                serde_json::to_string(status.as_ref())?
            ),
            EventKind::TaskFailed {
                error, retry_in_ms, ..
            } => println!(
                "{at:>5} ms  GET failed ({error}); retrying in {} ms",
                retry_in_ms.unwrap_or_default()
            ),
            EventKind::ExecutionSucceeded { output } => {
                println!("{at:>5} ms  report ready: {output}")
            }
            EventKind::ExecutionFailed { error } | EventKind::ExecutionTimedOut { error } => {
                println!("{at:>5} ms  gave up: {error}");
                std::process::exit(1);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads the `ExecutionStarted` event and returns its timestamp.
async fn run_started_ms(run: &mut pollflow::Run) -> u64 {
    run.next().await.map_or(0, |event| event.timestamp_ms)
}
