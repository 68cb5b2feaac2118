//! The JSON Schema of gantry.yml, generated from the types the parser fills.

use crate::raw::RawManifest;

/// Where the published schema lives, for `# yaml-language-server: $schema=...` lines.
const SCHEMA_ID: &str =
    "https://raw.githubusercontent.com/gantry-rs/gantry/main/docs/gantry.schema.json";

/// The JSON Schema (draft 2020-12) of gantry.yml, pretty-printed with a final newline.
/// `docs/gantry.schema.json` is this text.
pub fn json_schema() -> String {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<RawManifest>();
    schema.insert("$id".into(), SCHEMA_ID.into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
