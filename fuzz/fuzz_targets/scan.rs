//! See `fuzz/harness_scan.rs`: the whole pipeline on a tree built from the input.
#![no_main]

#[path = "../harness_scan.rs"]
mod harness_scan;
mod known_bugs;

libfuzzer_sys::fuzz_target!(|data: &[u8]| known_bugs::run(data, harness_scan::scan));
