//! Shared test helpers: parsing snippets and rendering errors as users see them.

use gantry_manifest::glob::PathGlob;
use gantry_manifest::{Loaded, ManifestError};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

/// Parse `text` as `gantry.yml` without a repository root.
pub fn parse(text: &str) -> Result<Loaded, ManifestError> {
    gantry_manifest::parse("gantry.yml", text, None)
}

/// The error `text` must produce.
#[track_caller]
pub fn parse_err(text: &str) -> ManifestError {
    match parse(text) {
        Ok(loaded) => panic!("expected an error, got {:#?}", loaded.manifest),
        Err(e) => e,
    }
}

/// A diagnostic rendered as in a terminal without colours, 100 columns wide.
pub fn render(diagnostic: &dyn Diagnostic) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, diagnostic)
        .expect("rendering to a String cannot fail");
    out
}

/// The (line, column, message) of every warning, in file order.
pub fn warnings(loaded: &Loaded) -> Vec<(usize, usize, &str)> {
    loaded
        .warnings
        .iter()
        .map(|w| (w.problem.line, w.problem.column, w.problem.message.as_str()))
        .collect()
}

/// Globs as written.
pub fn texts(globs: &[PathGlob]) -> Vec<&str> {
    globs.iter().map(PathGlob::as_str).collect()
}
