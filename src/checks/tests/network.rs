//! Unit tests of the network checks (issue 14: SMB settings, the service's own network, network security
//! perimeters), on the healthy snapshot of the parent module broken one fact at a time.

use super::*;
use crate::model::check_id::CheckId;

fn error(s: &mut Snapshot, operation: &str, status: u16) {
    let id = acct(s).id.to_string();
    s.collection_errors.push(CollectionError {
        resource_id: id,
        operation: operation.into(),
        kind: crate::error::ErrorKind::Authorization,
        message: "403 AuthorizationFailed".into(),
        status: Some(status),
        arm_code: Some("AuthorizationFailed".into()),
        request_id: None,
    });
}

fn one(fs: &[Finding], check: CheckId) -> &Finding {
    let found = of(fs, check);
    assert_eq!(found.len(), 1, "{check}: {found:#?}");
    found[0]
}

fn smb(versions: Option<&str>, auth: Option<&str>, channel: Option<&str>) -> SmbSettings {
    SmbSettings {
        versions: versions.map(str::to_string),
        authentication_methods: auth.map(str::to_string),
        kerberos_ticket_encryption: Some("AES-256".into()),
        channel_encryption: channel.map(str::to_string),
    }
}

#[test]
fn smb_settings_pass_with_defaults_and_with_lists_that_hold_what_file_sync_needs() {
    let fs = run(&healthy());
    assert_eq!(one(&fs, CheckId::STORAGE_SMB_SETTINGS).status, Status::Pass);
    let mut s = healthy();
    acct(&mut s).smb_settings =
        Some(smb(Some("SMB2.1;SMB3.0;smb3.1.1"), Some("Kerberos;NTLMv2"), Some("AES-256-GCM;AES-128-GCM")));
    let fs = run(&s);
    let f = one(&fs, CheckId::STORAGE_SMB_SETTINGS);
    assert_eq!(f.status, Status::Pass, "{f:#?}");
    assert!(f.error_codes.is_empty());
}

#[test]
fn smb_settings_that_exclude_what_file_sync_needs_fail_with_the_command_that_adds_it() {
    let mut s = healthy();
    acct(&mut s).smb_settings = Some(smb(Some("SMB3.0"), Some("Kerberos"), Some("AES-256-GCM")));
    let fs = run(&s);
    let f = one(&fs, CheckId::STORAGE_SMB_SETTINGS);
    assert_eq!(f.status, Status::Fail);
    let codes: Vec<&str> = f.error_codes.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, ["0x80c8305f", "0x80c86053", "0x80c86030"]);
    for v in ["SMB3.1.1", "NTLMv2", "AES-128-GCM"] {
        assert!(f.message.contains(v), "{v} not named: {}", f.message);
    }
    let cmd = f.command.as_deref().expect("a command");
    assert_eq!(
        cmd,
        "Update-AzStorageFileServiceProperty -ResourceGroupName 'rg-storage' -StorageAccountName 'stsyncprod' -SmbProtocolVersion SMB3.0,SMB3.1.1 -SmbAuthenticationMethod Kerberos,NTLMv2 -SmbChannelEncryption AES-256-GCM,AES-128-GCM"
    );
    let fix = f.remediation.as_deref().unwrap_or_default();
    assert!(fix.contains("az storage account file-service-properties update --resource-group rg-storage --account-name stsyncprod --versions \"SMB3.0;SMB3.1.1\" --auth-methods \"Kerberos;NTLMv2\" --channel-encryption \"AES-256-GCM;AES-128-GCM\""), "{fix}");
    assert!(fix.contains("file-sync-deployment-guide"), "{fix}");

    // Only what is missing is changed.
    let mut s = healthy();
    acct(&mut s).smb_settings = Some(smb(None, Some("NTLMv2;Kerberos"), Some("AES-256-GCM")));
    let fs = run(&s);
    let f = one(&fs, CheckId::STORAGE_SMB_SETTINGS);
    assert_eq!(f.status, Status::Fail);
    let cmd = f.command.as_deref().unwrap_or_default();
    assert!(cmd.ends_with("-SmbChannelEncryption AES-256-GCM,AES-128-GCM"), "{cmd}");
    assert!(!cmd.contains("-SmbProtocolVersion") && !cmd.contains("-SmbAuthenticationMethod"), "{cmd}");
}

#[test]
fn smb_settings_unknown_when_not_collected_or_not_read() {
    let mut v1 = healthy();
    v1.schema_version = 1;
    acct(&mut v1).smb_settings = None;
    let fs = run(&v1);
    let f = one(&fs, CheckId::STORAGE_SMB_SETTINGS);
    assert_eq!(f.status, Status::Unknown);
    assert!(f.reason.as_deref().unwrap_or_default().contains("not collected (snapshot schema 1)"), "{f:#?}");

    let mut s = healthy();
    acct(&mut s).smb_settings = None;
    error(&mut s, "fileServices", 403);
    let fs = run(&s);
    let f = one(&fs, CheckId::STORAGE_SMB_SETTINGS);
    assert_eq!(f.status, Status::Unknown);
    assert!(f.reason.as_deref().unwrap_or_default().contains("could not be read"), "{f:#?}");
}

#[test]
fn a_live_error_is_tied_to_restricted_smb_settings() {
    let mut s = healthy();
    acct(&mut s).smb_settings = Some(smb(Some("SMB3.0"), None, None));
    s.services[0].sync_groups[0].server_endpoints[0].upload_last_sync_result = Some(0x80c8305fu32 as i32);
    let fs = run(&s);
    let live: Vec<_> = of(&fs, CheckId::SYNC_LIVE_ERRORS).into_iter().filter(|f| f.explains("0x80c8305f")).collect();
    assert_eq!(live.len(), 1, "{live:#?}");
    let checks = live[0].evidence.get("explainingChecks").map(|v| format!("{v:?}")).unwrap_or_default();
    assert!(checks.contains(CheckId::STORAGE_SMB_SETTINGS.as_str()), "{:#?}", live[0]);
}

fn closed(s: &mut Snapshot, pecs: Option<Vec<(&str, &str)>>) {
    let id = svc(s).id.to_string();
    svc(s).incoming_traffic_policy = Some("AllowVirtualNetworksOnly".into());
    svc(s).private_endpoint_connections = pecs.map(|list| {
        list.into_iter()
            .map(|(name, status)| PrivateEndpointConnection {
                id: format!("{id}/privateEndpointConnections/{name}"),
                status: status.into(),
            })
            .collect()
    });
}

#[test]
fn a_service_open_to_all_networks_needs_no_private_endpoint() {
    let fs = run(&healthy());
    let f = one(&fs, CheckId::SERVICE_PRIVATE_ENDPOINT);
    assert_eq!(f.status, Status::Pass);
    // Even a version-1 snapshot decides it: nothing more is needed.
    let mut v1 = healthy();
    v1.schema_version = 1;
    assert_eq!(one(&run(&v1), CheckId::SERVICE_PRIVATE_ENDPOINT).status, Status::Pass);
}

#[test]
fn a_closed_service_without_an_approved_private_endpoint_fails_with_what_to_do() {
    let mut s = healthy();
    closed(&mut s, Some(vec![]));
    let fs = run(&s);
    let f = one(&fs, CheckId::SERVICE_PRIVATE_ENDPOINT);
    assert_eq!(f.status, Status::Fail);
    assert!(f.explains("0x80c83099") && f.explains("0x80c87014"), "{f:#?}");
    assert!(f.message.contains("no private endpoint"), "{}", f.message);
    let fix = f.remediation.as_deref().unwrap_or_default();
    assert!(
        fix.contains("privatelink.afs.azure.net") && fix.contains("-IncomingTrafficPolicy AllowAllTraffic"),
        "{fix}"
    );
    let cmd = f.command.as_deref().unwrap_or_default();
    assert!(
        cmd.starts_with("New-AzPrivateEndpoint -ResourceGroupName 'rg-sync'") && cmd.contains("-GroupId 'afs'"),
        "{cmd}"
    );
    assert!(cmd.contains(&format!("-PrivateLinkServiceId '{}'", svc_id())), "{cmd}");

    // A pending connection: approve it.
    let mut s = healthy();
    closed(&mut s, Some(vec![("pe-1", "Pending"), ("pe-2", "Rejected")]));
    let fs = run(&s);
    let f = one(&fs, CheckId::SERVICE_PRIVATE_ENDPOINT);
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("pe-1 (Pending)") && f.message.contains("pe-2 (Rejected)"), "{}", f.message);
    assert_eq!(
        f.command.as_deref(),
        Some(
            format!("Approve-AzPrivateEndpointConnection -ResourceId '{}/privateEndpointConnections/pe-1'", svc_id())
                .as_str()
        )
    );
}

#[test]
fn a_closed_service_with_an_approved_private_endpoint_passes() {
    let mut s = healthy();
    closed(&mut s, Some(vec![("pe-1", "Approved")]));
    let fs = run(&s);
    let f = one(&fs, CheckId::SERVICE_PRIVATE_ENDPOINT);
    assert_eq!(f.status, Status::Pass, "{f:#?}");
    assert!(f.message.contains("privatelink.afs.azure.net"));
}

/// Issue 20, item 5: the private DNS zone follows the cloud the snapshot was collected from.
#[test]
fn the_private_dns_zone_follows_the_cloud() {
    for (cloud, zone) in [
        ("AzureCloud", "privatelink.afs.azure.net"),
        ("AzureUSGovernment", "privatelink.afs.azure.us"),
        ("AzureChinaCloud", "privatelink.afs.azure.cn"),
    ] {
        let mut s = healthy();
        s.cloud = cloud.into();
        closed(&mut s, Some(vec![("pe-1", "Approved")]));
        let f = one(&run(&s), CheckId::SERVICE_PRIVATE_ENDPOINT).clone();
        assert!(f.message.contains(zone), "{cloud}: {}", f.message);
        closed(&mut s, Some(vec![]));
        let f = one(&run(&s), CheckId::SERVICE_PRIVATE_ENDPOINT).clone();
        assert_eq!(f.status, Status::Fail);
        assert!(f.remediation.as_deref().unwrap().contains(zone), "{cloud}: {:?}", f.remediation);
        if zone != "privatelink.afs.azure.net" {
            assert!(!f.remediation.as_deref().unwrap().contains("privatelink.afs.azure.net"), "{cloud}");
        }
    }
}

#[test]
fn a_closed_service_is_unknown_when_its_private_endpoints_were_not_collected() {
    let mut v1 = healthy();
    v1.schema_version = 1;
    closed(&mut v1, None);
    let f = run(&v1).into_iter().find(|f| f.check == CheckId::SERVICE_PRIVATE_ENDPOINT).expect("a finding");
    assert_eq!(f.status, Status::Unknown);
    assert!(f.reason.as_deref().unwrap_or_default().contains("not collected (snapshot schema 1)"));
    let mut s = healthy();
    closed(&mut s, None);
    let f = run(&s).into_iter().find(|f| f.check == CheckId::SERVICE_PRIVATE_ENDPOINT).expect("a finding");
    assert_eq!(f.status, Status::Unknown);
    assert!(f.reason.as_deref().unwrap_or_default().contains("did not report"));
}

fn perimeter(s: &mut Snapshot, mode: &str, subscriptions: &[&str], prefixes: &[&str]) {
    let a = acct(s);
    a.public_network_access = Some("SecuredByPerimeter".into());
    a.network_security_perimeter_configurations = Some(vec![NspConfiguration {
        id: format!("{}/networkSecurityPerimeterConfigurations/x.assoc", a.id),
        perimeter_id: Some(format!(
            "/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityPerimeters/nsp-files"
        )),
        access_mode: Some(mode.into()),
        profile: Some("storage".into()),
        access_rules: vec![NspAccessRule {
            name: "in".into(),
            direction: Some("Inbound".into()),
            address_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            subscriptions: subscriptions.iter().map(|s| format!("/subscriptions/{s}")).collect(),
        }],
    }]);
}

#[test]
fn an_account_outside_a_perimeter_is_not_applicable() {
    let fs = run(&healthy());
    assert_eq!(statuses(&fs, CheckId::STORAGE_NETWORK_PERIMETER), [Status::NotApplicable]);
}

#[test]
fn an_enforced_perimeter_without_a_rule_for_the_services_subscription_fails() {
    let mut s = healthy();
    perimeter(&mut s, "Enforced", &["99999999-9999-4999-8999-999999999999"], &[]);
    let fs = run(&s);
    let f = one(&fs, CheckId::STORAGE_NETWORK_PERIMETER);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.message.contains(&format!("no inbound rule for subscription {SUB}")), "{}", f.message);
    assert_eq!(
        f.command.as_deref(),
        Some(format!("New-AzNetworkSecurityPerimeterAccessRule -ResourceGroupName 'rg-net' -SecurityPerimeterName 'nsp-files' -ProfileName 'storage' -Name 'allow-file-sync' -Direction Inbound -Subscription @(@{{Id = '/subscriptions/{SUB}'}})").as_str())
    );
    assert!(f.remediation.as_deref().unwrap_or_default().contains("managed identity"));
    // The servers: no private endpoint and no address rule under an enforced perimeter.
    let n = one(&fs, CheckId::STORAGE_NETWORK_ACCESS);
    assert_eq!(n.status, Status::Fail, "{n:#?}");
    assert!(n.explains("0x80c8033e"));
}

#[test]
fn an_enforced_perimeter_that_admits_the_service_passes() {
    let mut s = healthy();
    perimeter(&mut s, "Enforced", &[SUB], &["203.0.113.0/24"]);
    let fs = run(&s);
    assert_eq!(one(&fs, CheckId::STORAGE_NETWORK_PERIMETER).status, Status::Pass);
    let n = one(&fs, CheckId::STORAGE_NETWORK_ACCESS);
    assert_eq!(n.status, Status::Pass, "{n:#?}");
    assert!(n.message.contains("1 inbound address prefix"), "{}", n.message);
}

#[test]
fn a_perimeter_needs_the_service_to_use_its_identity() {
    let mut s = healthy();
    perimeter(&mut s, "Enforced", &[SUB], &[]);
    svc(&mut s).use_identity = false;
    let fs = run(&s);
    let f = one(&fs, CheckId::STORAGE_NETWORK_PERIMETER);
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("does not use a managed identity"), "{}", f.message);
    assert!(f.command.as_deref().unwrap_or_default().contains("Set-AzStorageSyncServiceIdentity"), "{f:#?}");
}

#[test]
fn a_learning_perimeter_without_the_rule_warns_and_the_firewall_decides() {
    let mut s = healthy();
    perimeter(&mut s, "Learning", &[], &[]);
    let fs = run(&s);
    let f = one(&fs, CheckId::STORAGE_NETWORK_PERIMETER);
    assert_eq!(f.status, Status::Warning, "{f:#?}");
    assert!(f.message.contains("Learning mode"), "{}", f.message);
    // The healthy firewall (an IP rule) still lets the servers in.
    assert_eq!(one(&fs, CheckId::STORAGE_NETWORK_ACCESS).status, Status::Pass);
}

#[test]
fn a_perimeter_whose_rules_were_not_read_is_unknown() {
    let mut s = healthy();
    perimeter(&mut s, "Enforced", &[SUB], &[]);
    acct(&mut s).network_security_perimeter_configurations = None;
    error(&mut s, "networkSecurityPerimeterConfigurations", 403);
    let fs = run(&s);
    let f = one(&fs, CheckId::STORAGE_NETWORK_PERIMETER);
    assert_eq!(f.status, Status::Unknown);
    assert!(f.reason.as_deref().unwrap_or_default().contains("could not be read"), "{f:#?}");
    assert_eq!(one(&fs, CheckId::STORAGE_NETWORK_ACCESS).status, Status::Unknown);

    let mut v1 = healthy();
    v1.schema_version = 1;
    perimeter(&mut v1, "Enforced", &[SUB], &[]);
    acct(&mut v1).network_security_perimeter_configurations = None;
    let f = run(&v1).into_iter().find(|f| f.check == CheckId::STORAGE_NETWORK_PERIMETER).expect("a finding");
    assert_eq!(f.status, Status::Unknown);
    assert!(f.reason.as_deref().unwrap_or_default().contains("snapshot schema 1"));

    // A private endpoint carries the servers whatever the perimeter says.
    let mut s = healthy();
    perimeter(&mut s, "Enforced", &[SUB], &[]);
    acct(&mut s).network_security_perimeter_configurations = None;
    acct(&mut s).private_endpoint_connections = vec![PrivateEndpointConnection {
        id: format!("{}/privateEndpointConnections/pe", account()),
        status: "Approved".into(),
    }];
    assert_eq!(one(&run(&s), CheckId::STORAGE_NETWORK_ACCESS).status, Status::Pass);
}

#[test]
fn version_one_snapshots_still_load() {
    let mut text = serde_json::to_value(healthy()).expect("serializes");
    text["schemaVersion"] = json!(1);
    text["storageAccounts"][0].as_object_mut().expect("object").remove("smbSettings");
    let s = Snapshot::from_json(&text.to_string()).expect("a version-1 snapshot loads");
    assert_eq!(s.schema_version, 1);
    assert!(s.before_schema_2());
    assert_eq!(one(&run(&s), CheckId::STORAGE_SMB_SETTINGS).status, Status::Unknown);
    let mut text2 = text.clone();
    text2["schemaVersion"] = json!(3);
    let e = Snapshot::from_json(&text2.to_string()).expect_err("version 3 is refused");
    assert!(e.to_string().contains("reads versions 1 and 2"), "{e}");
}
