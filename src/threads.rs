//! How many threads the work that runs on every core (reading spool items,
//! rendering a long JSON report) may use.

/// `OIMDIAG_THREADS` when set (1 = nothing runs alongside the main thread
/// but the log readers), else one per core, at most 8; never more than
/// `jobs`, never less than 1.
pub fn count(jobs: usize) -> usize {
    let wanted = std::env::var("OIMDIAG_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(8)
        });
    wanted.min(jobs).max(1)
}
