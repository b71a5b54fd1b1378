//! Asks LM Studio (or Ollama, or another OpenAI-compatible server) one question and prints the
//! answer with every statistic it reports (or that the client measures when it reports none).
//!
//! ```text
//! cargo run -p lmstudio-client --example stats -- [--base-url URL] [--model ID]
//!     [--api v0|v1|native|ollama] [--stream] "Name a prime above 90."
//! ```
//!
//! `--api ollama` talks to Ollama's own API (base URL `http://localhost:11434` unless given);
//! `--api v1` works with any OpenAI-compatible server (llama.cpp's server, vLLM…).
//!
//! `LM_API_TOKEN` is sent as LM Studio's API token when set. Exit code 1 on any error, with
//! the error and its causes on stderr.

use std::{error::Error as _, process::ExitCode};

use futures_util::StreamExt;
use lmstudio_client::{
    ChatEvent, ChatRequest, Client, NativeChatRequest, OllamaChatRequest, Stats, Usage,
};

struct Args {
    base_url: Option<String>,
    model: Option<String>,
    api: String,
    stream: bool,
    prompt: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        base_url: None,
        model: None,
        api: "v0".to_owned(),
        stream: false,
        prompt: String::new(),
    };
    let mut rest = std::env::args().skip(1);
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| rest.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--base-url" => args.base_url = Some(value("--base-url")?),
            "--model" => args.model = Some(value("--model")?),
            "--api" => args.api = value("--api")?,
            "--stream" => args.stream = true,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            prompt => args.prompt = prompt.to_owned(),
        }
    }
    if !matches!(args.api.as_str(), "v0" | "v1" | "native" | "ollama") {
        return Err(format!(
            "--api must be v0, v1, native or ollama, not {}",
            args.api
        ));
    }
    if args.prompt.is_empty() {
        args.prompt = "Name a prime number above 90 in one sentence.".to_owned();
    }
    Ok(args)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!(
                "usage: stats [--base-url URL] [--model ID] [--api v0|v1|native|ollama] [--stream] PROMPT"
            );
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            if let Some(body) = error.body() {
                eprintln!("  server said: {body}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), lmstudio_client::Error> {
    let default_url = if args.api == "ollama" {
        lmstudio_client::OLLAMA_BASE_URL
    } else {
        lmstudio_client::DEFAULT_BASE_URL
    };
    let base_url = args.base_url.as_deref().unwrap_or(default_url);
    let mut builder = Client::builder().base_url(base_url);
    if let Ok(token) = std::env::var("LM_API_TOKEN") {
        builder = builder.api_token(token);
    }
    let lm = builder.build()?;
    let model = args.model.clone().unwrap_or_default();

    if args.api == "native" {
        let req = NativeChatRequest::new(model, args.prompt);
        if args.stream {
            return print_stream(lm.native().chat_stream(&req).await?).await;
        }
        let answer = lm.native().chat(&req).await?;
        println!("model:    {}", answer.model_instance_id);
        println!("answer:   {}", answer.content());
        print_usage_and_stats(Some(answer.stats.usage()), &answer.stats.to_stats());
        return Ok(());
    }

    let req = ChatRequest::prompt(args.prompt).model(model);
    if args.api == "ollama" {
        let req = OllamaChatRequest::from(req);
        if args.stream {
            return print_stream(lm.ollama().chat_stream(&req).await?).await;
        }
        let answer = lm.ollama().chat(&req).await?;
        println!("model:    {}", answer.model);
        if let Ok(info) = lm.ollama().model_info(&answer.model).await {
            let context = info
                .context_length
                .map_or_else(String::new, |c| format!(", context {c}"));
            println!(
                "instance: {} {} {}{context}",
                info.arch, info.quant, info.format
            );
        }
        println!("answer:   {}", answer.content());
        if let Some(reason) = answer.finish_reason() {
            println!("finish:   {reason}");
        }
        print_usage_and_stats(Some(answer.usage()), &answer.stats());
        return Ok(());
    }
    let api_v0 = args.api == "v0";
    if args.stream {
        let stream = if api_v0 {
            lm.v0().chat_stream(&req).await?
        } else {
            lm.openai().chat_stream(&req).await?
        };
        return print_stream(stream).await;
    }
    let answer = if api_v0 {
        lm.v0().chat(&req).await?
    } else {
        lm.openai().chat(&req).await?
    };
    println!("model:    {}", answer.model);
    if let Some(requested) = &answer.requested_model {
        println!("          (asked for {requested}: LM Studio answered with another model)");
    }
    if let (Some(info), Some(runtime)) = (&answer.model_info, &answer.runtime) {
        let context = info
            .context_length
            .map_or_else(String::new, |c| format!(", context {c}"));
        println!(
            "instance: {} {} {}{context}",
            info.arch, info.quant, info.format
        );
        println!("runtime:  {} {}", runtime.name, runtime.version);
    }
    println!("answer:   {}", answer.content());
    if let Some(reason) = answer.finish_reason() {
        println!("finish:   {reason}");
    }
    print_usage_and_stats(answer.usage, &answer.stats.unwrap_or_default());
    Ok(())
}

async fn print_stream(
    mut stream: lmstudio_client::ChatStream,
) -> Result<(), lmstudio_client::Error> {
    use std::io::Write as _;
    print!("answer:   ");
    while let Some(event) = stream.next().await {
        match event? {
            ChatEvent::Delta(delta) => {
                print!("{}", delta.content);
                let _ = std::io::stdout().flush();
            }
            ChatEvent::Done(summary) => {
                println!();
                println!("model:    {}", summary.model);
                if let Some(reason) = &summary.finish_reason {
                    println!("finish:   {reason}");
                }
                if summary.suspected_context_overflow() {
                    println!(
                        "warning:  empty answer: the prompt may not fit in the loaded context"
                    );
                }
                print_usage_and_stats(summary.usage, &summary.stats);
            }
            _ => {}
        }
    }
    Ok(())
}

fn print_usage_and_stats(usage: Option<Usage>, stats: &Stats) {
    if let Some(u) = usage {
        println!(
            "tokens:   prompt {}, completion {}, total {}",
            u.prompt_tokens, u.completion_tokens, u.total_tokens
        );
    }
    let show = |v: Option<f64>, unit: &str| {
        v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}{unit}"))
    };
    println!(
        "stats:    {} tok/s{}, first token {}, generation {}, stop {} (source: {})",
        show(stats.tokens_per_second, ""),
        if stats.tokens_estimated {
            " (estimated)"
        } else {
            ""
        },
        show(stats.time_to_first_token, " s"),
        show(stats.generation_time, " s"),
        stats.stop_reason.as_ref().map_or("n/a", |r| r.as_str()),
        stats.source,
    );
}
