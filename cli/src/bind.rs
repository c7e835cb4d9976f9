//! `--task STATE=COMMAND`: which Task state a binding names, and what serves it.

use pollflow::graph::{State, StateMachine};
use pollflow::task::Tasks;

use crate::real_work::RealWork;
use crate::shell::{ShellCallback, ShellCommand, ShellJob, ShellTask};

/// Binds each `STATE=COMMAND` to its Task state: a request-response state gets a
/// [`ShellTask`], a `.sync` state a [`ShellJob`] (the command is the job), a
/// `.waitForTaskToken` state a [`ShellCallback`] (the command hands the token on).
pub(crate) fn bind_commands(
    mut tasks: Tasks,
    graph: &StateMachine,
    bindings: &[String],
    max_output_bytes: usize,
    work: &RealWork,
    endpoint: Option<&str>,
) -> Result<Tasks, String> {
    let states = task_states(graph);
    for binding in bindings {
        let (state, command, resource) = split(binding, &states)?;
        let command = ShellCommand {
            command: command.to_owned(),
            max_output_bytes,
            work: work.clone(),
            endpoint: endpoint.map(str::to_owned),
        };
        tasks = if resource.ends_with(".sync") {
            tasks.job(state, ShellJob::new(command))
        } else if resource.ends_with(".waitForTaskToken") {
            tasks.handler(state, ShellCallback(command))
        } else {
            tasks.handler(state, ShellTask(command))
        };
    }
    Ok(tasks)
}

/// Splits `STATE=COMMAND`. State names and commands may both contain `=`: STATE is the
/// longest text before an `=` that names a Task state. Returns the state's resource too.
pub(crate) fn split<'a>(
    binding: &'a str,
    states: &[(&str, &'a str)],
) -> Result<(&'a str, &'a str, &'a str), String> {
    let named = binding.match_indices('=').rev().find_map(|(at, _)| {
        let name = &binding[..at];
        states
            .iter()
            .find(|(state, _)| *state == name)
            .map(|(_, resource)| (name, &binding[at + 1..], *resource))
    });
    if let Some(found) = named {
        return Ok(found);
    }
    let Some((name, _)) = binding.split_once('=') else {
        return Err(format!("--task takes STATE=COMMAND, not {binding:?}"));
    };
    let names: Vec<String> = states.iter().map(|(name, _)| format!("{name:?}")).collect();
    Err(match names.is_empty() {
        true => format!("--task {binding:?}: the state machine has no Task state"),
        false => format!(
            "--task {binding:?}: there is no Task state named {name:?} (Task states: {})",
            names.join(", ")
        ),
    })
}

/// Whether a Task state of the machine (at any depth) waits for a task token.
pub(crate) fn waits_for_tokens(graph: &StateMachine) -> bool {
    task_states(graph)
        .iter()
        .any(|(_, resource)| resource.ends_with(".waitForTaskToken"))
}

/// The Task states of a machine, also inside Parallel branches and Map processors, with their
/// resources.
pub(crate) fn task_states(graph: &StateMachine) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    let mut machines = vec![graph];
    while let Some(machine) = machines.pop() {
        for def in &machine.states {
            match &def.state {
                State::Task { resource, .. } => found.push((def.name.as_str(), resource.as_str())),
                State::Parallel { branches, .. } => machines.extend(branches.iter()),
                State::Map { processor, .. } => machines.push(processor),
                _ => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_that_names_a_task_state_wins() {
        let states = [("a", "x"), ("a=b", "y.sync")];
        assert_eq!(
            split("a=b=echo 1", &states),
            Ok(("a=b", "echo 1", "y.sync"))
        );
        assert_eq!(split("a=echo x=1", &states), Ok(("a", "echo x=1", "x")));
        assert_eq!(split("a=", &states), Ok(("a", "", "x")));
        let unknown = split("c=d", &states).unwrap_err();
        assert!(unknown.contains("no Task state named \"c\""), "{unknown}");
        assert!(split("a", &states).unwrap_err().contains("STATE=COMMAND"));
    }
}
