//! Submit keys: a run checkpointed while its submit call is in flight (a crash between the
//! service's answer and the save of its handle) finds its job by key when resumed, instead of
//! submitting it again.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::noop_waker_ref;
use futures::StreamExt;
use pollflow::{
    async_trait, CheckError, Checkpoint, Clock, Engine, Event, EventKind, JobStatus, Outcome,
    Poller, Run, TaskError, VirtualClock, WaitPolicy, Workflow,
};
use serde_json::{json, Value};
use support::secs;

/// A job service that keeps each job's submit key, as a tag. Its first `hang` submit calls
/// create the job and never answer (the process dies before the answer is saved).
#[derive(Default)]
struct Service {
    /// Submit keys, one per job created, in order.
    jobs: Mutex<Vec<String>>,
    /// Every key a submit call carried.
    submit_keys: Mutex<Vec<String>>,
    hang: Mutex<u32>,
    /// Whether it can look jobs up by key.
    finds: bool,
}

impl Service {
    fn new(finds: bool, hang: u32) -> Arc<Self> {
        Arc::new(Self {
            finds,
            hang: Mutex::new(hang),
            ..Self::default()
        })
    }

    fn jobs(&self) -> Vec<String> {
        self.jobs.lock().unwrap().clone()
    }
}

#[async_trait]
impl Poller for Service {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        panic!("the engine submits with a key");
    }

    async fn submit_keyed(&self, _input: &Value, key: &str) -> Result<Value, TaskError> {
        self.submit_keys.lock().unwrap().push(key.to_owned());
        let id = {
            let mut jobs = self.jobs.lock().unwrap();
            jobs.push(key.to_owned());
            jobs.len()
        };
        let hang = {
            let mut hang = self.hang.lock().unwrap();
            let now = *hang > 0;
            *hang = hang.saturating_sub(1);
            now
        };
        if hang {
            futures::future::pending::<()>().await;
        }
        Ok(json!(format!("job-{id}")))
    }

    async fn find_submitted(&self, _input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        if !self.finds {
            return Err(TaskError::new(
                pollflow::names::FIND_UNSUPPORTED,
                "no lookup",
            ));
        }
        let jobs = self.jobs.lock().unwrap();
        Ok(jobs
            .iter()
            .position(|k| k == key)
            .map(|i| json!(format!("job-{}", i + 1))))
    }

    async fn check(&self, _handle: &Value) -> Result<JobStatus, CheckError> {
        Ok(JobStatus::succeeded(json!({"done": true})))
    }
}

fn job_poller() -> Workflow {
    support::job_poller(WaitPolicy::fixed(secs(60)))
}

/// Polls the run until its submit call hangs; returns the events so far.
fn run_until_the_submit_hangs(run: &mut Run) -> Vec<Event> {
    let mut cx = Context::from_waker(noop_waker_ref());
    let mut events = Vec::new();
    while let Poll::Ready(Some(event)) = run.poll_next_unpin(&mut cx) {
        events.push(event);
    }
    events
}

/// A process that starts a run and dies while its submit is in flight; the checkpoint it
/// saved then, as JSON.
fn crash_mid_submit(service: &Arc<Service>) -> String {
    let engine = Engine::new(job_poller(), service.clone(), VirtualClock::new());
    let mut run = engine.start(json!({"jobName": "once"}));
    let events = run_until_the_submit_hangs(&mut run);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::TaskSubmitted { .. })),
        "the submit has not answered"
    );
    assert_eq!(service.jobs().len(), 1, "but the service created the job");
    serde_json::to_string(&run.checkpoint()).unwrap()
}

/// The next process: resumes the checkpoint and runs it to the end.
fn resume(service: &Arc<Service>, saved: &str) -> (Outcome, Vec<Event>) {
    let clock = VirtualClock::new();
    let engine = Engine::new(job_poller(), service.clone(), clock.clone());
    let checkpoint: Checkpoint = serde_json::from_str(saved).unwrap();
    let run = engine.resume(checkpoint).expect("the checkpoint fits");
    let events: Vec<Event> = clock.block_on(run.collect());
    let outcome = Outcome::from_terminal(&events.last().unwrap().kind).unwrap();
    (outcome, events)
}

fn submitted_handle(events: &[Event]) -> Value {
    events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TaskSubmitted { handle, .. } => Some(Value::clone(handle)),
            _ => None,
        })
        .expect("a TaskSubmitted event")
}

#[test]
fn a_resumed_run_finds_the_job_its_lost_submit_created_and_does_not_submit_again() {
    let service = Service::new(true, 1);
    let saved = crash_mid_submit(&service);
    let execution = &serde_json::from_str::<Value>(&saved).unwrap()["execution"];
    assert_eq!(
        (&execution["submitting"], &execution["entered_ms"]),
        (&json!(true), &json!(0)),
        "the checkpoint says a submit was in flight, issued at the clock's time (0)"
    );
    let (outcome, events) = resume(&service, &saved);
    assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
    assert_eq!(service.jobs().len(), 1, "one job, not two");
    assert_eq!(submitted_handle(&events), json!("job-1"));
    assert_eq!(service.submit_keys.lock().unwrap().len(), 1);
}

#[test]
fn a_poller_that_cannot_find_jobs_submits_again_under_the_same_key() {
    let service = Service::new(false, 1);
    let saved = crash_mid_submit(&service);
    let (outcome, events) = resume(&service, &saved);
    assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
    let keys = service.submit_keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 2, "at least once: submitted again");
    assert_eq!(
        keys[0], keys[1],
        "under the same key, for a service that refuses a second"
    );
    assert_eq!(submitted_handle(&events), json!("job-2"));
}

#[test]
fn a_resumed_run_whose_job_was_never_created_submits_it_once() {
    let service = Service::new(true, 1);
    let saved = crash_mid_submit(&service);
    // The service lost the job (or never got the call).
    service.jobs.lock().unwrap().clear();
    let (outcome, _) = resume(&service, &saved);
    assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
    assert_eq!(service.jobs().len(), 1);
}

/// A service whose jobs appear 3 s after their submit call starts (a request still on its way
/// when the process that sent it stopped), and which says so: a 5 s submit window. The first
/// submit call never answers.
struct LateService {
    clock: VirtualClock,
    /// Each job's key and when it appears (ms since the epoch).
    jobs: Mutex<Vec<(String, u64)>>,
    /// When each lookup was made.
    lookups: Mutex<Vec<u64>>,
    window: Duration,
}

impl LateService {
    fn now(&self) -> u64 {
        u64::try_from(self.clock.now().as_millis()).unwrap()
    }
}

#[async_trait]
impl Poller for LateService {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        panic!("the engine submits with a key");
    }
    async fn submit_keyed(&self, _input: &Value, key: &str) -> Result<Value, TaskError> {
        let first = {
            let mut jobs = self.jobs.lock().unwrap();
            jobs.push((key.to_owned(), self.now() + 3_000));
            jobs.len() == 1
        };
        if first {
            futures::future::pending::<()>().await;
        }
        Ok(json!("job-2"))
    }
    async fn find_submitted(&self, _input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        let now = self.now();
        self.lookups.lock().unwrap().push(now);
        let jobs = self.jobs.lock().unwrap();
        Ok(jobs
            .iter()
            .position(|(k, at)| k == key && *at <= now)
            .map(|i| json!(format!("job-{}", i + 1))))
    }
    async fn check(&self, _handle: &Value) -> Result<JobStatus, CheckError> {
        Ok(JobStatus::succeeded(json!({"done": true})))
    }
    fn submit_window(&self) -> Duration {
        self.window
    }
}

/// Crashes a run mid-submit at time 0 and resumes it at once, against a [`LateService`] with
/// this submit window; returns the service afterwards.
fn resume_at_once(window: Duration) -> Arc<LateService> {
    resume_on(window, VirtualClock::new())
}

/// [`resume_at_once`] with the crashed process's clock given (its checkpoint times
/// the submit call with it); the resuming process's starts at 0.
fn resume_on(window: Duration, crashed: VirtualClock) -> Arc<LateService> {
    let clock = VirtualClock::new();
    let service = Arc::new(LateService {
        clock: clock.clone(),
        jobs: Mutex::default(),
        lookups: Mutex::default(),
        window,
    });
    let engine = Engine::new(job_poller(), service.clone(), crashed);
    let mut run = engine.start(json!({"jobName": "late"}));
    run_until_the_submit_hangs(&mut run);
    let saved = run.checkpoint();
    drop(run);
    let resumed = Engine::new(job_poller(), service.clone(), clock.clone())
        .resume(saved)
        .expect("the checkpoint fits");
    let outcome = clock.block_on(resumed.outcome());
    assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
    service
}

#[test]
fn a_resumed_run_looks_its_job_up_only_after_the_submit_window_so_a_late_request_is_found() {
    let service = resume_at_once(secs(5));
    assert_eq!(
        *service.lookups.lock().unwrap(),
        vec![5_000],
        "one lookup, when the window after the call (issued at 0) closed"
    );
    assert_eq!(service.jobs.lock().unwrap().len(), 1, "one job, not two");

    // Without the window the lookup comes before the job appears: the hazard it closes.
    let hasty = resume_at_once(Duration::ZERO);
    assert_eq!(*hasty.lookups.lock().unwrap(), vec![0]);
    assert_eq!(hasty.jobs.lock().unwrap().len(), 2);
}

#[test]
fn a_lookup_waits_at_most_the_window_when_the_crashed_process_clock_ran_ahead() {
    // The checkpoint says the call began an hour after this process's now (another machine's
    // clock): the lookup still comes once the window has passed here.
    let service = resume_on(secs(5), VirtualClock::starting_at(secs(3_600)));
    assert_eq!(*service.lookups.lock().unwrap(), vec![5_000]);
}

#[test]
fn every_submission_has_its_own_key_and_a_checkpoint_after_the_submit_keeps_none_in_flight() {
    let service = Service::new(true, 0);
    let clock = VirtualClock::new();
    let engine = Engine::new(job_poller(), service.clone(), clock.clone());
    let runs: Vec<Run> = (0..3).map(|_| engine.start(json!({}))).collect();
    let outcomes = clock.block_on(futures::future::join_all(
        runs.into_iter().map(Run::outcome),
    ));
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Outcome::Succeeded { .. })));
    let keys = service.jobs();
    let distinct: BTreeMap<&String, ()> = keys.iter().map(|k| (k, ())).collect();
    assert_eq!((keys.len(), distinct.len()), (3, 3), "{keys:?}");

    // Two engines (two processes) built the default way give their runs different keys.
    let other = Engine::new(job_poller(), service.clone(), clock.clone());
    clock.block_on(other.start(json!({})).outcome());
    assert_eq!(service.jobs().len(), 4);
    assert!(!keys.contains(&service.jobs()[3]));

    // Checkpointed after its job was submitted: nothing in flight, no lookup on resume.
    let mut run = engine.start(json!({}));
    let saved = clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::TaskSubmitted { .. }) {
                break;
            }
        }
        serde_json::to_value(run.checkpoint()).unwrap()
    });
    assert_eq!(saved["execution"].get("submitting"), None);
    assert_eq!(saved["execution"]["submits"], json!(1));
}

const SYNC: &str = "arn:aws:states:::batch:submitJob.sync";

/// Runs an ASL definition whose `.sync` Task states submit to `service`.
fn run_asl(service: &Arc<Service>, definition: Value, input: Value) -> Outcome {
    let workflow = Workflow::from_asl(&definition.to_string(), "keys").expect("a valid definition");
    let clock = VirtualClock::new();
    let tasks = pollflow::task::Tasks::new().job(SYNC, service.clone());
    let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
    clock.block_on(engine.start(input).outcome())
}

#[test]
fn each_map_item_and_each_submit_state_has_its_own_key() {
    let service = Service::new(true, 0);
    let outcome = run_asl(
        &service,
        json!({"StartAt": "First", "States": {
            "First": {"Type": "Task", "Resource": SYNC, "ResultPath": null, "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true, "ItemProcessor": {"StartAt": "Item", "States": {
                "Item": {"Type": "Task", "Resource": SYNC, "End": true}}}}}}),
        json!({"items": [1, 2, 3]}),
    );
    assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
    let keys = service.jobs();
    let distinct: BTreeMap<&String, ()> = keys.iter().map(|k| (k, ())).collect();
    assert_eq!((keys.len(), distinct.len()), (4, 4), "{keys:?}");
}

/// Fails its first submit after creating the job (a timeout the service did not see).
struct FlakyService(Arc<Service>, Mutex<bool>);

#[async_trait]
impl Poller for FlakyService {
    async fn submit(&self, _input: &Value) -> Result<Value, TaskError> {
        panic!("the engine submits with a key");
    }
    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        let handle = self.0.submit_keyed(input, key).await?;
        if std::mem::replace(&mut *self.1.lock().unwrap(), false) {
            return Err(TaskError::new("Batch.NetworkException", "timed out"));
        }
        Ok(handle)
    }
    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        self.0.check(handle).await
    }
}

#[test]
fn a_retried_submit_keeps_its_key() {
    let service = Service::new(true, 0);
    let flaky = Arc::new(FlakyService(service.clone(), Mutex::new(true)));
    let workflow = Workflow::from_asl(
        &json!({"StartAt": "Job", "States": {
            "Job": {"Type": "Task", "Resource": SYNC, "End": true,
                "Retry": [{"ErrorEquals": ["Batch.NetworkException"], "IntervalSeconds": 1}]}}})
        .to_string(),
        "retry",
    )
    .expect("a valid definition");
    let clock = VirtualClock::new();
    let tasks = pollflow::task::Tasks::new().job(SYNC, flaky);
    let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
    let outcome = clock.block_on(engine.start(json!({})).outcome());
    assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
    let keys = service.submit_keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "a service with idempotency tokens sees one submission"
    );
}
