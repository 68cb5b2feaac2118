//! `cargo xtask generate [--check]`: see the library.

use std::process::ExitCode;

/// Development tasks of the gantry workspace.
#[derive(clap::Parser)]
#[command(name = "cargo xtask")]
enum Task {
    /// Write every file generated from code (actions, docs tables, JSON Schema)
    Generate {
        /// Write nothing: list the files that are out of date and fail if any is
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let Task::Generate { check } = clap::Parser::parse();
    let root = xtask::repo_root();
    let result = if check {
        xtask::stale(&root).map(|files| files.into_iter().map(|file| file.path).collect())
    } else {
        xtask::write(&root)
    };
    match result {
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
        Ok(paths) if check && !paths.is_empty() => {
            eprintln!(
                "out of date (run `cargo xtask generate` and commit the result):\n  {}",
                paths.join("\n  ")
            );
            ExitCode::FAILURE
        }
        Ok(paths) => {
            for path in paths {
                println!("wrote {path}");
            }
            ExitCode::SUCCESS
        }
    }
}
