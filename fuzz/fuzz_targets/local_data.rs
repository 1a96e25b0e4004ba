//! Fuzz target: `ier_fuzz::local_data` (see that function for the properties checked).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ier_fuzz::local_data(data));
