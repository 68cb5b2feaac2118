//! `gantry-matrix`: the services this event must build, as a GitHub Actions matrix.

fn main() -> std::process::ExitCode {
    gantry_cli::main(&gantry_matrix::TOOL)
}
