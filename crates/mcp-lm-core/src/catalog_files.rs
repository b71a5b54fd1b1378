//! The file tools (`fs_read`, `fs_write`, `fs_edit`, `fs_list`, `fs_search`, `fs_stat`,
//! `fs_mkdir`, `fs_move`, `fs_delete`), confined to the roots of the `files` config section
//! (see [`crate::files_ops`] and [`crate::files_policy`]).

use mcp_protocol::{RequestContext, ServerBuilder, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::catalog_support::{annotations, bind, output_schema};
use crate::{ServiceError, Services};

fn hints(title: &str, read_only: bool, destructive: bool, idempotent: bool) -> ToolAnnotations {
    let mut hints = annotations(title, read_only, destructive, false);
    hints.idempotent_hint = Some(idempotent);
    hints
}

#[allow(clippy::needless_pass_by_value)] // built inline by every caller
fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

fn path_prop() -> Value {
    json!({"type": "string", "minLength": 1,
           "description": "Path relative to the first allowed root, or absolute inside a root"})
}

fn hash_prop() -> Value {
    json!({"type": "string",
           "description": "sha256 (hex) the file must have now, as fs_read/fs_stat gave it; \"\" or \"absent\": the file must not exist. Refused with hash_mismatch otherwise"})
}

/// Adds the file tools to `builder`.
#[allow(clippy::too_many_lines)] // one definition per tool
pub(crate) fn register(builder: ServerBuilder, services: &Services) -> ServerBuilder {
    let defs: [(&str, &str, &str, Value, Value, ToolAnnotations); 9] = [
        (
            "fs_read",
            "Read a file",
            "Read a file inside the allowed roots: a range of lines (default) or bytes \
             (offset/limit), text as UTF-8 or binary as base64 with a MIME type. At most \
             max_bytes (default 262144) are returned; a longer file says \"truncated, N bytes \
             more\" and next_offset continues. sha256 is given when the whole file was read.",
            object(
                json!({
                    "path": path_prop(),
                    "offset": {"type": "integer", "minimum": 0, "description": "First line (0-based) or byte, per unit"},
                    "limit": {"type": "integer", "minimum": 1, "description": "Most lines or bytes, per unit"},
                    "unit": {"type": "string", "enum": ["lines", "bytes"], "description": "Unit of offset and limit (default lines)"},
                    "max_bytes": {"type": "integer", "minimum": 1, "description": "Most bytes returned (default 262144, at most files.max_file_bytes)"}
                }),
                &["path"],
            ),
            output_schema(json!({
                "path": {"type": "string"},
                "size": {"type": "integer"},
                "mime": {"type": "string"},
                "encoding": {"type": "string", "enum": ["utf-8", "base64"]},
                "content": {"type": "string"},
                "offset": {"type": "integer"},
                "next_offset": {"type": "integer", "description": "offset of what follows, in unit"},
                "remaining_bytes": {"type": "integer"},
                "truncated": {"type": "boolean"},
                "notice": {"type": "string", "description": "\"truncated, N bytes more\" when cut"},
                "sha256": {"type": "string"}
            })),
            hints("Read a file", true, false, true),
        ),
        (
            "fs_write",
            "Write a file",
            "Write a file atomically (temp file + rename): mode overwrite (default), create \
             (fails if it exists) or append. Pass expected_sha256 to refuse the write when the \
             file changed since you read it. Content is UTF-8 text or base64 (encoding).",
            object(
                json!({
                    "path": path_prop(),
                    "content": {"type": "string", "description": "New content (or what to append)"},
                    "encoding": {"type": "string", "enum": ["utf-8", "base64"], "description": "Encoding of content (default utf-8)"},
                    "mode": {"type": "string", "enum": ["overwrite", "create", "append"]},
                    "expected_sha256": hash_prop(),
                    "create_dirs": {"type": "boolean", "description": "Create missing parent directories"}
                }),
                &["path", "content"],
            ),
            output_schema(json!({
                "path": {"type": "string"},
                "bytes": {"type": "integer"},
                "created": {"type": "boolean"},
                "sha256_before": {"type": ["string", "null"]},
                "sha256": {"type": "string"}
            })),
            hints("Write a file", false, true, false),
        ),
        (
            "fs_edit",
            "Edit a file",
            "Replace an exact string in a text file; it must occur exactly expected_occurrences \
             times (default 1) unless replace_all. Fails with edit_no_match / edit_ambiguous \
             otherwise. Returns a unified diff and the new sha256.",
            object(
                json!({
                    "path": path_prop(),
                    "old_string": {"type": "string", "minLength": 1, "description": "Exact text to replace"},
                    "new_string": {"type": "string", "description": "Replacement"},
                    "expected_occurrences": {"type": "integer", "minimum": 1, "description": "How many times old_string must occur (default 1)"},
                    "replace_all": {"type": "boolean", "description": "Replace every occurrence, however many"},
                    "expected_sha256": hash_prop()
                }),
                &["path", "old_string", "new_string"],
            ),
            output_schema(json!({
                "path": {"type": "string"},
                "replacements": {"type": "integer"},
                "diff": {"type": "string", "description": "Unified diff"},
                "sha256_before": {"type": "string"},
                "sha256": {"type": "string"}
            })),
            hints("Edit a file", false, true, false),
        ),
        (
            "fs_list",
            "List a directory",
            "List a directory inside the allowed roots, depth levels down (default 1), with \
             type, size and mtime; glob filters the relative paths, hidden includes dot files, \
             gitignore skips what .gitignore/.ignore exclude.",
            object(
                json!({
                    "path": {"type": "string", "description": "Directory (default: the first root)"},
                    "depth": {"type": "integer", "minimum": 1, "maximum": 64},
                    "glob": {"type": "string", "description": "e.g. **/*.rs"},
                    "hidden": {"type": "boolean"},
                    "gitignore": {"type": "boolean"},
                    "max_entries": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "default 1000"}
                }),
                &[],
            ),
            output_schema(json!({
                "path": {"type": "string"},
                "entries": {"type": "array", "items": {"type": "object"}},
                "count": {"type": "integer"},
                "truncated": {"type": "boolean"}
            })),
            hints("List a directory", true, false, true),
        ),
        (
            "fs_search",
            "Search files",
            "Search a tree for a regular expression (or literal text) line by line, \
             gitignore-aware by default, skipping binary and denied files; returns path, line \
             number, text and context lines, at most max_results (default 200).",
            object(
                json!({
                    "pattern": {"type": "string", "minLength": 1},
                    "path": {"type": "string", "description": "Directory or file (default: the first root)"},
                    "literal": {"type": "boolean", "description": "pattern is plain text, not a regex"},
                    "case_insensitive": {"type": "boolean"},
                    "glob": {"type": "string", "description": "Only paths matching, e.g. **/*.rs"},
                    "hidden": {"type": "boolean"},
                    "gitignore": {"type": "boolean", "description": "Honour .gitignore (default true)"},
                    "context": {"type": "integer", "minimum": 0, "maximum": 10},
                    "max_results": {"type": "integer", "minimum": 1, "maximum": 5000}
                }),
                &["pattern"],
            ),
            output_schema(json!({
                "matches": {"type": "array", "items": {"type": "object"}},
                "count": {"type": "integer"},
                "files_searched": {"type": "integer"},
                "truncated": {"type": "boolean"}
            })),
            hints("Search files", true, false, true),
        ),
        (
            "fs_stat",
            "File information",
            "Whether a path exists, its type, size, mtime, mode, MIME type and sha256.",
            object(json!({"path": path_prop()}), &["path"]),
            output_schema(json!({
                "path": {"type": "string"},
                "exists": {"type": "boolean"},
                "type": {"type": "string"},
                "size": {"type": "integer"},
                "mtime": {"type": ["integer", "null"]},
                "sha256": {"type": ["string", "null"]}
            })),
            hints("File information", true, false, true),
        ),
        (
            "fs_mkdir",
            "Create a directory",
            "Create a directory (with its parents unless parents is false); existing is fine.",
            object(
                json!({"path": path_prop(), "parents": {"type": "boolean"}}),
                &["path"],
            ),
            output_schema(json!({
                "path": {"type": "string"},
                "created": {"type": "boolean"}
            })),
            hints("Create a directory", false, false, true),
        ),
        (
            "fs_move",
            "Move a file",
            "Move or rename a file or directory inside the roots; an existing target is \
             replaced only with overwrite.",
            object(
                json!({
                    "from": path_prop(),
                    "to": path_prop(),
                    "overwrite": {"type": "boolean"}
                }),
                &["from", "to"],
            ),
            output_schema(json!({
                "from": {"type": "string"},
                "to": {"type": "string"},
                "replaced": {"type": "boolean"}
            })),
            hints("Move a file", false, true, false),
        ),
        (
            "fs_delete",
            "Delete a file",
            "Delete a file (a directory only with recursive), never a root nor anything \
             outside the roots.",
            object(
                json!({
                    "path": path_prop(),
                    "recursive": {"type": "boolean"},
                    "expected_sha256": hash_prop()
                }),
                &["path"],
            ),
            output_schema(json!({
                "path": {"type": "string"},
                "deleted": {"type": "boolean"},
                "sha256_before": {"type": ["string", "null"]}
            })),
            hints("Delete a file", false, true, true),
        ),
    ];
    let mut builder = builder;
    for (name, title, description, input, output, hints) in defs {
        builder = builder.tool(
            Tool::new(name, description)
                .title(title)
                .input_schema(input)
                .output_schema(output)
                .annotations(hints),
            bind(services, move |services, args, cx| {
                call(services, name, args, cx)
            }),
        );
    }
    builder
}

async fn call(
    services: Services,
    tool: &'static str,
    args: Value,
    _cx: RequestContext,
) -> Result<Value, ServiceError> {
    crate::files_ops::file_tool(&services, tool, args, "mcp").await
}
