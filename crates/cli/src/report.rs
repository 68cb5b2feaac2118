//! Error reports: miette's graphical rendering on stderr, plus an `::error::` annotation that
//! points at the offending file, line and column under Actions.

use std::fmt::Write as _;

use gantry_gha::{Annotation, AnnotationLevel, Runtime};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};

use crate::exit::{Error, ExitStatus};
use crate::redacted::Redacted;

/// Reports wrap at this width everywhere: the same output in a terminal, a log and a test.
pub const REPORT_WIDTH: usize = 100;

/// `diagnostic` rendered by miette's graphical handler, with ANSI colours or without.
pub fn render_report(diagnostic: &dyn Diagnostic, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(REPORT_WIDTH)
        .with_links(false)
        .without_syntax_highlighting();
    let mut report = String::new();
    if handler.render_report(&mut report, diagnostic).is_err() {
        // A diagnostic whose labels point outside its source: say what we can.
        report = format!("Error: {diagnostic}\n");
    }
    report
}

/// The annotation for `diagnostic`: its message, causes and help; its code as the title; and
/// the file, line and column of its primary (else first) label, as miette shows them.
pub fn error_annotation(diagnostic: &dyn Diagnostic) -> Annotation {
    let mut message = diagnostic.to_string();
    // As miette renders causes: the diagnostic source first, else the error source.
    let mut cause = diagnostic
        .diagnostic_source()
        .map(|source| source as &dyn std::error::Error)
        .or_else(|| diagnostic.source());
    while let Some(error) = cause {
        let _ = write!(message, "\n  caused by: {error}");
        cause = error.source();
    }
    if let Some(help) = diagnostic.help() {
        let _ = write!(message, "\nhelp: {help}");
    }
    let mut annotation = Annotation::error(message);
    annotation.title = diagnostic.code().map(|code| code.to_string());
    if let Some(location) = locate(diagnostic) {
        annotation.file = Some(location.file);
        annotation.line = Some(location.line);
        annotation.col = Some(location.col);
    }
    annotation
}

struct Location {
    file: String,
    line: usize,
    col: usize,
}

/// The first diagnostic, along the `diagnostic_source` chain, with a named source and a label.
fn locate(diagnostic: &dyn Diagnostic) -> Option<Location> {
    let mut current = Some(diagnostic);
    while let Some(diagnostic) = current {
        if let Some(location) = label_location(diagnostic) {
            return Some(location);
        }
        current = diagnostic.diagnostic_source();
    }
    None
}

fn label_location(diagnostic: &dyn Diagnostic) -> Option<Location> {
    let source = diagnostic.source_code()?;
    let labels: Vec<LabeledSpan> = diagnostic.labels()?.collect();
    let label = labels
        .iter()
        .find(|label| label.primary())
        .or_else(|| labels.first())?;
    let contents = source.read_span(label.inner(), 0, 0).ok()?;
    Some(Location {
        file: contents.name()?.to_owned(),
        line: contents.line() + 1,
        col: contents.column() + 1,
    })
}

/// How the manifest's warnings are reported: `annotate` (the default: in the log, and as
/// annotations under Actions) or `log` (in the log only). The jobs of a workflow that run after
/// the one that planned it (gantry-matrix, which annotated the warnings) set `log`, so that a
/// build matrix does not repeat every warning once per job.
pub const MANIFEST_WARNINGS_VAR: &str = "GANTRY_MANIFEST_WARNINGS";

/// Whether [`report_warning`] and [`report_warnings`] annotate: under Actions, unless
/// [`MANIFEST_WARNINGS_VAR`] says `log`.
fn annotates_warnings(runtime: &Runtime) -> bool {
    runtime.is_actions() && runtime.env().get(MANIFEST_WARNINGS_VAR) != Some("log")
}

/// [`MANIFEST_WARNINGS_VAR`] is unset, empty, `annotate` or `log`; anything else is bad input.
pub fn check_warnings_setting(env: &gantry_gha::Env) -> Result<(), Error> {
    match env.get(MANIFEST_WARNINGS_VAR) {
        None | Some("" | "annotate" | "log") => Ok(()),
        Some(other) => Err(Error::bad_input(
            miette::MietteDiagnostic::new(format!(
                "{MANIFEST_WARNINGS_VAR} is `{other}`, which is neither `annotate` nor `log`"
            ))
            .with_help(
                "`log` keeps the manifest's warnings in the log only (for jobs after the one \
                 that planned the run, which annotated them); `annotate`, the default, also \
                 annotates them under Actions",
            ),
        )),
    }
}

/// Reports a manifest warning through `runtime`, rendered like an error report, with a
/// `::warning file=…,line=…,col=…::` annotation under Actions unless
/// [`MANIFEST_WARNINGS_VAR`] is `log`.
pub fn report_warning(runtime: &Runtime, warning: &dyn Diagnostic) {
    let warning = Redacted::new(warning, runtime.redactor());
    runtime.info(render_report(&warning, false).trim_end());
    if annotates_warnings(runtime) {
        let mut annotation = error_annotation(&warning);
        annotation.level = AnnotationLevel::Warning;
        runtime.annotate(&annotation);
    }
}

/// Warnings of one kind shown in full; the rest of that kind are summed up in one line.
pub const WARNINGS_SHOWN: usize = 3;
/// Places listed in that line.
const PLACES_LISTED: usize = 20;

/// Reports `warnings` with [`report_warning`], grouped by kind (the label of the place they
/// point at, such as "no such file"): the first [`WARNINGS_SHOWN`] of a kind in full, the
/// others in one line (and one annotation) that says how many more and where. A manifest of
/// a thousand services without Dockerfiles yields four reports, not a thousand.
pub fn report_warnings<W: Diagnostic>(runtime: &Runtime, warnings: &[W]) {
    let mut kinds: Vec<(String, Vec<&W>)> = Vec::new();
    for warning in warnings {
        let kind = warning
            .labels()
            .and_then(|mut labels| labels.next())
            .and_then(|label| label.label().map(str::to_owned))
            .unwrap_or_else(|| warning.to_string());
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, list)) => list.push(warning),
            None => kinds.push((kind, vec![warning])),
        }
    }
    for (kind, list) in kinds {
        for warning in list.iter().take(WARNINGS_SHOWN) {
            report_warning(runtime, *warning);
        }
        let rest = list.get(WARNINGS_SHOWN..).unwrap_or_default();
        if rest.is_empty() {
            continue;
        }
        // Locating reads the source up to the place: only the places listed.
        let places: Vec<String> = rest
            .iter()
            .take(PLACES_LISTED)
            .filter_map(|warning| locate(*warning))
            .map(|at| format!("{}:{}:{}", at.file, at.line, at.col))
            .collect();
        let mut line = format!("{} more warnings like these ({kind})", rest.len());
        if !places.is_empty() {
            let _ = write!(line, " at {}", places.join(", "));
            if rest.len() > PLACES_LISTED {
                let _ = write!(line, " and {} more places", rest.len() - PLACES_LISTED);
            }
        }
        runtime.info(&format!("warning: {line}"));
        if annotates_warnings(runtime) {
            runtime.annotate(
                &Annotation::warning(line).title(format!("{} similar warnings", rest.len())),
            );
        }
    }
}

/// Reports `error` through `runtime`, with an annotation under Actions, and returns its exit
/// status. Secrets are redacted before miette lays the report out (see [`Redacted`]), and
/// again in what it wrote.
pub fn report_error(runtime: &Runtime, error: &Error, color: bool) -> ExitStatus {
    let diagnostic = Redacted::new(error.diagnostic(), runtime.redactor());
    runtime.info(&render_report(&diagnostic, color));
    if runtime.is_actions() {
        runtime.annotate(&error_annotation(&diagnostic));
    }
    error.status()
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::{LabeledSpan, NamedSource, Report};

    const MANIFEST: &str = "version: 1\nregistry: ghcr.io/acme\n  servces:\n    api: {}\n";

    fn unknown_key() -> Report {
        let offset = MANIFEST.find("servces").unwrap();
        miette::miette!(
            code = "gantry::manifest::unknown_key",
            help = "did you mean `services`?",
            labels = vec![LabeledSpan::at(offset..offset + 7, "not a known key")],
            "unknown key `servces`"
        )
        .with_source_code(NamedSource::new("gantry.yml", MANIFEST))
    }

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("cannot load the manifest")]
    struct Wrapper {
        #[diagnostic_source]
        inner: Report,
    }

    #[test]
    fn graphical_report_without_colour() {
        insta::assert_snapshot!(render_report(&*unknown_key(), false));
    }

    #[test]
    fn colour_adds_ansi_escapes_only() {
        let coloured = render_report(&*unknown_key(), true);
        assert!(coloured.contains('\u{1b}'));
        assert!(!render_report(&*unknown_key(), false).contains('\u{1b}'));
    }

    #[test]
    fn annotation_points_at_the_label() {
        let annotation = error_annotation(&*unknown_key());
        assert_eq!(
            annotation.to_command(),
            "::error file=gantry.yml,line=3,col=3,title=gantry%3A%3Amanifest%3A%3Aunknown_key\
             ::unknown key `servces`%0Ahelp: did you mean `services`?\n"
        );
    }

    #[test]
    fn annotation_finds_the_label_of_a_wrapped_diagnostic() {
        let annotation = error_annotation(&Wrapper {
            inner: unknown_key(),
        });
        assert_eq!(
            annotation.message,
            "cannot load the manifest\n  caused by: unknown key `servces`"
        );
        assert_eq!(annotation.file.as_deref(), Some("gantry.yml"));
        assert_eq!((annotation.line, annotation.col), (Some(3), Some(3)));
        assert_eq!(annotation.title, None);
    }

    #[test]
    fn a_diagnostic_without_source_has_no_location() {
        let annotation = error_annotation(&gantry_gha::InputError {
            name: "apply".into(),
            value: "yes".into(),
        });
        assert_eq!(annotation.file, None);
        assert_eq!(annotation.line, None);
        assert_eq!(annotation.title.as_deref(), Some("gantry::input::bool"));
    }

    #[test]
    fn warnings_are_rendered_and_annotated_as_warnings() {
        #[derive(Debug, thiserror::Error, Diagnostic)]
        #[error("build context `x` does not exist")]
        #[diagnostic(severity(Warning), help("fix the path"))]
        struct Missing {
            #[source_code]
            source_code: NamedSource<String>,
            #[label("no such directory")]
            span: miette::SourceSpan,
        }
        let warning = Missing {
            source_code: NamedSource::new("gantry.yml", "a: 1\ncontext: x\n".to_owned()),
            span: (14, 1).into(),
        };
        let (runtime, log) =
            Runtime::captured(gantry_gha::Env::from_pairs([("GITHUB_ACTIONS", "true")]));
        report_warning(&runtime, &warning);
        let text = log.text();
        assert!(
            text.contains("⚠ build context `x` does not exist"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "::warning file=gantry.yml,line=2,col=10::build context `x` does not exist%0Ahelp: fix the path\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn jobs_after_the_plan_log_manifest_warnings_without_annotating_them() {
        let warning = miette::MietteDiagnostic::new("stage `later` has no services")
            .with_severity(miette::Severity::Warning);
        let annotations = |setting: Option<&str>| {
            let mut vars = vec![("GITHUB_ACTIONS", "true")];
            vars.extend(setting.map(|value| (MANIFEST_WARNINGS_VAR, value)));
            let (runtime, log) = Runtime::captured(gantry_gha::Env::from_pairs(vars));
            // More of one kind than are shown in full: the rest in one line.
            report_warnings(&runtime, &vec![warning.clone(); WARNINGS_SHOWN + 2]);
            let text = log.text();
            assert!(
                text.contains("⚠ stage `later` has no services")
                    && text.contains("warning: 2 more warnings like these"),
                "logged: {text}"
            );
            text.lines()
                .filter(|line| line.starts_with("::warning"))
                .count()
        };
        assert_eq!(annotations(None), WARNINGS_SHOWN + 1);
        assert_eq!(annotations(Some("annotate")), WARNINGS_SHOWN + 1);
        assert_eq!(annotations(Some("log")), 0);

        let env = |value: &str| gantry_gha::Env::from_pairs([(MANIFEST_WARNINGS_VAR, value)]);
        assert!(check_warnings_setting(&gantry_gha::Env::default()).is_ok());
        assert!(check_warnings_setting(&env("log")).is_ok());
        let error = check_warnings_setting(&env("quiet")).unwrap_err();
        assert_eq!(error.status(), ExitStatus::BadInput);
        assert_eq!(
            error.diagnostic().to_string(),
            "GANTRY_MANIFEST_WARNINGS is `quiet`, which is neither `annotate` nor `log`"
        );
    }

    /// miette wraps at the report width: a secret inside a long word, or one with spaces,
    /// would be split across lines where no redaction of the rendered text finds it.
    #[test]
    fn secrets_are_redacted_before_the_report_is_wrapped() {
        let (runtime, log) = Runtime::captured(gantry_gha::Env::default());
        runtime.secret("correct horse battery staple");
        let token = format!("ghp_{}", "0123456789abcdef".repeat(8));
        runtime.secret(token.clone());
        for message in [
            // A line break falls between the words of the password...
            format!("{} correct horse battery staple", "w".repeat(88)),
            // ...or inside a word longer than a line.
            format!("the registry answered https://x.example/?token={token}"),
        ] {
            report_error(&runtime, &Error::failed(message), false);
        }
        let text = log.text();
        for piece in ["horse", "battery", "ghp_", "cdef0123"] {
            assert!(!text.contains(piece), "{piece} in:\n{text}");
        }
    }

    #[test]
    fn a_cause_the_message_already_ends_with_is_not_repeated() {
        #[derive(Debug, thiserror::Error, Diagnostic)]
        #[error("cannot read the manifest nope.yml: {source}")]
        struct Unreadable {
            source: std::io::Error,
        }
        let (runtime, log) =
            Runtime::captured(gantry_gha::Env::from_pairs([("GITHUB_ACTIONS", "true")]));
        let error = Error::bad_input(Unreadable {
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
        report_error(&runtime, &error, false);
        let text = log.text();
        assert_eq!(
            text.matches("entity not found").count(),
            2,
            "report and annotation once each:\n{text}"
        );
    }

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("{message}")]
    #[diagnostic(severity(Warning))]
    struct Located {
        message: String,
        #[source_code]
        source_code: NamedSource<String>,
        #[label("{label}")]
        span: miette::SourceSpan,
        label: String,
    }

    #[test]
    fn warnings_of_one_kind_are_grouped_after_the_first_few() {
        let text: String = (0..10).map(|i| format!("svc{i}: x\n")).collect();
        let warning = |line: usize, label: &str| Located {
            message: format!("warning {line}"),
            source_code: NamedSource::new("gantry.yml", text.clone()),
            span: (line * 8, 4).into(),
            label: label.to_owned(),
        };
        let mut warnings: Vec<Located> = (0..8).map(|line| warning(line, "no such file")).collect();
        warnings.insert(2, warning(9, "unused stage"));
        let (runtime, log) =
            Runtime::captured(gantry_gha::Env::from_pairs([("GITHUB_ACTIONS", "true")]));
        report_warnings(&runtime, &warnings);
        let text = log.text();
        let boxes = text.matches("⚠").count();
        assert_eq!(boxes, WARNINGS_SHOWN + 1, "{text}");
        assert!(
            text.contains("⚠ warning 9"),
            "the other kind is shown: {text}"
        );
        assert!(!text.contains("⚠ warning 4"), "{text}");
        assert!(
            text.contains(
                "warning: 5 more warnings like these (no such file) at gantry.yml:4:1, \
                 gantry.yml:5:1, gantry.yml:6:1, gantry.yml:7:1, gantry.yml:8:1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("::warning title=5 similar warnings::5 more warnings like these"),
            "{text}"
        );
        let annotations = text.lines().filter(|l| l.starts_with("::warning ")).count();
        assert_eq!(annotations, WARNINGS_SHOWN + 2, "{text}");
    }

    #[test]
    fn reported_errors_are_redacted_and_annotated_under_actions() {
        let (runtime, log) =
            Runtime::captured(gantry_gha::Env::from_pairs([("GITHUB_ACTIONS", "true")]));
        runtime.secret("tok-SECRET");
        let status = report_error(
            &runtime,
            &Error::failed("login with tok-SECRET refused"),
            false,
        );
        assert_eq!(status, ExitStatus::Failure);
        let text = log.text();
        let text = text.strip_prefix("::add-mask::tok-SECRET\n").unwrap();
        assert!(!text.contains("tok-SECRET"), "{text}");
        assert!(text.contains("login with *** refused"), "{text}");
        assert!(
            text.ends_with("::error::login with *** refused\n"),
            "{text}"
        );
    }
}
