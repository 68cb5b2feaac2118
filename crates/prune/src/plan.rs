//! The planner: from a package's versions, the manifests read so far and the rules, which
//! versions are kept, which are deleted (and in what order), and which manifests must still
//! be read before the plan can be trusted. Pure: no I/O, no clock.
//!
//! A version is one manifest. Each gets a **role**:
//!
//! - *protected*: a tag matches `--protect-tags`; never deleted.
//! - *tagged image*: has a tag that does not name another digest; the tag rules decide.
//! - *attachment*: a cosign (`sha256-<hex>.sig|.att|.sbom`) or referrers (`sha256-<hex>`) tag,
//!   or an untagged manifest with a `subject`; it follows its subject.
//! - *child*: untagged and listed by an index read so far; it follows its parents.
//! - *untagged image*: untagged and nothing else known; the untagged rules decide.
//! - *leftover*: untagged, nothing known to list it, and an earlier, interrupted run had
//!   already decided to delete it after its index ([`Version::leftover`]); it is deleted.
//!
//! Then everything a kept version reaches stays: the children of a kept index (at any depth)
//! and the attachments of a kept manifest. What is left is deleted: rule candidates, children
//! whose parents all go, attachments of deleted subjects, orphaned attachments.
//!
//! Reads needed (and no more): none when nothing would be deleted. Otherwise every kept
//! version (only its manifest says whether it is an index whose children must stay), the
//! tagged versions being deleted when untagged ones are unexplained (reading a deleted index
//! explains its children for one read), and then each untagged deletion that no read index
//! lists (only its own manifest says whether it is a referrer of a kept image; ghcr.io has no
//! referrers API). The caller reads them, adds them to `known` and plans again until
//! [`Plan::reads`] is empty. A manifest that cannot be read makes the package fail closed:
//! nothing is deleted.

use std::collections::{HashMap, HashSet, VecDeque};

use jiff::Timestamp;

use crate::model::{AttachmentKind, ManifestFacts, Version, attached_subject, label, short_digest};
use gantry_manifest::ledger;

use crate::rules::{Age, AgeFrom, KeepCount, Rules, TagRule};

/// What is known about a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Knowledge {
    Read(ManifestFacts),
    /// It could not be read; the text says why.
    Unreadable(String),
}

/// What happens to a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    Keep,
    Delete,
    /// Would be deleted, but is not: the package fails closed, or (when applying) the
    /// registry refused, a parent stayed, or the rate-limit budget ran out.
    Skip,
    /// Set when applying: the delete failed.
    Failed,
}

/// Why, in a form that groups well in a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonKind {
    /// A Dokploy target runs it now.
    Running,
    /// An environment's tag is on it.
    Deployed,
    /// A retention rule with `keep: all` matches it.
    KeepAll,
    /// One of the newest `deploy.history` ledger entries of an environment.
    RollbackTarget,
    Protected,
    NoTagRule,
    DeleteTagsUnmatched,
    NewestTagged,
    NewestUntagged,
    TooYoung,
    AgeUnknown,
    ChildOfKept,
    AttachedToKept,
    TaggedRule,
    UntaggedImage,
    ChildOfDeleted,
    AttachedToDeleted,
    Orphaned,
    /// Left by an interrupted run after its index was deleted.
    Leftover,
    FailClosed,
    Cycle,
    /// Set when applying: already deleted by someone else (404).
    AlreadyGone,
    /// Set when applying: GitHub's "last tagged version" 400.
    LastTagged,
    /// Set when applying: GitHub's "last version" 400.
    LastVersion,
    /// Set when applying: GitHub's "more than 5000 downloads" 400.
    Popular,
    /// Set when applying: a parent index was not deleted, so its children stay.
    ParentStayed,
    /// Set when applying: the rate-limit budget ran out; left for the next run.
    BudgetSpent,
    /// Set when applying: the run stopped (a fatal error) before this version.
    Stopped,
    /// Set when applying: the delete failed.
    DeleteFailed,
    /// More deletions than `--max-delete` / `--max-delete-percent` allow: none is made.
    OverBudget,
    /// The listing just before the first delete differs from the plan's in a way that
    /// changes it: none is made.
    InventoryChanged,
    /// Dokploy could not say what runs in the package: nothing is deleted in it.
    DeployedUnknown,
    /// Set when applying: GitHub answered 404 but the version is still there: the token may
    /// read the package, not delete from it.
    DeleteRefused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub kind: ReasonKind,
    pub text: String,
}

impl Reason {
    pub fn new(kind: ReasonKind, text: impl Into<String>) -> Reason {
        Reason {
            kind,
            text: text.into(),
        }
    }
}

/// The decision on one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision: Decision,
    pub reason: Reason,
}

/// The plan for one package. `decisions[i]` is about `versions[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub decisions: Vec<Decided>,
    /// Digests to read before this plan is final (each once).
    pub reads: Vec<String>,
    /// The deletions in waves, by version index: a version comes after every deleted index
    /// that lists it, so an interrupted run never leaves an index without a child.
    pub order: Vec<Vec<usize>>,
    /// `after[i]`: the deletions that list version `i` (known from manifests read); they
    /// must have succeeded before it may be deleted.
    pub after: Vec<Vec<usize>>,
    /// Deletions with no known parent placed after every deletion whose manifest was not
    /// read (`unread`), since one of those might list them: they too wait for those to
    /// succeed.
    pub guarded: Vec<bool>,
    /// Deletions whose manifest was not read.
    pub unread: Vec<bool>,
    /// Why nothing is deleted, when a manifest could not be read.
    pub fail_closed: Option<String>,
}

impl Plan {
    /// No more reads are needed: the decisions stand.
    pub fn is_final(&self) -> bool {
        self.reads.is_empty()
    }

    /// Indexes of the versions to delete.
    pub fn deletions(&self) -> impl Iterator<Item = usize> + '_ {
        self.order.iter().flatten().copied()
    }
}

/// The deletion order and what each deletion waits for (see [`Plan`]).
struct Ordering {
    order: Vec<Vec<usize>>,
    after: Vec<Vec<usize>>,
    guarded: Vec<bool>,
    unread: Vec<bool>,
}

/// A version's place before the graph is applied.
#[derive(Debug, Clone)]
enum Role {
    /// Kept whatever the rules say, for this reason.
    Protected(Reason),
    Tagged,
    /// Subjects (digest and kind) it follows; `orphan` when none is in the package.
    Attachment {
        subjects: Vec<(String, AttachmentKind)>,
        orphan: bool,
    },
    Child,
    Untagged,
    Leftover,
}

/// Plans one package. `now` anchors `--older-than`.
pub fn plan(
    versions: &[Version],
    known: &HashMap<String, Knowledge>,
    rules: &Rules,
    now: Timestamp,
) -> Plan {
    let graph = Graph::new(versions, known);
    let mut protections = protections(versions, rules);
    let roles: Vec<Role> = (0..versions.len())
        .map(|index| graph.role(index, protections[index].take()))
        .collect();
    let mut decided: Vec<Option<Decided>> = vec![None; versions.len()];
    decide_by_rules(versions, &roles, rules, now, &mut decided);
    spread_keeps(&graph, &roles, &mut decided);
    let mut decisions: Vec<Decided> = decided
        .into_iter()
        .enumerate()
        .map(|(index, decided)| decided.unwrap_or_else(|| graph.follower_deletion(index, &roles)))
        .collect();
    let unreadable = versions
        .iter()
        .find_map(|version| match known.get(&version.digest) {
            Some(Knowledge::Unreadable(why)) => Some(format!(
                "manifest {} ({}) cannot be read: {why}",
                short_digest(&version.digest),
                label(version)
            )),
            _ => None,
        });
    if let Some(why) = unreadable {
        for decided in &mut decisions {
            if decided.decision == Decision::Delete {
                *decided = Decided {
                    decision: Decision::Skip,
                    reason: Reason::new(
                        ReasonKind::FailClosed,
                        format!("package fails closed: {why}"),
                    ),
                };
            }
        }
        return Plan {
            after: vec![Vec::new(); versions.len()],
            guarded: vec![false; versions.len()],
            unread: vec![false; versions.len()],
            decisions,
            reads: Vec::new(),
            order: Vec::new(),
            fail_closed: Some(why),
        };
    }
    let reads = graph.reads_needed(&decisions);
    let Ordering {
        order,
        after,
        guarded,
        unread,
    } = graph.deletion_order(&mut decisions);
    Plan {
        decisions,
        reads,
        order,
        after,
        guarded,
        unread,
        fail_closed: None,
    }
}

/// Versions, the manifests read so far, and the edges between them.
struct Graph<'a> {
    versions: &'a [Version],
    by_digest: HashMap<&'a str, Vec<usize>>,
    facts: Vec<Option<&'a ManifestFacts>>,
    /// `parents[i]`: the versions whose (read) manifest lists version `i`.
    parents: Vec<Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn new(versions: &'a [Version], known: &'a HashMap<String, Knowledge>) -> Graph<'a> {
        let mut by_digest: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, version) in versions.iter().enumerate() {
            by_digest
                .entry(version.digest.as_str())
                .or_default()
                .push(index);
        }
        let facts: Vec<Option<&ManifestFacts>> = versions
            .iter()
            .map(|version| match known.get(&version.digest) {
                Some(Knowledge::Read(facts)) => Some(facts),
                _ => None,
            })
            .collect();
        let mut parents = vec![Vec::new(); versions.len()];
        for (parent, facts) in facts.iter().enumerate() {
            for child in facts.iter().flat_map(|facts| &facts.children) {
                for &index in by_digest.get(child.as_str()).into_iter().flatten() {
                    if index != parent && !parents[index].contains(&parent) {
                        parents[index].push(parent);
                    }
                }
            }
        }
        Graph {
            versions,
            by_digest,
            facts,
            parents,
        }
    }

    fn indexes_of(&self, digest: &str) -> &[usize] {
        self.by_digest.get(digest).map_or(&[], Vec::as_slice)
    }

    fn role(&self, index: usize, protection: Option<Reason>) -> Role {
        let version = &self.versions[index];
        if let Some(reason) = protection {
            return Role::Protected(reason);
        }
        if version
            .tags
            .iter()
            .any(|tag| attached_subject(tag).is_none())
        {
            return Role::Tagged;
        }
        let mut subjects: Vec<(String, AttachmentKind)> = version
            .tags
            .iter()
            .filter_map(|tag| attached_subject(tag))
            .collect();
        if let Some(subject) = self.facts[index].and_then(|facts| facts.subject.clone()) {
            subjects.push((subject, AttachmentKind::Referrer));
        }
        subjects.retain(|(subject, _)| *subject != version.digest);
        if !subjects.is_empty() {
            let orphan = subjects
                .iter()
                .all(|(subject, _)| self.indexes_of(subject).is_empty());
            if orphan && version.leftover {
                return Role::Leftover;
            }
            Role::Attachment { subjects, orphan }
        } else if !self.parents[index].is_empty() {
            Role::Child
        } else if version.leftover {
            Role::Leftover
        } else {
            Role::Untagged
        }
    }

    /// The deletion of a child or attachment that nothing kept reaches.
    fn follower_deletion(&self, index: usize, roles: &[Role]) -> Decided {
        let name = |other: usize| label(&self.versions[other]);
        let reason = match &roles[index] {
            Role::Child => {
                let parents: Vec<String> = self.parents[index].iter().map(|&p| name(p)).collect();
                Reason::new(
                    ReasonKind::ChildOfDeleted,
                    format!("child of deleted {}", parents.join(", ")),
                )
            }
            Role::Attachment { subjects, .. } => {
                let in_package = subjects.iter().find_map(|(subject, kind)| {
                    self.indexes_of(subject).first().map(|&other| (other, kind))
                });
                match in_package {
                    Some((other, kind)) => Reason::new(
                        ReasonKind::AttachedToDeleted,
                        format!("{} of deleted {}", kind.noun(), name(other)),
                    ),
                    None => {
                        let (subject, kind) = &subjects[0];
                        Reason::new(
                            ReasonKind::Orphaned,
                            format!(
                                "{} of {}, which is not in the package",
                                kind.noun(),
                                short_digest(subject)
                            ),
                        )
                    }
                }
            }
            Role::Protected(_) | Role::Tagged | Role::Untagged | Role::Leftover => {
                unreachable!("rule roles are decided before followers")
            }
        };
        Decided {
            decision: Decision::Delete,
            reason,
        }
    }

    /// What must be read before the decisions can be trusted.
    fn reads_needed(&self, decisions: &[Decided]) -> Vec<String> {
        let deleting = |index: usize| decisions[index].decision == Decision::Delete;
        if !(0..self.versions.len()).any(deleting) {
            return Vec::new();
        }
        let unread = |index: usize| self.facts[index].is_none();
        let unexplained_untagged: Vec<usize> = (0..self.versions.len())
            .filter(|&index| {
                deleting(index)
                    && unread(index)
                    && self.versions[index].tags.is_empty()
                    && self.parents[index].is_empty()
            })
            .collect();
        let mut wanted: Vec<usize> = (0..self.versions.len())
            .filter(|&index| {
                unread(index)
                    && (decisions[index].decision == Decision::Keep
                        || (!unexplained_untagged.is_empty()
                            && deleting(index)
                            && !self.versions[index].tags.is_empty()))
            })
            .collect();
        if wanted.is_empty() {
            wanted = unexplained_untagged;
        }
        let mut seen = HashSet::new();
        wanted
            .into_iter()
            .map(|index| self.versions[index].digest.clone())
            .filter(|digest| seen.insert(digest.clone()))
            .collect()
    }

    /// Deletions in waves, parents before children, each wave newest first.
    ///
    /// Edges are known only from manifests read. A deleted manifest that was not read (a
    /// child of a deleted index, or a tagged image when nothing needed explaining) could list
    /// further deletions, so an untagged deletion with no known parent also waits for every
    /// unread deletion that is not its own known descendant. Newer versions go first within
    /// a wave, as an index is pushed after its children. Known edges that form a cycle
    /// (impossible with content addressing, but the input comes from a server) leave those
    /// versions alone.
    fn deletion_order(&self, decisions: &mut [Decided]) -> Ordering {
        let count = self.versions.len();
        let deleting: Vec<usize> = (0..count)
            .filter(|&index| decisions[index].decision == Decision::Delete)
            .collect();
        let is_deleting = |index: usize| decisions[index].decision == Decision::Delete;
        let mut after = vec![Vec::new(); count];
        for &index in &deleting {
            after[index] = self.parents[index]
                .iter()
                .copied()
                .filter(|&parent| is_deleting(parent))
                .collect();
        }
        let mut unread = vec![false; count];
        for &index in &deleting {
            unread[index] = self.facts[index].is_none();
        }
        let mut guarded = vec![false; count];
        // For a guarded deletion: the unread deletions among its known descendants, which
        // cannot list it.
        let mut unread_below: HashMap<usize, Vec<usize>> = HashMap::new();
        if deleting.iter().any(|&index| unread[index]) {
            for &index in &deleting {
                if self.versions[index].tags.is_empty() && self.parents[index].is_empty() {
                    guarded[index] = true;
                    let below = self.descendants(index);
                    unread_below.insert(
                        index,
                        below.into_iter().filter(|&other| unread[other]).collect(),
                    );
                }
            }
        }
        let mut placed = vec![false; count];
        let mut unplaced_unread = deleting.iter().filter(|&&index| unread[index]).count();
        let mut remaining: Vec<usize> = deleting;
        let mut order = Vec::new();
        let mut strict = true;
        while !remaining.is_empty() {
            let ready = |index: &usize| {
                after[*index].iter().all(|&parent| placed[parent])
                    && (!strict
                        || !guarded[*index]
                        || unread_below[index]
                            .iter()
                            .filter(|&&below| !placed[below])
                            .count()
                            + usize::from(unread[*index] && !placed[*index])
                            == unplaced_unread)
            };
            let (mut wave, rest): (Vec<usize>, Vec<usize>) =
                remaining.iter().copied().partition(ready);
            if wave.is_empty() {
                if strict {
                    // Only guesses hold the rest back: they cannot all be right.
                    strict = false;
                    continue;
                }
                for index in rest {
                    decisions[index] = Decided {
                        decision: Decision::Skip,
                        reason: Reason::new(
                            ReasonKind::Cycle,
                            "listed by manifests that list each other; left alone",
                        ),
                    };
                }
                break;
            }
            wave.sort_by(|&a, &b| {
                let (a, b) = (&self.versions[a], &self.versions[b]);
                b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id))
            });
            for &index in &wave {
                placed[index] = true;
                if unread[index] {
                    unplaced_unread -= 1;
                }
            }
            order.push(wave);
            remaining = rest;
            strict = true;
        }
        Ordering {
            order,
            after,
            guarded,
            unread,
        }
    }

    /// The versions a read manifest reaches through read manifests.
    fn descendants(&self, index: usize) -> HashSet<usize> {
        let mut found = HashSet::new();
        let mut stack = vec![index];
        while let Some(current) = stack.pop() {
            for child in self.facts[current].iter().flat_map(|facts| &facts.children) {
                for &other in self.indexes_of(child) {
                    if found.insert(other) {
                        stack.push(other);
                    }
                }
            }
        }
        found
    }
}

/// Why each version is kept whatever the rules say, if it is, in this order: a Dokploy
/// target runs it now, an environment's tag is on it, it is one of the newest
/// `deploy.history` ledger entries (distinct digests) of an environment, a tag of it is
/// protected.
fn protections(versions: &[Version], rules: &Rules) -> Vec<Option<Reason>> {
    let deployed = &rules.deployed;
    let mut rollback_targets: HashMap<&str, &str> = HashMap::new();
    for environment in &deployed.environments {
        let tags = versions.iter().flat_map(|version| {
            version
                .tags
                .iter()
                .map(|tag| (tag.as_str(), version.digest.as_str()))
        });
        for entry in ledger::kept(environment, tags, deployed.history) {
            rollback_targets.entry(entry.digest).or_insert(entry.tag);
        }
    }
    versions
        .iter()
        .map(|version| {
            let running = deployed.running.iter().find(|running| {
                running.tag_or_digest == version.digest
                    || version.tags.contains(&running.tag_or_digest)
            });
            if let Some(running) = running {
                return Some(Reason::new(ReasonKind::Running, running.why.clone()));
            }
            if let Some(environment) = deployed
                .environments
                .iter()
                .find(|environment| version.tags.contains(environment))
            {
                return Some(Reason::new(
                    ReasonKind::Deployed,
                    format!("deployed in {environment}"),
                ));
            }
            if let Some(tag) = rollback_targets.get(version.digest.as_str()) {
                return Some(Reason::new(
                    ReasonKind::RollbackTarget,
                    format!("rollback target {tag}"),
                ));
            }
            protected_reason(version, rules).map(|text| Reason::new(ReasonKind::Protected, text))
        })
        .collect()
}

/// Decisions for protected versions and for tagged and untagged images; attachments whose
/// subject is outside the package are decided like untagged images, but never counted.
fn decide_by_rules(
    versions: &[Version],
    roles: &[Role],
    rules: &Rules,
    now: Timestamp,
    decided: &mut [Option<Decided>],
) {
    let keep = |kind, text: String| {
        Some(Decided {
            decision: Decision::Keep,
            reason: Reason::new(kind, text),
        })
    };
    let tag_rules = rules.tagged_rules();
    let mut tagged = Vec::new();
    let mut untagged = Vec::new();
    for (index, role) in roles.iter().enumerate() {
        let version = &versions[index];
        match role {
            Role::Protected(reason) => {
                decided[index] = Some(Decided {
                    decision: Decision::Keep,
                    reason: reason.clone(),
                });
            }
            Role::Tagged if tag_rules.is_empty() => {
                decided[index] = keep(
                    ReasonKind::NoTagRule,
                    "tagged; no --keep-tagged, --older-than, --delete-tags or retention rule selects tagged images"
                        .to_owned(),
                );
            }
            Role::Tagged => {
                let unmatched: Vec<&str> = image_tags(version)
                    .filter(|tag| !tag_rules.iter().any(|rule| rule.matches(tag)))
                    .collect();
                if unmatched.is_empty() {
                    tagged.push(index);
                } else {
                    let what = if rules.tag_rules.is_empty() {
                        "does not match --delete-tags"
                    } else if rules.delete_tags.is_some() {
                        "matches neither --delete-tags nor a retention rule"
                    } else {
                        "matches no retention rule"
                    };
                    decided[index] = keep(
                        ReasonKind::DeleteTagsUnmatched,
                        format!(
                            "tag {} {what} (deleting the version would delete every tag on it)",
                            unmatched.join(", ")
                        ),
                    );
                }
            }
            Role::Untagged => untagged.push(index),
            // The rules were applied by the run that deleted its index.
            Role::Leftover => {
                decided[index] = Some(Decided {
                    decision: Decision::Delete,
                    reason: Reason::new(
                        ReasonKind::Leftover,
                        "left by an interrupted run that had deleted the index listing it",
                    ),
                });
            }
            Role::Attachment { orphan: true, .. } => {
                decided[index] = too_young(version, rules.older_than.as_ref(), rules, now);
            }
            Role::Attachment { .. } | Role::Child => {}
        }
    }
    let newest_first = |indexes: &mut Vec<usize>| {
        indexes.sort_by(|&a, &b| {
            let time = |index: usize| age_time(&versions[index], rules.age_from);
            time(b)
                .cmp(&time(a))
                .then_with(|| versions[b].id.cmp(&versions[a].id))
        });
    };
    decide_tagged(
        versions,
        tagged,
        &tag_rules,
        rules,
        now,
        decided,
        newest_first,
    );
    // Undated versions cannot be ranked or aged: they stay.
    untagged.retain(|&index| {
        if age_time(&versions[index], rules.age_from).is_some()
            || (rules.keep_untagged.is_none() && rules.older_than.is_none())
        {
            return true;
        }
        decided[index] = keep(ReasonKind::AgeUnknown, AGE_UNKNOWN.to_owned());
        false
    });
    newest_first(&mut untagged);
    for (rank, index) in untagged.into_iter().enumerate() {
        decided[index] = Some(untagged_decision(&versions[index], rank, rules, now));
    }
}

const AGE_UNKNOWN: &str = "the registry gives no date for it, so no age rule can select it";

/// The tags of a version that name an image (not a digest it is attached to).
fn image_tags(version: &Version) -> impl Iterator<Item = &str> {
    version
        .tags
        .iter()
        .map(String::as_str)
        .filter(|tag| attached_subject(tag).is_none())
}

/// What one rule says about a version it ranks.
enum Vote {
    Keep(Reason),
    /// Why the rule lets it go.
    Delete(String),
}

/// Tagged candidates (every image tag matched by a rule): each rule ranks the candidates it
/// matches, newest first; a version is kept when any rule keeps it (the first such rule
/// gives the reason), else deleted with what each rule said.
fn decide_tagged(
    versions: &[Version],
    mut candidates: Vec<usize>,
    tag_rules: &[TagRule],
    rules: &Rules,
    now: Timestamp,
    decided: &mut [Option<Decided>],
    newest_first: impl Fn(&mut Vec<usize>),
) {
    let matched =
        |index: usize, rule: &TagRule| image_tags(&versions[index]).any(|tag| rule.matches(tag));
    // Undated versions cannot be ranked or aged: they stay, unless every rule matching
    // them deletes without looking at dates (`--delete-tags` alone).
    candidates.retain(|&index| {
        let needs_date = tag_rules.iter().any(|rule| {
            matched(index, rule)
                && (matches!(rule.keep, Some(KeepCount::Newest(_))) || rule.older_than.is_some())
        });
        let keeps_all = tag_rules
            .iter()
            .any(|rule| matched(index, rule) && rule.keep == Some(KeepCount::All));
        if age_time(&versions[index], rules.age_from).is_some() || !needs_date || keeps_all {
            return true;
        }
        decided[index] = Some(Decided {
            decision: Decision::Keep,
            reason: Reason::new(ReasonKind::AgeUnknown, AGE_UNKNOWN),
        });
        false
    });
    newest_first(&mut candidates);
    let mut votes: Vec<Vec<Vote>> = (0..versions.len()).map(|_| Vec::new()).collect();
    for rule in tag_rules {
        let ranked = candidates
            .iter()
            .copied()
            .filter(|&index| matched(index, rule));
        for (rank, index) in ranked.enumerate() {
            votes[index].push(rule_vote(rule, &versions[index], rank, rules, now));
        }
    }
    for index in candidates {
        let votes = std::mem::take(&mut votes[index]);
        let mut deletes = Vec::new();
        let mut kept = None;
        for vote in votes {
            match vote {
                Vote::Keep(reason) => {
                    kept = Some(reason);
                    break;
                }
                Vote::Delete(why) => deletes.push(why),
            }
        }
        decided[index] = Some(match kept {
            Some(reason) => Decided {
                decision: Decision::Keep,
                reason,
            },
            None => Decided {
                decision: Decision::Delete,
                reason: Reason::new(
                    ReasonKind::TaggedRule,
                    format!(
                        "tagged {}: {}",
                        versions[index].tags.join(", "),
                        deletes.join("; ")
                    ),
                ),
            },
        });
    }
}

/// One rule's vote on a version it matches, ranked `rank` (0: newest) among the candidates
/// it matches. The flags' shorthand speaks as the flags; a `retention.rules` entry names
/// its glob.
fn rule_vote(
    rule: &TagRule,
    version: &Version,
    rank: usize,
    rules: &Rules,
    now: Timestamp,
) -> Vote {
    let named = |text: String| match &rule.name {
        Some(name) => format!("retention rule `{name}`: {text}"),
        None => text,
    };
    let what = if rule.name.is_some() {
        "matching"
    } else {
        "tagged images"
    };
    match rule.keep {
        Some(KeepCount::All) => {
            return Vote::Keep(Reason::new(
                ReasonKind::KeepAll,
                named("keeps all".to_owned()),
            ));
        }
        Some(KeepCount::Newest(newest)) if rank < newest => {
            return Vote::Keep(Reason::new(
                ReasonKind::NewestTagged,
                named(format!("one of the {newest} newest {what}")),
            ));
        }
        _ => {}
    }
    if let Some(Decided { reason, .. }) = too_young(version, rule.older_than.as_ref(), rules, now) {
        return Vote::Keep(Reason {
            text: named(reason.text),
            ..reason
        });
    }
    let mut parts = Vec::new();
    if rule.name.is_none()
        && let Some(globs) = &rule.tags
    {
        parts.push(format!(
            "matches --delete-tags ({})",
            globs.patterns().collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(older_than) = &rule.older_than {
        parts.push(format!("older than {}", older_than.text));
    }
    match rule.keep {
        Some(KeepCount::Newest(0)) if rule.name.is_some() => parts.push("keeps none".to_owned()),
        Some(KeepCount::Newest(newest)) => {
            parts.push(format!("not among the {newest} newest {what}"));
        }
        _ => {}
    }
    Vote::Delete(named(parts.join(", ")))
}

/// `protected tag latest (matches latest)`, when a tag of the version matches
/// `--protect-tags`.
fn protected_reason(version: &Version, rules: &Rules) -> Option<String> {
    let (tag, pattern) = version.tags.iter().find_map(|tag| {
        rules
            .protect_tags
            .matching(tag)
            .map(|pattern| (tag, pattern))
    })?;
    let mut text = format!("protected tag {tag} (matches {pattern})");
    if let Some(globs) = &rules.delete_tags {
        let doomed: Vec<&str> = version
            .tags
            .iter()
            .filter(|other| globs.matching(other).is_some() && *other != tag)
            .map(String::as_str)
            .collect();
        if !doomed.is_empty() {
            text.push_str(&format!(
                "; {} matches --delete-tags, but deleting the version would delete {tag} too",
                doomed.join(", ")
            ));
        }
    }
    Some(text)
}

/// The timestamp `--older-than` and the newest-N ranking look at.
fn age_time(version: &Version, age_from: AgeFrom) -> Option<Timestamp> {
    match age_from {
        AgeFrom::Created => version.created_at,
        AgeFrom::Updated => version.updated_at,
    }
}

/// `Some(keep)` when `older_than` protects the version, `None` when it may go.
fn too_young(
    version: &Version,
    older_than: Option<&Age>,
    rules: &Rules,
    now: Timestamp,
) -> Option<Decided> {
    let older_than = older_than?;
    let verb = match rules.age_from {
        AgeFrom::Created => "created",
        AgeFrom::Updated => "updated",
    };
    let Some(at) = age_time(version, rules.age_from) else {
        return Some(Decided {
            decision: Decision::Keep,
            reason: Reason::new(
                ReasonKind::AgeUnknown,
                format!(
                    "age unknown, so not known to be older than {}",
                    older_than.text
                ),
            ),
        });
    };
    let age = now.duration_since(at);
    let limit = i64::try_from(older_than.duration.as_secs()).unwrap_or(i64::MAX);
    (age.as_secs() <= limit).then(|| Decided {
        decision: Decision::Keep,
        reason: Reason::new(
            ReasonKind::TooYoung,
            format!(
                "{verb} {} ago, not older than {}",
                ago(age),
                older_than.text
            ),
        ),
    })
}

/// The untagged rules (`--keep-untagged`, `--older-than`) on an untagged image ranked
/// `rank` (0: newest).
fn untagged_decision(version: &Version, rank: usize, rules: &Rules, now: Timestamp) -> Decided {
    if let Some(newest) = rules.keep_untagged
        && rank < newest
    {
        return Decided {
            decision: Decision::Keep,
            reason: Reason::new(
                ReasonKind::NewestUntagged,
                format!("one of the {newest} newest untagged images"),
            ),
        };
    }
    if let Some(keep) = too_young(version, rules.older_than.as_ref(), rules, now) {
        return keep;
    }
    let mut parts = Vec::new();
    if let Some(older_than) = &rules.older_than {
        parts.push(format!("older than {}", older_than.text));
    }
    if let Some(newest) = rules.keep_untagged {
        parts.push(format!("not among the {newest} newest untagged images"));
    }
    let head = "untagged image";
    Decided {
        decision: Decision::Delete,
        reason: Reason::new(
            ReasonKind::UntaggedImage,
            if parts.is_empty() {
                head.to_owned()
            } else {
                format!("{head}: {}", parts.join(", "))
            },
        ),
    }
}

/// Keeps everything a kept version reaches: children of kept indexes at any depth, and
/// attachments of kept manifests.
fn spread_keeps(graph: &Graph<'_>, roles: &[Role], decided: &mut [Option<Decided>]) {
    let kept = |decided: &[Option<Decided>], index: usize| {
        decided[index]
            .as_ref()
            .is_some_and(|decided| decided.decision == Decision::Keep)
    };
    let mut attachments_of: HashMap<&str, Vec<(usize, AttachmentKind)>> = HashMap::new();
    for (index, role) in roles.iter().enumerate() {
        if let Role::Attachment { subjects, .. } = role {
            for (subject, kind) in subjects {
                attachments_of
                    .entry(subject.as_str())
                    .or_default()
                    .push((index, *kind));
            }
        }
    }
    let mut queue: VecDeque<usize> = (0..decided.len())
        .filter(|&index| kept(decided, index))
        .collect();
    while let Some(keeper) = queue.pop_front() {
        let version = &graph.versions[keeper];
        let children = graph.facts[keeper]
            .map(|facts| facts.children.as_slice())
            .unwrap_or_default();
        let mut reached: Vec<(usize, String)> = Vec::new();
        for child in children {
            for &index in graph.indexes_of(child) {
                reached.push((index, format!("child of kept {}", label(version))));
            }
        }
        for &(index, kind) in attachments_of
            .get(version.digest.as_str())
            .into_iter()
            .flatten()
        {
            reached.push((index, format!("{} of kept {}", kind.noun(), label(version))));
        }
        for (index, text) in reached {
            if kept(decided, index) {
                continue;
            }
            let kind = if text.starts_with("child") {
                ReasonKind::ChildOfKept
            } else {
                ReasonKind::AttachedToKept
            };
            decided[index] = Some(Decided {
                decision: Decision::Keep,
                reason: Reason::new(kind, text),
            });
            queue.push_back(index);
        }
    }
}

/// `3 days`, `5 hours`, `12 minutes`.
fn ago(age: jiff::SignedDuration) -> String {
    let seconds = age.as_secs().max(0);
    let (count, unit) = if seconds >= 2 * 86_400 {
        (seconds / 86_400, "days")
    } else if seconds >= 2 * 3_600 {
        (seconds / 3_600, "hours")
    } else {
        (seconds / 60, "minutes")
    };
    format!("{count} {unit}")
}

#[cfg(test)]
mod tests;
