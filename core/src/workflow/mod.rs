//! Workflows: [`Workflow`], its builder ([`WorkflowBuilder`], with a [`Choice`] of [`Arm`]s
//! on the job's status) and the errors of building one. The graph itself is in
//! [`graph`](crate::graph).

mod builder;
mod check;
mod compile;
mod compiled;
mod dataflow;
mod delay;
mod draw;
mod error;
pub(crate) mod graph;
mod jsonata_flow;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::expr::Template;

pub use builder::{Arm, Choice, WorkflowBuilder};
#[cfg(feature = "asl")]
pub(crate) use check::{too_deep, MAX_NESTING};
use compile::compile;
pub(crate) use compiled::Predicate;
pub(crate) use compiled::{
    enabled, Asl, AslOnly, Assign, Catch, CatchTo, Compiled, FailPaths, Io, Items, Node, NodeKind,
    Retry, Test,
};
pub use error::{BuildError, Problem};
pub(crate) use graph::{
    default_check_retry, default_sync_poll, Catcher, ChoiceRule, Condition, DataFlow, DelayUntil,
    JsonataFields, State, StateMachine,
};
pub(crate) use jsonata_flow::{query_error, seconds};

/// A validated workflow, ready to run. Cheap to clone.
///
/// Build one with [`Workflow::builder`], or load a [`StateMachine`] (for example from JSON)
/// with [`Workflow::from_graph`].
#[derive(Clone)]
pub struct Workflow {
    inner: Arc<WorkflowInner>,
}

struct WorkflowInner {
    graph: StateMachine,
    compiled: Compiled,
}

impl fmt::Debug for Workflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workflow")
            .field("graph", &self.inner.graph)
            .finish()
    }
}

impl Workflow {
    /// Starts a fluent builder: submit → wait → check → branch → notify.
    pub fn builder(name: impl Into<String>) -> WorkflowBuilder {
        WorkflowBuilder::new(name)
    }

    /// Validates a graph and binds its named predicates. Every problem is reported at once.
    pub fn from_graph(
        graph: StateMachine,
        predicates: impl IntoIterator<Item = (String, Predicate)>,
    ) -> Result<Self, BuildError> {
        let predicates: HashMap<String, Predicate> = predicates.into_iter().collect();
        let mut compiled = compile(&graph, &predicates, &graph, 0)?;
        compiled.number(&mut 0);
        Ok(Self {
            inner: Arc::new(WorkflowInner { graph, compiled }),
        })
    }

    /// The graph, for serialization or export.
    pub fn graph(&self) -> &StateMachine {
        &self.inner.graph
    }

    pub(crate) fn compiled(&self) -> &Compiled {
        &self.inner.compiled
    }
}
