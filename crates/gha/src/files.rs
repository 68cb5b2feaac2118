//! The environment files (`GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH`): entries formatted so
//! the runner reads back exactly what was written, and nothing else.
//!
//! The runner reads `name=value` lines, and `name<<DELIMITER` followed by the value's lines
//! and a line that is exactly `DELIMITER`. A line is a `name=value` line when its first `=`
//! comes before its first `<<`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// How gantry's (and `@actions/core`'s) heredoc delimiters start.
pub const DELIMITER_PREFIX: &str = "ghadelimiter_";

/// Fresh delimiters tried before giving up on a value that contains each of them.
const DELIMITER_ATTEMPTS: usize = 3;

/// Variables that would let a later step run code of our choosing (or of whoever controls the
/// value): never written to `GITHUB_ENV`.
const DANGEROUS_VARS: &[&str] = &[
    "BASH_ENV",
    "BASHOPTS",
    "CDPATH",
    "ENV",
    "GLOBIGNORE",
    "IFS",
    "NODE_OPTIONS",
    "PATH",
    "PROMPT_COMMAND",
    "PS4",
    "SHELLOPTS",
];
const DANGEROUS_PREFIXES: &[&str] = &["BASH_FUNC_", "DYLD_", "LD_"];

/// An entry that cannot be written safely, or a file that cannot be appended to.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum EnvFileError {
    #[error("invalid name {name:?}: it {reason}")]
    #[diagnostic(code(gantry::env_file::invalid_name))]
    InvalidName { name: String, reason: &'static str },
    #[error("refusing to set {name} for later steps: it can make them run arbitrary code")]
    #[diagnostic(
        code(gantry::env_file::dangerous_variable),
        help("add directories to PATH with GITHUB_PATH instead")
    )]
    DangerousVariable { name: String },
    #[error("the value of {name} ends with a carriage return, which the runner would drop")]
    #[diagnostic(code(gantry::env_file::trailing_carriage_return))]
    TrailingCarriageReturn { name: String },
    #[error("the value of {name} contains every delimiter generated for it")]
    #[diagnostic(code(gantry::env_file::delimiter_collision))]
    DelimiterCollision { name: String },
    #[error("invalid GITHUB_PATH entry {entry:?}: it must be one non-empty line")]
    #[diagnostic(code(gantry::env_file::invalid_path_entry))]
    InvalidPathEntry { entry: String },
    #[error("cannot append to {variable} ({}): {source}", path.display())]
    #[diagnostic(
        code(gantry::env_file::io),
        help("the runner creates this file for every step; gantry never creates it")
    )]
    Io {
        variable: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A random delimiter: `ghadelimiter_` and a UUID v4.
pub fn random_delimiter() -> String {
    format!("{DELIMITER_PREFIX}{}", uuid::Uuid::new_v4())
}

/// A `GITHUB_OUTPUT` entry (also the syntax of `GITHUB_ENV`), with random delimiters.
pub fn format_output(name: &str, value: &str) -> Result<String, EnvFileError> {
    format_entry(name, value, &mut random_delimiter)
}

/// A `GITHUB_ENV` entry; refuses variables that could make a later step run code.
pub fn format_env(name: &str, value: &str) -> Result<String, EnvFileError> {
    let upper = name.to_uppercase();
    if DANGEROUS_VARS.contains(&upper.as_str())
        || DANGEROUS_PREFIXES
            .iter()
            .any(|prefix| upper.starts_with(prefix))
    {
        return Err(EnvFileError::DangerousVariable {
            name: name.to_owned(),
        });
    }
    format_output(name, value)
}

/// A `GITHUB_PATH` entry: one directory, one line.
pub fn format_path(directory: &str) -> Result<String, EnvFileError> {
    if directory.is_empty() || directory.contains(['\n', '\r']) {
        return Err(EnvFileError::InvalidPathEntry {
            entry: directory.to_owned(),
        });
    }
    Ok(format!("{directory}\n"))
}

/// `name=value\n` for a one-line value; otherwise a heredoc whose delimiter (from
/// `new_delimiter`) occurs in neither the name nor the value, so no line of the value can
/// end it early and start a forged entry.
pub fn format_entry(
    name: &str,
    value: &str,
    new_delimiter: &mut dyn FnMut() -> String,
) -> Result<String, EnvFileError> {
    check_name(name)?;
    if value.ends_with('\r') {
        return Err(EnvFileError::TrailingCarriageReturn {
            name: name.to_owned(),
        });
    }
    if !value.contains(['\n', '\r']) {
        return Ok(format!("{name}={value}\n"));
    }
    for _ in 0..DELIMITER_ATTEMPTS {
        let delimiter = new_delimiter();
        if !delimiter.is_empty() && !name.contains(&delimiter) && !value.contains(&delimiter) {
            return Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        }
    }
    Err(EnvFileError::DelimiterCollision {
        name: name.to_owned(),
    })
}

fn check_name(name: &str) -> Result<(), EnvFileError> {
    let reason = if name.is_empty() {
        "is empty"
    } else if name.contains('=') {
        "contains `=`"
    } else if name.contains("<<") {
        "contains `<<`"
    } else if name.ends_with('<') {
        // `name<<DELIMITER` would then start with `<<` one character early.
        "ends with `<`"
    } else if name.contains(['\n', '\r']) {
        "contains a line break"
    } else {
        return Ok(());
    };
    Err(EnvFileError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

/// Appends `text` to the file `variable` names. The file must exist: it is the runner's.
pub fn append(variable: &'static str, path: &Path, text: &str) -> Result<(), EnvFileError> {
    let io_error = |source| EnvFileError::Io {
        variable,
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io_error)?;
    file.write_all(text.as_bytes()).map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(delimiters: &[&str]) -> impl FnMut() -> String {
        let mut delimiters: Vec<String> = delimiters.iter().rev().map(|d| d.to_string()).collect();
        move || delimiters.pop().expect("no delimiter left")
    }

    #[test]
    fn one_line_values_use_the_short_form() {
        assert_eq!(format_output("count", "3").unwrap(), "count=3\n");
        assert_eq!(format_output("empty", "").unwrap(), "empty=\n");
        assert_eq!(format_output("x", "a=b<<c").unwrap(), "x=a=b<<c\n");
    }

    #[test]
    fn multi_line_values_use_a_random_heredoc() {
        let entry = format_output("json", "{\n}").unwrap();
        let (first, rest) = entry.split_once('\n').unwrap();
        let delimiter = first.strip_prefix("json<<").unwrap();
        assert!(delimiter.starts_with(DELIMITER_PREFIX));
        assert_eq!(delimiter.len(), DELIMITER_PREFIX.len() + 36);
        assert_eq!(rest, format!("{{\n}}\n{delimiter}\n"));
        assert_ne!(
            format_output("json", "{\n}").unwrap(),
            entry,
            "delimiters are random"
        );
    }

    #[test]
    fn a_value_containing_the_delimiter_gets_a_new_one() {
        let value = "a\nghadelimiter_1\nforged=1";
        let entry = format_entry(
            "x",
            value,
            &mut fixed(&["ghadelimiter_1", "ghadelimiter_2"]),
        );
        assert_eq!(
            entry.unwrap(),
            "x<<ghadelimiter_2\na\nghadelimiter_1\nforged=1\nghadelimiter_2\n"
        );
    }

    #[test]
    fn a_name_containing_the_delimiter_gets_a_new_one() {
        let entry = format_entry(
            "ghadelimiter_1",
            "a\nb",
            &mut fixed(&["ghadelimiter_1", "d2"]),
        );
        assert_eq!(entry.unwrap(), "ghadelimiter_1<<d2\na\nb\nd2\n");
    }

    #[test]
    fn refuses_when_every_delimiter_collides() {
        let value = "ghadelimiter_1\n";
        let error = format_entry("x", value, &mut fixed(&["ghadelimiter_1"; 3])).unwrap_err();
        assert!(matches!(error, EnvFileError::DelimiterCollision { .. }));
    }

    #[test]
    fn refuses_invalid_names() {
        for (name, reason) in [
            ("", "is empty"),
            ("a=b", "contains `=`"),
            ("a<<b", "contains `<<`"),
            ("a<", "ends with `<`"),
            ("a\nb", "contains a line break"),
            ("a\r", "contains a line break"),
        ] {
            match format_output(name, "v") {
                Err(EnvFileError::InvalidName { reason: got, .. }) => assert_eq!(got, reason),
                other => panic!("{name:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn refuses_a_trailing_carriage_return() {
        assert!(matches!(
            format_output("x", "a\r"),
            Err(EnvFileError::TrailingCarriageReturn { .. })
        ));
    }

    #[test]
    fn env_refuses_dangerous_variables_in_any_case() {
        for name in [
            "BASH_ENV",
            "ld_preload",
            "LD_LIBRARY_PATH",
            "NODE_OPTIONS",
            "BASH_FUNC_x%%",
            "PATH",
            "DYLD_INSERT_LIBRARIES",
        ] {
            assert!(
                matches!(
                    format_env(name, "x"),
                    Err(EnvFileError::DangerousVariable { .. })
                ),
                "{name}"
            );
        }
        assert_eq!(format_env("IMAGE_TAG", "v1").unwrap(), "IMAGE_TAG=v1\n");
    }

    #[test]
    fn path_entries_are_single_lines() {
        assert_eq!(format_path("/opt/gantry/bin").unwrap(), "/opt/gantry/bin\n");
        assert!(format_path("").is_err());
        assert!(format_path("/a\n/b").is_err());
    }

    #[test]
    fn append_never_creates_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("output");
        let error = append("GITHUB_OUTPUT", &missing, "a=1\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot append to GITHUB_OUTPUT (")
        );
        assert!(!missing.exists());

        let existing = dir.path().join("existing");
        std::fs::write(&existing, "old=1\n").unwrap();
        append("GITHUB_OUTPUT", &existing, "new=2\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&existing).unwrap(),
            "old=1\nnew=2\n"
        );
    }
}
