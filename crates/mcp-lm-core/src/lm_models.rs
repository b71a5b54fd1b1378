//! `GET /lm/models` and the `lm_models` tool: the models of one backend, or of every backend
//! with the default one's at the top level (the original `{"success", "models"}` shape).

use futures_util::future::join_all;
use lmstudio_client::Model;
use serde::Serialize;

use crate::{Backend, BackendKind, ServiceError, Services};

/// The models, as `/lm/models` and `lm_models` return them.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ModelsReport {
    /// Always `true` (failures use the error body).
    pub success: bool,
    /// The models of the asked-for backend (or the default one), in LM Studio's
    /// `/api/v0/models` shape.
    pub models: Vec<Model>,
    /// Every backend asked, with its models or why it could not list them. Left out when only
    /// the `lmstudio` section is configured and no backend was named, so that the answer stays
    /// the original `{"success", "models"}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<BackendModels>,
}

/// One backend's models in a [`ModelsReport`].
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BackendModels {
    /// The backend's name.
    pub name: String,
    /// What kind of server it is.
    pub kind: BackendKind,
    /// Its base URL.
    pub host: String,
    /// True for the backend queries use by default.
    pub default: bool,
    /// Its models (empty when it failed).
    pub models: Vec<Model>,
    /// Why it could not list them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ServiceError>,
}

impl Services {
    /// The models of backend `name`, or (for `None`) of every backend, asked concurrently.
    ///
    /// # Errors
    /// `400 unknown_backend`; the backend's failure when one was named; without a name, the
    /// default backend's failure only when no backend could list its models.
    pub async fn lm_models(&self, name: Option<&str>) -> Result<ModelsReport, ServiceError> {
        let default = self.backends.default_backend().name.clone();
        if name.is_some_and(|n| !n.is_empty()) {
            let backend = self.backends.get(name)?;
            let models = backend.models().await?;
            return Ok(ModelsReport {
                success: true,
                models: models.clone(),
                backends: vec![entry(backend, &default, Ok(models))],
            });
        }
        let listed = join_all(self.backends.iter().map(Backend::models)).await;
        let all_failed = listed.iter().all(Result::is_err);
        let backends: Vec<BackendModels> = self
            .backends
            .iter()
            .zip(listed)
            .map(|(backend, result)| entry(backend, &default, result))
            .collect();
        if all_failed
            && let Some(error) = backends
                .iter()
                .find(|b| b.default)
                .and_then(|b| b.error.clone())
        {
            return Err(error);
        }
        let models = backends
            .iter()
            .find(|b| b.default)
            .map(|b| b.models.clone())
            .unwrap_or_default();
        let backends = if backends.len() > 1 {
            backends
        } else {
            Vec::new()
        };
        Ok(ModelsReport {
            success: true,
            models,
            backends,
        })
    }
}

fn entry(
    backend: &Backend,
    default: &str,
    result: Result<Vec<Model>, ServiceError>,
) -> BackendModels {
    let (models, error) = match result {
        Ok(models) => (models, None),
        Err(error) => (Vec::new(), Some(error)),
    };
    BackendModels {
        name: backend.name.clone(),
        kind: backend.kind,
        host: backend.host.clone(),
        default: backend.name == default,
        models,
        error,
    }
}
