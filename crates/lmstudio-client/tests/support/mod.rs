//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::StreamExt;
use lmstudio_client::{ChatEvent, ChatStream, Client, Delta, Error, StreamSummary};

/// A client for `base_url` with short timeouts suitable for tests.
pub(crate) fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Everything a stream yielded, split into deltas, the summary and the error that ended it.
pub(crate) struct Drained {
    pub(crate) deltas: Vec<Delta>,
    pub(crate) progress: usize,
    pub(crate) summary: Option<StreamSummary>,
    pub(crate) error: Option<Error>,
}

impl Drained {
    pub(crate) fn content(&self) -> String {
        self.deltas.iter().map(|d| d.content.as_str()).collect()
    }

    pub(crate) fn reasoning(&self) -> String {
        self.deltas.iter().map(|d| d.reasoning.as_str()).collect()
    }
}

pub(crate) async fn drain(mut stream: ChatStream) -> Drained {
    let mut drained = Drained {
        deltas: Vec::new(),
        progress: 0,
        summary: None,
        error: None,
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(ChatEvent::Delta(delta)) => drained.deltas.push(delta),
            Ok(ChatEvent::Progress(_)) => drained.progress += 1,
            Ok(ChatEvent::Done(summary)) => {
                assert!(drained.summary.is_none(), "two Done events");
                drained.summary = Some(*summary);
            }
            Ok(other) => panic!("unexpected event {other:?}"),
            Err(error) => {
                assert!(drained.error.is_none(), "the stream went on after an error");
                drained.error = Some(error);
            }
        }
    }
    drained
}
