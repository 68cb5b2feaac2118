//! The tool descriptor: everything the binaries, the generated actions and docs, and the
//! masking at start know about one gantry tool, in one value per tool crate.

use clap::{ArgMatches, Command, CommandFactory, Parser};
use gantry_gha::{Runtime, SecretInput};

use crate::args::Format;
use crate::exit::Error;
use crate::publish::{Report, publish};

/// A step output: its name and what it holds (the action's `outputs:` and the docs tables).
pub type Output = (&'static str, &'static str);

/// A tool's parsed command line, and what running it does: the arguments type of every tool
/// implements it, and [`Tool::new`] turns it into the tool's descriptor. The report format
/// comes from its flattened [`FormatArgs`](crate::FormatArgs) (`--format`).
pub trait Invocation: Parser {
    /// What a run reports.
    type Report: Report;

    /// The run, up to its report: everything but printing and writing it, which [`publish`]
    /// does in one order for every tool. An error here is reported instead of a report.
    fn run(self, runtime: &Runtime) -> Result<Self::Report, Error>;
}

/// One gantry tool: `gantry <name>` (or `gantry-<name>`), packaged as `actions/<name>`.
#[derive(Clone, Copy)]
pub struct Tool {
    /// `matrix` for gantry-matrix.
    pub name: &'static str,
    /// Every step output the tool sets, in the order it sets them.
    pub outputs: &'static [Output],
    /// The secrets it reads; every binary masks them at start.
    pub secrets: &'static [SecretInput],
    definition: fn() -> Command,
    main: fn(&mut ArgMatches, &Runtime) -> Result<(), Error>,
}

impl Tool {
    /// The descriptor of the tool whose command line is `A`.
    pub const fn new<A: Invocation>(
        name: &'static str,
        outputs: &'static [Output],
        secrets: &'static [SecretInput],
    ) -> Tool {
        Tool {
            name,
            outputs,
            secrets,
            definition: <A as CommandFactory>::command,
            main: invoke::<A>,
        }
    }

    /// `gantry-<name>`: the name of its link, its action and its reports.
    pub fn binary(&self) -> String {
        format!("gantry-{}", self.name)
    }

    /// The command line as the tool defines it, with what gantry adds to every tool
    /// (`-v/--verbose`), its groups and defaults resolved.
    pub fn command(&self) -> Command {
        let mut command = crate::run::with_verbose((self.definition)());
        command.build();
        command
    }

    /// Its one-line description (the first line of its `--help`).
    pub fn about(&self) -> String {
        (self.definition)()
            .get_about()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// Parses `matches` into the tool's arguments, runs it and publishes its report.
    pub(crate) fn main(&self, matches: &mut ArgMatches, runtime: &Runtime) -> Result<(), Error> {
        (self.main)(matches, runtime)
    }
}

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("outputs", &self.outputs)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

/// The run of `A`: its arguments from `matches`, the run, the report published, and the
/// run's verdict once it is.
fn invoke<A: Invocation>(matches: &mut ArgMatches, runtime: &Runtime) -> Result<(), Error> {
    // `--format` of the tool's `FormatArgs`, read before the arguments take their values; a
    // tool without it reports text.
    let format = matches
        .try_get_one::<Format>("format")
        .ok()
        .flatten()
        .copied()
        .unwrap_or_default();
    let args = A::from_arg_matches_mut(matches)
        .map_err(|error| Error::bad_input(miette::miette!("{}", error.to_string().trim_end())))?;
    let report = args.run(runtime)?;
    publish(runtime, format, &report, &mut std::io::stdout().lock())?;
    report.conclude(runtime)
}
