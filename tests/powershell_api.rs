//! The request operations the PowerShell module leans on: `resolveTarget` (what a piped Az.StorageSync
//! object or finding points at) and `test` narrowed to sync groups. Offline: no ARM is needed.

use filesync_identity::api::{execute, CancellationToken, Session, SessionOptions};
use filesync_identity::api::{EventSink, NullSink};
use filesync_identity::error::ErrorKind;
use serde_json::{json, Value};
use std::sync::Arc;

const SUB: &str = "6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31";
const OTHER_SUB: &str = "0b3c1a52-7d2e-4f4a-9c1b-5a6d7e8f9012";

fn run(request: Value) -> filesync_identity::error::Result<Value> {
    let session = Session::new(SessionOptions::default()).unwrap();
    let sink: Arc<dyn EventSink> = Arc::new(NullSink);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(execute(&session, &request, sink, &CancellationToken::new()))
}

fn resolve(fields: Value) -> filesync_identity::error::Result<Value> {
    let mut r = fields;
    r["operation"] = "resolveTarget".into();
    run(r)
}

fn service(sub: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/rg-sync/providers/Microsoft.StorageSync/storageSyncServices/svc1")
}

#[test]
fn an_az_object_names_its_service_and_subscription_through_its_resource_id() {
    // PSRegisteredServer: ResourceGroupName, StorageSyncServiceName and a ResourceId in another
    // subscription than the context's: the id's subscription wins over the default.
    let server = format!("{}/registeredServers/44444444-4444-4444-8444-444444444444", service(OTHER_SUB));
    let r = resolve(
        json!({"resourceId": server, "resourceGroup": "rg-sync", "name": "svc1", "defaultSubscriptionId": SUB}),
    )
    .unwrap();
    assert_eq!(r["target"], json!({"subscriptionId": OTHER_SUB, "resourceGroup": "rg-sync", "name": "svc1"}));
    assert_eq!(r["resourceId"], service(OTHER_SUB));
    assert!(r.get("syncGroup").is_none());

    // PSCloudEndpoint: the sync group comes from the id.
    let ce = format!("{}/syncGroups/sg1/cloudEndpoints/ce1", service(SUB));
    let r = resolve(json!({"resourceId": ce, "resourceGroup": "rg-sync", "name": "svc1"})).unwrap();
    assert_eq!(r["syncGroup"], "sg1");
    assert_eq!(r["target"]["subscriptionId"], SUB);

    // A bare resource id (no group, no name) of something inside a service.
    let r = resolve(json!({"resourceId": format!("{}/syncGroups/sg2", service(SUB))})).unwrap();
    assert_eq!(r["target"], json!({"subscriptionId": SUB, "resourceGroup": "rg-sync", "name": "svc1"}));
    assert_eq!(r["syncGroup"], "sg2");
}

#[test]
fn a_finding_of_a_resource_group_diagnosis_names_the_group() {
    // Its resource id is a storage account (any subscription), its SubscriptionId the diagnosis's.
    let account =
        format!("/subscriptions/{OTHER_SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/sa1");
    let r = resolve(json!({"resourceId": account, "resourceGroup": "rg-sync", "subscriptionId": SUB})).unwrap();
    assert_eq!(r["target"], json!({"subscriptionId": SUB, "resourceGroup": "rg-sync"}));
    assert_eq!(r["resourceId"], format!("/subscriptions/{SUB}/resourceGroups/rg-sync"));
    // A resource id that is not an ARM id at all does not get in the way of the named group either.
    let r = resolve(json!({"resourceId": "caller", "resourceGroup": "rg-sync", "name": "svc1", "subscriptionId": SUB}))
        .unwrap();
    assert_eq!(r["target"]["name"], "svc1");
    // A finding names its diagnosed deployment (targetResourceId): a resource id in another service, or in
    // this one, is only what the finding is about (issue 21).
    let other = "/subscriptions/6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31/resourceGroups/rg-sync/providers/Microsoft.StorageSync/storageSyncServices/svc2/syncGroups/sg9";
    let group = format!("/subscriptions/{SUB}/resourceGroups/rg-sync");
    for about in [other.to_string(), format!("{}/syncGroups/sg1", service(SUB))] {
        let r = resolve(
            json!({"resourceId": about, "resourceGroup": "rg-sync", "subscriptionId": SUB, "targetResourceId": group}),
        )
        .unwrap();
        assert_eq!(r["target"], json!({"subscriptionId": SUB, "resourceGroup": "rg-sync"}), "{about}");
        assert!(r.get("syncGroup").is_none(), "{r}");
    }
    // Without it, a resource id in svc2 beside the name svc1 is a contradiction, refused.
    let e = resolve(json!({"resourceId": other, "resourceGroup": "rg-sync", "name": "svc1"})).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("'svc1' disagrees") && e.to_string().contains("'svc2'"), "{e}");
}

/// Issue 21, item 3: the service comes from the resource id, then StorageSyncServiceName, never an object's
/// own name; what is given beside an id must agree with it; a subscription alone is every service in it.
#[test]
fn the_resource_id_names_the_service_first_and_what_disagrees_is_refused() {
    // Get-AzResource of a sync group: Name 'svc1/sg2' is its own and is not sent as the service's name.
    let sg = format!("{}/syncGroups/sg2", service(SUB));
    let r = resolve(json!({"resourceId": sg, "resourceGroup": "RG-SYNC", "storageSyncServiceName": "SVC1"})).unwrap();
    assert_eq!(r["target"]["name"], "svc1");
    assert_eq!(r["syncGroup"], "sg2");
    // An empty or blank resource id (a CSV row) leaves the group and the service's name.
    for blank in ["", "  "] {
        let r = resolve(json!({"resourceId": blank, "resourceGroup": "rg-sync", "storageSyncServiceName": "svc1", "defaultSubscriptionId": SUB}))
            .unwrap();
        assert_eq!(r["resourceId"], service(SUB));
    }
    let disagreeing = [
        (json!({"resourceId": service(SUB), "resourceGroup": "rg-other"}), "resource group 'rg-other' disagrees"),
        (json!({"resourceId": service(SUB), "subscriptionId": OTHER_SUB}), "subscription"),
        (json!({"resourceId": service(SUB), "name": "svc9"}), "'svc9' disagrees"),
        (
            json!({"resourceGroup": "rg", "subscriptionId": SUB, "name": "a", "storageSyncServiceName": "b"}),
            "two Storage Sync Service names",
        ),
        (json!({"name": "svc1", "subscriptionId": SUB}), "needs its resource group"),
    ];
    for (fields, says) in disagreeing {
        let e = resolve(fields.clone()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{fields}");
        assert!(e.to_string().contains(says), "{fields}: {e}");
    }
    let r = resolve(json!({"subscriptionId": SUB})).unwrap();
    assert_eq!(r["target"], json!({"subscriptionId": SUB}));
    assert_eq!(r["resourceId"], format!("/subscriptions/{SUB}"));
    let r = resolve(json!({"targetResourceId": format!("/subscriptions/{SUB}"), "resourceId": "/x"})).unwrap();
    assert_eq!(r["resourceId"], format!("/subscriptions/{SUB}"));
    assert!(resolve(json!({"targetResourceId": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa")})).is_err());
}

/// Issue 21, item 8: a finding piped into Repair comes back as a checked reference; Repair of findings plans
/// only the changes they call for.
#[test]
fn a_repair_of_findings_plans_only_what_they_call_for() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample-deployment.json");
    let report = run(json!({"operation": "test", "snapshotPath": path})).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let whole = run(json!({"operation": "plan", "kind": "repair", "snapshotPath": path})).unwrap();
    let grants = whole["changes"].as_array().unwrap();
    assert!(grants.len() > 1, "{whole}");
    // One failing role finding: its one grant.
    let role = findings
        .iter()
        .find(|f| f["status"] == "fail" && f["check"] == "server-endpoint.server-share-role")
        .expect("a failing server share role");
    let r = resolve(json!({
        "resourceId": role["resourceId"], "check": role["check"], "principalId": role["principalId"], "scope": role["scope"],
        "targetResourceId": service(SUB),
    }))
    .unwrap();
    let reference = r["finding"].clone();
    assert_eq!(reference["check"], "server-endpoint.server-share-role");
    let one =
        run(json!({"operation": "plan", "kind": "repair", "snapshotPath": path, "findings": [reference]})).unwrap();
    let changes = one["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{one}");
    assert_eq!(changes[0]["grant"]["scope"], role["scope"]);
    assert!(grants.contains(&changes[0]) || grants.iter().any(|g| g["id"] == changes[0]["id"]));
    // A passing finding plans nothing, and is no warning (a note) either.
    let pass = findings.iter().find(|f| f["status"] == "pass").unwrap();
    let none = run(json!({"operation": "plan", "kind": "repair", "snapshotPath": path,
        "findings": [{"check": pass["check"], "resourceId": pass["resourceId"]}]}))
    .unwrap();
    assert_eq!(none["changes"], json!([]));
    assert_eq!(none["notes"], json!([]));
    assert_eq!(none["unchanged"].as_array().map(Vec::len), Some(1));
    // Typed: an unknown check or field is refused; an enable-identity plan takes no findings.
    let bad = |findings: Value, kind: &str| {
        run(json!({"operation": "plan", "kind": kind, "snapshotPath": path, "findings": findings})).unwrap_err()
    };
    assert!(bad(json!([{"check": "no.such", "resourceId": "/x"}]), "repair").to_string().contains("'no.such'"));
    assert!(bad(json!([{"check": "storage.lock", "resourceId": "/x", "status": "fail"}]), "repair")
        .to_string()
        .contains("status"));
    assert!(bad(json!([]), "enableIdentity").to_string().contains("only a repair"));
    assert!(resolve(json!({"check": "no.such", "resourceId": "/x", "targetResourceId": service(SUB)})).is_err());
}

/// Issue 21, item 7: the Az environment's endpoints are followed, a cloud Az knows and this tool does not
/// (Azure Stack Hub) included; one without a Resource Manager URL is refused.
#[test]
fn a_session_follows_the_az_environment() {
    let open =
        |env: Value| Session::new(serde_json::from_value::<SessionOptions>(json!({"azEnvironment": env})).unwrap());
    let s =
        open(json!({"name": "AzureStackUser", "resourceManagerUrl": "https://management.local.azurestack.external/"}))
            .unwrap();
    assert_eq!(s.cloud().resource_manager, "https://management.local.azurestack.external");
    assert_eq!(s.cloud().name, "AzureStackUser");
    assert!(s.cloud().graph.is_empty());
    let s = open(json!({"name": "AzureUSGovernment", "microsoftGraphUrl": "https://graph.microsoft.us"})).unwrap();
    assert_eq!(s.cloud().resource_manager, "https://management.usgovcloudapi.net");
    assert_eq!(s.cloud().graph, "https://graph.microsoft.us");
    let e = open(json!({"name": "AzureStackUser"})).unwrap_err();
    assert!(e.to_string().contains("no Resource Manager URL"), "{e}");
    // An explicit endpoint wins over the environment.
    let o: SessionOptions = serde_json::from_value(
        json!({"armEndpoint": "http://127.0.0.1:9", "azEnvironment": {"name": "AzureStackUser"}}),
    )
    .unwrap();
    assert_eq!(Session::new(o).unwrap().cloud().resource_manager, "http://127.0.0.1:9");
}

#[test]
fn what_cannot_be_resolved_is_a_clear_input_error() {
    let cases = [
        (json!({"resourceGroup": "rg-sync", "name": "svc1"}), "no subscription"),
        (json!({"resourceId": "/subscriptions/x/resourceGroups"}), ""),
        (
            json!({"resourceId": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa")}),
            "not a Storage Sync Service id",
        ),
        (json!({}), "say what to diagnose"),
        (json!({"resourceGroup": "rg sync!", "subscriptionId": SUB}), "resource group"),
        (json!({"resourceGroup": "rg", "subscriptionId": SUB, "name": "svc", "syncGroup": "a/b"}), "sync group"),
    ];
    for (fields, says) in cases {
        let e = resolve(fields.clone()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{fields}");
        assert!(e.to_string().contains(says), "{fields}: {e}");
    }
}

fn sample_report(sync_groups: &[&str]) -> filesync_identity::error::Result<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample-deployment.json");
    run(json!({"operation": "test", "snapshotPath": path, "syncGroups": sync_groups}))
}

#[test]
fn a_report_narrowed_to_a_sync_group_keeps_what_bears_on_it() {
    let whole = sample_report(&[]).unwrap();
    let narrowed = sample_report(&["FINANCE"]).unwrap();
    assert!(whole.get("syncGroups").is_none());
    assert_eq!(narrowed["syncGroups"], json!(["finance"]));
    let all = whole["findings"].as_array().unwrap();
    let kept = narrowed["findings"].as_array().unwrap();
    assert!(!kept.is_empty() && kept.len() < all.len(), "{} of {}", kept.len(), all.len());
    // Every kept finding is one of the whole report's, unchanged (the checks saw the whole snapshot).
    for f in kept {
        assert!(all.contains(f), "{f}");
    }
    let id = |f: &Value| f["resourceId"].as_str().unwrap().to_ascii_lowercase();
    // Nothing of the other sync groups, everything of this one.
    assert!(kept.iter().all(|f| !id(f).contains("/syncgroups/engineering") && !id(f).contains("/syncgroups/archive")));
    let finance: Vec<_> = all.iter().filter(|f| id(f).contains("/syncgroups/finance")).collect();
    assert!(!finance.is_empty());
    assert!(finance.iter().all(|f| kept.contains(f)));
    // The service's own findings stay.
    let service_level: Vec<_> =
        all.iter().filter(|f| id(f).ends_with("/storagesyncservices/contoso-filesync")).collect();
    assert!(!service_level.is_empty());
    assert!(service_level.iter().all(|f| kept.contains(f)));
    // The summary counts what was kept.
    assert_eq!(narrowed["summary"]["total"].as_u64().unwrap() as usize, kept.len());

    let e = sample_report(&["payroll"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("finance, engineering, archive"), "{e}");
}

#[test]
fn zero_is_success_not_an_unknown_code() {
    for zero in ["0", "0x0", "0x00000000", " 0 "] {
        let e = run(json!({"operation": "explain", "code": zero})).unwrap();
        assert_eq!(e["names"], json!(["S_OK"]), "{zero}");
        assert_eq!(e["category"], "success");
    }
    // Not zero: looked up as before.
    assert_eq!(run(json!({"operation": "explain", "code": "0x80c8305f"})).unwrap()["decimal"], -2134364065);
    assert!(run(json!({"operation": "explain", "code": "0x"})).is_err());
}

#[test]
fn collect_refuses_an_output_folder_that_does_not_exist_before_asking_azure() {
    // No ARM endpoint is reachable from this session (none is configured and no credential would work):
    // the error must come from the path check, before any request.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder").join("snap.json");
    let e = run(json!({"operation": "collect", "outputPath": missing, "target": {"resourceId": service(SUB)}}))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("does not exist"), "{e}");
    let e = run(json!({"operation": "collect", "outputPath": dir.path(), "target": {"resourceId": service(SUB)}}))
        .unwrap_err();
    assert!(e.to_string().contains("is not a file path"), "{e}");
}
