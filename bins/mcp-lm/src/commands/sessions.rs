//! `mcp-lm sessions [list|close ID]`: the server's interactive terminal sessions.

use std::{
    io::Write,
    time::{SystemTime, UNIX_EPOCH},
};

use anyhow::Result;
use serde_json::Value;

use crate::{
    cli::{SessionsAction, SessionsArgs},
    context::Context,
    failure::Failure,
    style::Paint,
};

fn ago(millis: Option<u64>) -> String {
    let Some(millis) = millis else {
        return String::new();
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let seconds = now.saturating_sub(millis) / 1000;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86_400 => format!("{}h{:02}m", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{}d", seconds / 86_400),
    }
}

fn status(session: &Value) -> String {
    let exit = &session["exit"];
    if exit.is_null() {
        return "running".to_owned();
    }
    match (exit["code"].as_i64(), exit["signal"].as_str()) {
        (Some(code), _) => format!("exited ({code})"),
        (None, Some(signal)) => format!("killed ({signal})"),
        (None, None) => "exited".to_owned(),
    }
}

/// Checks a session id or name as the server does: 1 to 64 of `A-Z a-z 0-9 - _ .`.
///
/// # Errors
/// A usage [`Failure`] (exit code 2).
pub(crate) fn check_name(value: &str) -> Result<(), Failure> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(
            Failure::new(format!("{value:?} is not a session id or name"))
                .hint("ids and names are 1 to 64 letters, digits, '-', '_' or '.'")
                .code(2),
        )
    }
}

/// Runs `mcp-lm sessions`.
///
/// # Errors
/// A [`Failure`] when the server cannot be reached or refuses.
pub(crate) async fn run(args: &SessionsArgs, ctx: &Context) -> Result<u8> {
    let remote = ctx.remote(&args.server)?;
    let mut out = std::io::stdout().lock();
    match &args.action {
        None | Some(SessionsAction::List) => {
            let listing = remote.get("/terminal/sessions").await?;
            if args.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&listing)?)?;
                return Ok(0);
            }
            let sessions = listing["sessions"].as_array().cloned().unwrap_or_default();
            if sessions.is_empty() {
                writeln!(
                    out,
                    "No terminal sessions on {} (start one with `mcp-lm attach`).",
                    remote.base()
                )?;
                return Ok(0);
            }
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                Value::Null => "-".to_owned(),
                other => other.to_string(),
            };
            let rows: Vec<[String; 8]> = sessions
                .iter()
                .map(|s| {
                    [
                        text(&s["id"]),
                        text(&s["name"]),
                        text(&s["pid"]),
                        format!("{}x{}", text(&s["cols"]), text(&s["rows"])),
                        text(&s["subscribers"]),
                        ago(s["created"].as_u64()),
                        ago(s["last_activity"].as_u64()),
                        status(s),
                    ]
                })
                .collect();
            let paint = Paint::stdout();
            crate::table::write(
                &mut out,
                &[
                    "ID", "NAME", "PID", "SIZE", "CLIENTS", "AGE", "IDLE", "STATUS",
                ],
                &rows,
                |column, cell| match (column, cell) {
                    (7, "running") => paint.green(cell),
                    (7, _) => paint.dim(cell),
                    _ => cell.to_owned(),
                },
            )?;
        }
        Some(SessionsAction::Close { id }) => {
            check_name(id)?;
            let answer = remote.delete(&format!("/terminal/sessions/{id}")).await?;
            if args.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&answer)?)?;
            } else {
                writeln!(out, "Closed session {id}.")?;
            }
        }
    }
    Ok(0)
}
