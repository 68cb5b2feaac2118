//! `new Date(string)` for the ISO 8601 forms GitHub payloads carry: with an offset or `Z`
//! as given, a date-time without offset in local time (the `TZ` of the process, as node
//! reads it), a date alone at UTC midnight, as ECMAScript's date time string format says.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// The instant `new Date(text)` gives, or `None` where it gives an invalid date (or a form
/// outside ISO 8601 that only V8's legacy parser reads).
pub fn parse(text: &str) -> Option<Timestamp> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    if let Ok(date) = text.parse::<Date>()
        && !text.contains(['T', ' '])
    {
        return TimeZone::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .ok();
    }
    let local = text.parse::<DateTime>().ok()?;
    TimeZone::system().to_timestamp(local).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_dates_and_local_times() {
        let at = |text: &str| parse(text).map(|t| t.to_string());
        assert_eq!(
            at("2024-05-01T12:00:00+02:00").as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
        assert_eq!(at("2024-05-01").as_deref(), Some("2024-05-01T00:00:00Z"));
        assert_eq!(at("yesterday"), None);
        let local = parse("2024-05-01T12:00:00").unwrap();
        let expected = TimeZone::system()
            .to_timestamp(DateTime::constant(2024, 5, 1, 12, 0, 0, 0))
            .unwrap();
        assert_eq!(local, expected);
    }
}
