//! Fuzz target: `ier_fuzz::evidence_file` (see that function for the properties checked).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ier_fuzz::evidence_file(data));
