//! `pollflow validate FILE`.

use std::path::PathBuf;

use clap::Args;

/// The arguments of `pollflow validate`.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_STATUS)]
pub(crate) struct ValidateArgs {
    /// The state machine: an Amazon States Language JSON file.
    pub(crate) file: PathBuf,
}
