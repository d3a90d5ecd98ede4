//! Never green by mistake (issue 15): a diagnosis that could not look, or had nothing to look at, is
//! neither exit 0 nor "All checks passed"; a selection that runs no check is refused; counts read right.

mod support;

use fake_arm::*;
use support::*;

/// `test` against the fake for the healthy deployment's service, with `extra` arguments.
fn test_live(fake: &FakeArm, extra: &[&str]) -> (Option<i32>, String, String) {
    let svc = service_id();
    let mut args = vec![
        "test",
        "--arm-endpoint",
        fake.url(),
        "--graph-endpoint",
        fake.graph_url(),
        "--access-token",
        TOKEN,
        "--quiet",
    ];
    args.extend(["--graph-access-token", GRAPH_TOKEN]);
    if !extra.contains(&"--resource-group") {
        args.extend(["--resource-id", svc.as_str()]);
    }
    args.extend(extra);
    run(&args)
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let o = cli_command().args(args).output().unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_healthy_deployment_is_exit_0_and_all_passed() {
    let fake = FakeArm::start_blocking(healthy().topology());
    let (code, out, err) = test_live(&fake, &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("All checks passed."), "{out}");
}

#[test]
fn a_resource_group_without_a_storage_sync_service_is_incomplete_not_healthy() {
    let mut topo = healthy().topology();
    topo.resource_groups.push(ResourceGroupSeed { subscription_id: SUB.into(), name: "rg-typo".into() });
    let fake = FakeArm::start_blocking(topo);
    let (code, out, err) = test_live(&fake, &["--subscription", SUB, "--resource-group", "rg-typo"]);
    assert_eq!(code, Some(filesync_identity::api::EXIT_INCOMPLETE), "{out}{err}");
    assert!(!out.contains("All checks passed"), "{out}");
    assert!(out.contains("Nothing was checked"), "{out}");
}

#[test]
fn unreadable_storage_accounts_make_an_incomplete_diagnosis() {
    // The caller may read the service but not the storage account: the account checks say unknown.
    let mut d = healthy();
    d.assignments.retain(|(_, _, p)| p != CALLER);
    d.assignments.push((service_id(), roles::READER, CALLER.to_string()));
    let fake = FakeArm::start_blocking(d.topology());
    let (code, out, err) = test_live(&fake, &["--check", "storage.shared-key-access"]);
    assert_eq!(code, Some(filesync_identity::api::EXIT_INCOMPLETE), "{out}{err}");
    assert!(out.contains("UNKN"), "{out}");
    assert!(!out.contains("????"), "{out}");
    assert!(out.contains("Incomplete:"), "{out}");
    assert!(out.contains("Summary: 1 finding: "), "{out}");
}

#[test]
fn a_selection_that_runs_no_check_is_refused() {
    let (code, out, err) = run(&["demo", "--check", "storage.lock", "--skip", "storage.*"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("runs no check"), "{err}");
    assert!(out.is_empty(), "{out}");
}

#[test]
fn verdicts_and_counts() {
    use filesync_identity::model::findings::Summary;
    use filesync_identity::report::{count, verdict};
    let s = |total, pass, fail, warning, unknown| Summary { total, pass, fail, warning, unknown, not_applicable: 0 };
    assert_eq!(verdict(&s(2, 1, 1, 0, 0)), "Problems found.");
    assert!(verdict(&s(0, 0, 0, 0, 0)).starts_with("Nothing was checked"));
    assert!(verdict(&s(2, 1, 0, 0, 1)).starts_with("Incomplete"));
    assert_eq!(verdict(&s(2, 1, 0, 1, 0)), "No failures, but look at the warnings.");
    assert_eq!(verdict(&s(2, 2, 0, 0, 0)), "All checks passed.");
    assert_eq!(count(1, "finding", "findings"), "1 finding");
    assert_eq!(count(0, "finding", "findings"), "0 findings");
    assert_eq!(count(2, "warning", "warnings"), "2 warnings");
}

#[test]
fn output_paths_in_missing_folders_fail_before_any_request() {
    let fake = FakeArm::start_blocking(healthy().topology());
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder").join("out.json");
    let missing = missing.to_str().unwrap();
    let common = [
        "--resource-id",
        &service_id(),
        "--arm-endpoint",
        fake.url(),
        "--graph-endpoint",
        fake.graph_url(),
        "--access-token",
        TOKEN,
        "--graph-access-token",
        GRAPH_TOKEN,
    ];
    for args in [vec!["collect", "--output", missing], vec!["repair", "--plan-output", missing]] {
        fake.clear_log();
        let mut all = args.clone();
        all.extend(common.iter().copied());
        let (code, out, err) = run(&all);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(err.contains("does not exist"), "{err}");
        assert_eq!(fake.request_log().len(), 0, "{args:?} sent requests before failing");
    }
}

#[test]
fn small_truths_of_the_command_line() {
    // enable-identity does not offer what only repair does.
    let (_, help, _) = run(&["enable-identity", "--help"]);
    assert!(!help.contains("--include-security-posture-changes"), "{help}");
    let (_, help, _) = run(&["repair", "--help"]);
    assert!(help.contains("--include-security-posture-changes"), "{help}");
    // An unknown format is not taken for a misspelt one.
    let (code, _, err) = run(&["demo", "--format", "xml"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("'xml' is not an output format; the formats are: table, json, markdown, html"), "{err}");
    assert!(!err.contains("similar"), "{err}");
    // -v on a command that reads no Azure says so instead of staying silent.
    let (code, _, err) = run(&["-v", "explain", "0x80c8305f"]);
    assert_eq!(code, Some(0));
    assert!(err.contains("-v shows every request to Azure; explain sends none"), "{err}");
    // A report or a plan given as a snapshot is named for what it is.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let (_, json, _) = run(&["demo", "--format", "json"]);
    std::fs::write(&report, json).unwrap();
    let (code, _, err) = run(&["test", "--snapshot", report.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("is a diagnosis report"), "{err}");
}

#[test]
fn sign_in_explains_itself_and_credentials_fail_alike() {
    let svc = service_id();
    let base = ["test", "--resource-id", svc.as_str(), "--quiet"];
    let run_with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut c = cli_command();
        c.args(base).args(extra);
        // No Azure CLI on PATH: auto has nothing left to try.
        c.env("PATH", "/nonexistent");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    // auto with nothing: every source it tried, why each did not apply, and the VM identity.
    let (code, err) = run_with(&[], &[("AZURE_TENANT_ID", "72f988bf-0000-4000-8000-00000000fa4e")]);
    assert_eq!(code, Some(3), "{err}");
    for said in [
        "AZURE_ACCESS_TOKEN not set",
        "AZURE_FEDERATED_TOKEN_FILE not set",
        "a client secret (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set)",
        "IDENTITY_ENDPOINT, IMDS_ENDPOINT not set",
        "the Azure CLI",
        "--credential managed-identity",
    ] {
        assert!(err.contains(said), "{said}: {err}");
    }
    // A credential that is not all there exits as a refused one does.
    let (code, err) =
        run_with(&["--credential", "client-secret", "--tenant-id", "72f988bf-0000-4000-8000-00000000fa4e"], &[]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("AZURE_CLIENT_ID (or --client-id)"), "{err}");
    let (code, err) = run_with(&["--credential", "access-token"], &[]);
    assert_eq!(code, Some(3), "{err}");
    // --client-id and --tenant-id only where the credential takes them.
    let (code, err) = run_with(&["--client-id", "c"], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--client-id goes with --credential managed-identity"), "{err}");
    let (code, err) = run_with(&["--credential", "azure-arc", "--tenant-id", "t"], &[]);
    assert_eq!(code, Some(2), "{err}");
}
