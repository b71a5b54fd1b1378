//! Every configuration field, for unknown-field warnings and `MCP_LM_*` variables (the fields
//! of `backends` entries are listed in `config_backends.rs`).

/// How an environment variable's text becomes a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// Kept as a string.
    Text,
    /// A whole number.
    Number,
    /// A comma-separated list of strings.
    List,
    /// `true` / `false` (also `1` / `0`, `yes` / `no`).
    Bool,
}

/// The sections of the configuration.
pub(crate) const SECTIONS: [&str; 5] = ["lmstudio", "terminal", "server", "log", "files"];

/// `(section, field, kind)`; the empty section is the top level.
pub(crate) const KNOWN_FIELDS: &[(&str, &str, FieldKind)] = &[
    ("", "api_token", FieldKind::Text),
    ("", "default_backend", FieldKind::Text),
    ("lmstudio", "host", FieldKind::Text),
    ("lmstudio", "model", FieldKind::Text),
    ("lmstudio", "api_version", FieldKind::Text),
    ("lmstudio", "api_token", FieldKind::Text),
    ("lmstudio", "request_timeout", FieldKind::Number),
    ("terminal", "timeout", FieldKind::Number),
    ("terminal", "max_timeout", FieldKind::Number),
    ("terminal", "shell", FieldKind::Text),
    ("terminal", "cwd", FieldKind::Text),
    ("terminal", "max_output_bytes", FieldKind::Number),
    ("terminal", "max_sessions", FieldKind::Number),
    ("terminal", "max_concurrent", FieldKind::Number),
    ("terminal", "env_allow", FieldKind::List),
    ("terminal", "deny", FieldKind::List),
    ("server", "host", FieldKind::Text),
    ("server", "port", FieldKind::Number),
    ("server", "allowed_origins", FieldKind::List),
    ("server", "max_body_bytes", FieldKind::Number),
    ("log", "audit_path", FieldKind::Text),
    ("log", "max_bytes", FieldKind::Number),
    ("log", "keep", FieldKind::Number),
    ("files", "roots", FieldKind::List),
    ("files", "read_only", FieldKind::Bool),
    ("files", "deny", FieldKind::List),
    ("files", "max_file_bytes", FieldKind::Number),
];
