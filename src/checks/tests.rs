//! Snapshot-level unit tests of the checks: a healthy snapshot built in memory, broken one fact at a time.

use crate::model::check_id::CheckId;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use super::{report, CheckContext, Selection};
use crate::model::findings::{Finding, Status};
use crate::model::roles;
use crate::model::snapshot::*;

mod network;

const SUB: &str = "2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d";
const TENANT: &str = "72f988bf-0000-4000-8000-00000000fa4e";
const CALLER: &str = "0c0c0c0c-1111-4222-8333-444455556666";
const P_SVC: &str = "5a5a5a5a-0000-4000-8000-000000000001";
const P_S1: &str = "5a5a5a5a-0000-4000-8000-000000000011";
const P_S2: &str = "5a5a5a5a-0000-4000-8000-000000000012";
const S1: &str = "11111111-aaaa-4bbb-8ccc-000000000001";
const S2: &str = "11111111-aaaa-4bbb-8ccc-000000000002";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}
fn svc_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-sync/providers/Microsoft.StorageSync/storageSyncServices/sync-prod")
}
fn account() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-storage/providers/Microsoft.Storage/storageAccounts/stsyncprod")
}
fn share_scope() -> String {
    format!("{}/fileServices/default/fileshares/projects", account())
}
fn ra(n: u32, scope: &str, role: &str, principal: &str) -> serde_json::Value {
    json!({
        "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-{n:012}"),
        "scope": scope,
        "roleDefinitionId": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"),
        "principalId": principal,
        "principalType": "ServicePrincipal"
    })
}
fn machine_id(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourcegroups/rg-servers/providers/microsoft.hybridcompute/machines/{name}")
}
fn server(id: &str, name: &str, principal: &str) -> serde_json::Value {
    json!({
        "id": format!("{}/registeredServers/{id}", svc_id()),
        "serverId": id, "serverName": name, "agentVersion": "20.0.0.0", "agentVersionStatus": "Ok",
        "lastHeartBeat": "2026-11-22T08:55:00Z", "applicationId": principal, "identity": true,
        "activeAuthType": "ManagedIdentity",
        "machine": {
            "principalId": principal, "lookup": "machineRead", "servicePrincipalType": "ManagedIdentity",
            "resourceId": machine_id(name), "machinePrincipalId": principal, "machineStatus": "Connected"
        }
    })
}
fn endpoint(n: u32, server: &str, path: &str) -> serde_json::Value {
    json!({
        "id": format!("{}/syncGroups/projects/serverEndpoints/e0e0e0e0-0000-4000-8000-{n:012}", svc_id()),
        "name": format!("e0e0e0e0-0000-4000-8000-{n:012}"),
        "serverResourceId": format!("{}/registeredServers/{server}", svc_id()),
        "serverLocalPath": path, "uploadLastSyncResult": 0, "downloadLastSyncResult": 0
    })
}

/// Everything right (the same deployment as tests/support's healthy one).
fn healthy() -> Snapshot {
    let v = json!({
        "schemaVersion": 2, "collectedAt": now(), "cloud": "AzureCloud",
        "target": {"kind": "service", "subscriptionId": SUB},
        "caller": {"objectId": CALLER, "tenantId": TENANT},
        "storageSyncPrincipalId": "5a5a5a5a-0000-4000-8000-0000000000aa",
        "services": [{
            "id": svc_id(), "name": "sync-prod",
            "identity": {"type": "SystemAssigned", "principalId": P_SVC, "tenantId": TENANT},
            "useIdentity": true, "lastModifiedAt": "2026-10-01T00:00:00Z",
            "registeredServers": [server(S1, "fs1", P_S1), server(S2, "fs2", P_S2)],
            "syncGroups": [{
                "id": format!("{}/syncGroups/projects", svc_id()), "name": "projects",
                "cloudEndpoints": [{
                    "id": format!("{}/syncGroups/projects/cloudEndpoints/c1", svc_id()), "name": "c1",
                    "storageAccountResourceId": account(), "azureFileShareName": "projects",
                    "storageAccountTenantId": TENANT
                }],
                "serverEndpoints": [endpoint(1, S1, "D:\\Projects"), endpoint(2, S2, "E:\\Projects")]
            }]
        }],
        "storageAccounts": [{
            "id": account(), "name": "stsyncprod", "read": true,
            "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": ["203.0.113.10"], "virtualNetworkRules": []},
            "allowSharedKeyAccess": true, "shares": ["projects"], "roleAssignmentsRead": true,
            "callerPermissions": [{"actions": ["*"]}], "smbSettings": {}
        }],
        "roleAssignments": [
            ra(1, &account(), roles::STORAGE_ACCOUNT_CONTRIBUTOR.guid, P_SVC),
            ra(2, &share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid, P_SVC),
            ra(3, &share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid, P_S1),
            ra(4, &share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid, P_S2),
            ra(5, &format!("/subscriptions/{SUB}"), roles::OWNER.guid, CALLER),
            ra(6, &account(), roles::READER_AND_DATA_ACCESS.guid, "5a5a5a5a-0000-4000-8000-0000000000aa")
        ]
    });
    serde_json::from_value(v).expect("fixture snapshot")
}

fn run(s: &Snapshot) -> Vec<Finding> {
    report(s, &CheckContext::at(s.collected_at), &Selection::default()).findings
}
fn of(fs: &[Finding], check: CheckId) -> Vec<&Finding> {
    fs.iter().filter(|f| f.check == check).collect()
}
fn statuses(fs: &[Finding], check: CheckId) -> Vec<Status> {
    of(fs, check).iter().map(|f| f.status).collect()
}
fn svc(s: &mut Snapshot) -> &mut StorageSyncService {
    &mut s.services[0]
}
fn acct(s: &mut Snapshot) -> &mut StorageAccount {
    &mut s.storage_accounts[0]
}
fn drop_assignment(s: &mut Snapshot, principal: &str, role: &str) {
    s.role_assignments.retain(|r| !(r.principal_id == principal && r.role_guid() == role));
}
fn push_assignment(s: &mut Snapshot, n: u32, scope: &str, role: &str, principal: &str) {
    s.role_assignments.push(serde_json::from_value(ra(n, scope, role, principal)).unwrap());
}

#[test]
fn fixture_is_healthy_on_every_check() {
    let fs = run(&healthy());
    let bad: Vec<_> = fs.iter().filter(|f| !matches!(f.status, Status::Pass | Status::NotApplicable)).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    for c in super::all() {
        if c.id != CheckId::COLLECTION_READ {
            assert!(!of(&fs, c.id).is_empty(), "{} produced no finding", c.id);
        }
    }
}

#[test]
fn caller_can_repair() {
    let mut s = healthy();
    acct(&mut s).caller_permissions = Some(vec![Permission {
        actions: vec!["*".into()],
        not_actions: vec!["Microsoft.Authorization/*/Write".into()],
        ..Default::default()
    }]);
    drop_assignment(&mut s, CALLER, roles::OWNER.guid);
    push_assignment(&mut s, 9, &format!("/subscriptions/{SUB}"), roles::CONTRIBUTOR.guid, CALLER);
    let fs = run(&s);
    let f = of(&fs, CheckId::CALLER_CAN_REPAIR)[0];
    assert_eq!(f.status, Status::Warning);
    assert!(f.message.contains("A repair would fail"), "{}", f.message);
    assert!(f.command.as_deref().unwrap().contains("Azure File Sync Administrator"));
    // File Sync Administrator: the permissions API may not show its conditional right; its assignment does.
    push_assignment(&mut s, 10, &account(), roles::FILE_SYNC_ADMINISTRATOR.guid, CALLER);
    let fs = run(&s);
    let f = of(&fs, CheckId::CALLER_CAN_REPAIR)[0];
    assert_eq!(f.status, Status::Pass, "{}", f.message);
    assert!(f.message.contains("Azure File Sync Administrator"));
    // An RBAC Administrator assignment whose condition leaves out a role a repair needs.
    let mut s = healthy();
    drop_assignment(&mut s, CALLER, roles::OWNER.guid);
    push_assignment(&mut s, 11, &account(), roles::RBAC_ADMINISTRATOR.guid, CALLER);
    s.role_assignments.last_mut().unwrap().condition = Some(format!(
        "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{}}}",
        roles::STORAGE_ACCOUNT_CONTRIBUTOR.guid
    ));
    push_assignment(&mut s, 12, &format!("/subscriptions/{SUB}"), roles::READER.guid, CALLER);
    let fs = run(&s);
    let f = of(&fs, CheckId::CALLER_CAN_REPAIR)[0];
    assert_eq!(f.status, Status::Warning);
    assert!(f.message.contains("Storage File Data Privileged Contributor"), "{}", f.message);
    // Not read: unknown.
    let mut s = healthy();
    acct(&mut s).caller_permissions = None;
    assert_eq!(statuses(&run(&s), CheckId::CALLER_CAN_REPAIR), vec![Status::Unknown]);
}

#[test]
fn wrong_share_scope() {
    let mut s = healthy();
    drop_assignment(&mut s, P_S1, roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid);
    let wrong = format!("{}/fileServices/default/shares/projects", account());
    push_assignment(&mut s, 20, &wrong, roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid, P_S1);
    let fs = run(&s);
    let f = of(&fs, CheckId::ROLE_WRONG_SHARE_SCOPE);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, Status::Fail);
    assert_eq!(f[0].principal_id.as_deref(), Some(P_S1));
    assert_eq!(f[0].error_codes, vec!["0x80c86063"]);
    let cmd = f[0].command.as_deref().unwrap();
    assert!(
        cmd.starts_with("Remove-AzRoleAssignment") && cmd.contains(&wrong) && cmd.contains(&share_scope()),
        "{cmd}"
    );
    // Not effective: the role check fails too.
    assert!(statuses(&fs, CheckId::SERVER_ENDPOINT_SERVER_SHARE_ROLE).contains(&Status::Fail));
    // Next to a valid one it only misleads.
    push_assignment(&mut s, 21, &share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid, P_S1);
    assert_eq!(statuses(&run(&s), CheckId::ROLE_WRONG_SHARE_SCOPE), vec![Status::Warning]);
}

fn deny(scope: &str, actions: &[&str], data: &[&str], principals: &[&str], exclude: &[&str]) -> DenyAssignment {
    DenyAssignment {
        id: format!("{scope}/providers/Microsoft.Authorization/denyAssignments/d1"),
        scope: crate::model::resource_id::ResourceId::parse(scope).unwrap(),
        name: "stack-deny".into(),
        actions: actions.iter().map(|s| s.to_string()).collect(),
        data_actions: data.iter().map(|s| s.to_string()).collect(),
        not_actions: vec![],
        not_data_actions: vec![],
        principals: principals.iter().map(|s| s.to_string()).collect(),
        exclude_principals: exclude.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn deny_assignment() {
    let everyone = "00000000-0000-0000-0000-000000000000";
    let mut s = healthy();
    let rg = format!("/subscriptions/{SUB}/resourceGroups/rg-storage");
    s.deny_assignments.push(deny(&rg, &["*/write"], &[], &[everyone], &[]));
    let fs = run(&s);
    let f = of(&fs, CheckId::ROLE_DENY_ASSIGNMENT);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Fail);
    assert_eq!(f[0].principal_id.as_deref(), Some(P_SVC));
    assert_eq!(f[0].error_codes, vec!["0x80c8305f"]);
    // Excluding the service's principal lifts it.
    s.deny_assignments[0].exclude_principals.push(P_SVC.into());
    assert_eq!(statuses(&run(&s), CheckId::ROLE_DENY_ASSIGNMENT), vec![Status::Pass]);
    // File data denied to one server.
    let mut s = healthy();
    s.deny_assignments.push(deny(&account(), &[], &["Microsoft.Storage/storageAccounts/fileServices/*"], &[P_S2], &[]));
    let fs = run(&s);
    let f = of(&fs, CheckId::ROLE_DENY_ASSIGNMENT);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].principal_id.as_deref(), Some(P_S2));
    assert_eq!(f[0].error_codes, vec!["0x80c86063"]);
    // Read-only denies do not cancel anything File Sync needs from its roles... except read of data.
    let mut s = healthy();
    s.deny_assignments.push(deny(&account(), &["Microsoft.Network/*"], &[], &[everyone], &[]));
    assert_eq!(statuses(&run(&s), CheckId::ROLE_DENY_ASSIGNMENT), vec![Status::Pass]);
}

#[test]
fn read_only_lock() {
    let mut s = healthy();
    let rg = format!("/subscriptions/{SUB}/resourceGroups/rg-storage");
    s.locks.push(ManagementLock {
        id: format!("{rg}/providers/Microsoft.Authorization/locks/keep"),
        scope: crate::model::resource_id::ResourceId::parse(&rg).unwrap(),
        level: "CanNotDelete".into(),
    });
    assert_eq!(statuses(&run(&s), CheckId::STORAGE_LOCK), vec![Status::Pass]);
    s.locks.push(ManagementLock {
        id: format!("{rg}/providers/Microsoft.Authorization/locks/frozen"),
        scope: crate::model::resource_id::ResourceId::parse(&rg).unwrap(),
        level: "ReadOnly".into(),
    });
    let fs = run(&s);
    let f = of(&fs, CheckId::STORAGE_LOCK)[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c83092"]);
    assert!(f.message.contains("resource group 'rg-storage'"), "{}", f.message);
    assert!(f.command.as_deref().unwrap().contains("locks/frozen"));
}

#[test]
fn share_exists() {
    let mut s = healthy();
    acct(&mut s).shares = Some(vec!["other".into()]);
    let fs = run(&s);
    let f = of(&fs, CheckId::CLOUD_ENDPOINT_SHARE_EXISTS)[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c86030"]);
    acct(&mut s).shares = None;
    assert_eq!(statuses(&run(&s), CheckId::CLOUD_ENDPOINT_SHARE_EXISTS), vec![Status::Unknown]);
}

#[test]
fn tenant_consistency() {
    let mut s = healthy();
    svc(&mut s).sync_groups[0].cloud_endpoints[0].storage_account_tenant_id =
        Some("99999999-0000-4000-8000-000000000000".into());
    let fs = run(&s);
    let f = of(&fs, CheckId::IDENTITY_TENANT)[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c83079", "0x80c83088"]);
    let mut s = healthy();
    s.caller.as_mut().unwrap().tenant_id = Some("99999999-0000-4000-8000-000000000000".into());
    assert_eq!(statuses(&run(&s), CheckId::IDENTITY_TENANT), vec![Status::Warning]);
}

#[test]
fn identity_drift() {
    // The server's identity was reset: its share grants the role to the former identity.
    let mut s = healthy();
    let old = "5a5a5a5a-0000-4000-8000-0000000000f1";
    let new = "5a5a5a5a-0000-4000-8000-0000000000f2";
    s.role_assignments.retain(|r| r.principal_id != P_S1);
    push_assignment(&mut s, 30, &share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid, old);
    svc(&mut s).registered_servers[0].application_id = Some(new.into());
    let fs = run(&s);
    let f: Vec<_> = of(&fs, CheckId::SERVER_IDENTITY_DRIFT).into_iter().filter(|f| f.status != Status::Pass).collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Fail);
    assert_eq!(f[0].principal_id.as_deref(), Some(new));
    assert!(f[0].message.contains(old), "{}", f[0].message);
    // A person holding the share role is no former server identity.
    let mut s = healthy();
    s.role_assignments.retain(|r| r.principal_id != P_S1);
    push_assignment(&mut s, 32, &share_scope(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid, old);
    s.role_assignments.last_mut().unwrap().principal_type = Some("User".into());
    assert!(statuses(&run(&s), CheckId::SERVER_IDENTITY_DRIFT).iter().all(|st| *st == Status::Pass));
    // The identity the server reports was deleted: ARM lists its assignments with no principal type.
    let mut s = healthy();
    for r in s.role_assignments.iter_mut().filter(|r| r.principal_id == P_S2) {
        r.principal_type = Some("Unknown".into());
    }
    let fs = run(&s);
    let f: Vec<_> = of(&fs, CheckId::SERVER_IDENTITY_DRIFT).into_iter().filter(|f| f.status != Status::Pass).collect();
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("no longer exists"));
    // A left-over assignment of a deleted principal elsewhere is a warning of its own.
    let mut s = healthy();
    push_assignment(&mut s, 31, &account(), roles::STORAGE_ACCOUNT_CONTRIBUTOR.guid, old);
    s.role_assignments.last_mut().unwrap().principal_type = None;
    let fs = run(&s);
    let f: Vec<_> = of(&fs, CheckId::SERVER_IDENTITY_DRIFT).into_iter().filter(|f| f.status != Status::Pass).collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, Status::Warning);
    assert!(f[0].resource_id.contains("roleAssignments"));
}

/// The first server's machine lookup.
fn machine1(s: &mut Snapshot) -> &mut MachineIdentity {
    s.services[0].registered_servers[0].machine.as_mut().expect("machine")
}

#[test]
fn machine_identity() {
    const CHECK: CheckId = CheckId::SERVER_MACHINE_IDENTITY;
    let one = |s: &Snapshot| -> Finding {
        let fs = run(s);
        let f = of(&fs, CHECK).into_iter().find(|f| f.resource_id.contains(S1)).expect("finding for fs1").clone();
        f
    };
    // Match: the machine's identity is the server's.
    let f = one(&healthy());
    assert_eq!(f.status, Status::Pass, "{f:#?}");
    assert!(f.message.contains("fs1"), "{}", f.message);

    // Mismatch: the machine's identity was reset; the fix is Set-AzStorageSyncServer -Identity on the server.
    let mut s = healthy();
    machine1(&mut s).machine_principal_id = Some("9f9f9f9f-0000-4000-8000-000000000099".into());
    let f = one(&s);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.message.contains("9f9f9f9f-0000-4000-8000-000000000099") && f.message.contains(P_S1), "{}", f.message);
    let cmd = f.command.as_deref().expect("command");
    assert!(cmd.starts_with("Set-AzStorageSyncServer ") && cmd.contains(S1) && cmd.ends_with("-Identity"), "{cmd}");
    assert!(f.remediation.as_deref().unwrap_or_default().contains("elevated"), "{:?}", f.remediation);
    assert!(f.explains("0x80c86063"));
    // The same on a server still in certificate mode is a warning (nothing is broken yet).
    let mut s2 = s.clone();
    s2.services[0].registered_servers[0].active_auth_type = Some("Certificate".into());
    assert_eq!(one(&s2).status, Status::Warning);

    // The machine's identity was turned off.
    let mut s = healthy();
    machine1(&mut s).machine_principal_id = None;
    let f = one(&s);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.message.contains("no system-assigned identity"), "{}", f.message);

    // Identity gone: Graph answered 404.
    let mut s = healthy();
    let m = machine1(&mut s);
    m.lookup = MachineLookup::PrincipalGone;
    m.resource_id = None;
    m.machine_principal_id = None;
    m.status = Some(404);
    let f = one(&s);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.message.contains("no longer exists"), "{}", f.message);
    assert!(f.command.as_deref().unwrap_or_default().contains("-Identity"));

    // Unknown: Graph refused (403), and the fix names the Graph permission, not an Azure role.
    let mut s = healthy();
    let m = machine1(&mut s);
    m.lookup = MachineLookup::GraphUnavailable;
    m.resource_id = None;
    m.machine_principal_id = None;
    m.status = Some(403);
    m.reason = Some("Insufficient privileges".into());
    let f = one(&s);
    assert_eq!(f.status, Status::Unknown, "{f:#?}");
    assert!(f.remediation.as_deref().unwrap_or_default().contains("Application.Read.All"), "{:?}", f.remediation);
    assert!(f.reason.as_deref().unwrap_or_default().contains("Graph"), "{:?}", f.reason);
    // Unknown: no Graph at all.
    machine1(&mut s).status = None;
    let f = one(&s);
    assert_eq!(f.status, Status::Unknown);
    assert!(f.remediation.as_deref().unwrap_or_default().contains("--graph-endpoint"), "{:?}", f.remediation);

    // Unknown: the machine could not be read (403, then 404), each with what to do.
    let mut s = healthy();
    let m = machine1(&mut s);
    m.lookup = MachineLookup::MachineUnreadable;
    m.machine_principal_id = None;
    m.status = Some(403);
    let f = one(&s);
    assert_eq!(f.status, Status::Unknown, "{f:#?}");
    assert!(f.remediation.as_deref().unwrap_or_default().contains("Reader"), "{:?}", f.remediation);
    machine1(&mut s).status = Some(404);
    let f = one(&s);
    assert_eq!(f.status, Status::Unknown, "{f:#?}");
    assert!(f.message.contains("not found (404)"), "{}", f.message);

    // The identity belongs to something else than a machine: not applicable.
    let mut s = healthy();
    let m = machine1(&mut s);
    m.lookup = MachineLookup::NotAMachine;
    m.resource_id =
        Some(format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss"));
    m.machine_principal_id = None;
    assert_eq!(one(&s).status, Status::NotApplicable);

    // A version-1 snapshot did not collect it: unknown, never a guess.
    let mut s = healthy();
    s.schema_version = 1;
    for r in &mut s.services[0].registered_servers {
        r.machine = None;
    }
    let fs = run(&s);
    assert_eq!(statuses(&fs, CHECK), vec![Status::Unknown, Status::Unknown]);
    assert!(of(&fs, CHECK).iter().all(|f| f.reason.as_deref() == Some("not collected (snapshot schema 1)")));
    // A server without an identity has nothing to compare.
    let mut s = healthy();
    let r = &mut s.services[0].registered_servers[0];
    r.application_id = None;
    r.machine = None;
    assert_eq!(one(&s).status, Status::NotApplicable);
}

#[test]
fn cluster_nodes_need_the_share_role() {
    let mut s = healthy();
    let cluster = "11111111-aaaa-4bbb-8ccc-0000000000c0";
    let mut name: RegisteredServer = serde_json::from_value(server(cluster, "fscluster", P_S1)).unwrap();
    name.server_role = Some("ClusterName".into());
    name.cluster_id = Some("c1c1c1c1-0000-4000-8000-000000000000".into());
    name.application_id = None;
    name.active_auth_type = None;
    for srv in svc(&mut s).registered_servers.iter_mut() {
        srv.server_role = Some("ClusterNode".into());
        srv.cluster_id = name.cluster_id.clone();
    }
    svc(&mut s).registered_servers.push(name);
    let ep = &mut svc(&mut s).sync_groups[0].server_endpoints;
    ep.truncate(1);
    ep[0].server_resource_id = Some(format!("{}/registeredServers/{cluster}", svc_id()));
    drop_assignment(&mut s, P_S2, roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid);
    let fs = run(&s);
    let f = of(&fs, CheckId::SERVER_ENDPOINT_SERVER_SHARE_ROLE);
    assert_eq!(f.len(), 2, "one verdict per node: {f:#?}");
    let failed: Vec<_> = f.iter().filter(|f| f.status == Status::Fail).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].principal_id.as_deref(), Some(P_S2));
    assert!(failed[0].message.contains("cluster node 'fs2'"), "{}", failed[0].message);
}

#[test]
fn agent_status_and_heartbeat() {
    let mut s = healthy();
    let servers = &mut svc(&mut s).registered_servers;
    servers[0].agent_version_status = Some("Expired".into());
    servers[1].agent_version_status = Some("NearExpiry".into());
    servers[1].agent_version_expiration_date = Some("2026-12-31T00:00:00Z".into());
    servers[1].last_heart_beat = Some("2026-11-19T08:00:00Z".into());
    let fs = run(&s);
    let st = of(&fs, CheckId::SERVER_AGENT_STATUS);
    assert_eq!(st.iter().map(|f| f.status).collect::<Vec<_>>(), vec![Status::Fail, Status::Warning]);
    assert_eq!(st[0].error_codes, vec!["0x80c8306b"]);
    assert!(st[1].message.contains("2026-12-31"), "{}", st[1].message);
    assert_eq!(statuses(&fs, CheckId::SERVER_HEARTBEAT), vec![Status::Pass, Status::Warning]);
    // A heartbeat is judged against the collection time, not the wall clock.
    let ctx = CheckContext::at(now() + Duration::days(30));
    let later = report(&s, &ctx, &Selection::default()).findings;
    assert_eq!(statuses(&later, CheckId::SERVER_HEARTBEAT), vec![Status::Warning, Status::Warning]);
}

#[test]
fn network_access() {
    let mut s = healthy();
    acct(&mut s).public_network_access = Some("Disabled".into());
    let fs = run(&s);
    let f = of(&fs, CheckId::STORAGE_NETWORK_ACCESS)[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c8033e", "0x80c83099"]);
    acct(&mut s).private_endpoint_connections =
        vec![PrivateEndpointConnection { id: "pe1".into(), status: "Approved".into() }];
    assert_eq!(statuses(&run(&s), CheckId::STORAGE_NETWORK_ACCESS), vec![Status::Pass]);
    let mut s = healthy();
    acct(&mut s).network_acls.as_mut().unwrap().ip_rules.clear();
    assert_eq!(statuses(&run(&s), CheckId::STORAGE_NETWORK_ACCESS), vec![Status::Warning]);
    acct(&mut s).private_endpoint_connections =
        vec![PrivateEndpointConnection { id: "pe1".into(), status: "Pending".into() }];
    assert_eq!(statuses(&run(&s), CheckId::STORAGE_NETWORK_ACCESS), vec![Status::Warning]);
}

#[test]
fn pending_activation_softens_role_failures() {
    let mut s = healthy();
    drop_assignment(&mut s, P_SVC, roles::STORAGE_ACCOUNT_CONTRIBUTOR.guid);
    assert_eq!(statuses(&run(&s), CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE), vec![Status::Fail]);
    svc(&mut s).last_modified_at = Some(now() - Duration::minutes(4));
    let fs = run(&s);
    let f = of(&fs, CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE)[0];
    assert_eq!(f.status, Status::Warning);
    assert!(f.message.contains("propagating"), "{}", f.message);
    // Past the delay, it is a failure again.
    svc(&mut s).last_modified_at = Some(now() - Duration::minutes(20));
    assert_eq!(statuses(&run(&s), CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE), vec![Status::Fail]);
}

#[test]
fn live_errors_are_tied_to_the_finding_that_explains_them() {
    let mut s = healthy();
    drop_assignment(&mut s, P_S1, roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid);
    let eps = &mut svc(&mut s).sync_groups[0].server_endpoints;
    eps[0].upload_last_sync_result = Some(0x80c86063u32 as i32);
    eps[1].recall_errors = vec![ErrorCount { error_code: 0x80c8305fu32 as i32, count: 3, direction: None }];
    eps[1].files_not_syncing_errors = vec![ErrorCount { error_code: 0x7abc_def0, count: 1, direction: None }];
    let fs = run(&s);
    let live = of(&fs, CheckId::SYNC_LIVE_ERRORS);
    assert_eq!(live.len(), 3, "{live:#?}");
    let explained = live.iter().find(|f| f.error_codes == ["0x80c86063"]).unwrap();
    assert_eq!(explained.status, Status::Fail);
    assert!(explained
        .message
        .starts_with("0x80c86063 (ECS_E_AZURE_AUTHORIZATION_PERMISSION_MISMATCH) on server 'fs1'"));
    assert!(explained.message.contains("is explained by: the identity of server 'fs1' lacks Storage File Data Privileged Contributor on share 'projects'"), "{}", explained.message);
    assert_eq!(explained.evidence["explainedBy"], CheckId::SERVER_ENDPOINT_SERVER_SHARE_ROLE.as_str());
    assert!(explained.command.as_deref().unwrap().starts_with("New-AzRoleAssignment"));
    let known = live.iter().find(|f| f.error_codes == ["0x80c8305f"]).unwrap();
    assert_eq!(known.status, Status::Warning);
    assert!(known.message.contains("None of this tool's checks found its cause"), "{}", known.message);
    let unknown = live.iter().find(|f| f.error_codes.is_empty()).unwrap();
    assert!(unknown.message.contains("not in this tool's catalog"), "{}", unknown.message);
    // Selecting the live check alone still explains (it runs the others itself).
    let sel = Selection::new(vec![CheckId::SYNC_LIVE_ERRORS.into()], vec![]).unwrap();
    let alone = report(&s, &CheckContext::at(now()), &sel).findings;
    assert!(alone.iter().all(|f| f.check == CheckId::SYNC_LIVE_ERRORS));
    assert!(alone.iter().any(|f| f.evidence.contains_key("explainedBy")));
}

#[test]
fn live_error_right_after_a_grant_is_called_pending() {
    let mut s = healthy();
    let grant = s.role_assignments.iter_mut().find(|r| r.principal_id == P_S1).unwrap();
    grant.created_on = Some(now() - Duration::minutes(6));
    svc(&mut s).sync_groups[0].server_endpoints[0].upload_last_sync_result = Some(0x80c86063u32 as i32);
    let fs = run(&s);
    let f = of(&fs, CheckId::SYNC_LIVE_ERRORS).into_iter().find(|f| !f.error_codes.is_empty()).unwrap();
    assert_eq!(f.status, Status::Warning);
    assert!(f.message.contains("still taking effect") && f.message.contains("6 minute"), "{}", f.message);
    assert_eq!(f.principal_id.as_deref(), Some(P_S1));
    // An old grant does not excuse the error.
    let grant = s.role_assignments.iter_mut().find(|r| r.principal_id == P_S1).unwrap();
    grant.created_on = Some(now() - Duration::days(2));
    let fs = run(&s);
    let f = of(&fs, CheckId::SYNC_LIVE_ERRORS).into_iter().find(|f| !f.error_codes.is_empty()).unwrap();
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("None of this tool's checks found its cause"), "{}", f.message);
}

#[test]
fn live_error_older_than_its_fix_will_clear_at_the_next_sync() {
    let mut s = healthy();
    let grant = s.role_assignments.iter_mut().find(|r| r.principal_id == P_S1).unwrap();
    grant.created_on = Some(now() - Duration::days(2));
    let ep = &mut svc(&mut s).sync_groups[0].server_endpoints[0];
    ep.upload_last_sync_result = Some(0x80c86063u32 as i32);
    // The session that reported the code ran before the role was granted: a warning that it will clear.
    ep.last_sync_timestamp = Some((now() - Duration::days(3)).to_rfc3339());
    let fs = run(&s);
    let f = of(&fs, CheckId::SYNC_LIVE_ERRORS).into_iter().find(|f| !f.error_codes.is_empty()).unwrap();
    assert_eq!(f.status, Status::Warning, "{}", f.message);
    assert!(
        f.message.contains("predates its fix") && f.message.contains("clears at the next sync session"),
        "{}",
        f.message
    );
    assert_eq!(
        f.evidence.get("fixedAfterLastSync"),
        Some(&crate::model::findings::Fact::from(serde_json::json!(true)))
    );
    // A session after the grant that still reports it: the cause is elsewhere, a failure.
    svc(&mut s).sync_groups[0].server_endpoints[0].last_sync_timestamp = Some((now() - Duration::days(1)).to_rfc3339());
    let fs = run(&s);
    let f = of(&fs, CheckId::SYNC_LIVE_ERRORS).into_iter().find(|f| !f.error_codes.is_empty()).unwrap();
    assert_eq!(f.status, Status::Fail, "{}", f.message);
}

// ---------------------------------------------------------------------------------------------------
// The machinery that keeps the checks fast must not change what they say.

#[test]
fn caseless_comparison_agrees_with_lower_casing() {
    let ids = [
        "/subscriptions/x/resourceGroups/RG/providers/Microsoft.StorageSync/storageSyncServices/s/syncGroups/g1",
        "/subscriptions/x/resourceGroups/rg/providers/Microsoft.StorageSync/storageSyncServices/s/syncGroups/g1-a",
        "/subscriptions/x/resourceGroups/rg/providers/Microsoft.StorageSync/storageSyncServices/s/syncGroups/G10",
        "/subscriptions/x/resourceGroups/rg/providers/microsoft.storagesync/storageSyncServices/s",
        "/subscriptions/x/resourceGroups/rg",
        "",
        "a",
        "A",
        "ab",
    ];
    for a in ids {
        for b in ids {
            let want = a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase());
            assert_eq!(crate::model::text::cmp_ignore_ascii_case(a, b), want, "{a} vs {b}");
            let (x, y) = (crate::model::index::Caseless(a), crate::model::index::Caseless(b));
            assert_eq!(x == y, want.is_eq(), "{a} vs {b}");
            if x == y {
                let h = |k: &crate::model::index::Caseless| {
                    use std::hash::{BuildHasher, BuildHasherDefault};
                    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(k)
                };
                assert_eq!(h(&x), h(&y), "equal keys hash alike: {a} vs {b}");
            }
        }
    }
}

#[test]
fn parallel_map_keeps_the_items_order() {
    let items: Vec<u32> = (0..1000).collect();
    let out = crate::sync::parallel_map(&items, |&i| {
        if i % 7 == 0 {
            std::thread::yield_now();
        }
        i * 2
    });
    assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    assert_eq!(crate::sync::parallel_map(&[] as &[u32], |&i| i), Vec::<u32>::new());
}

#[test]
fn findings_do_not_depend_on_the_order_of_the_snapshot() {
    // Shuffled lists (as an older snapshot file may hold) give the same findings as normalized ones.
    let mut shuffled = healthy();
    for svc in &mut shuffled.services {
        svc.registered_servers.reverse();
        svc.sync_groups.reverse();
        for g in &mut svc.sync_groups {
            g.server_endpoints.reverse();
            g.cloud_endpoints.reverse();
        }
    }
    shuffled.role_assignments.reverse();
    let mut normalized = shuffled.clone();
    normalized.normalize_order();
    assert_ne!(normalized, shuffled, "the fixture must have something to reorder");
    assert_eq!(run(&shuffled), run(&normalized));
    // And normalizing twice changes nothing.
    let mut again = normalized.clone();
    again.normalize_order();
    assert_eq!(again, normalized);
}

/// Issue 14, item 1: key access off is never a pass, and no plan ever turns it off.
#[test]
fn shared_key_access_off_is_a_warning_even_in_identity_mode_and_never_planned_off() {
    use crate::repair::plan::{ChangeKind, PlanOptions};
    use crate::repair::planners::{plan_enable_identity, plan_repair_with};
    let mut s = healthy();
    acct(&mut s).allow_shared_key_access = Some(false);
    let fs = run(&s);
    let f = of(&fs, CheckId::STORAGE_SHARED_KEY_ACCESS)[0];
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    assert_eq!(f.error_codes, vec!["0x80c8307c"]);
    assert!(f.command.as_deref().is_some_and(|c| c.contains("-AllowSharedKeyAccess $true")), "{f:#?}");
    assert!(!f.message.to_ascii_lowercase().contains("can be turned off"));
    // Repair, even with posture changes allowed, leaves it to the admin and says so.
    let opts = PlanOptions { include_security_posture_changes: true };
    let plan = plan_repair_with(&s, &fs, opts);
    assert!(plan.changes.iter().all(|c| c.kind != ChangeKind::SetStorageSharedKeyAccess), "{:#?}", plan.changes);
    assert!(
        plan.notes.iter().any(|n| n.contains(CheckId::STORAGE_SHARED_KEY_ACCESS.as_str()) && n.contains("Not planned")),
        "{:#?}",
        plan.notes
    );
    // Key access on and nothing using keys: a pass that does not suggest turning it off.
    let fs = run(&healthy());
    let f = of(&fs, CheckId::STORAGE_SHARED_KEY_ACCESS)[0];
    assert_eq!(f.status, Status::Pass);
    assert!(!f.message.to_ascii_lowercase().contains("turned off"), "{}", f.message);
    // Keys still in use: a failure, and the posture change turns it on (never off).
    let mut s = healthy();
    acct(&mut s).allow_shared_key_access = Some(false);
    svc(&mut s).use_identity = false;
    let fs = run(&s);
    assert_eq!(statuses(&fs, CheckId::STORAGE_SHARED_KEY_ACCESS), vec![Status::Fail]);
    for plan in [plan_repair_with(&s, &fs, opts), plan_enable_identity(&s)] {
        for c in &plan.changes {
            let body = c.request.body.to_string();
            assert!(!body.contains("\"allowSharedKeyAccess\":false"), "{body}");
        }
    }
    let plan = plan_repair_with(&s, &fs, opts);
    let turn_on: Vec<_> = plan.changes.iter().filter(|c| c.kind == ChangeKind::SetStorageSharedKeyAccess).collect();
    assert_eq!(turn_on.len(), 1);
    assert_eq!(turn_on[0].request.body["properties"]["allowSharedKeyAccess"], json!(true));
}

/// Issue 20, item 3 (replacing issue 14, item 7): in identity mode the legacy role is informational (pass
/// when held, not applicable when not, never planned, never removed); with keys it stays required.
#[test]
fn legacy_principal_is_informational_in_identity_mode() {
    use crate::repair::planners::plan_repair;
    let sync = "5a5a5a5a-0000-4000-8000-0000000000aa";
    let fs = run(&healthy());
    let f = of(&fs, CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL)[0];
    assert_eq!(f.status, Status::Pass, "{f:#?}");
    assert!(f.message.contains("only needed while the service uses keys"), "{}", f.message);
    let mut s = healthy();
    drop_assignment(&mut s, sync, roles::READER_AND_DATA_ACCESS.guid);
    let fs = run(&s);
    let f = of(&fs, CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL)[0];
    assert_eq!(f.status, Status::NotApplicable, "{f:#?}");
    assert!(f.message.contains("only needed while the service uses keys"), "{}", f.message);
    assert!(f.error_codes.is_empty() && f.remediation.is_none(), "{f:#?}");
    let plan = plan_repair(&s, &fs);
    assert!(plan.changes.is_empty(), "{:#?}", plan.changes);
    // Nothing anywhere suggests removing it.
    let text = serde_json::to_string(&fs).unwrap().to_ascii_lowercase();
    assert!(!text.contains("remove the reader") && !text.contains("remove-azroleassignment"), "{text}");
    // With keys in use it is a failure, as before (0x80c8305f).
    svc(&mut s).use_identity = false;
    let fs = run(&s);
    let f = of(&fs, CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL)[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c8305f"]);
    assert!(f.remediation.as_deref().unwrap().contains("Hybrid File Sync Service"));
    // Its object id unknown: unknown while keys are in use, not applicable in identity mode.
    let mut s = healthy();
    s.storage_sync_principal_id = None;
    assert_eq!(statuses(&run(&s), CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL), vec![Status::NotApplicable]);
    svc(&mut s).use_identity = false;
    assert_eq!(statuses(&run(&s), CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL), vec![Status::Unknown]);
}

/// Issue 20, item 1: a server with an identity it does not use yet is switched by running
/// Set-AzStorageSyncServiceIdentity again; one switched and waiting is in progress (a warning).
#[test]
fn a_server_with_an_unused_identity_is_switched_by_the_service_cmdlet() {
    let mut s = healthy();
    let srv = &mut svc(&mut s).registered_servers[0];
    srv.active_auth_type = Some("Certificate".into());
    srv.identity = Some(false);
    srv.application_id = Some("00000000-0000-0000-0000-000000000000".into());
    srv.latest_application_id = Some(P_S1.into());
    let fs = run(&s);
    let f = of(&fs, CheckId::SERVER_AUTH_MODE).into_iter().find(|f| f.resource_id.contains(S1)).unwrap();
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    let cmd = f.command.as_deref().unwrap();
    assert_eq!(cmd, "Set-AzStorageSyncServiceIdentity -ResourceGroupName 'rg-sync' -Name 'sync-prod'");
    assert!(!cmd.contains("Set-AzStorageSyncServer "), "{cmd}");
    let fix = f.remediation.as_deref().unwrap();
    assert!(fix.contains("15 minutes") && fix.contains("file-sync-troubleshoot-managed-identities"), "{fix}");
    // Switched minutes ago (identity true, applicationId set), still on its certificate: in progress.
    let srv = &mut svc(&mut s).registered_servers[0];
    srv.identity = Some(true);
    srv.application_id = Some(P_S1.into());
    srv.latest_application_id = Some("00000000-0000-0000-0000-000000000000".into());
    let fs = run(&s);
    let f = of(&fs, CheckId::SERVER_AUTH_MODE).into_iter().find(|f| f.resource_id.contains(S1)).unwrap();
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    assert!(f.message.contains("in progress") && f.message.contains("15 minutes"), "{}", f.message);
    assert!(!f.command.as_deref().unwrap_or_default().starts_with("Set-"), "{:?}", f.command);
    // Nothing else fails over it.
    assert!(
        fs.iter().all(|f| f.status != Status::Fail),
        "{:#?}",
        fs.iter().filter(|f| f.status == Status::Fail).collect::<Vec<_>>()
    );
}

/// Issue 20, item 2: a server without any identity keeps using keys (a warning, no code); a failure tied to
/// 0x80c8307c only where key access is off on an account it syncs with.
#[test]
fn a_server_without_an_identity_is_a_warning_unless_keys_are_off() {
    let mut s = healthy();
    let srv = &mut svc(&mut s).registered_servers[1];
    srv.active_auth_type = Some("Certificate".into());
    srv.identity = Some(false);
    srv.application_id = None;
    srv.latest_application_id = None;
    srv.machine = None;
    let fs = run(&s);
    let f = of(&fs, CheckId::SERVER_IDENTITY).into_iter().find(|f| f.resource_id.contains(S2)).unwrap();
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    assert!(f.error_codes.is_empty(), "{f:#?}");
    assert!(f.message.contains("shared key"), "{}", f.message);
    let fix = f.remediation.as_deref().unwrap();
    assert!(fix.contains("Azure Arc") && fix.contains("VM's system-assigned identity"), "{fix}");
    let auth = of(&fs, CheckId::SERVER_AUTH_MODE).into_iter().find(|f| f.resource_id.contains(S2)).unwrap();
    assert_eq!(auth.status, Status::NotApplicable, "{auth:#?}");
    // Key access off on the account its endpoint syncs with: a failure, 0x80c8307c.
    acct(&mut s).allow_shared_key_access = Some(false);
    let fs = run(&s);
    let f = of(&fs, CheckId::SERVER_IDENTITY).into_iter().find(|f| f.resource_id.contains(S2)).unwrap();
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert_eq!(f.error_codes, vec!["0x80c8307c"]);
    assert!(f.message.contains("'stsyncprod'"), "{}", f.message);
}

/// Issue 20, item 4: an Azure Arc machine that is Disconnected or Expired fails (the server uses its
/// identity), Connected passes, an Azure VM is not applicable; an older snapshot without the status is unknown.
#[test]
fn arc_connection_follows_the_machine_status() {
    let s = healthy();
    assert_eq!(statuses(&run(&s), CheckId::SERVER_ARC_CONNECTION), vec![Status::Pass, Status::Pass]);
    for status in ["Disconnected", "Expired"] {
        let mut s = healthy();
        svc(&mut s).registered_servers[0].machine.as_mut().unwrap().machine_status = Some(status.into());
        let fs = run(&s);
        let f = of(&fs, CheckId::SERVER_ARC_CONNECTION)[0];
        assert_eq!(f.status, Status::Fail, "{f:#?}");
        assert_eq!(f.command.as_deref(), Some("azcmagent show"));
        assert!(f.message.contains(status), "{}", f.message);
        assert_eq!(f.error_codes, vec!["0x80c80075", "0x80c86063"]);
    }
    // Before the switch it cannot break sync yet: a warning.
    let mut s = healthy();
    let srv = &mut svc(&mut s).registered_servers[0];
    srv.active_auth_type = Some("Certificate".into());
    srv.identity = Some(false);
    srv.machine.as_mut().unwrap().machine_status = Some("Disconnected".into());
    assert_eq!(of(&run(&s), CheckId::SERVER_ARC_CONNECTION)[0].status, Status::Warning);
    // An Azure VM has no Connected Machine agent.
    let mut s = healthy();
    let m = svc(&mut s).registered_servers[1].machine.as_mut().unwrap();
    m.resource_id =
        Some(format!("/subscriptions/{SUB}/resourceGroups/rg-servers/providers/Microsoft.Compute/virtualMachines/fs2"));
    m.machine_status = None;
    assert_eq!(of(&run(&s), CheckId::SERVER_ARC_CONNECTION)[1].status, Status::NotApplicable);
    // A file written before the status was collected: unknown, never a pass.
    let mut s = healthy();
    svc(&mut s).registered_servers[0].machine.as_mut().unwrap().machine_status = None;
    assert_eq!(of(&run(&s), CheckId::SERVER_ARC_CONNECTION)[0].status, Status::Unknown);
}

/// Issue 14, item 6: across tenants fails with managed identities only.
#[test]
fn tenants_may_differ_with_keys_but_not_with_identities() {
    let other = "99999999-0000-4000-8000-000000000000";
    let mut s = healthy();
    svc(&mut s).sync_groups[0].cloud_endpoints[0].storage_account_tenant_id = Some(other.into());
    for server in &mut svc(&mut s).registered_servers {
        server.active_auth_type = Some("Certificate".into());
    }
    svc(&mut s).use_identity = false;
    let fs = run(&s);
    let f = of(&fs, CheckId::IDENTITY_TENANT)[0];
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    assert!(f.error_codes.is_empty());
    assert!(f.message.contains(other));
    // One server switched is identity mode.
    svc(&mut s).registered_servers[0].active_auth_type = Some("ManagedIdentity".into());
    assert_eq!(statuses(&run(&s), CheckId::IDENTITY_TENANT), vec![Status::Fail]);
}

/// Issue 14, item 8: agent checks read ARM's status and date; no preview-era wording.
#[test]
fn agent_checks_read_arm_status_and_date() {
    let mut s = healthy();
    let servers = &mut svc(&mut s).registered_servers;
    servers[0].agent_version = Some("19.1.0.0".into());
    servers[1].agent_version_status = Some("Ok".into());
    servers[1].agent_version_expiration_date = Some((now() - Duration::days(2)).to_rfc3339());
    let fs = run(&s);
    let v = of(&fs, CheckId::SERVER_AGENT_VERSION);
    assert_eq!(v[0].status, Status::Fail);
    assert!(v[0].message.contains("20.0.0.0") && !v[0].message.contains("preview"), "{}", v[0].message);
    let st = of(&fs, CheckId::SERVER_AGENT_STATUS);
    assert_eq!(st[1].status, Status::Warning, "{:#?}", st[1]);
    assert!(st[1].message.contains("expired"), "{}", st[1].message);
    // A date in the future with status Ok passes and gives the days left.
    let mut s = healthy();
    svc(&mut s).registered_servers[0].agent_version_expiration_date = Some((now() + Duration::days(40)).to_rfc3339());
    svc(&mut s).registered_servers[0].agent_version_status = Some("Ok".into());
    let fs = run(&s);
    let st = of(&fs, CheckId::SERVER_AGENT_STATUS);
    assert_eq!(st[0].status, Status::Pass);
    assert!(st[0].message.contains("40 days"), "{}", st[0].message);
}

/// Issue 14, item 6: the server resource's tenant (its machine's identity) joins the tenant rule.
#[test]
fn a_machine_in_another_tenant_fails_the_tenant_rule_in_identity_mode() {
    let other = "99999999-0000-4000-8000-000000000000";
    let mut s = healthy();
    machine1(&mut s).machine_tenant_id = Some(TENANT.into());
    assert_eq!(statuses(&run(&s), CheckId::IDENTITY_TENANT), vec![Status::Pass]);
    machine1(&mut s).machine_tenant_id = Some(other.into());
    let fs = run(&s);
    let f = of(&fs, CheckId::IDENTITY_TENANT)[0];
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.message.contains("the machine of server 'fs1'") && f.message.contains(other), "{}", f.message);
}

/// A selection is validated once, where it is made from what a user typed: an id that names no check, or
/// a selection that leaves none, is refused there; one that is made runs as it is.
#[test]
fn a_selection_is_validated_where_it_is_made() {
    let e = Selection::new(vec!["no.such-check".into()], vec![]).unwrap_err();
    assert_eq!(e.kind(), crate::error::ErrorKind::InvalidInput);
    assert!(
        e.to_string().contains("unknown check 'no.such-check'") && e.to_string().contains("service.identity"),
        "{e}"
    );
    let e = Selection::new(vec![], vec!["no.such-area.*".into()]).unwrap_err();
    assert!(e.to_string().contains("unknown check 'no.such-area.*'"), "{e}");
    let e = Selection::new(vec!["storage.*".into()], vec!["storage.*".into()]).unwrap_err();
    assert!(e.to_string().contains("runs no check"), "{e}");
    let storage = Selection::new(vec!["storage.*".into()], vec![CheckId::STORAGE_SMB_SETTINGS.into()]).unwrap();
    assert!(storage.includes(&CheckId::STORAGE_TRUSTED_SERVICES) && !storage.includes(&CheckId::STORAGE_SMB_SETTINGS));
    assert!(!storage.includes(&CheckId::SERVICE_IDENTITY) && !storage.is_all());
    assert_eq!(storage.only(), ["storage.*"]);
    assert!(Selection::all().is_all() && Selection::all().includes(&CheckId::SERVICE_IDENTITY));
    let fs = report(&healthy(), &CheckContext::at(now()), &storage).findings;
    assert!(
        !fs.is_empty()
            && fs.iter().all(|f| f.check.starts_with("storage.") && f.check != CheckId::STORAGE_SMB_SETTINGS)
    );
}
