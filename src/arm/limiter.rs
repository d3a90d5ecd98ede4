//! The client's cap on requests in flight, with two classes of waiters.
//!
//! A collection's reads form chains (a sync group's cloud endpoints name a storage account, whose reads
//! name its role assignments, page after page) and leaves (a sync group's server endpoints lead to no
//! further read). Under a first-come, first-served cap the leaves, asked for early and in bulk, hold up
//! the chains behind them, and the run ends with a few dependent round trips on an otherwise idle
//! connection pool. Here a freed slot goes to a waiting [`Priority::Normal`] request before any waiting
//! [`Priority::Background`] one; within a class, first come first served.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::sync::LockUnpoisoned;
use tokio::sync::oneshot;

/// How soon a request should get a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Other reads may wait on this one (the default).
    Normal,
    /// Nothing waits on this read: it yields its turn to any normal request.
    Background,
}

pub(crate) struct Limiter {
    state: Mutex<State>,
}

struct State {
    free: usize,
    normal: VecDeque<oneshot::Sender<()>>,
    background: VecDeque<oneshot::Sender<()>>,
}

/// A slot, given back when dropped.
pub(crate) struct Permit {
    limiter: Arc<Limiter>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.release();
    }
}

/// A request waiting for a slot. If it is dropped after a slot was handed to it (the caller was cancelled
/// meanwhile), the slot goes back.
struct Waiter {
    rx: oneshot::Receiver<()>,
    limiter: Arc<Limiter>,
    done: bool,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if !self.done {
            self.rx.close();
            if self.rx.try_recv().is_ok() {
                self.limiter.release();
            }
        }
    }
}

impl Limiter {
    pub(crate) fn new(slots: usize) -> Arc<Limiter> {
        Arc::new(Limiter {
            state: Mutex::new(State { free: slots.max(1), normal: VecDeque::new(), background: VecDeque::new() }),
        })
    }

    /// Wait for a slot. Cancel-safe: dropping the future loses no slot.
    pub(crate) async fn acquire(self: &Arc<Self>, priority: Priority) -> Permit {
        let rx = {
            let mut st = self.state.lock_unpoisoned();
            if st.free > 0 {
                st.free -= 1;
                return Permit { limiter: self.clone() };
            }
            let (tx, rx) = oneshot::channel();
            match priority {
                Priority::Normal => st.normal.push_back(tx),
                Priority::Background => st.background.push_back(tx),
            }
            rx
        };
        let mut waiter = Waiter { rx, limiter: self.clone(), done: false };
        // The sender is only dropped unsent when the limiter itself goes, which cannot happen while we
        // hold an Arc to it; either way, treat it as a granted slot rather than hang.
        let _ = (&mut waiter.rx).await;
        waiter.done = true;
        Permit { limiter: self.clone() }
    }

    /// Hand a freed slot to the next waiter (normal ones first) or keep it.
    fn release(&self) {
        let mut st = self.state.lock_unpoisoned();
        loop {
            let next = match st.normal.pop_front() {
                Some(tx) => tx,
                None => match st.background.pop_front() {
                    Some(tx) => tx,
                    None => {
                        st.free += 1;
                        return;
                    }
                },
            };
            // A waiter that was cancelled before its turn has dropped its receiver: try the next one.
            if next.send(()).is_ok() {
                return;
            }
        }
    }

    /// A slot is free and no request waits for one: the client has room to spare right now.
    pub(crate) fn has_room(&self) -> bool {
        self.state.lock_unpoisoned().free > 0
    }

    #[cfg(test)]
    fn free(&self) -> usize {
        self.state.lock().unwrap().free
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    #[tokio::test]
    async fn room_is_a_free_slot_with_nobody_waiting() {
        let limiter = Limiter::new(1);
        assert!(limiter.has_room());
        let held = limiter.acquire(Priority::Normal).await;
        assert!(!limiter.has_room());
        drop(held);
        assert!(limiter.has_room());
    }

    #[tokio::test]
    async fn normal_waiters_go_before_background_ones() {
        let limiter = Limiter::new(1);
        let held = limiter.acquire(Priority::Normal).await;
        let order = Arc::new(StdMutex::new(Vec::new()));
        let mut tasks = Vec::new();
        // Background waiters first, then normal ones: the normal ones must still be served first.
        for (name, p) in [
            ("b1", Priority::Background),
            ("b2", Priority::Background),
            ("n1", Priority::Normal),
            ("n2", Priority::Normal),
        ] {
            let (l, o) = (limiter.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = l.acquire(p).await;
                o.lock().unwrap().push(name);
            }));
            // Let it queue before the next one.
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["n1", "n2", "b1", "b2"]);
        assert_eq!(limiter.free(), 1, "every slot came back");
    }

    #[tokio::test]
    async fn a_cancelled_waiter_loses_no_slot() {
        let limiter = Limiter::new(2);
        let a = limiter.acquire(Priority::Normal).await;
        let b = limiter.acquire(Priority::Normal).await;
        // A waiter given up before its turn, and one given up after its slot was handed over but before
        // it ran again.
        let early = tokio::time::timeout(std::time::Duration::from_millis(5), limiter.acquire(Priority::Background));
        assert!(early.await.is_err());
        let mut late = Box::pin(limiter.acquire(Priority::Normal));
        assert!(futures::poll!(&mut late).is_pending());
        drop(a); // hands the slot to `late`, which is never polled again
        drop(late);
        assert_eq!(limiter.free(), 1, "the slot handed to the dropped waiter came back");
        drop(b);
        assert_eq!(limiter.free(), 2);
        // And the limiter still works.
        let _c = limiter.acquire(Priority::Background).await;
        let _d = limiter.acquire(Priority::Normal).await;
        assert_eq!(limiter.free(), 0);
    }
}
