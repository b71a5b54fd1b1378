//! [`TokenSet`]: the tokens a server accepts, checked in constant time.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use subtle::{Choice, ConditionallySelectable};

use crate::authorization_header::bearer_token;
use crate::constant_time::secret_eq;
use crate::{AuthOutcome, Identity, Token};

/// One or more accepted tokens.
///
/// Several tokens allow rotation without downtime (accept old and new, move clients, drop the
/// old one) and per-client tokens; naming them tells the audit log which one called.
/// [`TokenSet::verify`] compares the candidate with **every** token, in constant time, and
/// without returning early on a length mismatch, so response times reveal neither which
/// token nor which byte was wrong.
///
/// Cheap to clone (the tokens are shared).
#[derive(Clone)]
pub struct TokenSet {
    entries: Arc<Vec<Entry>>,
}

#[derive(Clone)]
struct Entry {
    token: Token,
    identity: Identity,
}

impl TokenSet {
    /// A set with one unnamed token.
    #[must_use]
    pub fn new(token: Token) -> Self {
        Self::from_entry(token, None)
    }

    /// A set with one named token.
    #[must_use]
    pub fn named(name: impl Into<String>, token: Token) -> Self {
        Self::from_entry(token, Some(name.into().into()))
    }

    /// Adds an unnamed token.
    #[must_use]
    pub fn with(self, token: Token) -> Self {
        self.push(token, None)
    }

    /// Adds a named token (`"ci"`, `"previous"`, ...).
    #[must_use]
    pub fn with_named(self, name: impl Into<String>, token: Token) -> Self {
        self.push(token, Some(name.into().into()))
    }

    /// Number of tokens in the set (at least one).
    #[must_use]
    #[expect(clippy::len_without_is_empty, reason = "a TokenSet is never empty")]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Which token, if any, equals `candidate`. Constant time in the tokens' content and
    /// lengths; if the same token was added twice, the first one wins.
    #[must_use]
    pub fn verify(&self, candidate: &str) -> Option<Identity> {
        let mut found = Choice::from(0);
        let mut index = 0_u64;
        for (i, entry) in self.entries.iter().enumerate() {
            let matches = secret_eq(entry.token.expose_secret().as_bytes(), candidate.as_bytes());
            let first_match = matches & !found;
            index = u64::conditional_select(&index, &(i as u64), first_match);
            found |= matches;
        }
        if bool::from(found) {
            let index = usize::try_from(index).ok()?;
            self.entries.get(index).map(|e| e.identity.clone())
        } else {
            None
        }
    }

    /// Authenticates a request by its `Authorization: Bearer` header.
    #[must_use]
    pub fn check_headers(&self, headers: &HeaderMap) -> AuthOutcome {
        match bearer_token(headers) {
            Ok(Some(candidate)) => self.check_token(candidate),
            Ok(None) => AuthOutcome::Missing,
            Err(reason) => AuthOutcome::Malformed(reason),
        }
    }

    pub(crate) fn check_token(&self, candidate: &str) -> AuthOutcome {
        self.verify(candidate)
            .map_or(AuthOutcome::Invalid, AuthOutcome::Ok)
    }

    fn from_entry(token: Token, name: Option<Arc<str>>) -> Self {
        let identity = Identity::new(0, name);
        Self {
            entries: Arc::new(vec![Entry { token, identity }]),
        }
    }

    fn push(mut self, token: Token, name: Option<Arc<str>>) -> Self {
        let identity = Identity::new(self.entries.len(), name);
        Arc::make_mut(&mut self.entries).push(Entry { token, identity });
        self
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .entries
            .iter()
            .map(|e| e.identity.to_string())
            .collect();
        f.debug_struct("TokenSet").field("tokens", &names).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MalformedReason;
    use http::HeaderValue;
    use http::header::AUTHORIZATION;

    const OLD: &str = "0ld0ld0ld-4f9c2a7e1b8d3f6a0c5e9b2d7a4f";
    const NEW: &str = "n3wn3wn3w-9b2d7a4f1c8e4f9c2a7e1b8d3f6a";

    fn rotation() -> TokenSet {
        TokenSet::named("previous", Token::new(OLD).unwrap()).with(Token::new(NEW).unwrap())
    }

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(AUTHORIZATION, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn rotation_accepts_old_and_new_and_says_which() {
        let set = rotation();
        assert_eq!(set.len(), 2);
        let old = set.verify(OLD).unwrap();
        assert_eq!((old.index(), old.name()), (0, Some("previous")));
        assert_eq!(old.to_string(), "previous");
        let new = set.verify(NEW).unwrap();
        assert_eq!((new.index(), new.name()), (1, None));
        assert_eq!(new.to_string(), "token#1");
        assert_eq!(set.verify(&OLD[..OLD.len() - 1]), None);
        assert_eq!(set.verify(&format!("{OLD}x")), None);
        assert_eq!(set.verify(""), None);
    }

    #[test]
    fn duplicate_tokens_resolve_to_the_first() {
        let set = TokenSet::named("a", Token::new(NEW).unwrap())
            .with_named("b", Token::new(NEW).unwrap());
        assert_eq!(set.verify(NEW).unwrap().name(), Some("a"));
    }

    #[test]
    fn every_header_outcome() {
        let set = rotation();
        assert_eq!(set.check_headers(&headers(&[])), AuthOutcome::Missing);
        assert_eq!(
            set.check_headers(&headers(&["Basic dXNlcjpwYXNz"])),
            AuthOutcome::Missing
        );
        assert_eq!(
            set.check_headers(&headers(&["Bearer "])),
            AuthOutcome::Malformed(MalformedReason::EmptyToken)
        );
        assert_eq!(
            set.check_headers(&headers(&["Bearer x", "Bearer y"])),
            AuthOutcome::Malformed(MalformedReason::MultipleHeaders)
        );
        assert_eq!(
            set.check_headers(&headers(&["Bearer wrong-token"])),
            AuthOutcome::Invalid
        );
        let outcome =
            set.check_headers(&headers(&["bearer n3wn3wn3w-9b2d7a4f1c8e4f9c2a7e1b8d3f6a"]));
        assert_eq!(outcome.identity().map(Identity::index), Some(1));
    }

    #[test]
    fn debug_shows_names_not_tokens() {
        let debug = format!("{:?}", rotation());
        assert_eq!(debug, r#"TokenSet { tokens: ["previous", "token#1"] }"#);
    }
}
