//! SIGINT and SIGTERM, received as values so a run can stop cleanly.

/// The interrupting signals, from the moment this is made until it is dropped (meanwhile
/// they no longer kill the process).
pub(crate) struct Interrupts {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Interrupts {
    /// Starts receiving SIGINT and SIGTERM (needs a tokio runtime). If that is impossible,
    /// [`Interrupts::next`] never returns and the signals keep their default action.
    pub(crate) fn receive() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = signal(SignalKind::interrupt())
                .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
                .ok();
            Self { signals }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// The next signal's number (2 for SIGINT, 15 for SIGTERM).
    pub(crate) async fn next(&mut self) -> i32 {
        #[cfg(unix)]
        {
            use nix::sys::signal::Signal::{SIGINT, SIGTERM};
            match &mut self.signals {
                Some((int, term)) => tokio::select! {
                    _ = int.recv() => SIGINT as i32,
                    _ = term.recv() => SIGTERM as i32,
                },
                None => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => 2,
                Err(_) => std::future::pending().await,
            }
        }
    }
}
