//! Request-response and callback Task states served by a command.

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

/// A `.waitForTaskToken` Task state served by a command: the command gets the effective input
/// (with the token where the definition puts `$$.Task.Token`) and hands the token on; what it
/// prints is not the result (the token's is), and the state then waits for the token.
pub(crate) struct ShellCallback(pub(crate) ShellCommand);

#[async_trait]
impl TaskHandler for ShellCallback {
    async fn call(&self, input: Value) -> Result<Value, TaskError> {
        self.0.start(&input)?.output().await.map(|_| Value::Null)
    }
}
