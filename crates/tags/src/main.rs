use std::process::ExitCode;

fn main() -> ExitCode {
    gantry_cli::run(gantry_tags::run)
}
