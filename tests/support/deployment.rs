//! The deployments the tests start from, ways to break them, and helpers that collect, diagnose, plan and
//! apply against the fake ARM through the front door (`api`), as the command line and the module do.
//!
//! It names only `fake_arm` and the library's public face, so it is shared twice: by the integration tests
//! (through `tests/support/mod.rs`, which adds the command-line helpers) and by the crate's own unit tests
//! (`src/lib.rs` compiles it under `#[cfg(test)]`), where tests of internals run against the same fake.
#![allow(dead_code)]

use std::sync::Arc;

use fake_arm::*;
use filesync_identity::api::{self, CredentialOptions, Source, Target, TargetSpec};
use filesync_identity::api::{ApplyOptions, ApplyReport, Plan, PlanKind, PlanOptions, Selection};
use filesync_identity::api::{BufferSink, EventSink};
use filesync_identity::api::{CancellationToken, Session, SessionOptions};
use filesync_identity::model::findings::{Finding, Report, Status};
use filesync_identity::model::snapshot::Snapshot;

pub const SUB: &str = "2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d";
pub const RG: &str = "rg-sync";
pub const RG_STORAGE: &str = "rg-storage";
pub const SVC: &str = "sync-prod";
/// The bearer token every test uses. A sentinel: it must never show up in any output.
pub const TOKEN: &str = "sentinel-token-7f3c9a1e-do-not-print";
/// The Microsoft Graph token beside it (the fake refuses TOKEN at Graph and this one at ARM, as Entra ID
/// audiences are). A sentinel too.
pub const GRAPH_TOKEN: &str = "sentinel-graph-token-4e2a91c0-do-not-print";
/// The resource group of the servers' machines.
pub const RG_SERVERS: &str = "rg-servers";
pub const CALLER: &str = "0c0c0c0c-1111-4222-8333-444455556666";
pub const P_SVC: &str = "5a5a5a5a-0000-4000-8000-000000000001";
pub const P_S1: &str = "5a5a5a5a-0000-4000-8000-000000000011";
pub const P_S2: &str = "5a5a5a5a-0000-4000-8000-000000000012";
pub const P_SYNC: &str = "5a5a5a5a-0000-4000-8000-0000000000aa";
pub const SYNC_APP_ID: &str = "9469b9f5-6722-4481-a2b2-14ed560b706f";
pub const SERVER1: &str = "11111111-aaaa-4bbb-8ccc-000000000001";
pub const SERVER2: &str = "11111111-aaaa-4bbb-8ccc-000000000002";
pub const ACCOUNT: &str = "stsyncprod";
pub const SHARE: &str = "projects";

pub fn account_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG_STORAGE}/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}")
}
pub fn share_scope() -> String {
    format!("{}/fileServices/default/fileshares/{SHARE}", account_id())
}
pub fn service_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/{SVC}")
}

/// The pieces of a deployment, so tests can change one thing and build the topology.
#[derive(Clone)]
pub struct Deployment {
    pub service: ServiceSeed,
    pub account: StorageAccountSeed,
    pub assignments: Vec<(String, &'static str, String)>,
    pub graph_principal: bool,
    /// Storage accounts besides `account` (see `with_second_account`).
    pub extra_accounts: Vec<StorageAccountSeed>,
    /// The servers' machines: each seeded with its identity's service principal in Graph (unless its
    /// `principal_id` is None). fs1 is an Azure Arc-enabled server, fs2 an Azure VM.
    pub machines: Vec<MachineSeed>,
    /// Service principals in Graph besides the machines' and Microsoft.StorageSync's.
    pub graph_principals: Vec<ServicePrincipalSeed>,
}

pub fn machine1_id() -> String {
    MachineSeed::arc(SUB, RG_SERVERS, "fs1", None).id()
}
pub fn machine2_id() -> String {
    MachineSeed::vm(SUB, RG_SERVERS, "fs2", None).id()
}

/// Everything right: the service and both servers use their identities, every role is granted at the
/// right scope, the firewall is on with the trusted-services exception, key access is off.
pub fn healthy() -> Deployment {
    let server = |id: &str, name: &str, p: &str| {
        let mut s = RegisteredServerSeed::new(id, name).using_identity(p);
        s.agent_version = "20.0.0.0".into();
        // A server that reported minutes ago (server.heartbeat judges it against the collection time).
        s.last_heart_beat = Some((chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339());
        s
    };
    let group = SyncGroupSeed::new("projects")
        .with_cloud_endpoint(CloudEndpointSeed::new("c0c0c0c0-0000-4000-8000-000000000001", &account_id(), SHARE))
        .with_server_endpoint(ServerEndpointSeed::new("e0e0e0e0-0000-4000-8000-000000000001", SERVER1, "D:\\Projects"))
        .with_server_endpoint(ServerEndpointSeed::new("e0e0e0e0-0000-4000-8000-000000000002", SERVER2, "E:\\Projects"));
    let service = ServiceSeed::new(SUB, RG, SVC)
        .with_identity(P_SVC)
        .with_use_identity(true)
        .with_server(server(SERVER1, "fs1.contoso.com", P_S1))
        .with_server(server(SERVER2, "fs2.contoso.com", P_S2))
        .with_sync_group(group);
    let mut account =
        StorageAccountSeed::new(SUB, RG_STORAGE, ACCOUNT).with_share(SHARE).with_firewall("Deny", "AzureServices");
    // Key access stays on: the deployment guide lists it as a prerequisite, managed identities or not.
    account.allow_shared_key_access = Some(true);
    // The servers come in through the firewall by their public address (storage.network-access).
    account.network_acls.ip_rules.push(IpRuleSeed { value: "203.0.113.10".into(), action: None });
    Deployment {
        service,
        account,
        assignments: vec![
            (account_id(), roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC.to_string()),
            (share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_SVC.to_string()),
            (share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1.to_string()),
            (share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2.to_string()),
            (account_id(), roles::READER_AND_DATA_ACCESS, P_SYNC.to_string()),
            (format!("/subscriptions/{SUB}"), roles::OWNER, CALLER.to_string()),
        ],
        graph_principal: true,
        extra_accounts: Vec::new(),
        machines: vec![
            MachineSeed::arc(SUB, RG_SERVERS, "fs1", Some(P_S1)),
            MachineSeed::vm(SUB, RG_SERVERS, "fs2", Some(P_S2)),
        ],
        graph_principals: Vec::new(),
    }
}

impl Deployment {
    pub fn without_assignment(mut self, role: &str, principal: &str) -> Self {
        let before = self.assignments.len();
        self.assignments.retain(|(_, r, p)| !(*r == role && p == principal));
        assert!(self.assignments.len() < before, "no assignment of {role} to {principal} to remove");
        self
    }
    /// Remove the one assignment of `role` to `principal` at `scope`.
    pub fn without_assignment_at(mut self, role: &str, principal: &str, scope: &str) -> Self {
        let before = self.assignments.len();
        self.assignments.retain(|(s, r, p)| !(*r == role && p == principal && s.eq_ignore_ascii_case(scope)));
        assert_eq!(self.assignments.len() + 1, before, "no assignment of {role} to {principal} at {scope} to remove");
        self
    }
    pub fn server_mut(&mut self, id: &str) -> &mut RegisteredServerSeed {
        self.service.registered_servers.iter_mut().find(|s| s.server_id == id).expect("server")
    }
    pub fn topology(&self) -> Topology {
        let mut t = Topology::new()
            .with_token(TOKEN, CALLER)
            .with_token(GRAPH_TOKEN, CALLER)
            .with_service(self.service.clone())
            .with_storage_account(self.account.clone());
        for a in &self.extra_accounts {
            t = t.with_storage_account(a.clone());
        }
        for p in [P_SVC, P_S1, P_S2, P_SYNC] {
            t = t.with_principal(p);
        }
        for (scope, role, principal) in &self.assignments {
            t = t.assign(scope, role, principal);
        }
        if self.graph_principal {
            t = t.with_graph_service_principal(ServicePrincipalSeed::new(SYNC_APP_ID, P_SYNC, "Microsoft.StorageSync"));
        }
        for m in &self.machines {
            t = t.with_machine_identity(m.clone());
        }
        for sp in &self.graph_principals {
            t = t.with_graph_service_principal(sp.clone());
        }
        // One token per audience, as Entra ID issues them.
        t.tokens.get_mut(TOKEN).expect("token").audience = Some(TokenAudience::Arm);
        t.tokens.get_mut(GRAPH_TOKEN).expect("graph token").audience = Some(TokenAudience::Graph);
        t
    }
}

/// Session options pointing at the fake.
pub fn session_options(fake: &FakeArm) -> SessionOptions {
    SessionOptions {
        arm_endpoint: Some(fake.url().to_string()),
        graph_endpoint: Some(fake.graph_url().to_string()),
        credential: Some(CredentialOptions::access_token(TOKEN).with_graph_token(GRAPH_TOKEN)),
        max_retries: Some(2),
        ..Default::default()
    }
}

pub struct Run {
    pub snapshot: Snapshot,
    pub report: Report,
    pub events: Arc<BufferSink>,
}

/// The test service, as a target.
pub fn service_target() -> TargetSpec {
    TargetSpec::Service(filesync_identity::model::resource_id::ResourceId::parse(&service_id()).unwrap())
}

/// Collect the test service from the fake and run every check.
pub async fn diagnose(fake: &FakeArm) -> Run {
    try_diagnose(fake, service_target()).await.expect("collection succeeds")
}

/// Collect `target` from the fake (with the default days of Activity Log) and run every check.
pub async fn try_diagnose(fake: &FakeArm, target: TargetSpec) -> filesync_identity::Result<Run> {
    let (snapshot, events) = collect(fake, target, api::limits::ACTIVITY_DAYS.default).await?;
    let report = report_of(&snapshot);
    Ok(Run { snapshot, report, events })
}

/// Collect `target` from the fake as `test` and `collect` do (`api::snapshot_for`), with `activity_days`
/// of Activity Log; the events of the collection beside it.
pub async fn collect(
    fake: &FakeArm,
    target: TargetSpec,
    activity_days: u32,
) -> filesync_identity::Result<(Snapshot, Arc<BufferSink>)> {
    collect_with(&session_options(fake), target, activity_days).await
}

/// [`collect`] with other session options (another credential, say).
pub async fn collect_with(
    options: &SessionOptions,
    target: TargetSpec,
    activity_days: u32,
) -> filesync_identity::Result<(Snapshot, Arc<BufferSink>)> {
    let session = Session::new(options.clone())?;
    let events = Arc::new(BufferSink::new());
    let sink: Arc<dyn EventSink> = events.clone();
    let source = Source { target: Some(Target(target)), ..Default::default() };
    let snapshot = api::snapshot_for(&session, &source, activity_days, sink, &CancellationToken::new()).await?;
    Ok((snapshot, events))
}

/// Every check over a snapshot, as `test` reports them (`api::test_report`, the whole deployment).
pub fn report_of(snapshot: &Snapshot) -> Report {
    api::test_report(snapshot, &Selection::default(), &[]).expect("every check runs")
}

impl Run {
    pub fn of(&self, check: &str) -> Vec<&Finding> {
        self.report.findings.iter().filter(|f| f.check == check).collect()
    }
    /// The one finding of `check` whose resource id contains `resource` (case-insensitive).
    pub fn one(&self, check: &str, resource: &str) -> &Finding {
        let r = resource.to_ascii_lowercase();
        let found: Vec<_> =
            self.of(check).into_iter().filter(|f| f.resource_id.to_ascii_lowercase().contains(&r)).collect();
        assert_eq!(found.len(), 1, "expected one {check} finding for {resource}, got {found:#?}");
        found[0]
    }
    pub fn statuses(&self, check: &str) -> Vec<Status> {
        self.of(check).iter().map(|f| f.status).collect()
    }
    pub fn problems(&self) -> Vec<&Finding> {
        self.report
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Warning | Status::Unknown))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------------
// Issue 4: a second storage account, plans and apply.

pub const ACCOUNT2: &str = "stsyncarchive";
pub const SHARE2: &str = "archive";

pub fn account2_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG_STORAGE}/providers/Microsoft.Storage/storageAccounts/{ACCOUNT2}")
}
pub fn share2_scope() -> String {
    format!("{}/fileServices/default/fileshares/{SHARE2}", account2_id())
}

impl Deployment {
    /// A second sync group `archive` on a second storage account, both servers in it, every role granted.
    pub fn with_second_account(mut self) -> Self {
        let group = SyncGroupSeed::new("archive")
            .with_cloud_endpoint(CloudEndpointSeed::new("c0c0c0c0-0000-4000-8000-000000000002", &account2_id(), SHARE2))
            .with_server_endpoint(ServerEndpointSeed::new(
                "e0e0e0e0-0000-4000-8000-000000000003",
                SERVER1,
                "D:\\Archive",
            ))
            .with_server_endpoint(ServerEndpointSeed::new(
                "e0e0e0e0-0000-4000-8000-000000000004",
                SERVER2,
                "E:\\Archive",
            ));
        self.service = self.service.with_sync_group(group);
        let mut account = StorageAccountSeed::new(SUB, RG_STORAGE, ACCOUNT2)
            .with_share(SHARE2)
            .with_firewall("Deny", "AzureServices");
        account.allow_shared_key_access = self.account.allow_shared_key_access;
        self.extra_accounts.push(account);
        self.assignments.extend([
            (account2_id(), roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC.to_string()),
            (share2_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_SVC.to_string()),
            (share2_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1.to_string()),
            (share2_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2.to_string()),
            (account2_id(), roles::READER_AND_DATA_ACCESS, P_SYNC.to_string()),
        ]);
        self
    }

    /// Remove every assignment the File Sync identities hold (the caller's rights stay).
    pub fn without_file_sync_roles(mut self) -> Self {
        self.assignments.retain(|(_, _, p)| p == CALLER);
        self
    }
}

/// Apply options with short waits, for tests.
pub fn fast_apply() -> ApplyOptions {
    ApplyOptions {
        principal_not_found_timeout: std::time::Duration::from_secs(10),
        principal_retry_base: std::time::Duration::from_millis(50),
        lro_timeout: std::time::Duration::from_secs(10),
        lro_min_poll: std::time::Duration::from_millis(20),
        lro_max_poll: std::time::Duration::from_millis(200),
        ..Default::default()
    }
}

/// Diagnose, then plan `kind` from the live state (`api::plan` over the snapshot, as `plan` does).
pub async fn plan_live(fake: &FakeArm, kind: PlanKind) -> Plan {
    let run = diagnose(fake).await;
    api::plan(&run.snapshot, kind, PlanOptions::default())
}

/// Apply `plan` to the fake through the front door (`api::apply_plan`), as `apply` does.
pub async fn apply_plan(fake: &FakeArm, plan: &Plan, options: &ApplyOptions) -> filesync_identity::Result<ApplyReport> {
    apply_plan_with(fake, plan, options, &CancellationToken::new()).await.0
}

/// [`apply_plan`] that `cancel` can stop; the events of the run beside its result.
pub async fn apply_plan_with(
    fake: &FakeArm,
    plan: &Plan,
    options: &ApplyOptions,
    cancel: &CancellationToken,
) -> (filesync_identity::Result<ApplyReport>, Arc<BufferSink>) {
    let session = Session::new(session_options(fake)).expect("session");
    let events = Arc::new(BufferSink::new());
    let sink: Arc<dyn EventSink> = events.clone();
    (api::apply_plan(&session, plan, options, sink, cancel).await, events)
}

/// Plan from the live state and apply it.
pub async fn plan_and_apply(
    fake: &FakeArm,
    kind: PlanKind,
    options: &ApplyOptions,
) -> (Plan, filesync_identity::Result<ApplyReport>) {
    let plan = plan_live(fake, kind).await;
    let report = apply_plan(fake, &plan, options).await;
    (plan, report)
}

/// Someone else's write: PATCH `path` on the fake as the caller (an ARM request of its own, not the tool's),
/// which must be accepted; its answer.
pub async fn patch_as_caller(
    fake: &FakeArm,
    path: &str,
    api_version: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let r = reqwest::Client::new()
        .patch(format!("{}{path}?api-version={api_version}", fake.url()))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .expect("the fake answers");
    let status = r.status();
    let answer = r.text().await.expect("a body");
    assert!(status.is_success(), "PATCH {path}: {status} {answer}");
    serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null)
}

/// GET `path` from the fake as the caller (a read of the test's own, not the tool's); the answer.
pub async fn get_as_caller(fake: &FakeArm, path: &str, api_version: &str) -> serde_json::Value {
    let r = reqwest::Client::new()
        .get(format!("{}{path}?api-version={api_version}", fake.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("the fake answers");
    let status = r.status();
    let answer = r.text().await.expect("a body");
    assert!(status.is_success(), "GET {path}: {status} {answer}");
    serde_json::from_str(&answer).expect("JSON")
}

/// The role assignments as a sorted list of (scope lower-cased, role guid, principal), duplicates kept.
pub fn assignment_set(fake: &FakeArm) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = fake
        .role_assignments()
        .into_iter()
        .map(|ra| {
            let role = ra.role_definition_id.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
            (ra.scope.to_ascii_lowercase(), role, ra.principal_id.to_ascii_lowercase())
        })
        .collect();
    v.sort();
    v
}

/// Write requests in the fake's log (PUT, PATCH, POST, DELETE).
pub fn writes_in_log(fake: &FakeArm) -> Vec<String> {
    fake.request_log().iter().filter(|r| r.is_write()).map(|r| format!("{} {}", r.method, r.path)).collect()
}

// ---------------------------------------------------------------------------------------------------
// Deployments to repair, and the state a repair leaves (shared by repair, fault_matrix, interrupted).

/// Two accounts, every File Sync role missing; keys still on (so the legacy role is needed too) because
/// server 2 still uses its certificate.
pub fn broken_with_keys() -> Deployment {
    let mut d = healthy().with_second_account().without_file_sync_roles();
    d.account.allow_shared_key_access = None;
    for a in &mut d.extra_accounts {
        a.allow_shared_key_access = None;
    }
    let s = d.server_mut(SERVER2);
    s.active_auth_type = "Certificate".into();
    s.application_id = None;
    s.identity = Some(false);
    s.latest_application_id = Some(P_S2.into());
    d
}

/// Shared-key mode on `base`: the service has no identity, server 1 has one it does not use yet, server 2
/// has none; only Microsoft.StorageSync (and the caller) hold roles; keys on every account.
pub fn shared_key_mixed_from(base: Deployment) -> Deployment {
    let mut d = base;
    d.service.identity = None;
    d.service.use_identity = false;
    d.account.allow_shared_key_access = None;
    for a in &mut d.extra_accounts {
        a.allow_shared_key_access = None;
    }
    let s1 = d.server_mut(SERVER1);
    *s1 = std::mem::take(s1).ready_for_identity(P_S1);
    s1.application_id = None;
    s1.identity = Some(false);
    let s2 = d.server_mut(SERVER2);
    s2.active_auth_type = "Certificate".into();
    s2.application_id = None;
    s2.latest_application_id = None;
    s2.identity = Some(false);
    d.assignments.retain(|(_, r, p)| p == CALLER || *r == roles::READER_AND_DATA_ACCESS);
    d
}

/// [`shared_key_mixed_from`] the healthy one-account deployment.
pub fn shared_key_mixed() -> Deployment {
    shared_key_mixed_from(healthy())
}

/// The fake's role assignments as (scope, role guid, principal, name), lower case, sorted, duplicates kept.
pub fn assignment_tuples(fake: &FakeArm) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = fake
        .role_assignments()
        .into_iter()
        .map(|ra| {
            (
                ra.scope.to_ascii_lowercase(),
                ra.role_definition_id.rsplit('/').next().unwrap_or_default().to_ascii_lowercase(),
                ra.principal_id.to_ascii_lowercase(),
                ra.name.to_ascii_lowercase(),
            )
        })
        .collect();
    out.sort();
    out
}
