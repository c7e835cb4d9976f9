//! # pollflow
//!
//! Polling workflows as a library: **submit** a long-running job, **wait**, **check** its
//! status, **branch** on it, **notify** — the AWS Step Functions "Job Poller" sample, without
//! Step Functions, Lambda or a polling loop of your own.
//!
//! - A [`Workflow`] is a serializable state-machine graph ([`graph::StateMachine`]), built with
//!   [`Workflow::builder`] or loaded from data.
//! - A [`Poller`] (a trait, or async closures via [`poller_fn`]) submits and checks jobs;
//!   a [`PollGroup`] batches the checks of many executions into few calls.
//! - An [`Engine`] runs executions; each is a [`Run`]: a `futures::Stream` of [`Event`]s
//!   shaped like Step Functions' execution history, ending in an [`Outcome`].
//! - Time comes only through a [`Clock`]: [`VirtualClock`] jumps straight to the next
//!   deadline, so a workflow that waits for days finishes in microseconds in tests.
//! - [`WaitPolicy`] (fixed, exponential with jitter, budgets, per-status hints) and
//!   [`Checkpoint`]s are plain serde types. No async runtime is required; the crate builds for
//!   `wasm32-unknown-unknown`.
//!
//! Features: `asl` (default; Amazon States Language), `tokio` (`TokioClock`), `tracing` (a
//! `pollflow.run` span per run and a `pollflow.call` span per submit, check, cancel, notify or
//! Task call inside it, each event logged at `DEBUG`; install any `tracing` subscriber).
//!
//! ```
//! use std::time::Duration;
//! use futures::StreamExt;
//! use pollflow::{poller_fn, Engine, EventKind, JobStatus, Outcome, VirtualClock, WaitPolicy, Workflow};
//! use pollflow::workflow::Choice;
//! use serde_json::json;
//!
//! // The seed's Job Poller: submit, wait `wait_time`, check, loop until SUCCEEDED or FAILED.
//! let workflow = Workflow::builder("Job Poller")
//!     .submit("Submit Job")
//!     .wait("Wait X Seconds", WaitPolicy::fixed(Duration::from_secs(60)))
//!     .check("Get Job Status")
//!     .branch("Job Complete?", Choice::new())
//!     .build()?;
//!
//! // A job that is done on the third check.
//! let checks = std::sync::atomic::AtomicU32::new(0);
//! let poller = poller_fn(
//!     |_input| async { Ok(json!("job-42")) },
//!     move |_job| {
//!         let n = checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
//!         async move { Ok(if n < 3 { JobStatus::pending("RUNNING") } else { JobStatus::succeeded(json!({"exitCode": 0})) }) }
//!     },
//! );
//!
//! let clock = VirtualClock::new();
//! let engine = Engine::new(workflow, poller, clock.clone());
//! let events: Vec<_> = clock.block_on(engine.start(json!({"jobName": "my-job"})).collect());
//!
//! let waits = events.iter().filter(|e| matches!(e.kind, EventKind::WaitStarted { .. })).count();
//! assert_eq!(waits, 3);
//! assert_eq!(events.last().unwrap().timestamp_ms, 180_000); // three virtual minutes
//! assert!(matches!(&events.last().unwrap().kind, EventKind::ExecutionSucceeded { output } if output["exitCode"] == 0));
//! # Ok::<(), pollflow::workflow::BuildError>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// On wasm32 what an engine shares need not be `Send` (see `platform.rs`), yet one `Arc` type
// serves both targets.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

mod abort;
#[cfg(feature = "asl")]
#[cfg_attr(docsrs, doc(cfg(feature = "asl")))]
pub mod asl;
mod calls;
pub mod checkpoint;
pub mod clock;
mod engine;
mod error;
pub mod event;
mod execution;
pub mod expr;
mod fn_poller;
#[cfg(feature = "jsonata")]
#[cfg_attr(docsrs, doc(cfg(feature = "jsonata")))]
pub mod jsonata;
mod limits;
mod notifier;
pub mod platform;
pub mod policy;
mod poll_group;
mod poller;
pub mod push;
mod retry_after;
pub mod run;
mod shards;
#[cfg(feature = "store")]
pub mod store;
pub mod task;
// Only ASL has callback tasks, and only the `push` feature sends tokens: without both,
// nothing issues them.
#[cfg_attr(
    not(all(feature = "asl", feature = "push")),
    allow(dead_code, unused_imports, unreachable_pub)
)]
mod task_token;
mod trace;
pub mod workflow;

/// The serializable graph every front end compiles to ([`StateMachine`](graph::StateMachine))
/// and its parts: states, Choice conditions, data flow, catchers.
pub mod graph {
    pub use crate::expr::Comparison;
    pub use crate::platform::Predicate;
    pub use crate::workflow::graph::{
        default_check_retry, default_sync_poll, Catcher, ChoiceRule, Condition, DataFlow,
        DelayUntil, JsonataFields, Operand, State, StateDef, StateMachine,
    };
}

/// The types [`poller_fn`], [`notifier_fn`] and
/// [`task_fn`] return.
pub mod adapters {
    pub use crate::fn_poller::{FnPoller, NoCancel};
    pub use crate::notifier::FnNotifier;
    pub use crate::task::FnTask;
}

pub use abort::AbortHandle;
/// Re-exported so `Poller`, `Notifier` and `TaskHandler` impls need no extra dependency:
/// `#[async_trait]` on native targets, `#[async_trait(?Send)]` on `wasm32`.
pub use async_trait::async_trait;
pub use checkpoint::{Checkpoint, CheckpointOf};
#[cfg(feature = "tokio")]
pub use clock::TokioClock;
pub use clock::{Clock, VirtualClock};
pub use engine::{Engine, EngineBuilder};
pub use error::{names, CheckError, TaskError};
pub use event::{Event, EventKind, Outcome};
pub use fn_poller::poller_fn;
pub use limits::Limits;
pub use notifier::{notifier_fn, Notification, Notifier};
pub use policy::WaitPolicy;
pub use poll_group::PollGroup;
pub use poller::{JobStatus, Poller};
pub use retry_after::retry_after;
pub use run::Run;
pub use task::task_fn;
#[cfg(all(feature = "asl", feature = "push"))]
pub use task_token::TokenError;
pub use workflow::{Workflow, WorkflowBuilder};

/// This crate's README (its crates.io page), compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctest;

/// The repository README's example, compiled and run as a doctest.
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctest;
