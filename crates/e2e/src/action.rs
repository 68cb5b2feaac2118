//! `action.yml` as the workflow simulator models it (`gantry_testkit::workflow::model`), with
//! the panicking loader and the expression scanner the tests use.

use std::path::Path;

pub use gantry_testkit::workflow::model::{
    Action, ActionInput as Input, ActionOutput as Output, Runs, Step,
};

/// Reads `dir/action.yml`; panics with the file and the error.
pub fn load(dir: &Path) -> Action {
    Action::load(dir).unwrap_or_else(|error| panic!("{error}"))
}

/// The `${{ … }}` expressions in `text`, trimmed, in order, found as the runner finds them.
pub fn expressions(text: &str) -> Vec<&str> {
    gantry_testkit::workflow::expr::expressions(text).unwrap_or_else(|error| panic!("{error}"))
}
