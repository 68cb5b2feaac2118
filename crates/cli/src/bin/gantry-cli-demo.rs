//! A tiny gantry tool: the shape every binary's `main.rs` takes, and what the integration
//! tests of gantry-cli run. Not shipped.

use std::process::ExitCode;

use clap::Parser;
use gantry_cli::{Classify, Error, ExitStatus, Format, FormatArgs, GithubArgs, ManifestArgs};
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

fn main() -> ExitCode {
    gantry_cli::run_async(run)
}

async fn run(args: Args, runtime: &Runtime) -> Result<(), Error> {
    match args.action {
        Action::Report => report(&args, runtime),
        Action::Fail => Err(Error::failed("deploy of api failed: status error")),
        Action::CheckManifest => check_manifest(&args, runtime),
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

fn report(args: &Args, runtime: &Runtime) -> Result<(), Error> {
    let context = args.github.context(runtime)?;
    let manifest = args.manifest.path(runtime.env());
    let event = context.event().map_or("-", |event| event.name());
    match args.format.format {
        Format::Text => println!(
            "format=text\nmanifest={}\nevent={}\nref={}\npayload={event}\napi={}",
            manifest.display(),
            context.event_name.as_deref().unwrap_or("-"),
            context.git_ref.as_deref().unwrap_or("-"),
            context.api_url,
        ),
        Format::Json => println!("{{\"format\":\"json\"}}"),
    }
    for output in &args.output {
        let (name, value) = output.split_once('=').unwrap_or((output, ""));
        runtime.set_output(name, value)?;
    }
    let mut summary = Summary::new();
    summary.heading(2, "Demo").paragraph("done");
    runtime.append_summary(&summary)?;
    tracing::debug!("report printed");
    Ok(())
}

fn check_manifest(args: &Args, runtime: &Runtime) -> Result<(), Error> {
    let path = args.manifest.path(runtime.env());
    let text = std::fs::read_to_string(&path)
        .map_err(|error| Error::bad_input(format!("cannot read {}: {error}", path.display())))?;
    match text.find("servces") {
        Some(offset) => Err(UnknownKey {
            source_code: NamedSource::new(path.display().to_string(), text),
            span: (offset, "servces".len()).into(),
        }
        .into()),
        None => Ok(()),
    }
}
