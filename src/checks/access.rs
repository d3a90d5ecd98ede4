//! Who may do what: the caller's right to repair, assignments at the wrong share scope, deny assignments,
//! tenants, and identities that were replaced or deleted.

use super::permissions::{describe_scope, grant_command};
use super::{ps_quote, CheckContext, Index, RoleState};
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::resource_id::{file_share_scope, is_zero_guid, parse_share_scope, ResourceId};
use crate::model::roles::{self, BuiltInRole};
use crate::model::snapshot::{DenyAssignment, RoleAssignment, StorageSyncService};

pub(crate) use crate::model::rbac::{any_matches, permits};

const ROLE_ASSIGNMENT_WRITE: &str = "Microsoft.Authorization/roleAssignments/write";

/// The roles a repair on this account may have to grant.
fn roles_a_repair_grants(ix: &Index, account: &ResourceId) -> Vec<BuiltInRole> {
    let mut out = vec![roles::STORAGE_ACCOUNT_CONTRIBUTOR, roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR];
    if !ix.key_users(account).is_empty() {
        out.push(roles::READER_AND_DATA_ACCESS);
    }
    out
}

pub(super) fn caller_can_repair(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::CALLER_CAN_REPAIR;
    let caller = ix.snapshot.caller.as_ref().and_then(|c| c.object_id.as_deref());
    ix.referenced_accounts()
        .into_iter()
        .map(|a| {
            let mut f = Finding::new(check, Status::Unknown, &a.id, &a.name, "").scope(&a.id);
            if let Some(c) = caller {
                f = f.principal(c);
            }
            let Some(perms) = a.caller_permissions.as_deref() else {
                return Finding {
                    message: Text::fixed("Could not tell whether the signed-in identity may grant roles here: its permissions on the account could not be read."),
                    ..f
                }
                .because("the caller's permissions on the storage account were not read (see collection.read)");
            };
            // The caller's own assignments covering the account (known when the token names the caller).
            let mine: Vec<&RoleAssignment> = caller
                .map(|c| {
                    ix.snapshot
                        .role_assignments
                        .iter()
                        .filter(|ra| ra.principal_id.eq_ignore_ascii_case(c) && ra.scope.contains(&a.id))
                        .collect()
                })
                .unwrap_or_default();
            let unconditional_admin = mine.iter().any(|ra| {
                ra.condition.is_none()
                    && [roles::OWNER, roles::USER_ACCESS_ADMINISTRATOR, roles::RBAC_ADMINISTRATOR]
                        .iter()
                        .any(|r| ra.has_role(r.guid))
            });
            let file_sync_admin = mine.iter().find(|ra| ra.has_role(roles::FILE_SYNC_ADMINISTRATOR.guid));
            let needed = roles_a_repair_grants(ix, &a.id);
            let via_permissions = permits(perms, ROLE_ASSIGNMENT_WRITE);
            f = f.evidence("roleAssignmentsWrite", via_permissions).evidence(
                "callerRoles",
                mine.iter().map(|ra| roles::display_name(&ra.role_definition_id)).collect::<Vec<_>>(),
            );
            if via_permissions || file_sync_admin.is_some() {
                // A condition on the granting assignment (the permissions API does not show it) may still
                // rule out some of the roles a repair grants.
                if !unconditional_admin {
                    // The assignments that can grant roles at all: the built-in admin roles, and custom roles
                    // (whose actions the snapshot does not carry).
                    let granting: Vec<&&RoleAssignment> = mine
                        .iter()
                        .filter(|ra| {
                            let g = ra.role_guid();
                            [roles::OWNER, roles::USER_ACCESS_ADMINISTRATOR, roles::RBAC_ADMINISTRATOR]
                                .iter()
                                .any(|r| r.guid == g)
                                || !roles::KNOWN.iter().any(|r| r.guid == g)
                        })
                        .collect();
                    let conditioned: Vec<&&RoleAssignment> =
                        granting.iter().copied().filter(|ra| ra.condition.is_some()).collect();
                    let all_limited =
                        !granting.is_empty() && file_sync_admin.is_none() && conditioned.len() == granting.len();
                    if all_limited {
                        let text = conditioned.iter().filter_map(|ra| ra.condition.as_deref()).collect::<Vec<_>>().join(" ");
                        let excluded: Vec<&str> = needed
                            .iter()
                            .filter(|r| !text.to_ascii_lowercase().contains(r.guid))
                            .map(|r| r.name)
                            .collect();
                        if !excluded.is_empty() {
                            return Finding {
                                status: Status::Warning,
                                message: format!(
                                    "A repair would fail in part: the signed-in identity may write role assignments on this account only under a condition that does not allow {}.",
                                    excluded.join(", ")
                                ).into(),
                                ..f
                            }
                            .fix(
                                "Run the repair as someone whose role may grant these roles here (Owner, User Access Administrator, Azure File Sync Administrator), or widen the condition.",
                                None,
                            );
                        }
                    }
                }
                let how = if unconditional_admin || (via_permissions && file_sync_admin.is_none()) {
                    "may write role assignments on this account".to_string()
                } else {
                    "holds Azure File Sync Administrator, whose condition allows exactly the roles File Sync needs".to_string()
                };
                return Finding {
                    status: Status::Pass,
                    message: format!("The signed-in identity {how}, so a repair can grant the missing roles.").into(),
                    ..f
                };
            }
            let who = caller.map(|c| format!("the signed-in identity ({c})")).unwrap_or_else(|| "the signed-in identity".into());
            Finding {
                status: Status::Warning,
                message: format!(
                    "A repair would fail here: {who} lacks {ROLE_ASSIGNMENT_WRITE} on storage account '{}' (Contributor and Reader cannot grant roles), so it cannot give the File Sync identities their roles.",
                    a.name
                ).into(),
                ..f
            }
            .fix(
                "Run the repair as someone with Owner, User Access Administrator, Role Based Access Control Administrator or Azure File Sync Administrator on the account, or have one of them grant you Azure File Sync Administrator.",
                caller.map(|c| grant_command(c, roles::FILE_SYNC_ADMINISTRATOR, a.id.as_str())),
            )
        })
        .collect()
}

/// A principal File Sync uses, and how a person would call it.
struct SyncPrincipal<'a> {
    id: &'a str,
    who: String,
    /// The code its missing share access gives.
    share_code: &'static str,
}

/// The identities that need the share role for a sync group's share: the service's and every server's
/// (cluster nodes included).
fn share_principals<'a>(
    ix: &Index<'a>,
    svc: &'a StorageSyncService,
    group: &'a crate::model::snapshot::SyncGroup,
) -> Vec<SyncPrincipal<'a>> {
    let mut out = Vec::new();
    if let Some(p) = svc.system_principal_id() {
        out.push(SyncPrincipal { id: p, who: "the Storage Sync Service's identity".into(), share_code: "0x80c86053" });
    }
    for ep in &group.server_endpoints {
        let Some(server) = ix.server_of(svc, ep) else { continue };
        let members = if server.is_cluster_name() { ix.cluster_nodes(svc, server) } else { vec![server] };
        for m in members {
            if let Some(id) = m.any_identity() {
                if !out.iter().any(|p: &SyncPrincipal| p.id.eq_ignore_ascii_case(id)) {
                    out.push(SyncPrincipal {
                        id,
                        who: format!("the identity of server '{}'", m.display_name()),
                        share_code: "0x80c86063",
                    });
                }
            }
        }
    }
    out
}

pub(super) fn wrong_share_scope(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::ROLE_WRONG_SHARE_SCOPE;
    let role = roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR;
    let mut out = Vec::new();
    for (svc, group, c) in ix.cloud_endpoints() {
        let name = format!("{} (sync group {})", c.share().unwrap_or(&c.name), group.name);
        let base = Finding::new(check, Status::Pass, &c.id, &name, "");
        let (Some(account), Some(share)) = (ix.cloud_account(c), c.share()) else {
            out.push(
                Finding {
                    status: Status::Unknown,
                    message: Text::fixed("The cloud endpoint names no usable share."),
                    ..base
                }
                .because("cloud endpoint is incomplete"),
            );
            continue;
        };
        let Some(right) = ix.cloud_share_scope(c) else { continue };
        if !ix.account(&account).is_some_and(|a| a.role_assignments_read) {
            out.push(
                Finding {
                    status: Status::Unknown,
                    message: Text::fixed("Could not look for assignments at the wrong share scope: the account's role assignments could not be read."),
                    ..base
                }
                .because("role assignments of the storage account were not read (see collection.read)"),
            );
            continue;
        }
        let at_share_id = ix.assignments_at_share_resource_id(&account, share);
        let principals = if at_share_id.is_empty() { Vec::new() } else { share_principals(ix, svc, group) };
        let mut found = false;
        for ra in at_share_id {
            if !roles::GRANTABLE.iter().any(|r| ra.has_role(r.guid)) {
                continue;
            }
            let Some(p) = principals.iter().find(|p| p.id.eq_ignore_ascii_case(&ra.principal_id)) else { continue };
            found = true;
            let effective = matches!(ix.role_state(p.id, role.guid, &right, &account), RoleState::Effective(_));
            let role_name = roles::display_name(&ra.role_definition_id);
            let f = Finding::new(check, Status::Fail, &c.id, &name, "")
                .principal(p.id)
                .role(ra.role_definition_id.clone())
                .scope(right.as_str())
                .evidence("assignmentId", &ra.id)
                .evidence("assignmentScope", ra.scope.as_str());
            let command = format!(
                "Remove-AzRoleAssignment -ObjectId {} -RoleDefinitionName {} -Scope {}; {}",
                ps_quote(p.id),
                ps_quote(&role_name),
                ps_quote(ra.scope.as_str()),
                grant_command(p.id, role, right.as_str())
            );
            let f = if effective {
                Finding {
                    status: Status::Warning,
                    message: format!(
                        "{} also holds {role_name} at the share's ARM resource id ({}), which File Sync does not honour; a valid assignment exists too, so this one only misleads.",
                        capitalize(&p.who),
                        ra.scope
                    ).into(),
                    ..f
                }
                .fix("Delete the assignment at '.../shares/<share>'; the one that counts stays.", Some(format!(
                    "Remove-AzRoleAssignment -ObjectId {} -RoleDefinitionName {} -Scope {}",
                    ps_quote(p.id),
                    ps_quote(&role_name),
                    ps_quote(ra.scope.as_str())
                )))
            } else {
                Finding {
                    message: format!(
                        "{} holds {role_name} at the share's ARM resource id ({}) instead of '.../fileServices/default/fileshares/{share}'; File Sync does not count it, so sync fails with {}.",
                        capitalize(&p.who),
                        ra.scope,
                        p.share_code
                    ).into(),
                    ..f.codes(&[p.share_code])
                }
                .fix(
                    format!("Delete the assignment at the share's ARM id and create it at the scope File Sync uses ({}).", describe_scope(&right)),
                    Some(command),
                )
            };
            out.push(f);
        }
        if !found {
            out.push(Finding {
                message: "No File Sync identity holds a role at the share's ARM resource id ('.../shares/<share>')."
                    .into(),
                ..base
            });
        }
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

/// Does the deny assignment apply to `principal`?
fn denies_principal(d: &DenyAssignment, principal: &str) -> bool {
    let named = d.principals.iter().any(|p| p.eq_ignore_ascii_case(principal) || p == EVERYONE);
    named && !d.exclude_principals.iter().any(|p| p.eq_ignore_ascii_case(principal))
}

/// The first of `actions` the deny assignment blocks.
fn blocked<'a>(d: &DenyAssignment, actions: &[&'a str], data: bool) -> Option<&'a str> {
    let (deny, except) = if data { (&d.data_actions, &d.not_data_actions) } else { (&d.actions, &d.not_actions) };
    actions.iter().copied().find(|a| any_matches(deny, a) && !any_matches(except, a))
}

const ACCOUNT_ACTIONS: &[&str] = &[
    "Microsoft.Storage/storageAccounts/read",
    "Microsoft.Storage/storageAccounts/write",
    "Microsoft.Storage/storageAccounts/listKeys/action",
];
const FILE_DATA_ACTIONS: &[&str] = &[
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read",
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/write",
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/delete",
    "Microsoft.Storage/storageAccounts/fileServices/fileshares/files/modifypermissions/action",
];

/// What a role File Sync holds lets its principal do, and the code its loss gives.
struct Grant {
    principal: String,
    who: String,
    role: BuiltInRole,
    scope: ResourceId,
    actions: &'static [&'static str],
    data: bool,
    code: &'static str,
}

pub(super) fn deny_assignment(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::ROLE_DENY_ASSIGNMENT;
    let mut out = Vec::new();
    for (svc, group, c) in ix.cloud_endpoints() {
        let name = format!("{} (sync group {})", c.share().unwrap_or(&c.name), group.name);
        let base = Finding::new(check, Status::Pass, &c.id, &name, "");
        let (Some(account_id), Some(share)) = (ix.cloud_account(c), c.share()) else { continue };
        let Some(share_scope) = ix.cloud_share_scope(c) else { continue };
        let Some(account) = ix.account(&account_id) else { continue };
        // Only deny assignments at, above or below the account can matter (most deployments have none).
        let any_deny =
            ix.snapshot.deny_assignments.iter().any(|d| d.scope.contains(&account_id) || account_id.contains(&d.scope));
        // What each present role gives File Sync.
        let mut grants: Vec<Grant> = Vec::new();
        let grant = |principal: &str, who: &str, role, scope: &ResourceId, data: bool, code| Grant {
            principal: principal.to_string(),
            who: who.to_string(),
            role,
            scope: scope.clone(),
            actions: if data { FILE_DATA_ACTIONS } else { ACCOUNT_ACTIONS },
            data,
            code,
        };
        if let Some(p) = svc.system_principal_id().filter(|_| any_deny) {
            let who = "the Storage Sync Service's identity";
            grants.push(grant(p, who, roles::STORAGE_ACCOUNT_CONTRIBUTOR, &account_id, false, "0x80c8305f"));
            grants.push(grant(
                p,
                who,
                roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
                &share_scope,
                true,
                "0x80c86053",
            ));
        }
        let principals = if any_deny { share_principals(ix, svc, group) } else { Vec::new() };
        for p in principals.into_iter().filter(|p| p.share_code == "0x80c86063") {
            grants.push(grant(
                p.id,
                &p.who,
                roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
                &share_scope,
                true,
                "0x80c86063",
            ));
        }
        if any_deny && !ix.key_users(&account_id).is_empty() {
            if let Some(p) = ix.snapshot.storage_sync_principal_id.as_deref() {
                grants.push(grant(
                    p,
                    "Microsoft.StorageSync",
                    roles::READER_AND_DATA_ACCESS,
                    &account_id,
                    false,
                    "0x80c8305f",
                ));
            }
        }
        let mut found = false;
        for Grant { principal, who, role, scope, actions, data, code } in &grants {
            if !matches!(ix.role_state(principal, role.guid, scope, &account_id), RoleState::Effective(_)) {
                continue;
            }
            for d in &ix.snapshot.deny_assignments {
                let covers = d.scope.contains(scope)
                    || parse_share_scope(&d.scope)
                        .is_some_and(|(a, s, _)| a == account_id && s.eq_ignore_ascii_case(share) && *data);
                if !covers || !denies_principal(d, principal) {
                    continue;
                }
                let Some(action) = blocked(d, actions, *data) else { continue };
                found = true;
                let dname = if d.name.is_empty() { d.id.clone() } else { d.name.clone() };
                out.push(
                    Finding {
                        status: Status::Fail,
                        message: format!(
                            "Deny assignment '{dname}' at {} blocks {action} for {who}, cancelling its {}; sync fails with {code}.",
                            describe_scope(&d.scope),
                            role.name
                        ).into(),
                        ..base.clone().principal(principal.as_str()).scope(scope).codes(&[code])
                    }
                    .evidence("denyAssignmentId", &d.id)
                    .evidence("deniedAction", action)
                    .fix(
                        "Deny assignments cannot be edited directly: change what created it (a managed application, a deployment stack's deny settings or a blueprint) so it excludes this identity or these actions.",
                        Some(format!("Get-AzDenyAssignment -Id {}", ps_quote(&d.id))),
                    ),
                );
            }
        }
        if found {
            continue;
        }
        let unread = ix
            .snapshot
            .collection_errors
            .iter()
            .any(|e| e.operation == "denyAssignments" && e.resource_id.eq_ignore_ascii_case(account.id.as_str()));
        out.push(if unread {
            Finding {
                status: Status::Unknown,
                message: Text::fixed("Could not tell whether a deny assignment cancels a File Sync role: deny assignments could not be read."),
                ..base
            }
            .because("deny assignments of the storage account could not be read (see collection.read)")
        } else {
            Finding { message: Text::fixed("No deny assignment cancels a role File Sync holds on this share or its account."), ..base }
        });
    }
    out
}

fn same_tenant(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

pub(super) fn tenant(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::IDENTITY_TENANT;
    let caller_tenant = ix.snapshot.caller.as_ref().and_then(|c| c.tenant_id.as_deref()).filter(|t| !is_zero_guid(t));
    ix.snapshot
        .services
        .iter()
        .map(|svc| {
            // (what, tenant)
            let mut seen: Vec<(String, String)> = Vec::new();
            if let Some(t) = svc.identity.as_ref().and_then(|i| i.tenant_id.as_deref()).filter(|t| !is_zero_guid(t)) {
                seen.push(("the Storage Sync Service's identity".into(), t.to_string()));
            }
            // The server resources (Arc machines, VMs) where their machines were read.
            for s in &svc.registered_servers {
                if let Some(t) = s.machine.as_ref().and_then(|m| m.machine_tenant_id.as_deref()) {
                    seen.push((format!("the machine of server '{}'", s.display_name()), t.to_string()));
                }
            }
            for g in &svc.sync_groups {
                for c in &g.cloud_endpoints {
                    if let Some(t) = c.storage_account_tenant_id.as_deref().filter(|t| !is_zero_guid(t)) {
                        let what = format!(
                            "storage account '{}' (cloud endpoint of sync group {})",
                            ix.cloud_account(c).and_then(|a| a.name().map(str::to_string)).unwrap_or_else(|| c.name.clone()),
                            g.name
                        );
                        seen.push((what, t.to_string()));
                    }
                }
            }
            let f = Finding::new(check, Status::Pass, &svc.id, &svc.name, "")
                .evidence("tenants", seen.iter().map(|(w, t)| format!("{w}: {t}")).collect::<Vec<_>>())
                .evidence("callerTenant", caller_tenant);
            let Some((_, first)) = seen.first() else {
                return Finding {
                    status: Status::Unknown,
                    message: Text::fixed("No tenant is known for the service's identity or its storage accounts."),
                    ..f
                }
                .because("identity.tenantId and storageAccountTenantId are absent");
            };
            let odd: Vec<&(String, String)> = seen.iter().filter(|(_, t)| !same_tenant(t, first)).collect();
            // Cross-tenant is unsupported for managed identities only: the managed identity article says the
            // service, the server resource (Arc machine or VM), the identity and the role assignments must be in
            // one tenant (https://learn.microsoft.com/azure/storage/file-sync/file-sync-managed-identities).
            // With keys it may still sync, but the resource move article (azure-docs file-sync-resource-move.md,
            // 08/2026) calls File Sync across tenants unsupported (sync can stop): a warning that says so.
            let identity_mode = svc.use_identity || svc.registered_servers.iter().any(|s| s.uses_managed_identity());
            if !odd.is_empty() {
                let list = seen.iter().map(|(w, t)| format!("{w} is in {t}")).collect::<Vec<_>>().join("; ");
                let f = f.evidence("identityMode", identity_mode);
                if !identity_mode {
                    return Finding {
                        status: Status::Warning,
                        message: format!("The deployment spans more than one Entra tenant ({list}). It syncs with storage account keys for now, but Microsoft's resource move article (08/2026) calls File Sync across tenants unsupported: sync can stop at any time. Managed identities need one tenant too, so switching this service to them would fail.").into(),
                        ..f
                    }
                    .fix(
                        "Bring the Storage Sync Service, the servers' Arc machines or VMs and the storage accounts into one tenant (for example create the cloud endpoint on an account in the service's tenant); only then switch to managed identities.",
                        None,
                    );
                }
                return Finding {
                    status: Status::Fail,
                    message: format!("The deployment spans more than one Entra tenant ({list}); File Sync does not support managed identities across tenants.").into(),
                    ..f.codes(&["0x80c83079", "0x80c83088"])
                }
                .fix(
                    "Keep the Storage Sync Service, its servers' Arc machines or VMs (their identities) and the storage accounts in one tenant: move the storage account's subscription back, or create the cloud endpoint on an account in the service's tenant.",
                    None,
                );
            }
            if let Some(ct) = caller_tenant.filter(|ct| !same_tenant(ct, first)) {
                return Finding {
                    status: Status::Warning,
                    message: format!(
                        "The deployment is in tenant {first}, but the signed-in identity's token is for tenant {ct}: role assignments made from here may name principals of the wrong tenant."
                    ).into(),
                    ..f
                }
                .fix("Sign in to the deployment's tenant and run again.", Some(format!("Connect-AzAccount -Tenant {}", ps_quote(first))));
            }
            Finding {
                message: format!("The service's identity and its storage accounts are in one tenant ({first}).").into(),
                ..f
            }
        })
        .collect()
}

/// Is the principal type in a listing one that says the principal was deleted (or never resolved)?
fn deleted_type(ra: &RoleAssignment) -> bool {
    ra.principal_type.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("Unknown"))
}

pub(super) fn identity_drift(ix: &Index, _ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::SERVER_IDENTITY_DRIFT;
    let snap = ix.snapshot;
    // Every principal this deployment knows.
    let mut known: Vec<&str> = Vec::new();
    for svc in &snap.services {
        known.extend(svc.system_principal_id());
        known.extend(svc.registered_servers.iter().filter_map(|s| s.any_identity()));
    }
    known.extend(snap.storage_sync_principal_id.as_deref());
    known.extend(snap.caller.as_ref().and_then(|c| c.object_id.as_deref()));
    let known: std::collections::HashSet<String> = known.iter().map(|k| k.to_ascii_lowercase()).collect();
    let is_known = |p: &str| known.contains(&p.to_ascii_lowercase());
    let referenced = ix.referenced_accounts();
    let share_role = roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR;
    let mut out = Vec::new();
    let mut attributed: Vec<&str> = Vec::new();
    for svc in &snap.services {
        for server in &svc.registered_servers {
            let f = Finding::new(check, Status::Pass, &server.id, server.display_name(), "");
            let (f, id) = match super::server_identity_or_skip(
                f,
                server,
                "A failover cluster's name object has no identity of its own; its nodes are checked.",
            ) {
                Ok(checked) => checked,
                Err(skipped) => {
                    out.push(*skipped);
                    continue;
                }
            };
            let shares = ix.server_shares(svc, server);
            if shares.is_empty() {
                out.push(Finding {
                    status: Status::NotApplicable,
                    message: Text::fixed("The server has no server endpoint, so no share to reach."),
                    ..f
                });
                continue;
            }
            if shares.iter().any(|(acct, _)| !ix.account(acct).is_some_and(|a| a.role_assignments_read)) {
                out.push(Finding {
                    status: Status::Unknown,
                    message: Text::fixed("Could not look for a replaced identity: the role assignments of the server's storage accounts could not be read."),
                    ..f
                }
                .because("role assignments of the storage account were not read (see collection.read)"));
                continue;
            }
            let bad = if server.uses_managed_identity() && svc.use_identity { Status::Fail } else { Status::Warning };
            let naming: &[&RoleAssignment] = ix.assignments_of(id);
            if !naming.is_empty() && naming.iter().all(|ra| deleted_type(ra)) {
                out.push(
                    Finding {
                        status: bad,
                        message: format!(
                            "The identity the server reports ({id}) no longer exists: ARM lists its role assignments with no principal type, as it does for deleted principals. The server's identity was removed or reset."
                        ).into(),
                        ..f.codes(&["0x80c83079", "0x80c86063"])
                    }
                    .evidence("orphanedAssignments", naming.iter().map(|ra| ra.id.clone()).collect::<Vec<_>>())
                    .fix(
                        "Give the server a system-assigned identity again (Azure Arc: azcmagent connect; Azure VM: turn the identity on), wait for the agent to report it, then grant its share role and delete the orphaned assignments.",
                        None,
                    ),
                );
                continue;
            }
            if naming.is_empty() {
                // An assignment of the share role to a principal nobody in this deployment uses, on a share
                // this server syncs: most likely the server's former identity.
                // People and groups often hold the role too; only service principals (or deleted ones) can
                // be a former server identity.
                let orphans: Vec<&RoleAssignment> = snap
                    .role_assignments
                    .iter()
                    .filter(|ra| ra.has_role(share_role.guid) && !is_known(&ra.principal_id))
                    .filter(|ra| {
                        deleted_type(ra)
                            || ra.principal_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("ServicePrincipal"))
                    })
                    .filter(|ra| {
                        parse_share_scope(&ra.scope).is_some_and(|(a, s, _)| {
                            shares.iter().any(|(acct, share)| &a == acct && s.eq_ignore_ascii_case(share))
                        })
                    })
                    .collect();
                if !orphans.is_empty() {
                    attributed.extend(orphans.iter().map(|ra| ra.id.as_str()));
                    let (acct, share) = &shares[0];
                    let scope = file_share_scope(acct, share).map(|s| s.to_string()).unwrap_or_default();
                    let old = orphans.iter().map(|ra| ra.principal_id.clone()).collect::<Vec<_>>();
                    out.push(
                        Finding {
                            status: bad,
                            message: format!(
                                "The server's identity looks replaced: it now reports {id}, which no role assignment names, while its share grants {} to {} — an identity no server or service here uses, most likely the server's former one (identity reset or server re-created).",
                                share_role.name,
                                old.join(", ")
                            ).into(),
                            ..f.codes(&["0x80c83079", "0x80c86063"]).scope(scope.as_str())
                        }
                        .evidence("formerPrincipals", &old)
                        .evidence("orphanedAssignments", orphans.iter().map(|ra| ra.id.clone()).collect::<Vec<_>>())
                        .fix(
                            "Grant the server's current identity its share role, then delete the assignments of the former identity.",
                            Some(grant_command(id, share_role, &scope)),
                        ),
                    );
                    continue;
                }
            }
            out.push(Finding {
                message: format!("Nothing suggests the server's identity ({id}) was replaced or deleted.").into(),
                ..f
            });
        }
    }
    // Other assignments of File Sync roles that name deleted principals.
    for ra in &snap.role_assignments {
        if !deleted_type(ra) || attributed.contains(&ra.id.as_str()) || is_known(&ra.principal_id) {
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
                check,
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
