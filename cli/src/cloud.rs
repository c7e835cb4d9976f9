//! `pollflow deploy` and `pollflow start`: state machines on AWS Step Functions.

use std::process::ExitCode;

use futures::StreamExt;
use pollflow::Outcome;
use pollflow_batch::aws::{load_config, StepFunctions};

use crate::args::{DeployArgs, EndpointArgs, StartArgs};
use crate::interrupts::Interrupts;
use crate::report;
use crate::stdout;

/// Creates or updates the state machine from `definition` (already validated); prints its ARN
/// as the last line.
pub(crate) fn deploy(args: &DeployArgs, definition: &str) -> ExitCode {
    on_runtime(async {
        let sfn = client(&args.aws).await;
        match sfn.deploy(&args.name, definition, &args.role_arn).await {
            Ok(deployed) => {
                let did = if deployed.created {
                    "created"
                } else {
                    "updated"
                };
                eprintln!("pollflow: {did} state machine {:?}", args.name);
                match stdout::print(&format!("{}\n", deployed.arn)) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(_) => stdout::closed(),
                }
            }
            Err(e) => {
                eprintln!("pollflow: {e}");
                ExitCode::from(2)
            }
        }
    })
}

/// Starts an execution and prints its events until it ends, then its output. A SIGINT or
/// SIGTERM stops the execution (a second one leaves at once); so does a reader that leaves,
/// and so does losing its events (exit status 2).
pub(crate) fn start(args: &StartArgs) -> ExitCode {
    let input = match args.input.value() {
        Ok(input) => input,
        Err(message) => {
            eprintln!("pollflow: {message}");
            return ExitCode::from(2);
        }
    };
    on_runtime(async {
        let mut interrupts = Interrupts::receive();
        let sfn = client(&args.aws).await;
        let started = tokio::select! {
            biased;
            received = interrupts.next() => return signalled(received),
            started = sfn.start(&args.state_machine, &input) => started,
        };
        let mut events = match started {
            Ok(events) => events,
            Err(e) => {
                eprintln!("pollflow: {e}");
                return ExitCode::from(2);
            }
        };
        let arn = events.execution_arn().to_owned();
        eprintln!("pollflow: started {arn}");
        let (mut signal, mut stdout_closed, mut started) = (None, false, None);
        loop {
            let event = tokio::select! {
                biased;
                received = interrupts.next() => {
                    if signal.replace(received).is_some() {
                        return signalled(received);
                    }
                    // Stop it, unless a second signal says not to wait for that.
                    tokio::select! {
                        biased;
                        again = interrupts.next() => return signalled(again),
                        () = stop(&sfn, &arn, "pollflow start: interrupted") => {}
                    }
                    continue;
                }
                event = events.next() => event,
            };
            let Some(event) = event else { break };
            let since = *started.get_or_insert(event.timestamp_ms);
            let line = report::line(&event, event.timestamp_ms.saturating_sub(since), args.json);
            if !stdout_closed && stdout::print(&format!("{line}\n")).is_err() {
                stdout_closed = true;
                stop(&sfn, &arn, "pollflow start: nobody reads the events").await;
            }
        }
        let succeeded = matches!(events.finished(), Some(Outcome::Succeeded { .. }));
        let status = match (events.finished().cloned(), stdout_closed) {
            (_, true) => return stdout::closed(),
            (Some(outcome), false) => match report::outcome(outcome) {
                Ok(code) => code,
                Err(_) => return stdout::closed(),
            },
            (None, false) => {
                let why = events.error().map_or_else(String::new, ToString::to_string);
                eprintln!("pollflow: the events of {arn} could not be read ({why}); stopping it");
                stop(&sfn, &arn, "pollflow start: its events could not be read").await;
                ExitCode::from(2)
            }
        };
        // A signal that came too late to stop it does not turn a success into a failure.
        signal.filter(|_| !succeeded).map_or(status, signalled)
    })
}

/// The exit status after a signal: the shell's convention, 128 + its number.
fn signalled(signal: i32) -> ExitCode {
    ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
}

async fn client(endpoint: &EndpointArgs) -> StepFunctions {
    StepFunctions::new(&load_config(endpoint.endpoint_url.as_deref()).await)
}

/// Stops the execution, saying so on stderr if that fails (its events then go on).
async fn stop(sfn: &StepFunctions, arn: &str, cause: &str) {
    if let Err(e) = sfn.stop(arn, cause).await {
        eprintln!("pollflow: {e}");
    }
}

fn on_runtime(work: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(work),
        Err(e) => {
            eprintln!("pollflow: cannot start the runtime: {e}");
            ExitCode::from(2)
        }
    }
}
