//! What one execution may hold and do: Step Functions' quotas by default, so that hostile or
//! runaway definitions end in a clean error instead of exhausting memory, stack or time.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{names, TaskError};

/// Bounds on an execution, set with [`EngineBuilder::limits`](crate::EngineBuilder::limits).
/// The defaults are Step Functions' quotas; the field names (also the serde names) are the ones
/// front ends use for their options.
///
/// | field | default | past it |
/// | --- | --- | --- |
/// | `max_payload_bytes` | 262,144 (256 KiB) | `States.DataLimitExceeded` |
/// | `max_variables_bytes` | 10,485,760 (10 MiB) | `States.DataLimitExceeded` |
/// | `max_events` | 25,000 | the execution fails with `States.Runtime` |
/// | `max_map_concurrency` | 40 | more Map items wait their turn |
/// | `max_path_visits` | 1,000,000 | `States.DataLimitExceeded` |
///
/// Values also nest at most [`Limits::MAX_DEPTH`] levels; that bound protects the stack and
/// is not configurable.
///
/// ```
/// use std::time::Duration;
/// use pollflow::{poller_fn, Engine, JobStatus, Limits, Outcome, VirtualClock, WaitPolicy, Workflow};
/// use pollflow::workflow::Choice;
/// use serde_json::json;
///
/// // A job that is never done, polled every minute without a budget: the event limit ends
/// // the execution, as Step Functions' history limit does.
/// let workflow = Workflow::builder("Forever")
///     .submit("Submit")
///     .wait("Wait", WaitPolicy::fixed(Duration::from_secs(60)))
///     .check("Check")
///     .branch("Done?", Choice::new())
///     .build()?;
/// let poller = poller_fn(|_| async { Ok(json!("job-1")) }, |_| async { Ok(JobStatus::pending("RUNNING")) });
/// let clock = VirtualClock::new();
/// let limits = Limits { max_events: 100, ..Limits::default() };
/// let engine = Engine::builder(workflow, poller, clock.clone()).limits(limits).build();
/// let Outcome::Failed { error } = clock.block_on(engine.start(json!({})).outcome()) else { panic!() };
/// assert_eq!(error.error, "States.Runtime");
/// assert_eq!(error.cause, "The execution reached the maximum number of history events (100).");
/// # Ok::<(), pollflow::workflow::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The largest JSON text (UTF-8 bytes) of an execution's input, a state's input after
    /// `Parameters` / `ItemSelector`, a task's result, a state's output, a variable's value, the
    /// values one `Assign` sets together, and any value a path, a payload template or an
    /// intrinsic function produces on the way. Past it the state fails with
    /// `States.DataLimitExceeded`, which ends the execution (Retry and Catch do not apply).
    pub max_payload_bytes: u64,
    /// The largest JSON text of all the variables an execution (or a Parallel branch or Map
    /// item, counted on its own) has assigned.
    pub max_variables_bytes: u64,
    /// The most events an execution emits, its branches' and Map items' included. The event
    /// that would pass it is replaced by `ExecutionFailed` (`States.Runtime`, "The execution
    /// reached the maximum number of history events (N)."), which is event number N (0 and 1
    /// fail the execution at its first event). Running branches stop without further events;
    /// jobs are not cancelled (as for any failure).
    pub max_events: u64,
    /// The most items of an inline Map state that run at once, whatever its `MaxConcurrency`
    /// says (0 here: no limit but the state's own). Step Functions runs at most 40.
    pub max_map_concurrency: u32,
    /// The most values one JSONPath evaluation may look at (each match of each step, each
    /// descendant `..` walks, each filter test): a path such as `$..a..a..a..a` or a union
    /// repeated step after step fails instead of growing without bound.
    pub max_path_visits: u64,
}

impl Limits {
    /// Step Functions' quotas (the default).
    pub const STEP_FUNCTIONS: Limits = Limits {
        max_payload_bytes: 256 * 1024,
        max_variables_bytes: 10 * 1024 * 1024,
        max_events: 25_000,
        max_map_concurrency: 40,
        max_path_visits: 1_000_000,
    };

    /// How deeply the values pollflow builds may nest (arrays and objects): deeper ones are
    /// refused with `States.DataLimitExceeded`, and paths and templates that would build them
    /// are refused when a definition loads. It keeps every recursive walk of a value (cloning,
    /// dropping, serializing, comparing) within a small stack. serde_json's parser stops at 128.
    pub const MAX_DEPTH: usize = 256;
}

impl Default for Limits {
    fn default() -> Self {
        Self::STEP_FUNCTIONS
    }
}

/// The shared default, for evaluations outside an engine.
pub(crate) fn default_limits() -> &'static Limits {
    &Limits::STEP_FUNCTIONS
}

/// What a value nested past [`Limits::MAX_DEPTH`] is told (written out, so that no integer
/// formatting is needed for it; a test checks it against the constant).
const DEPTH_TEXT: &str = "nests deeper than 256 levels (Limits::MAX_DEPTH)";

/// Why a value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exceeded {
    /// Its JSON text is longer than this many bytes.
    Bytes(u64),
    /// It nests deeper than it may (at most [`Limits::MAX_DEPTH`] levels in all).
    Depth,
}

impl Exceeded {
    /// A `States.DataLimitExceeded` error for `what` ("the task's result").
    pub(crate) fn error(self, what: &str) -> TaskError {
        let cause = match self {
            Self::Bytes(limit) => format!(
                "{what}: larger than the payload limit of {limit} bytes (Limits::max_payload_bytes)"
            ),
            Self::Depth => format!("{what}: {DEPTH_TEXT}"),
        };
        TaskError::new(names::DATA_LIMIT_EXCEEDED, cause)
    }
}

/// The length of `value`'s compact JSON text and how deeply it nests (a scalar: 0, `[]`: 1),
/// measured without recursion and stopping as soon as either passes its bound; cost is
/// bounded by `max_bytes`, not by the value.
pub(crate) fn measure(value: &Value, max_bytes: u64, max_depth: usize) -> Result<Size, Exceeded> {
    let mut size = Size { bytes: 0, depth: 0 };
    // The values still to look at; a scalar is measured without allocating.
    let mut stack: Vec<(&Value, usize)> = Vec::new();
    let mut first = Some((value, 0));
    while let Some((value, depth)) = first.take().or_else(|| stack.pop()) {
        size.depth = size.depth.max(depth);
        let len = match value {
            Value::Array(items) => items.len(),
            Value::Object(map) => map.len(),
            scalar => {
                add(&mut size, scalar_len(scalar), max_bytes)?;
                continue;
            }
        };
        let inner = depth + 1;
        if inner > max_depth {
            return Err(Exceeded::Depth);
        }
        size.depth = size.depth.max(inner);
        // Brackets and commas before the items, so a huge container stops here.
        add(&mut size, 2 + len.saturating_sub(1) as u64, max_bytes)?;
        match value {
            Value::Array(items) => {
                for item in items.iter().rev() {
                    stack.push((item, inner));
                }
            }
            Value::Object(map) => {
                for (key, item) in map.iter().rev() {
                    add(&mut size, string_len(key) + 1, max_bytes)?;
                    stack.push((item, inner));
                }
            }
            _ => {}
        }
    }
    Ok(size)
}

/// The JSON text length of a scalar (0 for arrays and objects).
fn scalar_len(value: &Value) -> u64 {
    match value {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) => number_len(n),
        Value::String(s) => string_len(s),
        Value::Array(_) | Value::Object(_) => 0,
    }
}

/// A measured value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Size {
    pub(crate) bytes: u64,
    pub(crate) depth: usize,
}

fn add(size: &mut Size, bytes: u64, max_bytes: u64) -> Result<(), Exceeded> {
    size.bytes = size.bytes.saturating_add(bytes);
    if size.bytes > max_bytes {
        Err(Exceeded::Bytes(max_bytes))
    } else {
        Ok(())
    }
}

/// The length of a string as a JSON string literal, quotes and escapes included.
fn string_len(s: &str) -> u64 {
    let escapes: u64 = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..=0x1f => 5,
            _ => 0,
        })
        .sum();
    s.len() as u64 + escapes + 2
}

/// The length of a number as serde_json writes it.
fn number_len(n: &serde_json::Number) -> u64 {
    struct Count(u64);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len() as u64;
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = std::fmt::Write::write_fmt(&mut count, format_args!("{n}"));
    count.0
}

impl Limits {
    /// Checks a value the execution is about to keep (`what` names it in the error): its size
    /// against `max_payload_bytes` and its nesting against [`Limits::MAX_DEPTH`].
    pub(crate) fn check(&self, value: &Value, what: &str) -> Result<(), TaskError> {
        match measure(value, self.max_payload_bytes, Self::MAX_DEPTH) {
            Ok(_) => Ok(()),
            Err(exceeded) => Err(exceeded.error(what)),
        }
    }
}

/// Drops a value without recursion (serde_json's own drop recurses once per level, so a value
/// nested deeply enough overflows the stack). For values refused by [`measure`].
pub(crate) fn drop_deep(value: Value) {
    let mut stack = vec![value];
    while let Some(mut value) = stack.pop() {
        match &mut value {
            Value::Array(items) => stack.append(items),
            Value::Object(map) => {
                for item in map.values_mut() {
                    stack.push(item.take());
                }
            }
            _ => {}
        }
    }
}

/// [`drop_deep`] for a shared value, when this is its last holder.
pub(crate) fn drop_shared(value: Arc<Value>) {
    if let Ok(value) = Arc::try_unwrap(value) {
        drop_deep(value);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sizes_are_the_length_of_the_compact_json_text() {
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-12345),
            json!(u64::MAX),
            json!(1.5e-7),
            json!(0.1),
            json!(""),
            json!("a \"quoted\" \\ line\nwith\ttabs \u{1} and ünïcödé"),
            json!([]),
            json!({}),
            json!([1, [2, [3, {}]], {"k": "v", "é\"": [null]}]),
            json!({"a": {"b": {"c": [true, false, "x"]}}, "d": 1e300}),
            json!((0u8..=0x7f).map(char::from).collect::<String>()),
        ];
        for value in values {
            let text = serde_json::to_string(&value).unwrap();
            let size = measure(&value, u64::MAX, usize::MAX).unwrap();
            assert_eq!(size.bytes, text.len() as u64, "{text}");
        }
        assert_eq!(measure(&json!(1), 10, 10).unwrap().depth, 0);
        assert_eq!(measure(&json!([[], {"a": [1]}]), 100, 10).unwrap().depth, 3);
    }

    #[test]
    fn the_depth_message_names_the_limit() {
        assert!(DEPTH_TEXT.contains(&format!(" {} ", Limits::MAX_DEPTH)));
    }

    #[test]
    fn measuring_stops_at_the_first_bound_passed() {
        assert_eq!(
            measure(&json!("abcdef"), 7, 10),
            Err(Exceeded::Bytes(7)),
            "8 bytes with the quotes"
        );
        assert!(measure(&json!("abcdef"), 8, 10).is_ok());
        assert_eq!(measure(&json!([[[1]]]), 100, 2), Err(Exceeded::Depth));
        assert!(measure(&json!([[[1]]]), 100, 3).is_ok());
        // A huge array is refused from its commas alone, before its items are looked at.
        let wide = Value::Array(vec![Value::Null; 1_000_000]);
        assert_eq!(measure(&wide, 1000, 10), Err(Exceeded::Bytes(1000)));
    }

    #[test]
    fn deep_values_are_measured_and_dropped_without_recursion() {
        let mut deep = json!(1);
        for _ in 0..200_000 {
            let mut map = serde_json::Map::new();
            map.insert("a".into(), Value::Array(vec![deep]));
            deep = Value::Object(map);
        }
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                assert_eq!(
                    measure(&deep, u64::MAX, usize::MAX).map(|s| s.depth),
                    Ok(400_000)
                );
                assert_eq!(measure(&deep, u64::MAX, 256), Err(Exceeded::Depth));
                drop_shared(Arc::new(deep));
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
