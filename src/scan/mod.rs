//! Scanners: each turns one kind of file into typed model values.

pub mod classify;
pub mod spooler;
pub mod text;
