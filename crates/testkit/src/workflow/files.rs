//! The runner's file commands, read exactly as `src/Runner.Worker/FileCommandManager.cs` reads
//! them on Linux.

/// `EnvFileKeyValuePairs`: the entries of a `GITHUB_OUTPUT` or `GITHUB_ENV` file. Empty lines
/// are skipped; `NAME=VALUE` when the first `=` comes before the first `<<`, else
/// `NAME<<DELIMITER`, the value's lines, and a line that is exactly `DELIMITER`. Lines end at
/// `\n` only (a `\r` stays in the value on Linux).
pub fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut entries = Vec::new();
    let mut index = 0;
    while let Some((line, _)) = read_line(text, &mut index) {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(equals), heredoc) if heredoc.is_none_or(|heredoc| equals < heredoc) => {
                let (name, value) = (&line[..equals], &line[equals + 1..]);
                entries.push((name.to_owned(), value.to_owned()));
            }
            (_, Some(heredoc)) => {
                let (name, delimiter) = (&line[..heredoc], &line[heredoc + 2..]);
                if name.is_empty() || delimiter.is_empty() {
                    return Err(format!(
                        "Invalid format '{line}'. Name must not be empty and delimiter must not be empty"
                    ));
                }
                let start = index;
                let mut end = index;
                loop {
                    match read_line(text, &mut index) {
                        None => {
                            return Err(format!(
                                "Invalid value. Matching delimiter not found '{delimiter}'"
                            ));
                        }
                        Some((value_line, _)) if value_line == delimiter => break,
                        Some((_, false)) => {
                            return Err("Invalid value. EOF marker missing new line.".to_owned());
                        }
                        Some((_, true)) => end = index - 1,
                    }
                }
                entries.push((name.to_owned(), text[start..end.max(start)].to_owned()));
            }
            _ => return Err(format!("Invalid format '{line}'")),
        }
    }
    Ok(entries)
}

/// `AddPathFileCommand`: the non-empty lines of a `GITHUB_PATH` file.
pub fn parse_path_file(text: &str) -> Vec<String> {
    text.split('\n')
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The line at `index` and whether a `\n` ended it; moves `index` past it.
fn read_line<'t>(text: &'t str, index: &mut usize) -> Option<(&'t str, bool)> {
    if *index >= text.len() {
        return None;
    }
    let start = *index;
    match text[start..].find('\n') {
        Some(offset) => {
            *index = start + offset + 1;
            Some((&text[start..start + offset], true))
        }
        None => {
            *index = text.len();
            Some((&text[start..], false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse_env_file(text).unwrap()
    }

    #[test]
    fn lines_heredocs_and_blank_lines_as_the_runner_reads_them() {
        assert_eq!(
            pairs("a=1\n\nb<<EOF\nx\n\ny=z\nEOF\nc=\nd=e<<f\ng<<h=i\nh=i\n"),
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "x\n\ny=z".to_owned()),
                ("c".to_owned(), String::new()),
                ("d".to_owned(), "e<<f".to_owned()),
                ("g".to_owned(), String::new()),
            ]
        );
        assert_eq!(pairs("a<<EOF\nEOF"), [("a".to_owned(), String::new())]);
        assert_eq!(pairs("a=1\r\n"), [("a".to_owned(), "1\r".to_owned())]);
    }

    #[test]
    fn malformed_files_fail_like_the_runner() {
        assert_eq!(
            parse_env_file("novalue\n").unwrap_err(),
            "Invalid format 'novalue'"
        );
        assert!(
            parse_env_file("a<<EOF\nx\n")
                .unwrap_err()
                .contains("Matching delimiter not found 'EOF'")
        );
        assert!(
            parse_env_file("a<<EOF\nx")
                .unwrap_err()
                .contains("EOF marker missing new line")
        );
        assert!(
            parse_env_file("<<EOF\nEOF\n")
                .unwrap_err()
                .contains("Name must not be empty")
        );
    }

    #[test]
    fn path_entries() {
        assert_eq!(parse_path_file("/a\n\n/b"), ["/a", "/b"]);
    }
}
