//! The resources of the Step Functions sample projects, for the local Batch.
//!
//! The seed inputs name their queue and definition by ARN; registering these names lets
//! those inputs run unchanged. The Job Poller sample's two Lambda functions are task handlers
//! (module `functions`).

mod functions;

use serde_json::{json, Value};

pub use functions::{job_poller_functions, CHECK_JOB_FUNCTION, SUBMIT_JOB_FUNCTION};

use crate::local::{JobDefinition, JobQueue, LocalBatchConfig};

/// The Job Poller sample's queue.
pub const SAMPLE_QUEUE: &str = "SampleJobQueue-4d9d696031e1449";
/// The Job Poller sample's definition: prints a line a second for `Ref::seconds` seconds (default 3).
pub const SAMPLE_DEFINITION: &str = "SampleJobDefinition-343f54b445d5312";
/// A definition that fails: exit code 3 after 2 seconds, with a message on stderr.
pub const FAILING_DEFINITION: &str = "FailingJobDefinition";
/// The Manage a Batch Job sample's queue.
pub const NOTIFICATION_QUEUE: &str = "BatchJobQueue-7049d367474b4dd";
/// The Manage a Batch Job sample's definition (the same job as [`SAMPLE_DEFINITION`]).
pub const NOTIFICATION_DEFINITION: &str = "BatchJobDefinition-74d55ec34c4643c";

/// Queues (two jobs at a time each) and definitions of both samples.
pub fn sample_config() -> LocalBatchConfig {
    let sample_job =
        "for i in $(seq 1 Ref::seconds); do echo \"step $i of Ref::seconds\"; sleep 1; done";
    LocalBatchConfig {
        job_queues: vec![
            JobQueue::new(SAMPLE_QUEUE, 2),
            JobQueue::new(NOTIFICATION_QUEUE, 2),
        ],
        job_definitions: vec![
            JobDefinition::shell(SAMPLE_DEFINITION, sample_job).parameter("seconds", "3"),
            JobDefinition::shell(NOTIFICATION_DEFINITION, sample_job).parameter("seconds", "3"),
            JobDefinition::shell(
                FAILING_DEFINITION,
                "echo starting; sleep 2; echo 'error: out of disk space' >&2; exit 3",
            ),
        ],
    }
}

/// The Job Poller sample's input (seed 001), with `wait_time` in seconds.
pub fn job_poller_input(wait_time: u64) -> Value {
    json!({
        "jobName": "my-job",
        "jobDefinition": format!("arn:aws:batch:us-east-2:123456789012:job-definition/{SAMPLE_DEFINITION}:1"),
        "jobQueue": format!("arn:aws:batch:us-east-2:123456789012:job-queue/{SAMPLE_QUEUE}"),
        "wait_time": wait_time
    })
}
