//! `server.identity`, `server.auth-mode`, `server.agent-version`: a registered server's own managed identity,
//! whether it authenticates with it, and whether its agent can.

use super::servers;
use crate::checks::check::CheckContext;
use crate::checks::shared::rg_name;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::ps_quote;

fn identity_how_to() -> &'static str {
    "Give the server a system-assigned managed identity: outside Azure, connect it to Azure Arc (azcmagent connect); on an Azure VM, turn on the VM's system-assigned identity. The File Sync agent (20.0 or later) reports it to the service on its own (as latestApplicationId); then run Set-AzStorageSyncServiceIdentity again to switch it."
}

/// Where the troubleshooting article's rules come from, for findings that cite it.
pub(super) const TROUBLESHOOT_MI: &str =
    "the File Sync managed identity troubleshooting article (SupportArticles-docs file-sync-troubleshoot-managed-identities.md, 04/2025)";

/// A registered server's own managed identity.
///
/// Sources: the managed identity article (azure-docs `file-sync-managed-identities.md`, 05/2025): a server
/// without a system-assigned identity keeps using a shared key (only Azure Arc outside Azure, or the VM's
/// own identity in Azure, gives it one). So no identity is a warning and explains no error code; it is a
/// failure only where keys cannot be used: key access off on a storage account its endpoints sync with
/// (0x80c8307c, the sync errors article).
pub(super) fn server_identity(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    servers(ix)
        .map(|(svc, s)| {
            let f = Finding::new(CheckId::SERVER_IDENTITY, Status::Pass, &s.id, s.display_name(), "")
                .evidence("applicationId", &s.application_id)
                .evidence("latestApplicationId", &s.latest_application_id)
                .evidence("serverRole", s.role());
            if s.is_cluster_name() {
                return Finding {
                    status: Status::NotApplicable,
                    message: Text::fixed("This is a failover cluster's name object; its nodes' identities are what File Sync uses."),
                    ..f
                };
            }
            if let Some(id) = s.any_identity() {
                return Finding { message: format!("The server has a managed identity (object id {id}).").into(), ..f.principal(id) };
            }
            let connect = "azcmagent connect --resource-group <group> --tenant-id <tenant> --location <region> --subscription-id <subscription>";
            let mut keys_off: Vec<&str> = Vec::new();
            for (account, _) in ix.server_shares(svc, s) {
                if let Some(a) = ix.account(account).filter(|a| a.read && !a.shared_key_allowed()) {
                    if !keys_off.contains(&a.name.as_str()) {
                        keys_off.push(&a.name);
                    }
                }
            }
            if keys_off.is_empty() {
                return Finding {
                    status: Status::Warning,
                    message: Text::fixed("The server has no managed identity (applicationId and latestApplicationId are empty), so it keeps syncing with a shared key, as the managed identity article allows; it moves off keys only once it has an identity."),
                    ..f
                }
                .fix(identity_how_to(), Some(connect.into()));
            }
            let names = keys_off.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
            Finding {
                status: Status::Fail,
                message: format!(
                    "The server has no managed identity (applicationId and latestApplicationId are empty), so it can only sync with a shared key, but key access is off on storage account {names} that its endpoints sync with: its sync fails with 0x80c8307c."
                )
                .into(),
                ..f.codes(&["0x80c8307c"]).evidence("keyAccessOff", &keys_off)
            }
            .fix(
                format!("{} Until it has one, turn key access back on for {names} (Set-AzStorageAccount -AllowSharedKeyAccess $true).", identity_how_to()),
                Some(connect.into()),
            )
        })
        .collect()
}

/// Whether a registered server authenticates with its identity.
///
/// Source: the troubleshooting article (SupportArticles-docs `file-sync-troubleshoot-managed-identities.md`,
/// 04/2025): once `LatestApplicationId` holds a GUID the server has an identity it does not use yet, and
/// the documented step is to run `Set-AzStorageSyncServiceIdentity` again (the portal's "Turn on managed
/// identity" does the same); then `ApplicationId` holds the GUID and `ActiveAuthType` turns
/// `ManagedIdentity` within up to 15 minutes. `Set-AzStorageSyncServer -Identity` is the fix only where the
/// machine's identity changed (`server.machine-identity`).
pub(super) fn server_auth_mode(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    servers(ix)
        .map(|(svc, s)| {
            let (rg, name) = rg_name(svc);
            let f = Finding::new(CheckId::SERVER_AUTH_MODE, Status::Pass, &s.id, s.display_name(), "")
                .evidence("activeAuthType", &s.active_auth_type)
                .evidence("identity", s.identity);
            if s.is_cluster_name() {
                return Finding { status: Status::NotApplicable, message: Text::fixed("A failover cluster's name object does not authenticate itself; its nodes do."), ..f };
            }
            if s.uses_managed_identity() {
                return match s.active_identity() {
                    Some(id) => Finding { message: format!("The server authenticates with its managed identity ({id}).").into(), ..f.principal(id) },
                    None => Finding {
                        status: Status::Fail,
                        message: Text::fixed("The server is set to ManagedIdentity but reports no applicationId: its identity was removed or reset."),
                        ..f.codes(&["0x80c86063", "0x80190193"])
                    }
                    .fix(identity_how_to(), None),
                };
            }
            match s.any_identity() {
                Some(id) if s.switch_requested() => Finding {
                    status: Status::Warning,
                    message: format!(
                        "The server has been switched to its managed identity ({id}: identity is true, applicationId is set) but still authenticates with its certificate: the agent takes up to 15 minutes to pick the switch up ({TROUBLESHOOT_MI}), so the switch is in progress."
                    )
                    .into(),
                    ..f.principal(id).evidence("switchInProgress", true)
                }
                .fix(
                    "Nothing to change: check again in 15 minutes (Get-AzStorageSyncServer shows ActiveAuthType). If it still says Certificate after that, make sure the server reports to the service (server.heartbeat) and its Storage Sync Agent service (FileSyncSvc) runs.",
                    Some(format!("Get-AzStorageSyncServer -ResourceGroupName {} -StorageSyncServiceName {}", ps_quote(&rg), ps_quote(&name))),
                ),
                Some(id) => Finding {
                    status: Status::Warning,
                    message: format!("The server has a managed identity ({id}, its latestApplicationId) but still authenticates with its certificate: it has not been switched to it yet.").into(),
                    ..f.principal(id)
                }
                .fix(
                    format!(
                        "Grant the identity Storage File Data Privileged Contributor on its shares, then run Set-AzStorageSyncServiceIdentity again (or the portal's 'Turn on managed identity'): it switches every server that now has an identity ({TROUBLESHOOT_MI}); an enable-identity plan does both. activeAuthType turns ManagedIdentity within up to 15 minutes."
                    ),
                    Some(format!("Set-AzStorageSyncServiceIdentity -ResourceGroupName {} -Name {}", ps_quote(&rg), ps_quote(&name))),
                ),
                None => Finding {
                    status: Status::NotApplicable,
                    message: Text::fixed("The server authenticates with its certificate and has no managed identity to switch to yet (see server.identity)."),
                    ..f
                },
            }
        })
        .collect()
}

/// Parse `a.b.c.d` into comparable numbers.
pub(crate) fn parse_version(v: &str) -> Option<[u32; 4]> {
    let mut out = [0u32; 4];
    let mut n = 0;
    for (i, part) in v.trim().split('.').enumerate() {
        if i >= 4 {
            return None;
        }
        out[i] = part.trim().parse().ok()?;
        n += 1;
    }
    (n >= 2).then_some(out)
}

/// The agent version managed identities need.
///
/// Source: the managed identity article's prerequisites
/// (<https://learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities#prerequisites>): agent
/// 20.0.0.0 or later. Whether the agent is still supported at all is `server.agent-status`'s business, from
/// ARM's own `agentVersionStatus` and expiration date, which this finding carries as evidence.
pub(super) fn server_agent_version(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    const MINIMUM: [u32; 4] = [20, 0, 0, 0];
    servers(ix)
        .map(|(_, s)| {
            let f = Finding::new(CheckId::SERVER_AGENT_VERSION, Status::Pass, &s.id, s.display_name(), "")
                .evidence("agentVersion", &s.agent_version)
                .evidence("agentVersionStatus", &s.agent_version_status)
                .evidence("agentVersionExpirationDate", &s.agent_version_expiration_date);
            if s.is_cluster_name() {
                return Finding { status: Status::NotApplicable, message: Text::fixed("The cluster name object runs no agent of its own."), ..f };
            }
            let fix = "Update the Azure File Sync agent to the latest version (Microsoft Update, or the installer from the Download Center).";
            match s.agent_version.as_deref().map(|v| (v, parse_version(v))) {
                None => Finding { status: Status::Unknown, message: Text::fixed("The server reports no agent version."), ..f }
                    .because("agentVersion is missing"),
                Some((v, None)) => Finding { status: Status::Unknown, message: format!("The agent version '{v}' could not be read.").into(), ..f }
                    .because("agentVersion is not a version number"),
                Some((v, Some(ver))) if ver >= MINIMUM => Finding { message: format!("Agent {v} supports managed identities.").into(), ..f },
                Some((v, Some(_))) => Finding {
                    status: Status::Fail,
                    message: format!("Agent {v} cannot use a managed identity: Microsoft's managed identity article requires agent 20.0.0.0 or later.").into(),
                    ..f
                }
                .fix(fix, None),
            }
        })
        .collect()
}
