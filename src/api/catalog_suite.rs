//! Tests of the embedded File Sync error catalog (`crate::catalog`), and of the catalog and the checks
//! held to each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::catalog::{self, entries, hex, lookup, parse_code, CatalogEntry, Category, Table};
use crate::checks::explaining;
use crate::model::check_id::CheckId;
use crate::report::render_catalog_entry as render_text;

/// Codes in the catalog in all: the 264 distinct codes of the reference table, and no extras (every code
/// a check names is in the reference table).
const EXPECTED_ENTRIES: usize = 264;
const REFERENCE_CODES: usize = 264;

/// Every check that explains codes, with its codes, as the checks declare them beside their functions: the
/// one place they are written down (the catalog's "checks" are derived from them, and held to them below).
fn check_codes() -> Vec<(&'static str, &'static [&'static str])> {
    crate::checks::all().iter().filter(|c| !c.error_codes.is_empty()).map(|c| (c.id.as_str(), c.error_codes)).collect()
}

/// The wrong decimals the official articles print, and the code each belongs to.
const DOC_ALIASES: &[(i64, &str)] = &[
    (-2147942467, "0x80070043"),
    (-2160591491, "0x80c80283"),
    (-2134351785, "0x80c86093"),
    (-2147942521, "0x80070079"),
    (-2160590967, "0x80c80077"),
];

const ARTICLES: &[&str] = &[
    catalog::ARTICLE_SYNC_ERRORS,
    catalog::ARTICLE_CLOUD_TIERING,
    catalog::ARTICLE_MANAGED_IDENTITIES_TROUBLESHOOTING,
    catalog::ARTICLE_SYNC_GROUP_MANAGEMENT,
];

fn same(a: &CatalogEntry, b: &CatalogEntry) -> bool {
    std::ptr::eq(a, b)
}

fn must(input: &str) -> &'static CatalogEntry {
    lookup(input).unwrap_or_else(|e| panic!("lookup({input:?}) failed: {e}"))
}

// --------------------------------------------------------------------------------------------------

#[test]
fn catalog_every_entry_round_trips_in_every_spelling() {
    for e in entries() {
        let h = format!("{:08x}", e.unsigned());
        let mut spellings = vec![
            e.hex(),
            format!("0x{h}"),
            format!("0X{}", h.to_uppercase()),
            format!("0x{}", h.to_uppercase()),
            h.clone(),
            h.to_uppercase(),
            e.code.to_string(),
            e.unsigned().to_string(),
            format!("  {}\t", e.hex()),
            format!("\n{}\n", e.code),
        ];
        for n in &e.names {
            spellings.push(n.to_string());
            spellings.push(n.to_lowercase());
            spellings.push(format!("  {n} "));
        }
        spellings.extend(e.doc_decimal_aliases.iter().map(|a| a.to_string()));
        for s in &spellings {
            let found = must(s);
            assert!(same(found, e), "{s:?} gave {} instead of {}", found.hex(), e.hex());
        }
        assert_eq!(parse_code(&e.hex()), Some(e.code));
        assert_eq!(parse_code(&e.unsigned().to_string()), Some(e.code));
        assert_eq!(hex(e.code), e.hex());
        assert!(e.hex().starts_with("0x") && e.hex().len() == 10 && e.hex() == e.hex().to_lowercase());
    }
}

#[test]
fn catalog_entries_are_sorted_unique_and_parsed_once() {
    let all = entries();
    assert_eq!(all.len(), EXPECTED_ENTRIES);
    assert!(all.windows(2).all(|w| (w[0].code as u32) < (w[1].code as u32)));
    assert!(std::ptr::eq(entries(), all));
    for e in all {
        assert!(!e.summary.is_empty() && !e.explanation.is_empty() && !e.remediation.is_empty(), "{}", e.hex());
        assert!(!e.summary.contains('\t') && !e.explanation.contains('\n'));
        assert!(ARTICLES.contains(&e.article), "{}: {}", e.hex(), e.article);
        assert!(!e.contexts.is_empty());
        assert_eq!(e.article, e.contexts[0].table.article());
        assert!(Category::ALL.contains(&e.category));
        assert!(catalog::get(e.code).is_some_and(|g| same(g, e)));
    }
    // Names are unique across entries.
    let mut names = BTreeMap::new();
    for e in all {
        for n in &e.names {
            assert!(names.insert(n.to_uppercase(), e.hex()).is_none(), "{n} used twice");
        }
    }
}

#[test]
fn catalog_wrong_doc_decimals_resolve() {
    let mut seen = BTreeSet::new();
    for e in entries() {
        seen.extend(e.doc_decimal_aliases.iter().copied());
        if !e.doc_decimal_aliases.is_empty() {
            assert!(
                e.explanation.contains(&e.doc_decimal_aliases[0].to_string()),
                "{} must say the docs print it",
                e.hex()
            );
            assert!(render_text(e).contains(&e.doc_decimal_aliases[0].to_string()));
        }
    }
    assert_eq!(seen.len(), DOC_ALIASES.len());
    for (alias, code) in DOC_ALIASES {
        assert!(seen.contains(alias));
        assert_eq!(must(&alias.to_string()).hex(), *code, "{alias}");
        assert_eq!(must(&format!(" {alias} ")).hex(), *code);
    }
}

#[test]
fn catalog_the_key_identity_codes_are_explained() {
    let e = must("ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED");
    assert_eq!(e.hex(), "0x80c8305f");
    assert_eq!(e.code, -2134364065);
    assert_eq!(e.category, Category::Auth);
    assert!(e.explanation.contains("Storage Account Contributor"));
    for s in [
        "0x80c8305f",
        "0X80C8305F",
        "80c8305f",
        "-2134364065",
        "2160603231",
        "ecs_e_external_storage_account_authorization_failed",
    ] {
        assert!(same(must(s), e), "{s}");
    }
    assert_eq!(must("0x80c86053").category, Category::Auth);
    assert!(must("0x80c86053").explanation.contains("fileshares"));
    assert_eq!(must("0x80c86063").contexts[0].table, Table::ManagedIdentity);
    // Issue 20: identity and permission codes link to the managed identity troubleshooting article (the
    // overview lists no codes), including the two service codes that article has sections for.
    for code in ["0x80c86063", "0x80190193", "0x80c8305f", "0x80c86053"] {
        assert_eq!(must(code).article, catalog::ARTICLE_MANAGED_IDENTITIES_TROUBLESHOOTING, "{code}");
        assert_ne!(must(code).article, catalog::ARTICLE_MANAGED_IDENTITIES, "{code}");
    }
    assert!(must("0x80c8305f").articles().contains(&catalog::ARTICLE_SYNC_ERRORS));
    // 0x80c83079: documented causes apart from the tool's inference; the documented 15 minutes.
    let e = must("0x80c83079");
    assert!(e.explanation.contains("Documented causes") && e.explanation.contains("inference"), "{}", e.explanation);
    assert!(e.remediation.contains("15 minutes") && !e.remediation.contains("an hour"), "{}", e.remediation);
    // The identity minimum does not claim the blocked-agent code; the agent-status check does.
    let checks = explaining(&must("0x80c8306b").hex());
    assert!(!checks.iter().any(|c| c.as_str() == "server.agent-version"), "{checks:?}");
    assert!(checks.iter().any(|c| c.as_str() == "server.agent-status"), "{checks:?}");
    assert_eq!(must("0x80190193").name(), Some("HTTP_E_STATUS_FORBIDDEN"));
    assert_eq!(must("0x80131500").category, Category::Network);
    assert_eq!(must("0x80c83096").category, Category::Network);
    assert_eq!(must("0x80c8307c").category, Category::Auth);
    assert_eq!(must("0x80c83092").category, Category::Configuration);
    assert_eq!(must("0x80c86030").category, Category::Configuration);
    // Derived categories for codes without one in the facts.
    assert_eq!(must("0x80c80018").category, Category::PerItem);
    assert_eq!(must("0x800704c7").category, Category::SyncSession);
    assert_eq!(must("0x80c80261").category, Category::Tiering);
    assert_eq!(must("0x80c80037").category, Category::Recall);
    assert_eq!(must("0x80c80226").category, Category::Management);
    // A code listed in several tables is one entry with every context and name.
    let denied = must("ERROR_ACCESS_DENIED");
    let tables: Vec<Table> = denied.contexts.iter().map(|c| c.table).collect();
    assert_eq!(tables, [Table::SyncSession, Table::SyncPerItem, Table::Tiering, Table::Recall]);
    let not_found = must("0x80070002");
    assert_eq!(not_found.names, ["ERROR_FILE_NOT_FOUND"]);
    assert!(not_found.contexts.iter().any(|c| c.name == Some("MgmtServerJobFailed")));
    assert_eq!(not_found.articles(), [catalog::ARTICLE_SYNC_ERRORS, catalog::ARTICLE_SYNC_GROUP_MANAGEMENT]);
}

/// The entries a check can explain, sorted by code.
fn codes_for_check(check: &str) -> Vec<&'static CatalogEntry> {
    entries().iter().filter(|e| explaining(&e.hex()).iter().any(|c| *c == check)).collect()
}

#[test]
fn catalog_every_check_has_codes_and_every_listed_code_exists() {
    let registry = check_codes();
    assert!(registry.len() >= 19, "the registry lists the checks ({})", registry.len());
    for (check, codes) in &registry {
        assert!(CheckId::parse(check).is_some(), "{check} is not a declared check id");
        let got: BTreeSet<String> = codes_for_check(check).iter().map(|e| e.hex()).collect();
        let want: BTreeSet<String> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            got, want,
            "{check}: declares a code the catalog lacks, or one not written as 0x and 8 lower-case hex digits"
        );
        for c in *codes {
            assert!(lookup(c).is_ok(), "{check} names {c}, which the catalog lacks");
            assert_eq!(*c, hex(parse_code(c).unwrap()), "{check} writes {c} the way findings do");
        }
    }
    // The checks an entry names are exactly the registry's checks that declare its code, in report order.
    let order: Vec<CheckId> = crate::checks::all().iter().map(|c| c.id).collect();
    let mut named = BTreeSet::new();
    for e in entries() {
        let checks = explaining(&e.hex());
        let want: Vec<CheckId> =
            crate::checks::all().iter().filter(|c| c.error_codes.contains(&e.hex().as_str())).map(|c| c.id).collect();
        assert_eq!(checks, want, "{}", e.hex());
        let positions: Vec<usize> = checks.iter().map(|c| order.iter().position(|o| o == c).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}: {checks:?} not in report order", e.hex());
        named.extend(checks.iter().map(|c| c.as_str()));
    }
    let with_codes: BTreeSet<&str> = registry.iter().map(|(check, _)| *check).collect();
    assert_eq!(named, with_codes, "the catalog's checks and the registry's checks with codes differ");
    // Each entry's JSON (what `explain` answers) and text say the same checks.
    let e = must("0x80c86063");
    let json = crate::report::catalog_entry_json(e);
    let listed: Vec<&str> = json["checks"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(listed, explaining("0x80c86063").iter().map(|c| c.as_str()).collect::<Vec<_>>());
    assert!(listed.contains(&"server-endpoint.server-share-role") && listed.contains(&"server.machine-identity"));
    assert!(render_text(e).contains("server.auth-mode, server.identity-drift"), "{}", render_text(e));
    assert_eq!(must("0x80004002").to_json().get("checks"), None, "the catalog itself names no check");
    assert_eq!(crate::report::catalog_entry_json(must("0x80004002"))["checks"], serde_json::json!([]));
    assert!(render_text(must("0x80004002")).contains("none of this tool's checks covers this code"));
    assert!(explaining("no such code").is_empty() && explaining("").is_empty());
    assert!(codes_for_check("no.such-check").is_empty());
}

#[test]
fn catalog_unknown_codes_get_suggestions() {
    let hexes = |input: &str| -> Vec<String> {
        let err = lookup(input).expect_err(input);
        assert!(!err.ambiguous);
        assert_eq!(err.input, input);
        let text = err.to_string();
        assert!(text.starts_with("unknown File Sync error code '"), "{text}");
        if !err.suggestions.is_empty() {
            assert!(text.contains("did you mean"), "{text}");
        }
        err.suggestions.iter().map(|e| e.hex()).collect()
    };
    // One hex digit off, two digits swapped, a digit missing, a digit too many.
    assert!(hexes("0x80c8305e").contains(&"0x80c8305f".to_string()));
    assert!(hexes("0x80c8350f").contains(&"0x80c8305f".to_string()));
    assert!(hexes("0x80c305f").contains(&"0x80c8305f".to_string()));
    assert!(hexes("80c83055f").contains(&"0x80c8305f".to_string()));
    // Same facility, nearest values.
    let near = hexes("0x80c8ffff");
    assert!(!near.is_empty() && near.iter().all(|h| h.starts_with("0x80c8")), "{near:?}");
    // Decimal typo, and the unsigned value with a minus sign (the docs' usual slip).
    assert!(hexes("-2134364066").contains(&"0x80c8305f".to_string()));
    assert_eq!(hexes("-2160603231")[0], "0x80c8305f");
    // Names: a typo, a missing prefix, a fragment.
    assert_eq!(hexes("ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILD")[0], "0x80c8305f");
    assert!(hexes("EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION").contains(&"0x80c8305f".to_string()));
    assert!(hexes("key_based_authentication").contains(&"0x80c8307c".to_string()));
    // At most five suggestions, and the message lists them.
    let err = lookup("ERROR").expect_err("ERROR");
    assert!(!err.suggestions.is_empty() && err.suggestions.len() <= 5);
    assert!(err.to_string().contains(&err.suggestions[0].hex()));
    // Nothing near: no suggestions, still a clear message.
    let err = lookup("zzzzzzzzzzzzzzzz").expect_err("zzz");
    assert!(err.suggestions.is_empty());
    assert_eq!(err.to_string(), "unknown File Sync error code 'zzzzzzzzzzzzzzzz'");
    // The error converts into the crate's error as invalid input.
    let e: crate::Error = lookup("0x1").unwrap_err().into();
    assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
}

#[test]
fn catalog_a_name_shared_by_several_codes_is_ambiguous() {
    let err = lookup("MgmtServerJobFailed").expect_err("shared name");
    assert!(err.ambiguous);
    assert_eq!(err.suggestions.len(), 7);
    assert!(err.to_string().contains("ambiguous"));
    for e in &err.suggestions {
        assert!(e.contexts.iter().any(|c| c.name == Some("MgmtServerJobFailed")));
    }
    assert!(lookup("mgmtserverjobfailed").unwrap_err().ambiguous);
    // A management error name that belongs to one code does resolve.
    assert_eq!(must("MgmtServerJobExpired").hex(), "0x80c87013");
}

#[test]
fn catalog_garbage_never_panics() {
    let mut inputs: Vec<String> = [
        "",
        " ",
        "\t\n",
        "0x",
        "0X",
        "-",
        "+",
        "--1",
        "+-1",
        "0x-1",
        "0x 80c8305f",
        "0x80c8305f0",
        "0x000000000080c8305f",
        "0xffffffff",
        "0x00000000",
        "0",
        "-0",
        "00000000",
        "ffffffff",
        "gggggggg",
        "x",
        "0b1010",
        "1e10",
        "1.5",
        "-2147483648",
        "-2147483649",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999999999999999999999999",
        "-99999999999999999999999999999999999999999",
        "١٢٣٤٥٦٧٨",
        "８０ｃ８３０５ｆ",
        "0x８０",
        "ÉCS_E_ÉXTERNAL",
        "ß",
        "İ",
        "ﬃ",
        "e\u{301}",
        "\u{202e}ECS",
        "🦀🦀🦀",
        "\0",
        "\u{feff}0x80c8305f",
        "ECS_E_",
        "_",
        "ECS",
        "NULL",
        "null",
        "undefined",
        "0x80c8305f; DROP TABLE",
        "'",
        "\"",
        "\\",
        "%s%n",
        "{}",
        "\u{7f}",
        "MgmtServerJobFailed ",
        "(GetNextJob status)",
        "(server endpoints per server limit)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    inputs.push("a".repeat(100_000));
    inputs.push("0x".to_string() + &"f".repeat(10_000));
    inputs.push("-".to_string() + &"9".repeat(10_000));
    inputs.push("E".repeat(81));
    inputs.push("ECS_E_".repeat(20));
    inputs.push("🦀".repeat(5_000));
    for i in 0..2000u32 {
        // Pseudo-random mixes of code-ish characters.
        let alphabet = ['0', 'x', 'X', '8', 'c', 'F', '-', '+', ' ', '_', 'E', 'é', '9', '\u{0}'];
        let mut v = i.wrapping_mul(2_654_435_761);
        let mut s = String::new();
        for _ in 0..(i % 13) {
            s.push(alphabet[(v % alphabet.len() as u32) as usize]);
            v = v.rotate_left(5) ^ 0x9e37_79b9;
        }
        inputs.push(s);
    }
    for input in &inputs {
        let _ = parse_code(input);
        match lookup(input) {
            Ok(e) => {
                let _ = render_text(e);
            }
            Err(err) => {
                let text = err.to_string();
                assert!(
                    text.chars().count() < 2_000,
                    "message too long for {:?}",
                    input.chars().take(20).collect::<String>()
                );
                assert!(!text.contains('\n'));
                assert!(err.suggestions.len() <= 7);
            }
        }
    }
    // A byte order mark or zero-width space pasted along with the code is ignored.
    assert_eq!(must("\u{feff}0x80c8305f\u{200b}").hex(), "0x80c8305f");
    assert_eq!(parse_code("\u{feff}-2134364065"), Some(0x80c8305fu32 as i32));
}

#[test]
fn catalog_json_shape() {
    let e = must("0x80c8305f");
    // What `explain` answers: the entry, with the checks that declare its code.
    let v = crate::report::catalog_entry_json(e);
    let keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
    for k in [
        "code",
        "decimal",
        "names",
        "category",
        "summary",
        "explanation",
        "remediation",
        "checks",
        "article",
        "docDecimalAliases",
        "contexts",
    ] {
        assert!(keys.contains(&k), "missing {k}");
    }
    assert_eq!(v["code"], "0x80c8305f");
    assert_eq!(v["decimal"], -2134364065);
    assert_eq!(v["category"], "auth");
    assert_eq!(v["names"][0], "ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED");
    // Issue 20: the managed identity troubleshooting article lists it first; the sync errors article too.
    assert_eq!(v["contexts"][0]["table"], "managed-identity");
    assert_eq!(v["contexts"][0]["article"], catalog::ARTICLE_MANAGED_IDENTITIES_TROUBLESHOOTING);
    assert_eq!(v["contexts"][1]["table"], "sync-session");
    assert_eq!(v["contexts"][1]["article"], catalog::ARTICLE_SYNC_ERRORS);
    assert!(v["checks"].as_array().expect("checks").iter().any(|c| c == "service.identity"));
    let alias = serde_json::to_value(must("0x80c80283")).expect("serialize");
    assert_eq!(alias["docDecimalAliases"][0], -2160591491i64);
    assert_eq!(alias["category"], "per-item");
    assert_eq!(serde_json::to_value(must("0x80c80226")).expect("json")["category"], "management");
    let mut facts = v.clone();
    facts.as_object_mut().unwrap().remove("checks");
    assert_eq!(e.to_json(), facts);
    assert_eq!(serde_json::to_value(e).expect("serialize"), facts);
}

#[test]
fn catalog_text_rendering() {
    let e = must("0x80c8305f");
    let text = render_text(e);
    for needle in [
        "0x80c8305f",
        "ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED",
        "-2134364065",
        "2160603231",
        "Category:",
        "auth",
        "Summary:",
        "Explanation:",
        "What to do:",
        "service.identity",
        "role.deny-assignment",
        catalog::ARTICLE_SYNC_ERRORS,
        catalog::ARTICLE_CLOUD_TIERING,
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    for e in entries() {
        let text = render_text(e);
        assert!(text.starts_with(&e.hex()));
        for line in text.lines().filter(|l| !l.contains("https://")) {
            assert!(line.chars().count() <= 100, "{}: long line {line:?}", e.hex());
        }
        assert!(text.contains(e.article));
    }
    let unnamed = render_text(must("0x80c80226"));
    assert!(unnamed.contains("no symbolic name"));
    assert!(unnamed.contains("as MgmtServerJobFailed"));
}

// --------------------------------------------------------------------------------------------------
// Against the reference facts (only where ../shared is present; users don't have it).

struct RefRow {
    table: String,
    hex: String,
    dec_doc: i64,
    name: String,
    category: String,
    heading: String,
    remediation: String,
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        s[1..s.len() - 1].replace("\"\"", "\"")
    } else {
        s.to_string()
    }
}

fn reference() -> Option<Vec<RefRow>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/error-catalog.tsv");
    let text = std::fs::read_to_string(&path).ok()?;
    let mut rows = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let c: Vec<&str> = line.split('\t').collect();
        assert_eq!(c.len(), 10, "reference line {line:?}");
        rows.push(RefRow {
            table: c[0].to_string(),
            hex: format!("0x{:08x}", u32::from_str_radix(&c[1][2..], 16).expect("hex")),
            dec_doc: c[2].parse().expect("decimal"),
            name: c[5].trim().to_string(),
            category: c[7].trim().to_string(),
            heading: unquote(c[8]),
            remediation: unquote(c[9]),
        });
    }
    Some(rows)
}

fn table_of(reference_table: &str) -> Table {
    match reference_table {
        "mi-doc" => Table::ManagedIdentity,
        "sync-session" => Table::SyncSession,
        "sync-per-item" => Table::SyncPerItem,
        "tiering" => Table::Tiering,
        "recall" => Table::Recall,
        "sgm-doc" => Table::SyncGroupManagement,
        other => panic!("unknown reference table {other}"),
    }
}

#[test]
fn catalog_matches_the_reference_facts() {
    let Some(rows) = reference() else {
        println!("skipped: ../shared not present");
        return;
    };
    assert_eq!(rows.len(), 301);
    let codes: BTreeSet<&str> = rows.iter().map(|r| r.hex.as_str()).collect();
    assert_eq!(codes.len(), REFERENCE_CODES);
    for c in &codes {
        assert!(catalog::get(parse_code(c).expect("code")).is_some(), "{c} missing");
    }
    let extras: Vec<String> = entries().iter().map(|e| e.hex()).filter(|h| !codes.contains(h.as_str())).collect();
    assert_eq!(extras.len(), EXPECTED_ENTRIES - REFERENCE_CODES, "{extras:?}");
    for r in &rows {
        let e = must(&r.hex);
        assert!(e.contexts.iter().any(|c| c.table == table_of(&r.table)), "{} lacks table {}", r.hex, r.table);
        if !r.name.is_empty() && !r.name.starts_with('(') && r.name != "MgmtServerJobFailed" {
            assert!(e.names.contains(&r.name.as_str()), "{} lacks name {}", r.hex, r.name);
            assert!(same(must(&r.name), e));
        }
        let computed = e.code as i64;
        if r.dec_doc != computed {
            assert!(e.doc_decimal_aliases.contains(&r.dec_doc), "{} lacks alias {}", r.hex, r.dec_doc);
        }
        match r.category.as_str() {
            "AUTH" => assert_eq!(e.category, Category::Auth, "{}", r.hex),
            "NET" => assert_eq!(e.category, Category::Network, "{}", r.hex),
            "CFG" => assert_eq!(e.category, Category::Configuration, "{}", r.hex),
            _ => {}
        }
    }
}

fn words(s: &str) -> Vec<String> {
    // Host names, paths, cmdlets and registry keys are facts that may repeat; compare prose words only.
    s.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty() && !w.contains(['.', '/', '\\', '-', '_', ':']))
        .map(str::to_lowercase)
        .collect()
}

fn shares_run(mine: &str, theirs: &str, n: usize) -> bool {
    let (a, b) = (words(mine), words(theirs));
    let grams: BTreeSet<&[String]> = b.windows(n).collect();
    a.windows(n).any(|w| grams.contains(w))
}

#[test]
fn catalog_texts_are_our_own_words() {
    let Some(rows) = reference() else {
        println!("skipped: ../shared not present");
        return;
    };
    for r in &rows {
        let e = must(&r.hex);
        for theirs in [&r.heading, &r.remediation] {
            let theirs = theirs.trim().trim_end_matches('.').to_lowercase();
            for (what, mine) in [("summary", e.summary), ("explanation", e.explanation), ("remediation", e.remediation)]
            {
                let mine_l = mine.to_lowercase();
                // Longer than 40 characters and a phrase (a lone cmdlet name is a fact, not prose).
                if theirs.chars().count() > 40 && theirs.split_whitespace().count() >= 3 {
                    assert!(!mine_l.contains(&theirs), "{} {what} copies {theirs:?}", r.hex);
                }
                assert_ne!(mine_l.trim_end_matches('.'), theirs, "{} {what} equals the reference", r.hex);
                assert!(!shares_run(mine, &theirs, 10), "{} {what} closely copies {theirs:?}", r.hex);
            }
        }
    }
}

#[test]
fn every_check_lists_the_codes_the_catalog_ties_to_it() {
    for check in crate::checks::all() {
        let mut from_catalog: Vec<String> =
            entries().iter().filter(|e| explaining(&e.hex()).contains(&check.id)).map(|e| hex(e.code)).collect();
        let mut listed: Vec<String> = check.error_codes.iter().map(|c| c.to_string()).collect();
        from_catalog.sort();
        listed.sort();
        assert_eq!(listed, from_catalog, "check {} and the catalog disagree", check.id);
    }
}
