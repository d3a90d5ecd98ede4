//! Issue 2: the command line: demo, exit codes, bad input, live and offline runs against the fake ARM.

mod support;

use std::process::Output;

use fake_arm::FakeArm;
use support::*;

fn run(args: &[&str]) -> Output {
    cli_command().args(args).output().expect("the binary runs")
}

#[test]
fn demo_prints_a_readable_report_and_exits_1() {
    let o = run(&["demo", "--all"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "the sample has failures");
    assert!(out.contains("Storage Sync Service contoso-filesync"));
    assert!(out.contains("FAIL  storage.trusted-services"));
    // Long commands go on lines of their own, under their run: line (issue 15), joined by PowerShell's
    // line continuation.
    assert!(out.contains("run:\n    New-AzRoleAssignment"), "{out}");
    assert!(out.contains(" `\n      "), "{out}");
    assert!(out.contains("Summary:"));
    assert!(!out.contains('\x1b'), "no colour when stdout is not a terminal");
}

#[test]
fn the_table_opens_with_the_causes_and_counts_the_passes() {
    let o = run(&["demo"]);
    let (out, _) = text(&o);
    let body: Vec<&str> = out.lines().skip_while(|l| !l.is_empty()).skip(1).collect();
    assert!(body[0].starts_with("Needs attention: 10 causes (15 findings)"), "{out}");
    // One root cause, one entry: the role at the wrong scope carries the missing role and the live error.
    let entry = out.split("\n\n").find(|e| e.contains("FAIL  role.wrong-share-scope")).expect("the wrong-scope cause");
    assert!(entry.contains("also FAIL server-endpoint.server-share-role"), "{entry}");
    assert!(entry.contains("also FAIL sync.live-errors"), "{entry}");
    assert_eq!(out.matches("FAIL  role.wrong-share-scope").count(), 1);
    // Passing findings are a count unless --all; what a repair would do and what needs a person are said.
    assert!(!out.contains("PASS  "), "{out}");
    assert!(out.contains("Not shown: 66 pass, 19 not applicable (--all lists every finding by resource)."), "{out}");
    assert!(out.contains("A repair would make 4 changes"), "{out}");
    // The server without an identity, and the wrong-scope assignment to delete (repair grants the right
    // one but deletes nothing): each one step.
    assert!(out.contains("2 steps need a person:\n  - FS03.corp.contoso.com: "), "{out}");
    assert!(
        out.contains(
            "  - finance (sync group finance): Delete the Storage File Data Privileged Contributor assignment"
        ),
        "{out}"
    );
    // Only a line holding a word too long for any line (an ARM id) runs past 100 columns.
    for l in out.lines().filter(|l| l.len() > 100) {
        assert!(l.split(' ').any(|w| w.len() > 60), "{l}");
    }
}

#[test]
fn demo_json_is_stable() {
    let o = run(&["demo", "--format", "json"]);
    let (out, _) = text(&o);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    // Version 2 added `causes` and `syncGroups`.
    assert_eq!(v["schemaVersion"], 2);
    // Every problem finding is in exactly one cause; no passing finding is in any.
    let findings = v["findings"].as_array().unwrap();
    let mut seen = vec![0; findings.len()];
    for c in v["causes"].as_array().unwrap() {
        assert_eq!(c["findings"][0], c["finding"]);
        for i in c["findings"].as_array().unwrap() {
            seen[i.as_u64().unwrap() as usize] += 1;
        }
    }
    for (f, n) in findings.iter().zip(&seen) {
        let problem = ["fail", "warning", "unknown"].contains(&f["status"].as_str().unwrap());
        assert_eq!(*n, usize::from(problem), "{f}");
    }
    assert!(v["findings"].as_array().unwrap().len() > 20);
    assert_eq!(
        v["summary"]["fail"].as_u64().unwrap() as usize,
        v["findings"].as_array().unwrap().iter().filter(|f| f["status"] == "fail").count()
    );
    // The output is byte-for-byte the golden file (regenerate with UPDATE_GOLDEN=1 after a deliberate change).
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo.json");
    let normalized =
        out.replace(&format!("\"toolVersion\": \"{}\"", env!("CARGO_PKG_VERSION")), "\"toolVersion\": \"VERSION\"");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &normalized).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).expect("tests/golden/demo.json exists");
    assert_eq!(normalized, expected, "demo JSON changed; if deliberate, rerun with UPDATE_GOLDEN=1");
}

#[test]
fn list_checks_documents_every_check() {
    let o = run(&["list-checks", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in ["service.identity", "server-endpoint.server-share-role", "storage.legacy-sync-principal"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(v.as_array().unwrap().iter().all(|c| !c["description"].as_str().unwrap().is_empty()));
}

#[test]
fn check_selection() {
    let o = run(&["demo", "--format", "json", "--check", "storage.*"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["check"].as_str().unwrap().starts_with("storage.")));
    let o = run(&["demo", "--check", "no.such-check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("unknown check 'no.such-check'"));
}

#[test]
fn bad_input_gets_a_clear_message_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["test", "--resource-id", "/subscriptions/nope/resourceGroups/x"], "not a GUID"),
        (&["test", "--resource-id", "/subscriptions/2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa"], "not a Storage Sync Service id"),
        (&["test", "--subscription", "2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d", "-g", "rg", "-n", "svc", "--cloud", "Mars"], "unknown cloud 'Mars'"),
        (&["test", "--subscription", "2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d", "-g", "r?g", "-n", "svc"], "do not allow"),
        (&["test", "--subscription", "2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d", "-g", "rg", "-n", "svc", "--arm-endpoint", "http://example.com"], "not loopback"),
        (&["test", "--snapshot", "/nonexistent/snap.json"], "cannot read the snapshot"),
        (&["test"], "say what to diagnose"),
    ];
    for (args, needle) in cases {
        let o = run(args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: expected '{needle}' in: {err}");
    }
}

#[test]
fn corrupt_or_foreign_snapshots_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("cut.json", "{\"schemaVersion\": 1, \"services\": [", "not valid JSON"),
        ("future.json", "{\"schemaVersion\": 99}", "schemaVersion 99"),
        ("other.json", "{\"hello\": 1}", "no 'schemaVersion'"),
        ("shape.json", "{\"schemaVersion\": 1, \"collectedAt\": \"2026-01-01T00:00:00Z\", \"target\": {\"kind\": \"service\", \"subscriptionId\": \"x\"}, \"services\": 5, \"storageAccounts\": [], \"roleAssignments\": []}", "services"),
    ];
    for (name, body, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let o = run(&["test", "--snapshot", p.to_str().unwrap()]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(needle), "{name}: expected '{needle}' in: {err}");
    }
}

#[test]
fn live_test_collect_and_offline_test_agree() {
    let fake = FakeArm::start_blocking(
        healthy().without_assignment(fake_arm::roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC).topology(),
    );
    let common = ["--subscription", SUB, "--resource-group", RG, "--name", SVC];
    let live = live_cli(&fake, "test").args(common).args(["--format", "json"]).output().unwrap();
    let (live_out, live_err) = text(&live);
    assert_eq!(live.status.code(), Some(1), "{live_err}");
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let c = live_cli(&fake, "collect").args(common).args(["--output", snap.to_str().unwrap()]).output().unwrap();
    let (_, c_err) = text(&c);
    assert_eq!(c.status.code(), Some(0), "{c_err}");
    assert!(c_err.contains("Wrote"), "{c_err}");
    let offline = run(&["test", "--snapshot", snap.to_str().unwrap(), "--format", "json"]);
    assert_eq!(offline.status.code(), Some(1));
    let a: serde_json::Value = serde_json::from_str(&live_out).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert_eq!(a["findings"], b["findings"]);
    // The token appears nowhere: not in output, not in the snapshot.
    for s in [live_out, live_err, c_err, std::fs::read_to_string(&snap).unwrap()] {
        assert!(!s.contains(TOKEN), "the token leaked");
    }
}

#[test]
fn healthy_live_run_exits_0_and_azure_errors_exit_3() {
    let fake = FakeArm::start_blocking(healthy().topology());
    let o = live_cli(&fake, "test").args(["--resource-id", &service_id(), "-q"]).output().unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("All checks passed."));
    // A wrong token: Azure refuses, exit 3, and the message says what to do.
    let o = cli_command()
        .args(["test", "--resource-id", &service_id(), "--arm-endpoint", fake.url(), "-q"])
        .env("AZURE_ACCESS_TOKEN", "wrong-token")
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("sign in again"), "{err}");
    assert!(err.contains("request id"), "{err}");
}

#[test]
fn verbose_shows_requests_with_their_request_ids() {
    let fake = FakeArm::start_blocking(healthy().topology());
    let o = cli_command()
        .args([
            "-v",
            "test",
            "--resource-id",
            &service_id(),
            "--arm-endpoint",
            fake.url(),
            "--graph-endpoint",
            fake.graph_url(),
        ])
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .env("AZURE_GRAPH_ACCESS_TOKEN", GRAPH_TOKEN)
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert!(err.contains("GET /subscriptions/"), "{err}");
    assert!(err.contains("-> 200"), "{err}");
    let ids: Vec<String> = fake.request_log().iter().map(|r| r.request_id.clone()).collect();
    assert!(ids.iter().any(|id| err.contains(id.as_str())), "no request id from the server appears in: {err}");
    assert!(!err.contains(TOKEN));
}

#[test]
fn explain_accepts_every_spelling_and_says_so_for_unknown_codes() {
    for spelling in [
        "0x80c8305f",
        "0X80C8305F",
        "80c8305f",
        "-2134364065",
        "2160603231",
        "ecs_e_external_storage_account_authorization_failed",
    ] {
        let o = run(&["explain", spelling]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{spelling}: {err}");
        assert!(out.contains("0x80c8305f") || out.contains("0x80C8305F"), "{spelling}: {out}");
        assert!(out.contains("ECS_E_EXTERNAL_STORAGE_ACCOUNT_AUTHORIZATION_FAILED"), "{spelling}: {out}");
    }
    let o = run(&["explain", "0x80c8305e"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("unknown"), "{err}");
    assert!(err.contains("0x80c8305f"), "near matches are suggested: {err}");
    let o = run(&["explain", "--format", "json", "0x80c86063"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["checks"].as_array().unwrap().iter().any(|c| c == "server-endpoint.server-share-role"));
}

#[test]
fn test_list_checks_flag_matches_the_subcommand() {
    let flag = run(&["test", "--list-checks", "--format", "json"]);
    let sub = run(&["list-checks", "--format", "json"]);
    assert_eq!(flag.status.code(), Some(0));
    assert_eq!(flag.stdout, sub.stdout);
    let v: serde_json::Value = serde_json::from_slice(&flag.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), filesync_identity::api::list_checks().len());
}

/// A wrong `--check` is refused before the collection, not after it: no request reaches Azure.
#[test]
fn a_wrong_check_is_refused_before_anything_is_read() {
    let fake = FakeArm::start_blocking(healthy().topology());
    let o = cli_command()
        .args(["test", "--resource-id", &service_id(), "--arm-endpoint", fake.url(), "--check", "no.such-check"])
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown check 'no.such-check'"), "{err}");
    assert!(fake.request_log().is_empty(), "{:?}", fake.request_log());
}
