//! The part of Handlebars that metadata-action's expressions use: `{{name}}`,
//! `{{helper 'param' key='value'}}`, `{{{unescaped}}}`, `{{! comments }}`, `\{{` escapes
//! and `~` whitespace control. Output of `{{ }}` is HTML-escaped as Handlebars does
//! (`&<>"'`=`), which is why `=` in a label value written through an expression reads
//! `&#x3D;`.
//!
//! Block helpers (`{{#if}}`), partials and subexpressions are not supported: they are
//! reported as errors rather than rendered wrongly.

use std::ops::Range;

use super::jsstring;

/// A value inside an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    /// A function of the scope, named but not called (`{{date sha}}` passes `sha` itself).
    Function(String),
    /// An array (node-semver's `prerelease` and `build`).
    Array(Vec<Value>),
    /// Any other object (`{{this}}`).
    Object,
}

impl Value {
    /// JavaScript's truthiness.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(value) => *value,
            Value::Number(value) => *value != 0.0 && !value.is_nan(),
            Value::Str(text) => !text.is_empty(),
            Value::Function(_) | Value::Array(_) | Value::Object => true,
        }
    }

    /// How Handlebars turns the value into text.
    pub fn to_text(&self) -> String {
        match self {
            Value::Undefined | Value::Null => String::new(),
            Value::Bool(value) => value.to_string(),
            Value::Number(value) => js_number_text(*value),
            Value::Str(text) => text.clone(),
            Value::Function(name) => format!("function {name}() {{ [native code] }}"),
            Value::Array(items) => items
                .iter()
                .map(Value::to_text)
                .collect::<Vec<_>>()
                .join(","),
            Value::Object => "[object Object]".to_owned(),
        }
    }

    /// `value.property` as Handlebars' `lookupProperty` reads it: own properties only (a
    /// string's `length` and indexes, an array's, a function's `length`, `name` and
    /// `prototype`); `null` and `undefined` stay as they are.
    fn property(self, property: &str, scope: &dyn Scope) -> Value {
        let index = crate::ports::jsnum::array_index(property);
        match self {
            Value::Undefined | Value::Null => self,
            Value::Str(text) => {
                let units: Vec<u16> = text.encode_utf16().collect();
                match (property, index) {
                    ("length", _) => Value::Number(units.len() as f64),
                    (_, Some(index)) if index < units.len() => {
                        Value::Str(String::from_utf16_lossy(&units[index..=index]))
                    }
                    _ => Value::Undefined,
                }
            }
            Value::Array(mut items) => match (property, index) {
                ("length", _) => Value::Number(items.len() as f64),
                (_, Some(index)) if index < items.len() => items.swap_remove(index),
                _ => Value::Undefined,
            },
            Value::Function(name) => match property {
                "length" => Value::Number(scope.arity(&name) as f64),
                "name" => Value::Str(name),
                "prototype" => Value::Object,
                _ => Value::Undefined,
            },
            Value::Bool(_) | Value::Number(_) | Value::Object => Value::Undefined,
        }
    }
}

/// What a name means in a scope.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// Not defined.
    Missing,
    /// A plain value.
    Value(Value),
    /// A function: called when the expression names it.
    Function,
}

/// The names an expression can use.
pub trait Scope {
    fn lookup(&self, name: &str) -> Lookup;
    /// How many parameters function `name` declares (its `length`).
    fn arity(&self, _name: &str) -> usize {
        0
    }
    /// Calls function `name` with evaluated parameters and hash arguments.
    fn call(&self, name: &str, params: &[Value], hash: &[(String, Value)])
    -> Result<Value, String>;
}

/// A template that cannot be parsed or rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
    /// Where in the template.
    pub span: Range<usize>,
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Text(String),
    Expression(Expression),
    Comment,
}

#[derive(Clone, Debug, PartialEq)]
struct Expression {
    path: Path,
    params: Vec<Param>,
    hash: Vec<(String, Param)>,
    escape: bool,
    span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
enum Path {
    /// A name of the scope, possibly written `this.name`, `./name` or `../name` (at the root,
    /// a parent path is the root).
    Name(String),
    /// A name and properties of its value: `branch.length`.
    Member(String, Vec<String>),
    /// `this`.
    This,
    /// A nested, parent or `@data` path: always undefined here.
    Other(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Param {
    Path(Path),
    Literal(Value),
}

impl Template {
    /// Parses `source`.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        // Whitespace control and standalone comments: (index of part, strip left, strip right).
        let mut strips = Vec::new();
        let mut text = String::new();
        let mut pos = 0;
        while pos < source.len() {
            let Some(found) = source[pos..].find("{{") else {
                text.push_str(&source[pos..]);
                break;
            };
            let open = pos + found;
            let before = &source[pos..open];
            if before.ends_with("\\\\") {
                // `\\{{`: a backslash, then a real expression.
                text.push_str(&before[..before.len() - 1]);
            } else if let Some(before) = before.strip_suffix('\\') {
                // `\{{`: the braces are text.
                text.push_str(before);
                text.push_str("{{");
                pos = open + 2;
                continue;
            } else {
                text.push_str(before);
            }
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            let (part, end, strip_left, strip_right) = parse_mustache(source, open)?;
            strips.push((parts.len(), strip_left, strip_right));
            parts.push(part);
            pos = end;
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        apply_whitespace_control(&mut parts, &strips);
        Ok(Self { parts })
    }

    /// The template is exactly one expression naming `name` (`{{raw}}`, `{{ raw }}`), as
    /// metadata-action's `isRawStatement` checks.
    pub fn is_single_name(&self, name: &str) -> bool {
        matches!(
            self.parts.as_slice(),
            [Part::Expression(Expression { path: Path::Name(found), .. })] if found == name
        )
    }

    /// Renders with the names of `scope`.
    pub fn render(&self, scope: &dyn Scope) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Comment => {}
                Part::Expression(expression) => {
                    let value = evaluate(expression, scope).map_err(|message| TemplateError {
                        message,
                        span: expression.span.clone(),
                    })?;
                    let text = value.to_text();
                    if expression.escape {
                        out.push_str(&escape_html(&text));
                    } else {
                        out.push_str(&text);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Parses and renders `source` in one go.
pub fn render(source: &str, scope: &dyn Scope) -> Result<String, TemplateError> {
    Template::parse(source)?.render(scope)
}

/// Handlebars' `escapeExpression`.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '`' => out.push_str("&#x60;"),
            '=' => out.push_str("&#x3D;"),
            other => out.push(other),
        }
    }
    out
}

fn evaluate(expression: &Expression, scope: &dyn Scope) -> Result<Value, String> {
    let params = expression
        .params
        .iter()
        .map(|param| param_value(param, scope))
        .collect::<Vec<_>>();
    let hash = expression
        .hash
        .iter()
        .map(|(key, param)| (key.clone(), param_value(param, scope)))
        .collect::<Vec<_>>();
    let name = match &expression.path {
        // Handlebars' built-in `log` helper logs and returns nothing.
        Path::Name(name) if name == "log" => return Ok(Value::Undefined),
        Path::Name(name) => name,
        path if params.is_empty() => return Ok(path_value(path, scope)),
        _ => return Err("only a plain name can be called with parameters".to_owned()),
    };
    match scope.lookup(name) {
        Lookup::Function => scope.call(name, &params, &hash),
        Lookup::Value(value) => Ok(value),
        // Handlebars' helperMissing: silent without parameters, an error with them.
        Lookup::Missing if params.is_empty() => Ok(Value::Undefined),
        Lookup::Missing => Err(format!("unknown helper `{name}`")),
    }
}

fn param_value(param: &Param, scope: &dyn Scope) -> Value {
    match param {
        Param::Literal(value) => value.clone(),
        Param::Path(path) => path_value(path, scope),
    }
}

/// The value a path names, functions not called.
fn path_value(path: &Path, scope: &dyn Scope) -> Value {
    let named = |name: &String| match scope.lookup(name) {
        Lookup::Missing => Value::Undefined,
        Lookup::Value(value) => value,
        Lookup::Function => Value::Function(name.clone()),
    };
    match path {
        Path::Name(name) => named(name),
        Path::Member(name, properties) => properties.iter().fold(named(name), |value, property| {
            value.property(property, scope)
        }),
        Path::This => Value::Object,
        Path::Other(_) => Value::Undefined,
    }
}

/// Parses the mustache opening at `open`: the part, where it ends, and its `~` markers.
fn parse_mustache(source: &str, open: usize) -> Result<(Part, usize, bool, bool), TemplateError> {
    let error = |message: String, end: usize| TemplateError {
        message,
        span: open..end.min(source.len()),
    };
    let mut pos = open + 2;
    let strip_left = source[pos..].starts_with('~');
    if strip_left {
        pos += 1;
    }
    let rest = &source[pos..];
    if let Some(comment) = rest.strip_prefix('!') {
        let close = comment_close(source, pos + 1, comment.starts_with("--"))
            .ok_or_else(|| error("a comment is never closed with `}}`".into(), source.len()))?;
        return Ok((Part::Comment, close.end, strip_left, close.strip));
    }
    if let Some(kind) = ['#', '/', '^', '>', '*']
        .into_iter()
        .find(|c| rest.starts_with(*c))
        .map(|c| c.to_string())
        .or_else(|| is_else(rest).then(|| "else".to_owned()))
    {
        let end = source[pos..]
            .find("}}")
            .map_or(source.len(), |at| pos + at + 2);
        return Err(error(
            format!(
                "`{{{{{kind}` (block helpers, partials and decorators) is not supported; only \
                 expressions such as `{{{{branch}}}}` or `{{{{date 'YYYYMMDD'}}}}` are"
            ),
            end,
        ));
    }
    let (escape, triple) = match rest.chars().next() {
        Some('{') => {
            pos += 1;
            (false, true)
        }
        Some('&') => {
            pos += 1;
            (false, false)
        }
        _ => (true, false),
    };
    let mut lexer = Lexer {
        source,
        pos,
        open,
        triple,
    };
    let mut tokens = Vec::new();
    let close = loop {
        lexer.skip_whitespace();
        if let Some(close) = lexer.close()? {
            break close;
        }
        tokens.push(lexer.token()?);
    };
    let span = open..close.end;
    let mut tokens = tokens.into_iter().peekable();
    let path = match tokens.next() {
        Some(Token::Path(path)) => path,
        Some(Token::Literal(Value::Str(_) | Value::Number(_))) | None => {
            return Err(error(
                "an expression must start with a name".into(),
                close.end,
            ));
        }
        Some(Token::Literal(literal)) => Path::Other(literal.to_text()),
        Some(Token::HashKey(key)) => {
            return Err(error(
                format!("an expression must start with a name, not `{key}=`"),
                close.end,
            ));
        }
    };
    let mut params = Vec::new();
    let mut hash = Vec::new();
    while let Some(token) = tokens.next() {
        match token {
            Token::HashKey(key) => match tokens.next() {
                Some(Token::Path(path)) => hash.push((key, Param::Path(path))),
                Some(Token::Literal(value)) => hash.push((key, Param::Literal(value))),
                _ => {
                    return Err(error(format!("`{key}=` needs a value"), close.end));
                }
            },
            _ if !hash.is_empty() => {
                return Err(error(
                    "parameters must come before `key=value` arguments".into(),
                    close.end,
                ));
            }
            Token::Path(path) => params.push(Param::Path(path)),
            Token::Literal(value) => params.push(Param::Literal(value)),
        }
    }
    let expression = Expression {
        path,
        params,
        hash,
        escape,
        span,
    };
    Ok((
        Part::Expression(expression),
        close.end,
        strip_left,
        close.strip,
    ))
}

fn is_else(rest: &str) -> bool {
    jsstring::trim_start(rest)
        .strip_prefix("else")
        .is_some_and(|after| {
            after.is_empty()
                || after.starts_with(|c: char| jsstring::is_whitespace(c) || c == '}' || c == '~')
        })
}

struct Close {
    /// Just after the closing braces.
    end: usize,
    /// `~}}`.
    strip: bool,
}

/// The end of a comment whose body starts at `body` (after `!`): at `--}}` for a `{{!--`
/// comment, else at the first `}}`.
fn comment_close(source: &str, body: usize, long: bool) -> Option<Close> {
    if !long {
        let at = body + source[body..].find("}}")?;
        let strip = at > body && source[..at].ends_with('~');
        return Some(Close { end: at + 2, strip });
    }
    let mut search = body + 2;
    loop {
        let at = search + source[search..].find("--")?;
        let after = &source[at + 2..];
        if after.starts_with("}}") {
            return Some(Close {
                end: at + 4,
                strip: false,
            });
        }
        if after.starts_with("~}}") {
            return Some(Close {
                end: at + 5,
                strip: true,
            });
        }
        search = at + 1;
    }
}

enum Token {
    Path(Path),
    Literal(Value),
    HashKey(String),
}

struct Lexer<'s> {
    source: &'s str,
    pos: usize,
    open: usize,
    triple: bool,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.source[self.pos..]
    }

    fn error(&self, message: impl Into<String>) -> TemplateError {
        TemplateError {
            message: message.into(),
            span: self.open..self.pos.max(self.open + 2).min(self.source.len()),
        }
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - jsstring::trim_start(rest).len();
    }

    /// The closing braces, if they come next.
    fn close(&mut self) -> Result<Option<Close>, TemplateError> {
        let closing = if self.triple { "}}}" } else { "}}" };
        let rest = self.rest();
        let (strip, rest) = match rest.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        if !self.triple && rest.starts_with("}}}") {
            // Handlebars' lexer reads `}}}` as the close of `{{{`.
            self.pos += usize::from(strip) + 3;
            return Err(self.error("`{{` is closed by `}}}`; write `}}` (or open with `{{{`)"));
        }
        if rest.starts_with(closing) {
            let end = self.pos + usize::from(strip) + closing.len();
            self.pos = end;
            return Ok(Some(Close { end, strip }));
        }
        if self.rest().is_empty() {
            return Err(self.error(format!("an expression is never closed with `{closing}`")));
        }
        Ok(None)
    }

    fn token(&mut self) -> Result<Token, TemplateError> {
        let rest = self.rest();
        let first = rest.chars().next().unwrap_or_default();
        if first == '\'' || first == '"' {
            return self.string(first);
        }
        if first == '(' {
            return Err(self.error("subexpressions `( )` are not supported"));
        }
        if let Some(number) = self.number() {
            return Ok(Token::Literal(Value::Number(number)));
        }
        let path = self.path()?;
        let after = jsstring::trim_start(self.rest());
        if let Path::Name(name) = &path
            && after.starts_with('=')
        {
            let name = name.clone();
            let eq = self.rest().find('=').unwrap_or(0);
            self.pos += eq + 1;
            return Ok(Token::HashKey(name));
        }
        Ok(match path {
            Path::Name(name) => match name.as_str() {
                "true" => Token::Literal(Value::Bool(true)),
                "false" => Token::Literal(Value::Bool(false)),
                "null" => Token::Literal(Value::Null),
                "undefined" => Token::Literal(Value::Undefined),
                _ => Token::Path(Path::Name(name)),
            },
            other => Token::Path(other),
        })
    }

    fn string(&mut self, quote: char) -> Result<Token, TemplateError> {
        let body_start = self.pos + 1;
        let mut value = String::new();
        let mut chars = self.source[body_start..].char_indices();
        while let Some((offset, c)) = chars.next() {
            if c == '\\' && self.source[body_start + offset + 1..].starts_with(quote) {
                value.push(quote);
                chars.next();
            } else if c == quote {
                self.pos = body_start + offset + 1;
                return Ok(Token::Literal(Value::Str(value)));
            } else {
                value.push(c);
            }
        }
        Err(self.error("a string is never closed"))
    }

    /// `-?[0-9]+(\.[0-9]+)?` followed by whitespace, `~`, `}` or `)`.
    fn number(&mut self) -> Option<f64> {
        let rest = self.rest();
        let unsigned = rest.strip_prefix('-').unwrap_or(rest);
        let whole = unsigned.len()
            - unsigned
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        if whole == 0 {
            return None;
        }
        let mut len = rest.len() - unsigned.len() + whole;
        if let Some(fraction) = rest[len..].strip_prefix('.') {
            let digits = fraction.len()
                - fraction
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            if digits > 0 {
                len += 1 + digits;
            }
        }
        let ends = rest[len..]
            .chars()
            .next()
            .is_none_or(|c| jsstring::is_whitespace(c) || matches!(c, '~' | '}' | ')'));
        if !ends {
            return None;
        }
        let number = rest[..len].parse().ok()?;
        self.pos += len;
        Some(number)
    }

    fn path(&mut self) -> Result<Path, TemplateError> {
        let start = self.pos;
        let mut segments = Vec::new();
        let data = self.rest().starts_with('@');
        if data {
            self.pos += 1;
        }
        loop {
            let rest = self.source[self.pos..].to_owned();
            let segment = if let Some(literal) = rest.strip_prefix('[') {
                let Some(close) = literal.find(']') else {
                    return Err(self.error("a `[` segment is never closed"));
                };
                self.pos += close + 2;
                literal[..close].to_owned()
            } else if rest.starts_with("..") {
                self.pos += 2;
                "..".to_owned()
            } else if rest.starts_with('.') && !segments.is_empty() {
                return Err(self.error("a path cannot have an empty segment"));
            } else if rest.starts_with('.') {
                self.pos += 1;
                ".".to_owned()
            } else {
                let len = rest.len() - rest.trim_start_matches(is_id_char).len();
                if len == 0 {
                    let found = rest.chars().next().unwrap_or_default();
                    return Err(self.error(format!("unexpected `{found}` in an expression")));
                }
                self.pos += len;
                rest[..len].to_owned()
            };
            segments.push(segment);
            let rest = self.rest();
            if (rest.starts_with('.') || rest.starts_with('/'))
                && rest[1..].starts_with(|c: char| is_id_char(c) || c == '[' || c == '.')
            {
                self.pos += 1;
            } else {
                break;
            }
        }
        let written = self.source[start..self.pos].to_owned();
        if data {
            return Ok(Path::Other(written));
        }
        // Handlebars' preparePath: `..` (a parent, the root itself at the root), `.` and
        // `this` lead a path; after a name they are an error.
        let names: Vec<&str> = segments.iter().map(String::as_str).collect();
        let lead = names
            .iter()
            .take_while(|name| matches!(**name, ".." | "." | "this"))
            .count();
        if names[lead..].iter().any(|name| matches!(*name, ".." | ".")) {
            return Err(self.error(format!("invalid path `{written}`")));
        }
        Ok(match &names[lead..] {
            [] => Path::This,
            [name] => Path::Name((*name).to_owned()),
            [name, properties @ ..] => Path::Member(
                (*name).to_owned(),
                properties.iter().map(|p| (*p).to_owned()).collect(),
            ),
        })
    }
}

/// Handlebars' ID: anything but whitespace and ``!"#%&'()*+,./;<=>@[\]^`{|}~``.
fn is_id_char(c: char) -> bool {
    !jsstring::is_whitespace(c) && !"!\"#%&'()*+,./;<=>@[\\]^`{|}~".contains(c)
}

/// `~` strips the whitespace next to it; a comment alone on its line takes the line with it.
fn apply_whitespace_control(parts: &mut [Part], strips: &[(usize, bool, bool)]) {
    for &(index, strip_left, strip_right) in strips {
        let standalone = matches!(parts[index], Part::Comment) && is_standalone(parts, index);
        if (strip_left || standalone)
            && let Some(Part::Text(text)) = index.checked_sub(1).and_then(|i| parts.get_mut(i))
        {
            *text = if standalone {
                text.trim_end_matches([' ', '\t']).to_owned()
            } else {
                jsstring::trim_end(text).to_owned()
            };
        }
        if (strip_right || standalone)
            && let Some(Part::Text(text)) = parts.get_mut(index + 1)
        {
            *text = if standalone {
                let rest = text.trim_start_matches([' ', '\t']);
                rest.strip_prefix("\r\n")
                    .or_else(|| rest.strip_prefix('\n'))
                    .unwrap_or(rest)
                    .to_owned()
            } else {
                jsstring::trim_start(text).to_owned()
            };
        }
    }
}

fn is_standalone(parts: &[Part], index: usize) -> bool {
    let before_ok = match index.checked_sub(1).map(|i| &parts[i]) {
        None => true,
        Some(Part::Text(text)) => {
            let line = text.rsplit('\n').next().unwrap_or(text);
            line.trim_matches([' ', '\t']).is_empty() && (text.contains('\n') || index == 1)
        }
        Some(_) => false,
    };
    let after_ok = match parts.get(index + 1) {
        None => true,
        Some(Part::Text(text)) => {
            let rest = text.trim_start_matches([' ', '\t']);
            rest.is_empty() || rest.starts_with('\n') || rest.starts_with("\r\n")
        }
        Some(_) => false,
    };
    // A template that is only the comment is not a standalone line.
    before_ok && after_ok && parts.len() > 1
}

/// JavaScript's `Number.prototype.toString` for the numbers templates meet.
fn js_number_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if value == value.trunc() && value.abs() < 1e21 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names;

    impl Scope for Names {
        fn lookup(&self, name: &str) -> Lookup {
            match name {
                "branch" | "date" => Lookup::Function,
                "major" => Lookup::Value(Value::Number(1.0)),
                "raw" => Lookup::Value(Value::Str("v1.2.3".into())),
                _ => Lookup::Missing,
            }
        }

        fn call(
            &self,
            name: &str,
            params: &[Value],
            hash: &[(String, Value)],
        ) -> Result<Value, String> {
            Ok(Value::Str(match name {
                "branch" => "a&b".to_owned(),
                _ => format!("{name}{params:?}{hash:?}"),
            }))
        }
    }

    fn show(source: &str) -> String {
        match render(source, &Names) {
            Ok(text) => text,
            Err(error) => format!("error {:?}: {}", error.span, error.message),
        }
    }

    #[test]
    fn expressions_render_and_escape() {
        assert_eq!(show("x-{{branch}}-y"), "x-a&amp;b-y");
        assert_eq!(show("{{{branch}}}/{{&branch}}"), "a&b/a&b");
        assert_eq!(show("{{ major }}.{{missing}}"), "1.");
        assert_eq!(show("{{this.branch}}{{./raw}}"), "a&amp;bv1.2.3");
        assert_eq!(show("{{raw.length}}-{{raw.[0]}}-{{raw.9}}"), "6-v-");
        assert_eq!(show("{{branch.length}}-{{branch.name}}"), "0-branch");
        assert_eq!(show("{{../raw}}{{../../this.raw}}"), "v1.2.3v1.2.3");
        assert_eq!(show("a{{log 'x' major}}b{{log}}"), "ab");
        assert_eq!(
            show("{{branch}}}"),
            "error 0..11: `{{` is closed by `}}}`; write `}}` (or open with `{{{`)"
        );
        assert!(
            show("{{raw/../x}}").starts_with("error"),
            "a parent after a name"
        );
        assert_eq!(
            show("{{date 'YYYY' tz=\"Asia/Tokyo\"}}"),
            "date[Str(&quot;YYYY&quot;)][(&quot;tz&quot;, Str(&quot;Asia/Tokyo&quot;))]"
        );
        assert_eq!(
            show("{{{date YYYY-MM-DD 0 -1.5 true null sha}}}"),
            "date[Undefined, Number(0.0), Number(-1.5), Bool(true), Null, Undefined][]"
        );
        assert_eq!(show("{{{date 'it\\'s'}}}"), "date[Str(\"it's\")][]");
    }

    #[test]
    fn escapes_comments_and_whitespace_control() {
        assert_eq!(show("\\{{branch}} {{major}}"), "{{branch}} 1");
        assert_eq!(show("\\\\{{major}}"), "\\1");
        assert_eq!(show("a{{! note }}b{{!-- }} --}}c"), "abc");
        assert_eq!(show("a  {{~major~}}  b"), "a1b");
        assert_eq!(show("x\n  {{! alone }}  \ny"), "x\ny");
    }

    #[test]
    fn raw_statements() {
        assert!(Template::parse("{{raw}}").unwrap().is_single_name("raw"));
        assert!(Template::parse("{{ raw }}").unwrap().is_single_name("raw"));
        assert!(!Template::parse("{{raw}} ").unwrap().is_single_name("raw"));
        assert!(!Template::parse("v{{raw}}").unwrap().is_single_name("raw"));
        assert!(
            !Template::parse("{{version}}")
                .unwrap()
                .is_single_name("raw")
        );
    }

    #[test]
    fn unsupported_and_broken_templates_are_errors() {
        assert_eq!(
            show("{{#if branch}}x{{/if}}"),
            "error 0..14: `{{#` (block helpers, partials and decorators) is not supported; \
             only expressions such as `{{branch}}` or `{{date 'YYYYMMDD'}}` are"
        );
        assert!(show("{{else}}").starts_with("error"));
        assert!(show("{{> partial}}").starts_with("error"));
        assert!(show("{{date (branch)}}").contains("subexpressions"));
        assert!(show("{{branch").contains("never closed"));
        assert!(show("{{date 'x}}").contains("never closed"));
        assert!(show("{{date YYYY,MM}}").contains("unexpected `,`"));
        assert!(show("{{nope 'x'}}").contains("unknown helper `nope`"));
        assert!(show("{{}}").contains("must start with a name"));
        assert!(show("{{tz='x'}}").contains("must start with a name"));
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        assert_eq!(js_number_text(3.0), "3");
        assert_eq!(js_number_text(-0.5), "-0.5");
        assert_eq!(js_number_text(f64::INFINITY), "Infinity");
    }
}
