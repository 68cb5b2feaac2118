//! Optional HTTP health checks after a stage: Dokploy's `done` means the commands returned,
//! not that the service answers.

use std::time::Duration;

use reqwest::Url;
use tokio::time::Instant;

use crate::plan::PlanError;
use crate::report::HealthReport;

/// A health URL to check after a stage: a manifest target's `health` (with its service), or
/// `--health-url [STAGE=]URL`, after `stage` or after the last stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub stage: Option<String>,
    pub url: Url,
    /// The manifest service whose `health` this is.
    pub service: Option<String>,
}

/// What counts as healthy and how long to keep asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthPolicy {
    /// The status a healthy service answers with; any 2xx when not given.
    pub expect: Option<u16>,
    /// At most this many attempts after the first one.
    pub retries: Option<usize>,
    /// The whole window per check, from its first request to its last answer.
    pub timeout: Duration,
    /// Waits between attempts: from `first_wait` growing up to `max_wait`.
    pub first_wait: Duration,
    pub max_wait: Duration,
}

impl HealthPolicy {
    fn healthy(&self, status: u16) -> bool {
        match self.expect {
            Some(expect) => status == expect,
            None => (200..300).contains(&status),
        }
    }
}

/// Longest wait for one answer (within the window).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Characters of a body kept for the report.
const BODY_EXCERPT: usize = 200;

impl HealthCheck {
    /// Parses `[STAGE=]URL`; a stage must be one of `stages`.
    pub fn parse(given: &str, stages: &[&str]) -> Result<HealthCheck, PlanError> {
        let given = given.trim();
        let (stage, url) = match given.split_once('=') {
            // A URL's own `=` comes after `://`: a stage name has no `:` or `/`.
            Some((stage, url)) if !stage.contains([':', '/']) => (Some(stage.trim()), url.trim()),
            _ => (None, given),
        };
        let bad = |what: String| PlanError::Flags {
            what: format!("--health-url {given}: {what}"),
        };
        let url = Url::parse(url).map_err(|error| bad(format!("not a URL ({error})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("the URL must be http:// or https://".into()));
        }
        if let Some(stage) = stage
            && !stages.contains(&stage)
        {
            return Err(bad(format!(
                "`{stage}` is not a stage of this run ({})",
                stages.join(", ")
            )));
        }
        Ok(HealthCheck {
            stage: stage.map(str::to_owned),
            url,
            service: None,
        })
    }

    /// A manifest target's `health` URL, checked after its stage. The manifest checked it
    /// is an http(s) URL.
    pub fn of_service(service: &str, url: &str, stage: &str) -> Result<HealthCheck, PlanError> {
        let url = Url::parse(url).map_err(|error| PlanError::Flags {
            what: format!("the health URL of service `{service}` is not a URL ({error})"),
        })?;
        Ok(HealthCheck {
            stage: Some(stage.to_owned()),
            url,
            service: Some(service.to_owned()),
        })
    }

    /// Whether this check runs after `stage` (`last`: it is the run's last stage).
    pub fn after(&self, stage: &str, last: bool) -> bool {
        match &self.stage {
            Some(name) => name == stage,
            None => last,
        }
    }
}

/// Asks `check.url` until it answers healthy, the window (`policy.timeout`) closes or the
/// attempts run out; the report keeps the last status and the start of the last body. The
/// request carries no credentials: the URL is the service's, not Dokploy's.
pub async fn probe(
    http: &reqwest::Client,
    check: &HealthCheck,
    stage: &str,
    policy: &HealthPolicy,
) -> HealthReport {
    let window = Instant::now() + policy.timeout;
    let mut wait = policy.first_wait;
    let mut report = HealthReport {
        stage: stage.to_owned(),
        service: check.service.clone(),
        url: check.url.to_string(),
        healthy: false,
        answer: String::new(),
        status: None,
        body: None,
        attempts: 0,
    };
    loop {
        report.attempts += 1;
        let left = window.saturating_duration_since(Instant::now());
        let answer = http
            .get(check.url.clone())
            .timeout(left.clamp(Duration::from_millis(1), ANSWER_TIMEOUT))
            .send()
            .await;
        match answer {
            Ok(response) => {
                let status = response.status();
                report.status = Some(status.as_u16());
                report.answer = format!("answered {status}");
                let body = response.bytes().await.unwrap_or_default();
                report.body = Some(excerpt(&body)).filter(|body| !body.is_empty());
                if policy.healthy(status.as_u16()) {
                    report.healthy = true;
                    return report;
                }
            }
            Err(error) => {
                report.answer = gantry_http::HttpError::from(error).to_string();
            }
        }
        let out_of_attempts = policy
            .retries
            .is_some_and(|retries| report.attempts > retries);
        if out_of_attempts || Instant::now() + wait >= window {
            return report;
        }
        tracing::info!(
            "health check {}: {}; again in {wait:?}",
            check.url,
            report.answer
        );
        tokio::time::sleep(wait).await;
        wait = (wait + wait / 2).min(policy.max_wait);
    }
}

/// The start of a body, on one line, without control characters.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4 * BODY_EXCERPT)]);
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    match line.char_indices().nth(BODY_EXCERPT) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_prefixes_and_urls_with_equals_signs() {
        let stages = ["backend", "frontend"];
        let check = HealthCheck::parse("backend=https://api.example/health", &stages).unwrap();
        assert_eq!(check.stage.as_deref(), Some("backend"));
        assert!(check.after("backend", false) && !check.after("frontend", true));
        let plain = HealthCheck::parse("https://x.example/h?probe=1", &stages).unwrap();
        assert_eq!(plain.stage, None);
        assert_eq!(plain.url.as_str(), "https://x.example/h?probe=1");
        assert!(plain.after("frontend", true) && !plain.after("backend", false));
        for bad in ["web=https://x", "ftp://x", "backend=not a url"] {
            assert!(HealthCheck::parse(bad, &stages).is_err(), "{bad}");
        }
    }
}
