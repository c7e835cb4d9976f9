//! An inline Map state of N items (one Task each) on the virtual clock: wall time per run.
//!
//! ```text
//! cargo bench -p pollflow --bench inline_map            # 20,000 items
//! cargo bench -p pollflow --bench inline_map -- 5000    # fewer
//! ```

use std::time::{Duration, Instant};

use futures::StreamExt;
use pollflow::task::Tasks;
use pollflow::{task_fn, Clock, Engine, Limits, Outcome, VirtualClock, Workflow};
use serde_json::{json, Value};

const PASSES: usize = 3;

fn run(items: usize) -> (f64, usize) {
    let workflow = Workflow::from_asl(
        r#"{"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "Work", "States": {
                "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work", "End": true}}}}}}"#,
        "inline-map",
    )
    .expect("valid definition");
    let clock = VirtualClock::new();
    // Each item's job takes a (virtual) second, so every item is running at once.
    let sleeper = clock.clone();
    let tasks = Tasks::new().handler(
        "Work",
        task_fn(move |n: Value| {
            let sleep = sleeper.sleep(Duration::from_secs(1));
            async move {
                sleep.await;
                Ok(n)
            }
        }),
    );
    // Every item at once, and room for all their events (Step Functions' quotas would stop
    // at 40 items at a time and 25,000 events).
    let limits = Limits {
        max_events: u64::MAX,
        max_map_concurrency: 0,
        ..Limits::default()
    };
    let engine = Engine::with_tasks(workflow, tasks, clock.clone())
        .limits(limits)
        .build();
    let input = Value::Array((0..items).map(|i| json!(i)).collect());
    let started = Instant::now();
    let events: Vec<_> = clock.block_on(engine.start(input).collect());
    let seconds = started.elapsed().as_secs_f64();
    let last = events.last().map(|e| e.kind.clone());
    let outcome = last.as_ref().and_then(Outcome::from_terminal);
    assert!(
        matches!(&outcome, Some(Outcome::Succeeded { output }) if output.as_array().map(Vec::len) == Some(items)),
        "{outcome:?}"
    );
    (seconds, events.len())
}

fn main() {
    let items: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(20_000);
    let mut times = Vec::new();
    let mut events = 0;
    for _ in 0..PASSES {
        let (seconds, n) = run(items);
        times.push(seconds);
        events = n;
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "inline Map, {items} items, one 1-second Task each, virtual clock: median {:.3} s ({}), {events} events",
        sorted[PASSES / 2],
        times.iter().map(|s| format!("{s:.3} s")).collect::<Vec<_>>().join(", ")
    );
}
