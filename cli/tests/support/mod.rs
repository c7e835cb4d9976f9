//! Running the built `pollflow` binary from tests.

#![allow(dead_code)] // Each test binary uses some of these.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) mod server;

/// `pollflow ARGS`, run from the workspace root.
pub(crate) fn pollflow(args: &[&str]) -> Output {
    command(args).output().expect("the binary runs")
}

/// `pollflow ARGS`, not started yet.
pub(crate) fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pollflow"));
    command
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    command
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The last line of stdout, which is the execution's output.
pub(crate) fn last_line(output: &Output) -> Value {
    let text = stdout(output);
    serde_json::from_str(text.lines().last().unwrap_or_default()).expect("the last line is JSON")
}

/// A file in the temp directory, unique to this test process.
pub(crate) fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pollflow-cli-{}-{name}", std::process::id()))
}

/// Writes a definition to a temp file; returns its path.
pub(crate) fn write(name: &str, definition: &Value) -> String {
    let path = temp_path(&format!("{name}.asl.json"));
    std::fs::write(&path, definition.to_string()).expect("temp file");
    path.to_string_lossy().into_owned()
}

/// Waits up to 10 s for `path` to hold a process id.
pub(crate) fn read_pid(path: &PathBuf) -> u32 {
    let started = Instant::now();
    loop {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no pid in {path:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` is gone (or a zombie waiting to be reaped: it was killed) within 5 s.
pub(crate) fn gone(pid: u32) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let alive = Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z'))
        });
        if !alive || zombie {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Sends `signal` (`TERM`, `INT`) to process `pid`.
pub(crate) fn signal(pid: u32, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}
