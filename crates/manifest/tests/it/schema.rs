//! The JSON Schema for editors: as strict as the parser. (`cargo xtask generate --check`, run
//! by crates/e2e's tests, keeps docs/gantry.schema.json current.)

use serde_json::Value;

fn schema() -> Value {
    serde_json::from_str(&gantry_manifest::json_schema()).unwrap()
}

/// Every object schema in `value`, with its JSON pointer.
fn objects<'a>(value: &'a Value, pointer: String, found: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties") {
                found.push((pointer.clone(), value));
            }
            for (key, child) in map {
                objects(child, format!("{pointer}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                objects(child, format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn every_mapping_refuses_unknown_keys_and_uses_kebab_case() {
    let schema = schema();
    let mut found = Vec::new();
    objects(&schema, String::new(), &mut found);
    assert!(found.len() >= 8, "{found:?}");
    for (pointer, object) in found {
        assert_eq!(
            object["additionalProperties"],
            Value::Bool(false),
            "{pointer}"
        );
        for key in object["properties"].as_object().unwrap().keys() {
            assert!(
                key.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{pointer}: {key}"
            );
            assert!(
                object["properties"][key]["description"].is_string()
                    || object["properties"][key]["$ref"].is_string(),
                "{pointer}/{key} has no description"
            );
        }
    }
}

#[test]
fn the_schema_states_the_rules_the_parser_checks() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["required"], serde_json::json!(["version"]));
    assert_eq!(
        schema["properties"]["version"]["enum"],
        serde_json::json!([1])
    );

    let defs = &schema["$defs"];
    assert_eq!(defs["Service"]["required"], serde_json::json!(["context"]));
    assert_eq!(
        defs["Service"]["properties"]["dockerfile"]["default"],
        "Dockerfile"
    );
    assert_eq!(
        defs["Service"]["properties"]["build-args"]["additionalProperties"]["type"],
        "string"
    );
    let target = &defs["DokployTarget"];
    assert_eq!(
        target["oneOf"],
        serde_json::json!([{"required": ["application"]}, {"required": ["compose"]}])
    );
    assert_eq!(
        target["dependentRequired"],
        serde_json::json!({"tag-var": ["compose"]})
    );
    let age_from: Vec<&Value> = defs["AgeFrom"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["const"])
        .collect();
    assert_eq!(age_from, ["created", "updated"]);

    // Service and library names: the name rule, and nothing else.
    let services = &schema["properties"]["services"];
    assert_eq!(services["additionalProperties"], Value::Bool(false));
    assert!(
        services["patternProperties"]["^[a-z0-9][a-z0-9._-]*$"].is_object(),
        "{services}"
    );
}

#[test]
fn the_schema_states_the_environment_and_retention_rules() {
    let schema = schema();
    let defs = &schema["$defs"];
    assert_eq!(
        defs["ServiceDeploy"]["oneOf"],
        serde_json::json!([{"required": ["dokploy"]}, {"required": ["environments"]}])
    );
    assert_eq!(
        defs["ServiceDeploy"]["dependentRequired"],
        serde_json::json!({"health": ["dokploy"]})
    );
    assert_eq!(
        defs["Environment"]["required"],
        serde_json::json!(["dokploy"])
    );
    assert_eq!(
        defs["Environment"]["properties"]["dokploy"]["required"],
        serde_json::json!(["url"])
    );
    assert_eq!(
        defs["ServiceEnvironment"]["required"],
        serde_json::json!(["dokploy"])
    );
    let history = &defs["Deploy"]["properties"]["history"];
    assert_eq!(
        (&history["minimum"], &history["default"]),
        (&1.into(), &10.into())
    );
    for environments in [
        &defs["Deploy"]["properties"]["environments"],
        &defs["ServiceDeploy"]["properties"]["environments"],
    ] {
        assert_eq!(environments["additionalProperties"], Value::Bool(false));
        assert!(environments["patternProperties"]["^[a-z0-9][a-z0-9._-]*$"].is_object());
    }
    assert_eq!(
        defs["RetentionRule"]["required"],
        serde_json::json!(["tags"])
    );
    assert_eq!(
        defs["RetentionRule"]["anyOf"],
        serde_json::json!([{"required": ["keep"]}, {"required": ["older-than"]}])
    );
    assert_eq!(
        defs["Keep"]["oneOf"],
        serde_json::json!([{"type": "integer", "minimum": 0}, {"const": "all"}])
    );
}

/// The keys the parser allows in each mapping (from its unknown-key error) are exactly
/// the schema's properties there.
#[test]
fn the_schema_and_the_parser_know_the_same_keys() {
    let schema = schema();
    let defs = &schema["$defs"];
    let base = "version: 1\nregistry: r.io/a\n";
    let service = "services:\n  api:\n    context: a\n";
    for (text, object) in [
        (format!("{base}zz: 1\n"), &schema),
        (
            format!("{base}libraries:\n  l:\n    zz: 1\n"),
            &defs["Library"],
        ),
        (format!("{base}{service}    zz: 1\n"), &defs["Service"]),
        (
            format!("{base}{service}    deploy: {{zz: 1}}\n"),
            &defs["ServiceDeploy"],
        ),
        (
            format!("{base}{service}    deploy: {{dokploy: {{zz: 1}}}}\n"),
            &defs["DokployTarget"],
        ),
        (
            format!("{base}{service}    deploy: {{environments: {{s: {{zz: 1}}}}}}\n"),
            &defs["ServiceEnvironment"],
        ),
        (
            format!("{base}retention: {{rules: [{{zz: 1}}]}}\n"),
            &defs["RetentionRule"],
        ),
        (
            format!("{base}deploy: {{environments: {{s: {{zz: 1}}}}}}\n"),
            &defs["Environment"],
        ),
        (
            format!("{base}deploy: {{environments: {{s: {{dokploy: {{zz: 1}}}}}}}}\n"),
            &defs["Environment"]["properties"]["dokploy"],
        ),
        (format!("{base}retention: {{zz: 1}}\n"), &defs["Retention"]),
        (format!("{base}deploy: {{zz: 1}}\n"), &defs["Deploy"]),
        (
            format!("{base}deploy: {{dokploy: {{zz: 1}}}}\n"),
            &defs["DokployServer"],
        ),
    ] {
        let err = crate::support::parse_err(&text);
        let help = err.problems()[0].help.clone().unwrap();
        let allowed: Vec<&str> = help
            .split_once("keys allowed here: ")
            .unwrap()
            .1
            .split(", ")
            .collect();
        let properties: Vec<&str> = object["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(allowed, properties, "{text}");
    }
}
