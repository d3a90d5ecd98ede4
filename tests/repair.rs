//! Issue 4: plans, apply, and the `repair` / `enable-identity` / `apply` commands, against the fake ARM.

mod support;

use std::collections::BTreeSet;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use fake_arm::{roles, FakeArm, Fault, FaultAction};
use filesync_identity::api::{ApplyOptions, ApplyReport, ChangeKind, Outcome, Plan, PlanKind, PlanOptions};
use filesync_identity::model::findings::Status;
use filesync_identity::ErrorKind;
use support::*;

const PERMISSION_CHECKS: [&str; 4] = [
    "cloud-endpoint.service-account-role",
    "cloud-endpoint.service-share-role",
    "server-endpoint.server-share-role",
    "storage.legacy-sync-principal",
];

fn failing_permission_findings(run: &Run) -> usize {
    PERMISSION_CHECKS
        .iter()
        .flat_map(|c| run.of(c))
        .filter(|f| matches!(f.status, Status::Fail | Status::Warning))
        .count()
}

fn outcomes(report: &ApplyReport) -> Vec<Outcome> {
    report.results.iter().map(|r| r.outcome).collect()
}

#[tokio::test]
async fn what_if_sends_zero_writes() {
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    let plan = plan_live(&fake, PlanKind::Repair).await;
    assert!(plan.changes.len() >= 8, "{}", filesync_identity::report::render_plan_table(&plan));
    fake.clear_log();
    let report = apply_plan(&fake, &plan, &ApplyOptions { what_if: true, ..fast_apply() }).await.unwrap();
    assert!(report.what_if);
    assert!(outcomes(&report).iter().all(|o| *o == Outcome::WouldChange), "{report:#?}");
    assert_eq!(writes_in_log(&fake), Vec::<String>::new());
    assert_eq!(fake.write_count(), 0);
    assert_eq!(report.summary.writes_sent, 0);
    assert!(report.summary.message.contains("nothing was sent"));
    // It did read the live state (the plan's basis) before answering.
    assert!(fake.request_log().iter().any(|r| r.method == "GET"));

    // The same for the full switch on a shared-key deployment: no PATCH, no PUT.
    let fake = FakeArm::start(shared_key_mixed().topology()).await;
    let plan = plan_live(&fake, PlanKind::EnableIdentity).await;
    fake.clear_log();
    let report = apply_plan(&fake, &plan, &ApplyOptions { what_if: true, ..fast_apply() }).await.unwrap();
    assert!(!report.results.is_empty());
    assert_eq!(writes_in_log(&fake), Vec::<String>::new());
    assert_eq!(fake.pending_operations(), 0);
}

#[tokio::test]
async fn repair_turns_every_failing_permission_check_to_pass_and_a_second_run_writes_nothing() {
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    let before = diagnose(&fake).await;
    assert!(failing_permission_findings(&before) >= 8, "{:#?}", before.problems());
    let (plan, report) = plan_and_apply(&fake, PlanKind::Repair, &fast_apply()).await;
    let report = report.unwrap();
    assert_eq!(report.summary.failed, 0, "{report:#?}");
    assert_eq!(report.summary.created, plan.changes.len());
    assert_eq!(report.exit_code(), 0);
    // Every assignment was sent with principalType ServicePrincipal under its deterministic name.
    for r in fake.request_log().iter().filter(|r| r.method == "PUT") {
        let body = r.body.as_ref().unwrap();
        assert_eq!(body["properties"]["principalType"], "ServicePrincipal");
        let name = r.path.rsplit('/').next().unwrap();
        let scope = r.path.split("/providers/Microsoft.Authorization/").next().unwrap();
        let role = body["properties"]["roleDefinitionId"].as_str().unwrap().rsplit('/').next().unwrap();
        let principal = body["properties"]["principalId"].as_str().unwrap();
        // Under the name the plan gave that grant (which name that is: the crate's unit tests,
        // `repair::tests`).
        let planned =
            plan.changes.iter().find(|c| c.request.path.eq_ignore_ascii_case(&r.path)).expect("a planned PUT");
        let g = planned.grant.as_ref().expect("a grant");
        assert_eq!(name, planned.request.path.rsplit('/').next().unwrap());
        assert!(g.scope.eq_ignore_ascii_case(scope) && g.role_guid.eq_ignore_ascii_case(role), "{planned:#?}");
        assert!(g.principal_id.eq_ignore_ascii_case(principal), "{planned:#?}");
    }
    let after = diagnose(&fake).await;
    for check in PERMISSION_CHECKS {
        for f in after.of(check) {
            assert!(
                matches!(f.status, Status::Pass | Status::NotApplicable),
                "{check} still {:?}: {}",
                f.status,
                f.message
            );
        }
    }
    assert_eq!(failing_permission_findings(&after), 0);

    // A second run: nothing left to plan, and applying the old plan again sends no write.
    fake.clear_log();
    let (again, report2) = plan_and_apply(&fake, PlanKind::Repair, &fast_apply()).await;
    assert!(again.changes.is_empty(), "{}", filesync_identity::report::render_plan_table(&again));
    assert_eq!(report2.unwrap().summary.total, 0);
    let old = apply_plan(&fake, &plan, &fast_apply()).await.unwrap();
    assert!(outcomes(&old).iter().all(|o| *o == Outcome::AlreadyPresent), "{old:#?}");
    assert_eq!(writes_in_log(&fake), Vec::<String>::new());
}

#[tokio::test]
async fn a_just_created_identity_is_assigned_without_a_fixed_sleep() {
    let d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2);
    let fake = FakeArm::start(d.topology()).await;
    let plan = plan_live(&fake, PlanKind::Repair).await;
    assert_eq!(plan.changes.len(), 1);
    // The server's identity appears in the directory now and replicates for 1.5 s.
    fake.remove_principal(P_S2);
    let fake2 = FakeArm::start({
        let mut t = d.topology();
        t.principal_replication_delay_ms = 1500;
        t
    })
    .await;
    let plan = plan_live(&fake2, PlanKind::Repair).await;
    let started = Instant::now();
    let report = apply_plan(&fake2, &plan, &fast_apply()).await.unwrap();
    let took = started.elapsed();
    assert_eq!(outcomes(&report), vec![Outcome::Created], "{report:#?}");
    let not_found = fake2.count_by(|r| r.error_code.as_deref() == Some("PrincipalNotFound"));
    assert!(not_found >= 1, "the principal was not replicated at first");
    // Back-off, not a fixed sleep: done soon after the principal replicated (1.5 s after start).
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(report.results[0].message.contains("replicate"), "{}", report.results[0].message);
    assert!(assignment_set(&fake2).contains(&(
        share_scope().to_ascii_lowercase(),
        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.into(),
        P_S2.to_ascii_lowercase()
    )));

    // A principal that never appears fails after the bounded time, with ARM's code.
    let options = ApplyOptions { principal_not_found_timeout: Duration::from_millis(300), ..fast_apply() };
    let started = Instant::now();
    let report = apply_plan(&fake, &plan_live(&fake, PlanKind::Repair).await, &options).await;
    // P_S2 was removed from the directory: it is no longer part of any snapshot-independent check, so the
    // change is sent and fails with PrincipalNotFound after the bound.
    let report = report.unwrap();
    assert_eq!(report.results[0].outcome, Outcome::Failed, "{report:#?}");
    assert_eq!(report.results[0].arm_code.as_deref(), Some("PrincipalNotFound"));
    assert!(report.results[0].request_id.is_some());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn a_403_on_one_account_leaves_the_others_done_and_reported() {
    // ARM refuses the writes on the second account.
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    fake.inject(Fault::new(
        "PUT",
        &format!("storageAccounts/{ACCOUNT2}"),
        FaultAction::status(403, "AuthorizationFailed", "The client does not have authorization"),
    ));
    let (plan, report) = plan_and_apply(&fake, PlanKind::Repair, &fast_apply()).await;
    let report = report.unwrap();
    let on2 = |id: &str| {
        plan.changes.iter().find(|c| c.id == id).unwrap().request.path.to_ascii_lowercase().contains(ACCOUNT2)
    };
    assert!(report.results.iter().any(|r| on2(&r.id)) && report.results.iter().any(|r| !on2(&r.id)));
    for r in &report.results {
        if on2(&r.id) {
            assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
            assert_eq!(r.arm_code.as_deref(), Some("AuthorizationFailed"));
            assert!(r.request_id.is_some(), "the request id is reported");
        } else {
            assert_eq!(r.outcome, Outcome::Created, "{r:#?}");
        }
    }
    assert_eq!(report.exit_code(), 1);
    assert!(report.summary.message.contains("failed"), "{}", report.summary.message);
    let after = diagnose(&fake).await;
    for f in PERMISSION_CHECKS.iter().flat_map(|c| after.of(c)) {
        let on_second = f.scope.as_deref().unwrap_or(&f.resource_id).to_ascii_lowercase().contains(ACCOUNT2)
            || f.resource_id.contains("c0c0c0c0-0000-4000-8000-000000000002")
            || f.resource_id.contains("e0e0e0e0-0000-4000-8000-000000000003")
            || f.resource_id.contains("e0e0e0e0-0000-4000-8000-000000000004");
        if !on_second {
            assert!(matches!(f.status, Status::Pass | Status::NotApplicable), "{}: {}", f.check, f.message);
        }
    }

    // The caller may write role assignments on the first account only: the rights check sees it first
    // and sends nothing to the second.
    let mut d = broken_with_keys();
    d.assignments.retain(|(_, _, p)| p != CALLER);
    d.assignments.push((format!("/subscriptions/{SUB}"), roles::READER, CALLER.to_string()));
    d.assignments.push((account_id(), roles::OWNER, CALLER.to_string()));
    let fake = FakeArm::start(d.topology()).await;
    let plan = plan_live(&fake, PlanKind::Repair).await;
    fake.clear_log();
    let report = apply_plan(&fake, &plan, &fast_apply()).await.unwrap();
    for r in &report.results {
        if on2_path(&plan, &r.id) {
            assert_eq!(r.outcome, Outcome::Failed);
            assert!(r.message.contains("Microsoft.Authorization/roleAssignments/write"), "{}", r.message);
            assert!(r.message.contains(ACCOUNT2), "{}", r.message);
        } else {
            assert_eq!(r.outcome, Outcome::Created, "{r:#?}");
        }
    }
    assert!(
        writes_in_log(&fake).iter().all(|w| !w.to_ascii_lowercase().contains(ACCOUNT2)),
        "{:?}",
        writes_in_log(&fake)
    );

    // With no right anywhere, apply stops before any write, naming the scope and the action.
    let mut d = broken_with_keys();
    d.assignments.retain(|(_, _, p)| p != CALLER);
    d.assignments.push((format!("/subscriptions/{SUB}"), roles::CONTRIBUTOR, CALLER.to_string()));
    let fake = FakeArm::start(d.topology()).await;
    let plan = plan_live(&fake, PlanKind::Repair).await;
    fake.clear_log();
    let e = apply_plan(&fake, &plan, &fast_apply()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authorization);
    assert!(e.to_string().contains("Microsoft.Authorization/roleAssignments/write"), "{e}");
    assert!(e.to_string().contains(ACCOUNT), "{e}");
    assert_eq!(fake.write_count(), 0);
}

fn on2_path(plan: &Plan, id: &str) -> bool {
    plan.changes.iter().find(|c| c.id == id).unwrap().request.path.to_ascii_lowercase().contains(ACCOUNT2)
}

#[tokio::test]
async fn a_run_killed_half_way_and_run_again_ends_like_one_clean_run() {
    // The reference: one clean run.
    let clean = FakeArm::start(broken_with_keys().topology()).await;
    plan_and_apply(&clean, PlanKind::Repair, &fast_apply()).await.1.unwrap();
    let want = assignment_set(&clean);

    let fake = FakeArm::start(broken_with_keys().topology()).await;
    fake.set_latency_ms(40);
    let plan = plan_live(&fake, PlanKind::Repair).await;
    fake.clear_log();
    // One answer is lost after ARM processed the write (the client retries: same name, no duplicate).
    fake.inject(Fault::new("PUT", "roleAssignments", FaultAction::TruncatedBody).times(1));
    let opts = session_options(&fake);
    let task = tokio::spawn({
        let plan = plan.clone();
        async move {
            let session = filesync_identity::api::Session::new(opts).unwrap();
            let sink = std::sync::Arc::new(filesync_identity::api::NullSink);
            filesync_identity::api::apply_plan(&session, &plan, &fast_apply(), sink, &Default::default()).await
        }
    });
    // Kill it once a few writes went through.
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.write_count() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    let _ = task.await;
    let half = assignment_set(&fake);
    assert!(half.len() < want.len(), "the run was stopped half way ({} of {})", half.len(), want.len());
    fake.set_latency_ms(0);
    // Run again: it converges.
    let (_, report) = plan_and_apply(&fake, PlanKind::Repair, &fast_apply()).await;
    assert_eq!(report.unwrap().summary.failed, 0);
    let got = assignment_set(&fake);
    assert_eq!(got, want);
    let unique: BTreeSet<_> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no duplicate assignment");
    assert_eq!(assignment_tuples(&fake), assignment_tuples(&clean), "the same names as a clean run");
    // And the interrupted plan itself can be applied again: everything is already there.
    fake.clear_log();
    let r = apply_plan(&fake, &plan, &fast_apply()).await.unwrap();
    assert!(outcomes(&r).iter().all(|o| *o == Outcome::AlreadyPresent));
    assert_eq!(fake.write_count(), 0);
}

#[tokio::test]
async fn a_cancelled_run_says_so_and_a_rerun_finishes() {
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    let plan = plan_live(&fake, PlanKind::Repair).await;
    fake.clear_log();
    fake.set_latency_ms(40);
    let cancel = filesync_identity::api::CancellationToken::new();
    let options = fast_apply();
    let run = async { apply_plan_with(&fake, &plan, &options, &cancel).await.0 };
    let stop = async {
        while fake.write_count() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        cancel.cancel();
    };
    let (report, ()) = tokio::join!(run, stop);
    let report = report.unwrap();
    assert!(report.summary.cancelled, "{report:#?}");
    assert_eq!(report.exit_code(), 130);
    assert!(report.summary.created >= 1 && report.summary.skipped >= 1, "{report:#?}");
    assert!(report.summary.message.contains("run again"));
    fake.set_latency_ms(0);
    let (_, again) = plan_and_apply(&fake, PlanKind::Repair, &fast_apply()).await;
    let again = again.unwrap();
    assert_eq!(again.summary.failed, 0);
    // The write in flight when the run was cancelled may have happened: the re-run does the rest, once.
    assert!(again.summary.created + report.summary.created <= plan.changes.len());
    assert_eq!(failing_permission_findings(&diagnose(&fake).await), 0);
    let set = assignment_set(&fake);
    assert_eq!(set.iter().collect::<BTreeSet<_>>().len(), set.len(), "no duplicate assignment");
}

#[tokio::test]
async fn enable_identity_on_a_shared_key_deployment_with_mixed_servers() {
    let mut t = shared_key_mixed().topology();
    t.lro_delay_ms = 150;
    t.lro_retry_after_secs = 0;
    // The new service identity takes a moment to replicate: its grants wait for it.
    t.principal_replication_delay_ms = 400;
    let fake = FakeArm::start(t).await;
    tokio::time::sleep(Duration::from_millis(450)).await; // seeded principals replicated
    let plan = plan_live(&fake, PlanKind::EnableIdentity).await;
    let kinds: Vec<ChangeKind> = plan.changes.iter().map(|c| c.kind).collect();
    assert_eq!(kinds.first(), Some(&ChangeKind::EnableServiceIdentity));
    assert!(kinds.contains(&ChangeKind::SetUseIdentity));
    assert_eq!(kinds.iter().filter(|k| **k == ChangeKind::SetServerIdentity).count(), 1);
    // Placeholders for the principal that does not exist yet.
    let placeholder: Vec<_> = plan.changes.iter().filter(|c| c.principal_from.is_some()).collect();
    assert_eq!(placeholder.len(), 2);
    assert!(placeholder
        .iter()
        .all(|c| c.request.body["properties"]["principalId"] == filesync_identity::api::PRINCIPAL_PLACEHOLDER));
    // Server 2 is not skipped silently.
    assert_eq!(plan.manual_steps.len(), 1);
    assert!(plan.manual_steps[0].message.contains("Azure Arc") && plan.manual_steps[0].message.contains("fs2"));

    let started = Instant::now();
    let (report, events) = apply_plan_with(&fake, &plan, &fast_apply(), &Default::default()).await;
    let report = report.unwrap();
    assert_eq!(report.summary.failed, 0, "{report:#?}");
    assert_eq!(report.summary.created, plan.changes.len());
    assert!(started.elapsed() < Duration::from_secs(6));
    assert_eq!(report.manual_steps.len(), 1);
    // One progress event per change.
    let progress = events
        .drain()
        .into_iter()
        .filter(|e| matches!(e, filesync_identity::api::Event::Progress { activity, .. } if activity == "Applying the plan"))
        .count();
    assert!(progress > plan.changes.len());

    let svc = fake.service(SUB, RG, SVC).unwrap();
    assert_eq!(svc["properties"]["useIdentity"], true);
    assert!(svc["identity"]["principalId"].as_str().is_some());
    let s1 = fake.registered_server(SUB, RG, SVC, SERVER1).unwrap();
    assert_eq!(s1["properties"]["activeAuthType"], "ManagedIdentity");
    assert_eq!(s1["properties"]["applicationId"], P_S1);

    // `test` passes for everything that could be fixed: only server 2's own findings remain.
    let run = diagnose(&fake).await;
    for check in [
        "service.identity",
        "service.use-identity",
        "cloud-endpoint.service-account-role",
        "cloud-endpoint.service-share-role",
        "storage.legacy-sync-principal",
    ] {
        assert!(run.statuses(check).iter().all(|s| *s == Status::Pass), "{check}: {:?}", run.of(check));
    }
    assert_eq!(run.one("server.auth-mode", SERVER1).status, Status::Pass);
    // Server 2 has no identity: it keeps using keys (a warning since issue 20), and nothing fails.
    let fails: Vec<_> = run.report.findings.iter().filter(|f| f.status == Status::Fail).collect();
    assert!(fails.is_empty(), "{fails:#?}");
    assert_eq!(run.one("server.identity", SERVER2).status, Status::Warning);

    // A second run changes nothing.
    fake.clear_log();
    let (again, r) = plan_and_apply(&fake, PlanKind::EnableIdentity, &fast_apply()).await;
    assert!(again.changes.is_empty(), "{}", filesync_identity::report::render_plan_table(&again));
    assert_eq!(again.manual_steps.len(), 1);
    assert_eq!(r.unwrap().summary.total, 0);
    assert_eq!(fake.write_count(), 0);
}

#[tokio::test]
async fn a_failed_service_patch_skips_what_depends_on_it() {
    let mut t = shared_key_mixed().topology();
    t.lro_retry_after_secs = 0;
    let fake = FakeArm::start(t).await;
    fake.inject(
        Fault::new(
            "PATCH",
            "storageSyncServices/sync-prod",
            FaultAction::FailOperation { code: "InternalServerError".into(), message: "boom".into() },
        )
        .times(1),
    );
    let (plan, report) = plan_and_apply(&fake, PlanKind::EnableIdentity, &fast_apply()).await;
    let report = report.unwrap();
    assert_eq!(report.results[0].outcome, Outcome::Failed);
    assert_eq!(report.results[0].arm_code.as_deref(), Some("InternalServerError"));
    for (c, r) in plan.changes.iter().zip(&report.results).skip(1) {
        if c.principal_from.is_some() || c.kind == ChangeKind::SetUseIdentity || c.kind == ChangeKind::SetServerIdentity
        {
            assert_eq!(r.outcome, Outcome::Skipped, "{r:#?}");
            assert!(r.message.contains("needs"), "{}", r.message);
        } else {
            // Grants for identities that exist already do not depend on the service.
            assert_eq!(r.outcome, Outcome::Created, "{r:#?}");
        }
    }
    assert_eq!(fake.count_by(|r| r.method == "PATCH"), 1);
}

#[tokio::test]
async fn plan_files_round_trip_and_a_stale_plan_is_refused() {
    let mut d = broken_with_keys();
    d.service.use_identity = false;
    let mut t = d.topology();
    t.lro_retry_after_secs = 0;
    let fake = FakeArm::start(t).await;
    let plan = plan_live(&fake, PlanKind::Repair).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    plan.save(&path).unwrap();
    let loaded = Plan::load(&path).unwrap();
    assert_eq!(loaded, plan);
    // (That the fingerprint is the facts': the crate's unit tests, `repair::tests`.)

    // A hand-edited plan that grants Owner is refused as a file.
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["changes"][0]["grant"]["roleGuid"] = roles::OWNER.into();
    let e = Plan::from_value(v).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFile);

    // The file spells out each request's method, the one of its change's kind, first in the request.
    let file = plan_live(&fake, PlanKind::EnableIdentity).await.to_json_pretty();
    for part in file.split("\"request\": {").skip(1) {
        let at = |key: &str| part.find(&format!("\"{key}\": ")).unwrap();
        assert!(part.trim_start().starts_with("\"method\": \"P"), "{part}");
        assert!(at("path") < at("apiVersion") && at("apiVersion") < at("body"), "{part}");
    }
    let saved: serde_json::Value = serde_json::from_str(&file).unwrap();
    let changes = saved["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["kind"] == "roleAssignment") && changes.iter().any(|c| c["kind"] != "roleAssignment")
    );
    for c in changes {
        let want = if c["kind"] == "roleAssignment" { "PUT" } else { "PATCH" };
        assert_eq!(c["request"]["method"], want, "{c:#}");
    }
    // A request whose method is not its kind's is refused, and says why.
    let grant = changes.iter().position(|c| c["kind"] == "roleAssignment").unwrap();
    let mut v = saved.clone();
    v["changes"][grant]["request"]["method"] = "PATCH".into();
    let e = Plan::from_value(v).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFile);
    assert!(e.to_string().contains("a role assignment is a PUT"), "{e}");
    let patch = changes.iter().position(|c| c["kind"] != "roleAssignment").unwrap();
    let mut v = saved.clone();
    v["changes"][patch]["request"]["method"] = "PUT".into();
    let e = Plan::from_value(v).unwrap_err();
    assert!(e.to_string().contains("PATCHes"), "{e}");
    // A reason names a registered check: a made-up id is refused by name.
    let mut v = saved.clone();
    v["changes"][0]["reasons"][0]["check"] = "service.no-such-check".into();
    let e = Plan::from_value(v).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidFile);
    assert!(e.to_string().contains("service.no-such-check"), "{e}");

    // The live state moves on (someone switched the service to its identity): apply refuses, writes nothing.
    let svc = service_id();
    patch_as_caller(&fake, &svc, "2022-09-01", &serde_json::json!({"properties": {"useIdentity": true}})).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.pending_operations() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    fake.clear_log();
    let e = apply_plan(&fake, &loaded, &fast_apply()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.to_string().contains("useIdentity"), "{e}");
    assert_eq!(fake.write_count(), 0);

    // The command line says so, with exit code 2.
    let o = cli_command()
        .args([
            "apply",
            "--plan",
            path.to_str().unwrap(),
            "--yes",
            "--arm-endpoint",
            fake.url(),
            "--graph-endpoint",
            fake.graph_url(),
        ])
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .env("AZURE_GRAPH_ACCESS_TOKEN", GRAPH_TOKEN)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("moved on"), "{err}");
    assert_eq!(fake.write_count(), 0);
}

// ---------------------------------------------------------------------------------------------------
// The command line

#[tokio::test]
async fn command_line_repair() {
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    // --what-if: the plan, no write.
    let o = cli(&fake, &["repair", "--what-if"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("Plan (repair)") && out.contains("Grant Storage File Data Privileged Contributor"), "{out}");
    assert!(out.contains("request: PUT /subscriptions/"), "{out}");
    assert_eq!(writes_in_log(&fake), Vec::<String>::new());
    // No terminal and no --yes: refused, no write.
    let o = cli(&fake, &["repair"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--yes") && err.contains("not a terminal"), "{err}");
    assert_eq!(fake.write_count(), 0);
    // --plan-output: a plan file, no write; then apply it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("repair-plan.json");
    let o = cli(&fake, &["repair", "--plan-output", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let plan = Plan::load(&file).unwrap();
    assert!(!plan.changes.is_empty());
    assert_eq!(fake.write_count(), 0);
    let o = cli_command()
        .args([
            "apply",
            "--plan",
            file.to_str().unwrap(),
            "--yes",
            "--format",
            "json",
            "--arm-endpoint",
            fake.url(),
            "--graph-endpoint",
            fake.graph_url(),
        ])
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .env("AZURE_GRAPH_ACCESS_TOKEN", GRAPH_TOKEN)
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["created"].as_u64().unwrap() as usize, plan.changes.len());
    assert_eq!(v["results"][0]["outcome"], "created");
    // Run again with --yes: nothing to do, no write.
    fake.clear_log();
    let o = cli(&fake, &["repair", "--yes"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("Nothing to change"), "{out}");
    assert_eq!(fake.write_count(), 0);
}

#[tokio::test]
async fn command_line_enable_identity_what_if() {
    let fake = FakeArm::start(shared_key_mixed().topology()).await;
    let o = cli(&fake, &["enable-identity", "--what-if", "--format", "json"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let plan = Plan::from_json(&out).unwrap();
    assert_eq!(plan.kind, PlanKind::EnableIdentity);
    assert_eq!(plan.changes[0].kind, ChangeKind::EnableServiceIdentity);
    assert_eq!(plan.manual_steps.len(), 1);
    let o = cli(&fake, &["enable-identity", "--what-if"]);
    let (out, _) = text(&o);
    assert!(out.contains("Manual steps") && out.contains("Azure Arc"), "{out}");
    assert!(out.contains("{assignmentName}"), "{out}");
    assert_eq!(writes_in_log(&fake), Vec::<String>::new());
}

#[tokio::test]
async fn command_line_exit_codes_for_failures() {
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    fake.inject(Fault::new(
        "PUT",
        &format!("storageAccounts/{ACCOUNT2}"),
        FaultAction::status(403, "AuthorizationFailed", "no"),
    ));
    let o = cli(&fake, &["repair", "--yes"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(out.contains("FAILED") && out.contains("DONE") && out.contains("Summary:"), "{out}");
    // A plan file that is not a plan: bad input.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nope.json");
    std::fs::write(&file, "{\"hello\": 1}").unwrap();
    let o = cli_command().args(["apply", "--plan", file.to_str().unwrap(), "--yes"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("not a filesync-identity plan"));
}

#[tokio::test]
async fn the_api_plans_and_applies_selected_changes() {
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    let session = filesync_identity::api::Session::new(session_options(&fake)).unwrap();
    let sink: std::sync::Arc<dyn filesync_identity::api::EventSink> =
        std::sync::Arc::new(filesync_identity::api::NullSink);
    let cancel = filesync_identity::api::CancellationToken::new();
    let plan = filesync_identity::api::execute(
        &session,
        &serde_json::json!({"operation": "plan", "kind": "repair", "target": {"resourceId": service_id()}}),
        sink.clone(),
        &cancel,
    )
    .await
    .unwrap();
    let ids: Vec<String> =
        plan["changes"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.len() >= 2);
    fake.clear_log();
    let report = filesync_identity::api::execute(
        &session,
        &serde_json::json!({"operation": "apply", "plan": plan, "only": [ids[0]]}),
        sink.clone(),
        &cancel,
    )
    .await
    .unwrap();
    assert_eq!(report["results"][0]["outcome"], "created");
    assert!(report["results"].as_array().unwrap()[1..].iter().all(|r| r["outcome"] == "skipped"));
    assert_eq!(fake.count_by(|r| r.is_write()), 1);
    let e = filesync_identity::api::execute(
        &session,
        &serde_json::json!({"operation": "apply", "plan": plan, "only": ["no-such-change"]}),
        sink,
        &cancel,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

// ---------------------------------------------------------------------------------------------------
// Re-runs after an interrupted run, and changes made out of band

async fn wait_for_operations(fake: &FakeArm) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.pending_operations() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn apply_file(fake: &FakeArm, file: &std::path::Path) -> Output {
    cli_command()
        .args(["apply", "--plan", file.to_str().unwrap(), "--yes", "--format", "json"])
        .args(["--arm-endpoint", fake.url(), "--graph-endpoint", fake.graph_url()])
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .env("AZURE_GRAPH_ACCESS_TOKEN", GRAPH_TOKEN)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_plan_whose_changes_were_partly_made_since_is_applied_without_repeating_them() {
    let mut t = shared_key_mixed().topology();
    t.lro_retry_after_secs = 0;
    let fake = FakeArm::start(t).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("enable.json");
    let o = cli(&fake, &["enable-identity", "--plan-output", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let plan = Plan::load(&file).unwrap();
    let by_kind = |k: ChangeKind| plan.changes.iter().find(|c| c.kind == k).unwrap().clone();
    let (enable, server) = (by_kind(ChangeKind::EnableServiceIdentity), by_kind(ChangeKind::SetServerIdentity));

    // An interrupted run's writes land after the plan was made: the service identity and server 1's
    // switch, exactly as the plan would send them.
    for c in [&enable, &server] {
        patch_as_caller(&fake, &c.request.path, &c.request.api_version, &c.request.body).await;
    }
    wait_for_operations(&fake).await;
    let principal = fake.service(SUB, RG, SVC).unwrap()["identity"]["principalId"].as_str().unwrap().to_string();
    fake.clear_log();

    let o = apply_file(&fake, &file);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}\n{out}");
    let report: ApplyReport = serde_json::from_str(&out).unwrap();
    let outcome = |id: &str| report.results.iter().find(|r| r.id == id).unwrap().outcome;
    assert_eq!(outcome(&enable.id), Outcome::AlreadyPresent, "{report:#?}");
    assert_eq!(outcome(&server.id), Outcome::AlreadyPresent, "{report:#?}");
    assert_eq!(report.summary.failed, 0, "{report:#?}");
    assert_eq!(report.summary.already_present, 2, "{report:#?}");
    // No write for them: one PATCH only (useIdentity), and the grants went to the identity made out of band.
    let patches: Vec<_> = fake.request_log().into_iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(patches.len(), 1, "{:?}", writes_in_log(&fake));
    assert_eq!(patches[0].body.as_ref().unwrap(), &serde_json::json!({"properties": {"useIdentity": true}}));
    assert!(fake.role_assignments().iter().any(|ra| ra.principal_id.eq_ignore_ascii_case(&principal)));
    let run = diagnose(&fake).await;
    assert_eq!(run.one("server.auth-mode", SERVER1).status, Status::Pass);
    assert!(run.statuses("service.use-identity").iter().all(|s| *s == Status::Pass));

    // The same plan once more: everything is in effect, nothing is sent.
    fake.clear_log();
    let o = apply_file(&fake, &file);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert_eq!(fake.write_count(), 0, "{:?}", writes_in_log(&fake));
}

#[tokio::test]
async fn a_fact_that_moved_elsewhere_still_refuses_the_plan_and_names_it() {
    // The plan lets trusted services through account 1's firewall (bypass None -> AzureServices).
    let fake = FakeArm::start(posture_broken().topology()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("repair.json");
    let o = cli(&fake, &["repair", "--include-security-posture-changes", "--plan-output", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert!(Plan::load(&file).unwrap().changes.iter().any(|c| c.kind == ChangeKind::SetStorageTrustedServices));
    // Someone sets the bypass to a third value: neither what the plan was made from nor what it sets.
    let acls = serde_json::json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "Logging",
        "ipRules": [{"value": "203.0.113.10"}]}}});
    patch_as_caller(&fake, &account_id(), "2023-05-01", &acls).await;
    fake.clear_log();
    let o = apply_file(&fake, &file);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("moved on"), "{err}");
    let fact = format!("networkAcls.bypass of storage account '{}'", account_id().to_ascii_lowercase());
    assert!(err.contains(&format!("{fact}: planned from [], live [logging]")), "{err}");
    assert_eq!(fake.write_count(), 0);

    // A fact moving to what the plan sets is fine; the same fact moving back the other way is not.
    let fake = FakeArm::start(shared_key_mixed().topology()).await;
    let plan = plan_live(&fake, PlanKind::EnableIdentity).await;
    let server = plan.changes.iter().find(|c| c.kind == ChangeKind::SetServerIdentity).unwrap();
    let other = serde_json::json!({"properties": {"identity": true, "applicationId": P_S1}});
    assert_eq!(server.request.body, other, "the plan switches server 1 to its identity");
    // Server 1's registration changes role (a third value for that fact): refused.
    let mut d = shared_key_mixed();
    d.server_mut(SERVER1).server_role = "ClusterNode".into();
    let moved = FakeArm::start(d.topology()).await;
    let e = apply_plan(&moved, &plan, &fast_apply()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains(&format!("registered server '{SERVER1}'")), "{e}");
    assert!(e.to_string().contains("standalone") && e.to_string().contains("clusternode"), "{e}");
    assert_eq!(moved.write_count(), 0);
}

// ---------------------------------------------------------------------------------------------------
// Storage settings (security posture changes) against the fake's storage account PATCH

/// `broken_with_keys()`, plus: account 1's firewall lets no trusted service through (its IP rule and a resource
/// instance rule must survive the fix), and account 2 has key access off while server 2 still uses keys.
fn posture_broken() -> Deployment {
    let mut d = broken_with_keys();
    d.account.network_acls.bypass = "None".into();
    d.account.network_acls.resource_access_rules.push(fake_arm::ResourceAccessRuleSeed {
        tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        resource_id: format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Synapse/workspaces/ws1"),
    });
    d.extra_accounts[0].allow_shared_key_access = Some(false);
    d
}

#[tokio::test]
async fn posture_changes_are_applied_and_turn_the_storage_checks_to_pass() {
    let fake = FakeArm::start(posture_broken().topology()).await;
    let before = diagnose(&fake).await;
    assert_eq!(before.one("storage.trusted-services", ACCOUNT).status, Status::Fail);
    assert_eq!(before.one("storage.shared-key-access", ACCOUNT2).status, Status::Fail);
    assert_eq!(before.one("storage.network-access", ACCOUNT).status, Status::Pass);

    // --what-if: the storage PATCHes are shown, none is sent.
    let o = cli(&fake, &["repair", "--include-security-posture-changes", "--what-if"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(out.matches("SECURITY POSTURE CHANGE").count(), 2, "{out}");
    assert!(out.contains(&format!("request: PATCH {}", account_id())), "{out}");
    assert_eq!(writes_in_log(&fake), Vec::<String>::new());

    let o = cli(&fake, &["repair", "--include-security-posture-changes", "--yes", "--format", "json"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}\n{out}");
    // The plan, then the report.
    let docs: Vec<serde_json::Value> =
        serde_json::Deserializer::from_str(&out).into_iter().collect::<Result<_, _>>().unwrap();
    let report: ApplyReport = serde_json::from_value(docs.last().unwrap().clone()).unwrap();
    assert_eq!(report.summary.failed, 0, "{report:#?}");
    let posture: Vec<_> = report
        .results
        .iter()
        .filter(|r| matches!(r.kind, ChangeKind::SetStorageTrustedServices | ChangeKind::SetStorageSharedKeyAccess))
        .collect();
    assert_eq!(posture.len(), 2, "{report:#?}");
    assert!(posture.iter().all(|r| r.outcome == Outcome::Created), "{posture:#?}");
    let storage_patches =
        fake.count_by(|r| r.method == "PATCH" && r.path.contains("Microsoft.Storage/storageAccounts"));
    assert_eq!(storage_patches, 2);

    let after = diagnose(&fake).await;
    for check in ["storage.trusted-services", "storage.shared-key-access"] {
        assert!(after.statuses(check).iter().all(|s| *s == Status::Pass), "{check}: {:#?}", after.of(check));
    }
    // No plan touches network access; the fix kept account 1's IP rule, so the servers still get in.
    assert_eq!(after.one("storage.network-access", ACCOUNT).status, Status::Pass);
    assert_eq!(
        after.one("storage.network-access", ACCOUNT2).status,
        before.one("storage.network-access", ACCOUNT2).status
    );
    assert_eq!(failing_permission_findings(&after), 0);
    // The rules the firewall had are all still there.
    let acls = &fake.storage_account(SUB, RG_STORAGE, ACCOUNT).unwrap()["properties"]["networkAcls"];
    assert_eq!(acls["defaultAction"], "Deny");
    assert_eq!(acls["bypass"], "AzureServices");
    assert_eq!(acls["ipRules"], serde_json::json!([{"value": "203.0.113.10", "action": "Allow"}]));
    assert_eq!(acls["resourceAccessRules"].as_array().unwrap().len(), 1, "{acls}");
    let account2 = fake.storage_account(SUB, RG_STORAGE, ACCOUNT2).unwrap();
    assert_eq!(account2["properties"]["allowSharedKeyAccess"], true);

    // A second run writes nothing.
    fake.clear_log();
    let o = cli(&fake, &["repair", "--include-security-posture-changes", "--yes"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("Nothing to change"), "{out}");
    assert_eq!(fake.write_count(), 0, "{:?}", writes_in_log(&fake));
}

#[tokio::test]
async fn a_403_on_a_storage_patch_fails_that_change_only() {
    // A deny assignment blocks storage account writes on account 2 for the caller. The caller's
    // permissions do not show deny assignments, so the PATCH is sent and ARM refuses it.
    let mut t = posture_broken().topology();
    t.deny_assignments.push(fake_arm::DenyAssignmentSeed {
        name: "no-storage-writes".into(),
        scope: account2_id(),
        actions: vec!["Microsoft.Storage/storageAccounts/write".into()],
        principals: vec![CALLER.into()],
        ..Default::default()
    });
    let fake = FakeArm::start(t).await;
    let run = diagnose(&fake).await;
    let plan = filesync_identity::api::plan(
        &run.snapshot,
        PlanKind::Repair,
        PlanOptions { include_security_posture_changes: true },
    );
    let report = apply_plan(&fake, &plan, &fast_apply()).await.unwrap();
    let failed: Vec<_> = report.results.iter().filter(|r| r.outcome == Outcome::Failed).collect();
    assert_eq!(failed.len(), 1, "{report:#?}");
    let f = failed[0];
    assert_eq!(f.kind, ChangeKind::SetStorageSharedKeyAccess);
    assert_eq!(f.arm_code.as_deref(), Some("AuthorizationFailed"));
    assert_eq!(f.error_kind, Some(filesync_identity::error::ErrorKind::Authorization));
    assert!(f.request_id.as_deref().is_some_and(|q| !q.is_empty()), "{f:#?}");
    assert!(f.title.contains(ACCOUNT2) && f.path.as_deref().is_some_and(|p| p.contains(ACCOUNT2)), "{f:#?}");
    assert!(f.message.contains("Microsoft.Storage/storageAccounts/write"), "{}", f.message);
    // Everything else was done.
    assert!(report.results.iter().filter(|r| r.id != f.id).all(|r| r.outcome == Outcome::Created), "{report:#?}");
    assert_eq!(report.exit_code(), 1);
    let table = filesync_identity::report::render_apply_table(&report);
    assert!(table.contains("AuthorizationFailed") && table.contains(f.request_id.as_deref().unwrap()), "{table}");
    let after = diagnose(&fake).await;
    assert_eq!(after.one("storage.trusted-services", ACCOUNT).status, Status::Pass);
    assert_eq!(after.one("storage.shared-key-access", ACCOUNT2).status, Status::Fail);
}
