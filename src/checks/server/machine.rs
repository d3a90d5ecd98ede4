//! `server.machine-identity`, `server.arc-connection`: the registered server's identity, seen from the
//! machine's side.
//!
//! The rules, and where they come from:
//! - A registered server authenticates with the system-assigned identity of its machine: an Azure Arc-enabled
//!   server outside Azure, the VM's own identity in Azure; File Sync records it as `applicationId`
//!   (`latestApplicationId` before the switch).
//!   <https://learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities>
//! - A managed identity's service principal names the resource that owns it in `alternativeNames`, and a
//!   404 for its object id means it no longer exists.
//!   <https://learn.microsoft.com/graph/api/resources/serviceprincipal>
//!   <https://learn.microsoft.com/graph/api/serviceprincipal-get> (permission: Application.Read.All)
//! - The machine's current identity is `identity.principalId` of Machines_Get (Microsoft.HybridCompute)
//!   or VirtualMachines_Get (Microsoft.Compute).
//!   <https://learn.microsoft.com/rest/api/hybridcompute/machines/get>
//!   <https://learn.microsoft.com/rest/api/compute/virtual-machines/get>
//! - When the two differ (the identity was reset, Azure Arc was deleted and re-created, the VM re-created),
//!   the server's trust with its service is broken; `Set-AzStorageSyncServer -Identity`, run in an
//!   elevated PowerShell session on the server itself, replaces `applicationId` with the current identity.
//!   <https://learn.microsoft.com/powershell/module/az.storagesync/set-azstoragesyncserver>

use crate::checks::check::CheckContext;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::ps_quote;
use crate::model::resource_id::{MachineKind, ResourceId};
use crate::model::snapshot::{MachineIdentity, MachineLookup, RegisteredServer, StorageSyncService};

const CHECK: CheckId = CheckId::SERVER_MACHINE_IDENTITY;
/// ECS_E_AUTH_IDENTITY_NOT_FOUND (the identity the server authenticates with is not the one the service
/// knows) and the share access its new identity lacks.
const CODES: &[&str] = &["0x80c83079", "0x80c86063"];

/// The repair File Sync documents for a server whose identity changed, run on the server (elevated).
fn reset_command(svc: &StorageSyncService, server: &RegisteredServer) -> String {
    format!(
        "Set-AzStorageSyncServer -ResourceGroupName {} -StorageSyncServiceName {} -ServerId {} -Identity",
        ps_quote(svc.id.resource_group().unwrap_or_default()),
        ps_quote(&svc.name),
        ps_quote(&server.server_id)
    )
}

/// Every registered server that has an identity of its own, as a finding of `check` (its principal and
/// applicationId set) handed to `judge` with its service; a cluster name object or a server without an
/// identity is not applicable, said here once for the checks that look at servers' machines.
fn per_identity_server(
    ix: &Index,
    check: CheckId,
    mut judge: impl FnMut(Finding, &StorageSyncService, &RegisteredServer, &str, &mut Vec<Finding>),
) -> Vec<Finding> {
    const CLUSTER: &str = "A failover cluster's name object has no machine of its own; its nodes are checked.";
    let mut out = Vec::new();
    for svc in &ix.snapshot.services {
        for server in &svc.registered_servers {
            let f = Finding::new(check, Status::Pass, &server.id, server.display_name(), "");
            match super::server_identity_or_skip(f, server, CLUSTER) {
                Ok((f, id)) => judge(f, svc, server, id, &mut out),
                Err(skipped) => out.push(*skipped),
            }
        }
    }
    out
}

const RUN_ON_SERVER: &str = "Run this in an elevated PowerShell session on the server itself (Az.StorageSync 2.5.0 or later): it replaces the server's applicationId with the machine's current identity; then grant that identity its share role (server-endpoint.server-share-role) and wait up to 15 minutes.";

/// In stages: the server's identity (`per_identity_server`), whether its machine was looked up at all, the
/// lookup's facts as evidence, then one verdict per way the lookup ended.
pub(super) fn machine_identity(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let snap = ix.snapshot;
    per_identity_server(ix, CHECK, |f, svc, server, id, out| {
        let Some(m) = &server.machine else {
            out.push(not_looked_up(f, snap.schema_version));
            return;
        };
        let at = Seen::of(svc, server, id, m);
        let f = with_lookup_evidence(f, m);
        out.push(match m.lookup {
            MachineLookup::GraphUnavailable => graph_unavailable(f, &at),
            MachineLookup::PrincipalGone => principal_gone(f, &at),
            MachineLookup::NotAMachine => not_a_machine(f, &at),
            MachineLookup::MachineUnreadable => machine_unreadable(f, &at),
            MachineLookup::MachineRead => machine_read(f, &at),
        });
    })
}

/// What a verdict of `server.machine-identity` looks at: the server, the identity it reports, and its
/// machine as the lookup found it.
struct Seen<'a> {
    svc: &'a StorageSyncService,
    server: &'a RegisteredServer,
    id: &'a str,
    m: &'a MachineIdentity,
    /// How bad a mismatch is: a failure once the server uses its identity in a service that does, else a
    /// warning (a server that does not use its identity yet still should be fixed before it is switched).
    bad: Status,
    /// "Azure Arc-enabled server", "Azure VM" or "machine".
    what: &'static str,
    machine_name: String,
}

impl<'a> Seen<'a> {
    fn of(svc: &'a StorageSyncService, server: &'a RegisteredServer, id: &'a str, m: &'a MachineIdentity) -> Self {
        let bad = if server.uses_managed_identity() && svc.use_identity { Status::Fail } else { Status::Warning };
        let machine = m.resource_id.as_deref().and_then(|r| ResourceId::parse(r).ok());
        let kind = machine.as_ref().and_then(|r| r.machine_kind());
        let what = kind.map(|k| k.describe()).unwrap_or("machine");
        let machine_name = machine.as_ref().and_then(|r| r.name()).unwrap_or("?").to_string();
        Seen { svc, server, id, m, bad, what, machine_name }
    }

    /// The machine's resource id, as the finding's scope.
    fn scope(&self) -> &'a str {
        self.m.resource_id.as_deref().unwrap_or_default()
    }
}

/// The server's machine was not looked up during collection (or the snapshot predates the lookup).
fn not_looked_up(f: Finding, schema_version: u32) -> Finding {
    let (message, reason) = if schema_version < 2 {
        (
            "The server's machine was not looked up: the snapshot predates it (schema 1).",
            "not collected (snapshot schema 1)",
        )
    } else {
        ("The server's machine was not looked up during collection.", "not collected")
    };
    Finding { status: Status::Unknown, message: Text::fixed(message), ..f }
        .because(reason)
        .fix("Collect again with this version, with Microsoft Graph available.", None)
}

/// The lookup's facts, as evidence of every verdict.
fn with_lookup_evidence(f: Finding, m: &MachineIdentity) -> Finding {
    let f = f
        .evidence("lookup", m.lookup)
        .evidence("machineResourceId", &m.resource_id)
        .evidence("machinePrincipalId", &m.machine_principal_id)
        .evidence("servicePrincipalType", &m.service_principal_type);
    match &m.request_id {
        Some(r) => f.evidence("requestId", r),
        None => f,
    }
}

fn graph_unavailable(f: Finding, at: &Seen) -> Finding {
    let (m, id) = (at.m, at.id);
    let why = m.reason.clone().unwrap_or_else(|| "Microsoft Graph was not asked".into());
    let fix = if m.status == Some(403) {
        "Give the signed-in identity the Microsoft Graph permission Application.Read.All (or Directory.Read.All; an administrator grants it, it is not an Azure role), then run again."
    } else {
        "Run again with Microsoft Graph available: the cloud's own Graph, or --graph-endpoint with a token for Graph (--graph-access-token; PowerShell passes Get-AzAccessToken -ResourceTypeName MSGraph)."
    };
    Finding {
        status: Status::Unknown,
        message: format!("Could not tell whether the identity the server reports ({id}) is still its machine's: Microsoft Graph could not be asked.").into(),
        ..f
    }
    .because(format!("Microsoft Graph unavailable: {why}"))
    .fix(fix, None)
}

fn principal_gone(f: Finding, at: &Seen) -> Finding {
    let id = at.id;
    Finding {
        status: at.bad,
        message: format!(
            "The identity the server reports ({id}) no longer exists: Microsoft Graph has no service principal with that object id. The machine's identity was turned off, reset, or the machine (or its Azure Arc resource) was deleted and re-created, so the server cannot authenticate with it."
        )
        .into(),
        ..f.codes(CODES)
    }
    .fix(
        format!("Make sure the machine has a system-assigned identity again (Azure Arc: azcmagent connect; Azure VM: turn the identity on), then bring the server onto it. {RUN_ON_SERVER}"),
        Some(reset_command(at.svc, at.server)),
    )
}

fn not_a_machine(f: Finding, at: &Seen) -> Finding {
    Finding {
        status: Status::NotApplicable,
        message: format!(
            "The identity the server reports ({}) belongs to {}, not to an Azure Arc-enabled server or an Azure VM, so there is no machine identity to compare it with.",
            at.id,
            at.m.resource_id.as_deref().map(|r| format!("'{r}'")).unwrap_or_else(|| "no Azure resource Graph names".into())
        )
        .into(),
        ..f
    }
}

fn machine_unreadable(f: Finding, at: &Seen) -> Finding {
    let (what, machine_name, id) = (at.what, &at.machine_name, at.id);
    let (why, fix) = match at.m.status {
        Some(403) => (
            format!("the signed-in identity may not read {what} '{machine_name}' (403)"),
            format!("Give the signed-in identity Reader on the {what} (or its resource group), then run again."),
        ),
        Some(404) => (
            format!("{what} '{machine_name}' was not found (404), though the identity's service principal still names it: it was deleted or moved, or Graph has not caught up yet"),
            format!("Check where the server's {what} is now; if it was re-created, bring the server onto its new identity ({}).", reset_command(at.svc, at.server)),
        ),
        _ => (
            format!("{what} '{machine_name}' could not be read: {}", at.m.reason.as_deref().unwrap_or("an error")),
            "Run again; if it persists, see collection errors with -v.".to_string(),
        ),
    };
    Finding {
        status: Status::Unknown,
        message: format!("Could not compare the server's identity ({id}) with its {what}'s: {why}.").into(),
        ..f.scope(at.scope())
    }
    .because(format!("machine unreadable: {why}"))
    .fix(fix, None)
}

fn machine_read(f: Finding, at: &Seen) -> Finding {
    let (what, machine_name, id) = (at.what, &at.machine_name, at.id);
    match at.m.machine_principal_id.as_deref() {
        Some(now) if now.eq_ignore_ascii_case(id) => Finding {
            message: format!("The server's identity ({id}) is the current system-assigned identity of {what} '{machine_name}'.").into(),
            ..f.scope(at.scope())
        },
        Some(now) => Finding {
            status: at.bad,
            message: format!(
                "The server reports identity {id}, but {what} '{machine_name}' now has identity {now}: the machine's identity was reset or the machine re-created, and the registered server still names the old one."
            )
            .into(),
            ..f.codes(CODES).scope(at.scope())
        }
        .fix(RUN_ON_SERVER, Some(reset_command(at.svc, at.server))),
        None => Finding {
            status: at.bad,
            message: format!(
                "The server reports identity {id}, but {what} '{machine_name}' has no system-assigned identity now: it was turned off."
            )
            .into(),
            ..f.codes(CODES).scope(at.scope())
        }
        .fix(
            format!("Turn the {what}'s system-assigned identity back on, then bring the server onto it. {RUN_ON_SERVER}"),
            Some(reset_command(at.svc, at.server)),
        ),
    }
}

/// `server.arc-connection`: whether an Azure Arc-enabled server's Connected Machine agent is connected.
///
/// Sources: the troubleshooting article (SupportArticles-docs `file-sync-troubleshoot-managed-identities.md`,
/// 04/2025) has the Connected Machine agent confirmed as Connected (`azcmagent show`); ARM's
/// `Microsoft.HybridCompute/machines` carries `properties.status` (Connected, Disconnected, Error, Expired;
/// <https://learn.microsoft.com/rest/api/hybridcompute/machines/get>). A Disconnected or Expired machine
/// cannot get tokens for its identity, so the server's identity errors follow: a failure once the server
/// uses (or has been switched to) its identity, a warning before.
pub(super) fn arc_connection(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    per_identity_server(ix, CheckId::SERVER_ARC_CONNECTION, |f, _, server, id, out| {
        let Some(m) = &server.machine else {
            out.push(
                Finding {
                    status: Status::Unknown,
                    message: Text::fixed("The server's machine was not looked up during collection."),
                    ..f
                }
                .because("not collected"),
            );
            return;
        };
        let machine = m.resource_id.as_deref().and_then(|r| ResourceId::parse(r).ok());
        let kind = machine.as_ref().and_then(|r| r.machine_kind());
        let f = f.evidence("machineResourceId", &m.resource_id).evidence("machineStatus", &m.machine_status);
        let not_found = |why: &str| {
            Finding {
                status: Status::Unknown,
                message: format!("Could not tell whether the server's Azure Arc agent is connected: {why} (see server.machine-identity).").into(),
                ..f.clone()
            }
            .because(why.to_string())
        };
        match (m.lookup, kind) {
            (MachineLookup::NotAMachine, _) | (_, Some(MachineKind::VirtualMachine)) => out.push(Finding {
                status: Status::NotApplicable,
                message: Text::fixed(
                    "The server is not an Azure Arc-enabled server, so it has no Connected Machine agent to check.",
                ),
                ..f
            }),
            (MachineLookup::GraphUnavailable, _) => {
                out.push(not_found("its machine could not be found (Microsoft Graph was not available)"))
            }
            (MachineLookup::PrincipalGone, _) => {
                out.push(not_found(&format!("the identity it reports ({id}) no longer exists")))
            }
            (MachineLookup::MachineUnreadable, _) => out.push(not_found("its machine could not be read")),
            (MachineLookup::MachineRead, _) => {
                let name = machine.as_ref().and_then(|r| r.name()).unwrap_or("?").to_string();
                let in_use = server.uses_managed_identity() || server.switch_requested();
                out.push(match m.machine_status.as_deref() {
                        None => Finding {
                            status: Status::Unknown,
                            message: format!("Azure Arc machine '{name}' reports no status (or this snapshot predates collecting it).").into(),
                            ..f.scope(m.resource_id.as_deref().unwrap_or_default())
                        }
                        .because("properties.status not collected"),
                        Some(s) if s.eq_ignore_ascii_case("Connected") => Finding {
                            message: format!("Azure Arc machine '{name}' is Connected: its agent can get tokens for the server's identity.").into(),
                            ..f.scope(m.resource_id.as_deref().unwrap_or_default())
                        },
                        Some(s) if s.eq_ignore_ascii_case("Disconnected") || s.eq_ignore_ascii_case("Expired") => {
                            let (status, consequence) = if in_use {
                                (Status::Fail, "so the server cannot get tokens for its identity and its endpoints report identity errors")
                            } else {
                                (Status::Warning, "so the server could not get tokens for its identity: it would fail once switched to it")
                            };
                            let fix = if s.eq_ignore_ascii_case("Expired") {
                                "On the server, run azcmagent show to see the agent's state. An Expired machine was disconnected so long that its identity's credentials lapsed: reconnect it (azcmagent reconnect, elevated, keeps the Azure resource; where it needs --reset-identity, or after azcmagent disconnect and connect, the machine gets a new identity with no roles). Then bring the registered server onto the new identity (Set-AzStorageSyncServer -Identity, elevated on the server) and grant it its share role, as server.machine-identity says."
                            } else {
                                "On the server, run azcmagent show: the Azure Connected Machine agent's services must run and reach Azure (azcmagent check tests the endpoints it needs). Once the machine is Connected again, tokens flow again; nothing in File Sync needs changing."
                            };
                            Finding {
                                status,
                                message: format!("Azure Arc machine '{name}' is {s}: its Connected Machine agent no longer talks to Azure, {consequence} ({}).", super::identity::TROUBLESHOOT_MI).into(),
                                ..f.codes(ARC_CODES).scope(m.resource_id.as_deref().unwrap_or_default())
                            }
                            .fix(fix, Some("azcmagent show".into()))
                        }
                        Some(s) => Finding {
                            status: Status::Warning,
                            message: format!("Azure Arc machine '{name}' reports status '{s}', not Connected: its agent may not get tokens for the server's identity.").into(),
                            ..f.scope(m.resource_id.as_deref().unwrap_or_default())
                        }
                        .fix("On the server, run azcmagent show and fix what it reports until the machine is Connected.", Some("azcmagent show".into())),
                    });
            }
        }
    })
}

/// The errors a server whose Arc agent cannot get tokens reports (the tool's inference: no Microsoft
/// article ties an Arc status to a File Sync code): the access token failure, and the share access its
/// identity then lacks.
const ARC_CODES: &[&str] = &["0x80c80075", "0x80c86063"];
