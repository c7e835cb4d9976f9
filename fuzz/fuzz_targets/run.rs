//! Whole definitions on simulated time under the engine's default limits (Step Functions'
//! quotas). The input is a JSON array: the definition, then the execution's input. Every
//! `Resource` is bound: a `.sync` one to a job that is pending once and then succeeds with
//! its input, any other to a task that returns its input, or fails with the error its input's
//! `"fail"` field names (so Retry and Catch run too); a `.waitForTaskToken` task's token is
//! sent back as soon as it is issued. Every run must end with a terminal event: no panic, no
//! stall, no hang past libFuzzer's timeout, no memory past its limit.
#![no_main]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::StreamExt;
use libfuzzer_sys::fuzz_target;
use pollflow::asl::from_asl;
use pollflow::{
    poller_fn, task_fn, Engine, EventKind, JobStatus, TaskError, VirtualClock, Workflow,
};
use pollflow::task::Tasks;
use serde_json::{json, Value};

/// Every `Resource` string in the definition.
fn resources(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("Resource", Value::String(resource)) => found.push(resource.clone()),
                    _ => resources(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| resources(item, found)),
        _ => {}
    }
}

fn bind(definition: &Value) -> Tasks {
    let mut found = Vec::new();
    resources(definition, &mut found);
    found.into_iter().fold(Tasks::new(), |tasks, resource| {
        if resource.ends_with(".sync") {
            let checked = Arc::new(AtomicBool::new(false));
            tasks.job(
                resource,
                poller_fn(
                    |input: Value| async move { Ok(input) },
                    move |handle: Value| {
                        let done = checked.swap(true, Ordering::Relaxed);
                        async move {
                            Ok(if done {
                                JobStatus::succeeded(handle)
                            } else {
                                JobStatus::pending("RUNNING")
                            })
                        }
                    },
                ),
            )
        } else {
            tasks.handler(
                resource,
                task_fn(|input: Value| async move {
                    match input.get("fail").and_then(Value::as_str) {
                        Some(error) => Err(TaskError::new(error, "fuzz")),
                        None => Ok(input),
                    }
                }),
            )
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Array(parts)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let (Some(definition), input) = (parts.first(), parts.get(1).cloned().unwrap_or(Value::Null))
    else {
        return;
    };
    let Ok(graph) = from_asl(definition, "fuzz") else {
        return;
    };
    let Ok(workflow) = Workflow::from_graph(graph, []) else {
        return;
    };
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(workflow, bind(definition), clock.clone())
        .seed(1)
        .build();
    let mut run = engine.start(input);
    let last = clock.block_on(async {
        let mut last = None;
        while let Some(event) = run.next().await {
            if let EventKind::TaskTokenIssued { state, token } = &event.kind {
                // A task that has failed already refuses it: that is fine.
                let _ = engine.send_task_success(token, json!({ "token of": state.as_str() }));
            }
            last = Some(event);
        }
        last
    });
    assert!(
        last.is_some_and(|e| e.kind.is_terminal()),
        "every run ends with a terminal event"
    );
});
