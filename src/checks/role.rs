//! `role.*`: role assignments that look right but do not count: at the share's ARM resource id instead of
//! the scope File Sync honours, or cancelled by a deny assignment.

use super::check::CheckContext;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::{Index, RoleState};
use crate::model::phrases::{capitalize, describe_scope, grant_command, ps_quote};
use crate::model::rbac::any_matches;
use crate::model::resource_id::{parse_share_scope, ResourceId};
use crate::model::roles::{self, BuiltInRole};
use crate::model::snapshot::{DenyAssignment, StorageSyncService};

declare_checks! {
    ROLE_WRONG_SHARE_SCOPE = "role.wrong-share-scope" {
        title: "No File Sync role sits at the share's ARM resource id",
        description: "A role assignment at .../fileServices/default/shares/<share> (the share's ARM id, what Bicep 'scope: share' produces) is not honoured by File Sync; it must be at .../fileServices/default/fileshares/<share>.",
        error_codes: &["0x80c86053", "0x80c86063"],
        run: wrong_share_scope,
    }
    ROLE_DENY_ASSIGNMENT = "role.deny-assignment" {
        title: "No deny assignment cancels a File Sync role",
        description: "A deny assignment that covers the storage account or share and names a File Sync identity (or everyone, without excluding it) blocks what its roles grant (account write and listKeys, file data actions).",
        error_codes: &["0x80c8305f", "0x80c86053", "0x80c86063"],
        run: deny_assignment,
    }
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
