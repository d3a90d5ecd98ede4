//! Check ids are declared once, as `CheckId` constants in the file of their area beside their checks
//! (`declare_checks!` in `src/checks/<area>.rs` or `src/checks/<area>/`); code names a check by its constant,
//! so a misspelt id does not compile. These tests hold the declarations and the
//! registry to each other, and every id still written as a string literal in the sources (the declarations
//! themselves, request examples, test data) to the registry, so a misspelt literal fails here instead of
//! silently matching nothing.

use std::collections::BTreeSet;

use filesync_identity::model::check_id::CheckId;
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
    let registered: BTreeSet<&str> = filesync_identity::api::list_checks().iter().map(|c| c.id.as_str()).collect();
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
    // At least the declarations themselves (`declare_checks!` in the areas' files) are found.
    assert!(seen >= CheckId::ALL.len(), "the scan finds the ids the checks are declared with ({seen})");
    assert!(unknown.is_empty(), "check ids that no check has:\n{}", unknown.join("\n"));
}

#[test]
fn the_scan_finds_a_misspelt_id() {
    let found = id_literals(r#"Finding::new("storage.shared-key-acess", x); let v = "a.b"; "server.agent-status""#);
    assert_eq!(found, ["storage.shared-key-acess", "server.agent-status"]);
    let registered: BTreeSet<&str> = filesync_identity::api::list_checks().iter().map(|c| c.id.as_str()).collect();
    assert!(!registered.contains("storage.shared-key-acess"));
}

#[test]
fn the_registry_describes_every_declared_check_id_once_in_report_order() {
    let registered: Vec<CheckId> = filesync_identity::api::list_checks().iter().map(|c| c.id).collect();
    assert_eq!(registered, CheckId::ALL, "the declared ids and the registry in src/checks/mod.rs differ");
    for id in CheckId::ALL {
        assert_eq!(CheckId::parse(id.as_str()), Some(*id));
        let (area, _) = id.split_once('.').expect("area.what");
        assert!(AREAS.contains(&area), "{id}: unknown area");
    }
    assert_eq!(CheckId::parse("storage.shared-key-acess"), None);
    assert_eq!(CheckId::parse("STORAGE.SHARED-KEY-ACCESS"), None);
    // Serialized as its text; read back only when it is a declared id.
    let json = serde_json::to_string(&CheckId::STORAGE_LOCK).unwrap();
    assert_eq!(json, "\"storage.lock\"");
    assert_eq!(serde_json::from_str::<CheckId>(&json).unwrap(), CheckId::STORAGE_LOCK);
    let e = serde_json::from_str::<CheckId>("\"storage.lok\"").unwrap_err().to_string();
    assert!(e.contains("unknown check id 'storage.lok'"), "{e}");
}

/// The codes a finding says it explains are among the codes its check declares in the registry (the one
/// place a check's codes are written down, which the catalog is checked against in src/api/catalog_suite.rs).
#[test]
fn every_finding_explains_only_codes_its_check_declares() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut snapshots = Vec::new();
    for entry in std::fs::read_dir(root.join("examples")).into_iter().flatten().flatten() {
        if entry.path().extension().is_some_and(|e| e == "json") {
            snapshots.push(entry.path());
        }
    }
    let mut checked = 0;
    for path in &snapshots {
        let Ok(snapshot) = filesync_identity::model::snapshot::Snapshot::load(path) else { continue };
        let report = filesync_identity::api::test_report(&snapshot, &Default::default(), &[]).unwrap();
        for f in &report.findings {
            let info =
                filesync_identity::api::list_checks().iter().find(|c| c.id == f.check).expect("a registered check");
            for code in &f.error_codes {
                if f.check == CheckId::SYNC_LIVE_ERRORS {
                    // It reports the codes the service reports, whatever they are: each must be one the
                    // catalog can explain.
                    assert!(filesync_identity::api::explain(code).is_ok(), "{code} is not in the catalog");
                    continue;
                }
                assert!(
                    info.error_codes.iter().any(|c| c.eq_ignore_ascii_case(code)),
                    "{}: {} ({}) explains {code}, which the registry does not list for it",
                    path.display(),
                    f.check,
                    f.resource_name
                );
                checked += 1;
            }
        }
    }
    assert!(!snapshots.is_empty() && checked >= 10, "the snapshots' findings explain codes ({checked})");
}

/// The checks' folder.
fn checks_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("checks")
}

/// The `(NAME, "area.what")` pairs a source file declares with `declare_checks!`.
fn declared_in(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (start, _) in text.match_indices("declare_checks! {") {
        for line in text[start..].lines().skip(1) {
            // The macro's own closing brace, at the start of a line.
            if line.trim_end() == "}" {
                break;
            }
            let line = line.trim();
            // `NAME = "area.what" {`
            let Some((name, rest)) = line.split_once(" = \"") else { continue };
            let Some((id, tail)) = rest.split_once('"') else { continue };
            if tail.trim() == "{" && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
                out.push((name.to_string(), id.to_string()));
            }
        }
    }
    out
}

/// The file or folder of an area: `src/checks/<area>.rs` or `src/checks/<area>/` (dashes become underscores).
fn area_place(area: &str) -> std::path::PathBuf {
    let stem = area.replace('-', "_");
    let file = checks_dir().join(format!("{stem}.rs"));
    if file.exists() {
        file
    } else {
        checks_dir().join(stem)
    }
}

/// Adding a check touches its area's file (`docs/architecture.md`, "Adding a check"): each check is declared
/// once, in the file or folder of its area, and every declaration there is registered. So a check declared
/// but left out of the registry (its area missing from `AREAS`), or declared in another area's file, fails.
#[test]
fn every_check_is_declared_once_in_the_file_of_its_area_and_registered() {
    let registered: Vec<&str> = filesync_identity::api::list_checks().iter().map(|c| c.id.as_str()).collect();
    let mut files = Vec::new();
    rust_files(&checks_dir(), &mut files);
    let mut declared: Vec<(String, std::path::PathBuf)> = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("utf-8 source");
        for (name, id) in declared_in(&text) {
            let (area, what) = id.split_once('.').expect("area.what");
            assert_eq!(
                name,
                format!("{area}_{what}").replace(['-', '.'], "_").to_uppercase(),
                "{}: the constant of {id} is named after it",
                f.display()
            );
            let place = area_place(area);
            assert!(
                f.starts_with(&place),
                "{id} is declared in {}, not in the file of its area ({})",
                f.display(),
                place.display()
            );
            assert!(
                registered.contains(&id.as_str()),
                "{id} is declared in {} but not registered: list its area in AREAS (src/checks/areas.rs)",
                f.display()
            );
            declared.push((id, f.clone()));
        }
    }
    for id in &registered {
        let n = declared.iter().filter(|(d, _)| d == id).count();
        assert_eq!(n, 1, "{id} is declared {n} times in src/checks");
    }
    assert_eq!(declared.len(), registered.len());
}

#[test]
fn the_declaration_reader_finds_what_the_macro_declares() {
    let text = "declare_checks! {\n    STORAGE_LOCK = \"storage.lock\" {\n        title: \"x\",\n        run: f,\n    }\n    STORAGE_NEW = \"storage.new\" {\n    }\n}\nlet s = \"other.thing\";";
    let found = declared_in(text);
    assert_eq!(found, [("STORAGE_LOCK".into(), "storage.lock".into()), ("STORAGE_NEW".into(), "storage.new".into())]);
    // A declaration the registry lacks is what the test above refuses.
    let registered: Vec<&str> = filesync_identity::api::list_checks().iter().map(|c| c.id.as_str()).collect();
    assert!(!registered.contains(&"storage.new"));
    assert!(area_place("cloud-endpoint").ends_with("src/checks/cloud_endpoint.rs"));
    assert!(area_place("server").ends_with("src/checks/server"));
}

/// The README's table of checks (the docs an added check touches) has a row for every registered check,
/// with the codes it declares, and no row for a check that does not exist.
#[test]
fn the_readme_lists_every_check_with_its_codes() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let mut rows: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || !cells[1].starts_with('`') {
            continue;
        }
        let id = cells[1].trim_matches('`');
        let Some((area, _)) = id.split_once('.') else { continue };
        if !AREAS.contains(&area) {
            continue;
        }
        let codes = cells[3]
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| w.starts_with("0x"))
            .map(str::to_string)
            .collect();
        rows.push((id.to_string(), codes));
    }
    for check in filesync_identity::api::list_checks() {
        let row = rows.iter().find(|(id, _)| id == check.id.as_str());
        let Some((_, codes)) = row else { panic!("README.md's table of checks has no row for {}", check.id) };
        let declared: BTreeSet<String> = check.error_codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(codes, &declared, "README.md: the codes of {} differ from its declaration", check.id);
    }
    for (id, _) in &rows {
        assert!(CheckId::parse(id).is_some(), "README.md lists {id}, which is no check");
    }
}
