//! Payload templates: the `Parameters`, `ResultSelector` and `ItemSelector` fields of ASL
//! states.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::intrinsics::Intrinsic;
use super::path::{missing_from, Path};
use super::variables::Scope;
use crate::error::{names, TaskError};
use crate::limits::{measure, Exceeded, Limits};
use crate::policy::Rng;

/// How deeply a template may nest objects and arrays: as deep as any value.
const MAX_DEPTH: usize = Limits::MAX_DEPTH;

/// A payload template (ASL `Parameters`, `ResultSelector`, `ItemSelector`): JSON in which a
/// field whose name ends in `.$` takes its value from a path (`"id.$": "$.order.id"`), the
/// context object (`"run.$": "$$.Execution.Id"`) or an intrinsic function
/// (`"msg.$": "States.Format('Hi {}', $.name)"`), and loses the `.$` from its name.
///
/// Parsing checks every `.$` field at once; rendering fills them in from a state's data.
/// Serializes as the template JSON as written (with the `.$` names).
///
/// ```
/// use pollflow::expr::Template;
/// use pollflow::policy::Rng;
/// use serde_json::json;
///
/// let template = Template::parse(json!({
///     "greeting.$": "States.Format('Hello, {}!', $.name)",
///     "execution.$": "$$.Execution.Id",
///     "fixed": {"kind": "demo"}
/// }))
/// .unwrap();
/// let rendered = template
///     .render(&json!({"name": "Ada"}), &json!({"Execution": {"Id": "run-1"}}), &mut Rng::seeded(1))
///     .unwrap();
/// assert_eq!(rendered, json!({"greeting": "Hello, Ada!", "execution": "run-1", "fixed": {"kind": "demo"}}));
/// ```
#[derive(Clone, Debug)]
pub struct Template {
    raw: Value,
    node: Node,
}

/// A compiled template: dynamic parts parsed, static subtrees kept as values.
#[derive(Clone, Debug)]
enum Node {
    Static(Value),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    /// A `.$` field with a path; `field` is its name as written, for messages.
    Path {
        field: String,
        path: Path,
    },
    /// A `.$` field with an intrinsic function.
    Intrinsic {
        field: String,
        call: Intrinsic,
    },
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Template {
    /// Parses a payload template, checking every `.$` field: its value must be a string
    /// holding a path (`$…`), a context path (`$$…`) or an intrinsic function call that
    /// parses, and no `.$` field may share its name with a plain field (`"a"` and `"a.$"`).
    ///
    /// The error lists every problem as (where, reason); *where* is a JSONPath to the field
    /// inside the template, starting at `$` (the template itself): plain names after a dot,
    /// other names (all `.$` fields among them) quoted, indexes in brackets, such as
    /// `$.Payload['ids.$']` or `$.Items[0]['x y.$']`.
    pub fn parse(value: Value) -> Result<Template, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let node = compile(&value, &mut String::from("$"), 0, &mut problems)
            .unwrap_or_else(|| Node::Static(value.clone()));
        if problems.is_empty() {
            Ok(Template { raw: value, node })
        } else {
            Err(problems)
        }
    }

    /// The template as written.
    pub fn as_value(&self) -> &Value {
        &self.raw
    }

    /// The template filled in from a state's `input` and the `context` object: each `.$`
    /// field becomes a field without the suffix, holding what its path selects or what its
    /// intrinsic function returns; everything else is copied as is.
    ///
    /// A path that matches nothing fails with `States.Runtime`, and an intrinsic function
    /// with `States.IntrinsicFailure` (or `States.Runtime` for its own path arguments), as in
    /// Step Functions. `rng` feeds `States.UUID` and `States.MathRandom`. The values filled
    /// in together stay within Step Functions' default [`Limits`] (`States.DataLimitExceeded`
    /// past them).
    pub fn render(
        &self,
        input: &Value,
        context: &Value,
        rng: &mut Rng,
    ) -> Result<Value, TaskError> {
        self.render_in(input, Scope::of_context(context), rng)
    }

    /// [`Self::render`], paths also reading the variables of `scope`.
    pub(crate) fn render_in(
        &self,
        input: &Value,
        scope: Scope<'_>,
        rng: &mut Rng,
    ) -> Result<Value, TaskError> {
        let mut left = scope.limits.max_payload_bytes;
        render(&self.node, input, scope, rng, 0, &mut left)
    }

    /// The names of the fields of an object template, as they render (without `.$`).
    pub(crate) fn field_names(&self) -> Vec<&str> {
        match &self.raw {
            Value::Object(map) => map
                .keys()
                .map(|key| key.strip_suffix(".$").unwrap_or(key))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Compiles `value` (found at `location`, a JSONPath from the template's root); `None` when it
/// has no `.$` field, so that the caller can keep it as a static value.
fn compile(
    value: &Value,
    location: &mut String,
    depth: usize,
    problems: &mut Vec<(String, String)>,
) -> Option<Node> {
    if depth >= MAX_DEPTH {
        if matches!(value, Value::Object(_) | Value::Array(_)) {
            problems.push((
                location.clone(),
                format!("the template nests deeper than {MAX_DEPTH} levels"),
            ));
            // Not `None`: the caller would copy the (deep) value only to throw it away.
            return Some(Node::Static(Value::Null));
        }
        return None;
    }
    match value {
        Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            let mut dynamic = false;
            for (key, child) in map {
                let len = location.len();
                push_name(location, key);
                match key.strip_suffix(".$") {
                    Some(name) => {
                        dynamic = true;
                        if let Some(node) = compile_field(key, child, map, location, problems) {
                            entries.push((name.to_owned(), node));
                        }
                    }
                    None => {
                        let node = compile(child, location, depth + 1, problems);
                        dynamic |= node.is_some();
                        entries.push((
                            key.clone(),
                            node.unwrap_or_else(|| Node::Static(child.clone())),
                        ));
                    }
                }
                location.truncate(len);
            }
            dynamic.then_some(Node::Object(entries))
        }
        Value::Array(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            let mut dynamic = false;
            for (i, item) in items.iter().enumerate() {
                let len = location.len();
                location.push_str(&format!("[{i}]"));
                let node = compile(item, location, depth + 1, problems);
                dynamic |= node.is_some();
                nodes.push(node.unwrap_or_else(|| Node::Static(item.clone())));
                location.truncate(len);
            }
            dynamic.then_some(Node::Array(nodes))
        }
        _ => None,
    }
}

/// `location` extended by the field `name`: `.name`, or `['name']` when the name is not a
/// plain identifier.
fn push_name(location: &mut String, name: &str) {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        location.push('.');
        location.push_str(name);
    } else {
        location.push_str("['");
        for c in name.chars() {
            if c == '\\' || c == '\'' {
                location.push('\\');
            }
            location.push(c);
        }
        location.push_str("']");
    }
}

/// Compiles the `.$` field `key` (at `location`) of `map`.
fn compile_field(
    key: &str,
    value: &Value,
    map: &Map<String, Value>,
    location: &str,
    problems: &mut Vec<(String, String)>,
) -> Option<Node> {
    let name = key.strip_suffix(".$").unwrap_or(key);
    if map.contains_key(name) {
        problems.push((
            location.to_owned(),
            format!("both {name:?} and {key:?} are set; they would fill the same field"),
        ));
    }
    let Value::String(text) = value else {
        problems.push((
            location.to_owned(),
            format!(
                "a field whose name ends in '.$' must hold a path or an intrinsic function as a string, not {}",
                super::json::describe(value)
            ),
        ));
        return None;
    };
    let field = key.to_owned();
    let compiled = if text.starts_with('$') {
        Path::parse(text)
            .map(|path| Node::Path { field, path })
            .map_err(|reason| format!("invalid path {text:?}: {reason}"))
    } else {
        Intrinsic::parse(text)
            .map(|call| Node::Intrinsic { field, call })
            .map_err(|reason| format!("invalid intrinsic function {text:?}: {reason}"))
    };
    compiled
        .map_err(|reason| problems.push((location.to_owned(), reason)))
        .ok()
}

/// Renders `node`, found `depth` levels into the template; `left` is what remains of the
/// payload limit for the values filled in, which are refused (before they are copied
/// further) when they would pass it or nest past [`Limits::MAX_DEPTH`].
fn render(
    node: &Node,
    input: &Value,
    scope: Scope<'_>,
    rng: &mut Rng,
    depth: usize,
    left: &mut u64,
) -> Result<Value, TaskError> {
    let (field, value) = match node {
        Node::Static(value) => return Ok(value.clone()),
        Node::Object(entries) => {
            let mut map = Map::new();
            for (key, node) in entries {
                map.insert(key.clone(), render(node, input, scope, rng, depth + 1, left)?);
            }
            return Ok(Value::Object(map));
        }
        Node::Array(nodes) => {
            return nodes
                .iter()
                .map(|node| render(node, input, scope, rng, depth + 1, left))
                .collect::<Result<_, _>>()
                .map(Value::Array)
        }
        Node::Path { field, path } => (
            field,
            path.select_in(input, scope)?.ok_or_else(|| {
                TaskError::new(
                    names::RUNTIME,
                    format!(
                        "The JSONPath '{}' specified for the field '{field}' could not be found in {}",
                        path.as_str(),
                        missing_from(path, input, scope)
                    ),
                )
            })?,
        ),
        Node::Intrinsic { field, call } => (
            field,
            call.eval(input, scope, rng).map_err(|e| {
                TaskError::new(
                    e.error,
                    format!(
                        "The intrinsic function for the field '{field}' failed: {}",
                        e.cause
                    ),
                )
            })?,
        ),
    };
    let room = MAX_DEPTH.saturating_sub(depth);
    match measure(&value, *left, room) {
        Ok(size) => {
            *left -= size.bytes;
            Ok(value)
        }
        Err(Exceeded::Bytes(_)) => {
            crate::limits::drop_deep(value);
            Err(
                Exceeded::Bytes(scope.limits.max_payload_bytes).error(&format!(
                    "the template, once the field '{field}' is filled in"
                )),
            )
        }
        Err(Exceeded::Depth) => {
            crate::limits::drop_deep(value);
            Err(Exceeded::Depth.error(&format!("the template's field '{field}'")))
        }
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Template::parse(value).map_err(|problems| {
            let listed: Vec<Cow<'_, str>> = problems
                .iter()
                .map(|(at, reason)| Cow::Owned(format!("{at}: {reason}")))
                .collect();
            serde::de::Error::custom(format!("invalid payload template: {}", listed.join("; ")))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn context() -> Value {
        json!({"Execution": {"Id": "arn:exec:1", "Input": {"n": 1}, "StartTime": "2016-03-14T01:59:00.000Z"}, "Map": {"Item": {"Value": "v", "Index": 0}}})
    }

    fn render_ok(template: Value, input: Value) -> Value {
        Template::parse(template.clone())
            .unwrap_or_else(|e| panic!("{template}: {e:?}"))
            .render(&input, &context(), &mut Rng::seeded(3))
            .unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    #[test]
    fn the_specs_example() {
        // The ASL specification's Parameters example.
        let template = json!({
            "flagged": true,
            "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[3:]"},
            "weekday.$": "$$.DayOfWeek",
            "formattedOutput.$": "States.Format('Today is {}', $$.DayOfWeek)"
        });
        let input = json!({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]});
        let rendered = Template::parse(template)
            .unwrap()
            .render(
                &input,
                &json!({"DayOfWeek": "TUESDAY"}),
                &mut Rng::seeded(1),
            )
            .unwrap();
        assert_eq!(
            rendered,
            json!({
                "flagged": true,
                "parts": {"first": 0, "last3": [30, 40, 50]},
                "weekday": "TUESDAY",
                "formattedOutput": "Today is TUESDAY"
            })
        );
    }

    #[test]
    fn renders_paths_intrinsics_and_static_parts() {
        let input = json!({"order": {"id": 7, "items": [{"sku": "a"}, {"sku": "b"}]}, "name": "Ada", "n": null});
        let cases: Vec<(Value, Value)> = vec![
            (json!({}), json!({})),
            (
                json!({"a": 1, "b": [true, null, {"c": "d"}]}),
                json!({"a": 1, "b": [true, null, {"c": "d"}]}),
            ),
            (json!("plain"), json!("plain")),
            (json!([1, {"x.$": "$.name"}]), json!([1, {"x": "Ada"}])),
            (json!({"id.$": "$.order.id"}), json!({"id": 7})),
            (json!({"all.$": "$"}), json!({"all": input.clone()})),
            (json!({"nil.$": "$.n"}), json!({"nil": null})),
            (
                json!({"skus.$": "$.order.items[*].sku"}),
                json!({"skus": ["a", "b"]}),
            ),
            (
                json!({"none.$": "$.order.items[?(@.sku == 'z')]"}),
                json!({"none": []}),
            ),
            (
                json!({"run.$": "$$.Execution.Id", "item.$": "$$.Map.Item.Value"}),
                json!({"run": "arn:exec:1", "item": "v"}),
            ),
            (json!({"ctx.$": "$$"}), json!({"ctx": context()})),
            (
                json!({"msg.$": "States.Format('Hi {} #{}', $.name, $.order.id)"}),
                json!({"msg": "Hi Ada #7"}),
            ),
            (
                json!({"count.$": "States.ArrayLength($.order.items)"}),
                json!({"count": 2}),
            ),
            (
                json!({"deep": {"deeper": [{"x.$": "$.order.items[1].sku", "keep": "$.not.a.path"}]}, "top": 1}),
                json!({"deep": {"deeper": [{"x": "b", "keep": "$.not.a.path"}]}, "top": 1}),
            ),
            (
                json!({"weird key.$": "$.name", "ünï.$": "$.name"}),
                json!({"weird key": "Ada", "ünï": "Ada"}),
            ),
            (json!({".$": "$.name"}), json!({"": "Ada"})),
            (json!({"a.$.$": "$.name"}), json!({"a.$": "Ada"})),
            (
                json!({"a$": "$.name", "b.$x": "$.name"}),
                json!({"a$": "$.name", "b.$x": "$.name"}),
            ),
        ];
        for (template, expected) in cases {
            assert_eq!(
                render_ok(template.clone(), input.clone()),
                expected,
                "{template}"
            );
        }
    }

    #[test]
    fn parse_reports_every_problem_with_its_location() {
        let template = json!({
            "ok.$": "$.fine",
            "bad path.$": "$.a[",
            "nested": {"list": [{"x.$": 5}, {"y.$": "States.Nope()"}], "a~b/c.$": "nope"},
            "dup": 1,
            "dup.$": "$.dup",
            "ctx.$": "$$.",
            "obj.$": {"not": "a string"}
        });
        let mut problems = Template::parse(template).unwrap_err();
        problems.sort();
        let locations: Vec<&str> = problems.iter().map(|(at, _)| at.as_str()).collect();
        let mut expected = [
            "$['bad path.$']",
            "$['ctx.$']",
            "$['dup.$']",
            "$.nested['a~b/c.$']",
            "$.nested.list[0]['x.$']",
            "$.nested.list[1]['y.$']",
            "$['obj.$']",
        ];
        expected.sort_unstable();
        assert_eq!(locations, expected);
        let reason = |at: &str| &problems.iter().find(|(p, _)| p == at).unwrap().1;
        assert!(reason("$['bad path.$']").contains("invalid path \"$.a[\""));
        assert!(reason("$['ctx.$']").contains("expected a field name"));
        assert!(reason("$['dup.$']").contains("both \"dup\" and \"dup.$\""));
        assert!(reason("$.nested['a~b/c.$']")
            .contains("'nope' at character 1 is not an intrinsic function"));
        assert!(reason("$.nested.list[0]['x.$']").contains("not a number"));
        assert!(
            reason("$.nested.list[1]['y.$']").contains("unknown intrinsic function 'States.Nope'")
        );
        assert!(reason("$['obj.$']").contains("not an object"));

        let quoted = Template::parse(json!({"it's": {"a\\b.$": 1}, "_ok": {"x1": [{"é.$": 2}]}}))
            .unwrap_err();
        let locations: Vec<&str> = quoted.iter().map(|(at, _)| at.as_str()).collect();
        assert_eq!(locations, ["$['it\\'s']['a\\\\b.$']", "$._ok.x1[0]['é.$']"]);
    }

    #[test]
    fn static_intrinsic_errors_are_parse_errors() {
        let problems = Template::parse(json!({"x.$": "States.Format('{} {}', $.a)"})).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "$['x.$']");
        assert!(
            problems[0].1.contains("2 '{}' but 1 value"),
            "{}",
            problems[0].1
        );
    }

    #[test]
    fn render_errors_name_the_field() {
        let input = json!({"a": "text"});
        let cases: &[(Value, &str, &str)] = &[
            (
                json!({"x.$": "$.missing"}),
                names::RUNTIME,
                "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":\"text\"}'",
            ),
            (
                json!({"outer": [{"x.$": "$.a.b"}]}),
                names::RUNTIME,
                "The JSONPath '$.a.b' specified for the field 'x.$'",
            ),
            (
                json!({"x.$": "$$.Execution.Nope"}),
                names::RUNTIME,
                "could not be found in the context object",
            ),
            (
                json!({"x.$": "States.ArrayLength($.a)"}),
                names::INTRINSIC_FAILURE,
                "The intrinsic function for the field 'x.$' failed: States.ArrayLength: argument 1 must be an array, but it is a string",
            ),
            (
                json!({"x.$": "States.Format('{}', $.nope)"}),
                names::RUNTIME,
                "for the field 'x.$' failed: The JSONPath '$.nope' given to States.Format",
            ),
        ];
        for (template, error, needle) in cases {
            let err = Template::parse(template.clone())
                .unwrap()
                .render(&input, &context(), &mut Rng::seeded(1))
                .unwrap_err();
            assert_eq!(err.error, *error, "{template}");
            assert!(
                err.cause.contains(needle),
                "{template}: {:?} lacks {needle:?}",
                err.cause
            );
        }
    }

    #[test]
    fn rng_threads_through_the_template() {
        let template =
            Template::parse(json!({"a.$": "States.UUID()", "b": [{"c.$": "States.UUID()"}]}))
                .unwrap();
        let mut rng = Rng::seeded(5);
        let first = template.render(&json!({}), &context(), &mut rng).unwrap();
        let second = template.render(&json!({}), &context(), &mut rng).unwrap();
        assert_ne!(first["a"], first["b"][0]["c"]);
        assert_ne!(first, second);
        assert_eq!(
            first,
            template
                .render(&json!({}), &context(), &mut Rng::seeded(5))
                .unwrap()
        );
    }

    #[test]
    fn accessors_equality_and_serde() {
        let raw = json!({"a.$": "$.x", "b": 1});
        let template = Template::parse(raw.clone()).unwrap();
        assert_eq!(template.as_value(), &raw);
        assert_eq!(template, Template::parse(raw.clone()).unwrap());
        assert_ne!(
            template,
            Template::parse(json!({"a.$": "$.y", "b": 1})).unwrap()
        );
        assert_eq!(serde_json::to_value(&template).unwrap(), raw);
        let back: Template = serde_json::from_value(raw).unwrap();
        assert_eq!(back, template);
        let err = serde_json::from_value::<Template>(json!({"a.$": 1, "b": {"c.$": "$."}}))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid payload template: $['a.$']: "),
            "{err}"
        );
        assert!(err.contains("; $.b['c.$']: invalid path"), "{err}");
    }

    #[test]
    fn deep_templates_are_refused_not_overflowed() {
        let mut deep = json!({"x.$": "$"});
        for _ in 0..300 {
            deep = json!({"d": deep});
        }
        let problems = Template::parse(deep.clone()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.contains("deeper than 256"));
        assert!(problems[0].0.starts_with("$.d.d.d"));

        let mut ok = json!({"x.$": "$.v"});
        for _ in 0..200 {
            ok = json!([ok]);
        }
        let mut rendered = Template::parse(ok)
            .unwrap()
            .render(&json!({"v": 1}), &context(), &mut Rng::seeded(1))
            .unwrap();
        for _ in 0..200 {
            rendered = rendered[0].take();
        }
        assert_eq!(rendered, json!({"x": 1}));
    }
}
