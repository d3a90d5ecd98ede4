//! Issue 23: in a run over a scope, the servers' machines (Azure Arc-enabled servers, Azure VMs) come from
//! Resource Graph's `resources` table with the storage accounts, in the same queries, and each service's
//! snapshot is still the one its one-service collection (ARM only) makes; ARM reads what Resource Graph
//! leaves out. Through the public request API only.

mod support;

use std::sync::Arc;

use fake_arm::*;
use filesync_identity::api::{self, BufferSink, CancellationToken, EventSink, ScopeRequest, Session, Source};
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
