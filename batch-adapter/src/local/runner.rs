//! Runs one attempt of a job as a child process: timeout, termination, exit code.

use std::future::pending;
use std::process::Stdio;

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use super::state::{Exit, Launch, TIMED_OUT};
use super::{now_ms, LocalBatch};

/// Runs `launch` on the tokio runtime and reports its end to `batch`.
pub(crate) fn spawn(batch: LocalBatch, launch: Launch) {
    tokio::spawn(run(batch, launch));
}

async fn run(batch: LocalBatch, launch: Launch) {
    let started_at = now_ms();
    let log = launch.log_path.display().to_string();
    let exit = match start(&launch) {
        Err(e) => Exit {
            code: None,
            reason: Some(format!(
                "CannotStartContainerError: {}: {e}",
                launch.command[0]
            )),
            started_at,
            log: None,
        },
        Ok(mut child) => {
            let (kill, killed) = oneshot::channel();
            {
                let mut state = batch.lock();
                state.started(&launch.job_id, launch.attempt, kill, now_ms());
                batch.persist_changed(&mut state);
            }
            let timeout = async {
                match launch.timeout {
                    Some(limit) => tokio::time::sleep(limit).await,
                    None => pending().await,
                }
            };
            // A dropped sender only means nobody can kill this attempt any more.
            let killed = async {
                match killed.await {
                    Ok(reason) => reason,
                    Err(_) => pending().await,
                }
            };
            let reason = tokio::select! {
                status = child.wait() => {
                    let code = status.ok().and_then(|s| s.code());
                    let reason = code.is_none().then(|| "Process was killed by a signal".to_owned());
                    Err((code, reason))
                }
                () = timeout => Ok(TIMED_OUT.to_owned()),
                reason = killed => Ok(reason),
            };
            let (code, reason) = match reason {
                Err(ended) => ended,
                Ok(reason) => {
                    kill_tree(&mut child).await;
                    (None, Some(reason))
                }
            };
            Exit {
                code,
                reason,
                started_at,
                log: Some(log),
            }
        }
    };
    {
        let mut state = batch.lock();
        state.exited(&launch.job_id, exit, now_ms());
        batch.persist_changed(&mut state);
    }
    batch.schedule();
}

fn start(launch: &Launch) -> std::io::Result<Child> {
    if let Some(dir) = launch.log_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let log = std::fs::File::create(&launch.log_path)?;
    let mut command = Command::new(&launch.command[0]);
    command
        .args(&launch.command[1..])
        .envs(launch.environment.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);
    // Its own process group, so that killing the job kills what it started too.
    #[cfg(unix)]
    command.process_group(0);
    command.spawn()
}

/// Kills the attempt's process and everything in its process group, and reaps it.
async fn kill_tree(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status()
            .await;
    }
    let _ = child.kill().await;
}
