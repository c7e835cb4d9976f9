//! Higher-order functions: `$map $filter $single $reduce $sift $each $sort`. The function
//! given is passed as many of (value, index/key, whole) as it declares parameters.

use std::rc::Rc;

use super::arg;
use crate::jsonata::convert::{js_truthy, truthy};
use crate::jsonata::error::Error;
use crate::jsonata::eval::{merge_sort, Ctx};
use crate::jsonata::frame::Env;
use crate::jsonata::value::{Object, Value};

/// The arguments `func` takes of (value, index, whole).
fn hof_args(func: &Value, value: Value, index: Value, whole: &Value) -> Vec<Value> {
    let arity = match func {
        Value::Function(f) => f.arity(),
        _ => 1,
    };
    let mut args = vec![value];
    if arity >= 2 {
        args.push(index);
    }
    if arity >= 3 {
        args.push(whole.clone());
    }
    args
}

pub(super) fn map(ctx: &mut Ctx<'_>, args: &[Value], _: &Value, env: &Env) -> Result<Value, Error> {
    let arr = arg(args, 0);
    if arr.is_undefined() {
        return Ok(Value::Undefined);
    }
    let f = arg(args, 1);
    let mut out = Vec::new();
    for (i, v) in arr.to_list().into_iter().enumerate() {
        let r = ctx.apply(
            f,
            hof_args(f, v, Value::Number(i as f64), arr),
            &Value::Null,
            env,
        )?;
        if !r.is_undefined() {
            out.push(r);
        }
    }
    Ok(Value::sequence(out))
}

pub(super) fn filter(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    env: &Env,
) -> Result<Value, Error> {
    let arr = arg(args, 0);
    if arr.is_undefined() {
        return Ok(Value::Undefined);
    }
    let f = arg(args, 1);
    let mut out = Vec::new();
    for (i, v) in arr.to_list().into_iter().enumerate() {
        let r = ctx.apply(
            f,
            hof_args(f, v.clone(), Value::Number(i as f64), arr),
            &Value::Null,
            env,
        )?;
        if truthy(&r)? {
            out.push(v);
        }
    }
    Ok(Value::sequence(out))
}

pub(super) fn single(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    env: &Env,
) -> Result<Value, Error> {
    let arr = arg(args, 0);
    if arr.is_undefined() {
        return Ok(Value::Undefined);
    }
    let f = arg(args, 1);
    let mut found = None;
    for (i, v) in arr.to_list().into_iter().enumerate() {
        let hit = if f.is_undefined() {
            true
        } else {
            let r = ctx.apply(
                f,
                hof_args(f, v.clone(), Value::Number(i as f64), arr),
                &Value::Null,
                env,
            )?;
            truthy(&r)?
        };
        if hit {
            if found.is_some() {
                return Err(Error::new("D3138").index(i));
            }
            found = Some(v);
        }
    }
    found.ok_or_else(|| Error::new("D3139"))
}

pub(super) fn reduce(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    env: &Env,
) -> Result<Value, Error> {
    let seq = arg(args, 0);
    if seq.is_undefined() {
        return Ok(Value::Undefined);
    }
    let f = arg(args, 1);
    let arity = match f {
        Value::Function(func) => func.arity(),
        _ => 0,
    };
    if arity < 2 {
        return Err(Error::new("D3050").index(1));
    }
    let items = seq.to_list();
    let init = arg(args, 2);
    let (mut acc, start) = if init.is_undefined() && !items.is_empty() {
        (items[0].clone(), 1)
    } else {
        (init.clone(), 0)
    };
    for (i, item) in items.iter().enumerate().skip(start) {
        let mut call = vec![acc, item.clone()];
        if arity >= 3 {
            call.push(Value::Number(i as f64));
        }
        if arity >= 4 {
            call.push(seq.clone());
        }
        acc = ctx.apply(f, call, &Value::Null, env)?;
    }
    Ok(acc)
}

pub(super) fn sift(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    env: &Env,
) -> Result<Value, Error> {
    let obj = arg(args, 0);
    let f = arg(args, 1);
    let mut out = Object::new();
    if let Value::Object(o) = obj {
        for (k, v) in o.iter() {
            let r = ctx.apply(
                f,
                hof_args(f, v.clone(), Value::String(k.clone()), obj),
                &Value::Null,
                env,
            )?;
            if truthy(&r)? {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(if out.is_empty() {
        Value::Undefined
    } else {
        Value::object(out)
    })
}

pub(super) fn each(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    env: &Env,
) -> Result<Value, Error> {
    let obj = arg(args, 0);
    let f = arg(args, 1);
    let mut out = Vec::new();
    if let Value::Object(o) = obj {
        let entries: Vec<(Rc<str>, Value)> =
            o.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (k, v) in entries {
            let r = ctx.apply(f, hof_args(f, v, Value::String(k), obj), &Value::Null, env)?;
            if !r.is_undefined() {
                out.push(r);
            }
        }
    }
    Ok(Value::sequence(out))
}

pub(super) fn sort(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    env: &Env,
) -> Result<Value, Error> {
    let arr = arg(args, 0);
    let Some(items) = arr.items() else {
        return Ok(arr.clone());
    };
    if items.len() <= 1 {
        return Ok(arr.clone());
    }
    let items = items.to_vec();
    let f = arg(args, 1);
    let order = if f.is_undefined() {
        let numbers = items
            .iter()
            .all(|v| matches!(v, Value::Number(n) if !n.is_nan()));
        let strings = items.iter().all(|v| matches!(v, Value::String(_)));
        if !numbers && !strings {
            return Err(Error::new("D3070").index(1));
        }
        merge_sort(items.len(), &mut |a, b| {
            ctx.tick()?;
            Ok(match (&items[a], &items[b]) {
                (Value::Number(x), Value::Number(y)) => x > y,
                (Value::String(x), Value::String(y)) => {
                    crate::jsonata::convert::compare_strings(x, y) == std::cmp::Ordering::Greater
                }
                _ => false,
            })
        })?
    } else {
        merge_sort(items.len(), &mut |a, b| {
            let r = ctx.apply(
                f,
                vec![items[a].clone(), items[b].clone()],
                &Value::Null,
                env,
            )?;
            Ok(js_truthy(&r))
        })?
    };
    Ok(Value::array(
        order.into_iter().map(|i| items[i].clone()).collect(),
    ))
}
