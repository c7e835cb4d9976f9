//! ASL Choice comparisons.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::glob::string_matches;
use super::timestamp::parse_rfc3339;
use crate::execution::json_text;

/// An ASL Choice comparison operator (without its `Path` suffix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Comparison {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

/// Whether `left` (the value at the Choice rule's `Variable`, if present) compares to `right`
/// as `op` says.
///
/// Values of the wrong type compare false, as in Step Functions; a missing variable is an
/// error, `missing()` saying where it was looked for, except for the `Is*` tests (`IsPresent:
/// false` holds, the others do not).
pub(crate) fn compare(
    left: Option<&Value>,
    op: Comparison,
    right: &Value,
    missing: impl FnOnce() -> String,
) -> Result<bool, String> {
    use Comparison as C;
    let is = |holds: bool| right.as_bool().map(|expected| holds == expected);
    let type_test = match op {
        C::IsPresent => Some(is(left.is_some())),
        C::IsNull => Some(is(left.is_some_and(Value::is_null))),
        C::IsNumeric => Some(is(left.is_some_and(Value::is_number))),
        C::IsString => Some(is(left.is_some_and(Value::is_string))),
        C::IsBoolean => Some(is(left.is_some_and(Value::is_boolean))),
        C::IsTimestamp => Some(is(left
            .and_then(Value::as_str)
            .is_some_and(|s| parse_rfc3339(s).is_some()))),
        _ => None,
    };
    if let Some(result) = type_test {
        return result
            .ok_or_else(|| format!("{op:?} takes true or false, not {}", json_text(right)));
    }
    let left = left.ok_or_else(missing)?;
    let ordering = match op {
        C::StringEquals
        | C::StringLessThan
        | C::StringGreaterThan
        | C::StringLessThanEquals
        | C::StringGreaterThanEquals => match (left.as_str(), right.as_str()) {
            (Some(l), Some(r)) => Some(l.cmp(r)),
            _ => None,
        },
        C::NumericEquals
        | C::NumericLessThan
        | C::NumericGreaterThan
        | C::NumericLessThanEquals
        | C::NumericGreaterThanEquals => match (left.as_f64(), right.as_f64()) {
            (Some(l), Some(r)) => l.partial_cmp(&r),
            _ => None,
        },
        C::TimestampEquals
        | C::TimestampLessThan
        | C::TimestampGreaterThan
        | C::TimestampLessThanEquals
        | C::TimestampGreaterThanEquals => {
            let time = |v: &Value| v.as_str().and_then(parse_rfc3339);
            match (time(left), time(right)) {
                (Some(l), Some(r)) => Some(l.cmp(&r)),
                _ => None,
            }
        }
        C::StringMatches => {
            return Ok(match (left.as_str(), right.as_str()) {
                (Some(text), Some(pattern)) => string_matches(pattern, text),
                _ => false,
            })
        }
        C::BooleanEquals => {
            return Ok(left.is_boolean() && right.is_boolean() && left == right);
        }
        C::IsPresent | C::IsNull | C::IsNumeric | C::IsString | C::IsBoolean | C::IsTimestamp => {
            None
        }
    };
    let Some(ordering) = ordering else {
        return Ok(false);
    };
    Ok(match op {
        C::StringEquals | C::NumericEquals | C::TimestampEquals => ordering == Ordering::Equal,
        C::StringLessThan | C::NumericLessThan | C::TimestampLessThan => ordering == Ordering::Less,
        C::StringGreaterThan | C::NumericGreaterThan | C::TimestampGreaterThan => {
            ordering == Ordering::Greater
        }
        C::StringLessThanEquals | C::NumericLessThanEquals | C::TimestampLessThanEquals => {
            ordering != Ordering::Greater
        }
        _ => ordering != Ordering::Less,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn holds(left: Value, op: Comparison, right: Value) -> bool {
        compare(Some(&left), op, &right, String::new).unwrap()
    }

    #[test]
    fn strings_numbers_booleans_and_timestamps_compare_by_type() {
        use Comparison as C;
        assert!(holds(json!("FAILED"), C::StringEquals, json!("FAILED")));
        assert!(!holds(json!(1), C::StringEquals, json!("1")));
        assert!(holds(json!("a"), C::StringLessThan, json!("b")));
        assert!(holds(json!("b"), C::StringGreaterThanEquals, json!("b")));
        assert!(holds(json!(2), C::NumericEquals, json!(2.0)));
        assert!(holds(json!(1.5), C::NumericLessThanEquals, json!(2)));
        assert!(!holds(json!("2"), C::NumericEquals, json!(2)));
        assert!(holds(json!(true), C::BooleanEquals, json!(true)));
        assert!(!holds(json!("true"), C::BooleanEquals, json!(true)));
        assert!(holds(
            json!("2016-03-14T01:59:00Z"),
            C::TimestampLessThan,
            json!("2016-03-14T02:00:00+00:00")
        ));
        assert!(holds(
            json!("log-2024.txt"),
            C::StringMatches,
            json!("log-*.txt")
        ));
        assert!(!holds(
            json!("log-2024.csv"),
            C::StringMatches,
            json!("log-*.txt")
        ));
    }

    #[test]
    fn type_tests_handle_missing_variables() {
        use Comparison as C;
        assert!(compare(None, C::IsPresent, &json!(false), String::new).unwrap());
        assert!(!compare(None, C::IsNull, &json!(true), String::new).unwrap());
        assert!(holds(json!(null), C::IsNull, json!(true)));
        assert!(holds(
            json!("2016-03-14T01:59:00Z"),
            C::IsTimestamp,
            json!(true)
        ));
        assert!(holds(json!("soon"), C::IsTimestamp, json!(false)));
        assert!(
            compare(None, C::StringEquals, &json!("a"), || "$.x is missing"
                .into())
            .unwrap_err()
            .contains("$.x")
        );
        assert!(compare(Some(&json!(1)), C::IsNumeric, &json!("yes"), String::new).is_err());
    }
}
