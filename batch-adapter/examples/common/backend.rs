//! Which Batch the examples talk to: the embedded local one, or AWS (`--aws`, feature `aws`).

use std::fmt::Display;
use std::path::Path;
use std::sync::Arc;

use clap::error::ErrorKind;
use clap::CommandFactory;

use pollflow_batch::samples::sample_config;
use pollflow_batch::{BatchApi, LocalBatch};

/// Backend options shared by the examples (flattened into each one's clap arguments).
#[derive(Debug, clap::Args)]
pub(crate) struct BackendOptions {
    /// Use AWS Batch (the standard AWS configuration: env, profile, region) instead of the
    /// embedded local Batch; needs `--features aws`
    #[arg(long)]
    pub(crate) aws: bool,
    /// Send AWS requests to URL (an AWS-compatible server)
    #[arg(long, value_name = "URL", requires = "aws")]
    pub(crate) endpoint_url: Option<String>,
}

impl BackendOptions {
    /// The AWS configuration, when `--aws` was given.
    #[cfg(feature = "aws")]
    pub(crate) async fn aws_config(&self) -> Option<aws_config::SdkConfig> {
        match self.aws {
            true => Some(pollflow_batch::aws::load_config(self.endpoint_url.as_deref()).await),
            false => None,
        }
    }

    /// The Batch to use; the local one keeps its jobs in `journal` when given (see
    /// `LocalBatch::with_journal`).
    pub(crate) async fn batch(&self, journal: Option<&Path>) -> Result<Arc<dyn BatchApi>, String> {
        if !self.aws {
            return local_batch(journal).map(|batch| Arc::new(batch) as Arc<dyn BatchApi>);
        }
        #[cfg(feature = "aws")]
        {
            let config = self.aws_config().await.expect("--aws was given");
            let batch = pollflow_batch::aws::AwsBatch::new(&config);
            // A local AWS-compatible server (moto) does not expire signed requests, so AWS's
            // bound does not apply to it; 3 s covers the backlog of one on this machine.
            Ok(Arc::new(match self.endpoint_url {
                Some(_) => batch.with_submit_window(std::time::Duration::from_secs(3)),
                None => batch,
            }))
        }
        #[cfg(not(feature = "aws"))]
        Err("--aws needs the `aws` feature: cargo run --features aws --example ...".into())
    }
}

/// The embedded local Batch with the samples' queue and definitions, keeping its jobs in
/// `journal` when given.
pub(crate) fn local_batch(journal: Option<&Path>) -> Result<LocalBatch, String> {
    let batch = LocalBatch::from_config(sample_config());
    match journal {
        None => Ok(batch),
        Some(path) => batch.with_journal(path).map_err(|e| e.to_string()),
    }
}

/// Ends the example with a usage error: clap's format, exit status 2.
pub(crate) fn usage<A: CommandFactory>(message: impl Display) -> ! {
    A::command()
        .error(ErrorKind::ValueValidation, message)
        .exit()
}
