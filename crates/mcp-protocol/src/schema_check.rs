//! Validation of tool arguments against the tool's input schema, before the handler runs.
//!
//! A deliberately small subset of JSON Schema (2020-12) that covers what tool schemas use:
//! `type` (string or list), `properties`, `required`, `additionalProperties` (bool or schema),
//! `items`, `enum`, `const`, `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`,
//! `minLength`/`maxLength`, `minItems`/`maxItems`, `anyOf`/`oneOf`/`allOf`, and local `$ref`s
//! into `$defs`/`definitions`. Unknown keywords are ignored (they never reject).

use serde_json::{Map, Value};

/// Maximum nesting followed through `$ref`s, against reference cycles.
const MAX_DEPTH: usize = 32;

/// Checks `value` against `schema`; returns one message per problem (empty when valid).
pub(crate) fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(schema, schema, value, "arguments", 0, &mut problems);
    problems
}

fn check(
    root: &Value,
    schema: &Value,
    value: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    let Value::Object(schema) = schema else {
        if schema == &Value::Bool(false) {
            out.push(format!("{path}: no value is allowed here"));
        }
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(Value::String(reference)) = schema.get("$ref")
        && let Some(target) = resolve(root, reference)
    {
        check(root, target, value, path, depth + 1, out);
    }
    if let Some(expected) = schema.get("type")
        && !type_matches(expected, value)
    {
        out.push(format!(
            "{path}: expected {}, got {}",
            describe(expected),
            kind(value)
        ));
        return;
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        out.push(format!(
            "{path}: must be one of {}",
            Value::Array(options.clone())
        ));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        out.push(format!("{path}: must be {constant}"));
    }
    match value {
        Value::Object(object) => check_object(root, schema, object, path, depth, out),
        Value::Array(items) => check_array(root, schema, items, path, depth, out),
        Value::String(text) => check_length(schema, text.chars().count(), "characters", path, out),
        Value::Number(number) => check_number(schema, number.as_f64().unwrap_or(0.0), path, out),
        _ => {}
    }
    check_combinators(root, schema, value, path, depth, out);
}

fn check_object(
    root: &Value,
    schema: &Map<String, Value>,
    object: &Map<String, Value>,
    path: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                out.push(format!("{path}: missing required property \"{name}\""));
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (name, item) in object {
        let item_path = format!("{path}.{name}");
        match properties.and_then(|p| p.get(name)) {
            Some(property) => check(root, property, item, &item_path, depth + 1, out),
            None => match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    out.push(format!("{path}: unknown property \"{name}\""));
                }
                Some(extra @ Value::Object(_)) => {
                    check(root, extra, item, &item_path, depth + 1, out);
                }
                _ => {}
            },
        }
    }
}

fn check_array(
    root: &Value,
    schema: &Map<String, Value>,
    items: &[Value],
    path: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    check_bound(
        schema,
        "minItems",
        "maxItems",
        items.len(),
        "items",
        path,
        out,
    );
    if let Some(item_schema @ Value::Object(_)) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            check(
                root,
                item_schema,
                item,
                &format!("{path}[{i}]"),
                depth + 1,
                out,
            );
        }
    }
}

fn check_length(
    schema: &Map<String, Value>,
    length: usize,
    unit: &str,
    path: &str,
    out: &mut Vec<String>,
) {
    check_bound(schema, "minLength", "maxLength", length, unit, path, out);
}

fn check_bound(
    schema: &Map<String, Value>,
    min: &str,
    max: &str,
    count: usize,
    unit: &str,
    path: &str,
    out: &mut Vec<String>,
) {
    let count = count as u64;
    if let Some(min) = schema.get(min).and_then(Value::as_u64)
        && count < min
    {
        out.push(format!("{path}: needs at least {min} {unit}, has {count}"));
    }
    if let Some(max) = schema.get(max).and_then(Value::as_u64)
        && count > max
    {
        out.push(format!("{path}: allows at most {max} {unit}, has {count}"));
    }
}

fn check_number(schema: &Map<String, Value>, number: f64, path: &str, out: &mut Vec<String>) {
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(min) = bound("minimum")
        && number < min
    {
        out.push(format!("{path}: must be >= {min}"));
    }
    if let Some(max) = bound("maximum")
        && number > max
    {
        out.push(format!("{path}: must be <= {max}"));
    }
    if let Some(min) = bound("exclusiveMinimum")
        && number <= min
    {
        out.push(format!("{path}: must be > {min}"));
    }
    if let Some(max) = bound("exclusiveMaximum")
        && number >= max
    {
        out.push(format!("{path}: must be < {max}"));
    }
}

fn check_combinators(
    root: &Value,
    schema: &Map<String, Value>,
    value: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    let passes = |sub: &Value| {
        let mut scratch = Vec::new();
        check(root, sub, value, path, depth + 1, &mut scratch);
        scratch.is_empty()
    };
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for sub in all {
            check(root, sub, value, path, depth + 1, out);
        }
    }
    if let Some(Value::Array(any)) = schema.get("anyOf")
        && !any.iter().any(passes)
    {
        out.push(format!(
            "{path}: matches none of the allowed shapes (anyOf)"
        ));
    }
    if let Some(Value::Array(one)) = schema.get("oneOf") {
        let matching = one.iter().filter(|sub| passes(sub)).count();
        if matching != 1 {
            out.push(format!(
                "{path}: must match exactly one shape (oneOf), matches {matching}"
            ));
        }
    }
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

fn type_matches(expected: &Value, value: &Value) -> bool {
    match expected {
        Value::String(name) => is_type(name, value),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|name| is_type(name, value)),
        _ => true,
    }
}

fn is_type(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.as_i64().is_some()
                || value.as_u64().is_some()
                || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

fn describe(expected: &Value) -> String {
    match expected {
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        Value::String(name) => name.clone(),
        other => other.to_string(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::validate;

    #[test]
    fn valid_arguments_pass() {
        let schema = json!({"type":"object","properties":{"city":{"type":"string","minLength":1},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["city"],"additionalProperties":false});
        assert!(validate(&schema, &json!({"city":"Paris","days":3})).is_empty());
        assert!(validate(&schema, &json!({"city":"Paris"})).is_empty());
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let schema = json!({"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","maximum":7},"unit":{"enum":["C","F"]}},"required":["city"],"additionalProperties":false});
        let problems = validate(&schema, &json!({"days":9.5,"unit":"K","extra":1}));
        let text = problems.join("\n");
        assert!(
            text.contains("missing required property \"city\""),
            "{text}"
        );
        assert!(text.contains("arguments.days: expected integer"), "{text}");
        assert!(text.contains("arguments.unit: must be one of"), "{text}");
        assert!(text.contains("unknown property \"extra\""), "{text}");
    }

    #[test]
    fn refs_combinators_and_arrays() {
        let schema = json!({
            "type":"object",
            "$defs":{"tag":{"type":"string","maxLength":3}},
            "properties":{
                "tags":{"type":"array","items":{"$ref":"#/$defs/tag"},"maxItems":2},
                "id":{"anyOf":[{"type":"integer"},{"type":"string"}]},
                "mode":{"oneOf":[{"const":"a"},{"const":"b"}]}
            }
        });
        assert!(validate(&schema, &json!({"tags":["ab"],"id":"x","mode":"a"})).is_empty());
        let problems = validate(
            &schema,
            &json!({"tags":["abcd","a","b"],"id":true,"mode":"c"}),
        );
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    #[test]
    fn reference_cycles_terminate() {
        let schema = json!({"$defs":{"loop":{"$ref":"#/$defs/loop"}},"$ref":"#/$defs/loop"});
        assert!(validate(&schema, &json!(1)).is_empty());
    }
}
