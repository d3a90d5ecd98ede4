//! The checked-in bindings (`bindings/filesync_identity.h`, `bindings/NativeMethods.g.cs`) must equal what
//! build.rs generates from src/ffi/mod.rs, and every export must reach the C# file (csbindgen skips silently
//! what it cannot translate). Run `FSI_UPDATE_BINDINGS=1 cargo test --test bindings` to refresh them.

use std::path::Path;

const GENERATED: [(&str, &str); 2] = [
    ("filesync_identity.h", include_str!(concat!(env!("OUT_DIR"), "/filesync_identity.h"))),
    ("NativeMethods.g.cs", include_str!(concat!(env!("OUT_DIR"), "/NativeMethods.g.cs"))),
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `#[no_mangle]` export in src/ffi/mod.rs, read from the source text.
fn exports() -> Vec<String> {
    let src = std::fs::read_to_string(repo().join("src/ffi/mod.rs")).unwrap();
    let lines: Vec<&str> = src.lines().map(str::trim).collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if *l == "#[no_mangle]" {
            let sig = lines.get(i + 1).copied().unwrap_or("");
            let name = sig
                .strip_prefix("pub unsafe extern \"C\" fn ")
                .or_else(|| sig.strip_prefix("pub extern \"C\" fn "))
                .unwrap_or_else(|| panic!("#[no_mangle] must be followed by `pub [unsafe] extern \"C\" fn`: {sig}"));
            out.push(name.split('(').next().unwrap().to_string());
        }
    }
    out
}

#[test]
fn checked_in_bindings_are_current() {
    let update = std::env::var_os("FSI_UPDATE_BINDINGS").is_some();
    let mut stale = Vec::new();
    for (name, generated) in GENERATED {
        let path = repo().join("bindings").join(name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != generated {
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, generated).unwrap();
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "bindings/{stale:?} differ from what build.rs generates from src/ffi/mod.rs: run `FSI_UPDATE_BINDINGS=1 cargo test --test bindings` and commit bindings/"
    );
}

#[test]
fn every_export_is_in_the_csharp_and_the_header() {
    let names = exports();
    assert!(names.len() >= 13, "found only {names:?}");
    assert!(names.iter().all(|n| n.starts_with("fsi_")), "every export has the fsi_ prefix: {names:?}");
    let cs = std::fs::read_to_string(repo().join("bindings/NativeMethods.g.cs")).unwrap();
    let h = std::fs::read_to_string(repo().join("bindings/filesync_identity.h")).unwrap();
    for n in &names {
        assert!(cs.contains(&format!("EntryPoint = \"{n}\"")), "{n} is missing from bindings/NativeMethods.g.cs");
        let declared = h.lines().any(|l| !l.trim_start().starts_with("//") && l.contains(&format!("{n}(")));
        assert!(declared, "{n} is missing from bindings/filesync_identity.h");
    }
    // And nothing the C# declares is gone from the library.
    for decl in cs.split("EntryPoint = \"").skip(1) {
        let n = decl.split('"').next().unwrap();
        assert!(
            names.iter().any(|x| x == n),
            "bindings/NativeMethods.g.cs declares {n}, which src/ffi/mod.rs no longer exports"
        );
    }
}

#[test]
fn the_csharp_stays_within_csharp_7_2() {
    // mcs (C# 7.2) and Windows PowerShell 5.1: no function pointers, no nint/nuint.
    let cs = std::fs::read_to_string(repo().join("bindings/NativeMethods.g.cs")).unwrap();
    for bad in ["delegate*", " nint ", " nuint ", "nint*", "nuint*"] {
        assert!(!cs.contains(bad), "NativeMethods.g.cs uses `{bad}`");
    }
}
