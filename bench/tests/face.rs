//! The benchmark reaches the library through its public face only (`docs/architecture.md`): the front
//! door `api`, `model`, `report` and the error type, never a stage (`arm`, `collect`, `checks`, `repair`),
//! so that those can stay the crate's own. This reads every path the benchmark's sources name under
//! `filesync_identity::` (grouped `use` trees too) and refuses any other first segment.

use std::path::Path;

/// The first segments of `filesync_identity::...` the benchmark may name.
const FACE: &[&str] = &["api", "model", "report", "error", "Error", "ErrorKind", "Result", "VERSION"];

/// The first segment of each path `text` names under `filesync_identity::` (for a grouped `use`, each
/// member of the group).
fn first_segments(text: &str) -> Vec<String> {
    const ROOT: &str = "filesync_identity::";
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut out = Vec::new();
    for (at, _) in text.match_indices(ROOT) {
        let rest = text[at + ROOT.len()..].trim_start();
        let Some(group) = rest.strip_prefix('{') else {
            out.push(ident(rest));
            continue;
        };
        // The members of the group at its top level: `{api::{self, X}, model::y}` names api and model.
        let (mut depth, mut start) = (0usize, true);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && !c.is_whitespace() => {
                    out.push(ident(&group[i..]));
                    start = false;
                }
                _ => {}
            }
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_benchmark_names_only_the_librarys_public_face() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("tests"), &mut files);
    let this = root.join("tests").join("face.rs");
    let mut named = 0;
    let mut outside = Vec::new();
    for file in files.iter().filter(|f| **f != this) {
        let text = std::fs::read_to_string(file).unwrap();
        for first in first_segments(&text) {
            named += 1;
            if !FACE.contains(&first.as_str()) {
                outside.push(format!("{}: filesync_identity::{first}", file.display()));
            }
        }
    }
    assert!(named > 10, "the scan found only {named} paths into the library: is it reading the sources?");
    assert!(outside.is_empty(), "the benchmark reaches past the library's public face:\n{}", outside.join("\n"));
}

/// The control: the scan sees a stage however it is named.
#[test]
fn the_scan_sees_a_stage_in_every_spelling() {
    let text = "use filesync_identity::arm::request_kind;\n\
                use filesync_identity::{api::{self, Session}, checks::{self, Selection}};\n\
                let s = filesync_identity::collect::tenant::ACCOUNT_IDS_PER_QUERY;\n\
                let p = filesync_identity:: repair::plan::PlanKind::Repair;";
    assert_eq!(first_segments(text), ["arm", "api", "checks", "collect", "repair"]);
}
