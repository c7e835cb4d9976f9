//! Compiling a graph: names resolved to indices, fields checked (with [`Checker`]), the
//! states no path reaches reported.

use smol_str::SmolStr;
use std::collections::HashMap;

use super::check::Checker;
use super::*;

/// Compiles a graph of the workflow whose graph is `top`, `depth` Parallel or Map states
/// deep (0: `top` itself).
pub(super) fn compile<'a>(
    graph: &'a StateMachine,
    predicates: &'a HashMap<String, Predicate>,
    top: &'a StateMachine,
    depth: u32,
) -> Result<Compiled, BuildError> {
    let mut c = Checker {
        top,
        depth,
        index: HashMap::new(),
        predicates,
        problems: Vec::new(),
    };
    if graph.states.is_empty() {
        c.problem(
            None,
            "$.states".into(),
            "a workflow needs at least one state",
        );
    }
    for (i, def) in graph.states.iter().enumerate() {
        let path = format!("$.states[{i}].name");
        if def.name.is_empty() {
            c.problem(None, path, "state names must not be empty");
        } else if c.index.insert(&def.name, i as u32).is_some() {
            c.problem(Some(&def.name), path, "duplicate state name");
        }
    }
    let start = c.target(&graph.start_at, "$.start_at".into(), &graph.start_at);

    let mut nodes = Vec::with_capacity(graph.states.len());
    for (i, def) in graph.states.iter().enumerate() {
        let at = |field: &str| format!("$.states[{i}].{field}");
        let name = def.name.as_str();
        let catch = match &def.state {
            State::Submit { catch, .. }
            | State::Check { catch, .. }
            | State::Notify { catch, .. }
            | State::Task { catch, .. }
            | State::Parallel { catch, .. }
            | State::Map { catch, .. } => c.catchers(name, &at("catch"), catch),
            _ => Vec::new(),
        };
        match &def.state {
            State::Task { io, .. }
            | State::Pass { io, .. }
            | State::Delay { io, .. }
            | State::Choice { io, .. }
            | State::Parallel { io, .. }
            | State::Map { io, .. } => {
                // Only ASL states assign: without ASL support this compiles away.
                if let (Some(template), Some(asl)) = (&io.assign, AslOnly::witness()) {
                    asl.run(|| c.variable_names(name, &at("io.assign"), template));
                }
            }
            State::Succeed { io } if io.assign.is_some() && AslOnly::witness().is_some() => {
                c.problem(
                    Some(name),
                    at("io.assign"),
                    "a Succeed state assigns no variables",
                );
            }
            _ => {}
        }
        let kind = match &def.state {
            State::Submit { next, .. } => NodeKind::Submit {
                next: c.target(name, at("next"), next),
            },
            State::PollWait { policy, next } => {
                c.policy(name, at("policy"), policy);
                NodeKind::PollWait {
                    policy: policy.clone(),
                    next: c.target(name, at("next"), next),
                }
            }
            State::Check { next, retry, .. } => {
                c.policy(name, at("retry"), retry);
                NodeKind::Check {
                    next: c.target(name, at("next"), next),
                    retry: retry.clone(),
                }
            }
            State::Choice {
                choices,
                default,
                io,
            } => {
                let rules = choices
                    .iter()
                    .enumerate()
                    .map(|(j, rule)| {
                        let test = c.test(
                            name,
                            at(&format!("choices[{j}].condition")),
                            &rule.condition,
                        );
                        (
                            test,
                            c.target(name, at(&format!("choices[{j}].next")), &rule.next),
                            c.rule_assign(name, at(&format!("choices[{j}].assign")), rule),
                        )
                    })
                    .collect();
                NodeKind::Choice {
                    rules,
                    default: c.next(name, at("default"), default.as_ref()),
                    io: c.io(name, at("io"), io),
                }
            }
            State::Notify {
                subject,
                message,
                next,
                ..
            } => NodeKind::Notify {
                subject: subject.clone(),
                message: message.clone(),
                next: c.target(name, at("next"), next),
            },
            State::Succeed { io } => NodeKind::Succeed {
                io: c.io(name, at("io"), io),
            },
            State::Fail {
                error,
                cause,
                error_path,
                cause_path,
                ..
            } => NodeKind::Fail {
                error: error.clone(),
                cause: cause.clone(),
                paths: match (error_path, cause_path, def.state.fail_jsonata()) {
                    (None, None, None) => None,
                    _ => c.asl(name, at("error_path")).map(|asl| FailPaths {
                        error: error_path.clone(),
                        cause: cause_path.clone(),
                        jsonata: def.state.fail_jsonata().cloned().map(Box::new),
                        asl,
                    }),
                },
            },
            State::Task {
                resource,
                io,
                next,
                retry,
                timeout,
                timeout_path,
                heartbeat,
                heartbeat_path,
                ..
            } => match c.asl(name, at("type")) {
                Some(asl) => NodeKind::Task {
                    resource: Arc::from(resource.as_str()),
                    sync: resource.ends_with(".sync"),
                    callback: resource.ends_with(crate::task_token::CALLBACK_SUFFIX),
                    io: io.clone(),
                    next: c.next(name, at("next"), next.as_ref()),
                    retry: c.retriers(name, &at("retry"), retry),
                    timeout_ms: timeout.map(crate::policy::to_millis),
                    timeout_path: timeout_path.clone(),
                    heartbeat_ms: heartbeat.map(crate::policy::to_millis),
                    heartbeat_path: heartbeat_path.clone(),
                    asl,
                },
                None => NodeKind::Succeed { io: None },
            },
            State::Pass { result, io, next } => match c.asl(name, at("type")) {
                Some(asl) => NodeKind::Pass {
                    result: result.clone(),
                    io: io.clone(),
                    next: c.next(name, at("next"), next.as_ref()),
                    asl,
                },
                None => NodeKind::Succeed { io: None },
            },
            State::Delay { until, io, next } => match c.asl(name, at("type")) {
                Some(asl) => NodeKind::Delay {
                    until: until.clone(),
                    io: io.clone(),
                    next: c.next(name, at("next"), next.as_ref()),
                    asl,
                },
                None => NodeKind::Succeed { io: None },
            },
            State::Parallel {
                branches,
                io,
                next,
                retry,
                ..
            } => match c.asl(name, at("type")) {
                Some(asl) => {
                    let compiled: Vec<Option<Compiled>> = branches
                        .iter()
                        .enumerate()
                        .map(|(j, b)| c.sub(name, &at(&format!("branches[{j}]")), b))
                        .collect();
                    let next = c.next(name, at("next"), next.as_ref());
                    let retry = c.retriers(name, &at("retry"), retry);
                    match compiled.into_iter().collect() {
                        Some(branches) => NodeKind::Parallel {
                            branches,
                            io: io.clone(),
                            next,
                            retry,
                            asl,
                        },
                        None => NodeKind::Succeed { io: None },
                    }
                }
                None => NodeKind::Succeed { io: None },
            },
            State::Map {
                processor,
                items_path,
                item_selector,
                max_concurrency,
                max_concurrency_path,
                io,
                next,
                retry,
                ..
            } => match c.asl(name, at("type")) {
                Some(asl) => {
                    let compiled = c.sub(name, &at("processor"), processor);
                    let next = c.next(name, at("next"), next.as_ref());
                    let retry = c.retriers(name, &at("retry"), retry);
                    match compiled {
                        Some(processor) => NodeKind::Map {
                            processor: Box::new(processor),
                            items: Box::new(Items {
                                path: items_path.clone(),
                                selector: item_selector.clone(),
                                max_concurrency: *max_concurrency,
                                max_concurrency_path: max_concurrency_path.clone(),
                                jsonata: io.jsonata().cloned().map(Box::new),
                            }),
                            io: io.clone(),
                            next,
                            retry,
                            asl,
                        },
                        None => NodeKind::Succeed { io: None },
                    }
                }
                None => NodeKind::Succeed { io: None },
            },
        };
        nodes.push(compiled::Node {
            name: SmolStr::from(name),
            kind,
            catch,
            uses_context: if uses_context(&def.state)
                || (AslOnly::witness().is_some() && written_in_jsonata(&def.state))
            {
                c.asl(name, format!("$.states[{i}]"))
            } else {
                None
            },
        });
    }

    if c.problems.is_empty() {
        for (i, reached) in reachable(start, &nodes).into_iter().enumerate() {
            if !reached {
                let name = graph.states[i].name.clone();
                c.problem(
                    Some(&name),
                    format!("$.states[{i}]"),
                    "not reachable from start_at",
                );
            }
        }
    }
    if !c.problems.is_empty() {
        return Err(BuildError {
            problems: c.problems,
        });
    }
    Ok(Compiled {
        name: SmolStr::from(graph.name.as_str()),
        base: 0,
        start,
        nodes,
        cancel_on_stop: graph.cancel_on_stop,
        timeout_ms: graph.timeout.map(crate::policy::to_millis),
        sync_poll: graph.sync_poll.clone().unwrap_or_else(default_sync_poll),
        sync_check_retry: default_check_retry(),
    })
}

/// Whether a state's paths or templates read the context object (`$$`).
fn uses_context(state: &State) -> bool {
    match state {
        State::Task { .. }
        | State::Pass { .. }
        | State::Delay { .. }
        | State::Choice { .. }
        | State::Succeed { .. }
        | State::Fail { .. } => mentions_context(&Flattened { state }),
        // Their own fields only: the branches' states are compiled (and asked) on their own.
        State::Parallel {
            io, retry, catch, ..
        } => mentions_context(&(io, retry, catch)),
        State::Map {
            items_path,
            item_selector,
            max_concurrency_path,
            io,
            retry,
            catch,
            ..
        } => mentions_context(&(
            items_path,
            item_selector,
            max_concurrency_path,
            io,
            retry,
            catch,
        )),
        // Their catchers' `Assign` may read it.
        State::Submit { catch, .. } | State::Check { catch, .. } | State::Notify { catch, .. } => {
            AslOnly::witness().is_some()
                && catch.iter().any(|c| c.assign.is_some())
                && mentions_context(catch)
        }
        State::PollWait { .. } => false,
    }
}

/// Whether a state is written in JSONata: its expressions may read `$states.context`.
fn written_in_jsonata(state: &State) -> bool {
    match state {
        State::Task { io, .. }
        | State::Pass { io, .. }
        | State::Delay { io, .. }
        | State::Choice { io, .. }
        | State::Succeed { io }
        | State::Parallel { io, .. }
        | State::Map { io, .. } => io.jsonata().is_some(),
        _ => state.fail_jsonata().is_some(),
    }
}

/// A state serialized as `StateDef` serializes it (`#[serde(flatten)]`): serializing `State`
/// on its own would compile a second copy of its serializer into the npm package's
/// WebAssembly (which has a size budget), besides the one `workflowGraph` uses.
#[derive(serde::Serialize)]
struct Flattened<'a> {
    #[serde(flatten)]
    state: &'a State,
}

fn mentions_context(fields: &impl serde::Serialize) -> bool {
    serde_json::to_string(fields).is_ok_and(|s| s.contains("$$"))
}

fn reachable(start: u32, nodes: &[compiled::Node]) -> Vec<bool> {
    let mut seen = vec![false; nodes.len()];
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i as usize], true) {
            continue;
        }
        stack.extend(nodes[i as usize].catch.iter().map(|c| c.next));
        match &nodes[i as usize].kind {
            NodeKind::Submit { next }
            | NodeKind::PollWait { next, .. }
            | NodeKind::Check { next, .. }
            | NodeKind::Notify { next, .. } => stack.push(*next),
            NodeKind::Task { next, .. }
            | NodeKind::Pass { next, .. }
            | NodeKind::Delay { next, .. }
            | NodeKind::Parallel { next, .. }
            | NodeKind::Map { next, .. } => stack.extend(*next),
            NodeKind::Choice { rules, default, .. } => {
                stack.extend(rules.iter().map(|(_, n, _)| *n));
                stack.extend(*default);
            }
            NodeKind::Succeed { .. } | NodeKind::Fail { .. } => {}
        }
    }
    seen
}
