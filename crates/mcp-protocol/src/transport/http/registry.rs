//! The live HTTP sessions: ids, idle expiry, and each session's recent SSE streams.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use super::event_stream::EventStream;
use crate::{Server, session::Session};

/// Recent streams kept per session for resumption.
const KEPT_STREAMS: usize = 32;

/// How often expired sessions are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One HTTP session.
#[derive(Debug)]
pub(crate) struct HttpSession {
    pub(crate) session: Arc<Session>,
    id: Mutex<String>,
    streams: Mutex<VecDeque<Arc<EventStream>>>,
    standalone: Mutex<Option<Arc<EventStream>>>,
    last_seen: Mutex<Instant>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("protocol_version", &self.protocol_version())
            .finish_non_exhaustive()
    }
}

impl HttpSession {
    pub(crate) fn new(server: Server) -> Arc<Self> {
        Arc::new(Self {
            session: Session::new(server),
            id: Mutex::default(),
            streams: Mutex::default(),
            standalone: Mutex::default(),
            last_seen: Mutex::new(Instant::now()),
        })
    }

    pub(crate) fn touch(&self) {
        *lock(&self.last_seen) = Instant::now();
    }

    /// A new stream for a request's messages, remembered for resumption.
    pub(crate) fn new_stream(&self, id: u64, capacity: usize) -> Arc<EventStream> {
        let stream = EventStream::new(id, capacity);
        let mut streams = lock(&self.streams);
        streams.push_back(Arc::clone(&stream));
        while streams.len() > KEPT_STREAMS {
            streams.pop_front();
        }
        stream
    }

    /// Opens the standalone server-to-client stream, closing a previous one.
    pub(crate) fn open_standalone(&self, id: u64, capacity: usize) -> Arc<EventStream> {
        let stream = self.new_stream(id, capacity);
        if let Some(previous) = lock(&self.standalone).replace(Arc::clone(&stream)) {
            previous.finish(None);
        }
        stream
    }

    pub(crate) fn stream(&self, id: u64) -> Option<Arc<EventStream>> {
        lock(&self.streams).iter().find(|s| s.id == id).cloned()
    }

    fn close(&self) {
        self.session.cancel_all();
        for stream in lock(&self.streams).iter() {
            stream.finish(None);
        }
    }
}

/// All sessions of one transport.
#[derive(Debug)]
pub(crate) struct Registry {
    sessions: Mutex<HashMap<String, Arc<HttpSession>>>,
    last_sweep: Mutex<Instant>,
    next_stream: AtomicU64,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            sessions: Mutex::default(),
            last_sweep: Mutex::new(Instant::now()),
            next_stream: AtomicU64::new(1),
        }
    }
}

impl Registry {
    pub(crate) fn len(&self) -> usize {
        lock(&self.sessions).len()
    }

    pub(crate) fn next_stream_id(&self) -> u64 {
        self.next_stream.fetch_add(1, Ordering::Relaxed)
    }

    /// Stores a session under a fresh random id and returns the id; `None` when the OS has
    /// no randomness to give (a guessable session id would be worse than no session).
    pub(crate) fn insert(&self, session: Arc<HttpSession>) -> Option<String> {
        let id = new_session_id()?;
        lock(&session.id).clone_from(&id);
        lock(&self.sessions).insert(id.clone(), session);
        Some(id)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.sessions).get(id).cloned()
    }

    pub(crate) fn remove(&self, session: &HttpSession) {
        let id = lock(&session.id).clone();
        if let Some(removed) = lock(&self.sessions).remove(&id) {
            removed.close();
        }
    }

    /// Forgets sessions idle longer than `idle` with nothing in flight (at most every 10 s).
    pub(crate) fn sweep(&self, idle: Duration) {
        {
            let mut last = lock(&self.last_sweep);
            if last.elapsed() < SWEEP_EVERY.min(idle) {
                return;
            }
            *last = Instant::now();
        }
        let expired: Vec<Arc<HttpSession>> = {
            let mut sessions = lock(&self.sessions);
            let ids: Vec<String> = sessions
                .iter()
                .filter(|(_, s)| lock(&s.last_seen).elapsed() > idle && s.session.in_flight() == 0)
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| sessions.remove(id)).collect()
        };
        for session in expired {
            tracing::debug!("MCP session expired");
            session.close();
        }
    }
}

/// 128 random bits as 32 hex characters (visible ASCII, as the spec requires).
fn new_session_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
