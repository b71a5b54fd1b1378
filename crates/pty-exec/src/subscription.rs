//! What a subscriber to a terminal session receives.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::Notify;

use crate::ExitStatus;
use crate::fanout::{Fanout, lock};

/// A piece of terminal output. Cheap to clone (shared between subscribers).
#[derive(Clone)]
pub struct OutputChunk {
    data: Bytes,
    text: Arc<str>,
}

impl OutputChunk {
    pub(crate) fn new(data: Bytes, text: Arc<str>) -> Self {
        Self { data, text }
    }

    /// The bytes as read from the terminal.
    #[must_use]
    pub fn bytes(&self) -> &Bytes {
        &self.data
    }

    /// The output decoded so far: a character split between two reads is held back and
    /// appears whole in the next chunk, so `text` is split only on character boundaries;
    /// invalid bytes become U+FFFD.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for OutputChunk {
    // Terminal output may hold anything the user typed or printed: lengths only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutputChunk")
            .field("bytes", &self.data.len())
            .field("text_len", &self.text.len())
            .finish()
    }
}

/// An event of a terminal session, as received by a [`Subscription`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SessionEvent {
    /// Output from the terminal.
    Output(OutputChunk),
    /// This subscriber fell behind by more than its buffer: `missed_bytes` of output were
    /// dropped for it (not for others) right here in the sequence. Resynchronize from
    /// [`Session::snapshot`](crate::Session::snapshot) if needed.
    Lagged {
        /// Bytes of output this subscriber did not receive.
        missed_bytes: u64,
    },
    /// The program ended. The last event of a subscription.
    Exited(ExitStatus),
}

/// One subscriber's bounded queue, filled by the session's reader thread.
pub(crate) struct SubscriberQueue {
    state: Mutex<QueueState>,
    /// Wakes the subscriber: an event was queued.
    notify: Notify,
    /// Wakes the publisher waiting for room: an event was taken, or the subscriber left.
    space: Condvar,
    capacity: usize,
}

struct QueueState {
    events: VecDeque<SessionEvent>,
    /// Bytes of output queued.
    bytes: usize,
    /// `Exited` is queued: nothing follows.
    closed: bool,
    /// The subscription was dropped: the publisher forgets this queue.
    detached: bool,
    /// The publisher gave up waiting for room: it does not wait for this queue again until
    /// the subscriber has emptied it.
    lagging: bool,
}

impl SubscriberQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(QueueState {
                events: VecDeque::new(),
                bytes: 0,
                closed: false,
                detached: false,
                lagging: false,
            }),
            notify: Notify::new(),
            space: Condvar::new(),
            capacity,
        }
    }

    /// Queues output. When the queue is full, waits for room until `deadline` (if any, and
    /// unless this queue already made the publisher wait in vain), else counts the output as
    /// missed. Returns `false` when the subscriber is gone.
    pub(crate) fn push_output(&self, chunk: &OutputChunk, deadline: Option<Instant>) -> bool {
        let len = chunk.data.len();
        let mut state = lock(&self.state);
        loop {
            if state.detached {
                return false;
            }
            if state.closed {
                return true;
            }
            if state.bytes + len <= self.capacity || state.events.is_empty() {
                state.bytes += len;
                state.events.push_back(SessionEvent::Output(chunk.clone()));
                break;
            }
            let left = deadline.and_then(|d| d.checked_duration_since(Instant::now()));
            match left {
                Some(left) if !state.lagging && !left.is_zero() => {
                    state = self
                        .space
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                _ => {
                    state.lagging |= deadline.is_some();
                    if let Some(SessionEvent::Lagged { missed_bytes }) = state.events.back_mut() {
                        *missed_bytes += len as u64;
                    } else {
                        state.events.push_back(SessionEvent::Lagged {
                            missed_bytes: len as u64,
                        });
                    }
                    break;
                }
            }
        }
        drop(state);
        self.notify.notify_one();
        true
    }

    /// `true` once the subscription was dropped.
    pub(crate) fn is_detached(&self) -> bool {
        lock(&self.state).detached
    }

    /// Queues the final event (never dropped, whatever the queue holds).
    pub(crate) fn push_exit(&self, status: ExitStatus) {
        let mut state = lock(&self.state);
        if !state.closed {
            state.closed = true;
            state.events.push_back(SessionEvent::Exited(status));
        }
        drop(state);
        self.notify.notify_one();
    }

    /// The next event; `Err(())` when none is queued and none will come.
    fn pop(&self) -> Result<Option<SessionEvent>, ()> {
        let mut state = lock(&self.state);
        match state.events.pop_front() {
            Some(event) => {
                if let SessionEvent::Output(chunk) = &event {
                    state.bytes -= chunk.data.len();
                }
                if state.events.is_empty() {
                    state.lagging = false;
                }
                drop(state);
                self.space.notify_one();
                Ok(Some(event))
            }
            None if state.closed => Err(()),
            None => Ok(None),
        }
    }

    fn detach(&self) {
        let mut state = lock(&self.state);
        state.detached = true;
        state.events.clear();
        drop(state);
        self.space.notify_one();
    }
}

impl fmt::Debug for SubscriberQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubscriberQueue")
    }
}

/// A subscriber to a terminal [`Session`](crate::Session)'s output.
///
/// Receives [`SessionEvent`]s in order, through [`recv`](Self::recv) or as a [`Stream`]
/// ([`into_stream`](Self::into_stream)), ending with [`SessionEvent::Exited`]. Its queue
/// is bounded ([`PtyConfig::subscriber_buffer_bytes`](crate::PtyConfig::subscriber_buffer_bytes)):
/// when it is full the session waits for room, up to
/// [`PtyConfig::output_wait`](crate::PtyConfig::output_wait), so that nothing is lost; a
/// subscriber that does not make room in time gets a [`SessionEvent::Lagged`] in place of what
/// it missed, and never makes the session buffer without bound or wait for it again until it
/// has caught up.
///
/// Dropping it detaches it; the session lives on.
pub struct Subscription {
    queue: Arc<SubscriberQueue>,
    fanout: Arc<Fanout>,
}

impl Subscription {
    pub(crate) fn new(queue: Arc<SubscriberQueue>, fanout: Arc<Fanout>) -> Self {
        Self { queue, fanout }
    }

    /// The next event, or `None` after [`SessionEvent::Exited`] was received.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: events stay queued until a call completes.
    pub async fn recv(&mut self) -> Option<SessionEvent> {
        loop {
            match self.queue.pop() {
                Ok(Some(event)) => return Some(event),
                Err(()) => return None,
                Ok(None) => self.queue.notify.notified().await,
            }
        }
    }

    /// The next event if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<SessionEvent> {
        self.queue.pop().ok().flatten()
    }

    /// The events as a `Stream` that ends after [`SessionEvent::Exited`].
    ///
    /// # Cancel safety
    ///
    /// Like [`recv`](Self::recv): dropping a pending `next()` loses nothing.
    pub fn into_stream(self) -> impl Stream<Item = SessionEvent> + Send + Unpin + 'static {
        Box::pin(futures_util::stream::unfold(
            self,
            |mut subscription| async move {
                let event = subscription.recv().await?;
                Some((event, subscription))
            },
        ))
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.queue.detach();
        self.fanout.activity.unsubscribed();
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.queue.state);
        f.debug_struct("Subscription")
            .field("queued_events", &state.events.len())
            .field("queued_bytes", &state.bytes)
            .field("closed", &state.closed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(len: usize) -> OutputChunk {
        OutputChunk::new(Bytes::from(vec![b'x'; len]), Arc::from("x".repeat(len)))
    }

    #[test]
    fn a_full_queue_turns_output_into_one_lagged_event() {
        let queue = SubscriberQueue::new(10);
        assert!(queue.push_output(&chunk(6), None));
        assert!(queue.push_output(&chunk(6), None)); // does not fit
        assert!(queue.push_output(&chunk(5), None)); // neither: merged into the same Lagged
        assert!(queue.push_output(&chunk(4), None)); // fits again, after the Lagged
        queue.push_exit(ExitStatus::from_code(0));
        assert!(matches!(queue.pop(), Ok(Some(SessionEvent::Output(c))) if c.bytes().len() == 6));
        assert!(matches!(
            queue.pop(),
            Ok(Some(SessionEvent::Lagged { missed_bytes: 11 }))
        ));
        assert!(matches!(queue.pop(), Ok(Some(SessionEvent::Output(c))) if c.bytes().len() == 4));
        assert!(matches!(queue.pop(), Ok(Some(SessionEvent::Exited(_)))));
        assert!(queue.pop().is_err());
    }

    #[test]
    fn a_chunk_larger_than_the_buffer_still_passes_when_empty() {
        let queue = SubscriberQueue::new(4);
        assert!(queue.push_output(&chunk(100), None));
        assert!(matches!(queue.pop(), Ok(Some(SessionEvent::Output(_)))));
        assert!(matches!(queue.pop(), Ok(None)));
    }

    #[test]
    fn a_full_queue_makes_the_publisher_wait_for_room() {
        let queue = Arc::new(SubscriberQueue::new(10));
        assert!(queue.push_output(&chunk(8), None));
        let consumer = std::thread::spawn({
            let queue = Arc::clone(&queue);
            move || {
                std::thread::sleep(std::time::Duration::from_millis(100));
                queue.pop()
            }
        });
        let began = Instant::now();
        let deadline = began + std::time::Duration::from_secs(10);
        assert!(queue.push_output(&chunk(8), Some(deadline)));
        let waited = began.elapsed();
        assert!(waited >= std::time::Duration::from_millis(80), "{waited:?}");
        assert!(waited < std::time::Duration::from_secs(5), "{waited:?}");
        assert!(matches!(
            consumer.join().unwrap(),
            Ok(Some(SessionEvent::Output(_)))
        ));
        // Nothing was lost: the second chunk is queued, no Lagged.
        assert!(matches!(queue.pop(), Ok(Some(SessionEvent::Output(c))) if c.bytes().len() == 8));
        assert!(matches!(queue.pop(), Ok(None)));
    }

    #[test]
    fn a_subscriber_that_makes_no_room_in_time_lags_and_is_not_waited_for_again() {
        let queue = SubscriberQueue::new(10);
        assert!(queue.push_output(&chunk(8), None));
        let began = Instant::now();
        let soon = began + std::time::Duration::from_millis(50);
        assert!(queue.push_output(&chunk(8), Some(soon)));
        assert!(began.elapsed() >= std::time::Duration::from_millis(40));
        // Lagging now: the next full push does not wait, even with a far deadline.
        let began = Instant::now();
        let far = began + std::time::Duration::from_secs(10);
        assert!(queue.push_output(&chunk(8), Some(far)));
        assert!(began.elapsed() < std::time::Duration::from_secs(1));
        assert!(matches!(queue.pop(), Ok(Some(SessionEvent::Output(_)))));
        assert!(matches!(
            queue.pop(),
            Ok(Some(SessionEvent::Lagged { missed_bytes: 16 }))
        ));
        // Caught up (queue emptied): waited for again.
        assert!(queue.push_output(&chunk(8), None));
        let began = Instant::now();
        assert!(queue.push_output(
            &chunk(8),
            Some(began + std::time::Duration::from_millis(50))
        ));
        assert!(began.elapsed() >= std::time::Duration::from_millis(40));
    }

    #[test]
    fn a_subscriber_leaving_ends_the_wait() {
        let queue = Arc::new(SubscriberQueue::new(10));
        assert!(queue.push_output(&chunk(8), None));
        let leaver = std::thread::spawn({
            let queue = Arc::clone(&queue);
            move || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                queue.detach();
            }
        });
        let began = Instant::now();
        let far = began + std::time::Duration::from_secs(10);
        assert!(!queue.push_output(&chunk(8), Some(far)));
        assert!(began.elapsed() < std::time::Duration::from_secs(5));
        leaver.join().unwrap();
    }

    #[test]
    fn detached_queues_refuse_output() {
        let queue = SubscriberQueue::new(4);
        queue.detach();
        assert!(!queue.push_output(&chunk(1), None));
    }
}
