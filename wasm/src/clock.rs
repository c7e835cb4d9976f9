//! Time from the host: `Date.now()` and `setTimeout`, in Node and in browsers.

use std::time::Duration;

use js_sys::{Function, Promise, Reflect};
use pollflow::{Clock, Sleep};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The host's clock.
#[derive(Clone, Debug, Default)]
pub(crate) struct JsClock;

impl Clock for JsClock {
    fn now(&self) -> Duration {
        Duration::from_micros((js_sys::Date::now() * 1000.0) as u64)
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let ms = duration.as_secs_f64() * 1000.0;
        let promise = Promise::new(&mut |resolve, _reject| {
            let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok());
            match set_timeout {
                Some(set_timeout) => {
                    let _ = set_timeout.call2(&JsValue::UNDEFINED, &resolve, &ms.into());
                }
                // No timers at all: resolve at once rather than hang.
                None => {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            }
        });
        Box::pin(async move {
            let _ = JsFuture::from(promise).await;
        })
    }
}
