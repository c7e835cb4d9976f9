//! `--task STATE=COMMAND`: Task states served by shell commands.
//!
//! A command runs through `sh -c` in a process group of its own, with the state's effective
//! input as JSON on stdin and its JSON result read from stdout, both streamed at once. The
//! task ends when `sh` exits: the group is killed then (whatever it left running goes), and on
//! a timeout, an abort, or when pollflow exits. Output past a cap fails the task with
//! `States.DataLimitExceeded`.

mod command;
mod group;
mod job;
mod task;

pub(crate) use command::ShellCommand;
pub(crate) use job::ShellJob;
pub(crate) use task::{ShellCallback, ShellTask};
