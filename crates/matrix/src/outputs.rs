//! The step outputs, within GitHub's limits: at most [`MAX_JOBS`] jobs per matrix, and
//! about 1 MB of outputs per job, measured in UTF-16.
//!
//! - `matrix`: the whole matrix (one-line JSON) when it has at most [`MAX_JOBS`] entries;
//!   left out above that, since GitHub would refuse it.
//! - `services` (JSON array of names), `count`, `any` (`true`/`false`).
//! - `chunks`: K, the number of chunks; `matrix-1` … `matrix-K`: the matrix cut into pieces
//!   of at most [`MAX_JOBS`] entries, for workflows with one build job per chunk.
//! - With `--list-files`: `files` (service → changed files, a JSON object) and, as
//!   dorny/paths-filter's `<filter>_files`, `<service>_files` in the format asked for.

use crate::plan::{Matrix, Plan, one_line};

/// `--list-files`: the format of the `<service>_files` outputs, as paths-filter's
/// `list-files` input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFiles {
    /// No file lists.
    #[default]
    None,
    /// A JSON array.
    Json,
    /// Comma-separated; a name holding a comma, quote or white space is double-quoted.
    Csv,
    /// Space-separated, each name quoted for a POSIX shell where it needs it.
    Shell,
    /// Space-separated, each special character backslash-escaped.
    Escape,
}

impl ListFiles {
    /// `paths` in this format.
    pub fn format(self, paths: &[String]) -> String {
        match self {
            ListFiles::None => String::new(),
            ListFiles::Json => one_line(&paths),
            ListFiles::Csv => join(paths, ",", |path| {
                if path.contains([',', '"']) || path.chars().any(char::is_whitespace) {
                    format!("\"{}\"", path.replace('"', "\"\""))
                } else {
                    path.to_owned()
                }
            }),
            ListFiles::Shell => join(paths, " ", |path| {
                if !path.is_empty() && path.chars().all(is_shell_safe) {
                    path.to_owned()
                } else {
                    format!("'{}'", path.replace('\'', "'\\''"))
                }
            }),
            ListFiles::Escape => join(paths, " ", |path| {
                path.chars()
                    .map(|c| {
                        if is_shell_safe(c) {
                            c.to_string()
                        } else {
                            format!("\\{c}")
                        }
                    })
                    .collect()
            }),
        }
    }
}

fn is_shell_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-./@%+=:,".contains(c)
}

fn join(paths: &[String], separator: &str, quote: impl Fn(&str) -> String) -> String {
    paths
        .iter()
        .map(|path| quote(path))
        .collect::<Vec<_>>()
        .join(separator)
}

/// Every step output, with its description: the composite action's `outputs:` and the docs
/// tables are checked against this list. Chunks past `matrix-4` (above 1024 services) are set
/// too, but only these four are declared by the action.
pub const OUTPUTS: &[(&str, &str)] = &[
    (
        "matrix",
        "The matrix as one-line JSON, {\"include\": [...]}, for strategy.matrix with fromJSON(); \
         {\"include\":[]} when nothing is selected; not set above 256 services",
    ),
    (
        "services",
        "The selected services, as a JSON array of names",
    ),
    ("count", "How many services are selected"),
    (
        "any",
        "true or false: whether any service is selected, the guard for the build job's if:",
    ),
    (
        "chunks",
        "K, the number of chunk outputs matrix-1 … matrix-K (0 when nothing is selected)",
    ),
    ("matrix-1", "Services 1–256 as a matrix"),
    ("matrix-2", "Services 257–512 as a matrix"),
    ("matrix-3", "Services 513–768 as a matrix"),
    ("matrix-4", "Services 769–1024 as a matrix"),
    (
        "files",
        "With list-files: each selected service's changed files, as a JSON object of arrays",
    ),
    (
        "redeploy",
        "true or false: whether a changed file matches a redeploy glob of the manifest (redeploy \
         without building)",
    ),
    (
        "images",
        "With newer-than: SERVICE=image:tag@digest of each selected service's newest build, \
         comma-separated (gantry-dokploy's image input)",
    ),
];

/// GitHub runs at most this many jobs from one matrix.
pub const MAX_JOBS: usize = 256;

/// GitHub accepts at most 1 MB of outputs per job, counting 2 bytes per UTF-16 unit.
pub const OUTPUT_LIMIT: usize = 1_000_000;

/// The outputs to set, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outputs {
    pub values: Vec<(String, String)>,
    /// `matrix` was left out: more than [`MAX_JOBS`] entries.
    pub matrix_left_out: bool,
}

/// The outputs would exceed GitHub's size limit.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error(
    "the outputs for {count} services take {size} bytes, more than the {OUTPUT_LIMIT} GitHub \
     accepts per job (UTF-16 measure)"
)]
#[diagnostic(
    code(gantry::matrix::outputs_too_large),
    help(
        "split the services over several manifests (one per directory or team, each with its \
         own `--manifest`) and run gantry-matrix once per manifest in separate jobs, or trim \
         the build-args and platforms the matrix carries (and drop --list-files); outside \
         GitHub Actions there is no limit"
    )
)]
pub struct OutputsTooLarge {
    pub count: usize,
    pub size: usize,
}

/// The outputs of `plan`.
pub fn outputs(plan: &Plan<'_>, list_files: ListFiles) -> Result<Outputs, OutputsTooLarge> {
    let count = plan.selected.len();
    let chunks: Vec<String> = plan
        .selected
        .chunks(MAX_JOBS)
        .map(|chunk| {
            one_line(&Matrix {
                include: plan.entries(chunk),
            })
        })
        .collect();
    let mut values = Vec::new();
    let matrix_left_out = count > MAX_JOBS;
    if !matrix_left_out {
        let matrix = Matrix {
            include: plan.entries(&plan.selected),
        };
        values.push(("matrix".to_owned(), one_line(&matrix)));
    }
    values.push(("services".to_owned(), one_line(&plan.names())));
    values.push(("count".to_owned(), count.to_string()));
    values.push(("any".to_owned(), (count > 0).to_string()));
    values.push(("chunks".to_owned(), chunks.len().to_string()));
    for (index, chunk) in chunks.into_iter().enumerate() {
        values.push((format!("matrix-{}", index + 1), chunk));
    }
    values.push(("redeploy".to_owned(), plan.redeploy.is_some().to_string()));
    if let (Some(files), Some(object)) = (&plan.files, plan.files_object()) {
        values.push(("files".to_owned(), one_line(&object)));
        for (service, paths) in files {
            values.push((format!("{service}_files"), list_files.format(paths)));
        }
    }
    if let Some(images) = &plan.images {
        let lines: Vec<String> = images
            .iter()
            .map(|(service, image)| format!("{service}={image}"))
            .collect();
        values.push(("images".to_owned(), lines.join(",")));
    }
    let size = values
        .iter()
        .map(|(name, value)| 2 * (name.len() + value.encode_utf16().count()))
        .sum();
    if size > OUTPUT_LIMIT {
        return Err(OutputsTooLarge { count, size });
    }
    Ok(Outputs {
        values,
        matrix_left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_lists_in_each_format() {
        let paths: Vec<String> = ["a.py", "my file.py", "it's,\"x\".md"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            ListFiles::Json.format(&paths),
            r#"["a.py","my file.py","it's,\"x\".md"]"#
        );
        assert_eq!(
            ListFiles::Csv.format(&paths),
            r#"a.py,"my file.py","it's,""x"".md""#
        );
        assert_eq!(
            ListFiles::Shell.format(&paths),
            r#"a.py 'my file.py' 'it'\''s,"x".md'"#
        );
        assert_eq!(
            ListFiles::Escape.format(&paths),
            r#"a.py my\ file.py it\'s,\"x\".md"#
        );
        assert_eq!(ListFiles::None.format(&paths), "");
    }
}
