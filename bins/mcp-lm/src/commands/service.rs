//! `mcp-lm service install|uninstall|status [--print]`: the HTTP server as a systemd *user*
//! service (no root needed): restarted on failure, logging to journald. `$MCP_LM_SYSTEMCTL`
//! names another `systemctl` program (tests use a recorder).

use std::{
    ffi::OsString,
    io::Write,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::Result;

use crate::{
    cli::{ServiceAction, ServiceArgs},
    context::Context,
    failure::Failure,
    style::{Paint, note, warn},
};

/// The unit's file name.
pub(crate) const UNIT: &str = "mcp-lm.service";

/// `$XDG_CONFIG_HOME/systemd/user/mcp-lm.service` (or under `~/.config`).
fn unit_path() -> Result<PathBuf, Failure> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .map(|base| base.join("systemd").join("user").join(UNIT))
        .ok_or_else(|| Failure::new("HOME is not set: cannot tell where user units go"))
}

/// Quotes one word of an `ExecStart=` line (systemd's rules: double quotes, backslash
/// escapes, `%` and `$` doubled so they are not expanded).
fn quote(word: &str) -> String {
    let mut quoted = String::from("\"");
    for c in word.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '%' => quoted.push_str("%%"),
            '$' => quoted.push_str("$$"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The unit file: `mcp-lm serve --config FILE`, restarted on failure, logs to the journal.
#[must_use]
pub(crate) fn unit(executable: &Path, config: Option<&Path>) -> String {
    let mut exec = format!("{} serve", quote(&executable.display().to_string()));
    if let Some(config) = config {
        exec.push_str(" --config ");
        exec.push_str(&quote(&config.display().to_string()));
    }
    let note = if config.is_none() {
        "# No configuration file: the server would make up a new token at every start.\n# Run `mcp-lm init` first, then install again.\n"
    } else {
        ""
    };
    format!(
        "# Written by `mcp-lm service install`; remove with `mcp-lm service uninstall`.
{note}[Unit]
Description=mcp-lm HTTP server: a local LLM (LM Studio) and a terminal for AI assistants
Documentation=https://github.com/mcp-lm-terminal/mcp-lm-terminal
After=network.target

[Service]
Type=simple
ExecStart={exec}
Restart=on-failure
RestartSec=2
StandardOutput=journal
StandardError=journal
SyslogIdentifier=mcp-lm
NoNewPrivileges=true

[Install]
WantedBy=default.target
"
    )
}

/// The `systemctl` program: `$MCP_LM_SYSTEMCTL`, else `systemctl` on the `PATH`.
fn systemctl_program() -> OsString {
    std::env::var_os("MCP_LM_SYSTEMCTL")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "systemctl".into())
}

/// Runs `systemctl --user ARGS…`, output to our terminal; returns its exit code.
fn systemctl(args: &[&str]) -> Result<i32, Failure> {
    let program = systemctl_program();
    let status = Command::new(&program)
        .arg("--user")
        .args(args)
        .status()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Failure::new(format!(
                    "{} not found: daemon mode needs systemd",
                    program.to_string_lossy()
                ))
                .hint("without systemd, run `mcp-lm serve` under your own supervisor; `mcp-lm service install --print` shows the unit")
            } else {
                Failure::new(format!("cannot run {}: {e}", program.to_string_lossy()))
            }
        })?;
    Ok(status.code().unwrap_or(1))
}

fn require(args: &[&str]) -> Result<(), Failure> {
    match systemctl(args)? {
        0 => Ok(()),
        code => Err(Failure::new(format!(
            "`systemctl --user {}` failed (exit code {code})",
            args.join(" ")
        ))
        .hint("is a systemd user instance running for you? (`systemctl --user status`; over SSH, `loginctl enable-linger $USER` first)")),
    }
}

/// Runs `mcp-lm service`.
///
/// # Errors
/// A [`Failure`] when the unit cannot be written or `systemctl` is missing or fails.
pub(crate) fn run(args: &ServiceArgs, ctx: &Context) -> Result<u8> {
    let executable = std::env::current_exe()
        .map_err(|e| Failure::new(format!("cannot tell where mcp-lm is installed: {e}")))?;
    let config = ctx
        .file()
        .map(|path| std::path::absolute(path).unwrap_or_else(|_| path.clone()));
    let text = unit(&executable, config.as_deref());
    if args.print {
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(0);
    }
    let path = unit_path()?;
    let paint = Paint::stderr();
    match args.action.unwrap_or(ServiceAction::Status) {
        ServiceAction::Install => {
            if config.is_none() || ctx.config.api_token.is_none() {
                return Err(Failure::new(
                    "no configuration file with an api_token: the service would get a new random token at every start",
                )
                .hint("run `mcp-lm init` first (or pass --config FILE)")
                .into());
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display())))?;
            }
            std::fs::write(&path, &text)
                .and_then(|()| {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
                })
                .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))?;
            require(&["daemon-reload"])?;
            require(&["enable", "--now", UNIT])?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{} {} and started it ({UNIT}: restarts on failure, logs to the journal).
  status:  mcp-lm service status      logs: journalctl --user -u mcp-lm -f
  to keep it running when you are logged out: loginctl enable-linger $USER",
                Paint::stdout().green("Installed"),
                path.display()
            )?;
            Ok(0)
        }
        ServiceAction::Uninstall => {
            if !path.exists() {
                note(&format!(
                    "{} is not installed ({} does not exist).",
                    UNIT,
                    path.display()
                ));
                return Ok(0);
            }
            if let Err(failure) = require(&["disable", "--now", UNIT]) {
                warn(&failure.message);
            }
            std::fs::remove_file(&path)
                .map_err(|e| Failure::new(format!("cannot remove {}: {e}", path.display())))?;
            require(&["daemon-reload"])?;
            writeln!(
                std::io::stdout().lock(),
                "Stopped {UNIT} and removed {}.",
                path.display()
            )?;
            Ok(0)
        }
        ServiceAction::Status => {
            if path.exists() {
                note(&paint.dim(&format!("unit file: {}", path.display())));
            } else {
                note(&format!(
                    "{UNIT} is not installed ({} does not exist); `mcp-lm service install` installs it.",
                    path.display()
                ));
            }
            let code = systemctl(&["status", "--no-pager", UNIT])?;
            Ok(u8::try_from(code.clamp(0, 255)).unwrap_or(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_is_quoted() {
        let text = unit(
            Path::new("/opt/my bin/mcp-lm"),
            Some(Path::new("/c/50%.json")),
        );
        assert!(
            text.contains("ExecStart=\"/opt/my bin/mcp-lm\" serve --config \"/c/50%%.json\""),
            "{text}"
        );
        assert!(text.contains("Restart=on-failure"));
    }
}
