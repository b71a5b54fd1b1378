//! The protocol over the stdio transport: lifecycle, every error path, tools, cancellation.

mod support;

use std::{sync::atomic::Ordering, time::Duration};

use mcp_protocol::Server;
use serde_json::{Value, json};
use support::{Peer, SLOW_TOOL_DROPPED, builder};

fn server() -> Server {
    builder().build().unwrap()
}

async fn ready() -> Peer {
    let mut peer = Peer::start(server());
    peer.initialize("2025-11-25").await;
    peer
}

#[tokio::test]
async fn initialize_negotiates_the_version_and_declares_capabilities() {
    let mut peer = Peer::start(server());
    let answer = peer.initialize("2025-06-18").await;
    let result = &answer["result"];
    assert_eq!(result["protocolVersion"], "2025-06-18");
    assert_eq!(
        result["serverInfo"],
        json!({"name":"test-server","version":"1.2.3"})
    );
    assert_eq!(result["capabilities"]["tools"], json!({}));
    assert_eq!(result["capabilities"]["resources"]["subscribe"], true);
    assert!(result["capabilities"]["prompts"].is_object());
    assert!(
        result["capabilities"].get("completions").is_none(),
        "no completion handler registered"
    );

    let mut peer = Peer::start(server());
    assert_eq!(
        peer.initialize("1999-01-01").await["result"]["protocolVersion"],
        "2025-11-25"
    );
}

#[tokio::test]
async fn requests_before_initialize_are_refused_but_ping_works() {
    let mut peer = Peer::start(server());
    let answer = peer.request(json!("a"), "tools/list", json!({})).await;
    assert_eq!(answer["error"]["code"], -32600);
    assert_eq!(answer["id"], "a");
    assert_eq!(
        peer.request(json!(2), "ping", json!({})).await["result"],
        json!({})
    );
}

#[tokio::test]
async fn a_second_initialize_is_refused() {
    let mut peer = ready().await;
    let answer = peer.request(json!(9), "initialize", json!({"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}})).await;
    assert_eq!(answer["error"]["code"], -32600);
    let answer = peer
        .request(json!(10), "initialize", json!({"capabilities":{}}))
        .await;
    assert_eq!(
        answer["error"]["code"], -32602,
        "invalid params are reported as such: {answer}"
    );
}

#[tokio::test]
async fn malformed_json_and_invalid_requests() {
    let mut peer = ready().await;
    peer.send_raw("{not json").await;
    let answer = peer.recv().await;
    assert_eq!(answer["error"]["code"], -32700);
    assert_eq!(answer["id"], Value::Null);
    peer.send(json!({"id":5,"method":"ping"})).await;
    let answer = peer.recv().await;
    assert_eq!(
        (answer["error"]["code"].clone(), answer["id"].clone()),
        (json!(-32600), json!(5))
    );
    peer.send(json!("just a string")).await;
    assert_eq!(peer.recv().await["error"]["code"], -32600);
    // The server is still fine.
    assert_eq!(
        peer.request(json!(6), "ping", json!({})).await["result"],
        json!({})
    );
}

#[tokio::test]
async fn unknown_methods_and_undeclared_capabilities_are_method_not_found() {
    let mut peer = ready().await;
    let answer = peer.request(json!("x"), "no/such", json!({})).await;
    assert_eq!(answer["error"]["code"], -32601);
    assert_eq!(answer["id"], "x", "the id keeps its type");
    let answer = peer
        .request(json!(1), "completion/complete", json!({}))
        .await;
    assert_eq!(answer["error"]["code"], -32601);

    let mut bare = Peer::start(Server::builder("bare", "0").build().unwrap());
    bare.initialize("2025-11-25").await;
    for method in ["tools/list", "resources/list", "prompts/list", "tools/call"] {
        assert_eq!(
            bare.request(json!(1), method, json!({})).await["error"]["code"],
            -32601,
            "{method}"
        );
    }
}

#[tokio::test]
async fn notifications_are_never_answered() {
    let mut peer = ready().await;
    peer.send(json!({"jsonrpc":"2.0","method":"notifications/unknown"}))
        .await;
    peer.send(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"never-sent"}})).await;
    peer.send(json!({"jsonrpc":"2.0","id":77,"result":{}}))
        .await; // a response nobody waits for
    assert!(peer.silent(Duration::from_millis(300)).await);
    assert_eq!(peer.request(json!(1), "ping", json!({})).await["id"], 1);
}

#[tokio::test]
async fn batches_only_in_2025_03_26() {
    let mut peer = ready().await;
    peer.send(json!([{"jsonrpc":"2.0","id":1,"method":"ping"}]))
        .await;
    let answer = peer.recv().await;
    assert_eq!(answer["error"]["code"], -32600);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2025-11-25")
    );

    let mut old = Peer::start(server());
    old.initialize("2025-03-26").await;
    old.send(json!([
        {"jsonrpc":"2.0","id":1,"method":"ping"},
        {"jsonrpc":"2.0","method":"notifications/whatever"},
        {"jsonrpc":"2.0","id":2,"method":"no/such"}
    ]))
    .await;
    let answers = old.recv().await;
    let answers = answers.as_array().expect("a batch answer is an array");
    assert_eq!(answers.len(), 2);
    assert!(
        answers
            .iter()
            .any(|a| a["id"] == 1 && a["result"] == json!({}))
    );
    assert!(
        answers
            .iter()
            .any(|a| a["id"] == 2 && a["error"]["code"] == -32601)
    );
    old.send(json!([])).await;
    assert_eq!(old.recv().await["error"]["code"], -32600);
}

#[tokio::test]
async fn oversized_messages_are_refused_and_skipped() {
    let mut peer = Peer::start(builder().max_message_bytes(2048).build().unwrap());
    peer.initialize("2025-11-25").await;
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(4096)
    );
    peer.send_raw(&big).await;
    let answer = peer.recv().await;
    assert_eq!(answer["error"]["code"], -32600);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than 2048")
    );
    assert_eq!(peer.request(json!(2), "ping", json!({})).await["id"], 2);
}

#[tokio::test]
async fn tool_calls_validate_arguments_and_turn_failures_into_results() {
    let mut peer = ready().await;
    let ok = peer
        .request(
            json!(1),
            "tools/call",
            json!({"name":"echo","arguments":{"text":"ab","times":2}}),
        )
        .await;
    assert_eq!(ok["result"]["content"][0]["text"], "abab");
    assert_eq!(ok["result"]["isError"], false);

    let unknown = peer
        .request(json!(2), "tools/call", json!({"name":"nope"}))
        .await;
    assert_eq!(unknown["error"]["code"], -32602);
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nope")
    );

    let invalid = peer
        .request(
            json!(3),
            "tools/call",
            json!({"name":"echo","arguments":{"times":0,"extra":true}}),
        )
        .await;
    assert_eq!(invalid["result"]["isError"], true);
    let text = invalid["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("missing required property \"text\"")
            && text.contains("extra")
            && text.contains(">= 1"),
        "{text}"
    );

    let bad_args = peer
        .request(
            json!(4),
            "tools/call",
            json!({"name":"echo","arguments":[1]}),
        )
        .await;
    assert_eq!(bad_args["error"]["code"], -32602);
    let no_name = peer.request(json!(5), "tools/call", json!({})).await;
    assert_eq!(no_name["error"]["code"], -32602);

    let failed = peer
        .request(json!(6), "tools/call", json!({"name":"fails"}))
        .await;
    assert_eq!(
        failed["result"],
        json!({"content":[{"type":"text","text":"disk full"}],"isError":true})
    );

    let panicked = peer
        .request(json!(7), "tools/call", json!({"name":"panics"}))
        .await;
    assert_eq!(panicked["result"]["isError"], true);
    assert!(
        panicked["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("panicked")
    );
    assert_eq!(
        peer.request(json!(8), "ping", json!({})).await["id"],
        8,
        "a panic does not kill the server"
    );
}

#[tokio::test]
async fn requests_run_concurrently_and_cancellation_drops_the_handler() {
    let mut peer = ready().await;
    peer.send(json!({"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"slow"}}))
        .await;
    // A later fast request is answered first.
    assert_eq!(
        peer.request(json!("fast"), "ping", json!({})).await["id"],
        "fast"
    );
    peer.send(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow","reason":"user"}})).await;
    // The cancelled request gets no answer, and its handler future was dropped.
    assert!(peer.silent(Duration::from_millis(500)).await);
    assert!(SLOW_TOOL_DROPPED.load(Ordering::SeqCst));
    assert_eq!(peer.request(json!(1), "ping", json!({})).await["id"], 1);
}

#[tokio::test]
async fn progress_and_logging_follow_the_rules() {
    let mut peer = ready().await;
    peer.send(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"progress","_meta":{"progressToken":"p1"}}})).await;
    let mut messages = Vec::new();
    loop {
        let message = peer.recv().await;
        let done = message.get("id").is_some();
        messages.push(message);
        if done {
            break;
        }
    }
    let progress: Vec<_> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .collect();
    assert_eq!(
        progress.len(),
        2,
        "the non-increasing value is dropped: {messages:#?}"
    );
    assert_eq!(
        progress[0]["params"],
        json!({"progressToken":"p1","progress":1.0,"total":2.0,"message":"half"})
    );
    let logs: Vec<_> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/message")
        .collect();
    assert_eq!(logs.len(), 1, "debug is below the default level (info)");
    assert_eq!(logs[0]["params"]["level"], "warning");

    // After logging/setLevel debug, both lines arrive; without a progress token, no progress.
    assert_eq!(
        peer.request(json!(2), "logging/setLevel", json!({"level":"debug"}))
            .await["result"],
        json!({})
    );
    peer.send(json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"progress"}}))
        .await;
    let mut methods = Vec::new();
    loop {
        let message = peer.recv().await;
        if message.get("id").is_some() {
            break;
        }
        methods.push(message["method"].as_str().unwrap().to_owned());
    }
    assert_eq!(methods, ["notifications/message", "notifications/message"]);
    assert_eq!(
        peer.request(json!(4), "logging/setLevel", json!({"level":"loud"}))
            .await["error"]["code"],
        -32602
    );
}

#[tokio::test]
async fn resources_prompts_and_pagination() {
    let mut peer = ready().await;
    let read = peer
        .request(json!(1), "resources/read", json!({"uri":"test://a"}))
        .await;
    assert_eq!(read["result"]["contents"][0]["text"], "A");
    let missing = peer
        .request(json!(2), "resources/read", json!({"uri":"test://zzz"}))
        .await;
    assert_eq!(missing["error"]["code"], -32002);
    assert_eq!(missing["error"]["data"]["uri"], "test://zzz");
    assert_eq!(
        peer.request(json!(3), "resources/subscribe", json!({"uri":"test://a"}))
            .await["result"],
        json!({})
    );

    let prompt = peer
        .request(
            json!(4),
            "prompts/get",
            json!({"name":"greet","arguments":{"name":"Ada"}}),
        )
        .await;
    assert_eq!(
        prompt["result"]["messages"][0]["content"]["text"],
        "Hello Ada"
    );
    let missing_arg = peer
        .request(json!(5), "prompts/get", json!({"name":"greet"}))
        .await;
    assert_eq!(missing_arg["error"]["code"], -32602);
    assert!(
        missing_arg["error"]["message"]
            .as_str()
            .unwrap()
            .contains("name")
    );
    let unknown = peer
        .request(json!(6), "prompts/get", json!({"name":"nope"}))
        .await;
    assert_eq!(unknown["error"]["code"], -32602);
    let non_string = peer
        .request(
            json!(7),
            "prompts/get",
            json!({"name":"greet","arguments":{"name":1}}),
        )
        .await;
    assert_eq!(non_string["error"]["code"], -32602);

    let mut paged = Peer::start(builder().page_size(2).build().unwrap());
    paged.initialize("2025-11-25").await;
    let first = paged.request(json!(1), "tools/list", json!({})).await;
    assert_eq!(first["result"]["tools"].as_array().unwrap().len(), 2);
    let cursor = first["result"]["nextCursor"].clone();
    let mut names = Vec::new();
    let mut next = Some(cursor);
    while let Some(cursor) = next.filter(|c| !c.is_null()) {
        let page = paged
            .request(json!(2), "tools/list", json!({"cursor":cursor}))
            .await;
        names.extend(
            page["result"]["tools"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].clone()),
        );
        next = page["result"].get("nextCursor").cloned();
    }
    assert_eq!(names.len(), 3, "5 tools in pages of 2: {names:?}");
    let bad = paged
        .request(json!(3), "tools/list", json!({"cursor":"garbage"}))
        .await;
    assert_eq!(bad["error"]["code"], -32602);
}

#[tokio::test]
async fn end_of_input_stops_the_server_cleanly() {
    let mut peer = ready().await;
    assert_eq!(peer.request(json!(1), "ping", json!({})).await["id"], 1);
    peer.close().await.unwrap();
}

#[tokio::test]
async fn pipelined_input_after_initialize_is_handled_in_order() {
    let mut peer = Peer::start(server());
    peer.send_raw(concat!(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#,
        "\n",
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        "\n",
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#
    ))
    .await;
    assert_eq!(peer.recv().await["id"], 1);
    let list = peer.recv().await;
    assert_eq!(list["id"], 2);
    assert!(list["result"]["tools"].is_array(), "{list}");
}
