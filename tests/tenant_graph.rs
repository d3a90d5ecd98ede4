//! Issue 23: in a run over a scope, the servers' machines (Azure Arc-enabled servers, Azure VMs) come from
//! Resource Graph's `resources` table with the storage accounts, in the same queries, and each service's
//! snapshot is still the one its one-service collection (ARM only) makes; ARM reads what Resource Graph
//! leaves out. Through the public request API only.
//!
//! Resource Graph does not write every id as ARM does (its `id` can carry a resource group lower-cased
//! where ARM's answer has capitals; see the fake's `arg.rs` for the sources): the run still takes its
//! rows, and names every resource as the one-service collection (ARM's answers and the resources that
//! refer to them) does.

mod support;

use std::sync::Arc;

use fake_arm::*;
use filesync_identity::api::{
    self, BufferSink, CancellationToken, EventSink, ScopeRequest, Selection, Session, Source,
};
use filesync_identity::model::snapshot::Snapshot;
use filesync_identity::model::tenant::TenantSnapshot;
use serde_json::{json, Value};
use support::*;

fn sink() -> Arc<dyn EventSink> {
    Arc::new(BufferSink::new())
}

fn days0() -> Option<api::ActivityDays> {
    Some(api::ActivityDays::new(0).expect("0 days"))
}

/// A run over the subscription SUB.
async fn scope_run(fake: &FakeArm) -> TenantSnapshot {
    let session = Session::new(session_options(fake)).unwrap();
    let scope = ScopeRequest { subscription_ids: Some(vec![SUB.to_string()]), ..Default::default() };
    let source = Source { scope: Some(scope.to_scope().unwrap()), activity_days: days0(), ..Default::default() };
    let mut runs = api::tenant_for(&session, &source, 0, sink(), &CancellationToken::new()).await.expect("the run");
    assert_eq!(runs.len(), 1);
    runs.remove(0)
}

/// The one-service collection of `id` (ARM only).
async fn alone(fake: &FakeArm, id: &str) -> Snapshot {
    let session = Session::new(session_options(fake)).unwrap();
    let target: api::Target = serde_json::from_value(json!({ "resourceId": id })).expect("a target");
    let source = Source { target: Some(target), activity_days: days0(), ..Default::default() };
    api::snapshot_for(&session, &source, 0, sink(), &CancellationToken::new()).await.expect("the collection")
}

fn without_time(s: &Snapshot) -> Value {
    let mut v = serde_json::to_value(s).unwrap();
    v.as_object_mut().unwrap().remove("collectedAt");
    v
}

/// ARM's `GET`s of machines (Arc machines and VMs) in the fake's log, by lower-case id.
fn arm_machine_gets(fake: &FakeArm) -> Vec<String> {
    fake.request_log()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path.split('?').next().unwrap_or("").to_ascii_lowercase())
        .filter(|p| {
            p.contains("/providers/microsoft.hybridcompute/machines/")
                || p.contains("/providers/microsoft.compute/virtualmachines/")
        })
        .collect()
}

/// The Resource Graph queries that ask for rows by id (the others are discovery's).
fn row_queries(fake: &FakeArm) -> Vec<String> {
    fake.request_log()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("microsoft.resourcegraph"))
        .filter_map(|r| r.body.and_then(|b| b["query"].as_str().map(str::to_string)))
        .filter(|q| q.contains("where id in~"))
        .collect()
}

/// Each snapshot of the run is its service's one-service collection, but for when it was taken.
async fn assert_each_as_collected_alone(fake: &FakeArm, run: &TenantSnapshot) {
    assert!(!run.snapshots.is_empty());
    for s in &run.snapshots {
        let id = s.services[0].id.as_str().to_string();
        let arm = alone(fake, &id).await;
        assert_eq!(without_time(s), without_time(&arm), "{id}");
    }
}

/// The healthy deployment with its Arc server disconnected, so that what the machines' rows carry (the
/// identities, the agent's status) differs from a default.
fn deployment() -> Deployment {
    let mut d = healthy();
    d.machines[0] = d.machines[0].clone().with_status("Disconnected");
    d
}

#[tokio::test]
async fn a_scopes_machines_come_from_resource_graph_and_each_snapshot_is_arms() {
    let fake = FakeArm::start(deployment().topology()).await;
    let run = scope_run(&fake).await;
    // No ARM GET of a machine (one per server before): their rows came with the storage account's, in
    // one query.
    assert_eq!(arm_machine_gets(&fake), Vec::<String>::new());
    let queries = row_queries(&fake);
    assert_eq!(queries.len(), 1, "{queries:?}");
    for id in [machine1_id(), machine2_id(), account_id()] {
        assert!(queries[0].contains(&format!("'{}'", id.to_ascii_lowercase())), "{id}: {}", queries[0]);
    }
    // What the rows said reached the snapshot.
    let servers = &run.snapshots[0].services[0].registered_servers;
    let machine = |name: &str| {
        servers
            .iter()
            .find_map(|s| s.machine.as_ref().filter(|m| m.resource_id.as_deref().is_some_and(|r| r.ends_with(name))))
            .expect(name)
    };
    assert_eq!(machine("/fs1").machine_principal_id.as_deref(), Some(P_S1));
    assert_eq!(machine("/fs1").machine_status.as_deref(), Some("Disconnected"));
    assert_eq!(machine("/fs2").machine_principal_id.as_deref(), Some(P_S2));
    assert_eq!(machine("/fs2").machine_status, None);
    // And the snapshot is the one ARM alone gives (which reads each machine).
    let before = arm_machine_gets(&fake).len();
    assert_each_as_collected_alone(&fake, &run).await;
    assert_eq!(arm_machine_gets(&fake).len(), before + 2);
}

#[tokio::test]
async fn a_machine_resource_graph_has_not_indexed_is_read_from_arm() {
    let mut t = deployment().topology();
    t.resource_graph.unindexed_machine_ids.push(machine1_id());
    let fake = FakeArm::start(t).await;
    let run = scope_run(&fake).await;
    // fs1 from ARM, fs2 from its row.
    assert_eq!(arm_machine_gets(&fake), vec![machine1_id().to_ascii_lowercase()]);
    assert_each_as_collected_alone(&fake, &run).await;
}

#[tokio::test]
async fn machines_in_a_subscription_resource_graph_leaves_out_are_read_from_arm() {
    // The servers' machines live in a subscription the caller may read the machines of, but not the
    // subscription itself: Resource Graph leaves that subscription out without a word.
    const SUB_M: &str = "5e7b9d1f-4a6c-4d8e-8fa0-3b4c5d6e7f80";
    let mut d = deployment();
    d.machines = vec![
        MachineSeed::arc(SUB_M, "rg-servers", "fs1", Some(P_S1)).with_status("Disconnected"),
        MachineSeed::vm(SUB_M, "rg-servers", "fs2", Some(P_S2)),
    ];
    let mut t = d.topology();
    for m in &d.machines {
        t = t.assign(&m.id(), fake_arm::topology::roles::READER, CALLER);
    }
    let fake = FakeArm::start(t).await;
    let run = scope_run(&fake).await;
    // Resource Graph was asked for them, and had no row: ARM read both.
    let queries = row_queries(&fake);
    for m in &d.machines {
        assert!(queries.iter().any(|q| q.contains(&format!("'{}'", m.id().to_ascii_lowercase()))), "{queries:?}");
    }
    assert_eq!(arm_machine_gets(&fake).len(), 2);
    assert_each_as_collected_alone(&fake, &run).await;
    let servers = &run.snapshots[0].services[0].registered_servers;
    assert!(servers.iter().all(|s| s.machine.as_ref().is_some_and(|m| m.machine_principal_id.is_some())));
}

/// The deployment with capitals in its resource groups' names (ARM keeps the casing a resource was
/// created with): `RG-Sync`, `RG-Storage`, `RG-Servers`. The cloud endpoint, the role assignments and the
/// machines' identities in Graph name them as ARM does.
fn cased() -> Deployment {
    let recase = |s: &str| s.replace(RG, "RG-Sync").replace(RG_STORAGE, "RG-Storage").replace(RG_SERVERS, "RG-Servers");
    let mut d = deployment();
    d.service.resource_group = recase(&d.service.resource_group);
    for g in &mut d.service.sync_groups {
        for c in &mut g.cloud_endpoints {
            c.storage_account_resource_id = recase(&c.storage_account_resource_id);
        }
    }
    d.account.resource_group = recase(&d.account.resource_group);
    for (scope, _, _) in &mut d.assignments {
        *scope = recase(scope);
    }
    for m in &mut d.machines {
        m.resource_group = recase(&m.resource_group);
    }
    d
}

/// The resource group segment of `id` lower-cased, as Resource Graph has been seen to write it.
fn group_lowered(id: &str) -> String {
    let mut parts: Vec<String> = id.split('/').map(str::to_string).collect();
    parts[4] = parts[4].to_ascii_lowercase();
    parts.join("/")
}

/// (check, resource, status) of each finding: what names what.
fn named(report: &filesync_identity::model::findings::Report) -> Vec<(String, String, String)> {
    report
        .findings
        .iter()
        .map(|f| (f.check.to_string(), f.resource_id.to_string(), format!("{:?}", f.status)))
        .collect()
}

/// ARM `GET`s of the resource `id` (its own path, any casing).
fn arm_gets_of(fake: &FakeArm, id: &str) -> usize {
    fake.request_log()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.split('?').next().unwrap_or("").eq_ignore_ascii_case(id))
        .count()
}

#[tokio::test]
async fn rows_resource_graph_writes_in_its_own_casing_are_taken_and_named_as_arm_names_them() {
    let d = cased();
    let (service, account) = (d.service.id(), d.account.id());
    let machines: Vec<String> = d.machines.iter().map(|m| m.id()).collect();
    assert!(service.contains("/RG-Sync/") && account.contains("/RG-Storage/") && machines[0].contains("/RG-Servers/"));
    let mut t = d.topology();
    // Resource Graph writes the service's, the account's and the machines' resource groups lower-cased.
    t.resource_graph.recased_ids =
        [&service, &account].into_iter().chain(&machines).map(|id| group_lowered(id)).collect();
    let fake = FakeArm::start(t).await;
    let run = scope_run(&fake).await;
    // The rows were taken: no ARM GET of the account or of a machine, one row query.
    assert_eq!(arm_gets_of(&fake, &account), 0);
    assert_eq!(arm_machine_gets(&fake), Vec::<String>::new());
    assert_eq!(row_queries(&fake).len(), 1);
    // ARG's casing reached nothing of the snapshot: the target, the account and the service as ARM
    // names them.
    assert_eq!(run.snapshots.len(), 1);
    let s = &run.snapshots[0];
    assert_eq!(s.services[0].id.as_str(), service);
    assert_eq!(s.storage_accounts[0].id.as_str(), account);
    assert_eq!(s.target.resource_group.as_deref(), Some("RG-Sync"));
    // The snapshot is the one-service collection of the service by its ARM id, and the report over the
    // run names every resource as that collection's report does.
    let alone = alone(&fake, &service).await;
    assert_eq!(without_time(s), without_time(&alone));
    let report = api::tenant_report(std::slice::from_ref(&run), &Selection::default()).unwrap();
    assert_eq!(report.services.len(), 1);
    assert_eq!(report.services[0].id, service);
    let one = api::test_report(&alone, &Selection::default(), &[]).unwrap();
    assert_eq!(report.services[0].report.target, one.target);
    assert_eq!(named(&report.services[0].report), named(&one));
    assert!(named(&one).iter().any(|(_, r, _)| r == &account), "{:?}", named(&one));
}

#[tokio::test]
async fn an_account_named_in_another_casing_by_its_cloud_endpoint_and_by_resource_graph_is_named_as_arm_names_it() {
    // ARM has the account in `RG-Storage`; the cloud endpoint was made with `rg-storage`, and Resource
    // Graph writes it so too. Neither is ARM's casing; the run still takes the row, and names the account
    // as ARM does (as the one-service collection's GET of it shows).
    let mut d = cased();
    let account = d.account.id();
    for c in d.service.sync_groups.iter_mut().flat_map(|g| g.cloud_endpoints.iter_mut()) {
        c.storage_account_resource_id = group_lowered(&account);
    }
    let mut t = d.topology();
    t.resource_graph.recased_ids = vec![group_lowered(&account)];
    let fake = FakeArm::start(t).await;
    let run = scope_run(&fake).await;
    assert_eq!(arm_gets_of(&fake, &account), 0);
    assert_eq!(run.snapshots[0].storage_accounts[0].id.as_str(), account);
    let alone = alone(&fake, &d.service.id()).await;
    assert_eq!(without_time(&run.snapshots[0]), without_time(&alone));
    let report = api::tenant_report(std::slice::from_ref(&run), &Selection::default()).unwrap();
    let one = api::test_report(&alone, &Selection::default(), &[]).unwrap();
    assert_eq!(named(&report.services[0].report), named(&one));
}

#[tokio::test]
async fn a_service_resource_graph_lists_in_its_own_casing_keeps_arms_name_on_the_errors_of_its_lists() {
    // The service's sync groups cannot be read: the snapshot records that against the service, named
    // as ARM names it (as the one-service collection by its ARM id does), not as Resource Graph wrote it.
    let d = cased();
    let service = d.service.id();
    let mut t = d.topology();
    t.resource_graph.recased_ids = vec![group_lowered(&service)];
    t.faults.push(Fault::at_path("GET", &format!("{service}/syncGroups"), FaultAction::forbidden("no sync groups")));
    let fake = FakeArm::start(t).await;
    let run = scope_run(&fake).await;
    let alone = alone(&fake, &service).await;
    let errors = |s: &Snapshot| -> Vec<(String, String, Option<u16>)> {
        s.collection_errors.iter().map(|e| (e.resource_id.clone(), e.operation.clone(), e.status)).collect()
    };
    assert_eq!(errors(&alone), vec![(service.clone(), "syncGroups".to_string(), Some(403))]);
    assert_eq!(errors(&run.snapshots[0]), errors(&alone));
    assert_eq!(run.snapshots[0].target, alone.target);
}
