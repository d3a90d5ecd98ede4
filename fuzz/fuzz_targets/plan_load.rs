#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| filesync_identity::fuzzing::plan_load(data));
