//! The action reference in `docs/actions.md`: input and output tables generated from the
//! root `action.yml` and, for each tool, from its descriptor. The text between [`BEGIN`] and
//! [`END`] is generated; the rest of the page is written by hand.

use gantry_cli::Tool;
use gantry_testkit::workflow::model::Action;

use crate::action::{INSTALL_INPUT, flag_inputs, one_line};

/// The line before the generated reference.
pub const BEGIN: &str =
    "<!-- BEGIN generated from the clap definitions (cargo xtask generate rewrites it) -->";
/// The line after it.
pub const END: &str = "<!-- END generated -->";

/// The generated reference: the root action, then one section per tool.
pub fn reference(root: &Action, tools: &[Tool]) -> String {
    let mut text = String::new();
    text.push_str("### `gantry-rs/gantry` (install)\n\n");
    text.push_str(&inputs_table(root.inputs.iter().map(|(name, input)| Row {
        name: format!("`{name}`"),
        default: input.default.clone().unwrap_or_default(),
        description: input.description.clone(),
    })));
    text.push('\n');
    text.push_str(&outputs_table(
        root.outputs
            .iter()
            .map(|(name, output)| (name.as_str(), output.description.as_str())),
    ));
    for tool in tools {
        text.push_str(&format!(
            "\n### `gantry-rs/gantry/actions/{}` ({})\n\n",
            tool.name,
            tool.binary()
        ));
        let flags = flag_inputs(tool).into_iter().map(|input| Row {
            name: format!("`{}`", input.name),
            default: input.default,
            description: if input.required {
                format!("**Required.** {}", input.description)
            } else {
                input.description
            },
        });
        let secrets = tool.secrets.iter().map(|secret| Row {
            name: format!("`{}` (secret)", secret.input),
            default: secret.default.to_owned(),
            description: if secret.required {
                format!("**Required.** {}", secret.description)
            } else {
                secret.description.to_owned()
            },
        });
        let install = std::iter::once(Row {
            name: format!("`{}`", INSTALL_INPUT.0),
            default: String::new(),
            description: INSTALL_INPUT.1.to_owned(),
        });
        text.push_str(&inputs_table(flags.chain(secrets).chain(install)));
        text.push('\n');
        text.push_str(&outputs_table(tool.outputs.iter().copied()));
    }
    text
}

/// `page` with the text between [`BEGIN`] and [`END`] replaced by `generated`.
pub fn splice(page: &str, generated: &str) -> Result<String, String> {
    let start = page
        .find(BEGIN)
        .ok_or_else(|| format!("docs/actions.md has no line {BEGIN}"))?;
    let end = page
        .find(END)
        .ok_or_else(|| format!("docs/actions.md has no line {END}"))?;
    Ok(format!(
        "{}{BEGIN}\n\n{generated}\n{}",
        &page[..start],
        &page[end..]
    ))
}

struct Row {
    name: String,
    default: String,
    description: String,
}

fn inputs_table(rows: impl Iterator<Item = Row>) -> String {
    let mut table = String::from("| input | default | description |\n|---|---|---|\n");
    for row in rows {
        let default = if row.default.is_empty() {
            "—".to_owned()
        } else {
            format!("`{}`", row.default)
        };
        table.push_str(&format!(
            "| {} | {} | {} |\n",
            row.name,
            cell(&default),
            cell(&row.description)
        ));
    }
    table
}

fn outputs_table<'a>(rows: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut table = String::from("| output | description |\n|---|---|\n");
    for (name, description) in rows {
        table.push_str(&format!("| `{name}` | {} |\n", cell(description)));
    }
    table
}

/// Text for a table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_only_the_generated_part() {
        let page = format!("# Head\n\n{BEGIN}\nold\n{END}\ntail\n");
        assert_eq!(
            splice(&page, "new\n").unwrap(),
            format!("# Head\n\n{BEGIN}\n\nnew\n\n{END}\ntail\n")
        );
    }

    #[test]
    fn cells_are_one_line_with_pipes_escaped() {
        assert_eq!(cell("a |\n b"), "a \\| b");
    }
}
