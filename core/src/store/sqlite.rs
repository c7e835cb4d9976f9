//! [`SqliteStore`]: runs kept in one SQLite file (feature `sqlite`).

use std::path::Path;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use futures::channel::oneshot;
use futures::FutureExt;
use rusqlite::{params, Connection};

use super::{Saved, Store, StoreError};
use crate::checkpoint::Checkpoint;
use crate::event::Outcome;
use crate::platform::BoxFuture;

/// The most writes one transaction commits.
const BATCH: usize = 4096;

/// Runs in one SQLite file (the library is built in: nothing to install), in WAL mode, each
/// commit flushed to disk (`synchronous = FULL`).
///
/// Writes go to one writer thread, which commits whatever has queued up since its last commit
/// in one transaction: thousands of runs saving at once share an fsync instead of paying one
/// each. Dropping the store commits what is queued, then closes the file.
///
/// ```
/// use pollflow::store::SqliteStore;
/// # let dir = std::env::temp_dir().join(format!("pollflow-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let store = SqliteStore::open(dir.join("runs.db"))?;
/// # Ok::<(), pollflow::store::StoreError>(())
/// ```
pub struct SqliteStore {
    ops: Option<mpsc::Sender<Op>>,
    writer: Option<JoinHandle<()>>,
}

enum Op {
    Save {
        run: String,
        workflow: String,
        checkpoint: String,
        done: oneshot::Sender<Result<(), StoreError>>,
    },
    Finish {
        run: String,
        workflow: String,
        checkpoint: String,
        outcome: String,
        done: oneshot::Sender<Result<(), StoreError>>,
    },
    Unfinished {
        workflow: String,
        reply: oneshot::Sender<Result<Vec<String>, StoreError>>,
    },
}

fn sql_error(doing: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::new(format!("sqlite store: {doing}")).with_source(e)
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`, and keeps it locked until the store
    /// is dropped: one store (one process) per file.
    ///
    /// # Errors
    /// The file cannot be opened, is not a SQLite database of this store, or another store
    /// has it open.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            StoreError::new(format!("sqlite store: cannot open {}", path.display())).with_source(e)
        })?;
        let in_use = |doing: &'static str| {
            move |e: rusqlite::Error| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                    StoreError::new(format!(
                        "sqlite store: {} is in use by another store (one process at a time: \
                         two would both recover, and run, the same runs)",
                        path.display()
                    ))
                    .with_source(e)
                }
                _ => sql_error(doing)(e),
            }
        };
        // One store per file: the lock is taken now and held until the store is dropped
        // (in exclusive mode, WAL needs no shared memory either).
        conn.pragma_update_and_check(None, "locking_mode", "exclusive", |row| {
            row.get::<_, String>(0)
        })
        .map_err(sql_error("setting exclusive locking"))?;
        conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get::<_, String>(0))
            .map_err(in_use("setting WAL mode"))?;
        conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
            .map_err(in_use("taking the file's lock"))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS runs (
                 id TEXT PRIMARY KEY,
                 workflow TEXT NOT NULL,
                 checkpoint TEXT NOT NULL,
                 outcome TEXT
             );
             CREATE INDEX IF NOT EXISTS unfinished_runs ON runs (workflow) WHERE outcome IS NULL;",
        )
        .map_err(sql_error("creating the runs table"))?;
        let (ops, queued) = mpsc::channel();
        let writer = thread::Builder::new()
            .name("pollflow-sqlite".into())
            .spawn(move || write(conn, &queued))
            .map_err(|e| StoreError::new("sqlite store: cannot start its writer").with_source(e))?;
        Ok(Self {
            ops: Some(ops),
            writer: Some(writer),
        })
    }

    fn send(&self, op: Op) {
        // The writer ends only when the store is dropped; an op it never took reports as much
        // through its dropped reply channel.
        if let Some(ops) = &self.ops {
            let _ = ops.send(op);
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        drop(self.ops.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// What a reply channel closed without an answer means.
fn gone() -> StoreError {
    StoreError::new("sqlite store: the writer stopped before answering")
}

fn saved(done: oneshot::Receiver<Result<(), StoreError>>) -> Saved {
    Box::pin(done.map(|answer| answer.unwrap_or_else(|_| Err(gone()))))
}

fn text<T: serde::Serialize>(value: &T) -> String {
    // Checkpoints and outcomes are JSON values and maps with string keys: they serialize.
    serde_json::to_string(value).unwrap_or_default()
}

impl Store for SqliteStore {
    fn save(&self, run: &str, checkpoint: &Checkpoint) -> Saved {
        let (done, answer) = oneshot::channel();
        self.send(Op::Save {
            run: run.to_owned(),
            workflow: checkpoint.workflow().to_owned(),
            checkpoint: text(checkpoint),
            done,
        });
        saved(answer)
    }

    fn finish(&self, run: &str, checkpoint: &Checkpoint, outcome: &Outcome) -> Saved {
        let (done, answer) = oneshot::channel();
        self.send(Op::Finish {
            run: run.to_owned(),
            workflow: checkpoint.workflow().to_owned(),
            checkpoint: text(checkpoint),
            outcome: text(outcome),
            done,
        });
        saved(answer)
    }

    fn unfinished(
        &self,
        workflow: &str,
    ) -> BoxFuture<'static, Result<Vec<Checkpoint>, StoreError>> {
        let (reply, answer) = oneshot::channel();
        self.send(Op::Unfinished {
            workflow: workflow.to_owned(),
            reply,
        });
        Box::pin(answer.map(|answer| {
            answer
                .unwrap_or_else(|_| Err(gone()))?
                .iter()
                .map(|text| {
                    serde_json::from_str(text).map_err(|e| {
                        StoreError::new("sqlite store: a saved checkpoint does not load")
                            .with_source(e)
                    })
                })
                .collect()
        }))
    }
}

/// The writer thread: commits what has queued up, in one transaction, until the store closes.
fn write(mut conn: Connection, queued: &mpsc::Receiver<Op>) {
    while let Ok(first) = queued.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match queued.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        commit(&mut conn, batch);
    }
}

/// Applies `batch` in order in one transaction; answers each op once it is committed (or
/// failed).
fn commit(conn: &mut Connection, batch: Vec<Op>) {
    let mut answers = Vec::with_capacity(batch.len());
    let result = (|| {
        let tx = conn
            .transaction()
            .map_err(sql_error("beginning a transaction"))?;
        for op in batch {
            match op {
                Op::Save {
                    run,
                    workflow,
                    checkpoint,
                    done,
                } => {
                    tx.execute(
                        "INSERT INTO runs (id, workflow, checkpoint) VALUES (?1, ?2, ?3)
                         ON CONFLICT (id) DO UPDATE SET checkpoint = excluded.checkpoint
                         WHERE outcome IS NULL",
                        params![run, workflow, checkpoint],
                    )
                    .map_err(sql_error("saving a checkpoint"))?;
                    answers.push(Answer::Done(done));
                }
                Op::Finish {
                    run,
                    workflow,
                    checkpoint,
                    outcome,
                    done,
                } => {
                    tx.execute(
                        "INSERT INTO runs (id, workflow, checkpoint, outcome) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (id) DO UPDATE SET checkpoint = excluded.checkpoint,
                         outcome = excluded.outcome",
                        params![run, workflow, checkpoint, outcome],
                    )
                    .map_err(sql_error("saving an outcome"))?;
                    answers.push(Answer::Done(done));
                }
                Op::Unfinished { workflow, reply } => {
                    let rows = unfinished(&tx, &workflow);
                    answers.push(Answer::Rows(reply, rows));
                }
            }
        }
        tx.commit().map_err(sql_error("committing"))
    })();
    for answer in answers {
        match answer {
            Answer::Done(done) => {
                let _ = done.send(result.clone());
            }
            Answer::Rows(reply, rows) => {
                let _ = reply.send(result.clone().and(rows));
            }
        }
    }
}

enum Answer {
    Done(oneshot::Sender<Result<(), StoreError>>),
    Rows(
        oneshot::Sender<Result<Vec<String>, StoreError>>,
        Result<Vec<String>, StoreError>,
    ),
}

fn unfinished(conn: &Connection, workflow: &str) -> Result<Vec<String>, StoreError> {
    let mut query = conn
        .prepare_cached(
            "SELECT checkpoint FROM runs WHERE workflow = ?1 AND outcome IS NULL ORDER BY rowid",
        )
        .map_err(sql_error("reading unfinished runs"))?;
    let rows = query
        .query_map(params![workflow], |row| row.get::<_, String>(0))
        .map_err(sql_error("reading unfinished runs"))?;
    rows.collect::<Result<_, _>>()
        .map_err(sql_error("reading unfinished runs"))
}
