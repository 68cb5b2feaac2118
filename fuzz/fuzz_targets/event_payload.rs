#![no_main]
//! `cargo fuzz run event_payload`: see gantry_fuzzing::event_payload.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gantry_fuzzing::event_payload(data));
