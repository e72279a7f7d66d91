//! The channels the large logs' threads send their batches of events
//! through, with one bound for all of them together.
//!
//! A bound for each log would hold the most where it helps least: rotated
//! logs are merged one after another, so all but one log wait for the merge,
//! each with a full channel, while the log being merged is held to its own
//! share. Here every log may run ahead of the merge by a couple of batches
//! whatever the others hold, and beyond that only while the batches held by
//! all of them together are fewer than the budget: the log being merged
//! gets the room the waiting ones do not take.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Batches a log may always hold, whatever the others hold: the merge never
/// waits for a log that waits for room (it always has one to give).
pub(super) const OWN_BATCHES: usize = 2;

/// What all the logs' channels hold, and where their senders wait for room.
pub(super) struct Budget {
    /// Batches sent and not yet received, all logs together.
    held: Mutex<usize>,
    room: Condvar,
    limit: usize,
}

/// One log's share of the budget. Changed only with `Budget::held` locked.
struct Share {
    held: AtomicUsize,
    /// The merge no longer takes this log's events.
    closed: AtomicBool,
}

impl Budget {
    /// A budget of `limit` batches (beyond each log's `OWN_BATCHES`).
    pub(super) fn new(limit: usize) -> Budget {
        Budget {
            held: Mutex::new(0),
            room: Condvar::new(),
            limit,
        }
    }

    /// A channel of one log's batches, bounded by this budget.
    pub(super) fn channel<T>(&self) -> (BatchSender<'_, T>, BatchReceiver<'_, T>) {
        let (tx, rx) = channel();
        let share = Arc::new(Share {
            held: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        });
        let budget = self;
        (
            BatchSender {
                tx,
                share: Arc::clone(&share),
                budget,
            },
            BatchReceiver { rx, share, budget },
        )
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(super) struct BatchSender<'b, T> {
    tx: Sender<T>,
    share: Arc<Share>,
    budget: &'b Budget,
}

impl<T> BatchSender<'_, T> {
    /// Sends a batch once there is room for it; false when the merge no
    /// longer wants this log's events.
    pub(super) fn send(&self, batch: T) -> bool {
        let b = self.budget;
        let mut held = b.lock();
        loop {
            if self.share.closed.load(Ordering::Relaxed) {
                return false;
            }
            let own = self.share.held.load(Ordering::Relaxed);
            if own < OWN_BATCHES || *held < b.limit {
                break;
            }
            held = b.room.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        *held += 1;
        self.share.held.fetch_add(1, Ordering::Relaxed);
        drop(held);
        self.tx.send(batch).is_ok()
    }
}

pub(super) struct BatchReceiver<'b, T> {
    rx: Receiver<T>,
    share: Arc<Share>,
    budget: &'b Budget,
}

impl<T> BatchReceiver<'_, T> {
    /// The log's next batch; `None` once it has sent its last.
    pub(super) fn recv(&self) -> Option<T> {
        let batch = self.rx.recv().ok()?;
        let mut held = self.budget.lock();
        *held = held.saturating_sub(1);
        self.share.held.fetch_sub(1, Ordering::Relaxed);
        drop(held);
        self.budget.room.notify_all();
        Some(batch)
    }
}

impl<T> Drop for BatchReceiver<'_, T> {
    /// The batches this log holds are dropped with the channel: their room
    /// goes back to the others, and a sender waiting for room stops.
    fn drop(&mut self) {
        let mut held = self.budget.lock();
        let own = self.share.held.swap(0, Ordering::Relaxed);
        *held = held.saturating_sub(own);
        self.share.closed.store(true, Ordering::Relaxed);
        drop(held);
        self.budget.room.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log whose batches the merge does not take yet still sends its own
    /// two when the others have used the budget up.
    #[test]
    fn every_log_sends_its_own_batches_when_the_budget_is_spent() {
        let budget = Budget::new(3);
        let (a_tx, a_rx) = budget.channel::<()>();
        let (b_tx, b_rx) = budget.channel::<()>();
        for _ in 0..3 {
            assert!(a_tx.send(()));
        }
        // The budget is spent (3 held), but b holds none of its own.
        assert!(b_tx.send(()));
        assert!(b_tx.send(()));
        assert_eq!(*budget.lock(), 5);
        assert!(a_rx.recv().is_some());
        assert!(b_rx.recv().is_some());
        assert_eq!(*budget.lock(), 3);
    }

    /// A sender waiting for room stops when its receiver is dropped, and the
    /// room its batches held is given back.
    #[test]
    fn dropping_a_receiver_frees_its_room_and_its_waiting_sender() {
        let budget = Budget::new(0);
        let (tx, rx) = budget.channel::<()>();
        std::thread::scope(|s| {
            let sender = s.spawn(|| (0..10).map(|_| tx.send(())).collect::<Vec<_>>());
            // Wait for the sender to block on its third batch.
            while *budget.lock() < OWN_BATCHES {
                std::thread::yield_now();
            }
            drop(rx);
            let sent = sender.join().unwrap();
            assert_eq!(sent.iter().filter(|&&ok| ok).count(), OWN_BATCHES);
        });
        assert_eq!(*budget.lock(), 0);
    }

    /// Every batch sent arrives, in order, however the budget makes the
    /// senders wait.
    #[test]
    fn batches_arrive_in_order_under_a_small_budget() {
        let budget = Budget::new(1);
        let logs: Vec<_> = (0..3).map(|_| budget.channel::<u32>()).collect();
        std::thread::scope(|s| {
            let mut receivers = Vec::new();
            for (tx, rx) in logs {
                s.spawn(move || {
                    for n in 0..50 {
                        assert!(tx.send(n));
                    }
                });
                receivers.push(rx);
            }
            // Taken one log after another, as rotated logs are merged.
            for rx in &receivers {
                for n in 0..50 {
                    assert_eq!(rx.recv(), Some(n));
                }
                assert!(rx.recv().is_none());
            }
        });
        assert_eq!(*budget.lock(), 0);
    }
}
