//! Issue 14, items 5 and 9: a registered server's identity seen from its machine's side (Microsoft Graph's
//! service principal names the machine in `alternativeNames`; ARM shows the machine's identity now), and
//! Microsoft Graph asked only at its own endpoint with a token for Graph.

mod support;

use fake_arm::*;
use filesync_identity::api::SessionOptions;
use filesync_identity::model::findings::Status;
use filesync_identity::model::snapshot::MachineLookup;
use support::*;

const CHECK: &str = "server.machine-identity";
/// The identity fs1's machine has after a reset.
const P_NEW: &str = "5a5a5a5a-0000-4000-8000-0000000000f1";

fn graph_requests(fake: &FakeArm) -> Vec<LoggedRequest> {
    fake.request_log().into_iter().filter(|r| r.path.starts_with("/v1.0/")).collect()
}

fn machine_reads(fake: &FakeArm) -> Vec<LoggedRequest> {
    fake.request_log()
        .into_iter()
        .filter(|r| {
            let p = r.path.to_ascii_lowercase();
            p.contains("/providers/microsoft.hybridcompute/machines/")
                || p.contains("/providers/microsoft.compute/virtualmachines/")
        })
        .collect()
}

/// fs1's machine was reset: it now has P_NEW, and the directory has P_NEW's service principal.
fn reset_fs1(d: &mut Deployment) {
    d.machines[0].principal_id = Some(P_NEW.into());
}

/// Collect with `options` and run the checks.
async fn diagnose_with(options: SessionOptions) -> Run {
    let days = filesync_identity::api::limits::ACTIVITY_DAYS.default;
    let (snapshot, events) = collect_with(&options, service_target(), days).await.expect("collection");
    let report = report_of(&snapshot);
    Run { snapshot, report, events }
}

#[tokio::test]
async fn a_machine_whose_identity_is_the_servers_passes_arc_and_vm_alike() {
    let fake = FakeArm::start(healthy().topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.statuses(CHECK), vec![Status::Pass, Status::Pass], "{:#?}", run.of(CHECK));
    let f1 = run.one(CHECK, SERVER1);
    assert_eq!(f1.scope.as_deref(), Some(machine1_id().as_str()));
    let f2 = run.one(CHECK, SERVER2);
    assert!(f2.message.contains("Azure VM 'fs2'"), "{}", f2.message);
    // What was collected, and how.
    let m = run.snapshot.services[0].registered_servers.iter().find(|s| s.server_id == SERVER1).unwrap();
    let m = m.machine.as_ref().expect("machine collected");
    assert_eq!(m.lookup, MachineLookup::MachineRead);
    assert_eq!(m.service_principal_type.as_deref(), Some("ManagedIdentity"));
    assert_eq!(m.machine_principal_id.as_deref(), Some(P_S1));
    // One Graph lookup and one ARM read per server, reads only, Graph with $select.
    let graph = graph_requests(&fake);
    let lookups: Vec<_> =
        graph.iter().filter(|r| r.path.to_ascii_lowercase().starts_with("/v1.0/serviceprincipals/")).collect();
    assert_eq!(lookups.len(), 2, "{graph:#?}");
    for r in &lookups {
        assert_eq!(r.status, 200);
        assert_eq!(r.param("$select"), Some("id,alternativeNames,servicePrincipalType"), "{r:?}");
    }
    let reads = machine_reads(&fake);
    assert_eq!(reads.len(), 2, "{reads:#?}");
    assert!(reads.iter().all(|r| r.method == "GET" && r.status == 200), "{reads:#?}");
    assert_eq!(fake.write_count(), 0);
}

#[tokio::test]
async fn a_reset_machine_identity_is_a_failure_fixed_by_set_azstoragesyncserver_identity() {
    let mut d = healthy();
    reset_fs1(&mut d);
    // Graph still has the former identity's principal, naming the machine (the lag the fix is for).
    d.graph_principals.push(ServicePrincipalSeed::managed_identity(P_S1, &machine1_id(), "fs1"));
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one(CHECK, SERVER1);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.message.contains(P_NEW) && f.message.contains(P_S1), "{}", f.message);
    let cmd = f.command.as_deref().unwrap();
    assert_eq!(
        cmd,
        format!("Set-AzStorageSyncServer -ResourceGroupName '{RG}' -StorageSyncServiceName '{SVC}' -ServerId '{SERVER1}' -Identity")
    );
    assert_eq!(run.one(CHECK, SERVER2).status, Status::Pass);
}

#[tokio::test]
async fn an_identity_graph_no_longer_has_is_a_failure() {
    let mut d = healthy();
    reset_fs1(&mut d);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one(CHECK, SERVER1);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.message.contains("no longer exists"), "{}", f.message);
    // Graph said 404; with no machine named, ARM was asked only for fs2's.
    assert!(graph_requests(&fake).iter().any(|r| r.path.contains(P_S1) && r.status == 404));
    assert_eq!(machine_reads(&fake).len(), 1);
}

#[tokio::test]
async fn a_graph_403_is_unknown_and_names_the_graph_permission() {
    let mut topo = healthy().topology();
    topo.tokens.get_mut(GRAPH_TOKEN).unwrap().graph = false;
    let fake = FakeArm::start(topo).await;
    let run = diagnose(&fake).await;
    for f in run.of(CHECK) {
        assert_eq!(f.status, Status::Unknown, "{f:#?}");
        let fix = f.remediation.as_deref().unwrap_or_default();
        assert!(fix.contains("Application.Read.All"), "{fix}");
        assert!(!fix.contains("Owner"), "{fix}");
    }
    assert!(machine_reads(&fake).is_empty());
    // Graph is not asked again and again once it refused: at most one lookup per server, however many.
    let lookups = graph_requests(&fake).into_iter().filter(|r| r.path.contains(P_S1) || r.path.contains(P_S2)).count();
    assert!(lookups <= 2, "{lookups}");
    // The Microsoft.StorageSync lookup's reason names the Graph permission too, not an Azure role.
    let why = run.snapshot.storage_sync_principal_source.clone().unwrap_or_default();
    assert!(why.contains("Application.Read.All"), "{why}");
}

#[tokio::test]
async fn machines_that_cannot_be_read_are_unknown_with_what_to_do() {
    // fs1's machine: ARM refuses (403); fs2's: Graph names a VM that is not there (404).
    let mut d = healthy();
    d.machines.retain(|m| m.name != "fs2");
    d.graph_principals.push(ServicePrincipalSeed::managed_identity(P_S2, &machine2_id(), "fs2"));
    let mut topo = d.topology();
    topo.faults.push(Fault::new(
        "GET",
        "Microsoft.HybridCompute/machines/fs1",
        FaultAction::forbidden(
            "The client does not have authorization to perform action 'Microsoft.HybridCompute/machines/read'.",
        ),
    ));
    let fake = FakeArm::start(topo).await;
    let run = diagnose(&fake).await;
    let f1 = run.one(CHECK, SERVER1);
    assert_eq!(f1.status, Status::Unknown, "{f1:#?}");
    assert!(f1.remediation.as_deref().unwrap_or_default().contains("Reader"), "{f1:#?}");
    let f2 = run.one(CHECK, SERVER2);
    assert_eq!(f2.status, Status::Unknown, "{f2:#?}");
    assert!(f2.message.contains("not found (404)"), "{}", f2.message);
    assert!(machine_reads(&fake)
        .iter()
        .any(|r| r.status == 404 && r.error_code.as_deref() == Some("ResourceNotFound")));
}

#[tokio::test]
async fn the_arm_token_alone_never_reaches_graph() {
    let fake = FakeArm::start(healthy().topology()).await;
    // An ARM token without a Graph token, the Graph endpoint given: Graph is not asked at all.
    let options = SessionOptions {
        credential: Some(filesync_identity::api::CredentialOptions::access_token(TOKEN)),
        ..session_options(&fake)
    };
    let run = diagnose_with(options).await;
    assert!(graph_requests(&fake).is_empty(), "{:#?}", graph_requests(&fake));
    assert!(fake.request_log().iter().all(|r| r.status != 401), "a token went to the wrong audience");
    for f in run.of(CHECK) {
        assert_eq!(f.status, Status::Unknown, "{f:#?}");
        assert!(f.reason.as_deref().unwrap_or_default().contains("no token for Microsoft Graph"), "{f:#?}");
    }
    let why = run.snapshot.storage_sync_principal_source.clone().unwrap_or_default();
    assert!(why.starts_with("unknown:") && why.contains("Graph"), "{why}");
}

#[tokio::test]
async fn a_custom_arm_endpoint_without_a_graph_endpoint_sends_nothing_to_graph() {
    let fake = FakeArm::start(healthy().topology()).await;
    let options = SessionOptions { graph_endpoint: None, ..session_options(&fake) };
    let run = diagnose_with(options).await;
    assert!(graph_requests(&fake).is_empty(), "{:#?}", graph_requests(&fake));
    assert!(machine_reads(&fake).is_empty());
    assert_eq!(run.statuses(CHECK), vec![Status::Unknown, Status::Unknown]);
    assert!(run.one(CHECK, SERVER1).remediation.as_deref().unwrap_or_default().contains("--graph-endpoint"));
}

#[test]
fn one_endpoint_for_arm_and_graph_is_refused_before_any_request() {
    let fake = FakeArm::start_blocking(healthy().topology());
    let o = cli_command()
        .args(["test", "--resource-id", &service_id(), "--arm-endpoint", fake.url(), "--graph-endpoint", fake.url()])
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("different audiences"), "{err}");
    assert!(fake.request_log().is_empty());
}

#[test]
fn the_cli_reports_a_reset_machine_identity_and_takes_a_graph_token() {
    let mut d = healthy();
    reset_fs1(&mut d);
    d.graph_principals.push(ServicePrincipalSeed::managed_identity(P_S1, &machine1_id(), "fs1"));
    let fake = FakeArm::start_blocking(d.topology());
    let o = cli_command()
        .args([
            "test",
            "--resource-id",
            &service_id(),
            "--arm-endpoint",
            fake.url(),
            "--graph-endpoint",
            fake.graph_url(),
        ])
        .args(["--access-token", TOKEN, "--graph-access-token", GRAPH_TOKEN, "--format", "json", "--check", CHECK])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fails: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["status"] == "fail").collect();
    assert_eq!(fails.len(), 1, "{out}");
    assert!(fails[0]["command"].as_str().unwrap().contains("-Identity"), "{out}");
    for s in [&out, &err] {
        assert!(!s.contains(TOKEN) && !s.contains(GRAPH_TOKEN), "a token leaked");
    }
}
