//! Who changed it, and when (the Activity Log on findings), and what moved between two snapshots (diff),
//! against the fake ARM: its writes are recorded in its Activity Log, as ARM records them.

mod support;

use fake_arm::{roles, FakeArm, Fault, FaultAction, TokenSeed};
use filesync_identity::api::Change;
use filesync_identity::api::{ChangeKind, PlanKind};
use filesync_identity::model::findings::Status;
use filesync_identity::model::snapshot::Snapshot;
use support::*;

const ALICE_TOKEN: &str = "alice-token";
const ALICE: &str = "0a11ce00-0000-4000-8000-000000000001";

/// Keys still in use (server 2 has its certificate), key access on, every role in place; Alice may do
/// anything in the subscription.
fn working() -> Deployment {
    let mut d = healthy();
    d.account.allow_shared_key_access = None;
    let s = d.server_mut(SERVER2);
    s.active_auth_type = "Certificate".into();
    s.application_id = None;
    s.identity = Some(false);
    s.latest_application_id = Some(P_S2.into());
    d.assignments.push((format!("/subscriptions/{SUB}"), roles::OWNER, ALICE.to_string()));
    d
}

async fn start(d: &Deployment) -> FakeArm {
    let mut t = d.topology();
    t.tokens
        .insert(ALICE_TOKEN.into(), TokenSeed { caller: Some("alice@contoso.com".into()), ..TokenSeed::new(ALICE) });
    FakeArm::start(t).await
}

async fn collect_with(fake: &FakeArm, days: u32) -> Snapshot {
    collect(fake, service_target(), days).await.expect("collection succeeds").0
}

fn report(s: &Snapshot) -> filesync_identity::model::findings::Report {
    report_of(s)
}

fn finding<'a>(
    r: &'a filesync_identity::model::findings::Report,
    check: &str,
) -> &'a filesync_identity::model::findings::Finding {
    let found: Vec<_> = r.findings.iter().filter(|f| f.check == check && f.status == Status::Fail).collect();
    assert_eq!(
        found.len(),
        1,
        "one failing {check}: {:#?}",
        r.findings.iter().filter(|f| f.check == check).collect::<Vec<_>>()
    );
    found[0]
}

/// What Alice does last night: remove the service's share role and turn key access off.
async fn break_it(fake: &FakeArm) -> (String, String) {
    let http = reqwest::Client::new();
    let ra = fake
        .role_assignments()
        .into_iter()
        .find(|a| {
            a.principal_id == P_SVC && a.role_definition_id.ends_with(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR)
        })
        .expect("the service's share role");
    let del = http
        .delete(format!(
            "{}{}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
            fake.url(),
            ra.scope,
            ra.name
        ))
        .bearer_auth(ALICE_TOKEN)
        .header("x-ms-correlation-request-id", "c0ffee00-0000-4000-8000-000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    let patch = http
        .patch(format!("{}{}?api-version=2023-05-01", fake.url(), account_id()))
        .bearer_auth(ALICE_TOKEN)
        .json(&serde_json::json!({"properties": {"allowSharedKeyAccess": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    let correlation = patch.headers()["x-ms-correlation-request-id"].to_str().unwrap().to_string();
    ("c0ffee00-0000-4000-8000-000000000001".to_string(), correlation)
}

#[tokio::test]
async fn the_two_findings_name_who_and_when_live_and_offline() {
    let fake = start(&working()).await;
    let (delete_correlation, patch_correlation) = break_it(&fake).await;
    let snapshot = collect_with(&fake, 30).await;
    let log = snapshot.activity_log.as_ref().expect("the Activity Log was read");
    assert_eq!(log.days, 30);
    // One query per resource group: the service's, the storage account's and the servers' machines'.
    let groups: Vec<&str> = log.scopes.iter().map(|s| s.resource_group.as_str()).collect();
    assert_eq!(groups, [RG_SERVERS, RG_STORAGE, RG], "{:?}", log.scopes);
    assert!(log.scopes.iter().all(|s| s.read));
    let queries: Vec<_> = fake.request_log().into_iter().filter(|r| r.path.contains("eventtypes")).collect();
    assert_eq!(queries.len(), 3);
    for q in &queries {
        let filter = q.param("$filter").expect("a filter");
        assert!(filter.starts_with("eventTimestamp ge '") && filter.contains("resourceGroupName eq '"), "{filter}");
    }

    let r = report(&snapshot);
    let role = finding(&r, "cloud-endpoint.service-share-role");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        role.message.contains(&format!("The role assignment was removed by alice@contoso.com on {today}")),
        "{}",
        role.message
    );
    assert!(role.message.contains(&delete_correlation), "{}", role.message);
    let fact = role.evidence.get("activityLog").expect("evidence");
    assert_eq!(
        *fact,
        serde_json::json!({
            "caller": "alice@contoso.com",
            "eventTimestamp": log.events.iter().find(|e| e.operation_name.ends_with("roleAssignments/delete")).unwrap().event_timestamp,
            "operationName": "Microsoft.Authorization/roleAssignments/delete",
            "resourceId": log.events.iter().find(|e| e.operation_name.ends_with("roleAssignments/delete")).unwrap().resource_id,
            "correlationId": delete_correlation,
        })
    );
    let keys = finding(&r, "storage.shared-key-access");
    assert!(keys.message.contains("Last changed by alice@contoso.com on"), "{}", keys.message);
    assert!(keys.message.contains(&patch_correlation), "{}", keys.message);
    // Problems no change explains say so; passing findings carry nothing.
    for f in &r.findings {
        if f.status == Status::Pass {
            assert!(!f.evidence.contains_key("activityLog"), "{f:#?}");
        }
    }

    // The same verdicts as without the Activity Log: it names people, it never judges.
    let without = report(&collect_with(&fake, 0).await);
    let statuses = |r: &filesync_identity::model::findings::Report| -> Vec<(String, String, Status)> {
        r.findings.iter().map(|f| (f.check.to_string(), f.resource_id.to_string(), f.status)).collect()
    };
    assert_eq!(statuses(&r), statuses(&without));
    assert!(without.findings.iter().all(|f| !f.evidence.contains_key("activityLog")));

    // Offline, from the saved snapshot: the same words.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    snapshot.save(&path).unwrap();
    let loaded = Snapshot::load(&path).unwrap();
    assert_eq!(loaded.schema_version, 2);
    let offline = report(&loaded);
    assert_eq!(finding(&offline, "cloud-endpoint.service-share-role").message, role.message);
    assert_eq!(finding(&offline, "storage.shared-key-access").message, keys.message);
}

#[tokio::test]
async fn a_caller_who_cannot_read_the_log_is_told_in_one_line_and_the_verdicts_stand() {
    let fake = start(&working()).await;
    break_it(&fake).await;
    fake.inject(Fault::new(
        "GET",
        "eventtypes",
        FaultAction::forbidden(
            "The client does not have authorization to perform action 'Microsoft.Insights/eventtypes/values/read'.",
        ),
    ));
    let snapshot = collect_with(&fake, 30).await;
    assert!(snapshot.collection_errors.is_empty(), "an unread Activity Log is not a collection error");
    let log = snapshot.activity_log.as_ref().unwrap();
    assert!(log.scopes.iter().all(|s| !s.read && s.error.as_deref().unwrap().contains("AuthorizationFailed")));
    let line = filesync_identity::report::activity_summary_line(&snapshot).expect("one line");
    assert!(line.starts_with("Activity Log: could not be read for rg-") && !line.contains('\n'), "{line}");
    let r = report(&snapshot);
    let role = finding(&r, "cloud-endpoint.service-share-role");
    assert!(!role.message.contains("removed by"), "{}", role.message);
    let why = role.evidence.get("activityLog").and_then(|f| f.as_str()).unwrap();
    assert!(why.starts_with("the Activity Log could not be read here (AuthorizationFailed"), "{why}");
    assert_eq!(filesync_identity::api::exit_code(&r), 1);

    // An empty window says so too.
    let quiet = start(&working()).await;
    let s = collect_with(&quiet, 7).await;
    assert_eq!(
        filesync_identity::report::activity_summary_line(&s).as_deref(),
        Some("Activity Log: no changes to the deployment in the last 7 days.")
    );
}

#[tokio::test]
async fn diff_across_a_repair_lists_exactly_the_repairs_changes() {
    let fake = FakeArm::start(broken_with_keys().topology()).await;
    let before = collect_with(&fake, 30).await;
    let (plan, applied) = plan_and_apply(&fake, PlanKind::Repair, &fast_apply()).await;
    applied.expect("the repair applies");
    assert!(!plan.changes.is_empty());
    let after = collect_with(&fake, 30).await;

    let d = filesync_identity::api::diff(&before, None, &after, None).unwrap();
    let planned: std::collections::BTreeSet<(String, String, String)> = plan
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::RoleAssignment)
        .map(|c| {
            let g = c.grant.as_ref().expect("a grant");
            (g.scope.to_ascii_lowercase(), g.role_guid.to_ascii_lowercase(), g.principal_id.to_ascii_lowercase())
        })
        .collect();
    assert_eq!(planned.len(), plan.changes.len(), "a repair of roles only");
    let listed: std::collections::BTreeSet<(String, String, String)> = d
        .role_assignments
        .iter()
        .map(|r| {
            assert_eq!(r.change, Change::Added);
            (
                r.scope.to_ascii_lowercase(),
                filesync_identity::model::resource_id::role_guid(&r.role_definition_id),
                r.principal_id.to_ascii_lowercase(),
            )
        })
        .collect();
    assert_eq!(listed, planned);
    assert_eq!(d.role_assignments.len(), planned.len());
    assert!(d.settings.is_empty(), "{:#?}", d.settings);
    assert!(d.resources.is_empty(), "{:#?}", d.resources);
    assert!(d.findings.iter().any(|f| f.old == Some(Status::Fail) && f.new == Some(Status::Pass)));
    assert_eq!(d.exit_code(), 1);

    // The repair's own writes show up in the Activity Log as the tool's caller.
    let log = after.activity_log.as_ref().unwrap();
    let grants: Vec<_> = log.events.iter().filter(|e| e.operation_name.ends_with("roleAssignments/write")).collect();
    assert_eq!(grants.len(), planned.len());
    assert!(grants.iter().all(|e| e.caller == CALLER));

    // Nothing moved between two collections with no write between them.
    let again = collect_with(&fake, 30).await;
    let same = filesync_identity::api::diff(&after, None, &again, None).unwrap();
    assert!(same.is_empty(), "{}", filesync_identity::report::render_diff_table(&same));
}

#[tokio::test]
async fn the_api_and_the_command_line_diff_and_take_activity_days() {
    let fake = start(&working()).await;
    let before = collect_with(&fake, 30).await;
    break_it(&fake).await;
    let session = filesync_identity::api::Session::new(session_options(&fake)).unwrap();
    let sink: std::sync::Arc<dyn filesync_identity::api::EventSink> =
        std::sync::Arc::new(filesync_identity::api::NullSink);
    let cancel = filesync_identity::api::CancellationToken::new();
    let run = |request: serde_json::Value| {
        let (session, sink, cancel) = (&session, sink.clone(), cancel.clone());
        async move { filesync_identity::api::execute(session, &request, sink, &cancel).await }
    };
    // activityDays: 0 skips the log; out of range is refused before any request.
    fake.clear_log();
    let skipped =
        run(serde_json::json!({"operation": "collect", "target": {"resourceId": service_id()}, "activityDays": 0}))
            .await
            .unwrap();
    assert!(skipped.get("activityLog").is_none());
    assert_eq!(fake.count_by(|r| r.path.contains("eventtypes")), 0);
    let e = run(serde_json::json!({"operation": "test", "target": {"resourceId": service_id()}, "activityDays": 91}))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), filesync_identity::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("0 to 90"), "{e}");
    let after =
        run(serde_json::json!({"operation": "collect", "target": {"resourceId": service_id()}, "activityDays": 5}))
            .await
            .unwrap();
    assert_eq!(after["activityLog"]["days"], 5);

    // diff through the API, inline and by path.
    let before_json = serde_json::to_value(&before).unwrap();
    let d = run(serde_json::json!({"operation": "diff", "old": before_json, "new": after})).await.unwrap();
    assert_eq!(d["summary"]["roleAssignments"], 1);
    assert_eq!(d["roleAssignments"][0]["change"], "removed");
    assert_eq!(d["settings"][0]["field"], "allowSharedKeyAccess");
    assert_eq!(d["settings"][0]["new"], false);
    let e = run(serde_json::json!({"operation": "diff", "old": before_json})).await.unwrap_err();
    assert!(e.to_string().contains("two snapshots"), "{e}");

    // The command line: 1 when something moved, 0 when nothing did, 2 for two deployments.
    let dir = tempfile::tempdir().unwrap();
    let (old_path, new_path, other_path) =
        (dir.path().join("old.json"), dir.path().join("new.json"), dir.path().join("other.json"));
    before.save(&old_path).unwrap();
    Snapshot::from_json(&after.to_string()).unwrap().save(&new_path).unwrap();
    let mut other = before.clone();
    other.target.name = Some("sync-other".into());
    other.save(&other_path).unwrap();
    let out = cli_command().arg("diff").arg(&old_path).arg(&new_path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Role assignments:\n  - Storage File Data Privileged Contributor for"), "{text}");
    assert!(text.contains("~ storageAccount 'stsyncprod': allowSharedKeyAccess: (absent) -> false"), "{text}");
    let out = cli_command().args(["diff", "--format", "json"]).arg(&new_path).arg(&new_path).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["summary"],
        serde_json::json!({"roleAssignments": 0, "settings": 0, "resources": 0, "findings": 0})
    );
    let out = cli_command().args(["diff", "--format", "markdown"]).arg(&old_path).arg(&new_path).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("# What moved\n"));
    let out = cli_command().arg("diff").arg(&old_path).arg(&other_path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("different deployments") && err.contains("sync-other"), "{err}");
    let out = cli_command().args(["test", "--activity-days", "91", "--snapshot"]).arg(&old_path).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "clap refuses a window beyond 90 days");
}

/// Issue 16: a server whose machine's identity was reset names who reset it. The machine lives in a
/// resource group of its own, which is read too; the event is found by the machine, not the server.
#[tokio::test]
async fn a_reset_machine_identity_names_who_reset_the_machine() {
    const P_NEW: &str = "5a5a5a5a-0000-4000-8000-0000000000f1";
    let mut d = working();
    d.machines[0].principal_id = Some(P_NEW.into());
    d.graph_principals.push(fake_arm::ServicePrincipalSeed::managed_identity(P_S1, &machine1_id(), "fs1"));
    let mut t = d.topology();
    t.tokens
        .insert(ALICE_TOKEN.into(), TokenSeed { caller: Some("alice@contoso.com".into()), ..TokenSeed::new(ALICE) });
    let at = chrono::Utc::now() - chrono::Duration::days(2);
    t.activity_log.push(fake_arm::ActivityEventSeed {
        event_timestamp: at,
        caller: "dave@contoso.com".into(),
        operation_name: "Microsoft.HybridCompute/machines/write".into(),
        resource_id: machine1_id(),
        status: "Succeeded".into(),
        sub_status: None,
        correlation_id: Some("d0d0d0d0-0000-4000-8000-000000000001".into()),
        http_method: Some("PUT".into()),
        request_body: Some(serde_json::json!({"location": "westeurope", "identity": {"type": "SystemAssigned"}})),
        response_body: None,
    });
    let fake = FakeArm::start(t).await;
    let snapshot = collect_with(&fake, 30).await;
    let log = snapshot.activity_log.as_ref().expect("read");
    assert!(log.scopes.iter().any(|s| s.resource_group == RG_SERVERS && s.read), "{:?}", log.scopes);
    let r = report(&snapshot);
    let f = finding(&r, "server.machine-identity");
    assert!(f.resource_id.ends_with(SERVER1), "{}", f.resource_id);
    assert!(
        f.message.contains(&format!(
            "The machine's identity was last changed by dave@contoso.com on {}",
            at.format("%Y-%m-%d")
        )),
        "{}",
        f.message
    );
    let fact = serde_json::to_value(f.evidence.get("activityLog").expect("evidence")).unwrap();
    assert_eq!(fact["operationName"], "Microsoft.HybridCompute/machines/write");
    assert_eq!(fact["resourceId"].as_str().map(str::to_ascii_lowercase), Some(machine1_id().to_ascii_lowercase()));
    assert_eq!(fact["correlationId"], "d0d0d0d0-0000-4000-8000-000000000001");
    // The other server's machine was not touched: its finding passes and names nobody.
    let other = r.findings.iter().find(|f| f.check == "server.machine-identity" && f.resource_id.ends_with(SERVER2));
    assert!(other.is_some_and(|f| f.status == Status::Pass && !f.evidence.contains_key("activityLog")));
}

/// A service closed to public traffic whose private endpoint connection was removed names who removed it
/// (the connection's delete is recorded on the service).
#[tokio::test]
async fn a_removed_private_endpoint_connection_names_who_removed_it() {
    let mut d = working();
    d.service.incoming_traffic_policy = Some("AllowVirtualNetworksOnly".into());
    let mut t = d.topology();
    t.tokens
        .insert(ALICE_TOKEN.into(), TokenSeed { caller: Some("alice@contoso.com".into()), ..TokenSeed::new(ALICE) });
    let at = chrono::Utc::now() - chrono::Duration::days(1);
    t.activity_log.push(fake_arm::ActivityEventSeed {
        event_timestamp: at,
        caller: "erin@contoso.com".into(),
        operation_name: "Microsoft.StorageSync/storageSyncServices/privateEndpointConnections/delete".into(),
        resource_id: format!("{}/privateEndpointConnections/pe-sync", service_id()),
        status: "Succeeded".into(),
        sub_status: None,
        correlation_id: Some("e0e0e0e0-0000-4000-8000-000000000001".into()),
        http_method: Some("DELETE".into()),
        request_body: None,
        response_body: None,
    });
    let fake = FakeArm::start(t).await;
    let r = report(&collect_with(&fake, 30).await);
    let f = finding(&r, "service.private-endpoint");
    assert!(f.message.contains(&format!("Deleted by erin@contoso.com on {}", at.format("%Y-%m-%d"))), "{}", f.message);
    assert!(f.message.contains("e0e0e0e0-0000-4000-8000-000000000001"), "{}", f.message);
}
