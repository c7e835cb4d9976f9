//! `pollflow graph FILE [--format mermaid|dot]`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// The arguments of `pollflow graph`.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_STATUS)]
pub(crate) struct GraphArgs {
    /// The state machine: an Amazon States Language JSON file.
    pub(crate) file: PathBuf,
    /// The drawing's language.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    pub(crate) format: Format,
}

/// A drawing's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}
