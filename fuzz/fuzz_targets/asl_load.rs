//! The ASL loader: any text as a definition, through `Workflow::from_asl` (what the command
//! line and the npm package call) and through `from_asl` on the parsed JSON. A definition that
//! loads must export back to ASL without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pollflow::asl::{from_asl, to_asl, ExportOptions};
use pollflow::Workflow;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(workflow) = Workflow::from_asl(text, "fuzz") {
            let _ = to_asl(workflow.graph(), &ExportOptions::default());
        }
    }
    let Ok(definition) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(graph) = from_asl(&definition, "fuzz") else {
        return;
    };
    if let Ok(workflow) = Workflow::from_graph(graph, []) {
        let _ = to_asl(workflow.graph(), &ExportOptions::default());
    }
});
