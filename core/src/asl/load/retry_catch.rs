//! `Retry` and `Catch`: retriers, catchers and the error names they match.

use serde_json::Value;

use crate::expr::ReferencePath;
use crate::graph::Catcher;
use crate::policy::{AslRetrier, MAX_DELAY_SECONDS, MAX_SECONDS};

use super::jsonata::Reads;
use super::{At, Loader};
use crate::execution::json_text;

impl Loader {
    pub(super) fn retry(&mut self, at: &At<'_>) -> Vec<AslRetrier> {
        let Some(value) = at.get("Retry") else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.problem(
                Some(at.state),
                at.field("Retry"),
                "must be an array of retriers",
            );
            return Vec::new();
        };
        let mut retriers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.field("Retry"));
            // Step Functions' ranges, checked here so that the message names the field.
            let mut in_range = true;
            for (field, min, max) in [
                ("IntervalSeconds", 1, MAX_SECONDS),
                ("MaxAttempts", 0, MAX_SECONDS),
                ("MaxDelaySeconds", 1, MAX_DELAY_SECONDS),
            ] {
                let Some(value) = item.get(field) else {
                    continue;
                };
                if !value.as_u64().is_some_and(|n| (min..=max).contains(&n)) {
                    self.problem(
                        Some(at.state),
                        format!("{path}.{field}"),
                        format!(
                            "must be an integer from {min} to {max}, not {}",
                            json_text(value)
                        ),
                    );
                    in_range = false;
                }
            }
            if !in_range {
                continue;
            }
            match serde_json::from_value::<AslRetrier>(item.clone()) {
                Ok(retrier) => {
                    if retrier.max_attempts > 0 {
                        if let Err(e) = retrier.wait_policy() {
                            self.problem(Some(at.state), path, e.to_string());
                        }
                    }
                    retriers.push(retrier);
                }
                Err(e) => self.problem(Some(at.state), path, e.to_string()),
            }
        }
        retriers
    }

    pub(super) fn catch(&mut self, at: &At<'_>) -> Vec<Catcher> {
        let Some(value) = at.get("Catch") else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.problem(
                Some(at.state),
                at.field("Catch"),
                "must be an array of catchers",
            );
            return Vec::new();
        };
        let mut catchers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.field("Catch"));
            let Some(fields) = item.as_object() else {
                self.problem(Some(at.state), path, "a catcher must be an object");
                continue;
            };
            let inner = At {
                state: at.state,
                path,
                fields,
                jsonata: at.jsonata,
            };
            self.allow_catcher(&inner);
            let errors = self.error_names(&inner);
            let Some(next) = self.target(&inner, "Next") else {
                if inner.get("Next").is_none() {
                    self.problem(Some(at.state), inner.field("Next"), "is required");
                }
                continue;
            };
            let result_path = match inner.get("ResultPath") {
                None => ReferencePath::parse("$").ok(),
                Some(Value::Null) => None,
                Some(Value::String(text)) => match ReferencePath::parse(text) {
                    Ok(path) => Some(path),
                    Err(reason) => {
                        self.problem(Some(at.state), inner.field("ResultPath"), reason);
                        None
                    }
                },
                Some(_) => {
                    self.problem(
                        Some(at.state),
                        inner.field("ResultPath"),
                        "must be a reference path or null",
                    );
                    None
                }
            };
            let (assign, jsonata) = if inner.jsonata {
                (None, self.jsonata_fields(&inner, Reads::ErrorOutput))
            } else {
                (self.assign(&inner), None)
            };
            catchers.push(Catcher {
                error_equals: errors,
                next,
                result_path,
                assign,
                jsonata,
            });
        }
        catchers
    }

    pub(super) fn allow_catcher(&mut self, at: &At<'_>) {
        for key in at.fields.keys() {
            if self.other_language(at, key) {
                continue;
            }
            let output = at.jsonata && key == "Output";
            if !output
                && !["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"]
                    .contains(&key.as_str())
            {
                self.problem(Some(at.state), at.field(key), "not a field of a catcher");
            }
        }
    }

    pub(super) fn error_names(&mut self, at: &At<'_>) -> Vec<String> {
        match at.get("ErrorEquals").and_then(Value::as_array) {
            Some(names) if !names.is_empty() && names.iter().all(Value::is_string) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => {
                self.problem(
                    Some(at.state),
                    at.field("ErrorEquals"),
                    "must be a non-empty array of error names",
                );
                Vec::new()
            }
        }
    }
}
