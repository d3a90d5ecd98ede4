//! The request contract (issue 22, item 1): `bindings/contract.json` is written from the Rust types (the
//! operations, each request's fields and their types, each answer's fields, the session options, the
//! limits, the C ABI's error and event shapes) and checked in; the crate's own test fails when it is stale
//! (`src/ffi/contract.rs`: rewrite it with `FSI_UPDATE_BINDINGS=1 cargo test --lib contract`, since the
//! C ABI is not part of the library's public face); this one fails when the C ABI's doc comment leaves an
//! operation out, when the module's C# sends a request key or an operation the contract does not have or
//! reads a result property no answer carries, and when the module's validation attributes leave the limits.
//! Each check of the C# runs on a control snippet first, to show it can fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn checked_in() -> Value {
    serde_json::from_str(&read("bindings/contract.json")).expect("bindings/contract.json is JSON")
}

fn operations(contract: &Value) -> Vec<String> {
    contract["operations"].as_object().expect("operations").keys().cloned().collect()
}

/// The doc comment of `fsi_request_start` in `text` (Rust `///` or C `//` or C# `///` lines before it).
fn request_start_doc(text: &str) -> String {
    let at = text.find("fsi_request_start(").expect("fsi_request_start is declared");
    let head = &text[..at];
    let start = head.rfind("Start a request").expect("its doc comment");
    head[start..].to_string()
}

fn missing_operations(doc: &str, ops: &[String]) -> Vec<String> {
    ops.iter().filter(|op| !doc.contains(&format!("`{op}`"))).cloned().collect()
}

#[test]
fn the_c_abi_doc_comment_names_every_operation() {
    let ops = operations(&checked_in());
    assert!(!ops.is_empty());
    // Control: a comment that leaves one out is caught.
    assert_eq!(missing_operations("(operations: `explain`)", &["explain".into(), "diff".into()]), ["diff"]);
    for file in ["src/ffi/mod.rs", "bindings/filesync_identity.h", "bindings/NativeMethods.g.cs"] {
        let missing = missing_operations(&request_start_doc(&read(file)), &ops);
        assert!(missing.is_empty(), "{file}: the doc comment of fsi_request_start leaves out {missing:?}");
    }
}

fn strings(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// The quoted words of `"a", "b"` dictionary entries (`{ "key", value }`) on a line.
fn entry_keys(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("{ \"") {
        rest = &rest[i + 3..];
        if let Some(j) = rest.find('"') {
            if rest[j + 1..].trim_start().starts_with(',') {
                out.push(rest[..j].to_string());
            }
        }
    }
    out
}

/// The `"key"` of each `name["key"] =` on a line.
fn index_keys(line: &str, name: &str) -> Vec<String> {
    let pat = format!("{name}[\"");
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find(&pat) {
        rest = &rest[i + pat.len()..];
        if let Some(j) = rest.find('"') {
            if rest[j + 1..].trim_start().starts_with("] =") || rest[j + 1..].trim_start().starts_with("]=") {
                out.push(rest[..j].to_string());
            }
        }
    }
    out
}

/// What the C# sends that the contract does not take: operations, each request's keys (by the operation
/// named in the same initializer, else any operation's), the session options and the nested values.
fn request_violations(file: &str, text: &str, contract: &Value) -> Vec<String> {
    let ops = &contract["operations"];
    let any_request: BTreeSet<String> =
        ops.as_object().map(|m| m.values().flat_map(|o| strings(&o["request"])).collect()).unwrap_or_default();
    let mut bad = Vec::new();
    let check = |what: &str, key: &str, allowed: &BTreeSet<String>, line: usize| {
        (!allowed.contains(key)).then(|| format!("{file}:{line}: {what} '{key}' is not in the contract"))
    };
    let mut in_environment = false;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        // `{ "operation", "test" }, { "snapshotPath", path }`: the operation, and its own keys.
        let entries = entry_keys(line);
        if let Some(pos) = entries.iter().position(|k| k == "operation") {
            let op = line.split("{ \"operation\", \"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("");
            let fields = strings(&ops[op]["request"]);
            if ops.get(op).is_none() {
                bad.push(format!("{file}:{n}: operation '{op}' is not in the contract"));
            }
            for (i, k) in entries.iter().enumerate() {
                if i != pos {
                    bad.extend(check(&format!("'{op}' key"), k, &fields, n));
                }
            }
        }
        for k in index_keys(line, "request") {
            if k == "operation" {
                let op = line.split("= \"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("");
                if ops.get(op).is_none() {
                    bad.push(format!("{file}:{n}: operation '{op}' is not in the contract"));
                }
            } else {
                bad.extend(check("request key", &k, &any_request, n));
            }
        }
        if let Some(rest) = line.split("Put(request, \"").nth(1) {
            let k = rest.split('"').next().unwrap_or("");
            bad.extend(check("resolveTarget key", k, &strings(&ops["resolveTarget"]["request"]), n));
        }
        for k in index_keys(line, "options") {
            bad.extend(check("session option", &k, &strings(&contract["session"]), n));
        }
        for k in index_keys(line, "scope") {
            bad.extend(check("scope key", &k, &strings(&contract["nested"]["scope"]), n));
        }
        for k in index_keys(line, "local") {
            bad.extend(check("local option", &k, &strings(&contract["nested"]["local"]), n));
        }
        for k in index_keys(line, "state") {
            bad.extend(check("agent state key", &k, &strings(&contract["nested"]["agent"]), n));
        }
        if line.contains("options[\"azEnvironment\"]") {
            in_environment = true;
        }
        if in_environment {
            for k in entry_keys(line) {
                bad.extend(check("azEnvironment key", &k, &strings(&contract["azEnvironment"]), n));
            }
            if line.contains("};") {
                in_environment = false;
            }
        }
        // A request written as JSON text: `"{\"operation\":\"wording\"}"`.
        if let Some(rest) = line.split("{\\\"operation\\\":\\\"").nth(1) {
            let op = rest.split('\\').next().unwrap_or("");
            if ops.get(op).is_none() {
                bad.push(format!("{file}:{n}: operation '{op}' is not in the contract"));
            }
        }
    }
    bad
}

/// What the C# reads from answers (`Json.Str(x, "key")` and the like) that no answer, error or event of
/// the contract carries.
fn result_violations(file: &str, text: &str, contract: &Value) -> Vec<String> {
    let mut known = strings(&contract["resultKeys"]);
    known.extend(strings(&contract["errorJson"]));
    known.extend(strings(&contract["events"]));
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("Json.") {
            rest = &rest[i + 5..];
            let Some(open) = rest.find('(') else { break };
            let name = &rest[..open];
            if !name.chars().all(|c| c.is_ascii_alphanumeric()) || matches!(name, "Parse" | "ParseObject" | "Write") {
                continue;
            }
            let args = &rest[open + 1..];
            let Some(close) = args.find(')') else { continue };
            let args = &args[..close];
            if let Some(key) = args.split(", \"").nth(1).map(|k| k.trim_end_matches('"')) {
                if !known.contains(key) {
                    bad.push(format!("{file}:{}: reads '{key}', which no answer carries", n + 1));
                }
            }
        }
    }
    bad
}

fn module_sources() -> Vec<(String, String)> {
    let dir = root().join("ps-module/src");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cs"))
        .collect();
    files.sort();
    files.iter().map(|p: &PathBuf| (name(p), std::fs::read_to_string(p).unwrap())).collect()
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn the_module_sends_only_what_the_contract_takes() {
    let contract = checked_in();
    // Controls: a misspelt key, a key of another operation and an unknown operation are caught.
    let control = r#"
            var request = new Dictionary<string, object> { { "operation", "test" }, { "snapshotPth", path } };
            var other = new Dictionary<string, object> { { "operation", "explain" }, { "target", t } };
            request["syncGroupz"] = x;
            var r = RequestHandle.Start(session, "{\"operation\":\"tset\"}");"#;
    let found = request_violations("control", control, &contract);
    assert_eq!(found.len(), 4, "{found:#?}");
    let mut bad = Vec::new();
    for (file, text) in module_sources() {
        bad.extend(request_violations(&file, &text, &contract));
    }
    assert!(bad.is_empty(), "the module sends what the contract does not take:\n{}", bad.join("\n"));
    // And it does send requests: the scan sees them.
    let all: String = module_sources().into_iter().map(|(_, t)| t).collect();
    assert!(all.matches("{ \"operation\", \"").count() >= 8);
}

#[test]
fn the_module_reads_only_what_the_answers_carry() {
    let contract = checked_in();
    let control = r#"string id = Json.Str(resolved, "resourceID"); long? n = Json.Long(summary, "fail");"#;
    let found = result_violations("control", control, &contract);
    assert_eq!(found.len(), 1, "{found:#?}");
    let mut bad = Vec::new();
    let mut reads = 0;
    for (file, text) in module_sources() {
        reads += text.matches("Json.Str(").count();
        bad.extend(result_violations(&file, &text, &contract));
    }
    assert!(reads > 50, "the scan sees the module's reads");
    assert!(bad.is_empty(), "the module reads what no answer carries:\n{}", bad.join("\n"));
}

/// `[ValidateRange(a, b)]` and the default (`= d;`) of the C# property `name`.
fn validate_range(text: &str, name: &str) -> Option<(f64, f64, f64)> {
    let decl = text.rfind(&format!(" {name} {{ get; set; }}"))?;
    let head = &text[..decl];
    let attr = head.rfind("[ValidateRange(")?;
    let inner = &head[attr + "[ValidateRange(".len()..];
    let inner = &inner[..inner.find(')')?];
    let mut parts = inner.split(',').map(|p| p.trim().parse::<f64>().ok());
    let (min, max) = (parts.next()??, parts.next()??);
    let tail = &text[decl..];
    let default = tail.split("= ").nth(1)?.split(';').next()?.trim().parse::<f64>().ok()?;
    Some((min, max, default))
}

#[test]
fn the_module_validates_to_the_limits() {
    let contract = checked_in();
    let limit = |name: &str| {
        let l = &contract["limits"][name];
        (l["min"].as_f64().unwrap(), l["max"].as_f64().unwrap(), l["default"].as_f64().unwrap())
    };
    assert_eq!(
        validate_range("[ValidateRange(0, 91)]\n public int ActivityDays { get; set; } = 30;", "ActivityDays"),
        Some((0.0, 91.0, 30.0))
    );
    let cmdlets = read("ps-module/src/Cmdlets.cs");
    let mut seen = 0;
    for (property, name) in [("ActivityDays", "activityDays"), ("ProbeTimeoutSeconds", "probeTimeoutSeconds")] {
        let pattern = format!(" {property} {{ get; set; }}");
        for (at, _) in cmdlets.match_indices(&pattern) {
            let line_end = cmdlets[at..].find('\n').map_or(cmdlets.len(), |e| at + e);
            assert_eq!(validate_range(&cmdlets[..line_end], property), Some(limit(name)), "-{property} in Cmdlets.cs");
            seen += 1;
        }
    }
    assert!(seen >= 3, "-ActivityDays (two cmdlets) and -ProbeTimeoutSeconds are held");
}

/// The default clap shows for `--flag` in `help` (`[default: 16]`), if any.
fn help_default(help: &str, flag: &str) -> Option<String> {
    let at = help.find(&format!("      {flag} <"))?;
    let rest = &help[at..];
    // Up to the next flag.
    let end = rest[1..].find("\n      -").map_or(rest.len(), |e| e + 1);
    let block = &rest[..end];
    let d = block.find("[default: ")?;
    Some(block[d + 10..].split(']').next()?.to_string())
}

#[test]
fn the_command_line_takes_the_limits_of_the_contract() {
    let contract = checked_in();
    let cli = env!("CARGO_BIN_EXE_filesync-identity");
    let help = |command: &str| {
        let out = std::process::Command::new(cli).args([command, "--help"]).output().expect("the CLI runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(help_default("      --x <N>\n          x\n\n          [default: 7]\n", "--x").as_deref(), Some("7"));
    let cases = [
        ("test", "--concurrency", "concurrency"),
        ("test", "--timeout", "timeoutSeconds"),
        ("test", "--max-retries", "maxRetries"),
        ("test", "--activity-days", "activityDays"),
        ("test", "--probe-timeout", "probeTimeoutSeconds"),
        ("collect", "--activity-days", "activityDays"),
        ("repair", "--principal-timeout", "principalNotFoundTimeoutSeconds"),
    ];
    for (command, flag, limit) in cases {
        let l = &contract["limits"][limit];
        let shown = help_default(&help(command), flag).unwrap_or_else(|| panic!("{command} {flag} shows a default"));
        assert_eq!(shown.parse::<f64>().ok(), l["default"].as_f64(), "{command} {flag}");
        // One past the most is refused by clap's range, before anything runs.
        let Some(max) = l["max"].as_u64() else { continue };
        let out = std::process::Command::new(cli).args([command, flag, &(max + 1).to_string()]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command} {flag} {}: {err}", max + 1);
        assert!(err.contains(&format!("{}", max + 1)) && err.contains(&max.to_string()), "{err}");
    }
}
