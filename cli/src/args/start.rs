//! `pollflow start NAME_OR_ARN [--input JSON | --input-file PATH] [--endpoint-url URL]`.

use clap::Args;

use super::{EndpointArgs, InputArgs};

/// The arguments of `pollflow start`.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_STATUS)]
pub(crate) struct StartArgs {
    /// The state machine's name or ARN.
    pub(crate) state_machine: String,

    #[command(flatten)]
    pub(crate) input: InputArgs,

    /// Prints each event as a JSON line instead of text.
    #[arg(long)]
    pub(crate) json: bool,

    #[command(flatten)]
    pub(crate) aws: EndpointArgs,
}
