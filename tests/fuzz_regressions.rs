//! Replays every fuzz seed and every saved crash (`fuzz/seeds/*`, `fuzz/regressions/*`) through the fuzz
//! entry points, so a crash once found stays fixed, on every `cargo test` (no fuzzer needed).

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let mut n = 0;
    for dir in ["fuzz/seeds", "fuzz/regressions"] {
        let d = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries {
            let p = e.unwrap().path();
            let data = std::fs::read(&p).unwrap();
            f(&data);
            n += 1;
        }
    }
    n
}

#[test]
fn snapshot_load_inputs() {
    assert!(replay("snapshot_load", filesync_identity::fuzzing::snapshot_load) >= 2);
}

#[test]
fn resource_id_inputs() {
    assert!(replay("resource_id", filesync_identity::fuzzing::resource_id) >= 3);
}

#[test]
fn error_code_inputs() {
    assert!(replay("error_code", filesync_identity::fuzzing::error_code) >= 5);
}

#[test]
fn ffi_bytes_inputs() {
    assert!(replay("ffi_bytes", filesync_identity::fuzzing::ffi_bytes) >= 3);
}

#[test]
fn plan_load_inputs() {
    assert!(replay("plan_load", filesync_identity::fuzzing::plan_load) >= 3);
}
