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
