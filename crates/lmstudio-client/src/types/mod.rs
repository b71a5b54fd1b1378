//! Request and answer types of the API families.

pub(crate) mod chat;
pub(crate) mod completion;
pub(crate) mod model;
pub(crate) mod native;
pub(crate) mod ollama;
pub(crate) mod ollama_models;
pub(crate) mod params;
pub(crate) mod stats;
