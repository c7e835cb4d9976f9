//! # pollflow-batch
//!
//! AWS Batch for [pollflow]: the [`BatchApi`] trait shaped like AWS Batch
//! (SubmitJob, DescribeJobs, TerminateJob, with AWS's JSON), an embedded [`LocalBatch`] that
//! runs job definitions as local processes (so everything works on a laptop with no AWS
//! account), a [`BatchPoller`] that lets the pollflow engine submit and poll Batch jobs, and a
//! [`LocalNotifier`].
//!
//! The crate root holds what a program starts with: the API and its error, the local Batch
//! and what configures it, the poller and the notifier. The rest lives in modules:
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`model`] | AWS Batch's request and response shapes: [`SubmitJobRequest`](model::SubmitJobRequest), [`JobDetail`](model::JobDetail), [`BatchJobStatus`](model::BatchJobStatus), ... |
//! | [`integrations`] | Step Functions' Batch and SNS service integrations as task handlers for ASL definitions |
//! | [`samples`] | the queues, definitions and inputs of the Step Functions sample projects |
//! | `aws` (feature `aws`) | `AwsBatch` (aws-sdk-batch), `SnsNotifier` (aws-sdk-sns), and `SqsJobEvents`: Batch's job state-change events from EventBridge through SQS (aws-sdk-sqs) |
//!
//! With the feature `aws`, the root also holds `DynamoDbStore`: durable runs in DynamoDB,
//! shared by a fleet of instances through leases.
//!
//! ```no_run
//! use std::time::Duration;
//! use pollflow::{Engine, Outcome, PollGroup, TokioClock, WaitPolicy, Workflow};
//! use pollflow::workflow::Choice;
//! use pollflow_batch::{BatchPoller, JobDefinition, JobQueue, LocalBatch};
//! use serde_json::json;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let batch = LocalBatch::new()
//!     .with_queue(JobQueue::new("SampleJobQueue", 2))
//!     .with_definition(JobDefinition::shell("SampleJobDefinition", "sleep 2"));
//! let workflow = Workflow::builder("Job Poller")
//!     .submit("Submit Job")
//!     .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(1)))
//!     .check("Get Job Status")
//!     .branch("Job Complete?", Choice::new())
//!     .build()?;
//! // One PollGroup per process: every execution's checks share DescribeJobs calls.
//! let poller = PollGroup::new(BatchPoller::new(batch), 100);
//! let engine = Engine::new(workflow, poller, TokioClock::new());
//! let input = json!({"jobName": "my-job", "jobQueue": "SampleJobQueue", "jobDefinition": "SampleJobDefinition"});
//! assert!(matches!(engine.start(input).outcome().await, Outcome::Succeeded { .. }));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
mod dynamodb_store;
mod export;
pub mod integrations;
mod job_state_change;
mod local;
pub mod model;
mod notifier;
mod poller;
pub mod samples;

pub use api::{BatchApi, BatchError, BatchErrorKind, DESCRIBE_JOBS_MAX};
#[cfg(feature = "aws")]
pub use dynamodb_store::DynamoDbStore;
pub use export::batch_sync_export;
pub use job_state_change::JobStateChange;
pub use local::{
    ContainerProperties, JobDefinition, JobEvents, JobQueue, LocalBatch, LocalBatchConfig,
};
pub use notifier::LocalNotifier;
pub use poller::{BatchPoller, SUBMIT_KEY_TAG};

/// This crate's README (its crates.io page), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctest;
