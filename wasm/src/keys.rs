//! Property names and words as JS strings, made once: a Rust `&str` crossing to JS is copied
//! and decoded every time.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

macro_rules! keys {
    ($($key:ident = $text:literal,)*) => {
        /// A property read on the objects JS passes in, or a word compared with values.
        #[derive(Clone, Copy, Debug)]
        pub(crate) enum Key {
            $($key,)*
        }

        impl Key {
            /// The property's name.
            pub(crate) fn name(self) -> &'static str {
                [$($text,)*][self as usize]
            }
        }

        thread_local! {
            static KEYS: Vec<JsValue> = [$($text,)*].iter().map(|t| JsValue::from_str(t)).collect();
        }
    };
}

keys! {
    Submit = "submit",
    Check = "check",
    Cancel = "cancel",
    Find = "find",
    // `submit(input, { key })`: the submission's idempotency key.
    Idempotency = "key",
    Notify = "notify",
    Input = "input",
    Wait = "wait",
    IntervalMs = "intervalMs",
    MinDelayMs = "minDelayMs",
    MaxDelayMs = "maxDelayMs",
    Rate = "rate",
    Jitter = "jitter",
    MaxWaitMs = "maxWaitMs",
    MaxAttempts = "maxAttempts",
    Messages = "messages",
    Success = "success",
    Failure = "failure",
    Name = "name",
    Seed = "seed",
    Status = "status",
    Detail = "detail",
    Output = "output",
    RetryAfterMs = "retryAfterMs",
    Then = "then",
    Retryable = "retryable",
    Pending = "PENDING",
    Succeeded = "SUCCEEDED",
    Failed = "FAILED",
}

/// `object[key]`, or what reading it threw (a getter, a proxy).
pub(crate) fn get(object: &JsValue, k: Key) -> Result<JsValue, JsValue> {
    KEYS.with(|keys| Reflect::get(object, &keys[k as usize]))
}

/// `object[key] = value` on an object made here (no setter to throw).
pub(crate) fn set(object: &JsValue, k: Key, value: &JsValue) {
    KEYS.with(|keys| {
        let _ = Reflect::set(object, &keys[k as usize], value);
    });
}

/// Whether `value` is the string `key` (`===`).
pub(crate) fn is(value: &JsValue, k: Key) -> bool {
    KEYS.with(|keys| *value == keys[k as usize])
}
