//! The server's version (`settings.getDokployVersion`, read once) and what it can do.

use semver::Version;

/// What the server supports, by version (see the reference's version table). An unreadable
/// version (a development build) is taken as the newest: the procedures gated here answer
/// 404 on servers that lack them, which is then handled as "not available".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// The version as the server gave it (`v0.30.2`).
    pub version: String,
    /// Deploy calls store `title` (v0.25.0+), so a row can be found by its marker title.
    pub titles: bool,
    /// A finished deployment of a git source gets the commit as its title (v0.25.7+,
    /// packages/server/src/services/compose.ts `deployCompose`): its marker title is gone.
    pub retitles: bool,
    /// Member permissions are checked per procedure, and `user.getPermissions` tells a key's
    /// (v0.28.7+, packages/server/src/services/permission.ts).
    pub permissions: bool,
    /// `compose.saveEnvironment` (v0.29.0+): a compose's env written with `envVars:write`
    /// instead of `compose.update`'s `service:create`.
    pub save_environment: bool,
    /// `deployment.queueList` (v0.28.3+).
    pub queue_list: bool,
    /// `deployment.readLogs` (v0.29.6+).
    pub read_logs: bool,
    /// Services live in environments (v0.25.0+): UI links include the environment.
    pub environments: bool,
}

impl Features {
    /// The features of the server that reports `version`.
    pub fn of(version: &str) -> Features {
        let parsed = parse(version);
        let at_least =
            |minimum: (u64, u64, u64)| parsed.as_ref().is_none_or(|v| v >= &triple(minimum));
        Features {
            version: version.to_owned(),
            titles: at_least((0, 25, 0)),
            retitles: at_least((0, 25, 7)),
            permissions: at_least((0, 28, 7)),
            save_environment: at_least((0, 29, 0)),
            queue_list: at_least((0, 28, 3)),
            read_logs: at_least((0, 29, 6)),
            environments: at_least((0, 25, 0)),
        }
    }

    /// Whether the version is known to be older than API keys (v0.19.0).
    pub fn predates_api_keys(&self) -> bool {
        parse(&self.version).is_some_and(|v| v < triple((0, 19, 0)))
    }
}

fn triple((major, minor, patch): (u64, u64, u64)) -> Version {
    Version::new(major, minor, patch)
}

/// `v0.30.2`, `0.30.2`, `v0.26.0-canary.3` → a version; anything else → `None`.
fn parse(version: &str) -> Option<Version> {
    let text = version.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    Version::parse(text).ok().map(|mut v| {
        // A pre-release of 0.28.3 already has 0.28.3's procedures.
        v.pre = semver::Prerelease::EMPTY;
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gates_follow_the_version_table() {
        let old = Features::of("v0.24.9");
        assert!(!old.titles && !old.queue_list && !old.read_logs && !old.environments);
        assert!(!Features::of("v0.25.6").retitles && Features::of("v0.25.7").retitles);
        let mid = Features::of("v0.28.2");
        assert!(mid.titles && mid.environments && !mid.queue_list && !mid.read_logs);
        assert!(!mid.permissions && !mid.save_environment);
        let queue = Features::of("v0.28.3");
        assert!(queue.queue_list && !queue.read_logs);
        let checked = Features::of("v0.28.7");
        assert!(checked.permissions && !checked.save_environment);
        assert!(Features::of("v0.29.0").save_environment);
        let new = Features::of("v0.30.2");
        assert!(new.titles && new.queue_list && new.read_logs && new.save_environment);
        assert!(Features::of("0.29.6").read_logs);
        assert!(Features::of("v0.28.3-canary.1").queue_list);
    }

    #[test]
    fn unknown_versions_count_as_new() {
        let canary = Features::of("canary");
        assert!(canary.titles && canary.queue_list && canary.read_logs);
        assert!(!canary.predates_api_keys());
        assert!(Features::of("v0.18.4").predates_api_keys());
        assert!(!Features::of("v0.19.0").predates_api_keys());
    }
}
