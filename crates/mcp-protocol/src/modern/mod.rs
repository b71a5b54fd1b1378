//! The modern (2026-07-28, stateless) era: per-request `_meta`, `server/discover`, result
//! decoration (`resultType`, server identity, cache hints), the methods it removed, and the
//! `input_required` round trips of `tools/call`, `prompts/get` and `resources/read`.

mod call;
mod discover;
mod listen;
mod meta;
mod result;

#[cfg(feature = "http")]
pub(crate) use self::call::LISTEN;
pub(crate) use self::listen::Listen;
pub(crate) use self::meta::RequestMeta;
use crate::input_required::InputExchange;

/// What a handler's context knows about a modern request.
#[derive(Debug)]
pub(crate) struct ModernScope {
    /// The request's `_meta`.
    pub(crate) meta: RequestMeta,
    /// The input exchange, for the methods that may answer `input_required`.
    pub(crate) exchange: Option<InputExchange>,
}
