//! Payload templates (`Parameters`, `ResultSelector`, ...): the input is a JSON array of the
//! template and the state input it renders from.
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use pollflow::expr::Template;
use pollflow::policy::Rng;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Array(mut parts)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let input = if parts.len() > 1 {
        parts.pop().unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let Some(template) = parts.pop() else {
        return;
    };
    if let Ok(template) = Template::parse(template) {
        let _ = template.render(&input, &common::context(), &mut Rng::seeded(7));
    }
});
