//! Fuzz target: `ier_fuzz::match_row` (see that function for the properties checked).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ier_fuzz::match_row(data));
