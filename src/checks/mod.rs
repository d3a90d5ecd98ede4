//! The checks: pure functions from a [`Snapshot`] to [`Finding`]s. No I/O, no clock (the time is in the
//! [`CheckContext`]), so the same snapshot always gives the same report.
//!
//! Every check has a stable id (`area.what`), a title, a description and the File Sync error codes it can
//! explain; `filesync-identity --list-checks` prints them.

mod access;
pub mod attribution;
pub mod causes;
mod identity;
mod ids;
mod live;
mod machine;
pub mod narrow;
mod network;
mod pending;
mod permissions;
mod resources;
mod servers;
mod storage;
#[cfg(test)]
mod tests;

use crate::model::check_id::CheckId;
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::findings::{Finding, Report, Status, Summary, REPORT_SCHEMA_VERSION};
use crate::model::snapshot::Snapshot;

pub use crate::model::index::{Index, RoleState};
/// How findings and plans name a scope ("share 'x' of storage account 'y'"): one wording for both.
pub(crate) use permissions::describe_scope;

/// What the checks need besides the snapshot.
#[derive(Debug, Clone)]
pub struct CheckContext {
    /// "Now", for ages (heartbeats, identity propagation).
    pub now: DateTime<Utc>,
    /// How long a freshly enabled identity or new role assignment may take to take effect.
    pub propagation_delay: chrono::Duration,
}

impl CheckContext {
    pub fn at(now: DateTime<Utc>) -> Self {
        CheckContext { now, propagation_delay: chrono::Duration::minutes(15) }
    }
}

/// A check's description.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckInfo {
    pub id: CheckId,
    pub title: &'static str,
    /// What it verifies, in a sentence or two.
    pub description: &'static str,
    /// File Sync error codes it can explain.
    pub error_codes: &'static [&'static str],
    #[serde(skip)]
    pub run: fn(&Index, &CheckContext) -> Vec<Finding>,
}

/// Every check, in report order.
pub fn all() -> &'static [CheckInfo] {
    CHECKS
}

static CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: CheckId::COLLECTION_READ,
        title: "Everything could be read",
        description: "Reports each part of the deployment that could not be read during collection (for example a 403 on one storage account), so the checks that depend on it say 'unknown' rather than guess.",
        error_codes: &[],
        run: identity::collection_read,
    },
    CheckInfo {
        id: CheckId::SERVICE_IDENTITY,
        title: "Storage Sync Service has a system-assigned identity",
        description: "The Storage Sync Service needs a system-assigned managed identity to reach storage accounts and shares without keys.",
        error_codes: &["0x80c8305f"],
        run: identity::service_identity,
    },
    CheckInfo {
        id: CheckId::SERVICE_USE_IDENTITY,
        title: "Storage Sync Service uses its identity",
        description: "properties.useIdentity must be true for the service (and the servers that have identities) to stop using storage account keys.",
        error_codes: &["0x80c8305f"],
        run: identity::service_use_identity,
    },
    CheckInfo {
        id: CheckId::SERVICE_PRIVATE_ENDPOINT,
        title: "A Storage Sync Service closed to public traffic has an approved private endpoint",
        description: "incomingTrafficPolicy AllowVirtualNetworksOnly turns the service's public endpoint off: the servers then reach it only through an approved private endpoint on the service, resolved through the private DNS zone of the cloud: privatelink.afs.azure.net (privatelink.afs.azure.us in US Government, privatelink.afs.azure.cn in China). Source: https://learn.microsoft.com/azure/storage/file-sync/file-sync-networking-endpoints",
        error_codes: &["0x80c83099", "0x80c83081", "0x80c87014", "0x80072ee7"],
        run: network::service_private_endpoint,
    },
    CheckInfo {
        id: CheckId::IDENTITY_TENANT,
        title: "Service, storage accounts and caller are in one tenant",
        description: "In identity mode the Storage Sync Service's identity (identity.tenantId), the servers' Arc machines or VMs and each storage account (the cloud endpoint's storageAccountTenantId) must be in one Entra tenant: managed identities across tenants are not supported (a failure). With keys it is a warning: it may still sync, but the resource move article calls File Sync across tenants unsupported (sync can stop), and the switch would fail. A caller signed in to another tenant is a warning. Sources: azure-docs file-sync-managed-identities.md (05/2025), file-sync-resource-move.md (08/2026).",
        error_codes: &["0x80c83079", "0x80c83088"],
        run: access::tenant,
    },
    CheckInfo {
        id: CheckId::SERVER_IDENTITY,
        title: "Registered server has a managed identity",
        description: "A registered server gets its own system-assigned identity from Azure Arc outside Azure or from the VM in Azure (File Sync reports it as applicationId or latestApplicationId). A server without one keeps using a shared key: a warning, a failure (0x80c8307c) only where key access is off on a storage account its endpoints sync with. Sources: azure-docs file-sync-managed-identities.md (05/2025); SupportArticles-docs file-sync-troubleshoot-sync-errors (0x80c8307c).",
        error_codes: &["0x80c8307c"],
        run: identity::server_identity,
    },
    CheckInfo {
        id: CheckId::SERVER_AUTH_MODE,
        title: "Registered server authenticates with its identity",
        description: "activeAuthType must be ManagedIdentity. A server whose latestApplicationId holds an identity it does not use yet is switched by running Set-AzStorageSyncServiceIdentity again (the portal's 'Turn on managed identity'); once applicationId is set, activeAuthType changes within up to 15 minutes, so a server waiting for it is a warning (switch in progress). Source: SupportArticles-docs file-sync-troubleshoot-managed-identities.md (04/2025).",
        error_codes: &["0x80c86063", "0x80190193"],
        run: identity::server_auth_mode,
    },
    CheckInfo {
        id: CheckId::SERVER_IDENTITY_DRIFT,
        title: "Registered server's identity still exists",
        description: "A server whose identity was reset or re-created reports an applicationId no role assignment names, while its share still grants the role to the former identity; assignments whose principal no longer exists (no principal type) are left-overs.",
        error_codes: &["0x80c83079", "0x80c86063"],
        run: access::identity_drift,
    },
    CheckInfo {
        id: CheckId::SERVER_MACHINE_IDENTITY,
        title: "Registered server's identity is still its machine's",
        description: "The identity a registered server reports (applicationId) must be the current system-assigned identity (identity.principalId) of its Azure Arc-enabled server or Azure VM, found through the identity's service principal in Microsoft Graph (alternativeNames). A principal Graph no longer has, or a machine whose identity changed, breaks the server's trust; the fix is Set-AzStorageSyncServer -Identity, run elevated on the server. Needs Microsoft Graph (Application.Read.All) and Reader on the machine, else unknown. Sources: learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities, learn.microsoft.com/graph/api/resources/serviceprincipal, learn.microsoft.com/powershell/module/az.storagesync/set-azstoragesyncserver.",
        error_codes: &["0x80c83079", "0x80c86063"],
        run: machine::machine_identity,
    },
    CheckInfo {
        id: CheckId::SERVER_ARC_CONNECTION,
        title: "Azure Arc agent of the server is connected",
        description: "An Azure Arc-enabled server gets tokens for its identity through its Connected Machine agent: the machine's properties.status must be Connected. Disconnected or Expired is a failure once the server uses its identity (a warning before the switch), with azcmagent show to run on the server; Azure VMs are not applicable. Source: SupportArticles-docs file-sync-troubleshoot-managed-identities.md (04/2025; confirm the agent is Connected); learn.microsoft.com/rest/api/hybridcompute/machines/get. The error codes are the tool's inference.",
        error_codes: &["0x80c80075", "0x80c86063"],
        run: machine::arc_connection,
    },
    CheckInfo {
        id: CheckId::SERVER_AGENT_VERSION,
        title: "File Sync agent supports managed identities",
        description: "Managed identities need agent 20.0.0.0 or later (the managed identity article's prerequisites; azure-docs file-sync-managed-identities.md, 05/2025). An older agent syncs with keys and reports no error of its own; whether the agent is still supported (0x80c8306b, blocked or expired) is server.agent-status.",
        error_codes: &[],
        run: identity::server_agent_version,
    },
    CheckInfo {
        id: CheckId::SERVER_AGENT_STATUS,
        title: "File Sync agent is still supported",
        description: "ARM's agentVersionStatus and agentVersionExpirationDate: Expired or Blocked agents cannot sync (fail); NearExpiry, or a date already past while the status still says Ok, is a warning with the date. Source: the agent update policy in learn.microsoft.com/azure/storage/file-sync/file-sync-release-notes.",
        error_codes: &["0x80c8306b"],
        run: servers::agent_status,
    },
    CheckInfo {
        id: CheckId::SERVER_HEARTBEAT,
        title: "Registered server reports to the service",
        description: "lastHeartBeat older than a day before the collection means the server is offline or cannot reach Azure (and will not pick up identity changes).",
        error_codes: &[],
        run: servers::heartbeat,
    },
    CheckInfo {
        id: CheckId::CLOUD_ENDPOINT_SHARE_EXISTS,
        title: "Cloud endpoint's file share exists",
        description: "The share a cloud endpoint names must exist in its storage account.",
        error_codes: &["0x80c86030"],
        run: resources::share_exists,
    },
    CheckInfo {
        id: CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE,
        title: "Service identity holds Storage Account Contributor on the storage account",
        description: "The Storage Sync Service's identity needs Storage Account Contributor on each storage account that holds a cloud endpoint's share (at the account or above).",
        error_codes: &["0x80c8305f"],
        run: permissions::service_account_role,
    },
    CheckInfo {
        id: CheckId::CLOUD_ENDPOINT_SERVICE_SHARE_ROLE,
        title: "Service identity holds Storage File Data Privileged Contributor on the share",
        description: "The Storage Sync Service's identity needs Storage File Data Privileged Contributor on each cloud endpoint's share (scope .../fileServices/default/fileshares/<share>, or above).",
        error_codes: &["0x80c86053"],
        run: permissions::service_share_role,
    },
    CheckInfo {
        id: CheckId::SERVER_ENDPOINT_SERVER_SHARE_ROLE,
        title: "Server identity holds Storage File Data Privileged Contributor on the share",
        description: "Each server with a server endpoint in a sync group needs Storage File Data Privileged Contributor on the sync group's share, for its own identity (for a failover cluster: every node's identity).",
        error_codes: &["0x80c86063", "0x80190193"],
        run: permissions::server_share_role,
    },
    CheckInfo {
        id: CheckId::ROLE_WRONG_SHARE_SCOPE,
        title: "No File Sync role sits at the share's ARM resource id",
        description: "A role assignment at .../fileServices/default/shares/<share> (the share's ARM id, what Bicep 'scope: share' produces) is not honoured by File Sync; it must be at .../fileServices/default/fileshares/<share>.",
        error_codes: &["0x80c86053", "0x80c86063"],
        run: access::wrong_share_scope,
    },
    CheckInfo {
        id: CheckId::ROLE_DENY_ASSIGNMENT,
        title: "No deny assignment cancels a File Sync role",
        description: "A deny assignment that covers the storage account or share and names a File Sync identity (or everyone, without excluding it) blocks what its roles grant (account write and listKeys, file data actions).",
        error_codes: &["0x80c8305f", "0x80c86053", "0x80c86063"],
        run: access::deny_assignment,
    },
    CheckInfo {
        id: CheckId::STORAGE_TRUSTED_SERVICES,
        title: "Storage firewall lets trusted Azure services in",
        description: "When the storage account firewall is on (default action Deny), its exceptions must include AzureServices so the Storage Sync Service can reach it.",
        error_codes: &["0x80c83096", "0x80131500"],
        run: storage::trusted_services,
    },
    CheckInfo {
        id: CheckId::STORAGE_NETWORK_ACCESS,
        title: "Servers can reach the storage account",
        description: "publicNetworkAccess Disabled needs an approved private endpoint; a firewall that denies by default needs an IP rule, a virtual network rule or an approved private endpoint through which the servers come in; under an enforced network security perimeter (SecuredByPerimeter), whose rules replace the firewall, an approved private endpoint or an inbound address rule of the perimeter.",
        error_codes: &["0x80c8033e", "0x80c83099"],
        run: resources::network_access,
    },
    CheckInfo {
        id: CheckId::STORAGE_SMB_SETTINGS,
        title: "The storage account's SMB security settings let File Sync in",
        description: "File Sync needs the account's SMB security settings (fileServices/default, protocolSettings.smb) to allow the SMB 3.1.1 protocol version, NTLMv2 authentication and AES-128-GCM channel encryption; an absent list allows every value. Source: https://learn.microsoft.com/azure/storage/file-sync/file-sync-deployment-guide#prerequisites",
        error_codes: &["0x80c8305f", "0x80c86053", "0x80c86030"],
        run: network::smb_settings,
    },
    CheckInfo {
        id: CheckId::STORAGE_NETWORK_PERIMETER,
        title: "A network security perimeter around the storage account lets File Sync in",
        description: "For an account with publicNetworkAccess SecuredByPerimeter the perimeter's rules replace its firewall: the Storage Sync Service must use its managed identity, and the perimeter's profile needs an inbound access rule for the service's subscription (enforced mode; learning mode still falls back to the firewall and is a warning). Source: https://learn.microsoft.com/azure/storage/common/storage-network-security-perimeter",
        error_codes: &["0x80c8305f", "0x80c86053"],
        run: network::network_perimeter,
    },
    CheckInfo {
        id: CheckId::STORAGE_SHARED_KEY_ACCESS,
        title: "Shared key access is on",
        description: "allowSharedKeyAccess=false breaks sync (0x80c8307c) while the service is not in identity mode or any server still uses its certificate (a failure); Microsoft's File Sync deployment guide still lists key access as a prerequisite with managed identities, so it is a warning even then. Repair never turns it off. Sources: learn.microsoft.com/azure/storage/file-sync/file-sync-deployment-guide; the 0x80c8307c entry of file-sync-troubleshoot-sync-errors.",
        error_codes: &["0x80c8307c"],
        run: storage::shared_key_access,
    },
    CheckInfo {
        id: CheckId::STORAGE_LOCK,
        title: "No ReadOnly lock on the storage account",
        description: "A ReadOnly lock on the storage account or its resource group blocks File Sync (and role assignments); CanNotDelete locks are fine.",
        error_codes: &["0x80c83092"],
        run: resources::lock,
    },
    CheckInfo {
        id: CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL,
        title: "Microsoft.StorageSync holds Reader and Data Access",
        description: "While the service or any server still uses keys, the Microsoft.StorageSync first-party service principal ('Hybrid File Sync Service') needs Reader and Data Access on the storage account (a failure, 0x80c8305f). In identity mode it is informational (pass when held, not applicable when not): the managed identity articles list only Storage Account Contributor and Storage File Data Privileged Contributor, and the resource move article sets the identity topology apart from this service-principal approach. Never suggested for removal. Sources: azure-docs file-sync-managed-identities.md (05/2025), SupportArticles-docs file-sync-troubleshoot-managed-identities.md (04/2025), azure-docs file-sync-resource-move.md (08/2026).",
        error_codes: &["0x80c8305f"],
        run: storage::legacy_sync_principal,
    },
    CheckInfo {
        id: CheckId::CALLER_CAN_REPAIR,
        title: "The signed-in identity can grant the roles a repair needs",
        description: "A repair writes role assignments: the caller needs Microsoft.Authorization/roleAssignments/write on each storage account (Owner, User Access Administrator, Role Based Access Control Administrator, or Azure File Sync Administrator, whose condition allows exactly the File Sync roles).",
        error_codes: &[],
        run: access::caller_can_repair,
    },
    CheckInfo {
        id: CheckId::SYNC_LIVE_ERRORS,
        title: "Errors the servers report are explained",
        description: "Each server endpoint's last upload and download results, per-item errors and recall errors, looked up in the error catalog and tied to the finding that explains them. Runs after (and on the findings of) the other checks.",
        error_codes: &[],
        run: live::live_errors,
    },
];

/// Which checks to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Run only these (empty: all).
    pub only: Vec<String>,
    /// Skip these.
    pub skip: Vec<String>,
}

impl Selection {
    /// Validate the ids; unknown ones are an error that lists the known ones.
    pub fn validate(&self) -> Result<()> {
        for id in self.only.iter().chain(&self.skip) {
            let known = all()
                .iter()
                .any(|c| c.id == id.as_str() || id.ends_with(".*") && c.id.starts_with(id.trim_end_matches('*')));
            if !known {
                let ids: Vec<&str> = all().iter().map(|c| c.id.as_str()).collect();
                return Err(Error::invalid_input(format!("unknown check '{id}'; the checks are: {}", ids.join(", "))));
            }
        }
        // A selection that runs nothing would end in an empty report that reads as "all passed".
        if !all().iter().any(|c| self.includes(&c.id)) {
            return Err(Error::invalid_input(format!(
                "the selection runs no check (--check {} with --skip {} leaves none); drop a --skip or pick other checks",
                if self.only.is_empty() { "(all)".to_string() } else { self.only.join(",") },
                self.skip.join(",")
            )));
        }
        Ok(())
    }

    fn matches(pattern: &str, id: &str) -> bool {
        pattern == id || (pattern.ends_with(".*") && id.starts_with(pattern.trim_end_matches('*')))
    }

    pub fn includes(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| Self::matches(p, id)))
            && !self.skip.iter().any(|p| Self::matches(p, id))
    }
}

/// Run the selected checks. Findings come in check order, then by resource id.
///
/// `sync.live-errors` reads every other check's verdict; when it is selected the others all run once and
/// it is handed their findings. The checks are pure functions of the snapshot, so they run side by side on
/// the machine's cores (see `crate::sync::parallel_map`); the result does not depend on how many there are.
pub fn run(snapshot: &Snapshot, ctx: &CheckContext, selection: &Selection) -> Vec<Finding> {
    let index = Index::new(snapshot);
    let live_selected = selection.includes(&live::CHECK);
    // Positions in the registry of the checks to run, the server endpoint checks first: there are the most
    // server endpoints, so those take longest and should not start last.
    let mut wanted: Vec<usize> = (0..all().len())
        .filter(|&i| all()[i].id != live::CHECK && (live_selected || selection.includes(&all()[i].id)))
        .collect();
    wanted.sort_by_key(|&i| !all()[i].id.starts_with("server-endpoint."));
    let mut results: Vec<Option<Vec<Finding>>> = (0..all().len()).map(|_| None).collect();
    for (i, findings) in wanted.iter().zip(crate::sync::parallel_map(&wanted, |&i| (all()[i].run)(&index, ctx))) {
        results[*i] = Some(findings);
    }
    let live = live_selected.then(|| {
        let others: Vec<&Finding> = results.iter().flatten().flatten().collect();
        live::review(&index, ctx, &others)
    });
    if let (Some(findings), Some(pos)) = (live, all().iter().position(|c| c.id == live::CHECK)) {
        results[pos] = Some(findings);
    }
    let mut out = Vec::with_capacity(results.iter().flatten().map(Vec::len).sum());
    for (check, findings) in all().iter().zip(results) {
        let Some(mut findings) = findings.filter(|_| selection.includes(&check.id)) else { continue };
        sort_findings(&mut findings);
        debug_assert!(findings.iter().all(|f| f.check == check.id), "check {} emitted another id", check.id);
        out.extend(findings);
    }
    out
}

/// The order of one check's findings: by resource id (ignoring case), then principal. Most checks produce
/// them in this order already (the snapshot is sorted), so that is tested first without allocating.
fn sort_findings(findings: &mut [Finding]) {
    let order = |a: &Finding, b: &Finding| {
        crate::model::text::cmp_ignore_ascii_case(&a.resource_id, &b.resource_id)
            .then_with(|| a.principal_id.cmp(&b.principal_id))
    };
    if findings.is_sorted_by(|a, b| order(a, b).is_le()) {
        return;
    }
    findings.sort_by_cached_key(|f| (f.resource_id.to_ascii_lowercase(), f.principal_id.clone()));
}

/// Run the checks and wrap the findings in a report.
pub fn report(snapshot: &Snapshot, ctx: &CheckContext, selection: &Selection) -> Report {
    let mut findings = run(snapshot, ctx, selection);
    // Who changed what, from the Activity Log the snapshot kept (no verdict changes).
    attribution::attribute(&mut findings, snapshot);
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool_version: crate::VERSION.to_string(),
        collected_at: snapshot.collected_at,
        target: snapshot.target.clone(),
        sync_groups: Vec::new(),
        summary: Summary::of(&findings),
        causes: causes::of(&findings),
        findings,
    }
}

/// Exit code of a diagnosis in which a check failed.
pub const EXIT_PROBLEMS: i32 = 1;
/// Exit code of a diagnosis that is incomplete: nothing failed, but some check could not decide (a read
/// was refused: status `unknown`), or there was nothing to check (no Storage Sync Service in the target).
/// Never 0, so that a script cannot take "could not look" for "healthy".
pub const EXIT_INCOMPLETE: i32 = 4;

/// The exit code a report implies: 1 when any check failed; else 4 when the diagnosis is incomplete
/// (an `unknown` finding, or no finding at all); else 0.
pub fn exit_code(report: &Report) -> i32 {
    if report.findings.iter().any(|f| f.status == Status::Fail) {
        EXIT_PROBLEMS
    } else if report.findings.is_empty() || report.findings.iter().any(|f| f.status == Status::Unknown) {
        EXIT_INCOMPLETE
    } else {
        0
    }
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

/// Quote a value for a PowerShell command line (single quotes, doubled inside).
pub(crate) fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
