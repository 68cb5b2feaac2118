//! Exit statuses, and the error type every tool's `run` returns to `main`.

use std::fmt;
use std::process::ExitCode;

use miette::Diagnostic;

/// How a gantry binary ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Success,
    /// 1: the operation failed (a deploy failed, a deletion failed).
    Failure,
    /// 2: bad input (flags, manifest, event payload, a server's answer).
    BadInput,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::BadInput => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

/// Implemented by tool error types to say whether an error is bad input or a failed operation.
pub trait Classify {
    /// [`ExitStatus::Failure`] or [`ExitStatus::BadInput`].
    fn exit_status(&self) -> ExitStatus;
}

impl Classify for gantry_gha::ContextError {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::BadInput
    }
}

impl Classify for gantry_gha::InputError {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::BadInput
    }
}

impl Classify for gantry_gha::EnvFileError {
    fn exit_status(&self) -> ExitStatus {
        ExitStatus::Failure
    }
}

/// Any diagnostic with its exit status: what a tool's `run` returns. Every `Diagnostic` that
/// implements [`Classify`] converts into it with `?`.
pub struct Error {
    diagnostic: Box<dyn Diagnostic + Send + Sync>,
    status: ExitStatus,
}

impl Error {
    /// `diagnostic` (a `Diagnostic`, a `miette::Report` or a message) ending with `status`.
    pub fn new(
        status: ExitStatus,
        diagnostic: impl Into<Box<dyn Diagnostic + Send + Sync>>,
    ) -> Self {
        Self {
            diagnostic: diagnostic.into(),
            status,
        }
    }

    /// Bad input: exit status 2.
    pub fn bad_input(diagnostic: impl Into<Box<dyn Diagnostic + Send + Sync>>) -> Self {
        Self::new(ExitStatus::BadInput, diagnostic)
    }

    /// The operation failed: exit status 1.
    pub fn failed(diagnostic: impl Into<Box<dyn Diagnostic + Send + Sync>>) -> Self {
        Self::new(ExitStatus::Failure, diagnostic)
    }

    pub fn status(&self) -> ExitStatus {
        self.status
    }

    pub fn diagnostic(&self) -> &(dyn Diagnostic + Send + Sync + 'static) {
        self.diagnostic.as_ref()
    }
}

impl<E: Diagnostic + Classify + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Self {
        Self::new(error.exit_status(), error)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.status)
            .field("diagnostic", &self.diagnostic)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.diagnostic, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(ExitStatus::Success.code(), 0);
        assert_eq!(ExitStatus::Failure.code(), 1);
        assert_eq!(ExitStatus::BadInput.code(), 2);
    }

    #[test]
    fn classified_errors_convert_with_their_status() {
        fn parse() -> Result<(), Error> {
            gantry_gha::inputs::parse_bool("apply", "yes")?;
            Ok(())
        }
        let error = parse().unwrap_err();
        assert_eq!(error.status(), ExitStatus::BadInput);
        assert_eq!(
            error.to_string(),
            "input `apply` must be `true` or `false`, not `yes`"
        );
    }

    #[test]
    fn messages_and_reports_are_errors_too() {
        assert_eq!(Error::failed("deploy failed").status(), ExitStatus::Failure);
        let report = miette::miette!(code = "x", "bad {}", 1);
        let error = Error::bad_input(report);
        assert_eq!(error.to_string(), "bad 1");
        assert_eq!(error.diagnostic().code().unwrap().to_string(), "x");
    }
}
