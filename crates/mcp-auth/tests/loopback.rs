//! The layer behind a real socket: raw HTTP/1.1 over 127.0.0.1, so that what hyper does to
//! headers (case, whitespace trimming, repeated headers) is part of the test.
#![cfg(feature = "axum")]

mod support;

use std::net::SocketAddr;

use support::{TOKEN, app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn serve() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, app(addr)).into_future());
    addr
}

/// Sends one request with `Connection: close` and returns the status and the header block.
async fn raw(addr: SocketAddr, request_line: &str, headers: &[String]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut request = format!("{request_line}\r\nConnection: close\r\nContent-Length: 0\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response[9..12].parse().unwrap();
    let head = response
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_ascii_lowercase();
    (status, head)
}

#[tokio::test]
async fn over_a_real_socket() {
    let addr = serve().await;
    let host = format!("Host: {addr}");
    let get_status = "GET /status HTTP/1.1";

    let (status, head) = raw(addr, get_status, std::slice::from_ref(&host)).await;
    assert_eq!(status, 401);
    assert!(
        head.contains("www-authenticate: bearer realm=\"mcp-lm\""),
        "{head}"
    );

    // Header name case and surrounding whitespace do not matter (hyper trims OWS) ...
    let lower = format!("authorization:   bearer {TOKEN}  ");
    assert_eq!(raw(addr, get_status, &[host.clone(), lower]).await.0, 200);

    // ... but a second Authorization header does.
    let twice = vec![
        host.clone(),
        format!("Authorization: Bearer {TOKEN}"),
        "Authorization: Bearer x".into(),
    ];
    let (status, head) = raw(addr, get_status, &twice).await;
    assert_eq!(status, 401);
    assert!(head.contains("error=\"invalid_request\""), "{head}");

    assert_eq!(
        raw(
            addr,
            get_status,
            &[host.clone(), "Authorization: Bearer wrong".into()]
        )
        .await
        .0,
        403
    );

    // DNS rebinding: the right token, but a Host the server does not answer for.
    let mcp = "POST /mcp HTTP/1.1";
    let auth = format!("Authorization: Bearer {TOKEN}");
    let rebound = format!("Host: evil.example:{}", addr.port());
    assert_eq!(raw(addr, mcp, &[rebound, auth.clone()]).await.0, 421);
    let localhost = format!("Host: localhost:{}", addr.port());
    assert_eq!(raw(addr, mcp, &[localhost, auth]).await.0, 200);
}
