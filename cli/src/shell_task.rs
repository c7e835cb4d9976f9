//! `--task STATE=COMMAND`: a Task state served by a shell command.

use std::process::Stdio;

use async_trait::async_trait;
use pollflow::{TaskError, TaskHandler};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// Runs `command` through `sh -c` with the state's effective input as JSON on stdin; stdout
/// is the JSON result. A non-zero exit is `States.TaskFailed` with stderr as the cause.
pub(crate) struct ShellTask {
    pub(crate) command: String,
}

#[async_trait(?Send)]
impl TaskHandler for ShellTask {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        let failed = |cause: String| TaskError::task_failed(cause);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| failed(format!("cannot start {:?}: {e}", self.command)))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A command that does not read its input closes the pipe early; that is fine.
            let _ = stdin.write_all(input.to_string().as_bytes()).await;
        }
        let output = child
            .wait_with_output()
            .await
            .map_err(|e| failed(format!("{:?} failed: {e}", self.command)))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            return Err(failed(if stderr.is_empty() {
                format!("{:?} exited with {}", self.command, output.status)
            } else {
                stderr
            }));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        serde_json::from_str(stdout.trim()).map_err(|e| {
            failed(format!(
                "{:?} printed something that is not JSON ({e}): {}",
                self.command,
                stdout.trim()
            ))
        })
    }
}
