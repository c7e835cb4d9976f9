//! A request-response Task state served by a command: the command's output is the result.

use async_trait::async_trait;
use pollflow::task::TaskHandler;
use pollflow::TaskError;
use serde_json::Value;

use super::ShellCommand;

/// Runs the command once per call; its JSON stdout is the state's result. Dropping the call
/// (a `TimeoutSeconds`, an abort) kills the command's process group.
pub(crate) struct ShellTask(pub(crate) ShellCommand);

#[async_trait]
impl TaskHandler for ShellTask {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        self.0.start(&input)?.finish().await
    }
}
