//! Fuzz target: `ier_fuzz::date_of_birth` (see that function for the properties checked).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ier_fuzz::date_of_birth(data));
