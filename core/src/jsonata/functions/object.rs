//! Object, boolean and type functions: `$keys $lookup $spread $merge $exists $type $boolean
//! $not $error $assert $clone $eval`.

use super::arg;
use crate::jsonata::convert::boolean as to_boolean;
use crate::jsonata::error::{quote, Error};
use crate::jsonata::eval::{lookup_field, Ctx};
use crate::jsonata::frame::Env;
use crate::jsonata::value::{Flags, Object, Value};

fn collect_keys(v: &Value, into: &mut Object, depth: usize) -> Result<(), Error> {
    if depth > crate::jsonata::convert::VALUE_DEPTH {
        return Err(Error::new("D1011").value(crate::jsonata::convert::VALUE_DEPTH.to_string()));
    }
    match v {
        Value::Array(items, _) => {
            for i in items.iter() {
                collect_keys(i, into, depth + 1)?;
            }
        }
        Value::Object(o) => {
            for k in o.keys() {
                into.insert(k.clone(), Value::Bool(true));
            }
        }
        _ => {}
    }
    Ok(())
}

pub(super) fn keys(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let mut all = Object::new();
    collect_keys(arg(args, 0), &mut all, 0)?;
    Ok(Value::sequence(
        all.keys().map(|k| Value::String(k.clone())).collect(),
    ))
}

pub(super) fn lookup(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let key = arg(args, 1).as_str().unwrap_or("");
    lookup_field(arg(args, 0), key)
}

fn spread_into(ctx: &mut Ctx<'_>, v: &Value, depth: usize) -> Result<Value, Error> {
    if depth > crate::jsonata::convert::VALUE_DEPTH {
        return Err(Error::new("D1011").value(crate::jsonata::convert::VALUE_DEPTH.to_string()));
    }
    Ok(match v {
        Value::Array(items, _) => {
            let mut result = Value::sequence(Vec::new());
            for item in items.iter() {
                let spread = spread_into(ctx, item, depth + 1)?;
                result = ctx.append(result, spread)?;
            }
            result
        }
        Value::Object(o) => Value::sequence(
            o.iter()
                .map(|(k, v)| {
                    let mut single = Object::new();
                    single.insert(k.clone(), v.clone());
                    Value::object(single)
                })
                .collect(),
        ),
        other => other.clone(),
    })
}

pub(super) fn spread(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    spread_into(ctx, arg(args, 0), 0)
}

pub(super) fn merge(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let v = arg(args, 0);
    if v.is_undefined() {
        return Ok(Value::Undefined);
    }
    let mut out = Object::new();
    for item in v.to_list() {
        if let Value::Object(o) = item {
            for (k, val) in o.iter() {
                out.insert(k.clone(), val.clone());
            }
        }
    }
    Ok(Value::object(out))
}

pub(super) fn exists(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(Value::Bool(!arg(args, 0).is_undefined()))
}

pub(super) fn type_(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(arg(args, 0)
        .type_name()
        .map_or(Value::Undefined, Value::string))
}

pub(super) fn boolean(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(to_boolean(arg(args, 0))?.map_or(Value::Undefined, Value::Bool))
}

pub(super) fn not(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(to_boolean(arg(args, 0))?.map_or(Value::Undefined, |b| Value::Bool(!b)))
}

pub(super) fn error(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let message = arg(args, 0)
        .as_str()
        .filter(|m| !m.is_empty())
        .unwrap_or("$error() function evaluated");
    Err(Error::new("D3137").message(message))
}

pub(super) fn assert(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    if matches!(arg(args, 0), Value::Bool(true)) {
        return Ok(Value::Undefined);
    }
    let message = arg(args, 1)
        .as_str()
        .filter(|m| !m.is_empty())
        .unwrap_or("$assert() statement failed");
    Err(Error::new("D3141").message(message))
}

pub(super) fn clone(ctx: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let v = arg(args, 0);
    if v.is_undefined() {
        return Ok(Value::Undefined);
    }
    ctx.clone_value(v)
}

pub(super) fn eval(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    input: &Value,
    env: &Env,
) -> Result<Value, Error> {
    let Some(text) = arg(args, 0).as_str() else {
        return Ok(Value::Undefined);
    };
    let focus = match arg(args, 1) {
        Value::Undefined => input.clone(),
        Value::Array(items, f) if !f.sequence => Value::array_with(
            vec![Value::Array(items.clone(), *f)],
            Flags {
                outer_wrapper: true,
                ..Flags::SEQUENCE
            },
        ),
        other => other.clone(),
    };
    let expr = crate::jsonata::Expression::parse(text)
        .map_err(|e| Error::new("D3120").value(quote(&e.to_string())))?;
    ctx.evaluate(expr.root(), &focus, env).map_err(|e| {
        if e.code() == "D1011" || e.code() == "D1012" {
            e
        } else {
            Error::new("D3121").value(quote(&e.to_string()))
        }
    })
}
