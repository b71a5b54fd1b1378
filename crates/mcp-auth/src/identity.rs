//! [`Identity`]: which configured token made a request, for audit logs.

use std::fmt;
use std::sync::Arc;

/// Which accepted token authenticated a request: its position in the [`TokenSet`](crate::TokenSet)
/// and its name, if it was given one. Never contains the token.
///
/// `Display` prints the name, or `token#<index>` for an unnamed token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    index: usize,
    name: Option<Arc<str>>,
}

impl Identity {
    pub(crate) fn new(index: usize, name: Option<Arc<str>>) -> Self {
        Self { index, name }
    }

    /// Position of the token in its [`TokenSet`](crate::TokenSet), in insertion order.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The token's name, as given to [`TokenSet::named`](crate::TokenSet::named) or
    /// [`TokenSet::with_named`](crate::TokenSet::with_named).
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => f.write_str(name),
            None => write!(f, "token#{}", self.index),
        }
    }
}
