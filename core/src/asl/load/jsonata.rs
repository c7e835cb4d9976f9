//! JSONata states (`"QueryLanguage": "JSONata"`): which fields they take instead of the
//! JSONPath ones, and their values read as [`Query`]s.

use serde_json::Value;

use crate::expr::{check_name, Query};
use crate::graph::JsonataFields;

use super::{At, Loader};

/// Fields only JSONPath states take; a JSONata state is refused them.
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "MaxConcurrencyPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
];

/// Fields only JSONata states take.
const JSONATA_ONLY: &[&str] = &["Arguments", "Output", "Items"];

/// The JSONata-only fields a state of type `kind` takes.
pub(super) fn jsonata_fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "Task" | "Parallel" => &["Arguments", "Output"],
        "Map" => &["Items", "Output"],
        "Pass" | "Wait" | "Choice" | "Succeed" => &["Output"],
        _ => &[],
    }
}

/// Whether `value` is a string written `{% … %}`.
pub(super) fn is_expression(value: &Value) -> bool {
    value.as_str().is_some_and(Query::is_expression)
}

impl Loader {
    /// The problem with `key` in a state (or rule, or catcher) of `at`'s query language, if it
    /// is a field of the other language.
    pub(super) fn other_language(&mut self, at: &At<'_>, key: &str) -> bool {
        let reason = if at.jsonata && JSONPATH_ONLY.contains(&key) {
            "is a JSONPath field; a JSONata state takes Arguments, Output and Assign instead (and {% %} expressions in its other fields)"
        } else if !at.jsonata && (JSONATA_ONLY.contains(&key) || key == "Condition") {
            "is a JSONata field: set \"QueryLanguage\": \"JSONata\" on the state or the state machine"
        } else {
            return false;
        };
        self.problem(Some(at.state), at.field(key), reason);
        true
    }

    /// A field's value as a [`Query`]; problems for expressions that do not parse.
    pub(super) fn query(&mut self, at: &At<'_>, field: &str) -> Option<Query> {
        self.parsed_value(at, field, Query::parse)
    }

    /// A field that may be a literal or an expression: the [`Query`] when it is an expression.
    pub(super) fn query_if_expression(&mut self, at: &At<'_>, field: &str) -> Option<Query> {
        if at.jsonata && at.get(field).is_some_and(is_expression) {
            self.query(at, field)
        } else {
            None
        }
    }

    /// A JSONata `Assign`: an object of variable names and values (or one expression).
    pub(super) fn jsonata_assign(&mut self, at: &At<'_>) -> Option<Query> {
        let value = at.get("Assign")?;
        match value {
            Value::Object(map) => {
                for name in map.keys() {
                    if let Err(reason) = check_name(name) {
                        self.problem(Some(at.state), at.field("Assign"), reason);
                    } else if name == "states" {
                        self.problem(
                            Some(at.state),
                            at.field("Assign"),
                            "$states is Step Functions' own; a state cannot assign it",
                        );
                    }
                }
            }
            _ => self.problem(
                Some(at.state),
                at.field("Assign"),
                "must be an object of variable names and their values",
            ),
        }
        self.query(at, "Assign")
    }

    /// The JSONata fields of the state, rule or catcher at `at`, or `None` when it has none.
    /// `$states.result` may be read only in a Task's, Parallel's or Map's `Output` and
    /// `Assign`, `$states.errorOutput` only in a catcher's: elsewhere it is a problem, as
    /// Step Functions refuses it when the definition is created.
    pub(super) fn jsonata_fields(
        &mut self,
        at: &At<'_>,
        reads: Reads,
    ) -> Option<Box<JsonataFields>> {
        let fields = JsonataFields {
            arguments: self.query(at, "Arguments"),
            output: self.query(at, "Output"),
            assign: self.jsonata_assign(at),
            items: self.query(at, "Items"),
            item_selector: self.query(at, "ItemSelector"),
            max_concurrency: self.query_if_expression(at, "MaxConcurrency"),
            timeout: self.query_if_expression(at, "TimeoutSeconds"),
            heartbeat: self.query_if_expression(at, "HeartbeatSeconds"),
            error: self.query_if_expression(at, "Error"),
            cause: self.query_if_expression(at, "Cause"),
        };
        for (name, query) in fields.named() {
            let last = name == "Output" || name == "Assign";
            self.check_reads(at, name, query, if last { reads } else { Reads::Input });
        }
        (fields != JsonataFields::default()).then(|| Box::new(fields))
    }

    /// A problem for each of `$states.result` and `$states.errorOutput` that `query` (the
    /// field `name`) reads but may not.
    pub(super) fn check_reads(&mut self, at: &At<'_>, name: &str, query: &Query, reads: Reads) {
        for (variable, available) in [
            ("$states.result", reads == Reads::Result),
            ("$states.errorOutput", reads == Reads::ErrorOutput),
        ] {
            if !available
                && query
                    .expressions()
                    .iter()
                    .any(|text| text.contains(variable))
            {
                self.problem(
                    Some(at.state),
                    at.field(name),
                    format!("{variable} is not available in this field"),
                );
            }
        }
    }
}

/// What a JSONata state's (or rule's, or catcher's) `Output` and `Assign` may read besides
/// `$states.input` and `$states.context`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Reads {
    /// Nothing more: a Pass, Wait, Choice or Succeed state, a Choice rule, a Fail state.
    Input,
    /// `$states.result`: a Task, Parallel or Map state.
    Result,
    /// `$states.errorOutput`: a catcher.
    ErrorOutput,
}
