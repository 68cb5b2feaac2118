//! What a run tells, and the one path that tells it: the report on stdout, then the step
//! outputs, the exported variables and the step summary.

use std::io::{ErrorKind, Write};

use gantry_gha::{Runtime, Summary};

use crate::args::Format;
use crate::exit::Error;

/// What a tool's run reports, in each of the forms gantry writes it.
pub trait Report {
    /// The report for people (`--format text`).
    fn text(&self) -> String;

    /// The JSON document (`--format json`).
    fn json(&self) -> String;

    /// The step outputs, in the order of the tool's output list.
    fn outputs(&self) -> Vec<(String, String)>;

    /// The Markdown step summary.
    fn summary(&self) -> Summary;

    /// Variables for the job's later steps (`GITHUB_ENV`), written after the outputs.
    fn exports(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The run's verdict once the report is published: an error when the run failed although
    /// it has a report to show (a deletion or a deploy failed), with its annotations.
    fn conclude(self, runtime: &Runtime) -> Result<(), Error>
    where
        Self: Sized,
    {
        let _ = runtime;
        Ok(())
    }
}

/// Writes `report` in one order: the document on `stdout` (redacted; under Actions with any
/// workflow command in it stopped, since the runner reads stdout for them), then the
/// outputs, the exported variables and the step summary.
///
/// A reader that closed stdout early (`| head -c 10`) has taken what it wanted: the rest of
/// the document is dropped and the outputs and summary are still written, a normal exit
/// rather than a panic (`print!`'s), which release builds turn into an abort.
pub fn publish(
    runtime: &Runtime,
    format: Format,
    report: &impl Report,
    stdout: &mut dyn Write,
) -> Result<(), Error> {
    let document = match format {
        Format::Text => report.text(),
        Format::Json => report.json(),
    };
    write_report(stdout, &runtime.stdout_report(&document))?;
    for (name, value) in report.outputs() {
        runtime.set_output(&name, &value)?;
    }
    for (name, value) in report.exports() {
        runtime.export_var(&name, &value)?;
    }
    runtime.append_summary(&report.summary())?;
    Ok(())
}

fn write_report(stdout: &mut dyn Write, text: &str) -> Result<(), Error> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != ErrorKind::BrokenPipe => Err(Error::failed(miette::miette!(
            code = "gantry::stdout",
            "cannot write the report to stdout: {error}"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use gantry_gha::Env;

    pub(crate) struct Counted;

    impl Report for Counted {
        fn text(&self) -> String {
            "3 services\n".into()
        }
        fn json(&self) -> String {
            "{\"services\": 3}".into()
        }
        fn outputs(&self) -> Vec<(String, String)> {
            vec![("count".into(), "3".into())]
        }
        fn summary(&self) -> Summary {
            let mut summary = Summary::new();
            summary.paragraph("3 services");
            summary
        }
        fn exports(&self) -> Vec<(String, String)> {
            vec![("COUNT".into(), "3".into())]
        }
    }

    /// A pipe whose reader is gone.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(ErrorKind::BrokenPipe.into())
        }
    }

    /// A disk that is full.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(ErrorKind::StorageFull.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn actions_step() -> (tempfile::TempDir, Runtime) {
        let dir = tempfile::tempdir().unwrap();
        // The runner creates the files; the runtime appends to them.
        let file = |name: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, "").unwrap();
            path.display().to_string()
        };
        let env = Env::from_pairs([
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_OUTPUT", file("output")),
            ("GITHUB_ENV", file("env")),
            ("GITHUB_STEP_SUMMARY", file("summary")),
        ]);
        let (runtime, _log) = Runtime::captured(env);
        (dir, runtime)
    }

    #[test]
    fn the_document_goes_first_then_outputs_exports_and_summary() {
        let (dir, runtime) = actions_step();
        let mut stdout = Vec::new();
        publish(&runtime, Format::Json, &Counted, &mut stdout).unwrap();
        assert_eq!(String::from_utf8(stdout).unwrap(), "{\"services\": 3}\n");
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("output"), "count=3\n");
        assert_eq!(read("env"), "COUNT=3\n");
        assert_eq!(read("summary"), "3 services\n\n");
    }

    #[test]
    fn a_closed_stdout_still_writes_the_outputs_and_the_summary() {
        let (dir, runtime) = actions_step();
        publish(&runtime, Format::Text, &Counted, &mut ClosedPipe).unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("output"), "count=3\n");
        assert_eq!(read("summary"), "3 services\n\n");
    }

    #[test]
    fn other_stdout_errors_fail_the_run() {
        let (runtime, _log) = Runtime::captured(Env::default());
        let error = publish(&runtime, Format::Text, &Counted, &mut Full).unwrap_err();
        assert_eq!(error.status(), crate::ExitStatus::Failure);
        assert!(
            error
                .to_string()
                .starts_with("cannot write the report to stdout: "),
            "{error}"
        );
    }
}
