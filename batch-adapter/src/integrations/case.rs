//! Key case between Step Functions' parameters (`JobName`) and AWS Batch's JSON (`jobName`).

use serde_json::{Map, Value};

/// Fields whose values are user-named maps: their keys keep their case.
const NAMED_MAPS: &[&str] = &["parameters", "tags", "Parameters", "Tags"];

/// `JobName` → `jobName`, recursively (not inside parameter and tag maps).
pub(super) fn camel_case(value: Value) -> Value {
    recase(value, |k| {
        let mut chars = k.chars();
        chars
            .next()
            .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
            .unwrap_or_default()
    })
}

/// `jobName` → `JobName`, recursively (not inside parameter and tag maps).
pub(super) fn pascal_case(value: Value) -> Value {
    recase(value, |k| {
        let mut chars = k.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    })
}

fn recase(value: Value, case: fn(&str) -> String) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| {
                    let v = if NAMED_MAPS.contains(&k.as_str()) {
                        v
                    } else {
                        recase(v, case)
                    };
                    (case(&k), v)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| recase(v, case)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_change_case_but_parameter_and_tag_names_do_not() {
        let parameters = json!({
            "JobName": "j",
            "ContainerOverrides": {"Environment": [{"Name": "A", "Value": "1"}]},
            "Parameters": {"Seconds": "2"},
            "Tags": {"Team": "x"}
        });
        let camel = camel_case(parameters.clone());
        assert_eq!(
            camel,
            json!({
                "jobName": "j",
                "containerOverrides": {"environment": [{"name": "A", "value": "1"}]},
                "parameters": {"Seconds": "2"},
                "tags": {"Team": "x"}
            })
        );
        assert_eq!(pascal_case(camel), parameters);
    }
}
