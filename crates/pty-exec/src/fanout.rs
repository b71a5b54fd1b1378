//! Distribution of a terminal's output: the scrollback ring, the stream decoder, and one
//! bounded queue per subscriber. Fed by the session's reader thread, which waits (up to the
//! configured `output_wait`) for a subscriber whose queue is full: flow control back to the
//! program, as a slow real terminal gives.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::ExitStatus;
use crate::byte_ring::ByteRing;
use crate::scrollback::{Snapshot, snapshot};
use crate::subscription::{OutputChunk, SubscriberQueue, Subscription};
use crate::utf8_decoder::Utf8Decoder;

/// Locks `mutex`, recovering the data if a thread panicked while holding it (every critical
/// section here leaves the data consistent).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Last activity and number of subscribers, for listings and idle reaping.
#[derive(Debug)]
pub(crate) struct Activity {
    origin: Instant,
    created: SystemTime,
    /// Milliseconds since `origin` of the last input, resize, signal or (un)subscription.
    last_ms: AtomicU64,
    subscribers: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            created: SystemTime::now(),
            last_ms: AtomicU64::new(0),
            subscribers: AtomicUsize::new(0),
        }
    }

    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    pub(crate) fn created(&self) -> SystemTime {
        self.created
    }

    pub(crate) fn last(&self) -> SystemTime {
        self.created + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    /// Time since the last activity.
    pub(crate) fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(last)
    }

    pub(crate) fn subscribers(&self) -> usize {
        self.subscribers.load(Ordering::Relaxed)
    }

    fn subscribed(&self) {
        self.subscribers.fetch_add(1, Ordering::Relaxed);
        self.touch();
    }

    pub(crate) fn unsubscribed(&self) {
        self.subscribers.fetch_sub(1, Ordering::Relaxed);
        self.touch();
    }
}

/// The output side of a session.
#[derive(Debug)]
pub(crate) struct Fanout {
    state: Mutex<FanoutState>,
    /// Held for a whole `publish` (including its waits) and by `finish`, so that the exit
    /// comes after all the output read before it.
    publishing: Mutex<()>,
    subscriber_buffer_bytes: usize,
    output_wait: Duration,
    pub(crate) activity: Activity,
}

#[derive(Debug)]
struct FanoutState {
    decoder: Utf8Decoder,
    scrollback: ByteRing,
    queues: Vec<Arc<SubscriberQueue>>,
    exit: Option<ExitStatus>,
}

impl Fanout {
    pub(crate) fn new(
        scrollback_bytes: usize,
        subscriber_buffer_bytes: usize,
        output_wait: Duration,
    ) -> Self {
        Self {
            state: Mutex::new(FanoutState {
                decoder: Utf8Decoder::default(),
                scrollback: ByteRing::new(scrollback_bytes),
                queues: Vec::new(),
                exit: None,
            }),
            publishing: Mutex::new(()),
            subscriber_buffer_bytes,
            output_wait,
            activity: Activity::new(),
        }
    }

    /// Records output read from the terminal and hands it to every subscriber, waiting up to
    /// `output_wait` for those whose queue is full (blocking: called by the reader thread).
    pub(crate) fn publish(&self, data: &[u8]) {
        let _publishing = lock(&self.publishing);
        let (chunk, queues) = {
            let mut state = lock(&self.state);
            let text = state.decoder.decode(data);
            state.scrollback.push(data);
            if state.queues.is_empty() || state.exit.is_some() {
                return;
            }
            let chunk = OutputChunk::new(Bytes::copy_from_slice(data), Arc::from(text));
            (chunk, state.queues.clone())
        };
        // Queues are filled outside the state lock: a subscriber attaching meanwhile gets
        // this chunk in its snapshot, not in its queue (it was not in the list taken above).
        let deadline = (!self.output_wait.is_zero()).then(|| Instant::now() + self.output_wait);
        let mut gone = false;
        for queue in &queues {
            gone |= !queue.push_output(&chunk, deadline);
        }
        if gone {
            lock(&self.state)
                .queues
                .retain(|queue| !queue.is_detached());
        }
        // Output is not activity: a detached session that keeps printing is still idle.
    }

    /// Publishes the exit: the last event of every subscription, present and future.
    pub(crate) fn finish(&self, status: ExitStatus) {
        let _publishing = lock(&self.publishing);
        let mut state = lock(&self.state);
        if state.exit.is_some() {
            return;
        }
        state.exit = Some(status);
        let rest = state.decoder.finish();
        let queues = std::mem::take(&mut state.queues);
        drop(state);
        for queue in queues {
            if !rest.is_empty() {
                queue.push_output(
                    &OutputChunk::new(Bytes::new(), Arc::from(rest.as_str())),
                    None,
                );
            }
            queue.push_exit(status);
        }
        self.activity.touch();
    }

    /// The scrollback now.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let state = lock(&self.state);
        snapshot(&state.scrollback, state.decoder.pending_len(), state.exit)
    }

    /// The scrollback and a subscription that continues exactly where it ends.
    pub(crate) fn attach(self: &Arc<Self>) -> (Snapshot, Subscription) {
        let queue = Arc::new(SubscriberQueue::new(self.subscriber_buffer_bytes));
        let mut state = lock(&self.state);
        let snapshot = snapshot(&state.scrollback, state.decoder.pending_len(), state.exit);
        match state.exit {
            Some(status) => queue.push_exit(status),
            None => state.queues.push(Arc::clone(&queue)),
        }
        drop(state);
        self.activity.subscribed();
        (snapshot, Subscription::new(queue, Arc::clone(self)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionEvent;

    #[test]
    fn subscribers_get_output_after_their_snapshot_then_the_exit() {
        let fanout = Arc::new(Fanout::new(1024, 1024, Duration::ZERO));
        fanout.publish(b"before ");
        let (snapshot, mut subscription) = fanout.attach();
        assert_eq!(snapshot.text, "before ");
        assert_eq!(fanout.activity.subscribers(), 1);
        fanout.publish("after \u{20ac}".as_bytes());
        fanout.finish(ExitStatus::from_code(0));
        fanout.publish(b"ignored by subscribers");
        let Some(SessionEvent::Output(chunk)) = subscription.try_recv() else {
            panic!("output expected");
        };
        assert_eq!(chunk.text(), "after \u{20ac}");
        assert!(matches!(
            subscription.try_recv(),
            Some(SessionEvent::Exited(_))
        ));
        assert!(subscription.try_recv().is_none());
        drop(subscription);
        assert_eq!(fanout.activity.subscribers(), 0);

        let (snapshot, mut late) = fanout.attach();
        assert!(snapshot.text.ends_with("ignored by subscribers"));
        assert!(snapshot.exit.is_some());
        assert!(matches!(late.try_recv(), Some(SessionEvent::Exited(_))));
    }

    #[test]
    fn an_incomplete_character_at_exit_is_flushed() {
        let fanout = Arc::new(Fanout::new(1024, 1024, Duration::ZERO));
        let (_, mut subscription) = fanout.attach();
        fanout.publish(b"a\xe2\x82");
        fanout.finish(ExitStatus::from_code(0));
        let mut text = String::new();
        while let Some(event) = subscription.try_recv() {
            if let SessionEvent::Output(chunk) = event {
                text += chunk.text();
            }
        }
        assert_eq!(text, "a\u{FFFD}");
    }
}
