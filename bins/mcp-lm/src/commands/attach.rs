//! `mcp-lm attach`: an interactive terminal client for a server's `WS /terminal/stream`.
//!
//! The local terminal goes to raw mode (so Ctrl-C, arrows and so on reach the remote shell)
//! and is restored on every way out; keystrokes travel as binary frames (exact bytes);
//! `SIGWINCH` sends the new size; the detach key (Ctrl-] by default) leaves the session
//! running on the server, to be found again with `mcp-lm attach ID_OR_NAME` (which replays
//! its scrollback first).

use std::{io::Write, time::Duration};

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::signal::unix::{SignalKind, signal};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{self, Message, client::IntoClientRequest},
};

use crate::{
    cli::AttachArgs,
    commands::sessions::check_name,
    context::Context,
    failure::Failure,
    raw_terminal::{RawMode, describe_key, parse_detach_key, window_size},
    remote::Remote,
    style::{Paint, note},
};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// How long the connection and the server's first message may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After standard input ends (not a terminal), how long to keep showing output that is
/// still coming before detaching.
const EOF_LINGER: Duration = Duration::from_millis(500);

/// Why the client stopped.
#[derive(Debug)]
enum Ending {
    /// The detach key, the end of piped input, SIGTERM or SIGHUP: the session lives on.
    Detached(&'static str),
    /// The shell ended.
    Exited {
        code: Option<i64>,
        signal: Option<String>,
    },
    /// The server closed the connection.
    Closed,
}

async fn connect(remote: &Remote, query: &[(&str, String)]) -> Result<Socket> {
    let url = remote.ws_url("/terminal/stream", query);
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| Failure::new(format!("bad WebSocket URL {url}: {e}")))?;
    let authorization = format!("Bearer {}", remote.token())
        .parse()
        .map_err(|_| Failure::new("the API token contains characters a header cannot carry"))?;
    request.headers_mut().insert("authorization", authorization);
    let connected = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        connect_async_with_config(request, None, true),
    )
    .await
    .map_err(|_| {
        Failure::new(format!(
            "the server at {} did not open the terminal in time",
            remote.base()
        ))
    })?;
    match connected {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            Err(remote.refusal(response.status().as_u16(), &body).into())
        }
        Err(tungstenite::Error::Io(error)) => Err(Failure::new(format!(
            "cannot reach the mcp-lm server at {}: {error}",
            remote.base()
        ))
        .hint("start it with `mcp-lm serve` (or `mcp-lm service install`), or check --server")
        .into()),
        Err(error) => Err(Failure::new(format!(
            "cannot open a terminal on {}: {error}",
            remote.base()
        ))
        .into()),
    }
}

/// Whether a refusal says the name is taken (then `--name` reattaches).
fn is_name_taken(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<Failure>()
        .is_some_and(|f| f.message.contains("(name_taken)"))
}

/// Runs `mcp-lm attach`; the exit code is the shell's when it ends, 0 on detach.
///
/// # Errors
/// A [`Failure`] when the server cannot be reached, refuses, or the terminal cannot be set up.
pub(crate) async fn run(args: &AttachArgs, ctx: &Context) -> Result<u8> {
    let detach_key =
        parse_detach_key(&args.detach_key).map_err(|message| Failure::new(message).code(2))?;
    for name in args.session.iter().chain(&args.name) {
        check_name(name)?;
    }
    let remote = ctx.remote(&args.server)?;
    let size = window_size();
    let mut query = Vec::new();
    if let Some((cols, rows)) = size {
        query.push(("cols", cols.to_string()));
        query.push(("rows", rows.to_string()));
    }
    let mut reattached = args.session.is_some();
    let socket = match (&args.session, &args.name) {
        (Some(session), _) => {
            query.push(("session", session.clone()));
            connect(&remote, &query).await?
        }
        (None, Some(name)) => {
            let mut named = query.clone();
            named.push(("name", name.clone()));
            match connect(&remote, &named).await {
                Ok(socket) => socket,
                Err(error) if is_name_taken(&error) => {
                    reattached = true;
                    query.push(("session", name.clone()));
                    connect(&remote, &query).await?
                }
                Err(error) => return Err(error),
            }
        }
        (None, None) => connect(&remote, &query).await?,
    };
    let (mut sink, mut stream) = socket.split();

    let hello = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.next())
        .await
        .ok()
        .flatten()
        .and_then(Result::ok)
        .and_then(|m| match m {
            Message::Text(text) => serde_json::from_str::<Value>(&text).ok(),
            _ => None,
        })
        .filter(|v| v["type"] == "session")
        .ok_or_else(|| {
            Failure::new(format!(
                "the server at {} did not start the terminal session",
                remote.base()
            ))
        })?;
    let id = hello["id"].as_str().unwrap_or("?").to_owned();
    let name = hello["name"].as_str().map(str::to_owned);
    let handle = name.clone().unwrap_or_else(|| id.clone());
    let paint = Paint::stderr();
    let key_text = detach_key.map_or_else(
        || "no detach key".to_owned(),
        |k| format!("{} detaches", describe_key(k)),
    );
    let label = match &name {
        Some(name) => format!("{id} ({name})"),
        None => id.clone(),
    };
    note(&paint.dim(&format!(
        "{} session {label} on {}; {key_text}.",
        if reattached {
            "Reattached to"
        } else {
            "Opened"
        },
        remote.base()
    )));
    if reattached && let Some((cols, rows)) = size {
        let resize = json!({"type": "resize", "cols": cols, "rows": rows}).to_string();
        sink.send(Message::Text(resize.into())).await?;
    }

    let raw = RawMode::enable()
        .map_err(|e| Failure::new(format!("cannot switch the terminal to raw mode: {e}")))?;
    let ending = pump(&mut sink, &mut stream, detach_key).await;
    drop(raw); // the terminal is back to normal before anything else is printed
    let ending = ending?;
    let mut stdout = std::io::stdout();
    let _ = stdout.flush();
    match ending {
        Ending::Detached(why) => {
            let _ = sink.send(Message::Close(None)).await;
            let _ = tokio::time::timeout(Duration::from_millis(500), sink.close()).await;
            note(&paint.dim(&format!(
                "\n[{why}: session {label} keeps running; reattach with `mcp-lm attach {handle}`]"
            )));
            Ok(0)
        }
        Ending::Exited { code, signal } => {
            let (text, exit) = match (code, &signal) {
                (Some(code), _) => (
                    format!("exited with code {code}"),
                    u8::try_from(code & 0xff).unwrap_or(1),
                ),
                (None, Some(signal)) => {
                    let number = signal
                        .parse::<nix::sys::signal::Signal>()
                        .map_or(0, |s| s as i32);
                    (
                        format!("was killed by {signal}"),
                        u8::try_from(128 + number.clamp(0, 127)).unwrap_or(255),
                    )
                }
                (None, None) => ("ended".to_owned(), 0),
            };
            note(&paint.dim(&format!("\n[the shell of session {label} {text}]")));
            Ok(exit)
        }
        Ending::Closed => Err(Failure::new(format!(
            "the server closed the connection to session {label}"
        ))
        .hint(format!(
            "the session may still be running: `mcp-lm sessions`, then `mcp-lm attach {handle}`"
        ))
        .into()),
    }
}

/// Copies keystrokes to the socket and output to stdout until one side ends.
async fn pump(
    sink: &mut futures_util::stream::SplitSink<Socket, Message>,
    stream: &mut futures_util::stream::SplitStream<Socket>,
    detach_key: Option<u8>,
) -> Result<Ending> {
    let (keys, mut keystrokes) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    // Blocking reads on a thread of their own: tokio's stdin would keep the runtime from
    // shutting down while a read is pending. The thread ends with the process.
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buffer = [0_u8; 4096];
        let mut stdin = std::io::stdin().lock();
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    if keys.blocking_send(buffer[..n].to_vec()).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    });
    let mut window = signal(SignalKind::window_change())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut input_open = true;
    let linger = tokio::time::sleep(Duration::from_secs(86_400));
    tokio::pin!(linger);
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    loop {
        tokio::select! {
            message = stream.next() => {
                let message = match message {
                    Some(Ok(message)) => message,
                    Some(Err(error)) => {
                        return Err(Failure::new(format!("the terminal connection failed: {error}")).into());
                    }
                    None => return Ok(Ending::Closed),
                };
                let value = match message {
                    Message::Text(text) => serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
                    Message::Binary(bytes) => {
                        stdout.write_all(&bytes)?;
                        stdout.flush()?;
                        continue;
                    }
                    Message::Close(_) => return Ok(Ending::Closed),
                    _ => continue,
                };
                match value["type"].as_str() {
                    Some("output") => {
                        stdout.write_all(value["data"].as_str().unwrap_or_default().as_bytes())?;
                        stdout.flush()?;
                        if !input_open {
                            linger.as_mut().reset(tokio::time::Instant::now() + EOF_LINGER);
                        }
                    }
                    Some("exit") => {
                        return Ok(Ending::Exited {
                            code: value["code"].as_i64(),
                            signal: value["signal"].as_str().map(str::to_owned),
                        });
                    }
                    Some("lagged") => {
                        let _ = write!(stderr, "\r\n[mcp-lm: {} bytes of output were skipped]\r\n", value["missed_bytes"]);
                    }
                    Some("error") => {
                        let _ = write!(stderr, "\r\n[mcp-lm: the server said: {}]\r\n", value["message"].as_str().unwrap_or("?"));
                    }
                    _ => {}
                }
            }
            keys = keystrokes.recv(), if input_open => {
                let Some(keys) = keys else {
                    // Piped input ended: show what is still coming, then detach.
                    input_open = false;
                    linger.as_mut().reset(tokio::time::Instant::now() + EOF_LINGER);
                    continue;
                };
                if let Some(at) = detach_key.and_then(|key| keys.iter().position(|&b| b == key)) {
                    if at > 0 {
                        sink.send(Message::Binary(keys[..at].to_vec().into())).await?;
                    }
                    return Ok(Ending::Detached("detached"));
                }
                sink.send(Message::Binary(keys.into())).await?;
            }
            () = &mut linger, if !input_open => return Ok(Ending::Detached("end of input")),
            _ = window.recv() => {
                if let Some((cols, rows)) = window_size() {
                    let resize = json!({"type": "resize", "cols": cols, "rows": rows}).to_string();
                    sink.send(Message::Text(resize.into())).await?;
                }
            }
            _ = terminate.recv() => return Ok(Ending::Detached("SIGTERM")),
            _ = hangup.recv() => return Ok(Ending::Detached("SIGHUP")),
        }
    }
}
