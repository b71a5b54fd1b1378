//! A small app shaped like `mcp-lm-http`: public health probe, REST routes (403 for a wrong
//! token), `/mcp` (401, own body, host and origin checks) and a WebSocket route that accepts
//! tickets and the `bearer.` subprotocol.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mcp_auth::{
    Authenticated, BearerAuth, BearerLayer, HostPolicy, InvalidTokenStatus, OriginPolicy,
    TicketIssuer, Token, TokenSet,
};
use serde_json::json;

pub const TOKEN: &str = "n3w-4f9c2a7e1b8d3f6a0c5e9b2d7a4f1c8e";
pub const OLD_TOKEN: &str = "0ld-9b2d7a4f1c8e4f9c2a7e1b8d3f6a0c5e";

pub fn app(bound: SocketAddr) -> Router {
    let tokens = TokenSet::named("current", Token::new(TOKEN).unwrap())
        .with_named("previous", Token::new(OLD_TOKEN).unwrap());
    let tickets = TicketIssuer::new();
    let rest = BearerAuth::new(tokens)
        .realm("mcp-lm")
        .invalid_token_status(InvalidTokenStatus::Forbidden);
    let guarded = rest
        .clone()
        .invalid_token_status(InvalidTokenStatus::Unauthorized)
        .host_policy(HostPolicy::for_bound(bound))
        .origin_policy(OriginPolicy::new().allow("http://localhost:5173").unwrap());
    let websocket = guarded
        .clone()
        .accept_websocket_protocol()
        .accept_tickets(tickets.clone());

    let rest_routes = Router::new()
        .route("/status", get(whoami))
        .route("/auth/ticket", post(issue_ticket))
        .route_layer(BearerLayer::new(rest));
    let mcp_routes = Router::new()
        .route("/mcp", post(whoami))
        .route_layer(BearerLayer::new(guarded).body(json_rpc_error));
    let websocket_routes = Router::new()
        .route("/terminal/stream", get(whoami))
        .route_layer(BearerLayer::new(websocket));
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/unprotected", get(whoami))
        .merge(rest_routes)
        .merge(mcp_routes)
        .merge(websocket_routes)
        .with_state(tickets)
}

async fn whoami(Authenticated(who): Authenticated) -> Json<serde_json::Value> {
    Json(json!({ "success": true, "caller": who.to_string() }))
}

async fn issue_ticket(
    State(tickets): State<TicketIssuer>,
    Authenticated(who): Authenticated,
) -> Response {
    match tickets.issue(who, Duration::from_secs(30)) {
        Ok(ticket) => Json(json!({ "ticket": ticket.expose_secret() })).into_response(),
        Err(e) => (http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

fn json_rpc_error(rejection: &mcp_auth::AuthRejection) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32001, "message": rejection.message() },
    });
    Json(body).into_response()
}
