use serde_json::json;

use super::*;
use crate::expr::Variables;

fn store() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
                {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
                {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "a b": {"c.d": 1, "it's": 2},
        "nums": [0, 10, 20, 30, 40, 50],
        "empty": [],
        "nil": null,
        "ünï": "code",
        "@timestamp": "t",
        "dash-key": 3
    })
}

fn select(path: &str) -> Option<Value> {
    let context =
        json!({"Execution": {"Id": "arn:exec", "Input": {"x": 1}}, "Map": {"Item": {"Index": 2}}});
    Path::parse(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .select(&store(), &context)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn variable_paths_select_from_the_variables_in_scope() {
    let mut outer = Variables::default();
    outer.assign(
        json!({"order": {"id": 7, "lines": [1, 2, 3]}, "n": 1})
            .as_object()
            .unwrap()
            .clone(),
    );
    let mut inner = Variables::inside(std::sync::Arc::new(outer));
    inner.assign(json!({"n": 2}).as_object().unwrap().clone());
    let scope = Scope::new(&Value::Null, &inner, crate::limits::default_limits(), 0);
    let select = |text: &str| {
        Path::parse(text)
            .unwrap()
            .select_in(&json!({"n": 0}), scope)
            .unwrap()
    };
    assert_eq!(select("$n"), Some(json!(2)), "the closest assignment wins");
    assert_eq!(
        select("$order.id"),
        Some(json!(7)),
        "outer variables are read"
    );
    assert_eq!(select("$order.lines[-1]"), Some(json!(3)));
    assert_eq!(select("$order.lines[*]"), Some(json!([1, 2, 3])));
    assert_eq!(select("$.n"), Some(json!(0)), "$. is still the input");
    assert_eq!(select("$missing"), None);
    assert_eq!(
        Path::parse("$n").unwrap().select(&json!({}), &Value::Null),
        Ok(None)
    );
    assert_eq!(Path::parse("$_x1").unwrap().variable(), Some("_x1"));
}

#[test]
fn definite_paths_select_one_value() {
    let cases: &[(&str, Value)] = &[
        ("$", store()),
        ("$.store.bicycle.color", json!("red")),
        ("$['store']['bicycle']['color']", json!("red")),
        ("$[\"store\"].bicycle[\"price\"]", json!(19.95)),
        ("$.store.book[0].title", json!("Sayings of the Century")),
        ("$.store.book[-1].title", json!("The Lord of the Rings")),
        ("$.store.book[-4].author", json!("Nigel Rees")),
        ("$['a b']['c.d']", json!(1)),
        ("$['a b']['it\\'s']", json!(2)),
        ("$.nums[5]", json!(50)),
        ("$.nil", Value::Null),
        ("$.ünï", json!("code")),
        ("$.@timestamp", json!("t")),
        ("$.dash-key", json!(3)),
        ("$.store.['bicycle'].color", json!("red")),
        ("$[ 'nums' ][ 1 ]", json!(10)),
        (
            "$$",
            json!({"Execution": {"Id": "arn:exec", "Input": {"x": 1}}, "Map": {"Item": {"Index": 2}}}),
        ),
        ("$$.Execution.Id", json!("arn:exec")),
        ("$$.Execution.Input.x", json!(1)),
        ("$$.Map.Item.Index", json!(2)),
    ];
    for (path, expected) in cases {
        assert_eq!(select(path).as_ref(), Some(expected), "{path}");
    }
}

#[test]
fn definite_paths_that_match_nothing_select_none() {
    for path in [
        "$.missing",
        "$.store.missing.deeper",
        "$.store.bicycle.color.length",
        "$.nums[6]",
        "$.nums[-7]",
        "$.nums[9223372036854775807]",
        "$.nums[-9223372036854775808]",
        "$.nums.x",
        "$.store[0]",
        "$.nil.x",
        "$.empty[0]",
        "$$.Execution.Missing",
    ] {
        assert_eq!(select(path), None, "{path}");
    }
}

#[test]
fn indefinite_paths_select_arrays_of_matches() {
    let cases: &[(&str, Value)] = &[
        (
            "$.store.book[*].author",
            json!([
                "Nigel Rees",
                "Evelyn Waugh",
                "Herman Melville",
                "J. R. R. Tolkien"
            ]),
        ),
        ("$.store.book.*.price", json!([8.95, 12.99, 8.99, 22.99])),
        ("$..isbn", json!(["0-553-21311-3", "0-395-19395-8"])),
        // Objects keep their fields in document order (serde_json's `preserve_order`).
        ("$.store..price", json!([8.95, 12.99, 8.99, 22.99, 19.95])),
        ("$.store.*.color", json!(["red"])),
        ("$.nums[1:3]", json!([10, 20])),
        ("$.nums[:2]", json!([0, 10])),
        ("$.nums[-2:]", json!([40, 50])),
        ("$.nums[4:]", json!([40, 50])),
        ("$.nums[::2]", json!([0, 20, 40])),
        ("$.nums[1:5:3]", json!([10, 40])),
        ("$.nums[3:1]", json!([])),
        ("$.nums[-100:100]", json!([0, 10, 20, 30, 40, 50])),
        ("$.nums[0,2,-1]", json!([0, 20, 50])),
        ("$.nums[0, 99]", json!([0])),
        ("$['nil','dash-key','missing']", json!([null, 3])),
        ("$.missing[*]", json!([])),
        ("$.empty[*]", json!([])),
        ("$..nothing", json!([])),
        (
            "$.store.book[?(@.price < 10)].title",
            json!(["Sayings of the Century", "Moby Dick"]),
        ),
        (
            "$.store.book[?(@.isbn)].title",
            json!(["Moby Dick", "The Lord of the Rings"]),
        ),
        ("$.store.book[?(!@.isbn)].price", json!([8.95, 12.99])),
        (
            "$.store.book[?(@.category == 'reference')].author",
            json!(["Nigel Rees"]),
        ),
        (
            "$.store.book[?(@.category != \"fiction\")].author",
            json!(["Nigel Rees"]),
        ),
        (
            "$.store.book[?(@.price >= 12.99 && @.price <= 20)].title",
            json!(["Sword of Honour"]),
        ),
        (
            "$.store.book[?(@.price > 20 || @.author == 'Nigel Rees')].price",
            json!([8.95, 22.99]),
        ),
        (
            "$.store.book[?((@.price > 20) || !(@.price > 9))].price",
            json!([8.95, 8.99, 22.99]),
        ),
        (
            "$.store.book[?(@.price < $.store.bicycle.price)].price",
            json!([8.95, 12.99, 8.99]),
        ),
        (
            "$.store.book[?(@['price'] == 8.99)].title",
            json!(["Moby Dick"]),
        ),
        ("$.nums[?(@ >= 30)]", json!([30, 40, 50])),
        ("$.nums[?(@ == 10.0)]", json!([10])),
        ("$.store.bicycle[?(@ == 'red')]", json!(["red"])),
        ("$.nums[?(true)]", json!([0, 10, 20, 30, 40, 50])),
        ("$.nums[?(false)]", json!([])),
        ("$..book[?(@.author =='Nigel Rees')].price", json!([8.95])),
        // Descendants in document order: `store` comes before `nums`.
        (
            "$..[0]",
            json!([{"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95}, 0]),
        ),
    ];
    for (path, expected) in cases {
        assert_eq!(select(path).as_ref(), Some(expected), "{path}");
    }
}

#[test]
fn recursive_descent_walks_deep_values_without_recursion() {
    let mut deep = json!("bottom");
    for _ in 0..100_000 {
        deep = Value::Array(vec![deep]);
    }
    let mut visits = Visits {
        left: u64::MAX,
        path: &Path::root(),
    };
    let mut count = 0;
    descendants(&deep, &mut visits, |_, _| {
        count += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(count, 100_001);
    crate::limits::drop_deep(deep);

    let mut nested = json!({"x": 1});
    for _ in 0..100 {
        nested = json!({"x": nested});
    }
    let Ok(Some(Value::Array(hits))) = Path::parse("$..x").unwrap().select(&nested, &Value::Null)
    else {
        panic!("an indefinite path selects an array")
    };
    assert_eq!(hits.len(), 101);
    assert_eq!(hits.last(), Some(&json!(1)));
}

#[test]
fn parse_errors_say_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("", "must start with '$'"),
        ("store", "must start with '$'"),
        (" $", "must start with '$'"),
        ("$.", "expected a field name"),
        ("$..", "expected a field name"),
        ("$.a.", "expected a field name"),
        ("$a b", "unexpected ' '"),
        ("$a-b", "unexpected '-'"),
        ("$.a b", "unexpected ' '"),
        ("$.a ", "unexpected ' '"),
        ("$.a(", "unexpected '('"),
        ("$.a*", "unexpected '*'"),
        ("$.*a", "unexpected 'a'"),
        ("$[", "unclosed '['"),
        ("$[0", "unclosed '['"),
        ("$['a'", "unclosed '['"),
        ("$['a", "unterminated string"),
        ("$[a]", "unexpected 'a'"),
        ("$[]", "unexpected ']'"),
        ("$[0,]", "expected an integer"),
        ("$[1.5]", "expected ']'"),
        ("$[99999999999999999999]", "out of range"),
        ("$[0:5:0]", "step must be positive"),
        ("$[::-1]", "step must be positive"),
        ("$[?(@.a =~ /x/)]", "not supported"),
        ("$[?(@.a ==)]", "filter"),
        ("$[?(1)]", "needs a comparison"),
        ("$[?(@.a == 1]", "expected ')'"),
        ("$[?(@.a[*] == 1)]", "only use names and single indexes"),
        ("$[?($$.x == 1)]", "context object"),
        ("$.a]", "unexpected ']'"),
        ("$$$", "unexpected '$'"),
    ];
    for (path, needle) in cases {
        let err = Path::parse(path).unwrap_err();
        assert!(err.contains(needle), "{path:?}: {err:?} lacks {needle:?}");
    }
    let variable = ReferencePath::parse("$total.x").unwrap_err();
    assert!(variable.contains("not a variable ($total)"), "{variable}");
    let deep = format!("$[?({}@.a{})]", "(".repeat(100), ")".repeat(100));
    assert!(Path::parse(&deep).unwrap_err().contains("nests deeper"));
    let nots = format!("$[?({}@.a)]", "!".repeat(100));
    assert!(Path::parse(&nots).unwrap_err().contains("nests deeper"));
    let brackets = "$[?(@[?(".repeat(100_000);
    assert!(Path::parse(&brackets).unwrap_err().contains("nests deeper"));
}

#[test]
fn accessors_display_and_serde() {
    let path = Path::parse("$$.Execution.Id").unwrap();
    assert_eq!(path.as_str(), "$$.Execution.Id");
    assert!(path.is_context());
    assert!(!Path::parse("$.a").unwrap().is_context());
    assert_eq!(path.to_string(), "$$.Execution.Id");
    assert_eq!(
        serde_json::to_value(&path).unwrap(),
        json!("$$.Execution.Id")
    );
    let back: Path = serde_json::from_value(json!("$$.Execution.Id")).unwrap();
    assert_eq!(back, path);
    let err = serde_json::from_value::<Path>(json!("nope"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope") && err.contains("'$'"), "{err}");
    assert!(serde_json::from_value::<Path>(json!(7)).is_err());

    let reference = ReferencePath::parse("$.a['b c'][0]").unwrap();
    assert_eq!(reference.as_str(), "$.a['b c'][0]");
    assert_eq!(
        serde_json::to_value(&reference).unwrap(),
        json!("$.a['b c'][0]")
    );
    let back: ReferencePath = serde_json::from_value(json!("$.a['b c'][0]")).unwrap();
    assert_eq!(back, reference);
    assert!(serde_json::from_value::<ReferencePath>(json!("$.a[*]")).is_err());
}

#[test]
fn reference_paths_are_single_valued() {
    for ok in [
        "$",
        "$.a",
        "$.a.b",
        "$['a b'].c",
        "$.a[0]",
        "$.a[0][1].b",
        "$.ünï",
    ] {
        assert!(ReferencePath::parse(ok).is_ok(), "{ok}");
    }
    let cases: &[(&str, &str)] = &[
        ("$$.Execution", "context object"),
        ("$..a", "'..'"),
        ("$.a[*]", "wildcard"),
        ("$.*", "wildcard"),
        ("$.a[-1]", "negative index"),
        ("$.a[0,1]", "union"),
        ("$['a','b']", "union"),
        ("$.a[0:1]", "slice"),
        ("$.a[?(@.b)]", "filter"),
        ("a", "must start with '$'"),
        ("$.", "expected a field name"),
    ];
    for (path, needle) in cases {
        let err = ReferencePath::parse(path).unwrap_err();
        assert!(err.contains(needle), "{path:?}: {err:?} lacks {needle:?}");
    }
}

#[test]
fn reference_path_get() {
    let value = json!({"a": {"b c": [10, {"d": true}]}, "n": null});
    let cases: &[(&str, Option<Value>)] = &[
        ("$", Some(value.clone())),
        ("$.a['b c'][0]", Some(json!(10))),
        ("$.a['b c'][1].d", Some(json!(true))),
        ("$.n", Some(Value::Null)),
        ("$.a['b c'][2]", None),
        ("$.a.x", None),
        ("$.n.x", None),
        ("$.a[0]", None),
    ];
    for (path, expected) in cases {
        let path = ReferencePath::parse(path).unwrap();
        assert_eq!(path.get(&value), expected.as_ref(), "{}", path.as_str());
    }
}

#[test]
fn reference_path_set_follows_result_path_rules() {
    let input = json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": null});
    let cases: &[(&str, Value)] = &[
        ("$", json!("R")),
        (
            "$.r",
            json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": null, "r": "R"}),
        ),
        (
            "$.a.b",
            json!({"a": {"b": "R"}, "s": "text", "list": [1, {"x": 0}], "n": null}),
        ),
        (
            "$.a.new.deeper",
            json!({"a": {"b": 1, "new": {"deeper": "R"}}, "s": "text", "list": [1, {"x": 0}], "n": null}),
        ),
        (
            "$.x.y.z",
            json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": null, "x": {"y": {"z": "R"}}}),
        ),
        (
            "$.list[0]",
            json!({"a": {"b": 1}, "s": "text", "list": ["R", {"x": 0}], "n": null}),
        ),
        (
            "$.list[1].x",
            json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": "R"}], "n": null}),
        ),
        (
            "$.list[1].y",
            json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0, "y": "R"}], "n": null}),
        ),
        (
            "$.n",
            json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": "R"}),
        ),
        (
            "$['s p a c e']",
            json!({"a": {"b": 1}, "s": "text", "list": [1, {"x": 0}], "n": null, "s p a c e": "R"}),
        ),
    ];
    for (path, expected) in cases {
        let mut target = input.clone();
        ReferencePath::parse(path)
            .unwrap()
            .set(&mut target, json!("R"))
            .unwrap();
        assert_eq!(&target, expected, "{path}");
    }

    let failures: &[(&str, &str)] = &[
        ("$.s.x", "$.s is a string, not an object"),
        ("$.s.x.y", "$.s is a string, not an object"),
        ("$.n.x", "$.n is null, not an object"),
        ("$.a.b.c", "$.a.b is a number, not an object"),
        ("$.list.x", "$.list is an array, not an object"),
        ("$.list[2]", "$.list has 2 items, so it has no index 2"),
        ("$.list[5].x", "$.list has 2 items, so it has no index 5"),
        ("$.a[0]", "$.a is an object, not an array"),
        (
            "$.missing[0]",
            "$.missing does not exist, so it has no index 0",
        ),
        ("$.new.deeper[0]", "$.new.deeper does not exist"),
        ("$.list[1].x[0]", "$.list[1].x is a number, not an array"),
    ];
    for (path, needle) in failures {
        let mut target = input.clone();
        let err = ReferencePath::parse(path)
            .unwrap()
            .set(&mut target, json!("R"))
            .unwrap_err();
        assert!(err.contains(needle), "{path}: {err:?} lacks {needle:?}");
        assert_eq!(target, input, "{path} changed the target on failure");
    }

    let mut scalar = json!("just a string");
    assert!(ReferencePath::parse("$.x")
        .unwrap()
        .set(&mut scalar, json!(1))
        .is_err());
    assert_eq!(scalar, json!("just a string"));
    let mut nested_name = json!({});
    ReferencePath::parse("$['a b']['it\\'s']")
        .unwrap()
        .set(&mut nested_name, json!(1))
        .unwrap();
    assert_eq!(nested_name, json!({"a b": {"it's": 1}}));
    let mut quoted = json!({"a b": {"it's": "s"}});
    let err = ReferencePath::parse("$['a b']['it\\'s'].x")
        .unwrap()
        .set(&mut quoted, json!(1))
        .unwrap_err();
    assert!(err.contains("$['a b']['it\\'s'] is a string"), "{err}");
}

#[test]
fn json_eq_compares_numbers_by_value() {
    assert!(json_eq(&json!(1), &json!(1.0)));
    assert!(json_eq(&json!([1, {"a": 2.0}]), &json!([1.0, {"a": 2}])));
    assert!(!json_eq(&json!(1), &json!("1")));
    assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    assert!(!json_eq(&json!({"a": 1}), &json!({"b": 1})));
    assert!(json_eq(&json!(u64::MAX), &json!(u64::MAX)));
    assert!(!json_eq(&json!(u64::MAX), &json!(i64::MAX)));
    assert!(json_eq(&json!(0.5), &json!(0.5)));
    assert!(!json_eq(&json!(0.5), &json!(1)));
}
