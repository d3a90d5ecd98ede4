//! Shared pieces of the fake's own tests: a standard topology and a small HTTP helper.
#![allow(dead_code)]

use fake_arm::topology::roles;
use fake_arm::*;
use serde_json::Value;

pub const SUB: &str = "11111111-1111-4111-8111-111111111111";
pub const SUB2: &str = "11111111-1111-4111-8111-222222222222";
pub const RG: &str = "rg-sync";
pub const RG_SA: &str = "rg-storage";
pub const SVC: &str = "sss1";
pub const SA: &str = "stfiles01";

pub const OWNER: &str = "aaaaaaaa-0000-4000-8000-000000000001";
pub const READER: &str = "aaaaaaaa-0000-4000-8000-000000000002";
pub const FSADMIN: &str = "aaaaaaaa-0000-4000-8000-000000000003";
pub const CONTRIB: &str = "aaaaaaaa-0000-4000-8000-000000000004";
pub const NOBODY: &str = "aaaaaaaa-0000-4000-8000-000000000005";
pub const MGREADER: &str = "aaaaaaaa-0000-4000-8000-000000000006";
pub const SAREADER: &str = "aaaaaaaa-0000-4000-8000-000000000007";

pub const SERVER1: &str = "bbbbbbbb-0000-4000-8000-000000000001";
pub const SERVER2: &str = "bbbbbbbb-0000-4000-8000-000000000002";
pub const SERVER1_MI: &str = "cccccccc-0000-4000-8000-000000000001";
pub const SERVER2_MI: &str = "cccccccc-0000-4000-8000-000000000002";
pub const SYNC_SP_APP: &str = "9469b9f5-6722-4481-a2b2-14ed560b706f";
pub const SYNC_SP_OBJ: &str = "dddddddd-0000-4000-8000-000000000001";
pub const CE1: &str = "eeeeeeee-0000-4000-8000-000000000001";
pub const SE1: &str = "eeeeeeee-0000-4000-8000-000000000002";

pub fn sub_scope() -> String {
    format!("/subscriptions/{SUB}")
}
pub fn sa_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG_SA}/providers/Microsoft.Storage/storageAccounts/{SA}")
}
pub fn svc_path() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/{SVC}")
}
pub fn share_scope(share: &str) -> String {
    format!("{}/fileServices/default/fileshares/{share}", sa_id())
}
pub fn role_def(role: &str) -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}")
}

/// A small deployment: one service (two servers, one sync group), one storage account, callers with
/// different roles, a management group, the Microsoft.StorageSync service principal.
pub fn topology() -> Topology {
    let service = ServiceSeed::new(SUB, RG, SVC)
        .with_location("West US")
        .with_server(RegisteredServerSeed::new(SERVER1, "srv1.contoso.com").ready_for_identity(SERVER1_MI))
        .with_server(RegisteredServerSeed::new(SERVER2, "srv2.contoso.com").using_identity(SERVER2_MI))
        .with_sync_group(
            SyncGroupSeed::new("sg1")
                .with_cloud_endpoint(CloudEndpointSeed::new(CE1, &sa_id(), "share1"))
                .with_server_endpoint(ServerEndpointSeed {
                    upload_last_sync_result: -2134364065,
                    files_not_syncing_errors: vec![FilesNotSyncingSeed {
                        error_code: -2134347775,
                        persistent_count: 3,
                        transient_count: 1,
                        direction: "upload".into(),
                    }],
                    recall_errors: vec![RecallErrorSeed { error_code: -2134347774, count: 2 }],
                    ..ServerEndpointSeed::new(SE1, SERVER1, "D:\\data")
                }),
        );
    let account = StorageAccountSeed::new(SUB, RG_SA, SA).with_share("share1").with_share("share2");
    Topology::new()
        .with_token("owner", OWNER)
        .with_token("reader", READER)
        .with_token("fsadmin", FSADMIN)
        .with_token("contrib", CONTRIB)
        .with_token("nobody", NOBODY)
        .with_token("mgreader", MGREADER)
        .with_token("sareader", SAREADER)
        .with_principal(SERVER1_MI)
        .with_principal(SERVER2_MI)
        .with_principal(SYNC_SP_OBJ)
        .with_service(service)
        .with_storage_account(account)
        .with_management_group(ManagementGroupSeed::new("mg-contoso", &[SUB]))
        .with_graph_service_principal(ServicePrincipalSeed::new(SYNC_SP_APP, SYNC_SP_OBJ, "Microsoft.StorageSync"))
        .with_role_assignment(
            RoleAssignmentSeed::new("f0000000-0000-4000-8000-000000000001", &sub_scope(), roles::OWNER, OWNER)
                .with_principal_type("User"),
        )
        .with_role_assignment(
            RoleAssignmentSeed::new("f0000000-0000-4000-8000-000000000002", &sub_scope(), roles::READER, READER)
                .with_principal_type("User"),
        )
        .with_role_assignment(RoleAssignmentSeed::new(
            "f0000000-0000-4000-8000-000000000003",
            &format!("/subscriptions/{SUB}/resourceGroups/{RG_SA}"),
            roles::FILE_SYNC_ADMINISTRATOR,
            FSADMIN,
        ))
        .with_role_assignment(RoleAssignmentSeed::new(
            "f0000000-0000-4000-8000-000000000004",
            &sub_scope(),
            roles::CONTRIBUTOR,
            CONTRIB,
        ))
        .with_role_assignment(RoleAssignmentSeed::new(
            "f0000000-0000-4000-8000-000000000005",
            "/providers/Microsoft.Management/managementGroups/mg-contoso",
            roles::READER,
            MGREADER,
        ))
        .with_role_assignment(RoleAssignmentSeed::new(
            "f0000000-0000-4000-8000-000000000006",
            &sa_id(),
            roles::READER,
            SAREADER,
        ))
        .with_role_assignment(RoleAssignmentSeed::new(
            "f0000000-0000-4000-8000-000000000007",
            &share_scope("share1"),
            roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
            SERVER2_MI,
        ))
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Send a request; `path` may carry a query and may be absolute (a nextLink).
pub async fn send(arm: &FakeArm, method: &str, token: Option<&str>, path: &str, body: Option<Value>) -> Resp {
    let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", arm.url()) };
    let mut rb = client().request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.expect("request failed");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Resp { status, headers, body }
}

pub async fn get(arm: &FakeArm, token: &str, path: &str) -> Resp {
    send(arm, "GET", Some(token), path, None).await
}

/// Follow nextLinks and gather every item.
pub async fn get_all(arm: &FakeArm, token: &str, path: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next = Some(path.to_string());
    while let Some(p) = next {
        let r = get(arm, token, &p).await;
        assert_eq!(r.status, 200, "{p}: {}", r.body);
        pages += 1;
        items.extend(r.body["value"].as_array().unwrap().iter().cloned());
        next = r.body.get("nextLink").and_then(Value::as_str).map(str::to_string);
        assert!(pages < 100, "paging does not end");
    }
    (items, pages)
}

pub fn ra_path(scope: &str, name: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01")
}

pub fn ra_body(role: &str, principal: &str) -> Value {
    serde_json::json!({"properties": {"roleDefinitionId": role_def(role), "principalId": principal, "principalType": "ServicePrincipal"}})
}
