//! `caller.*`: whether the signed-in identity can carry out a repair.

use super::check::CheckContext;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::grant_command;
use crate::model::rbac::permits;
use crate::model::resource_id::ResourceId;
use crate::model::roles::{self, BuiltInRole};
use crate::model::snapshot::RoleAssignment;

declare_checks! {
    CALLER_CAN_REPAIR = "caller.can-repair" {
        title: "The signed-in identity can grant the roles a repair needs",
        description: "A repair writes role assignments: the caller needs Microsoft.Authorization/roleAssignments/write on each storage account (Owner, User Access Administrator, Role Based Access Control Administrator, or Azure File Sync Administrator, whose condition allows exactly the File Sync roles).",
        error_codes: &[],
        run: caller_can_repair,
    }
}

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
