//! Conformance with the real shapes: the key sets of the fake's responses against the Azure REST API spec
//! examples and the recorded ARM traffic in `../shared/fixtures` (skipped when that folder is absent, as
//! it is for users of the project).
//!
//! For each resource type: every key path of each fixture must be in the fake's answer (unless listed as
//! a documented omission), and every key path of the fake's answer must be in one of the fixtures for that
//! type (unless listed as a documented addition).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use fake_arm::*;
use serde_json::{json, Value};

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipped: ../shared not present");
        None
    }
}

fn load(root: &Path, rel: &str) -> Value {
    let text = std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn spec_body(root: &Path, rel: &str, status: &str) -> Value {
    load(root, &format!("rest-api-specs/{rel}"))["responses"][status]["body"].clone()
}

/// The recorded entry whose method and URI match, as (status, headers, body).
fn recorded(root: &Path, file: &str, method: &str, uri_contains: &str) -> (u64, Value, Value) {
    let v = load(root, &format!("recorded/{file}"));
    let e = v["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["RequestMethod"] == json!(method) && e["RequestUri"].as_str().unwrap().contains(uri_contains))
        .unwrap_or_else(|| panic!("{file}: no {method} {uri_contains}"));
    let body = e["ResponseBody"].as_str().unwrap_or("");
    let body = if body.is_empty() { Value::Null } else { serde_json::from_str(body).unwrap() };
    (e["StatusCode"].as_u64().unwrap(), e["ResponseHeaders"].clone(), body)
}

fn paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                out.insert(p.clone());
                paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                paths(x, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn key_paths(v: &Value) -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    paths(v, "", &mut s);
    s
}

fn covered(p: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|x| p == *x || p.starts_with(&format!("{x}.")) || p.starts_with(&format!("{x}[]")))
}

/// Compare the fake's `ours` with `fixtures` (name, body) of one resource type.
fn conform(kind: &str, ours: &Value, fixtures: &[(&str, Value)], may_omit: &[&str], may_add: &[&str]) -> Vec<String> {
    let mine = key_paths(ours);
    let mut union = BTreeSet::new();
    let mut problems = Vec::new();
    for (name, f) in fixtures {
        assert!(!f.is_null(), "{kind}: fixture {name} has no body");
        let theirs = key_paths(f);
        for p in theirs.difference(&mine) {
            if !covered(p, may_omit) {
                problems.push(format!("{kind}: '{p}' is in {name} but not in the fake's answer"));
            }
        }
        union.extend(theirs);
    }
    for p in mine.difference(&union) {
        if !covered(p, may_add) {
            problems.push(format!("{kind}: the fake answers '{p}', which no fixture has"));
        }
    }
    problems
}

fn conformance_topology() -> Topology {
    let mut t = topology();
    let s = &mut t.storage_sync_services[0];
    s.identity = Some(IdentitySeed {
        kind: "SystemAssigned".into(),
        principal_id: Some("12345678-0000-4000-8000-000000000001".into()),
        tenant_id: None,
    });
    s.use_identity = true;
    s.registered_servers[0].agent_version_expiration_date = Some("2026-06-11T21:50:40.5840543Z".into());
    s.registered_servers[1].agent_version_expiration_date = Some("2026-06-11T21:50:40.5840543Z".into());
    t.storage_accounts[0].allow_shared_key_access = Some(true);
    t.storage_accounts[0].network_acls.ip_rules = vec![IpRuleSeed { value: "1.2.3.4".into(), action: None }];
    t
}

fn header_names(h: &reqwest::header::HeaderMap) -> BTreeSet<String> {
    h.keys().map(|k| k.as_str().to_ascii_lowercase()).collect()
}

/// Headers of a recorded response the fake must send too (transport and edge headers aside).
fn required_headers(recorded: &Value) -> Vec<String> {
    let skip = [
        "strict-transport-security",
        "mise-correlation-id",
        "x-servicefabricrequestid",
        "x-ms-routing-request-id",
        "x-cache",
        "x-msedge-ref",
        "x-ms-ratelimit-remaining-subscription-global-reads",
        "x-ms-ratelimit-remaining-subscription-global-writes",
        "x-ms-operation-identifier",
    ];
    recorded
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.to_ascii_lowercase())
        .filter(|k| !skip.contains(&k.as_str()))
        .collect()
}

#[tokio::test]
async fn responses_have_the_keys_of_the_fixtures() {
    let Some(root) = shared() else { return };
    let arm = FakeArm::start(conformance_topology()).await;
    let v = "api-version=2025-12-01";
    let sync = "storagesync/2025-12-01";
    let mut problems = Vec::new();

    // Storage Sync Service: spec example, two recorded GETs, the recorded list item.
    let svc = get(&arm, "owner", &format!("{}?{v}", svc_path())).await;
    let (_, h_get, rec_get) =
        recorded(&root, "TestNewStorageSyncServiceWithIdentity.extract.json", "GET", "storageSyncServices/sssps2048?");
    let (_, _, rec_get2) =
        recorded(&root, "TestPatchRegisteredServer.extract.json", "GET", "storageSyncServices/sssps9599?");
    let (_, _, rec_list) =
        recorded(&root, "TestNewStorageSyncServiceWithIdentity.extract.json", "GET", "storageSyncServices?");
    problems.extend(conform(
        "storageSyncService",
        &svc.body,
        &[
            ("StorageSyncServices_Get", spec_body(&root, &format!("{sync}/StorageSyncServices_Get.json"), "200")),
            ("recorded GET", rec_get),
            ("recorded GET 2", rec_get2),
            ("recorded list item", rec_list["value"][0].clone()),
        ],
        &["identity.userAssignedIdentities", "properties.privateEndpointConnections"],
        &[],
    ));
    for h in required_headers(&h_get) {
        assert!(header_names(&svc.headers).contains(&h), "GET lacks header {h}");
    }
    let list = get(
        &arm,
        "owner",
        &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices?{v}"),
    )
    .await;
    assert_eq!(key_paths(&list.body["value"][0]), key_paths(&svc.body), "list items are shaped like GET");

    // Registered servers.
    let srv = get(&arm, "owner", &format!("{}/registeredServers/{SERVER2}?{v}", svc_path())).await;
    let (_, _, rec_srv) = recorded(&root, "TestPatchRegisteredServer.extract.json", "GET", "/registeredServers/");
    problems.extend(conform(
        "registeredServer",
        &srv.body,
        &[
            ("RegisteredServers_Get", spec_body(&root, &format!("{sync}/RegisteredServers_Get.json"), "200")),
            (
                "RegisteredServers_List item",
                spec_body(&root, &format!("{sync}/RegisteredServers_ListByStorageSyncService.json"), "200")["value"][0]
                    .clone(),
            ),
            ("recorded GET", rec_srv),
        ],
        &["properties.monitoringConfiguration"],
        &[],
    ));

    // Sync groups, cloud endpoints, server endpoints.
    let sg = get(&arm, "owner", &format!("{}/syncGroups/sg1?{v}", svc_path())).await;
    problems.extend(conform(
        "syncGroup",
        &sg.body,
        &[
            ("SyncGroups_Get", spec_body(&root, &format!("{sync}/SyncGroups_Get.json"), "200")),
            (
                "SyncGroups_List item",
                spec_body(&root, &format!("{sync}/SyncGroups_ListByStorageSyncService.json"), "200")["value"][0]
                    .clone(),
            ),
        ],
        &[],
        &[],
    ));
    let ce = get(&arm, "owner", &format!("{}/syncGroups/sg1/cloudEndpoints/{CE1}?{v}", svc_path())).await;
    problems.extend(conform(
        "cloudEndpoint",
        &ce.body,
        &[
            ("CloudEndpoints_Get", spec_body(&root, &format!("{sync}/CloudEndpoints_Get.json"), "200")),
            (
                "CloudEndpoints_List item",
                spec_body(&root, &format!("{sync}/CloudEndpoints_ListBySyncGroup.json"), "200")["value"][0].clone(),
            ),
        ],
        &[],
        &["properties.backupEnabled"],
    ));
    let se = get(&arm, "owner", &format!("{}/syncGroups/sg1/serverEndpoints/{SE1}?{v}", svc_path())).await;
    problems.extend(conform(
        "serverEndpoint",
        &se.body,
        &[("ServerEndpoints_Get", spec_body(&root, &format!("{sync}/ServerEndpoints_Get.json"), "200"))],
        &["properties.cloudTieringStatus.filesNotTiering.errors"],
        // The example has null error lists; the real service sends the items.
        &[
            "properties.syncStatus.uploadStatus.filesNotSyncingErrors",
            "properties.syncStatus.downloadStatus.filesNotSyncingErrors",
        ],
    ));

    // The PATCH that turns on the identity: 202 with the recorded headers, then the operation status.
    let patch = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}?api-version=2022-09-01", svc_path()),
        Some(json!({"identity": {"type": "SystemAssigned"}, "properties": {"useIdentity": true}})),
    )
    .await;
    let (rec_status, rec_headers, _) = recorded(
        &root,
        "TestServerEndpointWithIdentityMigration.extract.json",
        "PATCH",
        "storageSyncServices/sssps9498",
    );
    assert_eq!(patch.status as u64, rec_status);
    for h in required_headers(&rec_headers) {
        assert!(header_names(&patch.headers).contains(&h), "202 lacks header {h}");
    }
    let rec_async = rec_headers["Azure-AsyncOperation"][0].as_str().unwrap();
    let shape = |url: &str| -> Vec<String> {
        let path = url.split("://").nth(1).unwrap().split_once('/').unwrap().1.split('?').next().unwrap().to_string();
        let segs: Vec<String> = path.split('/').map(|s| s.to_ascii_lowercase()).collect();
        [0usize, 2, 3, 4, 6].iter().map(|i| segs[*i].clone()).chain(std::iter::once(segs.len().to_string())).collect()
    };
    assert_eq!(shape(patch.header("azure-asyncoperation").unwrap()), shape(rec_async));
    assert_eq!(shape(patch.header("location").unwrap()), shape(rec_headers["Location"][0].as_str().unwrap()));
    let op = get(&arm, "owner", patch.header("azure-asyncoperation").unwrap()).await;
    let (_, _, rec_op) = recorded(&root, "TestNewStorageSyncServiceWithIdentity.extract.json", "GET", "/operations/");
    problems.extend(conform(
        "operationStatus",
        &op.body,
        &[
            (
                "LocationOperationStatus_Get",
                spec_body(&root, &format!("{sync}/LocationOperationStatus_Get.json"), "200"),
            ),
            ("OperationStatus_Get", spec_body(&root, &format!("{sync}/OperationStatus_Get.json"), "200")),
            ("recorded operation", rec_op),
        ],
        &["error"],
        &[],
    ));

    // Storage account and share.
    let sa = get(&arm, "owner", &format!("{}?api-version=2025-06-01", sa_id())).await;
    problems.extend(conform(
        "storageAccount",
        &sa.body,
        &[(
            "StorageAccountGetProperties",
            spec_body(&root, "storage/2025-06-01/StorageAccountGetProperties.json", "200"),
        )],
        &[
            "properties.geoReplicationStats",
            "properties.routingPreference",
            "properties.secondaryLocation",
            "properties.statusOfSecondary",
            "properties.geoPriorityReplicationStatus",
            "properties.primaryEndpoints.internetEndpoints",
            "properties.primaryEndpoints.microsoftEndpoints",
            "properties.networkAcls.resourceAccessRules",
            // The example's tags are its own data.
            "tags.key1",
            "tags.key2",
        ],
        &[
            "properties.allowSharedKeyAccess",
            "properties.networkAcls.ipRules[]",
            "properties.privateEndpointConnections",
            "properties.minimumTlsVersion",
            "properties.allowBlobPublicAccess",
            "properties.accessTier",
        ],
    ));
    let update = spec_body(&root, "storage/2025-06-01/StorageAccountUpdate.json", "200");
    assert!(
        update["properties"]["allowSharedKeyAccess"].is_boolean()
            && sa.body["properties"]["allowSharedKeyAccess"].is_boolean()
    );
    let share =
        get(&arm, "owner", &format!("{}/fileServices/default/shares/share1?api-version=2025-06-01", sa_id())).await;
    problems.extend(conform(
        "fileShare",
        &share.body,
        &[("FileSharesGet", spec_body(&root, "storage/2025-06-01/FileSharesGet.json", "200"))],
        &[],
        &["properties.accessTier", "properties.enabledProtocols"],
    ));

    // Role assignments: list item, GET, PUT 201; role definitions.
    let ra_extra = [
        "properties.condition",
        "properties.conditionVersion",
        "properties.createdOn",
        "properties.updatedOn",
        "properties.createdBy",
        "properties.updatedBy",
        "properties.delegatedManagedIdentityResourceId",
        "properties.description",
    ];
    let authz = "authorization/2022-04-01";
    let list = get(
        &arm,
        "owner",
        &format!("{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01", sub_scope()),
    )
    .await;
    let one = get(&arm, "owner", &ra_path(&sub_scope(), "f0000000-0000-4000-8000-000000000001")).await;
    let created = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&sa_id(), &uuid::Uuid::new_v4().to_string()),
        Some(ra_body(fake_arm::topology::roles::READER_AND_DATA_ACCESS, SERVER1_MI)),
    )
    .await;
    assert_eq!(created.status, 201);
    let ra_fixtures = [
        (
            "RoleAssignments_ListForScope item",
            spec_body(&root, &format!("{authz}/RoleAssignments_ListForScope.json"), "200")["value"][0].clone(),
        ),
        ("RoleAssignments_Get", spec_body(&root, &format!("{authz}/RoleAssignments_Get.json"), "200")),
        (
            "RoleAssignments_CreateForResource 201",
            spec_body(&root, &format!("{authz}/RoleAssignments_CreateForResource.json"), "201"),
        ),
        ("RoleAssignments_Delete 200", spec_body(&root, &format!("{authz}/RoleAssignments_Delete.json"), "200")),
    ];
    for (what, body) in [("list item", &list.body["value"][0]), ("GET", &one.body), ("PUT", &created.body)] {
        problems.extend(conform(&format!("roleAssignment {what}"), body, &ra_fixtures, &[], &ra_extra));
    }
    let rd = get(
        &arm,
        "owner",
        &format!(
            "{}/providers/Microsoft.Authorization/roleDefinitions/{}?api-version=2022-04-01",
            sub_scope(),
            fake_arm::topology::roles::READER
        ),
    )
    .await;
    problems.extend(conform(
        "roleDefinition",
        &rd.body,
        &[("GetRoleDefinitionById", spec_body(&root, &format!("{authz}/GetRoleDefinitionById.json"), "200"))],
        &[],
        &["properties.createdOn", "properties.updatedOn", "properties.createdBy", "properties.updatedBy"],
    ));

    // The real 400: same code, same error keys, same gateway header.
    let (rec_status, rec_headers, rec_err) =
        recorded(&root, "StorageSyncServiceBadRequestTest.json", "PUT", "%25badsss");
    let bad = get(&arm, "owner", &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/%23%24%25badsss836?api-version=2022-09-01")).await;
    assert_eq!(bad.status as u64, rec_status);
    assert_eq!(bad.code(), rec_err["error"]["code"].as_str().unwrap());
    assert_eq!(key_paths(&bad.body), key_paths(&rec_err));
    for h in required_headers(&rec_headers) {
        assert!(header_names(&bad.headers).contains(&h), "400 lacks header {h}");
    }

    assert!(problems.is_empty(), "shape differences:\n{}", problems.join("\n"));
}
