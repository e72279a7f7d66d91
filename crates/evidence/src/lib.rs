//! Reading evidence: finding files (`discover`), opening them read-only
//! (`fsread`), decoding them, and the readers (`scan`) that turn each kind
//! of file into vocabulary values, with the signature table they match by.
//!
//! The readers and file access parse file content, so none may panic on it:
//! the lints below deny the panicking constructs in their library code (unit
//! tests may still unwrap). Why and how: docs/robustness.md §1.

/// The lints that keep a module from panicking on what it reads, for the
/// modules that parse file content (the readers, and opening files).
macro_rules! no_panic_on_input {
    ($($m:item)*) => {$(
        #[deny(
            clippy::unwrap_used,
            clippy::expect_used,
            clippy::indexing_slicing,
            clippy::string_slice,
            clippy::panic,
            clippy::unreachable,
            clippy::todo,
            clippy::unimplemented
        )]
        #[cfg_attr(
            test,
            allow(
                clippy::unwrap_used,
                clippy::expect_used,
                clippy::indexing_slicing,
                clippy::string_slice,
                clippy::panic
            )
        )]
        $m
    )*};
}

pub mod discover;
pub mod found_file;
pub mod signatures;

no_panic_on_input! {
    pub mod fsread;
    pub mod installed;
    pub mod scan;
}
