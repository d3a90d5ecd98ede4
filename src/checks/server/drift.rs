//! `server.identity-drift`: a server identity that was replaced or deleted, seen from the role assignments
//! that still name the former one.
//!
//! In stages: the principals the deployment knows; per server, the identity it reports (skipped where there
//! is none, or nothing to look at), then whether that identity was deleted, then whether it was replaced;
//! last, the assignments of File Sync roles to deleted principals no server claims.

use std::collections::HashSet;

use crate::checks::check::CheckContext;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::{describe_scope, grant_command, ps_quote};
use crate::model::principal::PrincipalId;
use crate::model::resource_id::{file_share_scope, parse_share_scope, ResourceId};
use crate::model::roles;
use crate::model::snapshot::{RegisteredServer, RoleAssignment, Snapshot, StorageSyncService};

const CHECK: CheckId = CheckId::SERVER_IDENTITY_DRIFT;
/// ECS_E_AUTH_IDENTITY_NOT_FOUND, and the share access the server's identity then lacks.
const CODES: &[&str] = &["0x80c83079", "0x80c86063"];

/// Is the principal type in a listing one that says the principal was deleted (or never resolved)?
fn deleted_type(ra: &RoleAssignment) -> bool {
    ra.principal_type.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("Unknown"))
}

/// Every principal this deployment knows: the services', the servers', Microsoft.StorageSync and the caller.
struct Known(HashSet<PrincipalId>);

impl Known {
    fn of(snap: &Snapshot) -> Known {
        let mut known: HashSet<PrincipalId> = HashSet::new();
        for svc in &snap.services {
            known.extend(svc.system_principal());
            known.extend(svc.registered_servers.iter().filter_map(|s| s.any_principal()));
        }
        known.extend(snap.storage_sync_principal_id.clone());
        known
            .extend(snap.caller.as_ref().and_then(|c| c.object_id.as_deref()).and_then(|p| PrincipalId::parse(p).ok()));
        Known(known)
    }

    /// Does `principal` (a role assignment's, as ARM answered it) name one of them?
    fn contains(&self, principal: &str) -> bool {
        self.0.contains(PrincipalId::lookup_key(principal).as_ref())
    }
}

pub(super) fn identity_drift(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let snap = ix.snapshot;
    let known = Known::of(snap);
    let mut out = Vec::new();
    // The assignments a server's finding already names as its former identity's.
    let mut attributed: Vec<&str> = Vec::new();
    for svc in &snap.services {
        for server in &svc.registered_servers {
            out.push(judge_server(ix, &known, svc, server, &mut attributed));
        }
    }
    out.extend(leftovers(ix, &known, &attributed));
    out
}

/// One registered server's finding.
fn judge_server<'a>(
    ix: &Index<'a>,
    known: &Known,
    svc: &StorageSyncService,
    server: &RegisteredServer,
    attributed: &mut Vec<&'a str>,
) -> Finding {
    let f = Finding::new(CHECK, Status::Pass, &server.id, server.display_name(), "");
    let (f, id) = match super::server_identity_or_skip(
        f,
        server,
        "A failover cluster's name object has no identity of its own; its nodes are checked.",
    ) {
        Ok(checked) => checked,
        Err(skipped) => return *skipped,
    };
    let shares = ix.server_shares(svc, server);
    if shares.is_empty() {
        return Finding {
            status: Status::NotApplicable,
            message: Text::fixed("The server has no server endpoint, so no share to reach."),
            ..f
        };
    }
    if shares.iter().any(|(acct, _)| !ix.account(acct).is_some_and(|a| a.role_assignments_read)) {
        return Finding {
            status: Status::Unknown,
            message: Text::fixed("Could not look for a replaced identity: the role assignments of the server's storage accounts could not be read."),
            ..f
        }
        .because("role assignments of the storage account were not read (see collection.read)");
    }
    let bad = if server.uses_managed_identity() && svc.use_identity { Status::Fail } else { Status::Warning };
    let naming: &[&RoleAssignment] = ix.assignments_of(id);
    if !naming.is_empty() && naming.iter().all(|ra| deleted_type(ra)) {
        return deleted(f, id, naming, bad);
    }
    if naming.is_empty() {
        if let Some(found) = replaced(ix, known, f.clone(), id, shares, bad, attributed) {
            return found;
        }
    }
    Finding { message: format!("Nothing suggests the server's identity ({id}) was replaced or deleted.").into(), ..f }
}

/// The identity the server reports no longer exists: every assignment naming it has no principal type.
fn deleted(f: Finding, id: &str, naming: &[&RoleAssignment], bad: Status) -> Finding {
    Finding {
        status: bad,
        message: format!(
            "The identity the server reports ({id}) no longer exists: ARM lists its role assignments with no principal type, as it does for deleted principals. The server's identity was removed or reset."
        ).into(),
        ..f.codes(CODES)
    }
    .evidence("orphanedAssignments", naming.iter().map(|ra| ra.id.clone()).collect::<Vec<_>>())
    .fix(
        "Give the server a system-assigned identity again (Azure Arc: azcmagent connect; Azure VM: turn the identity on), wait for the agent to report it, then grant its share role and delete the orphaned assignments.",
        None,
    )
}

/// The identity the server reports is named by no assignment, while a share it syncs grants the share role
/// to a principal nobody in this deployment uses: most likely the server's former identity. People and
/// groups often hold the role too; only service principals (or deleted ones) can be a former server
/// identity. `None` when there is no such assignment.
fn replaced<'a>(
    ix: &Index<'a>,
    known: &Known,
    f: Finding,
    id: &str,
    shares: &[(ResourceId, String)],
    bad: Status,
    attributed: &mut Vec<&'a str>,
) -> Option<Finding> {
    let share_role = roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR;
    let orphans: Vec<&RoleAssignment> = ix
        .snapshot
        .role_assignments
        .iter()
        .filter(|ra| ra.has_role(share_role.guid) && !known.contains(&ra.principal_id))
        .filter(|ra| {
            deleted_type(ra) || ra.principal_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("ServicePrincipal"))
        })
        .filter(|ra| {
            parse_share_scope(&ra.scope)
                .is_some_and(|(a, s, _)| shares.iter().any(|(acct, share)| &a == acct && s.eq_ignore_ascii_case(share)))
        })
        .collect();
    if orphans.is_empty() {
        return None;
    }
    attributed.extend(orphans.iter().map(|ra| ra.id.as_str()));
    let (acct, share) = &shares[0];
    let scope = file_share_scope(acct, share).map(|s| s.to_string()).unwrap_or_default();
    let old = orphans.iter().map(|ra| ra.principal_id.clone()).collect::<Vec<_>>();
    Some(
        Finding {
            status: bad,
            message: format!(
                "The server's identity looks replaced: it now reports {id}, which no role assignment names, while its share grants {} to {} — an identity no server or service here uses, most likely the server's former one (identity reset or server re-created).",
                share_role.name,
                old.join(", ")
            ).into(),
            ..f.codes(CODES).scope(scope.as_str())
        }
        .evidence("formerPrincipals", &old)
        .evidence("orphanedAssignments", orphans.iter().map(|ra| ra.id.clone()).collect::<Vec<_>>())
        .fix(
            "Grant the server's current identity its share role, then delete the assignments of the former identity.",
            Some(grant_command(id, share_role, &scope)),
        ),
    )
}

/// Other assignments of File Sync roles, on or around the storage accounts in use, that name deleted
/// principals no server's finding accounts for.
fn leftovers(ix: &Index, known: &Known, attributed: &[&str]) -> Vec<Finding> {
    let referenced = ix.referenced_accounts();
    let mut out = Vec::new();
    for ra in &ix.snapshot.role_assignments {
        if !deleted_type(ra) || attributed.contains(&ra.id.as_str()) || known.contains(&ra.principal_id) {
            continue;
        }
        if !roles::GRANTABLE.iter().any(|r| ra.has_role(r.guid)) {
            continue;
        }
        let bears = referenced.iter().any(|a| ra.scope.contains(&a.id) || a.id.contains(&ra.scope));
        if !bears {
            continue;
        }
        out.push(
            Finding::new(
                CHECK,
                Status::Warning,
                &ra.id,
                format!("{} for {}", roles::display_name(&ra.role_definition_id), ra.principal_id),
                format!(
                    "A role assignment of {} at {} names principal {}, which no longer exists (ARM shows no principal type): a left-over of a deleted or reset identity.",
                    roles::display_name(&ra.role_definition_id),
                    describe_scope(&ra.scope),
                    ra.principal_id
                ),
            )
            .principal(ra.principal_id.as_str())
            .scope(ra.scope.as_str())
            .fix(
                "Delete the orphaned assignment; if a server's identity was reset, grant its new identity instead.",
                Some(format!("Remove-AzRoleAssignment -ObjectId {} -RoleDefinitionId {} -Scope {}", ps_quote(&ra.principal_id), ps_quote(&ra.role_guid()), ps_quote(ra.scope.as_str()))),
            ),
        );
    }
    out
}
