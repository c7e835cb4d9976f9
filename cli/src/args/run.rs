//! `pollflow run FILE [options]`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use pollflow::Limits;

use super::{EndpointArgs, InputArgs};

/// The arguments of `pollflow run`.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_STATUS)]
pub(crate) struct RunArgs {
    /// The state machine: an Amazon States Language JSON file.
    pub(crate) file: PathBuf,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Sends Batch and SNS calls to AWS (or --endpoint-url) instead of the embedded local Batch
    #[arg(long, conflicts_with = "simulated_time")]
    pub(crate) aws: bool,

    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,

    /// Serves Task state STATE with a shell command (repeatable)
    ///
    /// COMMAND runs with `sh -c` in a process group of its own: the state's input as JSON on
    /// stdin, its result as JSON on stdout; a non-zero exit is States.TaskFailed with stderr
    /// as the cause. The task ends when `sh` exits, and the group is killed then, on
    /// TimeoutSeconds, on abort and when pollflow exits. A .sync state runs COMMAND as its
    /// job. A .waitForTaskToken state gives COMMAND its input (with the token where the
    /// definition puts $$.Task.Token), ignores its stdout, and then waits for the token.
    /// STATE is the longest text before an `=` that names a Task state.
    #[arg(long = "task", value_name = "STATE=COMMAND", value_parser = binding)]
    pub(crate) tasks: Vec<String>,

    /// Output limit of a --task command [default: --max-payload-bytes]
    ///
    /// Past it the command is killed and the task fails with States.DataLimitExceeded.
    #[arg(long, value_name = "BYTES")]
    max_task_output_bytes: Option<usize>,

    /// Makes Wait state STATE wait this long instead (repeatable)
    ///
    /// The milliseconds follow the last `=`.
    #[arg(long = "wait", value_name = "STATE=MILLISECONDS", value_parser = wait_override)]
    pub(crate) waits: Vec<WaitOverride>,

    /// Jumps over waits instead of sleeping
    ///
    /// Real work (--task commands, local Batch jobs) still takes, and is timed in, real time:
    /// while it runs the clock follows the wall clock.
    #[arg(long)]
    pub(crate) simulated_time: bool,

    /// Prints each event as a JSON line (Step Functions history shape) instead of text.
    #[arg(long)]
    pub(crate) json: bool,

    /// Writes the graph with the states the execution entered highlighted
    ///
    /// Graphviz DOT for a .dot file, Mermaid otherwise.
    #[arg(long, value_name = "FILE.mmd|FILE.dot")]
    pub(crate) draw_path: Option<PathBuf>,

    #[command(flatten)]
    limits: LimitArgs,
}

/// The engine's limits (`pollflow::Limits`), one flag per field; the defaults are Step
/// Functions' quotas.
#[derive(Debug, Args)]
#[command(next_help_heading = "Limits (Step Functions' quotas by default)")]
struct LimitArgs {
    /// The largest JSON text of an input, output, task result or variable
    ///
    /// Past it the execution fails with States.DataLimitExceeded (no Retry or Catch applies).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::STEP_FUNCTIONS.max_payload_bytes)]
    max_payload_bytes: u64,

    /// The largest JSON text of all the variables an execution has assigned
    ///
    /// Past it the execution fails with States.DataLimitExceeded.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::STEP_FUNCTIONS.max_variables_bytes)]
    max_variables_bytes: u64,

    /// The most events an execution emits, its branches' and Map items' included
    ///
    /// The event that would pass it is replaced by ExecutionFailed with States.Runtime.
    #[arg(long, value_name = "N", default_value_t = Limits::STEP_FUNCTIONS.max_events)]
    max_events: u64,

    /// The most items of an inline Map state that run at once (0: as many as MaxConcurrency
    /// allows)
    #[arg(long, value_name = "N", default_value_t = Limits::STEP_FUNCTIONS.max_map_concurrency)]
    max_map_concurrency: u32,

    /// The most values one JSONPath evaluation may look at
    ///
    /// Past it the execution fails with States.DataLimitExceeded.
    #[arg(long, value_name = "N", default_value_t = Limits::STEP_FUNCTIONS.max_path_visits)]
    max_path_visits: u64,
}

/// `--wait STATE=MILLISECONDS`.
#[derive(Clone, Debug)]
pub(crate) struct WaitOverride {
    pub(crate) state: String,
    pub(crate) duration: Duration,
}

impl RunArgs {
    /// The engine's limits, from the `--max-*` flags.
    pub(crate) fn limits(&self) -> Limits {
        let LimitArgs {
            max_payload_bytes,
            max_variables_bytes,
            max_events,
            max_map_concurrency,
            max_path_visits,
        } = self.limits;
        Limits {
            max_payload_bytes,
            max_variables_bytes,
            max_events,
            max_map_concurrency,
            max_path_visits,
        }
    }

    /// The output limit of a `--task` command: `--max-task-output-bytes`, else the payload
    /// limit (a larger output could not be kept anyway).
    pub(crate) fn max_task_output_bytes(&self) -> usize {
        self.max_task_output_bytes
            .unwrap_or_else(|| usize::try_from(self.limits.max_payload_bytes).unwrap_or(usize::MAX))
    }
}

/// `STATE=COMMAND`; which `=` ends STATE is decided once the Task states are known.
pub(super) fn binding(text: &str) -> Result<String, String> {
    match text.find('=') {
        Some(at) if at > 0 => Ok(text.to_owned()),
        _ => Err("expected STATE=COMMAND".to_owned()),
    }
}

/// `STATE=MILLISECONDS`, split at the last `=`.
fn wait_override(text: &str) -> Result<WaitOverride, String> {
    let (state, ms) = text
        .rsplit_once('=')
        .filter(|(state, _)| !state.is_empty())
        .ok_or("expected STATE=MILLISECONDS")?;
    let ms: u64 = ms
        .parse()
        .map_err(|_| format!("{ms:?} is not a whole number of milliseconds"))?;
    Ok(WaitOverride {
        state: state.to_owned(),
        duration: Duration::from_millis(ms),
    })
}
