//! The tracing layer: levels to annotations and lines, fields to properties, redaction.

use gantry_gha::{Env, Runtime};
use tracing_subscriber::layer::SubscriberExt;

fn logged(env: Env, events: impl FnOnce(&Runtime)) -> String {
    let (runtime, log) = Runtime::captured(env);
    let subscriber = tracing_subscriber::registry().with(runtime.tracing_layer());
    tracing::subscriber::with_default(subscriber, || events(&runtime));
    log.text()
}

fn actions(debug: bool) -> Env {
    let debug = if debug { "1" } else { "0" };
    Env::from_pairs([("GITHUB_ACTIONS", "true"), ("RUNNER_DEBUG", debug)])
}

#[test]
fn levels_under_actions() {
    let text = logged(actions(false), |_| {
        tracing::error!(
            file = "gantry.yml",
            line = 3,
            col = 7,
            title = "config",
            "unknown key"
        );
        tracing::warn!(count = 2, "slow: {}", "registry");
        tracing::info!("plain");
        tracing::debug!("hidden detail");
    });
    assert_eq!(
        text,
        "::error file=gantry.yml,line=3,col=7,title=config::unknown key\n\
         ::warning::slow: registry count=2\n\
         plain\n\
         debug: hidden detail\n"
    );
}

#[test]
fn debug_becomes_a_command_when_the_run_debugs() {
    let text = logged(actions(true), |_| tracing::debug!("detail"));
    assert_eq!(text, "::debug::detail\n");
}

#[test]
fn outside_actions_lines_are_plain() {
    let text = logged(Env::default(), |_| {
        tracing::error!(file = "gantry.yml", line = 3, "unknown key");
        tracing::warn!("careful");
        tracing::info!("done");
    });
    assert_eq!(
        text,
        "error: gantry.yml:3: unknown key\nwarning: careful\ndone\n"
    );
}

#[test]
fn events_are_redacted() {
    let text = logged(actions(false), |runtime| {
        let token = runtime.secret("hunter2hunter2");
        tracing::warn!(header = token.expose(), "auth {}", token.expose());
        tracing::info!("{token:?}");
    });
    assert_eq!(
        text,
        "::add-mask::hunter2hunter2\n::warning::auth *** header=***\n***\n"
    );
}

#[test]
fn a_non_numeric_line_field_is_kept_as_text() {
    let text = logged(Env::default(), |_| tracing::warn!(line = "three", "odd"));
    assert_eq!(text, "warning: odd line=three\n");
}
