//! Fuzz target: `ier_fuzz::contacts_csv` (see that function for the properties checked).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ier_fuzz::contacts_csv(data));
