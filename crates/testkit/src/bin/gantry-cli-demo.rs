//! A tiny gantry tool: the shape every tool takes (arguments, an [`Invocation`], a
//! [`Report`], a [`Tool`] descriptor, a one-line `main`), run by the tests of gantry-cli's
//! process contract in `tests/it/cli_demo.rs`. Test-only: it lives in the testkit, which
//! nothing ships.

use std::process::ExitCode;

use clap::Parser;
use gantry_cli::{
    Classify, Error, ExitStatus, FormatArgs, GithubArgs, Invocation, ManifestArgs, Report,
    SecretInput, Tool,
};
use gantry_gha::{Runtime, Summary};
use miette::{NamedSource, SourceSpan};

/// Demonstrates gantry's command-line contract.
#[derive(Debug, Parser)]
#[command(name = "gantry-cli-demo", version)]
struct Args {
    /// What to do
    #[arg(long, value_enum, env = "INPUT_ACTION", default_value = "report")]
    action: Action,
    /// Step outputs to set, as NAME=VALUE
    #[arg(long, env = "INPUT_OUTPUT")]
    output: Vec<String>,
    #[command(flatten)]
    format: FormatArgs,
    #[command(flatten)]
    manifest: ManifestArgs,
    #[command(flatten)]
    github: GithubArgs,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Action {
    /// Print the resolved arguments and context; set outputs and a summary
    Report,
    /// Fail the operation (exit 1)
    Fail,
    /// Reject the manifest with a located error (exit 2)
    CheckManifest,
    /// Log the GITHUB_TOKEN, which must come out masked
    LogSecret,
    /// Panic
    Panic,
}

/// A manifest error with its location, as gantry-manifest reports them.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("unknown key `servces`")]
#[diagnostic(code(gantry::manifest::unknown_key), help("did you mean `services`?"))]
struct UnknownKey {
    #[source_code]
    source_code: NamedSource<String>,
    #[label("not a known key")]
    span: SourceSpan,
}

impl Classify for UnknownKey {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::BadInput
    }
}

/// The demo's descriptor: it reads GITHUB_TOKEN, so every run masks it first.
const TOOL: Tool = Tool::new::<Args>(
    "cli-demo",
    &[],
    &[SecretInput {
        input: "token",
        var: "GITHUB_TOKEN",
        default: "",
        required: false,
        description: "",
    }],
);

fn main() -> ExitCode {
    gantry_cli::main(&TOOL)
}

/// The resolved arguments and context, and the outputs asked for.
struct Resolved {
    text: String,
    outputs: Vec<(String, String)>,
}

impl Report for Resolved {
    fn text(&self) -> String {
        self.text.clone()
    }

    fn json(&self) -> String {
        "{\"format\":\"json\"}".to_owned()
    }

    fn outputs(&self) -> Vec<(String, String)> {
        self.outputs.clone()
    }

    fn summary(&self) -> Summary {
        let mut summary = Summary::new();
        summary.heading(2, "Demo").paragraph("done");
        summary
    }
}

impl Invocation for Args {
    type Report = Resolved;

    fn run(self, runtime: &Runtime) -> Result<Resolved, Error> {
        match self.action {
            Action::Report => resolve(&self, runtime),
            Action::Fail => Err(Error::failed("deploy of api failed: status error")),
            Action::CheckManifest => check_manifest(&self, runtime),
            Action::LogSecret => {
                let token = runtime.secret_from_env("GITHUB_TOKEN");
                let token = token.as_ref().map_or("<unset>", |token| token.expose());
                tracing::info!("token is {token}");
                tracing::warn!("token is still {token}");
                Err(Error::failed(format!("authentication with {token} failed")))
            }
            Action::Panic => panic!("demo panic"),
        }
    }
}

fn resolve(args: &Args, runtime: &Runtime) -> Result<Resolved, Error> {
    let context = args.github.context(runtime)?;
    let manifest = args.manifest.path(runtime.env());
    let event = context.event().map_or("-", |event| event.name());
    let text = format!(
        "format=text\nmanifest={}\nevent={}\nref={}\npayload={event}\napi={}",
        manifest.display(),
        context.event_name.as_deref().unwrap_or("-"),
        context.git_ref.as_deref().unwrap_or("-"),
        context.api_url,
    );
    let outputs = args
        .output
        .iter()
        .map(|output| {
            let (name, value) = output.split_once('=').unwrap_or((output, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect();
    tracing::debug!("report ready");
    Ok(Resolved { text, outputs })
}

fn check_manifest(args: &Args, runtime: &Runtime) -> Result<Resolved, Error> {
    let path = args.manifest.path(runtime.env());
    let text = std::fs::read_to_string(&path)
        .map_err(|error| Error::bad_input(format!("cannot read {}: {error}", path.display())))?;
    match text.find("servces") {
        Some(offset) => Err(UnknownKey {
            source_code: NamedSource::new(path.display().to_string(), text),
            span: (offset, "servces".len()).into(),
        }
        .into()),
        None => resolve(args, runtime),
    }
}
