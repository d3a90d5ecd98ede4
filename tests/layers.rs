//! The layering `docs/architecture.md` describes, held by the sources:
//!
//! 1. each stage of the pipeline names only the stages its row of [`MAY_USE`] lists: whether it names them
//!    in a `use` (grouped and nested too: `use crate::{a, b::{c, d}}`), inline (`crate::x::f()`), or by
//!    walking up with `super::`;
//! 2. the command line (`src/cli/`, its own binary) names the library only through its row (`api`, `model`,
//!    `report`, `error`);
//! 3. the table itself has no circle: a stage never may name, through any chain, a stage that may name it;
//! 4. the files of one folder do not import each other in a circle (the folder's `mod.rs`, or the binary's
//!    `main.rs`, which declares the files and re-exports them, is not counted).
//!
//! Test code (`tests.rs`, `tests/`, and `#[cfg(test)]` items) is not held to it, nor are comments or
//! strings. Each rule has a control case below, on a small made-up tree, that shows it fails when broken.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module (a folder or a file of `src/`) and the modules it may name.
const MAY_USE: &[(&str, &[&str])] = &[
    // Support, used everywhere.
    ("error", &[]),
    ("secret", &[]),
    ("sync", &[]),
    ("events", &["sync"]),
    ("fsutil", &["error"]),
    ("wording", &[]),
    ("cloud", &["error"]),
    // The shared vocabulary: no I/O, no stage.
    ("model", &["error", "fsutil", "sync"]),
    ("catalog", &["error", "model"]),
    // Reading Azure.
    ("credentials", &["cloud", "error", "events", "secret", "sync"]),
    ("arm", &["cloud", "credentials", "error", "events", "model", "sync"]),
    ("collect", &["arm", "cloud", "credentials", "error", "events", "model", "sync"]),
    // Pure stages over a snapshot.
    ("checks", &["catalog", "error", "model", "sync"]),
    ("diff", &["checks", "error", "model"]),
    // On the server (`test --local`): reads this machine through the identity credentials, judges purely.
    ("local", &["catalog", "cloud", "credentials", "error", "model"]),
    // Changing Azure.
    ("repair", &["arm", "checks", "collect", "error", "events", "fsutil", "model"]),
    // Every renderer: reads results, never Azure.
    ("report", &["catalog", "checks", "diff", "error", "local", "model", "repair"]),
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
    // The command line: a separate binary on the library's public face.
    ("cli", &["api", "error", "model", "report"]),
    // The fuzz targets' entry points (`fuzz/`, `tests/fuzz_regressions.rs`).
    ("fuzzing", &["catalog", "checks", "diff", "ffi", "model", "repair", "report"]),
];

/// Circles the table holds today, each to be removed by the change named beside it. A listed circle
/// that is gone fails too, so the list only shrinks.
const KNOWN_TABLE_CIRCLES: &[&[&str]] = &[];

/// Circles of files inside one folder today, each to be broken by the change named beside it. A listed
/// circle that is gone fails too, so the list only shrinks.
const KNOWN_FOLDER_CIRCLES: &[&[&str]] = &[];

// ---------------------------------------------------------------------------------------------------------
// Reading a source: tokens without comments, strings and test code.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Semi,
    Star,
    Other(char),
}

fn ident(tok: Option<&Tok>) -> Option<&str> {
    match tok {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

/// The tokens of a Rust source that matter for paths: identifiers, `::`, braces, `,`, `;`, `*` and other
/// punctuation one character at a time. Comments, string and character literals and numbers are dropped.
fn lex(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_string(&c, i + 1);
        } else if (ch == 'r' || (ch == 'b' && at(i + 1) == 'r')) && {
            let j = if ch == 'b' { i + 2 } else { i + 1 };
            let mut k = j;
            while at(k) == '#' {
                k += 1;
            }
            at(k) == '"' && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
        } {
            // A raw string: r"..", r#".."#, br"..".
            let mut k = if ch == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while at(k) == '#' {
                hashes += 1;
                k += 1;
            }
            k += 1;
            loop {
                if k >= c.len() {
                    break;
                }
                if c[k] == '"' && (0..hashes).all(|h| at(k + 1 + h) == '#') {
                    k += 1 + hashes;
                    break;
                }
                k += 1;
            }
            i = k;
        } else if ch == 'b' && at(i + 1) == '"' && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_')) {
            i = skip_string(&c, i + 2);
        } else if ch == '\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                let mut k = i + 2;
                while k < c.len() && c[k] != '\'' {
                    k += 1;
                }
                i = k + 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                out.push(Tok::Other('\''));
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '.') {
                i += 1;
            }
        } else {
            out.push(match ch {
                ':' if at(i + 1) == ':' => {
                    i += 1;
                    Tok::PathSep
                }
                '{' => Tok::Open,
                '}' => Tok::Close,
                ',' => Tok::Comma,
                ';' => Tok::Semi,
                '*' => Tok::Star,
                other => Tok::Other(other),
            });
            i += 1;
        }
    }
    out
}

fn skip_string(c: &[char], mut i: usize) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The tokens without the items marked `#[cfg(test)]` (a `mod tests { .. }`, a helper, an import).
fn without_test_items(toks: Vec<Tok>) -> Vec<Tok> {
    let cfg_test = [
        Tok::Other('#'),
        Tok::Other('['),
        Tok::Ident("cfg".into()),
        Tok::Other('('),
        Tok::Ident("test".into()),
        Tok::Other(')'),
        Tok::Other(']'),
    ];
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i..].starts_with(&cfg_test) {
            i += cfg_test.len();
            // The item ends at its first `;` or at the end of its first `{ .. }` block.
            while i < toks.len() && toks[i] != Tok::Semi && toks[i] != Tok::Open {
                i += 1;
            }
            if i < toks.len() && toks[i] == Tok::Open {
                let mut depth = 0;
                while i < toks.len() {
                    match toks[i] {
                        Tok::Open => depth += 1,
                        Tok::Close => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
            } else {
                i += 1;
            }
        } else {
            out.push(toks[i].clone());
            i += 1;
        }
    }
    out
}

/// The paths of a `use` tree starting at `toks[*i]`, each with `prefix` before it, up to the end of the
/// tree (`,`, `}` or `;` left unread).
fn use_tree(toks: &[Tok], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    if toks.get(*i) == Some(&Tok::PathSep) {
        *i += 1;
    }
    loop {
        match toks.get(*i) {
            Some(Tok::Ident(s)) => {
                path.push(s.clone());
                *i += 1;
                if toks.get(*i) == Some(&Tok::PathSep) {
                    *i += 1;
                    continue;
                }
                if ident(toks.get(*i)) == Some("as") {
                    *i += 2;
                }
                out.push(path);
                return;
            }
            Some(Tok::Star) => {
                *i += 1;
                path.push("*".into());
                out.push(path);
                return;
            }
            Some(Tok::Open) => {
                *i += 1;
                while *i < toks.len() {
                    if toks[*i] == Tok::Close {
                        *i += 1;
                        break;
                    }
                    let before = *i;
                    use_tree(toks, i, path.clone(), out);
                    if toks.get(*i) == Some(&Tok::Comma) {
                        *i += 1;
                    }
                    if *i == before {
                        *i += 1; // never stall on something unexpected
                    }
                }
                return;
            }
            _ => {
                if !path.is_empty() {
                    out.push(path);
                }
                return;
            }
        }
    }
}

/// Where a path a source names starts from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Root {
    /// The library (`crate::` inside it, `filesync_identity::` from outside).
    Lib,
    /// The binary the file belongs to (`crate::` inside `src/cli/`).
    Bin,
}

/// Which crate a file belongs to, and its module path from that crate's root.
struct FileModule {
    root: Root,
    path: Vec<String>,
}

/// Every path a source names from a crate root, resolved: `use` trees (grouped and nested), inline
/// `crate::`/`super::`/`self::`/`filesync_identity::` paths, `super::` walked up from the file's module
/// (and any inline `mod x { .. }` it is in). External crates and local names are left out.
fn named_paths(text: &str, file: &FileModule) -> BTreeSet<(Root, Vec<String>)> {
    let toks = without_test_items(lex(text));
    let mut out = BTreeSet::new();
    // Inline modules the scan is in: (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let module: Vec<String> = file.path.iter().cloned().chain(inline.iter().map(|(n, _)| n.clone())).collect();
        match &toks[i] {
            Tok::Open => {
                depth += 1;
                i += 1;
            }
            Tok::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(name), Some(Tok::Open)) = (ident(toks.get(i + 1)), toks.get(i + 2)) {
                    depth += 1;
                    inline.push((name.to_string(), depth));
                    i += 3;
                } else {
                    i += 1;
                }
            }
            Tok::Ident(kw) if kw == "use" => {
                i += 1;
                let mut paths = Vec::new();
                use_tree(&toks, &mut i, Vec::new(), &mut paths);
                for p in paths {
                    out.extend(resolve(&p, &module, &file.root));
                }
            }
            Tok::Ident(first)
                if matches!(first.as_str(), "crate" | "super" | "self" | "filesync_identity")
                    && toks.get(i + 1) == Some(&Tok::PathSep)
                    && !matches!(i.checked_sub(1).map(|p| &toks[p]), Some(Tok::PathSep | Tok::Other('$'))) =>
            {
                let mut path = vec![first.clone()];
                i += 1;
                while toks.get(i) == Some(&Tok::PathSep) {
                    match ident(toks.get(i + 1)) {
                        Some(s) => {
                            path.push(s.to_string());
                            i += 2;
                        }
                        None => break,
                    }
                }
                out.extend(resolve(&path, &module, &file.root));
            }
            _ => i += 1,
        }
    }
    out
}

/// A path as written, from the module it is written in, to where it starts and its segments from there.
fn resolve(path: &[String], module: &[String], root: &Root) -> Option<(Root, Vec<String>)> {
    let (root, mut segs) = match path.first()?.as_str() {
        "filesync_identity" => (Root::Lib, path[1..].to_vec()),
        "crate" => (root.clone(), path[1..].to_vec()),
        "self" => (root.clone(), module.iter().chain(&path[1..]).cloned().collect()),
        "super" => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            let mut base = module.to_vec();
            for _ in 0..ups {
                base.pop();
            }
            (root.clone(), base.into_iter().chain(path[ups..].iter().cloned()).collect())
        }
        _ => return None,
    };
    segs.retain(|s| s != "self");
    Some((root, segs))
}

// ---------------------------------------------------------------------------------------------------------
// Holding a tree to the rules.

/// What the rules found in a tree: rules broken, and the circles of files inside each folder.
#[derive(Debug, Default)]
struct Findings {
    broken: Vec<String>,
    folder_circles: Vec<Vec<String>>,
    held: usize,
}

/// `checks/access.rs` -> (`checks`, the module `checks::access` of the library); `cli/repair.rs` ->
/// (`cli`, the module `repair` of the binary).
fn file_module(rel: &str) -> (String, FileModule) {
    let no_ext = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = no_ext.split('/').map(String::from).collect();
    let top = parts[0].clone();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if top == "cli" {
        parts.remove(0);
        if parts.last().is_some_and(|p| p == "main") {
            parts.pop();
        }
        return (top, FileModule { root: Root::Bin, path: parts });
    }
    (top, FileModule { root: Root::Lib, path: parts })
}

/// Holds a tree of sources (paths relative to `src/`, texts) to a layer table.
fn hold(files: &BTreeMap<String, String>, table: &[(&str, &[&str])]) -> Findings {
    let rules: BTreeMap<&str, &[&str]> = table.iter().copied().collect();
    let modules: BTreeSet<String> = files
        .keys()
        .filter(|f| *f != "lib.rs")
        .map(|f| f.split('/').next().unwrap().trim_end_matches(".rs").to_string())
        .collect();
    // What the crate root re-exports (`pub use error::{Error, Result}`): `crate::Error` names `error`.
    let mut root_items: BTreeMap<String, String> = BTreeMap::new();
    if let Some(lib) = files.get("lib.rs") {
        let toks = without_test_items(lex(lib));
        let mut i = 0;
        while i < toks.len() {
            if ident(toks.get(i)) == Some("use") {
                i += 1;
                let mut paths = Vec::new();
                use_tree(&toks, &mut i, Vec::new(), &mut paths);
                for p in paths {
                    if let (Some(first), Some(last)) = (p.first(), p.last()) {
                        root_items.insert(last.clone(), first.clone());
                    }
                }
            } else {
                i += 1;
            }
        }
    }
    let top_of = |segs: &[String]| -> String {
        match segs.first() {
            None => "lib".into(),
            Some(s) if modules.contains(s) => s.clone(),
            Some(s) => root_items.get(s).cloned().unwrap_or_else(|| "lib".into()),
        }
    };

    let mut out = Findings::default();
    // Per folder: edges between its files.
    let mut folder_edges: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (rel, text) in files {
        if rel == "lib.rs" {
            continue;
        }
        let (top, module) = file_module(rel);
        let Some(allowed) = rules.get(top.as_str()) else {
            out.broken.push(format!("src/{rel}: module '{top}' has no rule in MAY_USE"));
            continue;
        };
        out.held += 1;
        let in_folder = rel.contains('/');
        let folder_root = if module.root == Root::Bin { format!("{top}/main.rs") } else { format!("{top}/mod.rs") };
        for (root, segs) in named_paths(text, &module) {
            let (used, rest) = match (&module.root, &root) {
                (Root::Lib, Root::Lib) => (top_of(&segs), segs.get(1)),
                (Root::Bin, Root::Bin) => (top.clone(), segs.first()),
                (Root::Bin, Root::Lib) => (top_of(&segs), None),
                (Root::Lib, Root::Bin) => continue,
            };
            if used == "lib" {
                continue; // an item of the crate root itself, such as `VERSION`
            }
            let same_crate = module.root == root;
            if used != top || !same_crate {
                if !allowed.contains(&used.as_str()) {
                    out.broken.push(format!("src/{rel}: '{top}' names {used} ({})", segs.join("::")));
                }
                continue;
            }
            if !in_folder {
                continue;
            }
            // Inside one folder: which file of it this names (its `mod.rs`/`main.rs` when no file matches).
            let target = rest
                .map(|name| format!("{top}/{name}.rs"))
                .filter(|f| files.contains_key(f))
                .or_else(|| rest.map(|name| format!("{top}/{name}/mod.rs")).filter(|f| files.contains_key(f)))
                .unwrap_or_else(|| folder_root.clone());
            if target != *rel && target != folder_root && *rel != folder_root {
                folder_edges.entry(top.clone()).or_default().insert((rel.clone(), target));
            }
        }
    }
    for edges in folder_edges.values() {
        out.folder_circles.extend(circles(edges));
    }
    out
}

/// The circles of a directed graph: its strongly connected sets of more than one node, or a node that
/// names itself; each sorted.
fn circles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for (a, b) in edges {
                if *a == n && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> = nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for n in &nodes {
        if !reached[n].contains(*n) || out.iter().any(|c| c.contains(n)) {
            continue;
        }
        let circle: Vec<String> = nodes
            .iter()
            .filter(|m| reached[n].contains(**m) && reached[*m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        out.push(circle);
    }
    out
}

/// The circles of a layer table.
fn table_circles(table: &[(&str, &[&str])]) -> Vec<Vec<String>> {
    let edges: BTreeSet<(String, String)> =
        table.iter().flat_map(|(m, uses)| uses.iter().map(move |u| (m.to_string(), u.to_string()))).collect();
    circles(&edges)
}

/// The rows a table lacks for a tree's modules, and the names it holds that are no module of it.
fn table_mismatch(files: &BTreeMap<String, String>, table: &[(&str, &[&str])]) -> Vec<String> {
    let modules: BTreeSet<String> = files
        .keys()
        .filter(|f| *f != "lib.rs")
        .map(|f| f.split('/').next().unwrap().trim_end_matches(".rs").to_string())
        .collect();
    let mut out = Vec::new();
    for m in &modules {
        if !table.iter().any(|(row, _)| row == m) {
            out.push(format!("module '{m}' has no row"));
        }
    }
    for (row, uses) in table {
        for name in std::iter::once(row).chain(uses.iter()) {
            if !modules.contains(*name) {
                out.push(format!("row '{row}' names '{name}', which is no module of src/"));
            }
        }
    }
    out
}

/// Circles found against circles known: the new ones, and the known ones that are gone.
fn against_known(found: &[Vec<String>], known: &[&[&str]]) -> Vec<String> {
    let known: Vec<Vec<String>> = known.iter().map(|c| c.iter().map(|s| s.to_string()).collect()).collect();
    let mut out = Vec::new();
    for c in found {
        if !known.contains(c) {
            out.push(format!("a circle: {}", c.join(" <-> ")));
        }
    }
    for c in &known {
        if !found.contains(c) {
            out.push(format!("the known circle {} is gone: remove it from the list", c.join(" <-> ")));
        }
    }
    out
}

fn src_tree() -> BTreeMap<String, String> {
    fn walk(src: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("readable source folder") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if name != "tests" {
                    walk(src, &path, out);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" {
                let rel = path.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&path).expect("utf-8 source"));
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&src, &src, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------------------
// The rules, on the sources.

#[test]
fn each_stage_names_only_the_stages_below_it() {
    let found = hold(&src_tree(), MAY_USE);
    assert!(found.held > 50, "the scan reads the sources ({} files)", found.held);
    assert!(found.broken.is_empty(), "layering broken (see docs/architecture.md):\n{}", found.broken.join("\n"));
}

#[test]
fn the_layer_table_has_no_circle_and_a_row_for_each_module() {
    let problems: Vec<String> = against_known(&table_circles(MAY_USE), KNOWN_TABLE_CIRCLES)
        .into_iter()
        .chain(table_mismatch(&src_tree(), MAY_USE))
        .collect();
    assert!(problems.is_empty(), "the layer table (MAY_USE):\n{}", problems.join("\n"));
}

#[test]
fn no_folder_imports_its_own_files_in_a_circle() {
    let found = hold(&src_tree(), MAY_USE);
    let problems = against_known(&found.folder_circles, KNOWN_FOLDER_CIRCLES);
    assert!(problems.is_empty(), "files of one folder in a circle:\n{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------------------
// Control cases: each rule fails on a tree that breaks it.

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
}

const SMALL_TABLE: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("model", &["error"]),
    ("arm", &["error", "model"]),
    ("checks", &["error", "model"]),
    ("api", &["arm", "checks", "error", "model"]),
    ("cli", &["api", "error", "model"]),
];

fn lib_paths(text: &str, module: &[&str]) -> Vec<String> {
    let file = FileModule { root: Root::Lib, path: module.iter().map(|s| s.to_string()).collect() };
    named_paths(text, &file).into_iter().map(|(_, p)| p.join("::")).collect()
}

#[test]
fn the_scan_reads_grouped_nested_inline_and_super_paths() {
    let code = r#"
use crate::{arm::ArmClient, model::{snapshot::Snapshot, findings::{self, Finding}}};
use super::super::collect::TargetSpec;
use super::{narrow, Selection as Chosen};
pub(crate) use self::inner::*;
use std::collections::BTreeMap;
fn f() {
    let _ = crate::events::Event::Log;
    let _ = super::ids::ONE;
    let s = "crate::report in a string";
    let c = '"'; // crate::local in a comment
    /* crate::repair in a block comment */
}
mod nested {
    use super::super::access::grant;
}
#[cfg(test)]
mod tests { use crate::diff; }
#[cfg(test)]
use crate::wording;
"#;
    let mut got = lib_paths(code, &["checks", "network"]);
    got.sort();
    let mut want = vec![
        "arm::ArmClient",
        "model::snapshot::Snapshot",
        "model::findings",
        "model::findings::Finding",
        "collect::TargetSpec",
        "checks::narrow",
        "checks::Selection",
        "checks::network::inner::*",
        "events::Event::Log",
        "checks::ids::ONE",
        "checks::access::grant",
    ];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_stage_naming_a_stage_it_may_not_fails() {
    let ok = tree(&[
        ("lib.rs", "pub mod error; pub use error::{Error, Result};"),
        ("error.rs", ""),
        ("model/mod.rs", "use crate::Result;"),
        ("checks/mod.rs", "use crate::model::Snapshot;"),
        ("arm/mod.rs", "use crate::error::Error;"),
    ]);
    let found = hold(&ok, SMALL_TABLE);
    assert_eq!(found.broken, Vec::<String>::new());
    assert_eq!(found.held, 4);
    // A check that reaches the ARM client: in a group, inline, and walking up from a file of its folder.
    for text in [
        "use crate::{model::Snapshot, arm::ArmClient};",
        "fn f(_: crate::arm::ArmClient) {}",
        "use super::super::arm::ArmClient;",
    ] {
        let mut bad = ok.clone();
        bad.insert("checks/access.rs".into(), text.into());
        let found = hold(&bad, SMALL_TABLE);
        assert_eq!(found.broken, ["src/checks/access.rs: 'checks' names arm (arm::ArmClient)"], "{text}");
    }
    // The model reaching for the crate root's re-export of something it may not name.
    let mut bad = ok.clone();
    bad.insert("lib.rs".into(), "pub mod arm; pub use arm::ArmClient;".into());
    bad.insert("model/mod.rs".into(), "fn f(_: crate::ArmClient) {}".into());
    assert_eq!(hold(&bad, SMALL_TABLE).broken, ["src/model/mod.rs: 'model' names arm (ArmClient)"]);
    // A module without a row.
    let mut bad = ok.clone();
    bad.insert("collect/mod.rs".into(), String::new());
    assert_eq!(hold(&bad, SMALL_TABLE).broken, ["src/collect/mod.rs: module 'collect' has no rule in MAY_USE"]);
}

#[test]
fn the_command_line_naming_a_stage_fails() {
    let ok = tree(&[
        ("lib.rs", "pub mod error; pub use error::{Error, Result};"),
        ("error.rs", ""),
        ("model/mod.rs", ""),
        ("arm/mod.rs", ""),
        ("api.rs", ""),
        ("cli/main.rs", "mod repair; use filesync_identity::{api, model::Snapshot, Result};\nuse crate::repair::run;"),
        ("cli/repair.rs", "use crate::{Args, write_stdout}; use filesync_identity::api::plan_for;"),
    ]);
    assert_eq!(hold(&ok, SMALL_TABLE).broken, Vec::<String>::new());
    let mut bad = ok.clone();
    bad.insert("cli/repair.rs".into(), "use crate::Args;\nfn f() { filesync_identity::arm::ArmClient::new(); }".into());
    assert_eq!(hold(&bad, SMALL_TABLE).broken, ["src/cli/repair.rs: 'cli' names arm (arm::ArmClient::new)"]);
}

#[test]
fn a_circle_in_the_table_fails() {
    assert_eq!(table_circles(SMALL_TABLE), Vec::<Vec<String>>::new());
    let with_circle: &[(&str, &[&str])] = &[
        ("error", &[]),
        ("model", &["error", "checks"]),
        ("checks", &["arm"]),
        ("arm", &["model"]),
        ("api", &["checks"]),
    ];
    assert_eq!(table_circles(with_circle), [["arm", "checks", "model"]]);
    assert_eq!(against_known(&table_circles(with_circle), &[]), ["a circle: arm <-> checks <-> model"]);
    // A known circle that is gone fails too.
    assert_eq!(against_known(&[], &[&["a", "b"]]), ["the known circle a <-> b is gone: remove it from the list"]);
    // The table and the tree in step.
    let files = tree(&[("lib.rs", ""), ("error.rs", ""), ("model/mod.rs", ""), ("local/mod.rs", "")]);
    assert_eq!(
        table_mismatch(&files, &[("error", &[]), ("model", &["error", "text"])]),
        ["module 'local' has no row", "row 'model' names 'text', which is no module of src/"]
    );
}

#[test]
fn a_circle_of_files_inside_a_folder_fails() {
    // The folder's mod.rs declares and re-exports its files, and they use what it holds: no circle.
    let ok = tree(&[
        ("lib.rs", ""),
        ("error.rs", ""),
        ("model/mod.rs", ""),
        ("checks/mod.rs", "mod network; mod resources; pub use self::network::perimeter; pub struct Selection;"),
        ("checks/network.rs", "use super::Selection; use super::resources::not_read;"),
        ("checks/resources.rs", "use super::Selection;"),
    ]);
    let found = hold(&ok, SMALL_TABLE);
    assert_eq!((found.broken, found.folder_circles), (Vec::<String>::new(), Vec::<Vec<String>>::new()));
    // resources -> network -> resources, once through a group and once inline.
    let mut bad = ok.clone();
    bad.insert("checks/resources.rs".into(), "use super::{Selection, network::perimeter};".into());
    assert_eq!(hold(&bad, SMALL_TABLE).folder_circles, [["checks/network.rs", "checks/resources.rs"]]);
    bad.insert("checks/resources.rs".into(), "fn f() { crate::checks::network::perimeter(); }".into());
    assert_eq!(hold(&bad, SMALL_TABLE).folder_circles, [["checks/network.rs", "checks/resources.rs"]]);
    // A longer circle: plan -> planners -> basis -> plan.
    let repair = tree(&[
        ("lib.rs", ""),
        ("error.rs", ""),
        ("model/mod.rs", ""),
        ("checks/mod.rs", ""),
        ("checks/plan.rs", "use super::planners::make;"),
        ("checks/planners.rs", "use super::basis::basis_for;"),
        ("checks/basis.rs", "use crate::checks::plan::Change;"),
    ]);
    assert_eq!(
        hold(&repair, SMALL_TABLE).folder_circles,
        [["checks/basis.rs", "checks/plan.rs", "checks/planners.rs"]]
    );
}
