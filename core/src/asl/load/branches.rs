//! Parallel and Map states: their branches, item processor and item fields.

use serde_json::Value;

use crate::expr::Path;
use crate::graph::State;

use super::{At, Loader, ASSIGN, BRANCH, COMMON, DISTRIBUTED, FLOW, IO, PROCESSOR, RESULT};
use crate::execution::json_text;

impl Loader {
    pub(super) fn parallel(&mut self, at: &At<'_>) -> Option<State> {
        self.allow(
            at,
            &[
                COMMON,
                FLOW,
                IO,
                RESULT,
                ASSIGN,
                &["Branches", "ResultSelector", "Retry", "Catch"],
            ],
        );
        let mut branches = Vec::new();
        match at.get("Branches").and_then(Value::as_array) {
            Some(items) if !items.is_empty() => {
                for (j, branch) in items.iter().enumerate() {
                    let name = format!("{}.Branches[{j}]", at.state);
                    let path = format!("{}[{j}]", at.field("Branches"));
                    branches.extend(self.nested(at, branch, &name, &path, BRANCH));
                }
            }
            _ => self.problem(
                Some(at.state),
                at.field("Branches"),
                "is required: a non-empty array of branches",
            ),
        }
        Some(State::Parallel {
            branches,
            io: self.io(at, true),
            next: self.flow(at),
            retry: self.retry(at),
            catch: self.catch(at),
        })
    }

    /// An inline Map state (the distributed mode is reported as unsupported).
    pub(super) fn map(&mut self, at: &At<'_>) -> Option<State> {
        self.allow(
            at,
            &[
                COMMON,
                FLOW,
                IO,
                RESULT,
                ASSIGN,
                DISTRIBUTED,
                &[
                    "ItemProcessor",
                    "Iterator",
                    "ItemsPath",
                    "ItemSelector",
                    "MaxConcurrency",
                    "MaxConcurrencyPath",
                    "ResultSelector",
                    "Retry",
                    "Catch",
                ],
            ],
        );
        for field in DISTRIBUTED {
            if at.get(field).is_some() {
                self.problem(
                    Some(at.state),
                    at.field(field),
                    format!("{field} (distributed Map) is not supported yet"),
                );
            }
        }
        let processor = match (at.get("ItemProcessor"), at.get("Iterator")) {
            (Some(processor), None) => {
                self.processor_config(at, processor);
                self.nested(
                    at,
                    processor,
                    &format!("{}.ItemProcessor", at.state),
                    &at.field("ItemProcessor"),
                    PROCESSOR,
                )
            }
            (None, Some(iterator)) => self.nested(
                at,
                iterator,
                &format!("{}.Iterator", at.state),
                &at.field("Iterator"),
                BRANCH,
            ),
            (Some(_), Some(_)) => {
                self.problem(
                    Some(at.state),
                    at.field("Iterator"),
                    "use ItemProcessor or Iterator, not both",
                );
                None
            }
            (None, None) => {
                self.problem(
                    Some(at.state),
                    at.field("ItemProcessor"),
                    "is required: the states each item runs through",
                );
                None
            }
        };
        let mut io = self.io(at, true);
        let legacy = io.parameters.take();
        let selector = if at.jsonata {
            None
        } else {
            self.template(at, "ItemSelector")
        };
        if legacy.is_some() && selector.is_some() {
            self.problem(
                Some(at.state),
                at.field("Parameters"),
                "use ItemSelector or Parameters, not both",
            );
        }
        let items_path = match at.get("ItemsPath") {
            None => Path::parse("$").ok(),
            Some(_) => self.path(at, "ItemsPath"),
        };
        let max_concurrency = match at.get("MaxConcurrency") {
            None => 0,
            Some(value) if at.jsonata && super::jsonata::is_expression(value) => 0,
            Some(value) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => n,
                None => {
                    self.problem(
                        Some(at.state),
                        at.field("MaxConcurrency"),
                        format!("must be a non-negative integer, not {}", json_text(value)),
                    );
                    0
                }
            },
        };
        let max_concurrency_path = self.path_instead_of(at, "MaxConcurrencyPath", "MaxConcurrency");
        let next = self.flow(at);
        let retry = self.retry(at);
        let catch = self.catch(at);
        Some(State::Map {
            processor: Box::new(processor?),
            items_path: items_path?,
            item_selector: selector.or(legacy).map(Box::new),
            max_concurrency,
            max_concurrency_path,
            io,
            next,
            retry,
            catch,
        })
    }

    /// `ProcessorConfig`: only `Mode: INLINE` (the default) runs here.
    pub(super) fn processor_config(&mut self, at: &At<'_>, processor: &Value) {
        let Some(config) = processor.get("ProcessorConfig") else {
            return;
        };
        let path = format!("{}.ProcessorConfig", at.field("ItemProcessor"));
        let Some(fields) = config.as_object() else {
            self.problem(Some(at.state), path, "must be an object");
            return;
        };
        for (key, value) in fields {
            let at_key = format!("{path}.{key}");
            match (key.as_str(), value.as_str()) {
                ("Mode", Some("INLINE")) => {}
                ("Mode", Some("DISTRIBUTED")) | ("ExecutionType", _) => self.problem(
                    Some(at.state),
                    at_key,
                    "distributed Map is not supported yet (use Mode INLINE)",
                ),
                ("Mode", _) => self.problem(
                    Some(at.state),
                    at_key,
                    "must be \"INLINE\" or \"DISTRIBUTED\"",
                ),
                _ => self.problem(Some(at.state), at_key, "not a field of ProcessorConfig"),
            }
        }
    }
}
