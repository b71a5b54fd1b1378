#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api_native;
mod api_ollama;
mod api_openai;
mod api_v0;
mod chat_event;
mod chat_stream;
mod client;
mod error;
mod error_body;
mod ndjson;
mod ollama_chunk;
mod openai_style;
mod sse;
mod status;
mod types;

pub use api_native::Native;
pub use api_ollama::{OLLAMA_BASE_URL, Ollama};
pub use api_openai::OpenAi;
pub use api_v0::V0;
pub use chat_event::{ChatEvent, Delta, Progress, ProgressStage, StreamSummary, ToolCallDelta};
pub use chat_stream::ChatStream;
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL};
pub use error::{Error, Result};
pub use status::ServerStatus;
pub use types::{
    chat::{ChatChoice, ChatRequest, ChatResponse, FunctionCall, Message, Role, ToolCall},
    completion::{
        CompletionChoice, CompletionRequest, CompletionResponse, Embedding, EmbeddingRequest,
        EmbeddingResponse,
    },
    model::{Model, ModelState, ModelType, OpenAiModel},
    native::{
        LoadRequest, LoadResponse, LoadedInstance, NativeChatRequest, NativeChatResponse,
        NativeModel, NativeStats, OutputItem, Quantization, UnloadResponse,
    },
    ollama::{
        GenerateRequest, GenerateResponse, OllamaChatRequest, OllamaChatResponse, OllamaTimings,
    },
    ollama_models::{OllamaEmbedResponse, OllamaModel, OllamaModelDetails, OllamaShow},
    params::{GenerationParams, JsonSchema, ResponseFormat},
    stats::{FinishReason, ModelInfo, Runtime, Stats, StatsSource, StopReason, Usage},
};
