//! The command line itself: help with examples and exit codes, usage errors (exit 2),
//! completions, version.

mod support;

use support::{Home, run};

#[test]
fn help_lists_every_subcommand_examples_and_exit_codes() {
    let home = Home::new();
    let ran = run(home.cmd(&["--help"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    for word in [
        "init",
        "serve",
        "status",
        "models",
        "query",
        "run",
        "sessions",
        "attach",
        "mcp-config",
        "service",
        "completions",
        "Examples:",
        "Exit codes:",
        "124",
    ] {
        assert!(
            ran.stdout.contains(word),
            "--help lacks {word:?}:\n{}",
            ran.stdout
        );
    }
}

#[test]
fn unknown_subcommand_and_bad_flags_exit_2() {
    let home = Home::new();
    let ran = run(home.cmd(&["frobnicate"]));
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("frobnicate"), "{ran:?}");
    assert!(ran.stdout.is_empty(), "{ran:?}");

    let ran = run(home.cmd(&["query", "--temperature", "warm", "hi"]));
    assert_eq!(ran.code, 2, "{ran:?}");

    let ran = run(home.cmd(&["run"]));
    assert_eq!(ran.code, 2, "a command is required: {ran:?}");

    let ran = run(home.cmd(&[
        "attach",
        "--detach-key",
        "alt-x",
        "--server",
        "http://127.0.0.1:9",
    ]));
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("error: --detach-key"), "{ran:?}");
}

#[test]
fn no_prompt_is_a_usage_error() {
    let home = Home::new();
    // stdin is /dev/null: an empty prompt.
    let ran = run(home.cmd(&["query"]));
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .contains("error: the prompt on standard input is empty"),
        "{ran:?}"
    );
}

#[test]
fn completions_for_each_shell() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let ran = run(home.cmd(&["completions", shell]));
        assert_eq!(ran.code, 0, "{shell}: {ran:?}");
        assert!(ran.stdout.contains("mcp-lm"), "{shell}: {ran:?}");
        assert!(ran.stdout.contains("attach"), "{shell}: {ran:?}");
    }
    let ran = run(home.cmd(&["completions", "tcsh"]));
    assert_eq!(ran.code, 2, "{ran:?}");
}

#[test]
fn version() {
    let home = Home::new();
    let ran = run(home.cmd(&["--version"]));
    assert_eq!(ran.code, 0);
    assert!(ran.stdout.starts_with("mcp-lm "), "{ran:?}");
}

#[test]
fn a_closed_stdout_exits_0() {
    // `mcp-lm completions bash | head -c 10`: the reader leaves early; no panic, exit 0.
    let home = Home::new();
    let mut child = home
        .cmd(&["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // close the read end before it writes
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_broken_config_is_reported_with_its_field() {
    let home = Home::new();
    let path = home.dir.join("bad.json");
    std::fs::write(&path, r#"{"terminal": {"timeout": "soon"}}"#).unwrap();
    let ran = run(home.cmd(&["--config", path.to_str().unwrap(), "run", "true"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("terminal.timeout"), "{ran:?}");
    assert!(ran.stderr.contains("hint:"), "{ran:?}");
}
