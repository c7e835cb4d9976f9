//! Random numbers: engines built the default way draw their seed from the operating system,
//! so their jitter (and `States.UUID()`, `States.MathRandom()`) differ between processes and
//! engines; `EngineBuilder::seed` makes them reproducible; a checkpoint carries its run's
//! generator, so a resumed run continues the same sequence.

mod support;

use futures::StreamExt;
use pollflow::policy::{Backoff, Jitter};
use pollflow::{Checkpoint, Engine, EventKind, VirtualClock, WaitPolicy, Workflow};
use serde_json::json;
use support::*;

/// Exponential 2 s–120 s: the AWS SDK waiter's bounded jitter, or full jitter.
fn policies() -> [WaitPolicy; 2] {
    [
        WaitPolicy::exponential(secs(2), secs(120)),
        WaitPolicy::with_backoff(Backoff::Exponential {
            initial: secs(2),
            max: secs(120),
            rate: 2.0,
            jitter: Jitter::Full,
        }),
    ]
}

/// The delays of one run of `engine` whose job succeeds on its ninth check.
fn schedule(workflow: Workflow, seed: Option<u64>) -> Vec<u64> {
    let clock = VirtualClock::new();
    let builder = Engine::builder(workflow, ScriptedJob::succeeding_after(8), clock.clone());
    let engine = match seed {
        Some(seed) => builder.seed(seed),
        None => builder,
    }
    .build();
    let delays: Vec<u64> = waits(&run_to_end(&engine, &clock, json!({})))
        .iter()
        .map(|w| w.0)
        .collect();
    assert_eq!(delays.len(), 9);
    delays
}

#[test]
fn engines_built_with_defaults_wait_different_jittered_delays() {
    for policy in policies() {
        let first = schedule(job_poller(policy.clone()), None);
        let second = schedule(job_poller(policy.clone()), None);
        assert_ne!(
            first, second,
            "{policy:?}: two default engines, one schedule"
        );
    }
}

#[test]
fn engines_with_the_same_seed_wait_the_same_delays() {
    for policy in policies() {
        let first = schedule(job_poller(policy.clone()), Some(2024));
        assert_eq!(first, schedule(job_poller(policy.clone()), Some(2024)));
        assert_ne!(first, schedule(job_poller(policy), Some(2025)));
    }
}

#[test]
fn a_resumed_run_continues_its_random_sequence() {
    let [policy, _] = policies();
    let whole = schedule(job_poller(policy.clone()), Some(7));

    // The same run, checkpointed while it sleeps its third wait, through JSON.
    let clock = VirtualClock::new();
    let engine = Engine::builder(
        job_poller(policy.clone()),
        ScriptedJob::succeeding_after(8),
        clock.clone(),
    )
    .seed(7)
    .build();
    let mut run = engine.start(json!({}));
    let mut before = Vec::new();
    while before.len() < 3 {
        let event = clock.block_on(run.next()).expect("the run goes on");
        if let EventKind::WaitStarted { delay_ms, .. } = event.kind {
            before.push(delay_ms);
        }
    }
    let saved = serde_json::to_string(&run.checkpoint()).unwrap();
    drop(run);

    // Resumed by an engine with another seed: the run's own generator decides.
    let checkpoint: Checkpoint = serde_json::from_str(&saved).unwrap();
    let engine = Engine::builder(
        job_poller(policy),
        ScriptedJob::succeeding_after(6),
        clock.clone(),
    )
    .seed(99)
    .build();
    let resumed = clock.block_on(engine.resume(checkpoint).unwrap().collect::<Vec<_>>());
    let after: Vec<u64> = waits(&resumed).iter().map(|w| w.0).collect();
    assert_eq!(before, whole[..3]);
    assert_eq!(
        after,
        whole[3..],
        "the resumed run draws what the whole run drew"
    );
}

#[cfg(feature = "asl")]
#[test]
fn uuids_and_random_numbers_are_fresh_unless_seeded() {
    use pollflow::task::Tasks;
    use pollflow::Outcome;
    use serde_json::Value;

    let machine = || {
        Workflow::from_asl(
            r#"{"StartAt": "Draw", "States": {"Draw": {"Type": "Pass", "End": true, "Parameters": {
                "a.$": "States.UUID()", "b.$": "States.UUID()", "x.$": "States.MathRandom(0, 1000000000)"
            }}}}"#,
            "draws",
        )
        .unwrap()
    };
    let draw = |seed: Option<u64>| {
        let clock = VirtualClock::new();
        let builder = Engine::with_tasks(machine(), Tasks::new(), clock.clone());
        let engine = match seed {
            Some(seed) => builder.seed(seed),
            None => builder,
        }
        .build();
        match clock.block_on(engine.start(json!({})).outcome()) {
            Outcome::Succeeded { output } => output,
            other => panic!("{other:?}"),
        }
    };
    let is_v4 = |id: &Value| {
        let id = id.as_str().unwrap();
        let hex: Vec<&str> = id.split('-').collect();
        hex.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
            && hex[2].starts_with('4')
            && hex[3].starts_with(['8', '9', 'a', 'b'])
    };
    let (first, second) = (draw(None), draw(None));
    for output in [&first, &second] {
        assert!(is_v4(&output["a"]) && is_v4(&output["b"]), "{output}");
        assert_ne!(output["a"], output["b"], "each call is a fresh UUID");
        assert!((0..=1_000_000_000).contains(&output["x"].as_i64().unwrap()));
    }
    assert_ne!(
        first["a"], second["a"],
        "default engines draw different UUIDs"
    );
    assert_ne!(first["x"], second["x"]);
    assert_eq!(
        draw(Some(5)),
        draw(Some(5)),
        "a seed makes them reproducible"
    );
    assert_ne!(draw(Some(5)), draw(Some(6)));
}
