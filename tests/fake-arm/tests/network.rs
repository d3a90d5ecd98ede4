//! The reads behind the network checks (issue 14): a storage account's file service, its network security
//! perimeter configurations, and a Storage Sync Service's private endpoint connections, shaped like the
//! REST spec examples (FileServices_GetServiceProperties, NetworkSecurityPerimeterConfigurations_List,
//! StorageSyncServices_Get) and refused as ARM refuses.

mod common;

use common::*;
use fake_arm::*;

const V_SYNC: &str = "api-version=2025-12-01";
const V_STORAGE: &str = "api-version=2023-05-01";

fn network_topology() -> Topology {
    let mut t = topology();
    let a = t.storage_accounts.iter_mut().find(|a| a.name == SA).expect("the account");
    a.public_network_access = Some("SecuredByPerimeter".into());
    a.smb = Some(SmbSeed {
        versions: Some("SMB3.0;SMB3.1.1".into()),
        channel_encryption: Some("AES-256-GCM".into()),
        ..Default::default()
    });
    a.network_security_perimeter_configurations = vec![NspConfigurationSeed {
        perimeter_id: format!(
            "/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityPerimeters/nsp1"
        ),
        access_mode: "Enforced".into(),
        profile: "storage".into(),
        access_rules: vec![NspAccessRuleSeed {
            name: "in-sync".into(),
            direction: "Inbound".into(),
            address_prefixes: vec![],
            subscriptions: vec![SUB.into()],
        }],
    }];
    let s = t.storage_sync_services.iter_mut().find(|s| s.name == SVC).expect("the service");
    s.incoming_traffic_policy = Some("AllowVirtualNetworksOnly".into());
    s.private_endpoint_connections =
        vec![PrivateEndpointConnectionSeed { name: "pe-sync".into(), status: "Pending".into() }];
    t
}

#[tokio::test]
async fn file_service_shows_the_seeded_smb_lists_only() {
    let arm = FakeArm::start(network_topology()).await;
    let r = get(&arm, "owner", &format!("{}/fileServices/default?{V_STORAGE}", sa_id())).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["id"], format!("{}/fileServices/default", sa_id()));
    assert_eq!(r.body["type"], "Microsoft.Storage/storageAccounts/fileServices");
    let smb = &r.body["properties"]["protocolSettings"]["smb"];
    assert_eq!(smb["versions"], "SMB3.0;SMB3.1.1");
    assert_eq!(smb["channelEncryption"], "AES-256-GCM");
    assert!(smb.get("authenticationMethods").is_none(), "{smb}");
    // An account never changed shows no protocol settings (the spec example's shape).
    let plain = FakeArm::start(topology()).await;
    let r = get(&plain, "owner", &format!("{}/fileServices/default?{V_STORAGE}", sa_id())).await;
    assert_eq!(r.status, 200);
    assert!(r.body["properties"].get("protocolSettings").is_none(), "{}", r.body);
    // ARM's refusals: no api-version, another file service, a caller without rights, a write.
    let r = get(&arm, "owner", &format!("{}/fileServices/default", sa_id())).await;
    assert_eq!((r.status, r.code()), (400, "MissingApiVersionParameter"));
    let r = get(&arm, "owner", &format!("{}/fileServices/other?{V_STORAGE}", sa_id())).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    let r = get(&arm, "nobody", &format!("{}/fileServices/default?{V_STORAGE}", sa_id())).await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
    assert!(r.message().contains("Microsoft.Storage/storageAccounts/fileServices/read"), "{}", r.message());
    let r = send(&arm, "PUT", Some("owner"), &format!("{}/fileServices/default?{V_STORAGE}", sa_id()), None).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn perimeter_configurations_list_and_get() {
    let arm = FakeArm::start(network_topology()).await;
    let (items, pages) =
        get_all(&arm, "owner", &format!("{}/networkSecurityPerimeterConfigurations?{V_STORAGE}", sa_id())).await;
    assert_eq!((items.len(), pages), (1, 1));
    let c = &items[0];
    assert_eq!(c["type"], "Microsoft.Storage/storageAccounts/networkSecurityPerimeterConfigurations");
    let p = &c["properties"];
    assert!(p["networkSecurityPerimeter"]["id"]
        .as_str()
        .unwrap_or_default()
        .ends_with("/networkSecurityPerimeters/nsp1"));
    assert!(p["networkSecurityPerimeter"]["perimeterGuid"].is_string());
    assert_eq!(p["resourceAssociation"]["accessMode"], "Enforced");
    assert_eq!(p["profile"]["name"], "storage");
    let rule = &p["profile"]["accessRules"][0];
    assert_eq!(rule["properties"]["direction"], "Inbound");
    assert_eq!(rule["properties"]["subscriptions"][0]["id"], format!("/subscriptions/{SUB}"));
    let name = c["name"].as_str().expect("a name");
    let r = get(&arm, "owner", &format!("{}/networkSecurityPerimeterConfigurations/{name}?{V_STORAGE}", sa_id())).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body, c);
    let r = get(&arm, "owner", &format!("{}/networkSecurityPerimeterConfigurations/nope?{V_STORAGE}", sa_id())).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    let r =
        get(&arm, "owner", &format!("{}/networkSecurityPerimeterConfigurations?api-version=2019-01-01", sa_id())).await;
    assert_eq!((r.status, r.code()), (400, "InvalidApiVersionParameter"));
    let r = get(&arm, "nobody", &format!("{}/networkSecurityPerimeterConfigurations?{V_STORAGE}", sa_id())).await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
}

#[tokio::test]
async fn service_private_endpoint_connections_in_the_service_and_as_a_list() {
    let arm = FakeArm::start(network_topology()).await;
    let r = get(&arm, "owner", &format!("{}?{V_SYNC}", svc_path())).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["properties"]["incomingTrafficPolicy"], "AllowVirtualNetworksOnly");
    let pec = &r.body["properties"]["privateEndpointConnections"][0];
    assert_eq!(pec["id"], format!("{}/privateEndpointConnections/pe-sync", svc_path()));
    assert_eq!(pec["properties"]["privateLinkServiceConnectionState"]["status"], "Pending");
    assert!(pec["properties"]["privateEndpoint"]["id"].as_str().unwrap_or_default().contains("/privateEndpoints/"));
    let (items, _) = get_all(&arm, "owner", &format!("{}/privateEndpointConnections?{V_SYNC}", svc_path())).await;
    assert_eq!(items.len(), 1);
    assert_eq!(&items[0], pec);
    let r = get(&arm, "owner", &format!("{}/privateEndpointConnections/pe-sync?{V_SYNC}", svc_path())).await;
    assert_eq!(r.status, 200);
    let r = get(&arm, "owner", &format!("{}/privateEndpointConnections/nope?{V_SYNC}", svc_path())).await;
    assert_eq!((r.status, r.code()), (404, "ResourceNotFound"));
    let r = get(&arm, "owner", &format!("{}/privateEndpointConnections", svc_path())).await;
    assert_eq!((r.status, r.code()), (400, "MissingApiVersionParameter"));
    // A service without connections still reports the (empty) list, as the spec's shape has it.
    let plain = FakeArm::start(topology()).await;
    let r = get(&plain, "owner", &format!("{}?{V_SYNC}", svc_path())).await;
    assert_eq!(r.body["properties"]["privateEndpointConnections"], serde_json::json!([]));
}
