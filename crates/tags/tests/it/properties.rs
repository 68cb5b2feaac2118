//! Property tests: the parsers never panic on any input, and round-trip where that means
//! something.

use gantry_tags::ports::csv::{self, Comments, Dialect};
use gantry_tags::ports::handlebars::{self as template, Lookup, Scope, Value};
use gantry_tags::ports::jsregex::JsRegex;
use gantry_tags::ports::node_semver::SemVer;
use gantry_tags::ports::pep440::Pep440;
use gantry_tags::ports::{collate, moment};
use gantry_tags::{Inputs, Line, RunContext, compute, flavor, image, meta, tag};
use proptest::prelude::*;

/// Text rich in the characters the parsers treat specially.
fn tricky() -> impl Strategy<Value = String> {
    proptest::string::string_regex(r##"[a-z0-9=,"#{}'\\/\[\]()|.*+?^$~!@%& \n\r\t-]{0,40}"##)
        .unwrap()
}

struct Everything;

impl Scope for Everything {
    fn lookup(&self, name: &str) -> Lookup {
        match name {
            "f" => Lookup::Function,
            "v" => Lookup::Value(Value::Str("<v>".into())),
            _ => Lookup::Missing,
        }
    }

    fn call(&self, _: &str, params: &[Value], _: &[(String, Value)]) -> Result<Value, String> {
        Ok(Value::Number(params.len() as f64))
    }
}

fn context() -> RunContext {
    let mut context = RunContext::new(
        "push",
        "refs/tags/v1.2.3",
        "860c1904a1ce19322e91ac35af1ab07466440c37",
        "2020-01-10T00:30:00Z".parse().unwrap(),
    );
    context.default_branch = Some("main".into());
    context
}

proptest! {
    #[test]
    fn csv_never_panics(text in tricky()) {
        let _ = csv::parse(&text, Dialect::LIST);
        let _ = csv::parse(&text, Dialect::ITEM);
        let _ = csv::split_list(&text, Comments::Anywhere, true);
        let _ = csv::split_list(&text, Comments::Leading, false);
    }

    #[test]
    fn quoted_csv_round_trips(records in prop::collection::vec(prop::collection::vec(tricky(), 1..4), 1..4)) {
        let text = records
            .iter()
            .map(|fields| {
                fields
                    .iter()
                    .map(|field| format!("\"{}\"", field.replace('"', "\"\"")))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let parsed: Vec<Vec<String>> = csv::parse(&text, Dialect::ITEM)
            .unwrap()
            .into_iter()
            .map(|record| record.fields.into_iter().map(|field| field.text).collect())
            .collect();
        prop_assert_eq!(parsed, records);
    }

    #[test]
    fn kept_quoted_fields_survive_both_passes(
        fields in prop::collection::vec(r#"[a-z0-9=,"{}.\\-]{0,6}"#, 1..5)
    ) {
        let line = fields
            .iter()
            .map(|field| format!("\"{}\"", field.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(",");
        let items = csv::split_list(&line, Comments::Leading, true).unwrap();
        prop_assume!(items.len() == 1);
        let second: Vec<String> = csv::parse_fields(&items[0].text)
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|field| field.text)
            .collect();
        prop_assert_eq!(second, fields);
    }

    #[test]
    fn input_parsers_never_panic(lines in prop::collection::vec(tricky(), 0..4)) {
        let lines = Line::numbered(lines);
        let _ = tag::parse(&lines);
        let _ = flavor::parse(&lines);
        let _ = image::parse(&lines);
    }

    #[test]
    fn compute_never_panics(tags in prop::collection::vec(tricky(), 0..3), flavor in tricky()) {
        let inputs = Inputs {
            images: Line::numbered(["ghcr.io/acme/api"]),
            tags: Line::numbered(tags.iter().map(|t| format!("type=raw,value={t}"))),
            flavor: Line::numbered([flavor]),
            labels: Line::numbered(tags),
            annotations: Vec::new(),
        };
        let _ = compute(&inputs, &context());
    }

    #[test]
    fn templates_never_panic(source in tricky().prop_map(|t| format!("{{{{{t}}}}} {t}"))) {
        let _ = template::render(&source, &Everything);
    }

    #[test]
    fn moment_formats_never_panic(format in tricky(), millis in -62_000_000_000_000_i64..250_000_000_000_000) {
        let timestamp = jiff::Timestamp::from_millisecond(millis).unwrap();
        let zone = jiff::tz::db().get("Asia/Tokyo").unwrap();
        let _ = moment::format(timestamp, &zone, Some(&format));
    }

    #[test]
    fn javascript_regexes_never_panic(pattern in tricky(), flags in "[dgimsuvyx]{0,3}", text in tricky()) {
        if let Ok(regex) = JsRegex::new(&pattern, &flags) {
            let _ = regex.string_match(&text);
        }
    }

    #[test]
    fn semver_agrees_with_the_semver_crate(
        text in r"v?[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(-[0-9A-Za-z.-]{1,8})?(\+[0-9A-Za-z.-]{1,8})?"
    ) {
        let ours = SemVer::parse(&text, false);
        let theirs = semver::Version::parse(text.strip_prefix('v').unwrap_or(&text));
        prop_assert_eq!(ours.is_some(), theirs.is_ok());
        if let (Some(ours), Ok(theirs)) = (ours, theirs) {
            prop_assert_eq!((ours.major, ours.minor, ours.patch), (theirs.major, theirs.minor, theirs.patch));
            prop_assert_eq!(ours.prerelease_text("."), theirs.pre.as_str());
            prop_assert_eq!(ours.build.join("."), theirs.build.as_str());
            // Loose reading accepts every strict version and reads it the same.
            let loose = SemVer::parse(&text, true).unwrap();
            prop_assert_eq!(loose.version(), ours.version());
        }
    }

    #[test]
    fn semver_never_panics(text in tricky()) {
        let _ = SemVer::parse(&text, false);
        let _ = SemVer::parse(&text, true);
    }

    #[test]
    fn pep440_normalisation_is_idempotent(
        text in r"v?([0-9]{1,3}!)?[0-9]{1,3}(\.[0-9]{1,3}){0,3}([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]{0,2})?([-_.]?(post|rev|r)[0-9]{0,2})?([-_.]?dev[0-9]{0,2})?"
    ) {
        let version = Pep440::parse(&text);
        prop_assert!(version.is_some(), "{} is PEP 440", text);
        let normalized = version.unwrap().normalized();
        prop_assert_eq!(Pep440::parse(&normalized).map(|v| v.normalized()), Some(normalized));
    }

    #[test]
    fn pep440_never_panics(text in tricky()) {
        let _ = Pep440::parse(&text);
    }

    #[test]
    fn sanitized_tags_are_valid_and_stable(text in tricky()) {
        let tag = meta::sanitize(&text);
        prop_assert!(tag.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)));
        prop_assert_eq!(meta::sanitize(&tag), tag.clone());
    }

    #[test]
    fn locale_compare_is_antisymmetric(a in tricky(), b in tricky()) {
        prop_assert_eq!(collate::locale_compare(&a, &b), collate::locale_compare(&b, &a).reverse());
    }
}
