//! `pollflow deploy FILE --name NAME --role-arn ARN [--endpoint-url URL]`.

use std::path::PathBuf;

use clap::Args;

use super::EndpointArgs;

/// The arguments of `pollflow deploy`.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_STATUS)]
pub(crate) struct DeployArgs {
    /// The state machine: an Amazon States Language JSON file.
    pub(crate) file: PathBuf,

    /// The state machine's name in Step Functions.
    #[arg(long)]
    pub(crate) name: String,

    /// The IAM role Step Functions runs the state machine as (see docs/aws.md for its policy).
    #[arg(long, value_name = "ARN")]
    pub(crate) role_arn: String,

    #[command(flatten)]
    pub(crate) aws: EndpointArgs,
}
