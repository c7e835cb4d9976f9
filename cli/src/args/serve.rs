//! `pollflow serve [--port N] [--mock-config FILE] [--task STATE=COMMAND]... [--aws]`.

use std::path::PathBuf;

use clap::Args;

use super::EndpointArgs;

/// The arguments of `pollflow serve`.
#[derive(Debug, Args)]
#[command(after_help = super::SERVE_EXIT_STATUS)]
pub(crate) struct ServeArgs {
    /// The port on 127.0.0.1 (0: any free port; the first line printed says which)
    #[arg(long, default_value_t = 8083)]
    pub(crate) port: u16,

    /// Step Functions Local's MockConfigFile: test cases of mocked Task results, chosen by
    /// starting an execution of `STATE_MACHINE_ARN#TEST_CASE`
    #[arg(long, value_name = "FILE")]
    pub(crate) mock_config: Option<PathBuf>,

    /// Serves Task state STATE with a shell command in every execution (repeatable; as in
    /// `pollflow run --task`)
    #[arg(long = "task", value_name = "STATE=COMMAND", value_parser = super::run::binding)]
    pub(crate) tasks: Vec<String>,

    /// Sends Batch and SNS calls to AWS (or --endpoint-url) instead of the embedded local Batch
    #[arg(long)]
    pub(crate) aws: bool,

    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,
}
