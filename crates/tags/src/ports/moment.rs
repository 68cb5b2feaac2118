//! moment.js's `format()` in the `en` locale, for `{{date 'FMT' tz='Zone'}}`: the tokens
//! (`YYYY`, `MM`, `DD`, `HH`, `mm`, `ss`, `SSS`, `Do`, `dddd`, `W`, `Z`, `X`, ...), the
//! localized formats (`L`, `LLL`, `LT`, ...), `[literal]` text and `\` escapes, tokenised with
//! moment's own precedence (`Hmm` before `H`, `Mo` before `M`).

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// moment's default format when the moment is in UTC (`format()` with no argument).
pub const DEFAULT_UTC: &str = "YYYY-MM-DDTHH:mm:ss[Z]";
/// moment's default format otherwise.
pub const DEFAULT: &str = "YYYY-MM-DDTHH:mm:ssZ";

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
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Formats `timestamp` in `zone` like `moment(timestamp).tz(zone).format(format)`; `None`
/// (or an empty format) is moment's default ISO format.
pub fn format(timestamp: Timestamp, zone: &TimeZone, format: Option<&str>) -> String {
    let moment = Moment::new(timestamp, zone);
    let format = match format {
        Some(format) if !format.is_empty() => format,
        _ if moment.offset_seconds == 0 => DEFAULT_UTC,
        _ => DEFAULT,
    };
    let expanded = expand_localized(format);
    let mut out = String::new();
    for token in tokenize(&expanded, FORMAT_TOKENS) {
        match token {
            Token::Literal(text) => out.push_str(&text),
            Token::Format(name) => out.push_str(&moment.token(name)),
        }
    }
    out
}

/// The fields of a moment in its zone.
struct Moment {
    year: i64,
    /// 1..=12.
    month: i64,
    day: i64,
    /// 0 = Sunday.
    weekday: i64,
    day_of_year: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millisecond: i64,
    offset_seconds: i64,
    unix_millis: i64,
    abbreviation: String,
}

impl Moment {
    fn new(timestamp: Timestamp, zone: &TimeZone) -> Self {
        let zoned = timestamp.to_zoned_datetime(zone.clone());
        let info = zone.to_offset_info(timestamp);
        Self {
            year: zoned.year().into(),
            month: zoned.month().into(),
            day: zoned.day().into(),
            weekday: zoned.weekday().to_sunday_zero_offset().into(),
            day_of_year: zoned.day_of_year().into(),
            hour: zoned.hour().into(),
            minute: zoned.minute().into(),
            second: zoned.second().into(),
            millisecond: zoned.millisecond().into(),
            offset_seconds: info.offset().seconds().into(),
            unix_millis: timestamp.as_millisecond(),
            abbreviation: info.abbreviation().to_owned(),
        }
    }

    fn token(&self, name: &str) -> String {
        let hour12 = if self.hour % 12 == 0 {
            12
        } else {
            self.hour % 12
        };
        let quarter = (self.month + 2) / 3;
        let (locale_week, locale_week_year) = self.week(0, 6);
        let (iso_week, iso_week_year) = self.week(1, 4);
        let iso_weekday = if self.weekday == 0 { 7 } else { self.weekday };
        let era_year = if self.year > 0 {
            self.year
        } else {
            1 - self.year
        };
        let pad = zero_fill;
        match name {
            "M" => self.month.to_string(),
            "Mo" => ordinal(self.month),
            "MM" => pad(self.month, 2, false),
            "MMM" => MONTHS[month_index(self.month)][..3].to_owned(),
            "MMMM" => MONTHS[month_index(self.month)].to_owned(),
            "Q" => quarter.to_string(),
            "Qo" => ordinal(quarter),
            "D" => self.day.to_string(),
            "Do" => ordinal(self.day),
            "DD" => pad(self.day, 2, false),
            "DDD" => self.day_of_year.to_string(),
            "DDDo" => ordinal(self.day_of_year),
            "DDDD" => pad(self.day_of_year, 3, false),
            "d" | "e" => self.weekday.to_string(),
            "do" => ordinal(self.weekday),
            "dd" => WEEKDAYS[weekday_index(self.weekday)][..2].to_owned(),
            "ddd" => WEEKDAYS[weekday_index(self.weekday)][..3].to_owned(),
            "dddd" => WEEKDAYS[weekday_index(self.weekday)].to_owned(),
            "E" => iso_weekday.to_string(),
            "w" => locale_week.to_string(),
            "wo" => ordinal(locale_week),
            "ww" => pad(locale_week, 2, false),
            "W" => iso_week.to_string(),
            "Wo" => ordinal(iso_week),
            "WW" => pad(iso_week, 2, false),
            "YY" => pad(self.year % 100, 2, false),
            "YYYY" => pad(self.year, 4, false),
            "YYYYY" => pad(self.year, 5, false),
            "YYYYYY" => pad(self.year, 6, true),
            "Y" if self.year <= 9999 => pad(self.year, 4, false),
            "Y" => format!("+{}", self.year),
            "N" | "NN" | "NNN" | "NNNNN" => if self.year > 0 { "AD" } else { "BC" }.to_owned(),
            "NNNN" => if self.year > 0 {
                "Anno Domini"
            } else {
                "Before Christ"
            }
            .to_owned(),
            "y" => era_year.to_string(),
            "yo" => ordinal(era_year),
            "yy" => pad(era_year, 2, false),
            "yyy" => pad(era_year, 3, false),
            "yyyy" => pad(era_year, 4, false),
            "gg" => pad(locale_week_year % 100, 2, false),
            "gggg" => pad(locale_week_year, 4, false),
            "ggggg" => pad(locale_week_year, 5, false),
            "GG" => pad(iso_week_year % 100, 2, false),
            "GGGG" => pad(iso_week_year, 4, false),
            "GGGGG" => pad(iso_week_year, 5, false),
            "a" => if self.hour > 11 { "pm" } else { "am" }.to_owned(),
            "A" => if self.hour > 11 { "PM" } else { "AM" }.to_owned(),
            "H" => self.hour.to_string(),
            "HH" => pad(self.hour, 2, false),
            "h" => hour12.to_string(),
            "hh" => pad(hour12, 2, false),
            "k" => if self.hour == 0 { 24 } else { self.hour }.to_string(),
            "kk" => pad(if self.hour == 0 { 24 } else { self.hour }, 2, false),
            "m" => self.minute.to_string(),
            "mm" => pad(self.minute, 2, false),
            "s" => self.second.to_string(),
            "ss" => pad(self.second, 2, false),
            "Hmm" => format!("{}{}", self.hour, pad(self.minute, 2, false)),
            "Hmmss" => format!(
                "{}{}{}",
                self.hour,
                pad(self.minute, 2, false),
                pad(self.second, 2, false)
            ),
            "hmm" => format!("{hour12}{}", pad(self.minute, 2, false)),
            "hmmss" => format!(
                "{hour12}{}{}",
                pad(self.minute, 2, false),
                pad(self.second, 2, false)
            ),
            "X" => self.unix_millis.div_euclid(1000).to_string(),
            "x" => self.unix_millis.to_string(),
            "z" | "zz" => self.abbreviation.clone(),
            "Z" => offset(self.offset_seconds, ":"),
            "ZZ" => offset(self.offset_seconds, ""),
            fraction if fraction.starts_with('S') => {
                let digits = fraction.len();
                let value = match digits {
                    1 => self.millisecond / 100,
                    2 => self.millisecond / 10,
                    _ => self.millisecond * 10_i64.pow(u32::try_from(digits - 3).unwrap_or(0)),
                };
                pad(value, digits, false)
            }
            other => other.to_owned(),
        }
    }

    /// moment's `weekOfYear`: the week and its year, for weeks starting on `dow` (0 =
    /// Sunday) where the week holding January `7 + dow - doy` is the first.
    fn week(&self, dow: i64, doy: i64) -> (i64, i64) {
        let offset = first_week_offset(self.year, dow, doy);
        let week = (self.day_of_year - offset - 1).div_euclid(7) + 1;
        if week < 1 {
            let year = self.year - 1;
            (week + weeks_in_year(year, dow, doy), year)
        } else if week > weeks_in_year(self.year, dow, doy) {
            (week - weeks_in_year(self.year, dow, doy), self.year + 1)
        } else {
            (week, self.year)
        }
    }
}

fn month_index(month: i64) -> usize {
    usize::try_from(month - 1).unwrap_or(0).min(11)
}

fn weekday_index(weekday: i64) -> usize {
    usize::try_from(weekday).unwrap_or(0).min(6)
}

fn first_week_offset(year: i64, dow: i64, doy: i64) -> i64 {
    let first_week_day = 7 + dow - doy;
    let weekday = weekday_of(year, first_week_day);
    let local_weekday = (7 + weekday - dow).rem_euclid(7);
    -local_weekday + first_week_day - 1
}

fn weeks_in_year(year: i64, dow: i64, doy: i64) -> i64 {
    let offset = first_week_offset(year, dow, doy);
    let next = first_week_offset(year + 1, dow, doy);
    (days_in_year(year) - offset + next) / 7
}

fn days_in_year(year: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if leap { 366 } else { 365 }
}

/// The weekday (0 = Sunday) of January `day` of `year`, proleptic Gregorian.
fn weekday_of(year: i64, day: i64) -> i64 {
    // Sakamoto's method for January.
    let y = year - 1;
    (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) + day).rem_euclid(7)
}

/// moment's `zeroFill`.
fn zero_fill(number: i64, width: usize, force_sign: bool) -> String {
    let digits = number.unsigned_abs().to_string();
    let sign = if number < 0 {
        "-"
    } else if force_sign {
        "+"
    } else {
        ""
    };
    format!("{sign}{digits:0>width$}")
}

/// The `en` locale's ordinal: 1st, 2nd, 3rd, 4th, 11th, 21st.
fn ordinal(number: i64) -> String {
    let last = number % 10;
    let suffix = if (number % 100) / 10 == 1 {
        "th"
    } else {
        match last {
            1 => "st",
            2 => "nd",
            3 => "rd",
            _ => "th",
        }
    };
    format!("{number}{suffix}")
}

fn offset(seconds: i64, separator: &str) -> String {
    let minutes = seconds / 60;
    let sign = if minutes < 0 { '-' } else { '+' };
    let minutes = minutes.abs();
    format!("{sign}{:02}{separator}{:02}", minutes / 60, minutes % 60)
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'f> {
    Literal(String),
    Format(&'f str),
}

/// moment's formatting tokens, in the order its regex tries them. An entry ending in `*`
/// matches that prefix followed by any of the given continuations.
const FORMAT_TOKENS: &[&str] = &[
    "Hmmss",
    "Hmm",
    "hmmss",
    "hmm",
    "Mo",
    "MMMM",
    "MMM",
    "MM",
    "M",
    "Do",
    "DDDo",
    "DDDD",
    "DDD",
    "DD",
    "D",
    "dddd",
    "ddd",
    "dd",
    "do",
    "d",
    "wo",
    "ww",
    "w|",
    "w",
    "Wo",
    "WW",
    "W|",
    "W",
    "Qo",
    "Q",
    "NNNNN",
    "NNNN",
    "NNN",
    "NN",
    "N",
    "YYYYYY",
    "YYYYY",
    "YYYY",
    "YY",
    "Y",
    "yyyy",
    "yyy",
    "yy",
    "yo",
    "y",
    "ggggg",
    "gggg",
    "gg",
    "GGGGG",
    "GGGG",
    "GG",
    "e",
    "E",
    "a",
    "A",
    "hh",
    "h",
    "HH",
    "H",
    "kk",
    "k",
    "mm",
    "m",
    "ss",
    "s",
    "SSSSSSSSS",
    "SSSSSSSS",
    "SSSSSSS",
    "SSSSSS",
    "SSSSS",
    "SSSS",
    "SSS",
    "SS",
    "S",
    "x",
    "X",
    "zz",
    "z",
    "ZZ",
    "Z",
];

/// The localized formats of the `en` locale.
const LOCALIZED: &[(&str, &str)] = &[
    ("LTS", "h:mm:ss A"),
    ("LT", "h:mm A"),
    ("LLLL", "dddd, MMMM D, YYYY h:mm A"),
    ("LLL", "MMMM D, YYYY h:mm A"),
    ("LL", "MMMM D, YYYY"),
    ("L", "MM/DD/YYYY"),
    ("llll", "ddd, MMM D, YYYY h:mm A"),
    ("lll", "MMM D, YYYY h:mm A"),
    ("ll", "MMM D, YYYY"),
    ("l", "M/D/YYYY"),
];

/// Splits `format` as moment's token regex does: `[...]` literals, `\`-escaped tokens,
/// tokens from `tokens`, and single characters. Line breaks match nothing in moment's
/// regex, so they are dropped.
fn tokenize<'f>(format: &str, tokens: &[&'f str]) -> Vec<Token<'f>> {
    let mut out = Vec::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            // `\[[^\[]*\]`: up to the last `]` before the next `[`.
            let body = &rest[1..];
            let span = body.find('[').unwrap_or(body.len());
            if let Some(close) = body[..span].rfind(']') {
                out.push(Token::Literal(body[..close].to_owned()));
                rest = &body[close + 1..];
                continue;
            }
        }
        let (escaped, after) = match rest.strip_prefix('\\') {
            Some(after) if !after.is_empty() && !is_line_break(after) => (true, after),
            _ => (false, rest),
        };
        if let Some(token) = tokens.iter().find(|token| after.starts_with(**token)) {
            if escaped || token.ends_with('|') {
                out.push(Token::Literal((*token).to_owned()));
            } else {
                out.push(Token::Format(token));
            }
            rest = &after[token.len()..];
            continue;
        }
        // A line break matches nothing in moment's regex, so it vanishes; so does a `\`
        // (alone, or escaping another `\`).
        let c = after.chars().next().unwrap_or(c);
        if !is_line_break(after) && c != '\\' {
            out.push(Token::Literal(c.to_string()));
        }
        rest = &after[c.len_utf8()..];
    }
    out
}

fn is_line_break(text: &str) -> bool {
    text.starts_with(['\n', '\r', '\u{2028}', '\u{2029}'])
}

/// moment's `expandFormat`: localized formats replaced, up to six rounds.
fn expand_localized(format: &str) -> String {
    let names: Vec<&str> = LOCALIZED.iter().map(|(name, _)| *name).collect();
    let mut format = format.to_owned();
    for _ in 0..6 {
        let mut changed = false;
        let mut out = String::new();
        let mut rest = format.as_str();
        while let Some(c) = rest.chars().next() {
            if c == '[' {
                let body = &rest[1..];
                let span = body.find('[').unwrap_or(body.len());
                if let Some(close) = body[..span].rfind(']') {
                    out.push_str(&rest[..close + 2]);
                    rest = &body[close + 1..];
                    continue;
                }
            }
            if let Some(after) = rest.strip_prefix('\\')
                && let Some(name) = names.iter().find(|name| after.starts_with(**name))
            {
                out.push('\\');
                out.push_str(name);
                rest = &after[name.len()..];
                continue;
            }
            if let Some((name, expansion)) =
                LOCALIZED.iter().find(|(name, _)| rest.starts_with(*name))
            {
                out.push_str(expansion);
                rest = &rest[name.len()..];
                changed = true;
                continue;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        format = out;
        if !changed {
            break;
        }
    }
    format
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(iso: &str, zone: &str, fmt: Option<&str>) -> String {
        let timestamp: Timestamp = iso.parse().unwrap();
        format(timestamp, &jiff::tz::db().get(zone).unwrap(), fmt)
    }

    const NOW: &str = "2020-01-10T00:30:00.123Z";

    #[test]
    fn common_formats() {
        assert_eq!(at(NOW, "UTC", Some("YYYYMMDD")), "20200110");
        assert_eq!(at(NOW, "UTC", Some("YYYYMMDD-HHmmss")), "20200110-003000");
        assert_eq!(
            at(NOW, "Asia/Tokyo", Some("YYYYMMDD-HHmmss")),
            "20200110-093000"
        );
        assert_eq!(
            at(NOW, "UTC", Some("YYYY-MM-DDTHH:mm:ss.SSS[Z]")),
            "2020-01-10T00:30:00.123Z"
        );
        assert_eq!(at(NOW, "UTC", None), "2020-01-10T00:30:00Z");
        assert_eq!(at(NOW, "UTC", Some("")), "2020-01-10T00:30:00Z");
        assert_eq!(at(NOW, "Asia/Tokyo", None), "2020-01-10T09:30:00+09:00");
        assert_eq!(at(NOW, "Europe/London", None), "2020-01-10T00:30:00Z");
    }

    #[test]
    fn every_token() {
        let fmt = "M Mo MM MMM MMMM Q Qo D Do DD DDD DDDo DDDD d do dd ddd dddd e E \
                   w wo ww W Wo WW YY YYYY YYYYY YYYYYY Y N NNNN y yo yy gg gggg GG GGGG \
                   a A H HH h hh k kk m mm s ss S SS SSS SSSS X x z Z ZZ Hmm hmmss";
        assert_eq!(
            at("2021-01-03T15:04:05.678Z", "America/New_York", Some(fmt)),
            "1 1st 01 Jan January 1 1st 3 3rd 03 3 3rd 003 0 0th Su Sun Sunday 0 7 \
             2 2nd 02 53 53rd 53 21 2021 02021 +002021 2021 AD Anno Domini 2021 2021st 2021 \
             21 2021 20 2020 am AM 10 10 10 10 10 10 4 04 5 05 6 67 678 6780 1609686245 \
             1609686245678 EST -05:00 -0500 1004 100405"
        );
        assert_eq!(at("2020-01-10T12:00:00Z", "UTC", Some("h A k")), "12 PM 12");
        assert_eq!(at("2020-01-10T00:00:00Z", "UTC", Some("h a k")), "12 am 24");
    }

    #[test]
    fn iso_weeks_agree_with_jiff() {
        for day in [
            "2018-12-31",
            "2020-12-31",
            "2021-01-03",
            "2026-06-15",
            "2027-01-01",
        ] {
            let timestamp: Timestamp = format!("{day}T12:00:00Z").parse().unwrap();
            let date = timestamp.to_zoned_datetime(TimeZone::UTC);
            let iso = date.iso_week_date();
            assert_eq!(
                format(timestamp, &TimeZone::UTC, Some("GGGG-WW")),
                format!("{}-{:02}", iso.year(), iso.week()),
                "{day}"
            );
        }
    }

    #[test]
    fn literals_escapes_and_localized_formats() {
        assert_eq!(at(NOW, "UTC", Some("[Year] YYYY [a]b]")), "Year 2020 a]b");
        assert_eq!(at(NOW, "UTC", Some("\\YYYY \\[q")), "YYYY [q");
        assert_eq!(at(NOW, "UTC", Some("[q YY")), "[q 20");
        assert_eq!(at(NOW, "UTC", Some("L LT")), "01/10/2020 12:30 AM");
        assert_eq!(at(NOW, "UTC", Some("llll")), "Fri, Jan 10, 2020 12:30 AM");
        assert_eq!(at(NOW, "UTC", Some("[L] \\L")), "L L");
        assert_eq!(at(NOW, "UTC", Some("w| YY\nYY")), "w| 2020");
        assert_eq!(at(NOW, "UTC", Some("a\\")), "am");
    }
}
