//! Job state-change events through EventBridge and SQS, on moto: an event put on a bus whose
//! rule targets a queue ends the wait of the run polling that job within one receive; with
//! the consumer stopped, runs still finish by polling.
//!
//! The test plays AWS Batch's part in EventBridge: once a run waits on its job, it describes
//! the job (moto's jobs succeed at once) and puts the "Batch Job State Change" event.

#[allow(
    dead_code,
    reason = "the moto module serves several test files; this one uses part of it"
)]
mod moto;

use std::time::{Duration, Instant};

use futures::StreamExt;
use moto::{moto, use_docker, Moto};
use pollflow::workflow::Choice;
use pollflow::{Engine, EventKind, Outcome, TokioClock, WaitPolicy, Workflow};
use pollflow_batch::aws::{load_config, AwsBatch, SqsJobEvents};
use pollflow_batch::{BatchApi, BatchPoller, JobStateChange};
use serde_json::json;

/// Runs per phase.
const RUNS: usize = 4;

/// A queue fed by a rule for AWS Batch's job state changes on a bus of its own.
struct Wiring {
    bus: String,
    queue_url: String,
}

async fn wiring(sdk: &aws_config::SdkConfig, name: &str) -> Wiring {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("{name}-{}-{nanos}", std::process::id());
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue_url = sqs
        .create_queue()
        .queue_name(&name)
        // A receive dropped in flight hides what it took for a second only.
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "1",
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = moto::queue_arn(&sqs, &queue_url).await;
    let events = aws_sdk_eventbridge::Client::new(sdk);
    events.create_event_bus().name(&name).send().await.unwrap();
    let pattern = json!({"source": ["aws.batch"], "detail-type": ["Batch Job State Change"]});
    events
        .put_rule()
        .name(&name)
        .event_bus_name(&name)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&name)
        .event_bus_name(&name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("jobs")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    Wiring {
        bus: name,
        queue_url,
    }
}

/// Describes `job` once it has ended (moto's jobs without Docker end at once) and puts its
/// state change on `bus`, as AWS Batch does on the default bus.
async fn announce(sdk: &aws_config::SdkConfig, batch: &AwsBatch, bus: &str, job: &str) {
    let asked = Instant::now();
    let detail = loop {
        let detail = batch.describe_jobs(&[job.to_owned()]).await.unwrap();
        if detail[0].status.is_done() {
            break detail;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(30),
            "moto's job never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let detail = serde_json::to_string(&detail[0]).unwrap();
    let put = aws_sdk_eventbridge::Client::new(sdk)
        .put_events()
        .entries(
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source(JobStateChange::SOURCE)
                .detail_type(JobStateChange::DETAIL_TYPE)
                .detail(detail)
                .build(),
        )
        // Something else on the bus, which the rule does not pass on.
        .entries(
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .event_bus_name(bus)
                .source("aws.ecs")
                .detail_type("ECS Task State Change")
                .detail("{}")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(put.failed_entry_count(), 0);
}

fn engine(sdk: &aws_config::SdkConfig, fallback: Duration) -> Engine {
    let workflow = Workflow::builder("Job Poller")
        .submit("Submit Job")
        .wait("Wait", WaitPolicy::fixed(fallback))
        .check("Get Job Status")
        .branch("Job Complete?", Choice::new())
        .build()
        .unwrap();
    let batch = AwsBatch::new(sdk).with_submit_window(moto::SUBMIT_WINDOW);
    Engine::builder(workflow, BatchPoller::new(batch), TokioClock::new())
        .push()
        .build()
}

/// What a run did: its outcome, whether each check was pushed, and how long it went on after
/// its job's event was put.
struct Ran {
    outcome: Option<Outcome>,
    pushed: Vec<bool>,
    after_event: Duration,
}

/// Runs `runs` jobs at once (named `<prefix>-<i>`); each job's event is put on `bus` once its
/// run waits on it.
async fn run_jobs(
    moto: &Moto,
    sdk: &aws_config::SdkConfig,
    engine: &Engine,
    bus: &str,
    prefix: &str,
) -> Vec<Ran> {
    let batch = AwsBatch::new(sdk);
    let started = (0..RUNS).map(|i| {
        let input = json!({"jobName": format!("{prefix}-{i}"), "jobQueue": moto.job_queue, "jobDefinition": moto.job_definition});
        let mut run = engine.start(input);
        let batch = batch.clone();
        async move {
            let (mut job, mut announced, mut pushed) = (None, None, Vec::new());
            while let Some(event) = run.next().await {
                match event.kind {
                    EventKind::TaskSubmitted { handle, .. } => job = handle.as_str().map(str::to_owned),
                    EventKind::WaitStarted { .. } if announced.is_none() => {
                        announce(sdk, &batch, bus, job.as_deref().unwrap()).await;
                        announced = Some(Instant::now());
                    }
                    EventKind::StatusChecked { pushed: p, .. } => pushed.push(p),
                    _ => {}
                }
            }
            Ran {
                outcome: run.finished().cloned(),
                pushed,
                after_event: announced.unwrap().elapsed(),
            }
        }
    });
    futures::future::join_all(started).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_through_sqs_end_waits_within_one_receive_and_polling_is_the_fallback() {
    let moto = moto();
    use_docker(&moto, false).await;
    let sdk = load_config(Some(&moto.endpoint)).await;
    let wiring = wiring(&sdk, "pushed").await;
    let consumer = SqsJobEvents::new(&sdk, &wiring.queue_url);

    // With the consumer: a fallback of a minute, and no run waits for it.
    let engine = engine(&sdk, Duration::from_secs(60));
    let delivering = tokio::spawn({
        let (consumer, engine) = (consumer.clone(), engine.clone());
        async move { consumer.deliver_to(&engine).await }
    });
    let mut lags = Vec::new();
    for ran in run_jobs(&moto, &sdk, &engine, &wiring.bus, "pushed").await {
        lags.push(ran.after_event.as_millis());
        assert!(
            matches!(ran.outcome, Some(Outcome::Succeeded { .. })),
            "{:?}",
            ran.outcome
        );
        assert_eq!(ran.pushed, [true], "one check, the pushed status");
        // One receive is in flight when the event lands; it returns with it.
        assert!(
            ran.after_event < Duration::from_secs(5),
            "{:?} after the event",
            ran.after_event
        );
    }

    println!("runs ended {lags:?} ms after their job's event was put");

    // The consumer stopped: the events pile up in the queue, and runs finish by polling.
    delivering.abort();
    let engine = self::engine(&sdk, Duration::from_secs(2));
    let began = Instant::now();
    for ran in run_jobs(&moto, &sdk, &engine, &wiring.bus, "polled").await {
        assert!(
            matches!(ran.outcome, Some(Outcome::Succeeded { .. })),
            "{:?}",
            ran.outcome
        );
        assert_eq!(ran.pushed, [false], "polled, after the fallback wait");
    }
    assert!(began.elapsed() >= Duration::from_secs(2));

    // What piled up: the state changes, and nothing the rule did not pass on. (The stopped
    // consumer's receive may have taken some; they come back after the visibility timeout.)
    let consumer = consumer.with_wait_time(Duration::from_secs(1));
    let (mut changes, mut ignored) = (Vec::new(), 0);
    let reading = Instant::now();
    while changes.len() < RUNS && reading.elapsed() < Duration::from_secs(10) {
        let received = consumer.receive().await.unwrap();
        changes.extend(received.changes);
        ignored += received.ignored;
    }
    assert_eq!(ignored, 0);
    let mut names: Vec<_> = changes.iter().map(|c| c.detail.job_name.clone()).collect();
    names.sort();
    let expected: Vec<_> = (0..RUNS).map(|i| format!("polled-{i}")).collect();
    assert_eq!(names, expected);
    assert!(changes.iter().all(|c| c.job_status().1.is_terminal()));
}

#[tokio::test]
async fn a_queue_that_does_not_exist_stops_delivery_with_a_clear_error() {
    let moto = moto();
    let sdk = load_config(Some(&moto.endpoint)).await;
    let engine = engine(&sdk, Duration::from_secs(1));
    let url = format!("{}/000000000000/no-such-queue", moto.endpoint);
    let error = tokio::time::timeout(
        Duration::from_secs(30),
        SqsJobEvents::new(&sdk, &url).deliver_to(&engine),
    )
    .await
    .expect("a missing queue is not retried");
    assert!(!error.is_transient());
    assert!(error.to_string().contains("NonExistentQueue"), "{error}");
}
