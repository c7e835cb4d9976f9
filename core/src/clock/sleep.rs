//! [`Sleep`]: the future a [`Clock`](super::Clock) returns.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::platform::{BoxFuture, SendOutsideWasm};

/// A sleep in progress, as [`Clock::sleep`](super::Clock::sleep) returns it (`Send` outside
/// wasm, like every future the engine holds).
///
/// A clock of your own wraps any future with [`Sleep::new`]; the built-in `TokioClock`'s
/// sleeps are held inline, without an allocation each.
///
/// ```
/// use std::time::Duration;
/// use pollflow::clock::Sleep;
///
/// let sleep = Sleep::new(async {});
/// futures::executor::block_on(sleep);
/// ```
pub struct Sleep(Inner);

enum Inner {
    Boxed(BoxFuture<'static, ()>),
    #[cfg(feature = "tokio")]
    Tokio(super::tokio_timers::TokioSleep),
}

impl Sleep {
    /// A sleep that completes when `future` does.
    pub fn new(future: impl Future<Output = ()> + SendOutsideWasm + 'static) -> Self {
        Self(Inner::Boxed(Box::pin(future)))
    }

    #[cfg(feature = "tokio")]
    pub(super) fn tokio(sleep: super::tokio_timers::TokioSleep) -> Self {
        Self(Inner::Tokio(sleep))
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.get_mut().0 {
            Inner::Boxed(sleep) => sleep.as_mut().poll(cx),
            #[cfg(feature = "tokio")]
            Inner::Tokio(sleep) => Pin::new(sleep).poll(cx),
        }
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep").finish_non_exhaustive()
    }
}
