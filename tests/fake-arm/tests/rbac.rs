//! Role assignments, permissions, deny assignments, locks: who may do what, and what ARM answers.

mod common;

use std::time::Duration;

use common::*;
use fake_arm::topology::roles;
use fake_arm::*;
use serde_json::{json, Value};

fn new_name() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn names(items: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|i| i["name"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn reader_cannot_read_without_rights_and_cannot_write_role_assignments() {
    let arm = FakeArm::start(topology()).await;
    // No role at all: 403 on a read, in ARM's words.
    let r = get(&arm, "nobody", &format!("{}?api-version=2022-09-01", svc_path())).await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    assert!(r.message().starts_with(&format!("The client '{NOBODY}' with object id '{NOBODY}' does not have authorization to perform action 'Microsoft.StorageSync/storageSyncServices/read' over scope '")));
    assert!(r.message().ends_with("If access was recently granted, please refresh your credentials."));
    // Reader reads, but cannot write role assignments.
    let path = ra_path(&share_scope("share1"), &new_name());
    let r = send(
        &arm,
        "PUT",
        Some("reader"),
        &path,
        Some(ra_body(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, SERVER1_MI)),
    )
    .await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    assert!(r.message().contains("Microsoft.Authorization/roleAssignments/write"));
    // Contributor cannot either (notActions subtract).
    let r = send(
        &arm,
        "PUT",
        Some("contrib"),
        &path,
        Some(ra_body(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, SERVER1_MI)),
    )
    .await;
    assert_eq!(r.status, 403);
    // Owner can.
    let r = send(
        &arm,
        "PUT",
        Some("owner"),
        &path,
        Some(ra_body(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, SERVER1_MI)),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Reader may not PATCH the service either.
    let r = send(
        &arm,
        "PATCH",
        Some("reader"),
        &format!("{}?api-version=2022-09-01", svc_path()),
        Some(json!({"properties": {"useIdentity": true}})),
    )
    .await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    assert!(r.message().contains("Microsoft.StorageSync/storageSyncServices/write"));
}

#[tokio::test]
async fn resource_scoped_reader_is_limited_to_its_resource() {
    let arm = FakeArm::start(topology()).await;
    assert_eq!(get(&arm, "sareader", &format!("{}?api-version=2025-06-01", sa_id())).await.status, 200);
    assert_eq!(
        get(&arm, "sareader", &format!("{}/fileServices/default/shares?api-version=2025-06-01", sa_id())).await.status,
        200
    );
    // Not the service, not a subscription-wide list.
    assert_eq!(get(&arm, "sareader", &format!("{}?api-version=2022-09-01", svc_path())).await.status, 403);
    assert_eq!(
        get(
            &arm,
            "sareader",
            &format!("/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts?api-version=2025-06-01")
        )
        .await
        .status,
        403
    );
    // Role assignments read at its account include those inherited from above.
    let (items, _) = get_all(
        &arm,
        "sareader",
        &format!(
            "{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()",
            sa_id()
        ),
    )
    .await;
    assert!(items.iter().any(|i| i["properties"]["principalId"] == json!(OWNER)));
}

#[tokio::test]
async fn file_sync_administrator_may_assign_only_the_three_file_sync_roles() {
    let arm = FakeArm::start(topology()).await;
    for role in [roles::STORAGE_ACCOUNT_CONTRIBUTOR, roles::READER_AND_DATA_ACCESS] {
        let r =
            send(&arm, "PUT", Some("fsadmin"), &ra_path(&sa_id(), &new_name()), Some(ra_body(role, SERVER1_MI))).await;
        assert_eq!(r.status, 201, "{role}: {}", r.body);
    }
    let r = send(
        &arm,
        "PUT",
        Some("fsadmin"),
        &ra_path(&share_scope("share2"), &new_name()),
        Some(ra_body(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, SERVER1_MI)),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for role in [roles::OWNER, roles::CONTRIBUTOR, roles::USER_ACCESS_ADMINISTRATOR] {
        let r =
            send(&arm, "PUT", Some("fsadmin"), &ra_path(&sa_id(), &new_name()), Some(ra_body(role, SERVER1_MI))).await;
        assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"), "{role}");
        assert!(r.message().contains("ABAC condition not fulfilled"), "{}", r.message());
    }
    // Outside its resource group it has no rights at all.
    let r = send(
        &arm,
        "PUT",
        Some("fsadmin"),
        &ra_path(&svc_path(), &new_name()),
        Some(ra_body(roles::READER_AND_DATA_ACCESS, SERVER1_MI)),
    )
    .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn assignment_conditions_limit_rbac_administrators() {
    let cond = format!(
        "((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/write'}})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{{{}}}))",
        roles::READER_AND_DATA_ACCESS
    );
    let topo = topology().with_token("rbac", NOBODY).with_role_assignment(
        RoleAssignmentSeed::new("f0000000-0000-4000-8000-0000000000aa", &sa_id(), roles::RBAC_ADMINISTRATOR, NOBODY)
            .with_condition(&cond),
    );
    let arm = FakeArm::start(topo).await;
    let ok = send(
        &arm,
        "PUT",
        Some("rbac"),
        &ra_path(&sa_id(), &new_name()),
        Some(ra_body(roles::READER_AND_DATA_ACCESS, SERVER1_MI)),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let no = send(
        &arm,
        "PUT",
        Some("rbac"),
        &ra_path(&sa_id(), &new_name()),
        Some(ra_body(roles::STORAGE_ACCOUNT_CONTRIBUTOR, SERVER1_MI)),
    )
    .await;
    assert_eq!(no.status, 403);
}

#[tokio::test]
async fn list_filters_at_above_below_and_management_groups() {
    let arm = FakeArm::start(topology()).await;
    let base = format!("{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01", sa_id());
    // No filter: at (sa reader), above (sub owner/reader/contrib, rg fsadmin, MG reader) and below (share).
    let (all, _) = get_all(&arm, "owner", &base).await;
    let all_names = names(&all);
    assert_eq!(all.len(), 7, "{all_names:?}");
    assert!(all_names.contains(&"f0000000-0000-4000-8000-000000000005".to_string()), "MG assignment inherited");
    assert!(all_names.contains(&"f0000000-0000-4000-8000-000000000007".to_string()), "share assignment is below");
    // atScope(): at and above only.
    let (at, _) = get_all(&arm, "owner", &format!("{base}&$filter=atScope()")).await;
    assert_eq!(at.len(), 6);
    assert!(!names(&at).contains(&"f0000000-0000-4000-8000-000000000007".to_string()));
    // principalId: at, above and below, for that principal.
    let (p, _) = get_all(&arm, "owner", &format!("{base}&$filter=principalId%20eq%20'{SERVER2_MI}'")).await;
    assert_eq!(names(&p), ["f0000000-0000-4000-8000-000000000007"]);
    let (p, _) = get_all(&arm, "owner", &format!("{base}&$filter=atScope()+and+principalId+eq+'{SERVER2_MI}'")).await;
    assert!(p.is_empty());
    let (p, _) = get_all(&arm, "owner", &format!("{base}&$filter=atScope() and principalId eq '{OWNER}'")).await;
    assert_eq!(p.len(), 1);
    // Anything else is refused.
    let r = get(&arm, "owner", &format!("{base}&$filter=roleDefinitionId eq 'x'")).await;
    assert_eq!((r.status, r.code()), (400, "UnsupportedQuery"));
    // At the share scope with atScope(): everything above applies, nothing of another share.
    let (s, _) = get_all(
        &arm,
        "owner",
        &format!(
            "{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()",
            share_scope("share2")
        ),
    )
    .await;
    assert_eq!(s.len(), 6);
    // An owner of the subscription cannot read at the management group above it ...
    let r = get(&arm, "owner", "/providers/Microsoft.Management/managementGroups/mg-contoso/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01").await;
    assert_eq!(r.status, 403);
    // ... its reader can, and with no filter sees the subscription's assignments below it.
    let (mg, _) = get_all(&arm, "mgreader", "/providers/Microsoft.Management/managementGroups/mg-contoso/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01").await;
    assert_eq!(mg.len(), 7);
    // Items have ARM's shape with a full roleDefinitionId.
    let one = all.iter().find(|i| i["name"] == json!("f0000000-0000-4000-8000-000000000006")).unwrap();
    assert_eq!(one["properties"]["roleDefinitionId"], json!(role_def(roles::READER)));
    assert_eq!(one["properties"]["scope"], json!(sa_id()));
    assert_eq!(one["type"], json!("Microsoft.Authorization/roleAssignments"));
    assert_eq!(
        one["id"],
        json!(format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/f0000000-0000-4000-8000-000000000006",
            sa_id()
        ))
    );
}

#[tokio::test]
async fn management_group_reader_inherits_reads() {
    let arm = FakeArm::start(topology()).await;
    assert_eq!(get(&arm, "mgreader", &format!("{}?api-version=2022-09-01", svc_path())).await.status, 200);
    let mut topo = topology();
    topo.management_groups.clear();
    let arm = FakeArm::start(topo).await;
    assert_eq!(get(&arm, "mgreader", &format!("{}?api-version=2022-09-01", svc_path())).await.status, 403);
}

#[tokio::test]
async fn principal_not_found_during_replication_then_created() {
    let arm = FakeArm::start(topology().with_replication_delay_ms(2000)).await;
    let fresh = "99999999-0000-4000-8000-000000000001";
    let path = ra_path(&sa_id(), &new_name());
    // Not in the directory at all.
    let r = send(&arm, "PUT", Some("owner"), &path, Some(ra_body(roles::STORAGE_ACCOUNT_CONTRIBUTOR, fresh))).await;
    assert_eq!((r.status, r.code()), (400, "PrincipalNotFound"));
    assert!(r.message().contains("replication delay") && r.message().contains("https://aka.ms/docs-principaltype"));
    assert!(r.message().contains(&arm.tenant_id()));
    // Just created: still not found during the window ...
    arm.add_principal(fresh);
    let r = send(&arm, "PUT", Some("owner"), &path, Some(ra_body(roles::STORAGE_ACCOUNT_CONTRIBUTOR, fresh))).await;
    assert_eq!(r.code(), "PrincipalNotFound");
    // ... and created after it.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = send(&arm, "PUT", Some("owner"), &path, Some(ra_body(roles::STORAGE_ACCOUNT_CONTRIBUTOR, fresh))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["properties"]["principalId"], json!(fresh));
    assert!(arm.role_assignments().iter().any(|a| a.principal_id == fresh));
    // An appId is not an object id: the classic mistake gets PrincipalNotFound.
    let r = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&sa_id(), &new_name()),
        Some(ra_body(roles::READER_AND_DATA_ACCESS, SYNC_SP_APP)),
    )
    .await;
    assert_eq!(r.code(), "PrincipalNotFound");
}

#[tokio::test]
async fn principal_type_can_be_made_to_skip_the_delay() {
    let mut topo = topology().with_replication_delay_ms(60_000);
    topo.principal_type_skips_replication_delay = true;
    let arm = FakeArm::start(topo).await;
    let fresh = "99999999-0000-4000-8000-000000000002";
    arm.add_principal(fresh);
    let with_type = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&sa_id(), &new_name()),
        Some(ra_body(roles::STORAGE_ACCOUNT_CONTRIBUTOR, fresh)),
    )
    .await;
    assert_eq!(with_type.status, 201);
    let without =
        json!({"properties": {"roleDefinitionId": role_def(roles::READER_AND_DATA_ACCESS), "principalId": fresh}});
    let r = send(&arm, "PUT", Some("owner"), &ra_path(&sa_id(), &new_name()), Some(without)).await;
    assert_eq!(r.code(), "PrincipalNotFound");
}

#[tokio::test]
async fn conflicts_and_idempotent_re_put() {
    let arm = FakeArm::start(topology()).await;
    let name = new_name();
    let body = ra_body(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, SERVER1_MI);
    let first = send(&arm, "PUT", Some("owner"), &ra_path(&share_scope("share1"), &name), Some(body.clone())).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.body["properties"]["scope"], json!(share_scope("share1")));
    // The same PUT again: 201 with the same assignment.
    let again = send(&arm, "PUT", Some("owner"), &ra_path(&share_scope("share1"), &name), Some(body.clone())).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], first.body["id"]);
    // Same principal, role and scope under another name: 409 naming the existing one.
    let dup = send(&arm, "PUT", Some("owner"), &ra_path(&share_scope("SHARE1"), &new_name()), Some(body.clone())).await;
    assert_eq!((dup.status, dup.code()), (409, "RoleAssignmentExists"));
    assert!(dup.message().starts_with("The role assignment already exists."));
    assert!(dup.message().contains(&name.replace('-', "")), "{}", dup.message());
    // Same name, different content: 409 update not permitted.
    let changed = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&share_scope("share1"), &name),
        Some(ra_body(roles::READER_AND_DATA_ACCESS, SERVER1_MI)),
    )
    .await;
    assert_eq!((changed.status, changed.code()), (409, "RoleAssignmentUpdateNotPermitted"));
    // The `shares` spelling is a different scope from `fileshares`.
    let other = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&format!("{}/fileServices/default/shares/share1", sa_id()), &new_name()),
        Some(body),
    )
    .await;
    assert_eq!(other.status, 201);
    // Seeded assignments are detected too.
    let seeded = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&share_scope("share1"), &new_name()),
        Some(ra_body(roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, SERVER2_MI)),
    )
    .await;
    assert_eq!((seeded.status, seeded.code()), (409, "RoleAssignmentExists"));
    assert!(seeded.message().contains("f0000000000040008000000000000007"), "{}", seeded.message());
}

#[tokio::test]
async fn put_validation() {
    let arm = FakeArm::start(topology()).await;
    let path = ra_path(&sa_id(), &new_name());
    let cases = [
        (json!({}), "MissingProperty"),
        (json!({"properties": {"principalId": SERVER1_MI}}), "MissingProperty"),
        (json!({"properties": {"roleDefinitionId": role_def(roles::READER)}}), "MissingProperty"),
        (
            json!({"properties": {"roleDefinitionId": roles::READER, "principalId": SERVER1_MI}}),
            "InvalidRoleDefinitionId",
        ),
        (
            json!({"properties": {"roleDefinitionId": format!("/subscriptions/{SUB2}/providers/Microsoft.Authorization/roleDefinitions/{}", roles::READER), "principalId": SERVER1_MI}}),
            "InvalidRoleDefinitionId",
        ),
        (
            json!({"properties": {"roleDefinitionId": role_def("12345678-1234-1234-1234-123456789012"), "principalId": SERVER1_MI}}),
            "RoleDefinitionDoesNotExist",
        ),
        (
            json!({"properties": {"roleDefinitionId": role_def(roles::READER), "principalId": "not-a-guid"}}),
            "InvalidPrincipalId",
        ),
        (
            json!({"properties": {"roleDefinitionId": role_def(roles::READER), "principalId": SERVER1_MI, "principalType": "Robot"}}),
            "InvalidRoleAssignmentRequest",
        ),
        (
            json!({"properties": {"roleDefinitionId": role_def(roles::READER), "principalId": SERVER1_MI, "principalType": "User"}}),
            "UnmatchedPrincipalType",
        ),
    ];
    for (body, code) in cases {
        let r = send(&arm, "PUT", Some("owner"), &path, Some(body.clone())).await;
        assert_eq!((r.status, r.code()), (400, code), "{body}: {}", r.body);
    }
    let r =
        send(&arm, "PUT", Some("owner"), &ra_path(&sa_id(), "not-a-guid"), Some(ra_body(roles::READER, SERVER1_MI)))
            .await;
    assert_eq!(r.code(), "InvalidRoleAssignmentId");
    // Not JSON, or not declared as JSON.
    let r = client()
        .put(format!("{}{path}", arm.url()))
        .bearer_auth("owner")
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = client()
        .put(format!("{}{path}", arm.url()))
        .bearer_auth("owner")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    // A scope whose resource does not exist.
    let missing =
        format!("/subscriptions/{SUB}/resourceGroups/{RG_SA}/providers/Microsoft.Storage/storageAccounts/nope");
    let r = send(&arm, "PUT", Some("owner"), &ra_path(&missing, &new_name()), Some(ra_body(roles::READER, SERVER1_MI)))
        .await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    assert!(arm.role_assignments().len() == 7, "nothing was created");
}

#[tokio::test]
async fn delete_and_get_single() {
    let arm = FakeArm::start(topology()).await;
    let name = "f0000000-0000-4000-8000-000000000006";
    let r = get(&arm, "reader", &ra_path(&sa_id(), name)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], json!(name));
    let r = send(&arm, "DELETE", Some("reader"), &ra_path(&sa_id(), name), None).await;
    assert_eq!(r.status, 403);
    let r = send(&arm, "DELETE", Some("owner"), &ra_path(&sa_id(), name), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], json!(name));
    let r = send(&arm, "DELETE", Some("owner"), &ra_path(&sa_id(), name), None).await;
    assert_eq!(r.status, 204);
    let r = get(&arm, "reader", &ra_path(&sa_id(), name)).await;
    assert_eq!((r.status, r.code()), (404, "RoleAssignmentNotFound"));
    assert_eq!(arm.role_assignments().len(), 6);
}

#[tokio::test]
async fn permissions_list_one_entry_per_applicable_assignment() {
    let arm = FakeArm::start(topology()).await;
    let r = get(
        &arm,
        "sareader",
        &format!("{}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01", sa_id()),
    )
    .await;
    assert_eq!(
        r.body["value"],
        json!([{"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []}])
    );
    let r = get(
        &arm,
        "contrib",
        &format!("{}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01", sa_id()),
    )
    .await;
    let v = r.body["value"].as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert!(v[0]["notActions"].as_array().unwrap().contains(&json!("Microsoft.Authorization/*/Write")));
    let r = get(
        &arm,
        "nobody",
        &format!("{}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01", sa_id()),
    )
    .await;
    assert_eq!(r.body["value"], json!([]));
    // The data role's actions show up at the share.
    let arm2 = FakeArm::start(topology().with_token("srv2", SERVER2_MI)).await;
    let r = get(
        &arm2,
        "srv2",
        &format!("{}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01", share_scope("share1")),
    )
    .await;
    assert!(r.body["value"][0]["dataActions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a.as_str().unwrap().ends_with("files/read")));
}

#[tokio::test]
async fn deny_assignments_block_and_are_listed() {
    let deny = DenyAssignmentSeed {
        name: "deny-ra-writes".into(),
        scope: sa_id(),
        actions: vec!["Microsoft.Authorization/roleAssignments/write".into()],
        principals: vec!["00000000-0000-0000-0000-000000000000".into()],
        exclude_principals: vec![CONTRIB.into()],
        ..Default::default()
    };
    let arm = FakeArm::start(topology().with_deny_assignment(deny)).await;
    let r = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&share_scope("share2"), &new_name()),
        Some(ra_body(roles::READER_AND_DATA_ACCESS, SERVER1_MI)),
    )
    .await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    assert!(r.message().contains("deny assignment with name 'deny-ra-writes'"), "{}", r.message());
    let (d, _) = get_all(
        &arm,
        "reader",
        &format!("{}/providers/Microsoft.Authorization/denyAssignments?api-version=2022-04-01", sub_scope()),
    )
    .await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["properties"]["principals"][0]["type"], json!("SystemDefined"));
    let (d, _) = get_all(
        &arm,
        "reader",
        &format!(
            "{}/providers/Microsoft.Authorization/denyAssignments?api-version=2022-04-01&$filter=atScope()",
            sub_scope()
        ),
    )
    .await;
    assert!(d.is_empty());
}

#[tokio::test]
async fn locks_are_listed_and_read_only_blocks_writes() {
    let topo = topology().with_lock(LockSeed::new("ro", &sa_id(), "ReadOnly")).with_lock(LockSeed::new(
        "nodelete",
        &format!("/subscriptions/{SUB}/resourceGroups/{RG}"),
        "CanNotDelete",
    ));
    let arm = FakeArm::start(topo).await;
    let (l, _) = get_all(
        &arm,
        "reader",
        &format!("{}/providers/Microsoft.Authorization/locks?api-version=2016-09-01", share_scope("share1")),
    )
    .await;
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["properties"]["level"], json!("ReadOnly"));
    assert_eq!(l[0]["type"], json!("Microsoft.Authorization/locks"));
    assert_eq!(l[0]["id"], json!(format!("{}/providers/Microsoft.Authorization/locks/ro", sa_id())));
    let r = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&share_scope("share1"), &new_name()),
        Some(ra_body(roles::READER_AND_DATA_ACCESS, SERVER1_MI)),
    )
    .await;
    assert_eq!((r.status, r.code()), (409, "ScopeLocked"));
    // CanNotDelete allows PATCH.
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}?api-version=2022-09-01", svc_path()),
        Some(json!({"identity": {"type": "SystemAssigned"}})),
    )
    .await;
    assert_eq!(r.status, 202);
    let (l, _) = get_all(
        &arm,
        "reader",
        &format!("{}/providers/Microsoft.Authorization/locks?api-version=2020-05-01", svc_path()),
    )
    .await;
    assert_eq!(l.len(), 1);
}

#[tokio::test]
async fn role_definitions_are_served() {
    let arm = FakeArm::start(topology()).await;
    let r = get(
        &arm,
        "reader",
        &format!(
            "{}/providers/Microsoft.Authorization/roleDefinitions/{}?api-version=2022-04-01",
            sub_scope(),
            roles::FILE_SYNC_ADMINISTRATOR
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["properties"]["roleName"], json!("Azure File Sync Administrator"));
    assert!(r.body["properties"]["permissions"][0]["condition"]
        .as_str()
        .unwrap()
        .contains(roles::READER_AND_DATA_ACCESS));
    let (l, _) = get_all(&arm, "reader", &format!("{}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=roleName%20eq%20'Reader'", sub_scope())).await;
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["name"], json!(roles::READER));
}
