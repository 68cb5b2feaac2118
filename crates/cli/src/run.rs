//! Process setup and the `main` of every binary: [`run`] and [`run_async`].

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Arg, ArgAction, Command, CommandFactory, Parser};
use gantry_gha::{Annotation, Runtime};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::exit::{Error, ExitStatus};
use crate::report::{check_warnings_setting, report_error};

/// Secrets every binary masks at start, whether or not it uses them: a stray `Debug` print
/// of a request can then never show them.
pub const SECRET_VARS: &[&str] = &["GITHUB_TOKEN", "DOKPLOY_API_KEY"];

/// The id of the `-v` flag [`command`] adds to every binary.
const VERBOSE: &str = "gantry-verbose";

/// Runs a synchronous tool as the whole process: sets up the runtime (masking, panic hook),
/// parses `A` from the command line (exit 2 on bad flags), installs logging, calls `tool`
/// and maps its result to the exit status, reporting an error on stderr.
///
/// ```no_run
/// # #[derive(clap::Parser)] struct Args {}
/// # fn tool(args: Args, runtime: &gantry_gha::Runtime) -> Result<(), gantry_cli::Error> { Ok(()) }
/// fn main() -> std::process::ExitCode {
///     gantry_cli::run(tool)
/// }
/// ```
pub fn run<A, E>(tool: impl FnOnce(A, &Runtime) -> Result<(), E>) -> ExitCode
where
    A: Parser,
    E: Into<Error>,
{
    let runtime = start();
    let status = match parse_args::<A>(&runtime, std::env::args_os(), &is_empty_process_var) {
        Err(status) => status,
        Ok((args, verbosity)) => {
            install_logging(&runtime, verbosity);
            let result = check_warnings_setting(runtime.env())
                .and_then(|()| tool(args, &runtime).map_err(Into::into));
            finish(&runtime, result)
        }
    };
    status.into()
}

/// [`run`] for an async tool, on a current-thread tokio runtime.
///
/// ```no_run
/// # #[derive(clap::Parser)] struct Args {}
/// # async fn tool(args: Args, runtime: &gantry_gha::Runtime) -> Result<(), gantry_cli::Error> { Ok(()) }
/// fn main() -> std::process::ExitCode {
///     gantry_cli::run_async(tool)
/// }
/// ```
pub fn run_async<A, E>(tool: impl AsyncFnOnce(A, &Runtime) -> Result<(), E>) -> ExitCode
where
    A: Parser,
    E: Into<Error>,
{
    run(|args: A, runtime: &Runtime| {
        let executor = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Error::failed(format!("cannot start the async runtime: {error}")))?;
        executor.block_on(tool(args, runtime)).map_err(Into::into)
    })
}

/// The process runtime, with the panic hook installed and [`SECRET_VARS`] masked.
fn start() -> Runtime {
    let runtime = Runtime::from_process();
    install_panic_hook(&runtime);
    for name in SECRET_VARS {
        runtime.secret_from_env(name);
    }
    runtime
}

/// A panic is a bug: say so briefly (redacted), instead of a backtrace dump. The process
/// still exits non-zero.
fn install_panic_hook(runtime: &Runtime) {
    let redactor = runtime.redactor().clone();
    let actions = runtime.is_actions();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let location = info
            .location()
            .map(|location| format!(" at {location}"))
            .unwrap_or_default();
        let text = redactor
            .redact(&format!(
                "internal error (a bug in gantry): {message}{location}\n\
                 please report it at https://github.com/gantry-rs/gantry/issues"
            ))
            .into_owned();
        // Straight to stderr: the runtime's log lock may be held by the panicking thread.
        if actions {
            eprint!(
                "{}",
                Annotation::error(text).title("internal error").to_command()
            );
        } else {
            eprintln!("{text}");
        }
    }));
}

/// `A`'s command with what gantry adds to every binary: `-v/--verbose`, and env variables
/// that are set but empty treated as unset (`is_empty_var` says which).
pub fn command<A: CommandFactory>(is_empty_var: &dyn Fn(&OsStr) -> bool) -> Command {
    let verbose = Arg::new(VERBOSE)
        .short('v')
        .long("verbose")
        .action(ArgAction::Count)
        .global(true)
        .help("More log output: -v debug, -vv everything");
    // Under the default heading, not whichever heading the tool's last group left open.
    let command = A::command()
        .next_help_heading(None::<&'static str>)
        .arg(verbose);
    ignore_empty_env(command, is_empty_var)
}

/// The runner passes unset optional inputs as `INPUT_X=""`; clap would take `""` as a value
/// (and reject it for `--format`). Dropping the variable from such an argument makes it absent,
/// so its default applies.
fn ignore_empty_env(command: Command, is_empty_var: &dyn Fn(&OsStr) -> bool) -> Command {
    command
        .mut_args(|arg| {
            if arg.get_env().is_some_and(is_empty_var) {
                arg.env(None::<&'static str>)
            } else {
                arg
            }
        })
        .mut_subcommands(|subcommand| ignore_empty_env(subcommand, is_empty_var))
}

fn is_empty_process_var(name: &OsStr) -> bool {
    std::env::var_os(name).is_some_and(|value| value.is_empty())
}

/// Parses `A` and the verbosity from `argv`. `--help` and `--version` print and end with 0;
/// bad flags print clap's message (plus an annotation under Actions) and end with 2.
pub fn parse_args<A: Parser>(
    runtime: &Runtime,
    argv: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    is_empty_var: &dyn Fn(&OsStr) -> bool,
) -> Result<(A, u8), ExitStatus> {
    let parsed = command::<A>(is_empty_var)
        .try_get_matches_from(argv)
        .and_then(|mut matches| {
            let verbosity = matches.get_count(VERBOSE);
            Ok((A::from_arg_matches_mut(&mut matches)?, verbosity))
        });
    parsed.map_err(|error| {
        if !error.use_stderr() {
            // --help, --version: clap's output on stdout.
            let _ = error.print();
            return ExitStatus::Success;
        }
        runtime.info(error.render().to_string().trim_end());
        if runtime.is_actions() {
            let message = error.to_string();
            let first_line = message.lines().next().unwrap_or_default();
            let first_line = first_line.strip_prefix("error: ").unwrap_or(first_line);
            runtime.annotate(&Annotation::error(first_line).title("invalid arguments"));
        }
        ExitStatus::BadInput
    })
}

/// Logging through the runtime's tracing layer: gantry's own events at INFO, at DEBUG with
/// `-v` or `RUNNER_DEBUG=1`, everything at TRACE with `-vv`; other crates' at WARN.
fn install_logging(runtime: &Runtime, verbosity: u8) {
    let debug = verbosity >= 1 || runtime.is_runner_debug();
    let (own, others) = if verbosity >= 2 {
        (LevelFilter::TRACE, LevelFilter::TRACE)
    } else if debug {
        (LevelFilter::DEBUG, LevelFilter::WARN)
    } else {
        (LevelFilter::INFO, LevelFilter::WARN)
    };
    let filter = Targets::new()
        .with_default(others)
        .with_target("gantry", own);
    // Only fails when a subscriber is already installed, which then keeps logging.
    let _ = tracing_subscriber::registry()
        .with(runtime.tracing_layer().with_filter(filter))
        .try_init();
}

/// Reports the tool's error, if any, and returns the exit status.
pub fn finish(runtime: &Runtime, result: Result<(), Error>) -> ExitStatus {
    match result {
        Ok(()) => ExitStatus::Success,
        Err(error) => report_error(runtime, &error, use_color(runtime)),
    }
}

/// Colours only for a terminal, and never with `NO_COLOR` set.
fn use_color(runtime: &Runtime) -> bool {
    std::io::stderr().is_terminal() && runtime.env().get("NO_COLOR").is_none()
}
