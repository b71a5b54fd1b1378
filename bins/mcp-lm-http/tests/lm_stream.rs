//! Black-box tests of `WS /lm/stream` against the paced fixtures server: deltas arrive as they
//! are generated, the final frame carries the stats, cancel stops the upstream request, and
//! one connection serves several queries.

mod support;

use std::time::{Duration, Instant};

use fixtures::StreamServer;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{Server, TOKEN};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &Server, token: Option<&str>) -> Result<Socket, String> {
    let url = format!("{}/lm/stream", server.url.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    connect_async(request)
        .await
        .map(|(socket, _)| socket)
        .map_err(|e| e.to_string())
}

async fn send(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("no message within 15 s")
            .expect("socket closed")
            .expect("socket error");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn deltas_arrive_as_generated_and_cancel_stops_upstream() {
    let upstream = StreamServer::builder()
        .chunk_delay(Duration::from_millis(100))
        .content_chunks(12)
        .start()
        .await;
    let server = Server::start(&upstream.url(), &[]);
    assert!(
        connect(&server, None).await.is_err(),
        "the token is required"
    );
    let mut socket = connect(&server, Some(TOKEN)).await.unwrap();

    // A whole query: deltas spread over time, then done with the stats.
    let started = Instant::now();
    send(
        &mut socket,
        json!({"type": "query", "id": "q1", "prompt": "hi"}),
    )
    .await;
    let mut first_delta = None;
    let mut content = String::new();
    let mut deltas = 0;
    let done = loop {
        let frame = next_json(&mut socket).await;
        assert_eq!(frame["id"], "q1", "{frame}");
        match frame["type"].as_str().unwrap() {
            "delta" => {
                first_delta.get_or_insert_with(|| started.elapsed());
                content.push_str(frame["content"].as_str().unwrap_or(""));
                deltas += 1;
            }
            "progress" => {}
            "done" => break frame,
            other => panic!("unexpected {other}: {frame}"),
        }
    };
    let total = started.elapsed();
    let first_delta = first_delta.expect("deltas before done");
    assert!(deltas >= 10, "{deltas} deltas");
    assert!(
        first_delta + Duration::from_millis(600) < total,
        "the first delta came at {first_delta:?}, the end at {total:?}: not streamed"
    );
    assert_eq!(done["content"], content.as_str());
    assert_eq!(done["success"], true, "{done}");
    assert!(done["stats"]["tokens_per_second"].is_number(), "{done}");
    assert!(
        done["usage"]["completion_tokens"].as_u64().unwrap() >= 10,
        "{done}"
    );

    // A second query on the same connection, refused while it runs, then cancelled.
    send(
        &mut socket,
        json!({"type": "query", "id": "q2", "prompt": "again"}),
    )
    .await;
    let frame = next_json(&mut socket).await;
    assert_eq!(frame["type"], "delta", "{frame}");
    assert_eq!(frame["id"], "q2");
    send(
        &mut socket,
        json!({"type": "query", "id": "q3", "prompt": "too"}),
    )
    .await;
    let busy = loop {
        let frame = next_json(&mut socket).await;
        if frame["type"] == "error" {
            break frame;
        }
    };
    assert_eq!(busy["id"], "q3");
    assert_eq!(busy["error"]["code"], "busy");
    // (A finished stream may count as abandoned when the client stops at its last event.)
    let before = upstream.streams_abandoned();
    send(&mut socket, json!({"type": "cancel"})).await;
    let cancelled = loop {
        let frame = next_json(&mut socket).await;
        if frame["type"] != "delta" {
            break frame;
        }
    };
    assert_eq!(cancelled, json!({"type": "cancelled", "id": "q2"}));
    let deadline = Instant::now() + Duration::from_secs(5);
    while upstream.streams_abandoned() == before {
        assert!(
            Instant::now() < deadline,
            "the upstream stream was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Bad frames are errors, and the connection stays usable.
    send(&mut socket, json!({"type": "query", "id": 7})).await;
    let invalid = next_json(&mut socket).await;
    assert_eq!(invalid["type"], "error");
    assert_eq!(invalid["id"], 7);
    assert_eq!(invalid["error"]["code"], "invalid_request");
    socket.send(Message::Text("nope".into())).await.unwrap();
    let invalid = next_json(&mut socket).await;
    assert_eq!(invalid["error"]["code"], "invalid_request");
    send(&mut socket, json!({"type": "query", "prompt": "last"})).await;
    loop {
        let frame = next_json(&mut socket).await;
        if frame["type"] == "done" {
            assert!(frame["id"].is_null());
            break;
        }
    }
}
