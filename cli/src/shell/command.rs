//! One run of a shell command: input and output streamed at once, output capped, the process
//! group killed when the command ends or is dropped.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use pollflow::TaskError;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

use super::group::ProcessGroup;
use crate::real_work::{Busy, RealWork};

/// The error of a result past its size limit, as Step Functions names it.
pub(crate) const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";

/// How much of stderr becomes the cause of a failure (Step Functions' limit on a cause).
const CAUSE_BYTES: usize = 32_768;

/// After `sh` exits and its group is killed, how long to wait for the rest of its output: a
/// process that left the group (`setsid`) may keep the pipe open.
const DRAIN: Duration = Duration::from_secs(1);

/// A command bound to a Task state, and how much output it may print.
#[derive(Clone)]
pub(crate) struct ShellCommand {
    /// Run with `sh -c`.
    pub(crate) command: String,
    /// Bytes of stdout past which the task fails with `States.DataLimitExceeded`.
    pub(crate) max_output_bytes: usize,
    /// Counts the commands running, so simulated time follows real time meanwhile.
    pub(crate) work: RealWork,
    /// The URL of the run's task-token endpoint, given to the command as `POLLFLOW_ENDPOINT`.
    pub(crate) endpoint: Option<String>,
}

/// A command started and not yet finished; dropping it kills its process group.
pub(crate) struct Running {
    command: String,
    max_output_bytes: usize,
    input: Vec<u8>,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    stderr: ChildStderr,
    // Declared after `child`: the group is killed before the child handle goes.
    group: ProcessGroup,
    _busy: Busy,
}

impl ShellCommand {
    /// Starts the command in a process group of its own, to be fed `input`.
    pub(crate) fn start(&self, input: &Value) -> Result<Running, TaskError> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(url) = &self.endpoint {
            command.env(crate::task_endpoint::ENDPOINT_VAR, url);
        }
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| TaskError::task_failed(format!("cannot start {:?}: {e}", self.command)))?;
        let group = ProcessGroup::led_by(&child);
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(TaskError::task_failed(format!(
                "cannot connect to {:?}",
                self.command
            )));
        };
        Ok(Running {
            command: self.command.clone(),
            max_output_bytes: self.max_output_bytes,
            input: input.to_string().into_bytes(),
            child,
            stdin: Some(stdin),
            stdout,
            stderr,
            group,
            _busy: self.work.command_started(),
        })
    }
}

impl Running {
    /// The process id of `sh`.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// [`Self::output`], read as JSON: the task's result.
    pub(crate) async fn finish(self) -> Result<Value, TaskError> {
        let command = self.command.clone();
        let out = self.output().await?;
        let stdout = String::from_utf8_lossy(&out);
        serde_json::from_str(stdout.trim()).map_err(|e| {
            TaskError::task_failed(format!(
                "{command:?} printed something that is not JSON ({e}): {}",
                abbreviate(stdout.trim())
            ))
        })
    }

    /// Feeds the input, collects the output, and waits for `sh` to exit; then kills what is
    /// left of its process group. The result is stdout; a non-zero exit is
    /// `States.TaskFailed` with stderr as the cause.
    pub(crate) async fn output(mut self) -> Result<Vec<u8>, TaskError> {
        let Self {
            command,
            max_output_bytes,
            input,
            child,
            stdin,
            stdout,
            stderr,
            group,
            ..
        } = &mut self;
        let (mut stdin, input) = (stdin.take(), std::mem::take(input));
        let write = async move {
            if let Some(stdin) = &mut stdin {
                // A command that does not read all its input closes the pipe early: fine.
                let _ = stdin.write_all(&input).await;
            }
            // Dropping stdin here closes the pipe: the command sees the end of its input.
        };
        let mut write = std::pin::pin!(write);
        let mut wrote = false;
        let drain = std::pin::pin!(tokio::time::sleep(Duration::MAX));
        let mut drain = drain;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (mut out_chunk, mut err_chunk) = (vec![0; 64 * 1024], vec![0; 8 * 1024]);
        let (mut out_open, mut err_open) = (true, true);
        let mut exited: Option<ExitStatus> = None;
        let status = loop {
            if let Some(status) = exited.filter(|_| !out_open && !err_open) {
                break status;
            }
            tokio::select! {
                status = child.wait(), if exited.is_none() => {
                    let status = status.map_err(|e| {
                        TaskError::task_failed(format!("{command:?} failed: {e}"))
                    })?;
                    // The task ends with its main process: what it started goes with it.
                    group.kill();
                    exited = Some(status);
                    drain.as_mut().reset(tokio::time::Instant::now() + DRAIN);
                }
                () = &mut write, if !wrote => wrote = true,
                read = stdout.read(&mut out_chunk), if out_open => match read {
                    Ok(0) | Err(_) => out_open = false,
                    Ok(n) if out.len() + n > *max_output_bytes => {
                        return Err(TaskError::new(
                            DATA_LIMIT_EXCEEDED,
                            format!(
                                "the output of {command:?} passed {max_output_bytes} bytes \
                                 (--max-task-output-bytes); the command was killed"
                            ),
                        ));
                    }
                    Ok(n) => out.extend_from_slice(&out_chunk[..n]),
                },
                read = stderr.read(&mut err_chunk), if err_open => match read {
                    Ok(0) | Err(_) => err_open = false,
                    Ok(n) => {
                        let room = CAUSE_BYTES.saturating_sub(err.len());
                        err.extend_from_slice(&err_chunk[..n.min(room)]);
                    }
                },
                // Something outside the group still holds a pipe: go on with what was read.
                () = &mut drain, if exited.is_some() => {
                    if let Some(status) = exited {
                        break status;
                    }
                }
            }
        };
        if !status.success() {
            let stderr = String::from_utf8_lossy(&err).trim().to_owned();
            return Err(TaskError::task_failed(if stderr.is_empty() {
                format!("{command:?} exited with {status}")
            } else {
                stderr
            }));
        }
        Ok(out)
    }
}

/// The first 200 characters of `text`.
fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
