//! [`BatchApi`] on AWS Batch.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_batch::types as sdk;
use aws_sdk_batch::Client;

use super::convert;
use super::errors::batch_error;
use crate::api::{BatchApi, BatchError, BatchErrorKind, DESCRIBE_JOBS_MAX};
use crate::model::{JobDetail, SubmitJobRequest, SubmitJobResponse};

/// AWS Batch through `aws-sdk-batch`.
///
/// DescribeJobs and TerminateJob use the client's retry configuration (see
/// [`load_config`](super::load_config)).
/// SubmitJob has no idempotency token, so the SDK never retries it on its own; this adapter
/// retries it only after throttling (a request the service refused), never after a timeout or
/// a 5xx whose outcome is unknown — a job is never submitted twice.
///
/// Its [submit window](BatchApi::submit_window) — how long a SubmitJob may still create its
/// job after the call starts — is six minutes by default: a signed request must reach AWS
/// within five minutes of its signature's time, and the throttled attempts of one call are
/// signed within the sixth. A run resumed with a submit in flight looks its job up once that
/// has passed. [`with_submit_window`](Self::with_submit_window) sets another bound (a test
/// server that does not expire signatures).
///
/// ```no_run
/// # async fn demo() {
/// use pollflow_batch::aws::{load_config, AwsBatch};
/// let config = load_config(None).await; // or Some("http://127.0.0.1:5000")
/// let batch = AwsBatch::new(&config);
/// # let _ = batch; }
/// ```
#[derive(Clone, Debug)]
pub struct AwsBatch {
    client: Client,
    submit_window: Duration,
}

/// Attempts of a throttled SubmitJob.
const SUBMIT_ATTEMPTS: u32 = 8;

/// The default submit window: the five minutes within which a signed request must reach AWS
/// (SigV4), and one more for the throttled attempts of a call and the clocks' disagreement.
const SUBMIT_WINDOW: Duration = Duration::from_secs(6 * 60);

impl AwsBatch {
    /// A Batch client from shared AWS configuration (see [`load_config`](super::load_config)).
    ///
    /// ```no_run
    /// use pollflow::PollGroup;
    /// use pollflow_batch::aws::{load_config, AwsBatch};
    /// use pollflow_batch::BatchPoller;
    ///
    /// # async fn demo() {
    /// let config = load_config(None).await; // the environment's credentials and region
    /// let poller = PollGroup::new(BatchPoller::new(AwsBatch::new(&config)), 100);
    /// # let _ = poller; }
    /// ```
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self::from_client(Client::new(config))
    }

    /// A Batch client from a ready SDK client (its own retry, timeout or endpoint settings).
    ///
    /// ```no_run
    /// use pollflow_batch::aws::{load_config, AwsBatch};
    ///
    /// # async fn demo() {
    /// let config = load_config(None).await;
    /// let sdk = aws_sdk_batch::config::Builder::from(&config)
    ///     .region(aws_sdk_batch::config::Region::new("eu-west-1"))
    ///     .build();
    /// let batch = AwsBatch::from_client(aws_sdk_batch::Client::from_conf(sdk));
    /// # let _ = batch; }
    /// ```
    pub fn from_client(client: Client) -> Self {
        Self {
            client,
            submit_window: SUBMIT_WINDOW,
        }
    }

    /// The same client with another submit window: how long after a SubmitJob call starts a
    /// run resumed with it in flight waits before looking its job up (six minutes unless
    /// set; see [`AwsBatch`]). Shorter is safe only where requests cannot arrive late.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use pollflow_batch::aws::{load_config, AwsBatch};
    ///
    /// # async fn demo() {
    /// let config = load_config(Some("http://127.0.0.1:5000")).await;
    /// let batch = AwsBatch::new(&config).with_submit_window(Duration::from_secs(5));
    /// # let _ = batch; }
    /// ```
    #[must_use]
    pub fn with_submit_window(mut self, window: Duration) -> Self {
        self.submit_window = window;
        self
    }

    async fn submit_once(
        &self,
        request: &SubmitJobRequest,
    ) -> Result<SubmitJobResponse, BatchError> {
        let mut call = self
            .client
            .submit_job()
            .job_name(&request.job_name)
            .job_queue(&request.job_queue)
            .job_definition(&request.job_definition)
            .set_parameters(
                (!request.parameters.is_empty())
                    .then(|| request.parameters.clone().into_iter().collect()),
            )
            .set_tags(
                (!request.tags.is_empty()).then(|| request.tags.clone().into_iter().collect()),
            );
        if let Some(overrides) = &request.container_overrides {
            call = call.container_overrides(
                sdk::ContainerOverrides::builder()
                    .set_command(overrides.command.clone())
                    .set_environment((!overrides.environment.is_empty()).then(|| {
                        overrides
                            .environment
                            .iter()
                            .map(convert::key_value)
                            .collect()
                    }))
                    .build(),
            );
        }
        if let Some(array) = request.array_properties {
            let size = i32::try_from(array.size)
                .map_err(|_| BatchError::client("arrayProperties.size is too large"))?;
            call = call.array_properties(sdk::ArrayProperties::builder().size(size).build());
        }
        for dep in &request.depends_on {
            call = call.depends_on(convert::dependency(dep));
        }
        if let Some(strategy) = &request.retry_strategy {
            call = call.retry_strategy(convert::retry_strategy(strategy)?);
        }
        if let Some(timeout) = &request.timeout {
            call = call.timeout(convert::timeout(timeout)?);
        }
        let output = call
            .customize()
            .config_override(
                aws_sdk_batch::config::Config::builder()
                    .retry_config(aws_sdk_batch::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(batch_error)?;
        Ok(SubmitJobResponse {
            job_arn: output.job_arn().unwrap_or_default().to_owned(),
            job_name: output.job_name().unwrap_or_default().to_owned(),
            job_id: output.job_id().unwrap_or_default().to_owned(),
        })
    }
}

#[async_trait]
impl BatchApi for AwsBatch {
    async fn submit_job(&self, request: SubmitJobRequest) -> Result<SubmitJobResponse, BatchError> {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match self.submit_once(&request).await {
                Err(e) if e.kind == BatchErrorKind::Throttling && attempt < SUBMIT_ATTEMPTS => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn describe_jobs(&self, job_ids: &[String]) -> Result<Vec<JobDetail>, BatchError> {
        if job_ids.len() > DESCRIBE_JOBS_MAX {
            return Err(BatchError::client(format!(
                "jobs: at most {DESCRIBE_JOBS_MAX} job ids per DescribeJobs call, got {}",
                job_ids.len()
            )));
        }
        let output = self
            .client
            .describe_jobs()
            .set_jobs(Some(job_ids.to_vec()))
            .send()
            .await
            .map_err(batch_error)?;
        Ok(output.jobs().iter().map(convert::job_detail).collect())
    }

    async fn list_jobs(&self, job_queue: &str, job_name: &str) -> Result<Vec<String>, BatchError> {
        let mut ids = Vec::new();
        let mut pages = self
            .client
            .list_jobs()
            .job_queue(job_queue)
            .filters(
                sdk::KeyValuesPair::builder()
                    .name("JOB_NAME")
                    .values(job_name)
                    .build(),
            )
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(batch_error)?;
            ids.extend(
                page.job_summary_list()
                    .iter()
                    .filter(|job| job.job_name() == Some(job_name))
                    .filter_map(|job| job.job_id().map(str::to_owned)),
            );
        }
        Ok(ids)
    }

    fn submit_window(&self) -> Duration {
        self.submit_window
    }

    async fn terminate_job(&self, job_id: &str, reason: &str) -> Result<(), BatchError> {
        self.client
            .terminate_job()
            .job_id(job_id)
            .reason(reason)
            .send()
            .await
            .map_err(batch_error)?;
        Ok(())
    }
}
