//! The runner's side of the protocol, written from its documented behaviour, so tests can
//! check what a later step would really read.

/// Reads an environment file (`GITHUB_OUTPUT`, `GITHUB_ENV`) as the runner does.
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut lines = Lines { text, index: 0 };
    let mut entries = Vec::new();
    while let Some((line, _)) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(equals), heredoc) if heredoc.is_none_or(|heredoc| equals < heredoc) => {
                let (key, value) = (&line[..equals], &line[equals + 1..]);
                if key.is_empty() {
                    return Err(format!("Invalid format '{line}'. Name must not be empty"));
                }
                entries.push((key.to_owned(), value.to_owned()));
            }
            (_, Some(heredoc)) => {
                let (key, delimiter) = (&line[..heredoc], &line[heredoc + 2..]);
                if key.is_empty() || delimiter.is_empty() {
                    return Err(format!("Invalid format '{line}'"));
                }
                let start = lines.index;
                let mut end = start;
                loop {
                    match lines.next() {
                        None => return Err(format!("Matching delimiter not found '{delimiter}'")),
                        Some((content, _)) if content == delimiter => break,
                        Some((_, None)) => return Err("EOF marker missing new line".to_owned()),
                        Some((_, Some(newline))) => end = lines.index - newline.len(),
                    }
                }
                entries.push((key.to_owned(), text[start..end.max(start)].to_owned()));
            }
            _ => return Err(format!("Invalid format '{line}'")),
        }
    }
    Ok(entries)
}

/// Lines ending in LF or CRLF, with the line ending each one had (`None` at end of text).
struct Lines<'a> {
    text: &'a str,
    index: usize,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Option<(&'a str, Option<&'static str>)> {
        let rest = self
            .text
            .get(self.index..)
            .filter(|rest| !rest.is_empty())?;
        match rest.find('\n') {
            None => {
                self.index = self.text.len();
                Some((rest, None))
            }
            Some(newline) => {
                self.index += newline + 1;
                match rest[..newline].strip_suffix('\r') {
                    Some(line) => Some((line, Some("\r\n"))),
                    None => Some((&rest[..newline], Some("\n"))),
                }
            }
        }
    }
}

/// A workflow command line as the runner parses it.
#[derive(Debug, PartialEq, Eq)]
pub struct ParsedCommand {
    pub name: String,
    pub properties: Vec<(String, String)>,
    pub data: String,
}

/// Parses `::name k=v,k=v::data` (without the trailing newline) as the runner does.
pub fn parse_command(line: &str) -> Option<ParsedCommand> {
    let rest = line.strip_prefix("::")?;
    let end = rest.find("::")?;
    let (info, data) = (&rest[..end], &rest[end + 2..]);
    let (name, properties) = info.split_once(' ').unwrap_or((info, ""));
    let properties = properties
        .split(',')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_owned(), unescape(value, true)))
        .collect();
    Some(ParsedCommand {
        name: name.to_owned(),
        properties,
        data: unescape(data, false),
    })
}

/// The runner's unescaping: one replacement after the other, `%25` last.
fn unescape(text: &str, property: bool) -> String {
    let mut text = text.replace("%0D", "\r").replace("%0A", "\n");
    if property {
        text = text.replace("%3A", ":").replace("%2C", ",");
    }
    text.replace("%25", "%")
}

#[test]
fn reader_follows_the_runner_rules() {
    let text = "a=1\r\nb<<EOF\nx\r\ny\n\nEOF\nc=<<not-heredoc\n\nd<<EOF\nEOF\n";
    assert_eq!(
        parse_env_file(text).unwrap(),
        [
            ("a".into(), "1".into()),
            ("b".into(), "x\r\ny\n".into()),
            ("c".into(), "<<not-heredoc".into()),
            ("d".into(), String::new()),
        ]
    );
    assert!(parse_env_file("x<<EOF\nvalue").is_err());
    assert!(parse_env_file("=1\n").is_err());
    assert!(parse_env_file("no separator\n").is_err());
}

#[test]
fn command_parser_follows_the_runner_rules() {
    assert_eq!(
        parse_command("::error file=a%3Ab,line=3::x%0Ay%25").unwrap(),
        ParsedCommand {
            name: "error".into(),
            properties: vec![("file".into(), "a:b".into()), ("line".into(), "3".into())],
            data: "x\ny%".into(),
        }
    );
    assert_eq!(parse_command("plain text"), None);
}
