//! The file tools on real files in temp dirs: path escapes, deny globs, read-only mode,
//! binary files, a 100 MB read with a cap, concurrent writers with the expected hash, edits,
//! listing and a search over a 10 000-file tree; plus the tools over MCP.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mcp_lm_core::{AuditLog, Config, ServiceError, Services, file_tool};
use serde_json::{Value, json};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "mcp-lm-files-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(std::fs::canonicalize(path).unwrap())
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn services_with(root: &Path, edit: impl FnOnce(&mut Config), audit: AuditLog) -> Services {
    let mut config = Config::default();
    config.files.roots = vec![root.to_path_buf()];
    config.log.audit_path = Some(PathBuf::new());
    edit(&mut config);
    Services::new(config, audit).unwrap()
}

fn services(root: &Path) -> Services {
    services_with(root, |_| {}, AuditLog::disabled())
}

async fn ok(services: &Services, tool: &str, args: Value) -> Value {
    match file_tool(services, tool, args.clone(), "test").await {
        Ok(value) => {
            assert_eq!(value["success"], true, "{tool} {args}: {value}");
            value
        }
        Err(error) => panic!("{tool} {args} failed: {error:?}"),
    }
}

async fn fails(services: &Services, tool: &str, args: Value, code: &str) -> ServiceError {
    match file_tool(services, tool, args.clone(), "test").await {
        Ok(value) => panic!("{tool} {args} should fail with {code}, got {value}"),
        Err(error) => {
            assert_eq!(error.code, code, "{tool} {args}: {error:?}");
            error
        }
    }
}

#[tokio::test]
async fn escapes_outside_the_roots_are_refused() {
    let dir = TempDir::new("escape");
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(dir.path().join("outside.txt"), "secret").unwrap();
    std::fs::write(root.join("inside.txt"), "hello").unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("etc_link")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("out_link")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere.txt"), root.join("dangling")).unwrap();
    std::os::unix::fs::symlink(root.join("inside.txt"), root.join("in_link")).unwrap();
    let s = services(&root);

    for path in [
        "../outside.txt",
        "sub/../../outside.txt",
        "/etc/passwd",
        "etc_link/passwd",
        "out_link",
        dir.path().join("outside.txt").to_str().unwrap(),
    ] {
        let error = fails(&s, "fs_read", json!({"path": path}), "path_outside_roots").await;
        assert!(error.hint.unwrap().contains("allowed roots"));
    }
    for (tool, args) in [
        ("fs_write", json!({"path": "../new.txt", "content": "x"})),
        ("fs_write", json!({"path": "dangling", "content": "x"})),
        ("fs_write", json!({"path": "etc_link/evil", "content": "x"})),
        ("fs_mkdir", json!({"path": "../newdir"})),
        ("fs_delete", json!({"path": "../outside.txt"})),
        (
            "fs_move",
            json!({"from": "inside.txt", "to": "../moved.txt"}),
        ),
        ("fs_move", json!({"from": "out_link", "to": "here.txt"})),
        ("fs_list", json!({"path": "etc_link"})),
        ("fs_search", json!({"pattern": "root", "path": "/etc"})),
        ("fs_stat", json!({"path": "/etc/passwd"})),
    ] {
        fails(&s, tool, args, "path_outside_roots").await;
    }
    assert!(!dir.path().join("new.txt").exists());
    assert!(!dir.path().join("nowhere.txt").exists());
    assert!(dir.path().join("outside.txt").exists());

    // `..` that stays inside, and a symlink inside, are fine.
    let read = ok(&s, "fs_read", json!({"path": "sub/../inside.txt"})).await;
    assert_eq!(read["content"], "hello");
    let read = ok(&s, "fs_read", json!({"path": "in_link"})).await;
    assert_eq!(read["content"], "hello");
    // Deleting an inside symlink to the outside removes the link, not its target.
    ok(&s, "fs_delete", json!({"path": "out_link"})).await;
    assert!(dir.path().join("outside.txt").exists());
    // A root cannot be deleted.
    fails(
        &s,
        "fs_delete",
        json!({"path": ".", "recursive": true}),
        "path_denied",
    )
    .await;
}

#[tokio::test]
async fn deny_globs_and_our_own_files_are_refused() {
    let dir = TempDir::new("deny");
    let root = dir.path();
    std::fs::create_dir_all(root.join(".ssh")).unwrap();
    std::fs::write(root.join(".ssh/id_rsa"), "KEY").unwrap();
    std::fs::write(root.join("server.pem"), "PEM secret").unwrap();
    std::fs::write(root.join(".env"), "TOKEN=secret").unwrap();
    std::fs::write(root.join("notes.txt"), "secret notes").unwrap();
    std::fs::write(root.join("audit.jsonl"), "{}").unwrap();
    // A config file given with `--config`, inside the roots: it holds the token.
    std::fs::write(root.join("my-config.json"), r#"{"api_token": "secret"}"#).unwrap();
    let s = services_with(
        root,
        |c| {
            c.log.audit_path = Some(root.join("audit.jsonl"));
            c.loaded_from = Some(root.join("my-config.json"));
        },
        AuditLog::disabled(),
    );
    for path in [
        ".ssh/id_rsa",
        "server.pem",
        ".env",
        "audit.jsonl",
        ".ssh",
        "my-config.json",
    ] {
        fails(&s, "fs_read", json!({"path": path}), "path_denied").await;
        fails(&s, "fs_stat", json!({"path": path}), "path_denied").await;
    }
    fails(
        &s,
        "fs_write",
        json!({"path": "new.key", "content": "x"}),
        "path_denied",
    )
    .await;
    fails(
        &s,
        "fs_move",
        json!({"from": "notes.txt", "to": "notes.pem"}),
        "path_denied",
    )
    .await;
    let list = ok(&s, "fs_list", json!({"hidden": true, "depth": 3})).await;
    let names: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["notes.txt"], "{list}");
    let found = ok(
        &s,
        "fs_search",
        json!({"pattern": "secret", "hidden": true}),
    )
    .await;
    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(found["matches"][0]["path"], "notes.txt");
    // A directory holding a denied file cannot be deleted or moved wholesale.
    std::fs::create_dir(root.join("box")).unwrap();
    std::fs::write(root.join("box/x.pem"), "x").unwrap();
    fails(
        &s,
        "fs_delete",
        json!({"path": "box", "recursive": true}),
        "path_denied",
    )
    .await;
    fails(
        &s,
        "fs_move",
        json!({"from": "box", "to": "box2"}),
        "path_denied",
    )
    .await;
}

#[tokio::test]
async fn read_only_mode_refuses_every_write() {
    let dir = TempDir::new("ro");
    std::fs::write(dir.path().join("a.txt"), "alpha").unwrap();
    let s = services_with(
        dir.path(),
        |c| c.files.read_only = true,
        AuditLog::disabled(),
    );
    for (tool, args) in [
        ("fs_write", json!({"path": "a.txt", "content": "x"})),
        ("fs_write", json!({"path": "b.txt", "content": "x"})),
        (
            "fs_edit",
            json!({"path": "a.txt", "old_string": "alpha", "new_string": "beta"}),
        ),
        ("fs_mkdir", json!({"path": "d"})),
        ("fs_move", json!({"from": "a.txt", "to": "c.txt"})),
        ("fs_delete", json!({"path": "a.txt"})),
    ] {
        let error = fails(&s, tool, args, "read_only").await;
        assert_eq!(error.status, 403);
    }
    assert_eq!(
        ok(&s, "fs_read", json!({"path": "a.txt"})).await["content"],
        "alpha"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "alpha"
    );
    assert!(!dir.path().join("b.txt").exists());
}

#[tokio::test]
async fn the_policy_comes_from_config_and_env() {
    let env = [
        ("MCP_LM_FILES_READ_ONLY".to_owned(), "true".to_owned()),
        ("MCP_LM_FILES_ROOTS".to_owned(), "/srv/a, /srv/b".to_owned()),
        ("MCP_LM_FILES_MAX_FILE_BYTES".to_owned(), "1000".to_owned()),
    ]
    .into_iter()
    .collect();
    let loaded = Config::from_value(json!({}), &env, mcp_lm_core::ConfigSource::Embedded).unwrap();
    assert!(loaded.config.files.read_only);
    assert_eq!(
        loaded.config.files.roots,
        [PathBuf::from("/srv/a"), PathBuf::from("/srv/b")]
    );
    assert_eq!(loaded.config.files.max_file_bytes, 1000);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(loaded.config.files.deny.contains(&"**/.ssh/**".to_owned()));
    let bad = Config::from_value(
        json!({"files": {"deny": ["a[b"]}}),
        &Default::default(),
        mcp_lm_core::ConfigSource::Embedded,
    )
    .unwrap_err();
    assert!(bad.to_string().contains("files.deny"), "{bad}");
    let env = [("MCP_LM_FILES_READ_ONLY".to_owned(), "maybe".to_owned())]
        .into_iter()
        .collect();
    let bad = Config::from_value(json!({}), &env, mcp_lm_core::ConfigSource::Embedded).unwrap_err();
    assert!(bad.to_string().contains("files.read_only"), "{bad}");
}

#[tokio::test]
async fn binary_files_round_trip_as_base64_with_a_mime_type() {
    use base64::Engine as _;
    let dir = TempDir::new("binary");
    let s = services(dir.path());
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe"
        .iter()
        .copied()
        .chain(0u8..=255)
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&png);
    let written = ok(
        &s,
        "fs_write",
        json!({"path": "img/pic.png", "content": encoded, "encoding": "base64", "create_dirs": true}),
    )
    .await;
    assert_eq!(written["bytes"], png.len());
    assert_eq!(std::fs::read(dir.path().join("img/pic.png")).unwrap(), png);
    let read = ok(&s, "fs_read", json!({"path": "img/pic.png"})).await;
    assert_eq!(read["encoding"], "base64");
    assert_eq!(read["mime"], "image/png");
    assert_eq!(read["content"], encoded);
    assert_eq!(read["sha256"], written["sha256"]);
    std::fs::write(dir.path().join("blob"), [0u8, 1, 2, 3]).unwrap();
    let read = ok(&s, "fs_read", json!({"path": "blob"})).await;
    assert_eq!(read["encoding"], "base64");
    assert_eq!(read["mime"], "application/octet-stream");
    let stat = ok(&s, "fs_stat", json!({"path": "blob"})).await;
    assert_eq!(stat["text"], false);
    // UTF-8 text stays text.
    std::fs::write(dir.path().join("utf8.txt"), "héllo wörld ✓\n").unwrap();
    let read = ok(&s, "fs_read", json!({"path": "utf8.txt"})).await;
    assert_eq!(read["encoding"], "utf-8");
    assert_eq!(read["content"], "héllo wörld ✓\n");
}

#[tokio::test]
async fn a_100_mb_file_is_read_with_a_cap_and_ranges() {
    let dir = TempDir::new("big");
    let path = dir.path().join("big.log");
    {
        use std::io::Write as _;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut line = 0u64;
        let mut written = 0u64;
        while written < 100 * 1024 * 1024 {
            let text = format!("line {line:08} of the big log file, padded to be longer\n");
            file.write_all(text.as_bytes()).unwrap();
            written += text.len() as u64;
            line += 1;
        }
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let s = services(dir.path());
    let started = Instant::now();
    let read = ok(&s, "fs_read", json!({"path": "big.log"})).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(read["size"], size);
    assert_eq!(read["truncated"], true);
    let remaining = read["remaining_bytes"].as_u64().unwrap();
    assert_eq!(remaining + read["bytes"].as_u64().unwrap(), size);
    assert!(read["bytes"].as_u64().unwrap() <= 256 * 1024);
    assert_eq!(
        read["notice"],
        format!("truncated, {remaining} bytes more"),
        "{}",
        read["notice"]
    );
    assert!(read.get("sha256").is_none());
    assert!(
        read["content"]
            .as_str()
            .unwrap()
            .starts_with("line 00000000 ")
    );
    // Lines from the middle, by line offset.
    let read = ok(
        &s,
        "fs_read",
        json!({"path": "big.log", "offset": 1_000_000, "limit": 2}),
    )
    .await;
    let content = read["content"].as_str().unwrap();
    assert_eq!(content.lines().count(), 2, "{content}");
    assert!(content.starts_with("line 01000000 "), "{content}");
    assert_eq!(read["next_offset"], 1_000_002);
    // Bytes from the end.
    let read = ok(
        &s,
        "fs_read",
        json!({"path": "big.log", "unit": "bytes", "offset": size - 10, "max_bytes": 100}),
    )
    .await;
    assert_eq!(read["bytes"], 10);
    assert_eq!(read["remaining_bytes"], 0);
    assert_eq!(read["truncated"], false);
    // A small cap in bytes mode.
    let read = ok(
        &s,
        "fs_read",
        json!({"path": "big.log", "unit": "bytes", "max_bytes": 5}),
    )
    .await;
    assert_eq!(read["content"], "line ");
    assert_eq!(
        read["notice"],
        format!("truncated, {} bytes more", size - 5)
    );
    // Writing or editing a file above max_file_bytes is refused.
    fails(
        &s,
        "fs_edit",
        json!({"path": "big.log", "old_string": "line 00000000", "new_string": "x"}),
        "too_large",
    )
    .await;
}

#[tokio::test]
async fn concurrent_writers_with_the_expected_hash_clobber_nothing() {
    let dir = TempDir::new("concurrent");
    let audit_path = dir.path().join("audit.jsonl");
    let audit = AuditLog::open(&audit_path, 1 << 20, 0).unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let s = services_with(&root, |_| {}, audit.clone());
    let first = ok(
        &s,
        "fs_write",
        json!({"path": "shared.txt", "content": "v0\n"}),
    )
    .await;
    let hash = first["sha256"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for writer in 0..16 {
        let s = s.clone();
        let hash = hash.clone();
        tasks.push(tokio::spawn(async move {
            file_tool(
                &s,
                "fs_write",
                json!({"path": "shared.txt", "content": format!("writer {writer}\n"),
                       "expected_sha256": hash}),
                "test",
            )
            .await
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(value) => winners.push(value),
            Err(error) => assert_eq!(error.code, "hash_mismatch", "{error:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
    let content = std::fs::read_to_string(root.join("shared.txt")).unwrap();
    assert!(content.starts_with("writer "), "{content}");
    assert_eq!(winners[0]["sha256_before"], hash.as_str());
    // "absent" means: create only if it does not exist.
    fails(
        &s,
        "fs_write",
        json!({"path": "shared.txt", "content": "x", "expected_sha256": "absent"}),
        "hash_mismatch",
    )
    .await;
    fails(
        &s,
        "fs_write",
        json!({"path": "shared.txt", "content": "x", "mode": "create"}),
        "exists",
    )
    .await;
    let appended = ok(
        &s,
        "fs_write",
        json!({"path": "shared.txt", "content": "more\n", "mode": "append"}),
    )
    .await;
    assert_eq!(
        std::fs::read_to_string(root.join("shared.txt")).unwrap(),
        format!("{content}more\n")
    );
    // No temp files are left behind.
    let names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["shared.txt"]);
    // Every write is audited with the hashes before and after.
    audit.flush();
    let lines: Vec<Value> = std::fs::read_to_string(&audit_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let writes: Vec<&Value> = lines
        .iter()
        .filter(|l| l["kind"] == "file" && l["op"] == "write")
        .collect();
    assert_eq!(writes.len(), 3, "{lines:?}");
    assert_eq!(writes[0]["sha256_before"], Value::Null);
    assert_eq!(writes[0]["sha256_after"], hash.as_str());
    assert_eq!(writes[1]["sha256_before"], hash.as_str());
    assert_eq!(writes[2]["sha256_after"], appended["sha256"]);
    assert_eq!(writes[2]["caller"], "test");
    let refused = lines
        .iter()
        .filter(|l| l["kind"] == "file" && l["error"] == "hash_mismatch")
        .count();
    assert_eq!(refused, 16);
}

#[tokio::test]
async fn edits_need_exactly_the_expected_occurrences_and_return_a_diff() {
    let dir = TempDir::new("edit");
    let text = "fn main() {\n    let a = 1;\n    let b = 1;\n    println!(\"{a}{b}\");\n}\n";
    std::fs::write(dir.path().join("main.rs"), text).unwrap();
    let s = services(dir.path());
    let error = fails(
        &s,
        "fs_edit",
        json!({"path": "main.rs", "old_string": "let c", "new_string": "let d"}),
        "edit_no_match",
    )
    .await;
    assert_eq!(error.status, 409);
    let error = fails(
        &s,
        "fs_edit",
        json!({"path": "main.rs", "old_string": " = 1;", "new_string": " = 2;"}),
        "edit_ambiguous",
    )
    .await;
    assert!(error.message.contains("2 times"), "{}", error.message);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.rs")).unwrap(),
        text
    );
    let edited = ok(
        &s,
        "fs_edit",
        json!({"path": "main.rs", "old_string": "let b = 1;", "new_string": "let b = 2;"}),
    )
    .await;
    assert_eq!(edited["replacements"], 1);
    let diff = edited["diff"].as_str().unwrap();
    assert!(
        diff.starts_with("--- a/main.rs\n+++ b/main.rs\n@@ -1,5 +1,5 @@\n"),
        "{diff}"
    );
    assert!(
        diff.contains("\n-    let b = 1;\n+    let b = 2;\n"),
        "{diff}"
    );
    let all = ok(
        &s,
        "fs_edit",
        json!({"path": "main.rs", "old_string": "let", "new_string": "let mut", "expected_occurrences": 2,
               "expected_sha256": edited["sha256"]}),
    )
    .await;
    assert_eq!(all["replacements"], 2);
    fails(
        &s,
        "fs_edit",
        json!({"path": "main.rs", "old_string": "mut", "new_string": "", "replace_all": true,
               "expected_sha256": edited["sha256"]}),
        "hash_mismatch",
    )
    .await;
    assert!(
        std::fs::read_to_string(dir.path().join("main.rs"))
            .unwrap()
            .contains("let mut b = 2;")
    );
}

#[tokio::test]
async fn list_stat_mkdir_move_and_delete() {
    let dir = TempDir::new("ops");
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/deep/er")).unwrap();
    std::fs::write(root.join("src/lib.rs"), "lib").unwrap();
    std::fs::write(root.join("src/deep/mod.rs"), "mod").unwrap();
    std::fs::write(root.join("src/deep/er/x.txt"), "x").unwrap();
    std::fs::write(root.join(".hidden"), "h").unwrap();
    std::fs::write(root.join(".gitignore"), "ignored/\n").unwrap();
    std::fs::create_dir(root.join("ignored")).unwrap();
    std::fs::write(root.join("ignored/skip.rs"), "skip").unwrap();
    let s = services(root);
    let names = |list: &Value| -> Vec<String> {
        list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_owned())
            .collect()
    };
    let top = ok(&s, "fs_list", json!({})).await;
    assert_eq!(names(&top), ["ignored", "src"]);
    assert_eq!(top["entries"][1]["type"], "dir");
    let hidden = ok(&s, "fs_list", json!({"hidden": true})).await;
    assert_eq!(names(&hidden), [".gitignore", ".hidden", "ignored", "src"]);
    let rust = ok(&s, "fs_list", json!({"depth": 5, "glob": "**/*.rs"})).await;
    assert_eq!(
        names(&rust),
        ["ignored/skip.rs", "src/deep/mod.rs", "src/lib.rs"]
    );
    let rust = ok(
        &s,
        "fs_list",
        json!({"depth": 5, "glob": "**/*.rs", "gitignore": true}),
    )
    .await;
    assert_eq!(names(&rust), ["src/deep/mod.rs", "src/lib.rs"]);
    let shallow = ok(&s, "fs_list", json!({"path": "src", "depth": 1})).await;
    assert_eq!(names(&shallow), ["deep", "lib.rs"]);
    assert_eq!(shallow["entries"][1]["size"], 3);
    let capped = ok(&s, "fs_list", json!({"depth": 9, "max_entries": 2})).await;
    assert_eq!(capped["truncated"], true);
    fails(
        &s,
        "fs_list",
        json!({"path": "src/lib.rs"}),
        "not_a_directory",
    )
    .await;

    let stat = ok(&s, "fs_stat", json!({"path": "src/lib.rs"})).await;
    assert_eq!(stat["exists"], true);
    assert_eq!(stat["type"], "file");
    assert_eq!(stat["size"], 3);
    assert_eq!(stat["sha256"].as_str().unwrap().len(), 64);
    let missing = ok(&s, "fs_stat", json!({"path": "nope"})).await;
    assert_eq!(missing["exists"], false);
    fails(&s, "fs_read", json!({"path": "nope"}), "not_found").await;
    fails(&s, "fs_read", json!({"path": "src"}), "is_directory").await;

    let made = ok(&s, "fs_mkdir", json!({"path": "a/b/c"})).await;
    assert_eq!(made["created"], true);
    let again = ok(&s, "fs_mkdir", json!({"path": "a/b/c"})).await;
    assert_eq!(again["created"], false);
    assert!(root.join("a/b/c").is_dir());

    fails(
        &s,
        "fs_write",
        json!({"path": "no/such/dir/f.txt", "content": "x"}),
        "not_found",
    )
    .await;
    ok(
        &s,
        "fs_move",
        json!({"from": "src/lib.rs", "to": "a/b/c/lib.rs"}),
    )
    .await;
    assert!(root.join("a/b/c/lib.rs").is_file());
    assert!(!root.join("src/lib.rs").exists());
    fails(
        &s,
        "fs_move",
        json!({"from": "a/b/c/lib.rs", "to": "src/deep/mod.rs"}),
        "exists",
    )
    .await;
    let moved = ok(
        &s,
        "fs_move",
        json!({"from": "a/b/c/lib.rs", "to": "src/deep/mod.rs", "overwrite": true}),
    )
    .await;
    assert_eq!(moved["replaced"], true);
    assert_eq!(
        std::fs::read_to_string(root.join("src/deep/mod.rs")).unwrap(),
        "lib"
    );

    fails(&s, "fs_delete", json!({"path": "src"}), "is_directory").await;
    ok(&s, "fs_delete", json!({"path": "src/deep/mod.rs"})).await;
    assert!(!root.join("src/deep/mod.rs").exists());
    ok(&s, "fs_delete", json!({"path": "src", "recursive": true})).await;
    assert!(!root.join("src").exists());
    fails(&s, "fs_delete", json!({"path": "src"}), "not_found").await;
    fails(
        &s,
        "fs_read",
        json!({"path": "x", "bogus": 1}),
        "invalid_request",
    )
    .await;
}

/// Generates `count` files in 100 directories; every 1000th holds `NEEDLE_42`.
pub fn generate_tree(root: &Path, count: usize) {
    for i in 0..count {
        let dir = root.join(format!("d{:03}", i % 100));
        if i < 100 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let mut text = String::new();
        for line in 0..40 {
            text.push_str(&format!(
                "file {i} line {line}: lorem ipsum dolor sit amet, consectetur adipiscing elit\n"
            ));
        }
        if i % 1000 == 7 {
            text.push_str("here is NEEDLE_42 in the haystack\nafter the needle\n");
        }
        std::fs::write(dir.join(format!("f{i:05}.txt")), text).unwrap();
    }
}

#[tokio::test]
async fn search_over_a_10_000_file_tree() {
    let dir = TempDir::new("search");
    let root = dir.path();
    generate_tree(root, 10_000);
    std::fs::write(root.join(".gitignore"), "d001/\n").unwrap();
    let s = services(root);
    let started = Instant::now();
    let found = ok(
        &s,
        "fs_search",
        json!({"pattern": "NEEDLE_42", "literal": true, "context": 1}),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    // f00007, f01007, …, f09007 are all in d007 (i % 100 == 7).
    assert_eq!(found["count"], 10, "{found}");
    assert_eq!(found["files_searched"], 9_900, "d001 is gitignored");
    let first = &found["matches"][0];
    assert_eq!(first["path"], "d007/f00007.txt");
    assert_eq!(first["line"], 41);
    assert_eq!(first["text"], "here is NEEDLE_42 in the haystack");
    assert_eq!(
        first["before"][0]
            .as_str()
            .unwrap()
            .split(':')
            .next()
            .unwrap(),
        "file 7 line 39"
    );
    assert_eq!(first["after"], json!(["after the needle"]));
    // A regex, case-insensitive, restricted by glob.
    let found = ok(
        &s,
        "fs_search",
        json!({"pattern": "needle_4\\d", "case_insensitive": true, "glob": "**/f0100*.txt"}),
    )
    .await;
    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(found["matches"][0]["path"], "d007/f01007.txt");
    // Results are capped.
    let capped = ok(
        &s,
        "fs_search",
        json!({"pattern": "lorem", "max_results": 50}),
    )
    .await;
    assert_eq!(capped["count"], 50);
    assert_eq!(capped["truncated"], true);
    // gitignore-aware: d001 is ignored by default, searched when asked.
    let all = ok(&s, "fs_search", json!({"pattern": "^file 1 line 0:"})).await;
    assert_eq!(all["count"], 0, "{all}");
    let all = ok(
        &s,
        "fs_search",
        json!({"pattern": "^file 1 line 0:", "gitignore": false}),
    )
    .await;
    assert_eq!(all["count"], 1, "{all}");
    fails(&s, "fs_search", json!({"pattern": "("}), "bad_pattern").await;
}
