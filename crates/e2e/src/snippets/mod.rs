//! The docs test: every fenced block of README.md and docs/*.md, extracted with its file and
//! line and checked for what it is (the convention is in docs/testing.md, "Docs that run").
//!
//! - [`blocks`] reads the fenced blocks of a Markdown page, with the info string's language
//!   and [`Mark`] (` ```sh no-run: needs a Dokploy server`).
//! - [`yaml`]: workflows, jobs and steps go through the workflow linters and gantry's own
//!   checks (action inputs and outputs, the flags of gantry commands in `run:`); manifests
//!   through gantry's manifest loader and docs/gantry.schema.json.
//! - [`json`]: JSON parses; a tool's document has that tool's shape.
//! - [`shell`]: every command is checked (gantry's flags, cargo's packages and targets, the
//!   repository's scripts); gantry commands run against the example monorepo, with the
//!   output the block shows.
//!
//! A [`Problem`] names the file and line; [`check`] returns all of them.

pub mod json;
pub mod linters;
pub mod shell;
pub mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gantry_testkit::process;
use gantry_testkit::workflow::GitRepo;
use gantry_testkit::workflow::repo::GIT_ENV;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// What is wrong, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The page, from the repository root (`docs/tags.md`).
    pub file: String,
    /// 1-based line in the page.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Why a block is checked less than its language asks, as its info string says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// `no-run: <reason>`: a shell block's commands are checked but not run.
    NoRun(String),
    /// `no-lint: <reason>`: a YAML workflow is parsed and gantry's checks apply, but the
    /// workflow linters do not (a "before" picture whose flaws are the point).
    NoLint(String),
}

/// One fenced block of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The page, from the repository root.
    pub file: String,
    /// The line of the opening fence.
    pub line: usize,
    /// The info string's first word (`yaml`, `sh`, …), empty when there is none.
    pub lang: String,
    pub mark: Option<Mark>,
    /// The nearest heading above that names a gantry tool (`prune` for `## gantry-prune`).
    pub tool: Option<String>,
    /// The content, without the fences (and without a list item's indentation).
    pub text: String,
}

impl Block {
    /// The page line of line `n` (1-based) of the content.
    pub fn line_of(&self, n: usize) -> usize {
        self.line + n
    }

    /// A problem at line `n` (1-based) of the content.
    pub fn problem_at(&self, n: usize, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            line: self.line_of(n),
            message: message.into(),
        }
    }

    /// A problem with the block as a whole (at its opening fence).
    pub fn problem(&self, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }

    /// The content line (1-based) holding `needle` first, else the first line.
    pub fn line_containing(&self, needle: &str) -> usize {
        self.text
            .lines()
            .position(|line| line.contains(needle))
            .map_or(1, |index| index + 1)
    }
}

/// The tools whose names headings carry.
const TOOLS: [&str; 5] = ["matrix", "tags", "promote", "prune", "dokploy"];

/// The fenced blocks of `markdown` (the page `file`), or the problems of their info strings.
pub fn blocks(file: &str, markdown: &str) -> (Vec<Block>, Vec<Problem>) {
    let line_of = |offset: usize| markdown[..offset].matches('\n').count() + 1;
    let mut blocks = Vec::new();
    let mut problems = Vec::new();
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut heading: Option<(usize, String)> = None;
    let mut open: Option<Block> = None;
    for (event, range) in Parser::new_ext(markdown, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as usize, String::new()))
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text)) = heading.take() {
                    headings.retain(|(outer, _)| *outer < level);
                    headings.push((level, text));
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let line = line_of(range.start);
                let (lang, rest) = info.trim().split_once(' ').unwrap_or((info.trim(), ""));
                let mark = match parse_mark(rest.trim()) {
                    Ok(mark) => mark,
                    Err(message) => {
                        problems.push(Problem {
                            file: file.to_owned(),
                            line,
                            message,
                        });
                        None
                    }
                };
                let tool = headings.iter().rev().find_map(|(_, text)| {
                    TOOLS
                        .iter()
                        .find(|tool| text.contains(&format!("gantry-{tool}")))
                        .map(|tool| (*tool).to_owned())
                });
                let block = Block {
                    file: file.to_owned(),
                    line,
                    lang: lang.to_owned(),
                    mark,
                    tool,
                    text: String::new(),
                };
                open = Some(block);
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some(block) = &mut open {
                    block.text.push_str(&text);
                } else if let Some((_, heading)) = &mut heading {
                    heading.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(block) = open.take() {
                    blocks.push(block);
                }
            }
            _ => {}
        }
    }
    (blocks, problems)
}

/// The mark after the language: nothing, `no-run: <reason>` or `no-lint: <reason>`.
fn parse_mark(rest: &str) -> Result<Option<Mark>, String> {
    if rest.is_empty() {
        return Ok(None);
    }
    let (kind, reason) = rest.split_once(':').unwrap_or((rest, ""));
    let reason = reason.trim().to_owned();
    let mark = match kind.trim() {
        "no-run" => Mark::NoRun(reason.clone()),
        "no-lint" => Mark::NoLint(reason.clone()),
        other => {
            return Err(format!(
                "unknown mark `{other}` in the info string: the marks are `no-run: <reason>` \
                 and `no-lint: <reason>` (docs/testing.md)"
            ));
        }
    };
    if reason.is_empty() {
        return Err(format!(
            "`{}` needs a reason after the colon, e.g. `no-run: needs a Dokploy server`",
            kind.trim()
        ));
    }
    Ok(Some(mark))
}

/// What the checks need besides the pages.
pub struct Setting {
    /// The gantry checkout the pages describe (scripts, examples, docs/gantry.schema.json).
    pub root: PathBuf,
    /// The gantry binaries to run.
    pub bin_dir: PathBuf,
    /// The pinned linters of scripts/install-test-deps.sh.
    pub linters: linters::Linters,
    /// gantry's version (`dist/version`): docs pin gantry as `@<commit-sha> # v<version>`.
    pub version: String,
    /// The example monorepo as a repository, made when a check first needs it.
    example: OnceLock<GitRepo>,
    /// The home directory of the commands run.
    home: tempfile::TempDir,
}

impl Setting {
    pub fn new(root: &Path, bin_dir: &Path, linters: linters::Linters, version: &str) -> Setting {
        Setting {
            root: root.to_owned(),
            bin_dir: bin_dir.to_owned(),
            linters,
            version: version.to_owned(),
            example: OnceLock::new(),
            home: tempfile::tempdir().expect("a home directory"),
        }
    }

    /// The example monorepo (`examples/bizosaas`) as a repository of its own with a bare
    /// `origin` whose HEAD is `main`, and two commits: the copy, then [`EXAMPLE_CHANGE`].
    pub fn example(&self) -> PathBuf {
        self.example
            .get_or_init(|| {
                let source = self.root.join("examples/bizosaas");
                let repo = GitRepo::from_dir("bizoholic-digital/bizosaas", &source);
                let changed: Vec<(&str, String)> = EXAMPLE_CHANGE
                    .iter()
                    .map(|path| {
                        let text = std::fs::read_to_string(source.join(path)).unwrap_or_default();
                        (*path, format!("{text}// changed\n"))
                    })
                    .collect();
                let files: Vec<(&str, &str)> = changed
                    .iter()
                    .map(|(path, text)| (*path, text.as_str()))
                    .collect();
                repo.push("a change", &files);
                repo.git(&["remote", "set-head", "origin", "main"]);
                repo
            })
            .path()
    }

    /// The environment commands run with, and nothing else: git kept from the user's
    /// configuration, the gantry binaries first on `PATH`, a home of their own.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = GIT_ENV
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let path = std::env::var("PATH").unwrap_or_default();
        env.push(("PATH".into(), format!("{}:{path}", self.bin_dir.display())));
        env.push(("HOME".into(), self.home.path().display().to_string()));
        env
    }

    /// The stdout of gantry-`tool` `args` run in the example repository; panics when it fails.
    pub fn run_tool(&self, tool: &str, args: &[&str]) -> String {
        let binary = self.bin_dir.join(format!("gantry-{tool}"));
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let run = process::run_in(
            binary.to_str().expect("a UTF-8 path"),
            &self.example(),
            args,
            &env,
        );
        assert_eq!(run.code, 0, "gantry-{tool} {args:?}: {}", run.stderr);
        run.stdout
    }
}

/// The files the second commit of the example repository changes (or adds): a library
/// brain-gateway depends on, a file of client-portal, a Markdown file client-portal ignores,
/// and a `README.md` no service claims.
pub const EXAMPLE_CHANGE: &[&str] = &[
    "bizosaas/ai/libs/brain-sdk/client.py",
    "bizosaas/frontend/apps/client-portal/src/page.tsx",
    "bizosaas/frontend/apps/client-portal/README.md",
    "README.md",
];

/// What stands for a commit SHA in the docs (`uses: owner/repo@<commit-sha> # v1`).
pub const SHA_PLACEHOLDER: &str = "<commit-sha>";
/// What the checks put in its place.
pub const PINNED_SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// The languages a block may have: checked ones and plain text.
const LANGUAGES: &[&str] = &["yaml", "json", "sh", "console", "text", "rust"];

/// Checks every block of `pages` (path from the root, Markdown text).
pub fn check(setting: &Setting, pages: &[(String, String)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut all = Vec::new();
    for (file, text) in pages {
        let (blocks, info_problems) = blocks(file, text);
        problems.extend(info_problems);
        all.extend(blocks);
    }
    for block in &all {
        if !LANGUAGES.contains(&block.lang.as_str()) {
            problems.push(block.problem(format!(
                "say what the block holds: its language is `{}`, not one of {} (plain text is \
                 `text`)",
                block.lang,
                LANGUAGES.join(", ")
            )));
        }
        if block.lang == "text" && block.text.lines().any(|line| line.starts_with("$ gantry-")) {
            problems.push(block.problem(
                "a transcript of a gantry command is a `console` block, which the test runs",
            ));
        }
        if block.mark.is_some() && !matches!(block.lang.as_str(), "sh" | "console" | "yaml") {
            problems.push(block.problem("only sh, console and yaml blocks take a mark"));
        }
    }
    let of = |lang: &[&str]| -> Vec<&Block> {
        all.iter()
            .filter(|block| lang.contains(&block.lang.as_str()))
            .collect()
    };
    problems.extend(yaml::check(setting, &of(&["yaml"])));
    problems.extend(json::check(setting, &of(&["json"])));
    problems.extend(shell::check(setting, &of(&["sh", "console"])));
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    problems.dedup();
    problems
}

/// README.md and every docs/*.md of `root`, as (path from the root, text), in name order.
pub fn pages(root: &Path) -> Vec<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|entry| {
            entry
                .expect("a docs/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    names.sort();
    names.insert(0, "README.md".to_owned());
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(root.join(&name))
                .unwrap_or_else(|e| panic!("read {name}: {e}"));
            (name, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# gantry-prune\n\nText.\n\n```yaml\na: 1\n```\n\n1. A list:\n\n   \
                        ```sh no-run: needs a server\n   gantry-prune --owner a\n   ```\n\n\
                        ## Other\n\n```json\n{}\n```\n";

    #[test]
    fn blocks_carry_their_line_language_mark_tool_and_text() {
        let (blocks, problems) = blocks("docs/prune.md", PAGE);
        assert_eq!(problems, []);
        let block = |line: usize, lang: &str, mark: Option<Mark>, text: &str| Block {
            file: "docs/prune.md".into(),
            line,
            lang: lang.into(),
            mark,
            tool: Some("prune".into()),
            text: text.into(),
        };
        assert_eq!(
            blocks,
            [
                block(5, "yaml", None, "a: 1\n"),
                block(
                    11,
                    "sh",
                    Some(Mark::NoRun("needs a server".into())),
                    "gantry-prune --owner a\n"
                ),
                block(17, "json", None, "{}\n"),
            ]
        );
        assert_eq!(blocks[1].line_of(1), 12);
    }

    #[test]
    fn a_mark_needs_a_known_kind_and_a_reason() {
        assert_eq!(parse_mark(""), Ok(None));
        assert_eq!(
            parse_mark("no-lint: the before picture"),
            Ok(Some(Mark::NoLint("the before picture".into())))
        );
        assert!(parse_mark("no-run").unwrap_err().contains("needs a reason"));
        assert!(
            parse_mark("no-run:  ")
                .unwrap_err()
                .contains("needs a reason")
        );
        assert!(
            parse_mark("skip: x")
                .unwrap_err()
                .contains("unknown mark `skip`")
        );
    }
}
