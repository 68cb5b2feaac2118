#![no_main]
//! `cargo fuzz run tag_spec`: see gantry_fuzzing::tag_spec.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gantry_fuzzing::tag_spec(data));
