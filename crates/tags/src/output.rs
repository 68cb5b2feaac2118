//! metadata-action's outputs: `version`, `tags`, `tag-names`, `labels`, `annotations`,
//! `json` and the bake files, plus gantry's JSON report.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::meta::Metadata;
use crate::ports::collate;

/// Every step output in metadata-action's order, with its description: the composite
/// action's `outputs:` and the docs tables are checked against this list, and [`outputs`]
/// sets exactly these.
pub const OUTPUTS: &[(&str, &str)] = &[
    ("version", "The version (first tag value), or empty"),
    (
        "tags",
        "Full tags (image:tag for each image), joined with sep-tags",
    ),
    (
        "tag-names",
        "Tags without image names, joined with sep-tags",
    ),
    ("labels", "OCI labels, key=value lines sorted by key"),
    (
        "annotations",
        "Annotations, level:key=value lines for each level of DOCKER_METADATA_ANNOTATIONS_LEVELS",
    ),
    (
        "json",
        "One-line JSON: {\"tags\":[...],\"tag-names\":[...],\"labels\":{...},\"annotations\":[...]}",
    ),
    (
        "bake-file-tags",
        "Path of the bake definition with the tags",
    ),
    (
        "bake-file-labels",
        "Path of the bake definition with the labels",
    ),
    (
        "bake-file-annotations",
        "Path of the bake definition with the annotations",
    ),
    (
        "bake-file",
        "Path of one bake definition with tags, labels and args",
    ),
];

/// How the outputs are written: separators, annotation levels, bake target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputOptions {
    pub sep_tags: String,
    pub sep_labels: String,
    pub sep_annotations: String,
    /// `DOCKER_METADATA_ANNOTATIONS_LEVELS`, split at commas (not trimmed, as in
    /// metadata-action).
    pub annotation_levels: Vec<String>,
    pub bake_target: String,
}

/// `key=value` entries as the object metadata-action builds for `json` and the bake files:
/// the value stops at a line break, integer-like keys come first, and `__proto__` is left out.
pub fn labels_object(entries: &[(String, String)]) -> Map<String, Value> {
    let pairs = entries
        .iter()
        // `res[key] = value` with a string value sets no `__proto__` key on a plain object.
        .filter(|(key, _)| key != "__proto__")
        .map(|(key, value)| {
            let value = value
                .split(['\n', '\r', '\u{2028}', '\u{2029}'])
                .next()
                .unwrap_or_default();
            (key.clone(), Value::String(value.to_owned()))
        })
        .collect();
    collate::object_key_order(pairs).into_iter().collect()
}

/// The `json` output.
pub fn metadata_json(metadata: &Metadata, levels: &[String]) -> Value {
    json!({
        "tags": metadata.tags(),
        "tag-names": metadata.tag_names(),
        "labels": labels_object(&metadata.labels),
        "annotations": metadata.leveled_annotations(levels),
    })
}

/// gantry's `--format json` document: the version, and the `json` output's fields.
pub fn report_json(metadata: &Metadata, levels: &[String]) -> Value {
    json!({
        "version": metadata.version.main.clone().unwrap_or_default(),
        "tags": metadata.tags(),
        "tag-names": metadata.tag_names(),
        "labels": labels_object(&metadata.labels),
        "annotations": metadata.leveled_annotations(levels),
    })
}

/// The bake files and their names in the temporary directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BakeFiles {
    pub tags: PathBuf,
    pub labels: PathBuf,
    pub annotations: PathBuf,
    /// Tags, labels and args together.
    pub all: PathBuf,
}

/// The bake documents: `(file name, document)` for tags, labels, annotations and all.
pub fn bake_documents(metadata: &Metadata, options: &OutputOptions) -> [(String, Value); 4] {
    let mut args = Map::new();
    args.insert(
        "DOCKER_META_IMAGES".into(),
        metadata.images.join(",").into(),
    );
    if let Some(main) = &metadata.version.main {
        args.insert("DOCKER_META_VERSION".into(), main.clone().into());
    }
    let target =
        |definition: Value| json!({ "target": { options.bake_target.clone(): definition } });
    let labels = labels_object(&metadata.labels);
    [
        (
            "docker-metadata-action-bake-tags.json".to_owned(),
            target(json!({ "tags": metadata.tags(), "args": args.clone() })),
        ),
        (
            "docker-metadata-action-bake-labels.json".to_owned(),
            target(json!({ "labels": labels.clone() })),
        ),
        (
            "docker-metadata-action-bake-annotations.json".to_owned(),
            target(
                json!({ "annotations": metadata.leveled_annotations(&options.annotation_levels) }),
            ),
        ),
        (
            "docker-metadata-action-bake.json".to_owned(),
            target(json!({ "tags": metadata.tags(), "labels": labels, "args": args })),
        ),
    ]
}

/// Writes the bake files into `dir` (pretty JSON, as `JSON.stringify(.., null, 2)`), each
/// text passed through `redact` so a registered secret never lands in a file.
pub fn write_bake_files(
    dir: &Path,
    metadata: &Metadata,
    options: &OutputOptions,
    redact: &dyn Fn(&str) -> String,
) -> std::io::Result<BakeFiles> {
    let mut paths = Vec::new();
    for (name, document) in bake_documents(metadata, options) {
        let path = dir.join(name);
        let text = serde_json::to_string_pretty(&document).map_err(std::io::Error::other)?;
        std::fs::write(&path, redact(&text))?;
        paths.push(path);
    }
    let [tags, labels, annotations, all] = <[PathBuf; 4]>::try_from(paths)
        .map_err(|_| std::io::Error::other("four bake files are written"))?;
    Ok(BakeFiles {
        tags,
        labels,
        annotations,
        all,
    })
}

/// The step outputs in metadata-action's order, with their values.
pub fn outputs(
    metadata: &Metadata,
    options: &OutputOptions,
    bake: Option<&BakeFiles>,
) -> Vec<(&'static str, String)> {
    let path = |path: &Path| path.display().to_string();
    let mut outputs = vec![
        ("version", metadata.version.main.clone().unwrap_or_default()),
        ("tags", metadata.tags().join(&options.sep_tags)),
        ("tag-names", metadata.tag_names().join(&options.sep_tags)),
        ("labels", metadata.label_lines().join(&options.sep_labels)),
        (
            "annotations",
            metadata
                .leveled_annotations(&options.annotation_levels)
                .join(&options.sep_annotations),
        ),
        (
            "json",
            metadata_json(metadata, &options.annotation_levels).to_string(),
        ),
    ];
    if let Some(bake) = bake {
        outputs.extend([
            ("bake-file-tags", path(&bake.tags)),
            ("bake-file-labels", path(&bake.labels)),
            ("bake-file-annotations", path(&bake.annotations)),
            ("bake-file", path(&bake.all)),
        ]);
    }
    outputs
}

/// The environment variable an output is also exported as: `DOCKER_METADATA_OUTPUT_` and
/// the name upper-cased with non-word characters as `_`.
pub fn env_name(output: &str) -> String {
    let name: String = output
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("DOCKER_METADATA_OUTPUT_{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outputs_set_are_the_declared_ones_in_order() {
        let context = crate::RunContext::new(
            "push",
            "refs/heads/main",
            "0123456789abcdef0123456789abcdef01234567",
            jiff::Timestamp::UNIX_EPOCH,
        );
        let metadata = crate::compute(&crate::Inputs::default(), &context).expect("computes");
        let options = OutputOptions {
            sep_tags: "\n".into(),
            sep_labels: "\n".into(),
            sep_annotations: "\n".into(),
            annotation_levels: vec!["manifest".into()],
            bake_target: "t".into(),
        };
        let bake = BakeFiles {
            tags: "t".into(),
            labels: "l".into(),
            annotations: "a".into(),
            all: "b".into(),
        };
        let set: Vec<&str> = outputs(&metadata, &options, Some(&bake))
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let declared: Vec<&str> = OUTPUTS.iter().map(|(name, _)| *name).collect();
        assert_eq!(set, declared);
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("tag-names"), "DOCKER_METADATA_OUTPUT_TAG_NAMES");
        assert_eq!(env_name("bake-file"), "DOCKER_METADATA_OUTPUT_BAKE_FILE");
        assert_eq!(env_name("json"), "DOCKER_METADATA_OUTPUT_JSON");
    }

    #[test]
    fn label_objects_cut_values_at_line_breaks() {
        let object = labels_object(&[("a".into(), "x\ny".into()), ("7".into(), "seven".into())]);
        assert_eq!(
            serde_json::to_string(&object).unwrap(),
            r#"{"7":"seven","a":"x"}"#
        );
    }
}
