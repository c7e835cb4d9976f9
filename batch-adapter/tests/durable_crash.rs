//! The crash test of durable runs: a process running 100 Job Poller runs against moto with the
//! SQLite store is killed with SIGKILL at random moments, 20 times, and started again each
//! time; then it runs to the end. Afterwards every run has finished and moto holds exactly one
//! job per run.
//!
//! The process is this test binary again, running only `crash_child` with `CRASH_STORE` set;
//! it is killed 0–400 ms after it says it started its runs.
//! Its poller waits 300 ms after each SubmitJob returns before handing the job's id to the run,
//! so that kills land between a submit and the save of its answer: a restarted process must
//! find those jobs by their submit keys instead of submitting them again — and look only once
//! the submit window has passed, since a killed process's SubmitJob can still be in moto's
//! backlog when the next process starts (seen: landing 250 ms after the next one's lookup).

#[allow(
    dead_code,
    reason = "the moto module serves several test files; this one uses part of it"
)]
mod moto;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use moto::{jobs_named, moto, use_docker};
use pollflow::store::SqliteStore;
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Engine, JobStatus, Poller, TaskError, TokioClock, WaitPolicy, Workflow,
};
use pollflow_batch::aws::AwsBatch;
use pollflow_batch::BatchPoller;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const RUNS: usize = 100;
const KILLS: usize = 20;

/// SubmitJob, then 300 ms before the answer reaches the run (the window a crash falls into).
struct SlowAnswer(BatchPoller<AwsBatch>);

#[async_trait]
impl Poller for SlowAnswer {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        self.0.submit(input).await
    }
    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        let handle = self.0.submit_keyed(input, key).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        handle
    }
    async fn find_submitted(&self, input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        self.0.find_submitted(input, key).await
    }
    fn submit_window(&self) -> Duration {
        self.0.submit_window()
    }
    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        self.0.check(handle).await
    }
    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        self.0.check_many(handles).await
    }
}

/// The checkpoints of every run in the store file (finished or not), by job name.
fn saved_runs(file: &Path) -> BTreeMap<String, (Value, bool)> {
    if !file.exists() {
        return BTreeMap::new();
    }
    let conn = rusqlite::Connection::open(file).expect("the store file opens");
    let mut query = conn
        .prepare("SELECT checkpoint, outcome FROM runs")
        .expect("the runs table");
    let rows = query
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
        })
        .expect("a query");
    rows.map(|row| {
        let (checkpoint, outcome) = row.expect("a row");
        let checkpoint: Value = serde_json::from_str(&checkpoint).expect("a checkpoint");
        let name = checkpoint["execution"]["input"]["jobName"]
            .as_str()
            .expect("a job name")
            .to_owned();
        let succeeded = outcome.is_some_and(|o| o.contains("\"SUCCEEDED\""));
        (name, (checkpoint, succeeded))
    })
    .collect()
}

/// The process that is killed: recovers what the store holds, starts the runs it does not
/// hold yet, and exits once every run has finished. Prints how many recovered runs had a
/// submit in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Some(file) = std::env::var_os("CRASH_STORE").map(PathBuf::from) else {
        return; // only as the crash test's child
    };
    let prefix = std::env::var("CRASH_PREFIX").expect("CRASH_PREFIX");
    let moto = moto();
    let held = saved_runs(&file);
    let in_flight = held
        .values()
        .filter(|(checkpoint, done)| !done && !checkpoint["execution"]["submitting"].is_null())
        .count();
    println!("recovered-mid-submit {in_flight}");
    let workflow = Workflow::builder("Crash Test")
        .submit("Submit Job")
        .wait("Wait", WaitPolicy::fixed(Duration::from_millis(200)))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap();
    let sdk = pollflow_batch::aws::load_config(Some(&moto.endpoint)).await;
    let poller = SlowAnswer(BatchPoller::new(
        AwsBatch::new(&sdk).with_submit_window(moto::SUBMIT_WINDOW),
    ));
    let engine = Engine::builder(workflow, poller, TokioClock::new())
        .store(SqliteStore::open(&file).expect("the store opens"))
        .build();
    let mut runs: Vec<_> = engine.recover().await.expect("the store reads");
    for i in 0..RUNS {
        let name = format!("{prefix}-{i}");
        if !held.contains_key(&name) {
            let input = json!({"jobName": name, "jobQueue": moto.job_queue, "jobDefinition": moto.job_definition});
            runs.push(engine.start(input));
        }
    }
    let tasks: Vec<_> = runs
        .into_iter()
        .map(|run| tokio::spawn(run.outcome()))
        .collect();
    println!("started {}", tasks.len());
    for task in tasks {
        task.await.expect("a run");
    }
}

#[tokio::test]
async fn killed_twenty_times_every_run_finishes_with_exactly_one_job() {
    if std::env::var_os("CRASH_STORE").is_some() {
        return;
    }
    let moto = moto();
    use_docker(&moto, false).await;
    let dir = std::env::temp_dir().join(format!("pollflow-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("runs.db");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let prefix = format!("crash-{}-{nanos}", std::process::id());
    let child = || {
        Command::new(std::env::current_exe().unwrap())
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env("CRASH_STORE", &file)
            .env("CRASH_PREFIX", &prefix)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the child starts")
    };
    let mut mid_submit = 0;
    let mut rng = pollflow::policy::Rng::seeded(u64::from(nanos));
    for _ in 0..KILLS {
        // Killed at a random moment within 400 ms of starting its runs (however long the
        // process took to come up): while they submit, wait or check.
        let mut process = child();
        let mut lines = BufReader::new(process.stdout.take().expect("piped")).lines();
        let mut out = String::new();
        while let Some(line) = lines.next_line().await.expect("the child's output") {
            out.push_str(&line);
            out.push('\n');
            if line.contains("started ") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.between(0, 400))).await;
        let _ = process.kill().await; // SIGKILL (an error only if it had exited)
        mid_submit += recovered_mid_submit(out.as_bytes());
    }
    let last = child()
        .wait_with_output()
        .await
        .expect("the last child runs");
    assert!(last.status.success(), "the last process finishes every run");
    mid_submit += recovered_mid_submit(&last.stdout);

    let held = saved_runs(&file);
    assert_eq!(held.len(), RUNS, "every run is in the store");
    assert!(
        held.values().all(|(_, succeeded)| *succeeded),
        "every run succeeded"
    );
    assert!(
        mid_submit > 0,
        "some kill fell between a submit and its answer (the window this test is for)"
    );
    let sdk = pollflow_batch::aws::load_config(Some(&moto.endpoint)).await;
    let mut jobs: BTreeMap<String, usize> = BTreeMap::new();
    for job in jobs_named(&sdk, &moto.job_queue, &format!("{prefix}-")).await {
        *jobs
            .entry(job.job_name().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    let names: BTreeSet<String> = (0..RUNS).map(|i| format!("{prefix}-{i}")).collect();
    assert_eq!(
        jobs.keys().cloned().collect::<BTreeSet<_>>(),
        names,
        "none lost"
    );
    let twice: Vec<_> = jobs.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "jobs submitted more than once: {twice:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn recovered_mid_submit(stdout: &[u8]) -> usize {
    String::from_utf8_lossy(stdout)
        .lines()
        // The harness's `test crash_child ... ` may precede it on the line.
        .filter_map(|line| line.split_once("recovered-mid-submit ").map(|(_, n)| n))
        .filter_map(|n| n.trim().parse::<usize>().ok())
        .sum()
}
