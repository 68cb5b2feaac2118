//! The deploy ledger's tag names, shared by every tool that reads or writes them.
//!
//! After a stage succeeds in environment `E`, gantry-dokploy tags each image it deployed
//! `E` (moving: what runs there now) and `E-{UTC YYYYMMDDTHHMMSSZ}` (an entry: immutable
//! history). Rollback picks among the entries, promotion checks them, and gantry-prune keeps
//! the newest `deploy.history` distinct digests among them. These functions are pure: the
//! callers list the tags and give the clock.
//!
//! A tag is an entry of `E` exactly when it matches `^E-\d{8}T\d{6}Z$`: a build's
//! `staging-<sha>` is not one, and an entry's order is its stamp's text (fixed-width
//! digits, so text order is time order).

use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;

/// Characters in a stamp: `YYYYMMDDTHHMMSSZ`.
pub const STAMP_LEN: usize = 16;

/// Longest environment name: the entry tag `{name}-{stamp}` must stay within the 128
/// characters an OCI tag may have.
pub const MAX_ENVIRONMENT_NAME_LEN: usize = 128 - 1 - STAMP_LEN;

/// The second a stage succeeded, in UTC: the part of an entry tag after `{env}-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(Timestamp);

impl Stamp {
    /// The stamp of the second `at` falls in (from year 0, the first four digits hold, to the
    /// end of the times jiff holds, 9999-12-30T22:00:00Z).
    pub fn new(at: Timestamp) -> Option<Stamp> {
        // `as_second` rounds toward zero; a stamp is the second the instant falls in.
        let floor = at.as_second() - i64::from(at.subsec_nanosecond() < 0);
        let second = Timestamp::from_second(floor).ok()?;
        let year = Offset::UTC.to_datetime(second).year();
        (0..=9999).contains(&year).then_some(Stamp(second))
    }

    /// Reads `YYYYMMDDTHHMMSSZ` exactly (16 characters, a real UTC date and time within the
    /// range of [`Stamp::new`]; no leap second).
    pub fn parse(text: &str) -> Option<Stamp> {
        if !has_stamp_shape(text) {
            return None;
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<i16>().ok();
        let small = |range| number(range).and_then(|n| i8::try_from(n).ok());
        let civil = DateTime::new(
            number(0..4)?,
            small(4..6)?,
            small(6..8)?,
            small(9..11)?,
            small(11..13)?,
            small(13..15)?,
            0,
        )
        .ok()?;
        Offset::UTC.to_timestamp(civil).ok().map(Stamp)
    }

    /// The time, to the second.
    pub fn timestamp(self) -> Timestamp {
        self.0
    }

    /// The second after this one (`None` after 9999-12-31T23:59:59Z).
    pub fn next(self) -> Option<Stamp> {
        Stamp::new(
            self.0
                .checked_add(jiff::SignedDuration::from_secs(1))
                .ok()?,
        )
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = Offset::UTC.to_datetime(self.0);
        write!(
            f,
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

/// `\d{8}T\d{6}Z`, whatever the digits.
fn has_stamp_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == STAMP_LEN
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 => *b == b'T',
            15 => *b == b'Z',
            _ => b.is_ascii_digit(),
        })
}

/// The entry tag `{environment}-{stamp}`.
pub fn entry_tag(environment: &str, stamp: Stamp) -> String {
    format!("{environment}-{stamp}")
}

/// The stamp text of `tag` when it is an entry of `environment` (`^{environment}-\d{8}T\d{6}Z$`).
/// The digits need not make a real date: an entry is recognised by its shape alone.
pub fn entry_stamp<'t>(environment: &str, tag: &'t str) -> Option<&'t str> {
    let stamp = tag.strip_prefix(environment)?.strip_prefix('-')?;
    has_stamp_shape(stamp).then_some(stamp)
}

/// Whether `tag` is a ledger entry of `environment`.
pub fn is_entry(environment: &str, tag: &str) -> bool {
    entry_stamp(environment, tag).is_some()
}

/// The stamp of a new entry for a stage that succeeded at `at`, given the repository's
/// existing tags: the second of `at`, but no earlier than one second after the newest
/// existing entry (so entries keep deploy order even when runners' clocks disagree), and
/// on a collision the next free second. `None` only when that would pass the year 9999.
pub fn next_stamp<'t>(
    environment: &str,
    at: Timestamp,
    existing: impl IntoIterator<Item = &'t str>,
) -> Option<Stamp> {
    let taken: std::collections::HashSet<&str> = existing
        .into_iter()
        .filter_map(|tag| entry_stamp(environment, tag))
        .collect();
    let after_newest = taken
        .iter()
        .filter_map(|stamp| Stamp::parse(stamp))
        .max()
        .map(Stamp::next);
    let mut stamp = match after_newest {
        Some(next) => Stamp::new(at)?.max(next?),
        None => Stamp::new(at)?,
    };
    while taken.contains(stamp.to_string().as_str()) {
        stamp = stamp.next()?;
    }
    Some(stamp)
}

/// One ledger entry: a tag of the environment's and the digest it points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry<'a> {
    /// The tag, `{environment}-{stamp}`.
    pub tag: &'a str,
    /// Its stamp text.
    pub stamp: &'a str,
    /// The digest it points at.
    pub digest: &'a str,
}

/// The entries of `environment` among a repository's `(tag, digest)` pairs, newest first.
pub fn entries<'a>(
    environment: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<Entry<'a>> {
    let mut found: Vec<Entry<'a>> = tags
        .into_iter()
        .filter_map(|(tag, digest)| {
            entry_stamp(environment, tag).map(|stamp| Entry { tag, stamp, digest })
        })
        .collect();
    // Equal stamps mean the same tag, listed twice; the digest orders those too.
    found.sort_unstable_by(|a, b| (b.stamp, b.digest).cmp(&(a.stamp, a.digest)));
    found.dedup();
    found
}

/// What `deploy.history: history` keeps of an environment's ledger: the newest `history`
/// distinct digests among its entries, each with its newest entry, newest first.
pub fn kept<'a>(
    environment: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    history: usize,
) -> Vec<Entry<'a>> {
    let mut kept: Vec<Entry<'a>> = Vec::new();
    for entry in entries(environment, tags) {
        if kept.len() == history {
            break;
        }
        if !kept.iter().any(|k| k.digest == entry.digest) {
            kept.push(entry);
        }
    }
    kept
}

/// A tag that environments reserve for gantry-dokploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved<'a> {
    /// The environment's own tag, moved to what runs there after each successful deploy.
    Environment(&'a str),
    /// An entry of the environment's ledger.
    Entry(&'a str),
}

impl Reserved<'_> {
    /// The environment that reserves the tag.
    pub fn environment(&self) -> &str {
        match self {
            Reserved::Environment(name) | Reserved::Entry(name) => name,
        }
    }
}

/// Whether `tag` is reserved by one of `environments`: its name, or one of its entries.
/// A build that set such a tag would make an environment claim an image never deployed there.
pub fn reserved<'a>(
    environments: impl IntoIterator<Item = &'a str>,
    tag: &str,
) -> Option<Reserved<'a>> {
    environments.into_iter().find_map(|environment| {
        if tag == environment {
            Some(Reserved::Environment(environment))
        } else if is_entry(environment, tag) {
            Some(Reserved::Entry(environment))
        } else {
            None
        }
    })
}

/// Why `name` cannot name an environment, beyond the service name rule: its tags must be
/// valid, and must not collide with the ones builds and other environments set.
pub(crate) fn check_environment_name(name: &str) -> Result<(), String> {
    crate::names::check_name(name)?;
    if name.len() > MAX_ENVIRONMENT_NAME_LEN {
        return Err(format!(
            "`{name}` is longer than {MAX_ENVIRONMENT_NAME_LEN} characters, so its ledger tags \
             would pass the 128 characters a tag may have"
        ));
    }
    if name == "latest" {
        return Err(
            "`latest` is the tag builds set, and an environment's tag only moves on a successful \
             deploy"
                .into(),
        );
    }
    // Lowercase only, so no name ends like a ledger entry (`…T…Z`) of another.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn stamps_are_utc_seconds() {
        let stamp = Stamp::new(at("2026-12-05T10:15:00.999Z")).unwrap();
        assert_eq!(stamp.to_string(), "20261205T101500Z");
        assert_eq!(Stamp::parse("20261205T101500Z"), Some(stamp));
        assert_eq!(
            Stamp::new(at("2026-12-05T11:15:00+01:00")),
            Some(stamp),
            "UTC"
        );
        assert_eq!(stamp.next().unwrap().to_string(), "20261205T101501Z");
        for bad in [
            "20261205T101500",
            "20261205t101500Z",
            "2026-12-05T10:15",
            "20261305T101500Z",
            "20260230T101500Z",
            "20261205T246000Z",
            "20261205T235960Z",
            "+0261205T101500Z",
            "２0261205T101500Z",
        ] {
            assert_eq!(Stamp::parse(bad), None, "{bad}");
        }
        let year_zero = Timestamp::from_second(-62_167_219_200).unwrap();
        assert_eq!(
            Stamp::new(year_zero).unwrap().to_string(),
            "00000101T000000Z"
        );
        let before = Timestamp::from_second(-62_167_219_201).unwrap();
        assert_eq!(Stamp::new(before), None);
        // jiff's last instant is 9999-12-30T22:00:00.999999999Z.
        let last = Stamp::parse("99991230T220000Z").unwrap();
        assert_eq!(last.next(), None);
        assert_eq!(Stamp::parse("99991231T235959Z"), None);
    }

    #[test]
    fn entries_are_exactly_env_dash_stamp() {
        assert_eq!(
            entry_stamp("staging", "staging-20261205T101500Z"),
            Some("20261205T101500Z")
        );
        for not_entry in [
            "staging",
            "staging-abc1234",
            "staging-20261205T101500",
            "staging-20261205T101500Z-1",
            "staging20261205T101500Z",
            "production-20261205T101500Z",
            "stagingx-20261205T101500Z",
        ] {
            assert!(!is_entry("staging", not_entry), "{not_entry}");
        }
        // Shape alone decides, as the design's pattern says.
        assert!(is_entry("staging", "staging-99999999T999999Z"));
    }

    #[test]
    fn a_collision_takes_the_next_free_second() {
        let existing = [
            "staging-20261205T101500Z",
            "staging-20261205T101501Z",
            "staging-abc",
        ];
        let now = at("2026-12-05T10:15:00.5Z");
        let stamp = next_stamp("staging", now, existing).unwrap();
        assert_eq!(entry_tag("staging", stamp), "staging-20261205T101502Z");
        assert_eq!(
            next_stamp("production", now, existing).unwrap().to_string(),
            "20261205T101500Z"
        );
    }

    #[test]
    fn a_slow_clock_still_writes_after_the_newest_entry() {
        let existing = ["staging-20261205T101510Z", "staging-99999999T999999Z"];
        let stamp = next_stamp("staging", at("2026-12-05T10:15:00Z"), existing).unwrap();
        assert_eq!(stamp.to_string(), "20261205T101511Z");
        let end = ["staging-99991230T220000Z"];
        assert_eq!(next_stamp("staging", at("2026-12-05T10:15:00Z"), end), None);
    }

    #[test]
    fn history_keeps_the_newest_distinct_digests() {
        let tags = [
            ("staging-20261201T000000Z", "sha256:a"),
            ("staging-20261203T000000Z", "sha256:b"),
            ("staging-20261204T000000Z", "sha256:a"),
            ("staging", "sha256:a"),
            ("staging-20261202T000000Z", "sha256:c"),
            ("staging-abc", "sha256:d"),
            ("production-20261205T000000Z", "sha256:e"),
        ];
        let kept: Vec<(&str, &str)> = kept("staging", tags, 2)
            .iter()
            .map(|e| (e.tag, e.digest))
            .collect();
        assert_eq!(
            kept,
            [
                ("staging-20261204T000000Z", "sha256:a"),
                ("staging-20261203T000000Z", "sha256:b"),
            ]
        );
        assert_eq!(super::kept("staging", tags, 10).len(), 3);
        assert!(super::kept("staging", tags, 0).is_empty());
    }

    #[test]
    fn environments_reserve_their_name_and_entries() {
        let envs = ["staging", "production"];
        assert_eq!(
            reserved(envs, "staging"),
            Some(Reserved::Environment("staging"))
        );
        assert_eq!(
            reserved(envs, "production-20261205T101500Z"),
            Some(Reserved::Entry("production"))
        );
        assert_eq!(
            reserved(envs, "production-20261205T101500Z").map(|r| r.environment().to_owned()),
            Some("production".to_owned())
        );
        for free in ["staging-abc1234", "latest", "Staging", "sha-abc"] {
            assert_eq!(reserved(envs, free), None, "{free}");
        }
    }

    #[test]
    fn environment_names_make_valid_tags() {
        for good in ["staging", "production", "eu-1", "qa_2", "v2.prod"] {
            assert_eq!(check_environment_name(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("Staging", "must start"),
            ("latest", "builds set"),
            ("prod-20261205T101500Z", "uppercase"),
            ("", "empty"),
        ] {
            let err = check_environment_name(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        let long = "a".repeat(MAX_ENVIRONMENT_NAME_LEN + 1);
        assert!(check_environment_name(&long).unwrap_err().contains("128"));
        let longest = "a".repeat(MAX_ENVIRONMENT_NAME_LEN);
        assert_eq!(check_environment_name(&longest), Ok(()));
        let tag = entry_tag(&longest, Stamp::parse("20261205T101500Z").unwrap());
        assert_eq!(tag.len(), 128);
    }
}
