//! Scans of what a binary printed, the way the Actions runner reads it: workflow commands
//! that input could have forged, and secrets that must never appear.
//!
//! The model follows actions/runner, not gantry: output is cut into lines at `\r\n`, `\r` and
//! `\n` (`StreamReader.ReadLine` in `src/Runner.Sdk/ProcessInvoker.cs`); a line holding `::`
//! or `##[` is offered to the command manager (`src/Runner.Worker/Handlers/OutputManager.cs`,
//! `OnDataReceived`), which tries `ActionCommand.TryParseV2` (`::name props::data` after
//! leading whitespace) and then `ActionCommand.TryParse` (the legacy `##[name props]data`
//! anywhere in the line), both against the registered command names, case-insensitively
//! (`src/Runner.Worker/ActionCommandManager.cs`, `src/Runner.Common/ActionCommand.cs`).
//! `::stop-commands::TOKEN` stops processing until a command named TOKEN, in either form.
//! The runner compares with .NET's culture-sensitive `StartsWith`/`IndexOf`, which skip
//! characters the collation ignores; each line is also read with those characters left out,
//! so the scan is at least as strict as the runner.
//!
//! Hostile inputs carry the marker [`MARKER`] right after a command (`::error::PWNED`); a
//! command the runner would run is forged when it is one gantry never writes (`set-output`,
//! `add-path`, …), or when its name or properties hold the marker or its data starts with it.

/// The marker hostile inputs carry (`::error::PWNED`, `x\nforged=PWNED`, …).
pub const MARKER: &str = "PWNED";

/// The commands the runner registers: one `IActionCommandExtension` each in
/// `ActionCommandManager.cs` (`internal-set-repo-path` only for its own plugins), and
/// `stop-commands`.
const RUNNER_COMMANDS: [&str; 15] = [
    "stop-commands",
    "set-env",
    "set-output",
    "save-state",
    "add-mask",
    "add-path",
    "add-matcher",
    "remove-matcher",
    "debug",
    "warning",
    "error",
    "notice",
    "group",
    "endgroup",
    "echo",
];

/// The commands gantry writes itself (`gantry-gha`); the stop-commands pair is handled apart.
const GANTRY_COMMANDS: [&str; 7] = [
    "error", "warning", "notice", "debug", "group", "endgroup", "add-mask",
];

/// Recognisable secrets set for every scanned run, by variable.
pub const SECRETS: [(&str, &str); 3] = [
    ("GITHUB_TOKEN", "ghp_SECRETgithubTOKEN0123456789abcdefABCD"),
    ("DOKPLOY_API_KEY", "dokSECRETapiKEY0123456789"),
    ("REGISTRY_PASSWORD", "regSECRETpassword0123456789"),
];

/// The lines the runner reads: split at `\r\n`, `\r` or `\n`; a final line break ends the
/// last line.
fn runner_lines(stream: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        lines.push(&rest[..end]);
        let ending = match &rest.as_bytes()[end..] {
            [b'\r', b'\n', ..] => 2,
            [] => 0,
            _ => 1,
        };
        rest = &rest[end + ending..];
    }
    lines
}

/// A command as the runner parsed it.
struct Command {
    name: String,
    /// Name and properties: the text between the opening and the data.
    info: String,
    data: String,
}

/// `TryParseV2`, then `TryParse`, as `ActionCommandManager.TryProcessCommand` does; also on
/// the line without collation-ignorable characters. `registered` includes the stop token.
fn parse(line: &str, stop_token: Option<&str>) -> Option<Command> {
    let registered = |name: &str| {
        RUNNER_COMMANDS
            .iter()
            .chain(stop_token.as_slice())
            .any(|known| known.eq_ignore_ascii_case(name))
    };
    let visible: String = line.chars().filter(|&c| !collation_ignorable(c)).collect();
    [line, visible.as_str()]
        .into_iter()
        .find_map(|line| parse_v2(line, &registered).or_else(|| parse_legacy(line, &registered)))
}

/// `::name k=v,k=v::data`, after leading whitespace.
fn parse_v2(line: &str, registered: &dyn Fn(&str) -> bool) -> Option<Command> {
    let message = line.trim_start();
    let rest = message.strip_prefix("::")?;
    let (info, data) = rest.split_once("::")?;
    let name = info.split(' ').next().unwrap_or_default();
    registered(name).then(|| Command {
        name: name.to_owned(),
        info: info.to_owned(),
        data: unescape(data, &[("%0D", "\r"), ("%0A", "\n"), ("%25", "%")]),
    })
}

/// `##[name k=v;k=v]data` anywhere in the line.
fn parse_legacy(line: &str, registered: &dyn Fn(&str) -> bool) -> Option<Command> {
    let start = line.find("##[")? + 3;
    let (info, data) = line[start..].split_once(']')?;
    let name = info.split(' ').next().unwrap_or_default();
    let mappings = [
        ("%3B", ";"),
        ("%0D", "\r"),
        ("%0A", "\n"),
        ("%5D", "]"),
        ("%25", "%"),
    ];
    registered(name).then(|| Command {
        name: name.to_owned(),
        info: info.to_owned(),
        data: unescape(data, &mappings),
    })
}

/// The runner's unescaping: each mapping replaced in turn.
fn unescape(text: &str, mappings: &[(&str, &str)]) -> String {
    mappings
        .iter()
        .fold(text.to_owned(), |text, (escaped, plain)| {
            text.replace(escaped, plain)
        })
}

/// Controls and default-ignorable format characters, which ICU's collation skips.
fn collation_ignorable(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(c,
            '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}'..='\u{1160}' | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
            | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}' | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}')
}

/// Workflow commands in `stream` (stdout or stderr of a step) that input forged, read as
/// the runner reads them (see the module docs). Returns the offending lines.
pub fn forged_commands(stream: &str) -> Vec<String> {
    let mut forged = Vec::new();
    let mut stop_token: Option<String> = None;
    for line in runner_lines(stream) {
        if !line.contains("::") && !line.contains("##[") && !line.chars().any(collation_ignorable) {
            continue;
        }
        let Some(command) = parse(line, stop_token.as_deref()) else {
            continue;
        };
        if let Some(token) = &stop_token {
            if command.name.eq_ignore_ascii_case(token) {
                stop_token = None;
            }
            continue;
        }
        if command.name.eq_ignore_ascii_case("stop-commands") {
            if command.data.contains(MARKER) {
                forged.push(line.to_owned());
            }
            stop_token = Some(command.data);
            continue;
        }
        let gantry = GANTRY_COMMANDS
            .iter()
            .any(|known| known.eq_ignore_ascii_case(&command.name));
        // gantry's own messages never start with the marker; a forged `::error::PWNED` does.
        let marked = command.info.contains(MARKER) || command.data.starts_with(MARKER);
        if !gantry || marked {
            forged.push(line.to_owned());
        }
    }
    forged
}

/// What must never be in a step summary: HTML elements from input, and control characters
/// (ANSI escapes, bidi overrides). `None` when clean.
pub fn summary_problem(summary: &str) -> Option<String> {
    let lower = summary.to_ascii_lowercase();
    if let Some(tag) = ["<img", "<script", "<iframe"]
        .into_iter()
        .find(|tag| lower.contains(tag))
    {
        return Some(format!("HTML {tag} reached the summary"));
    }
    summary
        .chars()
        .find(|&c| {
            (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|c| format!("control character {c:?} in the summary"))
}

/// The [`SECRETS`] values found in `text`, by variable. The one place a secret may appear is
/// its own `::add-mask::` line, which the runner consumes to mask it.
pub fn leaked_secrets(text: &str) -> Vec<&'static str> {
    let text: String = runner_lines(text)
        .into_iter()
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
    if let Some(problem) = summary_problem(&places[3].1) {
        panic!("{problem}:\n{}", places[3].1);
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
            // A lone CR ends a line for the runner.
            "file a\r::error::PWNED",
            // The legacy form runs anywhere in a line, in any case.
            "tag v1 ##[set-output name=forged;]x",
            "x ##[ERROR]PWNED",
            "::Set-Output name=x::y",
            // Ignored by the collation: the runner's StartsWith sees `::` first.
            "\u{200b}::error::PWNED",
            "\u{0}::add-path::/tmp",
        ] {
            assert_eq!(forged_commands(line).len(), 1, "{line:?}");
        }
        // Names the runner does not register are output, not commands.
        assert!(forged_commands("::PWNED::x\n##[PWNED]x").is_empty());
    }

    #[test]
    fn stop_commands_blocks_are_not_commands() {
        let stream =
            "::stop-commands::tok1\n::error::PWNED\r##[set-output]x\n::tok1::\n::notice::ok\n";
        assert!(forged_commands(stream).is_empty());
        // The legacy form of the token resumes too.
        assert_eq!(
            forged_commands("::stop-commands::a1b2c3\nx ##[A1B2C3]\n::error::PWNED").len(),
            1
        );
    }

    #[test]
    fn lines_end_where_the_runners_do() {
        assert_eq!(runner_lines("a\rb\r\nc\n\nd"), ["a", "b", "c", "", "d"]);
        assert!(runner_lines("").is_empty());
    }

    #[test]
    fn summaries_hold_no_html_or_controls() {
        assert!(summary_problem("| a | `<img>` |\n").is_some());
        assert!(summary_problem("red \u{1b}[31m").is_some());
        assert!(summary_problem("txt\u{202e}exe").is_some());
        assert!(summary_problem("## ok\n\n| \\<b\\> |\ttab\n").is_none());
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
