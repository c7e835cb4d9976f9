//! Drawings of a graph: Mermaid flowcharts and Graphviz DOT, optionally with the states an
//! execution visited highlighted.

use std::fmt::Write;

use super::graph::{Condition, Operand, State, StateMachine};

impl StateMachine {
    /// The graph as a Mermaid flowchart; `visited` states are highlighted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pollflow::{Branch, WaitPolicy, Workflow};
    ///
    /// let workflow = Workflow::builder("Job Poller")
    ///     .submit("Submit Job")
    ///     .wait("Wait", WaitPolicy::fixed(Duration::from_secs(5)))
    ///     .check("Check")
    ///     .branch("Done?", Branch::new())
    ///     .build()?;
    /// let chart = workflow.graph().to_mermaid(&["Submit Job"]);
    /// assert!(chart.starts_with("flowchart TD"));
    /// assert!(chart.contains(r#"s0["Submit Job"]"#) && chart.contains("s0 --> s1"));
    /// assert!(chart.contains("class s0 visited"));
    /// # Ok::<(), pollflow::BuildError>(())
    /// ```
    pub fn to_mermaid(&self, visited: &[&str]) -> String {
        let mut out = String::from("flowchart TD\n");
        let id = |name: &str| {
            self.index(name)
                .map_or_else(|| "end_".to_owned(), |i| format!("s{i}"))
        };
        let _ = writeln!(out, "    start_((start)) --> {}", id(&self.start_at));
        for (i, def) in self.states.iter().enumerate() {
            let shape = match def.state {
                State::Choice { .. } => ("{", "}"),
                State::Succeed { .. } | State::Fail { .. } => ("([", "])"),
                _ => ("[", "]"),
            };
            let _ = writeln!(
                out,
                "    s{i}{}\"{}\"{}",
                shape.0,
                mermaid_text(&def.name),
                shape.1
            );
        }
        for (i, def) in self.states.iter().enumerate() {
            for (label, target) in edges(&def.state) {
                let to = target.map_or_else(|| "end_((end))".to_owned(), &id);
                let arrow = if label == "catch" { "-.->" } else { "-->" };
                let _ = if label.is_empty() {
                    writeln!(out, "    s{i} {arrow} {to}")
                } else {
                    writeln!(out, "    s{i} {arrow}|{}| {to}", mermaid_text(&label))
                };
            }
        }
        let visited: Vec<String> = visited
            .iter()
            .filter_map(|v| self.index(v))
            .map(|i| format!("s{i}"))
            .collect();
        if !visited.is_empty() {
            out.push_str("    classDef visited fill:#2e7d32,color:#fff,stroke:#1b5e20\n");
            let _ = writeln!(out, "    class {} visited", visited.join(","));
        }
        out
    }

    /// The graph as Graphviz DOT; `visited` states are filled.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pollflow::{Branch, WaitPolicy, Workflow};
    ///
    /// let workflow = Workflow::builder("Job Poller")
    ///     .submit("Submit Job")
    ///     .wait("Wait", WaitPolicy::fixed(Duration::from_secs(5)))
    ///     .check("Check")
    ///     .branch("Done?", Branch::new())
    ///     .build()?;
    /// let dot = workflow.graph().to_dot(&[]);
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains(r#""Submit Job" -> "Wait";"#));
    /// # Ok::<(), pollflow::BuildError>(())
    /// ```
    pub fn to_dot(&self, visited: &[&str]) -> String {
        let mut out = format!(
            "digraph {} {{\n    node [shape=box, style=rounded];\n",
            dot_text(&self.name)
        );
        let _ = writeln!(
            out,
            "    \"(start)\" [shape=circle, label=\"\"];\n    \"(start)\" -> {};",
            dot_text(&self.start_at)
        );
        for def in &self.states {
            let shape = match def.state {
                State::Choice { .. } => "diamond",
                State::Succeed { .. } | State::Fail { .. } => "oval",
                _ => "box",
            };
            let fill = if visited.contains(&def.name.as_str()) {
                ", style=filled, fillcolor=\"#2e7d32\", fontcolor=white"
            } else {
                ""
            };
            let _ = writeln!(out, "    {} [shape={shape}{fill}];", dot_text(&def.name));
        }
        let mut ends = false;
        for def in &self.states {
            for (label, target) in edges(&def.state) {
                let to = target.map_or_else(
                    || {
                        ends = true;
                        "\"(end)\"".to_owned()
                    },
                    dot_text,
                );
                let mut attrs = Vec::new();
                if !label.is_empty() {
                    attrs.push(format!("label={}", dot_text(&label)));
                }
                if label == "catch" {
                    attrs.push("style=dashed".to_owned());
                }
                let attrs = if attrs.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", attrs.join(", "))
                };
                let _ = writeln!(out, "    {} -> {to}{attrs};", dot_text(&def.name));
            }
        }
        if ends {
            out.push_str("    \"(end)\" [shape=doublecircle, label=\"\"];\n");
        }
        out.push_str("}\n");
        out
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }
}

/// A state's outgoing edges: `(label, target)`; `None` ends the execution.
fn edges(state: &State) -> Vec<(String, Option<&str>)> {
    let mut edges = Vec::new();
    match state {
        State::Submit { next, .. }
        | State::Wait { next, .. }
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
        Condition::DetailEquals { pointer, value } => format!("{pointer} = {value}"),
        Condition::Predicate(name) => name.clone(),
        Condition::Not(inner) => format!("not ({})", label(inner)),
        Condition::And(all) => join(all, " and "),
        Condition::Or(all) => join(all, " or "),
        Condition::Compare { variable, op, with } => {
            let right = match with {
                Operand::Value(v) => v.to_string(),
                Operand::Path(p) => p.as_str().to_owned(),
            };
            format!("{} {op:?} {right}", variable.as_str())
        }
    }
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn dot_text(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
