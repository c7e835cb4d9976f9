use std::collections::HashSet;

use serde_json::json;

use super::*;

fn eval_with(text: &str, input: &Value) -> Result<Value, TaskError> {
    let context = json!({"Execution": {"Id": "arn:aws:states:exec", "Name": "run-1"}, "State": {"Name": "S"}});
    Intrinsic::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .eval(input, Scope::of_context(&context), &mut Rng::seeded(42))
}

fn eval(text: &str, input: Value) -> Value {
    eval_with(text, &input).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn aws_documentation_examples() {
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "States.Format('Hello, my name is {}.', $.name)",
            json!({"name": "Arnav", "template": "Hello, my name is {}."}),
            json!("Hello, my name is Arnav."),
        ),
        (
            "States.Format($.template, $.name)",
            json!({"name": "Arnav", "template": "Hello, my name is {}."}),
            json!("Hello, my name is Arnav."),
        ),
        (
            "States.Format('Your name is {}, we are in the year {}', $.name, 2020)",
            json!({"name": "Foo", "zebra": "stripe"}),
            json!("Your name is Foo, we are in the year 2020"),
        ),
        (
            "States.StringToJson($.escapedJsonString)",
            json!({"escapedJsonString": "{\"foo\": \"bar\"}"}),
            json!({"foo": "bar"}),
        ),
        (
            "States.StringToJson($.someString)",
            json!({"someString": "{\"number\": 20}", "zebra": "stripe"}),
            json!({"number": 20}),
        ),
        (
            "States.JsonToString($.unescapedJson)",
            json!({"unescapedJson": {"foo": "bar"}}),
            json!("{\"foo\":\"bar\"}"),
        ),
        (
            "States.JsonToString($.someJson)",
            json!({"someJson": {"name": "Foo", "year": 2020}, "zebra": "stripe"}),
            json!("{\"name\":\"Foo\",\"year\":2020}"),
        ),
        ("States.Array($.Id)", json!({"Id": 123456}), json!([123456])),
        (
            "States.Array('Foo', 2020, $.someJson, null)",
            json!({"someJson": {"random": "abcdefg"}, "zebra": "stripe"}),
            json!(["Foo", 2020, {"random": "abcdefg"}, null]),
        ),
        (
            "States.ArrayPartition($.inputArray,4)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}),
            json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ),
        (
            "States.ArrayContains($.inputArray, $.lookingFor)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "lookingFor": 5}),
            json!(true),
        ),
        ("States.ArrayRange(1, 9, 2)", json!({}), json!([1, 3, 5, 7, 9])),
        (
            "States.ArrayGetItem($.inputArray, $.index)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5}),
            json!(6),
        ),
        (
            "States.ArrayLength($.inputArray)",
            json!({"inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9]}),
            json!(9),
        ),
        (
            "States.ArrayUnique($.inputArray)",
            json!({"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]}),
            json!([1, 2, 3, 4]),
        ),
        (
            "States.Base64Encode($.input)",
            json!({"input": "Data to encode"}),
            json!("RGF0YSB0byBlbmNvZGU="),
        ),
        (
            "States.Base64Decode($.base64)",
            json!({"base64": "RGF0YSB0byBlbmNvZGU="}),
            json!("Data to encode"),
        ),
        (
            // The docs print this digest with one '4' missing; this is SHA-1("input data").
            "States.Hash($.Data, $.Algorithm)",
            json!({"Data": "input data", "Algorithm": "SHA-1"}),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ),
        (
            "States.JsonMerge($.json1, $.json2, false)",
            json!({"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}}),
            json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}),
        ),
        (
            "States.MathAdd($.value1, $.step)",
            json!({"value1": 111, "step": -1}),
            json!(110),
        ),
        (
            "States.StringSplit($.inputString, $.splitter)",
            json!({"inputString": "1,2,3,4,5", "splitter": ","}),
            json!(["1", "2", "3", "4", "5"]),
        ),
        (
            "States.StringSplit($.inputString, $.splitter)",
            json!({"inputString": "This.is+a,test=string", "splitter": ".+,="}),
            json!(["This", "is", "a", "test", "string"]),
        ),
        (
            // The docs' nesting example, less its third '{}' (it passes only two values).
            "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))",
            json!({"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123:image-recipe/my-recipe.v2/1.0.0"}}),
            json!("1.0"),
        ),
    ];
    for (text, input, expected) in cases {
        assert_eq!(eval(text, input), expected, "{text}");
    }
}

#[test]
fn format_details() {
    let input = json!({"s": "x", "n": 1.5, "i": -3, "b": true, "z": null, "a": [1, "two", [3]], "o": {"k": "v", "n": 1}, "t": "a {} b \\{}"});
    let cases: &[(&str, &str)] = &[
        ("States.Format('no placeholders')", "no placeholders"),
        ("States.Format('')", ""),
        (
            "States.Format('{}{}{}{}{}', $.s, $.n, $.i, $.b, $.z)",
            "x1.5-3truenull",
        ),
        (
            "States.Format('{}|{}', $.a, $.o)",
            "[1, two, [3]]|{k=v, n=1}",
        ),
        ("States.Format('it\\'s {}', 'me')", "it's me"),
        ("States.Format('\\{\\} {} \\\\', 7)", "{} 7 \\"),
        ("States.Format('{ } {{}} }{', 1)", "{ } {1} }{"),
        ("States.Format($.t, 'X', 'Y')", "a X b \\Y"),
        ("States.Format('{}', 'a,b)c')", "a,b)c"),
        ("States.Format('{}', States.Format('<{}>', 'in'))", "<in>"),
        (
            "States.Format('{} {}', 12345678901234567890, -0.25e1)",
            "12345678901234567890 -2.5",
        ),
        ("States.Format('{}', $$.Execution.Name)", "run-1"),
        ("States.Format('ünï {} ✓', 'ç')", "ünï ç ✓"),
        ("  States.Format ( '{}' ,  $.s )  ", "x"),
    ];
    for (text, expected) in cases {
        assert_eq!(eval(text, input.clone()), json!(expected), "{text}");
    }
    let err = eval_with("States.Format($.t, 'X')", &input).unwrap_err();
    assert_eq!(err.error, names::INTRINSIC_FAILURE);
    assert!(
        err.cause.contains("2 '{}' but was given 1 value"),
        "{}",
        err.cause
    );
}

#[test]
fn array_functions() {
    let input = json!({
        "a": [1, 2, 3, 4, 5],
        "mixed": [1, 1.0, "1", [1], [1.0], {"k": 1}, {"k": 1.0}, null, null, true, false, true],
        "e": []
    });
    let cases: &[(&str, Value)] = &[
        ("States.Array()", json!([])),
        ("States.Array(States.Array(1), 'two', true, false, null, -1.5)", json!([[1], "two", true, false, null, -1.5])),
        ("States.Array($, $$.State.Name)", json!([input.clone(), "S"])),
        ("States.ArrayPartition($.a, 2)", json!([[1, 2], [3, 4], [5]])),
        ("States.ArrayPartition($.a, 5)", json!([[1, 2, 3, 4, 5]])),
        ("States.ArrayPartition($.a, 10)", json!([[1, 2, 3, 4, 5]])),
        ("States.ArrayPartition($.a, 1.5)", json!([[1, 2], [3, 4], [5]])),
        ("States.ArrayPartition($.e, 3)", json!([])),
        ("States.ArrayPartition($.a, 9223372036854775807)", json!([[1, 2, 3, 4, 5]])),
        ("States.ArrayContains($.a, 3)", json!(true)),
        ("States.ArrayContains($.a, 3.0)", json!(true)),
        ("States.ArrayContains($.a, '3')", json!(false)),
        ("States.ArrayContains($.mixed, States.Array(1))", json!(true)),
        ("States.ArrayContains($.mixed, States.JsonMerge(States.StringToJson('{\"k\":1}'), States.StringToJson('{}'), false))", json!(true)),
        ("States.ArrayContains($.e, null)", json!(false)),
        ("States.ArrayRange(0, 0, 1)", json!([0])),
        ("States.ArrayRange(1, 9, 3)", json!([1, 4, 7])),
        ("States.ArrayRange(9, 1, -2)", json!([9, 7, 5, 3, 1])),
        ("States.ArrayRange(1, 9, -2)", json!([])),
        ("States.ArrayRange(9, 1, 2)", json!([])),
        ("States.ArrayRange(-3, 3, 3)", json!([-3, 0, 3])),
        ("States.ArrayRange(1.4, 3.5, 0.5)", json!([1, 2, 3, 4])),
        ("States.ArrayRange(1, 1000, 1)", Value::Array((1..=1000).map(Value::from).collect())),
        ("States.ArrayRange(9223372036854775806, 9223372036854775807, 1)", json!([9223372036854775806_i64, 9223372036854775807_i64])),
        ("States.ArrayGetItem($.a, 0)", json!(1)),
        ("States.ArrayGetItem($.a, 4)", json!(5)),
        ("States.ArrayGetItem($.a, 2.0)", json!(3)),
        ("States.ArrayGetItem($.mixed, 5)", json!({"k": 1})),
        ("States.ArrayLength($.e)", json!(0)),
        ("States.ArrayLength($.mixed)", json!(12)),
        ("States.ArrayUnique($.e)", json!([])),
        ("States.ArrayUnique($.mixed)", json!([1, "1", [1], {"k": 1}, null, true, false])),
        ("States.ArrayUnique(States.Array('a', 'b', 'a', 'ab', 'b'))", json!(["a", "b", "ab"])),
        (
            "States.ArrayUnique(States.StringToJson('[{\"a\": 1, \"b\": [2]}, {\"b\": [2.0], \"a\": 1}, {\"a\": 1}]'))",
            json!([{"a": 1, "b": [2]}, {"a": 1}]),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(&eval(text, input.clone()), expected, "{text}");
    }
}

#[test]
fn encoding_hashing_json_math_and_strings() {
    let input = json!({"empty": "", "uni": "ünïcødé ✓", "o1": {"a": 1, "b": {"x": 1}}, "o2": {"b": {"y": 2}, "c": [3]}});
    let cases: &[(&str, Value)] = &[
        ("States.Base64Encode('')", json!("")),
        ("States.Base64Encode('f')", json!("Zg==")),
        ("States.Base64Encode('fo')", json!("Zm8=")),
        ("States.Base64Encode('foo')", json!("Zm9v")),
        ("States.Base64Encode($.uni)", json!("w7xuw69jw7hkw6kg4pyT")),
        ("States.Base64Decode('Zm9vYmFy')", json!("foobar")),
        ("States.Base64Decode('Zg')", json!("f")),
        ("States.Base64Decode('Zm9v\nYmFy')", json!("foobar")),
        ("States.Base64Decode('w7xuw69jw7hkw6kg4pyT')", json!("ünïcødé ✓")),
        ("States.Base64Decode(States.Base64Encode($.uni))", json!("ünïcødé ✓")),
        ("States.Hash($.empty, 'MD5')", json!("d41d8cd98f00b204e9800998ecf8427e")),
        ("States.Hash('abc', 'MD5')", json!("900150983cd24fb0d6963f7d28e17f72")),
        ("States.Hash('abc', 'SHA-1')", json!("a9993e364706816aba3e25717850c26c9cd0d89d")),
        ("States.Hash('abc', 'SHA-256')", json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")),
        ("States.Hash('abc', 'SHA-384')", json!("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")),
        ("States.Hash('abc', 'SHA-512')", json!("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")),
        ("States.JsonMerge($.o1, $.o2, false)", json!({"a": 1, "b": {"y": 2}, "c": [3]})),
        ("States.JsonMerge($.o2, $.o1, false)", json!({"a": 1, "b": {"x": 1}, "c": [3]})),
        ("States.StringToJson('[1, \"a\", {\"b\": null}]')", json!([1, "a", {"b": null}])),
        ("States.StringToJson(' 12 ')", json!(12)),
        ("States.JsonToString(States.StringToJson('{\"b\": [1, 2.5], \"a\": \"\\\\\"q\\\\\"\"}'))", json!(r#"{"b":[1,2.5],"a":"\"q\""}"#)),
        ("States.JsonToString('plain')", json!("\"plain\"")),
        ("States.JsonToString($.empty)", json!("\"\"")),
        ("States.MathAdd(1, 2)", json!(3)),
        ("States.MathAdd(-9, 3)", json!(-6)),
        // Step Functions rounds like Java's Math.round (AWS-validated LocalStack cases).
        ("States.MathAdd(1.49, 1.50)", json!(3)),
        ("States.MathAdd(1.50, 1.51)", json!(4)),
        ("States.MathAdd(-1.49, -1.50)", json!(-2)),
        ("States.MathAdd(2.5, 0)", json!(3)),
        ("States.MathAdd(-2.5, 0)", json!(-2)),
        ("States.MathAdd(-0.5, 0.5)", json!(1)),
        ("States.MathAdd(2147483647, 2147483647)", json!(4294967294_i64)),
        ("States.MathAdd(-2147483648, -2147483648)", json!(-4294967296_i64)),
        ("States.MathAdd(States.ArrayLength(States.Array(1, 2)), 1)", json!(3)),
        ("States.StringSplit(',,,,', ',')", json!([])),
        ("States.StringSplit(', , ,', ',')", json!([" ", " "])),
        ("States.StringSplit(' ', ',')", json!([" "])),
        ("States.StringSplit('', ',')", json!([])),
        ("States.StringSplit('abc', '')", json!(["abc"])),
        ("States.StringSplit('a✓b✓✓c', '✓')", json!(["a", "b", "c"])),
        ("States.StringSplit('split on T and \nnew line', 'T\n')", json!(["split on ", " and ", "new line"])),
    ];
    for (text, expected) in cases {
        assert_eq!(&eval(text, input.clone()), expected, "{text}");
    }
}

#[test]
fn random_and_uuid_use_the_rng() {
    let parse = |text: &str| Intrinsic::parse(text).unwrap();
    let (input, context) = (json!({"start": 1, "end": 999}), Value::Null);

    let random = parse("States.MathRandom($.start, $.end)");
    let mut rng = Rng::seeded(7);
    let draws: Vec<i64> = (0..2_000)
        .map(|_| {
            random
                .eval(&input, Scope::of_context(&context), &mut rng)
                .unwrap()
                .as_i64()
                .unwrap()
        })
        .collect();
    assert!(
        draws.iter().all(|d| (1..999).contains(d)),
        "end is exclusive"
    );
    assert!(draws.iter().any(|d| *d != draws[0]));
    let again: Vec<i64> = {
        let mut rng = Rng::seeded(7);
        (0..2_000)
            .map(|_| {
                random
                    .eval(&input, Scope::of_context(&context), &mut rng)
                    .unwrap()
                    .as_i64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(draws, again, "the same Rng gives the same numbers");

    let narrow = parse("States.MathRandom(5, 6)");
    assert_eq!(
        narrow
            .eval(&input, Scope::of_context(&context), &mut rng)
            .unwrap(),
        json!(5)
    );
    let rounded = parse("States.MathRandom(1.5, 2.5)");
    assert_eq!(
        rounded
            .eval(&input, Scope::of_context(&context), &mut rng)
            .unwrap(),
        json!(2)
    );
    let wide = parse("States.MathRandom(-9223372036854775808, 9223372036854775807)");
    assert!(wide
        .eval(&input, Scope::of_context(&context), &mut rng)
        .unwrap()
        .is_i64());

    // A seed gives the same number whatever the Rng, and leaves the Rng alone.
    let seeded = parse("States.MathRandom(0, 1000, 3)");
    let mut a = Rng::seeded(1);
    let mut b = Rng::seeded(2);
    let x = seeded
        .eval(&input, Scope::of_context(&context), &mut a)
        .unwrap();
    assert_eq!(
        x,
        seeded
            .eval(&input, Scope::of_context(&context), &mut b)
            .unwrap()
    );
    assert_eq!(a, Rng::seeded(1));
    let seeds: HashSet<String> = (0..20)
        .map(|s| {
            parse(&format!("States.MathRandom(0, 1000000, {s})"))
                .eval(&input, Scope::of_context(&context), &mut a)
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(seeds.len() > 15, "different seeds give different numbers");

    let uuid = parse("States.UUID()");
    let mut rng = Rng::seeded(9);
    let mut seen = HashSet::new();
    for _ in 0..1_000 {
        let Value::String(id) = uuid
            .eval(&input, Scope::of_context(&context), &mut rng)
            .unwrap()
        else {
            panic!("a UUID is a string")
        };
        let b = id.as_bytes();
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!([b[8], b[13], b[18], b[23]], [b'-'; 4], "{id}");
        assert_eq!(b[14], b'4', "version 4: {id}");
        assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "variant: {id}");
        assert!(id
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert!(seen.insert(id));
    }
    let mut same = Rng::seeded(9);
    let first = uuid
        .eval(&input, Scope::of_context(&context), &mut same)
        .unwrap();
    assert_eq!(
        first,
        uuid.eval(&input, Scope::of_context(&context), &mut Rng::seeded(9))
            .unwrap()
    );
}

#[test]
fn runtime_failures_name_the_error() {
    let input = json!({
        "s": "text", "n": 5, "a": [1, 2], "o": {"k": 1}, "bad": "{nope",
        "big": "x".repeat(10_001), "ok": "x".repeat(10_000), "b64": "!!!", "latin1": "/w==",
        "algo": "SHA-3", "deep": true
    });
    let cases: &[(&str, &str, &str)] = &[
        (
            "States.Format('{}', $.missing)",
            names::RUNTIME,
            "The JSONPath '$.missing' given to States.Format could not be found in the input",
        ),
        (
            "States.Array($$.Nope)",
            names::RUNTIME,
            "could not be found in the context object",
        ),
        (
            "States.Format($.n)",
            names::INTRINSIC_FAILURE,
            "States.Format: argument 1 must be a string, but it is a number",
        ),
        (
            "States.StringToJson($.bad)",
            names::INTRINSIC_FAILURE,
            "not valid JSON",
        ),
        (
            "States.StringToJson($.n)",
            names::INTRINSIC_FAILURE,
            "must be a string",
        ),
        (
            "States.ArrayPartition($.a, $.s)",
            names::INTRINSIC_FAILURE,
            "argument 2 must be a number, but it is a string",
        ),
        (
            "States.ArrayPartition($.a, States.MathAdd($.n, -5))",
            names::INTRINSIC_FAILURE,
            "chunk size must be a positive integer",
        ),
        (
            "States.ArrayPartition($.o, 1)",
            names::INTRINSIC_FAILURE,
            "argument 1 must be an array, but it is an object",
        ),
        (
            "States.ArrayRange(0, $.n, 0)",
            names::INTRINSIC_FAILURE,
            "step must not be 0",
        ),
        (
            "States.ArrayRange(0, States.MathAdd($.n, 995), 1)",
            names::INTRINSIC_FAILURE,
            "the range has 1001 items",
        ),
        (
            "States.ArrayGetItem($.a, 2)",
            names::INTRINSIC_FAILURE,
            "index 2 is out of bounds for an array of 2 items",
        ),
        (
            "States.ArrayGetItem($.a, -1)",
            names::INTRINSIC_FAILURE,
            "index -1 is out of bounds",
        ),
        (
            "States.ArrayGetItem($.a, 0.5)",
            names::INTRINSIC_FAILURE,
            "index must be an integer",
        ),
        (
            "States.ArrayLength($.s)",
            names::INTRINSIC_FAILURE,
            "must be an array, but it is a string",
        ),
        (
            "States.Base64Encode($.big)",
            names::INTRINSIC_FAILURE,
            "10001 characters; the limit is 10000",
        ),
        (
            "States.Base64Decode($.big)",
            names::INTRINSIC_FAILURE,
            "the limit is 10000",
        ),
        (
            "States.Base64Decode($.b64)",
            names::INTRINSIC_FAILURE,
            "not valid Base64",
        ),
        (
            "States.Base64Decode($.latin1)",
            names::INTRINSIC_FAILURE,
            "not UTF-8",
        ),
        (
            "States.Hash($.big, 'MD5')",
            names::INTRINSIC_FAILURE,
            "the limit is 10000",
        ),
        (
            "States.Hash($.s, $.algo)",
            names::INTRINSIC_FAILURE,
            "unsupported algorithm 'SHA-3'",
        ),
        (
            "States.Hash($.n, 'MD5')",
            names::INTRINSIC_FAILURE,
            "must be a string",
        ),
        (
            "States.JsonMerge($.o, $.o, $.deep)",
            names::INTRINSIC_FAILURE,
            "deep merging is not supported",
        ),
        (
            "States.JsonMerge($.o, $.a, false)",
            names::INTRINSIC_FAILURE,
            "argument 2 must be an object, but it is an array",
        ),
        (
            "States.MathRandom($.n, 5)",
            names::INTRINSIC_FAILURE,
            "the end (5) must be greater than the start (5)",
        ),
        (
            "States.MathRandom($.n, 4)",
            names::INTRINSIC_FAILURE,
            "must be greater than the start",
        ),
        (
            "States.MathAdd($.n, 2147483648)",
            names::INTRINSIC_FAILURE,
            "argument 2 must be an integer from -2147483648 to 2147483647",
        ),
        (
            "States.MathAdd($.n, 1e300)",
            names::INTRINSIC_FAILURE,
            "argument 2 must be an integer",
        ),
        (
            "States.StringSplit($.s, $.n)",
            names::INTRINSIC_FAILURE,
            "argument 2 must be a string",
        ),
        (
            "States.ArrayGetItem(States.StringToJson($.bad), 0)",
            names::INTRINSIC_FAILURE,
            "States.StringToJson: the string is not valid JSON",
        ),
    ];
    for (text, error, needle) in cases {
        let err = eval_with(text, &input).unwrap_err();
        assert_eq!(err.error, *error, "{text}: {err}");
        assert!(
            err.cause.contains(needle),
            "{text}: {:?} lacks {needle:?}",
            err.cause
        );
    }
    assert_eq!(
        eval("States.Base64Encode($.ok)", input.clone())
            .as_str()
            .map(str::len),
        Some(13_336)
    );
    assert!(eval_with("States.Hash($.ok, 'SHA-512')", &input).is_ok());
}

#[test]
fn parse_errors_catch_what_is_known_statically() {
    let cases: &[(&str, &str)] = &[
        ("", "expected an intrinsic function"),
        ("$.x", "expected an intrinsic function"),
        ("Format('x')", "is not an intrinsic function"),
        ("States.Nope()", "unknown intrinsic function 'States.Nope'"),
        ("states.Format('x')", "is not an intrinsic function"),
        ("States.Format", "expected '(' after States.Format"),
        ("States.Format(", "cut short"),
        ("States.Format('x'", "expected ',' or ')'"),
        ("States.Format('x',)", "unexpected ')'"),
        ("States.Format(,'x')", "unexpected ','"),
        ("States.Format('x') extra", "after the end of the call"),
        ("States.Format('x'))", "after the end of the call"),
        ("States.Format('unterminated)", "unterminated string"),
        ("States.Format('bad \\n escape')", "invalid escape '\\n'"),
        ("States.Format('trailing \\", "unterminated string"),
        (
            "States.Format()",
            "States.Format takes at least 1 argument but was given 0",
        ),
        (
            "States.UUID(1)",
            "States.UUID takes no arguments but was given 1",
        ),
        (
            "States.ArrayLength()",
            "States.ArrayLength takes 1 argument but was given 0",
        ),
        (
            "States.ArrayRange(1, 2)",
            "takes 3 arguments but was given 2",
        ),
        (
            "States.MathRandom(1, 2, 3, 4)",
            "takes at most 3 arguments but was given 4",
        ),
        (
            "States.MathRandom(1)",
            "takes at least 2 arguments but was given 1",
        ),
        (
            "States.Format(1)",
            "States.Format's argument 1 must be a string, not a number",
        ),
        (
            "States.ArrayLength('abc')",
            "must be an array, not a string",
        ),
        (
            "States.ArrayLength(States.Format('x'))",
            "must be an array, not a string",
        ),
        ("States.MathAdd(true, 1)", "must be a number, not a boolean"),
        (
            "States.MathAdd(States.UUID(), 1)",
            "must be a number, not a string",
        ),
        (
            "States.JsonMerge($.a, $.b, 'no')",
            "argument 3 must be a boolean, not a string",
        ),
        (
            "States.Hash($.a, null)",
            "argument 2 must be a string, not null",
        ),
        (
            "States.Format('{} and {}', $.a)",
            "template has 2 '{}' but 1 value follows it",
        ),
        (
            "States.Format('{}', 1, 2)",
            "template has 1 '{}' but 2 values follow it",
        ),
        (
            "States.Format('\\{}', 1)",
            "template has 0 '{}' but 1 value follows it",
        ),
        ("States.Hash($.a, 'SHA-3')", "unsupported algorithm 'SHA-3'"),
        (
            "States.JsonMerge($.a, $.b, true)",
            "deep merging is not supported",
        ),
        ("States.ArrayRange(1, 2, 0)", "step must not be 0"),
        ("States.ArrayRange(1, 1001, 1)", "1001 items"),
        (
            "States.ArrayPartition(States.Array(1), 0)",
            "chunk size must be a positive integer",
        ),
        ("States.ArrayGetItem(States.Array(1), 1)", "out of bounds"),
        ("States.Base64Decode('%%')", "not valid Base64"),
        ("States.StringToJson('{')", "not valid JSON"),
        ("States.MathRandom(3, 3)", "must be greater than the start"),
        ("States.MathAdd(1, 9999999999)", "must be an integer from"),
        ("States.Array(01)", "invalid number '01'"),
        ("States.Array(1e999)", "invalid number"),
        ("States.Array(-)", "invalid number '-'"),
        (
            "States.Array(nul)",
            "'nul' at character 14 is not an intrinsic function",
        ),
        ("States.Array($.a b)", "expected ',' or ')'"),
        ("States.Array($.)", "invalid path '$.' at character 14"),
        ("States.Array($[0)", "invalid path"),
        ("States.Array(\"double\")", "unexpected '\"'"),
        ("States.Array(@.x)", "unexpected '@'"),
    ];
    for (text, needle) in cases {
        let err = Intrinsic::parse(text).unwrap_err();
        assert!(err.contains(needle), "{text:?}: {err:?} lacks {needle:?}");
    }
    // Errors inside nested calls are reported too.
    let err = Intrinsic::parse("States.Array(States.Format(1))").unwrap_err();
    assert!(err.contains("States.Format's argument 1"), "{err}");
}

#[test]
fn paths_as_arguments() {
    let input = json!({"a b": {"c": 1}, "list": [{"v": 1}, {"v": 2}, {"v": 3}], "it's": "q", "x,y": 2, "p(q)": 3});
    let cases: &[(&str, Value)] = &[
        ("States.Array($)", json!([input.clone()])),
        ("States.Array($['a b'].c)", json!([1])),
        ("States.Array($.['a b'].c)", json!([1])),
        ("States.Array($.list[*].v)", json!([[1, 2, 3]])),
        (
            "States.Array($.list[1:].v, $.list[-1].v)",
            json!([[2, 3], 3]),
        ),
        ("States.Array($.list[?(@.v > 1)].v)", json!([[2, 3]])),
        (
            "States.Array($.list[?(@.v == 1 || (@.v == 3))].v)",
            json!([[1, 3]]),
        ),
        ("States.Array($['it\\'s'])", json!(["q"])),
        ("States.Array($['x,y'], $[\"p(q)\"])", json!([2, 3])),
        ("States.Array($..v)", json!([[1, 2, 3]])),
        (
            "States.Array($$.Execution.Id,$.list[0].v)",
            json!(["arn:aws:states:exec", 1]),
        ),
        ("States.ArrayLength($.list)", json!(3)),
    ];
    for (text, expected) in cases {
        assert_eq!(&eval(text, input.clone()), expected, "{text}");
    }
}

#[test]
fn nesting_is_limited_to_ten() {
    let nest = |depth: usize| format!("{}1{}", "States.Array(".repeat(depth), ")".repeat(depth));
    let mut expected = json!(1);
    for _ in 0..10 {
        expected = json!([expected]);
    }
    assert_eq!(eval(&nest(10), Value::Null), expected);
    assert!(Intrinsic::parse(&nest(11))
        .unwrap_err()
        .contains("nest at most 10"));
    assert!(Intrinsic::parse(&nest(100_000))
        .unwrap_err()
        .contains("nest at most 10"));
}

/// Random text from characters that matter to the parsers, `len` characters at most.
fn random_text(rng: &mut Rng, len: u64) -> String {
    const PIECES: &[&str] = &[
        "States.",
        "Format",
        "Array",
        "ArrayRange",
        "MathRandom",
        "UUID",
        "Hash",
        "JsonMerge",
        "StringToJson",
        "(",
        ")",
        ",",
        " ",
        "'",
        "\\",
        "{",
        "}",
        "{}",
        "$",
        "$$",
        ".",
        "..",
        "[",
        "]",
        "*",
        "?",
        "@",
        "==",
        "<",
        "!",
        "&&",
        "||",
        ":",
        "-",
        "0",
        "1",
        "9",
        "1.5",
        "e9",
        "true",
        "null",
        "a",
        "é",
        "✓",
        "\"",
        "\u{0}",
        "SHA-1",
        "'x'",
    ];
    let n = rng.between(0, len);
    (0..n)
        .map(|_| PIECES[rng.between(0, PIECES.len() as u64 - 1) as usize])
        .collect()
}

#[test]
fn random_text_never_panics() {
    let mut rng = Rng::seeded(2024);
    let input = json!({"a": [1, "x", {"b": null}], "s": "text", "n": 2});
    for _ in 0..20_000 {
        let text = random_text(&mut rng, 24);
        if let Ok(call) = Intrinsic::parse(&text) {
            let _ = call.eval(&input, Scope::of_context(&input), &mut rng);
        }
        let prefixed = format!("States.Array({text})");
        if let Ok(call) = Intrinsic::parse(&prefixed) {
            let _ = call.eval(&input, Scope::of_context(&input), &mut rng);
        }
        let path = format!("${text}");
        if let Ok(path) = Path::parse(&path) {
            let _ = path.select(&input, &input);
        }
        if let Ok(path) = super::super::path::ReferencePath::parse(&format!("${text}")) {
            let mut target = input.clone();
            let _ = path.set(&mut target, json!(1));
            let _ = path.get(&input);
        }
    }
}

#[test]
fn hostile_inputs_do_not_panic() {
    let inputs = [
        "States.",
        "States.(",
        "(",
        ")",
        "'",
        "\\",
        "States.Format('{",
        "States.Format('}')",
        "States.Array($[",
        "States.Array($['",
        "States.Array($[?(",
        "States.Array($[?(@.a == ')')])",
        "States.Array(-1-1)",
        "States.Array(1..2)",
        "States.Array(.5)",
        "States.Array(+1)",
        "States.Array(ｔrue)",
        "States.Array(✓)",
        "States.Array('\u{0}')",
        "States.Array(States.Array(",
        "States.Array(18446744073709551616)",
        "States.ArrayRange(-9223372036854775808, 9223372036854775807, 9223372036854775807)",
        "States.ArrayRange(9223372036854775807, -9223372036854775808, -1)",
        "States.MathRandom(-1e300, 1e300)",
        "States.ArrayPartition(States.Array(), -0.4)",
    ];
    for text in inputs {
        if let Ok(call) = Intrinsic::parse(text) {
            let _ = call.eval(
                &json!({"a": 1}),
                Scope::of_context(&Value::Null),
                &mut Rng::seeded(1),
            );
        }
    }
    assert_eq!(eval("States.Array('\u{0}')", Value::Null), json!(["\u{0}"]));
    assert_eq!(
        eval("States.Array(18446744073709551615)", Value::Null),
        json!([u64::MAX])
    );
    assert_eq!(
        eval(
            "States.ArrayRange(-9223372036854775808, 9223372036854775807, 9223372036854775807)",
            Value::Null
        ),
        json!([i64::MIN, -1, i64::MAX - 1])
    );
}
