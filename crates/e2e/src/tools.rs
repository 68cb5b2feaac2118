//! The tools packaged as actions: their descriptors (`gantry::TOOLS`), and what each
//! generated `actions/<tool>/action.yml` declares (`xtask::action`).

pub use gantry_cli::Tool;
pub use xtask::action::{
    INSTALL_INPUT, INSTALL_RUN, InputSpec, STARTUP_VARS, flag_inputs, one_line,
};

/// Every tool with an action, in the order of the docs.
pub fn tools() -> &'static [Tool] {
    &gantry::TOOLS
}

/// The tool named `name`.
pub fn tool(name: &str) -> &'static Tool {
    gantry::tool(name).unwrap_or_else(|| panic!("no tool {name}"))
}
