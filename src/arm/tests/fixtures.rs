//! Issue 2: every example of the official REST specs and every recorded ARM response in `../shared/fixtures`
//! parses into the project's models. `../shared` is not part of the project: when it is absent, the test
//! says so and checks nothing else.

use std::path::{Path, PathBuf};

use crate::arm::wire as m;
use serde_json::Value;

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipped: ../shared not present (fixture conformance needs it)");
        None
    }
}

/// Every response body of a spec example (`responses.{status}.body`), with its file name.
fn spec_bodies(dir: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        if f.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if let Some(responses) = v.get("responses").and_then(Value::as_object) {
            for (status, r) in responses {
                if let Some(body) = r.get("body") {
                    out.push((format!("{name} {status}"), body.clone()));
                }
            }
        }
    }
    out
}

/// The items of a body: the `value` array of a list, or the body itself.
fn items(body: &Value) -> Vec<Value> {
    match body.get("value") {
        Some(Value::Array(a)) => a.clone(),
        _ => vec![body.clone()],
    }
}

#[test]
fn storage_sync_examples_parse() {
    let Some(root) = shared() else { return };
    let bodies = spec_bodies(&root.join("rest-api-specs/storagesync/2025-12-01"));
    assert!(bodies.len() >= 15, "expected the storagesync examples, found {}", bodies.len());
    let mut parsed = 0;
    for (name, body) in bodies {
        let op = name.split('_').next().unwrap();
        for item in items(&body) {
            let result = match op {
                "StorageSyncServices" => m::service(&item).map(|_| ()),
                "RegisteredServers" => m::registered_server(&item).map(|_| ()),
                "SyncGroups" => m::sync_group(&item).map(|_| ()),
                "CloudEndpoints" => m::cloud_endpoint(&item).map(|_| ()),
                "ServerEndpoints" => m::server_endpoint(&item).map(|_| ()),
                _ => continue,
            };
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
            parsed += 1;
        }
    }
    assert!(parsed >= 15, "only {parsed} resources parsed");
}

#[test]
fn spec_examples_keep_their_meaning() {
    let Some(root) = shared() else { return };
    let dir = root.join("rest-api-specs/storagesync/2025-12-01");
    let read = |f: &str| -> Value {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap();
        v["responses"]["200"]["body"].clone()
    };
    let svc = m::service(&read("StorageSyncServices_Get.json")).unwrap();
    assert!(
        svc.identity.as_ref().unwrap().has_system_assigned(),
        "'SystemAssigned, UserAssigned' has a system identity"
    );
    let server = m::registered_server(&read("RegisteredServers_Get.json")).unwrap();
    assert_eq!(server.active_auth_type.as_deref(), Some("Certificate"));
    assert_eq!(server.application_id.as_deref(), Some("00000000-0000-0000-0000-000000000001"));
    assert_eq!(server.identity, Some(false));
    let ep = m::server_endpoint(&read("ServerEndpoints_Get.json")).unwrap();
    assert_eq!(ep.upload_last_sync_result, Some(-2134351810));
    assert_eq!(ep.recall_errors.len(), 3);
    // The example carries an empty account id and a quoted tenant id: both tolerated, neither invented.
    let ce = m::cloud_endpoint(&read("CloudEndpoints_Get.json")).unwrap();
    assert_eq!(ce.storage_account_resource_id, None);
    assert_eq!(ce.storage_account_tenant_id.as_deref(), Some("a4d1b191-c1af-4cef-a14b-f670e0beea52"));
}

#[test]
fn authorization_and_storage_examples_parse() {
    let Some(root) = shared() else { return };
    for (name, body) in spec_bodies(&root.join("rest-api-specs/authorization/2022-04-01")) {
        if name.starts_with("RoleAssignments") {
            for item in items(&body) {
                let ra = m::role_assignment(&item).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(!ra.principal_id.is_empty(), "{name}");
                assert_eq!(ra.role_guid(), "0b5fe924-9a61-425c-96af-cfe6e287ca2d", "{name}");
            }
        }
    }
    let dir = root.join("rest-api-specs/storage/2025-06-01");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("StorageAccountGetProperties.json")).unwrap()).unwrap();
    let mut body = v["responses"]["200"]["body"].clone();
    // The example's id has a `{subscription-id}` placeholder where a GUID belongs.
    body["id"] = Value::String(
        body["id"].as_str().unwrap().replace("{subscription-id}", "00000000-0000-0000-0000-000000000000"),
    );
    let acct = m::storage_account(&body).unwrap();
    let acls = acct.network_acls.unwrap();
    assert!(acls.bypasses_azure_services());
    assert_eq!(acls.default_action, "Allow");
}

#[test]
fn recorded_traffic_parses() {
    let Some(root) = shared() else { return };
    let mut services = 0;
    let mut servers = 0;
    let mut errors = 0;
    let mut files: Vec<_> = std::fs::read_dir(root.join("recorded")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for e in v["Entries"].as_array().unwrap() {
            let uri = e["RequestUri"].as_str().unwrap_or("").to_ascii_lowercase();
            let body = e["ResponseBody"].as_str().unwrap_or("");
            let Ok(body) = serde_json::from_str::<Value>(body) else { continue };
            let status = e["StatusCode"].as_u64().unwrap_or(0);
            if status >= 400 {
                let (code, message) = crate::arm::parse_arm_error(body.to_string().as_bytes());
                assert!(code.is_some() && message.is_some(), "{}: error without code/message", f.display());
                errors += 1;
                continue;
            }
            let path = uri.split('?').next().unwrap();
            if path.contains("/registeredservers/") {
                let s = m::registered_server(&body).unwrap();
                if s.active_auth_type.as_deref() == Some("ManagedIdentity") {
                    assert!(s.active_identity().is_some(), "a ManagedIdentity server has an application id");
                }
                servers += 1;
            } else if path.contains("/storagesyncservices/") && !path.contains("/operations/") {
                for item in items(&body) {
                    let s = m::service(&item).unwrap();
                    assert!(s.system_principal_id().is_some(), "recorded services were created with an identity");
                    services += 1;
                }
            }
        }
    }
    assert!(services >= 1 && servers >= 1 && errors >= 1, "services {services}, servers {servers}, errors {errors}");
}
