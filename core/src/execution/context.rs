//! The ASL context object (`$$`).

use serde_json::Value;

use super::Execution;
use crate::expr::format_rfc3339;
use crate::workflow::{enabled, Compiled, Node};

impl Execution {
    /// The ASL context object (`$$`), built only for states whose paths use it.
    pub(super) fn context(&self, wf: &Compiled, node: &Node, now: u64) -> Value {
        let Some(asl) = &node.uses_context else {
            return Value::Null;
        };
        enabled(asl);
        let (input, started_ms, machine_name) = match &self.cold.outer {
            Some(outer) => (&outer.input, outer.started_ms, &outer.machine),
            None => (&self.cold.input, self.cold.started_ms, &wf.name),
        };
        let machine = format!("arn:aws:states:local:000000000000:stateMachine:{machine_name}");
        let name = format!("execution-{}", self.cold.number);
        serde_json::json!({
            "Execution": {
                "Id": format!("arn:aws:states:local:000000000000:execution:{machine_name}:{name}"),
                "Input": **input,
                "Name": name,
                "StartTime": format_rfc3339(i64::try_from(started_ms).unwrap_or(i64::MAX)),
            },
            "State": {
                "EnteredTime": format_rfc3339(i64::try_from(self.entered_ms.min(now)).unwrap_or(i64::MAX)),
                "Name": &*node.name,
                "RetryCount": self.cold.retries.total(),
            },
            "StateMachine": { "Id": machine, "Name": &**machine_name },
        })
    }
}
