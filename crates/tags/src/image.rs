//! The `images` input: `name` or `name=<n>,enable=true|false` per line, or the legacy form,
//! one line of comma-separated names.

use crate::spec::{Input, InputError, Line, Located, fields};

/// An image name and whether it gets tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// As written; lower-cased when tags are built.
    pub name: String,
    pub enable: bool,
}

/// Parses the `images` lines.
pub fn parse(lines: &[Line]) -> Result<Vec<Image>, InputError> {
    if let [line] = lines {
        let names: Vec<String> = fields(Input::Images, line)?
            .into_iter()
            .map(|field| field.text)
            .collect();
        if names.iter().all(|name| !name.contains('=')) {
            return Ok(names
                .into_iter()
                .map(|name| Image {
                    name: crate::ports::jsstring::trim(&name).to_owned(),
                    enable: true,
                })
                .collect());
        }
    }
    lines.iter().map(parse_line).collect()
}

fn parse_line(line: &Line) -> Result<Image, InputError> {
    let at = || Located::new(Input::Images, line);
    let mut image = Image {
        name: String::new(),
        enable: true,
    };
    for field in fields(Input::Images, line)? {
        let mut parts = field.text.split('=').map(crate::ports::jsstring::trim);
        let key = parts.next().unwrap_or_default();
        let Some(value) = parts.next() else {
            image.name = key.to_owned();
            continue;
        };
        match key.to_lowercase().as_str() {
            "name" => image.name = value.to_owned(),
            "enable" => {
                image.enable = match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(InputError::new(
                            at().attribute("enable"),
                            format!("`enable` must be `true` or `false`, not `{value}`"),
                        ));
                    }
                }
            }
            other => {
                let error = InputError::new(
                    at().attribute(other),
                    format!("unknown image attribute `{other}`"),
                );
                return Err(error.help("an image line takes `name=` and `enable=`"));
            }
        }
    }
    if image.name.is_empty() {
        return Err(InputError::new(at(), "the image name is empty")
            .help("write the name alone (`ghcr.io/acme/api`) or as `name=ghcr.io/acme/api`"));
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(lines: &[&str]) -> Result<Vec<(String, bool)>, String> {
        parse(&Line::numbered(lines.iter().copied()))
            .map(|images| images.into_iter().map(|i| (i.name, i.enable)).collect())
            .map_err(|error| error.to_string())
    }

    #[test]
    fn legacy_and_per_line_forms() {
        assert_eq!(
            images(&["org/app, ghcr.io/user/app"]).unwrap(),
            [("org/app".into(), true), ("ghcr.io/user/app".into(), true)]
        );
        assert_eq!(
            images(&["org/app", "name=ghcr.io/User/App,enable=false"]).unwrap(),
            [("org/app".into(), true), ("ghcr.io/User/App".into(), false)]
        );
        assert_eq!(
            images(&["name=a=b"]).unwrap(),
            [("a".into(), true)],
            "values are cut at a second `=`"
        );
    }

    #[test]
    fn bad_lines_are_errors() {
        assert_eq!(
            images(&["org/app,enable=yes"]).unwrap_err(),
            "images line 1 (`org/app,enable=yes`): `enable` must be `true` or `false`, not `yes`"
        );
        assert!(
            images(&["org/app,tag=x"])
                .unwrap_err()
                .contains("unknown image attribute `tag`")
        );
        assert!(images(&["enable=true"]).unwrap_err().contains("empty"));
        assert!(images(&["a\"b"]).unwrap_err().contains("quote"));
    }
}
