//! Check ids are written as string literals where findings are made and where plans, causes and the Activity
//! Log rules pick findings by check. This test holds every such literal in the crate's sources to the check
//! registry (`checks::all()`), so a misspelt or renamed id fails here instead of silently matching nothing.

use std::collections::BTreeSet;
use std::path::Path;

/// The areas check ids start with (`area.what`).
const AREAS: &[&str] = &[
    "collection",
    "service",
    "identity",
    "server",
    "server-endpoint",
    "cloud-endpoint",
    "role",
    "storage",
    "caller",
    "sync",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `"area.what"` string literal (lower case, digits and dashes after the dot) in `text`.
fn id_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices('"') {
        let rest = &text[i + 1..];
        let Some(end) = rest.find('"') else { continue };
        let lit = &rest[..end];
        let Some((area, what)) = lit.split_once('.') else { continue };
        if AREAS.contains(&area)
            && !what.is_empty()
            && what.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            out.push(lit.to_string());
        }
    }
    out
}

#[test]
fn every_check_id_written_in_the_sources_is_a_registered_check() {
    let registered: BTreeSet<&str> = filesync_identity::checks::all().iter().map(|c| c.id).collect();
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut seen = 0;
    let mut unknown = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("utf-8 source");
        for id in id_literals(&text) {
            seen += 1;
            if !registered.contains(id.as_str()) {
                unknown.push(format!("{}: {id}", f.display()));
            }
        }
    }
    assert!(seen > 100, "the scan finds the ids the checks are written with ({seen})");
    assert!(unknown.is_empty(), "check ids that no check has:\n{}", unknown.join("\n"));
}

#[test]
fn the_scan_finds_a_misspelt_id() {
    let found = id_literals(r#"Finding::new("storage.shared-key-acess", x); let v = "a.b"; "server.agent-status""#);
    assert_eq!(found, ["storage.shared-key-acess", "server.agent-status"]);
    let registered: BTreeSet<&str> = filesync_identity::checks::all().iter().map(|c| c.id).collect();
    assert!(!registered.contains("storage.shared-key-acess"));
}
