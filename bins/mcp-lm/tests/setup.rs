//! `mcp-config` (JSON for MCP hosts, ChatGPT Actions) and `service` (systemd user unit).

mod support;

use std::path::Path;

use support::{Home, mode, run};

#[test]
fn mcp_config_prints_json_naming_mcp_lm_stdio() {
    let home = Home::new();
    let ran = run(home.cmd(&["mcp-config"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let entry = ran.json();
    let command = entry["mcpServers"]["mcp-lm"]["command"].as_str().unwrap();
    assert!(command.ends_with("/mcp-lm-stdio"), "{command}");
    let next_to = Path::new(support::BIN).parent().unwrap();
    assert_eq!(
        Path::new(command).parent().unwrap(),
        next_to,
        "next to mcp-lm"
    );
    assert_eq!(entry["mcpServers"]["mcp-lm"]["args"], serde_json::json!([]));
    assert!(ran.stderr.contains("claude_desktop_config.json"), "{ran:?}");
    assert!(
        ran.stderr.contains("/openapi.json?format=3.0"),
        "ChatGPT Actions: {ran:?}"
    );
    assert!(ran.stderr.contains("Bearer"), "{ran:?}");

    let ran = run(home.cmd(&["mcp-config", "--client", "vscode"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let entry = ran.json();
    assert_eq!(entry["servers"]["mcp-lm"]["type"], "stdio");
    assert!(
        entry["servers"]["mcp-lm"]["command"]
            .as_str()
            .unwrap()
            .ends_with("mcp-lm-stdio")
    );

    for client in ["cursor", "claude-code", "windsurf"] {
        let ran = run(home.cmd(&["mcp-config", "--client", client]));
        assert_eq!(ran.code, 0, "{client}: {ran:?}");
        assert!(
            ran.json()["mcpServers"]["mcp-lm"]["command"].is_string(),
            "{client}"
        );
    }

    let ran = run(home.cmd(&["mcp-config", "--client", "nope"]));
    assert_eq!(ran.code, 2, "{ran:?}");
}

#[test]
fn mcp_config_points_at_a_non_default_config_and_http_hosts() {
    let home = Home::new();
    let config = home.dir.join("custom.json");
    assert_eq!(
        run(home.cmd(&["init", "--path", config.to_str().unwrap()])).code,
        0
    );
    let ran = run(home.cmd(&["--config", config.to_str().unwrap(), "mcp-config"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.json()["mcpServers"]["mcp-lm"]["env"]["MCP_LM_CONFIG"],
        config.to_str().unwrap()
    );

    let ran = run(home.cmd(&[
        "--config",
        config.to_str().unwrap(),
        "mcp-config",
        "--client",
        "http",
        "--show-token",
    ]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let entry = ran.json();
    assert_eq!(
        entry["mcpServers"]["mcp-lm"]["url"],
        "http://127.0.0.1:8080/mcp"
    );
    let token: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(
        entry["mcpServers"]["mcp-lm"]["headers"]["Authorization"],
        format!("Bearer {}", token["api_token"].as_str().unwrap())
    );

    let ran = run(home.cmd(&[
        "mcp-config",
        "--client",
        "chatgpt",
        "--server",
        "http://192.0.2.1:9000",
    ]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout
            .contains("http://192.0.2.1:9000/openapi.json?format=3.0"),
        "{ran:?}"
    );
    assert!(ran.stdout.contains("Bearer"), "{ran:?}");
}

#[test]
fn service_print_shows_the_user_unit() {
    let home = Home::new();
    assert_eq!(run(home.cmd(&["init"])).code, 0);
    let ran = run(home.cmd(&["service", "install", "--print"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    let unit = &ran.stdout;
    assert!(
        unit.contains(&format!(
            "ExecStart=\"{}\" serve --config \"{}\"",
            support::BIN,
            home.config_path().display()
        )),
        "{unit}"
    );
    for line in [
        "Restart=on-failure",
        "StandardOutput=journal",
        "WantedBy=default.target",
        "[Service]",
    ] {
        assert!(unit.contains(line), "{line} missing:\n{unit}");
    }
    assert!(
        !home.dir.join("config/systemd").exists(),
        "--print changes nothing"
    );
}

/// A `systemctl` stand-in that records its arguments.
fn fake_systemctl(home: &Home, exit: i32) -> std::path::PathBuf {
    let path = home.dir.join("systemctl");
    let log = home.dir.join("systemctl.log");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexit {exit}\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

#[test]
fn service_install_status_uninstall() {
    let home = Home::new();
    assert_eq!(run(home.cmd(&["init"])).code, 0);
    let systemctl = fake_systemctl(&home, 0);
    let cmd = |args: &[&str]| {
        let mut command = home.cmd(args);
        command.env("MCP_LM_SYSTEMCTL", &systemctl);
        command
    };
    let ran = run(cmd(&["service", "install"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        !ran.stderr.contains("warning"),
        "the CLI's own variable is no config warning: {ran:?}"
    );
    let unit = home.dir.join("config/systemd/user/mcp-lm.service");
    assert!(unit.is_file(), "{ran:?}");
    assert_eq!(mode(&unit), 0o644);
    assert!(
        ran.stdout.contains("journalctl --user -u mcp-lm"),
        "{ran:?}"
    );

    let ran = run(cmd(&["service", "status"]));
    assert_eq!(ran.code, 0, "{ran:?}");

    let ran = run(cmd(&["service", "uninstall"]));
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!unit.exists());

    let log = std::fs::read_to_string(home.dir.join("systemctl.log")).unwrap();
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            "--user daemon-reload",
            "--user enable --now mcp-lm.service",
            "--user status --no-pager mcp-lm.service",
            "--user disable --now mcp-lm.service",
            "--user daemon-reload",
        ]
    );
}

#[test]
fn service_errors_are_clear() {
    let home = Home::new();
    // No config with a token yet.
    let ran = run(home.cmd(&["service", "install"]));
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("mcp-lm init"), "{ran:?}");

    assert_eq!(run(home.cmd(&["init"])).code, 0);
    let mut command = home.cmd(&["service", "install"]);
    command.env("MCP_LM_SYSTEMCTL", home.dir.join("no-such-systemctl"));
    let ran = run(command);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("not found: daemon mode needs systemd"),
        "{ran:?}"
    );
    assert!(
        ran.stderr.contains("hint:") && ran.stderr.contains("--print"),
        "{ran:?}"
    );

    let failing = fake_systemctl(&home, 1);
    let mut command = home.cmd(&["service", "install"]);
    command.env("MCP_LM_SYSTEMCTL", &failing);
    let ran = run(command);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr
            .contains("systemctl --user daemon-reload` failed"),
        "{ran:?}"
    );
}
