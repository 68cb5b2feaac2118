#![no_main]
//! `cargo fuzz run manifest`: see gantry_fuzzing::manifest.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gantry_fuzzing::manifest(data));
