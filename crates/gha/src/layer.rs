//! A `tracing` layer that writes events the way the runner understands them: ERROR and WARN
//! as annotations, INFO as plain lines, DEBUG as `::debug::` (see [`Runtime::debug`]).

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;

use crate::Runtime;
use crate::commands::{Annotation, AnnotationLevel};

/// The layer; make one with [`Runtime::tracing_layer`].
///
/// An event's optional fields `file`, `line`, `col` and `title` become the annotation's
/// location and title: `tracing::error!(file = "gantry.yml", line = 3, "unknown key")`.
/// Other fields are appended as `key=value`.
#[derive(Clone, Debug)]
pub struct ActionsLayer {
    runtime: Runtime,
}

impl Runtime {
    /// A tracing layer writing through this runtime (and so through its redactor).
    pub fn tracing_layer(&self) -> ActionsLayer {
        ActionsLayer {
            runtime: self.clone(),
        }
    }
}

impl<S: Subscriber> tracing_subscriber::Layer<S> for ActionsLayer {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let mut fields = EventFields::default();
        event.record(&mut fields);
        let text = fields.text();
        let level = *event.metadata().level();
        if level == Level::ERROR || level == Level::WARN {
            let annotation_level = if level == Level::ERROR {
                AnnotationLevel::Error
            } else {
                AnnotationLevel::Warning
            };
            let mut annotation = Annotation::new(annotation_level, text);
            annotation.file = fields.file;
            annotation.line = fields.line;
            annotation.col = fields.col;
            annotation.title = fields.title;
            self.runtime.annotate(&annotation);
        } else if level == Level::INFO {
            self.runtime.info(&text);
        } else {
            self.runtime.debug(&text);
        }
    }
}

#[derive(Default)]
struct EventFields {
    message: String,
    /// Fields that are not part of an annotation, as ` key=value`.
    extra: String,
    file: Option<String>,
    title: Option<String>,
    line: Option<usize>,
    col: Option<usize>,
}

impl EventFields {
    fn text(&self) -> String {
        format!("{}{}", self.message, self.extra)
    }

    fn record_text(&mut self, field: &Field, text: String) {
        match field.name() {
            "message" => self.message = text,
            "file" => self.file = Some(text),
            "title" => self.title = Some(text),
            "line" | "col" => self.record_number(field, text.parse().ok(), &text),
            name => {
                let _ = write!(self.extra, " {name}={text}");
            }
        }
    }

    fn record_number(&mut self, field: &Field, number: Option<usize>, text: &str) {
        match (field.name(), number) {
            ("line", Some(number)) => self.line = Some(number),
            ("col", Some(number)) => self.col = Some(number),
            (name, _) => {
                let _ = write!(self.extra, " {name}={text}");
            }
        }
    }
}

impl Visit for EventFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record_number(field, usize::try_from(value).ok(), &value.to_string());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_number(field, usize::try_from(value).ok(), &value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_text(field, format!("{value:?}"));
    }
}
