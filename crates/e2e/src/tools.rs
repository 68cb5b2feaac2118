//! The tools packaged as actions, and what each `actions/<tool>/action.yml` must declare:
//! one input per flag that reads an `INPUT_*` variable (from the binary's clap definition),
//! the secret inputs, and the outputs the binary sets (from the tool crate's `OUTPUTS`).

use clap::{ArgAction, Command, CommandFactory};

/// A secret the binary reads from the environment, passed in by an action input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretInput {
    pub input: &'static str,
    /// The variable the binary reads.
    pub env: &'static str,
    pub default: &'static str,
    pub required: bool,
    pub description: &'static str,
}

/// One tool: `gantry-<name>`, packaged as `actions/<name>`.
pub struct Tool {
    pub name: &'static str,
    /// The binary's command line, as `gantry_cli` builds it.
    pub command: Command,
    /// Every step output the binary sets, with its description.
    pub outputs: &'static [(&'static str, &'static str)],
    pub secrets: &'static [SecretInput],
}

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

const GITHUB_TOKEN: SecretInput = SecretInput {
    input: "token",
    env: "GITHUB_TOKEN",
    default: "${{ github.token }}",
    required: false,
    description: "GitHub token, passed as GITHUB_TOKEN and used for GitHub's registries only \
                  (ghcr.io needs packages: write to add tags)",
};

const REGISTRY_PASSWORD: SecretInput = SecretInput {
    input: "password",
    env: gantry_registry::credentials::PASSWORD_VAR,
    default: "",
    required: false,
    description: "Password for username, passed as REGISTRY_PASSWORD",
};

const DOKPLOY_API_KEY: SecretInput = SecretInput {
    input: "api-key",
    env: gantry_dokploy::API_KEY_VAR,
    default: "",
    required: true,
    description: "Dokploy API key (from a secret), passed as DOKPLOY_API_KEY",
};

/// Every tool with an action, in the order of the docs.
pub fn tools() -> Vec<Tool> {
    vec![
        Tool {
            name: "matrix",
            command: built_command::<gantry_matrix::Args>(),
            outputs: gantry_matrix::outputs::OUTPUTS,
            secrets: &[
                SecretInput {
                    description: "GitHub token, passed as GITHUB_TOKEN: with since-last-build, \
                                  reads the sha tags on GitHub's registries only (packages: \
                                  read)",
                    ..GITHUB_TOKEN
                },
                REGISTRY_PASSWORD,
            ],
        },
        Tool {
            name: "tags",
            command: built_command::<gantry_tags::Args>(),
            outputs: gantry_tags::output::OUTPUTS,
            secrets: &[],
        },
        Tool {
            name: "promote",
            command: built_command::<gantry_promote::Args>(),
            outputs: gantry_promote::report::OUTPUTS,
            secrets: &[
                SecretInput {
                    env: gantry_registry::credentials::TOKEN_VAR,
                    ..GITHUB_TOKEN
                },
                REGISTRY_PASSWORD,
            ],
        },
        Tool {
            name: "prune",
            command: built_command::<gantry_prune::Args>(),
            outputs: gantry_prune::report::OUTPUTS,
            secrets: &[
                SecretInput {
                    description: "GitHub token, passed as GITHUB_TOKEN: lists and deletes package \
                                  versions (GITHUB_TOKEN needs packages: write and the Admin role \
                                  on each package; else a classic PAT with delete:packages, see \
                                  docs/prune.md)",
                    ..GITHUB_TOKEN
                },
                REGISTRY_PASSWORD,
                SecretInput {
                    input: gantry_prune::DOKPLOY_KEY_INPUT.input,
                    env: gantry_prune::DOKPLOY_KEY_INPUT.var,
                    default: gantry_prune::DOKPLOY_KEY_INPUT.default,
                    required: gantry_prune::DOKPLOY_KEY_INPUT.required,
                    description: gantry_prune::DOKPLOY_KEY_INPUT.description,
                },
            ],
        },
        Tool {
            name: "dokploy",
            command: built_command::<gantry_dokploy::Args>(),
            outputs: gantry_dokploy::report::OUTPUTS,
            secrets: &[DOKPLOY_API_KEY],
        },
    ]
}

/// The tool named `name`.
pub fn tool(name: &str) -> Tool {
    tools()
        .into_iter()
        .find(|tool| tool.name == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

/// `A`'s command as the binary builds it (`gantry_cli::command`: `-v` added), with its
/// flattened groups and defaults resolved.
fn built_command<A: CommandFactory>() -> Command {
    let mut command = gantry_cli::command::<A>(&|_| false);
    command.build();
    command
}

impl Tool {
    /// The inputs its flags give: one per flag with an `INPUT_*` variable, in flag order.
    pub fn flag_inputs(&self) -> Vec<InputSpec> {
        self.command
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

    /// `gantry-<name>`.
    pub fn binary(&self) -> String {
        format!("gantry-{}", self.name)
    }

    /// `actions/<name>/action.yml` as it must be: generated from the clap definition, the
    /// secrets and `OUTPUTS`. Strings are written as JSON strings, which YAML reads as they are.
    pub fn action_yml(&self) -> String {
        let quote = |text: &str| serde_json::Value::from(text).to_string();
        let binary = self.binary();
        let about = self
            .command
            .get_about()
            .map(|about| one_line(&about.to_string()))
            .unwrap_or_default();
        let mut yml = format!(
            "# Generated from {binary}'s clap definition and OUTPUTS by crates/e2e; edit those and run\n\
             # GANTRY_REGENERATE=1 cargo test -p gantry-e2e, not this file (docs/actions.md).\n\
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
        let flags = self.flag_inputs();
        for flag in &flags {
            input(&flag.name, &flag.description, flag.required, &flag.default);
        }
        for secret in self.secrets {
            input(
                secret.input,
                secret.description,
                secret.required,
                secret.default,
            );
        }
        input(INSTALL_INPUT.0, INSTALL_INPUT.1, false, "");
        yml.push_str("outputs:\n");
        for (name, description) in self.outputs {
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
        for secret in self.secrets {
            yml.push_str(&format!(
                "        {}: ${{{{ inputs.{} }}}}\n",
                secret.env, secret.input
            ));
        }
        yml.push_str(&format!("      run: '\"$GANTRY_BIN/{binary}\"'\n"));
        yml
    }
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
