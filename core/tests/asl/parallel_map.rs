//! Parallel and Map states: concurrency, cancellation, routes, checkpoints, nesting limits.

use super::*;

#[test]
fn map_max_concurrency_bounds_the_handler_calls_in_flight() {
    use pollflow::Clock;
    for (limit, most, seconds) in [(2, 2, 3), (1, 1, 6), (0, 6, 1)] {
        let clock = VirtualClock::new();
        let (now, peak) = (Arc::new(SyncCell::new(0)), Arc::new(SyncCell::new(0)));
        let (in_flight, highest, timer) = (now.clone(), peak.clone(), clock.clone());
        let work = task_fn(move |input: Value| {
            in_flight.set(in_flight.get() + 1);
            highest.set(highest.get().max(in_flight.get()));
            let (in_flight, sleep) = (in_flight.clone(), timer.sleep(secs(1)));
            async move {
                sleep.await;
                in_flight.set(in_flight.get() - 1);
                Ok(input)
            }
        });
        let definition = json!({"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "MaxConcurrency": limit, "End": true,
            "ItemProcessor": branch("Work", task_state("arn:aws:lambda:us-east-1:1:function:Work"))
        }}});
        let tasks = Tasks::new().handler("Work", work);
        let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
        let (events, outcome) = run(&engine, &clock, json!([1, 2, 3, 4, 5, 6]));
        assert_eq!(
            outcome,
            Outcome::Succeeded {
                output: json!([1, 2, 3, 4, 5, 6])
            }
        );
        assert_eq!(peak.get(), most, "MaxConcurrency {limit}");
        assert_eq!(now.get(), 0);
        assert_eq!(events.last().unwrap().timestamp_ms, seconds * 1_000);
    }
}

/// Drop-counting guard: a request-response call that is dropped, not finished, was cancelled.
struct Dropped(Arc<SyncCell<u32>>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn abort_during_a_parallel_cancels_every_branch_job_exactly_once() {
    let job = ScriptedJob::never_done();
    let dropped = Arc::new(SyncCell::new(0));
    let guard = dropped.clone();
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let tasks = Tasks::new().job(sync, job.clone()).handler(
        "Forever",
        task_fn(move |_| {
            let guard = Dropped(guard.clone());
            async move {
                futures::future::pending::<()>().await;
                drop(guard);
                Ok(Value::Null)
            }
        }),
    );
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("A", task_state(sync)),
        branch("B", task_state(sync)),
        {"StartAt": "Nested", "States": {"Nested": {"Type": "Parallel", "End": true, "Branches": [
            branch("C", task_state(sync)),
            branch("Forever", task_state("arn:aws:lambda:us-east-1:1:function:Forever"))
        ]}}}
    ]}}});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let mut run = engine.start(json!({}));
    let abort = run.abort_handle();
    let events = clock.block_on(async {
        use futures::StreamExt;
        let mut seen = Vec::new();
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::StatusChecked { attempt: 2, .. }) {
                abort.abort();
            }
            seen.push(event);
        }
        seen
    });
    let mut cancelled: Vec<String> = job
        .cancels
        .lock()
        .unwrap()
        .iter()
        .map(|(handle, _)| handle["jobId"].as_str().unwrap_or_default().to_owned())
        .collect();
    cancelled.sort();
    assert_eq!(cancelled, ["job-1", "job-2", "job-3"], "each job once");
    assert_eq!(dropped.get(), 1, "the request-response call is dropped");
    assert_eq!(
        events.last().unwrap().kind,
        EventKind::ExecutionAborted {
            job_cancelled: true
        }
    );
    let aborted = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::BranchAborted { .. }))
        .count();
    assert_eq!(aborted, 5, "three outer branches and two nested ones");
    assert_eq!(job.submits.get(), 3);
}

#[test]
fn a_failing_branch_stops_its_siblings_and_fails_the_parallel_state() {
    use pollflow::Clock;
    let job = ScriptedJob::never_done();
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let clock = VirtualClock::new();
    let timer = clock.clone();
    let tasks = Tasks::new().job(sync, job.clone()).handler(
        "Breaks",
        task_fn(move |_| {
            let sleep = timer.sleep(secs(5));
            async move {
                sleep.await;
                Err(TaskError::new("Job.Broken", "disk full"))
            }
        }),
    );
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("Long", task_state(sync)),
        branch("Breaks", task_state("arn:aws:lambda:us-east-1:1:function:Breaks"))
    ]}}});
    let engine = Engine::with_tasks(machine(definition), tasks, clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!({}));
    assert_eq!(
        outcome,
        Outcome::Failed {
            error: TaskError::new("Job.Broken", "disk full")
        }
    );
    assert_eq!(
        job.cancels.lock().unwrap().len(),
        1,
        "the sibling's job is cancelled"
    );
    assert_eq!(events.last().unwrap().timestamp_ms, 5_000);
}

#[test]
fn branch_and_item_events_carry_their_route() {
    let definition = json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": true, "Branches": [
        branch("Id", json!({"Type": "Pass", "End": true})),
        branch("Each", json!({"Type": "Map", "End": true,
            "ItemProcessor": branch("Pause", json!({"Type": "Wait", "Seconds": 5, "End": true}))}))
    ]}}});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!(["a", "b"]));
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!([["a", "b"], ["a", "b"]])
        }
    );
    let routes: Vec<Vec<(String, u32)>> = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::StateEntered { state, .. } if &**state == "Pause"))
        .map(|e| {
            e.route
                .iter()
                .map(|h| (h.state.to_string(), h.index))
                .collect()
        })
        .collect();
    assert_eq!(
        routes,
        [
            [("Par".to_owned(), 1), ("Each".to_owned(), 0)],
            [("Par".to_owned(), 1), ("Each".to_owned(), 1)]
        ]
    );
    let started = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::BranchStarted { .. }))
        .count();
    assert_eq!(started, 4, "two branches and two items");
    let entered = events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::StateEntered { state, .. } if &**state == "Pause"))
        .unwrap();
    assert_eq!(
        serde_json::to_value(entered).unwrap()["route"],
        json!([{"state": "Par", "index": 1}, {"state": "Each", "index": 0}])
    );
    assert_eq!(
        waits(&events),
        vec![(5_000, 0), (5_000, 0)],
        "the items wait at once, on virtual time"
    );
    assert!(events.iter().filter(|e| e.kind.is_terminal()).count() == 1);
}

#[test]
fn invalid_parallel_and_map_definitions_report_every_problem_with_its_path() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "M", "Branches": [
            branch("A", json!({"Type": "Pass", "End": true})),
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "M"}, "A": {"Type": "Succeed"}}},
            {"States": {}}
        ]},
        "M": {"Type": "Map", "End": true, "ItemReader": {}, "ToleratedFailurePercentage": 5,
              "MaxConcurrency": -1,
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "Y",
                                "States": {"Y": {"Type": "Pass", "Next": "Nowhere"}}}},
        "Old": {"Type": "Map", "End": true}
    }});
    let err = pollflow::asl::from_asl(&definition, "broken").unwrap_err();
    let found: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "$.States['P'].Branches[1].States['X'].Next",
        "$.States['P'].Branches[1].States['A']",
        "$.States['P'].Branches[2].StartAt",
        "$.States['P'].Branches[2].States",
        "$.States['M'].ItemReader",
        "$.States['M'].ToleratedFailurePercentage",
        "$.States['M'].MaxConcurrency",
        "$.States['M'].ItemProcessor.ProcessorConfig.Mode",
        "$.States['M'].ItemProcessor.States['Y'].Next",
        "$.States['Old'].ItemProcessor",
    ] {
        assert!(
            found.contains(&expected),
            "missing {expected} in {found:#?}"
        );
    }

    // Problems found once the graph is checked (here: an unreachable state) name the branch too.
    let unreachable = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "Orphan": {"Type": "Pass", "End": true}}}
    ]}}});
    let err = Workflow::from_asl(&unreachable.to_string(), "x").unwrap_err();
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["$.States['P'].Branches[0].States['Orphan']"]);
}

#[test]
fn a_running_parallel_checkpoints_and_resumes_without_submitting_again() {
    use futures::StreamExt;
    let job = ScriptedJob::succeeding_after(3);
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let tasks = Tasks::new().job(sync, job.clone());
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("A", task_state(sync)),
        branch("B", json!({"Type": "Wait", "Seconds": 100, "End": true}))
    ]}}});
    let workflow = machine(definition);
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(workflow, tasks, clock.clone()).build();
    let mut run = engine.start(json!({"jobName": "j"}));
    let (saved, kept) = clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::StatusChecked { attempt: 1, .. }) {
                break;
            }
        }
        (
            serde_json::to_string(&run.checkpoint()).unwrap(),
            run.checkpoint(),
        )
    });
    drop(run);
    let checkpoint: pollflow::Checkpoint = serde_json::from_str(&saved).unwrap();
    assert_eq!(checkpoint.state(), "All");
    let events: Vec<_> = clock.block_on(engine.resume(checkpoint).unwrap().collect());
    assert_eq!(job.submits.get(), 1, "resume must not submit again");
    assert_eq!(
        Outcome::from_terminal(&events.last().unwrap().kind),
        Some(Outcome::Succeeded {
            output: json!([{"done": true}, {"jobName": "j"}])
        })
    );
    assert_eq!(
        events.last().unwrap().timestamp_ms,
        100_000,
        "the Wait branch keeps its deadline"
    );

    // The checkpoint kept in memory, never serialized, resumes the same way: the call its
    // branch had in flight is not part of it (resuming it once waited for that call forever).
    let events: Vec<_> = clock.block_on(engine.resume(kept).unwrap().collect());
    assert_eq!(job.submits.get(), 1, "resume must not submit again");
    assert!(
        matches!(
            Outcome::from_terminal(&events.last().unwrap().kind),
            Some(Outcome::Succeeded { .. })
        ),
        "{:?}",
        events.last()
    );
}

#[test]
fn a_checkpoint_holds_the_input_once_however_many_items_run() {
    use futures::StreamExt;
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Pause", "States": {
            "Pause": {"Type": "Wait", "Seconds": 100, "Next": "Tag"},
            "Tag": {"Type": "Pass", "End": true,
                "Parameters": {"item.$": "$", "tag.$": "$$.Execution.Input.tag"}}}}}}});
    let items: Vec<Value> = (0..1_000)
        .map(|i| json!(format!("item-{i:04}-{}", "x".repeat(90))))
        .collect();
    let input = json!({"items": items.clone(), "tag": "outer"});
    let input_len = input.to_string().len();
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let mut run = engine.start(input);
    let saved = clock.block_on(async {
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. })
                && event.route.len() == 1
                && event.route[0].index == 999
            {
                break;
            }
        }
        serde_json::to_string(&run.checkpoint()).unwrap()
    });
    drop(run);
    let per_item = 600;
    assert!(
        saved.len() < 2 * (input_len + 1_000 * per_item),
        "checkpoint of {} B for an input of {input_len} B",
        saved.len()
    );
    let checkpoint: pollflow::Checkpoint = serde_json::from_str(&saved).unwrap();
    let events: Vec<_> = clock.block_on(engine.resume(checkpoint).unwrap().collect());
    let Some(Outcome::Succeeded { output }) = Outcome::from_terminal(&events.last().unwrap().kind)
    else {
        panic!("{:?}", events.last());
    };
    assert_eq!(output.as_array().map(Vec::len), Some(1_000));
    assert_eq!(output[999]["item"], items[999]);
    assert_eq!(
        output[999]["tag"], "outer",
        "$$.Execution.Input in a resumed item"
    );
}

/// A machine whose one state `name` holds `inner`: a Parallel branch, or a Map processor
/// (built by hand: `json!` would copy `inner`).
fn wrap(inner: Value, name: String, map: bool) -> Value {
    let mut state = json!({"Type": if map { "Map" } else { "Parallel" }, "End": true});
    let (field, held) = if map {
        ("ItemProcessor", inner)
    } else {
        ("Branches", Value::Array(vec![inner]))
    };
    state[field] = held;
    let mut states = serde_json::Map::new();
    states.insert(name.clone(), state);
    let mut machine = json!({"StartAt": name});
    machine["States"] = Value::Object(states);
    machine
}

#[test]
fn parallel_and_map_nested_a_thousand_deep_are_refused_not_a_stack_overflow() {
    // serde_json drops a Value recursively: 4,000 levels of JSON need more than the 2 MB of
    // a test thread, whereas the loader stops at 32 levels.
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(refuse_a_thousand_levels)
        .unwrap()
        .join()
        .unwrap();
}

fn refuse_a_thousand_levels() {
    let mut definition = branch("Leaf", json!({"Type": "Pass", "End": true}));
    for i in 0..1_000 {
        definition = wrap(definition, format!("S{i}"), i % 2 == 1);
    }
    let err = pollflow::asl::from_asl(&definition, "deep").unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let problem = &err.problems[0];
    assert_eq!(
        problem.message,
        "Parallel and Map states nest at most 32 deep"
    );
    assert_eq!(problem.state.as_deref(), Some("S967"));
    assert!(
        problem.path.ends_with(".States['S967'].ItemProcessor"),
        "{}",
        problem.path
    );

    let mut ok = branch("Leaf", json!({"Type": "Pass", "End": true}));
    for i in 0..32 {
        ok = wrap(ok, format!("S{i}"), false);
    }
    let graph = pollflow::asl::from_asl(&ok, "deepest").unwrap_or_else(|e| panic!("{e}"));
    let workflow = Workflow::from_graph(graph, []).unwrap_or_else(|e| panic!("{e}"));
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let outcome = run(&engine, &clock, json!([1])).1;
    assert!(matches!(outcome, Outcome::Succeeded { .. }), "{outcome:?}");
}

#[test]
fn graphs_nested_a_thousand_deep_are_refused_by_from_graph() {
    use pollflow::graph::State;
    let one = |inner| wrap(inner, "P".into(), false);
    let template = pollflow::asl::from_asl(
        &one(branch("Leaf", json!({"Type": "Pass", "End": true}))),
        "deep",
    )
    .unwrap();
    let mut graph = template.clone();
    for _ in 0..1_000 {
        let mut outer = template.clone();
        if let State::Parallel { branches, .. } = &mut outer.states[0].state {
            *branches = vec![graph];
        }
        graph = outer;
    }
    let err = Workflow::from_graph(graph, []).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(
        err.problems[0].message,
        "Parallel and Map states nest at most 32 deep"
    );
}

#[test]
fn item_selector_sees_each_item_and_the_execution_input() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemsPath": "$.items",
        "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value",
            "tag.$": "$$.Execution.Input.tag", "state.$": "$$.State.Name"},
        "ItemProcessor": branch("Echo", json!({"Type": "Pass", "End": true}))}}});
    let outcome = outcome_of(
        definition,
        Tasks::new(),
        json!({"items": ["a", "b", "c"], "tag": "t"}),
    );
    let expected: Vec<Value> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"i": i, "v": v, "tag": "t", "state": "Each"}))
        .collect();
    assert_eq!(
        outcome,
        Outcome::Succeeded {
            output: json!(expected)
        }
    );
}

#[test]
fn branches_nested_two_deep_keep_the_top_graph_s_cancel_on_stop() {
    let job = ScriptedJob::never_done();
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let nested = wrap(branch("Job", task_state(sync)), "Inner".into(), false);
    let definition = wrap(nested, "Outer".into(), false);
    let mut graph = pollflow::asl::from_asl(&definition, "keep").unwrap();
    graph.cancel_on_stop = false;
    let workflow = Workflow::from_graph(graph, []).unwrap();
    let clock = VirtualClock::new();
    let engine =
        Engine::with_tasks(workflow, Tasks::new().job(sync, job.clone()), clock.clone()).build();
    let mut run = engine.start(json!({}));
    let abort = run.abort_handle();
    let last = clock.block_on(async {
        use futures::StreamExt;
        let mut last = None;
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::StatusChecked { attempt: 1, .. }) {
                abort.abort();
            }
            last = Some(event.kind);
        }
        last
    });
    assert_eq!(
        last,
        Some(EventKind::ExecutionAborted {
            job_cancelled: false
        })
    );
    assert!(
        job.cancels.lock().unwrap().is_empty(),
        "the top graph does not cancel on stop"
    );
}

#[test]
fn the_execution_timeout_reaches_into_branches_and_is_not_caught() {
    let definition = json!({"StartAt": "Par", "TimeoutSeconds": 10, "States": {
        "Par": {"Type": "Parallel", "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            "Branches": [
                branch("Short", json!({"Type": "Wait", "Seconds": 1, "End": true})),
                {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
                    "ItemProcessor": branch("Long", json!({"Type": "Wait", "Seconds": 3600, "End": true}))}}}
            ]},
        "Caught": {"Type": "Pass", "End": true}
    }});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let (events, outcome) = run(&engine, &clock, json!([1, 2]));
    assert!(
        matches!(outcome, Outcome::TimedOut { ref error } if error.error == "States.Timeout"),
        "{outcome:?}"
    );
    assert_eq!(events.last().unwrap().timestamp_ms, 10_000);
}

#[test]
fn parallel_and_map_states_survive_export_and_reload() {
    let definition = json!({"StartAt": "Par", "States": {
        "Par": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.both",
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Each"}],
            "Branches": [branch("A", json!({"Type": "Pass", "End": true}))]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3, "End": true,
            "ItemSelector": {"i.$": "$$.Map.Item.Index"},
            "ItemProcessor": branch("B", json!({"Type": "Pass", "End": true}))}
    }});
    let loaded = pollflow::asl::from_asl(&definition, "round").unwrap();
    let exported =
        pollflow::asl::to_asl(&loaded, &pollflow::asl::ExportOptions::default()).unwrap();
    assert_eq!(
        exported["States"]["Each"]["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "INLINE"
    );
    assert_eq!(pollflow::asl::from_asl(&exported, "round").unwrap(), loaded);
}

#[test]
fn malformed_parallel_and_map_definitions_are_errors_not_panics() {
    for states in [
        json!({"P": {"Type": "Parallel", "End": true, "Branches": "x"}}),
        json!({"P": {"Type": "Parallel", "End": true, "Branches": [1, {"StartAt": 2}]}}),
        json!({"P": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}]}}),
        json!({"P": {"Type": "Map", "End": true, "ItemProcessor": 5}}),
        json!({"P": {"Type": "Map", "End": true, "Iterator": {"StartAt": "A", "States": []}}}),
        json!({"P": {"Type": "Map", "End": true, "ItemsPath": 3, "MaxConcurrency": "2",
                     "ItemProcessor": {"ProcessorConfig": "INLINE", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}}}),
        json!({"P": {"Type": "Map", "End": true, "ItemSelector": {"a.$": "$$$"},
                     "ItemProcessor": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}}}),
    ] {
        let definition = json!({"StartAt": "P", "States": states});
        assert!(
            Workflow::from_asl(&definition.to_string(), "x").is_err(),
            "{definition}"
        );
    }
}

#[test]
fn a_checkpoint_whose_branches_do_not_fit_is_refused() {
    use futures::StreamExt;
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("A", json!({"Type": "Wait", "Seconds": 10, "End": true})),
        branch("B", json!({"Type": "Wait", "Seconds": 10, "End": true}))
    ]}}});
    let clock = VirtualClock::new();
    let engine = Engine::with_tasks(machine(definition), Tasks::new(), clock.clone()).build();
    let mut run = engine.start(json!({}));
    let saved = clock.block_on(async {
        let mut waits = 0;
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::WaitStarted { .. }) {
                waits += 1;
                if waits == 2 {
                    break;
                }
            }
        }
        serde_json::to_value(run.checkpoint()).unwrap()
    });
    let text = saved.to_string();
    assert!(text.contains("\"children\""), "{text}");
    let tamper = |edit: &dyn Fn(&mut Value)| {
        let mut checkpoint = saved.clone();
        edit(&mut checkpoint["execution"]["phase"]["branches"]);
        serde_json::from_value::<pollflow::Checkpoint>(checkpoint)
            .map_err(|e| e.to_string())
            .and_then(|c| engine.resume(c).map(|_| ()).map_err(|e| e.to_string()))
    };
    assert!(tamper(&|b| {
        b["children"].as_array_mut().unwrap().pop();
    })
    .is_err());
    assert!(tamper(&|b| b["children"][1]["state"] = json!(7)).is_err());
    assert!(tamper(&|b| b["started"] = json!(9)).is_err());
    assert!(tamper(&|_| {}).is_ok());
}

#[test]
fn dropping_a_run_cancels_every_branch_job_through_the_spawner() {
    use futures::StreamExt;
    let job = ScriptedJob::never_done();
    let sync = "arn:aws:states:::batch:submitJob.sync";
    let definition = json!({"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": true, "Branches": [
        branch("A", task_state(sync)),
        branch("B", task_state(sync))
    ]}}});
    let clock = VirtualClock::new();
    let spawned = Arc::new(Mutex::new(Vec::new()));
    let queue = spawned.clone();
    let engine = Engine::with_tasks(
        machine(definition),
        Tasks::new().job(sync, job.clone()),
        clock.clone(),
    )
    .spawner(move |future| queue.lock().unwrap().push(future))
    .build();
    let mut run = engine.start(json!({}));
    clock.block_on(async {
        let mut submitted = 0;
        while let Some(event) = run.next().await {
            if matches!(event.kind, EventKind::TaskSubmitted { .. }) {
                submitted += 1;
                if submitted == 2 {
                    break;
                }
            }
        }
    });
    drop(run);
    let futures: Vec<_> = spawned.lock().unwrap().drain(..).collect();
    clock.block_on(futures::future::join_all(futures));
    assert_eq!(job.cancels.lock().unwrap().len(), 2, "both branches' jobs");
}
