//! Standard output, whose reader may leave early (`pollflow run … | head -1`): a write that
//! fails is reported, never a panic.

use std::io::Write;
use std::process::ExitCode;

/// Writes `text` to standard output; `Err` once it is closed.
pub(crate) fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// The exit status when standard output closed early: what a shell reports for a process
/// killed by SIGPIPE (128 + 13).
pub(crate) fn closed() -> ExitCode {
    ExitCode::from(141)
}
