//! A terminal session as listed by the session manager.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

use crate::{ExitStatus, SessionId};

/// What [`Session::info`](crate::Session::info) and
/// [`SessionManager::list`](crate::SessionManager::list) report about a session.
///
/// Times serialize as Unix time in milliseconds.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session's id.
    pub id: SessionId,
    /// The name given at creation, if any.
    pub name: Option<String>,
    /// The program running in the terminal (usually a shell).
    pub shell: PathBuf,
    /// The program's process id (also its session and process group id on Unix).
    pub pid: Option<u32>,
    /// When the session started.
    #[serde(serialize_with = "unix_millis")]
    pub created: SystemTime,
    /// The last input, resize, signal, subscription or unsubscription (not output).
    #[serde(serialize_with = "unix_millis")]
    pub last_activity: SystemTime,
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
    /// How the program ended, if it has.
    pub exit: Option<ExitStatus>,
    /// Subscribers attached now.
    pub subscribers: usize,
}

impl SessionInfo {
    /// `true` if the program has ended.
    #[must_use]
    pub fn exited(&self) -> bool {
        self.exit.is_some()
    }
}

pub(crate) fn unix_millis<S: Serializer>(
    time: &SystemTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let millis = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    serializer.serialize_u64(millis)
}
