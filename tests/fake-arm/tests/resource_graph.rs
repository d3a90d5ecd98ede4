//! The fake's Azure Resource Graph: the queries it serves, ARG's paging and truncation, its quota and
//! 429, partial scopes, management-group scopes, the lag mode, and the refusals of what it does not serve.

mod common;

use common::*;
use fake_arm::topology::roles;
use fake_arm::*;
use serde_json::{json, Value};

const TOK: &str = "tok-caller";
const CALLER: &str = "aaaaaaaa-0000-4000-8000-0000000000c1";
const A: &str = "22222222-0000-4000-8000-00000000000a";
const B: &str = "22222222-0000-4000-8000-00000000000b";
const C: &str = "22222222-0000-4000-8000-00000000000c";
const MG: &str = "mg-files";
const MG_READER_ROLE: &str = "99999999-0000-4000-8000-000000000001";
const SERVICES: &str = "resources | where type =~ 'microsoft.storagesync/storagesyncservices' | project id, name, subscriptionId, resourceGroup, location";
const SERVICES_NO_ID: &str =
    "resources | where type =~ 'microsoft.storagesync/storagesyncservices' | project name, subscriptionId, resourceGroup";
const SUBSCRIPTIONS: &str =
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId";
const PATH: &str = "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01";

/// Three subscriptions under one group: A holds `in_a` services, B and C one each; the caller reads A and
/// B (Reader) and the group's tree (a custom role), not C.
fn tenant(in_a: usize) -> Topology {
    let mut t = Topology::new()
        .with_token(TOK, CALLER)
        .with_management_group(ManagementGroupSeed::new(MG, &[A, B, C]))
        .assign(&format!("/subscriptions/{A}"), roles::READER, CALLER)
        .assign(&format!("/subscriptions/{B}"), roles::READER, CALLER)
        .assign(&format!("/providers/Microsoft.Management/managementGroups/{MG}"), MG_READER_ROLE, CALLER);
    t.role_definitions.push(RoleDefinitionSeed {
        id: MG_READER_ROLE.into(),
        role_name: "Management Group Reader".into(),
        description: "Read management groups".into(),
        actions: vec![
            "Microsoft.Management/managementGroups/read".into(),
            "Microsoft.Management/managementGroups/descendants/read".into(),
        ],
        ..Default::default()
    });
    for i in 0..in_a {
        t = t.with_service(ServiceSeed::new(A, "rg-a", &format!("svc-{i:04}")));
    }
    t.with_service(ServiceSeed::new(B, "rg-b", "svc-b")).with_service(ServiceSeed::new(C, "rg-c", "svc-c"))
}

async fn query(arm: &FakeArm, body: Value) -> Resp {
    send(arm, "POST", Some(TOK), PATH, Some(body)).await
}

fn ids(r: &Resp) -> Vec<String> {
    r.body["data"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn pages_by_skip_token_when_id_is_projected_and_truncates_otherwise() {
    let arm = FakeArm::start(tenant(1500)).await;
    let first = query(&arm, json!({"subscriptions": [A, B], "query": SERVICES, "options": {"$top": 1000}})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["totalRecords"], 1501);
    assert_eq!(first.body["count"], 1000);
    assert_eq!(first.body["resultTruncated"], "false");
    let token = first.body["$skipToken"].as_str().expect("a token").to_string();
    let second = query(
        &arm,
        json!({"subscriptions": [A, B], "query": SERVICES, "options": {"$top": 1000, "$skipToken": token}}),
    )
    .await;
    assert_eq!(second.body["count"], 501);
    assert!(second.body.get("$skipToken").is_none());
    let mut all = ids(&first);
    all.extend(ids(&second));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 1501);
    // Without `id` ARG cannot page: the answer is cut, and says so.
    let cut = query(&arm, json!({"subscriptions": [A, B], "query": SERVICES_NO_ID, "options": {"$top": 1000}})).await;
    assert_eq!(cut.body["resultTruncated"], "true");
    assert_eq!(cut.body["count"], 1000);
    assert!(cut.body.get("$skipToken").is_none());
    // A token for another scope is refused.
    let other = query(
        &arm,
        json!({"subscriptions": [A], "query": SERVICES, "options": {"$skipToken": first.body["$skipToken"]}}),
    )
    .await;
    assert_eq!(other.status, 400);
    // Queries are reads: nothing is counted as a write, nothing enters the Activity Log.
    assert_eq!(arm.write_count(), 0);
}

#[tokio::test]
async fn unreadable_subscriptions_are_dropped_silently_and_a_management_group_covers_its_tree() {
    let arm = FakeArm::start(tenant(2)).await;
    let subs = query(&arm, json!({"managementGroups": [MG], "query": SUBSCRIPTIONS})).await;
    assert_eq!(subs.status, 200, "{}", subs.body);
    let answered: Vec<&str> =
        subs.body["data"].as_array().unwrap().iter().map(|r| r["subscriptionId"].as_str().unwrap()).collect();
    assert_eq!(answered, vec![A, B]);
    let services = query(&arm, json!({"managementGroups": [MG], "query": SERVICES})).await;
    assert_eq!(services.body["totalRecords"], 3, "C's service is left out without a word");
    // None readable: 403.
    let none = query(&arm, json!({"subscriptions": [C], "query": SERVICES})).await;
    assert_eq!(none.status, 403);
    assert_eq!(none.code(), "AuthorizationFailed");
    // ARM lists the group's subscriptions, readable or not.
    let (d, _) = get_all(
        &arm,
        TOK,
        &format!("/providers/Microsoft.Management/managementGroups/{MG}/descendants?api-version=2020-05-01"),
    )
    .await;
    let in_group: Vec<&str> = d
        .iter()
        .filter(|v| v["type"] == "Microsoft.Management/managementGroups/subscriptions")
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(in_group, vec![A, B, C]);
    let (s, _) = get_all(&arm, TOK, "/subscriptions?api-version=2022-12-01").await;
    assert_eq!(s.iter().map(|v| v["subscriptionId"].as_str().unwrap()).collect::<Vec<_>>(), vec![A, B]);
}

#[tokio::test]
async fn the_quota_is_told_on_every_answer_and_a_spent_one_is_a_429() {
    let mut t = tenant(1);
    t.resource_graph.quota_per_window = 2;
    t.resource_graph.window_ms = 60_000;
    let arm = FakeArm::start(t).await;
    let one = query(&arm, json!({"subscriptions": [A], "query": SERVICES})).await;
    assert_eq!(one.header("x-ms-user-quota-remaining"), Some("1"));
    let resets = one.header("x-ms-user-quota-resets-after").unwrap().to_string();
    assert!(resets.starts_with("00:01:00") || resets.starts_with("00:00:"), "{resets}");
    let two = query(&arm, json!({"subscriptions": [A], "query": SERVICES})).await;
    assert_eq!(two.header("x-ms-user-quota-remaining"), Some("0"));
    let three = query(&arm, json!({"subscriptions": [A], "query": SERVICES})).await;
    assert_eq!(three.status, 429);
    assert_eq!(three.code(), "RateLimiting");
    assert_eq!(three.body["error"]["details"][0]["code"], "RateLimiting");
    assert_eq!(three.header("x-ms-user-quota-remaining"), Some("0"));
    assert!(three.header("x-ms-user-quota-resets-after").is_some());
}

#[tokio::test]
async fn what_it_does_not_implement_is_refused_in_args_shape() {
    let arm = FakeArm::start(tenant(1)).await;
    let bad = query(&arm, json!({"subscriptions": [A], "query": "resources | summarize count() by type"})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "BadRequest");
    assert_eq!(bad.body["error"]["details"][0]["code"], "InvalidQuery");
    for options in [
        json!({"$top": 1001}),
        json!({"resultFormat": "table"}),
        json!({"$tpo": 5}),
        json!({"authorizationScopeFilter": "Everywhere"}),
    ] {
        let r = query(&arm, json!({"subscriptions": [A], "query": SERVICES, "options": options})).await;
        assert_eq!(r.status, 400, "{options}: {}", r.body);
    }
    let both = query(&arm, json!({"subscriptions": [A], "managementGroups": [MG], "query": SERVICES})).await;
    assert_eq!(both.status, 400);
    let old = send(
        &arm,
        "POST",
        Some(TOK),
        "/providers/Microsoft.ResourceGraph/resources?api-version=2019-04-01",
        Some(json!({"query": SERVICES})),
    )
    .await;
    assert_eq!(old.status, 400);
    let get = send(&arm, "GET", Some(TOK), PATH, None).await;
    assert_eq!(get.status, 405);
}

#[tokio::test]
async fn lag_mode_lists_a_service_arm_no_longer_has() {
    let mut t = tenant(1);
    let stale = format!(
        "/subscriptions/{A}/resourceGroups/rg-a/providers/Microsoft.StorageSync/storageSyncServices/deleted-yesterday"
    );
    t.resource_graph.stale_service_ids.push(stale.clone());
    let arm = FakeArm::start(t).await;
    let r = query(&arm, json!({"subscriptions": [A], "query": SERVICES})).await;
    assert!(ids(&r).contains(&stale), "{}", r.body);
    let arm_says = get(&arm, TOK, &format!("{stale}?api-version=2022-09-01")).await;
    assert_eq!(arm_says.status, 404);
}

/// The query the tool sends for storage accounts and machines, for these ids.
fn accounts_query(ids: &[String]) -> String {
    let list: Vec<String> = ids.iter().map(|id| format!("'{}'", id.to_ascii_lowercase())).collect();
    format!(
        "resources | where type in~ ('microsoft.storage/storageaccounts', 'microsoft.hybridcompute/machines', 'microsoft.compute/virtualmachines') | where id in~ ({}) | project id, type, name, location, identity, networkAcls = properties.networkAcls, allowSharedKeyAccess = properties.allowSharedKeyAccess, publicNetworkAccess = properties.publicNetworkAccess, privateEndpointConnections = properties.privateEndpointConnections, status = properties.status",
        list.join(", ")
    )
}

fn account_id(sub: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/rg-st/providers/Microsoft.Storage/storageAccounts/{name}")
}

#[tokio::test]
async fn storage_accounts_by_id_in_the_projected_columns_as_arm_shows_them() {
    let mut t = tenant(0)
        .with_storage_account(StorageAccountSeed::new(A, "rg-st", "stone").with_firewall("Deny", "AzureServices"))
        .with_storage_account(StorageAccountSeed::new(A, "rg-st", "sttwo"))
        .with_storage_account(StorageAccountSeed::new(A, "rg-st", "stnotasked"))
        .with_storage_account(StorageAccountSeed::new(C, "rg-st", "stinc"));
    t.storage_accounts[0].allow_shared_key_access = Some(false);
    let arm = FakeArm::start(t).await;
    let asked: Vec<String> =
        ["stone", "sttwo"].iter().map(|n| account_id(A, n)).chain([account_id(C, "stinc")]).collect();
    let r =
        query(&arm, json!({"subscriptions": [A, C], "query": accounts_query(&asked), "options": {"$top": 1000}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Only the ids asked for, only in the subscriptions the caller reads (C is left out without a word).
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, vec![account_id(A, "stone"), account_id(A, "sttwo")]);
    let one = &r.body["data"][0];
    let mut columns: Vec<&str> = one.as_object().unwrap().keys().map(String::as_str).collect();
    columns.sort();
    assert_eq!(
        columns,
        [
            "allowSharedKeyAccess",
            "id",
            "identity",
            "location",
            "name",
            "networkAcls",
            "privateEndpointConnections",
            "publicNetworkAccess",
            "status",
            "type"
        ]
    );
    assert_eq!(one["type"], "microsoft.storage/storageaccounts");
    assert_eq!((&one["identity"], &one["status"]), (&Value::Null, &Value::Null));
    // The same values as ARM's GET of the account; null where ARM shows nothing.
    let arm_says = get(&arm, TOK, &format!("{}?api-version=2023-05-01", account_id(A, "stone"))).await;
    assert_eq!(one["networkAcls"], arm_says.body["properties"]["networkAcls"]);
    assert_eq!(one["allowSharedKeyAccess"], false);
    assert_eq!(one["privateEndpointConnections"], arm_says.body["properties"]["privateEndpointConnections"]);
    assert_eq!(r.body["data"][1]["allowSharedKeyAccess"], Value::Null);
    assert_eq!(r.body["data"][1]["publicNetworkAccess"], Value::Null);
}

#[tokio::test]
async fn storage_accounts_page_by_skip_token() {
    let mut t = tenant(0);
    let mut asked = Vec::new();
    for i in 0..1001 {
        let name = format!("st{i:05}");
        asked.push(account_id(B, &name));
        t = t.with_storage_account(StorageAccountSeed::new(B, "rg-st", &name));
    }
    let arm = FakeArm::start(t).await;
    let q = accounts_query(&asked);
    let first = query(&arm, json!({"subscriptions": [B], "query": q, "options": {"$top": 1000}})).await;
    assert_eq!((first.body["count"].as_u64(), first.body["resultTruncated"].as_str()), (Some(1000), Some("false")));
    let token = first.body["$skipToken"].as_str().expect("a token").to_string();
    let second =
        query(&arm, json!({"subscriptions": [B], "query": q, "options": {"$top": 1000, "$skipToken": token}})).await;
    assert_eq!(second.body["count"], 1);
    assert!(second.body.get("$skipToken").is_none());
}

#[tokio::test]
async fn lag_mode_shows_a_stale_account_and_leaves_out_an_unindexed_one() {
    let mut t = tenant(0)
        .with_storage_account(StorageAccountSeed::new(A, "rg-st", "stchanged"))
        .with_storage_account(StorageAccountSeed::new(A, "rg-st", "stnew"));
    // ARM's account allows keys no more; ARG still shows it as it was.
    t.storage_accounts[0].allow_shared_key_access = Some(false);
    let mut before = t.storage_accounts[0].clone();
    before.allow_shared_key_access = Some(true);
    t.resource_graph.stale_accounts.push(before);
    t.resource_graph.unindexed_account_ids.push(account_id(A, "stnew"));
    let arm = FakeArm::start(t).await;
    let asked = vec![account_id(A, "stchanged"), account_id(A, "stnew")];
    let r = query(&arm, json!({"subscriptions": [A], "query": accounts_query(&asked)})).await;
    assert_eq!(ids(&r), vec![account_id(A, "stchanged")], "{}", r.body);
    assert_eq!(r.body["data"][0]["allowSharedKeyAccess"], true);
    let arm_says = get(&arm, TOK, &format!("{}?api-version=2023-05-01", account_id(A, "stchanged"))).await;
    assert_eq!(arm_says.body["properties"]["allowSharedKeyAccess"], false);
    let new = get(&arm, TOK, &format!("{}?api-version=2023-05-01", account_id(A, "stnew"))).await;
    assert_eq!(new.status, 200);
}

#[tokio::test]
async fn an_account_query_of_another_shape_is_refused() {
    let arm = FakeArm::start(tenant(0).with_storage_account(StorageAccountSeed::new(A, "rg-st", "stone"))).await;
    let id = account_id(A, "stone").to_ascii_lowercase();
    let good = accounts_query(std::slice::from_ref(&id));
    for q in [
        // An empty list, an unquoted id, a double-quoted one, another projection, the whole properties.
        good.replace(&format!("'{id}'"), ""),
        good.replace(&format!("'{id}'"), &id),
        good.replace(&format!("'{id}'"), &format!("\"{id}\"")),
        good.replace(", location", ""),
        good.replace("networkAcls = properties.networkAcls", "properties"),
        // The old accounts-only head, a machine query without the identity column.
        good.replace("type in~ ('microsoft.storage/storageaccounts', 'microsoft.hybridcompute/machines', 'microsoft.compute/virtualmachines')", "type =~ 'microsoft.storage/storageaccounts'"),
        good.replace(", identity,", ","),
    ] {
        let r = query(&arm, json!({"subscriptions": [A], "query": q})).await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
        assert_eq!(r.code(), "BadRequest");
        assert_eq!(r.body["error"]["details"][0]["code"], "InvalidQuery", "{q}");
    }
    let ok = query(&arm, json!({"subscriptions": [A], "query": good})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

fn arc_id(sub: &str, name: &str) -> String {
    MachineSeed::arc(sub, "rg-servers", name, None).id()
}

#[tokio::test]
async fn machines_by_id_with_their_identity_and_arc_status_as_arm_shows_them() {
    const P1: &str = "11111111-0000-4000-8000-000000000001";
    let t = tenant(0)
        .with_machine(MachineSeed::arc(A, "rg-servers", "fs1", Some(P1)).with_status("Disconnected"))
        .with_machine(MachineSeed::vm(A, "rg-servers", "fs2", None))
        .with_machine(MachineSeed::arc(C, "rg-servers", "fs3", Some(P1)))
        .with_storage_account(StorageAccountSeed::new(A, "rg-st", "stone"));
    let arm = FakeArm::start(t).await;
    let vm = MachineSeed::vm(A, "rg-servers", "fs2", None).id();
    let asked = vec![arc_id(A, "fs1"), vm.clone(), arc_id(C, "fs3"), account_id(A, "stone")];
    let r = query(&arm, json!({"subscriptions": [A, C], "query": accounts_query(&asked)})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Every kind in one answer; C (unreadable) left out without a word.
    let mut got = ids(&r);
    got.sort();
    let mut want = vec![arc_id(A, "fs1"), vm.clone(), account_id(A, "stone")];
    want.sort();
    assert_eq!(got, want);
    let row = |id: &str| r.body["data"].as_array().unwrap().iter().find(|v| v["id"] == id).unwrap().clone();
    let arc = row(&arc_id(A, "fs1"));
    let arm_says = get(&arm, TOK, &format!("{}?api-version=2024-07-10", arc_id(A, "fs1"))).await;
    assert_eq!(arm_says.status, 200, "{}", arm_says.body);
    assert_eq!(arc["type"], "microsoft.hybridcompute/machines");
    assert_eq!(arc["identity"], arm_says.body["identity"]);
    assert_eq!(arc["status"], "Disconnected");
    assert_eq!(arc["networkAcls"], Value::Null);
    // A VM without an identity: no identity, no status.
    let vm_row = row(&vm);
    assert_eq!(
        (&vm_row["type"], &vm_row["identity"], &vm_row["status"]),
        (&json!("microsoft.compute/virtualmachines"), &Value::Null, &Value::Null)
    );
}

#[tokio::test]
async fn lag_mode_shows_a_stale_machine_and_leaves_out_an_unindexed_one() {
    const OLD: &str = "11111111-0000-4000-8000-0000000000a1";
    const NEW: &str = "11111111-0000-4000-8000-0000000000b2";
    let mut t = tenant(0)
        .with_machine(MachineSeed::arc(A, "rg-servers", "fs1", Some(NEW)))
        .with_machine(MachineSeed::arc(A, "rg-servers", "fs2", Some(NEW)));
    // fs1's identity was reset in ARM (a new principal); ARG still shows the old one. fs2 is not indexed.
    t.resource_graph.stale_machines.push(MachineSeed::arc(A, "rg-servers", "fs1", Some(OLD)));
    t.resource_graph.unindexed_machine_ids.push(arc_id(A, "fs2"));
    let arm = FakeArm::start(t).await;
    let r = query(&arm, json!({"subscriptions": [A], "query": accounts_query(&[arc_id(A, "fs1"), arc_id(A, "fs2")])}))
        .await;
    assert_eq!(ids(&r), vec![arc_id(A, "fs1")], "{}", r.body);
    assert_eq!(r.body["data"][0]["identity"]["principalId"], OLD);
    let arm_says = get(&arm, TOK, &format!("{}?api-version=2024-07-10", arc_id(A, "fs1"))).await;
    assert_eq!(arm_says.body["identity"]["principalId"], NEW);
}

#[tokio::test]
async fn rows_write_type_and_resource_group_in_lower_case_and_an_id_in_args_own_casing_when_told() {
    // ARG writes a service's resource group lower-cased in one place and its id as ARM does; with
    // `recasedIds` a row carries ARG's own text for the id (here a resource group lower-cased in the
    // service's and the account's ids, upper-cased in the machine's), and `in~` still finds it.
    let mut t = tenant(0)
        .with_service(ServiceSeed::new(A, "RG-Files", "svc-cased"))
        .with_storage_account(StorageAccountSeed::new(A, "RG-St", "stcased"))
        .with_machine(MachineSeed::arc(A, "rg-servers", "fs1", None).with_status("Connected"));
    let svc = t.storage_sync_services.last().unwrap().id();
    let account =
        format!("/subscriptions/{A}/resourceGroups/RG-St/providers/Microsoft.Storage/storageAccounts/stcased");
    let machine = arc_id(A, "fs1");
    let (svc_arg, account_arg, machine_arg) = (
        svc.replace("RG-Files", "rg-files"),
        account.replace("RG-St", "rg-st"),
        machine.replace("rg-servers", "RG-SERVERS"),
    );
    let plain = FakeArm::start(t.clone()).await;
    let r = query(&plain, json!({"subscriptions": [A], "query": SERVICES})).await;
    let row = r.body["data"].as_array().unwrap().iter().find(|v| v["name"] == "svc-cased").unwrap().clone();
    assert_eq!((row["id"].as_str(), row["resourceGroup"].as_str()), (Some(svc.as_str()), Some("rg-files")));
    t.resource_graph.recased_ids = vec![svc_arg.clone(), account_arg.clone(), machine_arg.clone()];
    let arm = FakeArm::start(t.clone()).await;
    let r = query(&arm, json!({"subscriptions": [A], "query": SERVICES})).await;
    assert!(ids(&r).contains(&svc_arg), "{}", r.body);
    // Asked for in ARM's casing (lower-cased, as the tool writes the list), answered in ARG's.
    let r =
        query(&arm, json!({"subscriptions": [A], "query": accounts_query(&[account.clone(), machine.clone()])})).await;
    let mut got = ids(&r);
    got.sort();
    let mut want = vec![account_arg.clone(), machine_arg.clone()];
    want.sort();
    assert_eq!(got, want, "{}", r.body);
    // ARM still answers with its own casing.
    let arm_says = get(&arm, TOK, &format!("{account_arg}?api-version=2023-05-01")).await;
    assert_eq!(arm_says.body["id"], account);
    // A recased id must name a resource of the topology.
    t.resource_graph.recased_ids.push(account_id(A, "nosuchaccount"));
    let refused = FakeArm::try_start_with(t, Options::default()).await.err().expect("refused");
    assert!(refused.contains("recasedIds") && refused.contains("nosuchaccount"), "{refused}");
}
