//! `oimdiag schema`: the JSON Schema of the report, generated from the report
//! model's types so it cannot drift from what `--format json` prints.
//! `docs/report.schema.json` is this output, committed.

use super::Report;
use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, Transform};
use schemars::Schema;

pub fn render() -> String {
    let schema = SchemaSettings::draft2020_12()
        .with_transform(EveryFieldRequired)
        .into_generator()
        .into_root_schema_for::<Report>();
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    s.push('\n');
    s
}

/// The report prints every field, `null` when there is no value, so a
/// consumer may rely on each key being present; schemars would otherwise
/// mark `Option` fields as optional.
#[derive(Clone)]
struct EveryFieldRequired;

impl Transform for EveryFieldRequired {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        let Some(props) = obj.get("properties").and_then(|p| p.as_object()) else {
            return;
        };
        let names: Vec<String> = props.keys().cloned().collect();
        let required = obj
            .entry("required")
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let Some(list) = required.as_array_mut() {
            for n in names {
                if !list.iter().any(|v| v.as_str() == Some(n.as_str())) {
                    list.push(n.into());
                }
            }
        }
    }
}
