//! Scanners: each turns one kind of file into typed model values.
//!
//! Every module here reads file content, so none may panic on it: the lints
//! below deny the panicking constructs in library code (unit tests may still
//! unwrap). `fsread` and `timefmt` get the same in `lib.rs`
//! (`no_panic_on_input!`). Why and how:
//! docs/robustness.md §1.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::panic
    )
)]

pub mod address;
pub mod admin;
pub mod ci;
pub mod classify;
pub mod lines;
pub mod literals;
pub mod logs;
pub mod prefix;
pub mod shell_files;
pub mod sip;
pub mod spooler;
pub mod text;
pub mod tracerpt;
pub mod uccapilog;
