//! Date/time functions: `$now $millis $fromMillis $toMillis`, with XPath `format-dateTime`
//! picture strings for formatting and parsing. Time comes from the caller (`now`), never
//! from the system clock.

use super::arg;
use super::format_integer::{self, analyse, Case, IntegerFormat};
use crate::jsonata::error::Error;
use crate::jsonata::eval::Ctx;
use crate::jsonata::frame::Env;
use crate::jsonata::value::Value;

const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAY_MS: f64 = 86_400_000.0;

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12).
fn days_from_civil(y: f64, m: f64, d: f64) -> f64 {
    let y = if m <= 2.0 { y - 1.0 } else { y };
    let era = (y / 400.0).floor();
    let yoe = y - era * 400.0;
    let mp = (m + 9.0) % 12.0;
    let doy = ((153.0 * mp + 2.0) / 5.0).floor() + d - 1.0;
    let doe = yoe * 365.0 + (yoe / 4.0).floor() - (yoe / 100.0).floor() + doy;
    era * 146_097.0 + doe - 719_468.0
}

/// The date of a day number: (year, month 1–12, day).
fn civil_from_days(z: f64) -> (f64, f64, f64) {
    let z = z + 719_468.0;
    let era = (z / 146_097.0).floor();
    let doe = z - era * 146_097.0;
    let yoe = ((doe - (doe / 1460.0).floor() + (doe / 36524.0).floor()
        - (doe / 146_096.0).floor())
        / 365.0)
        .floor();
    let doy = doe - (365.0 * yoe + (yoe / 4.0).floor() - (yoe / 100.0).floor());
    let mp = ((5.0 * doy + 2.0) / 153.0).floor();
    let d = doy - ((153.0 * mp + 2.0) / 5.0).floor() + 1.0;
    let m = if mp < 10.0 { mp + 3.0 } else { mp - 9.0 };
    let y = yoe + era * 400.0 + if m <= 2.0 { 1.0 } else { 0.0 };
    (y, m, d)
}

/// JavaScript's `Date.UTC` (month from 0; years 0–99 mean 1900–1999).
fn date_utc(y: f64, m0: f64, d: f64, h: f64, mi: f64, s: f64, ms: f64) -> f64 {
    let y = if (0.0..=99.0).contains(&y.trunc()) {
        1900.0 + y.trunc()
    } else {
        y
    };
    let ym = y + (m0 / 12.0).floor();
    let mn = m0.rem_euclid(12.0);
    let days = days_from_civil(ym, mn + 1.0, 1.0) + d - 1.0;
    days * DAY_MS + h * 3_600_000.0 + mi * 60_000.0 + s * 1000.0 + ms
}

/// A moment's UTC fields.
struct Fields {
    year: f64,
    month0: f64,
    day: f64,
    weekday: f64,
    hours: f64,
    minutes: f64,
    seconds: f64,
    millis: f64,
    time: f64,
}

fn fields(t: f64) -> Fields {
    // Beyond JavaScript's dates (±8.64e15 ms) every field is NaN, as in an invalid `Date`.
    let t = if t.abs() > 8.64e15 { f64::NAN } else { t };
    let days = (t / DAY_MS).floor();
    let ms_in_day = t - days * DAY_MS;
    let (year, month, day) = civil_from_days(days);
    Fields {
        year,
        month0: month - 1.0,
        day,
        weekday: (days + 4.0).rem_euclid(7.0),
        hours: (ms_in_day / 3_600_000.0).floor(),
        minutes: (ms_in_day / 60_000.0).floor() % 60.0,
        seconds: (ms_in_day / 1000.0).floor() % 60.0,
        millis: ms_in_day % 1000.0,
        time: t,
    }
}

fn start_of_first_week(year: f64, month0: f64) -> f64 {
    let jan1 = date_utc(year, month0, 1.0, 0.0, 0.0, 0.0, 0.0);
    let mut dow = fields(jan1).weekday;
    if dow == 0.0 {
        dow = 7.0;
    }
    if dow > 4.0 {
        jan1 + (8.0 - dow) * DAY_MS
    } else {
        jan1 - (dow - 1.0) * DAY_MS
    }
}

fn delta_weeks(start: f64, end: f64) -> f64 {
    (end - start) / (DAY_MS * 7.0) + 1.0
}

fn next_month(y: f64, m: f64) -> (f64, f64) {
    if m == 11.0 {
        (y + 1.0, 0.0)
    } else {
        (y, m + 1.0)
    }
}

fn previous_month(y: f64, m: f64) -> (f64, f64) {
    if m == 0.0 {
        (y - 1.0, 11.0)
    } else {
        (y, m - 1.0)
    }
}

/// A component's value: a number, or a name (`am`/`pm`, `ISO`).
enum Component {
    Number(f64),
    Text(&'static str),
    None,
}

fn component(date: &Fields, c: char) -> Component {
    use Component::Number as N;
    match c {
        'Y' => N(date.year),
        'M' => N(date.month0 + 1.0),
        'D' => N(date.day),
        'd' => {
            let today = date_utc(date.year, date.month0, date.day, 0.0, 0.0, 0.0, 0.0);
            let jan1 = date_utc(date.year, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0);
            N((today - jan1) / DAY_MS + 1.0)
        }
        'F' => N(if date.weekday == 0.0 {
            7.0
        } else {
            date.weekday
        }),
        'W' => {
            let start = start_of_first_week(date.year, 0.0);
            let today = date_utc(date.year, date.month0, date.day, 0.0, 0.0, 0.0, 0.0);
            let mut week = delta_weeks(start, today);
            if week > 52.0 {
                if today >= start_of_first_week(date.year + 1.0, 0.0) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                week = delta_weeks(start_of_first_week(date.year - 1.0, 0.0), today);
            }
            N(week.floor())
        }
        'w' => {
            let start = start_of_first_week(date.year, date.month0);
            let today = date_utc(date.year, date.month0, date.day, 0.0, 0.0, 0.0, 0.0);
            let mut week = delta_weeks(start, today);
            if week > 4.0 {
                let (ny, nm) = next_month(date.year, date.month0);
                if today >= start_of_first_week(ny, nm) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                let (py, pm) = previous_month(date.year, date.month0);
                week = delta_weeks(start_of_first_week(py, pm), today);
            }
            N(week.floor())
        }
        'X' => {
            let start = start_of_first_week(date.year, 0.0);
            let end = start_of_first_week(date.year + 1.0, 0.0);
            N(if date.time < start {
                date.year - 1.0
            } else if date.time >= end {
                date.year + 1.0
            } else {
                date.year
            })
        }
        'x' => {
            let start = start_of_first_week(date.year, date.month0);
            let (ny, nm) = next_month(date.year, date.month0);
            let end = start_of_first_week(ny, nm);
            N(if date.time < start {
                previous_month(date.year, date.month0).1 + 1.0
            } else if date.time >= end {
                nm + 1.0
            } else {
                date.month0 + 1.0
            })
        }
        'H' => N(date.hours),
        'h' => {
            let h = date.hours % 12.0;
            N(if h == 0.0 { 12.0 } else { h })
        }
        'P' => Component::Text(if date.hours >= 12.0 { "pm" } else { "am" }),
        'm' => N(date.minutes),
        's' => N(date.seconds),
        'f' => N(date.millis),
        'C' | 'E' => Component::Text("ISO"),
        _ => Component::None,
    }
}

/// A part of a date/time picture.
enum Part {
    Literal(String),
    Marker(Marker),
}

struct Marker {
    component: char,
    presentation1: String,
    presentation2: Option<char>,
    names: Option<Case>,
    integer: Option<IntegerFormat>,
    width: Option<(Option<usize>, Option<usize>)>,
    /// Years: how many digits to keep (`None`: all).
    year_digits: Option<usize>,
}

fn default_presentation(c: char) -> Option<&'static str> {
    Some(match c {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

fn analyse_picture(picture: &str) -> Result<Vec<Part>, Error> {
    let chars: Vec<char> = picture.chars().collect();
    let mut parts = Vec::new();
    let literal = |parts: &mut Vec<Part>, from: usize, to: usize| {
        if to > from {
            let text: String = chars[from..to].iter().collect();
            parts.push(Part::Literal(text.replace("]]", "]")));
        }
    };
    let (mut start, mut pos) = (0, 0);
    while pos < chars.len() {
        if chars[pos] == '[' {
            if chars.get(pos + 1) == Some(&'[') {
                literal(&mut parts, start, pos);
                parts.push(Part::Literal("[".into()));
                pos += 2;
                start = pos;
                continue;
            }
            literal(&mut parts, start, pos);
            start = pos;
            let Some(close) = chars[start..].iter().position(|c| *c == ']') else {
                return Err(Error::new("D3135"));
            };
            pos = start + close;
            let marker: String = chars[start + 1..pos]
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            let marker = analyse_marker(&marker, &mut parts)?;
            parts.push(Part::Marker(marker));
            start = pos + 1;
        }
        pos += 1;
    }
    literal(&mut parts, start, chars.len());
    Ok(parts)
}

fn analyse_marker(marker: &str, previous: &mut [Part]) -> Result<Marker, Error> {
    let component = marker.chars().next().unwrap_or('\0');
    let rest: String = marker.chars().skip(1).collect();
    let (pres, width) = match rest.rfind(',') {
        Some(comma) => {
            let w = &rest[comma + 1..];
            let parse = |s: &str| {
                if s == "*" {
                    None
                } else {
                    leading_int(s).map(|n| n.max(0.0) as usize)
                }
            };
            let width = match w.find('-') {
                None => (parse(w), None),
                Some(d) => (parse(&w[..d]), parse(&w[d + 1..])),
            };
            (rest[..comma].to_owned(), Some(width))
        }
        None => (rest, None),
    };
    let mut m = Marker {
        component,
        presentation1: String::new(),
        presentation2: None,
        names: None,
        integer: None,
        width,
        year_digits: None,
    };
    let count = pres.chars().count();
    if count == 1 {
        m.presentation1 = pres;
    } else if count > 1 {
        let last = pres.chars().last().unwrap_or(' ');
        if "atco".contains(last) {
            m.presentation2 = Some(last);
            m.presentation1 = pres.chars().take(count - 1).collect();
        } else {
            m.presentation1 = pres;
        }
    } else {
        match default_presentation(component) {
            Some(p) => m.presentation1 = p.to_owned(),
            None => {
                return Err(
                    Error::new("D3132").value(crate::jsonata::error::quote(&component.to_string()))
                )
            }
        }
    }
    let p1: Vec<char> = m.presentation1.chars().collect();
    if p1.first() == Some(&'n') {
        m.names = Some(Case::Lower);
    } else if p1.first() == Some(&'N') {
        m.names = Some(if p1.get(1) == Some(&'n') {
            Case::Title
        } else {
            Case::Upper
        });
    } else if "YMDdFWwXxHhmsf".contains(component) {
        let mut pattern = m.presentation1.clone();
        if let Some(p2) = m.presentation2 {
            pattern.push(';');
            pattern.push(p2);
        }
        let mut f = analyse(&pattern)?;
        if let Some((Some(min), _)) = m.width {
            if f.mandatory < min {
                f.mandatory = min;
            }
        }
        if component == 'Y' {
            if let Some((_, Some(max))) = m.width {
                m.year_digits = Some(max);
                f.mandatory = max;
            } else {
                let w = f.mandatory + f.optional;
                if w >= 2 {
                    m.year_digits = Some(w);
                }
            }
        }
        if let Some(Part::Marker(prev)) = previous.last_mut() {
            if let Some(pf) = &mut prev.integer {
                pf.parse_width = Some(pf.mandatory);
            }
        }
        m.integer = Some(f);
    }
    if component == 'Z' || component == 'z' {
        m.integer = Some(analyse(&m.presentation1)?);
    }
    Ok(m)
}

/// JavaScript's `parseInt` (base 10): the leading integer, if any.
fn leading_int(s: &str) -> Option<f64> {
    let t = s.trim_start();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    let lead: String = digits.chars().take_while(char::is_ascii_digit).collect();
    (!lead.is_empty()).then(|| sign * crate::jsonata::number::parse_digits(&lead))
}

fn apply_case(s: &str, case: Case) -> String {
    match case {
        Case::Upper => s.to_ascii_uppercase(),
        Case::Lower => s.to_ascii_lowercase(),
        Case::Title => s.to_owned(),
    }
}

/// Formats `millis` with a picture (the ISO 8601 default when `None`) in a timezone
/// (`±HHMM`).
pub(crate) fn format_millis(
    millis: f64,
    picture: Option<&str>,
    timezone: Option<&str>,
    max_len: usize,
) -> Result<String, Error> {
    let (mut oh, mut om) = (0.0, 0.0);
    if let Some(tz) = timezone {
        let offset = leading_int(tz).unwrap_or(0.0);
        oh = (offset / 100.0).floor();
        om = offset % 100.0;
    }
    let parts = analyse_picture(
        picture.unwrap_or("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"),
    )?;
    let date = fields(millis + (60.0 * oh + om) * 60_000.0);
    let mut out = String::new();
    for part in &parts {
        match part {
            Part::Literal(s) => out.push_str(s),
            Part::Marker(m) => out.push_str(&format_component(&date, m, oh, om, max_len)?),
        }
        if out.len() > max_len {
            return Err(Error::new("D2016").value(max_len.to_string()));
        }
    }
    Ok(out)
}

fn format_component(
    date: &Fields,
    m: &Marker,
    oh: f64,
    om: f64,
    max_len: usize,
) -> Result<String, Error> {
    let value = component(date, m.component);
    let c = m.component;
    if "YMDdFWwXxHhms".contains(c) {
        let Component::Number(mut v) = value else {
            return Ok(String::new());
        };
        if c == 'Y' {
            if let Some(n) = m.year_digits {
                v %= 10f64.powi(n.min(300) as i32);
            }
        }
        if let Some(case) = m.names {
            let name = match c {
                'M' | 'x' => MONTHS.get((v - 1.0) as usize).copied().unwrap_or(""),
                'F' => DAYS.get(v as usize).copied().unwrap_or(""),
                _ => {
                    return Err(
                        Error::new("D3133").value(crate::jsonata::error::quote(&c.to_string()))
                    )
                }
            };
            let mut name = apply_case(name, case);
            if let Some((_, Some(max))) = m.width {
                name = name.chars().take(max).collect();
            }
            return Ok(name);
        }
        return match &m.integer {
            Some(f) => format_integer::format(v, f, max_len),
            None => Ok(String::new()),
        };
    }
    match c {
        'f' => match (&m.integer, value) {
            (Some(f), Component::Number(v)) => format_integer::format(v, f, max_len),
            _ => Ok(String::new()),
        },
        'Z' | 'z' => {
            let Some(f) = &m.integer else {
                return Ok(String::new());
            };
            let offset = oh * 100.0 + om;
            let mut s = if f.regular.is_some() {
                format_integer::format(offset, f, max_len)?
            } else {
                match f.mandatory {
                    1 | 2 => {
                        let mut s = format_integer::format(oh, f, max_len)?;
                        if om != 0.0 {
                            let two = analyse("00")?;
                            s = s + ":" + &format_integer::format(om, &two, max_len)?;
                        }
                        s
                    }
                    3 | 4 => format_integer::format(offset, f, max_len)?,
                    n => return Err(Error::new("D3134").value(n.to_string())),
                }
            };
            if offset >= 0.0 {
                s.insert(0, '+');
            }
            if c == 'z' {
                s.insert_str(0, "GMT");
            }
            if offset == 0.0 && m.presentation2 == Some('t') {
                s = "Z".into();
            }
            Ok(s)
        }
        'P' => match value {
            Component::Text(t) if m.names == Some(Case::Upper) => Ok(t.to_ascii_uppercase()),
            Component::Text(t) => Ok(t.to_owned()),
            _ => Ok(String::new()),
        },
        _ => match value {
            Component::Text(t) => Ok(t.to_owned()),
            _ => Ok("undefined".to_owned()),
        },
    }
}

pub(super) fn from_millis(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(millis) = arg(args, 0).as_f64() else {
        return Ok(Value::Undefined);
    };
    let s = format_millis(
        millis,
        arg(args, 1).as_str(),
        arg(args, 2).as_str(),
        ctx.limits.max_string,
    )?;
    Ok(Value::from_string(s))
}

pub(super) fn now(ctx: &mut Ctx<'_>, args: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    let s = format_millis(
        ctx.now_ms,
        arg(args, 0).as_str(),
        arg(args, 1).as_str(),
        ctx.limits.max_string,
    )?;
    Ok(Value::from_string(s))
}

pub(super) fn millis(ctx: &mut Ctx<'_>, _: &[Value], _: &Value, _: &Env) -> Result<Value, Error> {
    Ok(Value::Number(ctx.now_ms))
}

pub(super) fn to_millis(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    _: &Value,
    _: &Env,
) -> Result<Value, Error> {
    let Some(ts) = arg(args, 0).as_str() else {
        return Ok(Value::Undefined);
    };
    match arg(args, 1).as_str() {
        None => iso_millis(ts).map(Value::Number),
        Some(picture) => {
            Ok(parse_date_time(ts, picture, ctx.now_ms)?.map_or(Value::Undefined, Value::Number))
        }
    }
}

/// `Date.parse` of an ISO 8601 timestamp (checked against the reference's pattern first);
/// NaN for a date that does not exist.
fn iso_millis(ts: &str) -> Result<f64, Error> {
    let bad = || Error::new("D3110").value(crate::jsonata::error::quote(ts));
    let b = ts.as_bytes();
    let digits = |from: usize, n: usize| -> Option<f64> {
        let s = ts.get(from..from + n)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| crate::jsonata::number::parse_digits(s))
    };
    let year = digits(0, 4).ok_or_else(bad)?;
    let mut i = 4;
    let (mut month, mut day) = (1.0, 1.0);
    let (mut h, mut mi, mut s, mut ms) = (0.0, 0.0, 0.0, 0.0);
    if b.get(i) == Some(&b'-') && b.get(i + 1).is_some_and(|c| *c == b'0' || *c == b'1') {
        month = digits(i + 1, 2).ok_or_else(bad)?;
        i += 3;
        if b.get(i) == Some(&b'-') && b.get(i + 1).is_some_and(|c| (b'0'..=b'3').contains(c)) {
            day = digits(i + 1, 2).ok_or_else(bad)?;
            i += 3;
        }
    }
    if b.get(i) == Some(&b'T') {
        let ok = b.get(i + 1).is_some_and(|c| (b'0'..=b'2').contains(c))
            && b.get(i + 3) == Some(&b':')
            && b.get(i + 4).is_some_and(|c| (b'0'..=b'5').contains(c))
            && b.get(i + 6) == Some(&b':')
            && b.get(i + 7).is_some_and(|c| (b'0'..=b'5').contains(c));
        if !ok {
            return Err(bad());
        }
        h = digits(i + 1, 2).ok_or_else(bad)?;
        mi = digits(i + 4, 2).ok_or_else(bad)?;
        s = digits(i + 7, 2).ok_or_else(bad)?;
        i += 9;
    }
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut j = start;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j == start {
            return Err(bad());
        }
        let frac = &ts[start..j.min(start + 3)];
        ms = crate::jsonata::number::parse_digits(&format!("{frac:0<3}"));
        i = j;
    }
    let mut offset = 0.0;
    match b.get(i) {
        None => {}
        Some(b'Z') if i + 1 == b.len() => i += 1,
        Some(c @ (b'+' | b'-')) => {
            let sign = if *c == b'-' { -1.0 } else { 1.0 };
            let oh = digits(i + 1, 2)
                .filter(|_| b[i + 1] <= b'2')
                .ok_or_else(bad)?;
            let mut j = i + 3;
            if b.get(j) == Some(&b':') {
                j += 1;
            }
            let om = digits(j, 2).filter(|_| b[j] <= b'5').ok_or_else(bad)?;
            offset = sign * (oh * 60.0 + om);
            i = j + 2;
        }
        _ => return Err(bad()),
    }
    if i != b.len() {
        return Err(bad());
    }
    // Like V8, days up to 31 are accepted in any month (and roll over into the next).
    let invalid = !(1.0..=12.0).contains(&month)
        || !(1.0..=31.0).contains(&day)
        || h > 24.0
        || (h == 24.0 && (mi + s + ms) > 0.0);
    if invalid {
        return Ok(f64::NAN);
    }
    let days = days_from_civil(year, month, day);
    Ok(days * DAY_MS + h * 3_600_000.0 + mi * 60_000.0 + s * 1000.0 + ms - offset * 60_000.0)
}

/// One capturing part of a parsing pattern and how its text becomes a component.
enum Reader {
    Integer(IntegerFormat),
    Names(Vec<(String, f64)>),
    Fraction,
    Offset(Option<char>, bool),
}

/// Parsed components by letter (a picture has few).
struct Components(Vec<(char, f64)>);

impl Components {
    fn get(&self, c: char) -> Option<f64> {
        self.0.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
    }

    fn insert(&mut self, c: char, v: f64) {
        match self.0.iter_mut().find(|(k, _)| *k == c) {
            Some(slot) => slot.1 = v,
            None => self.0.push((c, v)),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn parse_date_time(ts: &str, picture: &str, now: f64) -> Result<Option<f64>, Error> {
    let parts = analyse_picture(picture)?;
    let mut pattern = String::from("^");
    let mut readers: Vec<(char, Option<Reader>)> = Vec::new();
    for part in &parts {
        match part {
            Part::Literal(s) => {
                pattern.push('(');
                pattern.push_str(&regex_lite::escape(s));
                pattern.push(')');
                readers.push((' ', None));
            }
            Part::Marker(m) => {
                let c = m.component;
                let (re, reader) = if c == 'Z' || c == 'z' {
                    let sep = m.integer.as_ref().and_then(|f| f.regular.map(|r| r.1));
                    let mut re = if c == 'z' {
                        "GMT".to_owned()
                    } else {
                        String::new()
                    };
                    re.push_str("[-+][0-9]+");
                    if let Some(sep) = sep {
                        re.push_str(&regex_lite::escape(&sep.to_string()));
                        re.push_str("[0-9]+");
                    }
                    (re, Reader::Offset(sep, c == 'z'))
                } else if c == 'f' {
                    ("[0-9]+".to_owned(), Reader::Fraction)
                } else if let Some(f) = &m.integer {
                    (format_integer::pattern(f)?, Reader::Integer(f.clone()))
                } else {
                    let mut lookup: Vec<(String, f64)> = Vec::new();
                    let cut = |name: &str| -> String {
                        match m.width {
                            Some((_, Some(max))) if max > 0 => name.chars().take(max).collect(),
                            _ => name.to_owned(),
                        }
                    };
                    match c {
                        'M' | 'x' => {
                            for (i, name) in MONTHS.iter().enumerate() {
                                lookup.push((cut(name), (i + 1) as f64));
                            }
                        }
                        'F' => {
                            for (i, name) in DAYS.iter().enumerate().skip(1) {
                                lookup.push((cut(name), i as f64));
                            }
                        }
                        'P' => {
                            for (k, v) in [("am", 0.0), ("AM", 0.0), ("pm", 1.0), ("PM", 1.0)] {
                                lookup.push((k.to_owned(), v));
                            }
                        }
                        _ => {
                            return Err(Error::new("D3133")
                                .value(crate::jsonata::error::quote(&c.to_string())))
                        }
                    }
                    ("[a-zA-Z]+".to_owned(), Reader::Names(lookup))
                };
                pattern.push('(');
                pattern.push_str(&re);
                pattern.push(')');
                readers.push((c, Some(reader)));
            }
        }
    }
    pattern.push('$');
    let re = regex_lite::RegexBuilder::new(&pattern)
        .case_insensitive(true)
        .build()
        .map_err(|e| Error::custom("D3136", e.to_string()))?;
    let Some(caps) = re.captures(ts) else {
        return Ok(None);
    };
    let mut comps = Components(Vec::new());
    for (i, (c, reader)) in readers.iter().enumerate() {
        let Some(reader) = reader else { continue };
        let text = caps.get(i + 1).map_or("", |m| m.as_str());
        let v = match reader {
            Reader::Integer(f) => format_integer::parse(text, f)?,
            Reader::Names(lookup) => match lookup.iter().find(|(k, _)| k == text) {
                Some((_, v)) => *v,
                None => continue,
            },
            Reader::Fraction => {
                let digits: String = text.chars().take(3).collect();
                crate::jsonata::number::parse_digits(&digits) * 10f64.powi(3 - digits.len() as i32)
            }
            Reader::Offset(sep, gmt) => {
                let t = if *gmt {
                    text.get(3..).unwrap_or("")
                } else {
                    text
                };
                let (h, m) = match sep {
                    Some(s) => {
                        let p = t.find(*s).unwrap_or(t.len());
                        (
                            leading_int(&t[..p]).unwrap_or(f64::NAN),
                            leading_int(t.get(p + s.len_utf8()..).unwrap_or(""))
                                .unwrap_or(f64::NAN),
                        )
                    }
                    None if t.len() <= 3 => (leading_int(t).unwrap_or(f64::NAN), 0.0),
                    None => (
                        leading_int(&t[..3]).unwrap_or(f64::NAN),
                        leading_int(&t[3..]).unwrap_or(f64::NAN),
                    ),
                };
                h * 60.0 + m
            }
        };
        comps.insert(*c, v);
    }
    if comps.is_empty() {
        return Ok(None);
    }
    let mut mask = 0u32;
    let has = |comps: &Components, c: char| comps.get(c).is_some_and(|v| v != 0.0 && !v.is_nan());
    for c in "YXMxWwdD".chars() {
        mask = (mask << 1) | u32::from(has(&comps, c));
    }
    let is_type = |t: u32, mask: u32| (!t & mask) == 0 && (t & mask) != 0;
    let date_a = is_type(161, mask);
    let date_b = !date_a && is_type(130, mask);
    let date_c = is_type(84, mask);
    let date_d = !date_c && is_type(72, mask);
    mask = 0;
    for c in "PHhmsf".chars() {
        mask = (mask << 1) | u32::from(has(&comps, c));
    }
    let time_a = is_type(23, mask);
    let time_b = !time_a && is_type(47, mask);
    let date_comps = if date_b {
        "YD"
    } else if date_c {
        "XxwF"
    } else if date_d {
        "XWF"
    } else {
        "YMD"
    };
    let time_comps = if time_b { "Phmsf" } else { "Hmsf" };
    let now_fields = fields(now);
    let (mut start, mut end) = (false, false);
    for c in date_comps.chars().chain(time_comps.chars()) {
        if comps.get(c).is_some() {
            start = true;
            if end {
                return Err(Error::new("D3136"));
            }
        } else if start {
            comps.insert(c, if "MDd".contains(c) { 1.0 } else { 0.0 });
            end = true;
        } else {
            let v = match component(&now_fields, c) {
                Component::Number(n) => n,
                Component::Text(t) => f64::from(u8::from(t == "pm")),
                Component::None => 0.0,
            };
            comps.insert(c, v);
        }
    }
    let get = |c: char| comps.get(c).unwrap_or(0.0);
    let mut month0 = if get('M') > 0.0 { get('M') - 1.0 } else { 0.0 };
    let mut day = get('D');
    if date_b {
        let derived =
            fields(date_utc(get('Y'), 0.0, 1.0, 0.0, 0.0, 0.0, 0.0) + (get('d') - 1.0) * DAY_MS);
        month0 = derived.month0;
        day = derived.day;
    }
    if date_c || date_d {
        return Err(Error::new("D3136"));
    }
    let mut hours = get('H');
    if time_b {
        hours = if get('h') == 12.0 { 0.0 } else { get('h') };
        if get('P') == 1.0 {
            hours += 12.0;
        }
    }
    let mut millis = date_utc(get('Y'), month0, day, hours, get('m'), get('s'), get('f'));
    let offset = if has(&comps, 'Z') { get('Z') } else { get('z') };
    if offset != 0.0 && !offset.is_nan() {
        millis -= offset * 60_000.0;
    }
    Ok(Some(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_iso_8601() {
        assert_eq!(
            format_millis(1_510_067_557_121.0, None, None, 1000).unwrap(),
            "2017-11-07T15:12:37.121Z"
        );
        assert_eq!(
            iso_millis("2017-11-07T15:12:37.121Z").unwrap(),
            1_510_067_557_121.0
        );
        assert_eq!(
            format_millis(0.0, Some("[D1o] [MNn] [Y]"), None, 1000).unwrap(),
            "1st January 1970"
        );
        assert_eq!(
            parse_date_time("2018-02-01", "[Y]-[M]-[D]", 0.0).unwrap(),
            Some(1_517_443_200_000.0)
        );
        assert_eq!(
            civil_from_days(days_from_civil(2000.0, 2.0, 29.0)),
            (2000.0, 2.0, 29.0)
        );
    }
}
