//! Issue 20: advice that is right for the states a migration passes through (late servers, mixed fleets,
//! the legacy role, Azure Arc), each state served by the fake ARM; and issue 21, item 9: enable-identity is
//! idempotent while a switched server waits for its agent.
//!
//! Sources: SupportArticles-docs `file-sync-troubleshoot-managed-identities.md` (04/2025), azure-docs
//! `file-sync-managed-identities.md` (05/2025) and `file-sync-resource-move.md` (08/2026).

mod support;

use fake_arm::*;
use filesync_identity::api::{ChangeKind, Plan, PlanKind, PlanOptions};
use filesync_identity::model::findings::Status;
use support::*;

/// fs1 has an identity (latestApplicationId) it does not use yet: still on its certificate.
fn fs1_not_switched(d: &mut Deployment) {
    let s = d.server_mut(SERVER1);
    *s = std::mem::take(s).ready_for_identity(P_S1);
    s.application_id = None;
    s.identity = Some(false);
}

/// fs2 has no managed identity at all (no Arc, no VM identity).
fn fs2_without_identity(d: &mut Deployment) {
    let s = d.server_mut(SERVER2);
    s.active_auth_type = "Certificate".into();
    s.application_id = None;
    s.latest_application_id = None;
    s.identity = Some(false);
    d.machines.retain(|m| m.name != "fs2");
    d.assignments.retain(|(_, _, p)| p != P_S2);
}

// ---- item 1 -------------------------------------------------------------------------------------

#[tokio::test]
async fn item1_a_server_with_an_unused_identity_is_switched_with_set_azstoragesyncserviceidentity() {
    let mut d = healthy();
    fs1_not_switched(&mut d);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("server.auth-mode", SERVER1);
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    assert_eq!(
        f.command.as_deref(),
        Some(format!("Set-AzStorageSyncServiceIdentity -ResourceGroupName '{RG}' -Name '{SVC}'").as_str())
    );
    let fix = f.remediation.as_deref().unwrap();
    assert!(fix.contains("15 minutes") && fix.contains("Turn on managed identity"), "{fix}");
    // Set-AzStorageSyncServer -Identity stays the fix only where the machine's identity changed.
    assert!(!fix.contains("Set-AzStorageSyncServer "), "{fix}");
    assert_eq!(run.one("server.machine-identity", SERVER1).status, Status::Pass);
}

// ---- item 2 -------------------------------------------------------------------------------------

#[tokio::test]
async fn item2_a_server_without_an_identity_keeps_its_keys_a_warning_unless_key_access_is_off() {
    let mut d = healthy();
    fs2_without_identity(&mut d);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("server.identity", SERVER2);
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    assert!(f.error_codes.is_empty(), "explains no error code: {f:#?}");
    assert!(f.message.contains("shared key"), "{}", f.message);
    assert_eq!(run.one("server.auth-mode", SERVER2).status, Status::NotApplicable);
    // Key access off on the account its endpoint syncs with: keys are unusable, a failure tied to 0x80c8307c.
    d.account.allow_shared_key_access = Some(false);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("server.identity", SERVER2);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert_eq!(f.error_codes, vec!["0x80c8307c"]);
    assert!(f.message.contains(&format!("'{ACCOUNT}'")), "{}", f.message);
    // The repair plan lists the identity as a manual step either way.
    let plan = filesync_identity::api::plan(&run.snapshot, PlanKind::Repair, PlanOptions::default());
    assert!(plan.manual_steps.iter().any(|m| m.resource_id.contains(SERVER2)), "{:#?}", plan.manual_steps);
}

// ---- item 3 -------------------------------------------------------------------------------------

#[tokio::test]
async fn item3_the_legacy_role_is_informational_in_identity_mode_and_required_with_keys() {
    let d = healthy().without_assignment(roles::READER_AND_DATA_ACCESS, P_SYNC);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.legacy-sync-principal", ACCOUNT);
    assert_eq!(f.status, Status::NotApplicable, "{f:#?}");
    assert!(f.message.contains("only needed while the service uses keys"), "{}", f.message);
    let plan = filesync_identity::api::plan(&run.snapshot, PlanKind::Repair, PlanOptions::default());
    assert!(plan.changes.is_empty(), "{:#?}", plan.changes);
    // Held in identity mode: a pass with the same line, and nothing suggests removing it.
    let fake = FakeArm::start(healthy().topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.legacy-sync-principal", ACCOUNT);
    assert_eq!(f.status, Status::Pass, "{f:#?}");
    assert!(f.message.contains("only needed while the service uses keys"), "{}", f.message);
    assert!(f.remediation.is_none() && f.command.is_none(), "{f:#?}");
    // Key mode: required, as the seed error 0x80c8305f says.
    let fake =
        FakeArm::start(shared_key_mixed().without_assignment(roles::READER_AND_DATA_ACCESS, P_SYNC).topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.legacy-sync-principal", ACCOUNT);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert_eq!(f.error_codes, vec!["0x80c8305f"]);
}

// ---- item 4 -------------------------------------------------------------------------------------

#[tokio::test]
async fn item4_an_arc_machine_that_is_disconnected_or_expired_fails_with_the_command_to_run_on_it() {
    let fake = FakeArm::start(healthy().topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.one("server.arc-connection", SERVER1).status, Status::Pass);
    // fs2 is an Azure VM: no Connected Machine agent.
    assert_eq!(run.one("server.arc-connection", SERVER2).status, Status::NotApplicable);
    let m = run.snapshot.services[0].registered_servers.iter().find(|s| s.server_id == SERVER1).unwrap();
    assert_eq!(m.machine.as_ref().unwrap().machine_status.as_deref(), Some("Connected"));
    for status in ["Disconnected", "Expired"] {
        let mut d = healthy();
        d.machines[0] = d.machines[0].clone().with_status(status);
        // fs1's endpoint reports the share access its identity lacks without tokens.
        d.service.sync_groups[0].server_endpoints[0].upload_last_sync_result = 0x80c86063_u32 as i32;
        let fake = FakeArm::start(d.topology()).await;
        let run = diagnose(&fake).await;
        let f = run.one("server.arc-connection", SERVER1);
        assert_eq!(f.status, Status::Fail, "{status}: {f:#?}");
        assert_eq!(f.command.as_deref(), Some("azcmagent show"));
        assert!(f.message.contains(status) && f.message.contains("fs1"), "{}", f.message);
        assert!(!f.error_codes.is_empty());
        // The identity error its endpoint reports is tied to it; nothing else fails.
        let live = run.one("sync.live-errors", "e0e0e0e0-0000-4000-8000-000000000001");
        assert_eq!(
            live.evidence.get("explainedBy").and_then(|v| v.as_str()),
            Some("server.arc-connection"),
            "{live:#?}"
        );
        let others: Vec<_> = run
            .report
            .findings
            .iter()
            .filter(|g| g.status == Status::Fail && g.check != "server.arc-connection" && g.check != "sync.live-errors")
            .collect();
        assert!(others.is_empty(), "{others:#?}");
    }
}

#[test]
fn item4_the_fake_serves_the_arc_status_as_arm_does_and_refuses_one_on_a_vm() {
    let mut d = healthy();
    d.machines[0] = d.machines[0].clone().with_status("Expired");
    let fake = FakeArm::start_blocking(d.topology());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let v = rt.block_on(get_as_caller(&fake, &machine1_id(), filesync_identity::model::api_versions::HYBRID_COMPUTE));
    assert_eq!(v["properties"]["status"], "Expired");
    let mut d = healthy();
    d.machines[1] = d.machines[1].clone().with_status("Connected");
    let err = FakeArm::try_start_blocking_with(d.topology(), Options::default()).err().expect("refused");
    assert!(err.contains("only Azure Arc machines have a status"), "{err}");
}

// ---- item 5 -------------------------------------------------------------------------------------

#[tokio::test]
async fn item5_role_fixes_show_the_documented_permission_cmdlets_with_the_endpoint_guids() {
    let d = healthy()
        .without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S1)
        .without_assignment(roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("cloud-endpoint.service-account-role", "c0c0c0c0-0000-4000-8000-000000000001");
    assert_eq!(f.status, Status::Fail);
    let fix = f.remediation.as_deref().unwrap();
    assert!(
        fix.contains(&format!("Set-AzStorageSyncCloudEndpointPermission -ResourceGroupName '{RG}' -StorageSyncServiceName '{SVC}' -SyncGroupName 'projects' -Name 'c0c0c0c0-0000-4000-8000-000000000001'")),
        "{fix}"
    );
    assert!(fix.contains("filesync-identity repair grants every missing role"), "{fix}");
    assert!(!fix.contains("resource move"), "the service still holds a role: {fix}");
    let f = run
        .of("server-endpoint.server-share-role")
        .into_iter()
        .find(|f| f.status == Status::Fail)
        .expect("fs1's share role fails");
    let fix = f.remediation.as_deref().unwrap();
    assert!(
        fix.contains(&format!("Set-AzStorageSyncServerEndpointPermission -ResourceGroupName '{RG}' -StorageSyncServiceName '{SVC}' -SyncGroupName 'projects' -Name 'e0e0e0e0-0000-4000-8000-000000000001'")),
        "{fix}"
    );
    // The tool's own exact grant stays the command.
    assert!(f.command.as_deref().unwrap().starts_with("New-AzRoleAssignment"));
}

#[tokio::test]
async fn item5_a_service_whose_roles_are_all_gone_is_told_the_resource_move_step() {
    let d = healthy()
        .without_assignment(roles::STORAGE_ACCOUNT_CONTRIBUTOR, P_SVC)
        .without_assignment(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_SVC);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    for check in ["cloud-endpoint.service-account-role", "cloud-endpoint.service-share-role"] {
        let f = run.one(check, "c0c0c0c0-0000-4000-8000-000000000001");
        let fix = f.remediation.as_deref().unwrap();
        assert!(
            fix.contains("resource move")
                && fix.contains("turn the identity on again")
                && fix.contains("a repair plan"),
            "{check}: {fix}"
        );
    }
}

#[tokio::test]
async fn item5_across_tenants_with_keys_is_called_unsupported() {
    let mut d = shared_key_mixed();
    d.service.sync_groups[0].cloud_endpoints[0].storage_account_tenant_id =
        Some("99999999-0000-4000-8000-000000000000".into());
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = &run.of("identity.tenant")[0];
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    assert!(f.message.contains("unsupported") && f.message.contains("sync can stop"), "{}", f.message);
}

#[test]
fn item5_explain_words_0x80c83079_and_links_identity_codes_to_the_troubleshooting_article() {
    let o = cli_command().args(["explain", "0x80c83079"]).output().unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("Documented causes") && out.contains("inference"), "{out}");
    assert!(out.contains("15 minutes") && !out.contains("up to an hour"), "{out}");
    for code in ["0x80c86063", "0x80c8305f"] {
        let o = cli_command().args(["explain", code]).output().unwrap();
        let (out, _) = text(&o);
        assert!(out.contains("file-sync-troubleshoot-managed-identities"), "{code}: {out}");
    }
    let o = cli_command().args(["explain", "0x80c8306b"]).output().unwrap();
    let (out, _) = text(&o);
    assert!(out.contains("server.agent-status") && !out.contains("server.agent-version"), "{out}");
}

// ---- issue 21, item 9 ---------------------------------------------------------------------------

/// After enable-identity switched fs1, its agent takes a while (here: longer than the test) to pick the
/// switch up, as on Azure (up to 15 minutes). A second plan sends nothing again and calls fs1 in progress.
#[tokio::test]
async fn enable_identity_twice_plans_nothing_for_a_server_waiting_for_its_switch() {
    let mut d = healthy();
    fs1_not_switched(&mut d);
    let mut topo = d.topology();
    topo.server_auth_switch_delay_ms = 600_000;
    let fake = FakeArm::start(topo).await;
    let o = cli(&fake, &["enable-identity", "--yes"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let patches: Vec<String> = writes_in_log(&fake).into_iter().filter(|w| w.starts_with("PATCH")).collect();
    assert_eq!(patches.len(), 1, "{patches:?}");
    // ARM now shows fs1 switched but still on its certificate.
    let server = fake.registered_server(SUB, RG, SVC, SERVER1).unwrap();
    assert_eq!(server["properties"]["activeAuthType"], "Certificate");
    assert_eq!(server["properties"]["identity"], true);
    assert_eq!(server["properties"]["applicationId"], P_S1);
    // The plan again: nothing for what is done, fs1 reported in progress.
    fake.clear_log();
    let o = cli(&fake, &["enable-identity", "--what-if", "--format", "json"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let plan = Plan::from_json(&out).unwrap();
    assert_eq!(plan.kind, PlanKind::EnableIdentity);
    assert!(plan.changes.iter().all(|c| c.kind != ChangeKind::SetServerIdentity), "{:#?}", plan.changes);
    assert!(plan.changes.is_empty(), "{:#?}", plan.changes);
    assert!(
        plan.notes.iter().any(|n| n.starts_with("In progress") && n.contains("fs1") && n.contains("15 minutes")),
        "{:#?}",
        plan.notes
    );
    // And a second enable-identity --yes writes nothing.
    let o = cli(&fake, &["enable-identity", "--yes"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert_eq!(writes_in_log(&fake), Vec::<String>::new());
    // The diagnosis says the same: a warning (switch in progress), not a failure.
    let run = diagnose(&fake).await;
    let f = run.one("server.auth-mode", SERVER1);
    assert_eq!(f.status, Status::Warning);
    assert!(f.message.contains("in progress"), "{}", f.message);
}
