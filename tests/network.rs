//! Issue 14 (items 2, 3, 4): collect + test against the fake ARM for the network File Sync needs beyond the
//! storage firewall: the account's SMB security settings, a Storage Sync Service closed to public traffic, and
//! an account secured by a network security perimeter. Each scenario turns its check from pass to fail and
//! back; reads stay within the budget (one file service read per account, perimeter rules only for an
//! account secured by one); and a deployment in identity mode with SMB restricted and the service closed is
//! diagnosed end to end through the command line, with findings that say exactly what to do.

mod support;

use fake_arm::{
    FakeArm, Fault, FaultAction, NspAccessRuleSeed, NspConfigurationSeed, PrivateEndpointConnectionSeed, SmbSeed,
};
use filesync_identity::model::findings::Status;
use support::*;

fn restricted_smb() -> SmbSeed {
    SmbSeed {
        versions: Some("SMB3.0".into()),
        authentication_methods: Some("Kerberos".into()),
        kerberos_ticket_encryption: Some("AES-256".into()),
        channel_encryption: Some("AES-256-GCM".into()),
    }
}

fn closed(d: &mut Deployment, pecs: &[(&str, &str)]) {
    d.service.incoming_traffic_policy = Some("AllowVirtualNetworksOnly".into());
    d.service.private_endpoint_connections = pecs
        .iter()
        .map(|(n, s)| PrivateEndpointConnectionSeed { name: n.to_string(), status: s.to_string() })
        .collect();
}

fn perimeter(d: &mut Deployment, mode: &str, subscriptions: &[&str]) {
    d.account.public_network_access = Some("SecuredByPerimeter".into());
    d.account.network_security_perimeter_configurations = vec![NspConfigurationSeed {
        perimeter_id: format!("/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityPerimeters/nsp-files"),
        access_mode: mode.into(),
        profile: "storage".into(),
        access_rules: vec![NspAccessRuleSeed {
            name: "in".into(),
            direction: "Inbound".into(),
            address_prefixes: vec!["203.0.113.0/24".into()],
            subscriptions: subscriptions.iter().map(|s| s.to_string()).collect(),
        }],
    }];
}

fn reads_of(fake: &FakeArm, what: &str) -> Vec<(String, u16)> {
    fake.request_log()
        .into_iter()
        .filter(|r| r.path.to_ascii_lowercase().contains(&what.to_ascii_lowercase()))
        .map(|r| (r.path, r.status))
        .collect()
}

#[tokio::test]
async fn smb_settings_from_the_file_service() {
    // Healthy: the account's file service was never changed (every value allowed).
    let fake = FakeArm::start(healthy().topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.statuses("storage.smb-settings"), [Status::Pass]);
    let reads = reads_of(&fake, "/fileServices/default");
    assert!(reads.iter().any(|(p, s)| p.ends_with("/fileServices/default") && *s == 200), "{reads:?}");
    assert!(run.snapshot.storage_accounts[0].smb_settings.is_some());

    let mut d = healthy();
    d.account.smb = Some(restricted_smb());
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.smb-settings", ACCOUNT);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert_eq!(
        f.command.as_deref(),
        Some("Update-AzStorageFileServiceProperty -ResourceGroupName 'rg-storage' -StorageAccountName 'stsyncprod' -SmbProtocolVersion SMB3.0,SMB3.1.1 -SmbAuthenticationMethod Kerberos,NTLMv2 -SmbChannelEncryption AES-256-GCM,AES-128-GCM")
    );

    // Fixed the way the finding says: pass.
    let mut d = healthy();
    d.account.smb = Some(SmbSeed {
        versions: Some("SMB3.0;SMB3.1.1".into()),
        authentication_methods: Some("Kerberos;NTLMv2".into()),
        kerberos_ticket_encryption: Some("AES-256".into()),
        channel_encryption: Some("AES-256-GCM;AES-128-GCM".into()),
    });
    let fake = FakeArm::start(d.topology()).await;
    assert_eq!(diagnose(&fake).await.statuses("storage.smb-settings"), [Status::Pass]);
}

#[tokio::test]
async fn a_file_service_that_cannot_be_read_is_unknown_not_guessed() {
    let fake = FakeArm::start(healthy().topology()).await;
    fake.inject(Fault::new("GET", "/fileServices/default", FaultAction::forbidden("no")));
    // (The share list lives under that path too, so it is refused as well; share-exists says unknown.)
    let run = diagnose(&fake).await;
    let f = run.one("storage.smb-settings", ACCOUNT);
    assert_eq!(f.status, Status::Unknown, "{f:#?}");
    assert!(f.reason.as_deref().unwrap_or_default().contains("could not be read"), "{f:#?}");
    assert!(run.snapshot.collection_errors.iter().any(|e| e.operation == "fileServices" && e.status == Some(403)));
}

#[tokio::test]
async fn a_closed_service_needs_an_approved_private_endpoint() {
    let mut d = healthy();
    closed(&mut d, &[]);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("service.private-endpoint", SVC);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.command.as_deref().unwrap_or_default().contains("-GroupId 'afs'"));
    // Read from the service itself: no extra request.
    assert!(reads_of(&fake, "privateEndpointConnections").is_empty());

    let mut d = healthy();
    closed(&mut d, &[("pe-sync", "Pending")]);
    let fake = FakeArm::start(d.topology()).await;
    let f = diagnose(&fake).await.one("service.private-endpoint", SVC).clone();
    assert_eq!(f.status, Status::Fail);
    assert!(f.command.as_deref().unwrap_or_default().starts_with("Approve-AzPrivateEndpointConnection"), "{f:#?}");

    let mut d = healthy();
    closed(&mut d, &[("pe-sync", "Approved")]);
    let fake = FakeArm::start(d.topology()).await;
    assert_eq!(diagnose(&fake).await.statuses("service.private-endpoint"), [Status::Pass]);
}

#[tokio::test]
async fn a_perimeter_is_read_only_where_there_is_one_and_judged_by_its_rules() {
    // No perimeter: no perimeter read at all, and the check does not apply.
    let fake = FakeArm::start(healthy().topology()).await;
    let run = diagnose(&fake).await;
    assert_eq!(run.statuses("storage.network-perimeter"), [Status::NotApplicable]);
    assert!(reads_of(&fake, "networkSecurityPerimeterConfigurations").is_empty());

    // Enforced, without a rule for the service's subscription.
    let mut d = healthy();
    perimeter(&mut d, "Enforced", &["99999999-9999-4999-8999-999999999999"]);
    let fake = FakeArm::start(d.topology()).await;
    let run = diagnose(&fake).await;
    let f = run.one("storage.network-perimeter", ACCOUNT);
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.command.as_deref().unwrap_or_default().contains(&format!("@{{Id = '/subscriptions/{SUB}'}}")), "{f:#?}");
    assert_eq!(reads_of(&fake, "networkSecurityPerimeterConfigurations").len(), 1);
    // The servers come in through the perimeter's address rule.
    assert_eq!(run.one("storage.network-access", ACCOUNT).status, Status::Pass);

    // With the rule: pass.
    let mut d = healthy();
    perimeter(&mut d, "Enforced", &[SUB]);
    let fake = FakeArm::start(d.topology()).await;
    assert_eq!(diagnose(&fake).await.statuses("storage.network-perimeter"), [Status::Pass]);

    // Learning mode without the rule: a warning.
    let mut d = healthy();
    perimeter(&mut d, "Learning", &[]);
    let fake = FakeArm::start(d.topology()).await;
    assert_eq!(diagnose(&fake).await.statuses("storage.network-perimeter"), [Status::Warning]);
}

#[tokio::test]
async fn perimeter_rules_that_cannot_be_read_are_unknown() {
    let mut d = healthy();
    perimeter(&mut d, "Enforced", &[SUB]);
    let fake = FakeArm::start(d.topology()).await;
    fake.inject(Fault::new("GET", "networkSecurityPerimeterConfigurations", FaultAction::forbidden("no")));
    let run = diagnose(&fake).await;
    let f = run.one("storage.network-perimeter", ACCOUNT);
    assert_eq!(f.status, Status::Unknown, "{f:#?}");
    assert!(f.reason.as_deref().unwrap_or_default().contains("could not be read"));
    assert_eq!(run.one("storage.network-access", ACCOUNT).status, Status::Unknown);
    assert!(run.of("collection.read").iter().any(|f| f.message.contains("networkSecurityPerimeterConfigurations")));
    assert_eq!(filesync_identity::api::exit_code(&run.report), filesync_identity::api::EXIT_INCOMPLETE);
}

/// The deployment of the issue: identity mode everywhere, but key access is off, the account's SMB settings
/// exclude what File Sync needs and the service is closed to public traffic with no private endpoint; the
/// servers report the codes that follow. Diagnosed through the command line, live and from a saved snapshot.
#[test]
fn identity_mode_with_smb_restricted_and_the_service_closed_says_exactly_what_to_do() {
    let mut d = healthy();
    d.account.allow_shared_key_access = Some(false);
    d.account.smb = Some(restricted_smb());
    closed(&mut d, &[]);
    d.service.sync_groups[0].server_endpoints[0].upload_last_sync_result = 0x80c8305fu32 as i32;
    d.service.sync_groups[0].server_endpoints[1].download_last_sync_result = 0x80c83099u32 as i32;
    let fake = FakeArm::start_blocking(d.topology());
    let common = ["--resource-id", &service_id()];
    let live = live_cli(&fake, "test").args(common).args(["--format", "json"]).output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&live.stderr);
    assert_eq!(live.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&live.stdout).expect("a JSON report");
    let findings = report["findings"].as_array().expect("findings");
    let find = |check: &str| -> &serde_json::Value {
        let f: Vec<_> = findings.iter().filter(|f| f["check"] == check).collect();
        assert_eq!(f.len(), 1, "{check}: {f:#?}");
        f[0]
    };
    let smb = find("storage.smb-settings");
    assert_eq!(smb["status"], "fail");
    assert_eq!(
        smb["command"],
        "Update-AzStorageFileServiceProperty -ResourceGroupName 'rg-storage' -StorageAccountName 'stsyncprod' -SmbProtocolVersion SMB3.0,SMB3.1.1 -SmbAuthenticationMethod Kerberos,NTLMv2 -SmbChannelEncryption AES-256-GCM,AES-128-GCM"
    );
    let pe = find("service.private-endpoint");
    assert_eq!(pe["status"], "fail");
    assert!(pe["command"]
        .as_str()
        .unwrap_or_default()
        .starts_with("New-AzPrivateEndpoint -ResourceGroupName 'rg-sync' -Name 'sync-prod-pe'"));
    assert!(pe["remediation"].as_str().unwrap_or_default().contains("privatelink.afs.azure.net"));
    // Key access off, with everything on managed identities: a warning that says to turn it back on.
    let keys = find("storage.shared-key-access");
    assert_eq!(keys["status"], "warning");
    assert!(keys["command"].as_str().unwrap_or_default().ends_with("-AllowSharedKeyAccess $true"), "{keys:#?}");
    // Nothing else is wrong with the identities.
    for check in ["service.identity", "service.use-identity", "server.auth-mode", "cloud-endpoint.service-share-role"] {
        assert!(findings.iter().filter(|f| f["check"] == check).all(|f| f["status"] == "pass"), "{check}");
    }
    // Each live code is tied to the finding that explains it, with that finding's fix.
    let live_errors: Vec<_> =
        findings.iter().filter(|f| f["check"] == "sync.live-errors" && f["status"] != "pass").collect();
    let tied = |code: &str, check: &str| {
        let f = live_errors
            .iter()
            .find(|f| f["errorCodes"].as_array().is_some_and(|c| c.iter().any(|x| x == code)))
            .unwrap_or_else(|| panic!("no live finding for {code}: {live_errors:#?}"));
        assert_eq!(f["evidence"]["explainedBy"], check, "{f:#?}");
    };
    tied("0x80c8305f", "storage.smb-settings");
    tied("0x80c83099", "service.private-endpoint");
    // The table people read names both fixes.
    let table = live_cli(&fake, "test").args(common).env("COLUMNS", "400").output().expect("the binary runs");
    let out = String::from_utf8_lossy(&table.stdout);
    assert_eq!(table.status.code(), Some(1));
    for want in [
        "storage.smb-settings",
        "Update-AzStorageFileServiceProperty",
        "service.private-endpoint",
        "New-AzPrivateEndpoint",
        "storage.shared-key-access",
        "-AllowSharedKeyAccess $true",
    ] {
        assert!(out.contains(want), "{want} missing from the table:\n{out}");
    }
    // Saved and diagnosed offline: the same verdicts.
    let dir = tempfile::tempdir().expect("a temp dir");
    let snap = dir.path().join("snap.json");
    let c = live_cli(&fake, "collect")
        .args(common)
        .args(["--output", snap.to_str().expect("utf-8")])
        .output()
        .expect("the binary runs");
    assert_eq!(c.status.code(), Some(0), "{}", String::from_utf8_lossy(&c.stderr));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).expect("the snapshot")).expect("json");
    assert_eq!(saved["schemaVersion"], 2);
    assert_eq!(saved["storageAccounts"][0]["smbSettings"]["versions"], "SMB3.0");
    assert_eq!(saved["services"][0]["privateEndpointConnections"], serde_json::json!([]));
    let offline = cli_command()
        .args(["test", "--snapshot", snap.to_str().expect("utf-8"), "--format", "json"])
        .output()
        .expect("the binary runs");
    assert_eq!(offline.status.code(), Some(1));
    let again: serde_json::Value = serde_json::from_slice(&offline.stdout).expect("json");
    assert_eq!(again["findings"], report["findings"]);
}
