//! Issue 23: every Storage Sync Service of a scope (a management group, several subscriptions, every
//! readable subscription), found through Azure Resource Graph and read from ARM, in one report.

mod support;

use std::sync::Arc;

use fake_arm::topology::roles;
use fake_arm::*;
use filesync_identity::api::{self, CancellationToken, ScopeRequest, Selection, Session, Source};
use filesync_identity::api::{BufferSink, EventSink};
use filesync_identity::model::resource_id::ResourceId;
use filesync_identity::model::snapshot::Snapshot;
use filesync_identity::model::tenant::{Scope, TenantSnapshot};
use support::*;

const SUB_B: &str = "3c5f7b9d-2e4a-4b6c-8d8e-1f2a3b4c5d6e";
const SUB_C: &str = "4d6a8c0e-3f5b-4c7d-9e9f-2a3b4c5d6e7f";
const MG: &str = "mg-files";
const MG_READER_ROLE: &str = "99999999-0000-4000-8000-000000000001";

/// The healthy deployment in SUB; a service without an identity in SUB_B; one in SUB_C, which the caller
/// cannot read. All three subscriptions under MG, whose tree the caller may list.
fn tenant() -> Topology {
    tenant_from(healthy())
}

/// [`tenant`] around another deployment in SUB.
fn tenant_from(d: Deployment) -> Topology {
    let mut t = d
        .topology()
        .with_management_group(ManagementGroupSeed::new(MG, &[SUB, SUB_B, SUB_C]))
        .with_service(ServiceSeed::new(SUB_B, "rg-b", "svc-b"))
        .with_service(ServiceSeed::new(SUB_C, "rg-c", "svc-c"))
        .assign(&format!("/subscriptions/{SUB_B}"), roles::READER, CALLER)
        .assign(&format!("/providers/Microsoft.Management/managementGroups/{MG}"), MG_READER_ROLE, CALLER);
    t.role_definitions.push(RoleDefinitionSeed {
        id: MG_READER_ROLE.into(),
        role_name: "Management Group Reader".into(),
        description: "Read management groups".into(),
        actions: vec![
            "Microsoft.Management/managementGroups/read".into(),
            "Microsoft.Management/managementGroups/descendants/read".into(),
        ],
        ..Default::default()
    });
    t
}

fn scope_source(scope: ScopeRequest) -> Source {
    let scope = Some(scope.to_scope().expect("a valid scope"));
    Source { scope, activity_days: Some(api::ActivityDays::new(0).expect("0 days")), ..Default::default() }
}

async fn runs(fake: &FakeArm, scope: ScopeRequest) -> Vec<TenantSnapshot> {
    let session = Session::new(session_options(fake)).unwrap();
    let sink: Arc<dyn EventSink> = Arc::new(BufferSink::new());
    api::tenant_for(&session, &scope_source(scope), 0, sink, &CancellationToken::new()).await.expect("the run")
}

fn mg(id: &str) -> ScopeRequest {
    ScopeRequest { management_group: Some(id.into()), ..Default::default() }
}

fn subs(ids: &[&str]) -> ScopeRequest {
    ScopeRequest { subscription_ids: Some(ids.iter().map(|s| s.to_string()).collect()), ..Default::default() }
}

fn arg_requests(fake: &FakeArm) -> Vec<serde_json::Value> {
    fake.request_log()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("microsoft.resourcegraph"))
        .map(|r| r.body.unwrap_or_default())
        .collect()
}

/// The Resource Graph queries of a run that ask for storage accounts (the others are discovery's).
fn account_queries(fake: &FakeArm) -> Vec<serde_json::Value> {
    arg_requests(fake)
        .into_iter()
        .filter(|b| b["query"].as_str().is_some_and(|q| q.contains("'microsoft.storage/storageaccounts'")))
        .collect()
}

/// ARM's `GET` of storage accounts (the account itself, not what is under it).
fn arm_account_gets(fake: &FakeArm, name: Option<&str>) -> usize {
    fake.count_by(|r| {
        let p = r.path.split('?').next().unwrap_or("").to_ascii_lowercase();
        let segs: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        r.method == "GET"
            && segs.len() == 8
            && segs[6] == "storageaccounts"
            && name.is_none_or(|n| segs[7] == n.to_ascii_lowercase())
    })
}

/// The snapshot a one-service collection (ARM only, no Activity Log) makes of the service `id`: what
/// `test --resource-id` reads.
async fn collected_alone(fake: &FakeArm, id: &ResourceId) -> Snapshot {
    let session = Session::new(session_options(fake)).unwrap();
    let source = Source {
        target: Some(api::Target(api::TargetSpec::Service(id.clone()))),
        activity_days: Some(api::ActivityDays::new(0).expect("0 days")),
        ..Default::default()
    };
    let sink: Arc<dyn EventSink> = Arc::new(BufferSink::new());
    api::snapshot_for(&session, &source, 0, sink, &CancellationToken::new()).await.expect("the service alone")
}

/// Each snapshot of a run is the snapshot a one-service collection (ARM only) makes of its service, but
/// for when it was taken.
async fn assert_each_as_collected_alone(fake: &FakeArm, run: &TenantSnapshot) {
    for tenant_snapshot in &run.snapshots {
        let id = tenant_snapshot.services[0].id.clone();
        let alone = collected_alone(fake, &id).await;
        let json = |s: &Snapshot| {
            let mut v = serde_json::to_value(s).unwrap();
            v.as_object_mut().unwrap().remove("collectedAt");
            v
        };
        assert!(!tenant_snapshot.storage_accounts.is_empty(), "{id}");
        assert_eq!(json(tenant_snapshot), json(&alone), "{id}");
    }
}

#[tokio::test]
async fn a_scopes_storage_accounts_come_from_one_resource_graph_page_and_each_snapshot_is_arms() {
    let fake = FakeArm::start(two_services_in_one_subscription()).await;
    let run = runs(&fake, subs(&[SUB])).await;
    assert_eq!(run[0].snapshots.len(), 2);
    // No ARM GET of an account (one per account and service before); one Resource Graph page for both.
    assert_eq!(arm_account_gets(&fake, None), 0);
    let queries = account_queries(&fake);
    assert_eq!(queries.len(), 1, "{queries:?}");
    let query = queries[0]["query"].as_str().unwrap().to_ascii_lowercase();
    assert!(query.contains(&format!("/storageaccounts/{ACCOUNT}'")), "{query}");
    assert!(query.contains(&format!("/storageaccounts/{OTHER_ACCOUNT}'")), "{query}");
    assert_eq!(queries[0]["subscriptions"], serde_json::json!([SUB.to_ascii_lowercase()]));
    assert_eq!(queries[0]["options"]["$top"], 1000);
    assert_eq!(run[0].coverage.as_ref().unwrap().resource_graph_requests, 3, "2 to discover, 1 for the accounts");
    // The checks cannot tell where a fact came from: each snapshot is the one ARM gives of its service.
    assert_each_as_collected_alone(&fake, &run[0]).await;
}

#[tokio::test]
async fn an_account_resource_graph_has_not_indexed_yet_is_read_from_arm() {
    let mut t = two_services_in_one_subscription();
    t.resource_graph.unindexed_account_ids.push(format!(
        "/subscriptions/{SUB}/resourceGroups/rg-a2/providers/Microsoft.Storage/storageAccounts/{OTHER_ACCOUNT}"
    ));
    let fake = FakeArm::start(t).await;
    let run = runs(&fake, subs(&[SUB])).await;
    assert_eq!(run[0].snapshots.len(), 2);
    assert_eq!(account_queries(&fake).len(), 1);
    assert_eq!(arm_account_gets(&fake, Some(OTHER_ACCOUNT)), 1, "the one ARG left out, from ARM");
    assert_eq!(arm_account_gets(&fake, None), 1, "the other from Resource Graph");
    assert_each_as_collected_alone(&fake, &run[0]).await;
}

#[tokio::test]
async fn an_account_in_a_subscription_resource_graph_leaves_out_is_read_from_arm() {
    // svc-a2's account lives in SUB_C, which the caller may not read as a whole (Reader on the account
    // only): Resource Graph leaves it out without a word, ARM answers for it.
    let mut t = two_services_in_one_subscription();
    let moved = format!(
        "/subscriptions/{SUB_C}/resourceGroups/rg-a2/providers/Microsoft.Storage/storageAccounts/{OTHER_ACCOUNT}"
    );
    for a in &mut t.storage_accounts {
        if a.name == OTHER_ACCOUNT {
            a.subscription_id = SUB_C.into();
        }
    }
    for s in &mut t.storage_sync_services {
        for g in &mut s.sync_groups {
            for c in &mut g.cloud_endpoints {
                if c.storage_account_resource_id.to_ascii_lowercase().ends_with(OTHER_ACCOUNT) {
                    c.storage_account_resource_id = moved.clone();
                }
            }
        }
    }
    let t = t.assign(&moved, roles::READER, CALLER);
    let fake = FakeArm::start(t).await;
    let run = runs(&fake, subs(&[SUB])).await;
    assert_eq!(run[0].snapshots.len(), 2);
    let queries = account_queries(&fake);
    assert_eq!(queries.len(), 1);
    let mut scope: Vec<String> =
        queries[0]["subscriptions"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    scope.sort();
    let mut both = vec![SUB.to_ascii_lowercase(), SUB_C.to_ascii_lowercase()];
    both.sort();
    assert_eq!(scope, both, "one query over both accounts' subscriptions");
    assert_eq!(arm_account_gets(&fake, Some(OTHER_ACCOUNT)), 1);
    assert_eq!(arm_account_gets(&fake, None), 1);
    let a2 = run[0].snapshots.iter().find(|s| s.services[0].name == "svc-a2").unwrap();
    assert!(a2.storage_accounts.iter().all(|a| a.read), "{:?}", a2.storage_accounts);
    assert_each_as_collected_alone(&fake, &run[0]).await;
}

#[tokio::test]
async fn a_management_group_finds_every_readable_service_and_names_the_unreadable_subscription() {
    let fake = FakeArm::start(tenant()).await;
    let runs = runs(&fake, mg(MG)).await;
    let coverage = runs[0].coverage.clone().expect("coverage");
    assert_eq!(coverage.subscriptions_in_scope, 3);
    assert_eq!(coverage.subscriptions_answered, 2);
    assert_eq!(coverage.unreadable_subscriptions, vec![SUB_C.to_string()]);
    assert_eq!(runs[0].snapshots.len(), 2, "SUB's and SUB_B's services");
    // Discovery: one query for the subscriptions that answer, one for the services; then one page of
    // the services' storage accounts.
    assert_eq!(coverage.resource_graph_requests, 3);
    assert_eq!(arg_requests(&fake).len(), 3);
    assert_eq!(account_queries(&fake).len(), 1);
    let report = api::tenant_report(&runs, &Selection::default()).unwrap();
    // Worst first, one line each; the set's verdict is the worst, never better than incomplete here.
    assert_eq!(report.services.len(), 2);
    assert!(
        report.services[0].id.ends_with("/svc-b"),
        "{:?}",
        report.services.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
    assert_eq!(report.services[1].verdict, "pass");
    assert_ne!(report.verdict, "pass");
    assert!(report.gaps.iter().any(|g| g.contains(SUB_C)), "{:?}", report.gaps);
}

#[tokio::test]
async fn never_a_green_verdict_over_a_partial_scope() {
    // Only the healthy service is readable: its report passes, the set does not.
    let mut t = tenant();
    t.storage_sync_services.retain(|s| s.name != "svc-b");
    let fake = FakeArm::start(t).await;
    let whole = runs(&fake, subs(&[SUB])).await;
    let report = api::tenant_report(&whole, &Selection::default()).unwrap();
    assert_eq!((report.verdict.as_str(), report.exit_code), ("pass", 0), "{:?}", report.gaps);
    let partial = runs(&fake, subs(&[SUB, SUB_C])).await;
    let report = api::tenant_report(&partial, &Selection::default()).unwrap();
    assert_eq!(report.services.len(), 1);
    assert_eq!(report.services[0].verdict, "pass");
    assert_eq!((report.verdict.as_str(), report.exit_code), ("incomplete", 4));
}

/// The Resource Graph client's paging and its reading of a cut answer (`resultTruncated`) are the
/// crate's unit tests (`src/collect/tests/tenant.rs`); here, what a cut answer does to the verdict.
#[tokio::test]
async fn a_cut_answer_is_never_taken_as_complete() {
    let fake = FakeArm::start(tenant()).await;
    // A coverage with a cut answer makes the set incomplete.
    let mut run = runs(&fake, subs(&[SUB])).await;
    run[0].coverage.as_mut().unwrap().truncated = true;
    let report = api::tenant_report(&run, &Selection::default()).unwrap();
    assert_eq!(report.verdict, "incomplete");
    assert!(report.gaps.iter().any(|g| g.contains("resultTruncated")));
}

#[tokio::test]
async fn subscriptions_are_batched_under_300_and_the_quota_is_waited_for_not_overrun() {
    let mut t = tenant();
    // One query a window: discovery's four queries must wait for three resets, with no 429.
    t.resource_graph.quota_per_window = 1;
    t.resource_graph.window_ms = 300;
    let fake = FakeArm::start(t).await;
    let mut ids: Vec<String> = (0..300).map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect();
    ids.push(SUB.to_string());
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let runs = runs(&fake, subs(&refs)).await;
    let bodies = arg_requests(&fake);
    assert_eq!(bodies.len(), 5, "two batches, two queries each, then the accounts' one");
    assert_eq!(account_queries(&fake).len(), 1);
    assert!(bodies.iter().all(|b| b["subscriptions"].as_array().unwrap().len() <= 250));
    assert_eq!(fake.count_by(|r| r.status == 429), 0, "the quota is respected before a 429");
    let coverage = runs[0].coverage.as_ref().unwrap();
    assert_eq!(coverage.unreadable_subscriptions.len(), 300, "subscriptions that do not answer are named");
    assert_eq!(runs[0].snapshots.len(), 1);
}

#[tokio::test]
async fn a_429_is_retried_after_the_quota_resets() {
    let mut t = tenant();
    t.resource_graph.quota_per_window = 1;
    t.resource_graph.window_ms = 400;
    let fake = FakeArm::start(t).await;
    // Another client of the same user spends the window's quota first: the run's first query meets a 429
    // (RateLimiting, no Retry-After) and waits for the reset its answer names.
    let other = reqwest::Client::new()
        .post(format!("{}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01", fake.url()))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({
            "subscriptions": [SUB],
            "query": "resources | where type =~ 'microsoft.storagesync/storagesyncservices' | project id, name, subscriptionId, resourceGroup, location",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "{:?}", other.text().await);
    let runs = runs(&fake, subs(&[SUB])).await;
    assert_eq!(runs[0].snapshots.len(), 1);
    let answers: Vec<u16> = fake
        .request_log()
        .into_iter()
        .filter(|r| r.path.to_ascii_lowercase().contains("microsoft.resourcegraph"))
        .map(|r| r.status)
        .collect();
    assert_eq!(answers.iter().filter(|s| **s == 429).count(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 200).count(), 4, "discovery's two, the accounts' one: {answers:?}");
}

#[tokio::test]
async fn a_service_resource_graph_still_lists_but_arm_dropped_is_gone_not_a_failure() {
    let mut t = tenant();
    let stale = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/gone-yesterday"
    );
    t.resource_graph.stale_service_ids.push(stale.clone());
    let fake = FakeArm::start(t).await;
    let runs = runs(&fake, subs(&[SUB])).await;
    let report = api::tenant_report(&runs, &Selection::default()).unwrap();
    assert_eq!(report.services_gone, vec![stale]);
    assert_eq!(report.services.len(), 1);
    assert_eq!(report.verdict, "pass", "{:?}", report.gaps);
}

#[tokio::test]
async fn plans_over_a_scope_rest_on_arm_not_on_a_lagging_resource_graph() {
    // ARG still lists a deleted service: the plans come from what ARM has, one per service it still has.
    let mut t = tenant();
    let stale = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/gone-yesterday"
    );
    t.resource_graph.stale_service_ids.push(stale);
    let fake = FakeArm::start(t).await;
    let runs = runs(&fake, subs(&[SUB, SUB_B])).await;
    let plans = api::tenant_plans(&runs, api::PlanKind::Repair, api::PlanOptions::default());
    assert_eq!(plans.len(), 2, "one plan per service ARM has, none for the one only ARG lists");
    for plan in &plans {
        let target = plan.target.name.clone().unwrap_or_default();
        assert!(target == SVC || target == "svc-b", "{target}");
        // Every service's facts were read from ARM: the requests name each service's own path.
        assert!(
            fake.count_by(|r| r.method == "GET"
                && r.path
                    .to_ascii_lowercase()
                    .ends_with(&format!("/storagesyncservices/{}", target.to_ascii_lowercase())))
                >= 1
        );
    }
}

#[test]
fn the_cli_reports_a_management_group_worst_first_and_a_report_over_several_snapshot_files() {
    let fake = FakeArm::start_blocking(tenant());
    let out = live_cli(&fake, "test")
        .args(["--management-group", MG, "--activity-days", "0", "--format", "json", "-q"])
        .output()
        .unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(report["exitCode"].as_i64().unwrap() as i32));
    assert_ne!(report["verdict"], "pass");
    assert_eq!(report["services"].as_array().unwrap().len(), 2);
    assert_eq!(report["coverage"][0]["unreadableSubscriptions"][0], SUB_C);
    let table =
        live_cli(&fake, "test").args(["--management-group", MG, "--activity-days", "0", "-q"]).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("Verdict:") && text.contains("svc-b") && text.contains(SUB_C), "{text}");
    // Split runs (one per job), reported together.
    let dir = std::env::temp_dir().join(format!("tenant-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.json");
    let b = dir.join("b.json");
    let ok = live_cli(&fake, "collect")
        .args(["--subscription", SUB, "--subscription", SUB_B, "--activity-days", "0", "-q", "-o"])
        .arg(&a)
        .status()
        .unwrap();
    assert!(ok.success());
    let ok = live_cli(&fake, "collect")
        .args(["--resource-id", &service_id(), "--activity-days", "0", "-q", "-o"])
        .arg(&b)
        .status()
        .unwrap();
    assert!(ok.success());
    let both = cli_command()
        .args(["test", "--format", "json", "--snapshot"])
        .arg(&a)
        .arg("--snapshot")
        .arg(&b)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&both.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&both.stderr)));
    assert_eq!(report["services"].as_array().unwrap().len(), 3);
    assert_eq!(report["services"][0]["verdict"], "fail");
    assert_eq!(both.status.code(), Some(1));
    // repair --what-if over the scope plans each service from ARM and writes nothing.
    let before = fake.write_count();
    let what_if = live_cli(&fake, "repair")
        .args(["--management-group", MG, "--what-if", "--format", "json", "-q"])
        .output()
        .unwrap();
    assert!(what_if.status.success(), "{}", String::from_utf8_lossy(&what_if.stderr));
    let plans: serde_json::Value = serde_json::from_slice(&what_if.stdout).unwrap();
    assert_eq!(plans.as_array().unwrap().len(), 2);
    assert_eq!(fake.write_count(), before);
    let refused = live_cli(&fake, "repair").args(["--management-group", MG, "--yes"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scopes_are_checked_before_any_request() {
    assert!(ScopeRequest::default().to_scope().is_err());
    let both =
        ScopeRequest { management_group: Some("mg".into()), all_subscriptions: Some(true), ..Default::default() };
    assert!(both.to_scope().unwrap_err().to_string().contains("not several"));
    assert!(subs(&["not-a-guid"]).to_scope().is_err());
    assert_eq!(mg("mg-1").to_scope().unwrap(), Scope::ManagementGroup { id: "mg-1".into() });
}

const OTHER_ACCOUNT: &str = "stsyncother";

/// A second service in SUB (beside the healthy one), syncing with an account of its own in SUB; a deny
/// assignment at SUB and a role assignment at the new account.
fn two_services_in_one_subscription() -> Topology {
    let other_account = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-a2/providers/Microsoft.Storage/storageAccounts/{OTHER_ACCOUNT}"
    );
    let svc =
        ServiceSeed::new(SUB, "rg-a2", "svc-a2").with_sync_group(SyncGroupSeed::new("docs").with_cloud_endpoint(
            CloudEndpointSeed::new("c0c0c0c0-0000-4000-8000-0000000000a2", &other_account, "docs"),
        ));
    tenant()
        .with_service(svc)
        .with_storage_account(StorageAccountSeed::new(SUB, "rg-a2", OTHER_ACCOUNT).with_share("docs"))
        .assign(&other_account, roles::READER, P_SVC)
        .with_deny_assignment(DenyAssignmentSeed {
            name: "d0d0d0d0-0000-4000-8000-0000000000a2".into(),
            scope: format!("/subscriptions/{SUB}"),
            actions: vec!["Microsoft.Storage/storageAccounts/delete".into()],
            principals: vec!["00000000-0000-0000-0000-000000000000".into()],
            ..Default::default()
        })
}

fn subscription_lists(fake: &FakeArm, kind: &str) -> usize {
    let path = format!("/subscriptions/{SUB}/providers/microsoft.authorization/{kind}").to_ascii_lowercase();
    fake.count_by(|r| r.method == "GET" && r.path.to_ascii_lowercase() == path)
}

#[tokio::test]
async fn a_subscriptions_assignment_lists_are_read_once_for_all_its_services_and_each_snapshot_is_its_own() {
    let fake = FakeArm::start(two_services_in_one_subscription()).await;
    let run = runs(&fake, subs(&[SUB])).await;
    assert_eq!(run[0].snapshots.len(), 2);
    // Once for the subscription, not once per service (two before).
    assert_eq!(subscription_lists(&fake, "roleAssignments"), 1);
    assert_eq!(subscription_lists(&fake, "denyAssignments"), 1);
    // Each service's snapshot holds what a collection of that service alone holds: the assignments that
    // bear on its own accounts, the subscription's deny assignments, the same errors.
    for tenant_snapshot in &run[0].snapshots {
        let id = tenant_snapshot.services[0].id.clone();
        let alone = collected_alone(&fake, &id).await;
        let ids = |s: &Snapshot| {
            let mut v: Vec<String> = s.role_assignments.iter().map(|a| a.id.to_ascii_lowercase()).collect();
            v.sort();
            v
        };
        assert_eq!(ids(tenant_snapshot), ids(&alone), "{id}");
        assert_eq!(tenant_snapshot.role_assignments, alone.role_assignments, "{id}");
        assert_eq!(tenant_snapshot.deny_assignments, alone.deny_assignments, "{id}");
        assert_eq!(tenant_snapshot.deny_assignments.len(), 1, "{id}");
        assert_eq!(tenant_snapshot.collection_errors, alone.collection_errors, "{id}");
        assert_eq!(tenant_snapshot.storage_accounts, alone.storage_accounts, "{id}");
    }
    let a2 = run[0].snapshots.iter().find(|s| s.services[0].name == "svc-a2").unwrap();
    assert!(a2.role_assignments.iter().all(|a| a.scope.as_str().to_ascii_lowercase().contains(OTHER_ACCOUNT)
        || !a.scope.as_str().to_ascii_lowercase().contains("/storageaccounts/")));
    assert!(a2.role_assignments.iter().any(|a| a.scope.as_str().to_ascii_lowercase().contains(OTHER_ACCOUNT)));
}

#[tokio::test]
async fn a_subscription_refusing_its_assignment_list_is_asked_once_and_each_service_reads_its_own_accounts() {
    // The caller may not list role assignments at SUB: each account's own list is read instead, and the
    // refusal is learnt once for the run, not once per service.
    let mut t = two_services_in_one_subscription();
    t.faults.push(Fault {
        method: Some("GET".into()),
        path_contains: format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments"),
        path_is: None,
        action: FaultAction::Status {
            status: 403,
            code: "AuthorizationFailed".into(),
            message: "The client does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/read'.".into(),
            retry_after: None,
        },
        times: None,
    });
    let fake = FakeArm::start(t).await;
    let run = runs(&fake, subs(&[SUB])).await;
    assert_eq!(run[0].snapshots.len(), 2);
    assert_eq!(subscription_lists(&fake, "roleAssignments"), 1, "the refusal is asked once (twice before)");
    let per_account = fake.count_by(|r| {
        let p = r.path.to_ascii_lowercase();
        r.method == "GET"
            && p.contains("/storageaccounts/")
            && p.ends_with("/providers/microsoft.authorization/roleassignments")
    });
    assert_eq!(per_account, 2, "one list per account: the healthy service's and svc-a2's");
    for tenant_snapshot in &run[0].snapshots {
        let id = tenant_snapshot.services[0].id.clone();
        let alone = collected_alone(&fake, &id).await;
        assert_eq!(tenant_snapshot.role_assignments, alone.role_assignments, "{id}");
        assert_eq!(tenant_snapshot.storage_accounts, alone.storage_accounts, "{id}");
        assert!(tenant_snapshot.storage_accounts.iter().all(|a| a.role_assignments_read), "{id}");
    }
}

#[tokio::test]
async fn an_account_resource_graph_still_shows_stale_is_re_read_from_arm_before_a_repair_writes() {
    // ARM's account trusts Azure services again; Resource Graph still shows it denying them.
    let mut t = two_services_in_one_subscription();
    let mut before = t.storage_accounts.iter().find(|a| a.name == OTHER_ACCOUNT).unwrap().clone();
    before.network_acls.default_action = "Deny".into();
    before.network_acls.bypass = "None".into();
    t.resource_graph.stale_accounts.push(before);
    let fake = FakeArm::start(t).await;
    let run = runs(&fake, subs(&[SUB])).await;
    assert_eq!(arm_account_gets(&fake, None), 0);
    let a2 = run[0].snapshots.iter().find(|s| s.services[0].name == "svc-a2").unwrap();
    let acls = a2.storage_accounts[0].network_acls.clone().unwrap();
    assert_eq!((acls.default_action.as_str(), acls.bypass.as_str()), ("Deny", "None"), "Resource Graph's lag");
    let plans =
        api::tenant_plans(&run, api::PlanKind::Repair, api::PlanOptions { include_security_posture_changes: true });
    let plan = plans.iter().find(|p| p.target.name.as_deref() == Some("svc-a2")).unwrap();
    assert!(
        plan.changes.iter().any(|c| format!("{:?}", c.kind) == "SetStorageTrustedServices"),
        "the stale fact leads to a planned change: {:?}",
        plan.changes.iter().map(|c| format!("{:?}", c.kind)).collect::<Vec<_>>()
    );
    // Apply's live re-read (one service, ARM only) sees ARM's state, not the lagging row: the plan's
    // basis has moved on, and nothing is written on the stale fact.
    let session = Session::new(session_options(&fake)).unwrap();
    let sink: Arc<dyn EventSink> = Arc::new(BufferSink::new());
    let applied = api::apply_plan(&session, plan, &api::ApplyOptions::default(), sink, &CancellationToken::new()).await;
    let e = applied.expect_err("the basis moved on");
    assert_eq!(e.kind(), filesync_identity::error::ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("networkAcls.defaultAction"), "{e}");
    assert_eq!(arm_account_gets(&fake, Some(OTHER_ACCOUNT)), 1, "the live re-read asks ARM");
    assert_eq!(fake.write_count(), 0);
}

/// Azure RBAC: an assignment at a management group is inherited by the subscriptions under it. A scope run
/// reads role assignments from ARM (a subscription's list names those at, above and below it), not from
/// Resource Graph's `authorizationresources` (see docs/tenant.md), so the service's role held at the
/// management group counts as in a one-service run.
#[tokio::test]
async fn a_role_held_at_the_management_group_counts_in_a_scope_run() {
    let mg_scope = format!("/providers/Microsoft.Management/managementGroups/{MG}");
    let mut d = healthy().without_assignment(roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC);
    d.assignments.push((mg_scope.clone(), roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC.into()));
    let fake = FakeArm::start(tenant_from(d)).await;
    let runs = runs(&fake, mg(MG)).await;
    let ours = runs[0]
        .snapshots
        .iter()
        .find(|s| s.services[0].id.as_str().ends_with(&format!("/{SVC}")))
        .expect("SUB's service");
    assert!(
        ours.role_assignments.iter().any(|ra| ra.principal_id == P_SVC && ra.scope.as_str() == mg_scope),
        "{:#?}",
        ours.role_assignments
    );
    let report = api::test_report(ours, &Selection::default(), &[]).unwrap();
    let role: Vec<_> = report.findings.iter().filter(|f| f.check == "cloud-endpoint.service-account-role").collect();
    assert_eq!(role.len(), 1);
    assert_eq!(role[0].status, filesync_identity::model::findings::Status::Pass, "{:#?}", role[0]);
    // Resource Graph was asked for services and rows of the resources table only.
    for q in arg_requests(&fake) {
        let text = q["query"].as_str().unwrap_or_default().to_ascii_lowercase();
        assert!(!text.contains("authorizationresources"), "{text}");
    }
    // The same assignments as a one-service run reads.
    let alone = collected_alone(&fake, &ours.services[0].id).await;
    let json = |s: &Snapshot| serde_json::to_value(&s.role_assignments).unwrap();
    assert_eq!(json(ours), json(&alone));
}
