fn main() -> std::process::ExitCode {
    gantry_cli::run_async(gantry_promote::run)
}
