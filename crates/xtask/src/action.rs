//! `actions/<tool>/action.yml`, generated from a tool's descriptor: one input per flag that
//! reads an `INPUT_*` variable (from its clap definition), the secret inputs, the `install`
//! input, and the outputs it sets.

use clap::ArgAction;
use gantry_cli::Tool;

/// An action input derived from a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// `sep-tags` for `INPUT_SEP_TAGS`.
    pub name: String,
    /// `INPUT_SEP_TAGS`.
    pub env: String,
    /// The flag's help, on one line, with its values when it has a fixed set.
    pub description: String,
    /// The flag's default, empty when it has none.
    pub default: String,
    pub required: bool,
}

/// The input every action (the root one and each tool's) has besides the flags.
pub const INSTALL_INPUT: (&str, &str) = (
    "install",
    "How to get the gantry binaries: auto (download the release archive and verify its \
     SHA-256, else build from source), download, source (cargo build from the action's \
     checkout) or path (the binaries in $GANTRY_BIN_DIR); empty means $GANTRY_INSTALL, else \
     auto",
);

/// The inputs its flags give: one per flag with an `INPUT_*` variable, in flag order.
pub fn flag_inputs(tool: &Tool) -> Vec<InputSpec> {
    tool.command()
        .get_arguments()
        .filter_map(|arg| {
            let env = arg.get_env()?.to_str()?.to_owned();
            let suffix = env.strip_prefix("INPUT_")?;
            let name = suffix.to_ascii_lowercase().replace('_', "-");
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|value| !value.is_hide_set())
                .map(|value| value.get_name().to_owned())
                .collect();
            let description = match values.as_slice() {
                [] => one_line(&help),
                [t, f] if t == "true" && f == "false" => {
                    format!("{} (true or false)", one_line(&help))
                }
                _ => format!("{} (one of: {})", one_line(&help), values.join(", ")),
            };
            let default = arg
                .get_default_values()
                .iter()
                .map(|value| value.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(",");
            let default = match arg.get_action() {
                ArgAction::SetTrue if default.is_empty() => "false".to_owned(),
                _ => default,
            };
            Some(InputSpec {
                name,
                env,
                description,
                default,
                required: arg.is_required_set(),
            })
        })
        .collect()
}

/// `actions/<name>/action.yml` as it must be: generated from the clap definition, the
/// secrets and `OUTPUTS`. Strings are written as JSON strings, which YAML reads as they are.
pub fn action_yml(tool: &Tool) -> String {
    let quote = |text: &str| serde_json::Value::from(text).to_string();
    let binary = tool.binary();
    let about = one_line(&tool.about());
    let mut yml = format!(
        "# Generated from {binary}'s clap definition and OUTPUTS by crates/xtask; edit those and run\n\
         # cargo xtask generate, not this file (docs/actions.md).\n\
         name: {}\ndescription: {}\nauthor: gantry-rs\nbranding:\n  icon: package\n  color: blue\ninputs:\n",
        quote(&binary),
        quote(&about),
    );
    let mut input = |name: &str, description: &str, required: bool, default: &str| {
        yml.push_str(&format!(
            "  {name}:\n    description: {}\n    required: {required}\n    default: {}\n",
            quote(description),
            quote(default)
        ));
    };
    let flags = flag_inputs(tool);
    for flag in &flags {
        input(&flag.name, &flag.description, flag.required, &flag.default);
    }
    for secret in tool.secrets {
        input(
            secret.input,
            secret.description,
            secret.required,
            secret.default,
        );
    }
    input(INSTALL_INPUT.0, INSTALL_INPUT.1, false, "");
    yml.push_str("outputs:\n");
    for (name, description) in tool.outputs {
        yml.push_str(&format!(
            "  {name}:\n    description: {}\n    value: ${{{{ steps.run.outputs.{name} }}}}\n",
            quote(description)
        ));
    }
    let cleared: String = STARTUP_VARS
        .iter()
        .map(|name| format!("        {name}: \"\"\n"))
        .collect();
    yml.push_str(&format!(
        "runs:\n  using: composite\n  steps:\n    - id: install\n      shell: bash\n      env:\n{cleared}        \
         INPUT_INSTALL: ${{{{ inputs.install }}}}\n      run: {INSTALL_RUN}\n    - id: run\n      shell: bash\n      env:\n{cleared}        \
         GANTRY_BIN: ${{{{ steps.install.outputs.bin-dir }}}}\n"
    ));
    for flag in &flags {
        yml.push_str(&format!(
            "        {}: ${{{{ inputs.{} }}}}\n",
            flag.env, flag.name
        ));
    }
    for secret in tool.secrets {
        yml.push_str(&format!(
            "        {}: ${{{{ inputs.{} }}}}\n",
            secret.var, secret.input
        ));
    }
    yml.push_str(&format!("      run: '\"$GANTRY_BIN/{binary}\"'\n"));
    yml
}

/// Variables every composite step sets to empty, because GITHUB_ENV can set them for the
/// job: `shell: bash` runs `bash --noprofile --norc -e -o pipefail {0}` (actions/runner
/// `src/Runner.Worker/Handlers/ScriptHandlerHelpers.cs`), and a non-interactive bash sources
/// `$BASH_ENV` before the script's first line, so no `env -u` inside the script comes in time.
/// A step's own `env:` is merged over the job's (`CompositeActionHandler.cs`), and bash
/// sources nothing for an empty `BASH_ENV`. `ENV` is the same for `sh`, `CDPATH` moves `cd`.
pub const STARTUP_VARS: [&str; 3] = ["BASH_ENV", "ENV", "CDPATH"];

/// How every tool action runs the shared installer: with the startup-file variables of
/// earlier steps removed, from the action's own checkout.
pub const INSTALL_RUN: &str = "env -u BASH_ENV -u ENV -u CDPATH bash --noprofile --norc \"$GITHUB_ACTION_PATH/../../scripts/install.sh\"";

/// `text` with its line breaks and runs of spaces as single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
