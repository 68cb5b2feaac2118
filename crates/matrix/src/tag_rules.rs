//! The manifest's tag rules (`tags`, top-level and per service), read with gantry-tags' own
//! parser when the plan is made: a bad rule stops the workflow at gantry-matrix, located in
//! gantry.yml, instead of failing first inside every build job's gantry-tags step.

use gantry_manifest::Loaded;
use gantry_tags::error::TagsError;
use gantry_tags::ports::csv::{Comments, ListItem, split_list};
use gantry_tags::tag::{Kind, Tag};
use gantry_tags::{Input, InputError, Line, Located, ManifestSource, input_report};

/// The rules of the `tags` value `spec`, written from manifest line `line`, or the first
/// problem, located in the manifest `text`.
fn parse(
    loaded: &Loaded,
    spec: &str,
    line: Option<usize>,
    text: &str,
) -> Result<Vec<Tag>, TagsError> {
    // Only an error needs the manifest's text, so it is copied only then.
    let report = |error: InputError| {
        let source = line.map(|first_line| ManifestSource {
            path: loaded.path.display().to_string(),
            text: text.to_owned(),
            first_line,
            spec: spec.to_owned(),
        });
        input_report(error, source.as_ref())
    };
    let items = split_list(spec.trim(), Comments::Leading, false).map_err(|error| {
        let line = Line {
            text: spec
                .trim()
                .lines()
                .nth(error.line.saturating_sub(1))
                .unwrap_or_default()
                .trim()
                .to_owned(),
            number: error.line,
        };
        report(InputError::new(
            Located::new(Input::Tags, &line),
            error.to_string(),
        ))
    })?;
    // Each item keeps the line of the rules it was written on.
    let lines: Vec<Line> = items
        .into_iter()
        .map(|ListItem { text, line, .. }| Line { text, number: line })
        .collect();
    let (tags, _) = gantry_tags::tag::parse(&lines).map_err(report)?;
    Ok(tags)
}

/// The tag that `type=sha` rules give a commit, as the text around its SHA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShaTag {
    pub prefix: String,
    pub suffix: String,
}

impl ShaTag {
    /// The commit (7 to 64 hexadecimal digits) `tag` names, if it is one of these tags.
    pub fn commit<'t>(&self, tag: &'t str) -> Option<&'t str> {
        let hex = tag.strip_prefix(&self.prefix)?.strip_suffix(&self.suffix)?;
        (hex.len() >= 7 && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(hex)
    }
}

/// Reads every tag rule of the manifest (the first bad one is the error), and returns for
/// each service (in manifest order) the `type=sha` tags its rules give images: those of its
/// `tags`, else of the top-level ones. None when the rules have no `type=sha` rule (gantry-tags
/// then pushes no tag naming the commit), or only ones with a template the commit cannot be
/// read back from.
pub fn sha_tags(loaded: &Loaded) -> Result<Vec<Vec<ShaTag>>, TagsError> {
    let manifest = &loaded.manifest;
    let has_rules = manifest.tags.is_some() || manifest.services().any(|s| s.tags.is_some());
    // Reread for the places of errors only when there are rules to read.
    let text = if has_rules {
        std::fs::read_to_string(&loaded.path).unwrap_or_default()
    } else {
        String::new()
    };
    let parse_spec = |spec: &str, line| {
        let rules = parse(loaded, spec, line, &text)?;
        let tags: Vec<ShaTag> = rules
            .iter()
            .filter(|rule| rule.kind == Kind::Sha)
            .map(|rule| ShaTag {
                prefix: rule.attr("prefix").to_owned(),
                suffix: rule.attr("suffix").to_owned(),
            })
            .filter(|tag| !format!("{}{}", tag.prefix, tag.suffix).contains("{{"))
            .collect();
        Ok::<_, TagsError>(tags)
    };
    let top = match manifest.tags.as_deref() {
        Some(spec) => parse_spec(spec, manifest.tags_line)?,
        None => Vec::new(),
    };
    manifest
        .services()
        .map(|service| match service.tags.as_deref() {
            Some(spec) => parse_spec(spec, service.tags_line),
            None => Ok(top.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_tags_name_their_commit() {
        let default = ShaTag {
            prefix: "sha-".into(),
            suffix: String::new(),
        };
        assert_eq!(default.commit("sha-1a2b3c4"), Some("1a2b3c4"));
        assert_eq!(
            default.commit(&format!("sha-{}", "a".repeat(40))),
            Some(&*"a".repeat(40))
        );
        assert_eq!(default.commit("sha-1a2b3c"), None, "too short");
        assert_eq!(default.commit("sha-1a2b3cz"), None);
        assert_eq!(default.commit("latest"), None);
        let staging = ShaTag {
            prefix: "staging-".into(),
            suffix: "-amd64".into(),
        };
        assert_eq!(staging.commit("staging-1a2b3c4-amd64"), Some("1a2b3c4"));
        assert_eq!(staging.commit("staging-1a2b3c4"), None);
    }
}
