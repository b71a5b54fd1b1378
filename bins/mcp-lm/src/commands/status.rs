//! `mcp-lm status` and `mcp-lm models`: the JSON of `GET /status` and `GET /lm/models`,
//! computed here or asked of a server, shown as text or as the JSON itself.

use std::io::Write;

use anyhow::Result;
use serde_json::Value;

use crate::{
    cli::{ModelsArgs, StatusArgs},
    context::{Context, Target},
    failure::Failure,
    style::{Paint, Spinner},
};

/// Runs `mcp-lm status`; exit code 1 when LM Studio is not reachable.
///
/// # Errors
/// A [`Failure`] when the server cannot be asked.
pub(crate) async fn status(args: &StatusArgs, ctx: &Context) -> Result<u8> {
    let target = ctx.target(&args.server, false)?;
    let spinner = Spinner::start("asking LM Studio");
    let (report, server) = match &target {
        Target::Direct(services) => (
            serde_json::to_value(services.status(services.sessions.len()).await)?,
            None,
        ),
        Target::Remote(remote) => (remote.get("/status").await?, Some(remote.base())),
    };
    drop(spinner);
    let connected = report["lm_studio"]["connected"].as_bool() == Some(true);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write_status(&mut out, &report, server)?;
    }
    out.flush()?;
    if connected {
        Ok(0)
    } else {
        let paint = Paint::stderr();
        crate::style::note(&format!(
            "{} start LM Studio's server (Developer tab, or `lms server start`) or check lmstudio.host / MCP_LM_LMSTUDIO_HOST",
            paint.yellow("hint:")
        ));
        Ok(1)
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn write_status(out: &mut impl Write, report: &Value, server: Option<&str>) -> Result<()> {
    let paint = Paint::stdout();
    let lm = &report["lm_studio"];
    let host = text(&lm["host"]);
    let api = text(&lm["api_version"]);
    let label = |name: &str| paint.bold(&format!("{name:<10}"));
    if lm["connected"].as_bool() == Some(true) {
        let loaded = if lm["available"].as_bool() == Some(true) {
            paint.green("a model is loaded")
        } else {
            paint.yellow("no model loaded")
        };
        writeln!(
            out,
            "{} {} {host} (api {api}), {loaded}",
            label("LM Studio"),
            paint.green("connected to")
        )?;
    } else {
        writeln!(
            out,
            "{} {} at {host} (api {api})",
            label("LM Studio"),
            paint.red("not reachable")
        )?;
        if let Some(error) = lm["error"].as_str() {
            writeln!(out, "{:<10} {}", "", paint.dim(error))?;
        }
    }
    writeln!(out, "{:<10} configured model: {}", "", text(&lm["model"]))?;
    let models: Vec<String> = report["models"]
        .as_array()
        .map(|m| m.iter().map(text).collect())
        .unwrap_or_default();
    if !models.is_empty() {
        writeln!(out, "{:<10} models: {}", "", models.join(", "))?;
    }
    let terminal = &report["terminal"];
    writeln!(
        out,
        "{} {}, default timeout {}, {} running",
        label("terminal"),
        text(&terminal["status"]),
        text(&terminal["timeout"]),
        text(&terminal["running"])
    )?;
    if let Some(server) = server {
        writeln!(
            out,
            "{} {server}, version {}, up {} s, {} session(s)",
            label("server"),
            text(&report["version"]),
            text(&report["uptime_s"]),
            text(&report["sessions"])
        )?;
    }
    Ok(())
}

/// Runs `mcp-lm models`.
///
/// # Errors
/// A [`Failure`] when LM Studio (or the server) cannot be asked.
pub(crate) async fn models(args: &ModelsArgs, ctx: &Context) -> Result<u8> {
    let target = ctx.target(&args.server, false)?;
    let backend = args.backend.as_deref();
    let spinner = Spinner::start(&format!("asking {}", backend.unwrap_or("the model server")));
    let listing = match &target {
        Target::Direct(services) => {
            serde_json::to_value(services.lm_models(backend).await.map_err(Failure::from)?)?
        }
        // Backend names are checked by the argument parser: nothing to escape.
        Target::Remote(remote) => match backend {
            Some(name) => remote.get(&format!("/lm/models?backend={name}")).await?,
            None => remote.get("/lm/models").await?,
        },
    };
    drop(spinner);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&listing)?)?;
        return Ok(0);
    }
    let models = listing["models"].as_array().cloned().unwrap_or_default();
    if models.is_empty() {
        writeln!(
            out,
            "{} lists no models.",
            backend.unwrap_or("The model server")
        )?;
        return Ok(0);
    }
    let rows: Vec<[String; 6]> = models
        .iter()
        .map(|m| {
            let context = match (
                m["loaded_context_length"].as_u64(),
                m["max_context_length"].as_u64(),
            ) {
                (Some(loaded), Some(max)) => format!("{loaded}/{max}"),
                (None, Some(max)) => max.to_string(),
                (Some(loaded), None) => loaded.to_string(),
                (None, None) => String::new(),
            };
            [
                text(&m["id"]),
                text(&m["state"]),
                text(&m["type"]),
                text(&m["arch"]),
                text(&m["quantization"]),
                context,
            ]
        })
        .collect();
    let header = ["ID", "STATE", "TYPE", "ARCH", "QUANT", "CONTEXT"];
    crate::table::write(&mut out, &header, &rows, |column, cell| {
        let paint = Paint::stdout();
        if column == 1 && cell == "loaded" {
            paint.green(cell)
        } else {
            cell.to_owned()
        }
    })?;
    Ok(0)
}
