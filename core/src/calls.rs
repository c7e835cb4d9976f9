//! The calls a [`Run`](crate::Run) has in flight: at most one per route — the execution's own
//! (kept inline: most runs never have another) and each Parallel/Map branch's.

use std::task::{Context, Poll};

use futures::future::LocalBoxFuture;

use crate::clock::Sleep;
use crate::execution::Completion;

pub(crate) enum Pending {
    Sleep(Sleep),
    Call(LocalBoxFuture<'static, Completion>),
}

impl Pending {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Completion> {
        match self {
            Self::Sleep(sleep) => sleep.as_mut().poll(cx).map(|()| Completion::Slept),
            Self::Call(call) => call.as_mut().poll(cx),
        }
    }
}

#[derive(Default)]
pub(crate) struct Calls {
    own: Option<Pending>,
    branches: Vec<(Vec<u32>, Pending)>,
}

impl Calls {
    /// Starts a call at `route` in place of any earlier call there.
    pub(crate) fn start(&mut self, route: Vec<u32>, pending: Pending) {
        if route.is_empty() {
            self.own = Some(pending);
        } else {
            self.branches.retain(|(at, _)| *at != route);
            self.branches.push((route, pending));
        }
    }

    /// The first call that is done (in the order started), with its route.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Option<(Vec<u32>, Completion)> {
        if let Some(own) = &mut self.own {
            if let Poll::Ready(completion) = own.poll(cx) {
                self.own = None;
                return Some((Vec::new(), completion));
            }
        }
        let (k, completion) =
            self.branches
                .iter_mut()
                .enumerate()
                .find_map(|(k, (_, pending))| match pending.poll(cx) {
                    Poll::Ready(completion) => Some((k, completion)),
                    Poll::Pending => None,
                })?;
        Some((self.branches.remove(k).0, completion))
    }

    /// Keeps only the calls whose route `keep` accepts.
    pub(crate) fn retain(&mut self, keep: impl Fn(&[u32]) -> bool) {
        if !keep(&[]) {
            self.own = None;
        }
        self.branches.retain(|(route, _)| keep(route));
    }

    pub(crate) fn clear(&mut self) {
        self.own = None;
        self.branches.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.own.is_none() && self.branches.is_empty()
    }
}
