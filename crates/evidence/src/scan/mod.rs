//! Scanners: each turns one kind of file into typed model values.
//!
//! Every module here reads file content, so none may panic on it: the
//! crate's lints (lib.rs) deny the panicking constructs.

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
pub mod encoding;
pub mod gate;
pub mod tracerpt;
pub mod uccapilog;
pub mod xml;
