//! Array functions: `$count $append $reverse $shuffle $distinct $zip`.

use super::arg;
use crate::jsonata::error::Error;
use crate::jsonata::eval::Ctx;
use crate::jsonata::frame::Env;
use crate::jsonata::value::Value;

pub(super) fn count(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(Value::Number(match arg(args, 0) {
        Value::Undefined => 0.0,
        v => v.to_list().len() as f64,
    }))
}

pub(super) fn append(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    ctx.append(arg(args, 0).clone(), arg(args, 1).clone())
}

pub(super) fn reverse(_: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let v = arg(args, 0);
    match v.items() {
        Some(items) if items.len() > 1 => Ok(Value::array(items.iter().rev().cloned().collect())),
        _ => Ok(v.clone()),
    }
}

pub(super) fn shuffle(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let v = arg(args, 0);
    let Some(items) = v.items().filter(|i| i.len() > 1) else {
        return Ok(v.clone());
    };
    let mut out = items.to_vec();
    for i in (1..out.len()).rev() {
        let j = ctx.rng.between(0, i as u64) as usize;
        out.swap(i, j.min(i));
    }
    Ok(Value::array(out))
}

pub(super) fn distinct(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let v = arg(args, 0);
    let Some(items) = v.items().filter(|i| i.len() > 1) else {
        return Ok(v.clone());
    };
    let mut out: Vec<Value> = Vec::new();
    for item in items.iter() {
        let mut seen = false;
        for kept in &out {
            if ctx.deep_equal(item, kept)? {
                seen = true;
                break;
            }
        }
        if !seen {
            out.push(item.clone());
        }
    }
    Ok(if v.is_sequence() {
        Value::sequence(out)
    } else {
        Value::array(out)
    })
}

pub(super) fn zip(ctx: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let len = args
        .iter()
        .map(|a| a.items().map_or(0, <[Value]>::len))
        .min()
        .unwrap_or(0);
    ctx.check_len(len)?;
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        out.push(Value::array(
            args.iter()
                .map(|a| a.items().map(|x| x[i].clone()).unwrap_or_default())
                .collect(),
        ));
    }
    Ok(Value::array(out))
}
