//! `gantry-dokploy`: see the library for what it does.

fn main() -> std::process::ExitCode {
    gantry_cli::main(&gantry_dokploy::TOOL)
}
