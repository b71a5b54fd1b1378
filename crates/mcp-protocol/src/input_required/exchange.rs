//! One modern request's input exchange: the answers the client sent (this retry's
//! `inputResponses` plus earlier rounds' from `requestState`), what the handler asked for
//! that is still missing, and the suspension of a handler that waits for it.

use std::{
    collections::{BTreeMap, HashMap},
    future::{Future, poll_fn},
    pin::pin,
    sync::{Mutex, MutexGuard, PoisonError},
    task::{Poll, Waker},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::{Map, Value, json};

use super::{
    InputRequest,
    state::{StateKey, StatePayload, binding},
};
use crate::{ClientCapabilities, RpcError};

/// How a suspendable handler run ended.
#[derive(Debug)]
pub(crate) enum Suspended<T> {
    /// The handler finished.
    Finished(T),
    /// The handler waits for input the client has not given: the `input_required` result.
    NeedsInput(Value),
    /// The handler asked for something the request cannot give (an undeclared capability,
    /// an answer of the wrong shape): the request fails with this error.
    Failed(RpcError),
}

#[derive(Debug, Default)]
struct Progress {
    /// Missing inputs asked for, by key.
    asked: BTreeMap<String, InputRequest>,
    /// Answers handed to the handler in this run, by key (carried to the next round).
    used: Map<String, Value>,
    /// The handler's state for the next round.
    state: Option<Value>,
    failure: Option<RpcError>,
    waker: Option<Waker>,
    counters: HashMap<&'static str, u32>,
}

/// The input exchange of one `tools/call`, `prompts/get` or `resources/read` call.
#[derive(Debug)]
pub(crate) struct InputExchange {
    key: StateKey,
    binding: String,
    provided: Map<String, Value>,
    prior_state: Option<Value>,
    capabilities: ClientCapabilities,
    progress: Mutex<Progress>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl InputExchange {
    /// Reads `inputResponses` and `requestState` from a request's params.
    ///
    /// # Errors
    /// `-32602` when `inputResponses` is not an object or `requestState` is not a string
    /// that verifies (see [`StateKey::open`]).
    pub(crate) fn new(
        key: &StateKey,
        max_age: Duration,
        method: &str,
        target: &str,
        params: &Value,
        capabilities: ClientCapabilities,
    ) -> Result<Self, RpcError> {
        let binding = binding(
            method,
            target,
            params.get("arguments").unwrap_or(&Value::Null),
        );
        let mut provided = Map::new();
        let mut prior_state = None;
        match params.get("requestState") {
            None => {}
            Some(Value::String(token)) => {
                let payload = key.open(token, &binding, now_secs(), max_age)?;
                provided = payload.responses;
                prior_state = payload.state;
            }
            Some(_) => {
                return Err(RpcError::invalid_params(
                    "params.requestState must be a string",
                ));
            }
        }
        match params.get("inputResponses") {
            None => {}
            Some(Value::Object(responses)) => provided.extend(responses.clone()),
            Some(_) => {
                return Err(RpcError::invalid_params(
                    "params.inputResponses must be an object of responses by key",
                ));
            }
        }
        Ok(Self {
            key: key.clone(),
            binding,
            provided,
            prior_state,
            capabilities,
            progress: Mutex::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next automatic key for a request of this kind (`elicitation-1`, `sampling-2`…).
    pub(crate) fn next_key(&self, request: &InputRequest) -> String {
        let prefix = request.key_prefix();
        let mut progress = self.lock();
        let counter = progress.counters.entry(prefix).or_insert(0);
        *counter += 1;
        format!("{prefix}-{counter}")
    }

    /// The client's answer for `key`; without one, never completes (the request ends with
    /// `input_required` or, for an undeclared capability or a malformed answer, an error).
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is lost when the future is dropped.
    pub(crate) async fn ask(&self, key: &str, request: InputRequest) -> Result<Value, RpcError> {
        let capability = request.capability();
        if !self.capabilities.declares(capability) {
            self.fail(RpcError::missing_client_capability(capability));
        } else if let Some(answer) = self.provided.get(key) {
            if request.accepts(answer) {
                self.lock().used.insert(key.to_owned(), answer.clone());
                return Ok(answer.clone());
            }
            self.fail(RpcError::invalid_params(format!(
                "inputResponses[\"{key}\"] is not a valid result of {}",
                request.method()
            )));
        } else {
            let mut progress = self.lock();
            progress.asked.entry(key.to_owned()).or_insert(request);
            if let Some(waker) = progress.waker.take() {
                waker.wake();
            }
        }
        std::future::pending().await
    }

    fn fail(&self, error: RpcError) {
        let mut progress = self.lock();
        progress.failure.get_or_insert(error);
        if let Some(waker) = progress.waker.take() {
            waker.wake();
        }
    }

    /// The state the handler kept in the previous round, verified.
    pub(crate) fn prior_state(&self) -> Option<&Value> {
        self.prior_state.as_ref()
    }

    /// Keeps `state` for the next round (sent signed in `requestState`).
    pub(crate) fn set_state(&self, state: Value) {
        self.lock().state = Some(state);
    }

    /// What the request answers now, if the handler cannot go on.
    fn interruption<T>(&self) -> Option<Suspended<T>> {
        let progress = self.lock();
        if let Some(error) = &progress.failure {
            return Some(Suspended::Failed(error.clone()));
        }
        if progress.asked.is_empty() {
            return None;
        }
        let requests: Map<String, Value> = progress
            .asked
            .iter()
            .map(|(key, request)| (key.clone(), request.to_wire()))
            .collect();
        let payload = StatePayload {
            binding: self.binding.clone(),
            issued: now_secs(),
            responses: progress.used.clone(),
            state: progress.state.clone().or_else(|| self.prior_state.clone()),
        };
        Some(Suspended::NeedsInput(json!({
            "resultType": "input_required",
            "inputRequests": requests,
            "requestState": self.key.seal(&payload),
        })))
    }
}

/// Runs `handler` until it finishes or waits while input is missing (then it is dropped).
///
/// # Cancel safety
/// Dropping the future drops the handler.
pub(crate) async fn run_suspendable<F: Future>(
    exchange: &InputExchange,
    handler: F,
) -> Suspended<F::Output> {
    let mut handler = pin!(handler);
    poll_fn(|cx| {
        {
            let mut progress = exchange.lock();
            match &progress.waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => progress.waker = Some(cx.waker().clone()),
            }
        }
        match handler.as_mut().poll(cx) {
            // A handler that finishes without the input it asked for did not need it.
            Poll::Ready(output) => Poll::Ready(Suspended::Finished(output)),
            Poll::Pending => exchange.interruption().map_or(Poll::Pending, Poll::Ready),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(value: Value) -> ClientCapabilities {
        serde_json::from_value(value).unwrap()
    }

    fn exchange(key: &StateKey, params: &Value) -> Result<InputExchange, RpcError> {
        InputExchange::new(
            key,
            Duration::from_secs(60),
            "tools/call",
            "t",
            params,
            caps(json!({"elicitation": {}, "sampling": {}})),
        )
    }

    fn name_request() -> InputRequest {
        InputRequest::Elicit(json!({"message": "name?"}))
    }

    #[tokio::test]
    async fn a_missing_answer_suspends_and_a_retry_replays() {
        let key = StateKey::random().unwrap();
        let round1 = exchange(&key, &json!({"arguments": {}})).unwrap();
        let outcome = run_suspendable(&round1, async {
            let (a, b) = tokio::join!(
                round1.ask("a", name_request()),
                round1.ask("b", InputRequest::CreateMessage(json!({"maxTokens": 5})))
            );
            (a, b)
        })
        .await;
        let Suspended::NeedsInput(result) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(result["resultType"], "input_required");
        assert_eq!(result["inputRequests"]["a"]["method"], "elicitation/create");
        assert_eq!(
            result["inputRequests"]["b"]["method"],
            "sampling/createMessage"
        );
        let state = result["requestState"].as_str().unwrap().to_owned();

        // Round 2 answers only `a`: `b` is asked again, `a` travels in the new state.
        let round2 = exchange(
            &key,
            &json!({"arguments": {}, "requestState": state, "inputResponses": {"a": {"action": "accept", "content": {"name": "A"}}}}),
        )
        .unwrap();
        let outcome = run_suspendable(&round2, async {
            let a = round2.ask("a", name_request()).await;
            let b = round2
                .ask("b", InputRequest::CreateMessage(json!({})))
                .await;
            (a, b)
        })
        .await;
        let Suspended::NeedsInput(result) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(result["inputRequests"].get("a").is_none());
        let state = result["requestState"].as_str().unwrap().to_owned();

        let round3 = exchange(
            &key,
            &json!({"arguments": {}, "requestState": state, "inputResponses": {"b": {"role": "assistant", "content": {"type": "text", "text": "hi"}}}}),
        )
        .unwrap();
        let outcome = run_suspendable(&round3, async {
            let a = round3.ask("a", name_request()).await.unwrap();
            let b = round3
                .ask("b", InputRequest::CreateMessage(json!({})))
                .await
                .unwrap();
            (a["content"]["name"].clone(), b["content"]["text"].clone())
        })
        .await;
        let Suspended::Finished((name, text)) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!((name, text), (json!("A"), json!("hi")));
    }

    #[tokio::test]
    async fn undeclared_capabilities_and_bad_answers_fail_the_request() {
        let key = StateKey::random().unwrap();
        let ex = exchange(&key, &json!({})).unwrap();
        let outcome = run_suspendable(&ex, ex.ask("r", InputRequest::ListRoots)).await;
        let Suspended::Failed(error) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(error.code, RpcError::MISSING_CLIENT_CAPABILITY);
        assert_eq!(
            error.data.unwrap(),
            json!({"requiredCapabilities": {"roots": {}}})
        );

        let ex = exchange(&key, &json!({"inputResponses": {"a": 12345}})).unwrap();
        let outcome = run_suspendable(&ex, ex.ask("a", name_request())).await;
        assert!(matches!(outcome, Suspended::Failed(e) if e.code == RpcError::INVALID_PARAMS));

        for params in [
            json!({"inputResponses": null}),
            json!({"inputResponses": [1]}),
            json!({"requestState": 7}),
            json!({"requestState": "forged.state"}),
        ] {
            let error = exchange(&key, &params).unwrap_err();
            assert_eq!(error.code, RpcError::INVALID_PARAMS, "{params}");
        }
    }

    #[tokio::test]
    async fn handler_state_and_automatic_keys() {
        let key = StateKey::random().unwrap();
        let ex = exchange(&key, &json!({})).unwrap();
        assert_eq!(ex.next_key(&name_request()), "elicitation-1");
        assert_eq!(ex.next_key(&name_request()), "elicitation-2");
        assert_eq!(ex.next_key(&InputRequest::ListRoots), "roots-1");
        ex.set_state(json!({"step": 1}));
        let outcome = run_suspendable(&ex, ex.ask("k", name_request())).await;
        let Suspended::NeedsInput(result) = outcome else {
            panic!()
        };
        let retry = exchange(&key, &json!({"requestState": result["requestState"]})).unwrap();
        assert_eq!(retry.prior_state(), Some(&json!({"step": 1})));
    }
}
