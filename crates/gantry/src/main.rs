//! `gantry`: every tool in one binary, `gantry <tool> …`, or `gantry-<tool> …` through a link
//! (or a copy) of that name.

fn main() -> std::process::ExitCode {
    gantry_cli::multicall(gantry::ABOUT, &gantry::TOOLS)
}
