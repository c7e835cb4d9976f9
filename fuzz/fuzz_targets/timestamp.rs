//! Timestamps: the first line as a Choice rule's timestamp literal and as the timestamp the
//! input holds (parsed at load and at run time), and as a Wait state's `Timestamp`, which the
//! run formats back into its events.
#![no_main]

use futures::StreamExt;
use libfuzzer_sys::fuzz_target;
use pollflow::asl::from_asl;
use pollflow::{Engine, VirtualClock, Workflow};
use pollflow::task::Tasks;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.lines().next().unwrap_or("");
    let definition = json!({"StartAt": "Compare", "States": {
        "Compare": {"Type": "Choice", "Choices": [
            {"Variable": "$.t", "TimestampLessThan": text, "Next": "Done"},
            {"Variable": "$.t", "TimestampEqualsPath": "$.t", "Next": "Until"}],
            "Default": "Until"},
        "Until": {"Type": "Wait", "TimestampPath": "$.t", "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let input = json!({"t": text});
    let clock = VirtualClock::new();
    // A literal that does not parse is refused at load; try the path-only machine then.
    let graph = from_asl(&definition, "timestamps").or_else(|_| {
        from_asl(
            &json!({"StartAt": "Until", "States": {
                "Until": {"Type": "Wait", "TimestampPath": "$.t", "Next": "Done"},
                "Done": {"Type": "Succeed"}}}),
            "timestamps",
        )
    });
    let Ok(workflow) = graph
        .map_err(|_| ())
        .and_then(|g| Workflow::from_graph(g, []).map_err(|_| ()))
    else {
        return;
    };
    let engine = Engine::with_tasks(workflow, Tasks::new(), clock.clone()).build();
    let events: Vec<_> = clock.block_on(engine.start(input).collect());
    assert!(
        events.last().is_some_and(|e| e.kind.is_terminal()),
        "every run ends"
    );
});
