//! `retention`: the gantry-prune defaults (a one-rule shorthand) and `rules` per tag glob.

use super::*;
use crate::model::{Keep, RetentionRule};
use crate::raw::RawRetentionRule;

impl Checker<'_, '_> {
    pub(super) fn retention(&mut self, raw: RawRetention) -> Retention {
        Retention {
            keep_tagged: raw.keep_tagged.map(|n| n.value),
            keep_untagged: raw.keep_untagged.map(|n| n.value),
            older_than: raw.older_than.and_then(|age| self.age(age)),
            age_from: raw.age_from.unwrap_or_default(),
            protect_tags: self.globs(raw.protect_tags, paths::tag_glob),
            delete_tags: self.globs(raw.delete_tags, paths::tag_glob),
            rules: self.retention_rules(raw.rules.unwrap_or_default()),
        }
    }

    fn age(&mut self, age: Node<String>) -> Option<Age> {
        match humantime::parse_duration(&age.value) {
            Ok(duration) => Some(Age {
                text: age.value,
                duration,
            }),
            Err(e) => {
                self.error(
                    &age.at,
                    format!("`{}` is not a duration: {e}", age.value),
                    "invalid duration",
                    Some("write a number and a unit, e.g. `30d`, `12h` or `2weeks`".into()),
                );
                None
            }
        }
    }

    fn retention_rules(&mut self, raw: Vec<Node<RawRetentionRule>>) -> Vec<RetentionRule> {
        let mut rules: Vec<RetentionRule> = Vec::new();
        let mut globs: HashSet<String> = HashSet::new();
        for rule in raw {
            let errors = self.errors.len();
            let RawRetentionRule {
                tags,
                keep,
                older_than,
            } = rule.value;
            let Some(tags) = tags else {
                self.error(
                    &rule.at,
                    "a retention rule has no `tags` glob".into(),
                    "no `tags` here",
                    Some("add the tags it applies to, e.g. `tags: \"pr-*\"`".into()),
                );
                continue;
            };
            let glob = tags.value.clone();
            self.globs(Some(vec![tags.clone()]), paths::tag_glob);
            if !globs.insert(glob.clone()) {
                self.error(
                    &tags.at,
                    format!("the retention rule for `{glob}` is listed twice"),
                    "listed again",
                    Some(
                        "merge the two rules into one: a version is kept when any rule keeps it"
                            .into(),
                    ),
                );
            }
            if keep.is_none() && older_than.is_none() {
                self.error(
                    &rule.at,
                    format!("the retention rule for `{glob}` does not say what it keeps"),
                    "no `keep` or `older-than` here",
                    Some(
                        "add `keep: N` (the newest N), `keep: all`, or `older-than: 7d`; \
                         `keep: 0` makes every matching version a candidate for deletion"
                            .into(),
                    ),
                );
            }
            if let (Some(Keep::All), Some(age)) = (keep.as_ref().map(|k| k.value), &older_than) {
                self.warn(
                    &age.at,
                    format!("`older-than` has no effect in the rule for `{glob}`, which keeps all"),
                    "no effect",
                    Some("remove `older-than`, or keep a number of versions".into()),
                );
            }
            let older_than = older_than.and_then(|age| self.age(age));
            if self.errors.len() == errors {
                rules.push(RetentionRule {
                    tags: glob,
                    keep: keep.map(|k| k.value),
                    older_than,
                });
            }
        }
        rules
    }
}
