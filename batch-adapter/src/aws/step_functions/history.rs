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
use pollflow::{names, Event, EventKind, TaskError};
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
    /// What a state directly in a Map's item processor exited with (the item's output, if
    /// the item ends there).
    output: Option<Arc<Value>>,
    /// The last error on the way here (a failed Map item's).
    error: Option<TaskError>,
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
            if let Some(error) = self.places.get(name).and_then(|p| p.fails_with.clone()) {
                record.error = Some(error);
            }
            let input = json(details.input());
            if previous.opens_branch {
                kinds.push(EventKind::BranchStarted {
                    input: input.clone(),
                });
            }
            kinds.push(EventKind::StateEntered {
                state: name.into(),
                input,
            });
        } else if let Some(details) = event.state_exited_event_details() {
            let name = details.name();
            record.state = name.into();
            record.route.truncate(self.depth_of(name, &previous.route));
            let output = json(details.output());
            if self.places.get(name).is_some_and(Place::in_map_item) {
                record.output = Some(output.clone());
            }
            kinds.push(EventKind::StateExited {
                state: name.into(),
                output,
            });
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
                    error: previous.error.clone().unwrap_or_else(|| {
                        TaskError::new(
                            names::RUNTIME,
                            "Step Functions' history does not say why this item failed",
                        )
                    }),
                }),
                _ => kinds.push(EventKind::BranchAborted {
                    job_cancelled: false,
                }),
            }
        } else if kind == "ParallelStateStarted" {
            record.opens_branch = true;
        } else if let Some(kind) = self.outcome(event, &record.state) {
            if let EventKind::TaskFailed { error, .. } = &kind {
                record.error = Some(error.clone());
            }
            if kind.is_terminal() || matches!(kind, EventKind::ExecutionStarted { .. }) {
                // The execution's own events are on no route, whatever they follow.
                record.route.clear();
            }
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
                        timed_out.and_then(|d| d.error()).or(Some(names::TIMEOUT)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::types::{
        ExecutionFailedEventDetails, HistoryEventType, MapIterationEventDetails,
        StateEnteredEventDetails, StateExitedEventDetails,
    };
    use aws_smithy_types::DateTime;
    use serde_json::json;

    /// A history event: `kind` and its details (`name` for states and Map items).
    fn event(id: i64, previous: i64, kind: &str, name: &str, index: i32) -> HistoryEvent {
        let mut event = HistoryEvent::builder()
            .timestamp(DateTime::from_millis(1_000 + id))
            .r#type(HistoryEventType::from(kind))
            .id(id)
            .previous_event_id(previous);
        if kind.ends_with("StateEntered") {
            let details = StateEnteredEventDetails::builder()
                .name(name)
                .input("{\"n\":1}");
            event = event.state_entered_event_details(details.build().unwrap());
        } else if kind.ends_with("StateExited") {
            let details = StateExitedEventDetails::builder()
                .name(name)
                .output("{\"ok\":true}");
            event = event.state_exited_event_details(details.build().unwrap());
        } else if kind.starts_with("MapIteration") {
            let details = MapIterationEventDetails::builder()
                .name(name)
                .index(index)
                .build();
            event = match kind {
                "MapIterationStarted" => event.map_iteration_started_event_details(details),
                "MapIterationSucceeded" => event.map_iteration_succeeded_event_details(details),
                _ => event.map_iteration_failed_event_details(details),
            };
        } else if kind == "ExecutionFailed" {
            let details = ExecutionFailedEventDetails::builder()
                .error("E")
                .cause("c")
                .build();
            event = event.execution_failed_event_details(details);
        }
        event.build().unwrap()
    }

    #[test]
    fn map_items_have_their_index_and_the_executions_end_has_no_route() {
        // A Map of two items: the first succeeds, the second reaches a Fail state, and the
        // execution fails after the Map.
        let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "Check", "States": {
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Ok"}], "Default": "No"},
                "Ok": {"Type": "Succeed"},
                "No": {"Type": "Fail", "Error": "Item.Bad", "Cause": "two"}}}}}});
        let history = [
            event(1, 0, "ExecutionStarted", "", 0),
            event(2, 0, "MapStateEntered", "M", 0),
            event(3, 2, "MapStateStarted", "", 0),
            event(4, 3, "MapIterationStarted", "M", 0),
            event(5, 4, "ChoiceStateEntered", "Check", 0),
            event(6, 5, "ChoiceStateExited", "Check", 0),
            event(7, 6, "SucceedStateEntered", "Ok", 0),
            event(8, 7, "SucceedStateExited", "Ok", 0),
            event(9, 8, "MapIterationSucceeded", "M", 0),
            event(10, 8, "MapIterationStarted", "M", 1),
            event(11, 10, "ChoiceStateEntered", "Check", 0),
            event(12, 11, "ChoiceStateExited", "Check", 0),
            event(13, 12, "FailStateEntered", "No", 0),
            event(14, 13, "MapIterationFailed", "M", 1),
            event(15, 14, "MapStateFailed", "", 0),
            event(16, 15, "ExecutionFailed", "", 0),
        ];
        let mut reader = HistoryReader::new(&definition);
        let events: Vec<Event> = history.iter().flat_map(|e| reader.read(e)).collect();
        let seen: Vec<(String, String)> = events
            .iter()
            .map(|e| {
                let route: Vec<String> = e
                    .route
                    .iter()
                    .map(|h| format!("{}#{}", h.state, h.index))
                    .collect();
                let kind = serde_json::to_value(&e.kind).unwrap();
                let what = kind["state"].as_str().map_or_else(
                    || kind["type"].as_str().unwrap().to_owned(),
                    |s| format!("{} {s}", kind["type"].as_str().unwrap()),
                );
                (route.join("/"), what)
            })
            .collect();
        let expected = [
            ("", "ExecutionStarted"),
            ("", "StateEntered M"),
            ("M#0", "BranchStarted"),
            ("M#0", "StateEntered Check"),
            ("M#0", "StateExited Check"),
            ("M#0", "StateEntered Ok"),
            ("M#0", "StateExited Ok"),
            ("M#0", "BranchSucceeded"),
            ("M#1", "BranchStarted"),
            ("M#1", "StateEntered Check"),
            ("M#1", "StateExited Check"),
            ("M#1", "StateEntered No"),
            ("M#1", "BranchFailed"),
            ("", "ExecutionFailed"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(r, w)| (r.to_string(), w.to_string()))
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(
            events.iter().map(|e| e.id).collect::<Vec<_>>(),
            (1..=14).collect::<Vec<u64>>()
        );
        assert_eq!(
            events[7].kind,
            EventKind::BranchSucceeded {
                output: Arc::new(json!({"ok": true}))
            }
        );
        assert_eq!(
            events[12].kind,
            EventKind::BranchFailed {
                error: TaskError::new("Item.Bad", "two")
            }
        );
        assert_eq!(
            events[13].kind,
            EventKind::ExecutionFailed {
                error: TaskError::new("E", "c")
            }
        );
    }
}
