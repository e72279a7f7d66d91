//! See `fuzz/harness.rs`: lines.
#![no_main]

#[path = "../harness.rs"]
mod harness;
mod known_bugs;

libfuzzer_sys::fuzz_target!(|data: &[u8]| known_bugs::run(data, harness::lines));
