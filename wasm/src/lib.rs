//! The pollflow engine for JavaScript: the npm package `pollflow`.
//!
//! This crate only adapts: JS callbacks become a [`pollflow::Poller`] and
//! [`pollflow::Notifier`], the host's timers a [`pollflow::Clock`], events and outcomes plain
//! objects. The JS wrapper in `npm/` adds the async iterator, `AbortSignal` and the promises.
//!
//! The wrapper drives an execution by polling it: [`Execution::poll`] makes progress until the
//! next event, synchronously, and when the run has to wait (for a callback's promise, a timer)
//! the wrapper parks on a promise that the run's waker resolves (module `wake`). Promises,
//! timers and those wake-ups go through a host object the wrapper lends (module `host`), so no
//! Rust closure is ever handed to JS. Events cross as numbers and, for their JSON values, as
//! UTF-8 text the wrapper reads from memory (module `wire`): no string is made per event on
//! the Rust side.
//!
//! No export throws except on purpose for bad input (`start`, `startAsl`, `workflowGraph`,
//! `aslGraph`, which count themselves in `wire::Unfinished`, as `validateAsl` does): JS takes
//! any other throw, and a throw from those that left the count up, for a trap, and replaces the
//! instance.
//!
//! No export returns a JS object (an `externref`): V8 in Node 20 inlines JS-to-wasm calls and
//! aborts (`unreachable code` in `DoComputeBuiltinContinuation`) when it has to deoptimize the
//! caller of an inlined call returning a reference. Numbers, strings and thrown errors are fine.
//!
//! It is built for `wasm32` only: JS callbacks are not `Send`, which the engine asks of what it
//! holds on native targets (see `pollflow::platform::SendOutsideWasm`); elsewhere the crate is empty
//! (check it with `--target wasm32-unknown-unknown`), except under `cargo test`, which builds
//! the wire format (`wire`, `states`) for its test: the JS tables against Rust's.
#![forbid(unsafe_code)]

#[cfg(all(target_arch = "wasm32", feature = "asl"))]
mod asl;
#[cfg(target_arch = "wasm32")]
mod clock;
#[cfg(target_arch = "wasm32")]
mod errors;
#[cfg(target_arch = "wasm32")]
mod execution;
#[cfg(target_arch = "wasm32")]
mod fields;
#[cfg(all(target_arch = "wasm32", feature = "graph"))]
mod graph;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod json;
#[cfg(target_arch = "wasm32")]
mod keys;
#[cfg(target_arch = "wasm32")]
mod limits;
#[cfg(target_arch = "wasm32")]
mod options;
#[cfg(target_arch = "wasm32")]
mod poller;
#[cfg(all(target_arch = "wasm32", feature = "push"))]
mod push;
#[cfg(target_arch = "wasm32")]
mod slab;
#[cfg(any(target_arch = "wasm32", test))]
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(dead_code, reason = "natively, only the wire format's test uses it")
)]
mod states;
#[cfg(target_arch = "wasm32")]
mod wake;
#[cfg(any(target_arch = "wasm32", test))]
#[cfg_attr(
    not(target_arch = "wasm32"),
    allow(dead_code, reason = "natively, only the wire format's test uses it")
)]
mod wire;

#[cfg(all(target_arch = "wasm32", feature = "asl", feature = "resume"))]
pub use crate::asl::resume_asl;
#[cfg(all(target_arch = "wasm32", feature = "asl"))]
pub use crate::asl::{asl_graph, start_asl, validate_asl};
#[cfg(all(target_arch = "wasm32", feature = "resume"))]
pub use crate::execution::resume;
#[cfg(target_arch = "wasm32")]
pub use crate::execution::{start, workflow_graph, Execution};
#[cfg(target_arch = "wasm32")]
pub use crate::host::{ring, set_host, settle};
