//! [`Runtime`]: the one object through which a gantry binary talks to the runner.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use crate::Env;
use crate::commands::{self, Annotation};
use crate::files::{self, EnvFileError};
use crate::inputs::Inputs;
use crate::secret::{Redactor, Secret};
use crate::summary::{self, Summary};

/// Secrets shorter than this are not masked (see [`Runtime::secret_from_env`]).
pub const MIN_SECRET_CHARS: usize = 6;

/// How a process behaves as an Actions step, or, outside Actions (`GITHUB_ACTIONS` is not
/// `true`), as a plain command: then no environment file is written and workflow commands
/// become plain `error: ...` lines.
///
/// Everything it writes passes through its [`Redactor`] first. Cheap to clone; clones share
/// the log stream and the redactor.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    env: Env,
    redactor: Redactor,
    /// Workflow commands and log lines: stderr, so stdout stays clean for reports.
    log: Mutex<Box<dyn Write + Send>>,
    /// The runner files already warned about as missing, and the secret variables too short
    /// to mask: one warning each, not one per use.
    missing_files_warned: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("actions", &self.is_actions())
            .field("runner_debug", &self.is_runner_debug())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// The runtime of this process: its environment, logging to stderr.
    pub fn from_process() -> Self {
        Self::new(Env::from_process(), Box::new(io::stderr()))
    }

    /// A runtime reading `env` and writing workflow commands and log lines to `log`.
    pub fn new(env: Env, log: Box<dyn Write + Send>) -> Self {
        Self {
            inner: Arc::new(Inner {
                env,
                redactor: Redactor::default(),
                log: Mutex::new(log),
                missing_files_warned: Mutex::default(),
            }),
        }
    }

    /// A runtime whose log is kept in memory, for tests.
    pub fn captured(env: Env) -> (Self, CapturedLog) {
        let log = CapturedLog::default();
        (Self::new(env, Box::new(log.clone())), log)
    }

    /// The environment this runtime was built from.
    pub fn env(&self) -> &Env {
        &self.inner.env
    }

    /// Action inputs from [`Runtime::env`].
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs::new(&self.inner.env)
    }

    /// Running as an Actions step (`GITHUB_ACTIONS=true`).
    pub fn is_actions(&self) -> bool {
        self.inner.env.is_actions()
    }

    /// Debug logging is on for the run (`RUNNER_DEBUG=1`).
    pub fn is_runner_debug(&self) -> bool {
        self.inner.env.is_runner_debug()
    }

    /// The redactor every write goes through.
    pub fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }

    /// Registers `value` as a secret: masked in the run log (`::add-mask::`, under Actions)
    /// and redacted from everything this runtime writes, from now on.
    pub fn secret(&self, value: impl Into<String>) -> Secret {
        let secret = Secret::new(value);
        self.add_mask(secret.expose());
        secret
    }

    /// The secret in variable `name` (never a flag or a file), registered as by
    /// [`Runtime::secret`]. `None` when unset or empty.
    ///
    /// A value shorter than [`MIN_SECRET_CHARS`] cannot be a real token, key or password:
    /// masking it would hide every occurrence of those few characters in all output, so it
    /// is not masked, and a warning (once per variable, without the value) says so.
    pub fn secret_from_env(&self, name: &str) -> Option<Secret> {
        let value = self.inner.env.get(name)?;
        let length = value.chars().count();
        if length >= MIN_SECRET_CHARS {
            return Some(self.secret(value));
        }
        if self.first_warning_about(name) {
            self.annotate(&Annotation::warning(format!(
                "{name} is only {length} character{} long, too short to be a real secret: it \
                 is not masked (masking it would hide those characters everywhere in the \
                 log); set {name} to the real value",
                if length == 1 { "" } else { "s" }
            )));
        }
        Some(Secret::new(value))
    }

    /// Masks `value` (a derived secret, like an exchanged token) without wrapping it.
    pub fn add_mask(&self, value: &str) {
        for piece in self.inner.redactor.add(value) {
            if self.is_actions() {
                // The one write that must not be redacted: it is how the runner learns the value.
                self.write_raw(&commands::add_mask(&piece));
            }
        }
    }

    /// A log line on stderr. Under Actions, a line that would read as a workflow command is
    /// echoed with commands stopped, so logged data can never issue one.
    pub fn info(&self, text: &str) {
        self.write_raw(&self.stdout_report(text));
    }

    /// A report for stdout (which the runner also reads for workflow commands): redacted,
    /// and under Actions, when a line of it could read as a workflow command (untrusted
    /// data such as a label value; see [`commands::may_hold_command`]), wrapped in
    /// `::stop-commands::`.
    pub fn stdout_report(&self, text: &str) -> String {
        let text = self.redact(text);
        if self.is_actions() && commands::may_hold_command(&text) {
            untrusted_block(&text)
        } else {
            with_newline(&text)
        }
    }

    /// Echoes `text` so that the runner interprets no workflow command in it
    /// (`::stop-commands::<random>` ... `::<random>::`).
    pub fn echo_untrusted(&self, text: &str) {
        let text = self.redact(text);
        if self.is_actions() {
            self.write_raw(&untrusted_block(&text));
        } else {
            self.write_raw(&with_newline(&text));
        }
    }

    /// An annotation under Actions; a plain `error: file:line:col: message` line otherwise.
    pub fn annotate(&self, annotation: &Annotation) {
        let redact = |text: &Option<String>| text.as_deref().map(|text| self.redact(text));
        let annotation = Annotation {
            message: self.redact(&annotation.message),
            title: redact(&annotation.title),
            file: redact(&annotation.file),
            ..annotation.clone()
        };
        if self.is_actions() {
            self.write_raw(&annotation.to_command());
        } else {
            self.write_raw(&annotation.to_plain());
        }
    }

    /// A debug message that the log filter let through: `::debug::` when the run has debug
    /// logging on, else a plain `debug: ...` line (a local `-v`).
    pub fn debug(&self, message: &str) {
        let message = self.redact(message);
        if self.is_actions() && self.is_runner_debug() {
            self.write_raw(&commands::debug(&message));
        } else {
            self.info(&format!("debug: {message}"));
        }
    }

    /// Starts a collapsible log group, ended when the guard is dropped. Outside Actions the
    /// title is a plain line.
    pub fn group(&self, title: &str) -> Group<'_> {
        let title = self.redact(title);
        if self.is_actions() {
            self.write_raw(&commands::group(&title));
        } else {
            self.write_raw(&with_newline(&title));
        }
        Group { runtime: self }
    }

    /// Sets step output `name` (`$GITHUB_OUTPUT`). Outside Actions nothing is written; the
    /// output is logged at debug level.
    pub fn set_output(&self, name: &str, value: &str) -> Result<(), EnvFileError> {
        self.append_entry("GITHUB_OUTPUT", name, value, files::format_output)
    }

    /// Sets variable `name` for the later steps of the job (`$GITHUB_ENV`). Refuses variables
    /// that could make those steps run code (`BASH_ENV`, `LD_PRELOAD`, `NODE_OPTIONS`, ...).
    pub fn export_var(&self, name: &str, value: &str) -> Result<(), EnvFileError> {
        self.append_entry("GITHUB_ENV", name, value, files::format_env)
    }

    /// Prepends `directory` to `PATH` for the later steps of the job (`$GITHUB_PATH`).
    pub fn add_path(&self, directory: &str) -> Result<(), EnvFileError> {
        let entry = files::format_path(directory)?;
        match self.env_file("GITHUB_PATH") {
            Some(path) => files::append("GITHUB_PATH", &path, &entry),
            None => Ok(()),
        }
    }

    fn append_entry(
        &self,
        variable: &'static str,
        name: &str,
        value: &str,
        format: fn(&str, &str) -> Result<String, EnvFileError>,
    ) -> Result<(), EnvFileError> {
        let value = self.redact(value);
        let entry = format(name, &value)?;
        match self.env_file(variable) {
            Some(path) => files::append(variable, &path, &entry),
            None => {
                tracing::debug!(
                    "{variable} not written (not running under Actions): {name}={value}"
                );
                Ok(())
            }
        }
    }

    /// Appends `summary` to `$GITHUB_STEP_SUMMARY`, cut to GitHub's 1 MiB per step (with a
    /// note) rather than failing. Outside Actions nothing is written.
    pub fn append_summary(&self, summary: &Summary) -> Result<(), EnvFileError> {
        let Some(path) = self.env_file("GITHUB_STEP_SUMMARY") else {
            return Ok(());
        };
        let existing = std::fs::metadata(&path).map_or(0, |metadata| metadata.len());
        let markdown = self.redact(summary.as_str());
        let fitted =
            summary::fit_to_limit(usize::try_from(existing).unwrap_or(usize::MAX), &markdown);
        if fitted.is_empty() {
            return Ok(());
        }
        files::append("GITHUB_STEP_SUMMARY", &path, &fitted)
    }

    /// The runner's file in `variable`, under Actions only. A missing one is warned about
    /// once per variable.
    fn env_file(&self, variable: &str) -> Option<PathBuf> {
        if !self.is_actions() {
            return None;
        }
        let path = self.inner.env.get(variable).map(PathBuf::from);
        if path.is_none() && self.first_warning_about(variable) {
            self.annotate(&Annotation::warning(format!(
                "{variable} is not set although GITHUB_ACTIONS=true; nothing was written to it"
            )));
        }
        path
    }

    /// Records that `variable` was warned about; false if it already was.
    fn first_warning_about(&self, variable: &str) -> bool {
        let mut warned = self
            .inner
            .missing_files_warned
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if warned.iter().any(|name| name == variable) {
            return false;
        }
        warned.push(variable.to_owned());
        true
    }

    fn redact(&self, text: &str) -> String {
        self.inner.redactor.redact(text).into_owned()
    }

    /// Writes `text` as is, in one piece so lines from several threads do not interleave.
    fn write_raw(&self, text: &str) {
        let mut log = self
            .inner
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // A log that cannot be written (closed stderr) is no reason to fail the operation.
        let _ = log.write_all(text.as_bytes()).and_then(|()| log.flush());
    }
}

/// Ends its log group (`::endgroup::`) when dropped.
#[must_use = "the group ends when this guard is dropped"]
pub struct Group<'runtime> {
    runtime: &'runtime Runtime,
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        if self.runtime.is_actions() {
            self.runtime.write_raw(&commands::end_group());
        }
    }
}

/// An in-memory log, shared between clones. See [`Runtime::captured`].
#[derive(Clone, Debug, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `text` between `::stop-commands::<token>` and `::<token>::`, with a token it does not hold
/// in any case.
fn untrusted_block(text: &str) -> String {
    // The runner matches the resume command's name case-insensitively, in either form.
    let lowercase = text.to_lowercase();
    let token = loop {
        let token = uuid::Uuid::new_v4().simple().to_string();
        if !lowercase.contains(&token) {
            break token;
        }
    };
    format!(
        "{}{}{}",
        commands::stop_commands(&token),
        with_newline(text),
        commands::resume_commands(&token)
    )
}

fn with_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}
