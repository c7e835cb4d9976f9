//! What differs between native and `wasm32` builds — the one place for that `cfg`.
//!
//! On native targets everything an [`Engine`](crate::Engine) holds (poller, notifier, task
//! handlers, clock, spawner, predicates) and every future it boxes is `Send` (and the holders
//! `Sync`), so an engine lives in a multi-threaded service and its runs move between threads.
//! On `wasm32` they need not be: JS functions and promises are not `Send`, and there is one
//! thread. The markers and aliases below say "`Send` outside wasm" so the rest of the crate
//! is written once.

use std::sync::Arc;

use crate::poller::JobStatus;

/// `Send` on native targets; any type on `wasm32` (where JS values are not `Send`).
///
/// A supertrait of [`Poller`](crate::Poller), [`Notifier`](crate::Notifier),
/// [`TaskHandler`](crate::task::TaskHandler) and [`Clock`](crate::Clock); implemented for every type
/// that qualifies, never by hand. Generic code that works on both targets can bound on it.
#[cfg(not(target_arch = "wasm32"))]
pub trait SendOutsideWasm: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> SendOutsideWasm for T {}

/// `Sync` on native targets; any type on `wasm32`. See [`SendOutsideWasm`].
#[cfg(not(target_arch = "wasm32"))]
pub trait SyncOutsideWasm: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> SyncOutsideWasm for T {}

/// A boxed future: `Send` on native targets, not necessarily on `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = futures::future::BoxFuture<'a, T>;

/// Runs a future to completion in the background (`tokio::spawn`,
/// `wasm_bindgen_futures::spawn_local`...); see [`EngineBuilder::spawner`](crate::EngineBuilder::spawner).
#[cfg(not(target_arch = "wasm32"))]
pub type Spawner = Box<dyn Fn(BoxFuture<'static, ()>) + Send + Sync>;

/// A predicate over the last checked status, bound to a name in the graph.
#[cfg(not(target_arch = "wasm32"))]
pub type Predicate = Arc<dyn Fn(&JobStatus) -> bool + Send + Sync>;

/// How many thread shards the clocks and shared `Arc`s keep (see `crate::shards`): enough
/// that a few workers rarely share one.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) const THREAD_SHARDS: usize = 8;

/// A fresh seed from the operating system's randomness (`None` if it has none to give).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn os_seed() -> Option<u64> {
    getrandom::u64().ok()
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use super::*;

    /// `Send` on native targets; any type on `wasm32` (where JS values are not `Send`).
    pub trait SendOutsideWasm {}
    impl<T: ?Sized> SendOutsideWasm for T {}

    /// `Sync` on native targets; any type on `wasm32`.
    pub trait SyncOutsideWasm {}
    impl<T: ?Sized> SyncOutsideWasm for T {}

    /// A boxed future: `Send` on native targets, not necessarily on `wasm32`.
    pub type BoxFuture<'a, T> = futures::future::LocalBoxFuture<'a, T>;

    /// Runs a future to completion in the background (`wasm_bindgen_futures::spawn_local`...).
    pub type Spawner = Box<dyn Fn(BoxFuture<'static, ()>)>;

    /// A predicate over the last checked status, bound to a name in the graph.
    pub type Predicate = Arc<dyn Fn(&JobStatus) -> bool>;

    /// One thread, so one shard (see `crate::shards`).
    pub(crate) const THREAD_SHARDS: usize = 1;

    /// `wasm32-unknown-unknown` has no operating system to ask: the host passes a seed in
    /// (the npm package draws one from `crypto.getRandomValues`).
    pub(crate) fn os_seed() -> Option<u64> {
        None
    }
}
#[cfg(target_arch = "wasm32")]
pub use wasm::*;

/// A field on a cache line of its own: what every step of every run reads must not share one
/// with the locks and counters that threads write (two lines: adjacent lines are fetched
/// together). See `crate::shards`. Not padded on `wasm32`: with one thread no other core writes
/// near it, and the padding would cost each engine the npm package builds per run a few hundred
/// bytes.
#[derive(Default)]
#[cfg_attr(not(target_arch = "wasm32"), repr(align(128)))]
pub(crate) struct CacheLine<T>(pub(crate) T);

/// Declares or implements one of the engine's async traits ([`Poller`](crate::Poller),
/// [`Notifier`](crate::Notifier), [`TaskHandler`](crate::task::TaskHandler)): `#[async_trait]`
/// (`Send` futures) on native targets, `#[async_trait(?Send)]` on `wasm32`. Users write the
/// one their target needs.
macro_rules! async_trait_outside_wasm {
    ($($item:tt)*) => {
        #[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
        #[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
        $($item)*
    };
}
pub(crate) use async_trait_outside_wasm;
