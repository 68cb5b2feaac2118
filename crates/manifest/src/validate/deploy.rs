//! `deploy` and the services' `deploy` entries: stages, the environments (declared, or the
//! single-target form as environment `default`), Dokploy targets, health URLs, and the rules
//! across them (promotion sources, targets two services would fight over).

use std::collections::hash_map::Entry;

use super::*;
use crate::ledger;
use crate::model::{DEFAULT_ENVIRONMENT, DEFAULT_HISTORY, Environment, ServiceTarget};
use crate::raw::{RawEnvironment, RawServiceEnvironment};

/// The `deploy` entries of services, by service name, in manifest order.
pub(super) type Deploys = Vec<(String, Node<RawServiceDeploy>)>;

pub(super) struct CheckedDeploy {
    pub model: Deploy,
    pub targets: HashMap<String, ServiceDeploy>,
}

/// A declared environment and where its name is written.
struct Declared {
    model: Environment,
    at: Location,
}

/// A service's entry for one environment, with the places errors about it point at.
struct Placed {
    environment: String,
    /// The environment's key in the service's `environments` (the single-target form: the
    /// `deploy` entry).
    entry_at: Location,
    /// The target and where its `dokploy` is written; `None` when that is invalid
    /// (reported). An invalid health URL (reported too) leaves the target for the checks
    /// across services.
    target: Option<(ServiceTarget, Location)>,
}

/// What a URL is for, in its errors.
struct UrlUse {
    what: &'static str,
    help: &'static str,
}

const DOKPLOY_URL: UrlUse = UrlUse {
    what: "Dokploy URL",
    help: "write the server's base URL, e.g. `https://dokploy.example.com`",
};

const HEALTH_URL: UrlUse = UrlUse {
    what: "health URL",
    help: "write a URL that answers 2xx when the service is healthy, e.g. \
           `https://api.example.com/health`",
};

impl Checker<'_, '_> {
    pub(super) fn deploy(&mut self, raw: Option<RawDeploy>, deploys: Deploys) -> CheckedDeploy {
        let RawDeploy {
            dokploy,
            stages,
            environments,
            history,
        } = raw.unwrap_or(RawDeploy {
            dokploy: None,
            stages: None,
            environments: None,
            history: None,
        });
        let (listed, mut stages) = self.stages(stages);
        let history = self.history(history);
        let declared = environments.map(|environments| {
            if let Some(dokploy) = &dokploy {
                self.error(
                    &dokploy.at,
                    "`deploy.dokploy` and `deploy.environments` cannot be used together".into(),
                    "single-target form",
                    Some(
                        "give each environment its server, `environments: {NAME: {dokploy: \
                         {url: ...}}}`, and remove `deploy.dokploy`"
                            .into(),
                    ),
                );
            }
            self.environments(environments)
        });
        let single_target_url = match (&declared, dokploy) {
            (None, Some(dokploy)) => dokploy
                .value
                .url
                .and_then(|url| self.http_url(url, &DOKPLOY_URL)),
            _ => None,
        };

        // Every entry, valid or not, so that the rules across services see them all.
        let mut placed: Vec<(&str, Vec<Placed>)> = Vec::new();
        let mut targets = HashMap::new();
        for (name, deploy) in &deploys {
            let stage = self.stage_of(name, deploy, &stages);
            let mut environments = match &declared {
                None => self.single_target(name, deploy),
                Some(declared) => self.environment_targets(name, deploy, declared),
            };
            if let Some(declared) = &declared {
                environments.sort_by_key(|p| declared.get_index_of(&p.environment));
            }
            let valid: Option<IndexMap<String, ServiceTarget>> = environments
                .iter()
                .map(|p| Some((p.environment.clone(), p.target.as_ref()?.0.clone())))
                .collect();
            if let (Some(stage), Some(environments)) = (stage, valid)
                && !environments.is_empty()
            {
                targets.insert(
                    name.clone(),
                    ServiceDeploy {
                        stage,
                        environments,
                    },
                );
            }
            placed.push((name, environments));
        }
        self.shared_targets(&placed, declared.is_none());

        let used: HashSet<&str> = targets.values().map(|t| t.stage.as_str()).collect();
        for stage in &listed {
            if stages.contains(&stage.value) && !used.contains(stage.value.as_str()) {
                self.warn(
                    &stage.at,
                    format!("no service deploys in stage `{}`", stage.value),
                    "unused stage",
                    Some("give services `deploy: {stage: ...}`, or remove the stage".into()),
                );
            }
        }
        if stages.is_empty() && !deploys.is_empty() {
            stages.push(DEFAULT_STAGE.into());
        }

        let single_target =
            declared.is_none() && (single_target_url.is_some() || !deploys.is_empty());
        let environments = match declared {
            Some(declared) => {
                self.promotion_sources(&declared, &placed);
                self.unused_environments(&declared, &deploys);
                declared
                    .into_iter()
                    .map(|(name, declared)| (name, declared.model))
                    .collect()
            }
            None if single_target => IndexMap::from([(
                DEFAULT_ENVIRONMENT.to_owned(),
                Environment {
                    name: DEFAULT_ENVIRONMENT.to_owned(),
                    dokploy_url: single_target_url,
                    promote_from: None,
                },
            )]),
            None => IndexMap::new(),
        };
        CheckedDeploy {
            model: Deploy {
                stages,
                environments,
                single_target,
                history,
            },
            targets,
        }
    }

    /// `deploy.stages` as listed, and the valid ones.
    fn stages(&mut self, stages: Option<Vec<Node<String>>>) -> (Vec<Node<String>>, Vec<String>) {
        let listed = stages.unwrap_or_default();
        let mut stages: Vec<String> = Vec::new();
        for stage in &listed {
            if stage.value.trim().is_empty() {
                self.error(
                    &stage.at,
                    "a stage name is empty".into(),
                    "empty stage",
                    None,
                );
            } else if stages.contains(&stage.value) {
                self.error(
                    &stage.at,
                    format!("stage `{}` is listed twice", stage.value),
                    "listed again",
                    Some("each stage runs once; remove the repeated entry".into()),
                );
            } else {
                stages.push(stage.value.clone());
            }
        }
        (listed, stages)
    }

    fn history(&mut self, history: Option<Node<u32>>) -> u32 {
        match history {
            Some(history) if history.value == 0 => {
                self.error(
                    &history.at,
                    "`deploy.history` is 0, so no deploy could ever be rolled back to".into(),
                    "keeps no entry",
                    Some(format!(
                        "keep at least 1 ledger entry per environment (the default is \
                         {DEFAULT_HISTORY})"
                    )),
                );
                DEFAULT_HISTORY
            }
            Some(history) => history.value,
            None => DEFAULT_HISTORY,
        }
    }

    /// The declared environments, each with its URL, and the `promote-from` rules.
    fn environments(&mut self, raw: Node<Entries<RawEnvironment>>) -> IndexMap<String, Declared> {
        if raw.value.is_empty() {
            self.error(
                &raw.at,
                "`deploy.environments` declares no environment".into(),
                "no environments",
                Some(
                    "add one per place you deploy to, e.g. `staging: {dokploy: {url: \
                     https://dokploy.example.com}}`, or remove the key"
                        .into(),
                ),
            );
        }
        let mut declared = IndexMap::new();
        let mut sources = Vec::new();
        for (key, environment) in raw.value {
            let name = key.value.0;
            if let Err(why) = ledger::check_environment_name(&name) {
                self.error(
                    &key.at,
                    format!("invalid environment name: {why}"),
                    "invalid name",
                    Some(
                        "environment names use lowercase letters, digits, `-`, `_` and `.`, \
                         start with a letter or digit, and become image tags"
                            .into(),
                    ),
                );
            }
            let RawEnvironment {
                dokploy,
                promote_from,
            } = environment.value;
            let (at, label) = match &dokploy {
                Some(dokploy) => (dokploy.at, "no `url` here"),
                None => (key.at, "no `dokploy` here"),
            };
            let url = dokploy.and_then(|dokploy| dokploy.value.url);
            let dokploy_url = match url {
                Some(url) => self.http_url(url, &DOKPLOY_URL),
                None => {
                    self.error(
                        &at,
                        format!("environment `{name}` has no Dokploy URL"),
                        label,
                        Some(
                            "add `dokploy: {url: https://dokploy.example.com}` (its API key \
                             comes from DOKPLOY_API_KEY, never from this file)"
                                .into(),
                        ),
                    );
                    None
                }
            };
            if let Some(from) = &promote_from {
                sources.push((name.clone(), from.clone()));
            }
            let model = Environment {
                name: name.clone(),
                dokploy_url,
                promote_from: promote_from.map(|from| from.value),
            };
            declared.insert(name, Declared { model, at: key.at });
        }
        self.promote_from(&declared, &sources);
        declared
    }

    /// `promote-from` names another declared environment, and no chain of them is a cycle.
    fn promote_from(
        &mut self,
        declared: &IndexMap<String, Declared>,
        sources: &[(String, Node<String>)],
    ) {
        let declared_names = || declared.keys().map(String::as_str);
        for (name, from) in sources {
            if from.value == *name {
                self.error(
                    &from.at,
                    format!("environment `{name}` promotes from itself"),
                    "this environment",
                    Some("name the environment its images must have run in first, or remove `promote-from`".into()),
                );
            } else if !declared.contains_key(&from.value) {
                self.error(
                    &from.at,
                    format!(
                        "environment `{name}` promotes from `{}`, which `deploy.environments` \
                         does not declare",
                        from.value
                    ),
                    "unknown environment",
                    Some(format!(
                        "{}the environments are: {}",
                        names::did_you_mean(&from.value, declared_names()),
                        declared_names().collect::<Vec<_>>().join(", ")
                    )),
                );
            }
        }
        // Each environment promotes from at most one other, so following the chain from
        // each one in file order meets every cycle once, first at the entry that closes it.
        let source_of = |name: &str| {
            sources
                .iter()
                .find(|(n, from)| n == name && from.value != name)
                .map(|(_, from)| from)
        };
        let mut done: HashSet<&str> = HashSet::new();
        for start in declared_names() {
            let mut path: Vec<&str> = vec![start];
            while let Some(from) = source_of(path[path.len() - 1]) {
                let next = from.value.as_str();
                if done.contains(next) || !declared.contains_key(next) {
                    break;
                }
                if let Some(i) = path.iter().position(|n| *n == next) {
                    let mut cycle = path[i..].to_vec();
                    cycle.push(next);
                    self.error(
                        &from.at,
                        format!("`promote-from` cycle: {}", cycle.join(" → ")),
                        "this closes the cycle",
                        Some(
                            "an environment receives what ran in its source, so the chain must \
                             start somewhere: remove one of these `promote-from` entries"
                                .into(),
                        ),
                    );
                    break;
                }
                path.push(next);
            }
            done.extend(path);
        }
    }

    /// The stage a service deploys in.
    fn stage_of(
        &mut self,
        name: &str,
        deploy: &Node<RawServiceDeploy>,
        stages: &[String],
    ) -> Option<String> {
        match (&deploy.value.stage, stages) {
            (Some(stage), _) if stages.contains(&stage.value) => Some(stage.value.clone()),
            (Some(stage), []) => {
                self.error(
                    &stage.at,
                    format!("stage `{}` is not listed in `deploy.stages`", stage.value),
                    "unknown stage",
                    Some(format!(
                        "list the stages in the order they run, e.g. `deploy: {{stages: [{}]}}`",
                        stage.value
                    )),
                );
                None
            }
            (Some(stage), stages) => {
                self.error(
                    &stage.at,
                    format!("stage `{}` is not listed in `deploy.stages`", stage.value),
                    "unknown stage",
                    Some(format!(
                        "{}the stages are: {}",
                        names::did_you_mean(&stage.value, stages.iter().map(String::as_str)),
                        stages.join(", ")
                    )),
                );
                None
            }
            (None, []) => Some(DEFAULT_STAGE.to_owned()),
            (None, [only]) => Some(only.clone()),
            (None, stages) => {
                self.error(
                    &deploy.at,
                    format!("service `{name}` does not say which stage it deploys in"),
                    "this deploy entry has no `stage`",
                    Some(format!("add `stage:` with one of: {}", stages.join(", "))),
                );
                None
            }
        }
    }

    /// A service's one target, in environment `default`, in the single-target form.
    fn single_target(&mut self, name: &str, deploy: &Node<RawServiceDeploy>) -> Vec<Placed> {
        let raw = &deploy.value;
        if let Some(environments) = &raw.environments {
            self.error(
                &environments.at,
                format!(
                    "service `{name}` deploys to environments, but `deploy.environments` \
                     declares none"
                ),
                "no environments declared",
                Some(
                    "declare the environments under the top-level `deploy.environments`, each \
                     with its `dokploy: {url: ...}` (in place of `deploy.dokploy`), or give \
                     this service a single `dokploy` target"
                        .into(),
                ),
            );
            return Vec::new();
        }
        let health = raw
            .health
            .clone()
            .and_then(|url| self.http_url(url, &HEALTH_URL));
        let Some(target) = &raw.dokploy else {
            self.error(
                &deploy.at,
                format!("service `{name}` has `deploy` but no `dokploy` target"),
                "this deploy entry has no `dokploy`",
                Some("add `dokploy: {application: ID}` or `dokploy: {compose: ID}`".into()),
            );
            return Vec::new();
        };
        vec![Placed {
            environment: DEFAULT_ENVIRONMENT.to_owned(),
            entry_at: deploy.at,
            target: self
                .dokploy_target(target)
                .map(|dokploy| (ServiceTarget { dokploy, health }, target.at)),
        }]
    }

    /// A service's targets in the declared environments.
    fn environment_targets(
        &mut self,
        name: &str,
        deploy: &Node<RawServiceDeploy>,
        declared: &IndexMap<String, Declared>,
    ) -> Vec<Placed> {
        let raw = &deploy.value;
        let declared_names = || declared.keys().map(String::as_str);
        let first = declared_names().next().unwrap_or("staging");
        if let Some(target) = &raw.dokploy {
            self.error(
                &target.at,
                format!(
                    "service `{name}` has a single `dokploy` target, but the manifest deploys \
                     to environments ({})",
                    declared_names().collect::<Vec<_>>().join(", ")
                ),
                "single-target form",
                Some(format!(
                    "give the service its target in each environment it deploys to: \
                     `environments: {{{first}: {{dokploy: ...}}}}`"
                )),
            );
        }
        if let Some(health) = &raw.health {
            self.error(
                &health.at,
                format!("service `{name}` has a `health` URL outside its environments"),
                "single-target form",
                Some(format!(
                    "give it per environment: `environments: {{{first}: {{dokploy: ..., \
                     health: URL}}}}`"
                )),
            );
        }
        let Some(entries) = &raw.environments else {
            if raw.dokploy.is_none() {
                self.error(
                    &deploy.at,
                    format!("service `{name}` has `deploy` but no `environments`"),
                    "this deploy entry has no `environments`",
                    Some(format!(
                        "add its target in each environment it deploys to, e.g. \
                         `environments: {{{first}: {{dokploy: {{application: ID}}}}}}`"
                    )),
                );
            }
            return Vec::new();
        };
        if entries.value.is_empty() {
            self.error(
                &entries.at,
                format!("service `{name}` deploys to no environment"),
                "no environments",
                Some(format!(
                    "add its target in each environment it deploys to ({}), or remove `deploy`",
                    declared_names().collect::<Vec<_>>().join(", ")
                )),
            );
        }
        let mut placed = Vec::new();
        for (key, entry) in &entries.value {
            let environment = &key.value.0;
            if !declared.contains_key(environment) {
                self.error(
                    &key.at,
                    format!(
                        "service `{name}` deploys to environment `{environment}`, which \
                         `deploy.environments` does not declare"
                    ),
                    "unknown environment",
                    Some(format!(
                        "{}the environments are: {}",
                        names::did_you_mean(environment, declared_names()),
                        declared_names().collect::<Vec<_>>().join(", ")
                    )),
                );
                continue;
            }
            let RawServiceEnvironment { dokploy, health } = &entry.value;
            let health = health
                .clone()
                .and_then(|url| self.http_url(url, &HEALTH_URL));
            let Some(target) = dokploy else {
                self.error(
                    &key.at,
                    format!(
                        "service `{name}` has no `dokploy` target in environment `{environment}`"
                    ),
                    "no `dokploy` here",
                    Some(
                        "add `dokploy: {application: ID}` or `dokploy: {compose: ID, tag-var: \
                         NAME}`"
                            .into(),
                    ),
                );
                placed.push(Placed {
                    environment: environment.clone(),
                    entry_at: key.at,
                    target: None,
                });
                continue;
            };
            placed.push(Placed {
                environment: environment.clone(),
                entry_at: key.at,
                target: self
                    .dokploy_target(target)
                    .map(|dokploy| (ServiceTarget { dokploy, health }, target.at)),
            });
        }
        placed
    }

    /// No two services set the same compose variable, or the same application's image, in
    /// one environment: the last one would silently win.
    fn shared_targets(&mut self, placed: &[(&str, Vec<Placed>)], single_target: bool) {
        let mut first: HashMap<(&str, &DokployTarget), &str> = HashMap::new();
        for (service, targets) in placed {
            for p in targets {
                let Some((target, target_at)) = &p.target else {
                    continue;
                };
                let other = match first.entry((&p.environment, &target.dokploy)) {
                    Entry::Occupied(known) => *known.get(),
                    Entry::Vacant(new) => {
                        new.insert(service);
                        continue;
                    }
                };
                let place = if single_target {
                    String::new()
                } else {
                    format!(" in environment `{}`", p.environment)
                };
                let (message, label, help) = match &target.dokploy {
                    DokployTarget::Compose { id, tag_var } => (
                        format!(
                            "services `{other}` and `{service}` both pin variable `{tag_var}` of \
                             compose `{id}`{place}"
                        ),
                        "same compose variable",
                        "give each service its own `tag-var`; the compose file then uses each \
                         one in its service's image line",
                    ),
                    DokployTarget::Application { id } => (
                        format!(
                            "services `{other}` and `{service}` both deploy to application \
                             `{id}`{place}"
                        ),
                        "same application",
                        "an application runs one image: give each service its own application",
                    ),
                };
                self.error(target_at, message, label, Some(help.into()));
            }
        }
    }

    /// A service deployed to an environment with `promote-from` must run in the source too,
    /// or no image of it could ever be promoted.
    fn promotion_sources(
        &mut self,
        declared: &IndexMap<String, Declared>,
        placed: &[(&str, Vec<Placed>)],
    ) {
        for (service, targets) in placed {
            for p in targets {
                let Some(from) = declared[&p.environment].model.promote_from.as_deref() else {
                    continue;
                };
                let runs_there = targets.iter().any(|t| t.environment == from);
                if declared.contains_key(from) && from != p.environment && !runs_there {
                    self.error(
                        &p.entry_at,
                        format!(
                            "service `{service}` deploys to `{}`, which only receives images \
                             that ran in `{from}`, but it has no `{from}` target",
                            p.environment
                        ),
                        "nothing to promote from",
                        Some(format!(
                            "add a `{from}` target for `{service}`, or remove `promote-from` \
                             from environment `{}`",
                            p.environment
                        )),
                    );
                }
            }
        }
    }

    /// Warn about a declared environment that no service deploys to.
    fn unused_environments(&mut self, declared: &IndexMap<String, Declared>, deploys: &Deploys) {
        let named: HashSet<&str> = deploys
            .iter()
            .filter_map(|(_, deploy)| deploy.value.environments.as_ref())
            .flat_map(|entries| entries.value.keys().map(|key| key.value.0.as_str()))
            .collect();
        for (name, environment) in declared {
            if !named.contains(name.as_str()) {
                self.warn(
                    &environment.at,
                    format!("no service deploys to environment `{name}`"),
                    "unused environment",
                    Some(format!(
                        "add `{name}` under the `deploy.environments` of the services that run \
                         there, or remove it"
                    )),
                );
            }
        }
    }

    /// An http(s) URL without credentials.
    fn http_url(&mut self, url: Node<String>, purpose: &UrlUse) -> Option<String> {
        let what = purpose.what;
        let problem = match url::Url::parse(&url.value) {
            Err(e) => Some((format!("`{}` is not a URL: {e}", url.value), None)),
            Ok(u) if !matches!(u.scheme(), "http" | "https") => Some((
                format!(
                    "the {what} must be http:// or https://, not {}://",
                    u.scheme()
                ),
                None,
            )),
            Ok(u) if !u.username().is_empty() || u.password().is_some() => Some((
                format!("the {what} contains credentials"),
                Some(names::SECRET_HELP.to_owned()),
            )),
            Ok(_) => None,
        };
        match problem {
            None => Some(url.value),
            Some((message, help)) => {
                let help = help.unwrap_or_else(|| purpose.help.to_owned());
                self.error(&url.at, message, "invalid URL", Some(help));
                None
            }
        }
    }

    fn dokploy_target(&mut self, target: &Node<RawDokployTarget>) -> Option<DokployTarget> {
        let RawDokployTarget {
            application,
            compose,
            tag_var,
        } = &target.value;
        match (application, compose) {
            (Some(application), None) => {
                if let Some(tag_var) = tag_var {
                    self.error(
                        &tag_var.at,
                        "`tag-var` only applies to a compose target".into(),
                        "not for an application",
                        Some(
                            "remove `tag-var`: an application gets the whole image reference"
                                .into(),
                        ),
                    );
                }
                let id = self.dokploy_id(application)?;
                Some(DokployTarget::Application { id })
            }
            (None, Some(compose)) => {
                let tag_var = match tag_var {
                    Some(var) if is_env_name(&var.value) => var.value.clone(),
                    Some(var) => {
                        self.error(
                            &var.at,
                            format!("`{}` is not an environment variable name", var.value),
                            "invalid name",
                            Some("use letters, digits and `_`, not starting with a digit, e.g. `API_IMAGE_TAG`".into()),
                        );
                        return None;
                    }
                    None => crate::DEFAULT_TAG_VAR.into(),
                };
                let id = self.dokploy_id(compose)?;
                Some(DokployTarget::Compose { id, tag_var })
            }
            (Some(_), Some(compose)) => {
                self.error(
                    &compose.at,
                    "a Dokploy target is an application or a compose, not both".into(),
                    "second target",
                    Some("keep `application` or `compose`; two targets need two services".into()),
                );
                None
            }
            (None, None) => {
                self.error(
                    &target.at,
                    "the Dokploy target names neither an application nor a compose".into(),
                    "no `application` or `compose` here",
                    Some("write `{application: ID}` or `{compose: ID, tag-var: NAME}`".into()),
                );
                None
            }
        }
    }

    fn dokploy_id(&mut self, id: &Node<String>) -> Option<String> {
        let value = id.value.trim();
        let valid = if value.contains('/') {
            let parts: Vec<&str> = value.split('/').collect();
            parts.len() == 3 && parts.iter().all(|p| !p.trim().is_empty())
        } else {
            !value.is_empty()
        };
        if valid {
            Some(value.to_owned())
        } else {
            self.error(
                &id.at,
                format!("`{}` is neither a Dokploy id nor a name path", id.value),
                "invalid target",
                Some("give the id from the Dokploy URL, or `project/environment/service`".into()),
            );
            None
        }
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
