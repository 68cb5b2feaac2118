//! Action inputs: `--foo-bar` on the command line, else `INPUT_FOO_BAR` in the environment.
//!
//! Composite actions get no `INPUT_*` variables from the runner; gantry's `action.yml` files map
//! each input themselves, with underscores. JavaScript and Docker actions get the runner's form,
//! which keeps dashes (`INPUT_FOO-BAR`); it is accepted as a fallback.

use crate::Env;

/// Reads action inputs from an [`Env`]. An empty value is absent, everywhere.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'env> {
    env: &'env Env,
}

/// An input whose value cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic, PartialEq, Eq)]
#[error("input `{name}` must be `true` or `false`, not `{value}`")]
#[diagnostic(
    code(gantry::input::bool),
    help("YAML booleans such as `yes` or `on` are not accepted: write `true` or `false`")
)]
pub struct InputError {
    /// The input's name as the action declares it.
    pub name: String,
    /// The rejected value.
    pub value: String,
}

impl<'env> Inputs<'env> {
    /// Inputs read from `env`.
    pub fn new(env: &'env Env) -> Self {
        Self { env }
    }

    /// The raw value of input `name` (`cut-off` → `INPUT_CUT_OFF`, then `INPUT_CUT-OFF`).
    pub fn get(&self, name: &str) -> Option<&'env str> {
        let (mapped, runner) = input_var_names(name);
        self.env.get(&mapped).or_else(|| self.env.get(&runner))
    }

    /// `flag` when given (and not empty), else input `name`.
    pub fn resolve<'a>(&self, flag: Option<&'a str>, name: &str) -> Option<&'a str>
    where
        'env: 'a,
    {
        flag.filter(|value| !value.is_empty())
            .or_else(|| self.get(name))
    }

    /// Input `name` as a boolean; `None` when absent.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, InputError> {
        self.get(name)
            .map(|value| parse_bool(name, value))
            .transpose()
    }

    /// Input `name` as a comma- or newline-separated list (see [`split_list`]).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name).map(split_list).unwrap_or_default()
    }

    /// Input `name` as one item per line (see [`split_lines`]).
    pub fn multiline(&self, name: &str) -> Vec<String> {
        self.get(name).map(split_lines).unwrap_or_default()
    }
}

/// A secret a binary reads from an environment variable (never from a flag or a file), and
/// the action input that passes it in: the action maps the input onto the variable, and the
/// binary masks the variable's value before anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretInput {
    /// The action input, e.g. `token`.
    pub input: &'static str,
    /// The variable the binary reads, e.g. `GITHUB_TOKEN`.
    pub var: &'static str,
    /// The input's default in the action, e.g. `${{ github.token }}`.
    pub default: &'static str,
    pub required: bool,
    pub description: &'static str,
}

/// The two variable names the input `name` may arrive in: gantry's mapping (upper case,
/// dashes and spaces → `_`) and the runner's own (upper case, spaces → `_`, dashes kept).
pub fn input_var_names(name: &str) -> (String, String) {
    let upper = name.trim().replace(' ', "_").to_uppercase();
    (
        format!("INPUT_{}", upper.replace('-', "_")),
        format!("INPUT_{upper}"),
    )
}

/// `true` or `false`, exactly (as in `@actions/core`'s `getBooleanInput`, which also accepts
/// `True`/`TRUE`; so does this).
pub fn parse_bool(name: &str, value: &str) -> Result<bool, InputError> {
    match value.trim() {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        _ => Err(InputError {
            name: name.to_owned(),
            value: value.to_owned(),
        }),
    }
}

/// Items separated by commas or newlines, trimmed, empty items dropped:
/// `"a, b\nc,,"` → `["a", "b", "c"]`. A comma inside `{…}` separates nothing, so a glob
/// alternation stays whole: `"v{1,2}.*, latest"` → `["v{1,2}.*", "latest"]`. Every list
/// input and list flag of gantry is read by this one function.
pub fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    for line in value.split('\n') {
        let mut depth = 0usize;
        let mut item = String::new();
        for character in line.chars() {
            match character {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut item));
                    continue;
                }
                _ => {}
            }
            item.push(character);
        }
        items.push(item);
    }
    items
        .into_iter()
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// One item per line, trimmed, empty lines dropped (commas are kept: tag rules contain them).
pub fn split_lines(value: &str) -> Vec<String> {
    value
        .split('\n')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_underscore_and_runner_forms() {
        assert_eq!(
            input_var_names("cut-off"),
            ("INPUT_CUT_OFF".to_owned(), "INPUT_CUT-OFF".to_owned())
        );
        assert_eq!(
            input_var_names("num octocats"),
            (
                "INPUT_NUM_OCTOCATS".to_owned(),
                "INPUT_NUM_OCTOCATS".to_owned()
            )
        );
    }

    #[test]
    fn underscore_form_wins_over_runner_form() {
        let env = Env::from_pairs([("INPUT_CUT_OFF", "mapped"), ("INPUT_CUT-OFF", "runner")]);
        assert_eq!(Inputs::new(&env).get("cut-off"), Some("mapped"));
        let env = Env::from_pairs([("INPUT_CUT-OFF", "runner")]);
        assert_eq!(Inputs::new(&env).get("cut-off"), Some("runner"));
    }

    #[test]
    fn empty_means_absent_in_every_form() {
        let env = Env::from_pairs([("INPUT_CUT_OFF", ""), ("INPUT_CUT-OFF", "runner")]);
        assert_eq!(Inputs::new(&env).get("cut-off"), Some("runner"));
        let env = Env::from_pairs([("INPUT_CUT_OFF", "")]);
        let inputs = Inputs::new(&env);
        assert_eq!(inputs.get("cut-off"), None);
        assert_eq!(inputs.bool("cut-off"), Ok(None));
        assert!(inputs.list("cut-off").is_empty());
    }

    #[test]
    fn flag_wins_unless_empty() {
        let env = Env::from_pairs([("INPUT_FORMAT", "json")]);
        let inputs = Inputs::new(&env);
        assert_eq!(inputs.resolve(Some("text"), "format"), Some("text"));
        assert_eq!(inputs.resolve(Some(""), "format"), Some("json"));
        assert_eq!(inputs.resolve(None, "format"), Some("json"));
        assert_eq!(inputs.resolve(None, "missing"), None);
    }

    #[test]
    fn booleans_are_strict() {
        let env = Env::from_pairs([
            ("INPUT_A", "true"),
            ("INPUT_B", " FALSE "),
            ("INPUT_C", "yes"),
        ]);
        let inputs = Inputs::new(&env);
        assert_eq!(inputs.bool("a"), Ok(Some(true)));
        assert_eq!(inputs.bool("b"), Ok(Some(false)));
        let error = inputs.bool("c").unwrap_err();
        assert_eq!(
            error.to_string(),
            "input `c` must be `true` or `false`, not `yes`"
        );
        assert!(parse_bool("x", "1").is_err());
    }

    #[test]
    fn lists_split_on_commas_and_newlines() {
        assert_eq!(split_list(" a, b\nc,,\r\n d \n"), ["a", "b", "c", "d"]);
        assert!(split_list(" , \n").is_empty());
    }

    #[test]
    fn commas_inside_braces_separate_nothing() {
        assert_eq!(
            split_list("pr-*, v{1,2}.*\nlatest, {a,{b,c}},d\n}x,y"),
            ["pr-*", "v{1,2}.*", "latest", "{a,{b,c}}", "d", "}x", "y"]
        );
        // An unclosed brace ends with its line.
        assert_eq!(split_list("v{1,2\na,b"), ["v{1,2", "a", "b"]);
    }

    #[test]
    fn multiline_keeps_commas() {
        let env = Env::from_pairs([("INPUT_TAGS", "type=ref,event=branch\r\n\n  type=sha  \n")]);
        assert_eq!(
            Inputs::new(&env).multiline("tags"),
            ["type=ref,event=branch", "type=sha"]
        );
    }
}
