//! The list inputs as the parsers receive them (one [`Line`] per item), and the problems they
//! report: errors ([`InputError`], bad input) and warnings ([`Notice`]), both located by
//! input and line.

use std::fmt;

/// A list input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Images,
    Tags,
    Flavor,
    Labels,
    Annotations,
}

impl Input {
    /// The input's name, as in metadata-action (`tags`).
    pub fn name(self) -> &'static str {
        match self {
            Input::Images => "images",
            Input::Tags => "tags",
            Input::Flavor => "flavor",
            Input::Labels => "labels",
            Input::Annotations => "annotations",
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One item of a list input, after the first CSV pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    /// 1-based line within the input.
    pub number: usize,
}

impl Line {
    /// Items numbered 1, 2, ... (conformance vectors, tests).
    pub fn numbered<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Vec<Line> {
        items
            .into_iter()
            .enumerate()
            .map(|(index, text)| Line {
                text: text.into(),
                number: index + 1,
            })
            .collect()
    }
}

/// Where a problem is: which input, which line, which attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub input: Input,
    /// 1-based line within the input.
    pub line: usize,
    /// The item as the parser saw it.
    pub text: String,
    /// The attribute (key) concerned, if any.
    pub attribute: Option<String>,
}

impl Located {
    pub fn new(input: Input, line: &Line) -> Self {
        Self {
            input,
            line: line.number,
            text: line.text.clone(),
            attribute: None,
        }
    }

    pub fn attribute(mut self, attribute: impl Into<String>) -> Self {
        self.attribute = Some(attribute.into());
        self
    }
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {} (`{}`)", self.input, self.line, self.text)
    }
}

/// An input that cannot be used: bad input, exit status 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// The line at fault; `None` for a problem that is not on a line (an environment
    /// variable, the flavor's prefix).
    pub at: Option<Located>,
    pub message: String,
    pub help: Option<String>,
}

impl std::error::Error for InputError {}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl InputError {
    pub fn new(at: Located, message: impl Into<String>) -> Self {
        Self {
            at: Some(at),
            message: message.into(),
            help: None,
        }
    }

    /// A problem that is not on an input line.
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            at: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A warning: the run goes on (metadata-action's `core.warning`, or a gantry improvement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub message: String,
    /// Where, when an input line is at fault.
    pub at: Option<Located>,
    /// Turned into an error by `--strict`: input metadata-action accepts but ignores.
    pub strict: bool,
}

impl Notice {
    /// A warning about the run, not a line.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            at: None,
            strict: false,
        }
    }

    /// A warning about a line.
    pub fn at(at: Located, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            at: Some(at),
            strict: false,
        }
    }

    /// A warning about a line, if known.
    pub fn at_opt(at: Option<Located>, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            at,
            strict: false,
        }
    }

    /// Marks the warning as one `--strict` refuses.
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The closest of `known` to `found`, for "did you mean" hints.
pub fn suggest<'k>(found: &str, known: &[&'k str]) -> Option<&'k str> {
    gantry_manifest::closest(found, known.iter().copied())
}

/// The second CSV pass over `line`: its fields, or the error located at the line.
pub fn fields(input: Input, line: &Line) -> Result<Vec<crate::ports::csv::Field>, InputError> {
    match crate::ports::csv::parse_fields(&line.text) {
        Ok(Some(fields)) => Ok(fields),
        Ok(None) => Err(InputError::new(
            Located::new(input, line),
            "the line is empty",
        )),
        Err(error) => Err(InputError::new(
            Located::new(input, line),
            error.to_string(),
        )),
    }
}
