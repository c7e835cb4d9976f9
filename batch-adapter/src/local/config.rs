//! Job queues and job definitions of the local Batch, in AWS's JSON shapes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::api::BatchError;
use crate::model::{JobTimeout, KeyValuePair, RetryStrategy};

/// Everything a local Batch needs, as loaded from a JSON file:
///
/// ```json
/// {
///   "jobQueues": [{ "jobQueueName": "SampleJobQueue", "maxConcurrency": 2 }],
///   "jobDefinitions": [{
///     "jobDefinitionName": "SampleJobDefinition",
///     "containerProperties": { "command": ["sh", "-c", "sleep Ref::seconds"] },
///     "parameters": { "seconds": "3" }
///   }]
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalBatchConfig {
    /// Queues.
    #[serde(default)]
    pub job_queues: Vec<JobQueue>,
    /// Definitions.
    #[serde(default)]
    pub job_definitions: Vec<JobDefinition>,
}

impl LocalBatchConfig {
    /// Reads a configuration file (the JSON above); a file that cannot be read or is not such
    /// a configuration is a `ClientException` naming the file.
    ///
    /// ```
    /// use pollflow_batch::{LocalBatch, LocalBatchConfig};
    ///
    /// let path = std::env::temp_dir().join(format!("local-batch-doc-{}.json", std::process::id()));
    /// std::fs::write(&path, r#"{"jobQueues": [{"jobQueueName": "q", "maxConcurrency": 1}]}"#).unwrap();
    /// let config = LocalBatchConfig::from_file(&path)?;
    /// assert_eq!(config.job_queues[0].job_queue_name, "q");
    /// let batch = LocalBatch::from_config(config);
    /// # let _ = (batch, std::fs::remove_file(&path));
    /// assert!(LocalBatchConfig::from_file("/no/such/file.json").is_err());
    /// # Ok::<(), pollflow_batch::BatchError>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, BatchError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| BatchError::client(format!("cannot read {}: {e}", path.display())))?;
        serde_json::from_str(&text)
            .map_err(|e| BatchError::client(format!("{}: {e}", path.display())))
    }
}

/// A job queue and the capacity behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobQueue {
    /// Queue name.
    pub job_queue_name: String,
    /// Jobs of this queue that may run at once (a compute environment's capacity).
    pub max_concurrency: usize,
}

impl JobQueue {
    /// A queue running at most `max_concurrency` jobs at once; the others wait RUNNABLE.
    ///
    /// ```
    /// use pollflow_batch::{JobQueue, LocalBatch};
    ///
    /// let batch = LocalBatch::new().with_queue(JobQueue::new("SampleJobQueue", 2));
    /// # let _ = batch;
    /// ```
    pub fn new(name: impl Into<String>, max_concurrency: usize) -> Self {
        Self {
            job_queue_name: name.into(),
            max_concurrency,
        }
    }
}

/// A job definition: what a job runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobDefinition {
    /// Definition name.
    pub job_definition_name: String,
    /// `container` (the only type the local Batch runs).
    #[serde(default = "container", rename = "type")]
    pub kind: String,
    /// The command and environment.
    pub container_properties: ContainerProperties,
    /// Default values for `Ref::name` placeholders.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// Default retry strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_strategy: Option<RetryStrategy>,
    /// Default timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<JobTimeout>,
}

fn container() -> String {
    "container".into()
}

/// `containerProperties`: the command runs as a local child process (argv, no shell).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerProperties {
    /// The program and its arguments; `Ref::name` is replaced by the parameter `name`.
    pub command: Vec<String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
}

impl JobDefinition {
    /// A definition running `command` (a program and its arguments, no shell); `Ref::name`
    /// in an argument is replaced by the parameter `name`.
    ///
    /// ```
    /// use pollflow_batch::model::RetryStrategy;
    /// use pollflow_batch::JobDefinition;
    ///
    /// let definition = JobDefinition::new("copy", ["cp", "Ref::from", "Ref::to"])
    ///     .parameter("from", "in.txt")
    ///     .parameter("to", "out.txt")
    ///     .retry_strategy(RetryStrategy { attempts: 3, evaluate_on_exit: Vec::new() })
    ///     .timeout_seconds(60);
    /// assert_eq!(definition.container_properties.command, ["cp", "Ref::from", "Ref::to"]);
    /// ```
    pub fn new(
        name: impl Into<String>,
        command: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            job_definition_name: name.into(),
            kind: container(),
            container_properties: ContainerProperties {
                command: command.into_iter().map(Into::into).collect(),
                environment: Vec::new(),
            },
            parameters: BTreeMap::new(),
            retry_strategy: None,
            timeout: None,
        }
    }

    /// A definition running `script` with `sh -c`.
    ///
    /// ```
    /// use pollflow_batch::JobDefinition;
    ///
    /// let definition = JobDefinition::shell("count", "for i in $(seq 1 Ref::n); do echo $i; done")
    ///     .parameter("n", "3");
    /// assert_eq!(definition.container_properties.command[..2], ["sh", "-c"]);
    /// ```
    pub fn shell(name: impl Into<String>, script: impl Into<String>) -> Self {
        Self::new(name, ["sh".to_owned(), "-c".to_owned(), script.into()])
    }

    /// Sets a default parameter.
    #[must_use]
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.insert(name.into(), value.into());
        self
    }

    /// Sets the default retry strategy.
    #[must_use]
    pub fn retry_strategy(mut self, strategy: RetryStrategy) -> Self {
        self.retry_strategy = Some(strategy);
        self
    }

    /// Sets the default per-attempt timeout.
    #[must_use]
    pub fn timeout_seconds(mut self, seconds: u64) -> Self {
        self.timeout = Some(JobTimeout {
            attempt_duration_seconds: seconds,
        });
        self
    }
}
