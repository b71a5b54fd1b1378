//! Matching URIs against RFC 6570 templates (simple `{var}` expansion, as resource templates
//! use it): `test://template/{id}/data` matches `test://template/123/data` with `id = 123`.

use std::collections::HashMap;

/// A parsed template: literal pieces and variable names, alternating.
#[derive(Debug, Clone)]
pub(crate) struct UriTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// A variable; `reserved` (`{+var}`) may contain `/`.
    Variable {
        name: String,
        reserved: bool,
    },
}

impl UriTemplate {
    /// Parses a template. Returns `None` for an unclosed `{`.
    pub(crate) fn parse(template: &str) -> Option<Self> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let close = rest[open..].find('}')? + open;
            let expression = &rest[open + 1..close];
            let (reserved, name) = match expression.strip_prefix('+') {
                Some(name) => (true, name),
                None => (false, expression),
            };
            parts.push(Part::Variable {
                name: name.to_owned(),
                reserved,
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Some(Self { parts })
    }

    /// The variables of `uri` if it matches.
    pub(crate) fn matches(&self, uri: &str) -> Option<HashMap<String, String>> {
        let mut values = HashMap::new();
        let mut rest = uri;
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Literal(text) => rest = rest.strip_prefix(text.as_str())?,
                Part::Variable { name, reserved } => {
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || (!reserved && value.contains('/')) {
                        return None;
                    }
                    values.insert(name.clone(), value.to_owned());
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_extracted() {
        let template = UriTemplate::parse("test://template/{id}/data").unwrap();
        let values = template.matches("test://template/123/data").unwrap();
        assert_eq!(values["id"], "123");
        assert!(template.matches("test://template//data").is_none());
        assert!(template.matches("test://template/1/2/data").is_none());
        assert!(template.matches("test://other/1/data").is_none());
        assert!(template.matches("test://template/1/data/x").is_none());
    }

    #[test]
    fn reserved_variables_span_slashes() {
        let template = UriTemplate::parse("file:///{+path}").unwrap();
        assert_eq!(
            template.matches("file:///a/b.rs").unwrap()["path"],
            "a/b.rs"
        );
        assert!(UriTemplate::parse("x://{open").is_none());
    }
}
