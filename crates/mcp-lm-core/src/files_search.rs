//! `fs_search`: a regular expression (or literal) over a tree, walked in parallel by the
//! `ignore` crate (gitignore-aware), with line numbers, context lines and capped results.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use ignore::WalkState;
use regex::bytes::RegexBuilder;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ServiceError;
use crate::files_policy::{FilesPolicy, io_error};
use crate::service_error::parse_args;

/// Most matches `fs_search` returns.
const MAX_RESULTS: usize = 5000;

/// Longest line text returned (longer lines are cut).
const MAX_LINE_CHARS: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    literal: bool,
    #[serde(default)]
    case_insensitive: bool,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    gitignore: Option<bool>,
    #[serde(default)]
    context: Option<usize>,
    #[serde(default)]
    max_results: Option<usize>,
}

/// One matching line with its context.
#[derive(Debug)]
struct Hit {
    line: usize,
    text: String,
    before: Vec<String>,
    after: Vec<String>,
}

fn shown(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = String::from_utf8_lossy(line);
    if text.chars().count() > MAX_LINE_CHARS {
        let mut cut: String = text.chars().take(MAX_LINE_CHARS).collect();
        cut.push('…');
        cut
    } else {
        text.into_owned()
    }
}

pub(crate) fn search(
    policy: &FilesPolicy,
    args: Value,
) -> Result<(Value, Option<Value>), ServiceError> {
    let args: SearchArgs = parse_args(args)?;
    if args.pattern.is_empty() {
        return Err(ServiceError::bad_request("pattern is empty"));
    }
    let raw = args.path.as_deref().unwrap_or(".");
    let root = policy.resolve(raw)?;
    if !root.exists() {
        return Err(io_error(
            &std::io::Error::from(std::io::ErrorKind::NotFound),
            std::path::Path::new(raw),
        ));
    }
    let pattern = if args.literal {
        regex::escape(&args.pattern)
    } else {
        args.pattern.clone()
    };
    let regex = RegexBuilder::new(&pattern)
        .case_insensitive(args.case_insensitive)
        .multi_line(true)
        .build()
        .map_err(|e| {
            ServiceError::new(
                400,
                "bad_pattern",
                format!("invalid regular expression: {e}"),
            )
            .hint("pass literal: true to search for the text as is")
        })?;
    let glob = args
        .glob
        .as_deref()
        .map(|g| {
            globset::Glob::new(g)
                .map(|g| g.compile_matcher())
                .map_err(|e| ServiceError::bad_request(format!("bad glob {g:?}: {e}")))
        })
        .transpose()?;
    let context = args.context.unwrap_or(0).min(10);
    let cap = args.max_results.unwrap_or(200).clamp(1, MAX_RESULTS);
    let gitignore = args.gitignore.unwrap_or(true);
    let max_bytes = policy.max_file_bytes;

    let found = AtomicUsize::new(0);
    let searched = AtomicUsize::new(0);
    let capped = AtomicBool::new(false);
    let results: Mutex<Vec<(PathBuf, Vec<Hit>)>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    ignore::WalkBuilder::new(&root)
        .hidden(!args.hidden)
        .git_ignore(gitignore)
        .git_exclude(gitignore)
        .git_global(false)
        .ignore(gitignore)
        .parents(gitignore)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .build_parallel()
        .run(|| {
            let regex = &regex;
            let glob = &glob;
            let found = &found;
            let searched = &searched;
            let capped = &capped;
            let results = &results;
            let root = &root;
            Box::new(move |entry| {
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return WalkState::Continue;
                }
                let path = entry.path();
                if let Some(glob) = glob {
                    let rel = path.strip_prefix(root).unwrap_or(path);
                    if !glob.is_match(rel) {
                        return WalkState::Continue;
                    }
                }
                if policy.is_denied(path) {
                    return WalkState::Continue;
                }
                if entry.metadata().is_ok_and(|m| m.len() > max_bytes) {
                    return WalkState::Continue;
                }
                let Ok(bytes) = std::fs::read(path) else {
                    return WalkState::Continue;
                };
                searched.fetch_add(1, Ordering::Relaxed);
                if bytes[..bytes.len().min(8192)].contains(&0) || !regex.is_match(&bytes) {
                    return WalkState::Continue;
                }
                let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
                let mut hits = Vec::new();
                for (index, line) in lines.iter().enumerate() {
                    if !regex.is_match(line) {
                        continue;
                    }
                    if found.fetch_add(1, Ordering::Relaxed) >= cap {
                        capped.store(true, Ordering::Relaxed);
                        break;
                    }
                    hits.push(Hit {
                        line: index + 1,
                        text: shown(line),
                        before: lines[index.saturating_sub(context)..index]
                            .iter()
                            .map(|l| shown(l))
                            .collect(),
                        after: lines[index + 1..(index + 1 + context).min(lines.len())]
                            .iter()
                            .map(|l| shown(l))
                            .collect(),
                    });
                }
                if !hits.is_empty() {
                    results
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((path.to_path_buf(), hits));
                }
                if capped.load(Ordering::Relaxed) {
                    WalkState::Quit
                } else {
                    WalkState::Continue
                }
            })
        });
    let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut matches = Vec::new();
    for (path, hits) in results {
        let file = policy.display(&path);
        for hit in hits {
            let mut item = json!({"path": file, "line": hit.line, "text": hit.text});
            if context > 0 {
                item["before"] = json!(hit.before);
                item["after"] = json!(hit.after);
            }
            matches.push(item);
        }
    }
    let truncated = capped.load(Ordering::Relaxed);
    let mut value = json!({
        "success": true,
        "pattern": args.pattern,
        "path": policy.display(&root),
        "matches": matches,
        "count": matches.len(),
        "files_searched": searched.load(Ordering::Relaxed),
        "truncated": truncated,
    });
    if truncated {
        value["notice"] = json!(format!(
            "stopped at {cap} matches; narrow the pattern, path or glob, or raise max_results"
        ));
    }
    Ok((value, None))
}
