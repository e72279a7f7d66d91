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
//!
//! And the room goes to the logs the merge will take first. Were every log
//! to read ahead at once, rotated logs would each fill a part of the budget
//! and wait, and when the merge came to the next log, most of it would still
//! be unread, with one core reading it while the merge waits. So beyond its
//! own batches a log may read only while fewer logs than `readers_ahead`
//! stand earlier in time and still read: the log being merged and the one
//! after it, on two cores; every log on as many cores as there are logs.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Batches a log may always hold, whatever the others hold: the merge never
/// waits for a log that waits for room (it always has one to give).
pub(super) const OWN_BATCHES: usize = 2;

/// What all the logs' channels hold, and where their senders wait for room.
pub(super) struct Budget {
    /// Batches sent and not yet received, all logs together; and every
    /// log's share, to tell which read earlier in time.
    held: Mutex<Held>,
    room: Condvar,
    limit: usize,
    /// Logs that may read beyond their own batches at once.
    readers_ahead: usize,
}

struct Held {
    batches: usize,
    shares: Vec<Arc<Share>>,
}

/// One log's share of the budget. Changed only with `Budget::held` locked.
struct Share {
    held: AtomicUsize,
    /// The merge no longer takes this log's events.
    closed: AtomicBool,
    /// The log's thread has sent its last batch.
    done: AtomicBool,
    /// Where in time the log's reading stands: the first dated event of the
    /// batch it sends or waits to send, in microseconds since 1970;
    /// `i64::MIN` before any (an undated event sorts first in the merge).
    at: AtomicI64,
    /// Its place among the logs: the earlier of two logs at one time.
    index: usize,
}

impl Share {
    /// Whether this log still reads and stands before `other` in time.
    fn reads_before(&self, other: &Share) -> bool {
        !self.done.load(Ordering::Relaxed)
            && !self.closed.load(Ordering::Relaxed)
            && (self.at.load(Ordering::Relaxed), self.index)
                < (other.at.load(Ordering::Relaxed), other.index)
    }
}

impl Budget {
    /// A budget of `limit` batches (beyond each log's `OWN_BATCHES`), for
    /// at most `readers_ahead` logs at once (at least one).
    pub(super) fn new(limit: usize, readers_ahead: usize) -> Budget {
        Budget {
            held: Mutex::new(Held {
                batches: 0,
                shares: Vec::new(),
            }),
            room: Condvar::new(),
            limit,
            readers_ahead: readers_ahead.max(1),
        }
    }

    /// A channel of one log's batches, bounded by this budget.
    pub(super) fn channel<T>(&self) -> (BatchSender<'_, T>, BatchReceiver<'_, T>) {
        let (tx, rx) = channel();
        let mut held = self.lock();
        let share = Arc::new(Share {
            held: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            done: AtomicBool::new(false),
            at: AtomicI64::new(i64::MIN),
            index: held.shares.len(),
        });
        held.shares.push(Arc::clone(&share));
        drop(held);
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

    fn lock(&self) -> MutexGuard<'_, Held> {
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
    /// longer wants this log's events. `at`: the time of the batch's first
    /// dated event, in microseconds since 1970, if it has one.
    pub(super) fn send(&self, batch: T, at: Option<i64>) -> bool {
        let b = self.budget;
        let mut held = b.lock();
        if let Some(at) = at {
            // Logs waiting behind this one in time may now be the earliest.
            if self.share.at.swap(at, Ordering::Relaxed) != at {
                b.room.notify_all();
            }
        }
        loop {
            if self.share.closed.load(Ordering::Relaxed) {
                return false;
            }
            if self.has_room(&held) {
                break;
            }
            held = b.room.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        held.batches += 1;
        self.share.held.fetch_add(1, Ordering::Relaxed);
        drop(held);
        self.tx.send(batch).is_ok()
    }

    /// Whether this log may send a batch now: one of its own, or one more
    /// while the budget has room and fewer logs than `readers_ahead` still
    /// read and stand earlier in time than this one.
    fn has_room(&self, held: &Held) -> bool {
        let b = self.budget;
        let me = &*self.share;
        let earlier = || held.shares.iter().filter(|s| s.reads_before(me));
        me.held.load(Ordering::Relaxed) < OWN_BATCHES
            || (held.batches < b.limit && earlier().take(b.readers_ahead).count() < b.readers_ahead)
    }
}

impl<T> Drop for BatchSender<'_, T> {
    /// The log is read: it no longer stands before the others.
    fn drop(&mut self) {
        let held = self.budget.lock();
        self.share.done.store(true, Ordering::Relaxed);
        drop(held);
        self.budget.room.notify_all();
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
        held.batches = held.batches.saturating_sub(1);
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
        held.batches = held.batches.saturating_sub(own);
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
        let budget = Budget::new(3, usize::MAX);
        let (a_tx, a_rx) = budget.channel::<()>();
        let (b_tx, b_rx) = budget.channel::<()>();
        for _ in 0..3 {
            assert!(a_tx.send((), None));
        }
        // The budget is spent (3 held), but b holds none of its own.
        assert!(b_tx.send((), None));
        assert!(b_tx.send((), None));
        assert_eq!(budget.lock().batches, 5);
        assert!(a_rx.recv().is_some());
        assert!(b_rx.recv().is_some());
        assert_eq!(budget.lock().batches, 3);
    }

    /// A sender waiting for room stops when its receiver is dropped, and the
    /// room its batches held is given back.
    #[test]
    fn dropping_a_receiver_frees_its_room_and_its_waiting_sender() {
        let budget = Budget::new(0, usize::MAX);
        let (tx, rx) = budget.channel::<()>();
        std::thread::scope(|s| {
            let sender = s.spawn(|| (0..10).map(|_| tx.send((), None)).collect::<Vec<_>>());
            // Wait for the sender to block on its third batch.
            while budget.lock().batches < OWN_BATCHES {
                std::thread::yield_now();
            }
            drop(rx);
            let sent = sender.join().unwrap();
            assert_eq!(sent.iter().filter(|&&ok| ok).count(), OWN_BATCHES);
        });
        assert_eq!(budget.lock().batches, 0);
    }

    /// Every batch sent arrives, in order, however the budget makes the
    /// senders wait.
    #[test]
    fn batches_arrive_in_order_under_a_small_budget() {
        let budget = Budget::new(1, usize::MAX);
        let logs: Vec<_> = (0..3).map(|_| budget.channel::<u32>()).collect();
        std::thread::scope(|s| {
            let mut receivers = Vec::new();
            for (tx, rx) in logs {
                s.spawn(move || {
                    for n in 0..50 {
                        assert!(tx.send(n, None));
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
        assert_eq!(budget.lock().batches, 0);
    }

    /// Beyond its own batches, a log later in time than `readers_ahead`
    /// logs that still read waits, whatever room there is; it reads on once
    /// one of them is read to its end.
    #[test]
    fn the_room_goes_to_the_logs_earliest_in_time() {
        let budget = Budget::new(100, 2);
        let (mut senders, _receivers): (Vec<_>, Vec<_>) = (0..3)
            .map(|_| budget.channel::<()>())
            .map(|(t, r)| (Some(t), r))
            .unzip();
        let send =
            |tx: &Option<BatchSender<'_, ()>>, at: i64| tx.as_ref().unwrap().send((), Some(at));
        // Each log's first batch: the first two logs are the earliest.
        for (k, tx) in senders.iter().enumerate() {
            assert!(send(tx, 10 * k as i64));
        }
        // The two earliest read ahead beyond their own two batches.
        for _ in 0..5 {
            assert!(send(&senders[0], 1));
            assert!(send(&senders[1], 11));
        }
        // The third sends its own second batch; it may send no third, though
        // the budget has room (14 of 100 held).
        assert!(send(&senders[2], 21));
        assert_eq!(budget.lock().batches, 14);
        let third = senders[2].take().unwrap();
        assert!(!third.has_room(&budget.lock()));
        // The first log is read to its end: the third may read ahead.
        drop(senders[0].take());
        assert!(third.has_room(&budget.lock()));
        // So may a log that stands earlier than one of the two: the second
        // log now stands later than the third.
        assert!(send(&senders[1], 30));
        assert!(third.has_room(&budget.lock()));
    }
}
