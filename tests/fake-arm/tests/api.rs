//! Authentication, api-versions, routing, 404 shapes, paging, headers and Graph.

mod common;

use common::*;
use fake_arm::*;
use serde_json::{json, Value};

const V_SYNC: &str = "api-version=2022-09-01";

#[tokio::test]
async fn missing_header_is_401_authentication_failed_with_challenge() {
    let arm = FakeArm::start(topology()).await;
    let r = send(&arm, "GET", None, &format!("{}?{V_SYNC}", svc_path()), None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "AuthenticationFailed");
    let www = r.header("www-authenticate").expect("WWW-Authenticate");
    assert!(www.starts_with("Bearer authorization_uri="), "{www}");
    assert!(www.contains(&arm.tenant_id()));
    // A scheme other than Bearer is refused the same way.
    let r = client()
        .get(format!("{}{}?{V_SYNC}", arm.url(), svc_path()))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn a_token_for_one_audience_is_refused_by_the_other() {
    let mut topo = topology();
    for (name, audience) in [("arm-only", TokenAudience::Arm), ("graph-only", TokenAudience::Graph)] {
        topo.tokens.insert(name.into(), TokenSeed { audience: Some(audience), ..TokenSeed::new(OWNER) });
    }
    let arm = FakeArm::start(topo).await;
    let path = format!("{}?{V_SYNC}", svc_path());
    assert_eq!(get(&arm, "arm-only", &path).await.status, 200);
    let r = get(&arm, "graph-only", &path).await;
    assert_eq!((r.status, r.code()), (401, "InvalidAuthenticationTokenAudience"));
    let graph = "/v1.0/servicePrincipals?$filter=appId%20eq%20'9469b9f5-6722-4481-a2b2-14ed560b706f'";
    assert_eq!(get(&arm, "arm-only", graph).await.status, 401);
    assert_eq!(get(&arm, "graph-only", graph).await.status, 200);
}

#[tokio::test]
async fn unknown_token_is_invalid_and_expired_token_is_expired() {
    let mut topo = topology();
    topo.tokens.insert(
        "old".into(),
        TokenSeed {
            principal_id: OWNER.into(),
            expires_at: Some(chrono::Utc::now() - chrono::Duration::minutes(5)),
            graph: true,
            audience: None,
            caller: None,
        },
    );
    let arm = FakeArm::start(topo).await;
    let path = format!("{}?{V_SYNC}", svc_path());
    let r = get(&arm, "no-such-token", &path).await;
    assert_eq!((r.status, r.code()), (401, "InvalidAuthenticationToken"));
    let r = get(&arm, "old", &path).await;
    assert_eq!((r.status, r.code()), (401, "ExpiredAuthenticationToken"));
    assert!(r.message().contains("is earlier than current UTC time"), "{}", r.message());
    // expire_token turns a good token bad at once.
    assert_eq!(get(&arm, "owner", &path).await.status, 200);
    arm.expire_token("owner");
    assert_eq!(get(&arm, "owner", &path).await.code(), "ExpiredAuthenticationToken");
}

#[tokio::test]
async fn api_version_missing_or_unsupported_is_400() {
    let arm = FakeArm::start(topology()).await;
    let r = get(&arm, "owner", &svc_path()).await;
    assert_eq!((r.status, r.code()), (400, "MissingApiVersionParameter"));
    let r = get(&arm, "owner", &format!("{}?api-version=2019-03-01", svc_path())).await;
    assert_eq!((r.status, r.code()), (400, "InvalidApiVersionParameter"));
    assert!(r.message().contains("2022-06-01,2022-09-01,2025-12-01"), "{}", r.message());
    // Each provider has its own list: a storage version is wrong for role assignments ...
    let ra = format!("{}/providers/Microsoft.Authorization/roleAssignments", sa_id());
    let r = get(&arm, "owner", &format!("{ra}?api-version=2025-06-01")).await;
    assert_eq!(r.code(), "InvalidApiVersionParameter");
    assert!(r.message().contains("2022-04-01"));
    // ... but permissions also take 2018-07-01 and 2015-07-01, and locks 2016-09-01 / 2020-05-01.
    for v in ["2022-04-01", "2018-07-01", "2015-07-01"] {
        assert_eq!(
            get(&arm, "owner", &format!("{}/providers/Microsoft.Authorization/permissions?api-version={v}", sa_id()))
                .await
                .status,
            200
        );
    }
    assert_eq!(
        get(
            &arm,
            "owner",
            &format!("{}/providers/Microsoft.Authorization/permissions?api-version=2020-05-01", sa_id())
        )
        .await
        .status,
        400
    );
    for v in ["2016-09-01", "2020-05-01"] {
        assert_eq!(
            get(&arm, "owner", &format!("{}/providers/Microsoft.Authorization/locks?api-version={v}", sa_id()))
                .await
                .status,
            200
        );
    }
    assert_eq!(
        get(&arm, "owner", &format!("{}/providers/Microsoft.Authorization/locks?api-version=2022-04-01", sa_id()))
            .await
            .status,
        400
    );
    for v in ["2023-01-01", "2023-05-01", "2024-01-01", "2025-06-01"] {
        assert_eq!(get(&arm, "owner", &format!("{}?api-version={v}", sa_id())).await.status, 200, "{v}");
    }
    assert_eq!(
        get(&arm, "owner", &format!("{}?api-version=2022-09-01", sa_id())).await.code(),
        "InvalidApiVersionParameter"
    );
}

#[tokio::test]
async fn paths_are_case_insensitive_and_ids_keep_the_seed_casing() {
    let arm = FakeArm::start(topology()).await;
    let shouty = svc_path().to_uppercase().replace("API-VERSION", "api-version");
    let r = get(&arm, "owner", &format!("{shouty}?{V_SYNC}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], json!(svc_path()));
    assert_eq!(r.body["name"], json!(SVC));
    // The api-version key itself is case-insensitive too.
    assert_eq!(get(&arm, "owner", &format!("{}?API-VERSION=2022-09-01", svc_path())).await.status, 200);
}

#[tokio::test]
async fn every_response_carries_request_ids_and_echoes_the_correlation_id() {
    let arm = FakeArm::start(topology()).await;
    let r = client()
        .get(format!("{}{}?{V_SYNC}", arm.url(), svc_path()))
        .bearer_auth("owner")
        .header("x-ms-correlation-request-id", "corr-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-ms-correlation-request-id"], "corr-123");
    let rid = r.headers()["x-ms-request-id"].to_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&rid).is_ok());
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert!(r.headers().contains_key("x-ms-ratelimit-remaining-subscription-reads"));
    // Errors too, with fresh ids each time.
    let e1 = send(&arm, "GET", None, "/nothing", None).await;
    let e2 = send(&arm, "GET", None, "/nothing", None).await;
    assert_ne!(e1.header("x-ms-request-id"), e2.header("x-ms-request-id"));
    assert!(e1.header("x-ms-correlation-request-id").is_some());
    assert!(e1.header("x-ms-ratelimit-remaining-subscription-reads").is_some());
    let w = send(&arm, "PATCH", Some("owner"), &format!("{}?{V_SYNC}", svc_path()), Some(json!({}))).await;
    assert!(w.header("x-ms-ratelimit-remaining-subscription-reads").is_some());
    assert!(w.header("x-ms-ratelimit-remaining-subscription-writes").is_some());
}

#[tokio::test]
async fn not_found_shapes() {
    let arm = FakeArm::start(topology()).await;
    let r = get(&arm, "owner", &format!("/subscriptions/{SUB}/resourceGroups/nope/providers/Microsoft.StorageSync/storageSyncServices/{SVC}?{V_SYNC}")).await;
    assert_eq!((r.status, r.code()), (404, "ResourceGroupNotFound"));
    let r = get(&arm, "owner", &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/nope?{V_SYNC}")).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    assert!(r.message().contains("Microsoft.StorageSync/storageSyncServices/nope"));
    let r = get(&arm, "owner", &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/nope/registeredServers?{V_SYNC}")).await;
    assert_eq!((r.status, r.code()), (404, "ParentResourceNotFound"));
    let r = get(&arm, "owner", &format!("{}/syncGroups/nope/cloudEndpoints?{V_SYNC}", svc_path())).await;
    assert_eq!((r.status, r.code()), (404, "ParentResourceNotFound"));
    let r = get(&arm, "owner", &format!("{}/registeredServers/{}?{V_SYNC}", svc_path(), uuid::Uuid::new_v4())).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    let r =
        get(&arm, "owner", &format!("{}/fileServices/default/shares/missing?api-version=2025-06-01", sa_id())).await;
    assert_eq!((r.status, r.code()), (404, "ShareNotFound"));
    let r = get(&arm, "owner", &format!("/subscriptions/{SUB}/resourceGroups/{RG_SA}/providers/Microsoft.Storage/storageAccounts/nope?api-version=2025-06-01")).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    let r = get(&arm, "owner", &format!("{}/widgets?{V_SYNC}", svc_path())).await;
    assert_eq!((r.status, r.code()), (404, "InvalidResourceType"));
    let r = get(
        &arm,
        "owner",
        &format!("/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines?api-version=2024-01-01"),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = get(&arm, "owner", &format!("/subscriptions/{SUB}?api-version=2022-01-01")).await;
    assert_eq!((r.status, r.code()), (404, "NoRegisteredProviderFound"));
    let r = get(
        &arm,
        "owner",
        &format!("/subscriptions/{SUB2}/providers/Microsoft.StorageSync/storageSyncServices?{V_SYNC}"),
    )
    .await;
    assert_eq!((r.status, r.code()), (404, "SubscriptionNotFound"));
    // Every error is in ARM's shape.
    assert!(r.body["error"]["code"].is_string() && r.body["error"]["message"].is_string());
}

#[tokio::test]
async fn double_encoding_is_refused_at_the_gateway() {
    let arm = FakeArm::start(topology()).await;
    let r = get(&arm, "owner", &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/%23%24%25bad?{V_SYNC}")).await;
    assert_eq!((r.status, r.code()), (400, "InvalidDoubleEncodedRequestUri"));
    assert!(r.message().contains("'%25'"));
    assert_eq!(r.header("x-ms-failure-cause"), Some("gateway"));
    // An encoded character names cannot hold is refused too.
    let r = get(&arm, "owner", &format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.StorageSync/storageSyncServices/a%2Fb?{V_SYNC}")).await;
    assert_eq!((r.status, r.code()), (400, "InvalidRequestUri"));
}

#[tokio::test]
async fn storage_sync_reads_have_the_real_shapes() {
    let arm = FakeArm::start(topology()).await;
    let r = get(&arm, "reader", &format!("{}?{V_SYNC}", svc_path())).await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("identity").is_none(), "no identity seeded: none shown");
    assert_eq!(r.body["properties"]["useIdentity"], json!(false));
    assert!(r.body["systemData"]["lastModifiedAt"].is_string());

    let r = get(&arm, "reader", &format!("{}/registeredServers/{SERVER1}?{V_SYNC}", svc_path())).await;
    let p = &r.body["properties"];
    assert_eq!(p["activeAuthType"], json!("Certificate"));
    assert_eq!(p["applicationId"], json!("00000000-0000-0000-0000-000000000000"));
    assert_eq!(p["latestApplicationId"], json!(SERVER1_MI));
    assert_eq!(p["identity"], json!(false));
    assert_eq!(p["clusterId"], json!("00000000-0000-0000-0000-000000000000"));
    assert_eq!(r.body["id"], json!(format!("{}/registeredServers/{SERVER1}", svc_path())));

    let r = get(&arm, "reader", &format!("{}/registeredServers/{SERVER2}?{V_SYNC}", svc_path())).await;
    assert_eq!(r.body["properties"]["activeAuthType"], json!("ManagedIdentity"));
    assert_eq!(r.body["properties"]["identity"], json!(true));

    let r = get(&arm, "reader", &format!("{}/syncGroups/sg1/serverEndpoints/{SE1}?{V_SYNC}", svc_path())).await;
    let p = &r.body["properties"];
    assert_eq!(p["serverResourceId"], json!(format!("{}/registeredServers/{SERVER1}", svc_path())));
    assert_eq!(p["serverName"], json!("srv1.contoso.com"));
    assert_eq!(p["syncStatus"]["uploadStatus"]["lastSyncResult"], json!(-2134364065));
    assert_eq!(
        p["syncStatus"]["uploadStatus"]["filesNotSyncingErrors"][0],
        json!({"errorCode": -2134347775, "persistentCount": 3, "transientCount": 1})
    );
    assert_eq!(p["syncStatus"]["downloadStatus"]["filesNotSyncingErrors"], json!([]));
    assert_eq!(p["recallStatus"]["recallErrors"][0], json!({"errorCode": -2134347774, "count": 2}));
    assert_eq!(p["recallStatus"]["totalRecallErrorsCount"], json!(2));

    let r = get(&arm, "reader", &format!("{}/syncGroups/sg1/cloudEndpoints?{V_SYNC}", svc_path())).await;
    let ce = &r.body["value"][0]["properties"];
    assert_eq!(ce["storageAccountResourceId"], json!(sa_id()));
    assert_eq!(ce["azureFileShareName"], json!("share1"));

    // 2022-06-01 predates managed identities: the fields are not there.
    let r = get(&arm, "reader", &format!("{}/registeredServers/{SERVER2}?api-version=2022-06-01", svc_path())).await;
    assert!(r.body["properties"].get("activeAuthType").is_none());
    assert!(r.body["properties"].get("applicationId").is_none());
    let r = get(&arm, "reader", &format!("{}?api-version=2022-06-01", svc_path())).await;
    assert!(r.body["properties"].get("useIdentity").is_none());
}

#[tokio::test]
async fn storage_account_shape_follows_the_seed() {
    let mut topo = topology();
    let a = &mut topo.storage_accounts[0];
    a.network_acls = NetworkAclsSeed {
        bypass: "Logging, Metrics".into(),
        default_action: "Deny".into(),
        ip_rules: vec![IpRuleSeed { value: "1.2.3.4".into(), action: None }],
        virtual_network_rules: vec![VirtualNetworkRuleSeed {
            id: "/subscriptions/x/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/s".into(),
            action: None,
            state: None,
        }],
        resource_access_rules: vec![ResourceAccessRuleSeed {
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            resource_id: "/subscriptions/x/resourceGroups/n/providers/Microsoft.Synapse/workspaces/w".into(),
        }],
    };
    a.allow_shared_key_access = Some(false);
    a.public_network_access = Some("Disabled".into());
    a.private_endpoint_connections =
        vec![PrivateEndpointConnectionSeed { name: "pe1".into(), status: "Approved".into() }];
    let arm = FakeArm::start(topo).await;
    let r = get(&arm, "reader", &format!("{}?api-version=2025-06-01", sa_id())).await;
    let p = &r.body["properties"];
    assert_eq!(p["networkAcls"]["defaultAction"], json!("Deny"));
    assert_eq!(p["networkAcls"]["bypass"], json!("Logging, Metrics"));
    assert_eq!(p["networkAcls"]["ipRules"], json!([{"value": "1.2.3.4", "action": "Allow"}]));
    assert_eq!(p["networkAcls"]["virtualNetworkRules"][0]["state"], json!("Succeeded"));
    assert_eq!(p["networkAcls"]["resourceAccessRules"][0]["tenantId"], json!("72f988bf-86f1-41af-91ab-2d7cd011db47"));
    assert_eq!(p["allowSharedKeyAccess"], json!(false));
    assert_eq!(p["publicNetworkAccess"], json!("Disabled"));
    let pe = &p["privateEndpointConnections"][0];
    assert_eq!(pe["properties"]["privateLinkServiceConnectionState"]["status"], json!("Approved"));
    assert!(pe["properties"]["privateEndpoint"]["id"].as_str().unwrap().contains("privateEndpoints/pe1"));
    // Unseeded optional fields are absent, like ARM.
    let arm = FakeArm::start(topology()).await;
    let r = get(&arm, "reader", &format!("{}?api-version=2025-06-01", sa_id())).await;
    assert!(r.body["properties"].get("allowSharedKeyAccess").is_none());
    assert!(r.body["properties"].get("publicNetworkAccess").is_none());
    let shares = get(&arm, "reader", &format!("{}/fileServices/default/shares?api-version=2025-06-01", sa_id())).await;
    let names: Vec<&str> =
        shares.body["value"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["share1", "share2"]);
}

#[tokio::test]
async fn paging_with_page_size_two_follows_next_links() {
    let mut topo = topology().with_page_size(2);
    for i in 0..5 {
        topo.storage_sync_services.push(ServiceSeed::new(SUB, "rg-more", &format!("svc{i}")));
    }
    let arm = FakeArm::start(topo).await;
    let first = get(
        &arm,
        "owner",
        &format!("/subscriptions/{SUB}/providers/Microsoft.StorageSync/storageSyncServices?{V_SYNC}"),
    )
    .await;
    let next = first.body["nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "{}/subscriptions/{SUB}/providers/Microsoft.StorageSync/storageSyncServices?",
            arm.url()
        )),
        "{next}"
    );
    assert!(next.contains("api-version=2022-09-01") && next.contains("$skiptoken="), "{next}");
    let (items, pages) = get_all(
        &arm,
        "owner",
        &format!("/subscriptions/{SUB}/providers/Microsoft.StorageSync/storageSyncServices?{V_SYNC}"),
    )
    .await;
    assert_eq!((items.len(), pages), (6, 3));
    let (items, _) = get_all(
        &arm,
        "owner",
        &format!(
            "/subscriptions/{SUB}/resourceGroups/rg-more/providers/Microsoft.StorageSync/storageSyncServices?{V_SYNC}"
        ),
    )
    .await;
    assert_eq!(items.len(), 5);
    // The last page has no nextLink.
    let (ra, pages) = get_all(
        &arm,
        "owner",
        &format!("{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01", sub_scope()),
    )
    .await;
    assert_eq!(ra.len(), 7);
    assert_eq!(pages, 4);
    let (shares, pages) =
        get_all(&arm, "owner", &format!("{}/fileServices/default/shares?api-version=2025-06-01", sa_id())).await;
    assert_eq!((shares.len(), pages), (2, 1));
}

#[tokio::test]
async fn skip_tokens_are_validated() {
    let arm = FakeArm::start(topology().with_page_size(1)).await;
    let base = format!("{}/registeredServers?{V_SYNC}", svc_path());
    let r = get(&arm, "owner", &format!("{base}&$skiptoken=garbage")).await;
    assert_eq!((r.status, r.code()), (400, "InvalidSkipToken"));
    // A token from another list is not accepted either.
    let other = get(&arm, "owner", &format!("{}/fileServices/default/shares?api-version=2025-06-01", sa_id())).await;
    let link = other.body["nextLink"].as_str().unwrap();
    let token = link.split("$skiptoken=").nth(1).unwrap();
    let r = get(&arm, "owner", &format!("{base}&$skiptoken={token}")).await;
    assert_eq!(r.code(), "InvalidSkipToken");
}

#[tokio::test]
async fn graph_finds_service_principals_by_app_id() {
    let arm = FakeArm::start(topology()).await;
    let r = get(&arm, "reader", &format!("/v1.0/servicePrincipals?$filter=appId%20eq%20'{SYNC_SP_APP}'")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["value"][0]["id"], json!(SYNC_SP_OBJ));
    assert_eq!(r.body["value"][0]["displayName"], json!("Microsoft.StorageSync"));
    let r =
        get(&arm, "reader", "/v1.0/servicePrincipals?$filter=appId eq '00000000-0000-0000-0000-00000000abcd'").await;
    assert_eq!(r.body["value"], json!([]));
    let r = get(&arm, "reader", "/v1.0/servicePrincipals?$filter=startswith(displayName,'M')").await;
    assert_eq!((r.status, r.code()), (400, "Request_UnsupportedQuery"));
    let r = send(&arm, "GET", None, "/v1.0/servicePrincipals", None).await;
    assert_eq!(r.status, 401);
    let mut topo = topology();
    topo.tokens.get_mut("reader").unwrap().graph = false;
    let arm = FakeArm::start(topo).await;
    let r = get(&arm, "reader", "/v1.0/servicePrincipals").await;
    assert_eq!((r.status, r.code()), (403, "Authorization_RequestDenied"));
}

#[test]
fn blocking_start_and_topology_validation() {
    let arm = FakeArm::start_blocking(topology());
    let c = reqwest::blocking::Client::builder().no_proxy().build().unwrap();
    let r = c.get(format!("{}{}?{V_SYNC}", arm.url(), svc_path())).bearer_auth("owner").send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["name"], json!(SVC));
    drop(arm);
    // A broken topology is refused with a message naming the problem.
    let mut bad = topology();
    bad.storage_sync_services[0].sync_groups[0].server_endpoints[0].server_id = uuid::Uuid::new_v4().to_string();
    let err = FakeArm::try_start_blocking_with(bad, Options::default()).err().unwrap();
    assert!(err.contains("not a registered server"), "{err}");
    assert!(Topology::from_json(r#"{"tenantID": "x"}"#).unwrap_err().contains("unknown field"));
    // JSON round trip.
    let t = topology();
    assert_eq!(Topology::from_json(&t.to_json_pretty()).unwrap(), t);
}

#[tokio::test]
async fn storage_account_patch_merges_properties_and_replaces_the_rule_set() {
    let mut topo = topology();
    topo.storage_accounts[0].network_acls = NetworkAclsSeed {
        bypass: "Logging".into(),
        default_action: "Deny".into(),
        ip_rules: vec![IpRuleSeed { value: "20.30.40.0/24".into(), action: None }],
        ..Default::default()
    };
    topo.storage_accounts[0].allow_shared_key_access = Some(false);
    let arm = FakeArm::start(topo).await;
    let path = format!("{}?api-version=2023-05-01", sa_id());
    // api-version is required and checked like any Microsoft.Storage call.
    let r = send(&arm, "PATCH", Some("owner"), &sa_id(), Some(json!({"properties": {}}))).await;
    assert_eq!((r.status, r.code()), (400, "MissingApiVersionParameter"));
    let r = send(&arm, "PATCH", Some("owner"), &format!("{}?api-version=2022-09-01", sa_id()), Some(json!({}))).await;
    assert_eq!((r.status, r.code()), (400, "InvalidApiVersionParameter"));

    // allowSharedKeyAccess alone: the rule set stays; read-only and unknown properties are ignored.
    let body = json!({"properties": {"allowSharedKeyAccess": true, "provisioningState": "Failed",
        "creationTime": "2000-01-01T00:00:00Z", "noSuchProperty": 1}});
    let r = send(&arm, "PATCH", Some("owner"), &path, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], sa_id());
    assert_eq!(r.body["properties"]["allowSharedKeyAccess"], true);
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    assert!(r.body["properties"].get("noSuchProperty").is_none());
    assert_eq!(r.body["properties"]["networkAcls"]["bypass"], "Logging");
    assert_eq!(r.body["properties"]["networkAcls"]["ipRules"][0]["value"], "20.30.40.0/24");
    assert_eq!(get(&arm, "owner", &path).await.body, r.body, "the answer is the account as a GET shows it");

    // networkAcls is one value: what it leaves out takes ARM's defaults (the IP rule goes).
    let body = json!({"properties": {"networkAcls": {"defaultAction": "deny", "bypass": "Logging,azureservices"}}});
    let r = send(&arm, "PATCH", Some("owner"), &path, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let acls = &r.body["properties"]["networkAcls"];
    assert_eq!(
        (acls["defaultAction"].as_str(), acls["bypass"].as_str()),
        (Some("Deny"), Some("Logging, AzureServices"))
    );
    assert_eq!(acls["ipRules"], json!([]));
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &path,
        Some(json!({"properties": {"networkAcls": {"defaultAction": "Allow"}}})),
    )
    .await;
    assert_eq!(r.body["properties"]["networkAcls"]["bypass"], "AzureServices");
    let r = send(&arm, "PATCH", Some("owner"), &path, Some(json!({"properties": {"publicNetworkAccess": "disabled"}})))
        .await;
    assert_eq!(r.body["properties"]["publicNetworkAccess"], "Disabled");

    // Values ARM refuses, and the account is left as it was.
    let before = get(&arm, "owner", &path).await.body;
    for (acls, field) in [
        (json!({"bypass": "AzureServices"}), "networkAcls.defaultAction"),
        (json!({"defaultAction": "Block"}), "networkAcls.defaultAction"),
        (json!({"defaultAction": "Deny", "bypass": "Everything"}), "networkAcls.bypass"),
        (json!({"defaultAction": "Deny", "bypass": "None, Logging"}), "networkAcls.bypass"),
        (json!({"defaultAction": "Deny", "ipRules": [{"value": "10.0.0.0/31"}]}), "networkAcls.ipRule[*].value"),
        (
            json!({"defaultAction": "Deny", "ipRules": [{"value": "1.2.3.4", "action": "Deny"}]}),
            "networkAcls.ipRule[*].action",
        ),
        (
            json!({"defaultAction": "Deny", "virtualNetworkRules": [{"id": "/subscriptions/x/resourceGroups/y"}]}),
            "networkAcls.virtualNetworkRules[*].id",
        ),
    ] {
        let body = json!({"properties": {"allowSharedKeyAccess": false, "networkAcls": acls}});
        let r = send(&arm, "PATCH", Some("owner"), &path, Some(body)).await;
        assert_eq!((r.status, r.code()), (400, "InvalidValuesForRequestParameters"), "{field}: {}", r.body);
        assert!(r.message().contains(field), "{field}: {}", r.message());
    }
    let r =
        send(&arm, "PATCH", Some("owner"), &path, Some(json!({"properties": {"publicNetworkAccess": "Sometimes"}})))
            .await;
    assert_eq!((r.status, r.code()), (400, "InvalidValuesForRequestParameters"));
    let r =
        send(&arm, "PATCH", Some("owner"), &path, Some(json!({"properties": {"allowSharedKeyAccess": "yes"}}))).await;
    assert_eq!((r.status, r.code()), (400, "InvalidRequestContent"));
    assert_eq!(get(&arm, "owner", &path).await.body, before);

    // Rights: storageAccounts/write from the caller's roles; a reader gets ARM's 403.
    let r =
        send(&arm, "PATCH", Some("sareader"), &path, Some(json!({"properties": {"allowSharedKeyAccess": true}}))).await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    assert!(r.message().contains("Microsoft.Storage/storageAccounts/write"), "{}", r.message());
    // Existence, in ARM's order and shapes.
    let missing = sa_id().replace(SA, "nosuchaccount");
    let r = send(&arm, "PATCH", Some("owner"), &format!("{missing}?api-version=2023-05-01"), Some(json!({}))).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    let r = send(
        &arm,
        "PATCH",
        Some("owner"),
        &format!("{}/fileServices/default/shares/share1?api-version=2023-05-01", sa_id()),
        Some(json!({})),
    )
    .await;
    assert_eq!((r.status, r.code()), (405, "MethodNotAllowed"));
}

#[tokio::test]
async fn machines_and_their_identities_service_principals() {
    let arc = MachineSeed::arc(SUB, "rg-servers", "fs1", Some(SERVER1_MI));
    let vm = MachineSeed::vm(SUB, "rg-servers", "fs2", None);
    let arm = FakeArm::start(topology().with_machine_identity(arc.clone()).with_machine_identity(vm.clone())).await;
    // Machines_Get: the seed's casing, the system-assigned identity with the tenant.
    let r = get(&arm, "reader", &format!("{}?api-version=2024-07-10", arc.id().to_lowercase())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], json!(arc.id()));
    assert_eq!(r.body["type"], json!("Microsoft.HybridCompute/machines"));
    assert_eq!(r.body["identity"]["type"], json!("SystemAssigned"));
    assert_eq!(r.body["identity"]["principalId"], json!(SERVER1_MI));
    assert_eq!(r.body["properties"]["status"], json!("Connected"));
    // VirtualMachines_Get without an identity: no `identity` at all.
    let r = get(&arm, "reader", &format!("{}?api-version=2024-07-01", vm.id())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["type"], json!("Microsoft.Compute/virtualMachines"));
    assert!(r.body.get("identity").is_none(), "{}", r.body);
    // Each provider has its own api-versions; absent machines and groups are 404s; reads need read rights.
    let r = get(&arm, "reader", &format!("{}?api-version=2024-07-10", vm.id())).await;
    assert_eq!((r.status, r.code()), (400, "InvalidApiVersionParameter"));
    let r = get(&arm, "reader", &format!("{}?api-version=2024-07-10", arc.id().replace("/fs1", "/gone"))).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    let r = get(&arm, "reader", &format!("{}?api-version=2024-07-10", arc.id().replace("rg-servers", "rg-none"))).await;
    assert_eq!((r.status, r.code()), (404, "ResourceGroupNotFound"));
    let r = get(&arm, "nobody", &format!("{}?api-version=2024-07-10", arc.id())).await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    // The identity's service principal names the machine; $select keeps what was asked for.
    let r = get(
        &arm,
        "reader",
        &format!("/v1.0/servicePrincipals/{SERVER1_MI}?$select=id,alternativeNames,servicePrincipalType"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["servicePrincipalType"], json!("ManagedIdentity"));
    assert_eq!(r.body["alternativeNames"], json!(["isExplicit=False", arc.id()]));
    assert!(r.body.get("displayName").is_none(), "{}", r.body);
    assert!(r.body["@odata.context"].as_str().unwrap().contains("$entity"));
    let r = get(&arm, "reader", &format!("/v1.0/servicePrincipals/{SERVER1_MI}?$select=id,nonsense")).await;
    assert_eq!((r.status, r.code()), (400, "Request_BadRequest"));
    // A machine without an identity has no service principal; an unknown object id is a 404.
    let r = get(&arm, "reader", &format!("/v1.0/servicePrincipals/{SERVER2_MI}")).await;
    assert_eq!((r.status, r.code()), (404, "Request_ResourceNotFound"));
}
