//! Scanners: each turns one kind of file into typed model values.

pub mod admin;
pub mod ci;
pub mod classify;
pub mod lines;
pub mod logs;
pub mod sip;
pub mod spooler;
pub mod text;
pub mod tracerpt;
pub mod uccapilog;
