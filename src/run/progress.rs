//! Progress on a terminal: bytes read of the bytes found, and files done.

use super::*;

/// Progress on stderr only, only on a terminal, never with --quiet: bytes
/// read of the bytes found (a long log moves it as it is read), and files.
pub(super) struct Progress {
    pub(super) bar: ProgressBar,
    pub(super) files: std::sync::atomic::AtomicUsize,
    pub(super) total_files: std::sync::atomic::AtomicUsize,
}

impl Progress {
    pub(super) fn new(cfg: &ScanConfig) -> Progress {
        let bar = if cfg.quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            // Until discovery is done, the total is not known: bytes only.
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} scanning {bytes}, listing files")
            {
                pb.set_style(style);
            }
            pb
        };
        Progress {
            bar,
            files: Default::default(),
            total_files: Default::default(),
        }
    }

    /// What discovery found: so many files of so many bytes in all.
    pub(super) fn discovered(&self, files: usize, bytes: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.total_files.store(files, Relaxed);
        self.bar.inc_length(bytes);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} scanning {bytes}/{total_bytes}, {msg} {wide_bar}",
        ) {
            self.bar.set_style(style);
        }
        self.files_message(0);
    }

    pub(super) fn bytes(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Spool items read, and their bytes (added to the total now).
    pub(super) fn items_read(&self, n: usize, bytes: u64) {
        self.bar.inc_length(bytes);
        self.bar.inc(bytes);
        self.files_message(n);
    }

    /// A file other than an item is done; `bytes` if it was not counted as read.
    pub(super) fn file_done(&self, bytes: u64) {
        self.bar.inc(bytes);
        self.files_message(1);
    }

    pub(super) fn files_message(&self, more: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.bar.is_hidden() {
            return;
        }
        let done = self.files.fetch_add(more, Relaxed) + more;
        let total = self.total_files.load(Relaxed);
        self.bar.set_message(format!("{done}/{total} files"));
    }

    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
