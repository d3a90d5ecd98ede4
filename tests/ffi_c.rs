//! Builds tests/c/ffi_driver.c with the system C compiler against the cdylib and runs it, then runs it
//! again under valgrind (no leak, no invalid access) when valgrind is installed; reports "skipped"
//! otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The cdylib cargo built beside this test (target/<profile>/ or target/<profile>/deps/).
fn cdylib() -> PathBuf {
    let name = format!("{}filesync_identity{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    for dir in [deps.parent().unwrap(), deps] {
        let p = dir.join(&name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} not found next to {}", exe.display());
}

fn build_driver() -> Option<PathBuf> {
    if cfg!(windows) {
        return None;
    }
    let lib = cdylib();
    let dir = lib.parent().unwrap();
    let out = std::env::temp_dir().join(format!("fsi_ffi_driver_{}", std::process::id()));
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Wextra", "-Werror", "-g", "-o"])
        .arg(&out)
        .arg(repo().join("tests/c/ffi_driver.c"))
        .arg("-I")
        .arg(repo().join("bindings"))
        .arg(&lib)
        .arg(format!("-Wl,-rpath,{}", dir.display()))
        .arg("-lpthread")
        .status()
        .expect("the C compiler `cc` runs");
    assert!(status.success(), "compiling tests/c/ffi_driver.c failed");
    Some(out)
}

fn driver_args() -> Vec<&'static str> {
    // The cdylib has the same profile as this test; debug builds honour the ffiTestDelayMs hook.
    if cfg!(debug_assertions) {
        vec!["--debug-hooks"]
    } else {
        vec![]
    }
}

#[test]
fn c_program_drives_the_abi_and_valgrind_finds_nothing() {
    let Some(exe) = build_driver() else {
        println!("skipped: the C driver is built on Unix only");
        return;
    };
    let out = Command::new(&exe).args(driver_args()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "ffi_driver failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checks passed"));

    let has_valgrind = Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_valgrind {
        println!("skipped: valgrind not found (the C driver ran without it)");
    } else {
        let out = Command::new("valgrind")
            .args([
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect,possible",
                "--errors-for-leak-kinds=definite,indirect,possible",
                "--error-exitcode=1",
            ])
            .arg(format!("--suppressions={}", repo().join("tests/c/valgrind.supp").display()))
            .arg(&exe)
            .args(driver_args())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "valgrind reported errors or leaks:\n{stderr}");
        let summary: Vec<&str> =
            stderr.lines().filter(|l| l.contains("ERROR SUMMARY") || l.contains("lost:")).collect();
        println!("valgrind: {}", summary.join(" | "));
        assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    }
    let _ = std::fs::remove_file(exe);
}
