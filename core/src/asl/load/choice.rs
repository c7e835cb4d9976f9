//! Choice rules: conditions, their operators and operands.

use serde_json::Value;

use crate::expr::parse_rfc3339;
use crate::graph::{ChoiceRule, Comparison, Condition, Operand};

use super::jsonata::Reads;
use super::{At, Loader};
use crate::execution::json_text;

impl Loader {
    pub(super) fn choices(&mut self, at: &At<'_>) -> Vec<ChoiceRule> {
        let Some(items) = at
            .get("Choices")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
        else {
            self.problem(
                Some(at.state),
                at.field("Choices"),
                "is required: a non-empty array of rules",
            );
            return Vec::new();
        };
        let mut rules = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", at.field("Choices"));
            let Some(fields) = item.as_object() else {
                self.problem(Some(at.state), path, "a Choice rule must be an object");
                continue;
            };
            let rule = At {
                state: at.state,
                path,
                fields,
                jsonata: at.jsonata,
            };
            let next = self.target(&rule, "Next");
            if rule.get("Next").is_none() {
                self.problem(
                    Some(at.state),
                    rule.field("Next"),
                    "a top-level Choice rule needs Next",
                );
            }
            let (condition, assign, jsonata) = if rule.jsonata {
                let condition = self.jsonata_condition(&rule);
                (condition, None, self.jsonata_fields(&rule, Reads::Input))
            } else {
                (self.condition(&rule, true), self.assign(&rule), None)
            };
            if let (Some(condition), Some(next)) = (condition, next) {
                rules.push(ChoiceRule {
                    condition,
                    next,
                    assign,
                    jsonata,
                });
            }
        }
        rules
    }

    /// A JSONata Choice rule's `Condition` (its other fields are `Next`, `Output`, `Assign`
    /// and `Comment`).
    fn jsonata_condition(&mut self, rule: &At<'_>) -> Option<Condition> {
        for key in rule.fields.keys() {
            if !self.other_language(rule, key)
                && !["Condition", "Next", "Output", "Assign", "Comment"].contains(&key.as_str())
            {
                let reason = if key == "Variable"
                    || operator(key).is_some()
                    || ["And", "Or", "Not"].contains(&key.as_str())
                {
                    "is a JSONPath Choice rule's field; a JSONata rule tests a Condition"
                } else {
                    "not a field of a Choice rule"
                };
                self.problem(Some(rule.state), rule.field(key), reason);
            }
        }
        if rule.get("Condition").is_none() {
            self.problem(
                Some(rule.state),
                rule.field("Condition"),
                "is required in a JSONata Choice rule: a {% %} expression that gives true or false",
            );
        }
        let condition = self.query(rule, "Condition")?;
        self.check_reads(rule, "Condition", &condition, Reads::Input);
        Some(Condition::Jsonata(condition))
    }

    /// One boolean expression of a Choice rule.
    pub(super) fn condition(&mut self, at: &At<'_>, top: bool) -> Option<Condition> {
        for key in at.fields.keys() {
            if top && self.other_language(at, key) {
                continue;
            }
            let known = key == "Comment"
                || (top && (key == "Next" || key == "Assign"))
                || ["And", "Or", "Not", "Variable"].contains(&key.as_str())
                || operator(key).is_some();
            if !known {
                let message = if key == "Next" {
                    "only top-level Choice rules have Next".to_owned()
                } else {
                    "not a field of a Choice rule".to_owned()
                };
                self.problem(Some(at.state), at.field(key), message);
            }
        }
        let combinators = ["And", "Or", "Not"]
            .iter()
            .filter(|k| at.get(k).is_some())
            .count();
        let comparisons = at
            .fields
            .keys()
            .filter(|k| *k == "Variable" || operator(k).is_some())
            .count();
        if combinators > 1 || (combinators == 1 && comparisons > 0) {
            self.problem(Some(at.state), at.path.clone(), "a Choice rule is one of: And, Or, Not, or a comparison (Variable and one operator)");
            return None;
        }
        if let Some(value) = at.get("Not") {
            let Some(inner) = value.as_object() else {
                self.problem(
                    Some(at.state),
                    at.field("Not"),
                    "must be a Choice rule object",
                );
                return None;
            };
            let inner = At {
                jsonata: at.jsonata,
                state: at.state,
                path: at.field("Not"),
                fields: inner,
            };
            return self
                .condition(&inner, false)
                .map(|c| Condition::Not(Box::new(c)));
        }
        for (field, is_and) in [("And", true), ("Or", false)] {
            if let Some(value) = at.get(field) {
                let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
                    self.problem(
                        Some(at.state),
                        at.field(field),
                        "must be a non-empty array of rules",
                    );
                    return None;
                };
                let mut all = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{}[{i}]", at.field(field));
                    let Some(fields) = item.as_object() else {
                        self.problem(Some(at.state), path, "a Choice rule must be an object");
                        continue;
                    };
                    let inner = At {
                        jsonata: at.jsonata,
                        state: at.state,
                        path,
                        fields,
                    };
                    all.extend(self.condition(&inner, false));
                }
                return Some(if is_and {
                    Condition::And(all)
                } else {
                    Condition::Or(all)
                });
            }
        }
        let variable = match at.get("Variable") {
            Some(_) => self.path(at, "Variable"),
            None => {
                self.problem(
                    Some(at.state),
                    at.field("Variable"),
                    "a comparison needs Variable (or use And, Or, Not)",
                );
                None
            }
        };
        let operators: Vec<(&String, (Comparison, bool))> = at
            .fields
            .keys()
            .filter_map(|k| operator(k).map(|op| (k, op)))
            .collect();
        let [(key, (op, by_path))] = operators.as_slice() else {
            self.problem(
                Some(at.state),
                at.path.clone(),
                "a comparison needs exactly one operator, such as StringEquals",
            );
            return None;
        };
        let value = at.get(key).cloned().unwrap_or_default();
        let with = if *by_path {
            Operand::Path(self.path(at, key)?)
        } else {
            if let Err(reason) = check_operand(*op, &value) {
                self.problem(Some(at.state), at.field(key), reason);
                return None;
            }
            Operand::Value(value)
        };
        Some(Condition::Compare {
            variable: variable?,
            op: *op,
            with,
        })
    }
}

/// The comparison an operator field names, and whether it is the `*Path` form.
fn operator(field: &str) -> Option<(Comparison, bool)> {
    use Comparison as C;
    let (base, by_path) = match field.strip_suffix("Path") {
        Some(base) if !base.is_empty() && !field.starts_with("Is") => (base, true),
        _ => (field, false),
    };
    let op = match base {
        "StringEquals" => C::StringEquals,
        "StringLessThan" => C::StringLessThan,
        "StringGreaterThan" => C::StringGreaterThan,
        "StringLessThanEquals" => C::StringLessThanEquals,
        "StringGreaterThanEquals" => C::StringGreaterThanEquals,
        "StringMatches" if !by_path => C::StringMatches,
        "NumericEquals" => C::NumericEquals,
        "NumericLessThan" => C::NumericLessThan,
        "NumericGreaterThan" => C::NumericGreaterThan,
        "NumericLessThanEquals" => C::NumericLessThanEquals,
        "NumericGreaterThanEquals" => C::NumericGreaterThanEquals,
        "BooleanEquals" => C::BooleanEquals,
        "TimestampEquals" => C::TimestampEquals,
        "TimestampLessThan" => C::TimestampLessThan,
        "TimestampGreaterThan" => C::TimestampGreaterThan,
        "TimestampLessThanEquals" => C::TimestampLessThanEquals,
        "TimestampGreaterThanEquals" => C::TimestampGreaterThanEquals,
        "IsNull" => C::IsNull,
        "IsPresent" => C::IsPresent,
        "IsNumeric" => C::IsNumeric,
        "IsString" => C::IsString,
        "IsBoolean" => C::IsBoolean,
        "IsTimestamp" => C::IsTimestamp,
        _ => return None,
    };
    Some((op, by_path))
}

/// Whether a literal operand has the type its operator compares.
fn check_operand(op: Comparison, value: &Value) -> Result<(), String> {
    use Comparison as C;
    let ok = match op {
        C::StringEquals
        | C::StringLessThan
        | C::StringGreaterThan
        | C::StringLessThanEquals
        | C::StringGreaterThanEquals
        | C::StringMatches => value.is_string(),
        C::NumericEquals
        | C::NumericLessThan
        | C::NumericGreaterThan
        | C::NumericLessThanEquals
        | C::NumericGreaterThanEquals => value.is_number(),
        C::TimestampEquals
        | C::TimestampLessThan
        | C::TimestampGreaterThan
        | C::TimestampLessThanEquals
        | C::TimestampGreaterThanEquals => {
            value.as_str().is_some_and(|t| parse_rfc3339(t).is_some())
        }
        C::BooleanEquals
        | C::IsNull
        | C::IsPresent
        | C::IsNumeric
        | C::IsString
        | C::IsBoolean
        | C::IsTimestamp => value.is_boolean(),
    };
    if ok {
        Ok(())
    } else {
        let expected = match op {
            C::NumericEquals
            | C::NumericLessThan
            | C::NumericGreaterThan
            | C::NumericLessThanEquals
            | C::NumericGreaterThanEquals => "a number",
            C::TimestampEquals
            | C::TimestampLessThan
            | C::TimestampGreaterThan
            | C::TimestampLessThanEquals
            | C::TimestampGreaterThanEquals => "an RFC 3339 timestamp string",
            C::StringEquals
            | C::StringLessThan
            | C::StringGreaterThan
            | C::StringLessThanEquals
            | C::StringGreaterThanEquals
            | C::StringMatches => "a string",
            _ => "true or false",
        };
        Err(format!(
            "{op:?} compares with {expected}, not {}",
            json_text(value)
        ))
    }
}
