//! The `flavor` input: `latest=auto|true|false`, `prefix=`, `suffix=`, and `onlatest=` for
//! the prefix or suffix named just before it on the same line.

use crate::spec::{Input, InputError, Line, Located, fields};

/// When the `latest` tag is added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Latest {
    /// Decided by the first tag that produces a value.
    #[default]
    Auto,
    Always,
    Never,
}

/// The flavor: global `latest` rule, prefix and suffix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flavor {
    pub latest: Latest,
    pub prefix: String,
    /// The prefix also goes on the `latest` tag.
    pub prefix_latest: bool,
    pub suffix: String,
    /// The suffix also goes on the `latest` tag.
    pub suffix_latest: bool,
}

impl Flavor {
    /// `latest` for a tag type whose own rule under `auto` is `auto_latest`.
    pub fn latest(&self, auto_latest: bool) -> bool {
        match self.latest {
            Latest::Auto => auto_latest,
            Latest::Always => true,
            Latest::Never => false,
        }
    }
}

/// Parses the `flavor` lines.
pub fn parse(lines: &[Line]) -> Result<Flavor, InputError> {
    let mut flavor = Flavor::default();
    for line in lines {
        let at = || Located::new(Input::Flavor, line);
        let mut onlatest_for = None;
        for field in fields(Input::Flavor, line)? {
            let mut parts = field.text.split('=').map(crate::ports::jsstring::trim);
            let key = parts.next().unwrap_or_default().to_lowercase();
            let Some(value) = parts.next() else {
                return Err(InputError::new(
                    at(),
                    format!("`{}` is not a `key=value` flavor entry", field.text),
                )
                .help("flavor entries are latest=, prefix=, suffix= and onlatest="));
            };
            match key.as_str() {
                "latest" => {
                    flavor.latest = match value {
                        "auto" => Latest::Auto,
                        "true" => Latest::Always,
                        "false" => Latest::Never,
                        _ => {
                            return Err(InputError::new(
                                at().attribute("latest"),
                                format!(
                                    "`latest` must be `auto`, `true` or `false`, not `{value}`"
                                ),
                            ));
                        }
                    }
                }
                "prefix" => {
                    flavor.prefix = value.to_owned();
                    onlatest_for = Some("prefix");
                }
                "suffix" => {
                    flavor.suffix = value.to_owned();
                    onlatest_for = Some("suffix");
                }
                "onlatest" => {
                    let on = match value {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(InputError::new(
                                at().attribute("onlatest"),
                                format!("`onlatest` must be `true` or `false`, not `{value}`"),
                            ));
                        }
                    };
                    match onlatest_for {
                        Some("prefix") => flavor.prefix_latest = on,
                        Some(_) => flavor.suffix_latest = on,
                        None => {}
                    }
                }
                _ => {
                    let mut error = InputError::new(
                        at().attribute(&key),
                        format!("unknown flavor entry `{key}`"),
                    );
                    if let Some(known) =
                        crate::spec::suggest(&key, &["latest", "prefix", "suffix", "onlatest"])
                    {
                        error = error.help(format!("did you mean `{known}`?"));
                    }
                    return Err(error);
                }
            }
        }
    }
    Ok(flavor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flavor(lines: &[&str]) -> Result<Flavor, String> {
        parse(&Line::numbered(lines.iter().copied())).map_err(|error| error.to_string())
    }

    #[test]
    fn entries() {
        assert_eq!(flavor(&[]).unwrap(), Flavor::default());
        let parsed = flavor(&["latest=false", "prefix=foo-,onlatest=true", "suffix=-dev"]).unwrap();
        assert_eq!(
            parsed,
            Flavor {
                latest: Latest::Never,
                prefix: "foo-".into(),
                prefix_latest: true,
                suffix: "-dev".into(),
                suffix_latest: false,
            }
        );
        let parsed = flavor(&["prefix=a,suffix=b,onlatest=true", "onlatest=true"]).unwrap();
        assert!(!parsed.prefix_latest && parsed.suffix_latest);
        assert_eq!(flavor(&["Prefix = x=y"]).unwrap().prefix, "x");
    }

    #[test]
    fn bad_entries_are_errors() {
        assert!(
            flavor(&["latest=yes"])
                .unwrap_err()
                .contains("`auto`, `true` or `false`")
        );
        assert!(
            flavor(&["latest"])
                .unwrap_err()
                .contains("not a `key=value`")
        );
        assert!(
            flavor(&["prefix=a,onlatest=1"])
                .unwrap_err()
                .contains("onlatest")
        );
        let error = parse(&Line::numbered(["sufix=-x"])).unwrap_err();
        assert_eq!(error.help.as_deref(), Some("did you mean `suffix`?"));
        assert_eq!(error.at.unwrap().attribute.as_deref(), Some("sufix"));
    }
}
