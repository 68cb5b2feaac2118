//! Shell blocks (`sh`, and `console` transcripts with `$ ` prompts) and the `run:` bodies of
//! workflow blocks.
//!
//! Every command is checked without running it: a gantry command (`gantry-<tool> …`,
//! `gantry <tool> …`, or `cargo run -p gantry-<tool> -- …`) parses with the tool's own flags;
//! cargo names packages and targets of the workspace (or of `fuzz/`); a script path exists and
//! is executable; `cd` names a directory. Then, unless the block is marked `no-run`, its gantry commands run
//! against the example monorepo and must exit 0; a `console` block's output lines must match
//! what the command prints on stdout (`…` stands for any text, commit ids match any commit id).

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as Process;

use super::{Block, Mark, Problem, Setting};
use crate::tools::tools;

/// One simple command of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The 1-based line of the script it starts on.
    pub line: usize,
    /// Its `NAME=value` prefixes.
    pub assignments: Vec<String>,
    /// The command and its arguments, as the shell splits them (nothing expanded).
    pub words: Vec<String>,
    /// The source of the whole logical line (continuations included).
    pub source: String,
}

/// The commands of `script`, one logical line (continuations joined) at a time, split at
/// `|`, `||`, `&&` and `;`; or the line that cannot be split (an open quote).
pub fn commands(script: &str) -> Result<Vec<Command>, usize> {
    let mut commands = Vec::new();
    let mut logical = String::new();
    let mut start = 0;
    for (index, line) in script.lines().enumerate() {
        if logical.is_empty() {
            start = index + 1;
        }
        let trailing = line.len() - line.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            // A continuation: the shell drops the backslash and the line break.
            logical.push_str(&line[..line.len() - 1]);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        logical.push('\n');
        let mut parts: Vec<Vec<String>> = vec![Vec::new()];
        for word in shlex::split(&logical).ok_or(start)? {
            if matches!(word.as_str(), "|" | "||" | "&&" | ";") {
                parts.push(Vec::new());
            } else if let Some(word) = word.strip_suffix(';') {
                parts.last_mut().expect("a part").push(word.to_owned());
                parts.push(Vec::new());
            } else {
                parts.last_mut().expect("a part").push(word);
            }
        }
        for mut part in parts {
            let assigned = part.iter().take_while(|word| is_assignment(word)).count();
            let words = part.split_off(assigned);
            if !words.is_empty() {
                commands.push(Command {
                    line: start,
                    assignments: part,
                    words,
                    source: logical.clone(),
                });
            }
        }
        logical.clear();
    }
    Ok(commands)
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// A gantry tool the command runs, with its arguments: `gantry-<tool> ARGS`,
/// `gantry <tool> ARGS`, `cargo run … -p gantry-<tool> … -- ARGS` or
/// `cargo run … -p gantry … -- <tool> ARGS`.
pub fn gantry_invocation(words: &[String]) -> Option<(String, Vec<String>)> {
    let known = |tool: &str| tools().iter().any(|known| known.name == tool);
    let tool_of = |name: &str| {
        name.strip_prefix("gantry-")
            .filter(|tool| known(tool))
            .map(str::to_owned)
    };
    // The multicall binary's arguments: the tool, then its own.
    let multicall = |args: &[String]| {
        let (tool, args) = args.split_first()?;
        known(tool).then(|| (tool.clone(), args.to_vec()))
    };
    if words[0] == "gantry" {
        return multicall(&words[1..]);
    }
    if let Some(tool) = tool_of(&words[0]) {
        return Some((tool, words[1..].to_vec()));
    }
    if words.get(1).map(String::as_str) != Some("run") || words[0] != "cargo" {
        return None;
    }
    let separator = words.iter().position(|word| word == "--");
    let cargo_args = &words[..separator.unwrap_or(words.len())];
    let package = cargo_args
        .windows(2)
        .find(|pair| pair[0] == "-p" || pair[0] == "--package")
        .map(|pair| pair[1].as_str())?;
    let args = separator.map_or_else(Vec::new, |at| words[at + 1..].to_vec());
    if package == "gantry" {
        return multicall(&args);
    }
    tool_of(package).map(|tool| (tool, args))
}

/// What is wrong with the flags of gantry-`tool` `args`, as the binary's own clap definition
/// reads them (environment variables aside), or `None`.
pub fn flag_problem(tool: &str, args: &[String]) -> Option<String> {
    let command = tools()
        .iter()
        .find(|known| known.name == tool)?
        .command()
        .mut_args(|arg| arg.env(None::<&str>));
    let argv = std::iter::once(format!("gantry-{tool}")).chain(args.iter().cloned());
    match command.try_get_matches_from(argv) {
        Ok(_) => None,
        Err(error)
            if matches!(
                error.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            None
        }
        Err(error) => {
            let text = error.render().to_string();
            let text: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with("Usage:"))
                .filter(|line| !line.starts_with("For more information"))
                .collect();
            Some(format!("gantry-{tool}: {}", text.join(" ")))
        }
    }
}

/// The flag problems of the gantry commands in `script`, with their 1-based script lines.
pub fn script_flag_problems(script: &str) -> Vec<(usize, String)> {
    match commands(script) {
        Err(line) => vec![(
            line,
            "the shell cannot split this line (an open quote?)".into(),
        )],
        Ok(commands) => commands
            .iter()
            .filter_map(|command| {
                let (tool, args) = gantry_invocation(&command.words)?;
                flag_problem(&tool, &args).map(|problem| (command.line, problem))
            })
            .collect(),
    }
}

/// A command of a block, with the output a console block shows for it.
struct Shown {
    command: Command,
    /// Block line of the command.
    line: usize,
    /// The lines a console block shows after it, if any.
    output: Option<Vec<String>>,
    /// The block line of the first of them.
    output_line: usize,
}

/// The commands of a block: every command of an `sh` block; the `$ ` lines of a `console`
/// block, each with the lines after it as its output.
fn shown_commands(block: &Block) -> Result<Vec<Shown>, Problem> {
    let split = |text: &str, first: usize| {
        commands(text).map_err(|line| {
            block.problem_at(
                first + line - 1,
                "the shell cannot split this line (an open quote?)",
            )
        })
    };
    if block.lang == "sh" {
        return Ok(split(&block.text, 1)?
            .into_iter()
            .map(|command| Shown {
                line: command.line,
                command,
                output: None,
                output_line: 0,
            })
            .collect());
    }
    let mut shown: Vec<Shown> = Vec::new();
    let mut continued = false;
    for (index, line) in block.text.lines().enumerate() {
        let number = index + 1;
        if let Some(command) = line.strip_prefix("$ ") {
            shown.push(Shown {
                command: Command {
                    line: number,
                    assignments: Vec::new(),
                    words: Vec::new(),
                    source: String::new(),
                },
                line: number,
                output: Some(Vec::new()),
                output_line: number + 1,
            });
            shown.last_mut().unwrap().command.source = format!("{command}\n");
            continued = command.ends_with('\\');
        } else if continued {
            let last = shown.last_mut().unwrap();
            last.command.source.push_str(line);
            last.command.source.push('\n');
            last.output_line = number + 1;
            continued = line.ends_with('\\');
        } else if let Some(last) = shown.last_mut() {
            last.output.as_mut().unwrap().push(line.to_owned());
        } else {
            return Err(block.problem_at(number, "a console block starts with a `$ ` command"));
        }
    }
    let mut out = Vec::new();
    for item in shown {
        for command in split(&item.command.source, item.line)? {
            out.push(Shown {
                line: item.line,
                command,
                output: item.output.clone(),
                output_line: item.output_line,
            });
        }
    }
    Ok(out)
}

/// Checks the shell blocks.
pub fn check(setting: &Setting, blocks: &[&Block]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let workspace = Workspace::read(&setting.root);
    for block in blocks {
        let shown = match shown_commands(block) {
            Ok(shown) => shown,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if block.lang == "sh"
            && let Some(message) = syntax_problem(&block.text)
        {
            problems.push(block.problem(format!("bash -n: {message}")));
        }
        let mut cwd = setting.root.clone();
        let mut runnable = Vec::new();
        for item in &shown {
            let words = &item.command.words;
            let at = |message: String| block.problem_at(item.line, message);
            if let Some((tool, args)) = gantry_invocation(words) {
                match flag_problem(&tool, &args) {
                    Some(problem) => problems.push(at(problem)),
                    None => runnable.push((item, tool)),
                }
                continue;
            }
            match words[0].as_str() {
                "cargo" => problems.extend(workspace.check_cargo(&words[1..], &cwd).map(at)),
                "cd" => {
                    let dir = cwd.join(words.get(1).map_or("", String::as_str));
                    if dir.is_dir() {
                        cwd = dir;
                    } else {
                        problems.push(at(format!("cd: no directory {}", words.join(" "))));
                    }
                }
                program
                    if program.contains('/')
                        && !program.starts_with(['/', '$', '~'])
                        && !is_executable(&cwd.join(program)) =>
                {
                    problems.push(at(format!("{program} is not an executable file here")));
                }
                _ => {}
            }
        }
        if matches!(block.mark, Some(Mark::NoRun(_))) {
            continue;
        }
        for (item, tool) in runnable {
            problems.extend(run(setting, block, item, &tool));
        }
    }
    problems
}

/// `bash -n` of `script`: its syntax error, if any.
fn syntax_problem(script: &str) -> Option<String> {
    let output = Process::new("bash")
        .args(["--noprofile", "--norc", "-n", "-c", script])
        .output()
        .expect("run bash -n");
    (!output.status.success()).then(|| String::from_utf8_lossy(&output.stderr).trim().to_owned())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Runs one gantry command of `block`: in the gantry checkout when it names a path under
/// `examples/`, else in the example repository `repo`.
fn run(setting: &Setting, block: &Block, item: &Shown, tool: &str) -> Vec<Problem> {
    let source = &item.command.source;
    // `cargo run -p gantry-<tool> -- ARGS` runs as the built binary (`cargo run -p gantry --
    // <tool> ARGS` as `gantry <tool> ARGS`).
    let multicall = item
        .command
        .words
        .windows(2)
        .any(|pair| matches!(pair[0].as_str(), "-p" | "--package") && pair[1] == "gantry");
    let script = match (item.command.words[0].as_str(), source.split_once(" -- ")) {
        ("cargo", Some((_, args))) if multicall => format!("gantry {args}"),
        ("cargo", Some((_, args))) => format!("gantry-{tool} {args}"),
        ("cargo", None) => format!("gantry-{tool}"),
        _ => source.clone(),
    };
    let in_checkout = item
        .command
        .words
        .iter()
        .any(|word| word.starts_with("examples/"));
    let dir = if in_checkout {
        setting.root.clone()
    } else {
        setting.example()
    };
    let output = Process::new("bash")
        .args(["--noprofile", "--norc", "-o", "pipefail", "-c", &script])
        .current_dir(dir)
        .env_clear()
        .envs(setting.env())
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let at = |message: String| vec![block.problem_at(item.line, message)];
    if !output.status.success() {
        return at(format!(
            "`{}` exits with {} (run in {}):\n{stderr}{stdout}",
            script.trim(),
            output.status,
            if in_checkout {
                "the gantry checkout"
            } else {
                "the example repository"
            }
        ));
    }
    match &item.output {
        Some(expected) if !expected.iter().all(|line| line.trim().is_empty()) => {
            match output_mismatch(expected, &stdout) {
                Some((index, message)) => vec![block.problem_at(
                    item.output_line + index,
                    format!("`{}` prints other output: {message}", script.trim()),
                )],
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// Where `actual` differs from the `expected` lines (the index of the first line that
/// differs, and how): `…` stands for any text, commit ids (7 or 40 hexadecimal characters)
/// for any commit id, trailing spaces and trailing empty lines do not count.
pub fn output_mismatch(expected: &[String], actual: &str) -> Option<(usize, String)> {
    let tidy = |lines: Vec<String>| {
        let mut lines: Vec<String> = lines
            .into_iter()
            .map(|line| commit_ids_masked(line.trim_end()))
            .collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    };
    let expected = tidy(expected.to_vec());
    let actual = tidy(actual.lines().map(str::to_owned).collect());
    for (index, wanted) in expected.iter().enumerate() {
        let got = actual.get(index).map_or("(nothing)", String::as_str);
        if !line_matches(wanted, got) {
            return Some((
                index,
                format!(
                    "output line {} is\n  {got}\nwhere the block shows\n  {wanted}\nthe whole output:\n{}",
                    index + 1,
                    actual.join("\n")
                ),
            ));
        }
    }
    (actual.len() > expected.len()).then(|| {
        (
            expected.len(),
            format!(
                "it prints {} lines, the block shows {}:\n{}",
                actual.len(),
                expected.len(),
                actual.join("\n")
            ),
        )
    })
}

/// `line` matches `pattern`, whose `…` stand for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == line;
    };
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// `text` with each commit id (a word of 7 or 40 lowercase hexadecimal characters, at least
/// one a digit) written as `<commit>`.
fn commit_ids_masked(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let is_id = matches!(word.len(), 7 | 40)
            && word
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && word.bytes().any(|b| b.is_ascii_digit());
        out.push_str(if is_id { "<commit>" } else { word.as_str() });
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The packages and targets of gantry's workspace and of its fuzz workspace.
struct Workspace {
    /// Package → targets as (kind, name).
    packages: BTreeMap<String, Vec<(String, String)>>,
    /// The fuzz targets (`fuzz/Cargo.toml` binaries).
    fuzz_targets: Vec<String>,
}

impl Workspace {
    fn read(root: &Path) -> Workspace {
        let packages = |manifest: &Path| -> Vec<(String, Vec<(String, String)>)> {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let output = Process::new(cargo)
                .args([
                    "metadata",
                    "--no-deps",
                    "--offline",
                    "--format-version",
                    "1",
                ])
                .arg("--manifest-path")
                .arg(manifest)
                .output()
                .expect("run cargo metadata");
            assert!(
                output.status.success(),
                "cargo metadata: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
            metadata["packages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|package| {
                    let targets = package["targets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|target| {
                            let name = target["name"].as_str().unwrap_or_default().to_owned();
                            target["kind"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .map(move |kind| (kind.to_owned(), name.clone()))
                                .collect::<Vec<_>>()
                        })
                        .collect();
                    (
                        package["name"].as_str().unwrap_or_default().to_owned(),
                        targets,
                    )
                })
                .collect()
        };
        let fuzz_targets = packages(&root.join("fuzz/Cargo.toml"))
            .into_iter()
            .flat_map(|(_, targets)| targets)
            .filter(|(kind, _)| kind == "bin")
            .map(|(_, name)| name)
            .collect();
        Workspace {
            packages: packages(&root.join("Cargo.toml")).into_iter().collect(),
            fuzz_targets,
        }
    }

    /// What is wrong with `cargo ARGS` run in `cwd`: unknown packages, targets or fuzz
    /// targets. `cargo install` of a crate from crates.io is not checked.
    fn check_cargo(&self, args: &[String], cwd: &Path) -> Option<String> {
        let subcommand = args.iter().find(|arg| !arg.starts_with('-'))?;
        match subcommand.as_str() {
            "install" => return None,
            "fuzz" => {
                let target = args.iter().skip_while(|arg| *arg != "run").nth(1)?;
                if !cwd.ends_with("fuzz") {
                    return Some("cargo fuzz runs in fuzz/ (cd fuzz first)".into());
                }
                return (!self.fuzz_targets.contains(target)).then(|| {
                    format!(
                        "no fuzz target {target}; fuzz/Cargo.toml has {}",
                        self.fuzz_targets.join(", ")
                    )
                });
            }
            _ => {}
        }
        let args: Vec<&str> = args
            .iter()
            .take_while(|arg| *arg != "--")
            .map(String::as_str)
            .collect();
        let values = |flag: &str| -> Vec<&str> {
            args.windows(2)
                .filter(|pair| pair[0] == flag)
                .map(|pair| pair[1])
                .collect()
        };
        let mut packages: Vec<&str> = values("-p");
        packages.extend(values("--package"));
        for package in &packages {
            if !self.packages.contains_key(*package) {
                return Some(format!("cargo: no package {package} in the workspace"));
            }
        }
        let searched: Vec<&str> = if packages.is_empty() {
            self.packages.keys().map(String::as_str).collect()
        } else {
            packages
        };
        for (flag, kind) in [
            ("--bench", "bench"),
            ("--test", "test"),
            ("--example", "example"),
            ("--bin", "bin"),
        ] {
            for name in values(flag) {
                let found = searched.iter().any(|package| {
                    self.packages[*package]
                        .iter()
                        .any(|(k, n)| k == kind && n == name)
                });
                if !found {
                    return Some(format!(
                        "cargo: no {kind} target {name} in {}",
                        searched.join(", ")
                    ));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &Command) -> Vec<&str> {
        command.words.iter().map(String::as_str).collect()
    }

    #[test]
    fn commands_are_split_at_lines_continuations_and_operators() {
        let script = "# a comment\nA=1 B='x y' gantry-tags --images a \\\n  --tags 'type=sha' # note\n\ncd fuzz && cargo fuzz run manifest; echo \"$(git rev-parse HEAD)\"\n";
        let found = commands(script).unwrap();
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].line, 2);
        assert_eq!(found[0].assignments, ["A=1", "B=x y"]);
        assert_eq!(
            words(&found[0]),
            ["gantry-tags", "--images", "a", "--tags", "type=sha"]
        );
        assert_eq!(words(&found[1]), ["cd", "fuzz"]);
        assert_eq!(words(&found[2]), ["cargo", "fuzz", "run", "manifest"]);
        assert_eq!(words(&found[3]), ["echo", "$(git rev-parse HEAD)"]);
        assert_eq!(found[3].line, 5);
        assert_eq!(commands("echo 'open\n"), Err(1));
    }

    #[test]
    fn gantry_commands_are_found_directly_and_through_cargo_run() {
        let of = |text: &str| {
            gantry_invocation(&shlex::split(text).unwrap())
                .map(|(tool, args)| format!("{tool}: {}", args.join(" ")))
        };
        assert_eq!(
            of("gantry-tags --images a").as_deref(),
            Some("tags: --images a")
        );
        assert_eq!(
            of("cargo run -q -p gantry-matrix -- --all").as_deref(),
            Some("matrix: --all")
        );
        assert_eq!(of("gantry matrix --all").as_deref(), Some("matrix: --all"));
        assert_eq!(
            of("cargo run -q -p gantry -- tags --images a").as_deref(),
            Some("tags: --images a")
        );
        assert_eq!(of("gantry nope"), None);
        assert_eq!(of("cargo run -p gantry-testkit --example limits"), None);
        assert_eq!(of("gantry-nope --x"), None);
    }

    #[test]
    fn flags_are_checked_with_the_tools_clap_definitions() {
        let args = |text: &str| shlex::split(text).unwrap();
        assert_eq!(flag_problem("matrix", &args("--all --format json")), None);
        assert_eq!(flag_problem("matrix", &args("--help")), None);
        let problem = flag_problem("tags", &args("--imagse ghcr.io/acme/api")).unwrap();
        assert!(
            problem.contains("unexpected argument '--imagse'"),
            "{problem}"
        );
        assert!(
            problem.contains("--images"),
            "the near miss is suggested: {problem}"
        );
    }

    #[test]
    fn output_matches_with_ellipses_and_any_commit_id() {
        let expected = |lines: &[&str]| lines.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
        let actual =
            "base:    4373efa (merge base)\nSERVICE  IMAGE\napi      ghcr.io/acme/api  \n\n";
        assert_eq!(
            output_mismatch(
                &expected(&["base:    9590e7f (…)", "SERVICE  IMAGE", "api      …/api"]),
                actual
            ),
            None
        );
        let (index, mismatch) =
            output_mismatch(&expected(&["base:    9590e7f (…)", "SERVICE  TAG"]), actual).unwrap();
        assert_eq!(index, 1);
        assert!(
            mismatch.starts_with("output line 2 is\n  SERVICE  IMAGE"),
            "{mismatch}"
        );
        assert!(
            output_mismatch(&expected(&["base: …"]), actual).is_some(),
            "too many lines"
        );
        assert_eq!(
            commit_ids_masked("at deadbee, 0123456 and café"),
            "at deadbee, <commit> and café"
        );
    }
}
