//! Step Functions' execution history as pollflow [`Event`]s.
//!
//! Step Functions names a state's events by type (`TaskStateEntered`, `WaitStateExited`...)
//! and links each to the one it follows (`previousEventId`); pollflow names them by what
//! happened (`StateEntered`) and places each with a route through Parallel branches and Map
//! items. The route is rebuilt from the definition (which branch holds a state) and from the
//! links (which Map iteration an event follows).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_sfn::types::HistoryEvent;
use pollflow::event::{Hop, SmolStr};
use pollflow::{Event, EventKind, TaskError};
use serde_json::Value;

use super::scopes::{places, Place};

/// Reads one execution's history, event by event, in order.
pub(super) struct HistoryReader {
    places: HashMap<String, Place>,
    /// What each event read so far belongs to, by Step Functions' event id.
    records: HashMap<i64, Record>,
    /// The id of the next pollflow event.
    next_id: u64,
}

/// Where an event happened, for the events that follow it.
#[derive(Clone, Debug, Default)]
struct Record {
    state: SmolStr,
    route: Vec<Hop>,
    /// The next state entered starts a Parallel branch or a Map item.
    opens_branch: bool,
    /// What a state exited with (a finished Map item's output).
    output: Option<Arc<Value>>,
}

impl HistoryReader {
    /// A reader for executions of `definition` (ASL JSON).
    pub(super) fn new(definition: &Value) -> Self {
        Self {
            places: places(definition),
            records: HashMap::new(),
            next_id: 1,
        }
    }

    /// The pollflow events of Step Functions' `event` (none for the ones pollflow has no
    /// counterpart for, such as `TaskScheduled`).
    pub(super) fn read(&mut self, event: &HistoryEvent) -> Vec<Event> {
        let previous = self
            .records
            .get(&event.previous_event_id())
            .cloned()
            .unwrap_or_default();
        let mut record = Record {
            opens_branch: false,
            output: None,
            ..previous.clone()
        };
        let mut kinds = Vec::new();
        let kind = event.r#type().as_str();
        if let Some(details) = event.state_entered_event_details() {
            let name = details.name();
            record.state = name.into();
            record.route = self.route_of(name, &previous.route);
            if previous.opens_branch {
                kinds.push(EventKind::BranchStarted {
                    input: json(details.input()),
                });
            }
            kinds.push(EventKind::StateEntered { state: name.into() });
        } else if let Some(details) = event.state_exited_event_details() {
            let name = details.name();
            record.state = name.into();
            record.route.truncate(self.depth_of(name, &previous.route));
            record.output = Some(json(details.output()));
            kinds.push(EventKind::StateExited { state: name.into() });
        } else if let Some(details) = map_iteration(event) {
            let name = details.name().unwrap_or_default();
            record.state = name.into();
            record.route.truncate(self.depth_of(name, &previous.route));
            record.route.push(Hop {
                state: name.into(),
                index: u32::try_from(details.index()).unwrap_or(u32::MAX),
            });
            match kind {
                "MapIterationStarted" => record.opens_branch = true,
                "MapIterationSucceeded" => kinds.push(EventKind::BranchSucceeded {
                    output: previous.output.clone().unwrap_or_default(),
                }),
                "MapIterationFailed" => kinds.push(EventKind::BranchFailed {
                    error: TaskError::new("States.BranchFailed", "a Map iteration failed"),
                }),
                _ => kinds.push(EventKind::BranchAborted {
                    job_cancelled: false,
                }),
            }
        } else if kind == "ParallelStateStarted" {
            record.opens_branch = true;
        } else if let Some(kind) = self.outcome(event, &record.state) {
            kinds.push(kind);
        }
        let events = kinds
            .into_iter()
            .map(|kind| {
                let id = self.next_id;
                self.next_id += 1;
                Event {
                    id,
                    timestamp_ms: event
                        .timestamp()
                        .to_millis()
                        .ok()
                        .and_then(|ms| u64::try_from(ms).ok())
                        .unwrap_or(0),
                    route: record.route.clone(),
                    kind,
                }
            })
            .collect();
        self.records.insert(event.id(), record);
        events
    }

    /// The route of `state` entered after an event at `previous`: as deep as the state is,
    /// with its Parallel branch added when it starts one.
    fn route_of(&self, state: &str, previous: &[Hop]) -> Vec<Hop> {
        let mut route = previous.to_vec();
        let Some(place) = self.places.get(state) else {
            return route;
        };
        route.truncate(place.depth);
        if route.len() < place.depth {
            if let Some((parallel, index)) = &place.branch {
                route.push(Hop {
                    state: parallel.as_str().into(),
                    index: *index,
                });
            }
        }
        route
    }

    /// How many hops the route of an event of `state` has (as many as `previous` when the
    /// definition does not name the state).
    fn depth_of(&self, state: &str, previous: &[Hop]) -> usize {
        self.places
            .get(state)
            .map_or(previous.len(), |place| place.depth)
    }

    /// Task results and failures, and the execution's own events.
    fn outcome(&self, event: &HistoryEvent, state: &SmolStr) -> Option<EventKind> {
        let state = state.clone();
        let failed = |error: Option<&str>, cause: Option<&str>| {
            TaskError::new(error.unwrap_or_default(), cause.unwrap_or_default())
        };
        let started = event.execution_started_event_details();
        let succeeded = event.execution_succeeded_event_details();
        let failure = event.execution_failed_event_details();
        let timed_out = event.execution_timed_out_event_details();
        match event.r#type().as_str() {
            "ExecutionStarted" => {
                return Some(EventKind::ExecutionStarted {
                    input: json(started.and_then(|d| d.input())),
                })
            }
            "ExecutionSucceeded" => {
                return Some(EventKind::ExecutionSucceeded {
                    output: json(succeeded.and_then(|d| d.output())),
                })
            }
            "ExecutionFailed" => {
                return Some(EventKind::ExecutionFailed {
                    error: failed(
                        failure.and_then(|d| d.error()),
                        failure.and_then(|d| d.cause()),
                    ),
                })
            }
            "ExecutionTimedOut" => {
                return Some(EventKind::ExecutionTimedOut {
                    error: failed(
                        timed_out.and_then(|d| d.error()),
                        timed_out.and_then(|d| d.cause()),
                    ),
                })
            }
            "ExecutionAborted" => {
                return Some(EventKind::ExecutionAborted {
                    job_cancelled: false,
                })
            }
            _ => {}
        }
        if let Some(d) = event.task_submitted_event_details() {
            return Some(EventKind::TaskSubmitted {
                state,
                handle: json(d.output()),
            });
        }
        let output = event
            .task_succeeded_event_details()
            .map(|d| d.output())
            .or_else(|| {
                event
                    .lambda_function_succeeded_event_details()
                    .map(|d| d.output())
            })
            .or_else(|| event.activity_succeeded_event_details().map(|d| d.output()));
        if let Some(output) = output {
            return Some(EventKind::TaskSucceeded {
                state,
                output: json(output),
            });
        }
        let error = [
            event
                .task_failed_event_details()
                .map(|d| (d.error(), d.cause())),
            event
                .task_timed_out_event_details()
                .map(|d| (d.error(), d.cause())),
            event
                .task_start_failed_event_details()
                .map(|d| (d.error(), d.cause())),
            event
                .task_submit_failed_event_details()
                .map(|d| (d.error(), d.cause())),
            event
                .lambda_function_failed_event_details()
                .map(|d| (d.error(), d.cause())),
            event
                .lambda_function_timed_out_event_details()
                .map(|d| (d.error(), d.cause())),
            event
                .activity_failed_event_details()
                .map(|d| (d.error(), d.cause())),
            event
                .activity_timed_out_event_details()
                .map(|d| (d.error(), d.cause())),
        ]
        .into_iter()
        .flatten()
        .next();
        error.map(|(error, cause)| EventKind::TaskFailed {
            state,
            error: failed(error, cause),
            retry_in_ms: None,
        })
    }
}

/// The details of a `MapIteration*` event.
fn map_iteration(event: &HistoryEvent) -> Option<&aws_sdk_sfn::types::MapIterationEventDetails> {
    event
        .map_iteration_started_event_details()
        .or_else(|| event.map_iteration_succeeded_event_details())
        .or_else(|| event.map_iteration_failed_event_details())
        .or_else(|| event.map_iteration_aborted_event_details())
}

/// A JSON text of the history as JSON (as a string when it is not JSON: Step Functions
/// truncates long payloads).
fn json(text: Option<&str>) -> Arc<Value> {
    let text = text.unwrap_or("null");
    Arc::new(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}
