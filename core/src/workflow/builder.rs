//! The fluent builder: submit → wait → check → branch → notify.

use std::sync::Arc;

use crate::error::names;
use crate::policy::WaitPolicy;
use crate::poller::JobStatus;

use super::graph::{
    default_check_retry, Catcher, ChoiceRule, Condition, DataFlow, State, StateDef, StateMachine,
};
use super::{BuildError, Predicate, Workflow};
use crate::platform::{SendOutsideWasm, SyncOutsideWasm};

/// Builds a [`Workflow`]. Each step's `next` is the step added after it; a [`Choice`] closes
/// the polling loop. Use [`WorkflowBuilder::state`] for any shape the chain cannot express.
///
/// ```
/// use std::time::Duration;
/// use pollflow::{WaitPolicy, Workflow};
/// use pollflow::workflow::{Arm, Choice};
///
/// let workflow = Workflow::builder("Manage a Batch Job")
///     .submit("Submit Batch Job")
///     .wait("Wait", WaitPolicy::fixed(Duration::from_secs(30)))
///     .check("Get Job Status")
///     .branch("Job Complete?", Choice::new()
///         .on_succeeded(Arm::notify("Notify Success", "Batch job succeeded").then_succeed("Done"))
///         .on_failed(Arm::notify("Notify Failure", "Batch job failed").then_fail("Job Failed", "States.TaskFailed")))
///     .build()
///     .unwrap();
/// assert_eq!(workflow.graph().states.len(), 8);
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct WorkflowBuilder {
    name: String,
    start_at: Option<String>,
    states: Vec<StateDef>,
    /// The chain step whose `next` is the next step added.
    open: Option<usize>,
    /// The latest Wait (or Check, before any Wait): where "still pending" loops back to.
    loop_target: Option<String>,
    predicates: Vec<(String, Predicate)>,
    cancel_on_stop: bool,
}

/// Placeholder `next` of a chain step not yet followed by another.
const UNSET: &str = "";

impl WorkflowBuilder {
    pub(super) fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            start_at: None,
            states: Vec::new(),
            open: None,
            loop_target: None,
            predicates: Vec::new(),
            cancel_on_stop: true,
        }
    }

    /// Appends a Submit state.
    pub fn submit(self, name: impl Into<String>) -> Self {
        self.chain(
            name.into(),
            State::Submit {
                next: UNSET.into(),
                catch: Vec::new(),
            },
        )
    }

    /// Appends a Wait state; a branch's "still pending" path loops back here.
    pub fn wait(mut self, name: impl Into<String>, policy: WaitPolicy) -> Self {
        let name = name.into();
        self.loop_target = Some(name.clone());
        self.chain(
            name,
            State::PollWait {
                policy,
                next: UNSET.into(),
            },
        )
    }

    /// Appends a Check state with the default retry policy for transient check errors.
    pub fn check(self, name: impl Into<String>) -> Self {
        self.check_with_retry(name, default_check_retry())
    }

    /// Appends a Check state retrying transient check errors under `retry`.
    pub fn check_with_retry(mut self, name: impl Into<String>, retry: WaitPolicy) -> Self {
        let name = name.into();
        if self.loop_target.is_none() {
            self.loop_target = Some(name.clone());
        }
        self.chain(
            name,
            State::Check {
                next: UNSET.into(),
                retry,
                catch: Vec::new(),
            },
        )
    }

    /// Appends a Notify state.
    pub fn notify(self, name: impl Into<String>, message: impl Into<String>) -> Self {
        self.chain(
            name.into(),
            State::Notify {
                subject: None,
                message: message.into(),
                next: UNSET.into(),
                catch: Vec::new(),
            },
        )
    }

    /// Branches on the job's status: appends the Choice state that ends the chain, and the
    /// states of its arms.
    pub fn branch(mut self, name: impl Into<String>, choice: Choice) -> Self {
        let name = name.into();
        let pending = self.loop_target.clone().unwrap_or_default();
        let mut choices = Vec::new();
        let mut tails = Vec::new();
        if let Some(arm) = choice.error {
            for def in &mut self.states {
                if let State::Submit { catch, .. } | State::Check { catch, .. } = &mut def.state {
                    // Built, not cloned: a catcher's clone would carry the ASL template code.
                    catch.push(Catcher::all(arm.entry()));
                }
            }
            tails.push(arm);
        }
        let mut route = |condition: Condition, arm: Arm| {
            choices.push(ChoiceRule::new(condition, arm.entry()));
            tails.push(arm);
        };
        for (condition, arm) in choice.rules {
            route(condition, arm);
        }
        route(
            Condition::Succeeded,
            choice
                .succeeded
                .unwrap_or_else(|| Arm::succeed("Succeeded")),
        );
        route(
            Condition::Failed,
            choice
                .failed
                .unwrap_or_else(|| Arm::fail("Failed", names::TASK_FAILED)),
        );
        self = self.chain(
            name,
            State::Choice {
                choices,
                default: Some(pending),
                io: DataFlow::default(),
            },
        );
        self.open = None;
        for arm in tails {
            arm.append_to(&mut self.states);
        }
        self
    }

    /// Registers a predicate that `Condition::Predicate(name)` refers to.
    pub fn predicate(
        mut self,
        name: impl Into<String>,
        predicate: impl Fn(&JobStatus) -> bool + SendOutsideWasm + SyncOutsideWasm + 'static,
    ) -> Self {
        self.predicates.push((name.into(), Arc::new(predicate)));
        self
    }

    /// Adds a state outside the chain, with its transitions spelled out.
    pub fn state(mut self, name: impl Into<String>, state: State) -> Self {
        self.states.push(StateDef {
            name: name.into(),
            state,
        });
        self
    }

    /// Starts at `name` instead of the first state added.
    pub fn start_at(mut self, name: impl Into<String>) -> Self {
        self.start_at = Some(name.into());
        self
    }

    /// Leaves the job running when the execution is aborted or times out (the default cancels it).
    pub fn keep_job_on_stop(mut self) -> Self {
        self.cancel_on_stop = false;
        self
    }

    /// Validates and compiles; every problem is reported at once.
    pub fn build(self) -> Result<Workflow, BuildError> {
        let start_at = self
            .start_at
            .or_else(|| self.states.first().map(|s| s.name.clone()))
            .unwrap_or_default();
        let graph = StateMachine {
            name: self.name,
            start_at,
            states: self.states,
            cancel_on_stop: self.cancel_on_stop,
            timeout: None,
            sync_poll: None,
        };
        Workflow::from_graph(graph, self.predicates)
    }

    fn chain(mut self, name: String, state: State) -> Self {
        if let Some(open) = self.open {
            set_next(&mut self.states[open].state, &name);
        }
        self.open = Some(self.states.len());
        self.states.push(StateDef { name, state });
        self
    }
}

fn set_next(state: &mut State, target: &str) {
    match state {
        State::Submit { next, .. }
        | State::PollWait { next, .. }
        | State::Check { next, .. }
        | State::Notify { next, .. } => *next = target.to_owned(),
        State::Task { next, .. }
        | State::Pass { next, .. }
        | State::Delay { next, .. }
        | State::Parallel { next, .. }
        | State::Map { next, .. } => {
            *next = Some(target.to_owned());
        }
        State::Choice { .. } | State::Succeed { .. } | State::Fail { .. } => {}
    }
}

/// A Choice state on the job's status, as [`WorkflowBuilder::branch`] adds it: its [`Arm`]s.
/// Unless set: succeeded → a Succeed state `"Succeeded"`; failed → a Fail state `"Failed"`
/// (`States.TaskFailed`, the job detail as cause); anything else loops back to the latest
/// wait. Custom rules are tried first, in order.
#[derive(Default)]
#[must_use]
pub struct Choice {
    rules: Vec<(Condition, Arm)>,
    succeeded: Option<Arm>,
    failed: Option<Arm>,
    error: Option<Arm>,
}

impl Choice {
    /// The default routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where a succeeded job goes.
    pub fn on_succeeded(mut self, arm: Arm) -> Self {
        self.succeeded = Some(arm);
        self
    }

    /// Where a failed job goes.
    pub fn on_failed(mut self, arm: Arm) -> Self {
        self.failed = Some(arm);
        self
    }

    /// Where an error of a Submit or Check call goes (ASL `Catch` of `States.ALL`): a failed
    /// submit, a fatal check error, or transient errors past the retry budget. Without it
    /// such an error fails the execution.
    pub fn on_error(mut self, arm: Arm) -> Self {
        self.error = Some(arm);
        self
    }

    /// A custom arm, tried before the default ones.
    pub fn when(mut self, condition: Condition, arm: Arm) -> Self {
        self.rules.push((condition, arm));
        self
    }
}

/// An arm of a [`Choice`]: one way out of it — zero or more Notify states, then an end.
#[must_use]
pub struct Arm {
    notifies: Vec<(String, Option<String>, String)>,
    end: ArmEnd,
}

enum ArmEnd {
    Succeed(String),
    Fail(String, String, Option<String>),
    Goto(String),
    /// Set by `notify` until `succeed`, `fail` or `goto` ends the path.
    Open,
}

impl Arm {
    /// Ends at a new Succeed state.
    pub fn succeed(name: impl Into<String>) -> Self {
        Self::ending(ArmEnd::Succeed(name.into()))
    }

    /// Ends at a new Fail state with this error name and the job detail as cause.
    pub fn fail(name: impl Into<String>, error: impl Into<String>) -> Self {
        Self::ending(ArmEnd::Fail(name.into(), error.into(), None))
    }

    /// Goes to an existing state.
    pub fn goto(name: impl Into<String>) -> Self {
        Self::ending(ArmEnd::Goto(name.into()))
    }

    /// Starts with a Notify state; end the path with `then_succeed`, `then_fail` or `then_goto`.
    pub fn notify(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            notifies: vec![(name.into(), None, message.into())],
            end: ArmEnd::Open,
        }
    }

    /// Another Notify state.
    pub fn then_notify(mut self, name: impl Into<String>, message: impl Into<String>) -> Self {
        self.notifies.push((name.into(), None, message.into()));
        self
    }

    /// Ends the path at a new Succeed state.
    pub fn then_succeed(mut self, name: impl Into<String>) -> Self {
        self.end = ArmEnd::Succeed(name.into());
        self
    }

    /// Ends the path at a new Fail state (the job detail as cause unless [`Arm::cause`]).
    pub fn then_fail(mut self, name: impl Into<String>, error: impl Into<String>) -> Self {
        self.end = ArmEnd::Fail(name.into(), error.into(), None);
        self
    }

    /// Ends the path by going to an existing state.
    pub fn then_goto(mut self, name: impl Into<String>) -> Self {
        self.end = ArmEnd::Goto(name.into());
        self
    }

    /// Sets the subject of the latest Notify state.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        if let Some(last) = self.notifies.last_mut() {
            last.1 = Some(subject.into());
        }
        self
    }

    /// Sets the cause of a Fail end (instead of the job detail).
    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        if let ArmEnd::Fail(_, _, c) = &mut self.end {
            *c = Some(cause.into());
        }
        self
    }

    fn ending(end: ArmEnd) -> Self {
        Self {
            notifies: Vec::new(),
            end,
        }
    }

    fn end_name(&self) -> &str {
        match &self.end {
            ArmEnd::Succeed(n) | ArmEnd::Fail(n, ..) | ArmEnd::Goto(n) => n,
            ArmEnd::Open => UNSET,
        }
    }

    fn entry(&self) -> &str {
        self.notifies
            .first()
            .map_or_else(|| self.end_name(), |n| n.0.as_str())
    }

    fn append_to(self, states: &mut Vec<StateDef>) {
        let end_name = self.end_name().to_owned();
        let mut notifies = self.notifies.into_iter().peekable();
        while let Some((name, subject, message)) = notifies.next() {
            let next = notifies
                .peek()
                .map_or_else(|| end_name.clone(), |n| n.0.clone());
            states.push(StateDef {
                name,
                state: State::Notify {
                    subject,
                    message,
                    next,
                    catch: Vec::new(),
                },
            });
        }
        let end = match self.end {
            ArmEnd::Succeed(name) => (
                name,
                State::Succeed {
                    io: DataFlow::default(),
                },
            ),
            ArmEnd::Fail(name, error, cause) => (name, State::fail(error, cause)),
            ArmEnd::Goto(_) | ArmEnd::Open => return,
        };
        states.push(StateDef {
            name: end.0,
            state: end.1,
        });
    }
}
