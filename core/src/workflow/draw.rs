//! Drawings of a graph: Mermaid flowcharts and Graphviz DOT, optionally with the states an
//! execution visited highlighted.

use std::fmt::Write;

use super::graph::{Condition, Operand, State, StateMachine};
use crate::execution::json_text;
use serde_json::Value;

impl StateMachine {
    /// The graph as a Mermaid flowchart; `visited` states are highlighted.
    ///
    /// A Parallel state's branches and a Map state's item processor are drawn as subgraphs
    /// that the state points into (a dotted edge to each one's first state).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pollflow::{WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    ///
    /// let workflow = Workflow::builder("Job Poller")
    ///     .submit("Submit Job")
    ///     .wait("Wait", WaitPolicy::fixed(Duration::from_secs(5)))
    ///     .check("Check")
    ///     .branch("Done?", Choice::new())
    ///     .build()?;
    /// let chart = workflow.graph().to_mermaid(&["Submit Job"]);
    /// assert!(chart.starts_with("flowchart TD"));
    /// assert!(chart.contains(r#"s0["Submit Job"]"#) && chart.contains("s0 --> s1"));
    /// assert!(chart.contains("class s0 visited"));
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn to_mermaid(&self, visited: &[&str]) -> String {
        let mut out = String::from("flowchart TD\n");
        let _ = writeln!(
            out,
            "    start_((start)) --> {}",
            self.mermaid_id("", &self.start_at)
        );
        let mut highlighted = Vec::new();
        self.mermaid_states(&mut out, "", visited, &mut highlighted);
        if !highlighted.is_empty() {
            out.push_str("    classDef visited fill:#2e7d32,color:#fff,stroke:#1b5e20\n");
            let _ = writeln!(out, "    class {} visited", highlighted.join(","));
        }
        out
    }

    /// The Mermaid id of state `name` of this machine, drawn with ids starting `prefix`.
    fn mermaid_id(&self, prefix: &str, name: &str) -> String {
        self.index(name)
            .map_or_else(|| "end_((end))".to_owned(), |i| format!("{prefix}s{i}"))
    }

    /// Writes this machine's states and edges (ids starting `prefix`), then each Parallel
    /// branch and Map processor as a subgraph its state points into; collects the ids of the
    /// `visited` states. Inside a branch an end is the branch's: it gets no edge.
    fn mermaid_states(
        &self,
        out: &mut String,
        prefix: &str,
        visited: &[&str],
        highlighted: &mut Vec<String>,
    ) {
        for (i, def) in self.states.iter().enumerate() {
            let shape = match def.state {
                State::Choice { .. } => ("{", "}"),
                State::Succeed { .. } | State::Fail { .. } => ("([", "])"),
                State::Parallel { .. } | State::Map { .. } => ("[[", "]]"),
                _ => ("[", "]"),
            };
            let id = format!("{prefix}s{i}");
            let _ = writeln!(
                out,
                "    {id}{}\"{}\"{}",
                shape.0,
                mermaid_text(&def.name),
                shape.1
            );
            if visited.contains(&def.name.as_str()) {
                highlighted.push(id);
            }
        }
        for (i, def) in self.states.iter().enumerate() {
            for (label, target) in edges(&def.state) {
                if target.is_none() && !prefix.is_empty() {
                    continue;
                }
                let to =
                    target.map_or_else(|| "end_((end))".to_owned(), |t| self.mermaid_id(prefix, t));
                let arrow = if label == "catch" { "-.->" } else { "-->" };
                let _ = if label.is_empty() {
                    writeln!(out, "    {prefix}s{i} {arrow} {to}")
                } else {
                    writeln!(
                        out,
                        "    {prefix}s{i} {arrow}|{}| {to}",
                        mermaid_text(&label)
                    )
                };
            }
        }
        for (i, def) in self.states.iter().enumerate() {
            for (b, (label, machine)) in inner_machines(&def.state).into_iter().enumerate() {
                let inner = format!("{prefix}s{i}_{b}_");
                let title = format!("{}: {label}", def.name);
                let _ = writeln!(out, "    subgraph {inner}g[\"{}\"]", mermaid_text(&title));
                machine.mermaid_states(out, &inner, visited, highlighted);
                out.push_str("    end\n");
                let _ = writeln!(
                    out,
                    "    {prefix}s{i} -.->|{}| {}",
                    mermaid_text(&label),
                    machine.mermaid_id(&inner, &machine.start_at)
                );
            }
        }
    }

    /// The graph as Graphviz DOT; `visited` states are filled.
    ///
    /// A Parallel state's branches and a Map state's item processor are drawn as dashed
    /// clusters that the state points into.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pollflow::{WaitPolicy, Workflow};
    /// use pollflow::workflow::Choice;
    ///
    /// let workflow = Workflow::builder("Job Poller")
    ///     .submit("Submit Job")
    ///     .wait("Wait", WaitPolicy::fixed(Duration::from_secs(5)))
    ///     .check("Check")
    ///     .branch("Done?", Choice::new())
    ///     .build()?;
    /// let dot = workflow.graph().to_dot(&[]);
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains(r#""Submit Job" -> "Wait";"#));
    /// # Ok::<(), pollflow::workflow::BuildError>(())
    /// ```
    pub fn to_dot(&self, visited: &[&str]) -> String {
        let mut out = format!(
            "digraph {} {{\n    node [shape=box, style=rounded];\n",
            dot_text(&self.name)
        );
        let _ = writeln!(
            out,
            "    \"(start)\" [shape=circle, label=\"\"];\n    \"(start)\" -> {};",
            dot_id(&self.start_at)
        );
        let mut ends = false;
        self.dot_states(&mut out, "", visited, &mut ends);
        if ends {
            out.push_str("    \"(end)\" [shape=doublecircle, label=\"\"];\n");
        }
        out.push_str("}\n");
        out
    }

    /// Writes this machine's states and edges, then each Parallel branch and Map processor as
    /// a cluster (named after `cluster`) its state points into; notes whether an edge ends
    /// the execution. State names are unique in the whole machine, so they stay the node ids
    /// (see [`dot_id`]).
    fn dot_states(&self, out: &mut String, cluster: &str, visited: &[&str], ends: &mut bool) {
        let top = cluster.is_empty();
        for def in &self.states {
            let shape = match def.state {
                State::Choice { .. } => "diamond",
                State::Succeed { .. } | State::Fail { .. } => "oval",
                State::Parallel { .. } | State::Map { .. } => "box3d",
                _ => "box",
            };
            let fill = if visited.contains(&def.name.as_str()) {
                ", style=filled, fillcolor=\"#2e7d32\", fontcolor=white"
            } else {
                ""
            };
            let id = dot_id(&def.name);
            let label = if id == dot_text(&def.name) {
                String::new()
            } else {
                format!(", label={}", dot_text(&def.name))
            };
            let _ = writeln!(out, "    {id} [shape={shape}{fill}{label}];");
        }
        for def in &self.states {
            for (label, target) in edges(&def.state) {
                let to = match target {
                    Some(target) => dot_id(target),
                    None if top => {
                        *ends = true;
                        "\"(end)\"".to_owned()
                    }
                    None => continue,
                };
                let mut attrs = Vec::new();
                if !label.is_empty() {
                    attrs.push(format!("label={}", dot_text(&label)));
                }
                if label == "catch" {
                    attrs.push("style=dashed".to_owned());
                }
                let _ = writeln!(
                    out,
                    "    {} -> {to}{};",
                    dot_id(&def.name),
                    dot_attrs(&attrs)
                );
            }
        }
        for (i, def) in self.states.iter().enumerate() {
            for (b, (label, machine)) in inner_machines(&def.state).into_iter().enumerate() {
                let inner = format!("{cluster}cluster_{i}_{b}_");
                let title = format!("{}: {label}", def.name);
                let _ = writeln!(
                    out,
                    "    subgraph {} {{\n    label={}; style=dashed;",
                    dot_text(&inner),
                    dot_text(&title)
                );
                machine.dot_states(out, &inner, visited, ends);
                out.push_str("    }\n");
                let attrs = [
                    format!("label={}", dot_text(&label)),
                    "style=dotted".to_owned(),
                ];
                let _ = writeln!(
                    out,
                    "    {} -> {}{};",
                    dot_id(&def.name),
                    dot_id(&machine.start_at),
                    dot_attrs(&attrs)
                );
            }
        }
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }
}

/// The machines inside a state, labelled: a Parallel state's branches, a Map state's item
/// processor.
fn inner_machines(state: &State) -> Vec<(String, &StateMachine)> {
    match state {
        State::Parallel { branches, .. } => branches
            .iter()
            .enumerate()
            .map(|(b, machine)| (format!("branch {}", b + 1), machine))
            .collect(),
        State::Map { processor, .. } => vec![("each item".to_owned(), &**processor)],
        _ => Vec::new(),
    }
}

/// DOT edge attributes, ` [a, b]`, or nothing.
fn dot_attrs(attrs: &[String]) -> String {
    if attrs.is_empty() {
        String::new()
    } else {
        format!(" [{}]", attrs.join(", "))
    }
}

/// A state's outgoing edges: `(label, target)`; `None` ends the execution.
fn edges(state: &State) -> Vec<(String, Option<&str>)> {
    let mut edges = Vec::new();
    match state {
        State::Submit { next, .. }
        | State::PollWait { next, .. }
        | State::Check { next, .. }
        | State::Notify { next, .. } => {
            edges.push((String::new(), Some(next.as_str())));
        }
        State::Task { next, .. }
        | State::Pass { next, .. }
        | State::Delay { next, .. }
        | State::Parallel { next, .. }
        | State::Map { next, .. } => {
            edges.push((String::new(), next.as_deref()));
        }
        State::Choice {
            choices, default, ..
        } => {
            edges.extend(
                choices
                    .iter()
                    .map(|rule| (label(&rule.condition), Some(rule.next.as_str()))),
            );
            if let Some(default) = default {
                edges.push(("default".to_owned(), Some(default.as_str())));
            }
        }
        State::Succeed { .. } | State::Fail { .. } => {}
    }
    if let State::Submit { catch, .. }
    | State::Check { catch, .. }
    | State::Notify { catch, .. }
    | State::Task { catch, .. }
    | State::Parallel { catch, .. }
    | State::Map { catch, .. } = state
    {
        edges.extend(
            catch
                .iter()
                .map(|c| ("catch".to_owned(), Some(c.next.as_str()))),
        );
    }
    edges
}

/// A short text for a Choice rule's condition.
fn label(condition: &Condition) -> String {
    let join = |all: &[Condition], op: &str| all.iter().map(label).collect::<Vec<_>>().join(op);
    match condition {
        Condition::Succeeded => "succeeded".into(),
        Condition::Failed => "failed".into(),
        Condition::Pending => "pending".into(),
        Condition::StatusIs(word) => format!("status {word}"),
        Condition::DetailEquals { pointer, value } => format!("{pointer} = {}", json_text(value)),
        Condition::Predicate(name) => name.clone(),
        Condition::Not(inner) => format!("not ({})", label(inner)),
        Condition::And(all) => join(all, " and "),
        Condition::Or(all) => join(all, " or "),
        Condition::Compare { variable, op, with } => {
            let right = match with {
                Operand::Value(v) => json_text(v),
                Operand::Path(p) => p.as_str().to_owned(),
            };
            format!("{} {op:?} {right}", variable.as_str())
        }
        Condition::Jsonata(query) => match query.as_value() {
            Value::String(text) => text.clone(),
            other => json_text(other),
        },
    }
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// The DOT node id of a state: its name, quoted — but the drawing's own nodes are `(start)`
/// and `(end)`, so a name that starts with `(` gets one more in front (`(start)` becomes
/// `((start)`, `((x` becomes `(((x`). No two names share an id, and no name takes the
/// drawing's; such a state is labelled with its name.
fn dot_id(name: &str) -> String {
    if name.starts_with('(') {
        dot_text(&format!("({name}"))
    } else {
        dot_text(name)
    }
}

fn dot_text(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
