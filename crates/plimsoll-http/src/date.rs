//! HTTP dates and `Retry-After`.
//!
//! RFC 9110 §5.6.7: a recipient must accept all three forms of HTTP-date: the IMF-fixdate
//! senders use today (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete RFC 850
//! (`Sunday, 06-Nov-94 08:49:37 GMT`, a two-digit year that more than 50 years in the future
//! means the past century) and asctime (`Sun Nov  6 08:49:37 1994`) forms.
//!
//! RFC 9110 §10.2.3: `Retry-After` is either delay-seconds (`120`) or an HTTP-date.

use jiff::civil::DateTime;
use jiff::fmt::strtime;
use jiff::tz::TimeZone;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An HTTP-date (any of the three forms) to seconds since the epoch; `None` if it is none.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(s) {
        // RFC 2822 is wider than IMF-fixdate (zones other than GMT): accepted, it is a date.
        return Some(t.as_second());
    }
    if let Ok(tm) = strtime::parse("%a %b %e %H:%M:%S %Y", s) {
        return utc_seconds(tm.to_datetime().ok()?);
    }
    // The weekday is left out: jiff would check it against its own reading of the year.
    let (weekday, rest) = s.split_once(", ")?;
    if weekday.len() < 6 || !weekday.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let dt = strtime::parse("%d-%b-%y %H:%M:%S GMT", rest)
        .ok()?
        .to_datetime()
        .ok()?;
    // The two-digit year: this century's, unless that is more than 50 years ahead.
    let this_year = jiff::Timestamp::now().to_zoned(TimeZone::UTC).year();
    let mut year = this_year - this_year.rem_euclid(100) + dt.year().rem_euclid(100);
    if year > this_year + 50 {
        year -= 100;
    }
    utc_seconds(dt.with().year(year).build().ok()?)
}

fn utc_seconds(dt: DateTime) -> Option<i64> {
    Some(dt.to_zoned(TimeZone::UTC).ok()?.timestamp().as_second())
}

/// A `Retry-After` value as a wait from `now`: delay-seconds, or an HTTP-date (a date in
/// the past is no wait). `None` when it is neither.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to fit is still "a very long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    let now = i64::try_from(now.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    Some(Duration::from_secs(
        u64::try_from(at.saturating_sub(now)).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUN_1994: i64 = 784_111_777;

    #[test]
    fn three_forms_of_http_date() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(SUN_1994)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(SUN_1994)
        );
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(SUN_1994));
        for bad in [
            "",
            "yesterday",
            "06 Nov 1994",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rfc850_years_within_50_years_are_this_century() {
        let this_year = jiff::Timestamp::now().to_zoned(TimeZone::UTC).year();
        let soon = (this_year + 10) % 100;
        let t = parse_http_date(&format!("Monday, 01-Jan-{soon:02} 00:00:00 GMT")).unwrap();
        let year = jiff::Timestamp::from_second(t)
            .unwrap()
            .to_zoned(TimeZone::UTC)
            .year();
        assert_eq!(year, this_year + 10);
    }

    #[test]
    fn retry_after_both_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(SUN_1994 as u64);
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        // A date already past: retry now.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", "-1", "1.5", "soon"] {
            assert_eq!(retry_after(bad, now), None, "{bad:?}");
        }
    }
}
