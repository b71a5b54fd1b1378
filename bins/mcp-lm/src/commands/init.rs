//! `mcp-lm init`: writes a configuration file with a fresh token, readable only by its owner.

use std::{
    io::Write,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use anyhow::Result;
use mcp_lm_core::Config;

use crate::{cli::InitArgs, failure::Failure, style::Paint};

/// Where `init` writes: `--path`, else `--config`, else `$MCP_LM_CONFIG`, else the user
/// config directory.
fn target(args: &InitArgs, config: Option<&Path>) -> Result<PathBuf, Failure> {
    args.path
        .clone()
        .or_else(|| config.map(Path::to_path_buf))
        .or_else(|| {
            std::env::var_os("MCP_LM_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(mcp_lm_core::default_path)
        .ok_or_else(|| {
            Failure::new("cannot tell where the configuration goes: HOME is not set")
                .hint("pass --path FILE")
        })
}

/// The file: the original server's fields, with the defaults and a new token.
fn contents(token: &str) -> Result<String> {
    let defaults = Config::default();
    let text = format!(
        r#"{{
  "api_token": {token},
  "lmstudio": {{ "host": {host}, "model": {model}, "api_version": "v0" }},
  "terminal": {{ "timeout": {timeout} }},
  "server": {{ "host": {server_host}, "port": {port} }}
}}
"#,
        token = serde_json::to_string(token)?,
        host = serde_json::to_string(&defaults.lmstudio.host)?,
        model = serde_json::to_string(&defaults.lmstudio.model)?,
        timeout = defaults.terminal.timeout,
        server_host = serde_json::to_string(&defaults.server.host)?,
        port = defaults.server.port,
    );
    Ok(text)
}

/// Writes `text` to `path` with mode 0600: into a new file beside it, then renamed over, so
/// that the token is never readable by others, not even for a moment.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir
        && !dir.exists()
    {
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Runs `mcp-lm init`.
///
/// # Errors
/// A [`Failure`] when the file exists (without `--force`) or cannot be written.
pub(crate) fn run(args: &InitArgs, config: Option<&Path>) -> Result<()> {
    let path = target(args, config)?;
    if path.exists() && !args.force {
        return Err(Failure::new(format!(
            "{} already exists; not overwriting it",
            path.display()
        ))
        .hint("use --force to replace it (clients using its token must then get the new one), or --path to write elsewhere")
        .into());
    }
    let token = mcp_auth::Token::generate()
        .map_err(|e| Failure::new(format!("cannot generate a token: {e}")))?;
    write_private(&path, &contents(token.expose_secret())?)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))?;

    let paint = Paint::stdout();
    let config_flag = if mcp_lm_core::default_path().as_deref() == Some(path.as_path()) {
        String::new()
    } else {
        format!(" --config {}", path.display())
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {} (mode 0600) with a new 256-bit API token.",
        paint.green("Wrote"),
        paint.bold(&path.display().to_string())
    )?;
    if args.show_token {
        writeln!(out, "Token: {}", token.expose_secret())?;
    }
    writeln!(
        out,
        "
Next steps:
  mcp-lm{config_flag} serve                       start the server on http://127.0.0.1:8080
  mcp-lm{config_flag} status                      check that LM Studio answers
  mcp-lm{config_flag} mcp-config --client claude  connect Claude Desktop (or cursor, vscode, chatgpt…)
  mcp-lm{config_flag} service install             keep the server running (systemd user service)

HTTP clients send `Authorization: Bearer <api_token>`, with the api_token from that file.
Edit lmstudio.host there if LM Studio is not on localhost:1234."
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_config_loads() {
        let text = contents("x".repeat(43).as_str()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let loaded = Config::from_value(
            value,
            &std::collections::BTreeMap::new(),
            mcp_lm_core::ConfigSource::Embedded,
        )
        .unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.config.api_token.as_deref(), Some(&*"x".repeat(43)));
    }
}
