use std::process::ExitCode;

fn main() -> ExitCode {
    gantry_cli::run_async(gantry_prune::cli::run)
}
