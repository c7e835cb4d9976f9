//! `DynamoDbStore` against moto: saves, finishes, the conditional write that refuses a second
//! owner, writes kept in order, takeover once an owner's beat stops (and not before), and the
//! fence of an instance that cannot beat (its runs make no more calls).

#[allow(
    dead_code,
    reason = "the moto module serves several test files; this one uses part of it"
)]
mod moto;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use futures::StreamExt;
use moto::{moto, FaultLayer};
use pollflow::store::Store;
use pollflow::workflow::Choice;
use pollflow::{
    names, poller_fn, Checkpoint, Engine, EventKind, JobStatus, Outcome, TokioClock, VirtualClock,
    WaitPolicy, Workflow,
};
use pollflow_batch::DynamoDbStore;
use serde_json::{json, Value};

/// Long enough for moto on a loaded machine to take every beat in time.
const LEASE: Duration = Duration::from_secs(2);

fn job_poller(name: &str) -> Workflow {
    Workflow::builder(name)
        .submit("Submit Job")
        .wait("Wait", WaitPolicy::fixed(Duration::from_millis(100)))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap()
}

/// A fresh table on moto (a name of its own per test), and its configuration.
async fn table(test: &str) -> (aws_config::SdkConfig, String) {
    let moto = moto();
    let config = pollflow_batch::aws::load_config(Some(&moto.endpoint)).await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("pollflow-{test}-{}-{nanos}", std::process::id());
    DynamoDbStore::create_table(&config, &name).await.unwrap();
    (config, name)
}

/// `n` checkpoints of one run of `workflow`, each after one more check (a job that never
/// ends), and the run's id.
fn checkpoints(workflow: &str, n: usize) -> (String, Vec<Checkpoint>) {
    let poller = poller_fn(
        |_input| async { Ok(json!("job-1")) },
        |_job| async { Ok(JobStatus::pending("RUNNING")) },
    );
    let clock = VirtualClock::new();
    let engine = Engine::new(job_poller(workflow), poller, clock.clone());
    let mut run = engine.start(json!({"jobName": "job"}));
    let mut saved = Vec::new();
    clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. }) {
                saved.push(run.checkpoint());
                if saved.len() == n {
                    break;
                }
            }
        }
    });
    (run.id(), saved)
}

async fn item(
    config: &aws_config::SdkConfig,
    table: &str,
    key: &str,
) -> HashMap<String, AttributeValue> {
    aws_sdk_dynamodb::Client::new(config)
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(key.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item()
        .cloned()
        .unwrap_or_default()
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map_or("", String::as_str)
}

fn as_json(checkpoint: &Checkpoint) -> Value {
    serde_json::to_value(checkpoint).unwrap()
}

#[tokio::test]
async fn saves_finishes_and_refuses_a_second_owner() {
    let (config, table) = table("owners").await;
    let a = DynamoDbStore::new(&config, &table, LEASE).await.unwrap();
    let b = DynamoDbStore::new(&config, &table, LEASE).await.unwrap();
    assert_ne!(a.owner(), b.owner());
    assert_eq!(a.owner().len(), 32);
    let beat = item(&config, &table, &format!("owner#{}", a.owner())).await;
    assert!(
        beat.contains_key("beat"),
        "the first beat is written: {beat:?}"
    );

    let (run, saved) = checkpoints("Owners", 1);
    a.save(&run, &saved[0]).await.unwrap();
    let held = item(&config, &table, &format!("run#{run}")).await;
    assert_eq!(text(&held, "owner"), a.owner());
    assert_eq!(text(&held, "workflow"), "Owners");
    assert_eq!(held.get("finished"), Some(&AttributeValue::Bool(false)));

    let refused = b.save(&run, &saved[0]).await.unwrap_err().to_string();
    assert!(
        refused.contains("owned by another instance") && refused.contains(a.owner()),
        "{refused}"
    );
    let outcome = Outcome::Succeeded {
        output: json!({"done": true}),
    };
    let refused = b.finish(&run, &saved[0], &outcome).await.unwrap_err();
    assert!(refused.to_string().contains("owned by another instance"));

    a.finish(&run, &saved[0], &outcome).await.unwrap();
    let held = item(&config, &table, &format!("run#{run}")).await;
    assert_eq!(held.get("finished"), Some(&AttributeValue::Bool(true)));
    assert!(text(&held, "outcome").contains("done"), "{held:?}");
    assert!(a.unfinished("Owners").await.unwrap().is_empty());
    assert!(b.unfinished("Owners").await.unwrap().is_empty());
}

#[tokio::test]
async fn writes_of_a_run_land_in_the_order_they_were_asked() {
    let (config, table) = table("order").await;
    let store = DynamoDbStore::new(&config, &table, LEASE).await.unwrap();
    let (run, saved) = checkpoints("Order", 8);
    // All asked at once, none awaited before the next (as a run's saves are).
    let writes: Vec<_> = saved.iter().map(|c| store.save(&run, c)).collect();
    for write in writes {
        write.await.unwrap();
    }
    let held = item(&config, &table, &format!("run#{run}")).await;
    let last: Value = serde_json::from_str(text(&held, "checkpoint")).unwrap();
    assert_eq!(last, as_json(&saved[7]));
}

#[tokio::test]
async fn an_owner_whose_beat_stops_loses_its_runs_after_a_lease_and_not_before() {
    let (config, table) = table("takeover").await;
    let a = DynamoDbStore::new(&config, &table, LEASE).await.unwrap();
    let b = DynamoDbStore::new(&config, &table, LEASE).await.unwrap();
    let mut runs = BTreeSet::new();
    let mut held = HashMap::new();
    for _ in 0..3 {
        let (run, saved) = checkpoints("Takeover", 2);
        a.save(&run, &saved[1]).await.unwrap();
        runs.insert(run.clone());
        held.insert(run, as_json(&saved[1]));
    }
    // A beats: however long B looks, it takes nothing.
    let looking = Instant::now();
    while looking.elapsed() < LEASE * 2 {
        assert!(b.unfinished("Takeover").await.unwrap().is_empty());
        assert!(
            a.unfinished("Takeover").await.unwrap().is_empty(),
            "A runs them"
        );
        tokio::time::sleep(LEASE / 4).await;
    }
    // A stops (its beat with it).
    let stopped = Instant::now();
    drop(a);
    let taken = loop {
        let taken = b.unfinished("Takeover").await.unwrap();
        if !taken.is_empty() {
            break taken;
        }
        assert!(stopped.elapsed() < LEASE * 4, "B never took A's runs over");
        tokio::time::sleep(LEASE / 10).await;
    };
    // A beat every lease/3 before it stopped: B waited a full lease after the last one.
    assert!(
        stopped.elapsed() >= LEASE * 2 / 3,
        "taken over after {:?}",
        stopped.elapsed()
    );
    assert_eq!(taken.len(), 3);
    for checkpoint in &taken {
        let run = runs
            .iter()
            .find(|run| held[*run] == as_json(checkpoint))
            .expect("a checkpoint A saved");
        let item = item(&config, &table, &format!("run#{run}")).await;
        assert_eq!(text(&item, "owner"), b.owner());
    }
    // B runs them now: asked again, it returns nothing; its own writes go through.
    assert!(b.unfinished("Takeover").await.unwrap().is_empty());
    let run = runs.first().unwrap();
    let checkpoint: Checkpoint = serde_json::from_value(held[run].clone()).unwrap();
    b.save(run, &checkpoint).await.unwrap();
    // A third instance sees B beating and takes nothing.
    let c = DynamoDbStore::new(&config, &table, LEASE).await.unwrap();
    for _ in 0..8 {
        assert!(c.unfinished("Takeover").await.unwrap().is_empty());
        tokio::time::sleep(LEASE / 4).await;
    }
}

/// A run that finished here is never handed out by `unfinished` (as CI once saw: a scan read
/// a run before its finish landed, and handed it out after).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_finishing_while_unfinished_is_asked_are_not_handed_out() {
    const RUNS: usize = 40;
    let (config, table) = table("finishing").await;
    let store = DynamoDbStore::new(&config, &table, LEASE).await.unwrap();
    let outcome = Outcome::Succeeded {
        output: json!({"done": true}),
    };
    for _ in 0..5 {
        let runs: Vec<_> = (0..RUNS).map(|_| checkpoints("Finishing", 1)).collect();
        for (run, saved) in &runs {
            store.save(run, &saved[0]).await.unwrap();
        }
        // All finishes at once, each after a pause of its own, while `unfinished` is asked
        // every few ms until they have all landed.
        let (store, outcome) = (&store, &outcome);
        let done = AtomicBool::new(false);
        let finishing = async {
            let finished = futures::future::join_all(runs.iter().enumerate().map(
                |(i, (run, saved))| async move {
                    tokio::time::sleep(Duration::from_millis(10 * i as u64)).await;
                    store.finish(run, &saved[0], outcome).await
                },
            ))
            .await;
            done.store(true, Ordering::SeqCst);
            finished
        };
        let asking = async {
            let mut handed = Vec::new();
            while !done.load(Ordering::SeqCst) {
                handed.extend(store.unfinished("Finishing").await.unwrap());
                // Not too often: moto serves the other tests' beats too.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            handed
        };
        let (finished, handed) = tokio::join!(finishing, asking);
        assert!(finished.iter().all(Result::is_ok), "{finished:?}");
        assert!(
            handed.is_empty(),
            "handed out {} finished runs",
            handed.len()
        );
    }
    assert!(store.unfinished("Finishing").await.unwrap().is_empty());
}

#[tokio::test]
async fn an_instance_that_cannot_beat_fences_itself_and_its_runs_stop_calling() {
    let moto = moto();
    let (_, table) = table("fence").await;
    // Every request through this layer fails with 429 once `throttle_every` is 1.
    let layer = FaultLayer::new(0);
    let config = moto::config(&moto, &layer).await;
    let store = Arc::new(DynamoDbStore::new(&config, &table, LEASE).await.unwrap());
    assert!(store.holds());

    let checks = Arc::new(AtomicUsize::new(0));
    let counted = checks.clone();
    let poller = poller_fn(
        |_input| async { Ok(json!("job-1")) },
        move |_job| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok(JobStatus::pending("RUNNING")) }
        },
    );
    let engine = Engine::builder(job_poller("Fence"), poller, TokioClock::new())
        .store(store.clone())
        .build();
    let run = tokio::spawn(engine.start(json!({"jobName": "job"})).outcome());
    let started = Instant::now();
    while checks.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < LEASE * 10, "the run checks");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let cut = Instant::now();
    layer.traffic.lock().unwrap().throttle_every = 1;
    while store.holds() {
        assert!(
            cut.elapsed() < LEASE,
            "still holding {:?} after beats stopped",
            cut.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let fenced = cut.elapsed();
    // At most lease − margin after the last beat sent, which was at most lease/3 before
    // (and this loop's wake-up, late on a loaded machine).
    assert!(
        fenced <= LEASE * 3 / 4 + Duration::from_millis(200),
        "{fenced:?}"
    );
    let checks_at_fence = checks.load(Ordering::SeqCst);

    let outcome = tokio::time::timeout(LEASE, run).await.unwrap().unwrap();
    match &outcome {
        Outcome::Failed { error } => {
            assert_eq!(error.error, names::STORE_FAILED);
            assert!(
                error.cause.contains("lease on its runs lapsed"),
                "{}",
                error.cause
            );
        }
        other => panic!("the run should fail with StoreFailed: {other:?}"),
    }
    assert_eq!(
        checks.load(Ordering::SeqCst),
        checks_at_fence,
        "no check after the fence"
    );

    // The connection back, the lease stays lost: writes and claims are refused.
    layer.traffic.lock().unwrap().throttle_every = 0;
    tokio::time::sleep(LEASE / 2).await;
    assert!(!store.holds());
    let (run, saved) = checkpoints("Fence", 1);
    let refused = store.save(&run, &saved[0]).await.unwrap_err().to_string();
    assert!(refused.contains("lease on its runs lapsed"), "{refused}");
    assert!(store.unfinished("Fence").await.is_err());
}

#[tokio::test]
async fn a_lease_too_short_and_a_missing_table_are_clear_errors() {
    let moto = moto();
    let config = pollflow_batch::aws::load_config(Some(&moto.endpoint)).await;
    let short = DynamoDbStore::new(&config, "anything", Duration::from_millis(10))
        .await
        .err()
        .expect("refused");
    assert!(short.to_string().contains("too short"), "{short}");
    let missing = DynamoDbStore::new(&config, "pollflow-no-such-table", LEASE)
        .await
        .err()
        .expect("refused");
    assert!(
        missing.to_string().contains("ResourceNotFound"),
        "{missing}"
    );
}
