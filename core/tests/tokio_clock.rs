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
