//! A process group that is killed as a whole when it is dropped.

use tokio::process::Child;

/// The process group a command was started in (`Command::process_group(0)`: its id is the
/// leader's pid). Dropping it kills every process left in it.
pub(super) struct ProcessGroup {
    /// `None` once the group has been killed, or when the child had no pid.
    leader: Option<u32>,
}

impl ProcessGroup {
    /// The group `child` leads.
    pub(super) fn led_by(child: &Child) -> Self {
        Self { leader: child.id() }
    }

    /// Sends SIGKILL to every process in the group, once.
    pub(super) fn kill(&mut self) {
        if let Some(leader) = self.leader.take() {
            kill_group(leader);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(unix)]
fn kill_group(leader: u32) {
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;

    if let Ok(pgid) = i32::try_from(leader) {
        // ESRCH: every process of the group has exited already.
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

/// Elsewhere there are no process groups: the child itself is killed on drop
/// (`kill_on_drop`).
#[cfg(not(unix))]
fn kill_group(_leader: u32) {}
