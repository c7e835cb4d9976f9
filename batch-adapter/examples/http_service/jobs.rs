//! The service: an axum router over one pollflow `Engine`, shared by the runtime's worker
//! threads, whose runs poll Batch jobs (the embedded local Batch here).
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /jobs` with a SubmitJob request (`jobName`, `jobQueue`, `jobDefinition`, ...) | `202 Accepted`, `Location: /jobs/{id}`, `{"id", "state": "RUNNING"}` |
//! | `GET /jobs/{id}` while the job runs | `202 Accepted`, `Retry-After` (seconds), `{"id", "state": "RUNNING", "jobId", "status"}` |
//! | `GET /jobs/{id}` once it ended | `200 OK`, `{"id", "state": "SUCCEEDED", "job": <job detail>}`, or `"FAILED"` / `"TIMED_OUT"` with `error` and `cause` (the job detail when there is one), or `"ABORTED"` with `jobCancelled` |
//! | `DELETE /jobs/{id}` | aborts the run: the job is terminated (TerminateJob), then `200 OK` with the `"ABORTED"` state; `409 Conflict` with the final state if it had already ended |
//! | any of them with an unknown id | `404 Not Found` |
//!
//! A job that failed is reported with `200 OK`: the status request itself succeeded, and its
//! body says how the job went (the long-running-operation pattern of Azure's and Google's
//! APIs). A request body that is not JSON is refused by axum (`400`/`415`/`422`); a JSON body
//! that is not a valid SubmitJob request starts a run that fails at its submit
//! (`Batch.ClientException`), seen with `GET`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use pollflow::workflow::Choice;
use pollflow::{
    AbortHandle, Engine, EventKind, Outcome, PollGroup, TokioClock, WaitPolicy, Workflow,
};
use pollflow_batch::{BatchPoller, LocalBatch};
use serde_json::{json, Value};
use tokio::sync::watch;

/// What the service knows of one run.
#[derive(Clone, Debug)]
enum Progress {
    Running {
        job_id: Option<String>,
        status: Option<String>,
    },
    Ended(Outcome),
}

struct Entry {
    progress: watch::Receiver<Progress>,
    abort: AbortHandle,
}

/// The service's state: the engine (`Send + Sync`: one for all worker threads) and the runs.
struct Jobs {
    engine: Engine,
    runs: Mutex<HashMap<u64, Entry>>,
    next_id: AtomicU64,
    /// What `Retry-After` says while a job runs.
    retry_after_secs: u64,
}

/// The router, its runs checking their jobs every `check_every`.
pub(crate) fn router(batch: LocalBatch, check_every: Duration) -> Router {
    let workflow = Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait X Seconds", WaitPolicy::fixed(check_every))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .expect("the Job Poller workflow is valid");
    // One PollGroup for the process: the checks of all runs, on every thread, share
    // DescribeJobs calls (runs on different threads drift a few ms apart: a 20 ms linger).
    let poller = PollGroup::lingering(
        BatchPoller::new(batch),
        100,
        TokioClock::new(),
        Duration::from_millis(20),
    );
    let engine = Engine::builder(workflow, poller, TokioClock::new())
        // A run dropped with the service terminates its job in the background.
        .spawner(|cancel| drop(tokio::spawn(cancel)))
        .build();
    let jobs = Arc::new(Jobs {
        engine,
        runs: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
        retry_after_secs: check_every.as_secs().max(1),
    });
    Router::new()
        .route("/jobs", post(start))
        .route("/jobs/{id}", get(show).delete(abort))
        .with_state(jobs)
}

/// `POST /jobs`: starts a run on a worker thread; `202` with where to look.
async fn start(State(jobs): State<Arc<Jobs>>, Json(request): Json<Value>) -> Response {
    let id = jobs.next_id.fetch_add(1, Ordering::Relaxed);
    let mut run = jobs.engine.start(request);
    let (progress, seen) = watch::channel(Progress::Running {
        job_id: None,
        status: None,
    });
    let abort = run.abort_handle();
    jobs.runs.lock().unwrap().insert(
        id,
        Entry {
            progress: seen,
            abort,
        },
    );
    // The run is `Send`: any worker thread drives it.
    tokio::spawn(async move {
        while let Some(event) = run.next().await {
            if let Some(outcome) = Outcome::from_terminal(&event.kind) {
                progress.send_replace(Progress::Ended(outcome));
                break;
            }
            progress.send_modify(|progress| {
                if let Progress::Running { job_id, status } = progress {
                    match &event.kind {
                        EventKind::TaskSubmitted { handle, .. } => {
                            *job_id = handle.as_str().map(str::to_owned);
                        }
                        EventKind::StatusChecked {
                            status: checked, ..
                        } => {
                            *status = checked.status_word().map(str::to_owned);
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    let location = format!("/jobs/{id}");
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(json!({"id": id, "state": "RUNNING"})),
    )
        .into_response()
}

/// `GET /jobs/{id}`.
async fn show(State(jobs): State<Arc<Jobs>>, Path(id): Path<u64>) -> Response {
    let Some(progress) = jobs.progress(id) else {
        return not_found(id);
    };
    match progress {
        Progress::Running { job_id, status } => (
            StatusCode::ACCEPTED,
            [(header::RETRY_AFTER, jobs.retry_after_secs.to_string())],
            Json(json!({"id": id, "state": "RUNNING", "jobId": job_id, "status": status})),
        )
            .into_response(),
        Progress::Ended(outcome) => (StatusCode::OK, Json(ended(id, &outcome))).into_response(),
    }
}

/// `DELETE /jobs/{id}`: aborts the run and answers once it ended (its job terminated).
async fn abort(State(jobs): State<Arc<Jobs>>, Path(id): Path<u64>) -> Response {
    let Some((mut progress, abort)) = jobs.entry(id) else {
        return not_found(id);
    };
    if let Progress::Ended(outcome) = &*progress.borrow() {
        return (StatusCode::CONFLICT, Json(ended(id, outcome))).into_response();
    }
    abort.abort();
    let last = progress
        .wait_for(|p| matches!(p, Progress::Ended(_)))
        .await
        .map(|p| p.clone());
    match last {
        Ok(Progress::Ended(outcome)) => (StatusCode::OK, Json(ended(id, &outcome))).into_response(),
        // The run's task ended without an outcome: it panicked.
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"id": id, "message": "the run stopped unexpectedly"})),
        )
            .into_response(),
    }
}

impl Jobs {
    fn entry(&self, id: u64) -> Option<(watch::Receiver<Progress>, AbortHandle)> {
        let runs = self.runs.lock().unwrap();
        let entry = runs.get(&id)?;
        Some((entry.progress.clone(), entry.abort.clone()))
    }

    fn progress(&self, id: u64) -> Option<Progress> {
        let runs = self.runs.lock().unwrap();
        let progress = runs.get(&id)?.progress.borrow().clone();
        Some(progress)
    }
}

/// The body of an ended run.
fn ended(id: u64, outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Succeeded { output } => json!({"id": id, "state": "SUCCEEDED", "job": output}),
        Outcome::Failed { error } | Outcome::TimedOut { error } => {
            let state = match outcome {
                Outcome::TimedOut { .. } => "TIMED_OUT",
                _ => "FAILED",
            };
            // A failed job's cause is its detail, as JSON text.
            let cause = serde_json::from_str::<Value>(&error.cause)
                .unwrap_or_else(|_| Value::String(error.cause.clone()));
            json!({"id": id, "state": state, "error": error.error, "cause": cause})
        }
        Outcome::Aborted { job_cancelled } => {
            json!({"id": id, "state": "ABORTED", "jobCancelled": job_cancelled})
        }
    }
}

fn not_found(id: u64) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"message": format!("no job {id}")})),
    )
        .into_response()
}
