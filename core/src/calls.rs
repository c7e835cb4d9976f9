//! The calls a [`Run`](crate::Run) has in flight: at most one per route — the execution's own
//! (kept inline: most runs never have another) and each Parallel/Map branch's. A branch call
//! is polled only when it is new or its waker fired, so a turn costs the calls that moved,
//! not every call in flight.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures::task::AtomicWaker;

use crate::clock::Sleep;
use crate::execution::Completion;
use crate::platform::BoxFuture;
use crate::workflow::AslOnly;

pub(crate) enum Pending {
    Sleep(Sleep),
    Call(BoxFuture<'static, Completion>),
}

impl Pending {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Completion> {
        match self {
            Self::Sleep(sleep) => Pin::new(sleep).poll(cx).map(|()| Completion::Slept),
            Self::Call(call) => call.as_mut().poll(cx),
        }
    }
}

/// The branch calls woken since the last turn, and the run's waker to wake with them.
#[derive(Default)]
struct Woken {
    calls: Mutex<Vec<u64>>,
    run: AtomicWaker,
}

/// A branch call's waker: marks the call woken, then wakes the run.
struct CallWaker {
    call: u64,
    woken: Arc<Woken>,
}

impl Wake for CallWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Ok(mut calls) = self.woken.calls.lock() {
            calls.push(self.call);
        }
        self.woken.run.wake();
    }
}

struct BranchCall {
    route: Vec<u32>,
    pending: Pending,
    waker: Waker,
}

#[derive(Default)]
pub(crate) struct Calls {
    own: Option<Pending>,
    /// Allocated with the first branch call: most runs never have one. Without the `asl`
    /// feature there are no branches: the marker makes this always `None`, and the branch
    /// bookkeeping compiles away.
    branches: Option<(AslOnly, Box<BranchCalls>)>,
}

#[derive(Default)]
struct BranchCalls {
    /// By number, which is their start order.
    calls: BTreeMap<u64, BranchCall>,
    /// The number of each route's call.
    routes: HashMap<Vec<u32>, u64>,
    next: u64,
    /// Calls to poll on the next turn: new ones and woken ones (stale numbers are skipped).
    due: BTreeSet<u64>,
    woken: Arc<Woken>,
}

impl Calls {
    /// Starts a call at `route` in place of any earlier call there (routes into branches exist
    /// only with the `asl` feature).
    pub(crate) fn start(&mut self, route: Vec<u32>, pending: Pending) {
        if route.is_empty() {
            self.own = Some(pending);
        } else if let Some(asl) = AslOnly::witness() {
            let (_, branches) = self.branches.get_or_insert_with(|| (asl, Box::default()));
            asl.run(|| branches.start(route, pending));
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
        let (asl, branches) = self.branches.as_mut()?;
        asl.run(|| branches.poll(cx))
    }

    /// Keeps only the calls whose route `keep` accepts.
    pub(crate) fn retain(&mut self, keep: impl Fn(&[u32]) -> bool) {
        if !keep(&[]) {
            self.own = None;
        }
        if let Some((asl, branches)) = &mut self.branches {
            asl.run(|| {
                branches.calls.retain(|_, branch| keep(&branch.route));
                branches.routes.retain(|route, _| keep(route));
            });
        }
    }

    pub(crate) fn clear(&mut self) {
        self.own = None;
        self.branches = None;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.own.is_none()
            && self
                .branches
                .as_ref()
                .is_none_or(|(asl, b)| asl.run(|| b.calls.is_empty()))
    }
}

// Out of line, so that a run without branches polls its own call on a small path.
impl BranchCalls {
    #[inline(never)]
    fn start(&mut self, route: Vec<u32>, pending: Pending) {
        let call = self.next;
        self.next += 1;
        if let Some(earlier) = self.routes.insert(route.clone(), call) {
            self.calls.remove(&earlier);
        }
        let waker = Waker::from(Arc::new(CallWaker {
            call,
            woken: self.woken.clone(),
        }));
        self.calls.insert(
            call,
            BranchCall {
                route,
                pending,
                waker,
            },
        );
        self.due.insert(call);
    }

    /// Polls the new and woken calls in start order; the first done one, with its route.
    #[inline(never)]
    fn poll(&mut self, cx: &mut Context<'_>) -> Option<(Vec<u32>, Completion)> {
        if self.calls.is_empty() {
            return None;
        }
        self.woken.run.register(cx.waker());
        if let Ok(mut woken) = self.woken.calls.lock() {
            self.due.extend(woken.drain(..));
        }
        while let Some(call) = self.due.pop_first() {
            let Some(branch) = self.calls.get_mut(&call) else {
                continue;
            };
            let mut call_cx = Context::from_waker(&branch.waker);
            if let Poll::Ready(completion) = branch.pending.poll(&mut call_cx) {
                let branch = self.calls.remove(&call)?;
                self.routes.remove(&branch.route);
                return Some((branch.route, completion));
            }
        }
        None
    }
}
