//! gantry: every tool of the workspace, as the list of their descriptors. The multicall
//! binary runs them, `cargo xtask generate` writes their actions and docs from them, and the
//! tests walk them. A new tool is a new crate with its `TOOL`, and one line here.

use gantry_cli::Tool;

/// What `gantry --help` says first.
pub const ABOUT: &str = "Build, tag, promote, prune and deploy the services of a monorepo on GitHub \
                          Actions, GHCR and Dokploy";

/// Every tool, in the order of the docs.
pub static TOOLS: [Tool; 5] = [
    gantry_matrix::TOOL,
    gantry_tags::TOOL,
    gantry_promote::TOOL,
    gantry_prune::TOOL,
    gantry_dokploy::TOOL,
];

/// The tool named `name` (`matrix` for gantry-matrix).
pub fn tool(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|tool| tool.name == name)
}
