//! What the targets share: splitting an input into text and a JSON document.
#![allow(dead_code)] // Each target uses part of it.

use serde_json::{json, Value};

/// The first line of `data` as text, and the rest parsed as JSON (a fixed document when it is
/// not JSON), so one input exercises both a parser and what it produces.
pub fn text_and_document(data: &[u8]) -> Option<(&str, Value)> {
    let text = std::str::from_utf8(data).ok()?;
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let document = serde_json::from_str(rest).unwrap_or_else(|_| {
        json!({"a": [1, 2.5, "x", null, true, {"b": [[]], "c": "2024-01-31T23:59:59Z"}],
               "s": "a{}b\\{}", "n": -7, "o": {"k": {"k": {"k": [3, 2, 1]}}}})
    });
    Some((first, document))
}

/// A context object shaped like the one the engine passes.
pub fn context() -> Value {
    json!({"Execution": {"Id": "e", "Input": {"x": 1}, "Name": "n", "StartTime": "2024-01-01T00:00:00Z"},
           "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:01Z", "RetryCount": 0},
           "StateMachine": {"Id": "m", "Name": "m"}, "Map": {"Item": {"Index": 0, "Value": [1]}}})
}
