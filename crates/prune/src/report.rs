//! What a run tells: the JSON document, the text report, the step summary and the outputs,
//! and its verdict (annotations for what went wrong, and the exit status).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use gantry_cli::Error;
use gantry_gha::{Annotation, Cell, Runtime, Summary};
use serde::Serialize;

use crate::backend::ApiCalls;
use crate::engine::{PackageOutcome, Planned, Run};
use crate::error::{DELETE_FIX, PruneError};
use crate::model::{Version, short_digest};
use crate::plan::{Decision, ReasonKind};

/// Versions listed one by one in the step summary, per package.
const SUMMARY_VERSIONS: usize = 100;

/// One version in the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub package: String,
    pub id: u64,
    pub digest: String,
    pub tags: Vec<String>,
    pub reason: String,
}

/// The JSON document on stdout (`--format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// Deleted, or in a dry run, to be deleted.
    pub deleted: Vec<Entry>,
    pub kept: Vec<Entry>,
    pub skipped: Vec<Entry>,
    pub failed: Vec<Entry>,
    #[serde(rename = "api-calls")]
    pub api_calls: ApiCalls,
}

impl Document {
    pub fn new(run: &Run) -> Document {
        let mut report = Document {
            deleted: Vec::new(),
            kept: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
            api_calls: run.calls,
        };
        for package in &run.packages {
            let PackageOutcome::Planned(planned) = &package.outcome else {
                continue;
            };
            for (version, decided) in planned.versions.iter().zip(&planned.decisions) {
                let entry = Entry {
                    package: package.name.clone(),
                    id: version.id,
                    digest: version.digest.clone(),
                    tags: version.tags.clone(),
                    reason: decided.reason.text.clone(),
                };
                match decided.decision {
                    Decision::Delete => report.deleted.push(entry),
                    Decision::Keep => report.kept.push(entry),
                    Decision::Skip => report.skipped.push(entry),
                    Decision::Failed => report.failed.push(entry),
                }
            }
        }
        report
    }
}

/// Counts of one package.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    deleted: usize,
    kept: usize,
    skipped: usize,
    failed: usize,
}

fn counts(planned: &Planned) -> Counts {
    let mut counts = Counts::default();
    for decided in &planned.decisions {
        match decided.decision {
            Decision::Delete => counts.deleted += 1,
            Decision::Keep => counts.kept += 1,
            Decision::Skip => counts.skipped += 1,
            Decision::Failed => counts.failed += 1,
        }
    }
    counts
}

/// What the deletions free, as far as the manifests read tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freed {
    /// Nothing is deleted, or no deleted manifest was read: the sizes are unknown.
    Unknown,
    /// Every deleted manifest was read.
    Exactly(u64),
    /// Some deleted manifests were not read: at least this much.
    AtLeast(u64),
}

/// Blob bytes no longer referenced once the deletions are done: blobs of deleted manifests
/// that no remaining manifest lists.
pub fn bytes_freed(planned: &Planned) -> Freed {
    let mut kept_blobs = HashSet::new();
    let mut freed: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut read, mut unread) = (0usize, 0usize);
    for (version, decided) in planned.versions.iter().zip(&planned.decisions) {
        let facts = planned.facts.get(&version.digest);
        if decided.decision == Decision::Delete {
            match facts {
                Some(facts) => {
                    read += 1;
                    for (digest, size) in &facts.blobs {
                        freed.insert(digest, *size);
                    }
                }
                None => unread += 1,
            }
        } else if let Some(facts) = facts {
            kept_blobs.extend(facts.blobs.iter().map(|(digest, _)| digest.as_str()));
        }
    }
    let bytes = freed
        .iter()
        .filter(|(digest, _)| !kept_blobs.contains(*digest))
        .map(|(_, size)| size)
        .sum();
    match (read, unread) {
        (0, _) => Freed::Unknown,
        (_, 0) => Freed::Exactly(bytes),
        _ => Freed::AtLeast(bytes),
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Shown only where the sizes are known: not when no deleted manifest was read.
fn freed_text(planned: &Planned) -> Option<String> {
    match bytes_freed(planned) {
        Freed::Unknown | Freed::Exactly(0) | Freed::AtLeast(0) => None,
        Freed::Exactly(bytes) => Some(human_bytes(bytes)),
        Freed::AtLeast(bytes) => Some(format!("at least {}", human_bytes(bytes))),
    }
}

/// The versions' indexes, newest first (by creation; undated last, then by id).
fn newest_first(planned: &Planned) -> Vec<usize> {
    let mut order: Vec<usize> = (0..planned.versions.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&planned.versions[a], &planned.versions[b]);
        b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))
    });
    order
}

/// `2026-12-05 10:15` (UTC), or `-` when the registry gives no date.
fn created(version: &Version) -> String {
    version.created_at.map_or_else(
        || "-".to_owned(),
        |at| at.strftime("%Y-%m-%d %H:%M").to_string(),
    )
}

fn verb(decision: Decision, applied: bool) -> &'static str {
    match (decision, applied) {
        (Decision::Delete, true) => "deleted",
        (Decision::Delete, false) => "delete",
        (Decision::Keep, true) => "kept",
        (Decision::Keep, false) => "keep",
        (Decision::Skip, true) => "skipped",
        (Decision::Skip, false) => "skip",
        (Decision::Failed, _) => "FAILED",
    }
}

fn headline(counts: Counts, applied: bool) -> String {
    let deleted = if applied {
        format!("{} deleted", counts.deleted)
    } else {
        format!("{} to delete", counts.deleted)
    };
    let mut text = format!(
        "{deleted}, {} kept, {} skipped",
        counts.kept, counts.skipped
    );
    if counts.failed > 0 {
        let _ = write!(text, ", {} FAILED", counts.failed);
    }
    text
}

fn package_problem(outcome: &PackageOutcome) -> Option<String> {
    match outcome {
        PackageOutcome::Missing => Some(
            "not found (or the token cannot see it: GITHUB_TOKEN sees only packages that granted its repository access)"
                .to_owned(),
        ),
        PackageOutcome::Failed(error) => Some(format!("listing failed: {error}")),
        PackageOutcome::NotReached(why) => Some(format!("not reached: {why}")),
        PackageOutcome::Planned(_) => None,
    }
}

/// The text report on stdout: one block per package, every version with its decision.
pub fn text(run: &Run) -> String {
    let mut out = String::new();
    if run.applied {
        out.push_str("gantry-prune: applied\n");
    } else {
        out.push_str("gantry-prune: dry run, nothing was deleted (--apply deletes)\n");
    }
    for package in &run.packages {
        let planned = match &package.outcome {
            PackageOutcome::Planned(planned) => planned,
            other => {
                let _ = writeln!(
                    out,
                    "\n{}: {}",
                    package.name,
                    package_problem(other).unwrap_or_default()
                );
                continue;
            }
        };
        let _ = write!(
            out,
            "\n{}: {} versions: {}",
            package.name,
            planned.versions.len(),
            headline(counts(planned), run.applied)
        );
        if let Some(freed) = freed_text(planned) {
            let _ = write!(out, "; {freed} freed");
        }
        out.push('\n');
        if let Some(why) = &planned.fail_closed {
            let _ = writeln!(out, "  nothing deleted in the package: {why}");
        }
        for index in newest_first(planned) {
            let (version, decided) = (&planned.versions[index], &planned.decisions[index]);
            let tags = if version.tags.is_empty() {
                "-".to_owned()
            } else {
                version.tags.join(",")
            };
            let _ = writeln!(
                out,
                "  {:<7} {:>12} {} {:<16} {tags}: {}",
                verb(decided.decision, run.applied),
                version.id,
                short_digest(&version.digest),
                created(version),
                decided.reason.text
            );
        }
    }
    let (rest, registry, dokploy) = (&run.calls.rest, &run.calls.registry, &run.calls.dokploy);
    let _ = write!(
        out,
        "\nAPI calls: GitHub REST {} (owner lookups: {}, package pages: {}, version pages: {}, deletes: {}, read-backs: {}, retries: {}); registry {} (manifest reads: {}, tag pages: {}, deletes: {}, manifest writes: {}, auth: {}, retries: {})",
        rest.total,
        rest.owner_lookups,
        rest.package_pages,
        rest.version_pages,
        rest.deletes,
        rest.read_backs,
        rest.retries,
        registry.total,
        registry.manifest_reads,
        registry.tag_pages,
        registry.deletes,
        registry.manifest_writes,
        registry.auth,
        registry.retries,
    );
    // Dokploy is read only with a manifest's environments and DOKPLOY_API_KEY.
    if dokploy.total > 0 {
        let _ = write!(
            out,
            "; Dokploy {} (reads: {}, retries: {})",
            dokploy.total, dokploy.reads, dokploy.retries
        );
    }
    out.push('\n');
    for warning in &run.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// The step summary: per package a table of what was done and why (grouped), bytes freed,
/// and the first versions one by one.
pub fn summary(run: &Run) -> Summary {
    let mut summary = Summary::new();
    summary.heading(2, "gantry-prune");
    if !run.applied {
        summary.paragraph("**Dry run**: nothing was deleted. Run with `--apply` to delete.");
    }
    for warning in &run.warnings {
        summary.paragraph(&format!("**Warning**: {warning}"));
    }
    for package in &run.packages {
        summary.heading(3, &package.name);
        let planned = match &package.outcome {
            PackageOutcome::Planned(planned) => planned,
            other => {
                summary.paragraph(&package_problem(other).unwrap_or_default());
                continue;
            }
        };
        let mut line = format!(
            "{} versions: {}.",
            planned.versions.len(),
            headline(counts(planned), run.applied)
        );
        if let Some(freed) = freed_text(planned) {
            let _ = write!(line, " Storage freed: {freed}.");
        }
        if let Some(why) = &planned.fail_closed {
            let _ = write!(line, " Nothing deleted in the package: {why}.");
        }
        summary.paragraph(&line);
        let mut groups: BTreeMap<(Decision, ReasonKind), (usize, &str)> = BTreeMap::new();
        for decided in &planned.decisions {
            groups
                .entry((decided.decision, decided.reason.kind))
                .or_insert((0, decided.reason.text.as_str()))
                .0 += 1;
        }
        let rows: Vec<[String; 3]> = groups
            .iter()
            .map(|((decision, _), (count, example))| {
                [
                    verb(*decision, run.applied).to_owned(),
                    count.to_string(),
                    (*example).to_owned(),
                ]
            })
            .collect();
        summary.table(&["Action", "Versions", "Why (an example)"], rows);
        let rows: Vec<[Cell; 5]> = newest_first(planned)
            .into_iter()
            .take(SUMMARY_VERSIONS)
            .map(|index| (&planned.versions[index], &planned.decisions[index]))
            .map(|(version, decided)| {
                [
                    Cell::code(&short_digest(&version.digest)),
                    Cell::from(created(version)),
                    Cell::from(version.tags.join(", ")),
                    Cell::from(verb(decided.decision, run.applied)),
                    Cell::from(&decided.reason.text),
                ]
            })
            .collect();
        let mut details = Summary::new();
        details.table(&["Version", "Created", "Tags", "Action", "Why"], rows);
        if planned.versions.len() > SUMMARY_VERSIONS {
            details.paragraph(&format!(
                "… and {} more: the JSON report (`--format json`) lists every version.",
                planned.versions.len() - SUMMARY_VERSIONS
            ));
        }
        summary.details("Versions", &details);
    }
    summary
}

/// Every step output with its description: the composite action's `outputs:` and the docs
/// tables are checked against this list, and [`outputs`] sets exactly these.
pub const OUTPUTS: &[(&str, &str)] = &[
    (
        "deleted",
        "Versions deleted (with --apply) or that would be deleted (dry run)",
    ),
    ("kept", "Versions kept"),
    (
        "skipped",
        "Versions not deleted for a reason (GitHub refused, budget spent, unreadable manifest)",
    ),
    ("failed", "Versions whose deletion failed: the run exits 1"),
    ("dry-run", "true unless --apply: nothing was deleted"),
];

/// The step outputs of [`OUTPUTS`], in order: counts, and whether this was a dry run.
pub fn outputs(document: &Document, applied: bool) -> Vec<(String, String)> {
    [
        ("deleted", document.deleted.len()),
        ("kept", document.kept.len()),
        ("skipped", document.skipped.len()),
        ("failed", document.failed.len()),
    ]
    .into_iter()
    .map(|(name, count)| (name.to_owned(), count.to_string()))
    .chain([("dry-run".to_owned(), (!applied).to_string())])
    .collect()
}

impl gantry_cli::Report for Run {
    fn text(&self) -> String {
        text(self)
    }

    fn json(&self) -> String {
        serde_json::to_string_pretty(&Document::new(self)).expect("the report serializes")
    }

    fn outputs(&self) -> Vec<(String, String)> {
        outputs(&Document::new(self), self.applied)
    }

    fn summary(&self) -> Summary {
        summary(self)
    }

    /// Fails when a deletion failed or a package could not be pruned safely.
    fn conclude(self, runtime: &Runtime) -> Result<(), Error> {
        let document = Document::new(&self);
        conclude(self, &document, runtime)
    }
}

/// Annotations for what went wrong, and the exit status.
fn conclude(run: Run, document: &Document, runtime: &Runtime) -> Result<(), Error> {
    let mut problems = Vec::new();
    for warning in &run.warnings {
        runtime.annotate(&Annotation::warning(warning.clone()));
    }
    for package in &run.packages {
        match &package.outcome {
            PackageOutcome::Missing => runtime.annotate(&Annotation::warning(format!(
                "{}: no such package, or the token cannot see it",
                package.name
            ))),
            PackageOutcome::Failed(error) => problems.push(format!("{}: {error}", package.name)),
            PackageOutcome::NotReached(why) => runtime.annotate(&Annotation::warning(format!(
                "{}: not pruned, {why}",
                package.name
            ))),
            PackageOutcome::Planned(planned) => {
                if let Some(why) = &planned.fail_closed {
                    problems.push(format!(
                        "{}: nothing deleted in the package: {why}",
                        package.name
                    ));
                }
                let refused = planned
                    .decisions
                    .iter()
                    .any(|decided| decided.reason.kind == ReasonKind::DeleteRefused);
                if refused {
                    problems.push(format!(
                        "{}: GitHub refused the deletes (404 while the versions are still there), so the rest of the package was left as it is: {DELETE_FIX}",
                        package.name
                    ));
                }
            }
        }
    }
    let left: usize = run
        .packages
        .iter()
        .map(|package| match &package.outcome {
            PackageOutcome::Planned(planned) => planned
                .decisions
                .iter()
                .filter(|decided| decided.reason.kind == ReasonKind::BudgetSpent)
                .count(),
            _ => 0,
        })
        .sum();
    if left > 0 {
        runtime.annotate(&Annotation::warning(format!(
            "the rate-limit budget ran out: {left} versions are left for the next run"
        )));
    }
    if let Some(error) = run.stopped
        && !matches!(error, PruneError::RateLimited { .. })
    {
        return Err(error.into());
    }
    if !document.failed.is_empty() {
        problems.push(format!(
            "{} versions could not be deleted (see the report)",
            document.failed.len()
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::failed(problems.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outputs_set_are_the_outputs_declared() {
        let document = Document::new(&Run {
            packages: Vec::new(),
            calls: ApiCalls::default(),
            applied: false,
            stopped: None,
            warnings: Vec::new(),
        });
        let set: Vec<String> = outputs(&document, false)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let declared: Vec<&str> = OUTPUTS.iter().map(|(name, _)| *name).collect();
        assert_eq!(set, declared);
    }

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
