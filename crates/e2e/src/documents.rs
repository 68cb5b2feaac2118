//! Each tool's `--format json` document as the tool's own types serialize it, filled so that
//! every key appears (design tests check the designed keys; the docs test checks that the
//! JSON blocks of the docs have these shapes). gantry-matrix and gantry-tags documents come
//! from runs of the binaries instead (see `snippets::json`).

use serde_json::Value;

/// gantry-prune's document: one entry in each list.
pub fn prune() -> Value {
    use gantry_prune::report::{Document, Entry};
    let entry = Entry {
        package: "acme/api".to_owned(),
        id: 1,
        digest: format!("sha256:{}", "d".repeat(64)),
        tags: vec!["pr-1".to_owned()],
        reason: "older than 30d".to_owned(),
    };
    let report = Document {
        deleted: vec![entry.clone()],
        kept: vec![entry.clone()],
        skipped: vec![entry.clone()],
        failed: vec![entry],
        api_calls: Default::default(),
    };
    serde_json::to_value(report).expect("the report serializes")
}

/// gantry-dokploy's document: one deployment, one health check, one ledger record.
pub fn dokploy() -> Value {
    use gantry_dokploy::api::ServiceKind;
    use gantry_dokploy::report::{HealthReport, Outcome, Report, TargetReport};
    let report = Report {
        result: Outcome::Success,
        environment: Some("staging".to_owned()),
        deployments: vec![TargetReport::new(
            "backend",
            "api",
            ServiceKind::Application,
            "app-1",
            "ghcr.io/acme/api:v1".to_owned(),
        )],
        health_checks: vec![HealthReport {
            stage: "backend".to_owned(),
            service: Some("api".to_owned()),
            url: "https://shop.example/health".to_owned(),
            healthy: true,
            answer: "answered 200 OK".to_owned(),
            status: Some(200),
            body: Some("ok".to_owned()),
            attempts: 1,
        }],
        ledger: vec![gantry_dokploy::ledger::Recorded {
            service: "api".to_owned(),
            repository: "ghcr.io/acme/api".to_owned(),
            digest: format!("sha256:{}", "a".repeat(64)),
            tags: vec!["staging".to_owned(), "staging-20261205T101500Z".to_owned()],
        }],
        failures: Vec::new(),
        logs: Vec::new(),
        no_wait: false,
    };
    serde_json::from_str(&report.to_json()).expect("the report is JSON")
}

/// gantry-promote's document: one tag moved.
pub fn promote() -> Value {
    use gantry_promote::{Promotion, TagPromotion, TagStatus};
    use gantry_registry::{Digest, Tag};
    let digest =
        |hex: &str| Digest::parse(&format!("sha256:{}", hex.repeat(64))).expect("a digest");
    let promotion = Promotion {
        image: "ghcr.io/acme/api:staging".to_owned(),
        digest: digest("a"),
        media_type: "application/vnd.oci.image.index.v1+json".to_owned(),
        tags: vec![TagPromotion {
            tag: Tag::parse("production").expect("a tag"),
            reference: "ghcr.io/acme/api:production".to_owned(),
            previous_digest: Some(digest("b")),
            status: TagStatus::Moved,
        }],
    };
    serde_json::from_str(&gantry_promote::report::json(&promotion)).expect("the report is JSON")
}
