//! `pollflow serve` on a free port, for tests that drive it as a Step Functions endpoint.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_sfn::error::BoxError;
use aws_sdk_sfn::Client;

use super::command;

/// A `pollflow serve` process on a free port, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Server {
    pub(crate) fn start(args: &[&str]) -> Self {
        let mut all = vec!["serve", "--port", "0"];
        all.extend_from_slice(args);
        let mut child = command(&all)
            .stdout(Stdio::piped())
            .spawn()
            .expect("pollflow serve starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("a first line");
        // Read on, so that what the server prints later (`[notify] ...`) has a reader.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let url = first
            .trim()
            .strip_prefix("pollflow serve: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        Self { child, url }
    }

    /// Sends SIGTERM and waits (up to 10 s) for the server to exit; its exit status.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let begun = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                return status;
            }
            assert!(begun.elapsed().as_secs() < 10, "the server did not exit");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// A Step Functions client of the AWS SDK for Rust, pointed at the server.
    pub(crate) fn client(&self) -> Client {
        let config = aws_sdk_sfn::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("x", "x", None, None, "test"))
            .interceptor(NoSyncPrefix)
            .build();
        Client::from_conf(config)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `StartSyncExecution` to the endpoint as given: the SDK prefixes its host with `sync-`
/// (Step Functions' `sync-states.<region>.amazonaws.com`), which `127.0.0.1` cannot take.
#[derive(Debug)]
pub(crate) struct NoSyncPrefix;

impl Intercept for NoSyncPrefix {
    fn name(&self) -> &'static str {
        "NoSyncPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri().replacen("://sync-", "://", 1);
        context.request_mut().set_uri(uri)?;
        Ok(())
    }
}
