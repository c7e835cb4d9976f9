//! The lease test of `DynamoDbStore`: two processes share one table on moto, each running
//! Job Poller runs against moto's Batch. Process A starts 20 runs and is killed with SIGKILL
//! once they are all submitted and saved; process B runs 20 of its own and calls `recover`
//! every half lease. After A's lease lapses B takes A's runs over and finishes them.
//!
//! Each check is logged as a line `<job name> <owner> <unix ms>` in a shared file. Afterwards:
//! every run is finished in the table, moto holds one job per run, and for each of A's runs
//! every check B made comes after A's last one, and B's first comes a lease after A's last
//! beat (as this test saw it, polling A's owner item every 20 ms).
//!
//! The processes are this test binary again, running only `lease_child` with `LEASE_ROLE` set.

#[allow(
    dead_code,
    reason = "the moto module serves several test files; this one uses part of it"
)]
mod moto;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use futures::StreamExt;
use moto::{jobs_named, moto, use_docker};
use pollflow::workflow::Choice;
use pollflow::{
    async_trait, CheckError, Engine, EventKind, JobStatus, PollGroup, Poller, TaskError,
    TokioClock, WaitPolicy, Workflow,
};
use pollflow_batch::aws::AwsBatch;
use pollflow_batch::{BatchPoller, DynamoDbStore};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const RUNS: usize = 20;
/// Long enough for a loaded two-core machine, whose moto serves both instances' 40 runs, to
/// renew it in time (at 2 s, CI saw both instances' leases lapse).
const LEASE: Duration = Duration::from_secs(5);
/// How long a job reports RUNNING after it was created (moto's jobs succeed at once).
const JOB_MS: u64 = 6000;

fn unix_ms() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    u64::try_from(now.as_millis()).unwrap()
}

/// moto's Batch, with jobs that run for `JOB_MS`, and every check logged.
struct Logged {
    batch: BatchPoller<AwsBatch>,
    owner: String,
    log: Mutex<std::fs::File>,
}

#[async_trait]
impl Poller for Logged {
    async fn submit(&self, input: &Value) -> Result<Value, TaskError> {
        self.batch.submit(input).await
    }
    async fn submit_keyed(&self, input: &Value, key: &str) -> Result<Value, TaskError> {
        self.batch.submit_keyed(input, key).await
    }
    async fn find_submitted(&self, input: &Value, key: &str) -> Result<Option<Value>, TaskError> {
        self.batch.find_submitted(input, key).await
    }
    async fn check(&self, handle: &Value) -> Result<JobStatus, CheckError> {
        Ok(self.observe(self.batch.check(handle).await?))
    }
    async fn check_many(&self, handles: &[Value]) -> Vec<Result<JobStatus, CheckError>> {
        let statuses = self.batch.check_many(handles).await;
        statuses
            .into_iter()
            .map(|status| Ok(self.observe(status?)))
            .collect()
    }
}

impl Logged {
    /// Logs a check, and keeps a job RUNNING until `JOB_MS` after it was created.
    fn observe(&self, status: JobStatus) -> JobStatus {
        let detail = status.detail();
        let name = detail["jobName"].as_str().unwrap_or("?").to_owned();
        let now = unix_ms();
        // One write per line, to a file opened for appending: lines of the two processes
        // do not interleave.
        let line = format!("{name} {} {now}\n", self.owner);
        let _ = self.log.lock().unwrap().write_all(line.as_bytes());
        let created = detail["createdAt"].as_u64().unwrap_or(0);
        match status {
            JobStatus::Succeeded { .. } if now < created + JOB_MS => {
                JobStatus::pending(detail.clone())
            }
            other => other,
        }
    }
}

/// A fleet instance: runs `RUNS` runs of its own (named `<prefix>-<role>-<i>`); as B, also
/// takes over runs through `recover` every half lease until it has taken `LEASE_TAKE` and
/// finished them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_child() {
    let Ok(role) = std::env::var("LEASE_ROLE") else {
        return; // only as the lease test's child
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name}"));
    let (table, prefix, log) = (var("LEASE_TABLE"), var("LEASE_PREFIX"), var("LEASE_LOG"));
    let take: usize = var("LEASE_TAKE").parse().unwrap();
    let moto = moto();
    let sdk = pollflow_batch::aws::load_config(Some(&moto.endpoint)).await;
    let store = Arc::new(DynamoDbStore::new(&sdk, &table, LEASE).await.unwrap());
    println!("owner {}", store.owner());
    let poller = Logged {
        batch: BatchPoller::new(AwsBatch::new(&sdk).with_submit_window(moto::SUBMIT_WINDOW)),
        owner: store.owner().to_owned(),
        log: Mutex::new(
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&log)
                .unwrap(),
        ),
    };
    let workflow = Workflow::builder("Lease Test")
        .submit("Submit Job")
        .wait("Wait", WaitPolicy::fixed(Duration::from_millis(500)))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap();
    // One DescribeJobs per round of checks, for moto's sake.
    let poller = PollGroup::new(poller, 100);
    let engine = Engine::builder(workflow, poller, TokioClock::new())
        .store(store.clone())
        .build();
    let (waiting, mut waits) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for i in 0..RUNS {
        let name = format!("{prefix}-{role}-{i}");
        let input = json!({"jobName": name, "jobQueue": moto.job_queue, "jobDefinition": moto.job_definition});
        let mut run = engine.start(input);
        let waiting = waiting.clone();
        tasks.push(tokio::spawn(async move {
            let mut waits = 0;
            while let Some(event) = run.next().await {
                if matches!(event.kind, EventKind::WaitStarted { .. }) {
                    waits += 1;
                    if waits == 2 {
                        let _ = waiting.send(()); // it has checked once
                    }
                }
            }
            run.finished().cloned()
        }));
    }
    for _ in 0..RUNS {
        waits.recv().await;
    }
    println!("submitted {RUNS}");
    let started = Instant::now();
    let mut taken = 0;
    while taken < take {
        assert!(
            started.elapsed() < LEASE * 10,
            "took {taken} of {take} runs over"
        );
        match engine.recover().await {
            Ok(runs) => {
                for run in runs {
                    taken += 1;
                    tasks.push(tokio::spawn(async move { Some(run.outcome().await) }));
                }
            }
            Err(e) => eprintln!("recover: {e}"), // tried again in half a lease
        }
        tokio::time::sleep(LEASE / 2).await;
    }
    println!("took over {taken}");
    for task in tasks {
        let outcome = task.await.unwrap();
        assert!(
            matches!(outcome, Some(pollflow::Outcome::Succeeded { .. })),
            "{outcome:?}"
        );
    }
    store.flush().await;
    println!("finished");
}

/// Reads `child`'s stdout until a line starting with `word`; the rest of that line.
async fn read_until(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    word: &str,
) -> String {
    while let Some(line) = lines.next_line().await.unwrap() {
        // The harness's `test lease_child ... ` may precede it on the line.
        if let Some((_, rest)) = line.split_once(word) {
            return rest.trim().to_owned();
        }
    }
    panic!("the child ended before saying {word:?}");
}

#[tokio::test]
async fn a_killed_instances_runs_are_taken_over_after_its_lease_and_never_checked_twice() {
    if std::env::var_os("LEASE_ROLE").is_some() {
        return;
    }
    let began = Instant::now();
    let moto = moto();
    use_docker(&moto, false).await;
    let sdk = pollflow_batch::aws::load_config(Some(&moto.endpoint)).await;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let prefix = format!("lease-{}-{nanos}", std::process::id());
    let table = format!("pollflow-{prefix}");
    DynamoDbStore::create_table(&sdk, &table).await.unwrap();
    let log = std::env::temp_dir().join(format!("{prefix}.log"));
    let child = |role: &str, take: usize| {
        Command::new(std::env::current_exe().unwrap())
            .args(["lease_child", "--exact", "--nocapture", "--test-threads=1"])
            .env("LEASE_ROLE", role)
            .env("LEASE_TABLE", &table)
            .env("LEASE_PREFIX", &prefix)
            .env("LEASE_LOG", &log)
            .env("LEASE_TAKE", take.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the child starts")
    };
    let mut a = child("a", 0);
    let b = child("b", RUNS);
    let mut a_out = BufReader::new(a.stdout.take().unwrap()).lines();
    let a_owner = read_until(&mut a_out, "owner ").await;

    // A's beats as this test sees them, polled every 20 ms: (beat, when the read that first saw
    // it was sent). The send time, not the answer's: on a loaded machine moto can take longer
    // than the margin below to answer a read of a beat A wrote before it was killed.
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let beats: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
    let watching = {
        let (client, table, beats) = (client.clone(), table.clone(), beats.clone());
        let key = AttributeValue::S(format!("owner#{a_owner}"));
        tokio::spawn(async move {
            loop {
                let sent = unix_ms();
                let item = client
                    .get_item()
                    .table_name(&table)
                    .key("pk", key.clone())
                    .consistent_read(true)
                    .send()
                    .await
                    .unwrap();
                let beat = item
                    .item()
                    .and_then(|i| i.get("beat"))
                    .and_then(|b| b.as_n().ok())
                    .cloned()
                    .unwrap_or_default();
                {
                    let mut beats = beats.lock().unwrap();
                    if beats.last().is_none_or(|(last, _)| *last != beat) {
                        beats.push((beat, sent));
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    read_until(&mut a_out, "submitted ").await;
    // Killed once every one of its runs has saved its job's handle (not only its intent).
    let saving = Instant::now();
    loop {
        assert!(
            saving.elapsed() < LEASE * 10,
            "A's runs did not all save their job's handle"
        );
        let saved = runs(&client, &table).await;
        let handles = saved
            .values()
            .filter(|r| r.owner == a_owner && r.checkpoint["execution"]["submitting"].is_null())
            .count();
        if handles == RUNS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let jitter = u64::from(nanos % 500);
    tokio::time::sleep(Duration::from_millis(jitter)).await;
    a.kill().await.unwrap(); // SIGKILL
    let killed = unix_ms();
    tokio::time::sleep(LEASE).await; // A's item stays as it was from here on
    watching.abort();

    let b = b.wait_with_output().await.expect("B runs");
    let b_out = String::from_utf8_lossy(&b.stdout);
    assert!(b.status.success(), "B finishes: {b_out}");
    assert!(b_out.contains(&format!("took over {RUNS}")), "{b_out}");
    let b_owner = b_out
        .lines()
        .find_map(|l| l.split_once("owner ").map(|(_, o)| o.trim().to_owned()))
        .unwrap();

    // Every run is finished in the table, and succeeded.
    let saved = runs(&client, &table).await;
    assert_eq!(saved.len(), 2 * RUNS);
    for (name, run) in &saved {
        assert!(run.finished && run.succeeded, "{name} finished: {run:?}");
    }
    // One job per run.
    let mut jobs: BTreeMap<String, usize> = BTreeMap::new();
    for job in jobs_named(&sdk, &moto.job_queue, &format!("{prefix}-")).await {
        *jobs
            .entry(job.job_name().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    assert_eq!(
        jobs.keys().cloned().collect::<BTreeSet<_>>(),
        saved.keys().cloned().collect::<BTreeSet<_>>()
    );
    assert!(
        jobs.values().all(|n| *n == 1),
        "a job submitted twice: {jobs:?}"
    );

    // No run checked by both at once: B's checks of A's runs come after A's last, a lease
    // after A's last beat.
    let last_beat = beats.lock().unwrap().last().map(|(_, at)| *at).unwrap();
    assert!(
        last_beat <= killed + 500,
        "A's beats did not stop with it: {last_beat} (killed at {killed})"
    );
    let mut checks: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        let mut parts = line.split(' ');
        let (Some(name), Some(owner), Some(at)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("a bad log line: {line:?}");
        };
        checks
            .entry(name.to_owned())
            .or_default()
            .push((owner.to_owned(), at.parse().unwrap()));
    }
    let lease_ms = u64::try_from(LEASE.as_millis()).unwrap();
    let mut gaps = Vec::new();
    for i in 0..RUNS {
        let name = format!("{prefix}-a-{i}");
        let of = |owner: &str| -> Vec<u64> {
            checks
                .get(&name)
                .into_iter()
                .flatten()
                .filter(|(o, _)| o == owner)
                .map(|(_, at)| *at)
                .collect()
        };
        let (by_a, by_b) = (of(&a_owner), of(&b_owner));
        assert!(
            !by_a.is_empty() && !by_b.is_empty(),
            "{name}: A {by_a:?} B {by_b:?}"
        );
        let a_last = *by_a.iter().max().unwrap();
        let b_first = *by_b.iter().min().unwrap();
        assert!(a_last <= killed, "{name}: A checked after it was killed");
        assert!(
            b_first > a_last,
            "{name}: B checked at {b_first}, A at {a_last}"
        );
        // This test saw A's last beat within 20 ms (plus a read) of its write.
        assert!(
            b_first + 100 >= last_beat + lease_ms,
            "{name}: B's first check {b_first} is not a lease after A's last beat {last_beat}"
        );
        gaps.push(b_first - last_beat);
    }
    let checks_of_b_runs = (0..RUNS)
        .map(|i| checks.get(&format!("{prefix}-b-{i}")).map_or(0, Vec::len))
        .sum::<usize>();
    assert!(checks_of_b_runs >= RUNS, "B checked its own runs");
    println!(
        "A killed {jitter} ms after its runs were saved; B's first check of A's runs came \
         {}..{} ms after A's last beat; {:.1} s in all",
        gaps.iter().min().unwrap(),
        gaps.iter().max().unwrap(),
        began.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_file(&log);
}

/// A run as the table holds it.
#[derive(Debug)]
struct Held {
    owner: String,
    finished: bool,
    succeeded: bool,
    checkpoint: Value,
}

/// Every run item of `table`, by job name.
async fn runs(client: &aws_sdk_dynamodb::Client, table: &str) -> BTreeMap<String, Held> {
    let mut found = BTreeMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in page.items() {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            let Some(checkpoint) = text("checkpoint") else {
                continue; // an owner item
            };
            let checkpoint: Value = serde_json::from_str(&checkpoint).unwrap();
            let name = checkpoint["execution"]["input"]["jobName"]
                .as_str()
                .unwrap()
                .to_owned();
            let held = Held {
                owner: text("owner").unwrap_or_default(),
                finished: item.get("finished") == Some(&AttributeValue::Bool(true)),
                succeeded: text("outcome").is_some_and(|o| o.contains("\"SUCCEEDED\"")),
                checkpoint,
            };
            found.insert(name, held);
        }
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return found,
        }
    }
}
