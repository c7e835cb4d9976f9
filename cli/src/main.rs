//! `pollflow`: run, validate and draw Amazon States Language state machines locally.
//!
//! ```text
//! pollflow run FILE [--input JSON | --input-file PATH] [--task STATE=COMMAND]...
//!                   [--wait STATE=MILLISECONDS]... [--simulated-time] [--json]
//! pollflow validate FILE
//! pollflow graph FILE [--format mermaid|dot]
//! ```
//!
//! Exit status: 0 when the execution succeeds (or the file is valid), 1 when it fails, 2 for
//! an invalid definition or usage.

mod args;
mod bind;
mod interrupts;
mod real_work;
mod run;
mod shell;
mod simulated_time;

use std::process::ExitCode;

use args::Command;
use pollflow::Workflow;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("pollflow: {message}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{}", args::USAGE);
            ExitCode::SUCCESS
        }
        Command::Validate { file } => match load(&file) {
            Ok(_) => {
                println!("{file}: valid");
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Graph { file, dot } => match load(&file) {
            Ok(workflow) => {
                let graph = workflow.graph();
                print!(
                    "{}",
                    if dot {
                        graph.to_dot(&[])
                    } else {
                        graph.to_mermaid(&[])
                    }
                );
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Run(options) => match load(&options.file) {
            Ok(workflow) => run::run(workflow, options),
            Err(code) => code,
        },
    }
}

/// Reads and validates a definition; prints every problem and gives exit status 2 if invalid.
fn load(file: &str) -> Result<Workflow, ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        eprintln!("pollflow: cannot read {file}: {e}");
        ExitCode::from(2)
    })?;
    let name = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .map_or("state-machine", |s| s.trim_end_matches(".asl"));
    Workflow::from_asl(&text, name).map_err(|e| {
        eprintln!("{file}: {e}");
        ExitCode::from(2)
    })
}
