//! `pollflow`: run, validate and draw Amazon States Language state machines locally, and
//! deploy and start them on AWS Step Functions.
//!
//! ```text
//! pollflow run FILE [--input JSON|- | --input-file PATH] [--task STATE=COMMAND]...
//!                   [--max-task-output-bytes BYTES] [--wait STATE=MILLISECONDS]...
//!                   [--simulated-time] [--json] [--draw-path FILE.mmd|FILE.dot]
//!                   [--max-payload-bytes BYTES] [--max-variables-bytes BYTES] [--max-events N]
//!                   [--max-map-concurrency N] [--max-path-visits N]
//!                   [--aws [--endpoint-url URL]]
//! pollflow validate FILE
//! pollflow graph FILE [--format mermaid|dot]
//! pollflow deploy FILE --name NAME --role-arn ARN [--endpoint-url URL]
//! pollflow start NAME_OR_ARN [--input JSON|- | --input-file PATH] [--json] [--endpoint-url URL]
//! pollflow serve [--port N] [--mock-config FILE] [--task STATE=COMMAND]... [--aws [--endpoint-url URL]]
//! ```
//!
//! Exit status: 0 when the execution succeeds (or the file is valid, or deployed), 1 when it
//! fails, times out or is aborted, 2 for an invalid definition or usage (or a request AWS
//! refused), 128 + the signal's number when SIGINT or SIGTERM aborted it.

mod args;
mod bind;
mod cloud;
mod interrupts;
mod real_work;
mod report;
mod run;
mod serve;
mod sfn_protocol;
mod shell;
mod simulated_time;
mod stdout;
mod task_endpoint;

use std::path::Path;
use std::process::ExitCode;

use args::{Cli, Command, Format};
use clap::Parser;
use pollflow::Workflow;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate(args) => match load(&args.file) {
            Ok(_) => match stdout::print(&format!("{}: valid\n", args.file.display())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => stdout::closed(),
            },
            Err(code) => code,
        },
        Command::Graph(args) => match load(&args.file) {
            Ok(workflow) => {
                let graph = workflow.graph();
                let drawing = match args.format {
                    Format::Dot => graph.to_dot(&[]),
                    Format::Mermaid => graph.to_mermaid(&[]),
                };
                match stdout::print(&drawing) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(_) => stdout::closed(),
                }
            }
            Err(code) => code,
        },
        Command::Run(args) => match load(&args.file) {
            Ok(workflow) => run::run(workflow, args),
            Err(code) => code,
        },
        Command::Deploy(args) => match read(&args.file) {
            Ok((text, _)) => cloud::deploy(&args, &text),
            Err(code) => code,
        },
        Command::Start(args) => cloud::start(&args),
        Command::Serve(args) => serve::serve(args),
    }
}

/// Reads and validates a definition; prints every problem and gives exit status 2 if invalid.
fn load(file: &Path) -> Result<Workflow, ExitCode> {
    read(file).map(|(_, workflow)| workflow)
}

/// [`load`], with the definition's text.
fn read(file: &Path) -> Result<(String, Workflow), ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        eprintln!("pollflow: cannot read {}: {e}", file.display());
        ExitCode::from(2)
    })?;
    let name = file
        .file_stem()
        .and_then(|s| s.to_str())
        .map_or("state-machine", |s| s.trim_end_matches(".asl"));
    let workflow = Workflow::from_asl(&text, name).map_err(|e| {
        eprintln!("{}: {e}", file.display());
        ExitCode::from(2)
    })?;
    Ok((text, workflow))
}
