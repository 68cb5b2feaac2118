//! The CSV dialect of docker/metadata-action's inputs: csv-parse with `,` fields, `"` quotes
//! (doubled to escape), record delimiters discovered from the first line break, empty lines
//! skipped, and optionally relaxed quotes and `#` comments.
//!
//! metadata-action parses every list input twice. The first pass ([`split_list`]) reads the
//! whole input with relaxed quotes and comments, then joins each record's fields back with
//! `,`: one item per line, quotes gone. The second pass ([`parse_fields`]) reads one item with
//! strict quotes and no comments, and keeps its first record.

use std::fmt;

/// Which `#` starts a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comments {
    /// Only a `#` that starts a line (docker/metadata-action v6, csv-parse `comment_no_infix`).
    Leading,
    /// Any `#` outside quotes: `value=foo#bar` reads as `value=foo` (metadata-action v5).
    Anywhere,
}

/// How a CSV text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// A quote inside an unquoted field, or text after a closing quote, is kept as text
    /// instead of being an error.
    pub relax_quotes: bool,
    /// Comments, if any.
    pub comments: Option<Comments>,
}

impl Dialect {
    /// The first pass over a whole list input.
    pub const LIST: Dialect = Dialect {
        relax_quotes: true,
        comments: Some(Comments::Leading),
    };
    /// The second pass over one item.
    pub const ITEM: Dialect = Dialect {
        relax_quotes: false,
        comments: None,
    };
}

/// One field: its text with the quoting removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub text: String,
    /// The field started with a quote.
    pub quoted: bool,
}

/// One record (a line, unless a quoted field spans lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub fields: Vec<Field>,
    /// The 1-based line the record starts on.
    pub line: usize,
}

/// Text that is not valid in the dialect.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CsvError {
    pub kind: CsvErrorKind,
    /// 1-based line of the problem.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsvErrorKind {
    /// A quote inside a field that did not start with one (`a"b`).
    QuoteInsideField { field: String },
    /// Text right after a closing quote (`"a"b`).
    TextAfterClosingQuote { after: char },
    /// The text ends inside a quoted field.
    QuoteNotClosed,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CsvErrorKind::QuoteInsideField { field } => write!(
                f,
                "a quote after `{field}` inside an unquoted field: quote the whole field and \
                 double its quotes, as in `\"a\"\"b\"`"
            ),
            CsvErrorKind::TextAfterClosingQuote { after } => write!(
                f,
                "`{after}` right after a closing quote: a quoted field must end at a `,` or the \
                 end of the line"
            ),
            CsvErrorKind::QuoteNotClosed => f.write_str("a quoted field is never closed"),
        }
    }
}

/// Parses `text` into records, as csv-parse does with the options metadata-action passes.
pub fn parse(text: &str, dialect: Dialect) -> Result<Vec<Record>, CsvError> {
    Parser::new(text, dialect).run()
}

/// The fields of the first record of `item`: the second pass. `None` for an item without a
/// record (empty).
pub fn parse_fields(item: &str) -> Result<Option<Vec<Field>>, CsvError> {
    Ok(parse(item, Dialect::ITEM)?
        .into_iter()
        .next()
        .map(|record| record.fields))
}

/// One item of a list input after the first pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListItem {
    /// The record's fields joined with `,`, trimmed.
    pub text: String,
    /// The 1-based line of the input it comes from.
    pub line: usize,
    /// A quoted field of the record holds a comma, a quote or a line break, which the second
    /// pass will read differently than written (the double-parse trap): the field as written.
    pub trap: Option<String>,
}

/// The first pass over a list input (`Util.getInputList` with `ignoreComma`): one item per
/// record, its fields joined back with `,`. With `keep_quoted_fields`, a quoted field holding
/// a comma, a quote or a line break is quoted again, so the second pass reads it whole.
pub fn split_list(
    text: &str,
    comments: Comments,
    keep_quoted_fields: bool,
) -> Result<Vec<ListItem>, CsvError> {
    let dialect = Dialect {
        relax_quotes: true,
        comments: Some(comments),
    };
    let records = parse(text, dialect)?;
    Ok(records
        .into_iter()
        .filter_map(|record| {
            let trap = record
                .fields
                .iter()
                .find(|field| field.quoted && field.text.contains([',', '"', '\n', '\r']))
                .map(|field| format!("\"{}\"", field.text.replace('"', "\"\"")));
            let joined = record
                .fields
                .iter()
                .map(|field| match &trap {
                    Some(_) if keep_quoted_fields && field.quoted => {
                        format!("\"{}\"", field.text.replace('"', "\"\""))
                    }
                    _ => field.text.clone(),
                })
                .collect::<Vec<_>>()
                .join(",");
            // metadata-action drops empty items before trimming; an item of spaces would
            // crash its second pass, so it is dropped here too.
            let text = super::jsstring::trim(&joined);
            (!text.is_empty()).then(|| ListItem {
                text: text.to_owned(),
                line: record.line,
                trap: trap.filter(|_| !keep_quoted_fields),
            })
        })
        .collect())
}

struct Parser {
    chars: Vec<char>,
    /// The 1-based line of each character.
    lines: Vec<usize>,
    dialect: Dialect,
    /// The record delimiter, once discovered (`\r\n`, `\n` or `\r`, whichever comes first).
    delimiter: Option<&'static str>,
    field: String,
    record: Vec<Field>,
    quoting: bool,
    /// The current field started with a quote.
    was_quoting: bool,
    commenting: bool,
    /// Where the current record starts.
    record_start: usize,
    records: Vec<Record>,
}

impl Parser {
    fn new(text: &str, dialect: Dialect) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut line = 1;
        let lines = chars
            .iter()
            .enumerate()
            .map(|(pos, &c)| {
                let this = line;
                if c == '\n' || (c == '\r' && chars.get(pos + 1) != Some(&'\n')) {
                    line += 1;
                }
                this
            })
            .collect();
        Self {
            chars,
            lines,
            dialect,
            delimiter: None,
            field: String::new(),
            record: Vec::new(),
            quoting: false,
            was_quoting: false,
            commenting: false,
            record_start: 0,
            records: Vec::new(),
        }
    }

    fn line_at(&self, pos: usize) -> usize {
        self.lines
            .get(pos)
            .or(self.lines.last())
            .copied()
            .unwrap_or(1)
    }

    fn error(&self, pos: usize, kind: CsvErrorKind) -> CsvError {
        CsvError {
            kind,
            line: self.line_at(pos),
        }
    }

    /// The length of the record delimiter at `pos`, discovering it if needed.
    fn record_delimiter_at(&mut self, pos: usize) -> usize {
        let matches = |delimiter: &str| {
            delimiter
                .chars()
                .enumerate()
                .all(|(offset, c)| self.chars.get(pos + offset) == Some(&c))
        };
        match self.delimiter {
            Some(delimiter) => {
                if matches(delimiter) {
                    delimiter.len()
                } else {
                    0
                }
            }
            None => match ["\r\n", "\n", "\r"].into_iter().find(|d| matches(d)) {
                Some(delimiter) => {
                    self.delimiter = Some(delimiter);
                    delimiter.len()
                }
                None => 0,
            },
        }
    }

    fn is_empty_record(&self) -> bool {
        !self.was_quoting && self.record.is_empty() && self.field.is_empty()
    }

    fn end_field(&mut self) {
        self.record.push(Field {
            text: std::mem::take(&mut self.field),
            quoted: self.was_quoting,
        });
        self.was_quoting = false;
    }

    fn end_record(&mut self) {
        self.end_field();
        self.records.push(Record {
            fields: std::mem::take(&mut self.record),
            line: self.line_at(self.record_start),
        });
    }

    fn run(mut self) -> Result<Vec<Record>, CsvError> {
        let mut pos = 0;
        let mut escaping = false;
        while pos < self.chars.len() {
            let c = self.chars[pos];
            if self.is_empty_record() && !self.commenting {
                self.record_start = pos;
            }
            if escaping {
                escaping = false;
            } else if c == '"' && !self.commenting {
                if self.quoting {
                    let next = self.chars.get(pos + 1).copied();
                    if next == Some('"') {
                        // A doubled quote: the next one is text.
                        escaping = true;
                        pos += 1;
                        continue;
                    }
                    let ends_field = next.is_none()
                        || next == Some(',')
                        || (next == Some('#') && self.dialect.comments.is_some())
                        || self.record_delimiter_at(pos + 1) > 0;
                    if ends_field {
                        self.quoting = false;
                        pos += 1;
                        continue;
                    }
                    if !self.dialect.relax_quotes {
                        return Err(self.error(
                            pos,
                            CsvErrorKind::TextAfterClosingQuote {
                                after: next.unwrap_or_default(),
                            },
                        ));
                    }
                    // Relaxed: the field goes on as text, its opening quote restored and
                    // this quote kept.
                    self.quoting = false;
                    self.field.insert(0, '"');
                } else if !self.field.is_empty() {
                    if !self.dialect.relax_quotes {
                        return Err(self.error(
                            pos,
                            CsvErrorKind::QuoteInsideField {
                                field: self.field.clone(),
                            },
                        ));
                    }
                } else {
                    self.quoting = true;
                    self.was_quoting = true;
                    pos += 1;
                    continue;
                }
            }
            if !self.quoting {
                let delimiter_len = self.record_delimiter_at(pos);
                if delimiter_len > 0 {
                    let comment_line = self.commenting && self.is_empty_record();
                    if !comment_line && !self.is_empty_record() {
                        self.end_record();
                    }
                    self.commenting = false;
                    pos += delimiter_len;
                    continue;
                }
                if self.commenting {
                    pos += 1;
                    continue;
                }
                let comment_starts = match self.dialect.comments {
                    Some(Comments::Anywhere) => c == '#',
                    Some(Comments::Leading) => {
                        c == '#' && self.record.is_empty() && self.field.is_empty()
                    }
                    None => false,
                };
                if comment_starts {
                    self.commenting = true;
                    pos += 1;
                    continue;
                }
                if c == ',' {
                    self.end_field();
                    pos += 1;
                    continue;
                }
            }
            self.field.push(c);
            pos += 1;
        }
        if self.quoting {
            return Err(self.error(self.record_start, CsvErrorKind::QuoteNotClosed));
        }
        if !self.is_empty_record() {
            self.end_record();
        }
        Ok(self.records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str, dialect: Dialect) -> Vec<Vec<String>> {
        parse(text, dialect)
            .unwrap()
            .into_iter()
            .map(|record| record.fields.into_iter().map(|f| f.text).collect())
            .collect()
    }

    fn items(text: &str, comments: Comments) -> Vec<String> {
        split_list(text, comments, false)
            .unwrap()
            .into_iter()
            .map(|item| item.text)
            .collect()
    }

    #[test]
    fn records_and_fields() {
        assert_eq!(
            fields("a,b\n\nc\r\n", Dialect::ITEM),
            [vec!["a", "b"], vec!["c\r"]],
            "the first line break decides the delimiter"
        );
        assert_eq!(fields("a,,b", Dialect::ITEM), [vec!["a", "", "b"]]);
        assert_eq!(
            fields("\"a,b\",\"c\"\"d\"", Dialect::ITEM),
            [["a,b", "c\"d"]]
        );
        assert_eq!(fields("\"a\nb\",c", Dialect::ITEM), [["a\nb", "c"]]);
        assert_eq!(fields("\"\"", Dialect::ITEM), [[""]]);
        assert!(fields("\n\n", Dialect::ITEM).is_empty());
    }

    #[test]
    fn strict_quotes_are_errors() {
        let error = parse("a\"b", Dialect::ITEM).unwrap_err();
        assert_eq!(
            error.kind,
            CsvErrorKind::QuoteInsideField { field: "a".into() }
        );
        let error = parse("x\n\"a\"b", Dialect::ITEM).unwrap_err();
        assert_eq!(
            error,
            CsvError {
                kind: CsvErrorKind::TextAfterClosingQuote { after: 'b' },
                line: 2
            }
        );
        let error = parse("\"a", Dialect::ITEM).unwrap_err();
        assert_eq!(error.kind, CsvErrorKind::QuoteNotClosed);
    }

    #[test]
    fn relaxed_quotes_keep_text() {
        assert_eq!(fields("a\"b,c", Dialect::LIST), [["a\"b", "c"]]);
        assert_eq!(fields("\"a\"b,c", Dialect::LIST), [["\"a\"b", "c"]]);
    }

    #[test]
    fn comment_rules() {
        let text = "# heading\ntype=raw,value=foo#bar\n  # indented\n#\ntype=sha";
        assert_eq!(
            items(text, Comments::Leading),
            ["type=raw,value=foo#bar", "# indented", "type=sha"]
        );
        assert_eq!(
            items(text, Comments::Anywhere),
            ["type=raw,value=foo", "type=sha"]
        );
        assert_eq!(items("\"#x\"", Comments::Anywhere), ["#x"]);
    }

    #[test]
    fn the_first_pass_joins_fields_and_records_lines() {
        let items = split_list(
            "type=match,\"pattern=\\d{1,2}\"\n\n  type=sha  \n",
            Comments::Leading,
            false,
        )
        .unwrap();
        assert_eq!(items[0].text, "type=match,pattern=\\d{1,2}");
        assert_eq!(items[0].line, 1);
        assert_eq!(items[0].trap.as_deref(), Some("\"pattern=\\d{1,2}\""));
        assert_eq!(items[1].text, "type=sha");
        assert_eq!(items[1].line, 3);
        assert_eq!(items[1].trap, None);
    }

    #[test]
    fn kept_quoted_fields_survive_the_second_pass() {
        let items = split_list("type=match,\"pattern=\\d{1,2}\"", Comments::Leading, true).unwrap();
        assert_eq!(items[0].text, "type=match,\"pattern=\\d{1,2}\"");
        assert_eq!(items[0].trap, None);
        let fields = parse_fields(&items[0].text).unwrap().unwrap();
        assert_eq!(fields[1].text, "pattern=\\d{1,2}");
    }

    #[test]
    fn a_whole_quoted_line_with_doubled_quotes_survives() {
        let items = items("\"type=match,\"\"pattern=\\d{1,2}\"\"\"", Comments::Leading);
        assert_eq!(items, ["type=match,\"pattern=\\d{1,2}\""]);
        let fields = parse_fields(&items[0]).unwrap().unwrap();
        assert_eq!(fields[1].text, "pattern=\\d{1,2}");
    }

    #[test]
    fn spaces_only_items_are_dropped() {
        assert!(items("   \n", Comments::Leading).is_empty());
    }
}
