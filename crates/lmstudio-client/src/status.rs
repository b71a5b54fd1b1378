//! Liveness and status probes with a short timeout.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::{Client, Error, Model, Result};

/// What [`Client::status`] found out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ServerStatus {
    /// The server answered.
    pub connected: bool,
    /// A text model is loaded (or, on a non-LM Studio server, at least one model is listed).
    pub available: bool,
    /// The models the server listed (`/api/v0/models`, or `/v1/models` ids elsewhere).
    pub models: Vec<Model>,
    /// How long the probe took.
    #[serde(serialize_with = "as_millis")]
    pub latency: Duration,
    /// Why the server is not connected or not usable, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ServerStatus {
    /// The loaded text models' ids.
    pub fn loaded_models(&self) -> impl Iterator<Item = &str> {
        self.models
            .iter()
            .filter(|m| m.is_loaded() && m.kind.generates_text())
            .map(|m| m.id.as_str())
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's signature
fn as_millis<S: serde::Serializer>(
    value: &Duration,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_f64(value.as_secs_f64() * 1000.0)
}

impl Client {
    /// Checks that the server answers, within the probe timeout (800 ms by default).
    /// Returns the round-trip time.
    ///
    /// # Errors
    /// [`Error::Unreachable`], [`Error::Timeout`], [`Error::Unauthorized`]…
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn health(&self) -> Result<Duration> {
        let started = Instant::now();
        let _: serde::de::IgnoredAny = self
            .get_json("/v1/models", self.inner.probe_timeout)
            .await?;
        Ok(started.elapsed())
    }

    /// Connected? A model loaded? Which models? Never fails: problems are reported in
    /// [`ServerStatus::error`]. Bounded by the probe timeout per request.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn status(&self) -> ServerStatus {
        let started = Instant::now();
        let limit = self.inner.probe_timeout;
        #[derive(serde::Deserialize)]
        struct V0List {
            #[serde(default)]
            data: Vec<Model>,
        }
        let v0 = if self.is_lm_studio() {
            self.get_json::<V0List>("/api/v0/models", limit).await
        } else {
            Err(Error::Api {
                status: 404,
                body: String::new(),
            })
        };
        let listed = match v0 {
            Ok(list) => Ok((crate::types::model::dedupe_models(list.data), true)),
            Err(Error::UnknownEndpoint { .. } | Error::Api { status: 404, .. }) => {
                self.mark_not_lm_studio();
                #[derive(serde::Deserialize)]
                struct V1List {
                    #[serde(default)]
                    data: Vec<crate::OpenAiModel>,
                }
                self.get_json::<V1List>("/v1/models", limit)
                    .await
                    .map(|list| {
                        (
                            list.data
                                .into_iter()
                                .map(|m| Model::from_id(m.id))
                                .collect(),
                            false,
                        )
                    })
            }
            Err(e) => Err(e),
        };
        let latency = started.elapsed();
        match listed {
            Ok((models, lm_studio)) => {
                let available = if lm_studio {
                    models
                        .iter()
                        .any(|m| m.is_loaded() && m.kind.generates_text())
                } else {
                    !models.is_empty()
                };
                let error = (!available).then(|| {
                    Error::NoModelLoaded {
                        body: String::new(),
                    }
                    .to_string()
                });
                ServerStatus {
                    connected: true,
                    available,
                    models,
                    latency,
                    error,
                }
            }
            Err(error) => {
                let connected = matches!(
                    error,
                    Error::Unauthorized { .. } | Error::Api { .. } | Error::Decode { .. }
                );
                ServerStatus {
                    connected,
                    available: false,
                    models: Vec::new(),
                    latency,
                    error: Some(error.to_string()),
                }
            }
        }
    }
}
