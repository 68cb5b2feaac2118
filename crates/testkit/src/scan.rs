//! Scans of what a binary printed, the way the Actions runner reads it: workflow commands
//! that input could have forged, and secrets that must never appear.
//!
//! Hostile inputs carry the marker [`MARKER`] right after a command (`::error::PWNED`); a
//! workflow command whose name or properties hold it, whose message starts with it, or any
//! command gantry never writes, is forged.

/// The marker hostile inputs carry (`::error::PWNED`, `x\nforged=PWNED`, …).
pub const MARKER: &str = "PWNED";

/// The commands gantry writes itself (`gantry-gha`), plus the resume token of
/// `::stop-commands::`.
const GANTRY_COMMANDS: [&str; 7] = [
    "error", "warning", "notice", "debug", "group", "endgroup", "add-mask",
];

/// Recognisable secrets set for every scanned run, by variable.
pub const SECRETS: [(&str, &str); 3] = [
    ("GITHUB_TOKEN", "ghp_SECRETgithubTOKEN0123456789abcdefABCD"),
    ("DOKPLOY_API_KEY", "dokSECRETapiKEY0123456789"),
    ("REGISTRY_PASSWORD", "regSECRETpassword0123456789"),
];

/// Workflow commands in `stream` (stdout or stderr of a step) that input forged: the runner
/// reads every line whose trimmed text starts with `::` (or the legacy `##[`) as a command,
/// except between `::stop-commands::TOKEN` and `::TOKEN::`. Returns the offending lines.
pub fn forged_commands(stream: &str) -> Vec<String> {
    let mut forged = Vec::new();
    let mut stopped: Option<String> = None;
    // The runner splits on '\n'; a '\r' left at the end is trimmed with the other whitespace.
    for raw in stream.split('\n') {
        let line = raw.trim();
        if let Some(token) = &stopped {
            if line == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        if line.starts_with("##[") {
            forged.push(raw.to_owned());
            continue;
        }
        let Some(rest) = line.strip_prefix("::") else {
            continue;
        };
        let Some((head, data)) = rest.split_once("::") else {
            continue; // not a command: no closing `::`
        };
        let name = head.split_once(' ').map_or(head, |(name, _)| name);
        if name == "stop-commands" {
            if data.contains(MARKER) {
                forged.push(raw.to_owned());
            }
            stopped = Some(data.to_owned());
            continue;
        }
        let known = GANTRY_COMMANDS.contains(&name);
        // gantry's own messages never start with the marker; a forged `::error::PWNED` does.
        let marked_head = head.contains(MARKER) || data.starts_with(MARKER);
        if !known || marked_head {
            forged.push(raw.to_owned());
        }
    }
    forged
}

/// The [`SECRETS`] values found in `text`, by variable. The one place a secret may appear is
/// its own `::add-mask::` line, which the runner consumes to mask it.
pub fn leaked_secrets(text: &str) -> Vec<&'static str> {
    let text: String = text
        .split('\n')
        .filter(|line| {
            !SECRETS
                .iter()
                .any(|(_, value)| line.trim() == format!("::add-mask::{value}"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    SECRETS
        .iter()
        .filter(|(_, value)| text.contains(value) || contains_encoded(&text, value))
        .map(|(name, _)| *name)
        .collect()
}

/// A secret also leaks base64-encoded (Basic credentials) or percent-encoded.
fn contains_encoded(text: &str, secret: &str) -> bool {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
    // Inside `user:secret` the alignment varies; the secret's middle survives any prefix of
    // a multiple of three bytes, so look for each of the three alignments' stable parts.
    let aligned = (0..3).any(|shift| {
        let padded = format!("{}{secret}", "x".repeat(shift));
        let encoded = base64::engine::general_purpose::STANDARD.encode(padded);
        let stable = &encoded[4..encoded.len().saturating_sub(4).max(4)];
        text.contains(stable)
    });
    text.contains(&encoded) || aligned
}

/// Scans everything a step run left (stdout, stderr, outputs, summary) for [`SECRETS`] and
/// forged workflow commands; panics with what leaked. Returns the number of scans made.
pub fn assert_clean(step: &crate::Step, run: &crate::Run) -> usize {
    let places = [
        ("stdout", run.stdout.clone()),
        ("stderr", run.stderr.clone()),
        ("GITHUB_OUTPUT", step.read("output")),
        ("summary", step.summary()),
    ];
    for (place, text) in &places {
        let leaked = leaked_secrets(text);
        assert!(leaked.is_empty(), "{place} leaks {leaked:?}:\n{text}");
    }
    for (place, text) in &places[..2] {
        let forged = forged_commands(text);
        assert!(forged.is_empty(), "{place} forges {forged:?}:\n{text}");
    }
    places.len()
}

/// Runs `exe` as a runner step with every one of [`SECRETS`] set (plus `extra_env`, and
/// millisecond retries), then [`assert_clean`]s what it left.
pub fn run_scanned(exe: &str, args: &[&str], extra_env: &[(&str, &str)]) -> crate::Run {
    run_scanned_in(&crate::Step::new(), exe, args, extra_env)
}

/// [`run_scanned`] in a step prepared by the caller (files, a repository).
pub fn run_scanned_in(
    step: &crate::Step,
    exe: &str,
    args: &[&str],
    extra_env: &[(&str, &str)],
) -> crate::Run {
    let mut env: Vec<(&str, &str)> = SECRETS.to_vec();
    env.push(("GANTRY_HTTP_RETRY_DELAY", "10ms"));
    env.extend_from_slice(extra_env);
    let run = step.run(exe, args, &env);
    assert_clean(step, &run);
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gantry_commands_and_escaped_input_are_not_forged() {
        let stream = "::group::Context\nplain PWNED text\n::error file=gantry.yml,line=3::bad %0A::error::PWNED\n::endgroup::\n  × a :: PWNED\n";
        assert_eq!(forged_commands(stream), Vec::<String>::new());
    }

    #[test]
    fn forged_lines_are_found() {
        for line in [
            "::error::x\n  ::set-output name=forged::PWNED",
            "::error title=PWNED::x",
            "::add-mask::PWNED and more",
            "base: none\n::error::PWNED (--base)",
            "##[error]PWNED",
            "\r::warning file=PWNED::x",
        ] {
            assert_eq!(forged_commands(line).len(), 1, "{line:?}");
        }
    }

    #[test]
    fn stop_commands_blocks_are_not_commands() {
        let stream = "::stop-commands::tok1\n::error::PWNED\n::tok1::\n::notice::ok\n";
        assert!(forged_commands(stream).is_empty());
        assert_eq!(
            forged_commands("::stop-commands::a\n::a::\n::PWNED::").len(),
            1
        );
    }

    #[test]
    fn secrets_are_found_plain_and_encoded() {
        use base64::Engine;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("user:{}", SECRETS[2].1));
        assert_eq!(
            leaked_secrets(&format!("Basic {basic}")),
            ["REGISTRY_PASSWORD"]
        );
        assert_eq!(
            leaked_secrets(&format!("x {} y", SECRETS[0].1)),
            ["GITHUB_TOKEN"]
        );
        assert!(leaked_secrets("nothing here ***").is_empty());
        let masked = format!("::add-mask::{}\nok ***\n", SECRETS[1].1);
        assert!(leaked_secrets(&masked).is_empty());
    }
}
