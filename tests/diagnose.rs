//! Issue 2: collect + test against the fake ARM, for each state of a deployment the facts describe.
//! Every check has a scenario here that turns it from pass to fail (or warning) and back.

mod support;

use fake_arm::{roles, FakeArm, ManagementGroupSeed};
use filesync_identity::model::findings::Status;
use support::*;

#[tokio::test]
async fn healthy_deployment_passes_every_check() {
    let fake = FakeArm::start(healthy().topology()).await;
    let run = diagnose(&fake).await;
    assert!(run.problems().is_empty(), "unexpected problems: {:#?}", run.problems());
    assert_eq!(filesync_identity::api::exit_code(&run.report), 0);
    // Every check ran and produced at least one verdict on this deployment.
    for check in [
        "service.identity",
        "service.use-identity",
        "server.identity",
        "server.auth-mode",
        "server.agent-version",
        "cloud-endpoint.service-account-role",
        "cloud-endpoint.service-share-role",
        "server-endpoint.server-share-role",
        "storage.trusted-services",
        "storage.shared-key-access",
        "storage.legacy-sync-principal",
        "caller.can-repair",
        "role.wrong-share-scope",
        "role.deny-assignment",
        "storage.lock",
        "storage.network-access",
        "cloud-endpoint.share-exists",
        "identity.tenant",
        "server.identity-drift",
        "server.agent-status",
        "server.heartbeat",
        "sync.live-errors",
    ] {
        assert!(!run.of(check).is_empty(), "{check} produced no finding");
    }
    assert_eq!(run.statuses("server-endpoint.server-share-role"), vec![Status::Pass, Status::Pass]);
    // The legacy principal was found through Microsoft Graph.
    assert_eq!(run.snapshot.storage_sync_principal_id.as_deref(), Some(P_SYNC));
    assert_eq!(run.snapshot.storage_sync_principal_source.as_deref(), Some("graph"));
    // Nothing uses keys, and the legacy role is still held, as Microsoft's documents keep it (issue 14).
    assert_eq!(run.statuses("storage.legacy-sync-principal"), vec![Status::Pass]);
}

#[tokio::test]
async fn service_without_identity() {
    let mut d = healthy();
    d.service.identity = None;
    d.service.use_identity = false;
    d.account.allow_shared_key_access = Some(false);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("service.identity", SVC);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c8305f"]);
    assert!(f
        .command
        .as_deref()
        .unwrap()
        .starts_with("Set-AzStorageSyncServiceIdentity -ResourceGroupName 'rg-sync' -Name 'sync-prod'"));
    assert_eq!(run.one("service.use-identity", SVC).status, Status::Fail);
    // Without an identity there is nothing to hold the roles.
    assert_eq!(run.statuses("cloud-endpoint.service-account-role"), vec![Status::NotApplicable]);
    // Key access is off while the service still hands out keys.
    assert_eq!(run.one("storage.shared-key-access", ACCOUNT).status, Status::Fail);
    assert_eq!(filesync_identity::api::exit_code(&run.report), 1);
}

#[tokio::test]
async fn service_with_identity_not_used_yet_warns() {
    let mut d = healthy();
    d.service.use_identity = false;
    d.account.allow_shared_key_access = None;
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.one("service.use-identity", SVC).status, Status::Warning);
    assert_eq!(run.one("service.identity", SVC).status, Status::Pass);
    // Keys are still in use: the legacy role is needed and present.
    assert_eq!(run.one("storage.legacy-sync-principal", ACCOUNT).status, Status::Pass);
}

#[tokio::test]
async fn server_with_identity_not_used_yet() {
    let mut d = healthy();
    let s = d.server_mut(SERVER2);
    s.active_auth_type = "Certificate".into();
    s.application_id = None;
    s.identity = Some(false);
    s.latest_application_id = Some(P_S2.into());
    d.account.allow_shared_key_access = None;
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("server.auth-mode", SERVER2);
    assert_eq!(f.status, Status::Warning);
    assert_eq!(f.principal_id.as_deref(), Some(P_S2));
    // Issue 20: the documented step is Set-AzStorageSyncServiceIdentity again, not Set-AzStorageSyncServer.
    assert!(f.command.as_deref().unwrap().starts_with("Set-AzStorageSyncServiceIdentity "));
    assert_eq!(run.one("server.identity", SERVER2).status, Status::Pass);
    assert_eq!(run.one("server.auth-mode", SERVER1).status, Status::Pass);
}

#[tokio::test]
async fn server_without_identity_keeps_its_keys_and_needs_no_role() {
    let mut d = healthy();
    let s = d.server_mut(SERVER2);
    s.active_auth_type = "Certificate".into();
    s.application_id = None;
    s.identity = Some(false);
    d.account.allow_shared_key_access = None;
    let d = d.without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    // Issue 20: it keeps using a shared key (a warning); its switch is not applicable yet.
    assert_eq!(run.one("server.identity", SERVER2).status, Status::Warning);
    assert_eq!(run.one("server.auth-mode", SERVER2).status, Status::NotApplicable);
    let shares: Vec<_> = run.of("server-endpoint.server-share-role").iter().map(|f| f.status).collect();
    assert!(shares.contains(&Status::NotApplicable), "{shares:?}");
    assert!(!shares.contains(&Status::Fail));
}

#[tokio::test]
async fn agents_older_than_20_fail_the_preview_one_included() {
    let mut d = healthy();
    d.server_mut(SERVER1).agent_version = "17.3.0.0".into();
    d.server_mut(SERVER2).agent_version = "19.1.0.0".into();
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.one("server.agent-version", SERVER1).status, Status::Fail);
    // 19.1 was the preview's minimum; the GA article requires 20.0.0.0 (issue 14).
    assert_eq!(run.one("server.agent-version", SERVER2).status, Status::Fail);
}

#[tokio::test]
async fn missing_service_account_role() {
    let d = healthy().without_assignment(roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = &run.of("cloud-endpoint.service-account-role")[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c8305f"]);
    assert_eq!(f.principal_id.as_deref(), Some(P_SVC));
    assert_eq!(f.scope.as_deref(), Some(account_id().as_str()));
    assert!(f.role_definition_id.as_deref().unwrap().ends_with(roles::STORAGE_ACCOUNT_CONTRIBUTOR));
    assert_eq!(run.of("cloud-endpoint.service-share-role")[0].status, Status::Pass);
}

#[tokio::test]
async fn service_account_role_inherited_from_resource_group_counts() {
    let mut d = healthy().without_assignment(roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC);
    d.assignments.push((
        format!("/subscriptions/{SUB}/resourceGroups/{RG_STORAGE}"),
        roles::STORAGE_ACCOUNT_CONTRIBUTOR,
        P_SVC.into(),
    ));
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.of("cloud-endpoint.service-account-role")[0].status, Status::Pass);
}

#[tokio::test]
async fn missing_service_share_role() {
    let d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_SVC);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = &run.of("cloud-endpoint.service-share-role")[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c86053"]);
    assert_eq!(f.scope.as_deref(), Some(share_scope().as_str()));
}

#[tokio::test]
async fn missing_server_share_role() {
    let d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let fails: Vec<_> =
        run.of("server-endpoint.server-share-role").into_iter().filter(|f| f.status == Status::Fail).collect();
    assert_eq!(fails.len(), 1);
    assert_eq!(fails[0].principal_id.as_deref(), Some(P_S1));
    assert_eq!(fails[0].error_codes, vec!["0x80c86063", "0x80190193"]);
    assert!(fails[0].command.as_deref().unwrap().contains(&share_scope()));
}

#[tokio::test]
async fn share_role_at_the_shares_spelling_does_not_count() {
    let mut d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1);
    d.assignments.push((
        format!("{}/fileServices/default/shares/{SHARE}", account_id()),
        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        P_S1.into(),
    ));
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run
        .of("server-endpoint.server-share-role")
        .into_iter()
        .find(|f| f.principal_id.as_deref() == Some(P_S1))
        .unwrap()
        .clone();
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("fileshares"), "{}", f.message);
    assert!(f.evidence.contains_key("wrongScopeAssignmentId"));
}

#[tokio::test]
async fn missing_legacy_role_while_a_certificate_server_remains() {
    let mut d = healthy().without_assignment(roles::READER_AND_DATA_ACCESS, P_SYNC);
    let s = d.server_mut(SERVER2);
    s.active_auth_type = "Certificate".into();
    s.latest_application_id = Some(P_S2.into());
    s.application_id = None;
    d.account.allow_shared_key_access = None;
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.legacy-sync-principal", ACCOUNT);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.principal_id.as_deref(), Some(P_SYNC));
    assert!(f.message.contains("fs2.contoso.com"), "{}", f.message);
}

#[tokio::test]
async fn legacy_principal_unknown_without_graph() {
    let mut d = healthy();
    d.graph_principal = false;
    d.service.use_identity = false;
    d.account.allow_shared_key_access = None;
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.legacy-sync-principal", ACCOUNT);
    assert_eq!(f.status, Status::Unknown);
    assert!(f.reason.as_deref().unwrap().contains("--storage-sync-principal-id"));
}

#[tokio::test]
async fn firewall_without_trusted_services_exception() {
    let mut d = healthy();
    d.account = d.account.with_firewall("Deny", "Logging, Metrics");
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.trusted-services", ACCOUNT);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c83096", "0x80131500"]);
    assert!(f.command.as_deref().unwrap().ends_with("-Bypass Logging,Metrics,AzureServices"), "{:?}", f.command);
}

#[tokio::test]
async fn firewall_off_passes() {
    let mut d = healthy();
    d.account = d.account.with_firewall("Allow", "None");
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.one("storage.trusted-services", ACCOUNT).status, Status::Pass);
}

#[tokio::test]
async fn key_access_off_with_certificate_servers_left() {
    let mut d = healthy();
    let s = d.server_mut(SERVER1);
    s.active_auth_type = "Certificate".into();
    s.application_id = None;
    d.account.allow_shared_key_access = Some(false);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.shared-key-access", ACCOUNT);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c8307c"]);
    assert!(f.message.contains("fs1.contoso.com"));
    assert!(f.command.as_deref().unwrap().contains("-AllowSharedKeyAccess $true"));
}

#[tokio::test]
async fn roles_unreadable_make_role_checks_unknown_not_fail() {
    let d = healthy();
    let fake = FakeArm::start(d.topology()).await;
    fake.inject(fake_arm::Fault::new(
        "GET",
        "/providers/Microsoft.Authorization/roleAssignments",
        fake_arm::FaultAction::status(403, "AuthorizationFailed", "no"),
    ));
    let run = diagnose(&fake).await;
    assert_eq!(run.of("cloud-endpoint.service-account-role")[0].status, Status::Unknown);
    assert!(run.statuses("server-endpoint.server-share-role").iter().all(|s| *s == Status::Unknown));
    let read = run.of("collection.read");
    assert_eq!(read.len(), 1, "{read:#?}");
    assert_eq!(read[0].evidence.get("armCode").and_then(|v| v.as_str()), Some("AuthorizationFailed"));
    assert!(read[0].evidence.contains_key("requestId"));
    // Unknown is not a failure, and not a pass either: the diagnosis is incomplete (issue 15: never green
    // by mistake), which has its own exit code.
    assert_eq!(filesync_identity::api::exit_code(&run.report), filesync_identity::api::EXIT_INCOMPLETE);
}

// ---------------------------------------------------------------------------------------------------
// Issue 3: more checks. Each scenario turns one check from pass to fail (or warning).

fn rg_storage() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG_STORAGE}")
}

const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";
const OTHER_TENANT: &str = "99999999-0000-4000-8000-000000000000";

async fn diagnose_topology(t: fake_arm::Topology) -> Run {
    let fake = FakeArm::start(t).await;
    diagnose(&fake).await
}

#[tokio::test]
async fn caller_without_role_assignment_write_is_told_a_repair_would_fail() {
    let mut d = healthy().without_assignment(roles::OWNER, CALLER);
    d.assignments.push((format!("/subscriptions/{SUB}"), roles::CONTRIBUTOR, CALLER.into()));
    let run = diagnose_topology(d.topology()).await;
    let f = run.one("caller.can-repair", ACCOUNT);
    assert_eq!(f.status, Status::Warning);
    assert!(f.message.contains("A repair would fail") && f.message.contains("roleAssignments/write"), "{}", f.message);
    assert_eq!(filesync_identity::api::exit_code(&run.report), 0, "a warning, not a failure");
    // Azure File Sync Administrator on the account is enough.
    let mut d = healthy().without_assignment(roles::OWNER, CALLER);
    d.assignments.push((format!("/subscriptions/{SUB}"), roles::READER, CALLER.into()));
    d.assignments.push((account_id(), roles::FILE_SYNC_ADMINISTRATOR, CALLER.into()));
    let run = diagnose_topology(d.topology()).await;
    assert_eq!(run.one("caller.can-repair", ACCOUNT).status, Status::Pass);
}

#[tokio::test]
async fn share_role_at_the_shares_spelling_has_its_own_finding() {
    let mut d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2);
    let wrong = format!("{}/fileServices/default/shares/{SHARE}", account_id());
    d.assignments.push((wrong.clone(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2.into()));
    let run = diagnose_topology(d.topology()).await;
    let f = run.of("role.wrong-share-scope");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Fail);
    assert_eq!(f[0].principal_id.as_deref(), Some(P_S2));
    assert_eq!(f[0].scope.as_deref(), Some(share_scope().as_str()));
    let cmd = f[0].command.as_deref().unwrap();
    assert!(
        cmd.contains(&format!("-Scope '{wrong}'")) && cmd.contains(&format!("-Scope '{}'", share_scope())),
        "{cmd}"
    );
}

#[tokio::test]
async fn deny_assignment_cancelling_a_present_role_fails() {
    let deny = fake_arm::DenyAssignmentSeed {
        name: "deployment-stack-deny".into(),
        scope: rg_storage(),
        actions: vec!["*/write".into()],
        principals: vec![EVERYONE.into()],
        ..Default::default()
    };
    let run = diagnose_topology(healthy().topology().with_deny_assignment(deny.clone())).await;
    let f = run.of("role.deny-assignment");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].status, Status::Fail);
    assert_eq!(f[0].principal_id.as_deref(), Some(P_SVC));
    assert_eq!(f[0].error_codes, vec!["0x80c8305f"]);
    assert!(f[0].message.contains("deployment-stack-deny"), "{}", f[0].message);
    // Excluding the service's identity lifts it.
    let mut excluded = deny;
    excluded.exclude_principals = vec![P_SVC.into()];
    let run = diagnose_topology(healthy().topology().with_deny_assignment(excluded)).await;
    assert_eq!(run.statuses("role.deny-assignment"), vec![Status::Pass]);
}

#[tokio::test]
async fn read_only_lock_on_the_resource_group_fails_can_not_delete_passes() {
    let t = healthy().topology().with_lock(fake_arm::LockSeed::new("keep", &account_id(), "CanNotDelete"));
    let run = diagnose_topology(t).await;
    assert_eq!(run.one("storage.lock", ACCOUNT).status, Status::Pass);
    let t = healthy().topology().with_lock(fake_arm::LockSeed::new("frozen", &rg_storage(), "ReadOnly"));
    let run = diagnose_topology(t).await;
    let f = run.one("storage.lock", ACCOUNT);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c83092"]);
    assert!(f.command.as_deref().unwrap().starts_with("Remove-AzResourceLock -LockId"), "{:?}", f.command);
}

#[tokio::test]
async fn missing_share_fails() {
    let mut d = healthy();
    d.account.shares = vec!["something-else".into()];
    let run = diagnose_topology(d.topology()).await;
    let f = &run.of("cloud-endpoint.share-exists")[0];
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c86030"]);
    assert!(f.command.as_deref().unwrap().contains("New-AzRmStorageShare"));
}

#[tokio::test]
async fn storage_account_in_another_tenant_fails() {
    let mut d = healthy();
    d.service.sync_groups[0].cloud_endpoints[0].storage_account_tenant_id = Some(OTHER_TENANT.into());
    let run = diagnose_topology(d.topology()).await;
    let f = run.one("identity.tenant", SVC);
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains(OTHER_TENANT), "{}", f.message);
    assert_eq!(f.error_codes, vec!["0x80c83079", "0x80c83088"]);
}

#[tokio::test]
async fn server_identity_reset_is_detected() {
    // The server's identity was reset: it reports a new object id; the share still grants the old one.
    const P_NEW: &str = "5a5a5a5a-0000-4000-8000-0000000000b1";
    let mut d = healthy();
    d.server_mut(SERVER1).application_id = Some(P_NEW.into());
    let run = diagnose_topology(d.topology().with_principal(P_NEW)).await;
    let f = run.one("server.identity-drift", SERVER1);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.principal_id.as_deref(), Some(P_NEW));
    assert!(f.message.contains(P_S1), "the former identity is named: {}", f.message);
    assert!(f.command.as_deref().unwrap().contains(P_NEW));
    assert_eq!(run.one("server.identity-drift", SERVER2).status, Status::Pass);
}

#[tokio::test]
async fn role_assignment_of_a_deleted_principal_is_reported() {
    // ARM lists an assignment of a deleted principal with principalType Unknown.
    const P_GONE: &str = "5a5a5a5a-0000-4000-8000-0000000000d1";
    let mut seed = fake_arm::RoleAssignmentSeed::new(
        "7d7d7d7d-0000-4000-8000-000000000001",
        &share_scope(),
        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        P_GONE,
    );
    seed.principal_type = "Unknown".into();
    let run = diagnose_topology(healthy().topology().with_role_assignment(seed)).await;
    let f = run.one("server.identity-drift", "7d7d7d7d-0000-4000-8000-000000000001");
    assert_eq!(f.status, Status::Warning);
    assert_eq!(f.principal_id.as_deref(), Some(P_GONE));
    assert!(f.message.contains("no longer exists"), "{}", f.message);
}

#[tokio::test]
async fn cluster_name_endpoint_needs_the_role_for_every_node() {
    const CLUSTER: &str = "11111111-aaaa-4bbb-8ccc-0000000000c0";
    const CLUSTER_ID: &str = "c1c1c1c1-0000-4000-8000-000000000000";
    let mut d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2);
    for s in d.service.registered_servers.iter_mut() {
        s.server_role = "ClusterNode".into();
        s.cluster_id = Some(CLUSTER_ID.into());
        s.cluster_name = Some("fscluster".into());
    }
    let mut name = fake_arm::RegisteredServerSeed::new(CLUSTER, "fscluster.contoso.com");
    name.server_role = "ClusterName".into();
    name.cluster_id = Some(CLUSTER_ID.into());
    name.cluster_name = Some("fscluster".into());
    name.last_heart_beat = d.service.registered_servers[0].last_heart_beat.clone();
    d.service.registered_servers.push(name);
    let group = &mut d.service.sync_groups[0];
    group.server_endpoints.truncate(1);
    group.server_endpoints[0].server_id = CLUSTER.into();
    let run = diagnose_topology(d.topology()).await;
    let f = run.of("server-endpoint.server-share-role");
    assert_eq!(f.len(), 2, "one verdict per node: {f:#?}");
    let failed: Vec<_> = f.iter().filter(|f| f.status == Status::Fail).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].principal_id.as_deref(), Some(P_S2));
    assert!(failed[0].message.contains("cluster node 'fs2.contoso.com'"), "{}", failed[0].message);
    assert_eq!(run.one("server.identity", CLUSTER).status, Status::NotApplicable);
}

#[tokio::test]
async fn agent_status_and_stale_heartbeat() {
    let mut d = healthy();
    d.server_mut(SERVER1).agent_version_status = "Blocked".into();
    let s2 = d.server_mut(SERVER2);
    s2.agent_version_status = "NearExpiry".into();
    s2.agent_version_expiration_date = Some("2027-01-31T00:00:00Z".into());
    s2.last_heart_beat = Some((chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339());
    let run = diagnose_topology(d.topology()).await;
    let blocked = run.one("server.agent-status", SERVER1);
    assert_eq!(blocked.status, Status::Fail);
    assert_eq!(blocked.error_codes, vec!["0x80c8306b"]);
    let near = run.one("server.agent-status", SERVER2);
    assert_eq!(near.status, Status::Warning);
    assert!(near.message.contains("2027-01-31"), "{}", near.message);
    assert_eq!(run.one("server.heartbeat", SERVER1).status, Status::Pass);
    let stale = run.one("server.heartbeat", SERVER2);
    assert_eq!(stale.status, Status::Warning);
    assert!(stale.message.contains("days before the collection"), "{}", stale.message);
}

#[tokio::test]
async fn network_access() {
    // Public access off and no private endpoint: nothing gets in.
    let mut d = healthy();
    d.account.public_network_access = Some("Disabled".into());
    let run = diagnose_topology(d.topology()).await;
    let f = run.one("storage.network-access", ACCOUNT);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error_codes, vec!["0x80c8033e", "0x80c83099"]);
    // An approved private endpoint fixes it.
    d.account.private_endpoint_connections =
        vec![fake_arm::PrivateEndpointConnectionSeed { name: "pe-file".into(), status: "Approved".into() }];
    let run = diagnose_topology(d.topology()).await;
    assert_eq!(run.one("storage.network-access", ACCOUNT).status, Status::Pass);
    // Firewall on with no rule through which servers come in: a warning.
    let mut d = healthy();
    d.account.network_acls.ip_rules.clear();
    let run = diagnose_topology(d.topology()).await;
    assert_eq!(run.one("storage.network-access", ACCOUNT).status, Status::Warning);
}

#[tokio::test]
async fn identity_switched_on_minutes_ago_is_pending_not_failed() {
    let mut d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1);
    d.service.last_modified_at = Some(chrono::Utc::now() - chrono::Duration::minutes(3));
    let run = diagnose_topology(d.topology()).await;
    let f = run
        .of("server-endpoint.server-share-role")
        .into_iter()
        .find(|f| f.principal_id.as_deref() == Some(P_S1))
        .unwrap()
        .clone();
    assert_eq!(f.status, Status::Warning);
    assert!(f.message.contains("propagating"), "{}", f.message);
    assert_eq!(filesync_identity::api::exit_code(&run.report), 0);
}

#[tokio::test]
async fn live_errors_are_explained_by_the_failing_check() {
    let mut d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1);
    let ep = &mut d.service.sync_groups[0].server_endpoints[0];
    ep.upload_last_sync_result = 0x80c86063u32 as i32;
    ep.recall_errors = vec![fake_arm::RecallErrorSeed { error_code: 0x80c86063u32 as i32, count: 4 }];
    let ep2 = &mut d.service.sync_groups[0].server_endpoints[1];
    ep2.files_not_syncing_errors = vec![fake_arm::FilesNotSyncingSeed {
        error_code: 0x80c80065u32 as i32,
        persistent_count: 2,
        ..Default::default()
    }];
    let run = diagnose_topology(d.topology()).await;
    let live = run.of("sync.live-errors");
    assert_eq!(live.len(), 2, "{live:#?}");
    let f = live.iter().find(|f| f.error_codes == ["0x80c86063"]).unwrap();
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.message.starts_with("0x80c86063 (ECS_E_AZURE_AUTHORIZATION_PERMISSION_MISMATCH) on server 'fs1.contoso.com'"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("is explained by: the identity of server 'fs1.contoso.com' lacks Storage File Data Privileged Contributor on share 'projects'"),
        "{}",
        f.message
    );
    assert_eq!(f.evidence["explainedBy"], "server-endpoint.server-share-role");
    assert!(f.command.as_deref().unwrap().contains(&share_scope()));
    // A known code nothing here explains still gets the catalog's summary.
    let other = live.iter().find(|f| f.error_codes == ["0x80c80065"]).unwrap();
    assert_eq!(other.status, Status::Warning);
    assert!(other.message.contains("ECS_E_DATA_TRANSFER_BLOCKED"), "{}", other.message);
}

#[tokio::test]
async fn every_failure_at_once_is_one_coherent_report() {
    const P_NEW: &str = "5a5a5a5a-0000-4000-8000-0000000000b1";
    let mut d = healthy()
        .without_assignment(roles::OWNER, CALLER)
        .without_assignment(roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC)
        .without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2);
    d.assignments.push((format!("/subscriptions/{SUB}"), roles::CONTRIBUTOR, CALLER.into()));
    d.assignments.push((
        format!("{}/fileServices/default/shares/{SHARE}", account_id()),
        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        P_S2.into(),
    ));
    d.account = d.account.with_firewall("Deny", "None");
    d.account.public_network_access = Some("Disabled".into());
    d.account.shares = vec![];
    d.service.sync_groups[0].cloud_endpoints[0].storage_account_tenant_id = Some(OTHER_TENANT.into());
    d.server_mut(SERVER1).application_id = Some(P_NEW.into());
    d.server_mut(SERVER1).agent_version_status = "Expired".into();
    d.server_mut(SERVER2).last_heart_beat = Some((chrono::Utc::now() - chrono::Duration::days(10)).to_rfc3339());
    d.service.sync_groups[0].server_endpoints[1].upload_last_sync_result = 0x80c86063u32 as i32;
    let t = d
        .topology()
        .with_principal(P_NEW)
        .with_lock(fake_arm::LockSeed::new("frozen", &rg_storage(), "ReadOnly"))
        .with_deny_assignment(fake_arm::DenyAssignmentSeed {
            name: "no-data".into(),
            scope: account_id(),
            data_actions: vec!["Microsoft.Storage/storageAccounts/fileServices/*".into()],
            principals: vec![EVERYONE.into()],
            ..Default::default()
        });
    let run = diagnose_topology(t).await;
    for (check, want) in [
        ("caller.can-repair", Status::Warning),
        ("role.wrong-share-scope", Status::Fail),
        ("role.deny-assignment", Status::Fail),
        ("storage.lock", Status::Fail),
        ("cloud-endpoint.share-exists", Status::Fail),
        ("identity.tenant", Status::Fail),
        ("server.identity-drift", Status::Fail),
        ("server.agent-status", Status::Fail),
        ("server.heartbeat", Status::Warning),
        ("storage.network-access", Status::Fail),
        ("storage.trusted-services", Status::Fail),
        ("cloud-endpoint.service-account-role", Status::Fail),
        ("server-endpoint.server-share-role", Status::Fail),
        ("sync.live-errors", Status::Fail),
    ] {
        assert!(run.statuses(check).contains(&want), "{check}: {:?}", run.statuses(check));
    }
    // One report: the summary adds up, every finding names a known check, live errors come last and
    // point at findings that exist in the same report.
    let r = &run.report;
    assert_eq!(r.summary.total, r.findings.len());
    let ids: Vec<&str> = filesync_identity::api::list_checks().iter().map(|c| c.id.as_str()).collect();
    assert!(r.findings.iter().all(|f| ids.contains(&f.check.as_ref())));
    assert_eq!(r.findings.last().unwrap().check, "sync.live-errors");
    for f in run.of("sync.live-errors") {
        if let Some(by) = f.evidence.get("explainedBy").and_then(|v| v.as_str()) {
            let res = f.evidence["explainingResource"].as_str().unwrap();
            assert!(r.findings.iter().any(|g| g.check == by && g.resource_id == res), "{by} on {res}");
        }
    }
    assert_eq!(filesync_identity::api::exit_code(r), 1);
    // The JSON form round-trips.
    let json = serde_json::to_string(r).unwrap();
    let back: filesync_identity::model::findings::Report = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, r);
}

#[tokio::test]
async fn live_error_right_after_the_grant_is_reported_as_pending() {
    // The server's role was granted just now (seeded assignments date from long ago): a permission error
    // is the grant still taking effect, not a missing role.
    let mut d = healthy().without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1);
    d.service.sync_groups[0].server_endpoints[0].upload_last_sync_result = 0x80c86063u32 as i32;
    let fake = FakeArm::start(d.topology()).await;
    fake.add_role_assignment(fake_arm::RoleAssignmentSeed::new(
        "7e7e7e7e-0000-4000-8000-000000000001",
        &share_scope(),
        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        P_S1,
    ));
    let run = diagnose(&fake).await;
    assert!(run.snapshot.role_assignments.iter().all(|ra| ra.created_on.is_some()), "createdOn is collected");
    let f = run.of("sync.live-errors").into_iter().find(|f| !f.error_codes.is_empty()).unwrap().clone();
    assert_eq!(f.status, Status::Warning);
    assert!(f.message.contains("still taking effect"), "{}", f.message);
    assert_eq!(f.principal_id.as_deref(), Some(P_S1));
}

/// Azure RBAC: a role assigned at a management group is inherited by every subscription under it. ARM's
/// list of a scope's role assignments without a filter names those at, above and below the scope, so the
/// collection sees the assignment at the management group and the check counts it.
#[tokio::test]
async fn service_account_role_inherited_from_management_group_counts() {
    const MG: &str = "mg-files";
    let mg_scope = format!("/providers/Microsoft.Management/managementGroups/{MG}");
    let mut d = healthy().without_assignment(roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC);
    d.assignments.push((mg_scope.clone(), roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC.into()));
    let fake = FakeArm::start(d.topology().with_management_group(ManagementGroupSeed::new(MG, &[SUB]))).await;
    let run = diagnose(&fake).await;
    let f = &run.of("cloud-endpoint.service-account-role")[0];
    assert_eq!(f.status, Status::Pass, "{f:#?}");
    let held =
        run.snapshot.role_assignments.iter().find(|ra| ra.principal_id == P_SVC && ra.scope.as_str() == mg_scope);
    assert!(held.is_some(), "{:#?}", run.snapshot.role_assignments);
}
