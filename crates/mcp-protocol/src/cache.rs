//! Caching hints (`ttlMs`, `cacheScope`) that 2026-07-28 puts on cacheable results:
//! `server/discover`, the four lists and `resources/read`.

use std::time::Duration;

use serde_json::{Map, Value};

/// Who may reuse a cached result, like HTTP `Cache-Control: public` / `private`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CacheScope {
    /// Holds nothing user-specific: any client or shared intermediary may cache it.
    Public,
    /// May be reused only within the same authorization context.
    Private,
}

impl CacheScope {
    /// The wire value (`"public"` or `"private"`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }
}

/// How long a result may be cached and by whom.
///
/// ```
/// use std::time::Duration;
/// use mcp_protocol::{CacheHint, CacheScope};
/// let hint = CacheHint::new(Duration::from_secs(60), CacheScope::Private);
/// assert_eq!(hint.ttl_ms(), 60_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CacheHint {
    /// Freshness lifetime (`ttlMs`); zero means "stale at once, re-fetch every time".
    pub ttl: Duration,
    /// Who may reuse it (`cacheScope`).
    pub scope: CacheScope,
}

impl CacheHint {
    /// A hint with a lifetime and a scope.
    #[must_use]
    pub fn new(ttl: Duration, scope: CacheScope) -> Self {
        Self { ttl, scope }
    }

    /// No caching: `ttlMs: 0`, private.
    #[must_use]
    pub fn none() -> Self {
        Self::new(Duration::ZERO, CacheScope::Private)
    }

    /// The default for lists and `server/discover`: 5 minutes, public (what the builder
    /// registers is the same for every client).
    #[must_use]
    pub fn default_list() -> Self {
        Self::new(Duration::from_secs(300), CacheScope::Public)
    }

    /// The default for `resources/read`: no caching (a resource's content may change at any
    /// time and may depend on who asks).
    #[must_use]
    pub fn default_read() -> Self {
        Self::none()
    }

    /// The lifetime in whole milliseconds, as sent (saturating).
    #[must_use]
    pub fn ttl_ms(&self) -> u64 {
        u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)
    }

    /// Adds `ttlMs` and `cacheScope` to a result object.
    pub(crate) fn apply(&self, result: &mut Map<String, Value>) {
        result.insert("ttlMs".to_owned(), Value::from(self.ttl_ms()));
        result.insert(
            "cacheScope".to_owned(),
            Value::from(self.scope.as_str().to_owned()),
        );
    }
}
