//! [`JobTasks::Sync`](super::JobTasks::Sync): a builder's Submit → Wait → Check loop as one
//! `.sync` Task, which Step Functions waits on.

use serde_json::{json, Map, Value};

use crate::graph::{Catcher, Condition, State, StateMachine};
use crate::names;

use super::with_catch;

/// The Task a Submit state becomes, and the states it adds, named after it:
/// - `<Submit> Failed?` (Choice), where every error the Task's `States.TaskFailed` catcher
///   takes arrives, with `{Error, Cause}` at `$.status`: a failed job (`States.TaskFailed`)
///   goes on to `<Submit> Failed`, any other error to `<Submit> Error`;
/// - `<Submit> Failed` (Pass): sets `$.status.status` to `FAILED` and goes where the poll loop
///   went, so the Choice's failed branch takes it, as it takes a failed check locally;
/// - `<Submit> Error`: what the Submit's catchers of every error (`States.ALL`) do with the
///   error (a Pass that puts it at their `ResultPath` and goes on), or without one, a Fail
///   with the error and cause.
///
/// Catchers of named errors stay ahead of the added one, so they still see their errors.
pub(super) fn submit_task(
    graph: &StateMachine,
    name: &str,
    next: &str,
    catch: &[Catcher],
    resource: &str,
    parameters: &Value,
) -> Result<(Value, Vec<(String, Value)>), String> {
    let [check, failed, error] = ["Failed?", "Failed", "Error"].map(|s| format!("{name} {s}"));
    if let Some(taken) = [&check, &failed, &error]
        .into_iter()
        .find(|added| graph.states.iter().any(|s| &s.name == *added))
    {
        return Err(format!(
            "a .sync export adds a state named {taken:?}, which exists"
        ));
    }
    let after = after_poll_loop(graph, next);
    let (general, named): (Vec<Catcher>, Vec<Catcher>) = catch.iter().cloned().partition(|c| {
        c.error_equals
            .iter()
            .any(|e| e == names::ALL || e == names::TASK_FAILED)
    });
    let mut task = with_catch(
        json!({"Type": "Task", "Resource": resource, "Parameters": parameters,
            "ResultSelector": {"status": "SUCCEEDED", "output.$": "$", "detail.$": "$"},
            "ResultPath": "$.status", "Next": after}),
        &named,
    );
    let ours =
        json!({"ErrorEquals": [names::TASK_FAILED], "ResultPath": "$.status", "Next": check});
    let mut catchers = task["Catch"].as_array().cloned().unwrap_or_default();
    catchers.push(ours);
    catchers.extend(
        with_catch(json!({}), &general)["Catch"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    task["Catch"] = Value::Array(catchers);

    let on_error = match general.first() {
        Some(catcher) => json!({"Type": "Pass", "InputPath": "$.status",
            "ResultPath": catcher.result_path.as_ref().map(|p| p.as_str()), "Next": catcher.next}),
        None => {
            json!({"Type": "Fail", "ErrorPath": "$.status.Error", "CausePath": "$.status.Cause"})
        }
    };
    let added = vec![
        (
            check,
            json!({"Type": "Choice", "Default": error, "Choices": [
                {"Variable": "$.status.Error", "StringEquals": names::TASK_FAILED, "Next": failed}]}),
        ),
        (
            failed,
            json!({"Type": "Pass", "Result": "FAILED", "ResultPath": "$.status.status", "Next": after}),
        ),
        (error, on_error),
    ];
    Ok((task, added))
}

/// The first state after a Submit's poll loop (its Wait and Check states).
fn after_poll_loop<'a>(graph: &'a StateMachine, mut next: &'a str) -> &'a str {
    for _ in 0..graph.states.len() {
        match graph
            .states
            .iter()
            .find(|s| s.name == next)
            .map(|s| &s.state)
        {
            Some(State::PollWait { next: n, .. } | State::Check { next: n, .. }) => next = n,
            _ => break,
        }
    }
    next
}

/// Whether the state named `name` is a poll loop's Wait or Check, which the export leaves out.
pub(super) fn left_out(graph: &StateMachine, name: &str) -> bool {
    graph
        .states
        .iter()
        .any(|s| s.name == name && matches!(s.state, State::PollWait { .. } | State::Check { .. }))
}

/// Why a builder condition cannot be exported with `.sync`, if it cannot.
pub(super) fn unexported(condition: &Condition) -> Option<String> {
    match condition {
        Condition::StatusIs(_) | Condition::DetailEquals { .. } => Some(
            "conditions on the job's detail do not export to .sync: its result is Step \
             Functions' job description, whose fields are PascalCase"
                .into(),
        ),
        Condition::Not(inner) => unexported(inner),
        Condition::And(all) | Condition::Or(all) => all.iter().find_map(unexported),
        _ => None,
    }
}

/// The states of the exported machine that go to a state it does not have (one the export
/// left out), and a Choice left without rules: `(state, problem)`.
pub(super) fn dangling(start_at: &str, states: &Map<String, Value>) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if !states.contains_key(start_at) {
        problems.push((
            start_at.to_owned(),
            "the machine starts with a poll loop's Wait or Check, which a .sync export leaves out"
                .to_owned(),
        ));
    }
    for (name, state) in states {
        let rules = state["Choices"].as_array().into_iter().flatten();
        let catchers = state["Catch"].as_array().into_iter().flatten();
        let targets = [&state["Next"], &state["Default"]]
            .into_iter()
            .chain(rules.chain(catchers).map(|c| &c["Next"]))
            .filter_map(Value::as_str);
        for target in targets.filter(|t| !states.contains_key(*t)) {
            problems.push((
                name.clone(),
                format!("goes to {target:?}, a poll loop's Wait or Check, which a .sync export leaves out (only a Choice rule may)"),
            ));
        }
        if state["Type"] == "Choice" && state["Choices"].as_array().is_some_and(Vec::is_empty) {
            problems.push((
                name.clone(),
                "every rule of this Choice goes to a state a .sync export leaves out".to_owned(),
            ));
        }
    }
    problems
}
