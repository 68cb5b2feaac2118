//! Workflow commands read back with the runner's parser.

use gantry_gha::commands::{self, Annotation, escape_data, escape_property};
use proptest::prelude::*;

use crate::runner::{ParsedCommand, parse_command};

fn parse_line(line: &str) -> ParsedCommand {
    let line = line
        .strip_suffix('\n')
        .expect("commands end with a newline");
    assert!(!line.contains(['\n', '\r']), "one line: {line:?}");
    parse_command(line).expect("a workflow command")
}

#[test]
fn crafted_file_name_title_and_message_stay_in_their_place() {
    let annotation = Annotation::error("100% broken ::error::forged\n::add-mask::x")
        .file("services/a,b:c.yml")
        .line(3)
        .col(5)
        .title("title,line=9::x");
    let parsed = parse_line(&annotation.to_command());
    assert_eq!(
        parsed,
        ParsedCommand {
            name: "error".into(),
            properties: vec![
                ("file".into(), "services/a,b:c.yml".into()),
                ("line".into(), "3".into()),
                ("col".into(), "5".into()),
                ("title".into(), "title,line=9::x".into()),
            ],
            data: "100% broken ::error::forged\n::add-mask::x".into(),
        }
    );
}

#[test]
fn every_command_is_one_line_ending_in_a_newline() {
    for line in [
        commands::add_mask("a\r\nb"),
        commands::debug("x\ny"),
        commands::group("g\nh"),
        commands::end_group(),
        commands::stop_commands("token"),
        commands::resume_commands("token"),
        Annotation::notice("n\n").to_command(),
    ] {
        parse_line(&line);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn data_escaping_round_trips(text in any::<String>()) {
        let parsed = parse_line(&commands::command("debug", &[], &text));
        prop_assert_eq!(parsed.data, text);
    }

    #[test]
    fn annotations_round_trip(
        message in any::<String>(),
        file in any::<String>(),
        title in any::<String>(),
        line in 1usize..100_000,
    ) {
        let command = Annotation::warning(message.clone())
            .file(file.clone())
            .line(line)
            .title(title.clone())
            .to_command();
        let parsed = parse_line(&command);
        prop_assert_eq!(parsed.name, "warning");
        prop_assert_eq!(
            parsed.properties,
            vec![
                ("file".to_owned(), file),
                ("line".to_owned(), line.to_string()),
                ("title".to_owned(), title),
            ]
        );
        prop_assert_eq!(parsed.data, message);
    }

    #[test]
    fn escaped_text_has_no_separators(text in any::<String>()) {
        prop_assert!(!escape_data(&text).contains(['\n', '\r']));
        prop_assert!(!escape_property(&text).contains(['\n', '\r', ',', ':']));
    }
}
