//! The local notifier: a human line on stdout, and JSON lines in a file when configured.

use std::io::Write;
use std::path::PathBuf;

use async_trait::async_trait;
use pollflow::{Notification, Notifier, TaskError};
use serde_json::json;

use crate::local::now_ms;

/// Prints each notification as `[notify] State: subject — message`, and appends it as one
/// JSON object per line to a file when [`LocalNotifier::with_jsonl`] is set.
#[derive(Clone, Debug, Default)]
pub struct LocalNotifier {
    jsonl: Option<PathBuf>,
    quiet: bool,
}

impl LocalNotifier {
    /// Prints to stdout.
    ///
    /// ```
    /// use pollflow::{Notification, Notifier};
    /// use pollflow_batch::LocalNotifier;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), pollflow::TaskError> {
    /// let log = std::env::temp_dir().join(format!("notify-doc-{}.jsonl", std::process::id()));
    /// let notifier = LocalNotifier::new().with_jsonl(&log);
    /// notifier
    ///     .notify(&Notification {
    ///         state: "Notify Success".into(),
    ///         subject: None,
    ///         message: "Job succeeded".into(),
    ///         detail: serde_json::Value::Null,
    ///     })
    ///     .await?; // prints "[notify] Notify Success: Job succeeded"
    /// let line = std::fs::read_to_string(&log).unwrap();
    /// assert!(line.contains(r#""message":"Job succeeded""#));
    /// # let _ = std::fs::remove_file(&log);
    /// # Ok(()) }
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Also appends JSON lines (`timestamp_ms`, `state`, `subject`, `message`, `detail`) to `path`.
    #[must_use]
    pub fn with_jsonl(mut self, path: impl Into<PathBuf>) -> Self {
        self.jsonl = Some(path.into());
        self
    }

    /// Does not print (the JSON-lines file is still written).
    #[must_use]
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }
}

#[async_trait]
impl Notifier for LocalNotifier {
    async fn notify(&self, n: &Notification) -> Result<(), TaskError> {
        if !self.quiet {
            let line = match &n.subject {
                Some(subject) => format!("[notify] {}: {subject} — {}\n", n.state, n.message),
                None => format!("[notify] {}: {}\n", n.state, n.message),
            };
            let mut out = std::io::stdout().lock();
            out.write_all(line.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| TaskError::new("Local.NotifyFailed", format!("stdout: {e}")))?;
        }
        if let Some(path) = &self.jsonl {
            let line = json!({
                "timestamp_ms": now_ms(),
                "state": n.state,
                "subject": n.subject,
                "message": n.message,
                "detail": n.detail,
            });
            let write = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{line}"));
            write.map_err(|e| {
                TaskError::new("Local.NotifyFailed", format!("{}: {e}", path.display()))
            })?;
        }
        Ok(())
    }
}
