//! A local Batch's jobs kept in a file ([`LocalBatch::with_journal`](super::LocalBatch::with_journal)),
//! so that a process that stops and starts again still has them.
//!
//! Each change rewrites the whole file (a new file, flushed to disk, then renamed over the
//! old one: a crash leaves the old file or the new one, never half of one). That costs
//! O(jobs) per change: meant for the jobs of a laptop, not for a fleet's.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::api::{BatchError, BatchErrorKind};
use crate::model::{BatchJobStatus, JobDetail};

/// The file's format version: what this release writes and reads.
const VERSION: u32 = 1;

/// A job as the journal keeps it: what `DescribeJobs` shows, and the bookkeeping beside it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SavedJob {
    pub(crate) detail: JobDetail,
    pub(crate) queue: String,
    #[serde(default)]
    pub(crate) deps: Vec<String>,
    #[serde(default)]
    pub(crate) children: Vec<String>,
    #[serde(default)]
    pub(crate) parent: Option<String>,
    #[serde(default)]
    pub(crate) history: Vec<(BatchJobStatus, u64)>,
    /// Why the job is being terminated, when it is.
    #[serde(default)]
    pub(crate) terminating: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct File1<J> {
    version: u32,
    jobs: Vec<J>,
}

/// Where a local Batch's jobs are kept.
pub(crate) struct Journal {
    path: PathBuf,
}

fn journal_error(path: &Path, doing: &str) -> impl FnOnce(std::io::Error) -> BatchError {
    let (path, doing) = (path.to_owned(), doing.to_owned());
    move |e| {
        BatchError::new(
            BatchErrorKind::Server,
            format!("local Batch journal {}: {doing}", path.display()),
        )
        .with_source(e)
    }
}

impl Journal {
    /// The journal at `path` and the jobs it holds (none when the file does not exist).
    pub(crate) fn open(path: PathBuf) -> Result<(Self, Vec<SavedJob>), BatchError> {
        let jobs = match fs::read(&path) {
            Ok(bytes) => {
                let file: File1<SavedJob> = serde_json::from_slice(&bytes).map_err(|e| {
                    BatchError::client(format!(
                        "local Batch journal {}: not a journal of this release: {e}",
                        path.display()
                    ))
                })?;
                if file.version != VERSION {
                    return Err(BatchError::client(format!(
                        "local Batch journal {}: format version {} is not one this release reads (it reads version {VERSION})",
                        path.display(),
                        file.version
                    )));
                }
                file.jobs
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(journal_error(&path, "cannot read it")(e)),
        };
        Ok((Self { path }, jobs))
    }

    /// Replaces the file's jobs with `jobs`, durably.
    pub(crate) fn write<'a>(
        &self,
        jobs: impl Iterator<Item = SavedJobRef<'a>>,
    ) -> Result<(), BatchError> {
        let file = File1 {
            version: VERSION,
            jobs: jobs.collect(),
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| {
            BatchError::new(
                BatchErrorKind::Server,
                "local Batch journal: cannot encode jobs",
            )
            .with_source(e)
        })?;
        let mut temporary = self.path.clone().into_os_string();
        temporary.push(".new");
        let temporary = PathBuf::from(temporary);
        let mut out =
            File::create(&temporary).map_err(journal_error(&temporary, "cannot create it"))?;
        out.write_all(&bytes)
            .and_then(|()| out.sync_all())
            .map_err(journal_error(&temporary, "cannot write it"))?;
        fs::rename(&temporary, &self.path).map_err(journal_error(&self.path, "cannot replace it"))
    }
}

/// [`SavedJob`], borrowed from the live state for writing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SavedJobRef<'a> {
    pub(crate) detail: &'a JobDetail,
    pub(crate) queue: &'a str,
    pub(crate) deps: &'a [String],
    pub(crate) children: &'a [String],
    pub(crate) parent: Option<&'a str>,
    pub(crate) history: &'a [(BatchJobStatus, u64)],
    pub(crate) terminating: Option<&'a str>,
}
