//! Batch job state-change events read from an SQS queue that an EventBridge rule feeds, and
//! delivered to the runs polling those jobs.

use std::fmt;
use std::time::Duration;

use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use pollflow::Engine;

use super::errors::classify;
use crate::JobStateChange;

/// The longest long poll SQS allows.
const MAX_WAIT: Duration = Duration::from_secs(20);
/// The most messages one `ReceiveMessage` returns.
const MAX_MESSAGES: i32 = 10;
/// The pause after a transient failure to receive, doubled up to [`MAX_PAUSE`] while they last.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// Reads "Batch Job State Change" events from an SQS queue with long polling, and delivers
/// each job's status to the run polling that job ([`Engine::push_status`]): its wait ends
/// when the event arrives, and polling stays the fallback for events that never come.
///
/// The queue is the target of an EventBridge rule matching AWS Batch's events (see
/// `docs/push.md` for the rule, the queue and its policy). Every message read is deleted,
/// whether it was a job's status change or not, so start delivering once the engine's runs
/// are started or recovered ([`Engine::recover`](pollflow::Engine::recover)): a status no run
/// polls is dropped (its job, if any, is polled as usual). Give each process its own queue: a
/// message is delivered to one reader.
///
/// ```no_run
/// use pollflow_batch::aws::{load_config, SqsJobEvents};
/// # async fn demo(engine: pollflow::Engine) {
/// let config = load_config(None).await;
/// let events = SqsJobEvents::new(&config, "https://sqs.us-east-1.amazonaws.com/123456789012/batch-events");
/// // Runs on beside the engine's runs; it returns only if the queue cannot be read at all.
/// let error = events.deliver_to(&engine).await;
/// eprintln!("job events stopped ({error}); runs go on by polling");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SqsJobEvents {
    client: Client,
    queue_url: String,
    wait: Duration,
}

/// What one receive read.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Received {
    /// The job state changes, in the order SQS returned them (not necessarily the order they
    /// happened: a standard queue does not keep it).
    pub changes: Vec<JobStateChange>,
    /// Messages that were not AWS Batch job state changes (deleted all the same).
    pub ignored: usize,
}

/// Reading a queue failed.
#[derive(Debug)]
pub struct SqsError {
    transient: bool,
    message: String,
}

impl SqsError {
    /// Whether trying again later may succeed (throttling, a server fault, no connection), as
    /// the AWS SDK's retry classifiers judge it; otherwise the request itself is wrong (no such
    /// queue, no permission).
    pub fn is_transient(&self) -> bool {
        self.transient
    }
}

impl fmt::Display for SqsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqsError {}

impl SqsJobEvents {
    /// Reads the queue at `queue_url` with AWS configuration `config` (see
    /// [`load_config`](super::load_config)), waiting up to 20 s per receive.
    pub fn new(config: &aws_config::SdkConfig, queue_url: impl Into<String>) -> Self {
        Self::from_client(Client::new(config), queue_url)
    }

    /// [`SqsJobEvents::new`] with a ready SQS client.
    pub fn from_client(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            wait: MAX_WAIT,
        }
    }

    /// How long one receive waits for a message (its long poll): whole seconds, from 1 s
    /// (shorter rounds up: a zero wait would be short polling, a request per round trip in
    /// `deliver_to`'s loop) to 20 s (SQS's limit).
    #[must_use]
    pub fn with_wait_time(mut self, wait: Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        self.wait = Duration::from_secs(seconds).clamp(Duration::from_secs(1), MAX_WAIT);
        self
    }

    /// One receive: waits up to the wait time for messages, returns the job state changes
    /// among them, and deletes every message it read.
    ///
    /// # Errors
    /// The receive failed (see [`SqsError::is_transient`]). A failed delete is not an error:
    /// its messages come again after the queue's visibility timeout, and a status delivered
    /// twice changes nothing.
    pub async fn receive(&self) -> Result<Received, SqsError> {
        let wait = i32::try_from(self.wait.as_secs()).unwrap_or(20);
        let answer = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .wait_time_seconds(wait)
            .max_number_of_messages(MAX_MESSAGES)
            .send()
            .await
            .map_err(|e| {
                let failure = classify(&e);
                SqsError {
                    transient: !matches!(failure.kind, crate::BatchErrorKind::Client),
                    message: format!(
                        "receiving from {}: {}: {}",
                        self.queue_url, failure.code, failure.message
                    ),
                }
            })?;
        let mut received = Received::default();
        let mut read = Vec::new();
        for (n, message) in answer.messages().iter().enumerate() {
            match message.body().and_then(job_state_change) {
                Some(change) => received.changes.push(change),
                None => received.ignored += 1,
            }
            if let Some(receipt) = message.receipt_handle() {
                read.push(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(n.to_string())
                        .receipt_handle(receipt)
                        .build()
                        .expect("id and receipt handle are set"),
                );
            }
        }
        if !read.is_empty() {
            // Best effort: what is not deleted comes again, and is delivered again harmlessly.
            let _ = self
                .client
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(read))
                .send()
                .await;
        }
        Ok(received)
    }

    /// Receives for as long as the queue can be read, delivering each job's status to the run
    /// of `engine` polling it (an engine built with
    /// [`push`](pollflow::EngineBuilder::push)). Transient failures are retried after a pause
    /// (1 s, doubling up to 30 s); the first other failure is returned. Stop it early by
    /// dropping the future (aborting its task).
    pub async fn deliver_to(&self, engine: &Engine) -> SqsError {
        let mut pause = FIRST_PAUSE;
        loop {
            match self.receive().await {
                Ok(received) => {
                    pause = FIRST_PAUSE;
                    for change in &received.changes {
                        let (handle, status) = change.job_status();
                        engine.push_status(&handle, status);
                    }
                }
                Err(e) if e.is_transient() => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                Err(e) => return e,
            }
        }
    }
}

/// The job state change a message body holds: an EventBridge event from `aws.batch` of type
/// "Batch Job State Change" whose detail reads as a job — as the rule sent it, or inside the
/// envelope of an SNS topic the rule fans out through (a subscription without raw delivery).
fn job_state_change(body: &str) -> Option<JobStateChange> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let event = match (&value["Type"], &value["Message"]) {
        (serde_json::Value::String(kind), serde_json::Value::String(message))
            if kind == "Notification" =>
        {
            serde_json::from_str(message).ok()?
        }
        _ => value,
    };
    let change: JobStateChange = serde_json::from_value(event).ok()?;
    (change.source == JobStateChange::SOURCE && change.detail_type == JobStateChange::DETAIL_TYPE)
        .then_some(change)
}

#[cfg(test)]
mod tests {
    use super::job_state_change;

    #[test]
    fn only_batch_job_state_changes_are_read() {
        let detail = r#"{"jobArn": "arn:aws:batch:us-east-1:1:job/j", "jobName": "n", "jobId": "j",
            "jobQueue": "q", "status": "SUCCEEDED", "createdAt": 1, "jobDefinition": "d"}"#;
        let event = |source: &str, kind: &str| {
            format!(r#"{{"source": "{source}", "detail-type": "{kind}", "detail": {detail}}}"#)
        };
        let change = job_state_change(&event("aws.batch", "Batch Job State Change")).unwrap();
        assert_eq!(change.detail.job_id, "j");
        assert!(change.job_status().1.is_terminal());
        assert!(job_state_change(&event("aws.ecs", "Batch Job State Change")).is_none());
        assert!(job_state_change(&event("aws.batch", "Job Queue State Change")).is_none());
        assert!(job_state_change("not json").is_none());
        // Through an SNS topic without raw delivery: the event is the envelope's Message.
        let wrapped = serde_json::json!({
            "Type": "Notification",
            "MessageId": "m",
            "TopicArn": "arn:aws:sns:us-east-1:1:batch-events",
            "Message": event("aws.batch", "Batch Job State Change"),
        });
        let change = job_state_change(&wrapped.to_string()).expect("unwrapped");
        assert_eq!(change.detail.job_id, "j");
        assert!(job_state_change(
            r#"{"source": "aws.batch", "detail-type": "Batch Job State Change", "detail": {}}"#
        )
        .is_none());
    }

    /// The example event of AWS Batch's user guide ("Job state change events"), but FAILED
    /// with an attempt that never started (its `startedAt` left out, as AWS may).
    #[test]
    fn aws_batch_events_as_eventbridge_sends_them_are_read() {
        let body = r#"{
          "version": "0",
          "id": "c8f9c4b5-76e5-d76a-f980-7011e206042b",
          "detail-type": "Batch Job State Change",
          "source": "aws.batch",
          "account": "123456789012",
          "time": "2022-01-11T23:36:40Z",
          "region": "us-east-1",
          "resources": ["arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8"],
          "detail": {
            "jobArn": "arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
            "jobName": "event-test",
            "jobId": "4c7599ae-0a82-49aa-ba5a-4727fcce14a8",
            "jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/PexjEHappyPathCanary2JobQueue",
            "status": "FAILED",
            "attempts": [{"container": {"reason": "CannotPullContainerError"}, "stoppedAt": 1641944300000,
                          "statusReason": "Task failed to start"}],
            "createdAt": 1641944200058,
            "retryStrategy": {"attempts": 2, "evaluateOnExit": []},
            "dependsOn": [],
            "jobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/first-run-job-definition:1",
            "parameters": {},
            "container": {
              "image": "137112412989.dkr.ecr.us-east-1.amazonaws.com/amazonlinux:latest",
              "command": ["sleep", "600"],
              "volumes": [],
              "environment": [],
              "mountPoints": [],
              "ulimits": [],
              "networkInterfaces": [],
              "resourceRequirements": [{"value": "2", "type": "VCPU"}, {"value": "256", "type": "MEMORY"}],
              "secrets": []
            },
            "tags": {"resourceArn": "arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8"},
            "propagateTags": false,
            "platformCapabilities": []
          }
        }"#;
        let change = job_state_change(body).expect("AWS's event reads");
        assert_eq!(change.account, "123456789012");
        assert_eq!(change.detail.attempts[0].started_at, 0);
        let (handle, status) = change.job_status();
        assert_eq!(handle, "4c7599ae-0a82-49aa-ba5a-4727fcce14a8");
        assert!(matches!(status, pollflow::JobStatus::Failed { .. }));
    }
}
