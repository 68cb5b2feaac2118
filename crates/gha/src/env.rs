//! A snapshot of the environment variables, so that everything reading them can be tested
//! without touching (or racing on) the real process environment.

use std::collections::BTreeMap;

/// Environment variables by name. Empty values are kept, but [`Env::get`] treats them as
/// absent: the runner passes unset optional inputs as `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The current process environment. Variables whose name or value is not UTF-8 are
    /// skipped: no GitHub variable is ever non-UTF-8.
    pub fn from_process() -> Self {
        let vars = std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        });
        Self::from_pairs(vars)
    }

    /// An environment holding exactly these variables (tests, or a filtered environment).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let vars = pairs
            .into_iter()
            .map(|(name, value)| (name.into(), value.into()))
            .collect();
        Self { vars }
    }

    /// The value of `name`, or `None` when it is unset **or empty**.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// `GITHUB_ACTIONS=true`: the process runs as an Actions step.
    pub fn is_actions(&self) -> bool {
        self.get("GITHUB_ACTIONS") == Some("true")
    }

    /// `RUNNER_DEBUG=1`: the run has debug logging enabled.
    pub fn is_runner_debug(&self) -> bool {
        self.get("RUNNER_DEBUG") == Some("1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_absent() {
        let env = Env::from_pairs([("A", ""), ("B", "b")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), Some("b"));
        assert_eq!(env.get("C"), None);
    }

    #[test]
    fn actions_and_debug_flags_need_exact_values() {
        assert!(Env::from_pairs([("GITHUB_ACTIONS", "true")]).is_actions());
        assert!(!Env::from_pairs([("GITHUB_ACTIONS", "1")]).is_actions());
        assert!(!Env::from_pairs([("GITHUB_ACTIONS", "TRUE")]).is_actions());
        assert!(!Env::default().is_actions());
        assert!(Env::from_pairs([("RUNNER_DEBUG", "1")]).is_runner_debug());
        assert!(!Env::from_pairs([("RUNNER_DEBUG", "0")]).is_runner_debug());
    }

    #[test]
    fn from_process_reads_the_real_environment() {
        // PATH is set in every environment cargo test runs in.
        assert!(Env::from_process().get("PATH").is_some());
    }
}
