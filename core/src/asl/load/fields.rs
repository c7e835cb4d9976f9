//! The fields most states share: allowed names, query language, durations, `Next`/`End`,
//! paths, templates, `Assign`, input/output processing and a Wait's duration.

use std::time::Duration;

use serde_json::Value;

use crate::expr::{check_name, parse_rfc3339, Path, PathOrCall, ReferencePath, Template};
use crate::graph::{DataFlow, DelayUntil};
use crate::policy::MAX_SECONDS;

use super::jsonata::{is_expression, jsonata_fields_of, Reads};
use super::{At, Loader};
use crate::execution::json_text;

impl Loader {
    /// Problems for the fields of `at` outside `groups` (its JSONPath fields), with the
    /// JSONata fields of its type taken instead of the JSONPath ones in a JSONata state.
    pub(super) fn allow(&mut self, at: &At<'_>, groups: &[&[&str]]) {
        let kind = at.get("Type").and_then(Value::as_str).unwrap_or_default();
        for key in at.fields.keys() {
            if self.other_language(at, key) {
                continue;
            }
            let jsonata_field = at.jsonata && jsonata_fields_of(kind).contains(&key.as_str());
            if !jsonata_field && !groups.iter().any(|g| g.contains(&key.as_str())) {
                self.problem(
                    Some(at.state),
                    at.field(key),
                    format!("not a field of a {kind} state"),
                );
            }
        }
    }

    /// A `QueryLanguage`: `Some(true)` for JSONata, `Some(false)` for JSONPath, `None` when
    /// absent (or wrong, with a problem).
    pub(super) fn query_language(
        &mut self,
        state: Option<&str>,
        path: String,
        value: Option<&Value>,
    ) -> Option<bool> {
        match value? {
            Value::String(s) if s == "JSONPath" => Some(false),
            Value::String(s) if s == "JSONata" => {
                if !cfg!(feature = "jsonata") {
                    self.problem(
                        state,
                        path,
                        "JSONata states need pollflow's `jsonata` feature",
                    );
                }
                Some(true)
            }
            _ => {
                self.problem(state, path, "must be \"JSONPath\" or \"JSONata\"");
                None
            }
        }
    }

    /// A positive whole number of seconds.
    pub(super) fn seconds(
        &mut self,
        state: Option<&str>,
        path: String,
        value: Option<&Value>,
    ) -> Option<Duration> {
        let value = value?;
        match value.as_u64().filter(|s| *s > 0) {
            Some(s) => Some(Duration::from_secs(s)),
            None => {
                self.problem(
                    state,
                    path,
                    format!("must be a positive integer, not {}", json_text(value)),
                );
                None
            }
        }
    }

    /// A Task state's `TimeoutSeconds` or `HeartbeatSeconds`: a positive integer up to
    /// 99,999,999 (Step Functions' default and largest value).
    pub(super) fn task_seconds(&mut self, at: &At<'_>, field: &str) -> Option<Duration> {
        let value = at
            .get(field)
            .filter(|v| !(at.jsonata && is_expression(v)))?;
        match value.as_u64().filter(|s| (1..=MAX_SECONDS).contains(s)) {
            Some(s) => Some(Duration::from_secs(s)),
            None => {
                self.problem(
                    Some(at.state),
                    at.field(field),
                    format!(
                        "must be an integer from 1 to {MAX_SECONDS}, not {}",
                        json_text(value)
                    ),
                );
                None
            }
        }
    }

    /// `Next` or `End: true`, exactly one.
    pub(super) fn flow(&mut self, at: &At<'_>) -> Option<String> {
        let end = at.get("End");
        let next = self.target(at, "Next");
        match (end, &next) {
            (Some(Value::Bool(true)), None) => None,
            (Some(Value::Bool(true)), Some(_)) => {
                self.problem(
                    Some(at.state),
                    at.field("End"),
                    "a state has Next or End, not both",
                );
                None
            }
            (Some(other), _) if !matches!(other, Value::Bool(_)) => {
                self.problem(Some(at.state), at.field("End"), "must be true");
                None
            }
            (_, Some(_)) => next,
            (_, None) => {
                if at.get("Next").is_none() {
                    self.problem(Some(at.state), at.field("Next"), "needs Next, or End: true");
                }
                None
            }
        }
    }

    /// A field naming another state.
    pub(super) fn target(&mut self, at: &At<'_>, field: &str) -> Option<String> {
        match at.get(field)? {
            Value::String(name) if self.names.contains(name) => Some(name.clone()),
            Value::String(name) => {
                self.problem(
                    Some(at.state),
                    at.field(field),
                    format!("no state named {name:?}"),
                );
                None
            }
            _ => {
                self.problem(Some(at.state), at.field(field), "must be a state name");
                None
            }
        }
    }

    /// A string field parsed by `parse`; `not_text` is the problem when it is no string.
    pub(super) fn parsed<T>(
        &mut self,
        at: &At<'_>,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
        not_text: &str,
    ) -> Option<T> {
        let problem = match at.get(field)? {
            Value::String(text) => match parse(text) {
                Ok(value) => return Some(value),
                Err(reason) => reason,
            },
            _ => not_text.to_owned(),
        };
        self.problem(Some(at.state), at.field(field), problem);
        None
    }

    pub(super) fn path(&mut self, at: &At<'_>, field: &str) -> Option<Path> {
        self.parsed(at, field, Path::parse, "must be a path string")
    }

    /// A path or an intrinsic function call (`ErrorPath`, `CausePath`).
    pub(super) fn path_or_call(&mut self, at: &At<'_>, field: &str) -> Option<PathOrCall> {
        self.parsed(
            at,
            field,
            PathOrCall::parse,
            "must be a path or an intrinsic function call, as a string",
        )
    }

    /// `path_field` (such as `TimeoutSecondsPath`), read; a problem if `literal_field` (such
    /// as `TimeoutSeconds`), which it replaces, is there too.
    pub(super) fn path_instead_of(
        &mut self,
        at: &At<'_>,
        path_field: &str,
        literal_field: &str,
    ) -> Option<Path> {
        let path = self.path(at, path_field);
        if path.is_some() && at.get(literal_field).is_some() {
            self.problem(
                Some(at.state),
                at.field(path_field),
                format!("use {literal_field} or {path_field}, not both"),
            );
        }
        path
    }

    /// A path that may be `null` (absent means `$`).
    pub(super) fn nullable_path(&mut self, at: &At<'_>, field: &str) -> Option<Path> {
        match at.get(field) {
            None => Path::parse("$").ok(),
            Some(Value::Null) => None,
            Some(_) => self.path(at, field),
        }
    }

    pub(super) fn template(&mut self, at: &At<'_>, field: &str) -> Option<Template> {
        self.parsed_value(at, field, Template::parse)
    }

    /// A JSON field parsed by `parse`, whose problems (where inside the value, as a path from
    /// `$`, and why) are reported at their place in the definition.
    pub(super) fn parsed_value<T>(
        &mut self,
        at: &At<'_>,
        field: &str,
        parse: impl FnOnce(Value) -> Result<T, Vec<(String, String)>>,
    ) -> Option<T> {
        let value = at.get(field)?;
        match parse(value.clone()) {
            Ok(parsed) => Some(parsed),
            Err(problems) => {
                for (inner, reason) in problems {
                    let path = format!("{}{}", at.field(field), inner.trim_start_matches('$'));
                    self.problem(Some(at.state), path, reason);
                }
                None
            }
        }
    }

    /// `Assign`: an object whose field names (less a `.$`) name variables.
    pub(super) fn assign(&mut self, at: &At<'_>) -> Option<Template> {
        let value = at.get("Assign")?;
        if !value.is_object() {
            self.problem(
                Some(at.state),
                at.field("Assign"),
                "must be an object of variable names and their values",
            );
            return None;
        }
        let template = self.template(at, "Assign")?;
        for name in template.field_names() {
            if let Err(reason) = check_name(name) {
                self.problem(Some(at.state), at.field("Assign"), reason);
            }
        }
        Some(template)
    }

    pub(super) fn io(&mut self, at: &At<'_>, with_result: bool) -> DataFlow {
        if at.jsonata {
            let reads = if with_result && at.get("Type").and_then(Value::as_str) != Some("Pass") {
                Reads::Result
            } else {
                Reads::Input
            };
            // Even without JSONata fields: the state keeps JSONata's rules (a Map's input must
            // be an array, a Choice rule's Output replaces the state's).
            return DataFlow {
                jsonata: Some(self.jsonata_fields(at, reads).unwrap_or_default()),
                ..DataFlow::default()
            };
        }
        let mut io = DataFlow {
            input_path: self.nullable_path(at, "InputPath"),
            output_path: self.nullable_path(at, "OutputPath"),
            assign: self.assign(at),
            ..DataFlow::default()
        };
        if with_result {
            io.parameters = self.template(at, "Parameters");
            io.result_selector = self.template(at, "ResultSelector");
            io.result_path = match at.get("ResultPath") {
                None => ReferencePath::parse("$").ok(),
                Some(Value::Null) => None,
                Some(Value::String(text)) => match ReferencePath::parse(text) {
                    Ok(path) => Some(path),
                    Err(reason) => {
                        self.problem(Some(at.state), at.field("ResultPath"), reason);
                        None
                    }
                },
                Some(_) => {
                    self.problem(
                        Some(at.state),
                        at.field("ResultPath"),
                        "must be a reference path or null",
                    );
                    None
                }
            };
        }
        io
    }

    pub(super) fn delay(&mut self, at: &At<'_>) -> Option<DelayUntil> {
        let given: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|f| at.get(f).is_some())
            .collect();
        if given.len() != 1 {
            let message = if given.is_empty() {
                "a Wait state needs one of Seconds, SecondsPath, Timestamp, TimestampPath"
                    .to_owned()
            } else {
                format!("a Wait state takes one of Seconds, SecondsPath, Timestamp, TimestampPath, not {}", given.join(" and "))
            };
            self.problem(Some(at.state), at.path.clone(), message);
            return None;
        }
        if at.jsonata {
            if let Some(query) = self.query_if_expression(at, given[0]) {
                return Some(match given[0] {
                    "Seconds" => DelayUntil::SecondsQuery(query),
                    _ => DelayUntil::TimestampQuery(query),
                });
            }
        }
        match given[0] {
            "Seconds" => match at.get("Seconds").and_then(Value::as_u64) {
                Some(s) => Some(DelayUntil::Seconds(s)),
                None => {
                    self.problem(
                        Some(at.state),
                        at.field("Seconds"),
                        "must be a non-negative integer",
                    );
                    None
                }
            },
            "Timestamp" => match at.get("Timestamp").and_then(Value::as_str) {
                Some(t) if parse_rfc3339(t).is_some() => Some(DelayUntil::Timestamp(t.to_owned())),
                _ => {
                    self.problem(
                        Some(at.state),
                        at.field("Timestamp"),
                        "must be an RFC 3339 timestamp such as \"2016-03-14T01:59:00Z\"",
                    );
                    None
                }
            },
            "SecondsPath" => self.path(at, "SecondsPath").map(DelayUntil::SecondsPath),
            _ => self
                .path(at, "TimestampPath")
                .map(DelayUntil::TimestampPath),
        }
    }
}
