//! Reference paths (`ResultPath`, Choice `Variable`): one place, readable and writable.

use super::*;
use crate::expr::json::describe;

/// A Reference Path (ASL `ResultPath`, Choice `Variable`): a definite path made only of
/// `.name`, `['name']` and non-negative `[n]` steps, that names one place in the input.
///
/// Serializes as its text, and deserializing parses (and so validates) it.
#[derive(Clone, Debug)]
pub struct ReferencePath {
    text: String,
    steps: Vec<RefStep>,
}

#[derive(Clone, Debug)]
enum RefStep {
    Name(String),
    Index(usize),
}

impl ReferencePath {
    /// `$`: the whole value.
    pub(crate) fn root() -> Self {
        Self {
            text: "$".to_owned(),
            steps: Vec::new(),
        }
    }

    /// Parses a Reference Path. The error names what is wrong and where.
    ///
    /// ```
    /// use pollflow::expr::ReferencePath;
    /// assert!(ReferencePath::parse("$.result.items[0]").is_ok());
    /// assert!(ReferencePath::parse("$.items[*]").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<ReferencePath, String> {
        if text.starts_with("$$") {
            return Err("a reference path cannot refer to the context object ($$)".to_owned());
        }
        let path = Path::parse(text)?;
        if let Some(name) = path.variable() {
            return Err(format!(
                "a reference path names a place in the state's data, not a variable (${name})"
            ));
        }
        let mut steps = Vec::with_capacity(path.segments.len());
        for segment in path.segments {
            let selector = match segment {
                Segment::Child(selector) => selector,
                Segment::Descendant(_) => {
                    return Err(
                        "a reference path cannot use '..' (it must name a single value)".to_owned(),
                    )
                }
            };
            steps.push(match selector {
                Selector::Name(name) => RefStep::Name(name),
                Selector::Index(index) => match usize::try_from(index) {
                    Ok(index) => RefStep::Index(index),
                    Err(_) => {
                        return Err(format!(
                            "a reference path cannot use a negative index ([{index}])"
                        ))
                    }
                },
                Selector::Wildcard => {
                    return Err("a reference path cannot use the wildcard '*'".to_owned())
                }
                Selector::Names(_) | Selector::Indices(_) => {
                    return Err("a reference path cannot use a union ('[a,b]')".to_owned())
                }
                Selector::Slice { .. } => {
                    return Err("a reference path cannot use a slice ('[a:b]')".to_owned())
                }
                Selector::Filter(_) => {
                    return Err("a reference path cannot use a filter ('[?(…)]')".to_owned())
                }
            });
        }
        Ok(ReferencePath {
            text: text.to_owned(),
            steps,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many steps the path takes (`$`: 0, `$.a[0]`: 2).
    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }

    /// The value the path names in `value`, if there is one.
    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.steps
            .iter()
            .try_fold(value, |node, step| match (step, node) {
                (RefStep::Name(name), Value::Object(map)) => map.get(name),
                (RefStep::Index(index), Value::Array(items)) => items.get(*index),
                _ => None,
            })
    }

    /// Puts `value` where the path names in `target`, as ASL `ResultPath` does: `$` replaces
    /// the whole target; a missing field is added, with empty objects created for missing
    /// fields on the way.
    ///
    /// Fails, naming the reason (Step Functions' `States.ResultPathMatchFailure`), when the
    /// path goes through something that is not an object (a string, `null`, …) or through an
    /// array index that is out of range; `target` is then left as it was.
    pub fn set(&self, target: &mut Value, value: Value) -> Result<(), String> {
        let Some((last, parents)) = self.steps.split_last() else {
            *target = value;
            return Ok(());
        };
        // Check first, so that a failure leaves `target` untouched.
        let mut node = Some(&*target);
        for (i, step) in self.steps.iter().enumerate() {
            let Some(current) = node else {
                // From here on the path is created as objects, which an index cannot name.
                if let RefStep::Index(index) = step {
                    return Err(format!(
                        "the ResultPath {:?} cannot be applied: {} does not exist, so it has no index {index}",
                        self.text,
                        self.prefix(i)
                    ));
                }
                continue;
            };
            node = match (step, current) {
                (RefStep::Name(name), Value::Object(map)) => map.get(name),
                (RefStep::Index(index), Value::Array(items)) => {
                    if *index >= items.len() {
                        return Err(format!(
                            "the ResultPath {:?} cannot be applied: {} has {} items, so it has no index {index}",
                            self.text,
                            self.prefix(i),
                            items.len()
                        ));
                    }
                    items.get(*index)
                }
                (step, other) => {
                    let wanted = match step {
                        RefStep::Name(_) => "an object",
                        RefStep::Index(_) => "an array",
                    };
                    return Err(format!(
                        "the ResultPath {:?} cannot be applied: {} is {}, not {wanted}",
                        self.text,
                        self.prefix(i),
                        describe(other)
                    ));
                }
            };
        }

        let mut node = target;
        for step in parents {
            node = match (step, node) {
                (RefStep::Name(name), Value::Object(map)) => map
                    .entry(name.clone())
                    .or_insert_with(|| Value::Object(Map::new())),
                (RefStep::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                    Some(item) => item,
                    None => {
                        return Err(format!("the ResultPath {:?} cannot be applied", self.text))
                    }
                },
                _ => return Err(format!("the ResultPath {:?} cannot be applied", self.text)),
            };
        }
        match (last, node) {
            (RefStep::Name(name), Value::Object(map)) => {
                map.insert(name.clone(), value);
                Ok(())
            }
            (RefStep::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                Some(item) => {
                    *item = value;
                    Ok(())
                }
                None => Err(format!("the ResultPath {:?} cannot be applied", self.text)),
            },
            _ => Err(format!("the ResultPath {:?} cannot be applied", self.text)),
        }
    }

    /// The path's first `len` steps as text, such as `$.a['b c'][0]`.
    fn prefix(&self, len: usize) -> String {
        let mut out = String::from("$");
        for step in self.steps.iter().take(len) {
            match step {
                RefStep::Name(name) if is_shorthand_name(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                RefStep::Name(name) => {
                    out.push_str("['");
                    for c in name.chars() {
                        if c == '\'' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push_str("']");
                }
                RefStep::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        out
    }
}

/// Reference paths are equal when their texts are.
impl PartialEq for ReferencePath {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for ReferencePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

serde_as_text!(ReferencePath, "reference path");
