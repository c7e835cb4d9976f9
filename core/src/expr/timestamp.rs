//! RFC 3339 timestamps as Amazon States Language uses them (Wait `Timestamp`, the Choice
//! `Timestamp*` operators, `$$.Execution.StartTime`).
//!
//! ASL's profile: `YYYY-MM-DDThh:mm:ss`, optional fractional seconds, then `Z` or a numeric
//! offset `±hh:mm`; the `T` and `Z` must be upper case. Dates are checked against the calendar
//! (no month 13, no February 30 outside leap years) and leap seconds (`:60`) are rejected.

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// Milliseconds since the Unix epoch for an ASL timestamp such as `"2016-03-14T01:59:00Z"`,
/// `"2016-03-14T01:59:00.123+05:30"`; `None` if `text` is not one.
///
/// Fractional seconds beyond milliseconds are truncated.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let year = digits(b, 0, 4)?;
    expect(b, 4, b'-')?;
    let month = digits(b, 5, 2)?;
    expect(b, 7, b'-')?;
    let day = digits(b, 8, 2)?;
    expect(b, 10, b'T')?;
    let hour = digits(b, 11, 2)?;
    expect(b, 13, b':')?;
    let minute = digits(b, 14, 2)?;
    expect(b, 16, b':')?;
    let second = digits(b, 17, 2)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }

    let mut at = 19;
    let mut millis = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 3 {
                millis = millis * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        let count = at - start;
        if count == 0 {
            return None;
        }
        for _ in count..3 {
            millis *= 10;
        }
    }

    let offset_minutes = match b.get(at) {
        Some(b'Z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits(b, at + 1, 2)?;
            expect(b, at + 3, b':')?;
            let minutes = digits(b, at + 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            at += 6;
            let total = hours * 60 + minutes;
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    if at != b.len() {
        return None;
    }

    let days = days_from_civil(year, month, day);
    Some(
        days * MS_PER_DAY
            + hour * MS_PER_HOUR
            + minute * MS_PER_MINUTE
            + second * MS_PER_SECOND
            + millis
            - offset_minutes * MS_PER_MINUTE,
    )
}

/// `ms` since the Unix epoch as an ASL timestamp in UTC with milliseconds, like
/// `"2016-03-14T01:59:00.000Z"`.
///
/// Years outside 0000–9999 are written ISO 8601's expanded way (`+10000-…`, `-0001-…`), so
/// every `i64` formats without panicking.
pub(crate) fn format_rfc3339(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else if year > 9999 {
        format!("+{year}")
    } else {
        format!("-{:04}", year.unsigned_abs())
    };
    format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / MS_PER_HOUR,
        in_day % MS_PER_HOUR / MS_PER_MINUTE,
        in_day % MS_PER_MINUTE / MS_PER_SECOND,
        in_day % MS_PER_SECOND,
    )
}

/// The `len` ASCII digits at `at` as a number.
fn digits(b: &[u8], at: usize, len: usize) -> Option<i64> {
    let field = b.get(at..at.checked_add(len)?)?;
    field.iter().try_fold(0, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

fn expect(b: &[u8], at: usize, c: u8) -> Option<()> {
    (b.get(at) == Some(&c)).then_some(())
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_asl_timestamps() {
        let cases: &[(&str, i64)] = &[
            ("1970-01-01T00:00:00Z", 0),
            ("2016-03-14T01:59:00Z", 1_457_920_740_000),
            ("2016-03-14T01:59:00.5Z", 1_457_920_740_500),
            ("2016-03-14T01:59:00.12Z", 1_457_920_740_120),
            ("2016-03-14T01:59:00.123Z", 1_457_920_740_123),
            ("2016-03-14T01:59:00.123999999Z", 1_457_920_740_123),
            ("2016-03-14T01:59:00+00:00", 1_457_920_740_000),
            ("2016-03-14T01:59:00-00:00", 1_457_920_740_000),
            ("2016-03-14T07:29:00+05:30", 1_457_920_740_000),
            ("2016-03-13T20:59:00-05:00", 1_457_920_740_000),
            ("2016-03-14T01:59:00.250-01:00", 1_457_924_340_250),
            ("2024-02-29T23:59:59Z", 1_709_251_199_000),
            ("2000-02-29T00:00:00Z", 951_782_400_000),
            ("1969-12-31T23:59:59.999Z", -1),
            ("0000-01-01T00:00:00Z", -62_167_219_200_000),
            ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
            ("2038-01-19T03:14:08Z", 2_147_483_648_000),
        ];
        for (text, ms) in cases {
            assert_eq!(parse_rfc3339(text), Some(*ms), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_an_asl_timestamp() {
        let bad = [
            "",
            "soon",
            "2016-03-14",
            "2016-03-14T01:59Z",
            "2016-03-14T01:59:00",
            "2016-03-14t01:59:00Z",
            "2016-03-14T01:59:00z",
            "2016-03-14 01:59:00Z",
            "2016-13-14T01:59:00Z",
            "2016-00-14T01:59:00Z",
            "2016-03-00T01:59:00Z",
            "2016-04-31T01:59:00Z",
            "2015-02-29T01:59:00Z",
            "1900-02-29T01:59:00Z",
            "2016-03-14T24:00:00Z",
            "2016-03-14T01:60:00Z",
            "2016-03-14T01:59:60Z",
            "2016-03-14T01:59:00.Z",
            "2016-03-14T01:59:00+0500",
            "2016-03-14T01:59:00+24:00",
            "2016-03-14T01:59:00+05:60",
            "2016-03-14T01:59:00+05",
            "2016-03-14T01:59:00Z ",
            " 2016-03-14T01:59:00Z",
            "2016-03-14T01:59:00ZZ",
            "+2016-03-14T01:59:00Z",
            "20160-03-14T01:59:00Z",
            "2016-3-14T01:59:00Z",
            "２016-03-14T01:59:00Z",
            "2016-03-14T01:59:0０Z",
            "2016-03-14T01:59:00.1é",
        ];
        for text in bad {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
    }

    #[test]
    fn formats_utc_with_milliseconds() {
        let cases: &[(i64, &str)] = &[
            (0, "1970-01-01T00:00:00.000Z"),
            (1_457_920_740_000, "2016-03-14T01:59:00.000Z"),
            (1_457_920_740_123, "2016-03-14T01:59:00.123Z"),
            (1_709_251_199_000, "2024-02-29T23:59:59.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "+10000-01-01T00:00:00.000Z"),
            (-62_167_219_200_001, "-0001-12-31T23:59:59.999Z"),
        ];
        for (ms, text) in cases {
            assert_eq!(format_rfc3339(*ms), *text, "{ms}");
        }
    }

    #[test]
    fn format_then_parse_round_trips_and_extremes_do_not_panic() {
        for ms in [0, 1, -1, 86_399_999, 951_782_400_000, 253_402_300_799_999] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Some(ms));
        }
        // Every day across a leap cycle boundary round-trips.
        let start = parse_rfc3339("1999-12-25T12:00:00Z").unwrap();
        for d in 0..800 {
            let ms = start + d * MS_PER_DAY;
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Some(ms));
        }
        assert!(format_rfc3339(i64::MIN).ends_with('Z'));
        assert!(format_rfc3339(i64::MAX).starts_with('+'));
    }
}
