//! Analysis: log events merged in time order and folded as they are read
//! (`digest`), offline messages correlated into attempts and linked to their
//! spool items (`correlate`), local and absolute times cross-checked
//! (`clockcheck`), facts derived (`facts`), and what could be judged
//! (`coverage`). Everything the rules read is in `ScanData`.

pub mod clockcheck;
pub mod correlate;
pub mod coverage;
pub mod digest;
pub mod facts;
pub mod scan_data;
