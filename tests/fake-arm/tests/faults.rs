//! Fault injection, latency, throttling, the request log and the write count.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fake_arm::topology::roles;
use fake_arm::*;
use serde_json::json;

const V: &str = "api-version=2022-09-01";

fn svc_url(arm: &FakeArm) -> String {
    format!("{}{}?{V}", arm.url(), svc_path())
}

#[tokio::test]
async fn status_fault_with_retry_after_applies_the_given_number_of_times() {
    let arm = FakeArm::start(topology()).await;
    arm.inject(
        Fault::new(
            "get",
            "STORAGESYNCSERVICES",
            FaultAction::status_retry_after(503, "ServiceUnavailable", "try later", 7),
        )
        .times(2),
    );
    for _ in 0..2 {
        let r = get(&arm, "owner", &format!("{}?{V}", svc_path())).await;
        assert_eq!((r.status, r.code()), (503, "ServiceUnavailable"));
        assert_eq!(r.header("retry-after"), Some("7"));
        assert!(r.header("x-ms-request-id").is_some());
    }
    assert_eq!(get(&arm, "owner", &format!("{}?{V}", svc_path())).await.status, 200);
    // The method must match.
    arm.inject(Fault::new("PUT", "", FaultAction::status(500, "InternalServerError", "x")));
    assert_eq!(get(&arm, "owner", &format!("{}?{V}", svc_path())).await.status, 200);
    let log = arm.request_log();
    assert_eq!(log.iter().filter(|r| r.fault.as_deref() == Some("status")).count(), 2);
}

/// A fault at a path hits that resource's own read and none below it (a fault by substring hits both).
#[tokio::test]
async fn a_fault_at_a_path_hits_that_path_only() {
    let arm = FakeArm::start(topology()).await;
    arm.inject(Fault::at_path("GET", &svc_path().to_uppercase(), FaultAction::status(503, "ServiceUnavailable", "x")));
    let below = get(&arm, "owner", &format!("{}/syncGroups?{V}", svc_path())).await;
    assert_eq!(below.status, 200);
    let own = get(&arm, "owner", &format!("{}?{V}", svc_path())).await;
    assert_eq!((own.status, own.code()), (503, "ServiceUnavailable"));
    // Its JSON form, as a topology's `faults` take it.
    let f: Fault = serde_json::from_value(json!({"pathIs": "/x", "action": "resetConnection"})).unwrap();
    assert_eq!(f.path_is.as_deref(), Some("/x"));
}

#[tokio::test]
async fn reset_connection_gives_no_response() {
    let arm = FakeArm::start(topology()).await;
    arm.inject(Fault::new("*", "registeredServers", FaultAction::ResetConnection).times(1));
    let err =
        client().get(format!("{}{}/registeredServers?{V}", arm.url(), svc_path())).bearer_auth("owner").send().await;
    assert!(err.is_err(), "expected a connection error, got {err:?}");
    let ok = client()
        .get(format!("{}{}/registeredServers?{V}", arm.url(), svc_path()))
        .bearer_auth("owner")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(arm.request_log()[0].status, 0);
}

#[tokio::test]
async fn malformed_json_and_truncated_bodies() {
    let arm = FakeArm::start(topology()).await;
    arm.inject(Fault::new("GET", "syncGroups", FaultAction::MalformedJson).times(1));
    let r =
        client().get(format!("{}{}/syncGroups?{V}", arm.url(), svc_path())).bearer_auth("owner").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err(), "{text}");

    arm.inject(Fault::new("GET", "registeredServers", FaultAction::TruncatedBody).times(1));
    let r = client()
        .get(format!("{}{}/registeredServers?{V}", arm.url(), svc_path()))
        .bearer_auth("owner")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let declared: usize = r.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(declared > 0);
    assert!(r.bytes().await.is_err(), "the body must fail to read completely");
    // Afterwards all is well.
    let r = get(&arm, "owner", &format!("{}/registeredServers?{V}", svc_path())).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn delay_fault_triggers_client_timeouts_then_answers() {
    let arm = FakeArm::start(topology()).await;
    arm.inject(Fault::new("GET", "storageSyncServices", FaultAction::Delay(800)).times(1));
    let c = reqwest::Client::builder().no_proxy().timeout(Duration::from_millis(200)).build().unwrap();
    let r = c.get(svc_url(&arm)).bearer_auth("owner").send().await;
    assert!(r.unwrap_err().is_timeout());
    let r = c.get(svc_url(&arm)).bearer_auth("owner").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn latency_applies_to_every_request_without_serializing_them() {
    let arm = FakeArm::start(topology().with_latency_ms(300)).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = svc_url(&arm);
        tasks.push(tokio::spawn(async move {
            client().get(url).bearer_auth("owner").send().await.unwrap().status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_millis(1500), "requests were served one after another: {took:?}");
    arm.set_latency_ms(0);
    let t = Instant::now();
    get(&arm, "owner", &format!("{}?{V}", svc_path())).await;
    assert!(t.elapsed() < Duration::from_millis(250));
}

#[tokio::test]
async fn latency_runs_from_arrival_and_the_work_is_done_within_it() {
    // The configured latency stands for the network and ARM's own time: the fake does its work while it
    // runs (a write counts right after the request arrives), and the answer still waits for all of it.
    let arm = FakeArm::start(topology().with_latency_ms(1500)).await;
    let body = ra_body(roles::READER_AND_DATA_ACCESS, SERVER1_MI);
    let path = ra_path(&sa_id(), &uuid::Uuid::new_v4().to_string());
    let url = format!("{}{path}", arm.url());
    let started = Instant::now();
    let put = tokio::spawn(async move {
        client().put(url).bearer_auth("owner").json(&body).send().await.unwrap().status().as_u16()
    });
    let mut counted_after = None;
    while started.elapsed() < Duration::from_millis(1000) {
        if arm.write_count() == 1 {
            counted_after = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(counted_after.is_some(), "the write was not processed within the first 1000 ms of a 1500 ms latency");
    assert!(arm.request_log().is_empty(), "the request is logged when it is answered, not before");
    assert_eq!(put.await.unwrap(), 201);
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "answered before the latency ran out: {:?}",
        started.elapsed()
    );
    assert_eq!(arm.request_log().len(), 1);
}

#[tokio::test]
async fn throttling_returns_429_once_the_burst_is_spent() {
    let arm = FakeArm::start(topology().with_throttle(5.0, 1.0)).await;
    let path = format!("{}?{V}", svc_path());
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let r = get(&arm, "owner", &path).await;
        assert_eq!(r.status, 200);
        remaining.push(r.header("x-ms-ratelimit-remaining-subscription-reads").unwrap().parse::<u64>().unwrap());
    }
    assert_eq!(remaining, [4, 3, 2, 1, 0]);
    let r = get(&arm, "owner", &path).await;
    assert_eq!((r.status, r.code()), (429, "SubscriptionRequestsThrottled"));
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1);
    assert_eq!(r.header("x-ms-ratelimit-remaining-subscription-reads"), Some("0"));
    // Writes are not metered by the read bucket.
    let w = send(
        &arm,
        "PUT",
        Some("owner"),
        &ra_path(&sa_id(), &uuid::Uuid::new_v4().to_string()),
        Some(ra_body(roles::READER_AND_DATA_ACCESS, SERVER1_MI)),
    )
    .await;
    assert_eq!(w.status, 201);
    // Another subscription has its own bucket.
    let mut topo = topology().with_throttle(5.0, 1.0);
    topo.storage_accounts.push(StorageAccountSeed::new(SUB2, "rg2", "other"));
    topo = topo.assign(&format!("/subscriptions/{SUB2}"), roles::READER, OWNER);
    let arm2 = FakeArm::start(topo).await;
    for _ in 0..5 {
        get(&arm2, "owner", &path).await;
    }
    assert_eq!(get(&arm2, "owner", &path).await.status, 429);
    assert_eq!(get(&arm2, "owner", &format!("/subscriptions/{SUB2}/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/other?api-version=2025-06-01")).await.status, 200);
    // After waiting, reads work again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&arm, "owner", &path).await.status, 200);
}

#[tokio::test]
async fn request_log_and_write_count() {
    let arm = FakeArm::start(topology()).await;
    get(&arm, "owner", &format!("{}?{V}&$filter=x%20eq%20'y'", svc_path())).await;
    send(&arm, "GET", None, &format!("{}?{V}", svc_path()), None).await;
    let body = ra_body(roles::READER_AND_DATA_ACCESS, SERVER1_MI);
    send(&arm, "PUT", Some("reader"), &ra_path(&sa_id(), &uuid::Uuid::new_v4().to_string()), Some(body.clone())).await;
    send(&arm, "PUT", Some("owner"), &ra_path(&sa_id(), &uuid::Uuid::new_v4().to_string()), Some(body.clone())).await;
    let log = arm.request_log();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, svc_path());
    assert_eq!(log[0].param("$filter"), Some("x eq 'y'"));
    assert!(log[0].query.contains("api-version=2022-09-01"));
    assert!(log[0].authorized && !log[1].authorized);
    assert_eq!(log[1].status, 401);
    assert_eq!(log[2].status, 403);
    assert_eq!(log[2].body.as_ref().unwrap()["properties"]["principalId"], json!(SERVER1_MI));
    assert_eq!(log[3].status, 201);
    assert_eq!(arm.write_count(), 2, "writes count whatever the outcome");
    assert_eq!(arm.count_by(|r| r.is_write() && r.status == 201), 1);
    // A write stopped by a fault never reached a handler.
    arm.inject(Fault::new("PUT", "roleAssignments", FaultAction::status(500, "InternalServerError", "x")).times(1));
    send(&arm, "PUT", Some("owner"), &ra_path(&sa_id(), &uuid::Uuid::new_v4().to_string()), Some(body)).await;
    assert_eq!(arm.write_count(), 2);
    arm.clear_log();
    assert!(arm.request_log().is_empty());
    assert_eq!(arm.write_count(), 0);
}

#[tokio::test]
async fn faults_can_be_seeded_and_removed() {
    let topo = topology().with_fault(Fault::new(
        "GET",
        "storageAccounts",
        FaultAction::status(500, "InternalServerError", "seeded"),
    ));
    let json = topo.to_json_pretty();
    assert!(json.contains("\"status\""));
    let arm = FakeArm::start(Topology::from_json(&json).unwrap()).await;
    assert_eq!(get(&arm, "owner", &format!("{}?api-version=2025-06-01", sa_id())).await.status, 500);
    arm.clear_faults();
    assert_eq!(get(&arm, "owner", &format!("{}?api-version=2025-06-01", sa_id())).await.status, 200);
    let id = arm.inject(Fault::new("*", "", FaultAction::status(502, "BadGateway", "x")));
    assert_eq!(get(&arm, "owner", &format!("{}?api-version=2025-06-01", sa_id())).await.status, 502);
    arm.remove_fault(id);
    assert_eq!(get(&arm, "owner", &format!("{}?api-version=2025-06-01", sa_id())).await.status, 200);
    // The JSON form of the actions.
    let f: Fault =
        serde_json::from_str(r#"{"method":"GET","pathContains":"x","action":{"delay":5},"times":2}"#).unwrap();
    assert_eq!(f.action, FaultAction::Delay(5));
    let f: Fault = serde_json::from_str(r#"{"pathContains":"x","action":"resetConnection"}"#).unwrap();
    assert_eq!(f.action, FaultAction::ResetConnection);
}

#[tokio::test]
async fn revoking_rights_takes_effect_at_once() {
    let arm = FakeArm::start(topology()).await;
    assert_eq!(get(&arm, "reader", &format!("{}?{V}", svc_path())).await.status, 200);
    assert_eq!(arm.revoke_rights(READER), 1);
    assert_eq!(get(&arm, "reader", &format!("{}?{V}", svc_path())).await.status, 403);
}
