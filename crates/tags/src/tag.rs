//! The `tags` input: one tag rule per line, `type=<type>,<attribute>=<value>,...`.
//!
//! Parsed as metadata-action does: each field splits at its first `=` (a field without one
//! sets `value`), keys are lower-cased, `type` defaults to `raw`, and rules are sorted by
//! `priority`, highest first, with V8's sort so that even non-numeric priorities order the
//! same. Attributes a type does not use are kept and ignored, as metadata-action does, but
//! reported as warnings (errors under `--strict`).

use std::fmt;

use crate::ports::{array_sort, jsnum, jsstring};
use crate::spec::{Input, InputError, Line, Located, Notice, fields, suggest};

/// The eight tag types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Schedule,
    Semver,
    Pep440,
    Match,
    Edge,
    Ref,
    Raw,
    Sha,
}

impl Kind {
    const ALL: [Kind; 8] = [
        Kind::Schedule,
        Kind::Semver,
        Kind::Pep440,
        Kind::Match,
        Kind::Edge,
        Kind::Ref,
        Kind::Raw,
        Kind::Sha,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Schedule => "schedule",
            Kind::Semver => "semver",
            Kind::Pep440 => "pep440",
            Kind::Match => "match",
            Kind::Edge => "edge",
            Kind::Ref => "ref",
            Kind::Raw => "raw",
            Kind::Sha => "sha",
        }
    }

    fn default_priority(self) -> &'static str {
        match self {
            Kind::Schedule => "1000",
            Kind::Semver | Kind::Pep440 => "900",
            Kind::Match => "800",
            Kind::Edge => "700",
            Kind::Ref => "600",
            Kind::Raw => "200",
            Kind::Sha => "100",
        }
    }

    /// The attributes this type reads, besides `type`.
    fn attributes(self) -> &'static [&'static str] {
        match self {
            Kind::Schedule => &["pattern", "enable", "priority", "prefix", "suffix"],
            Kind::Semver | Kind::Pep440 => &[
                "pattern", "value", "match", "enable", "priority", "prefix", "suffix",
            ],
            Kind::Match => &[
                "pattern", "group", "value", "enable", "priority", "prefix", "suffix",
            ],
            Kind::Edge => &["branch", "enable", "priority", "prefix", "suffix"],
            Kind::Ref => &["event", "enable", "priority", "prefix", "suffix"],
            Kind::Raw => &["value", "enable", "priority", "prefix", "suffix"],
            Kind::Sha => &["format", "enable", "priority", "prefix", "suffix"],
        }
    }
}

/// A parsed tag rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub kind: Kind,
    /// Attributes in the order first written; a repeated key keeps its place and takes the
    /// last value, as a JavaScript object does.
    attributes: Vec<(String, String)>,
    /// The line it was written on (`None` for the default rules).
    pub line: Option<Line>,
}

impl Tag {
    /// The attribute `key`, if present (even empty).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The attribute `key`, or `""`.
    pub fn attr(&self, key: &str) -> &str {
        self.get(key).unwrap_or_default()
    }

    fn set(&mut self, key: &str, value: &str) {
        match self.attributes.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_owned(),
            None => self.attributes.push((key.to_owned(), value.to_owned())),
        }
    }

    fn set_default(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.set(key, value);
        }
    }

    /// `priority` as JavaScript's `Number` reads it (NaN when not a number).
    pub fn priority(&self) -> f64 {
        jsnum::number(self.attr("priority"))
    }

    /// Where the rule was written, for messages.
    pub fn located(&self) -> Option<Located> {
        self.line
            .as_ref()
            .map(|line| Located::new(Input::Tags, line))
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "type={}", self.kind.name())?;
        for (key, value) in &self.attributes {
            write!(f, ",{key}={value}")?;
        }
        Ok(())
    }
}

/// The rules used when `tags` is empty.
pub const DEFAULT_TAGS: [&str; 4] = [
    "type=schedule",
    "type=ref,event=branch",
    "type=ref,event=tag",
    "type=ref,event=pr",
];

/// Parses the `tags` lines (or the defaults when there are none) and sorts them by priority.
pub fn parse(lines: &[Line]) -> Result<(Vec<Tag>, Vec<Notice>), InputError> {
    let mut notices = Vec::new();
    let mut tags = Vec::new();
    if lines.is_empty() {
        for text in DEFAULT_TAGS {
            let line = Line {
                text: text.to_owned(),
                number: 0,
            };
            let mut tag = parse_line(&line, &mut notices)?;
            tag.line = None;
            tags.push(tag);
        }
    } else {
        for line in lines {
            tags.push(parse_line(line, &mut notices)?);
        }
    }
    // `Number(a) < Number(b) ? 1 : Number(a) > Number(b) ? -1 : 0`: NaN is "equal" to all.
    array_sort::sort(&mut tags, |a, b| {
        b.priority()
            .partial_cmp(&a.priority())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok((tags, notices))
}

fn parse_line(line: &Line, notices: &mut Vec<Notice>) -> Result<Tag, InputError> {
    let at = || Located::new(Input::Tags, line);
    let mut kind = None;
    let mut tag = Tag {
        kind: Kind::Raw,
        attributes: Vec::new(),
        line: Some(line.clone()),
    };
    let mut written = Vec::new();
    for field in fields(Input::Tags, line)? {
        // The first `=` that has text before it splits key and value.
        let (key, value) = match field.text.char_indices().skip(1).find(|(_, c)| *c == '=') {
            Some((at, _)) if !field.text[..at].contains('=') => {
                (Some(&field.text[..at]), &field.text[at + 1..])
            }
            _ => (None, field.text.as_str()),
        };
        let value = jsstring::trim(value);
        let key = key.map_or_else(
            || "value".to_owned(),
            |key| jsstring::trim(key).to_lowercase(),
        );
        if written.contains(&key) {
            notices.push(
                Notice::at(
                    at().attribute(&key),
                    format!("`{key}` is given more than once; the last value is used"),
                )
                .strict(),
            );
        }
        written.push(key.clone());
        if key == "type" {
            kind = Some(
                Kind::ALL
                    .into_iter()
                    .find(|kind| kind.name() == value)
                    .ok_or_else(|| unknown_type(at(), value))?,
            );
        } else {
            tag.set(&key, value);
        }
    }
    tag.kind = kind.unwrap_or(Kind::Raw);
    let missing = |attribute: &str| {
        InputError::new(
            at().attribute(attribute),
            format!("type={} needs `{attribute}=`", tag.kind.name()),
        )
    };
    match tag.kind {
        Kind::Schedule => tag.set_default("pattern", "nightly"),
        Kind::Semver | Kind::Pep440 => {
            if tag.get("pattern").is_none() {
                return Err(missing("pattern").help("for example `pattern={{version}}`"));
            }
            tag.set_default("value", "");
            tag.set_default("match", "");
        }
        Kind::Match => {
            if tag.get("pattern").is_none() {
                return Err(missing("pattern").help("for example `pattern=\\d+.\\d+`"));
            }
            tag.set_default("group", "0");
            if jsnum::number(tag.attr("group")).is_nan() {
                return Err(InputError::new(
                    at().attribute("group"),
                    format!("`group` must be a number, not `{}`", tag.attr("group")),
                ));
            }
            tag.set_default("value", "");
        }
        Kind::Edge => tag.set_default("branch", ""),
        Kind::Ref => {
            let Some(event) = tag.get("event") else {
                return Err(missing("event").help("`event=branch`, `event=tag` or `event=pr`"));
            };
            if !matches!(event, "branch" | "tag" | "pr") {
                return Err(InputError::new(
                    at().attribute("event"),
                    format!("`event` must be `branch`, `tag` or `pr`, not `{event}`"),
                ));
            }
            if event == "pr" {
                tag.set_default("prefix", "pr-");
            }
        }
        Kind::Raw => {
            if tag.get("value").is_none() {
                return Err(missing("value").help("for example `type=raw,value=latest`"));
            }
        }
        Kind::Sha => {
            tag.set_default("prefix", "sha-");
            tag.set_default("format", "short");
            if !matches!(tag.attr("format"), "short" | "long") {
                return Err(InputError::new(
                    at().attribute("format"),
                    format!(
                        "`format` must be `short` or `long`, not `{}`",
                        tag.attr("format")
                    ),
                ));
            }
        }
    }
    tag.set_default("enable", "true");
    tag.set_default("priority", tag.kind.default_priority());
    notices.extend(unused_attribute_notices(&tag, &written, &at));
    if tag.priority().is_nan() {
        notices.push(
            Notice::at(
                at().attribute("priority"),
                format!(
                    "`priority={}` is not a number, so this rule sorts unpredictably",
                    tag.attr("priority")
                ),
            )
            .strict(),
        );
    }
    Ok(tag)
}

fn unknown_type(at: Located, value: &str) -> InputError {
    let names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
    let error = InputError::new(at.attribute("type"), format!("unknown tag type `{value}`"));
    match suggest(value, &names) {
        Some(known) => error.help(format!("did you mean `type={known}`?")),
        None => error.help(format!("the types are {}", names.join(", "))),
    }
}

/// Attributes written on the line that the tag's type never reads.
fn unused_attribute_notices(
    tag: &Tag,
    written: &[String],
    at: &dyn Fn() -> Located,
) -> Vec<Notice> {
    let known = tag.kind.attributes();
    let mut seen = Vec::new();
    written
        .iter()
        .filter(|key| *key != "type" && !known.contains(&key.as_str()))
        .filter(|key| {
            let first = !seen.contains(key);
            seen.push(*key);
            first
        })
        .map(|key| {
            let mut message = if key == "value" {
                format!(
                    "type={} takes no value, so `{}` is ignored (as docker/metadata-action does)",
                    tag.kind.name(),
                    tag.attr("value")
                )
            } else {
                format!(
                    "`{key}` is not an attribute of type={} and is ignored (as docker/metadata-action does)",
                    tag.kind.name()
                )
            };
            if let Some(known) = suggest(key, known) {
                message.push_str(&format!("; did you mean `{known}`?"));
            }
            Notice::at(at().attribute(key), message).strict()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(lines: &[&str]) -> Vec<String> {
        parse(&Line::numbered(lines.iter().copied()))
            .unwrap()
            .0
            .iter()
            .map(Tag::to_string)
            .collect()
    }

    fn error(line: &str) -> InputError {
        parse(&Line::numbered([line])).unwrap_err()
    }

    fn notices(line: &str) -> Vec<String> {
        parse(&Line::numbered([line]))
            .unwrap()
            .1
            .iter()
            .map(|notice| notice.message.clone())
            .collect()
    }

    #[test]
    fn defaults_and_sorting() {
        assert_eq!(
            rules(&[]),
            [
                "type=schedule,pattern=nightly,enable=true,priority=1000",
                "type=ref,event=branch,enable=true,priority=600",
                "type=ref,event=tag,enable=true,priority=600",
                "type=ref,event=pr,prefix=pr-,enable=true,priority=600",
            ]
        );
        assert_eq!(
            rules(&[
                "type=sha",
                "foo",
                "type=semver,pattern={{version}}",
                "type=raw,bar,priority=2000"
            ]),
            [
                "type=raw,value=bar,priority=2000,enable=true",
                "type=semver,pattern={{version}},value=,match=,enable=true,priority=900",
                "type=raw,value=foo,enable=true,priority=200",
                "type=sha,prefix=sha-,format=short,enable=true,priority=100",
            ]
        );
    }

    #[test]
    fn fields_split_at_the_first_equals_with_text_before_it() {
        assert_eq!(
            rules(&["type=raw,value=a=b", "=x", " Value = y "]),
            [
                "type=raw,value=a=b,enable=true,priority=200",
                "type=raw,value==x,enable=true,priority=200",
                "type=raw,value=y,enable=true,priority=200",
            ]
        );
        assert_eq!(
            rules(&["type=match,\"pattern=\\d{1,2}\""]),
            ["type=match,pattern=\\d{1,2},group=0,value=,enable=true,priority=800"]
        );
        assert_eq!(
            rules(&["type=raw,value=foo,"]),
            ["type=raw,value=,enable=true,priority=200"],
            "a trailing comma is an empty bare value"
        );
    }

    #[test]
    fn invalid_rules_are_located_errors() {
        let unknown = error("type=semvr,pattern={{version}}");
        assert_eq!(unknown.message, "unknown tag type `semvr`");
        assert_eq!(unknown.help.as_deref(), Some("did you mean `type=semver`?"));
        let at = unknown.at.unwrap();
        assert_eq!(at.attribute.as_deref(), Some("type"));
        assert_eq!(at.line, 1);
        assert_eq!(error("type=Raw,value=x").message, "unknown tag type `Raw`");
        assert_eq!(error("type=semver").message, "type=semver needs `pattern=`");
        assert_eq!(error("type=match").message, "type=match needs `pattern=`");
        assert_eq!(error("type=ref").message, "type=ref needs `event=`");
        assert_eq!(error("type=raw").message, "type=raw needs `value=`");
        assert!(
            error("type=ref,event=push")
                .message
                .contains("`branch`, `tag` or `pr`")
        );
        assert!(
            error("type=sha,format=medium")
                .message
                .contains("`short` or `long`")
        );
        assert!(
            error("type=match,pattern=x,group=one")
                .message
                .contains("number")
        );
        assert!(error("type=raw,value=a\"b").message.contains("quote"));
    }

    #[test]
    fn ignored_attributes_are_strict_warnings() {
        assert_eq!(
            notices("type=raw,value=latest,event=branch"),
            [
                "`event` is not an attribute of type=raw and is ignored (as docker/metadata-action does)"
            ]
        );
        assert_eq!(
            notices("type=ref,evnt=branch,event=tag"),
            [
                "`evnt` is not an attribute of type=ref and is ignored (as docker/metadata-action does); did you mean `event`?"
            ]
        );
        assert_eq!(
            notices("type=sha,long"),
            ["type=sha takes no value, so `long` is ignored (as docker/metadata-action does)"]
        );
        assert_eq!(
            notices("type=raw,value=a,value=b"),
            ["`value` is given more than once; the last value is used"]
        );
        let (_, notices) = parse(&Line::numbered(["type=raw,value=a,priority=high"])).unwrap();
        assert!(notices[0].strict && notices[0].message.contains("not a number"));
        assert!(self::notices("type=ref,event=pr,prefix=").is_empty());
    }

    #[test]
    fn non_numeric_priorities_sort_as_v8_does() {
        // V8: [a(NaN), b(100), c(300)] → first run [a, b] (b vs a is "equal"), then c is
        // inserted by binary search against b: before b, and against a: after a.
        assert_eq!(
            rules(&[
                "type=raw,a,priority=x",
                "type=raw,b,priority=100",
                "type=raw,c,priority=300"
            ]),
            [
                "type=raw,value=a,priority=x,enable=true",
                "type=raw,value=c,priority=300,enable=true",
                "type=raw,value=b,priority=100,enable=true",
            ]
        );
    }

    #[test]
    fn sixty_four_rules_with_nan_priorities_do_not_panic() {
        let lines: Vec<String> = (0..70)
            .map(|n| {
                format!(
                    "type=raw,value=v{n},priority={}",
                    if n % 2 == 0 { "x" } else { "5" }
                )
            })
            .collect();
        let parsed = parse(&Line::numbered(lines)).unwrap().0;
        assert_eq!(parsed.len(), 70);
    }
}
