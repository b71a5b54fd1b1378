//! Modern (2026-07-28) POSTs: no session, the request-metadata headers checked against the
//! body, HTTP status by error code, and one response per request — plain JSON, or an SSE
//! stream of the request's notifications and then its answer. The handler runs inside that
//! response: a client closing the stream cancels the request, as the spec requires.

use std::{collections::VecDeque, convert::Infallible, pin::Pin, time::Duration};

use axum::{
    http::{HeaderMap, StatusCode},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::Stream;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{Accept, App, headers, json_response, rpc_error, sse_headers};
use crate::{
    RequestId, RpcError,
    jsonrpc::{self, Incoming},
    modern::{LISTEN, Listen, RequestMeta},
    session::{Session, Sink},
};

type Call = Pin<Box<dyn Future<Output = Result<Value, RpcError>> + Send>>;

/// The HTTP status of a modern error answer.
fn status_of(error: &RpcError) -> StatusCode {
    match error.code {
        RpcError::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        RpcError::PARSE_ERROR
        | RpcError::INVALID_REQUEST
        | RpcError::INVALID_PARAMS
        | RpcError::HEADER_MISMATCH
        | RpcError::MISSING_CLIENT_CAPABILITY
        | RpcError::UNSUPPORTED_VERSION => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

fn refuse(id: Option<&RequestId>, error: &RpcError) -> Response {
    (
        status_of(error),
        json_response(jsonrpc::error_response(id, error)),
    )
        .into_response()
}

fn answer_line(id: &RequestId, outcome: &Result<Value, RpcError>) -> String {
    match outcome {
        Ok(result) => jsonrpc::response(id, result),
        Err(error) => jsonrpc::error_response(Some(id), error),
    }
}

fn answer(id: &RequestId, outcome: &Result<Value, RpcError>) -> Response {
    match outcome {
        Ok(_) => json_response(answer_line(id, outcome)),
        Err(error) => refuse(Some(id), error),
    }
}

/// Serves a POST that era detection classified as modern.
pub(super) async fn post(app: &App, headers: &HeaderMap, value: Value, accept: Accept) -> Response {
    if value.is_array() {
        let error = RpcError::invalid_request("a 2026-07-28 POST carries one message, not a batch");
        return rpc_error(StatusCode::BAD_REQUEST, &error);
    }
    let (id, method, params) = match Incoming::classify(value) {
        Err(invalid) => return refuse(invalid.id.as_ref(), &invalid.error),
        // No client notification is defined for 2026-07-28 HTTP (closing a stream cancels).
        Ok(Incoming::Notification { .. }) => return StatusCode::ACCEPTED.into_response(),
        Ok(Incoming::Response { id, .. }) => {
            let error = RpcError::invalid_request(
                "2026-07-28 clients send no responses: input goes in inputResponses",
            );
            return refuse(Some(&id), &error);
        }
        Ok(Incoming::Request { id, method, params }) => (id, method, params),
    };
    // The order the spec implies: complete `_meta`, then headers matching it, then a
    // supported version.
    let meta = match RequestMeta::parse(&params).and_then(|meta| {
        headers::check(headers, &method, &params, &meta.version, &app.server)?;
        meta.check_version()?;
        Ok(meta)
    }) {
        Ok(meta) => meta,
        Err(error) => return refuse(Some(&id), &error),
    };
    if method == LISTEN {
        return listen(app, &id, &params, accept);
    }
    let session = Session::new(app.server.clone());
    let cancel = CancellationToken::new();
    if !accept.sse {
        let sink =
            Sink::new(|_| tracing::debug!("notification dropped: the client accepts only JSON"));
        let outcome = session
            .modern_call(&id, &method, params, meta, &sink, cancel)
            .await;
        return answer(&id, &outcome);
    }
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let sink = Sink::channel(sender);
    let guard = cancel.clone().drop_guard();
    let mut call: Call = {
        let id = id.clone();
        Box::pin(async move {
            session
                .modern_call(&id, &method, params, meta, &sink, cancel)
                .await
        })
    };
    let first = tokio::select! {
        biased;
        outcome = &mut call => {
            let mut pending: VecDeque<String> = VecDeque::new();
            while let Ok(line) = receiver.try_recv() {
                pending.push_back(line);
            }
            if pending.is_empty() && accept.json {
                // Nothing but the answer: plain JSON, with a status that says what it is.
                return answer(&id, &outcome);
            }
            pending.push_back(answer_line(&id, &outcome));
            return sse(Answer { pending, receiver, call: None, id, _guard: guard });
        }
        Some(line) = receiver.recv() => line,
    };
    sse(Answer {
        pending: VecDeque::from([first]),
        receiver,
        call: Some(call),
        id,
        _guard: guard,
    })
}

/// `subscriptions/listen`: an SSE stream of the acknowledgement and the notifications asked
/// for, open until the client closes it (or, after a closing answer, the server stops).
fn listen(app: &App, id: &RequestId, params: &Value, accept: Accept) -> Response {
    if !accept.sse {
        let error =
            RpcError::invalid_request("subscriptions/listen answers with text/event-stream");
        return (
            StatusCode::NOT_ACCEPTABLE,
            json_response(jsonrpc::error_response(Some(id), &error)),
        )
            .into_response();
    }
    let (listen, ack) = match Listen::open(&app.server, id, params) {
        Ok(opened) => opened,
        Err(error) => return refuse(Some(id), &error),
    };
    let server = app.server.clone();
    let lines = futures_util::stream::unfold((Some(ack), Some(listen)), move |(first, listen)| {
        let server = server.clone();
        async move {
            if let Some(ack) = first {
                return Some((ack, (None, listen)));
            }
            let mut listen = listen?;
            match listen.next_line().await {
                Some(line) => Some((line, (None, Some(listen)))),
                None => Some((listen.closing_line(&server), (None, None))),
            }
        }
    });
    let events = futures_util::StreamExt::map(lines, |line| {
        Ok::<_, Infallible>(Event::default().event("message").data(line))
    });
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    sse_headers(&mut response);
    response
}

/// A modern SSE answer: the request's notifications, then its response, then the end.
struct Answer {
    pending: VecDeque<String>,
    receiver: mpsc::UnboundedReceiver<String>,
    /// The running request; `None` once answered.
    call: Option<Call>,
    id: RequestId,
    /// Cancels the request's token when the stream is dropped (the client went away).
    _guard: DropGuard,
}

enum Step {
    Line(String),
    Done(Result<Value, RpcError>),
}

impl Answer {
    async fn next(mut self) -> Option<(String, Self)> {
        loop {
            if let Some(line) = self.pending.pop_front() {
                return Some((line, self));
            }
            let call = self.call.as_mut()?;
            let step = tokio::select! {
                biased;
                Some(line) = self.receiver.recv() => Step::Line(line),
                outcome = call => Step::Done(outcome),
            };
            match step {
                Step::Line(line) => self.pending.push_back(line),
                Step::Done(outcome) => {
                    self.call = None;
                    while let Ok(line) = self.receiver.try_recv() {
                        self.pending.push_back(line);
                    }
                    self.pending.push_back(answer_line(&self.id, &outcome));
                }
            }
        }
    }

    fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> {
        futures_util::stream::unfold(self, |answer| async move {
            let (line, answer) = answer.next().await?;
            Some((Ok(Event::default().event("message").data(line)), answer))
        })
    }
}

fn sse(answer: Answer) -> Response {
    // No event ids: 2026-07-28 streams are not resumable.
    let mut response = Sse::new(answer.into_stream())
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    sse_headers(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_statuses_the_spec_names() {
        let code = |code| status_of(&RpcError::new(code, "x"));
        assert_eq!(code(RpcError::METHOD_NOT_FOUND), StatusCode::NOT_FOUND);
        for c in [
            RpcError::HEADER_MISMATCH,
            RpcError::MISSING_CLIENT_CAPABILITY,
            RpcError::UNSUPPORTED_VERSION,
            RpcError::INVALID_PARAMS,
        ] {
            assert_eq!(code(c), StatusCode::BAD_REQUEST);
        }
        assert_eq!(code(RpcError::INTERNAL_ERROR), StatusCode::OK);
    }
}
