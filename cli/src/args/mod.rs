//! The command line, on clap's derive API: one file per subcommand's arguments.
//!
//! clap prints `--help` and `--version` (on every subcommand) and exits 0; a usage error
//! exits 2, as do the checks made after parsing (a bad `--input`, an unknown state).

mod aws;
mod deploy;
mod graph;
mod input;
mod run;
mod serve;
mod start;
mod validate;

use clap::{Parser, Subcommand};

pub(crate) use aws::EndpointArgs;
pub(crate) use deploy::DeployArgs;
pub(crate) use graph::{Format, GraphArgs};
pub(crate) use input::InputArgs;
pub(crate) use run::{RunArgs, WaitOverride};
pub(crate) use serve::ServeArgs;
pub(crate) use start::StartArgs;
pub(crate) use validate::ValidateArgs;

/// What every `--help` ends with.
const EXIT_STATUS: &str = "\
Exit status: 0 the execution succeeded (or the file is valid, or deployed), 1 it failed,
timed out or was aborted, 2 invalid definition or usage (or AWS refused the request),
130/143 the run was aborted by SIGINT/SIGTERM.";

/// What `pollflow serve --help` ends with.
const SERVE_EXIT_STATUS: &str = "\
Exit status: 0 after SIGINT or SIGTERM, 2 for bad usage or a port that cannot be opened.";

/// `pollflow`: run, validate and draw Amazon States Language state machines locally, and
/// deploy and start them on AWS Step Functions.
#[derive(Debug, Parser)]
#[command(
    name = "pollflow",
    version,
    about,
    propagate_version = true,
    arg_required_else_help = true,
    after_help = EXIT_STATUS
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Runs a state machine locally, printing its events as they happen
    ///
    /// Batch resources go to the embedded local Batch, sns:publish prints the message, and
    /// --task serves any Task state with a shell command. The last line of stdout is the
    /// execution's output (JSON).
    Run(RunArgs),
    /// Checks a state machine and prints every problem, with its state and JSON path
    Validate(ValidateArgs),
    /// Prints a state machine as a Mermaid or DOT drawing
    ///
    /// Parallel branches and Map item processors are drawn inside, as subgraphs (Mermaid) or
    /// dashed clusters (DOT).
    Graph(GraphArgs),
    /// Creates the state machine on AWS Step Functions, or updates it if it exists
    ///
    /// The definition is checked as `validate` checks it first. The last line of stdout is the
    /// state machine's ARN.
    Deploy(DeployArgs),
    /// Starts an execution on AWS Step Functions and prints its events as `run` does
    ///
    /// The events are read from the execution's history. The last line of stdout is the
    /// execution's output (JSON). SIGINT or SIGTERM stops the execution.
    Start(StartArgs),
    /// Serves the Step Functions API on 127.0.0.1, running executions locally
    ///
    /// AWS SDKs, the AWS CLI and boto3 reach it with --endpoint-url http://127.0.0.1:PORT.
    /// Executions run as `run` runs them (the embedded local Batch, --task commands), and
    /// a MockConfigFile's test cases mock Task results. See docs/serve.md.
    Serve(ServeArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
