//! [`Workflow::from_asl`]: an ASL definition's text loaded, compiled, and its problems
//! located in the ASL document.

use super::from_asl;
use crate::workflow::{BuildError, Problem, State, StateMachine, Workflow};

impl Workflow {
    /// Loads an Amazon States Language definition (the JSON text of a Step Functions state
    /// machine). Every problem is reported at once, with the state and the JSON path of the
    /// field; bind the Task states' resources with [`Tasks`](crate::task::Tasks).
    ///
    /// ```
    /// let workflow = pollflow::Workflow::from_asl(r#"{
    ///   "StartAt": "Greet",
    ///   "States": { "Greet": { "Type": "Pass", "Parameters": {"text.$": "States.Format('Hi, {}', $.name)"}, "End": true } }
    /// }"#, "greeter").unwrap();
    /// assert_eq!(workflow.graph().start_at, "Greet");
    /// ```
    pub fn from_asl(definition: &str, name: &str) -> Result<Self, BuildError> {
        let value: serde_json::Value =
            serde_json::from_str(definition).map_err(|e| BuildError {
                problems: vec![Problem {
                    state: None,
                    path: "$".into(),
                    message: format!("not JSON: {e}"),
                }],
            })?;
        let graph = from_asl(&value, name)?;
        Self::from_graph(graph.clone(), []).map_err(|mut e| {
            for problem in &mut e.problems {
                problem.path = asl_path(&problem.path, &graph);
            }
            e
        })
    }
}

/// A graph path (`$.states[3].branches[1].states[0].next`) as the ASL path of the same state
/// (`$.States['P'].Branches[1].States['X']`); a path outside any state is kept.
fn asl_path(path: &str, graph: &StateMachine) -> String {
    let mut out = String::from("$");
    let mut rest = path.strip_prefix('$').unwrap_or(path);
    let mut machine = graph;
    while let Some((k, after)) = rest
        .strip_prefix(".states[")
        .and_then(|r| r.split_once(']'))
    {
        let Some(def) = k.parse::<usize>().ok().and_then(|k| machine.states.get(k)) else {
            break;
        };
        out.push_str(&format!(".States['{}']", def.name.replace('\'', "\\'")));
        rest = after;
        match &def.state {
            State::Parallel { branches, .. } => {
                let Some((j, after)) = rest
                    .strip_prefix(".branches[")
                    .and_then(|r| r.split_once(']'))
                else {
                    break;
                };
                let Some(branch) = j.parse::<usize>().ok().and_then(|j| branches.get(j)) else {
                    break;
                };
                out.push_str(&format!(".Branches[{j}]"));
                machine = branch;
                rest = after;
            }
            State::Map { processor, .. } => {
                let Some(after) = rest.strip_prefix(".processor") else {
                    break;
                };
                out.push_str(".ItemProcessor");
                machine = processor;
                rest = after;
            }
            _ => break,
        }
    }
    if out == "$" {
        path.to_owned()
    } else {
        out
    }
}
