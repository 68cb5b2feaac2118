//! Optional HTTP health checks after a stage: Dokploy's `done` means the commands returned,
//! not that the service answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable as _};
use reqwest::Url;

use crate::plan::PlanError;
use crate::report::HealthReport;

/// `--health-url [STAGE=]URL`: checked after `stage`, or after the last stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub stage: Option<String>,
    pub url: Url,
}

/// What counts as healthy and how long to keep asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthPolicy {
    /// The status a healthy service answers with.
    pub expect: u16,
    /// Attempts after the first one.
    pub retries: usize,
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// Waits between attempts: from `first_wait` doubling up to `max_wait`.
    pub first_wait: Duration,
    pub max_wait: Duration,
}

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

/// Asks `check.url` until it answers `policy.expect` or the retries run out. The request
/// carries no credentials: the URL is the service's, not Dokploy's.
pub async fn probe(
    http: &reqwest::Client,
    check: &HealthCheck,
    stage: &str,
    policy: &HealthPolicy,
) -> HealthReport {
    let attempts = AtomicUsize::new(0);
    let attempt = || async {
        attempts.fetch_add(1, Ordering::Relaxed);
        let response = http
            .get(check.url.clone())
            .timeout(policy.timeout)
            .send()
            .await
            .map_err(|error| gantry_http::HttpError::from(error).to_string())?;
        let status = response.status();
        if status.as_u16() == policy.expect {
            Ok(status.to_string())
        } else {
            Err(format!("answered {status}"))
        }
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.first_wait)
        .with_max_delay(policy.max_wait)
        .with_max_times(policy.retries);
    let outcome = attempt
        .retry(backoff)
        .notify(|answer, wait| {
            tracing::info!("health check {}: {answer}; again in {wait:?}", check.url);
        })
        .await;
    let (healthy, answer) = match outcome {
        Ok(answer) => (true, answer),
        Err(answer) => (false, answer),
    };
    HealthReport {
        stage: stage.to_owned(),
        url: check.url.to_string(),
        healthy,
        answer,
        attempts: attempts.load(Ordering::Relaxed),
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
