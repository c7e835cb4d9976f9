//! Which Batch the examples talk to: the embedded local one, or AWS (`--aws`, feature `aws`).

use std::rc::Rc;

use pollflow_batch::samples::sample_config;
use pollflow_batch::{BatchApi, LocalBatch};

/// Backend options shared by the examples.
#[derive(Default)]
pub(crate) struct BackendOptions {
    pub(crate) aws: bool,
    pub(crate) endpoint_url: Option<String>,
}

impl BackendOptions {
    /// Takes `--aws` and `--endpoint-url URL`; returns whether `arg` was one of them.
    pub(crate) fn accept(
        &mut self,
        arg: &str,
        args: &mut dyn Iterator<Item = String>,
    ) -> Result<bool, String> {
        match arg {
            "--aws" => self.aws = true,
            "--endpoint-url" => {
                self.endpoint_url = Some(args.next().ok_or("--endpoint-url needs a URL")?)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The AWS configuration, when `--aws` was given.
    #[cfg(feature = "aws")]
    pub(crate) async fn aws_config(&self) -> Option<aws_config::SdkConfig> {
        match self.aws {
            true => Some(pollflow_batch::aws::load_config(self.endpoint_url.as_deref()).await),
            false => None,
        }
    }

    /// The Batch to use.
    pub(crate) async fn batch(&self) -> Result<Rc<dyn BatchApi>, String> {
        if !self.aws {
            return Ok(Rc::new(LocalBatch::from_config(sample_config())));
        }
        #[cfg(feature = "aws")]
        {
            let config = self.aws_config().await.expect("--aws was given");
            Ok(Rc::new(pollflow_batch::aws::AwsBatch::new(&config)))
        }
        #[cfg(not(feature = "aws"))]
        Err("--aws needs the `aws` feature: cargo run --features aws --example ...".into())
    }
}
