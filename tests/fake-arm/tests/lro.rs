//! Long-running operations: the service and registered server PATCHes.

mod common;

use std::time::Duration;

use common::*;
use fake_arm::topology::roles;
use fake_arm::*;
use serde_json::json;

const V: &str = "api-version=2022-09-01";

/// Poll an operation until it leaves InProgress (the machine may be loaded: no fixed sleep decides it).
async fn wait_until_done(arm: &FakeArm, op: &str) -> Resp {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let s = get(arm, "owner", op).await;
        if s.body["status"] != json!("InProgress") || std::time::Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn service_patch_is_202_in_progress_then_succeeded_and_only_then_visible() {
    let arm = FakeArm::start(topology().with_lro_delay_ms(2000)).await;
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}?{V}", svc_path()),
        Some(json!({"identity": {"type": "SystemAssigned"}, "properties": {"useIdentity": true}})),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.header("retry-after"), Some("1"));
    let async_op = r.header("azure-asyncoperation").unwrap().to_string();
    let location = r.header("location").unwrap().to_string();
    let root = format!("{}/subscriptions/{SUB}/providers/Microsoft.StorageSync/locations/westus/", arm.url());
    assert!(async_op.starts_with(&format!("{root}operations/")) && async_op.ends_with(&format!("?{V}")), "{async_op}");
    assert!(location.starts_with(&format!("{root}operationresults/")), "{location}");

    // Running: status InProgress, Location 202, and the service unchanged.
    let s = get(&arm, "owner", &async_op).await;
    assert_eq!(s.status, 200);
    assert_eq!(s.body["status"], json!("InProgress"));
    assert!(s.body["startTime"].is_string() && s.body.get("endTime").is_none());
    assert_eq!(get(&arm, "owner", &location).await.status, 202);
    let svc = get(&arm, "owner", &format!("{}?{V}", svc_path())).await;
    assert!(svc.body.get("identity").is_none());
    assert_eq!(svc.body["properties"]["useIdentity"], json!(false));
    assert_eq!(arm.pending_operations(), 1);

    let s = wait_until_done(&arm, &async_op).await;
    assert_eq!(s.body["status"], json!("Succeeded"));
    assert!(s.body["endTime"].is_string());
    let done = get(&arm, "owner", &location).await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body["properties"]["useIdentity"], json!(true));

    let svc = get(&arm, "owner", &format!("{}?{V}", svc_path())).await;
    let principal = svc.body["identity"]["principalId"].as_str().unwrap().to_string();
    assert_eq!(svc.body["identity"]["type"], json!("SystemAssigned"));
    assert_eq!(svc.body["identity"]["tenantId"], json!(arm.tenant_id()));
    assert_eq!(svc.body["properties"]["useIdentity"], json!(true));
    // Deterministic, and now a principal in the directory.
    let expected = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, svc_path().to_lowercase().as_bytes()).to_string();
    assert_eq!(principal, expected);
    assert!(arm.principal_exists(&principal));
    let modified =
        chrono::DateTime::parse_from_rfc3339(svc.body["systemData"]["lastModifiedAt"].as_str().unwrap()).unwrap();
    assert!(chrono::Utc::now().signed_duration_since(modified) < chrono::Duration::seconds(10));
    assert_eq!(arm.service(SUB, RG, SVC).unwrap()["identity"]["principalId"], json!(principal));
}

#[tokio::test]
async fn new_identity_is_subject_to_replication_delay() {
    let arm = FakeArm::start(topology().with_replication_delay_ms(2000)).await;
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}?{V}", svc_path()),
        Some(json!({"identity": {"type": "SystemAssigned"}})),
    )
    .await;
    assert_eq!(r.status, 202);
    let principal = arm.service(SUB, RG, SVC).unwrap()["identity"]["principalId"].as_str().unwrap().to_string();
    let put = |name: String| ra_path(&sa_id(), &name);
    let r = send(
        &arm,
        "PUT",
        Some("owner"),
        &put(uuid::Uuid::new_v4().to_string()),
        Some(ra_body(roles::STORAGE_ACCOUNT_CONTRIBUTOR, &principal)),
    )
    .await;
    assert_eq!(r.code(), "PrincipalNotFound");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = send(
        &arm,
        "PUT",
        Some("owner"),
        &put(uuid::Uuid::new_v4().to_string()),
        Some(ra_body(roles::STORAGE_ACCOUNT_CONTRIBUTOR, &principal)),
    )
    .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn service_patch_validation() {
    let arm = FakeArm::start(topology()).await;
    let p = format!("{}?{V}", svc_path());
    let r = send(&arm, "PATCH", Some("owner"), &p, Some(json!({"properties": {"useIdentity": true}}))).await;
    assert_eq!(r.status, 400, "useIdentity without an identity");
    let r = send(&arm, "PATCH", Some("owner"), &p, Some(json!({"properties": {"useIdentity": "yes"}}))).await;
    assert_eq!(r.code(), "InvalidRequestContent");
    let r = send(&arm, "PATCH", Some("owner"), &p, Some(json!({"identity": {"type": "Magic"}}))).await;
    assert_eq!(r.code(), "InvalidIdentityType");
    let r = send(&arm, "PATCH", Some("owner"), &p, None).await;
    assert_eq!(r.code(), "InvalidRequestContent");
    let r = send(&arm, "PUT", Some("owner"), &p, Some(json!({}))).await;
    assert_eq!(r.status, 405);
    assert_eq!(arm.pending_operations(), 0);
    // Api 2022-06-01 does not know the properties: accepted and ignored.
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}?api-version=2022-06-01", svc_path()),
        Some(json!({"identity": {"type": "SystemAssigned"}, "properties": {"useIdentity": true}})),
    )
    .await;
    assert_eq!(r.status, 202);
    assert!(arm.service(SUB, RG, SVC).unwrap().get("identity").is_none());
    // Turning the identity off removes it (and its principal).
    let r = send(&arm, "PATCH", Some("owner"), &p, Some(json!({"identity": {"type": "SystemAssigned"}}))).await;
    assert_eq!(r.status, 202);
    let principal = arm.service(SUB, RG, SVC).unwrap()["identity"]["principalId"].as_str().unwrap().to_string();
    let r = send(&arm, "PATCH", Some("owner"), &p, Some(json!({"identity": {"type": "None"}}))).await;
    assert_eq!(r.status, 202);
    assert!(arm.service(SUB, RG, SVC).unwrap().get("identity").is_none());
    assert!(!arm.principal_exists(&principal));
}

#[tokio::test]
async fn registered_server_patch_switches_to_managed_identity() {
    let arm = FakeArm::start(topology().with_lro_delay_ms(2000)).await;
    let p = format!("{}/registeredServers/{SERVER1}?{V}", svc_path());
    // The identity must be the server's own.
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &p,
        Some(json!({"properties": {"identity": true, "applicationId": SERVER2_MI}})),
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "InvalidApplicationId"));
    let r = send(&arm, "PATCH", Some("owner"), &p, Some(json!({"properties": {"identity": true}}))).await;
    assert_eq!(r.code(), "InvalidApplicationId");
    let r = send(
        &arm,
        "PATCH",
        Some("reader"),
        &p,
        Some(json!({"properties": {"identity": true, "applicationId": SERVER1_MI}})),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &p,
        Some(json!({"properties": {"identity": true, "applicationId": SERVER1_MI}})),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let op = r.header("azure-asyncoperation").unwrap().to_string();
    let before = get(&arm, "owner", &p).await;
    assert_eq!(before.body["properties"]["activeAuthType"], json!("Certificate"));
    assert_eq!(get(&arm, "owner", &op).await.body["status"], json!("InProgress"));
    assert_eq!(wait_until_done(&arm, &op).await.body["status"], json!("Succeeded"));
    let after = get(&arm, "owner", &p).await;
    let props = &after.body["properties"];
    assert_eq!(props["activeAuthType"], json!("ManagedIdentity"));
    assert_eq!(props["applicationId"], json!(SERVER1_MI));
    assert_eq!(props["latestApplicationId"], json!("00000000-0000-0000-0000-000000000000"));
    assert_eq!(props["identity"], json!(true));
    assert_eq!(
        arm.registered_server(SUB, RG, SVC, SERVER1).unwrap()["properties"]["activeAuthType"],
        json!("ManagedIdentity")
    );
    // A server with no identity at all cannot switch.
    let mut topo = topology();
    topo.storage_sync_services[0]
        .registered_servers
        .push(RegisteredServerSeed::new("bbbbbbbb-0000-4000-8000-000000000009", "bare"));
    let arm = FakeArm::start(topo).await;
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}/registeredServers/bbbbbbbb-0000-4000-8000-000000000009?{V}", svc_path()),
        Some(json!({"properties": {"identity": true, "applicationId": SERVER1_MI}})),
    )
    .await;
    assert_eq!(r.code(), "InvalidApplicationId");
    assert!(r.message().contains("has no managed identity"));
}

#[tokio::test]
async fn failed_operation_never_applies_its_change() {
    let arm = FakeArm::start(topology()).await;
    arm.inject(
        Fault::new(
            "PATCH",
            "storageSyncServices",
            FaultAction::FailOperation { code: "InternalServerError".into(), message: "boom".into() },
        )
        .times(1),
    );
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}?{V}", svc_path()),
        Some(json!({"identity": {"type": "SystemAssigned"}})),
    )
    .await;
    assert_eq!(r.status, 202);
    let s = get(&arm, "owner", r.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(s.body["status"], json!("Failed"));
    assert_eq!(s.body["error"]["code"], json!("InternalServerError"));
    let l = get(&arm, "owner", r.header("location").unwrap()).await;
    assert_eq!((l.status, l.code()), (500, "InternalServerError"));
    assert!(arm.service(SUB, RG, SVC).unwrap().get("identity").is_none());
    // The next one works.
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}?{V}", svc_path()),
        Some(json!({"identity": {"type": "SystemAssigned"}})),
    )
    .await;
    assert_eq!(get(&arm, "owner", r.header("azure-asyncoperation").unwrap()).await.body["status"], json!("Succeeded"));
    assert!(arm.service(SUB, RG, SVC).unwrap().get("identity").is_some());
    // Unknown operations are 404.
    let bogus = format!("/subscriptions/{SUB}/providers/Microsoft.StorageSync/locations/westus/operations/abc?{V}");
    assert_eq!(get(&arm, "owner", &bogus).await.status, 404);
}
