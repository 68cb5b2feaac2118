#![no_main]
//! `cargo fuzz run output_writer`: see gantry_fuzzing::output_writer.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gantry_fuzzing::output_writer(data));
