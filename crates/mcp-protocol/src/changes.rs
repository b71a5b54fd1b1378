//! Change notifications: what a server tells listening clients when one of its lists or a
//! resource changes. [`Server::notify`](crate::Server::notify) broadcasts a [`Change`]; each
//! listener turns it into the notification its era uses (a legacy session's stream, or a
//! modern `subscriptions/listen` stream that asked for it).

use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Changes kept for a slow listener before it skips ahead.
const BACKLOG: usize = 256;

/// Something that changed on the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Change {
    /// The tool list changed (`notifications/tools/list_changed`).
    ToolsListChanged,
    /// The prompt list changed (`notifications/prompts/list_changed`).
    PromptsListChanged,
    /// The resource list changed (`notifications/resources/list_changed`).
    ResourcesListChanged,
    /// A resource's content changed (`notifications/resources/updated`); sent to clients
    /// that subscribed to this URI.
    ResourceUpdated {
        /// The resource.
        uri: String,
    },
}

impl Change {
    /// [`Change::ResourceUpdated`] for `uri`.
    #[must_use]
    pub fn resource_updated(uri: impl Into<String>) -> Self {
        Self::ResourceUpdated { uri: uri.into() }
    }

    /// The notification's method.
    pub(crate) fn method(&self) -> &'static str {
        match self {
            Self::ToolsListChanged => "notifications/tools/list_changed",
            Self::PromptsListChanged => "notifications/prompts/list_changed",
            Self::ResourcesListChanged => "notifications/resources/list_changed",
            Self::ResourceUpdated { .. } => "notifications/resources/updated",
        }
    }

    /// The notification's params.
    pub(crate) fn params(&self) -> Value {
        match self {
            Self::ResourceUpdated { uri } => json!({ "uri": uri }),
            _ => json!({}),
        }
    }
}

/// The broadcast every listener subscribes to.
#[derive(Debug)]
pub(crate) struct Changes {
    sender: broadcast::Sender<Change>,
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Changes {
    /// Tells every current listener (none listening is fine).
    pub(crate) fn send(&self, change: Change) {
        let _ = self.sender.send(change);
    }

    /// A new listener, seeing changes from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }
}

/// The next change for a listener; `None` once the server is gone. A listener that fell
/// behind skips what it missed (list changes only say "fetch again").
///
/// # Cancel safety
/// Cancel-safe.
pub(crate) async fn next_change(receiver: &mut broadcast::Receiver<Change>) -> Option<Change> {
    loop {
        match receiver.recv().await {
            Ok(change) => return Some(change),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "change listener fell behind");
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}
