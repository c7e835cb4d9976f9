//! The command line, parsed by hand: few options, exact error messages.

use std::time::Duration;

pub(crate) const USAGE: &str = "\
usage:
  pollflow run FILE [--input JSON | --input-file PATH] [--task STATE=COMMAND]...
                    [--max-task-output-bytes BYTES] [--wait STATE=MILLISECONDS]...
                    [--simulated-time] [--json] [--draw-path FILE.mmd|FILE.dot]
  pollflow validate FILE
  pollflow graph FILE [--format mermaid|dot]

run: runs an Amazon States Language state machine locally. Batch resources go to the embedded
local Batch, sns:publish prints the message; --task runs COMMAND through the shell for a Task
state (input JSON on stdin, result JSON on stdout, at most --max-task-output-bytes of it, by
default 262144); --wait overrides a Wait state's duration;
--simulated-time jumps over waits; --draw-path writes the graph with the states the execution
visited highlighted (Mermaid, or Graphviz DOT for a .dot file). Exit status: 0 succeeded, 1 failed, 2 invalid definition or usage.";

pub(crate) enum Command {
    Help,
    Run(RunOptions),
    Validate { file: String },
    Graph { file: String, dot: bool },
}

pub(crate) struct RunOptions {
    pub(crate) file: String,
    pub(crate) input: serde_json::Value,
    pub(crate) tasks: Vec<String>,
    pub(crate) max_task_output_bytes: usize,
    pub(crate) waits: Vec<(String, Duration)>,
    pub(crate) simulated_time: bool,
    pub(crate) json: bool,
    pub(crate) draw_path: Option<String>,
}

pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let command = args.next().ok_or("no command given")?;
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        return Ok(Command::Help);
    }
    let file = args
        .next()
        .ok_or_else(|| format!("{command} needs a FILE"))?;
    match command.as_str() {
        "validate" => match args.next() {
            None => Ok(Command::Validate { file }),
            Some(extra) => Err(format!("unexpected argument {extra:?}")),
        },
        "graph" => {
            let mut dot = false;
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--format" => match args.next().as_deref() {
                        Some("mermaid") => dot = false,
                        Some("dot") => dot = true,
                        other => {
                            return Err(format!("--format takes mermaid or dot, not {other:?}"))
                        }
                    },
                    _ => return Err(format!("unexpected argument {arg:?}")),
                }
            }
            Ok(Command::Graph { file, dot })
        }
        "run" => parse_run(file, args).map(Command::Run),
        other => Err(format!("unknown command {other:?}")),
    }
}

fn parse_run(file: String, mut args: impl Iterator<Item = String>) -> Result<RunOptions, String> {
    let mut options = RunOptions {
        file,
        input: serde_json::json!({}),
        tasks: Vec::new(),
        max_task_output_bytes: 256 * 1024,
        waits: Vec::new(),
        simulated_time: false,
        json: false,
        draw_path: None,
    };
    let mut input_given = false;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--input" | "--input-file" => {
                if input_given {
                    return Err("give --input or --input-file once".into());
                }
                input_given = true;
                let text = if arg == "--input" {
                    value("--input")?
                } else {
                    let path = value("--input-file")?;
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {path}: {e}"))?
                };
                options.input =
                    serde_json::from_str(&text).map_err(|e| format!("{arg}: not JSON: {e}"))?;
            }
            "--task" => options.tasks.push(value("--task")?),
            "--max-task-output-bytes" => {
                let bytes = value("--max-task-output-bytes")?;
                options.max_task_output_bytes = bytes
                    .parse()
                    .map_err(|_| format!("--max-task-output-bytes: {bytes:?} is not a number"))?;
            }
            "--wait" => {
                let (state, ms) = pair("--wait", &value("--wait")?)?;
                let ms: u64 = ms.parse().map_err(|_| {
                    format!("--wait {state}=...: {ms:?} is not a whole number of milliseconds")
                })?;
                options.waits.push((state, Duration::from_millis(ms)));
            }
            "--simulated-time" => options.simulated_time = true,
            "--json" => options.json = true,
            "--draw-path" => options.draw_path = Some(value("--draw-path")?),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(options)
}

/// `STATE=VALUE`, split at the last `=` (state names may contain one; values do not).
fn pair(option: &str, text: &str) -> Result<(String, String), String> {
    match text.rsplit_once('=') {
        Some((state, value)) if !state.is_empty() => Ok((state.to_owned(), value.to_owned())),
        _ => Err(format!("{option} takes STATE=VALUE, not {text:?}")),
    }
}
