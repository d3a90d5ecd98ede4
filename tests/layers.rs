//! The layering `docs/architecture.md` describes, held by the sources: each stage of the pipeline names
//! (as `crate::<module>`) only the stages below it. A check that reached for the ARM client, a model type
//! that needed the checks, or a renderer that collected would fail here. Test code (`tests.rs`, `tests/`,
//! and `#[cfg(test)] mod tests` blocks) is not held to it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module (a folder or a file of `src/`) and the modules it may name.
const MAY_USE: &[(&str, &[&str])] = &[
    // Support, used everywhere.
    ("error", &[]),
    ("secret", &[]),
    ("sync", &[]),
    ("events", &["sync"]),
    ("fsutil", &["error"]),
    ("text", &["model"]),
    ("wording", &[]),
    ("cloud", &["error"]),
    // The shared vocabulary: no I/O, no stage.
    ("model", &["error", "fsutil", "sync", "text"]),
    ("catalog", &["error", "model"]),
    // Reading Azure.
    ("credentials", &["cloud", "error", "events", "secret", "sync"]),
    ("arm", &["cloud", "credentials", "error", "events", "model", "sync", "text"]),
    ("collect", &["arm", "cloud", "credentials", "error", "events", "model", "sync", "text"]),
    // Pure stages over a snapshot.
    ("checks", &["catalog", "error", "model", "sync", "text"]),
    ("diff", &["checks", "error", "model", "text"]),
    // On the server (`test --local`): reads this machine through the identity credentials, judges purely.
    ("local", &["catalog", "cloud", "credentials", "error", "model"]),
    // Changing Azure.
    ("repair", &["arm", "checks", "collect", "error", "events", "fsutil", "model", "text"]),
    // Every renderer: reads results, never Azure.
    ("report", &["catalog", "checks", "diff", "local", "model", "repair", "text"]),
    // The front door, and the C ABI onto it.
    (
        "api",
        &[
            "arm",
            "catalog",
            "checks",
            "cloud",
            "collect",
            "credentials",
            "diff",
            "error",
            "events",
            "fsutil",
            "local",
            "model",
            "repair",
            "report",
            "wording",
        ],
    ),
    ("ffi", &["api", "credentials", "error", "events", "sync"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") && path.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(path);
        }
    }
}

/// The text of a source without its `#[cfg(test)]` module and its comments.
fn production_code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The top-level modules a text names as `crate::<module>`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        if i > 0 && text.as_bytes()[i - 1].is_ascii_alphanumeric() {
            continue; // e.g. `filesync_identity_crate::`
        }
        let rest = &text[i + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

/// `src/checks/access.rs` -> `checks`; `src/diff.rs` -> `diff`.
fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn each_stage_names_only_the_stages_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules: BTreeMap<&str, &[&str]> = MAY_USE.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut broken = Vec::new();
    let mut held = 0;
    for file in &files {
        let module = top_module(&src, file);
        // The crate root, the command line (a separate binary) and the fuzzing entry points use anything.
        if matches!(module.as_str(), "lib" | "cli" | "fuzzing") {
            continue;
        }
        let Some(allowed) = rules.get(module.as_str()) else {
            broken.push(format!("{}: module '{module}' has no rule in MAY_USE", file.display()));
            continue;
        };
        held += 1;
        let text = std::fs::read_to_string(file).expect("utf-8 source");
        for used in named_modules(&production_code(&text)) {
            if used != module && !allowed.contains(&used.as_str()) {
                broken.push(format!("{}: '{module}' names crate::{used}", file.display()));
            }
        }
    }
    assert!(held > 50, "the scan reads the sources ({held} files)");
    assert!(broken.is_empty(), "layering broken (see docs/architecture.md):\n{}", broken.join("\n"));
}

#[test]
fn the_scan_sees_a_forbidden_import() {
    let code = "use crate::model::snapshot::Snapshot;\nlet c = crate::arm::ArmClient::new();\n// crate::collect in a comment\n#[cfg(test)]\nmod tests { use crate::report; }";
    let named = named_modules(&production_code(code));
    assert_eq!(named.into_iter().collect::<Vec<_>>(), ["arm", "model"]);
}
