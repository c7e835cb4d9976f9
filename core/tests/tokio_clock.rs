//! The tokio clock drives runs on a tokio runtime (here with paused time).

mod support;

use pollflow::{Engine, Outcome, TokioClock, WaitPolicy};
use serde_json::json;
use support::*;

#[tokio::test(start_paused = true)]
async fn runs_on_tokio_time() {
    let clock = TokioClock::new();
    let started = pollflow::Clock::now(&clock);
    let engine = Engine::new(
        job_poller(WaitPolicy::fixed(secs(60))),
        ScriptedJob::succeeding_after(2),
        clock.clone(),
    );
    let outcome = engine.start(json!({})).outcome().await;
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!({"done": true})
        }
    );
    let elapsed = pollflow::Clock::now(&clock) - started;
    assert_eq!(
        elapsed.as_secs(),
        180,
        "three one-minute waits on tokio's paused clock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleeps_on_worker_threads_each_last_at_least_their_duration() {
    let clock = TokioClock::new();
    let sleepers: Vec<_> = (0..64u64)
        .map(|i| {
            let clock = clock.clone();
            tokio::spawn(async move {
                let duration = std::time::Duration::from_millis(1 + i % 16);
                let start = std::time::Instant::now();
                pollflow::Clock::sleep(&clock, duration).await;
                (duration, start.elapsed())
            })
        })
        .collect();
    for sleeper in sleepers {
        let (duration, slept) = sleeper.await.expect("the sleeper finishes");
        assert!(slept >= duration, "slept {slept:?} of {duration:?}");
    }
}

#[test]
fn one_clock_serves_runtimes_with_their_own_paused_time() {
    let clock = TokioClock::new();
    let threads: Vec<_> = [10u64, 30]
        .into_iter()
        .map(|minutes| {
            let clock = clock.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .start_paused(true)
                    .build()
                    .expect("a runtime");
                runtime.block_on(async {
                    let start = tokio::time::Instant::now();
                    for _ in 0..3 {
                        pollflow::Clock::sleep(&clock, secs(60 * minutes)).await;
                    }
                    start.elapsed()
                })
            })
        })
        .collect();
    let elapsed: Vec<_> = threads
        .into_iter()
        .map(|thread| thread.join().expect("the runtime's thread").as_secs())
        .collect();
    assert_eq!(elapsed, [1800, 5400]);
}
