//! The outcome of a run: the JSON document, the text report, the step outputs, the step
//! summary, and the run's verdict.

use std::fmt::Write as _;

use gantry_cli::Error;
use gantry_gha::summary::{escape_markdown, inline_code};
use gantry_gha::{Cell, Runtime, Summary};
use serde::Serialize;

use crate::api::ServiceKind;
use crate::error::DeployFailed;

/// The run's result, as `result` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Success,
    Failed,
    RolledBack,
    /// `--plan`: nothing was changed.
    Planned,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failed => "failed",
            Outcome::RolledBack => "rolled-back",
            Outcome::Planned => "planned",
        }
    }
}

/// Where a target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetStatus {
    /// Dokploy's `done`.
    Done,
    /// Dokploy's `error`.
    Error,
    /// Dokploy's `cancelled` (the server restarted while it ran).
    Cancelled,
    /// The queued job vanished before it started.
    Dropped,
    /// Still queued or running when the stage's time ran out.
    TimedOut,
    /// Dokploy could not be asked, or refused a request for this target.
    Failed,
    /// Queued and not waited for (`--no-wait`).
    Triggered,
    /// Pinned, then put back without a deploy because its stage failed before the trigger.
    NotDeployed,
    /// In a stage after a failed one: not touched.
    Skipped,
    /// `--plan`: it runs the wanted image already.
    Unchanged,
    /// `--plan`: a deploy would change its image.
    Planned,
}

impl TargetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Done => "done",
            TargetStatus::Error => "error",
            TargetStatus::Cancelled => "cancelled",
            TargetStatus::Dropped => "dropped",
            TargetStatus::TimedOut => "timed-out",
            TargetStatus::Failed => "failed",
            TargetStatus::Triggered => "triggered",
            TargetStatus::NotDeployed => "not-deployed",
            TargetStatus::Skipped => "skipped",
            TargetStatus::Unchanged => "unchanged",
            TargetStatus::Planned => "planned",
        }
    }
}

/// One target's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TargetReport {
    pub target: String,
    pub kind: &'static str,
    /// The Dokploy id of the service.
    pub id: String,
    pub deployment_id: Option<String>,
    pub status: TargetStatus,
    pub image: String,
    pub previous_image: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub rolled_back: bool,
    /// The stage the target deploys in.
    pub stage: String,
    /// Why it did not end `done`, when it did not.
    pub error: Option<String>,
    /// The service in the Dokploy UI.
    #[serde(skip)]
    pub link: String,
}

impl TargetReport {
    pub fn new(stage: &str, target: &str, kind: ServiceKind, id: &str, image: String) -> Self {
        TargetReport {
            target: target.to_owned(),
            kind: kind.as_str(),
            id: id.to_owned(),
            deployment_id: None,
            status: TargetStatus::Skipped,
            image,
            previous_image: None,
            started_at: None,
            finished_at: None,
            rolled_back: false,
            stage: stage.to_owned(),
            error: None,
            link: String::new(),
        }
    }

    /// `finished-at − started-at`, as `1m 12s`.
    pub fn duration(&self) -> Option<String> {
        let start: jiff::Timestamp = self.started_at.as_deref()?.parse().ok()?;
        let end: jiff::Timestamp = self.finished_at.as_deref()?.parse().ok()?;
        let seconds = end.duration_since(start).as_secs_f64().max(0.0);
        let rounded = std::time::Duration::from_secs(seconds.round() as u64);
        Some(if rounded.is_zero() {
            format!("{:.1}s", seconds)
        } else {
            humantime::format_duration(rounded).to_string()
        })
    }
}

/// An HTTP health check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct HealthReport {
    pub stage: String,
    /// The manifest service whose `health` URL this is (none for `--health-url`).
    pub service: Option<String>,
    pub url: String,
    pub healthy: bool,
    /// The last status seen, or why there was none.
    pub answer: String,
    /// The last HTTP status.
    pub status: Option<u16>,
    /// The start of the last answer's body, on one line.
    pub body: Option<String>,
    pub attempts: usize,
}

/// The tail of a failed deployment's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTail {
    pub target: String,
    pub deployment_id: String,
    pub log: String,
}

/// Every step output with its description: the composite action's `outputs:` and the docs
/// tables are checked against this list, and [`Report::outputs`] sets exactly these.
pub const OUTPUTS: &[(&str, &str)] = &[
    ("result", "success, failed, rolled-back or planned"),
    (
        "deployments",
        "One-line JSON array, one entry per service: target, kind, id, deployment-id, status, \
         image, previous-image, started-at, finished-at, rolled-back, stage, error",
    ),
];

/// Everything a run reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    pub result: Outcome,
    pub deployments: Vec<TargetReport>,
    /// The manifest environment deployed to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub health_checks: Vec<HealthReport>,
    /// The ledger tags written after successful stages.
    pub ledger: Vec<crate::ledger::Recorded>,
    /// What went wrong, one message per failure, in order.
    #[serde(skip)]
    pub failures: Vec<String>,
    #[serde(skip)]
    pub logs: Vec<LogTail>,
    /// `--no-wait`: nothing was verified.
    #[serde(skip)]
    pub no_wait: bool,
}

impl Report {
    /// The report of a run that had nothing to deploy.
    pub fn nothing_deployed() -> Report {
        Report {
            result: Outcome::Success,
            environment: None,
            deployments: Vec::new(),
            health_checks: Vec::new(),
            ledger: Vec::new(),
            failures: Vec::new(),
            logs: Vec::new(),
            no_wait: false,
        }
    }

    /// The JSON document (`--format json`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The step outputs of [`OUTPUTS`], in order.
    pub fn outputs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("result", self.result.as_str().to_owned()),
            ("deployments", self.deployments_json()),
        ]
    }

    /// The `deployments` output: the array on one line.
    pub fn deployments_json(&self) -> String {
        serde_json::to_string(&self.deployments).unwrap_or_default()
    }

    /// The text report (`--format text`).
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "result: {}", self.result.as_str());
        for target in &self.deployments {
            let _ = write!(
                text,
                "{} {} ({} {}): {}",
                target.stage,
                target.target,
                target.kind,
                target.id,
                target.status.as_str()
            );
            if target.rolled_back {
                text.push_str(", rolled back");
            }
            match (&target.previous_image, target.status) {
                // A plan's target that keeps its image: what runs there.
                (Some(current), TargetStatus::Unchanged) => {
                    let _ = write!(text, "\n  runs: {current}");
                }
                (current, _) => {
                    let _ = write!(
                        text,
                        "\n  image: {} -> {}",
                        current.as_deref().unwrap_or("(none)"),
                        target.image
                    );
                }
            }
            if let Some(id) = &target.deployment_id {
                let _ = write!(text, "\n  deployment: {id}");
                if let Some(duration) = target.duration() {
                    let _ = write!(text, " ({duration})");
                }
            }
            if let Some(error) = &target.error {
                let _ = write!(text, "\n  error: {error}");
            }
            text.push('\n');
        }
        for check in &self.health_checks {
            let _ = writeln!(
                text,
                "health {} after {}: {} ({}, {} attempts)",
                check.url,
                check.stage,
                if check.healthy {
                    "healthy"
                } else {
                    "unhealthy"
                },
                check.answer,
                check.attempts
            );
        }
        text
    }

    /// The step summary: a table per run, failures, health checks, and the failed logs'
    /// tails in collapsed sections. Every value from Dokploy is escaped or put in code.
    pub fn to_summary(&self) -> Summary {
        let mut summary = Summary::new();
        let icon = match self.result {
            Outcome::Success if self.no_wait => "⚠️",
            Outcome::Success => "✅",
            Outcome::Failed => "❌",
            Outcome::RolledBack => "↩️",
            Outcome::Planned => "📋",
        };
        summary.heading(
            2,
            &format!("{icon} Dokploy deploy: {}", self.result.as_str()),
        );
        if self.result == Outcome::RolledBack {
            summary.paragraph(
                "A stage failed: its services were rolled back to their previous images and \
                 deployed again. Later stages were not started.",
            );
        }
        if self.no_wait {
            summary.paragraph(
                "> [!WARNING]\n> `--no-wait`: the deployments were only queued. Nothing checked \
                 that they ran, let alone succeeded.",
            );
        }
        let rows = self.deployments.iter().map(|target| {
            let mut status = target.status.as_str().to_owned();
            if target.rolled_back {
                status.push_str(", rolled back");
            }
            let target_cell = if target.link.is_empty() {
                escape_markdown(&target.target)
            } else {
                format!("[{}]({})", escape_markdown(&target.target), target.link)
            };
            vec![
                escape_markdown(&target.stage),
                target_cell,
                format!(
                    "{} → {}",
                    target
                        .previous_image
                        .as_deref()
                        .map_or_else(|| "—".to_owned(), inline_code),
                    inline_code(&target.image)
                ),
                status,
                target.duration().unwrap_or_else(|| "—".into()),
            ]
        });
        // Every cell is built from escaped parts and code spans.
        let rows = rows.map(|cells| cells.into_iter().map(Cell::markdown));
        summary.table(&["stage", "target", "image", "status", "duration"], rows);
        if !self.failures.is_empty() {
            summary.list(self.failures.iter().map(|failure| escape_markdown(failure)));
        }
        if !self.health_checks.is_empty() {
            summary.table(
                &["health check", "after stage", "result"],
                self.health_checks.iter().map(|check| {
                    [
                        inline_code(&check.url),
                        escape_markdown(&check.stage),
                        format!(
                            "{} ({}, {} attempts)",
                            if check.healthy {
                                "healthy"
                            } else {
                                "unhealthy"
                            },
                            escape_markdown(&check.answer),
                            check.attempts
                        ),
                    ]
                    .map(Cell::markdown)
                }),
            );
        }
        for tail in &self.logs {
            let mut body = Summary::new();
            body.code_block("text", &clean_log(&tail.log));
            summary.details(
                &format!(
                    "Log of {} (deployment {}), last lines",
                    tail.target, tail.deployment_id
                ),
                &body,
            );
        }
        summary
    }
}

impl gantry_cli::Report for Report {
    fn text(&self) -> String {
        self.to_text()
    }

    fn json(&self) -> String {
        self.to_json()
    }

    fn outputs(&self) -> Vec<(String, String)> {
        Report::outputs(self)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect()
    }

    fn summary(&self) -> Summary {
        self.to_summary()
    }

    /// Fails unless every stage succeeded; warns that `--no-wait` verified nothing.
    fn conclude(self, _: &Runtime) -> Result<(), Error> {
        if self.no_wait {
            tracing::warn!(
                "--no-wait: the deploys were only queued; nothing checked that they ran or succeeded"
            );
        }
        match self.result {
            Outcome::Success | Outcome::Planned => Ok(()),
            outcome => Err(Error::failed(DeployFailed {
                headline: if outcome == Outcome::RolledBack {
                    "the deploy failed; its stage was rolled back to the previous images".into()
                } else {
                    "the deploy failed".into()
                },
                details: self.failures.join("\n"),
            })),
        }
    }
}

/// A log made safe to show: no terminal escapes or other control characters. (Workflow
/// commands in it are stopped by the runtime when echoed; in the summary it sits in a fenced
/// code block, where neither Markdown nor HTML is rendered.)
pub fn clean_log(log: &str) -> String {
    let mut clean = String::with_capacity(log.len());
    let mut chars = log.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                // CSI sequences: ESC [ parameters final-byte; other escapes: ESC + one char.
                if chars.next_if_eq(&'[').is_some() {
                    for next in chars.by_ref() {
                        if ('@'..='~').contains(&next) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\n' | '\t' => clean.push(c),
            '\r' => {}
            c if c.is_control() => {}
            c => clean.push(c),
        }
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_controls_are_dropped() {
        assert_eq!(
            clean_log("\u{1b}[31mred\u{1b}[0m line\r\nnext\u{7}\u{1b}Mx\ttab"),
            "red line\nnextx\ttab"
        );
    }

    #[test]
    fn the_outputs_set_are_the_declared_ones_in_order() {
        let report = Report {
            result: Outcome::RolledBack,
            ..Report::nothing_deployed()
        };
        let outputs = report.outputs();
        let set: Vec<&str> = outputs.iter().map(|(name, _)| *name).collect();
        let declared: Vec<&str> = OUTPUTS.iter().map(|(name, _)| *name).collect();
        assert_eq!(set, declared);
        assert_eq!(outputs[0].1, "rolled-back");
        assert_eq!(outputs[1].1, "[]");
    }

    #[test]
    fn the_deployments_output_names_every_key_of_an_entry() {
        let entry = TargetReport::new("s", "t", ServiceKind::Compose, "c", "i".into());
        let serde_json::Value::Object(keys) = serde_json::to_value(&entry).unwrap() else {
            panic!("an entry is an object");
        };
        let described: Vec<&str> = OUTPUTS[1]
            .1
            .split_once(": ")
            .map(|(_, keys)| keys.split(", ").collect())
            .unwrap_or_default();
        assert_eq!(keys.keys().collect::<Vec<_>>(), described);
    }

    #[test]
    fn durations_read_the_row_times() {
        let mut target = TargetReport::new("s", "t", ServiceKind::Application, "a", "i".into());
        assert_eq!(target.duration(), None);
        target.started_at = Some("2026-01-01T12:00:00.000Z".into());
        target.finished_at = Some("2026-01-01T12:01:12.400Z".into());
        assert_eq!(target.duration().as_deref(), Some("1m 12s"));
        target.finished_at = Some("2026-01-01T12:00:00.250Z".into());
        assert_eq!(target.duration().as_deref(), Some("0.2s"));
    }
}
