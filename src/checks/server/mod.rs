//! `server.*`: the registered servers: their identities (own, in use, still existing, still their
//! machine's), their machines' Azure Arc agents, and their File Sync agents.

mod agent;
mod drift;
mod identity;
mod machine;

use crate::model::findings::{Finding, Status};
use crate::model::index::Index;
use crate::model::snapshot::{RegisteredServer, StorageSyncService};

declare_checks! {
    SERVER_IDENTITY = "server.identity" {
        title: "Registered server has a managed identity",
        description: "A registered server gets its own system-assigned identity from Azure Arc outside Azure or from the VM in Azure (File Sync reports it as applicationId or latestApplicationId). A server without one keeps using a shared key: a warning, a failure (0x80c8307c) only where key access is off on a storage account its endpoints sync with. Sources: azure-docs file-sync-managed-identities.md (05/2025); SupportArticles-docs file-sync-troubleshoot-sync-errors (0x80c8307c).",
        error_codes: &["0x80c8307c"],
        run: identity::server_identity,
    }
    SERVER_AUTH_MODE = "server.auth-mode" {
        title: "Registered server authenticates with its identity",
        description: "activeAuthType must be ManagedIdentity. A server whose latestApplicationId holds an identity it does not use yet is switched by running Set-AzStorageSyncServiceIdentity again (the portal's 'Turn on managed identity'); once applicationId is set, activeAuthType changes within up to 15 minutes, so a server waiting for it is a warning (switch in progress). Source: SupportArticles-docs file-sync-troubleshoot-managed-identities.md (04/2025).",
        error_codes: &["0x80c86063", "0x80190193"],
        run: identity::server_auth_mode,
    }
    SERVER_IDENTITY_DRIFT = "server.identity-drift" {
        title: "Registered server's identity still exists",
        description: "A server whose identity was reset or re-created reports an applicationId no role assignment names, while its share still grants the role to the former identity; assignments whose principal no longer exists (no principal type) are left-overs.",
        error_codes: &["0x80c83079", "0x80c86063"],
        run: drift::identity_drift,
    }
    SERVER_MACHINE_IDENTITY = "server.machine-identity" {
        title: "Registered server's identity is still its machine's",
        description: "The identity a registered server reports (applicationId) must be the current system-assigned identity (identity.principalId) of its Azure Arc-enabled server or Azure VM, found through the identity's service principal in Microsoft Graph (alternativeNames). A principal Graph no longer has, or a machine whose identity changed, breaks the server's trust; the fix is Set-AzStorageSyncServer -Identity, run elevated on the server. Needs Microsoft Graph (Application.Read.All) and Reader on the machine, else unknown. Sources: learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities, learn.microsoft.com/graph/api/resources/serviceprincipal, learn.microsoft.com/powershell/module/az.storagesync/set-azstoragesyncserver.",
        error_codes: &["0x80c83079", "0x80c86063"],
        run: machine::machine_identity,
    }
    SERVER_ARC_CONNECTION = "server.arc-connection" {
        title: "Azure Arc agent of the server is connected",
        description: "An Azure Arc-enabled server gets tokens for its identity through its Connected Machine agent: the machine's properties.status must be Connected. Disconnected or Expired is a failure once the server uses its identity (a warning before the switch), with azcmagent show to run on the server; Azure VMs are not applicable. Source: SupportArticles-docs file-sync-troubleshoot-managed-identities.md (04/2025; confirm the agent is Connected); learn.microsoft.com/rest/api/hybridcompute/machines/get. The error codes are the tool's inference.",
        error_codes: &["0x80c80075", "0x80c86063"],
        run: machine::arc_connection,
    }
    SERVER_AGENT_VERSION = "server.agent-version" {
        title: "File Sync agent supports managed identities",
        description: "Managed identities need agent 20.0.0.0 or later (the managed identity article's prerequisites; azure-docs file-sync-managed-identities.md, 05/2025). An older agent syncs with keys and reports no error of its own; whether the agent is still supported (0x80c8306b, blocked or expired) is server.agent-status.",
        error_codes: &[],
        run: identity::server_agent_version,
    }
    SERVER_AGENT_STATUS = "server.agent-status" {
        title: "File Sync agent is still supported",
        description: "ARM's agentVersionStatus and agentVersionExpirationDate: Expired or Blocked agents cannot sync (fail); NearExpiry, or a date already past while the status still says Ok, is a warning with the date. Source: the agent update policy in learn.microsoft.com/azure/storage/file-sync/file-sync-release-notes.",
        error_codes: &["0x80c8306b"],
        run: agent::agent_status,
    }
    SERVER_HEARTBEAT = "server.heartbeat" {
        title: "Registered server reports to the service",
        description: "lastHeartBeat older than a day before the collection means the server is offline or cannot reach Azure (and will not pick up identity changes).",
        error_codes: &[],
        run: agent::heartbeat,
    }
}

/// Every registered server, with its service.
fn servers<'a>(ix: &Index<'a>) -> impl Iterator<Item = (&'a StorageSyncService, &'a RegisteredServer)> {
    ix.snapshot.services.iter().flat_map(|s| s.registered_servers.iter().map(move |r| (s, r)))
}

/// A per-server identity check's first step: the identity to check, with the finding now naming it as
/// principal and `applicationId` evidence; or the not-applicable finding for a server with nothing to
/// check (a cluster's name object, which `cluster_note` explains, or a server without a managed identity).
pub(super) fn server_identity_or_skip<'a>(
    f: Finding,
    server: &'a crate::model::snapshot::RegisteredServer,
    cluster_note: &'static str,
) -> std::result::Result<(Finding, &'a str), Box<Finding>> {
    if server.is_cluster_name() {
        return Err(Box::new(Finding {
            status: Status::NotApplicable,
            message: crate::model::findings::Text::fixed(cluster_note),
            ..f
        }));
    }
    let Some(id) = server.any_identity() else {
        return Err(Box::new(Finding {
            status: Status::NotApplicable,
            message: crate::model::findings::Text::fixed("The server has no managed identity (see server.identity)."),
            ..f
        }));
    };
    Ok((f.principal(id).evidence("applicationId", id), id))
}
