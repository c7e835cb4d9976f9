//! `pollflow run`: one execution, its events printed as they happen.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use pollflow::graph::{DelayUntil, State};
use pollflow::task::Tasks;
use pollflow::{Engine, EventKind, Outcome, TokioClock, VirtualClock, Workflow};
use pollflow_batch::aws::{load_config, AwsBatch};
use pollflow_batch::integrations::service_tasks;
use pollflow_batch::samples::{job_poller_functions, sample_config};
use pollflow_batch::{LocalBatch, LocalNotifier};

use crate::args::{RunArgs, WaitOverride};
use crate::bind::{bind_commands, waits_for_tokens};
use crate::interrupts::Interrupts;
use crate::real_work::RealWork;
use crate::report;
use crate::simulated_time;
use crate::stdout;
use crate::task_endpoint::TaskEndpoint;

pub(crate) fn run(workflow: Workflow, options: RunArgs) -> ExitCode {
    let prepared = with_waits(workflow, &options).and_then(|w| {
        if options.endpoint.endpoint_url.is_some() && !options.aws {
            return Err("--endpoint-url goes with --aws".to_owned());
        }
        Ok((w, options.input.value()?))
    });
    let (workflow, input) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("pollflow: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("pollflow: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let _inside = runtime.enter();
    let work = RealWork::new(LocalBatch::from_config(sample_config()));
    let notifier = if options.json {
        LocalNotifier::new().quiet()
    } else {
        LocalNotifier::new()
    };
    let tasks = if options.aws {
        // Batch and SNS on AWS (or the given endpoint): the sample's functions and the
        // service integrations alike.
        let config = runtime.block_on(load_config(options.endpoint.endpoint_url.as_deref()));
        job_poller_functions(AwsBatch::new(&config))
            .merge(pollflow_batch::aws::service_tasks(&config))
    } else {
        job_poller_functions(work.batch()).merge(service_tasks(work.batch(), notifier))
    };
    // Task tokens are answered through the Step Functions API on 127.0.0.1.
    let endpoint = match waits_for_tokens(workflow.graph()).then(TaskEndpoint::bind) {
        None => None,
        Some(Ok(endpoint)) => Some(endpoint),
        Some(Err(e)) => {
            eprintln!("pollflow: cannot open the task-token endpoint on 127.0.0.1: {e}");
            return ExitCode::from(2);
        }
    };
    let tasks = match bind_commands(
        tasks,
        workflow.graph(),
        &options.tasks,
        options.max_task_output_bytes(),
        &work,
        endpoint.as_ref().map(TaskEndpoint::url),
    ) {
        Ok(tasks) => tasks,
        Err(message) => {
            eprintln!("pollflow: {message}");
            return ExitCode::from(2);
        }
    };
    if !check_bound(&tasks, &workflow) {
        return ExitCode::from(2);
    }
    let graph = workflow.graph().clone();
    let ended = if options.simulated_time {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let clock = VirtualClock::starting_at(now);
        let engine = Engine::with_tasks(workflow, tasks, clock.clone())
            .limits(options.limits())
            .build();
        if let Err(code) = answer_tokens(endpoint, &engine) {
            return code;
        }
        simulated_time::block_on(&clock, &work, drive(&engine, input, &options))
    } else {
        let engine = Engine::with_tasks(workflow, tasks, TokioClock::new())
            .limits(options.limits())
            .build();
        if let Err(code) = answer_tokens(endpoint, &engine) {
            return code;
        }
        runtime.block_on(drive(&engine, input, &options))
    };
    if let Some(file) = &options.draw_path {
        let visited: Vec<&str> = ended.visited.iter().map(String::as_str).collect();
        let drawing = if file.extension().is_some_and(|ext| ext == "dot") {
            graph.to_dot(&visited)
        } else {
            graph.to_mermaid(&visited)
        };
        if let Err(e) = std::fs::write(file, drawing) {
            eprintln!("pollflow: cannot write {}: {e}", file.display());
        }
    }
    if ended.stdout_closed {
        return stdout::closed();
    }
    let succeeded = matches!(ended.outcome, Outcome::Succeeded { .. });
    let status = match report::outcome(ended.outcome) {
        Ok(code) => code,
        Err(_) => return stdout::closed(),
    };
    // Stopped by a signal (and not done first): the shell's convention, 128 + its number.
    match ended.signal {
        Some(signal) if !succeeded => ExitCode::from(u8::try_from(128 + signal).unwrap_or(1)),
        _ => status,
    }
}

/// How a run ended.
struct Ended {
    outcome: Outcome,
    /// The states it entered, in order, each once.
    visited: Vec<String>,
    /// The signal (SIGINT, SIGTERM) that aborted it.
    signal: Option<i32>,
    /// Standard output closed during the run, which aborted it.
    stdout_closed: bool,
}

/// Serves `endpoint` (if the machine waits for tokens) with `engine`, saying where on stderr.
fn answer_tokens(endpoint: Option<TaskEndpoint>, engine: &Engine) -> Result<(), ExitCode> {
    let Some(endpoint) = endpoint else {
        return Ok(());
    };
    let url = endpoint.url().to_owned();
    if let Err(e) = endpoint.serve(engine.clone()) {
        eprintln!("pollflow: cannot serve the task-token endpoint: {e}");
        return Err(ExitCode::from(2));
    }
    eprintln!(
        "pollflow: task tokens are answered at {url} (SendTaskSuccess, SendTaskFailure, \
         SendTaskHeartbeat; --task commands get it as ${})",
        crate::task_endpoint::ENDPOINT_VAR
    );
    Ok(())
}

/// Runs the execution, printing each event. A SIGINT or SIGTERM aborts it (the engine
/// cancels its job, a shell command's process group is killed); a second one stops at once.
async fn drive(engine: &Engine, input: serde_json::Value, options: &RunArgs) -> Ended {
    let mut interrupts = Interrupts::receive();
    let mut run = engine.start(input);
    let abort = run.abort_handle();
    let mut started = None;
    let mut ended = Ended {
        outcome: Outcome::Aborted {
            job_cancelled: false,
        },
        visited: Vec::new(),
        signal: None,
        stdout_closed: false,
    };
    loop {
        let event = tokio::select! {
            biased;
            signal = interrupts.next() => {
                if ended.signal.replace(signal).is_some() {
                    // Dropping the run drops its calls: commands in flight are killed.
                    return ended;
                }
                abort.abort();
                continue;
            }
            event = run.next() => event,
        };
        let Some(event) = event else {
            return ended;
        };
        if let (EventKind::StateEntered { state, .. }, true) = (&event.kind, event.route.is_empty())
        {
            if !ended.visited.iter().any(|v| v == &**state) {
                ended.visited.push(state.to_string());
            }
        }
        let since = *started.get_or_insert(event.timestamp_ms);
        if !ended.stdout_closed {
            let line = report::line(
                &event,
                event.timestamp_ms.saturating_sub(since),
                options.json,
            );
            if stdout::print(&format!("{line}\n")).is_err() {
                // Nobody reads on: stop the run as a signal would (jobs cancelled, commands
                // killed), quietly.
                ended.stdout_closed = true;
                abort.abort();
            }
        }
        if let Some(outcome) = Outcome::from_terminal(&event.kind) {
            ended.outcome = outcome;
            return ended;
        }
    }
}

/// The workflow with `--wait STATE=MS` overrides applied to its Wait states.
fn with_waits(workflow: Workflow, options: &RunArgs) -> Result<Workflow, String> {
    if options.waits.is_empty() {
        return Ok(workflow);
    }
    let mut graph = workflow.graph().clone();
    for WaitOverride { state, duration } in &options.waits {
        let def = graph
            .state_mut(state)
            .ok_or_else(|| format!("--wait {state}=...: there is no state named {state:?}"))?;
        let State::Delay { until, .. } = &mut def.state else {
            return Err(format!("--wait {state}=...: {state:?} is not a Wait state"));
        };
        *until = DelayUntil::Milliseconds(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
    }
    Workflow::from_graph(graph, []).map_err(|e| e.to_string())
}

/// Prints the Task states nothing serves; false if there are any.
fn check_bound(tasks: &Tasks, workflow: &Workflow) -> bool {
    let problems = tasks.unbound(workflow);
    for problem in &problems {
        eprintln!("pollflow: {problem} (bind it with --task STATE=COMMAND)");
    }
    problems.is_empty()
}
