//! JSON: `States.StringToJson`, `States.JsonToString` and `States.JsonMerge`.

use serde_json::Value;

use super::args::string;

/// `States.StringToJson(text)`: the value `text` is the JSON text of.
pub(super) fn string_to_json(args: &[Value]) -> Result<Value, String> {
    serde_json::from_str(string(args, 0)).map_err(|e| format!("the string is not valid JSON ({e})"))
}

/// `States.JsonToString(value)`: `value`'s compact JSON text.
pub(super) fn json_to_string(args: &[Value]) -> Result<Value, String> {
    let value = args.first().unwrap_or(&Value::Null);
    serde_json::to_string(value)
        .map(Value::String)
        .map_err(|e| e.to_string())
}

/// `States.JsonMerge(a, b, false)`: `a`'s fields, then `b`'s over them (a shallow merge; a
/// deep one is refused, as Step Functions refuses it).
pub(super) fn json_merge(args: Vec<Value>) -> Result<Value, String> {
    if args.get(2) == Some(&Value::Bool(true)) {
        return Err("deep merging is not supported; the third argument must be false".to_owned());
    }
    let mut args = args.into_iter();
    let (Some(Value::Object(mut merged)), Some(Value::Object(second))) = (args.next(), args.next())
    else {
        return Err("both values to merge must be objects".to_owned());
    };
    merged.extend(second);
    Ok(Value::Object(merged))
}
