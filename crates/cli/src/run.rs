//! Process setup and the `main` of every binary: [`main`] for one tool's own binary,
//! [`multicall`] for `gantry`, which runs every tool.

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory};
use gantry_gha::{Annotation, Runtime};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::exit::{Error, ExitStatus};
use crate::report::{check_warnings_setting, report_error};
use crate::tool::Tool;

/// The id of the `-v` flag every tool gets.
const VERBOSE: &str = "gantry-verbose";

/// The whole process of `gantry-<tool>`, one tool's own binary: sets up the runtime (its
/// secrets masked, the panic hook), parses the command line (exit 2 on bad flags), installs
/// logging, runs the tool, publishes its report and maps the result to the exit status,
/// reporting an error on stderr.
///
/// ```no_run
/// # fn tool() -> gantry_cli::Tool { unimplemented!() }
/// fn main() -> std::process::ExitCode {
///     gantry_cli::main(&tool())
/// }
/// ```
pub fn main(tool: &Tool) -> ExitCode {
    let runtime = start(std::slice::from_ref(tool));
    run_tool(tool, &runtime, std::env::args_os(), None).into()
}

/// The whole process of the multicall binary: `gantry <tool> …`, or `gantry-<tool> …` when
/// it is called by a tool's name (a link to it, or a copy named so). The secrets of every
/// tool are masked at start, whichever runs. Without a tool, `--help` lists them.
pub fn multicall(about: &'static str, tools: &[Tool]) -> ExitCode {
    let runtime = start(tools);
    let argv: Vec<OsString> = std::env::args_os().collect();
    let status = match dispatch(tools, &argv) {
        Some((tool, Called::ByName)) => run_tool(tool, &runtime, argv, None),
        Some((tool, Called::AsSubcommand)) => {
            let bin_name = format!("gantry {}", tool.name);
            run_tool(tool, &runtime, argv.into_iter().skip(1), Some(bin_name))
        }
        None => multicall_help(about, tools, &runtime, argv),
    };
    status.into()
}

/// Runs an async tool's `future` to its end on a current-thread tokio runtime: the `run` of
/// every tool that talks to a server.
pub fn block_on<T, E: Into<Error>>(future: impl Future<Output = Result<T, E>>) -> Result<T, Error> {
    let executor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::failed(format!("cannot start the async runtime: {error}")))?;
    executor.block_on(future).map_err(Into::into)
}

/// How the multicall binary was asked for a tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Called {
    /// `gantry-<tool> …` (or `gantry-<tool>.exe`).
    ByName,
    /// `gantry <tool> …`.
    AsSubcommand,
}

/// The tool `argv` asks for: by the program's file name, else by its first argument.
fn dispatch<'t>(tools: &'t [Tool], argv: &[OsString]) -> Option<(&'t Tool, Called)> {
    let find = |name: &str| tools.iter().find(|tool| tool.name == name);
    let by_name = argv
        .first()
        .map(Path::new)
        .and_then(Path::file_stem)
        .and_then(OsStr::to_str)
        .and_then(|stem| stem.strip_prefix("gantry-"))
        .and_then(find);
    if let Some(tool) = by_name {
        return Some((tool, Called::ByName));
    }
    let first = argv.get(1).and_then(|arg| arg.to_str())?;
    find(first).map(|tool| (tool, Called::AsSubcommand))
}

/// `gantry` without a tool: `--help` and `--version` end with 0, anything else with 2.
fn multicall_help(
    about: &'static str,
    tools: &[Tool],
    runtime: &Runtime,
    argv: Vec<OsString>,
) -> ExitStatus {
    let command = Command::new("gantry")
        .version(env!("CARGO_PKG_VERSION"))
        .about(about)
        .subcommand_required(true)
        .disable_help_subcommand(true)
        .after_help("Each tool also runs as gantry-<tool>: a link to (or a copy of) this binary.")
        .subcommands(
            tools
                .iter()
                .map(|tool| Command::new(tool.name).about(tool.about())),
        );
    match command.try_get_matches_from(argv) {
        Err(error) => clap_error(runtime, &error),
        // Every tool's name was dispatched before: nothing else parses.
        Ok(_) => ExitStatus::BadInput,
    }
}

/// Parses `argv` for `tool`, installs logging and runs it.
fn run_tool(
    tool: &Tool,
    runtime: &Runtime,
    argv: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    bin_name: Option<String>,
) -> ExitStatus {
    let mut command = ignore_empty_env(tool.command(), &is_empty_process_var);
    if let Some(bin_name) = bin_name {
        command = command.bin_name(bin_name);
    }
    match parse(command, runtime, argv) {
        Err(status) => status,
        Ok((mut matches, verbosity)) => {
            install_logging(runtime, verbosity);
            let result = check_warnings_setting(runtime.env())
                .and_then(|()| tool.main(&mut matches, runtime));
            finish(runtime, result)
        }
    }
}

/// The process runtime, with the panic hook installed and the secrets of `tools` masked:
/// a stray `Debug` print of a request can then never show them.
fn start(tools: &[Tool]) -> Runtime {
    let runtime = Runtime::from_process();
    install_panic_hook(&runtime);
    for name in secret_vars(tools) {
        runtime.secret_from_env(name);
    }
    runtime
}

/// The job's token: workflows often set it for a whole job, so every tool masks it, whether
/// it reads it or not (gantry-tags never does, yet its report may quote any input).
const JOB_TOKEN_VAR: &str = "GITHUB_TOKEN";

/// Every variable to mask at start: the job's token, and every variable the `tools` read a
/// secret from; each once, in order.
pub fn secret_vars(tools: &[Tool]) -> Vec<&'static str> {
    let mut vars: Vec<&'static str> = vec![JOB_TOKEN_VAR];
    for secret in tools.iter().flat_map(|tool| tool.secrets) {
        if !vars.contains(&secret.var) {
            vars.push(secret.var);
        }
    }
    vars
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

/// `command` with what gantry adds to every tool: `-v/--verbose`.
pub(crate) fn with_verbose(command: Command) -> Command {
    let verbose = Arg::new(VERBOSE)
        .short('v')
        .long("verbose")
        .action(ArgAction::Count)
        .global(true)
        .help("More log output: -v debug, -vv everything");
    // Under the default heading, not whichever heading the tool's last group left open.
    command.next_help_heading(None::<&'static str>).arg(verbose)
}

/// `A`'s command as a tool runs it: with `-v/--verbose`, and env variables that are set but
/// empty treated as unset (`is_empty_var` says which).
pub fn command<A: CommandFactory>(is_empty_var: &dyn Fn(&OsStr) -> bool) -> Command {
    ignore_empty_env(with_verbose(A::command()), is_empty_var)
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

/// Parses `argv` with `command` into its matches and the verbosity. `--help` and
/// `--version` print and end with 0; bad flags print clap's message (plus an annotation under
/// Actions) and end with 2.
pub fn parse(
    command: Command,
    runtime: &Runtime,
    argv: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> Result<(ArgMatches, u8), ExitStatus> {
    match command.try_get_matches_from(argv) {
        Ok(matches) => {
            let verbosity = matches.get_count(VERBOSE);
            Ok((matches, verbosity))
        }
        Err(error) => Err(clap_error(runtime, &error)),
    }
}

/// clap's message: help and version on stdout (0), an error on stderr (2).
fn clap_error(runtime: &Runtime, error: &clap::Error) -> ExitStatus {
    if !error.use_stderr() {
        // --help, --version: clap's output on stdout; a closed stdout is no error.
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
fn finish(runtime: &Runtime, result: Result<(), Error>) -> ExitStatus {
    match result {
        Ok(()) => ExitStatus::Success,
        Err(error) => report_error(runtime, &error, use_color(runtime)),
    }
}

/// Colours only for a terminal, and never with `NO_COLOR` set.
fn use_color(runtime: &Runtime) -> bool {
    std::io::stderr().is_terminal() && runtime.env().get("NO_COLOR").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[derive(Debug, clap::Parser)]
    #[command(name = "gantry-one", about = "The first tool")]
    struct One {
        #[command(flatten)]
        format: crate::FormatArgs,
    }

    impl crate::Invocation for One {
        type Report = crate::publish::tests::Counted;
        fn run(self, _: &Runtime) -> Result<Self::Report, Error> {
            Ok(crate::publish::tests::Counted)
        }
    }

    const SECRET: crate::SecretInput = crate::SecretInput {
        input: "token",
        var: "GITHUB_TOKEN",
        default: "",
        required: false,
        description: "",
    };

    fn tools() -> [Tool; 2] {
        [
            Tool::new::<One>("one", &[], &[SECRET]),
            Tool::new::<One>(
                "two",
                &[],
                &[
                    crate::SecretInput {
                        var: "DOKPLOY_API_KEY",
                        ..SECRET
                    },
                    SECRET,
                ],
            ),
        ]
    }

    #[test]
    fn the_program_name_or_the_first_argument_names_the_tool() {
        let tools = tools();
        let name =
            |args: &[&str]| dispatch(&tools, &argv(args)).map(|(tool, called)| (tool.name, called));
        assert_eq!(name(&["gantry-two", "--x"]), Some(("two", Called::ByName)));
        assert_eq!(
            name(&["/usr/bin/gantry-one.exe"]),
            Some(("one", Called::ByName))
        );
        assert_eq!(
            name(&["gantry", "two", "--help"]),
            Some(("two", Called::AsSubcommand))
        );
        assert_eq!(
            name(&["./gantry-one", "two"]),
            Some(("one", Called::ByName))
        );
        assert_eq!(name(&["gantry", "three"]), None);
        assert_eq!(
            name(&["gantry-three", "one"]),
            Some(("one", Called::AsSubcommand))
        );
        assert_eq!(name(&["gantry"]), None);
    }

    #[test]
    fn every_secret_of_every_tool_is_masked_once() {
        assert_eq!(secret_vars(&tools()), ["GITHUB_TOKEN", "DOKPLOY_API_KEY"]);
        // The job's token even for a tool that reads no secret.
        assert_eq!(
            secret_vars(&[Tool::new::<One>("three", &[], &[])]),
            ["GITHUB_TOKEN"]
        );
    }

    #[test]
    fn without_a_tool_help_and_version_are_0_and_anything_else_2() {
        let (runtime, log) = Runtime::captured(gantry_gha::Env::default());
        let status = |args: &[&str]| multicall_help("about", &tools(), &runtime, argv(args));
        assert_eq!(status(&["gantry", "--version"]), ExitStatus::Success);
        assert_eq!(status(&["gantry", "three"]), ExitStatus::BadInput);
        assert_eq!(status(&["gantry"]), ExitStatus::BadInput);
        assert!(
            log.text().contains("unrecognized subcommand 'three'"),
            "{}",
            log.text()
        );
    }
}
