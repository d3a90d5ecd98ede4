//! `storage.smb-settings`, `storage.network-perimeter` (and the perimeter's part of `storage.network-access`):
//! the network File Sync needs beyond the storage firewall: the account's SMB security settings, and a
//! storage account secured by a network security perimeter. (The service's own network is `service.rs`.)
//!
//! Sources, per rule:
//! - SMB settings: the storage account must allow SMB 3.1.1, NTLMv2 authentication and AES-128-GCM channel
//!   encryption (Deploy Azure File Sync, prerequisites:
//!   <https://learn.microsoft.com/azure/storage/file-sync/file-sync-deployment-guide#prerequisites>); the
//!   settings and their defaults (an absent list allows every value):
//!   <https://learn.microsoft.com/azure/storage/files/files-smb-protocol#smb-security-settings>.
//! - Perimeter: the perimeter's profile rules replace the account's firewall; an enforced association lets in
//!   only what a rule allows (trusted-service exceptions no longer count), so a service not onboarded to
//!   perimeters (File Sync) needs an inbound rule for its subscription; private endpoint traffic is not
//!   filtered; a learning (transition) association falls back to the account's firewall
//!   (<https://learn.microsoft.com/azure/storage/common/storage-network-security-perimeter>). Access across
//!   a perimeter is granted to resources that carry a managed identity
//!   (<https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition>), so File Sync
//!   reaches such an account with the Storage Sync Service's managed identity
//!   (<https://learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities>).

use crate::checks::check::CheckContext;
use crate::checks::shared::{not_read, rg, unread};
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::ps_quote;
use crate::model::resource_id::ResourceId;
use crate::model::snapshot::{SmbSettings, StorageAccount, StorageSyncService};

pub(super) const SMB_DOC: &str =
    "https://learn.microsoft.com/azure/storage/file-sync/file-sync-deployment-guide#prerequisites";
pub(super) const PERIMETER_DOC: &str =
    "https://learn.microsoft.com/azure/storage/common/storage-network-security-perimeter";

/// The reason a schema-2 fact is missing from the snapshot: a version-1 snapshot, a read that failed, or
/// one that was never made.
fn missing_reason(ix: &Index, a: Option<&StorageAccount>, operation: &str, what: &str) -> String {
    if ix.snapshot.before_schema_2() {
        format!("{what} not collected (snapshot schema {}); collect the snapshot again", ix.snapshot.schema_version)
    } else if a.is_some_and(|a| not_read(ix, a, operation)) {
        format!("{what} could not be read (see collection.read)")
    } else {
        format!("{what} not collected")
    }
}

/// One SMB setting File Sync depends on.
struct SmbNeed {
    /// How people call it.
    label: &'static str,
    /// The value File Sync needs.
    value: &'static str,
    /// `Update-AzStorageFileServiceProperty` parameter and `az storage account file-service-properties
    /// update` flag.
    ps_param: &'static str,
    az_flag: &'static str,
    list: fn(&SmbSettings) -> Option<&str>,
}

const SMB_NEEDS: &[SmbNeed] = &[
    SmbNeed {
        label: "SMB protocol versions",
        value: "SMB3.1.1",
        ps_param: "-SmbProtocolVersion",
        az_flag: "--versions",
        list: |s| s.versions.as_deref(),
    },
    SmbNeed {
        label: "SMB authentication methods",
        value: "NTLMv2",
        ps_param: "-SmbAuthenticationMethod",
        az_flag: "--auth-methods",
        list: |s| s.authentication_methods.as_deref(),
    },
    SmbNeed {
        label: "SMB channel encryption",
        value: "AES-128-GCM",
        ps_param: "-SmbChannelEncryption",
        az_flag: "--channel-encryption",
        list: |s| s.channel_encryption.as_deref(),
    },
];

/// `storage.smb-settings`: the account's SMB security settings allow SMB 3.1.1, NTLMv2 and AES-128-GCM.
pub(super) fn smb_settings(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::STORAGE_SMB_SETTINGS;
    ix.referenced_accounts()
        .into_iter()
        .map(|a| {
            if !a.read {
                return unread(check, a);
            }
            let Some(smb) = &a.smb_settings else {
                return Finding::new(
                    check,
                    Status::Unknown,
                    &a.id,
                    &a.name,
                    "Could not tell whether the account's SMB security settings let File Sync in.",
                )
                .because(missing_reason(ix, Some(a), "fileServices", "the file service's SMB settings were"));
            };
            let f = Finding::new(check, Status::Pass, &a.id, &a.name, "")
                .evidence("versions", &smb.versions)
                .evidence("authenticationMethods", &smb.authentication_methods)
                .evidence("kerberosTicketEncryption", &smb.kerberos_ticket_encryption)
                .evidence("channelEncryption", &smb.channel_encryption)
                .evidence("source", SMB_DOC);
            let missing: Vec<&SmbNeed> = SMB_NEEDS.iter().filter(|n| !SmbSettings::allows((n.list)(smb), n.value)).collect();
            if missing.is_empty() {
                return Finding {
                    message: Text::fixed("The account's SMB security settings allow SMB 3.1.1, NTLMv2 and AES-128-GCM, as File Sync needs."),
                    ..f
                };
            }
            // Each list is replaced whole: keep what the account allows and add what File Sync needs.
            let lists: Vec<(&SmbNeed, Vec<String>)> = missing
                .iter()
                .map(|n| {
                    let mut values = SmbSettings::values((n.list)(smb)).unwrap_or_default();
                    values.push(n.value.to_string());
                    (*n, values)
                })
                .collect();
            let ps = format!(
                "Update-AzStorageFileServiceProperty -ResourceGroupName {} -StorageAccountName {} {}",
                ps_quote(&rg(&a.id)),
                ps_quote(&a.name),
                lists.iter().map(|(n, v)| format!("{} {}", n.ps_param, v.join(","))).collect::<Vec<_>>().join(" ")
            );
            let az = format!(
                "az storage account file-service-properties update --resource-group {} --account-name {} {}",
                rg(&a.id),
                a.name,
                lists.iter().map(|(n, v)| format!("{} \"{}\"", n.az_flag, v.join(";"))).collect::<Vec<_>>().join(" ")
            );
            let excluded: Vec<String> = missing.iter().map(|n| format!("{} ({})", n.value, n.label)).collect();
            Finding {
                status: Status::Fail,
                message: format!(
                    "The account's SMB security settings exclude {}, which File Sync needs, so the service cannot use the account's shares (0x80c8305f, 0x80c86053, 0x80c86030).",
                    excluded.join(", ")
                )
                .into(),
                ..f.codes(&["0x80c8305f", "0x80c86053", "0x80c86030"])
            }
            .fix(
                format!(
                    "Add {} to the account's SMB security settings, keeping the values it allows now (File Sync needs SMB 3.1.1, NTLMv2 and AES-128-GCM; see {SMB_DOC}). With the Azure CLI: {az}",
                    missing.iter().map(|n| n.value).collect::<Vec<_>>().join(", ")
                ),
                Some(ps),
            )
        })
        .collect()
}
/// The services whose cloud endpoints name this account, each once.
fn services_of<'a>(ix: &Index<'a>, account: &ResourceId) -> Vec<&'a StorageSyncService> {
    let mut out: Vec<&StorageSyncService> = Vec::new();
    for (svc, _, c) in ix.cloud_endpoints() {
        if ix.cloud_account(c).is_some_and(|id| &id == account) && !out.iter().any(|s| s.id == svc.id) {
            out.push(svc);
        }
    }
    out
}

fn secured_by_perimeter(a: &StorageAccount) -> bool {
    a.public_network_access.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("SecuredByPerimeter"))
}

/// Resource group and name of a perimeter, from its id.
fn perimeter_parts(id: Option<&str>) -> (String, String) {
    let parsed = id.and_then(|i| ResourceId::parse(i).ok());
    match parsed {
        Some(p) => (
            p.resource_group().unwrap_or("<perimeter group>").to_string(),
            p.name().unwrap_or("<perimeter>").to_string(),
        ),
        None => ("<perimeter group>".into(), "<perimeter>".into()),
    }
}

/// `storage.network-perimeter`: an account secured by a perimeter lets the Storage Sync Service in.
pub(super) fn network_perimeter(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::STORAGE_NETWORK_PERIMETER;
    ix.referenced_accounts()
        .into_iter()
        .map(|a| {
            if !a.read {
                return unread(check, a);
            }
            let f = Finding::new(check, Status::NotApplicable, &a.id, &a.name, "")
                .evidence("publicNetworkAccess", a.public_network_access.as_deref().unwrap_or("Enabled"))
                .evidence("source", PERIMETER_DOC);
            if !secured_by_perimeter(a) {
                return Finding { message: Text::fixed("The account is not secured by a network security perimeter."), ..f };
            }
            let Some(configs) = &a.network_security_perimeter_configurations else {
                return Finding {
                    status: Status::Unknown,
                    message: Text::fixed("The account is secured by a network security perimeter whose rules could not be read."),
                    ..f
                }
                .because(missing_reason(ix, Some(a), "networkSecurityPerimeterConfigurations", "the perimeter configurations were"));
            };
            let services = services_of(ix, &a.id);
            let mut fails: Vec<String> = Vec::new();
            let mut warnings: Vec<String> = Vec::new();
            let mut commands: Vec<String> = Vec::new();
            for svc in &services {
                if !(svc.use_identity && svc.system_principal_id().is_some()) {
                    fails.push(format!("Storage Sync Service '{}' does not use a managed identity, which File Sync needs to reach an account in a perimeter", svc.name));
                    commands.push(format!(
                        "Set-AzStorageSyncServiceIdentity -ResourceGroupName {} -StorageSyncServiceName {}",
                        ps_quote(&rg(&svc.id)),
                        ps_quote(&svc.name)
                    ));
                }
            }
            if configs.is_empty() {
                fails.push("no perimeter association was found for it, so only private endpoints reach it".into());
            }
            for cfg in configs {
                let (prg, pname) = perimeter_parts(cfg.perimeter_id.as_deref());
                let profile = cfg.profile.clone().unwrap_or_else(|| "<profile>".into());
                for svc in &services {
                    let Some(sub) = svc.id.subscription_id() else { continue };
                    if cfg.admits_subscription(sub) {
                        continue;
                    }
                    let what = format!(
                        "profile '{profile}' of perimeter '{pname}' has no inbound rule for subscription {sub} of Storage Sync Service '{}'",
                        svc.name
                    );
                    if cfg.enforced() {
                        fails.push(what);
                    } else {
                        warnings.push(format!(
                            "{what}; the association is in {} mode, so the account's own firewall still decides, but enforcing it will shut File Sync out",
                            cfg.access_mode.as_deref().unwrap_or("learning")
                        ));
                    }
                    let command = format!(
                        "New-AzNetworkSecurityPerimeterAccessRule -ResourceGroupName {} -SecurityPerimeterName {} -ProfileName {} -Name {} -Direction Inbound -Subscription @(@{{Id = {}}})",
                        ps_quote(&prg),
                        ps_quote(&pname),
                        ps_quote(&profile),
                        ps_quote("allow-file-sync"),
                        ps_quote(&format!("/subscriptions/{sub}"))
                    );
                    if !commands.contains(&command) {
                        commands.push(command);
                    }
                }
            }
            let modes: Vec<String> = configs.iter().map(|c| c.access_mode.clone().unwrap_or_else(|| "unknown".into())).collect();
            let f = f
                .evidence("perimeters", configs.iter().filter_map(|c| c.perimeter_id.clone()).collect::<Vec<_>>())
                .evidence("accessModes", &modes)
                .evidence("services", services.iter().map(|s| s.name.clone()).collect::<Vec<_>>());
            let remedy = format!(
                "File Sync reaches an account in a network security perimeter only with the Storage Sync Service's managed identity, and the perimeter's profile needs an inbound access rule for the subscription of the Storage Sync Service (File Sync is not a perimeter member, and trusted-service exceptions do not count under an enforced perimeter). See {PERIMETER_DOC}"
            );
            if !fails.is_empty() {
                return Finding {
                    status: Status::Fail,
                    message: format!("The account is secured by a network security perimeter that shuts File Sync out: {}.", fails.join("; ")).into(),
                    ..f.codes(&["0x80c8305f", "0x80c86053"])
                }
                .fix(remedy, (!commands.is_empty()).then(|| commands.join("; ")));
            }
            if !warnings.is_empty() {
                return Finding {
                    status: Status::Warning,
                    message: format!("The account is secured by a network security perimeter not yet enforced: {}.", warnings.join("; ")).into(),
                    ..f.codes(&["0x80c8305f", "0x80c86053"])
                }
                .fix(remedy, (!commands.is_empty()).then(|| commands.join("; ")));
            }
            Finding {
                status: Status::Pass,
                message: Text::fixed("The account is secured by a network security perimeter whose inbound rules admit the subscription of every Storage Sync Service that syncs to it, and those services use their managed identities."),
                ..f
            }
        })
        .collect()
}

/// The part of `storage.network-access` for an account secured by a perimeter: how the servers get in.
/// `None` when the account's own firewall decides (a perimeter in learning mode), so the caller goes on.
pub(super) fn perimeter_server_access(
    ix: &Index,
    a: &StorageAccount,
    f: Finding,
    approved: &[&str],
    pe_fix: &str,
    pe_command: String,
) -> Option<Finding> {
    if !approved.is_empty() {
        return Some(Finding {
            message: format!(
                "The account is secured by a network security perimeter; the servers reach it through {}, which perimeter rules do not filter.",
                crate::model::text::count(approved.len() as u64, "approved private endpoint", "approved private endpoints")
            )
            .into(),
            ..f
        });
    }
    let Some(configs) = &a.network_security_perimeter_configurations else {
        return Some(
            Finding {
                status: Status::Unknown,
                message: Text::fixed("The account is secured by a network security perimeter whose rules could not be read, and it has no approved private endpoint."),
                ..f
            }
            .because(missing_reason(ix, Some(a), "networkSecurityPerimeterConfigurations", "the perimeter configurations were")),
        );
    };
    if configs.iter().any(|c| !c.enforced()) {
        return None;
    }
    let prefixes: usize = configs.iter().flat_map(|c| c.inbound()).map(|r| r.address_prefixes.len()).sum();
    if prefixes > 0 {
        return Some(Finding {
            message: format!(
                "The account is secured by a network security perimeter that lets servers in through {prefixes} inbound address prefix(es); they must cover the servers' public addresses."
            )
            .into(),
            ..f.evidence("perimeterAddressPrefixes", prefixes)
        });
    }
    Some(
        Finding {
            status: Status::Fail,
            message: Text::fixed("The account is secured by an enforced network security perimeter with no inbound address rule and has no approved private endpoint, so the servers cannot reach it (0x80c8033e, 0x80c83099)."),
            ..f.codes(&["0x80c8033e", "0x80c83099"])
        }
        .fix(format!("{pe_fix} Or add an inbound address rule for the servers' public addresses to the perimeter's profile. See {PERIMETER_DOC}"), Some(pe_command)),
    )
}
