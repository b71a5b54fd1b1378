//! `mcp-lm init`: a config with a fresh token, mode 0600, never overwritten without --force.

mod support;

use support::{Home, mode, run};

fn token_of(path: &std::path::Path) -> String {
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["api_token"].as_str().unwrap().to_owned()
}

#[test]
fn writes_a_private_config_with_a_fresh_token() {
    let home = Home::new();
    let ran = run(home.cmd(&["init"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let path = home.config_path();
    assert!(ran.stdout.contains(path.to_str().unwrap()), "{ran:?}");
    assert!(
        ran.stdout.contains("mcp-lm serve"),
        "says how to use it: {ran:?}"
    );
    assert!(ran.stdout.contains("Authorization: Bearer"), "{ran:?}");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let token = token_of(&path);
    assert!(token.len() >= 43, "256 bits: {token}");
    assert!(
        !ran.stdout.contains(&token),
        "the token is not printed unasked"
    );

    // The file is a valid configuration: the CLI loads it without warnings.
    let ran = run(home.cmd(&["service", "--print"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stderr.is_empty(), "{ran:?}");
}

#[test]
fn refuses_to_overwrite_without_force() {
    let home = Home::new();
    assert_eq!(run(home.cmd(&["init"])).code, 0);
    let path = home.config_path();
    let first = token_of(&path);

    let ran = run(home.cmd(&["init"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("error:") && ran.stderr.contains("already exists"),
        "{ran:?}"
    );
    assert!(ran.stderr.contains("--force"), "{ran:?}");
    assert_eq!(token_of(&path), first, "untouched");

    let ran = run(home.cmd(&["init", "--force", "--show-token"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let second = token_of(&path);
    assert_ne!(second, first, "a new token");
    assert!(
        ran.stdout.contains(&second),
        "--show-token prints it: {ran:?}"
    );
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn path_config_and_environment_choose_the_file() {
    let home = Home::new();
    let explicit = home.dir.join("elsewhere").join("mine.json");
    let ran = run(home.cmd(&["init", "--path", explicit.to_str().unwrap()]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(mode(&explicit), 0o600);
    assert!(
        ran.stdout.contains("--config"),
        "names the file in the next steps: {ran:?}"
    );

    let via_flag = home.dir.join("flag.json");
    let ran = run(home.cmd(&["--config", via_flag.to_str().unwrap(), "init"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(via_flag.is_file());

    let via_env = home.dir.join("env.json");
    let mut command = home.cmd(&["init"]);
    command.env("MCP_LM_CONFIG", &via_env);
    let ran = run(command);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(via_env.is_file());
    assert!(!home.config_path().exists());
}
