//! The "Batch Job State Change" event, as AWS Batch sends it to EventBridge: what the local
//! Batch's subscribers get, and what [`SqsJobEvents`](crate::aws::SqsJobEvents) reads from SQS.

use pollflow::JobStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{BatchJobStatus, JobDetail};

/// A "Batch Job State Change" event, as EventBridge delivers AWS Batch's: one each time a job
/// changes status after it was submitted (none for the submission itself), with the job as
/// `DescribeJobs` describes it in `detail`. Serializes to AWS's JSON (`detail-type`, `source`:
/// `aws.batch`, ...), so code written against EventBridge's events reads these as they are.
/// Reading one needs only `detail-type`, `source` and `detail`: the envelope's other fields
/// default to empty (some AWS-compatible servers leave `account` out).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobStateChange {
    /// `"0"`.
    #[serde(default)]
    pub version: String,
    /// The event's id (a UUID).
    #[serde(default)]
    pub id: String,
    /// `"Batch Job State Change"`.
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// `"aws.batch"`.
    pub source: String,
    /// The account (the local Batch's is `000000000000`).
    #[serde(default)]
    pub account: String,
    /// When the job changed status (RFC 3339, to the second, UTC).
    #[serde(default)]
    pub time: String,
    /// The region (the local Batch's is `"local"`).
    #[serde(default)]
    pub region: String,
    /// The job's ARN.
    #[serde(default)]
    pub resources: Vec<String>,
    /// The job, with the status it changed to.
    pub detail: JobDetail,
}

impl JobStateChange {
    /// The `source` of AWS Batch's events.
    pub const SOURCE: &'static str = "aws.batch";
    /// The `detail-type` of a job's status change.
    pub const DETAIL_TYPE: &'static str = "Batch Job State Change";

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

    /// The event of `detail`'s change to `status` at `now` (ms since the epoch), as the local
    /// Batch sends it.
    pub(crate) fn new(id: String, mut detail: JobDetail, status: BatchJobStatus, now: u64) -> Self {
        detail.status = status;
        Self {
            version: "0".into(),
            id,
            detail_type: Self::DETAIL_TYPE.into(),
            source: Self::SOURCE.into(),
            account: "000000000000".into(),
            time: rfc3339_seconds(now / 1000),
            region: "local".into(),
            resources: vec![detail.job_arn.clone()],
            detail,
        }
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
