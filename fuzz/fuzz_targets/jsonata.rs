//! JSONata expressions: the first line as the expression, the rest as its input. The
//! evaluator's own limits (depth, steps, sizes) bound every evaluation.
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use pollflow::jsonata::{Environment, Expression};

fuzz_target!(|data: &[u8]| {
    let Some((text, input)) = common::text_and_document(data) else {
        return;
    };
    if let Ok(expression) = Expression::parse(text) {
        let _ = expression.evaluate(Some(&input), &Environment::new(1_700_000_000_000));
    }
});
