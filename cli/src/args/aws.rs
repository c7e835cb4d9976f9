//! `--endpoint-url URL`: where AWS calls go (`pollflow deploy`, `start`, `run --aws`).

use clap::Args;

/// The AWS endpoint; credentials and region come from the usual AWS configuration chain
/// (environment, profiles, SSO, instance roles).
#[derive(Debug, Args)]
pub(crate) struct EndpointArgs {
    /// Sends AWS calls to URL instead of AWS's own endpoints (an AWS-compatible server such
    /// as moto); AWS_ENDPOINT_URL does the same.
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
}
