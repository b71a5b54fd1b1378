//! `mcp-lm query`: asks the LLM, streams the answer to stdout as it is generated, then prints
//! the statistics line (tok/s, time to first token, generation time, stop reason, source) on
//! stderr. The same JSON events whether LM Studio is asked here or through a server.

use std::{
    io::{IsTerminal, Read, Write},
    pin::Pin,
    time::Duration,
};

use anyhow::Result;
use futures_util::{Stream, StreamExt};
use mcp_lm_core::{LmQuery, LmStreamEvent, Services};
use serde_json::{Map, Value, json};

use crate::{
    cli::QueryArgs,
    context::{Context, Target},
    failure::Failure,
    sse::SseReader,
    style::{Paint, Spinner, note, warn},
};

/// The prompt: the argument, or standard input for `-` or when none is given.
fn prompt(args: &QueryArgs) -> Result<String> {
    match args.prompt.as_deref() {
        Some(prompt) if prompt != "-" => Ok(prompt.to_owned()),
        given => {
            let stdin = std::io::stdin();
            if given.is_none() && stdin.is_terminal() {
                return Err(Failure::new("no prompt given")
                    .hint("mcp-lm query \"your question\" (or pipe the prompt on standard input)")
                    .code(2)
                    .into());
            }
            let mut text = String::new();
            stdin.lock().read_to_string(&mut text)?;
            let text = text.trim_end().to_owned();
            if text.is_empty() {
                return Err(Failure::new("the prompt on standard input is empty")
                    .code(2)
                    .into());
            }
            Ok(text)
        }
    }
}

/// The `/lm/query` request body.
fn body(args: &QueryArgs, prompt: String, stream: bool) -> Value {
    let mut body = Map::new();
    body.insert("prompt".into(), Value::String(prompt));
    let mut set = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            body.insert(name.into(), value);
        }
    };
    set("model", args.model.clone().map(Value::from));
    set("system", args.system.clone().map(Value::from));
    set("temperature", args.temperature.map(Value::from));
    set("max_tokens", args.max_tokens.map(Value::from));
    set("top_p", args.top_p.map(Value::from));
    set("top_k", args.top_k.map(Value::from));
    set("ttl", args.ttl.map(Value::from));
    set("api_version", args.api.map(|a| Value::from(a.as_str())));
    set("backend", args.backend.clone().map(Value::from));
    set(
        "stop",
        match args.stop.as_slice() {
            [] => None,
            [one] => Some(Value::from(one.as_str())),
            many => Some(Value::from(many.to_vec())),
        },
    );
    body.insert("stream".into(), Value::Bool(stream));
    Value::Object(body)
}

/// Streamed events, from LM Studio directly or from the server's SSE.
enum Events {
    Direct(Pin<Box<dyn Stream<Item = LmStreamEvent> + Send>>),
    Remote(SseReader),
}

impl Events {
    async fn next(&mut self) -> Result<Option<Value>> {
        match self {
            Self::Direct(stream) => match stream.next().await {
                Some(event) => Ok(Some(serde_json::to_value(event)?)),
                None => Ok(None),
            },
            Self::Remote(reader) => loop {
                let Some(event) = reader.next().await? else {
                    return Ok(None);
                };
                if event.data.is_empty() {
                    continue;
                }
                let value: Value = serde_json::from_str(&event.data).map_err(|e| {
                    Failure::new(format!("the server sent an unreadable event: {e}"))
                })?;
                return Ok(Some(value));
            },
        }
    }
}

fn audit(services: &Services, args: &QueryArgs, stream: bool, outcome: &str) {
    services.audit.record(
        "query",
        json!({"caller": "cli", "model": args.model.as_deref().unwrap_or("default"), "stream": stream, "outcome": outcome}),
    );
}

/// Runs `mcp-lm query`.
///
/// # Errors
/// A [`Failure`] from LM Studio or the server (unknown model, nothing loaded, unreachable…).
pub(crate) async fn run(args: &QueryArgs, ctx: &Context) -> Result<u8> {
    let stream = if args.json {
        args.stream
    } else {
        !args.no_stream
    };
    let body = body(args, prompt(args)?, stream);
    let target = ctx.target(&args.server, true)?;
    let outcome = if stream {
        streamed(args, &target, &body).await
    } else {
        whole(args, ctx, &target, &body).await
    };
    if let Target::Direct(services) = &target {
        services.audit.flush();
    }
    outcome
}

async fn whole(args: &QueryArgs, ctx: &Context, target: &Target, body: &Value) -> Result<u8> {
    let spinner = Spinner::start("waiting for the answer");
    let answer = match target {
        Target::Direct(services) => {
            let query = LmQuery::from_json(body.clone()).map_err(Failure::from)?;
            let answer = services.lm_query(&query).await;
            audit(
                services,
                args,
                false,
                answer.as_ref().map_or_else(|e| e.code, |_| "ok"),
            );
            serde_json::to_value(answer.map_err(Failure::from)?)?
        }
        Target::Remote(remote) => {
            let timeout = Duration::from_secs(ctx.config.lmstudio.request_timeout + 60);
            remote.post("/lm/query", body, timeout).await?
        }
    };
    drop(spinner);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&answer)?)?;
        return Ok(0);
    }
    if let Some(reasoning) = answer["reasoning"].as_str().filter(|r| !r.is_empty()) {
        note(&Paint::stderr().dim(reasoning.trim_end()));
    }
    let content = answer["content"].as_str().unwrap_or_default();
    write!(out, "{content}")?;
    if !content.ends_with('\n') {
        writeln!(out)?;
    }
    out.flush()?;
    finish(&answer);
    Ok(0)
}

async fn streamed(args: &QueryArgs, target: &Target, body: &Value) -> Result<u8> {
    let mut spinner = Spinner::start("waiting for the first token");
    let mut events = match target {
        Target::Direct(services) => {
            let query = LmQuery::from_json(body.clone()).map_err(Failure::from)?;
            match services.lm_query_stream(&query).await {
                Ok(stream) => {
                    audit(services, args, true, "stream");
                    Events::Direct(Box::pin(stream))
                }
                Err(error) => {
                    audit(services, args, true, error.code);
                    return Err(Failure::from(error).into());
                }
            }
        }
        Target::Remote(remote) => Events::Remote(remote.post_events("/lm/query", body).await?),
    };
    let paint = Paint::stderr();
    let mut out = std::io::stdout().lock();
    let mut printed = false;
    let mut ends_with_newline = true;
    let mut in_reasoning = false;
    while let Some(event) = events.next().await? {
        if args.json {
            spinner.stop();
            writeln!(out, "{event}")?;
            out.flush()?;
            if event["type"] == "error" {
                return Err(stream_failure(&event["error"]).into());
            }
            continue;
        }
        match event["type"].as_str() {
            Some("delta") => {
                if let Some(reasoning) = event["reasoning"].as_str().filter(|r| !r.is_empty()) {
                    spinner.stop();
                    in_reasoning = true;
                    let _ = write!(std::io::stderr().lock(), "{}", paint.dim(reasoning));
                }
                if let Some(content) = event["content"].as_str().filter(|c| !c.is_empty()) {
                    spinner.stop();
                    if in_reasoning {
                        in_reasoning = false;
                        note("");
                    }
                    write!(out, "{content}")?;
                    out.flush()?;
                    printed = true;
                    ends_with_newline = content.ends_with('\n');
                }
            }
            Some("progress") => {
                let stage = event["stage"]
                    .as_str()
                    .unwrap_or("working")
                    .replace('_', " ");
                let percent = event["progress"].as_f64().unwrap_or(0.0) * 100.0;
                spinner.set_message(&format!("{stage} {percent:.0}%"));
            }
            Some("done") => {
                spinner.stop();
                if printed && !ends_with_newline {
                    writeln!(out)?;
                }
                out.flush()?;
                finish(&event);
                return Ok(0);
            }
            Some("error") => {
                spinner.stop();
                if printed && !ends_with_newline {
                    writeln!(out)?;
                    out.flush()?;
                }
                return Err(stream_failure(&event["error"]).into());
            }
            _ => {}
        }
    }
    spinner.stop();
    if args.json {
        return Ok(0);
    }
    if printed && !ends_with_newline {
        writeln!(out)?;
    }
    Err(
        Failure::new("the answer stream ended without its final statistics")
            .hint("LM Studio or the server stopped mid-answer; try again")
            .into(),
    )
}

pub(crate) fn stream_failure(error: &Value) -> Failure {
    let message = error["message"]
        .as_str()
        .unwrap_or("the answer stream failed");
    let failure = match error["code"].as_str() {
        Some(code) => Failure::new(format!("{message} ({code})")),
        None => Failure::new(message),
    };
    match error["hint"].as_str() {
        Some(hint) => failure.hint(hint),
        None => failure,
    }
}

/// After the answer: a warning if another model answered, and the statistics line.
fn finish(answer: &Value) {
    if let Some(requested) = answer["requested_model"].as_str() {
        warn(&format!(
            "LM Studio answered with {}, not the requested {requested}",
            answer["model"].as_str().unwrap_or("another model")
        ));
    }
    note(&Paint::stderr().dim(&stats_line(answer)));
}

/// `51.4 tok/s · TTFT 0.11 s · generation 0.95 s · stop: eosFound · 24+6 tokens · model · source: server`
#[must_use]
pub(crate) fn stats_line(answer: &Value) -> String {
    let stats = &answer["stats"];
    let usage = &answer["usage"];
    let mut parts = Vec::new();
    if let Some(tps) = stats["tokens_per_second"].as_f64() {
        parts.push(format!("{tps:.1} tok/s"));
    }
    if let Some(ttft) = stats["time_to_first_token"].as_f64() {
        parts.push(format!("TTFT {ttft:.2} s"));
    }
    if let Some(generation) = stats["generation_time"].as_f64() {
        parts.push(format!("generation {generation:.2} s"));
    }
    if let Some(stop) = stats["stop_reason"]
        .as_str()
        .or_else(|| answer["finish_reason"].as_str())
    {
        parts.push(format!("stop: {stop}"));
    }
    match (
        usage["prompt_tokens"].as_u64(),
        usage["completion_tokens"].as_u64(),
    ) {
        (Some(prompt), Some(completion)) if prompt + completion > 0 => {
            parts.push(format!("{prompt}+{completion} tokens"));
        }
        _ => {}
    }
    if let Some(model) = answer["model"].as_str().filter(|m| !m.is_empty()) {
        parts.push(model.to_owned());
    }
    let source = stats["source"].as_str().unwrap_or("unknown");
    if stats["tokens_estimated"].as_bool() == Some(true) {
        parts.push(format!("source: {source}, tokens estimated"));
    } else {
        parts.push(format!("source: {source}"));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_line_names_every_figure() {
        let line = stats_line(&json!({
            "stats": {"tokens_per_second": 51.4, "time_to_first_token": 0.111, "generation_time": 0.954,
                      "stop_reason": "eosFound", "source": "server"},
            "usage": {"prompt_tokens": 24, "completion_tokens": 6, "total_tokens": 30},
            "model": "qwen", "finish_reason": "stop"
        }));
        assert_eq!(
            line,
            "51.4 tok/s · TTFT 0.11 s · generation 0.95 s · stop: eosFound · 24+6 tokens · qwen · source: server"
        );
    }
}
