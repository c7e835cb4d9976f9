//! JSONPath and reference paths: the first line as a path, the rest as the document it reads.
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use pollflow::expr::{Path, ReferencePath};

fuzz_target!(|data: &[u8]| {
    let Some((text, mut document)) = common::text_and_document(data) else {
        return;
    };
    if let Ok(path) = Path::parse(text) {
        let _ = path.select(&document, &common::context());
    }
    if let Ok(reference) = ReferencePath::parse(text) {
        let _ = reference.get(&document);
        let _ = reference.set(&mut document, serde_json::json!({"set": true}));
    }
});
