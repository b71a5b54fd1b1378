//! One SSE stream's events, kept in a bounded buffer so a client can resume after a
//! disconnect (`Last-Event-ID`), and delivered to at most one live reader at a time.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use tokio::sync::Notify;

/// Events of one stream; ids are `<stream>-<seq>`.
#[derive(Debug)]
pub(crate) struct EventStream {
    pub(crate) id: u64,
    capacity: usize,
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    events: VecDeque<(u64, Arc<str>)>,
    next_seq: u64,
    closed: bool,
}

/// What a reader gets next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    Event { seq: u64, data: Arc<str> },
    End,
}

impl EventStream {
    pub(crate) fn new(id: u64, capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            id,
            capacity: capacity.max(1),
            state: Mutex::default(),
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends an event (dropping the oldest beyond the capacity).
    pub(crate) fn push(&self, data: String) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        Self::append(&mut state, self.capacity, data);
        drop(state);
        self.changed.notify_waiters();
    }

    /// Appends the last event and closes the stream.
    pub(crate) fn finish(&self, data: Option<String>) {
        let mut state = self.lock();
        if let Some(data) = data
            && !state.closed
        {
            Self::append(&mut state, self.capacity, data);
        }
        state.closed = true;
        drop(state);
        self.changed.notify_waiters();
    }

    fn append(state: &mut State, capacity: usize, data: String) {
        let seq = state.next_seq;
        state.next_seq += 1;
        state.events.push_back((seq, Arc::from(data)));
        while state.events.len() > capacity {
            state.events.pop_front();
        }
    }

    /// True when closed and no event follows `seq`.
    pub(crate) fn ended_after(&self, seq: u64) -> bool {
        let state = self.lock();
        state.closed && state.next_seq == seq + 1
    }

    /// The first event with a sequence number ≥ `from`, waiting for it if needed.
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is consumed; call again with the same `from`.
    pub(crate) async fn next(&self, from: u64) -> Next {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.lock();
                if let Some((seq, data)) = state.events.iter().find(|(seq, _)| *seq >= from) {
                    return Next::Event {
                        seq: *seq,
                        data: Arc::clone(data),
                    };
                }
                if state.closed {
                    return Next::End;
                }
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readers_resume_from_any_point_and_see_the_end() {
        let stream = EventStream::new(7, 2);
        stream.push("a".into());
        stream.push("b".into());
        stream.push("c".into());
        // "a" fell out of the buffer: a reader asking from 0 gets the oldest kept event.
        assert_eq!(
            stream.next(0).await,
            Next::Event {
                seq: 1,
                data: Arc::from("b")
            }
        );
        assert_eq!(
            stream.next(2).await,
            Next::Event {
                seq: 2,
                data: Arc::from("c")
            }
        );
        let waiting = {
            let stream = Arc::clone(&stream);
            tokio::spawn(async move { stream.next(3).await })
        };
        stream.finish(Some("d".into()));
        assert_eq!(
            waiting.await.unwrap(),
            Next::Event {
                seq: 3,
                data: Arc::from("d")
            }
        );
        assert!(stream.ended_after(3));
        assert_eq!(stream.next(4).await, Next::End);
        stream.push("late".into());
        assert_eq!(stream.next(4).await, Next::End);
    }
}
