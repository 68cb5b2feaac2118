fn main() -> std::process::ExitCode {
    gantry_cli::main(&gantry_tags::TOOL)
}
