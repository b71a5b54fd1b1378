//! The file operations behind the `fs_*` tools and the `/fs` REST routes: read (line or byte
//! ranges, text or base64), atomic write (temp file + rename, optional expected sha256), exact
//! string edit with a unified diff, list, stat, mkdir, move, delete. Every write is audited
//! with the file's sha256 before and after.

use std::fs;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::files_policy::{FilesPolicy, io_error};
use crate::service_error::parse_args;
use crate::{ServiceError, Services};

/// Serialises check-then-write sequences so that the expected-hash check holds between writers
/// of this process.
static WRITE_LOCK: Mutex<()> = Mutex::new(());

/// Makes temp file names unique within the process.
static TEMP_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Default `max_bytes` of `fs_read`.
pub(crate) const DEFAULT_READ_BYTES: u64 = 256 * 1024;

/// Runs the file tool `tool` (`fs_read`, `fs_write`, …) with its JSON arguments, as the MCP
/// tools and the REST routes do; `caller` is recorded in the audit log (`mcp`, `rest`, …).
///
/// # Errors
/// A [`ServiceError`] with a stable code: `path_outside_roots`, `path_denied`, `read_only`,
/// `not_found`, `too_large`, `edit_no_match`, `edit_ambiguous`, `hash_mismatch`, `exists`,
/// `invalid_request`, …
pub async fn file_tool(
    services: &Services,
    tool: &str,
    args: Value,
    caller: &str,
) -> Result<Value, ServiceError> {
    let policy = FilesPolicy::new(&services.config)?;
    let tool = tool.to_owned();
    let caller = caller.to_owned();
    let audit = services.audit.clone();
    tokio::task::spawn_blocking(move || {
        let outcome = match tool.as_str() {
            "fs_read" => read(&policy, args),
            "fs_write" => write(&policy, args),
            "fs_edit" => edit(&policy, args),
            "fs_list" => list(&policy, args),
            "fs_search" => crate::files_search::search(&policy, args),
            "fs_stat" => stat(&policy, args),
            "fs_mkdir" => mkdir(&policy, args),
            "fs_move" => move_path(&policy, args),
            "fs_delete" => delete(&policy, args),
            _ => Err(ServiceError::bad_request(format!(
                "unknown file tool {tool}"
            ))),
        };
        match outcome {
            Ok((value, Some(mut record))) => {
                if let Value::Object(fields) = &mut record {
                    fields.insert("caller".into(), Value::String(caller));
                    fields.insert("tool".into(), Value::String(tool));
                }
                audit.record("file", record);
                Ok(value)
            }
            Ok((value, None)) => Ok(value),
            Err(error) => {
                if !matches!(
                    tool.as_str(),
                    "fs_read" | "fs_list" | "fs_search" | "fs_stat"
                ) {
                    audit.record(
                        "file",
                        json!({"caller": caller, "tool": tool, "error": error.code}),
                    );
                }
                Err(error)
            }
        }
    })
    .await
    .map_err(|e| ServiceError::new(500, "internal_error", e.to_string()))?
}

/// A result and, for writes, the audit record.
type Outcome = Result<(Value, Option<Value>), ServiceError>;

fn ok(value: Value) -> Outcome {
    Ok((with_success(value), None))
}

fn with_success(value: Value) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("success".into(), Value::Bool(true));
    if let Value::Object(fields) = value {
        object.extend(fields);
    }
    Value::Object(object)
}

/// Lower-case hex sha256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut text = String::with_capacity(64);
    for byte in digest {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// sha256 of the file at `path` when it exists, is a file and is at most `max` bytes.
fn file_hash(path: &Path, max: u64) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > max {
        return None;
    }
    let mut hasher = Sha256::new();
    let mut file = fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let mut text = String::with_capacity(64);
    for byte in hasher.finalize() {
        text.push_str(&format!("{byte:02x}"));
    }
    Some(text)
}

fn mtime(meta: &fs::Metadata) -> Option<u64> {
    meta.modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

fn kind(meta: &fs::Metadata) -> &'static str {
    let file_type = meta.file_type();
    if file_type.is_symlink() {
        "symlink"
    } else if file_type.is_dir() {
        "dir"
    } else if file_type.is_file() {
        "file"
    } else {
        "other"
    }
}

fn too_large(what: &str, size: u64, max: u64) -> ServiceError {
    ServiceError::new(
        413,
        "too_large",
        format!("{what} is {size} bytes, more than files.max_file_bytes ({max})"),
    )
    .hint("the limit is set in the server's config (files.max_file_bytes)")
}

/// A MIME type from the extension, then from magic bytes.
pub(crate) fn guess_mime(path: &Path, head: &[u8], text: bool) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let by_ext = match ext.as_str() {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        "svg" => Some("image/svg+xml"),
        "pdf" => Some("application/pdf"),
        "zip" => Some("application/zip"),
        "gz" | "tgz" => Some("application/gzip"),
        "tar" => Some("application/x-tar"),
        "wasm" => Some("application/wasm"),
        "json" => Some("application/json"),
        "html" | "htm" => Some("text/html"),
        "css" => Some("text/css"),
        "js" | "mjs" => Some("text/javascript"),
        "md" => Some("text/markdown"),
        "csv" => Some("text/csv"),
        "xml" => Some("application/xml"),
        "toml" => Some("application/toml"),
        "yaml" | "yml" => Some("application/yaml"),
        _ => None,
    };
    if let Some(mime) = by_ext {
        return mime;
    }
    let magic: &[(&[u8], &str)] = &[
        (b"\x89PNG", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"%PDF", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
        (b"\x7fELF", "application/x-executable"),
        (b"\0asm", "application/wasm"),
    ];
    for (prefix, mime) in magic {
        if head.starts_with(prefix) {
            return mime;
        }
    }
    if text {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// Whether `bytes` look like text: no NUL and valid UTF-8 (but for a character cut at the end).
fn is_text(bytes: &[u8], cut_at_end: bool) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => cut_at_end && e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    path: String,
    #[serde(default)]
    offset: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    max_bytes: Option<u64>,
}

fn read(policy: &FilesPolicy, args: Value) -> Outcome {
    let args: ReadArgs = parse_args(args)?;
    let path = policy.resolve(&args.path)?;
    let meta = fs::metadata(&path).map_err(|e| io_error(&e, Path::new(&args.path)))?;
    if meta.is_dir() {
        return Err(ServiceError::new(
            400,
            "is_directory",
            format!("{} is a directory", args.path),
        )
        .hint("use fs_list for directories"));
    }
    let size = meta.len();
    let cap = args
        .max_bytes
        .unwrap_or(DEFAULT_READ_BYTES)
        .clamp(1, policy.max_file_bytes);
    let unit = args.unit.as_deref().unwrap_or("lines");
    let offset = args.offset.unwrap_or(0);
    let mut file = fs::File::open(&path).map_err(|e| io_error(&e, Path::new(&args.path)))?;
    let io = |e: std::io::Error| io_error(&e, Path::new(&args.path));
    // (bytes, byte position of the first byte, byte position after the last, next offset)
    let (bytes, start, end, next) = match unit {
        "bytes" => {
            let start = offset.min(size);
            file.seek(SeekFrom::Start(start)).map_err(io)?;
            let want = args.limit.map_or(cap, |l| l.min(cap));
            let mut bytes = Vec::new();
            (&mut file).take(want).read_to_end(&mut bytes).map_err(io)?;
            let end = start + bytes.len() as u64;
            (bytes, start, end, end)
        }
        "lines" => {
            let mut reader = BufReader::with_capacity(64 * 1024, file);
            let mut position = 0u64;
            let mut line = Vec::new();
            let mut skipped = 0u64;
            while skipped < offset {
                line.clear();
                let n = reader.read_until(b'\n', &mut line).map_err(io)?;
                if n == 0 {
                    break;
                }
                position += n as u64;
                skipped += 1;
            }
            let start = position;
            let mut bytes = Vec::new();
            let mut lines = 0u64;
            while args.limit.is_none_or(|l| lines < l) && (bytes.len() as u64) < cap {
                line.clear();
                let room = cap - bytes.len() as u64;
                let n = (&mut reader)
                    .take(room)
                    .read_until(b'\n', &mut line)
                    .map_err(io)?;
                if n == 0 {
                    break;
                }
                bytes.extend_from_slice(&line);
                if line.ends_with(b"\n") || bytes.len() as u64 >= size - start {
                    lines += 1;
                }
            }
            let end = start + bytes.len() as u64;
            (bytes, start, end, offset + lines)
        }
        other => {
            return Err(ServiceError::bad_request(format!(
                "unit must be \"lines\" or \"bytes\", got {other:?}"
            )));
        }
    };
    let remaining = size.saturating_sub(end);
    let capped = remaining > 0 && bytes.len() as u64 >= cap;
    let text = is_text(&bytes, remaining > 0);
    let mime = guess_mime(&path, &bytes[..bytes.len().min(16)], text);
    let (encoding, content) = if text {
        let valid = match std::str::from_utf8(&bytes) {
            Ok(text) => text.to_owned(),
            Err(e) => String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned(),
        };
        ("utf-8", valid)
    } else {
        ("base64", STANDARD.encode(&bytes))
    };
    let whole = start == 0 && remaining == 0;
    let mut value = json!({
        "path": policy.display(&path),
        "size": size,
        "mime": mime,
        "encoding": encoding,
        "content": content,
        "unit": unit,
        "offset": offset,
        "next_offset": next,
        "bytes": bytes.len(),
        "remaining_bytes": remaining,
        "truncated": capped,
    });
    if capped {
        value["notice"] = json!(format!("truncated, {remaining} bytes more"));
    }
    if whole {
        value["sha256"] = json!(sha256_hex(&bytes));
    }
    ok(value)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteArgs {
    path: String,
    content: String,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    expected_sha256: Option<String>,
    #[serde(default)]
    create_dirs: bool,
}

fn decode(content: String, encoding: Option<&str>) -> Result<Vec<u8>, ServiceError> {
    match encoding.unwrap_or("utf-8") {
        "utf-8" | "utf8" | "text" => Ok(content.into_bytes()),
        "base64" => STANDARD
            .decode(content.trim())
            .map_err(|e| ServiceError::bad_request(format!("content is not valid base64: {e}"))),
        other => Err(ServiceError::bad_request(format!(
            "encoding must be \"utf-8\" or \"base64\", got {other:?}"
        ))),
    }
}

/// Writes `bytes` to `path` atomically: a temp file in the same directory, synced, then
/// renamed over the target (keeping the target's permissions).
fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = format!(
        "{}.{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let temp = dir.join(format!(".{name}.{suffix}.tmp"));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&temp, meta.permissions())?;
        }
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn check_expected(
    expected: Option<&str>,
    before: Option<&str>,
    shown: &str,
) -> Result<(), ServiceError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let expected = expected.trim().to_ascii_lowercase();
    let matches = if expected.is_empty() || expected == "absent" {
        before.is_none()
    } else {
        before == Some(expected.as_str())
    };
    if matches {
        return Ok(());
    }
    Err(ServiceError::new(
        409,
        "hash_mismatch",
        format!(
            "{shown} changed: its sha256 is {}, not the expected {expected}",
            before.unwrap_or("(absent)")
        ),
    )
    .hint("read the file again (fs_read or fs_stat give its sha256) and redo the change"))
}

fn write(policy: &FilesPolicy, args: Value) -> Outcome {
    let args: WriteArgs = parse_args(args)?;
    policy.check_writable()?;
    let path = policy.resolve(&args.path)?;
    let mode = args.mode.clone().unwrap_or_else(|| "overwrite".into());
    if !matches!(mode.as_str(), "overwrite" | "create" | "append") {
        return Err(ServiceError::bad_request(format!(
            "mode must be overwrite, create or append, got {mode:?}"
        )));
    }
    let bytes = decode(args.content, args.encoding.as_deref())?;
    if path.is_dir() {
        return Err(ServiceError::new(
            400,
            "is_directory",
            format!("{} is a directory", args.path),
        ));
    }
    if let Some(parent) = path.parent().filter(|p| !p.exists()) {
        if args.create_dirs {
            fs::create_dir_all(parent).map_err(|e| io_error(&e, parent))?;
        } else {
            return Err(ServiceError::new(
                404,
                "not_found",
                format!("the directory of {} does not exist", args.path),
            )
            .hint("pass create_dirs: true, or create it with fs_mkdir"));
        }
    }
    let _guard = WRITE_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let existing = fs::metadata(&path).ok();
    if let Some(meta) = existing
        .as_ref()
        .filter(|m| mode != "overwrite" && m.len() > policy.max_file_bytes)
    {
        return Err(too_large(&args.path, meta.len(), policy.max_file_bytes));
    }
    let before = file_hash(&path, u64::MAX);
    check_expected(
        args.expected_sha256.as_deref(),
        before.as_deref(),
        &args.path,
    )?;
    if mode == "create" && existing.is_some() {
        return Err(
            ServiceError::new(409, "exists", format!("{} already exists", args.path))
                .hint("use mode overwrite (with expected_sha256) or append"),
        );
    }
    let data = if mode == "append" && existing.is_some() {
        let mut old = fs::read(&path).map_err(|e| io_error(&e, &path))?;
        old.extend_from_slice(&bytes);
        old
    } else {
        bytes
    };
    let size = data.len() as u64;
    if size > policy.max_file_bytes {
        return Err(too_large("the new content", size, policy.max_file_bytes));
    }
    atomic_write(&path, &data).map_err(|e| io_error(&e, &path))?;
    let after = sha256_hex(&data);
    let shown = policy.display(&path);
    let record = json!({"op": "write", "mode": mode, "path": path, "bytes": size,
                        "sha256_before": before, "sha256_after": after});
    Ok((
        with_success(json!({
            "path": shown, "mode": mode, "bytes": size, "created": existing.is_none(),
            "sha256_before": before, "sha256": after
        })),
        Some(record),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditArgs {
    path: String,
    old_string: String,
    new_string: String,
    #[serde(default)]
    expected_occurrences: Option<usize>,
    #[serde(default)]
    replace_all: bool,
    #[serde(default)]
    expected_sha256: Option<String>,
}

fn edit(policy: &FilesPolicy, args: Value) -> Outcome {
    let args: EditArgs = parse_args(args)?;
    policy.check_writable()?;
    if args.old_string.is_empty() {
        return Err(ServiceError::bad_request("old_string is empty")
            .hint("give the exact text to replace, with enough context to be unique"));
    }
    let path = policy.resolve(&args.path)?;
    let _guard = WRITE_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let meta = fs::metadata(&path).map_err(|e| io_error(&e, Path::new(&args.path)))?;
    if !meta.is_file() {
        return Err(ServiceError::new(
            400,
            "not_a_file",
            format!("{} is not a regular file", args.path),
        ));
    }
    if meta.len() > policy.max_file_bytes {
        return Err(too_large(&args.path, meta.len(), policy.max_file_bytes));
    }
    let bytes = fs::read(&path).map_err(|e| io_error(&e, &path))?;
    let before = sha256_hex(&bytes);
    check_expected(args.expected_sha256.as_deref(), Some(&before), &args.path)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        ServiceError::new(400, "not_text", format!("{} is not UTF-8 text", args.path))
            .hint("use fs_write with base64 content for binary files")
    })?;
    let count = text.matches(&args.old_string).count();
    if count == 0 {
        return Err(ServiceError::new(
            409,
            "edit_no_match",
            format!("old_string was not found in {}", args.path),
        )
        .hint("copy the text exactly as fs_read shows it, whitespace and line breaks included"));
    }
    let expected = args.expected_occurrences.unwrap_or(1);
    if !args.replace_all && count != expected {
        return Err(ServiceError::new(
            409,
            "edit_ambiguous",
            format!(
                "old_string occurs {count} times in {}, expected {expected}",
                args.path
            ),
        )
        .hint("add surrounding lines to make it unique, or pass replace_all: true (or expected_occurrences)"));
    }
    let new_text = text.replace(&args.old_string, &args.new_string);
    if new_text.len() as u64 > policy.max_file_bytes {
        return Err(too_large(
            "the edited file",
            new_text.len() as u64,
            policy.max_file_bytes,
        ));
    }
    atomic_write(&path, new_text.as_bytes()).map_err(|e| io_error(&e, &path))?;
    let after = sha256_hex(new_text.as_bytes());
    let shown = policy.display(&path);
    let diff = unified_diff(&shown, &text, &new_text);
    let record = json!({"op": "edit", "path": path, "replacements": count,
                        "sha256_before": before, "sha256_after": after});
    Ok((
        with_success(json!({
            "path": shown, "replacements": count, "diff": diff,
            "sha256_before": before, "sha256": after
        })),
        Some(record),
    ))
}

/// A unified diff of `old` and `new` with one hunk spanning the changed lines (3 lines of
/// context), enough for an exact-string edit.
pub(crate) fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    if prefix == a.len() && prefix == b.len() {
        return String::new();
    }
    let start = prefix.saturating_sub(3);
    let a_end = (a.len() - suffix + 3).min(a.len());
    let b_end = (b.len() - suffix + 3).min(b.len());
    let mut out = format!(
        "--- a/{name}\n+++ b/{name}\n@@ -{},{} +{},{} @@\n",
        start + 1,
        a_end - start,
        start + 1,
        b_end - start
    );
    let line = |out: &mut String, mark: char, text: &str| {
        out.push(mark);
        out.push_str(text);
        if !text.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    };
    for text in &a[start..prefix] {
        line(&mut out, ' ', text);
    }
    for text in &a[prefix..a.len() - suffix] {
        line(&mut out, '-', text);
    }
    for text in &b[prefix..b.len() - suffix] {
        line(&mut out, '+', text);
    }
    for text in &a[a.len() - suffix..a_end] {
        line(&mut out, ' ', text);
    }
    out
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    depth: Option<usize>,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    gitignore: bool,
    #[serde(default)]
    max_entries: Option<usize>,
}

/// Most entries `fs_list` returns.
const MAX_LIST_ENTRIES: usize = 10_000;

fn list(policy: &FilesPolicy, args: Value) -> Outcome {
    let args: ListArgs = parse_args(args)?;
    let raw = args.path.as_deref().unwrap_or(".");
    let dir = policy.resolve(raw)?;
    let meta = fs::metadata(&dir).map_err(|e| io_error(&e, Path::new(raw)))?;
    if !meta.is_dir() {
        return Err(
            ServiceError::new(400, "not_a_directory", format!("{raw} is not a directory"))
                .hint("use fs_stat or fs_read for files"),
        );
    }
    let depth = args.depth.unwrap_or(1).clamp(1, 64);
    let cap = args.max_entries.unwrap_or(1000).clamp(1, MAX_LIST_ENTRIES);
    let glob = args
        .glob
        .as_deref()
        .map(|g| {
            globset::Glob::new(g)
                .map(|g| g.compile_matcher())
                .map_err(|e| ServiceError::bad_request(format!("bad glob {g:?}: {e}")))
        })
        .transpose()?;
    let walker = ignore::WalkBuilder::new(&dir)
        .max_depth(Some(depth))
        .hidden(!args.hidden)
        .git_ignore(args.gitignore)
        .git_exclude(args.gitignore)
        .git_global(false)
        .ignore(args.gitignore)
        .parents(args.gitignore)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(std::cmp::Ord::cmp)
        .build();
    let mut entries = Vec::new();
    let mut truncated = false;
    for entry in walker {
        let Ok(entry) = entry else { continue };
        if entry.depth() == 0 {
            continue;
        }
        let full = entry.path();
        if policy.is_denied_entry(full, entry.file_type().is_some_and(|t| t.is_dir())) {
            continue;
        }
        let rel = full.strip_prefix(&dir).unwrap_or(full);
        if glob.as_ref().is_some_and(|glob| !glob.is_match(rel)) {
            continue;
        }
        if entries.len() >= cap {
            truncated = true;
            break;
        }
        let Ok(meta) = fs::symlink_metadata(full) else {
            continue;
        };
        entries.push(json!({
            "path": rel.to_string_lossy(),
            "type": kind(&meta),
            "size": meta.len(),
            "mtime": mtime(&meta),
        }));
    }
    ok(json!({
        "path": policy.display(&dir),
        "entries": entries,
        "count": entries.len(),
        "truncated": truncated,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathArgs {
    path: String,
}

fn stat(policy: &FilesPolicy, args: Value) -> Outcome {
    let args: PathArgs = parse_args(args)?;
    let path = policy.resolve(&args.path)?;
    let joined = policy.base().join(&args.path);
    let Ok(meta) = fs::metadata(&path) else {
        return ok(json!({"path": policy.display(&path), "exists": false}));
    };
    let link = fs::symlink_metadata(&joined)
        .ok()
        .filter(|m| m.file_type().is_symlink());
    let mut value = json!({
        "path": policy.display(&path),
        "exists": true,
        "type": kind(&meta),
        "size": meta.len(),
        "mtime": mtime(&meta),
        "readonly": meta.permissions().readonly(),
        "symlink": link.is_some(),
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        value["mode"] = json!(format!("{:o}", meta.permissions().mode() & 0o7777));
    }
    if link.is_some() {
        value["target"] = json!(policy.display(&path));
    }
    if meta.is_file() {
        value["sha256"] = json!(file_hash(&path, policy.max_file_bytes));
        let mut head = Vec::new();
        if let Ok(file) = fs::File::open(&path) {
            let _ = file.take(8192).read_to_end(&mut head);
        }
        let text = is_text(&head, meta.len() > head.len() as u64);
        value["mime"] = json!(guess_mime(&path, &head, text));
        value["text"] = json!(text);
    }
    ok(value)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MkdirArgs {
    path: String,
    #[serde(default)]
    parents: Option<bool>,
}

fn mkdir(policy: &FilesPolicy, args: Value) -> Outcome {
    let args: MkdirArgs = parse_args(args)?;
    policy.check_writable()?;
    let path = policy.resolve(&args.path)?;
    if path.is_dir() {
        return ok(json!({"path": policy.display(&path), "created": false}));
    }
    let result = if args.parents.unwrap_or(true) {
        fs::create_dir_all(&path)
    } else {
        fs::create_dir(&path)
    };
    result.map_err(|e| io_error(&e, Path::new(&args.path)))?;
    let record = json!({"op": "mkdir", "path": path});
    Ok((
        with_success(json!({"path": policy.display(&path), "created": true})),
        Some(record),
    ))
}

/// Whether anything under `dir` is denied (moving or deleting it would touch it).
fn contains_denied(policy: &FilesPolicy, dir: &Path) -> Option<PathBuf> {
    ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(false)
        .build()
        .filter_map(Result::ok)
        .map(ignore::DirEntry::into_path)
        .find(|p| policy.is_denied(p))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveArgs {
    from: String,
    to: String,
    #[serde(default)]
    overwrite: bool,
}

fn move_path(policy: &FilesPolicy, args: Value) -> Outcome {
    let args: MoveArgs = parse_args(args)?;
    policy.check_writable()?;
    let from = policy.resolve(&args.from)?;
    let to = policy.resolve(&args.to)?;
    let meta = fs::metadata(&from).map_err(|e| io_error(&e, Path::new(&args.from)))?;
    if policy.is_root(&from) {
        return Err(ServiceError::new(
            403,
            "path_denied",
            "a root cannot be moved",
        ));
    }
    if meta.is_dir() {
        if to.starts_with(&from) {
            return Err(ServiceError::bad_request(
                "cannot move a directory into itself",
            ));
        }
        if let Some(denied) = contains_denied(policy, &from) {
            return Err(ServiceError::new(
                403,
                "path_denied",
                format!("{} holds a denied path", args.from),
            )
            .hint(format!("denied: {}", policy.display(&denied))));
        }
    }
    let _guard = WRITE_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    if to.exists() && !args.overwrite {
        return Err(
            ServiceError::new(409, "exists", format!("{} already exists", args.to))
                .hint("pass overwrite: true to replace it"),
        );
    }
    if to.is_dir() {
        return Err(ServiceError::new(
            409,
            "exists",
            format!("{} is an existing directory", args.to),
        ));
    }
    if let Some(parent) = to.parent().filter(|p| !p.exists()) {
        return Err(ServiceError::new(
            404,
            "not_found",
            format!("the directory {} does not exist", policy.display(parent)),
        )
        .hint("create it with fs_mkdir"));
    }
    let hash = file_hash(&from, policy.max_file_bytes);
    let replaced = file_hash(&to, policy.max_file_bytes);
    fs::rename(&from, &to).map_err(|e| io_error(&e, &from))?;
    let record = json!({"op": "move", "from": from, "to": to, "sha256": hash,
                        "sha256_replaced": replaced});
    Ok((
        with_success(json!({
            "from": policy.display(&from), "to": policy.display(&to), "sha256": hash,
            "replaced": replaced.is_some()
        })),
        Some(record),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteArgs {
    path: String,
    #[serde(default)]
    recursive: bool,
    #[serde(default)]
    expected_sha256: Option<String>,
}

fn delete(policy: &FilesPolicy, args: Value) -> Outcome {
    let args: DeleteArgs = parse_args(args)?;
    policy.check_writable()?;
    let joined = policy.base().join(&args.path);
    // A symlink is deleted itself (its parent resolved), not its target.
    let is_link = fs::symlink_metadata(&joined).is_ok_and(|m| m.file_type().is_symlink());
    let path = if is_link {
        let parent = joined.parent().unwrap_or(Path::new("/"));
        let parent = policy.resolve(&parent.to_string_lossy())?;
        let name = joined
            .file_name()
            .ok_or_else(|| ServiceError::bad_request(format!("{} names no file", args.path)))?;
        parent.join(name)
    } else {
        policy.resolve(&args.path)?
    };
    if policy.is_root(&path) {
        return Err(ServiceError::new(
            403,
            "path_denied",
            "a root cannot be deleted",
        ));
    }
    let meta = fs::symlink_metadata(&path).map_err(|e| io_error(&e, Path::new(&args.path)))?;
    let _guard = WRITE_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let before = if meta.is_file() {
        file_hash(&path, u64::MAX)
    } else {
        None
    };
    if meta.is_file() {
        check_expected(
            args.expected_sha256.as_deref(),
            before.as_deref(),
            &args.path,
        )?;
    }
    if meta.is_dir() {
        if !args.recursive {
            return Err(ServiceError::new(
                400,
                "is_directory",
                format!("{} is a directory", args.path),
            )
            .hint("pass recursive: true to delete it and everything in it"));
        }
        if let Some(denied) = contains_denied(policy, &path) {
            return Err(ServiceError::new(
                403,
                "path_denied",
                format!("{} holds a denied path", args.path),
            )
            .hint(format!("denied: {}", policy.display(&denied))));
        }
        fs::remove_dir_all(&path).map_err(|e| io_error(&e, &path))?;
    } else {
        fs::remove_file(&path).map_err(|e| io_error(&e, &path))?;
    }
    let record = json!({"op": "delete", "path": path, "type": kind(&meta),
                        "sha256_before": before, "sha256_after": null});
    Ok((
        with_success(json!({
            "path": policy.display(&path), "deleted": true, "type": kind(&meta),
            "sha256_before": before
        })),
        Some(record),
    ))
}
