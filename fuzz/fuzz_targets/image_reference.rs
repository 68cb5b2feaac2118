#![no_main]
//! `cargo fuzz run image_reference`: see gantry_fuzzing::image_reference.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gantry_fuzzing::image_reference(data));
