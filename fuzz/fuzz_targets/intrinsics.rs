//! Intrinsic functions (`States.Format(...)`, ...) and paths: the first line as the call, the
//! rest as the state input it reads.
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use pollflow::expr::PathOrCall;
use pollflow::policy::Rng;

fuzz_target!(|data: &[u8]| {
    let Some((text, input)) = common::text_and_document(data) else {
        return;
    };
    if let Ok(call) = PathOrCall::parse(text) {
        let _ = call.eval(&input, &common::context(), &mut Rng::seeded(7));
    }
});
