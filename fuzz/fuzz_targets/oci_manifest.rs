#![no_main]
//! `cargo fuzz run oci_manifest`: see gantry_fuzzing::oci_manifest.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gantry_fuzzing::oci_manifest(data));
