//! Where each state of a definition lives: inside which Parallel branches and Map processors.

use std::collections::HashMap;

use serde_json::Value;

/// A state's place in its definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Place {
    /// How many Parallel and Map states enclose it.
    pub(super) depth: usize,
    /// The enclosing Parallel state and the branch's index, when that is what encloses it.
    pub(super) branch: Option<(String, u32)>,
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
        places.insert(
            name.clone(),
            Place {
                depth,
                branch: branch.clone(),
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
                    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}}}
            ], "End": true}}}));
        assert_eq!(places["P"], Place::default());
        assert_eq!(
            places["A"],
            Place {
                depth: 1,
                branch: Some(("P".into(), 0))
            }
        );
        assert_eq!(
            places["M"],
            Place {
                depth: 1,
                branch: Some(("P".into(), 1))
            }
        );
        assert_eq!(
            places["I"],
            Place {
                depth: 2,
                branch: None
            }
        );
    }
}
