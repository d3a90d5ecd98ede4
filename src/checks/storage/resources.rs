//! `storage.lock`, `storage.network-access`: locks on the storage account, and the servers' network path to it.

use super::network::perimeter_server_access;
use crate::checks::check::CheckContext;
use crate::checks::shared::{not_read, rg};
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::ps_quote;

pub(super) fn lock(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::STORAGE_LOCK;
    ix.referenced_accounts()
        .into_iter()
        .map(|a| {
            let locks: Vec<_> = ix.snapshot.locks.iter().filter(|l| l.scope.contains(&a.id)).collect();
            let f = Finding::new(check, Status::Pass, &a.id, &a.name, "")
                .evidence("locks", locks.iter().map(|l| format!("{} ({})", l.id, l.level)).collect::<Vec<_>>());
            let read_only: Vec<_> = locks.iter().filter(|l| l.level.eq_ignore_ascii_case("ReadOnly")).collect();
            if let Some(l) = read_only.first() {
                let on = if l.scope == a.id {
                    "the storage account".to_string()
                } else if l.scope.resource_group().is_some() && l.scope.segments().len() == 4 {
                    format!("its resource group '{}'", l.scope.resource_group().unwrap_or_default())
                } else {
                    format!("'{}'", l.scope)
                };
                let command = read_only
                    .iter()
                    .map(|l| format!("Remove-AzResourceLock -LockId {} -Force", ps_quote(&l.id)))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Finding {
                    status: Status::Fail,
                    message: format!(
                        "A ReadOnly lock on {on} blocks File Sync from changing the account (and blocks role assignments on it), so sync fails with 0x80c83092."
                    ).into(),
                    ..f.codes(&["0x80c83092"]).evidence("lockId", &l.id)
                }
                .fix(
                    "Remove the ReadOnly lock (or replace it with a CanNotDelete lock, which protects the account without blocking File Sync).",
                    Some(command),
                );
            }
            if not_read(ix, a, "locks") {
                return Finding {
                    status: Status::Unknown,
                    message: Text::fixed("Could not tell whether a lock blocks the account: its locks could not be read."),
                    ..f
                }
                .because("the locks of the storage account could not be read (see collection.read)");
            }
            if locks.is_empty() {
                Finding { message: Text::fixed("No management lock applies to the account."), ..f }
            } else {
                Finding { message: Text::fixed("Only CanNotDelete locks apply to the account; they do not hinder File Sync."), ..f }
            }
        })
        .collect()
}

pub(super) fn network_access(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::STORAGE_NETWORK_ACCESS;
    ix.referenced_accounts()
        .into_iter()
        .map(|a| {
            if !a.read {
                return Finding::new(check, Status::Unknown, &a.id, &a.name, "The storage account's settings could not be read.")
                    .because("the storage account could not be read (see collection.read)");
            }
            let approved: Vec<&str> = a
                .private_endpoint_connections
                .iter()
                .filter(|p| p.status.eq_ignore_ascii_case("Approved"))
                .map(|p| p.id.as_str())
                .collect();
            let public = a.public_network_access.as_deref().unwrap_or("Enabled");
            let (ips, vnets) = a.network_acls.as_ref().map(|n| (n.ip_rules.len(), n.virtual_network_rules.len())).unwrap_or((0, 0));
            let f = Finding::new(check, Status::Pass, &a.id, &a.name, "")
                .evidence("publicNetworkAccess", public)
                .evidence("defaultAction", a.network_acls.as_ref().map(|n| n.default_action.clone()))
                .evidence("ipRules", ips)
                .evidence("virtualNetworkRules", vnets)
                .evidence("approvedPrivateEndpoints", &approved);
            let pe_fix = "Create a private endpoint for the account's file service in a network the servers reach (and approve it), with private DNS for <account>.file.core.windows.net.";
            let pe_command = format!(
                "New-AzPrivateEndpoint -ResourceGroupName {} -Name {} -Location <region> -Subnet <subnet> -PrivateLinkServiceConnection (New-AzPrivateLinkServiceConnection -Name {} -PrivateLinkServiceId {} -GroupId 'file')",
                ps_quote(&rg(&a.id)),
                ps_quote(&format!("{}-file-pe", a.name)),
                ps_quote(&format!("{}-file", a.name)),
                ps_quote(a.id.as_str())
            );
            if public.eq_ignore_ascii_case("Disabled") {
                if approved.is_empty() {
                    return Finding {
                        status: Status::Fail,
                        message: Text::fixed("Public network access is disabled and the account has no approved private endpoint, so neither the servers nor File Sync can reach it (0x80c83099, 0x80c8033e)."),
                        ..f.codes(&["0x80c8033e", "0x80c83099"])
                    }
                    .fix(pe_fix, Some(pe_command));
                }
                return Finding {
                    message: format!("Public network access is disabled; the servers reach the account through {}.", crate::model::text::count(approved.len() as u64, "approved private endpoint", "approved private endpoints")).into(),
                    ..f
                };
            }
            if public.eq_ignore_ascii_case("SecuredByPerimeter") {
                // The perimeter's rules replace the firewall's unless it is still learning (see network.rs).
                if let Some(found) = perimeter_server_access(ix, a, f.clone(), &approved, pe_fix, pe_command.clone()) {
                    return found;
                }
            }
            if !a.firewall_on() {
                return Finding { message: Text::fixed("The account accepts traffic from all networks."), ..f };
            }
            if ips == 0 && vnets == 0 && approved.is_empty() {
                return Finding {
                    status: Status::Warning,
                    message: Text::fixed("The storage firewall is on with no IP rule, no virtual network rule and no approved private endpoint: unless the servers reach the account some other way, sync fails with 0x80c8033e or 0x80c83099."),
                    ..f.codes(&["0x80c8033e", "0x80c83099"])
                }
                .fix(
                    "Allow the servers in: add their public IP addresses or their virtual network subnets to the firewall, or give them a private endpoint.",
                    Some(format!(
                        "Add-AzStorageAccountNetworkRule -ResourceGroupName {} -Name {} -IPAddressOrRange '<server public IP>'",
                        ps_quote(&rg(&a.id)),
                        ps_quote(&a.name)
                    )),
                );
            }
            Finding {
                message: format!(
                    "The storage firewall is on and lets servers in through {}, {} and {}.",
                    crate::model::text::count(ips as u64, "IP rule", "IP rules"),
                    crate::model::text::count(vnets as u64, "virtual network rule", "virtual network rules"),
                    crate::model::text::count(approved.len() as u64, "approved private endpoint", "approved private endpoints")
                ).into(),
                ..f
            }
        })
        .collect()
}
