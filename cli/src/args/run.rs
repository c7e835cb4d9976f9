//! `pollflow run FILE [options]`.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde_json::Value;

/// The arguments of `pollflow run`.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_STATUS)]
pub(crate) struct RunArgs {
    /// The state machine: an Amazon States Language JSON file.
    pub(crate) file: PathBuf,

    /// The execution's input, as JSON text; `-` reads it from standard input.
    #[arg(long, value_name = "JSON", group = "input_source")]
    input: Option<String>,

    /// The execution's input, from a JSON file; `-` is standard input.
    #[arg(long, value_name = "PATH", group = "input_source")]
    input_file: Option<PathBuf>,

    /// Serves Task state STATE with a shell command (repeatable)
    ///
    /// COMMAND runs with `sh -c` in a process group of its own: the state's input as JSON on
    /// stdin, its result as JSON on stdout; a non-zero exit is States.TaskFailed with stderr
    /// as the cause. The task ends when `sh` exits, and the group is killed then, on
    /// TimeoutSeconds, on abort and when pollflow exits. A .sync state runs COMMAND as its
    /// job. STATE is the longest text before an `=` that names a Task state.
    #[arg(long = "task", value_name = "STATE=COMMAND", value_parser = binding)]
    pub(crate) tasks: Vec<String>,

    /// Output limit of a --task command
    ///
    /// Past it the command is killed and the task fails with States.DataLimitExceeded.
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024)]
    pub(crate) max_task_output_bytes: usize,

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
}

/// `--wait STATE=MILLISECONDS`.
#[derive(Clone, Debug)]
pub(crate) struct WaitOverride {
    pub(crate) state: String,
    pub(crate) duration: Duration,
}

impl RunArgs {
    /// The execution's input: `{}` unless `--input` or `--input-file` gives one.
    pub(crate) fn input(&self) -> Result<Value, String> {
        let (flag, text) = match (&self.input, &self.input_file) {
            (Some(text), _) if text == "-" => ("--input", stdin()?),
            (Some(text), _) => ("--input", text.clone()),
            (None, Some(path)) if path.as_os_str() == "-" => ("--input-file", stdin()?),
            (None, Some(path)) => (
                "--input-file",
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            ),
            (None, None) => return Ok(Value::Object(Default::default())),
        };
        serde_json::from_str(&text).map_err(|e| format!("{flag}: not JSON: {e}"))
    }
}

fn stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(text)
}

/// `STATE=COMMAND`; which `=` ends STATE is decided once the Task states are known.
fn binding(text: &str) -> Result<String, String> {
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
