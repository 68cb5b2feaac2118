//! The docs run as written: every fenced block of README.md and docs/*.md is checked
//! (`gantry_e2e::snippets`; the convention is in docs/testing.md, "Docs that run"), and a
//! deliberately broken copy of a page fails, naming the file and line.

use gantry_e2e::snippets::linters::Linters;
use gantry_e2e::snippets::{Problem, Setting, blocks, check, pages};
use gantry_e2e::workspace::{bin_dir, repo_root, version};

fn setting() -> Setting {
    let linters = Linters::find().unwrap_or_else(|message| panic!("{message}"));
    Setting::new(&repo_root(), &bin_dir(), linters, &version())
}

fn report(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("{p}\n")).collect()
}

#[test]
fn every_block_of_the_docs_works_as_written() {
    let pages = pages(&repo_root());
    // The blocks are found: a parser that saw none would pass everything.
    let mut counts = std::collections::BTreeMap::new();
    for (file, text) in &pages {
        for block in blocks(file, text).0 {
            *counts.entry(block.lang).or_insert(0) += 1;
        }
    }
    for (lang, least) in [("yaml", 25), ("json", 9), ("sh", 14), ("console", 2)] {
        assert!(
            counts.get(lang).copied().unwrap_or(0) >= least,
            "at least {least} {lang} blocks: {counts:?}"
        );
    }
    let problems = check(&setting(), &pages);
    assert!(
        problems.is_empty(),
        "{} problems in the docs' blocks:\n{}",
        problems.len(),
        report(&problems)
    );
}

/// `page` of the docs with `from` replaced by `to` (which must be there once), and the line
/// of the change.
fn broken(page: &str, from: &str, to: &str) -> ((String, String), usize) {
    let text = std::fs::read_to_string(repo_root().join(page)).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{page} holds {from:?} once");
    let line = text[..text.find(from).unwrap()].matches('\n').count() + 1;
    ((page.to_owned(), text.replacen(from, to, 1)), line)
}

#[test]
fn a_broken_copy_of_the_docs_fails_naming_file_and_line() {
    let breaks = [
        // A misspelled manifest key.
        (
            broken(
                "docs/manifest.md",
                "    depends-on: [py-common]\n    platforms",
                "    dependson: [py-common]\n    platforms",
            ),
            "gantry's manifest loader: unknown key `dependson`",
        ),
        // A flag that does not exist.
        (
            broken(
                "docs/tags.md",
                "gantry-tags --images ghcr.io/acme/api                   #",
                "gantry-tags --imagse ghcr.io/acme/api                   #",
            ),
            "gantry-tags: error: unexpected argument '--imagse' found",
        ),
        // Output the command does not print.
        (
            broken(
                "docs/matrix.md",
                "  README.md                                          → nothing\n",
                "  README.md                                          → brain-sdk\n",
            ),
            "`gantry-matrix --base HEAD~1 --explain` prints other output",
        ),
        // A workflow key GitHub does not know.
        (
            broken(
                "docs/promote.md",
                "    runs-on: ubuntu-latest\n    environment: production",
                "    run-on: ubuntu-latest\n    environment: production",
            ),
            "action-validator: /jobs/promote: Additional property 'run-on' is not allowed",
        ),
    ];
    let pages: Vec<(String, String)> = breaks.iter().map(|((page, _), _)| page.clone()).collect();
    let problems = check(&setting(), &pages);
    for (((file, _), line), message) in &breaks {
        assert!(
            problems
                .iter()
                .any(|p| &p.file == file && p.line == *line && p.message.contains(message)),
            "no problem `{file}:{line}: {message}…` among:\n{}",
            report(&problems)
        );
    }
    for problem in &problems {
        assert!(
            breaks
                .iter()
                .any(|(((file, _), line), _)| &problem.file == file
                    && problem.line.abs_diff(*line) <= 1),
            "a problem away from the broken lines: {problem}"
        );
    }
}
