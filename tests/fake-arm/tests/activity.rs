//! The Activity Log (ActivityLogs_List): ARM's filter rules, authorization, paging, and the events the
//! fake records for its own writes.

mod common;

use common::*;
use fake_arm::*;
use serde_json::{json, Value};

fn enc(s: &str) -> String {
    s.replace('%', "%25").replace(' ', "%20").replace('\'', "%27").replace(':', "%3A").replace('+', "%2B")
}

fn log_path(filter: Option<&str>) -> String {
    let mut p = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01"
    );
    if let Some(f) = filter {
        p.push_str(&format!("&$filter={}", enc(f)));
    }
    p
}

fn window(days: i64) -> String {
    let now = chrono::Utc::now();
    format!(
        "eventTimestamp ge '{}' and eventTimestamp le '{}'",
        (now - chrono::Duration::days(days)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ")
    )
}

fn with_alice(mut t: Topology) -> Topology {
    t.tokens.insert("alice".into(), TokenSeed { caller: Some("alice@contoso.com".into()), ..TokenSeed::new(OWNER) });
    t
}

#[tokio::test]
async fn writes_are_recorded_with_caller_bodies_and_correlation_id() {
    let arm = FakeArm::start(with_alice(topology())).await;
    let ra = "f0000000-0000-4000-8000-000000000007";
    let del = send(&arm, "DELETE", Some("alice"), &ra_path(&share_scope("share1"), ra), None).await;
    assert_eq!(del.status, 200);
    let patch = send(
        &arm,
        "PATCH",
        Some("alice"),
        &format!("{}?api-version=2023-05-01", sa_id()),
        Some(json!({"properties": {"allowSharedKeyAccess": false}})),
    )
    .await;
    assert_eq!(patch.status, 200);
    // A write refused by authorization is recorded too, as Failed.
    let refused = send(
        &arm,
        "PATCH",
        Some("reader"),
        &format!("{}?api-version=2023-05-01", sa_id()),
        Some(json!({"properties": {}})),
    )
    .await;
    assert_eq!(refused.status, 403);

    let (items, _) =
        get_all(&arm, "reader", &log_path(Some(&format!("{} and resourceGroupName eq '{RG_SA}'", window(1))))).await;
    assert_eq!(items.len(), 3, "{items:#?}");
    // Newest first.
    assert_eq!(items[0]["status"]["value"], "Failed");
    assert_eq!(items[0]["caller"], READER);
    let key = &items[1];
    assert_eq!(key["operationName"]["value"], "Microsoft.Storage/storageAccounts/write");
    assert_eq!(key["caller"], "alice@contoso.com");
    assert_eq!(key["status"]["value"], "Succeeded");
    assert_eq!(key["resourceGroupName"], RG_SA);
    assert_eq!(key["correlationId"].as_str(), patch.header("x-ms-correlation-request-id"));
    let body: Value = serde_json::from_str(key["properties"]["requestbody"].as_str().unwrap()).unwrap();
    assert_eq!(body["properties"]["allowSharedKeyAccess"], false);
    let gone = &items[2];
    assert_eq!(gone["operationName"]["value"], "Microsoft.Authorization/roleAssignments/delete");
    assert_eq!(gone["httpRequest"]["method"], "DELETE");
    let deleted: Value = serde_json::from_str(gone["properties"]["responseBody"].as_str().unwrap()).unwrap();
    assert_eq!(deleted["properties"]["principalId"], SERVER2_MI);
    assert!(gone["resourceId"].as_str().unwrap().ends_with(ra));
    assert!(gone["id"].as_str().unwrap().contains("/events/"));
    for item in &items {
        assert!(item["eventTimestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(item["category"]["value"], "Administrative");
        assert_eq!(item["subscriptionId"], SUB);
    }

    // resourceUri narrows to one resource; the other resource group has none of these events.
    let (one, _) =
        get_all(&arm, "reader", &log_path(Some(&format!("{} and resourceUri eq '{}'", window(1), sa_id())))).await;
    assert_eq!(one.len(), 3);
    let (none, _) =
        get_all(&arm, "reader", &log_path(Some(&format!("{} and resourceGroupName eq '{RG}'", window(1))))).await;
    assert!(none.is_empty(), "{none:#?}");
    assert_eq!(arm.activity_log().len(), 3);
}

#[tokio::test]
async fn the_filter_is_required_bounded_to_90_days_and_strict() {
    let arm = FakeArm::start(topology()).await;
    let cases = [
        (None, "required"),
        (Some("resourceGroupName eq 'rg'".to_string()), "start time"),
        (Some(window(91)), "90 days"),
        (Some(format!("{} and caller eq 'x'", window(1))), "not supported"),
        (Some("eventTimestamp ge 'yesterday'".to_string()), "not a date"),
        (Some(format!("{} and resourceGroupName eq 'a' and resourceUri eq '/x'", window(1))), "one of"),
    ];
    for (filter, want) in cases {
        let r = get(&arm, "reader", &log_path(filter.as_deref())).await;
        assert_eq!((r.status, r.code()), (400, "BadRequest"), "{filter:?}: {}", r.body);
        assert!(r.message().contains(want), "{want:?} not in {}", r.message());
    }
    let r = get(&arm, "reader", &log_path(Some(&window(89)))).await;
    assert_eq!(r.status, 200);
    let r = get(&arm, "reader", &log_path(Some(&window(1))).replace("2015-04-01", "2022-04-01")).await;
    assert_eq!((r.status, r.code()), (400, "InvalidApiVersionParameter"));
    // Reading the log needs a role (Reader suffices); without one, 403 as for any read.
    let r = get(&arm, "nobody", &log_path(Some(&window(1)))).await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    assert!(r.message().contains("Microsoft.Insights/eventtypes/values/read"));
}

#[tokio::test]
async fn seeded_events_page_and_long_running_writes_end_with_their_outcome() {
    let mut t = with_alice(topology());
    t.page_size = 2;
    for i in 0..5 {
        t.activity_log.push(ActivityEventSeed {
            // Half a day off the windows' edges, so that a bound cut to whole seconds cannot take one in.
            event_timestamp: chrono::Utc::now() - chrono::Duration::days(10 + i) + chrono::Duration::hours(12),
            caller: "bob@contoso.com".into(),
            operation_name: "Microsoft.Storage/storageAccounts/write".into(),
            resource_id: sa_id(),
            status: "Succeeded".into(),
            sub_status: None,
            correlation_id: None,
            http_method: None,
            request_body: None,
            response_body: None,
        });
    }
    let arm = FakeArm::start(t).await;
    let (items, pages) = get_all(&arm, "reader", &log_path(Some(&window(30)))).await;
    assert_eq!((items.len(), pages), (5, 3));
    let (recent, _) = get_all(&arm, "reader", &log_path(Some(&window(11)))).await;
    assert_eq!(recent.len(), 2, "the window bounds what is listed");

    let r = send(
        &arm,
        "PATCH",
        Some("alice"),
        &format!("{}?api-version=2022-09-01", svc_path()),
        Some(json!({"properties": {"useIdentity": false}})),
    )
    .await;
    assert_eq!(r.status, 202);
    let filter = format!("{} and resourceUri eq '{}'", window(1), svc_path());
    // The fake's lroDelayMs is 0: the next request settles the operation.
    let (events, _) = get_all(&arm, "reader", &log_path(Some(&filter))).await;
    let statuses: Vec<&str> = events.iter().map(|e| e["status"]["value"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["Succeeded", "Accepted"]);
    assert!(events.iter().all(|e| e["operationName"]["value"] == "Microsoft.StorageSync/storageSyncServices/write"));
    assert_eq!(events[0]["correlationId"], events[1]["correlationId"]);
}
