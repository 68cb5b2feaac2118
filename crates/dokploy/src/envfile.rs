//! Editing one variable in a Dokploy compose env (`KEY=value` lines, as a `.env` file).
//!
//! Only the value of the variable's effective definition (the last one) changes; every other
//! byte stays: comments, other lines, CRLF line ends, `export` prefixes, the quotes around the
//! value. A missing variable is appended as a new line in the env's line-ending style.
//! [`restore`] undoes [`set`] exactly.

/// What the variable was before [`set`]: needed to [`restore`] it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// The variable was not defined; [`set`] appended a line.
    Absent,
    /// The value as written, quotes included.
    Raw(String),
}

impl Previous {
    /// The value without its quotes; `None` when it was absent.
    pub fn value(&self) -> Option<&str> {
        match self {
            Previous::Absent => None,
            Previous::Raw(raw) => Some(unquote(raw)),
        }
    }
}

/// The value of `var` (its last definition), without quotes.
pub fn get<'e>(env: &'e str, var: &str) -> Option<&'e str> {
    find(env, var).map(|definition| unquote(&env[definition.value.clone()]))
}

/// `env` with `var` set to `value` (written in the quotes the old value had, if any), and
/// what it was before.
pub fn set(env: &str, var: &str, value: &str) -> (String, Previous) {
    match find(env, var) {
        Some(definition) => {
            let raw = &env[definition.value.clone()];
            let written = match quote_of(raw) {
                Some(quote) => format!("{quote}{value}{quote}"),
                None => value.to_owned(),
            };
            (
                splice(env, definition.value.clone(), &written),
                Previous::Raw(raw.to_owned()),
            )
        }
        None => {
            let newline = if env.contains("\r\n") { "\r\n" } else { "\n" };
            let line = format!("{var}={value}");
            let edited = if env.is_empty() {
                line
            } else if env.ends_with('\n') {
                format!("{env}{line}{newline}")
            } else {
                format!("{env}{newline}{line}")
            };
            (edited, Previous::Absent)
        }
    }
}

/// `env` with `var` put back as it was before [`set`]: its old value, or no line at all.
pub fn restore(env: &str, var: &str, previous: &Previous) -> String {
    let Some(definition) = find(env, var) else {
        return env.to_owned();
    };
    match previous {
        Previous::Raw(raw) => splice(env, definition.value, raw),
        Previous::Absent
            if env[definition.line.clone()].ends_with('\n') || definition.line.start == 0 =>
        {
            // Drop the line with its line end (or the only line there is).
            splice(env, definition.line, "")
        }
        Previous::Absent => {
            // The last line had no line end: drop the one before it instead.
            let before = &env[..definition.line.start];
            let cut = before
                .strip_suffix("\r\n")
                .or_else(|| before.strip_suffix('\n'))
                .map_or(definition.line.start, str::len);
            splice(env, cut..env.len(), "")
        }
    }
}

/// Where a definition sits: the whole line (with its line end) and the value.
struct Definition {
    line: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

fn find(env: &str, var: &str) -> Option<Definition> {
    let mut found = None;
    let mut start = 0;
    for line in env.split_inclusive('\n') {
        let end = start + line.len();
        let content = line.strip_suffix('\n').unwrap_or(line);
        let content = content.strip_suffix('\r').unwrap_or(content);
        if let Some(value) = value_span(content, var) {
            found = Some(Definition {
                line: start..end,
                value: start + value.start..start + value.end,
            });
        }
        start = end;
    }
    found
}

/// The span of the value in `line` when it defines `var`: `[export ]VAR[ ]=[ ]value[ # comment]`.
fn value_span(line: &str, var: &str) -> Option<std::ops::Range<usize>> {
    let trimmed = line.trim_start();
    let mut rest = trimmed;
    if let Some(after) = rest.strip_prefix("export")
        && after.starts_with([' ', '\t'])
    {
        rest = after.trim_start();
    }
    let rest = rest.strip_prefix(var)?;
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix('=')?;
    let after_equals = line.len() - rest.len();
    let value = rest.trim_start_matches([' ', '\t']);
    let start = line.len() - value.len();
    let length = match quote_of(value) {
        // Up to the closing quote; an unclosed quote runs to the end of the line.
        Some(quote) => value[1..]
            .char_indices()
            .find(|&(index, c)| c == quote && !is_escaped(&value[1..], index))
            .map_or(value.len(), |(index, _)| index + 2),
        None => {
            let comment = value
                .char_indices()
                .find(|&(index, c)| {
                    c == '#' && (index == 0 || value[..index].ends_with([' ', '\t']))
                })
                .map_or(value.len(), |(index, _)| index);
            let length = value[..comment].trim_end().len();
            if length == 0 {
                // An empty value sits right after `=`, before any blanks and comment.
                return Some(after_equals..after_equals);
            }
            length
        }
    };
    Some(start..start + length)
}

fn is_escaped(text: &str, index: usize) -> bool {
    text[..index]
        .chars()
        .rev()
        .take_while(|&c| c == '\\')
        .count()
        % 2
        == 1
}

fn quote_of(raw: &str) -> Option<char> {
    raw.chars().next().filter(|c| matches!(c, '"' | '\'' | '`'))
}

fn unquote(raw: &str) -> &str {
    match quote_of(raw) {
        Some(quote) if raw.len() >= 2 && raw.ends_with(quote) => &raw[1..raw.len() - 1],
        _ => raw,
    }
}

fn splice(text: &str, range: std::ops::Range<usize>, with: &str) -> String {
    let mut edited = String::with_capacity(text.len() + with.len());
    edited.push_str(&text[..range.start]);
    edited.push_str(with);
    edited.push_str(&text[range.end..]);
    edited
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn replaces_only_the_value_of_the_last_definition() {
        let env = "# tags\r\nAPI_IMAGE_TAG=old # pinned\r\nDB_PASSWORD=\"s3cret\"\r\nexport  API_IMAGE_TAG = \"v1\"\r\nOTHER=1";
        let (edited, previous) = set(env, "API_IMAGE_TAG", "sha-abc");
        assert_eq!(
            edited,
            "# tags\r\nAPI_IMAGE_TAG=old # pinned\r\nDB_PASSWORD=\"s3cret\"\r\nexport  API_IMAGE_TAG = \"sha-abc\"\r\nOTHER=1"
        );
        assert_eq!(previous, Previous::Raw("\"v1\"".into()));
        assert_eq!(previous.value(), Some("v1"));
        assert_eq!(get(&edited, "API_IMAGE_TAG"), Some("sha-abc"));
        assert_eq!(restore(&edited, "API_IMAGE_TAG", &previous), env);
    }

    #[test]
    fn keeps_inline_comments_and_needs_the_whole_name() {
        let env = "IMAGE_TAG_OLD=x\nIMAGE_TAG=v1   # current\n#IMAGE_TAG=v0\n";
        let (edited, previous) = set(env, "IMAGE_TAG", "v2");
        assert_eq!(
            edited,
            "IMAGE_TAG_OLD=x\nIMAGE_TAG=v2   # current\n#IMAGE_TAG=v0\n"
        );
        assert_eq!(previous.value(), Some("v1"));
        assert_eq!(get("A=b#c", "A"), Some("b#c"));
        assert_eq!(get("A=", "A"), Some(""));
        assert_eq!(get("A='x y' # c", "A"), Some("x y"));
        assert_eq!(get("A=\"a\\\"b\" # c", "A"), Some("a\\\"b"));
    }

    #[test]
    fn appends_a_missing_variable_in_the_env_style_and_removes_it_again() {
        for (env, expected) in [
            ("", "TAG=v1"),
            ("A=1", "A=1\nTAG=v1"),
            ("A=1\n", "A=1\nTAG=v1\n"),
            ("A=1\r\nB=2\r\n", "A=1\r\nB=2\r\nTAG=v1\r\n"),
            ("A=1\r\nB=2", "A=1\r\nB=2\r\nTAG=v1"),
        ] {
            let (edited, previous) = set(env, "TAG", "v1");
            assert_eq!(edited, expected, "{env:?}");
            assert_eq!(previous, Previous::Absent);
            assert_eq!(restore(&edited, "TAG", &previous), env, "{env:?}");
        }
    }

    /// Lines an env may hold, the edited variable among them.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Z_]{1,8}=[a-z0-9 #\"'=]{0,12}",
            "# ?[ -~]{0,20}",
            "export TAG=[a-z0-9.]{0,8}",
            "TAG ?= ?[\"']?[a-z0-9:.-]{0,10}[\"']?( # [a-z]{1,5})?",
            "[ -~]{0,16}",
            Just(String::new()),
        ]
    }

    proptest! {
        #[test]
        fn set_then_restore_is_the_identity_and_touches_one_value(
            lines in proptest::collection::vec((line(), prop_oneof![Just("\n"), Just("\r\n")]), 0..8),
            trailing in any::<bool>(),
            value in "[a-zA-Z0-9_.-]{1,20}(@sha256:[0-9a-f]{8})?",
        ) {
            let mut env: String = lines.iter().map(|(line, end)| format!("{line}{end}")).collect();
            if !trailing && env.ends_with('\n') {
                env.truncate(env.trim_end_matches(['\r', '\n']).len());
            }
            let (edited, previous) = set(&env, "TAG", &value);
            prop_assert_eq!(get(&edited, "TAG"), Some(value.as_str()));
            prop_assert_eq!(restore(&edited, "TAG", &previous), env.clone());
            if previous != Previous::Absent {
                // Same number of lines, and every line but one byte-for-byte the same.
                let before: Vec<&str> = env.split_inclusive('\n').collect();
                let after: Vec<&str> = edited.split_inclusive('\n').collect();
                prop_assert_eq!(before.len(), after.len());
                let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
                prop_assert!(changed <= 1);
            }
        }
    }
}
