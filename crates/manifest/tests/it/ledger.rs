//! Ledger naming, against independent oracles: a glob for what an entry is, jiff for
//! the calendar, and plain sorting for the history.

use std::collections::HashSet;

use gantry_manifest::ledger::{self, Stamp};
use jiff::Timestamp;
use proptest::prelude::*;

/// Seconds from 0000-01-01T00:00:00Z to jiff's last second.
fn any_second() -> impl Strategy<Value = i64> {
    -62_167_219_200i64..=253_402_207_200
}

fn environment() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._-]{0,12}"
}

/// Tags that are entries, near misses, or anything.
fn tag(environment: String) -> impl Strategy<Value = String> {
    let env = environment.clone();
    let near = environment.clone();
    prop_oneof![
        "[0-9]{8}T[0-9]{6}Z".prop_map(move |stamp| format!("{env}-{stamp}")),
        // A stamp with one character changed, dropped or added.
        (
            "[0-9]{8}T[0-9]{6}Z",
            0usize..17,
            "[0-9TZtz:x-]?",
            any::<bool>()
        )
            .prop_map(move |(stamp, at, with, insert)| {
                let mut chars: Vec<String> = stamp.chars().map(String::from).collect();
                match (insert, at < chars.len()) {
                    (true, _) => chars.insert(at.min(chars.len()), with),
                    (false, true) => chars[at] = with,
                    (false, false) => chars.push(with),
                }
                format!("{near}-{}", chars.concat())
            }),
        ("[-0-9TZt:+.]{0,18}", Just(environment.clone()))
            .prop_map(|(tail, env)| format!("{env}-{tail}")),
        ("[a-z0-9._-]{0,4}", "[0-9]{8}T[0-9]{6}Z")
            .prop_map(|(env, stamp)| format!("{env}-{stamp}")),
        "[A-Za-z0-9_][A-Za-z0-9._-]{0,30}",
    ]
}

proptest! {
    #[test]
    fn stamps_read_back_and_order_like_time(a in any_second(), b in any_second(), nanos in 0i32..1_000_000_000) {
        let at = Timestamp::new(a, nanos).unwrap();
        let stamp = Stamp::new(at).unwrap();
        let text = stamp.to_string();
        prop_assert_eq!(text.len(), ledger::STAMP_LEN);
        prop_assert_eq!(Stamp::parse(&text), Some(stamp));
        prop_assert_eq!(stamp.timestamp().as_second(), a);
        // jiff's own formatter agrees on the calendar.
        let expected = at.strftime("%Y%m%dT%H%M%SZ").to_string();
        prop_assert_eq!(&text, &expected);
        // Text order is time order, which is what ranks entries.
        let other = Stamp::new(Timestamp::from_second(b).unwrap()).unwrap();
        prop_assert_eq!(text.cmp(&other.to_string()), stamp.cmp(&other));
    }

    #[test]
    fn an_entry_is_exactly_env_dash_stamp(
        (environment, tags) in environment().prop_flat_map(|env| (Just(env.clone()), prop::collection::vec(tag(env), 1..8))),
        other in tag("staging".into()),
    ) {
        // `^{env}-\d{8}T\d{6}Z$` as a glob: globset's own engine decides.
        let digits = |n| "[0-9]".repeat(n);
        let pattern = globset::GlobBuilder::new(&format!(
            "{}-{}T{}Z",
            globset::escape(&environment),
            digits(8),
            digits(6)
        ))
        .literal_separator(true)
        .build()
        .unwrap()
        .compile_matcher();
        for tag in tags.iter().chain([&other, &format!("{environment}-20261205T101500Z")]) {
            let expected = pattern.is_match(tag);
            prop_assert_eq!(ledger::is_entry(&environment, tag), expected, "{}", tag);
            if let Some(stamp) = ledger::entry_stamp(&environment, tag) {
                prop_assert_eq!(format!("{environment}-{stamp}"), tag.clone());
            }
        }
    }

    #[test]
    fn a_new_entry_is_free_after_the_newest_and_as_early_as_it_can_be(
        now in 1_700_000_000i64..1_700_000_100,
        taken in prop::collection::btree_set(1_699_999_990i64..1_700_000_110, 0..30),
        noise in prop::collection::vec(tag("staging".into()), 0..5),
    ) {
        let stamp_at = |second: i64| Stamp::new(Timestamp::from_second(second).unwrap()).unwrap();
        let mut existing: Vec<String> = taken.iter().map(|s| ledger::entry_tag("staging", stamp_at(*s))).collect();
        existing.extend(noise);
        let at = Timestamp::new(now, 999_999_999).unwrap();
        let stamp = ledger::next_stamp("staging", at, existing.iter().map(String::as_str)).unwrap();
        let tag = ledger::entry_tag("staging", stamp);
        prop_assert!(!existing.contains(&tag), "{} is taken", tag);
        prop_assert!(ledger::is_entry("staging", &tag));
        let newest = existing.iter()
            .filter_map(|t| ledger::entry_stamp("staging", t))
            .filter_map(Stamp::parse)
            .max();
        let lower = match newest {
            Some(newest) => newest.timestamp().as_second().max(now - 1) + 1,
            None => now,
        }.max(now);
        let chosen = stamp.timestamp().as_second();
        prop_assert!(chosen >= lower);
        // Every second from the lower bound up to the chosen one is taken.
        let taken_tags: HashSet<&str> = existing.iter().map(String::as_str).collect();
        for second in lower..chosen {
            prop_assert!(taken_tags.contains(ledger::entry_tag("staging", stamp_at(second)).as_str()));
        }
    }

    #[test]
    fn history_keeps_the_newest_distinct_digests(
        entries in prop::collection::btree_map(0u32..200, 0u8..6, 0..40),
        noise in prop::collection::vec(("[a-z]{1,8}", 0u8..6), 0..6),
        history in 0usize..8,
    ) {
        let stamp_of = |n: u32| Stamp::new(Timestamp::from_second(1_700_000_000 + i64::from(n) * 3600).unwrap()).unwrap();
        let mut pairs: Vec<(String, String)> = entries.iter()
            .map(|(n, d)| (ledger::entry_tag("staging", stamp_of(*n)), format!("sha256:{d}")))
            .collect();
        pairs.extend(noise.iter().map(|(t, d)| (format!("staging-{t}"), format!("sha256:{d}"))));
        pairs.push(("staging".into(), "sha256:9".into()));
        pairs.reverse();
        let kept = ledger::kept("staging", pairs.iter().map(|(t, d)| (t.as_str(), d.as_str())), history);

        // Oracle: newest first, the first entry of each digest, the first `history` of those.
        let mut newest_first: Vec<(u32, u8)> = entries.iter().map(|(n, d)| (*n, *d)).collect();
        newest_first.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        let mut expected: Vec<(String, String)> = Vec::new();
        for (n, d) in newest_first {
            let digest = format!("sha256:{d}");
            if expected.len() < history && !expected.iter().any(|(_, known)| *known == digest) {
                expected.push((ledger::entry_tag("staging", stamp_of(n)), digest));
            }
        }
        let got: Vec<(String, String)> = kept.iter().map(|e| (e.tag.to_owned(), e.digest.to_owned())).collect();
        prop_assert_eq!(got, expected);
    }
}
