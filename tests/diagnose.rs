//! Issue 2: collect + test against the fake ARM, for each state of a deployment the facts describe.
//! Every check has a scenario here that turns it from pass to fail (or warning) and back.

mod support;

use fake_arm::{roles, FakeArm};
use filesync_identity::findings::Status;
use support::*;

#[tokio::test]
async fn healthy_deployment_passes_every_check() {
    let fake = FakeArm::start(healthy().topology()).await;
    let run = diagnose(&fake).await;
    assert!(run.problems().is_empty(), "unexpected problems: {:#?}", run.problems());
    assert_eq!(filesync_identity::checks::exit_code(&run.report), 0);
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
    ] {
        assert!(!run.of(check).is_empty(), "{check} produced no finding");
    }
    assert_eq!(run.statuses("server-endpoint.server-share-role"), vec![Status::Pass, Status::Pass]);
    // The legacy principal was found through Microsoft Graph.
    assert_eq!(run.snapshot.storage_sync_principal_id.as_deref(), Some(P_SYNC));
    assert_eq!(run.snapshot.storage_sync_principal_source.as_deref(), Some("graph"));
    // Nothing uses keys, so the legacy role is not needed.
    assert_eq!(run.statuses("storage.legacy-sync-principal"), vec![Status::NotApplicable]);
}

#[tokio::test]
async fn service_without_identity() {
    let mut d = healthy();
    d.service.identity = None;
    d.service.use_identity = false;
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
    assert_eq!(filesync_identity::checks::exit_code(&run.report), 1);
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
    assert!(f.command.as_deref().unwrap().contains("Set-AzStorageSyncServer"));
    assert_eq!(run.one("server.identity", SERVER2).status, Status::Pass);
    assert_eq!(run.one("server.auth-mode", SERVER1).status, Status::Pass);
}

#[tokio::test]
async fn server_without_identity_fails_and_needs_no_role() {
    let mut d = healthy();
    let s = d.server_mut(SERVER2);
    s.active_auth_type = "Certificate".into();
    s.application_id = None;
    s.identity = Some(false);
    d.account.allow_shared_key_access = None;
    let d = d.without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.one("server.identity", SERVER2).status, Status::Fail);
    assert_eq!(run.one("server.auth-mode", SERVER2).status, Status::Fail);
    let shares: Vec<_> = run.of("server-endpoint.server-share-role").iter().map(|f| f.status).collect();
    assert!(shares.contains(&Status::NotApplicable), "{shares:?}");
    assert!(!shares.contains(&Status::Fail));
}

#[tokio::test]
async fn old_agent_fails_preview_agent_warns() {
    let mut d = healthy();
    d.server_mut(SERVER1).agent_version = "17.3.0.0".into();
    d.server_mut(SERVER2).agent_version = "19.1.0.0".into();
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.one("server.agent-version", SERVER1).status, Status::Fail);
    assert_eq!(run.one("server.agent-version", SERVER2).status, Status::Warning);
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
    assert_eq!(filesync_identity::checks::exit_code(&run.report), 0, "unknown is not a failure");
}
