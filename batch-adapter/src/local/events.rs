//! Job state-change events of the local Batch, in the shape AWS Batch sends to EventBridge.

use std::sync::Arc;

use pollflow::JobStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::model::{BatchJobStatus, JobDetail};

/// The events a subscriber may fall behind by before it misses some
/// ([`JobEvents::missed`]).
pub(super) const BACKLOG: usize = 1024;

/// A "Batch Job State Change" event, as EventBridge delivers AWS Batch's: one each time a job
/// changes status after it was submitted (none for the submission itself), with the job as
/// `DescribeJobs` describes it in `detail`. Serializes to AWS's JSON (`detail-type`, `source`:
/// `aws.batch`, ...), so code written against EventBridge's events reads these as they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobStateChange {
    /// `"0"`.
    pub version: String,
    /// The event's id (a UUID).
    pub id: String,
    /// `"Batch Job State Change"`.
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// `"aws.batch"`.
    pub source: String,
    /// The local Batch's account, `000000000000`.
    pub account: String,
    /// When the job changed status (RFC 3339, to the second, UTC).
    pub time: String,
    /// `"local"`.
    pub region: String,
    /// The job's ARN.
    pub resources: Vec<String>,
    /// The job, with the status it changed to.
    pub detail: JobDetail,
}

impl JobStateChange {
    /// The job's handle (its id, as [`BatchPoller`](crate::BatchPoller) submits it) and its
    /// status as a check would report it: what
    /// [`Engine::push_status`](pollflow::Engine::push_status) takes, so that the run polling
    /// the job ends its wait now.
    pub fn job_status(&self) -> (Value, JobStatus) {
        (
            Value::String(self.detail.job_id.clone()),
            crate::poller::job_status(&self.detail),
        )
    }

    /// The event of `detail`'s change to `status` at `now` (ms since the epoch).
    pub(super) fn new(id: String, mut detail: JobDetail, status: BatchJobStatus, now: u64) -> Self {
        detail.status = status;
        Self {
            version: "0".into(),
            id,
            detail_type: "Batch Job State Change".into(),
            source: "aws.batch".into(),
            account: "000000000000".into(),
            time: rfc3339_seconds(now / 1000),
            region: "local".into(),
            resources: vec![detail.job_arn.clone()],
            detail,
        }
    }
}

/// The job state-change events of a [`LocalBatch`](super::LocalBatch) from the moment of
/// [`subscribe`](super::LocalBatch::subscribe), in the order the changes happened.
#[derive(Debug)]
pub struct JobEvents {
    receiver: broadcast::Receiver<Arc<JobStateChange>>,
    missed: u64,
}

impl JobEvents {
    pub(super) fn new(receiver: broadcast::Receiver<Arc<JobStateChange>>) -> Self {
        Self {
            receiver,
            missed: 0,
        }
    }

    /// The next event; `None` once the Batch (every clone of it) is gone. A subscriber that
    /// falls more than 1,024 events behind skips the oldest (counted by
    /// [`missed`](Self::missed)): events end waits early, and polling covers what they miss.
    pub async fn next(&mut self) -> Option<Arc<JobStateChange>> {
        loop {
            match self.receiver.recv().await {
                Ok(event) => return Some(event),
                Err(broadcast::error::RecvError::Lagged(skipped)) => self.missed += skipped,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// How many events this subscriber skipped because it fell behind.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}

/// `seconds` since the epoch as `YYYY-MM-DDThh:mm:ssZ` (the civil-from-days conversion of
/// Howard Hinnant's date algorithms).
fn rfc3339_seconds(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX);
    let of_day = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339_seconds;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_seconds(1_641_944_200), "2022-01-11T23:36:40Z"); // AWS's example
        assert_eq!(rfc3339_seconds(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_seconds(4_107_542_399), "2100-02-28T23:59:59Z");
    }
}
