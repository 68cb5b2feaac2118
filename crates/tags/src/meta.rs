//! The computation: which tags fire, the version (`main`), the other tags (`partial`),
//! `latest`, the tag list per image, and the OCI labels and annotations.

use std::cell::RefCell;

use crate::context::RunContext;
use crate::expr::{Globals, Pep440Names, ScheduleNames, SemverNames};
use crate::flavor::{self, Flavor};
use crate::image::{self, Image};
use crate::ports::collate;
use crate::ports::handlebars::{self as template, Scope, Template};
use crate::ports::jsnum;
use crate::ports::jsregex::JsRegex;
use crate::ports::node_semver::SemVer;
use crate::ports::pep440::Pep440;
use crate::spec::{Input, InputError, Line, Located, Notice};
use crate::tag::{self, Kind, Tag};

/// The list inputs, one [`Line`] per item (after the first CSV pass).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    pub images: Vec<Line>,
    pub tags: Vec<Line>,
    pub flavor: Vec<Line>,
    pub labels: Vec<Line>,
    pub annotations: Vec<Line>,
}

/// The version: the first tag value, the other values, and whether `latest` is added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Version {
    pub main: Option<String>,
    pub partial: Vec<String>,
    pub latest: bool,
}

/// Everything computed for a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Metadata {
    /// The tag rules as parsed, in priority order (for the log).
    pub rules: Vec<String>,
    pub version: Version,
    /// Enabled image names, lower-cased, in input order.
    pub images: Vec<String>,
    /// The `latest` tag with the flavor's prefix and suffix where `onlatest` asks for them.
    pub latest_tag: String,
    /// Labels by key, sorted as metadata-action sorts them.
    pub labels: Vec<(String, String)>,
    /// Annotations by key, sorted, without level prefixes.
    pub annotations: Vec<(String, String)>,
    /// Warnings, in the order they were raised.
    pub notices: Vec<Notice>,
}

impl Metadata {
    /// The tags: for each image (or once, bare, without images) the version, the other
    /// values and `latest`. Empty without a version.
    pub fn tags(&self) -> Vec<String> {
        if self.images.is_empty() {
            return self.tag_names();
        }
        self.images
            .iter()
            .flat_map(|image| self.tags_for(Some(image)))
            .collect()
    }

    /// The tags without image names.
    pub fn tag_names(&self) -> Vec<String> {
        self.tags_for(None)
    }

    fn tags_for(&self, image: Option<&str>) -> Vec<String> {
        let Some(main) = &self.version.main else {
            return Vec::new();
        };
        let prefix = match image {
            Some(image) if !image.is_empty() => format!("{image}:"),
            _ => String::new(),
        };
        let latest = self.version.latest.then_some(&self.latest_tag);
        std::iter::once(main)
            .chain(&self.version.partial)
            .chain(latest)
            .map(|tag| format!("{prefix}{tag}"))
            .collect()
    }

    /// `key=value` lines.
    pub fn label_lines(&self) -> Vec<String> {
        key_value_lines(&self.labels)
    }

    /// `key=value` lines, without levels.
    pub fn annotation_lines(&self) -> Vec<String> {
        key_value_lines(&self.annotations)
    }

    /// `level:key=value` lines, levels as the outer loop.
    pub fn leveled_annotations(&self, levels: &[String]) -> Vec<String> {
        levels
            .iter()
            .flat_map(|level| {
                self.annotation_lines()
                    .into_iter()
                    .map(move |line| format!("{level}:{line}"))
            })
            .collect()
    }
}

fn key_value_lines(entries: &[(String, String)]) -> Vec<String> {
    entries.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// Computes the metadata of a run.
/// metadata-action's warning when no rule gave a version.
pub const NO_VERSION: &str = "No Docker image version has been generated. Check tags input.";

pub fn compute(inputs: &Inputs, context: &RunContext) -> Result<Metadata, InputError> {
    let images = image::parse(&inputs.images)?;
    let (tags, mut notices) = tag::parse(&inputs.tags)?;
    for (input, lines) in [
        (Input::Images, &inputs.images),
        (Input::Tags, &inputs.tags),
        (Input::Flavor, &inputs.flavor),
        (Input::Labels, &inputs.labels),
        (Input::Annotations, &inputs.annotations),
    ] {
        notices.extend(comment_notices(input, lines));
    }
    let flavor = flavor::parse(&inputs.flavor)?;
    let computer = Computer {
        context,
        flavor: &flavor,
        notices: RefCell::new(notices),
    };
    let version = computer.version(&tags)?;
    let labels = computer.annotations(Input::Labels, &inputs.labels, &version)?;
    let annotations = computer.annotations(Input::Annotations, &inputs.annotations, &version)?;
    if version.main.is_none() {
        computer.notice(Notice::new(NO_VERSION));
    }
    let latest_tag = sanitize(&format!(
        "{}latest{}",
        if flavor.prefix_latest {
            flavor.prefix.as_str()
        } else {
            ""
        },
        if flavor.suffix_latest {
            flavor.suffix.as_str()
        } else {
            ""
        },
    ));
    Ok(Metadata {
        rules: tags.iter().map(Tag::to_string).collect(),
        version,
        images: enabled_images(&images),
        latest_tag,
        labels,
        annotations,
        notices: computer.notices.into_inner(),
    })
}

fn enabled_images(images: &[Image]) -> Vec<String> {
    images
        .iter()
        .filter(|image| image.enable)
        .map(|image| image.name.to_lowercase())
        .collect()
}

/// A tag value as a tag: every run of characters outside `[A-Za-z0-9._-]` becomes `-`.
pub fn sanitize(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut in_run = false;
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    out
}

/// Lines that start with `#`: comments in metadata-action v5, and in v6 only without
/// indentation; an indented one is a tag rule (v6 keeps `#` when it is not first on a line).
fn comment_notices(input: Input, lines: &[Line]) -> Vec<Notice> {
    lines
        .iter()
        .filter(|line| line.text.starts_with('#'))
        .map(|line| {
            Notice::at(
                Located::new(input, line),
                "this looks like a comment, but an indented `#` is not one (metadata-action v6 \
                 rule): the line is read as an entry; start the comment at the line's first \
                 column",
            )
        })
        .collect()
}

struct Computer<'a> {
    context: &'a RunContext,
    flavor: &'a Flavor,
    notices: RefCell<Vec<Notice>>,
}

/// Where a tag attribute is, for error messages.
fn at_attribute(tag: &Tag, attribute: &str) -> Option<Located> {
    tag.located().map(|at| at.attribute(attribute))
}

impl Computer<'_> {
    fn notice(&self, notice: Notice) {
        self.notices.borrow_mut().push(notice);
    }

    fn globals(&self) -> Globals<'_> {
        Globals {
            context: self.context,
            notices: &self.notices,
        }
    }

    fn render(
        &self,
        source: &str,
        scope: &dyn Scope,
        at: Option<Located>,
    ) -> Result<String, InputError> {
        template::render(source, scope).map_err(|error| expression_error(source, &error, at))
    }

    /// metadata-action's `setGlobalExp`.
    fn global(&self, source: &str, at: Option<Located>) -> Result<String, InputError> {
        self.render(source, &self.globals(), at)
    }

    /// metadata-action's `setValue`: the tag's own prefix and suffix (even empty) win over
    /// the flavor's.
    fn with_affixes(&self, value: &str, tag: &Tag) -> Result<String, InputError> {
        let prefix = match tag.get("prefix") {
            Some(prefix) => self.global(prefix, at_attribute(tag, "prefix"))?,
            None if !self.flavor.prefix.is_empty() => self.global(&self.flavor.prefix, None)?,
            None => String::new(),
        };
        let suffix = match tag.get("suffix") {
            Some(suffix) => self.global(suffix, at_attribute(tag, "suffix"))?,
            None if !self.flavor.suffix.is_empty() => self.global(&self.flavor.suffix, None)?,
            None => String::new(),
        };
        Ok(format!("{prefix}{value}{suffix}"))
    }

    fn version(&self, tags: &[Tag]) -> Result<Version, InputError> {
        let mut version = Version::default();
        let mut latest = None;
        for tag in tags {
            let enabled = self.global(tag.attr("enable"), at_attribute(tag, "enable"))?;
            match enabled.as_str() {
                "true" => {}
                "false" => continue,
                other => {
                    let error = InputError {
                        at: at_attribute(tag, "enable"),
                        message: format!(
                            "Invalid value for enable attribute: `{other}` (it must render to \
                             `true` or `false`)"
                        ),
                        help: Some("for example `enable={{is_default_branch}}`".into()),
                    };
                    return Err(error);
                }
            }
            let Some((value, auto_latest)) = self.value(tag)? else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let value = sanitize(&value);
            match &version.main {
                None => version.main = Some(value),
                Some(main) if *main != value => version.partial.push(value),
                Some(_) => {}
            }
            latest.get_or_insert(self.flavor.latest(auto_latest));
        }
        let mut seen = Vec::new();
        version.partial.retain(|value| {
            let first = !seen.contains(value);
            seen.push(value.clone());
            first
        });
        version.latest = latest.unwrap_or(false);
        Ok(version)
    }

    /// The value a tag produces (before sanitizing) and its `latest` under `latest=auto`;
    /// `None` when the tag does not fire.
    fn value(&self, tag: &Tag) -> Result<Option<(String, bool)>, InputError> {
        let context = self.context;
        let value = |text: &str| self.with_affixes(text, tag);
        Ok(match tag.kind {
            Kind::Schedule => {
                if !context.event_name.contains("schedule") {
                    return Ok(None);
                }
                let names = ScheduleNames(self.globals());
                let rendered =
                    self.render(tag.attr("pattern"), &names, at_attribute(tag, "pattern"))?;
                Some((value(&rendered)?, false))
            }
            Kind::Semver => self.semver(tag)?,
            Kind::Pep440 => self.pep440(tag)?,
            Kind::Match => self.regex_match(tag)?,
            Kind::Ref => {
                let (fires, raw, auto_latest) = match tag.attr("event") {
                    "branch" => (context.branch(), context.branch().map(str::to_owned), false),
                    "tag" => (context.tag(), context.tag().map(str::to_owned), true),
                    _ => {
                        let pr = context.git_ref.strip_prefix("refs/pull/");
                        (
                            pr,
                            pr.map(|n| n.strip_suffix("/merge").unwrap_or(n).to_owned()),
                            false,
                        )
                    }
                };
                match (fires, raw) {
                    (Some(_), Some(raw)) => Some((value(&raw)?, auto_latest)),
                    _ => None,
                }
            }
            Kind::Edge => {
                let Some(branch) = context.branch() else {
                    return Ok(None);
                };
                let edge_branch = match tag.attr("branch") {
                    "" => match &context.default_branch {
                        Some(default) => default.as_str(),
                        None => {
                            self.notice(Notice {
                                message: "type=edge needs the default branch: pass \
                                          --default-branch or an event payload with \
                                          `repository.default_branch`, or set `branch=`"
                                    .into(),
                                at: tag.located(),
                                strict: false,
                            });
                            return Ok(None);
                        }
                    },
                    named => named,
                };
                if edge_branch != branch {
                    return Ok(None);
                }
                Some((value("edge")?, false))
            }
            Kind::Raw => {
                let raw = self.global(tag.attr("value"), at_attribute(tag, "value"))?;
                Some((value(&raw)?, false))
            }
            Kind::Sha => {
                if context.sha.is_empty() {
                    return Ok(None);
                }
                let sha = if tag.attr("format") == "short" {
                    context.short_sha().map_err(InputError::general)?
                } else {
                    context.sha.clone()
                };
                Some((value(&sha)?, false))
            }
        })
    }

    /// The raw version of a semver, pep440 or match tag: its `value` (rendered) or the tag
    /// name. `None` when the tag does not fire.
    fn raw_version(&self, tag: &Tag) -> Result<Option<String>, InputError> {
        let value = tag.attr("value");
        if !value.is_empty() {
            return self.global(value, at_attribute(tag, "value")).map(Some);
        }
        Ok(self.context.tag().map(str::to_owned))
    }

    /// The `match` attribute of semver and pep440: group 1 of the regex, or the raw value
    /// unchanged when it does not match. Then `/` becomes `-`.
    fn matched_version(&self, tag: &Tag, raw: String) -> Result<String, InputError> {
        let pattern = tag.attr("match");
        if pattern.is_empty() {
            return Ok(raw.replace('/', "-"));
        }
        let at = at_attribute(tag, "match");
        let Some(groups) = self.js_match(pattern, "", pattern, &raw, at.clone())? else {
            return Ok(raw.replace('/', "-"));
        };
        match groups.into_iter().nth(1).flatten() {
            Some(group) => Ok(group.replace('/', "-")),
            None => Err(InputError {
                at,
                message: format!("`match={pattern}` has no capture group 1 in `{raw}`"),
                help: Some(
                    "capture the version with parentheses, as in `match=v(\\d.\\d.\\d)$`".into(),
                ),
            }),
        }
    }

    /// `raw.match(new RegExp(source, flags))`; when it does not match, metadata-action's
    /// warning naming the `pattern` as written.
    fn js_match(
        &self,
        source: &str,
        flags: &str,
        pattern: &str,
        raw: &str,
        at: Option<Located>,
    ) -> Result<Option<Vec<Option<String>>>, InputError> {
        let regex = JsRegex::new(source, flags).map_err(|error| regex_error(&error, at.clone()))?;
        let found = regex.string_match(raw).map_err(|error| InputError {
            at: at.clone(),
            message: error,
            help: None,
        })?;
        if found.is_none() {
            self.notice(Notice::at_opt(
                at,
                format!("{pattern} does not match {raw}."),
            ));
        }
        Ok(found)
    }

    fn semver(&self, tag: &Tag) -> Result<Option<(String, bool)>, InputError> {
        let Some(raw) = self.raw_version(tag)? else {
            return Ok(None);
        };
        let raw = self.matched_version(tag, raw)?;
        let (Some(strict), Some(version)) = (SemVer::parse(&raw, false), SemVer::parse(&raw, true))
        else {
            self.notice(Notice::at_opt(
                tag.located(),
                format!("{raw} is not a valid semver. More info: https://semver.org/"),
            ));
            return Ok(None);
        };
        let pattern = tag.attr("pattern");
        let at = at_attribute(tag, "pattern");
        let names = SemverNames(&version);
        let prerelease = !strict.prerelease.is_empty();
        let rendered = if prerelease && !is_raw_statement(pattern) {
            self.render("{{version}}", &names, at)?
        } else {
            self.render(pattern, &names, at)?
        };
        Ok(Some((self.with_affixes(&rendered, tag)?, !prerelease)))
    }

    fn pep440(&self, tag: &Tag) -> Result<Option<(String, bool)>, InputError> {
        let Some(raw) = self.raw_version(tag)? else {
            return Ok(None);
        };
        let raw = self.matched_version(tag, raw)?;
        let Some(version) = Pep440::parse(&raw) else {
            self.notice(Notice::at_opt(
                tag.located(),
                format!(
                    "{raw} does not conform to PEP 440. More info: https://www.python.org/dev/peps/pep-0440"
                ),
            ));
            return Ok(None);
        };
        let pattern = tag.attr("pattern");
        if version.is_unstable() {
            let value = if is_raw_statement(pattern) {
                raw
            } else {
                version.normalized()
            };
            return Ok(Some((self.with_affixes(&value, tag)?, false)));
        }
        let names = Pep440Names {
            raw: &raw,
            version: &version,
        };
        let rendered = self.render(pattern, &names, at_attribute(tag, "pattern"))?;
        Ok(Some((self.with_affixes(&rendered, tag)?, true)))
    }

    fn regex_match(&self, tag: &Tag) -> Result<Option<(String, bool)>, InputError> {
        let Some(raw) = self.raw_version(tag)? else {
            return Ok(None);
        };
        let pattern = tag.attr("pattern");
        let at = at_attribute(tag, "pattern");
        // `/re/flags` is a regex with flags; anything else a regex without.
        let (source, flags) = match pattern
            .strip_prefix('/')
            .and_then(|rest| rest.rsplit_once('/'))
        {
            Some((source, flags))
                if !source.is_empty()
                    && !pattern.contains(['\n', '\r', '\u{2028}', '\u{2029}']) =>
            {
                (source, flags)
            }
            _ => (pattern, ""),
        };
        let Some(groups) = self.js_match(source, flags, pattern, &raw, at)? else {
            return Ok(None);
        };
        let group = tag.attr("group");
        let value =
            jsnum::array_index(group).and_then(|index| groups.into_iter().nth(index).flatten());
        let Some(value) = value else {
            self.notice(Notice::at_opt(
                at_attribute(tag, "group"),
                format!("Group {group} does not exist for {pattern} pattern."),
            ));
            return Ok(None);
        };
        Ok(Some((self.with_affixes(&value, tag)?, true)))
    }

    /// The base OCI keys, then the custom entries rendered; split at the first `=`, the
    /// last value of a key winning, sorted by key.
    fn annotations(
        &self,
        input: Input,
        lines: &[Line],
        version: &Version,
    ) -> Result<Vec<(String, String)>, InputError> {
        let context = self.context;
        let repository = &context.repository;
        let created = context.now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let mut entries: Vec<String> = [
            ("title", repository.name.as_str()),
            ("description", &repository.description),
            ("url", &repository.html_url),
            ("source", &repository.html_url),
            ("version", version.main.as_deref().unwrap_or_default()),
            ("created", &created),
            ("revision", &context.sha),
            ("licenses", &repository.license),
        ]
        .iter()
        .map(|(key, value)| format!("org.opencontainers.image.{key}={value}"))
        .collect();
        for line in lines {
            entries.push(self.global(&line.text, Some(Located::new(input, line)))?);
        }
        let mut map: Vec<(String, String)> = Vec::new();
        for entry in entries {
            let Some((key, value)) = entry.split_once('=') else {
                continue;
            };
            match map.iter_mut().find(|(k, _)| k == key) {
                Some(existing) => existing.1 = value.to_owned(),
                None => map.push((key.to_owned(), value.to_owned())),
            }
        }
        map.sort_by(|a, b| collate::locale_compare(&a.0, &b.0));
        Ok(map)
    }
}

/// metadata-action's `isRawStatement`: the pattern is exactly `{{raw}}`.
fn is_raw_statement(pattern: &str) -> bool {
    Template::parse(pattern).is_ok_and(|template| template.is_single_name("raw"))
}

fn expression_error(
    source: &str,
    error: &template::TemplateError,
    at: Option<Located>,
) -> InputError {
    let expression = source.get(error.span.clone()).unwrap_or(source);
    InputError {
        at,
        message: format!("in `{expression}`: {}", error.message),
        help: None,
    }
}

fn regex_error(error: &crate::ports::jsregex::JsRegexError, at: Option<Located>) -> InputError {
    InputError {
        at,
        message: error.to_string(),
        help: Some(
            "a comma inside a field splits it unless the whole line is quoted with its inner \
             quotes doubled, as in \"type=match,\"\"pattern=\\d{1,2}\"\"\"; see also \
             --keep-quoted-fields"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizing() {
        assert_eq!(sanitize("my/feature#1245"), "my-feature-1245");
        assert_eq!(sanitize("banner-#5"), "banner--5");
        assert_eq!(sanitize("a&#x3D;b"), "a-x3D-b");
        assert_eq!(sanitize("ok_1.2-3"), "ok_1.2-3");
        assert_eq!(sanitize("é"), "-");
    }
}
