//! What `pollflow run` and `pollflow start` print: each event as a line, then the outcome.

use std::process::ExitCode;

use pollflow::{Event, EventKind, JobStatus, Outcome};

use crate::stdout;

/// An event as a line: JSON (Step Functions history shape), or text.
pub(crate) fn line(event: &Event, since_ms: u64, json: bool) -> String {
    if json {
        serde_json::to_string(event).unwrap_or_default()
    } else {
        human(event, since_ms)
    }
}

/// Prints how the execution ended (its output as the last stdout line, or its error on
/// stderr) and gives the exit status: 0 succeeded, 1 failed, timed out or aborted. `Err` when
/// standard output is closed.
pub(crate) fn outcome(outcome: Outcome) -> std::io::Result<ExitCode> {
    match outcome {
        Outcome::Succeeded { output } => {
            stdout::print(&format!("{output}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Failed { error } | Outcome::TimedOut { error } => {
            eprintln!("{}: {}", error.error, error.cause);
            Ok(ExitCode::from(1))
        }
        Outcome::Aborted { .. } => {
            eprintln!("AbortError: the execution was aborted");
            Ok(ExitCode::from(1))
        }
    }
}

/// One event as a line: time since the start, what happened.
fn human(event: &Event, since_ms: u64) -> String {
    let what = match &event.kind {
        EventKind::ExecutionStarted { input } => format!("started with {input}"),
        EventKind::StateEntered { state, .. } => format!("→ {state}"),
        EventKind::StateExited { state, .. } => format!("← {state}"),
        EventKind::TaskSubmitted { state, handle } => format!("  {state}: submitted job {handle}"),
        EventKind::TaskTokenIssued { state, token } => format!("  {state}: task token {token}"),
        EventKind::TaskSucceeded { state, output } => {
            format!("  {state}: {}", abbreviate(&output.to_string()))
        }
        EventKind::TaskFailed {
            state,
            error,
            retry_in_ms,
        } => match retry_in_ms {
            Some(ms) => format!("  {state}: {error} (retry in {ms} ms)"),
            None => format!("  {state}: {error}"),
        },
        EventKind::WaitStarted {
            state, delay_ms, ..
        } => format!("  {state}: waiting {delay_ms} ms"),
        EventKind::StatusChecked {
            state,
            attempt,
            status,
            pushed,
        } => {
            let word = match &**status {
                JobStatus::Pending { .. } => status.status_word().unwrap_or("PENDING"),
                JobStatus::Succeeded { .. } => "SUCCEEDED",
                JobStatus::Failed { .. } => "FAILED",
            };
            let how = if *pushed { " (pushed)" } else { "" };
            format!("  {state}: check {attempt}: {word}{how}")
        }
        EventKind::ChoiceTaken { state, next } => format!("  {state}: chose {next:?}"),
        EventKind::Notified { state, message } => format!("  {state}: notified {message:?}"),
        EventKind::JobCancelled { handle, error } => match error {
            Some(e) => format!("  cancelling job {handle} failed: {e}"),
            None => format!("  cancelled job {handle}"),
        },
        EventKind::ExecutionSucceeded { .. } => "succeeded".into(),
        EventKind::ExecutionFailed { error } => format!("failed: {}", error.error),
        EventKind::ExecutionTimedOut { error } => format!("timed out: {}", error.error),
        EventKind::ExecutionAborted { .. } => "aborted".into(),
        EventKind::BranchStarted { input } => format!("started with {input}"),
        EventKind::BranchSucceeded { output } => {
            format!("succeeded: {}", abbreviate(&output.to_string()))
        }
        EventKind::BranchFailed { error } => format!("failed: {}", error.error),
        EventKind::BranchAborted { .. } => "stopped".into(),
        _ => format!("{:?}", event.kind),
    };
    // Inside a Parallel branch or a Map item: `Par[1] › Each[0] › what`.
    let route: String = event
        .route
        .iter()
        .map(|hop| format!("{}[{}] › ", hop.state, hop.index))
        .collect();
    format!("[{:>8.3}s] {route}{what}", since_ms as f64 / 1000.0)
}

fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
