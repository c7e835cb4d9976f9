//! The JSONata evaluator's API: parsing once and evaluating many times, variables, the
//! clock and the seed, host functions, and the limits that keep hostile expressions and
//! inputs from hurting the host (each fails with its code instead of exhausting the stack,
//! the memory or the time).

use pollflow::jsonata::{Environment, Error, EvalLimits, Expression, HostFunction};
use serde_json::{json, Value};

fn eval(expr: &str, input: Option<&Value>, env: &Environment) -> Result<Option<Value>, Error> {
    Expression::parse(expr)?.evaluate(input, env)
}

fn code(expr: &str) -> String {
    match eval(expr, None, &Environment::new(0)) {
        Err(e) => e.code().to_owned(),
        Ok(v) => panic!("{expr} gave {v:?}, not an error"),
    }
}

#[test]
fn an_expression_is_parsed_once_and_shared() {
    fn shared<T: Send + Sync>(_: &T) {}
    let expr = Expression::parse("items[price > $min].name").unwrap();
    shared(&expr);
    assert_eq!(expr.text(), "items[price > $min].name");
    let input = json!({"items": [{"name": "a", "price": 5}, {"name": "b", "price": 50}]});
    for (min, expected) in [
        (1, Some(json!(["a", "b"]))),
        (10, Some(json!("b"))),
        (100, None),
    ] {
        let env = Environment::new(0).variable("min", json!(min));
        assert_eq!(expr.evaluate(Some(&input), &env).unwrap(), expected);
    }
}

#[test]
fn syntax_errors_carry_the_code_and_position() {
    let e = Expression::parse("a + (b * ").unwrap_err();
    assert_eq!(e.code(), "S0203");
    assert_eq!(e.position(), Some(9));
    assert_eq!(
        e.to_string(),
        "S0203: Expected \")\" before end of expression"
    );
    let e = Expression::parse("\"abc").unwrap_err();
    assert_eq!((e.code(), e.position()), ("S0101", Some(4)));
}

#[test]
fn time_and_randomness_come_from_the_caller() {
    let env = Environment::new(1_710_000_000_123).seed(5);
    assert_eq!(
        eval("$millis()", None, &env).unwrap(),
        Some(json!(1_710_000_000_123_i64))
    );
    assert_eq!(
        eval("$now()", None, &env).unwrap(),
        Some(json!("2024-03-09T16:00:00.123Z"))
    );
    let first = eval("[$random(), $shuffle([1,2,3,4,5,6])]", None, &env).unwrap();
    assert_eq!(
        eval("[$random(), $shuffle([1,2,3,4,5,6])]", None, &env).unwrap(),
        first
    );
    let other = eval(
        "[$random(), $shuffle([1,2,3,4,5,6])]",
        None,
        &Environment::new(0).seed(6),
    )
    .unwrap();
    assert_ne!(other, first);
}

#[test]
fn host_functions_take_and_give_json() {
    let partition = HostFunction::new("partition", "<an:a>", 2, |args| {
        let items = args[0]
            .as_ref()
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let size = args[1].as_ref().and_then(Value::as_u64).unwrap_or(1).max(1) as usize;
        Ok(Some(Value::Array(
            items
                .chunks(size)
                .map(|c| Value::Array(c.to_vec()))
                .collect(),
        )))
    })
    .unwrap();
    let failing = HostFunction::new("uppercase", "<s:s>", 1, |_| {
        Err(Error::custom("Host.Failed", "no"))
    })
    .unwrap();
    let env = Environment::new(0).function(partition).function(failing);
    assert_eq!(
        eval("$partition([1,2,3,4,5], 2)", None, &env).unwrap(),
        Some(json!([[1, 2], [3, 4], [5]]))
    );
    assert_eq!(
        eval("$map([[1],[2,3]], $count)", None, &env).unwrap(),
        Some(json!([1, 2]))
    );
    // The signature is checked before the host function runs.
    assert_eq!(
        eval("$partition(2, 'x')", None, &env).unwrap_err().code(),
        "T0410"
    );
    // A host function shadows the standard one, and its errors come through.
    let e = eval("$uppercase('a')", None, &env).unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        ("Host.Failed", "Host.Failed: no")
    );
}

#[test]
fn deep_recursion_is_an_error_not_a_stack_overflow() {
    assert_eq!(
        code("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))"),
        "D1011"
    );
    // Tail calls run in constant stack: bounded by the steps instead.
    let env = Environment::new(0).limits(EvalLimits {
        max_steps: 500_000,
        ..EvalLimits::default()
    });
    let forever = "($f := function($n){ $f($n + 1) }; $f(0))";
    assert_eq!(eval(forever, None, &env).unwrap_err().code(), "D1012");
    assert_eq!(
        eval(
            "($f := function($n, $a){ $n = 0 ? $a : $f($n - 1, $a + 1) }; $f(10000, 0))",
            None,
            &env
        )
        .unwrap(),
        Some(json!(10000))
    );
}

#[test]
fn deep_expressions_and_values_are_refused() {
    for text in [
        "(".repeat(100_000) + "1" + &")".repeat(100_000),
        "1".to_owned() + &"+1".repeat(100_000),
        "[".repeat(50_000),
    ] {
        assert_eq!(Expression::parse(&text).unwrap_err().code(), "D1011");
    }
    // A value nested a little deeper each step.
    assert_eq!(
        code("$reduce([1..100000], function($acc, $v){ [[$acc]] }, [])"),
        "D1011"
    );
    assert_eq!(
        code("$reduce([1..100000], function($acc, $v){ {'a': $acc} }, {})"),
        "D1011"
    );
    let mut deep = json!(1);
    for _ in 0..1_000 {
        deep = json!([deep]);
    }
    assert_eq!(
        eval("$", Some(&deep), &Environment::new(0))
            .unwrap_err()
            .code(),
        "D1011"
    );
}

#[test]
fn sizes_and_work_are_bounded() {
    assert_eq!(code("[1..2000000]"), "D2015");
    assert_eq!(code("$count([1..10000001])"), "D2014");
    assert_eq!(code("$pad('', 100000000)"), "D2016");
    // With smaller limits, so the test is quick: the defaults work the same way.
    let small = Environment::new(0).limits(EvalLimits {
        max_steps: 200_000,
        max_string: 1 << 20,
        ..EvalLimits::default()
    });
    let code_small = |expr: &str| eval(expr, None, &small).unwrap_err().code().to_owned();
    // Doubling a string: stopped by its length or by the work of making it, whichever first.
    let doubled = code_small("$reduce([1..40], function($s, $v){ $s & $s }, 'xy')");
    assert!(doubled == "D2016" || doubled == "D1012", "{doubled}");
    // Sharing makes a small value that would be huge written out.
    assert_eq!(
        code_small("$string($reduce([1..40], function($o, $v){ {'a': $o, 'b': $o} }, 1))"),
        "D2016"
    );
    // Many large values made one call at a time: the work of making them counts.
    assert_eq!(
        code_small("$count($map([1..1000], function($i){ [1..100000] }))"),
        "D1012"
    );
    let tight = Environment::new(0).limits(EvalLimits {
        max_steps: 50_000,
        ..EvalLimits::default()
    });
    assert_eq!(
        eval("$sum([1..10000])", None, &tight).unwrap(),
        Some(json!(50_005_000))
    );
    assert_eq!(
        eval("$sum($map([1..10000], function($v){ $v }))", None, &tight)
            .unwrap_err()
            .code(),
        "D1012"
    );
}

#[test]
fn hostile_regular_expressions_take_linear_time() {
    let start = std::time::Instant::now();
    let input = json!({"s": "a".repeat(10_000) + "!"});
    let env = Environment::new(0);
    assert_eq!(
        eval("$contains(s, /^(a+)+$/)", Some(&input), &env).unwrap(),
        Some(json!(false))
    );
    assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
    assert_eq!(code("$match('a', /(a)\\1/)"), "S0303");
}

/// Found by the `jsonata` fuzz target: a date past the representable range has NaN
/// components, and spelling NaN out in words recursed without end (jsonata-js overflows its
/// stack the same way). It is an error now, and other pictures still format it as "NaN".
#[test]
fn a_date_out_of_range_in_words_is_an_error_not_a_stack_overflow() {
    assert_eq!(code("$fromMillis(8.64e15 + 1, '[YW]')"), "D1001");
    assert_eq!(code("$fromMillis(1e300, '[Dw]')"), "D1001");
    assert_eq!(
        eval(
            "$fromMillis(8.64e15 + 1, '[Y]')",
            None,
            &Environment::new(0)
        )
        .unwrap(),
        Some(json!("NaN"))
    );
}

/// Found by the `jsonata` fuzz target: a `$` group reference in `$replace`'s replacement,
/// followed by a character of more than one byte, sliced that character in two (a panic).
/// Expected values from the reference implementation (npm `jsonata` 2.x).
#[test]
fn a_group_reference_before_a_multibyte_character_is_not_cut() {
    let env = Environment::new(0);
    for (expr, expected) in [
        (
            r#"$replace("John Smith", /(\w)(\w)/, "$1ԕ$2")"#,
            "Jԕohԕn Sԕmiԕth",
        ),
        (
            r#"$replace("*John Sm`th", /(\w)/, "$,, $ԕull")"#,
            "*$,, $ԕull$,, $ԕull$,, $ԕull$,, $ԕull $,, $ԕull$,, $ԕull`$,, $ԕull$,, $ԕull",
        ),
        (r#"$replace("ab", /(a)/, "$,ԕ")"#, "$,ԕb"),
        (r#"$replace("ab", /(a)/, "$ԕ")"#, "$ԕb"),
    ] {
        assert_eq!(
            eval(expr, None, &env).unwrap(),
            Some(json!(expected)),
            "{expr}"
        );
    }
}
