//! Where each state of a definition lives: inside which Parallel branches and Map processors.

use std::collections::HashMap;

use pollflow::TaskError;
use serde_json::Value;

/// A state's place in its definition.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Place {
    /// How many Parallel and Map states enclose it.
    pub(super) depth: usize,
    /// The enclosing Parallel state and the branch's index, when that is what encloses it.
    pub(super) branch: Option<(String, u32)>,
    /// A Fail state's error and cause, when the definition names them.
    pub(super) fails_with: Option<TaskError>,
}

impl Place {
    /// Whether the state is directly in a Map's item processor.
    pub(super) fn in_map_item(&self) -> bool {
        self.depth > 0 && self.branch.is_none()
    }
}

/// Every state of an ASL definition by name (names are unique in the whole machine).
pub(super) fn places(definition: &Value) -> HashMap<String, Place> {
    let mut places = HashMap::new();
    add(definition, 0, None, &mut places);
    places
}

fn add(
    machine: &Value,
    depth: usize,
    branch: Option<(String, u32)>,
    places: &mut HashMap<String, Place>,
) {
    let Some(states) = machine.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let text = |field: &str| state.get(field).and_then(Value::as_str);
        let fails_with = (text("Type") == Some("Fail"))
            .then(|| text("Error").map(|e| TaskError::new(e, text("Cause").unwrap_or_default())))
            .flatten();
        places.insert(
            name.clone(),
            Place {
                depth,
                branch: branch.clone(),
                fails_with,
            },
        );
        let branches = state.get("Branches").and_then(Value::as_array);
        for (i, inner) in branches.into_iter().flatten().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            add(inner, depth + 1, Some((name.clone(), index)), places);
        }
        // `Iterator` is the older name of `ItemProcessor`.
        if let Some(processor) = state.get("ItemProcessor").or_else(|| state.get("Iterator")) {
            add(processor, depth + 1, None, places);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_in_branches_and_processors_know_their_depth_and_branch() {
        let places = places(&json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                {"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Fail", "Error": "E", "Cause": "c"}}}}}}
            ], "End": true}}}));
        assert_eq!(places["P"], Place::default());
        let place = |depth, branch: Option<(&str, u32)>| Place {
            depth,
            branch: branch.map(|(state, index)| (state.to_owned(), index)),
            fails_with: None,
        };
        assert_eq!(places["A"], place(1, Some(("P", 0))));
        assert_eq!(places["M"], place(1, Some(("P", 1))));
        assert_eq!(places["I"].fails_with, Some(TaskError::new("E", "c")));
        assert_eq!((places["I"].depth, &places["I"].branch), (2, &None));
        assert!(places["I"].in_map_item() && !places["A"].in_map_item());
    }
}
