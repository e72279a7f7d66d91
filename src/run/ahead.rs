//! The rest of pooled small logs, read again ahead of the merge. When the
//! pooled logs have more events than their shared budget holds, each log's
//! first reading keeps only a part, and the rest is read again once the
//! merge has taken that part. Done by the merge itself, that is one log after
//! another on one thread (5,000 logs of 205 KiB: 1.25 s of a 4.4 s scan);
//! here the pool reads them again in the order the merge is likely to want
//! them, as far ahead as the budget allows.

use super::readers::{file_stamp, Readers, Rest, SmallLogs, POOL_EVENTS_AHEAD};
use super::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Free room in the budget before a log is read ahead: reading a log for a
/// handful of events would read it again and again.
const MIN_ROOM: usize = POOL_EVENTS_AHEAD / 16;

/// A pooled log whose first reading kept fewer events than it has.
pub(super) struct Unread {
    /// Its index among the files.
    pub(super) index: usize,
    pub(super) file: FoundFile,
    pub(super) rest: Rest,
    /// Events the first reading kept: where the rest starts.
    pub(super) kept: usize,
    /// Its first dated event's time: the merge reaches logs about in this
    /// order (rotated logs one after another).
    pub(super) first: Option<DateTime<Utc>>,
}

/// What reading a log again gave.
pub(super) enum Fetched {
    /// Its events from where the merge was (as many as there was room
    /// for), and how many events it has in all.
    Events(Vec<LogEvent>, usize),
    /// The file changed after its first reading.
    Changed,
}

/// Reads `file` again from its `skip`th event, as many as the budget has
/// room for (at least the log's share), held from now.
pub(super) fn read_again(
    readers: &Readers<'_>,
    small: &SmallLogs,
    file: &FoundFile,
    rest: Rest,
    skip: usize,
) -> Fetched {
    let now = file_stamp(file.open());
    if now.is_none() || now != rest.stamp {
        return Fetched::Changed;
    }
    let room = small.reserve();
    let (_, events, seen) = readers.read_log_part(file, (rest.kind, None), skip, room, &|_| {});
    small.taken(room.saturating_sub(events.len()));
    Fetched::Events(events, seen)
}

enum Slot {
    /// Nobody has read it again yet.
    Waiting,
    /// Being read ahead.
    Reading,
    Ready(Fetched),
    /// The merge took it, or reads it itself.
    Taken,
}

/// The logs to read again and what reading ahead has made of each.
pub(super) struct ReadAhead {
    queue: Mutex<VecDeque<Unread>>,
    slots: Mutex<HashMap<usize, Slot>>,
    /// A slot became ready, or the merge gave room back.
    changed: Condvar,
    stop: AtomicBool,
}

impl ReadAhead {
    pub(super) fn new() -> ReadAhead {
        ReadAhead {
            queue: Mutex::new(VecDeque::new()),
            slots: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// The logs to read again, once the pool's first reading is done.
    pub(super) fn fill(&self, mut unread: Vec<Unread>) {
        unread.sort_by(|a, b| a.first.cmp(&b.first).then(a.index.cmp(&b.index)));
        let mut slots = self.slots();
        slots.extend(unread.iter().map(|u| (u.index, Slot::Waiting)));
        if let Ok(mut q) = self.queue.lock() {
            q.extend(unread);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.queue.lock().map(|q| q.len()).unwrap_or(0)
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<usize, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One reader's loop: the next log the merge will want, read again
    /// whenever the budget has room, till none is left or the merge is done.
    pub(super) fn work(&self, readers: &Readers<'_>, small: &SmallLogs) {
        loop {
            {
                let mut slots = self.slots();
                while !self.stop.load(Ordering::Relaxed) && small.free() < MIN_ROOM {
                    // Woken when the merge gives room back; the timeout is
                    // only a backstop.
                    slots = match self.changed.wait_timeout(slots, Duration::from_millis(1)) {
                        Ok((s, _)) => s,
                        Err(e) => e.into_inner().0,
                    };
                }
            }
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            let next = self.queue.lock().ok().and_then(|mut q| q.pop_front());
            let Some(u) = next else { return };
            {
                let mut slots = self.slots();
                if !matches!(slots.get(&u.index), Some(Slot::Waiting)) {
                    continue;
                }
                slots.insert(u.index, Slot::Reading);
            }
            // Should reading panic, the merge must not wait for it forever:
            // the log goes back to waiting, and the merge reads it itself.
            let guard = Unclaim {
                ahead: self,
                index: u.index,
            };
            let fetched = read_again(readers, small, &u.file, u.rest, u.kept);
            std::mem::forget(guard);
            self.slots().insert(u.index, Slot::Ready(fetched));
            self.changed.notify_all();
        }
    }

    /// The rest of log `index` for the merge: read ahead (waiting while it
    /// is being read), or `None` when it was not, and then no one else will
    /// read it.
    pub(super) fn take(&self, index: usize) -> Option<Fetched> {
        let mut slots = self.slots();
        loop {
            match slots.get(&index) {
                Some(Slot::Reading) => {
                    slots = self.changed.wait(slots).unwrap_or_else(|e| e.into_inner());
                }
                Some(Slot::Ready(_)) => {
                    return match slots.insert(index, Slot::Taken) {
                        Some(Slot::Ready(f)) => Some(f),
                        _ => None,
                    };
                }
                Some(Slot::Waiting) => {
                    slots.insert(index, Slot::Taken);
                    return None;
                }
                Some(Slot::Taken) | None => return None,
            }
        }
    }

    /// The merge gave room back.
    pub(super) fn room_freed(&self) {
        self.changed.notify_all();
    }

    /// The merge is done: readers still waiting for room stop.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.changed.notify_all();
    }
}

/// Puts a log being read ahead back to waiting, unless forgotten.
struct Unclaim<'a> {
    ahead: &'a ReadAhead,
    index: usize,
}

impl Drop for Unclaim<'_> {
    fn drop(&mut self) {
        self.ahead.slots().insert(self.index, Slot::Waiting);
        self.ahead.changed.notify_all();
    }
}
