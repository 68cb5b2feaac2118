use std::collections::{HashMap, HashSet};
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::rules::{Age, Deployed, KeepCount, Running, TagGlobs};

const NOW: &str = "2026-06-01T00:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn digest(n: usize) -> String {
    format!("sha256:{n:064x}")
}

fn version(n: usize, tags: &[&str], days_old: i64) -> Version {
    let at = now() - jiff::SignedDuration::from_hours(24 * days_old);
    Version {
        id: 5_000_000_000 + n as u64,
        digest: digest(n),
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        created_at: Some(at),
        updated_at: Some(at),
        leftover: false,
    }
}

fn index_of(children: &[usize]) -> Knowledge {
    Knowledge::Read(ManifestFacts {
        children: children.iter().map(|&n| digest(n)).collect(),
        ..ManifestFacts::default()
    })
}

fn image() -> Knowledge {
    index_of(&[])
}

fn referrer_of(subject: usize) -> Knowledge {
    Knowledge::Read(ManifestFacts {
        subject: Some(digest(subject)),
        ..ManifestFacts::default()
    })
}

fn cosign(subject: usize, suffix: &str) -> String {
    format!("sha256-{:064x}.{suffix}", subject)
}

fn globs(patterns: &[&str]) -> TagGlobs {
    TagGlobs::new(patterns).unwrap()
}

fn age(days: u64) -> Age {
    Age {
        text: format!("{days}d"),
        duration: Duration::from_secs(days * 86_400),
    }
}

/// Plans, reads what the plan asks for from `truth` (each digest at most once), and plans
/// again until the plan is final. Returns it with the digests read, in order.
fn settle(
    versions: &[Version],
    truth: &HashMap<String, Knowledge>,
    rules: &Rules,
) -> (Plan, Vec<String>) {
    let mut known = HashMap::new();
    let mut read = Vec::new();
    for _ in 0..=versions.len() + 1 {
        let plan = plan(versions, &known, rules, now());
        if plan.is_final() {
            return (plan, read);
        }
        for digest in plan.reads {
            assert!(!known.contains_key(&digest), "{digest} read twice");
            let knowledge = truth.get(&digest).cloned().unwrap_or_else(image);
            known.insert(digest.clone(), knowledge);
            read.push(digest);
        }
    }
    panic!("the plan never settled");
}

fn truth(entries: &[(usize, Knowledge)]) -> HashMap<String, Knowledge> {
    entries
        .iter()
        .map(|(n, knowledge)| (digest(*n), knowledge.clone()))
        .collect()
}

fn decision_of(plan: &Plan, versions: &[Version], n: usize) -> (Decision, ReasonKind) {
    let index = versions
        .iter()
        .position(|version| version.digest == digest(n))
        .unwrap();
    let decided = &plan.decisions[index];
    (decided.decision, decided.reason.kind)
}

fn reads_of(read: &[String]) -> Vec<usize> {
    let mut numbers: Vec<usize> = read
        .iter()
        .map(|digest| usize::from_str_radix(&digest["sha256:".len()..], 16).unwrap())
        .collect();
    numbers.sort_unstable();
    numbers
}

#[test]
fn nothing_to_delete_reads_nothing() {
    let versions = [version(1, &["v1"], 90), version(2, &["v2"], 1)];
    let (plan, read) = settle(&versions, &HashMap::new(), &Rules::default());
    assert!(read.is_empty());
    assert!(plan.order.is_empty());
    assert_eq!(
        decision_of(&plan, &versions, 1),
        (Decision::Keep, ReasonKind::NoTagRule)
    );
}

/// What an interrupted run left goes whatever the rules keep now (undated, among the newest
/// untagged), with its own children; one a kept index lists again stays, and so does a
/// referrer of a kept image.
#[test]
fn leftovers_of_an_interrupted_run_go_unless_something_kept_reaches_them() {
    let leftover = |n: usize, days: i64| {
        let mut version = version(n, &[], days);
        version.leftover = true;
        version
    };
    let mut undated = leftover(2, 0);
    undated.created_at = None;
    undated.updated_at = None;
    let versions = [
        version(1, &["v1"], 1),
        undated,
        version(3, &[], 1),
        leftover(4, 1),
        leftover(5, 1),
        leftover(6, 1),
    ];
    let truth = truth(&[
        (1, index_of(&[5])),
        (2, index_of(&[3])),
        (6, referrer_of(1)),
    ]);
    let rules = Rules {
        keep_untagged: Some(5),
        older_than: Some(age(30)),
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &truth, &rules);
    let decisions: Vec<(Decision, ReasonKind)> =
        (1..=6).map(|n| decision_of(&plan, &versions, n)).collect();
    assert_eq!(
        decisions,
        [
            (Decision::Keep, ReasonKind::TooYoung),
            (Decision::Delete, ReasonKind::Leftover),
            (Decision::Delete, ReasonKind::ChildOfDeleted),
            (Decision::Delete, ReasonKind::Leftover),
            (Decision::Keep, ReasonKind::ChildOfKept),
            (Decision::Keep, ReasonKind::AttachedToKept),
        ]
    );
}

#[test]
fn children_of_a_kept_multi_arch_index_stay_and_loose_untagged_images_go() {
    // v1 = index(2 platforms, 2 attestations); 6 = a loose untagged image.
    let versions = [
        version(1, &["v1"], 40),
        version(2, &[], 40),
        version(3, &[], 40),
        version(4, &[], 40),
        version(5, &[], 40),
        version(6, &[], 40),
    ];
    let truth = truth(&[(1, index_of(&[2, 3, 4, 5]))]);
    let (plan, read) = settle(&versions, &truth, &Rules::default());
    for child in 2..=5 {
        assert_eq!(
            decision_of(&plan, &versions, child),
            (Decision::Keep, ReasonKind::ChildOfKept)
        );
    }
    assert_eq!(
        decision_of(&plan, &versions, 6),
        (Decision::Delete, ReasonKind::UntaggedImage)
    );
    assert_eq!(reads_of(&read), [1, 2, 3, 4, 5, 6]);
    assert_eq!(plan.order, [vec![5]]);
}

#[test]
fn a_deleted_index_explains_its_children_for_one_read() {
    let versions = [
        version(1, &["v1"], 40),
        version(2, &[], 40),
        version(3, &["pr-1"], 40),
        version(4, &[], 40),
        version(5, &[], 40),
    ];
    let truth = truth(&[(1, index_of(&[2])), (3, index_of(&[4, 5]))]);
    let rules = Rules {
        delete_tags: Some(globs(&["pr-*"])),
        ..Rules::default()
    };
    let (plan, read) = settle(&versions, &truth, &rules);
    assert_eq!(
        reads_of(&read),
        [1, 2, 3],
        "kept 1 and 2, deleted index 3; its children are not read"
    );
    assert_eq!(
        decision_of(&plan, &versions, 4),
        (Decision::Delete, ReasonKind::ChildOfDeleted)
    );
    // The index goes first, then its children (newest first).
    assert_eq!(plan.order, [vec![2], vec![4, 3]]);
}

#[test]
fn a_child_shared_with_a_kept_index_stays() {
    let versions = [
        version(1, &["v1.0"], 40),
        version(2, &["v1.0-rc1"], 40),
        version(3, &[], 40),
        version(4, &[], 40),
        version(5, &[], 40),
    ];
    let truth = truth(&[(1, index_of(&[3, 4])), (2, index_of(&[3, 5]))]);
    let rules = Rules {
        delete_tags: Some(globs(&["*-rc*"])),
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &truth, &rules);
    assert_eq!(
        decision_of(&plan, &versions, 3),
        (Decision::Keep, ReasonKind::ChildOfKept)
    );
    assert_eq!(
        decision_of(&plan, &versions, 5),
        (Decision::Delete, ReasonKind::ChildOfDeleted)
    );
    assert_eq!(
        decision_of(&plan, &versions, 2),
        (Decision::Delete, ReasonKind::TaggedRule)
    );
}

#[test]
fn nested_indexes_keep_every_level() {
    let versions = [
        version(1, &["latest"], 40),
        version(2, &[], 40),
        version(3, &[], 40),
        version(4, &["old"], 40),
        version(5, &[], 40),
        version(6, &[], 40),
    ];
    let truth = truth(&[
        (1, index_of(&[2])),
        (2, index_of(&[3])),
        (4, index_of(&[5])),
        (5, index_of(&[6])),
    ]);
    let rules = Rules {
        keep_tagged: Some(1),
        protect_tags: globs(&["latest"]),
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &truth, &rules);
    assert_eq!(decision_of(&plan, &versions, 3).0, Decision::Keep);
    // `old` is the one newest unprotected tagged image: kept with its whole tree.
    assert_eq!(
        decision_of(&plan, &versions, 4),
        (Decision::Keep, ReasonKind::NewestTagged)
    );
    assert_eq!(decision_of(&plan, &versions, 6).0, Decision::Keep);
    let rules = Rules {
        keep_tagged: Some(0),
        ..rules
    };
    let (plan, _) = settle(&versions, &truth, &rules);
    assert_eq!(decision_of(&plan, &versions, 3).0, Decision::Keep);
    // 6 is listed by 5, which is not read (a child of deleted `old`): 6 is read itself, and
    // goes last since an unread deletion could list it.
    assert_eq!(plan.order, [vec![3], vec![4], vec![5]]);
}

#[test]
fn signatures_and_referrers_follow_their_subject() {
    let versions = [
        version(1, &["v1"], 40),
        version(2, &[&cosign(1, "sig")], 40),
        version(3, &[], 40),
        version(4, &["pr-9"], 40),
        version(5, &[&cosign(4, "att")], 40),
        version(6, &[], 40),
        version(7, &[&cosign(99, "sig")], 40),
    ];
    let truth = truth(&[(3, referrer_of(1)), (6, referrer_of(4))]);
    let rules = Rules {
        delete_tags: Some(globs(&["pr-*", "sha256-*"])),
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &truth, &rules);
    assert_eq!(
        decision_of(&plan, &versions, 2),
        (Decision::Keep, ReasonKind::AttachedToKept)
    );
    assert_eq!(
        decision_of(&plan, &versions, 3),
        (Decision::Keep, ReasonKind::AttachedToKept)
    );
    assert_eq!(
        decision_of(&plan, &versions, 5),
        (Decision::Delete, ReasonKind::AttachedToDeleted)
    );
    assert_eq!(
        decision_of(&plan, &versions, 6),
        (Decision::Delete, ReasonKind::AttachedToDeleted)
    );
    assert_eq!(
        decision_of(&plan, &versions, 7),
        (Decision::Delete, ReasonKind::Orphaned)
    );
    let text = &plan.decisions[1].reason.text;
    assert_eq!(text, "cosign signature of kept v1");
}

#[test]
fn keep_tagged_counts_unprotected_top_level_images_and_older_than_guards_the_rest() {
    let versions = [
        version(1, &["latest"], 1),
        version(2, &["b1"], 2),
        version(3, &["b2"], 3),
        version(4, &["b3"], 5),
        version(5, &["b4"], 20),
        version(6, &["b5"], 30),
        version(7, &[], 30),
    ];
    let truth = truth(&[(6, index_of(&[7]))]);
    let rules = Rules {
        keep_tagged: Some(2),
        older_than: Some(age(10)),
        protect_tags: globs(&["latest"]),
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &truth, &rules);
    let summary: Vec<(Decision, ReasonKind)> =
        (1..=7).map(|n| decision_of(&plan, &versions, n)).collect();
    assert_eq!(
        summary,
        [
            (Decision::Keep, ReasonKind::Protected),
            (Decision::Keep, ReasonKind::NewestTagged),
            (Decision::Keep, ReasonKind::NewestTagged),
            (Decision::Keep, ReasonKind::TooYoung),
            (Decision::Delete, ReasonKind::TaggedRule),
            (Decision::Delete, ReasonKind::TaggedRule),
            (Decision::Delete, ReasonKind::ChildOfDeleted),
        ]
    );
    assert_eq!(
        plan.decisions[3].reason.text,
        "updated 5 days ago, not older than 10d"
    );
    assert_eq!(
        plan.decisions[4].reason.text,
        "tagged b4: older than 10d, not among the 2 newest tagged images"
    );
}

#[test]
fn delete_tags_never_take_a_protected_or_unmatched_tag_with_them() {
    let versions = [
        version(1, &["pr-1", "latest"], 40),
        version(2, &["pr-2", "main"], 40),
        version(3, &["pr-3"], 40),
    ];
    let rules = Rules {
        delete_tags: Some(globs(&["pr-*"])),
        protect_tags: globs(&["latest"]),
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &HashMap::new(), &rules);
    assert_eq!(
        decision_of(&plan, &versions, 1),
        (Decision::Keep, ReasonKind::Protected)
    );
    assert_eq!(
        plan.decisions[0].reason.text,
        "protected tag latest (matches latest); pr-1 matches --delete-tags, but deleting the version would delete latest too"
    );
    assert_eq!(
        decision_of(&plan, &versions, 2),
        (Decision::Keep, ReasonKind::DeleteTagsUnmatched)
    );
    assert_eq!(
        decision_of(&plan, &versions, 3),
        (Decision::Delete, ReasonKind::TaggedRule)
    );
}

#[test]
fn globs_match_tags_never_digests() {
    let versions = [version(1, &[], 40), version(2, &["v1"], 40)];
    let rules = Rules {
        protect_tags: globs(&["sha256*", "*sha256:*"]),
        delete_tags: Some(globs(&["sha256:*"])),
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &HashMap::new(), &rules);
    assert_eq!(
        decision_of(&plan, &versions, 1),
        (Decision::Delete, ReasonKind::UntaggedImage)
    );
    assert_eq!(
        decision_of(&plan, &versions, 2),
        (Decision::Keep, ReasonKind::DeleteTagsUnmatched)
    );
}

#[test]
fn an_unreadable_manifest_fails_the_package_closed() {
    let versions = [version(1, &["v1"], 40), version(2, &[], 40)];
    let truth = truth(&[(1, Knowledge::Unreadable("401 Unauthorized".into()))]);
    let (plan, _) = settle(&versions, &truth, &Rules::default());
    assert!(plan.order.is_empty());
    assert_eq!(
        decision_of(&plan, &versions, 2),
        (Decision::Skip, ReasonKind::FailClosed)
    );
    let why = plan.fail_closed.unwrap();
    assert!(
        why.contains("(v1) cannot be read: 401 Unauthorized"),
        "{why}"
    );
}

#[test]
fn undated_versions_are_never_aged_or_ranked_out() {
    let mut undated = version(1, &["a"], 0);
    undated.created_at = None;
    undated.updated_at = None;
    let versions = [undated, version(2, &["b"], 40)];
    let rules = Rules {
        keep_tagged: Some(0),
        older_than: Some(age(1)),
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &HashMap::new(), &rules);
    assert_eq!(
        decision_of(&plan, &versions, 1),
        (Decision::Keep, ReasonKind::AgeUnknown)
    );
    assert_eq!(decision_of(&plan, &versions, 2).0, Decision::Delete);
}

fn tag_rule(glob: &str, keep: Option<KeepCount>, older_than: Option<u64>) -> TagRule {
    TagRule {
        name: Some(glob.to_owned()),
        tags: Some(globs(&[glob])),
        keep,
        older_than: older_than.map(age),
    }
}

/// The set of version numbers a plan keeps.
fn kept_set(plan: &Plan, versions: &[Version]) -> Vec<usize> {
    let mut kept: Vec<usize> = versions
        .iter()
        .zip(&plan.decisions)
        .filter(|(_, decided)| decided.decision == Decision::Keep)
        .map(|(version, _)| usize::from_str_radix(&version.digest["sha256:".len()..], 16).unwrap())
        .collect();
    kept.sort_unstable();
    kept
}

/// Keep 3 `pr-*` and any younger than 7 days, 2 `sha-*`, every `v*`: each rule ranks the
/// versions it matches; a version two rules match stays when either keeps it; a tag no rule
/// matches keeps its version.
#[test]
fn several_rules_keep_what_any_of_them_keeps() {
    let versions = [
        version(1, &["pr-1"], 1),
        version(2, &["pr-2"], 10),
        version(3, &["pr-3"], 11),
        version(4, &["pr-4"], 12),
        version(5, &["pr-5"], 13),
        version(6, &["sha-a"], 20),
        version(7, &["sha-b"], 21),
        version(8, &["sha-c", "pr-6"], 22),
        version(9, &["sha-d"], 23),
        version(10, &["v1.0"], 400),
        version(11, &["v0.9", "sha-e"], 500),
        version(12, &["main"], 600),
        version(13, &["pr-7"], 2),
    ];
    let rules = Rules {
        tag_rules: vec![
            tag_rule("pr-*", Some(KeepCount::Newest(3)), Some(7)),
            tag_rule("sha-*", Some(KeepCount::Newest(2)), None),
            tag_rule("v*", Some(KeepCount::All), None),
        ],
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &HashMap::new(), &rules);
    assert_eq!(kept_set(&plan, &versions), [1, 2, 6, 7, 10, 11, 12, 13]);
    let reason = |n: usize| plan.decisions[n - 1].reason.text.as_str();
    assert_eq!(
        reason(13),
        "retention rule `pr-*`: one of the 3 newest matching"
    );
    assert_eq!(
        reason(1),
        "retention rule `pr-*`: one of the 3 newest matching"
    );
    assert_eq!(
        reason(2),
        "retention rule `pr-*`: one of the 3 newest matching"
    );
    assert_eq!(reason(11), "retention rule `v*`: keeps all");
    assert_eq!(
        reason(6),
        "retention rule `sha-*`: one of the 2 newest matching"
    );
    assert_eq!(reason(10), "retention rule `v*`: keeps all");
    assert_eq!(
        reason(12),
        "tag main matches no retention rule (deleting the version would delete every tag on it)"
    );
    assert_eq!(
        reason(8),
        "tagged sha-c, pr-6: retention rule `pr-*`: older than 7d, not among the 3 newest matching; retention rule `sha-*`: not among the 2 newest matching"
    );
    assert_eq!(
        decision_of(&plan, &versions, 3),
        (Decision::Delete, ReasonKind::TaggedRule)
    );
}

/// The shorthand (`--keep-tagged 1`) is one more rule over every tag, next to the manifest's.
#[test]
fn the_shorthand_is_one_more_rule() {
    let versions = [
        version(1, &["main"], 1),
        version(2, &["pr-1"], 2),
        version(3, &["v1"], 300),
        version(4, &["sha-a"], 3),
    ];
    let rules = Rules {
        keep_tagged: Some(1),
        tag_rules: vec![tag_rule("v*", Some(KeepCount::All), None)],
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &HashMap::new(), &rules);
    assert_eq!(kept_set(&plan, &versions), [1, 3]);
    assert_eq!(
        plan.decisions[0].reason.text,
        "one of the 1 newest tagged images"
    );
}

/// Next to retention rules, `--older-than` alone guards untagged images and makes no rule
/// over every tag: an old `main` stays.
#[test]
fn older_than_alone_is_no_rule_next_to_retention_rules() {
    let versions = [
        version(1, &["main"], 90),
        version(2, &["pr-1"], 90),
        version(3, &[], 90),
        version(4, &[], 0),
    ];
    let rules = Rules {
        older_than: Some(age(1)),
        tag_rules: vec![tag_rule("pr-*", Some(KeepCount::Newest(0)), None)],
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &HashMap::new(), &rules);
    assert_eq!(kept_set(&plan, &versions), [1, 4]);
    assert_eq!(
        decision_of(&plan, &versions, 1),
        (Decision::Keep, ReasonKind::DeleteTagsUnmatched)
    );
}

/// Environment tags, the newest `deploy.history` distinct digests among an environment's
/// ledger entries, and what Dokploy runs are kept with their reasons, and are not counted
/// by `--keep-tagged`; older entries and `staging-<sha>` build tags are not protected.
#[test]
fn what_runs_and_what_a_rollback_needs_stay() {
    let versions = [
        version(1, &["staging", "staging-20261205T101500Z"], 1),
        version(2, &["staging-20261204T101500Z"], 2),
        version(
            3,
            &["staging-20261203T101500Z", "staging-20261201T101500Z"],
            3,
        ),
        version(4, &["staging-20261202T101500Z"], 4),
        version(5, &["production", "production-20261130T101500Z"], 5),
        version(6, &["staging-abc1234"], 6),
        version(7, &["sha-running"], 7),
        version(8, &["sha-old"], 8),
        version(9, &["sha-newest"], 0),
        version(10, &[], 9),
    ];
    let rules = Rules {
        keep_tagged: Some(1),
        deployed: Deployed {
            environments: vec!["staging".into(), "production".into()],
            history: 3,
            running: vec![
                Running {
                    tag_or_digest: "sha-running".into(),
                    why: "runs in production (Dokploy application app-1)".into(),
                },
                Running {
                    tag_or_digest: digest(10),
                    why: "runs in staging (Dokploy application app-2)".into(),
                },
            ],
        },
        ..Rules::default()
    };
    let (plan, _) = settle(&versions, &HashMap::new(), &rules);
    assert_eq!(kept_set(&plan, &versions), [1, 2, 3, 5, 7, 9, 10]);
    let reason = |n: usize| plan.decisions[n - 1].reason.text.as_str();
    assert_eq!(reason(1), "deployed in staging");
    assert_eq!(reason(2), "rollback target staging-20261204T101500Z");
    assert_eq!(reason(3), "rollback target staging-20261203T101500Z");
    assert_eq!(reason(5), "deployed in production");
    assert_eq!(reason(7), "runs in production (Dokploy application app-1)");
    assert_eq!(reason(10), "runs in staging (Dokploy application app-2)");
    assert_eq!(reason(9), "one of the 1 newest tagged images");
    assert_eq!(
        decision_of(&plan, &versions, 4),
        (Decision::Delete, ReasonKind::TaggedRule)
    );
    assert_eq!(
        decision_of(&plan, &versions, 6),
        (Decision::Delete, ReasonKind::TaggedRule)
    );
}

// ---- properties on random version graphs ----

const TAG_POOL: [&str; 12] = [
    "latest",
    "v1",
    "v1.1",
    "pr-1",
    "pr-2",
    "rc-1",
    "main",
    "edge",
    "staging",
    "staging-20260101T000000Z",
    "staging-20260102T000000Z",
    "staging-20260103T000000Z",
];
const RULE_POOL: [&str; 5] = ["pr-*", "v*", "*", "staging-*", "rc-?"];
const PROTECT_POOL: [&str; 5] = ["latest", "v*", "sha256*", "rc-*", "*sha256:*"];
const DELETE_POOL: [&str; 5] = ["pr-*", "v*", "*", "sha256:*", "edge"];

/// A random package: versions (digest `n` for version `n`) and the truth about their
/// manifests. Children and subjects point at earlier versions only, as pushes do.
#[derive(Debug, Clone)]
struct Package {
    versions: Vec<Version>,
    truth: HashMap<String, Knowledge>,
}

fn arb_package() -> impl Strategy<Value = Package> {
    (1usize..18).prop_flat_map(|count| {
        let per_version = (
            prop::collection::vec(0usize..TAG_POOL.len() + 2, 0..3),
            0i64..60,
            prop::collection::vec(any::<prop::sample::Index>(), 0..4),
            prop::option::weighted(0.25, any::<prop::sample::Index>()),
            prop::option::weighted(0.15, any::<prop::sample::Index>()),
            prop::bool::weighted(0.04),
        );
        prop::collection::vec(per_version, count).prop_map(move |specs| {
            let mut versions = Vec::new();
            let mut truth = HashMap::new();
            for (n, (tag_picks, days, children, subject, cosign_of, unreadable)) in
                specs.into_iter().enumerate()
            {
                let mut tags: Vec<String> = Vec::new();
                for pick in tag_picks {
                    let tag = match (TAG_POOL.get(pick), n) {
                        (Some(tag), _) => (*tag).to_owned(),
                        (None, 0) => continue,
                        (None, _) => format!("build-{n}-{pick}"),
                    };
                    if !tags.contains(&tag)
                        && !versions.iter().any(|v: &Version| v.tags.contains(&tag))
                    {
                        tags.push(tag);
                    }
                }
                if let (Some(of), true) = (cosign_of, n > 0) {
                    tags.push(cosign(of.index(n), "sig"));
                }
                let tag_refs: Vec<&str> = tags.iter().map(String::as_str).collect();
                versions.push(version(n, &tag_refs, days));
                let knowledge = if unreadable {
                    Knowledge::Unreadable("boom".to_owned())
                } else {
                    let mut children: Vec<String> = if n == 0 {
                        Vec::new()
                    } else {
                        children.iter().map(|pick| digest(pick.index(n))).collect()
                    };
                    children.dedup();
                    Knowledge::Read(ManifestFacts {
                        children,
                        subject: subject.filter(|_| n > 0).map(|pick| digest(pick.index(n))),
                        ..ManifestFacts::default()
                    })
                };
                truth.insert(digest(n), knowledge);
            }
            Package { versions, truth }
        })
    })
}

fn arb_globs(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(pool.to_vec(), 0..=2)
}

fn arb_rules() -> impl Strategy<Value = Rules> {
    (
        prop::option::of(0usize..4),
        prop::option::of(0usize..3),
        prop::option::of(0u64..40),
        any::<bool>(),
        prop::option::of(arb_globs(&DELETE_POOL)),
        arb_globs(&PROTECT_POOL),
    )
        .prop_map(
            |(keep_tagged, keep_untagged, older_than, created, delete_tags, protect_tags)| Rules {
                keep_tagged,
                keep_untagged,
                older_than: older_than.map(age),
                age_from: if created {
                    AgeFrom::Created
                } else {
                    AgeFrom::Updated
                },
                delete_tags: delete_tags.map(|patterns| globs(&patterns)),
                protect_tags: globs(&protect_tags),
                ..Rules::default()
            },
        )
        .prop_flat_map(|rules| {
            let rule = (
                prop::sample::select(RULE_POOL.to_vec()),
                prop::option::of(prop_oneof![
                    Just(KeepCount::All),
                    (0usize..3).prop_map(KeepCount::Newest)
                ]),
                prop::option::of(0u64..40),
            )
                .prop_map(|(glob, keep, older_than)| tag_rule(glob, keep, older_than));
            (
                Just(rules),
                prop::collection::vec(rule, 0..3),
                any::<bool>(),
                1usize..3,
            )
        })
        .prop_map(|(rules, mut tag_rules, environments, history)| {
            // Each glob once, as the manifest requires.
            let mut seen = HashSet::new();
            tag_rules.retain(|rule| seen.insert(rule.name.clone()));
            Rules {
                tag_rules,
                deployed: Deployed {
                    environments: if environments {
                        vec!["staging".to_owned()]
                    } else {
                        Vec::new()
                    },
                    history,
                    running: Vec::new(),
                },
                ..rules
            }
        })
}

fn facts_of<'a>(truth: &'a HashMap<String, Knowledge>, digest: &str) -> Option<&'a ManifestFacts> {
    match truth.get(digest) {
        Some(Knowledge::Read(facts)) => Some(facts),
        _ => None,
    }
}

fn image_tags(version: &Version) -> Vec<&String> {
    version
        .tags
        .iter()
        .filter(|tag| attached_subject(tag).is_none())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn plans_are_safe_on_random_graphs(package in arb_package(), rules in arb_rules()) {
        let Package { versions, truth } = package;
        let (plan, read) = settle(&versions, &truth, &rules);
        let by_digest: HashMap<&str, usize> =
            versions.iter().enumerate().map(|(i, v)| (v.digest.as_str(), i)).collect();
        let deleted = |i: usize| plan.decisions[i].decision == Decision::Delete;
        let stays = |i: usize| !deleted(i);

        // Reads: only versions, each once, and none when nothing would be deleted.
        prop_assert!(read.iter().all(|digest| by_digest.contains_key(digest.as_str())));
        prop_assert_eq!(read.iter().collect::<HashSet<_>>().len(), read.len());
        let first = super::plan(&versions, &HashMap::new(), &rules, now());
        if first.decisions.iter().all(|d| d.decision != Decision::Delete) {
            prop_assert!(read.is_empty());
        }

        // An unreadable manifest that was needed: nothing is deleted.
        if read.iter().any(|digest| matches!(truth.get(digest), Some(Knowledge::Unreadable(_)))) {
            prop_assert!(plan.fail_closed.is_some());
            prop_assert!((0..versions.len()).all(stays));
        }

        for (i, version) in versions.iter().enumerate() {
            let reason = &plan.decisions[i].reason;
            // Protect wins; and protection comes from a tag, never a digest.
            let protected = version.tags.iter().any(|tag| rules.protect_tags.matching(tag).is_some());
            if protected {
                prop_assert!(stays(i), "protected {} deleted", version.digest);
            }
            if reason.kind == ReasonKind::Protected {
                prop_assert!(protected);
            }
            // Tagged images go only by a tag rule, and the rules matched every tag.
            if deleted(i) && reason.kind == ReasonKind::TaggedRule {
                prop_assert!(rules.selects_tagged());
                let tag_rules = rules.tagged_rules();
                prop_assert!(image_tags(version).iter().all(|tag| tag_rules.iter().any(|rule| rule.matches(tag))));
                // No rule matching it keeps all.
                prop_assert!(!tag_rules.iter().any(|rule| rule.keep == Some(KeepCount::All)
                    && image_tags(version).iter().any(|tag| rule.matches(tag))));
            }
            // What runs and what a rollback needs stays.
            if version.tags.iter().any(|tag| rules.deployed.environments.contains(tag)) {
                prop_assert!(stays(i), "deployed {} deleted", version.digest);
            }
            if deleted(i) && !image_tags(version).is_empty() {
                prop_assert_eq!(reason.kind, ReasonKind::TaggedRule);
            }
            // Rule deletions are older than every `older-than` that applies: --older-than for
            // untagged images and orphans, each matching rule's for tagged images.
            let older = |older_than: &Age| {
                let at = age_time(version, rules.age_from).unwrap();
                now().duration_since(at).as_secs() > older_than.duration.as_secs() as i64
            };
            if deleted(i) && matches!(reason.kind, ReasonKind::UntaggedImage | ReasonKind::Orphaned)
                && let Some(older_than) = &rules.older_than
            {
                prop_assert!(older(older_than));
            }
            if deleted(i) && reason.kind == ReasonKind::TaggedRule {
                for rule in rules.tagged_rules() {
                    if image_tags(version).iter().any(|tag| rule.matches(tag))
                        && let Some(older_than) = &rule.older_than
                    {
                        prop_assert!(older(older_than), "{:?} keeps {}", rule.name, version.digest);
                    }
                }
            }
        }

        for environment in &rules.deployed.environments {
            let tags = versions.iter().flat_map(|v| v.tags.iter().map(move |t| (t.as_str(), v.digest.as_str())));
            for entry in gantry_manifest::ledger::kept(environment, tags, rules.deployed.history) {
                prop_assert!(stays(by_digest[entry.digest]), "rollback target {} deleted", entry.tag);
            }
        }

        // Nothing a kept manifest lists is deleted, at any depth (checked against the truth).
        let mut reachable: Vec<usize> = (0..versions.len()).filter(|&i| stays(i)).collect();
        let mut seen: HashSet<usize> = reachable.iter().copied().collect();
        while let Some(i) = reachable.pop() {
            for child in facts_of(&truth, &versions[i].digest).into_iter().flat_map(|f| &f.children) {
                if let Some(&c) = by_digest.get(child.as_str()) {
                    prop_assert!(stays(c), "child {} of kept {} deleted", child, versions[i].digest);
                    if seen.insert(c) {
                        reachable.push(c);
                    }
                }
            }
        }

        // Attachments follow their subject: cosign tags always, untagged referrers unless
        // only deleted indexes list them (they go with those indexes).
        for (i, version) in versions.iter().enumerate() {
            if !image_tags(version).is_empty() || version.tags.iter().any(|t| rules.protect_tags.matching(t).is_some()) {
                continue;
            }
            let listed = versions.iter().any(|parent| {
                facts_of(&truth, &parent.digest).is_some_and(|f| f.children.contains(&version.digest))
            });
            let tag_subjects = version.tags.iter().filter_map(|tag| attached_subject(tag)).map(|(s, _)| s);
            let truth_subject = facts_of(&truth, &version.digest).and_then(|f| f.subject.clone());
            let untagged_referrer = version.tags.is_empty() && !listed;
            for subject in tag_subjects.chain(truth_subject.filter(|_| untagged_referrer)) {
                if let Some(&s) = by_digest.get(subject.as_str())
                    && s != i
                    && stays(s)
                {
                    prop_assert!(stays(i), "{} of kept {} deleted", version.digest, subject);
                }
            }
        }

        // Deleting a read index deletes its untagged children that nothing kept needs.
        for (p, parent) in versions.iter().enumerate() {
            if !deleted(p) || read.iter().all(|digest| *digest != parent.digest) {
                continue;
            }
            for child in &facts_of(&truth, &parent.digest).unwrap().children {
                let Some(&c) = by_digest.get(child.as_str()) else { continue };
                let kept_parent = versions.iter().enumerate().any(|(q, other)| {
                    stays(q) && facts_of(&truth, &other.digest).is_some_and(|f| f.children.contains(child))
                });
                let kept_subject = facts_of(&truth, child)
                    .and_then(|f| f.subject.as_ref())
                    .and_then(|s| by_digest.get(s.as_str()))
                    .is_some_and(|&s| stays(s));
                if versions[c].tags.is_empty() && !kept_parent && !kept_subject && c != p {
                    prop_assert!(deleted(c), "child {} of deleted {} kept", child, parent.digest);
                }
            }
        }

        // Parents go before their children (known edges; see `nested_indexes_keep_every_level`
        // for an unread parent).
        let wave: HashMap<usize, usize> = plan
            .order
            .iter()
            .enumerate()
            .flat_map(|(w, indexes)| indexes.iter().map(move |&i| (i, w)))
            .collect();
        prop_assert_eq!(wave.len(), (0..versions.len()).filter(|&i| deleted(i)).count());
        for (&p, &wp) in &wave {
            for child in facts_of(&truth, &versions[p].digest).into_iter().flat_map(|f| &f.children) {
                if let Some(&c) = by_digest.get(child.as_str())
                    && let Some(&wc) = wave.get(&c)
                    && read.contains(&versions[p].digest)
                {
                    prop_assert!(wp < wc, "parent {} not before child {}", versions[p].digest, child);
                }
            }
        }

        // A rule keeping the N newest (`--keep-tagged N`, `keep: N`) keeps the N newest of the
        // candidates it matches: images whose every tag some rule matches, no protected tag.
        // A version that matches two rules takes a place in each ranking.
        if plan.fail_closed.is_none() && rules.selects_tagged() {
            let tag_rules = rules.tagged_rules();
            let mut candidates: Vec<usize> = (0..versions.len())
                .filter(|&i| {
                    let v = &versions[i];
                    !image_tags(v).is_empty()
                        && !v.tags.iter().any(|t| rules.protect_tags.matching(t).is_some())
                        && image_tags(v).iter().all(|t| tag_rules.iter().any(|rule| rule.matches(t)))
                })
                .collect();
            candidates.sort_by(|&a, &b| {
                age_time(&versions[b], rules.age_from)
                    .cmp(&age_time(&versions[a], rules.age_from))
                    .then(versions[b].id.cmp(&versions[a].id))
            });
            for rule in &tag_rules {
                let Some(KeepCount::Newest(newest)) = rule.keep else { continue };
                let matched = candidates
                    .iter()
                    .filter(|&&i| image_tags(&versions[i]).iter().any(|t| rule.matches(t)));
                for &i in matched.take(newest) {
                    prop_assert!(stays(i), "{} is among the {newest} newest of {:?}", versions[i].digest, rule.name);
                }
            }
        }
    }
}
