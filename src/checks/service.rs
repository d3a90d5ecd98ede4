//! `service.*`: the Storage Sync Service itself: its identity, whether it uses it, and its own network (a
//! service closed to public traffic needs a private endpoint).
//!
//! Source for the network rule: `incomingTrafficPolicy = AllowVirtualNetworksOnly` turns the service's public
//! endpoint off, so the servers reach it only through an approved private endpoint on the service, whose
//! names they resolve through the private DNS zone `privatelink.afs.azure.net` (`.afs.azure.us` in US
//! Government, `.afs.azure.cn` in China)
//! (<https://learn.microsoft.com/azure/storage/file-sync/file-sync-networking-endpoints>).

use super::check::CheckContext;
use super::shared::{rg, rg_name};
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::ps_quote;

declare_checks! {
    SERVICE_IDENTITY = "service.identity" {
        title: "Storage Sync Service has a system-assigned identity",
        description: "The Storage Sync Service needs a system-assigned managed identity to reach storage accounts and shares without keys.",
        error_codes: &["0x80c8305f"],
        run: service_identity,
    }
    SERVICE_USE_IDENTITY = "service.use-identity" {
        title: "Storage Sync Service uses its identity",
        description: "properties.useIdentity must be true for the service (and the servers that have identities) to stop using storage account keys.",
        error_codes: &["0x80c8305f"],
        run: service_use_identity,
    }
    SERVICE_PRIVATE_ENDPOINT = "service.private-endpoint" {
        title: "A Storage Sync Service closed to public traffic has an approved private endpoint",
        description: "incomingTrafficPolicy AllowVirtualNetworksOnly turns the service's public endpoint off: the servers then reach it only through an approved private endpoint on the service, resolved through the private DNS zone of the cloud: privatelink.afs.azure.net (privatelink.afs.azure.us in US Government, privatelink.afs.azure.cn in China). Source: https://learn.microsoft.com/azure/storage/file-sync/file-sync-networking-endpoints",
        error_codes: &["0x80c83099", "0x80c83081", "0x80c87014", "0x80072ee7"],
        run: service_private_endpoint,
    }
}

pub(super) const SERVICE_ENDPOINTS_DOC: &str =
    "https://learn.microsoft.com/azure/storage/file-sync/file-sync-networking-endpoints";

pub(super) fn service_identity(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    ix.snapshot
        .services
        .iter()
        .map(|svc| {
            let (rg, name) = rg_name(svc);
            let f = Finding::new(CheckId::SERVICE_IDENTITY, Status::Pass, &svc.id, &svc.name, "");
            match (svc.system_principal_id(), &svc.identity) {
                (Some(pid), _) => Finding {
                    message: format!("The Storage Sync Service has a system-assigned identity (principal {pid}).").into(),
                    ..f.principal(pid).evidence("identityType", svc.identity.as_ref().map(|i| i.kind.clone()))
                },
                (None, Some(i)) if !i.has_system_assigned() => Finding {
                    status: Status::Fail,
                    message: format!(
                        "The Storage Sync Service has only a '{}' identity; File Sync uses the system-assigned one, which is off.",
                        i.kind
                    ).into(),
                    ..f.codes(&["0x80c8305f"]).evidence("identityType", &i.kind)
                }
                .fix(
                    "Turn on the service's system-assigned identity and grant it its roles (filesync-identity enable-identity does both).",
                    Some(format!("Set-AzStorageSyncServiceIdentity -ResourceGroupName {} -Name {}", ps_quote(&rg), ps_quote(&name))),
                ),
                _ => Finding {
                    status: Status::Fail,
                    message: Text::fixed("The Storage Sync Service has no system-assigned managed identity, so it can only reach storage with keys."),
                    ..f.codes(&["0x80c8305f"]).evidence("identityType", svc.identity.as_ref().map(|i| i.kind.clone()))
                }
                .fix(
                    "Turn on the service's system-assigned identity and grant it its roles (filesync-identity enable-identity does both, and shows the plan first).",
                    Some(format!("Set-AzStorageSyncServiceIdentity -ResourceGroupName {} -Name {}", ps_quote(&rg), ps_quote(&name))),
                ),
            }
        })
        .collect()
}

pub(super) fn service_use_identity(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    ix.snapshot
        .services
        .iter()
        .map(|svc| {
            let (rg, name) = rg_name(svc);
            let f = Finding::new(CheckId::SERVICE_USE_IDENTITY, Status::Pass, &svc.id, &svc.name, "")
                .evidence("useIdentity", svc.use_identity);
            if svc.use_identity {
                Finding { message: Text::fixed("The service is in managed-identity mode (useIdentity is true)."), ..f }
            } else if svc.system_principal_id().is_some() {
                Finding {
                    status: Status::Warning,
                    message: Text::fixed("The service has an identity but does not use it yet (useIdentity is false): it still hands out storage account keys."),
                    ..f
                }
                .fix(
                    "Grant the identities their roles, then switch the service to its identity (filesync-identity enable-identity does it in that order).",
                    Some(format!("Set-AzStorageSyncServiceIdentity -ResourceGroupName {} -Name {}", ps_quote(&rg), ps_quote(&name))),
                )
            } else {
                Finding {
                    status: Status::Fail,
                    message: Text::fixed("The service is in shared-key mode (useIdentity is false) and has no identity to switch to."),
                    ..f
                }
                .fix(
                    "Turn on the service's identity, grant the roles, then set useIdentity (filesync-identity enable-identity).",
                    Some(format!("Set-AzStorageSyncServiceIdentity -ResourceGroupName {} -Name {}", ps_quote(&rg), ps_quote(&name))),
                )
            }
        })
        .collect()
}

/// The private DNS zone of a Storage Sync Service's private endpoint in the snapshot's cloud:
/// `privatelink.afs.azure.net`, in US Government `privatelink.afs.azure.us`, in China
/// `privatelink.afs.azure.cn` (azure-docs `file-sync-networking-endpoints.md`; the cloud is the one the
/// snapshot was collected from: the command line's cloud, or the module's Az environment).
pub(crate) fn afs_private_dns_zone(cloud: &str) -> &'static str {
    match cloud.to_ascii_lowercase().as_str() {
        "azureusgovernment" | "azureusgovernmentcloud" | "usgov" => "privatelink.afs.azure.us",
        "azurechinacloud" | "china" => "privatelink.afs.azure.cn",
        _ => "privatelink.afs.azure.net",
    }
}

/// Approved private endpoint connections.
fn approved(pecs: &[crate::model::snapshot::PrivateEndpointConnection]) -> Vec<&str> {
    pecs.iter().filter(|p| p.status.eq_ignore_ascii_case("Approved")).map(|p| p.id.as_str()).collect()
}

/// `service.private-endpoint`: a service closed to public traffic has an approved private endpoint.
pub(super) fn service_private_endpoint(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::SERVICE_PRIVATE_ENDPOINT;
    ix.snapshot
        .services
        .iter()
        .map(|svc| {
            let policy = svc.incoming_traffic_policy.as_deref().unwrap_or("AllowAllTraffic");
            let f = Finding::new(check, Status::Pass, &svc.id, &svc.name, "")
                .evidence("incomingTrafficPolicy", policy)
                .evidence("source", SERVICE_ENDPOINTS_DOC);
            if !policy.eq_ignore_ascii_case("AllowVirtualNetworksOnly") {
                return Finding {
                    message: format!("The Storage Sync Service accepts traffic from all networks (incomingTrafficPolicy {policy}); it needs no private endpoint.").into(),
                    ..f
                };
            }
            let Some(pecs) = &svc.private_endpoint_connections else {
                let why = if ix.snapshot.before_schema_2() {
                    format!("the service's private endpoint connections not collected (snapshot schema {}); collect the snapshot again", ix.snapshot.schema_version)
                } else {
                    "ARM did not report the service's private endpoint connections".to_string()
                };
                return Finding {
                    status: Status::Unknown,
                    message: Text::fixed("The Storage Sync Service takes traffic from virtual networks only, and whether it has an approved private endpoint is not known."),
                    ..f
                }
                .because(why);
            };
            let zone = afs_private_dns_zone(&ix.snapshot.cloud);
            let f = f.evidence("privateDnsZone", zone);
            let ok = approved(pecs);
            let others: Vec<String> = pecs
                .iter()
                .filter(|p| !p.status.eq_ignore_ascii_case("Approved"))
                .map(|p| format!("{} ({})", p.id.rsplit('/').next().unwrap_or(&p.id), if p.status.is_empty() { "no status" } else { &p.status }))
                .collect();
            let f = f.evidence("approvedPrivateEndpoints", &ok).evidence("otherPrivateEndpoints", &others);
            if !ok.is_empty() {
                return Finding {
                    message: format!(
                        "The Storage Sync Service takes traffic from virtual networks only and has {}; servers must resolve its names to them (private DNS zone {}).",
                        crate::model::text::count(ok.len() as u64, "approved private endpoint", "approved private endpoints"),
                        zone
                    )
                    .into(),
                    ..f
                };
            }
            let (rg, name) = (rg(&svc.id), svc.name.clone());
            let pending = pecs.iter().find(|p| p.status.eq_ignore_ascii_case("Pending"));
            let (remedy, command) = match pending {
                Some(p) => (
                    format!(
                        "Approve the pending private endpoint connection on the service; the servers must resolve the service's names through the private DNS zone {zone} linked to their virtual network. Or open the service again: Set-AzStorageSyncService -ResourceGroupName {} -Name {} -IncomingTrafficPolicy AllowAllTraffic. See {SERVICE_ENDPOINTS_DOC}",
                        ps_quote(&rg), ps_quote(&name)
                    ),
                    format!("Approve-AzPrivateEndpointConnection -ResourceId {}", ps_quote(&p.id)),
                ),
                None => (
                    format!(
                        "Create a private endpoint for the Storage Sync Service (group id 'afs') in a virtual network the servers reach, and a private DNS zone {zone} linked to that network so the servers resolve the service's names to it. Or open the service again: Set-AzStorageSyncService -ResourceGroupName {} -Name {} -IncomingTrafficPolicy AllowAllTraffic. See {SERVICE_ENDPOINTS_DOC}",
                        ps_quote(&rg), ps_quote(&name)
                    ),
                    format!(
                        "New-AzPrivateEndpoint -ResourceGroupName {} -Name {} -Location <region> -Subnet <subnet> -PrivateLinkServiceConnection (New-AzPrivateLinkServiceConnection -Name {} -PrivateLinkServiceId {} -GroupId 'afs')",
                        ps_quote(&rg),
                        ps_quote(&format!("{name}-pe")),
                        ps_quote(&name),
                        ps_quote(svc.id.as_str())
                    ),
                ),
            };
            Finding {
                status: Status::Fail,
                message: Text::from(if pecs.is_empty() {
                    "The Storage Sync Service takes traffic from virtual networks only (AllowVirtualNetworksOnly) and has no private endpoint, so no server can reach it and sync cannot work.".to_string()
                } else {
                    format!(
                        "The Storage Sync Service takes traffic from virtual networks only (AllowVirtualNetworksOnly) and none of its private endpoints is approved ({}), so no server can reach it and sync cannot work.",
                        others.join(", ")
                    )
                }),
                ..f.codes(&["0x80c83099", "0x80c83081", "0x80c87014", "0x80072ee7"])
            }
            .fix(remedy, Some(command))
        })
        .collect()
}
