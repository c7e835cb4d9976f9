//! Live progress of a run: a spinner line on a terminal, plain lines when piped.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use futures::StreamExt;
use pollflow::{Event, EventKind, Outcome, Run};

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Renders events on stderr.
pub(crate) struct Progress {
    terminal: bool,
    started: Instant,
    frame: usize,
    status: String,
    checks: u32,
    next_check_at: Option<Instant>,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            frame: 0,
            status: "SUBMITTING".into(),
            checks: 0,
            next_check_at: None,
        }
    }

    /// Takes an event; prints what a person wants to know about it.
    pub(crate) fn event(&mut self, event: &Event) {
        match &event.kind {
            EventKind::TaskSubmitted { handle, .. } => {
                self.status = "SUBMITTED".into();
                self.line(&format!(
                    "submitted job {}",
                    handle.as_str().unwrap_or_default()
                ));
            }
            EventKind::WaitStarted { delay_ms, .. } => {
                self.next_check_at =
                    Some(Instant::now() + std::time::Duration::from_millis(*delay_ms));
            }
            EventKind::StatusChecked {
                status,
                attempt,
                pushed,
                ..
            } => {
                // A pushed status stands for a check the poller did not make.
                if !pushed {
                    self.checks += 1;
                }
                self.next_check_at = None;
                let word = status.status_word().unwrap_or("?").to_owned();
                if !self.terminal {
                    let how = if *pushed { " (pushed)" } else { "" };
                    self.line(&format!("check {attempt}: {word}{how}"));
                }
                self.status = word;
            }
            EventKind::TaskFailed {
                error, retry_in_ms, ..
            } => {
                let retry =
                    retry_in_ms.map_or_else(String::new, |ms| format!(" (retrying in {ms} ms)"));
                self.line(&format!("{} failed{retry}: {}", error.error, error.cause));
            }
            EventKind::Notified { state, message } => self.line(&format!("{state}: {message}")),
            EventKind::JobCancelled { handle, error } => match error {
                None => self.line(&format!(
                    "terminated job {}",
                    handle.as_str().unwrap_or_default()
                )),
                Some(e) => self.line(&format!("could not terminate the job: {e}")),
            },
            _ => {}
        }
        self.render();
    }

    /// Redraws the spinner line (terminals only).
    pub(crate) fn tick(&mut self) {
        self.frame += 1;
        self.render();
    }

    /// Clears the spinner line for good.
    pub(crate) fn finish(&mut self) {
        if self.terminal {
            eprint!("\r\x1b[2K");
        }
        self.terminal = false;
    }

    fn line(&self, text: &str) {
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.terminal {
            eprint!("\r\x1b[2K");
        }
        eprintln!("[{elapsed:>6.1}s] {text}");
    }

    fn render(&self) {
        if !self.terminal {
            return;
        }
        let next = self.next_check_at.map_or_else(String::new, |at| {
            let left = at.saturating_duration_since(Instant::now());
            format!(" · next check in {:.1}s", left.as_secs_f64())
        });
        eprint!(
            "\r\x1b[2K{} {:<10} {:>6.1}s · {} check{}{next}",
            SPINNER[self.frame % SPINNER.len()],
            self.status,
            self.started.elapsed().as_secs_f64(),
            self.checks,
            if self.checks == 1 { "" } else { "s" },
        );
        let _ = std::io::stderr().flush();
    }
}

/// Drives `run` to its end while showing its progress; Ctrl-C aborts it (and so terminates
/// its job). Returns how it ended, and how many status checks it made (pushed statuses not
/// counted).
pub(crate) async fn follow(mut run: Run) -> (Outcome, u32) {
    let mut progress = Progress::new();
    let abort = run.abort_handle();
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(100));
    let mut interrupted = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            event = run.next() => match event {
                Some(event) => progress.event(&event),
                None => break,
            },
            _ = ticks.tick() => progress.tick(),
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                abort.abort();
            }
        }
    }
    progress.finish();
    let outcome = run
        .finished()
        .cloned()
        .expect("a run ends after its terminal event");
    (outcome, progress.checks)
}
