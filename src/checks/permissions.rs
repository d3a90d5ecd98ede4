//! Role assignments the identities need.

use crate::model::check_id::CheckId;
use std::fmt::Write as _;

use super::{ps_quote, CheckContext, Index, RoleState};
use crate::model::findings::{Finding, Status, Text};
use crate::model::resource_id::ResourceId;
use crate::model::roles::{self, BuiltInRole};
use crate::model::snapshot::{CloudEndpoint, RegisteredServer, ServerEndpoint, StorageSyncService, SyncGroup};

/// The command that grants a role.
pub(crate) fn grant_command(principal: &str, role: BuiltInRole, scope: &str) -> String {
    format!(
        "New-AzRoleAssignment -ObjectId {} -RoleDefinitionName {} -Scope {}",
        ps_quote(principal),
        ps_quote(role.name),
        ps_quote(scope)
    )
}

/// "share 'x' of storage account 'y'" or "storage account 'y'".
pub(crate) fn describe_scope(scope: &ResourceId) -> String {
    let mut out = String::new();
    push_scope(&mut out, scope);
    out
}

/// [`describe_scope`], appended to `out`.
fn push_scope(out: &mut String, scope: &ResourceId) {
    if let Some((account, share, _)) = crate::model::resource_id::share_scope_names(scope) {
        let _ = write!(out, "share '{share}' of storage account '{account}'");
    } else if scope.is_storage_account() {
        let _ = write!(out, "storage account '{}'", scope.name().unwrap_or_default());
    } else {
        out.push_str(scope.as_str());
    }
}

fn capitalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_capitalized(&mut out, s);
    out
}

fn push_capitalized(out: &mut String, s: &str) {
    let mut c = s.chars();
    if let Some(f) = c.next() {
        out.extend(f.to_uppercase());
        out.push_str(c.as_str());
    }
}

/// Judge one (principal, role, scope). `required` says whether its absence breaks sync now (fail) or only
/// after a switch that has not happened yet (warning).
#[allow(clippy::too_many_arguments)]
fn judge(
    ix: &Index,
    check: CheckId,
    resource_id: &ResourceId,
    resource_name: &Text,
    who: &str,
    principal: &str,
    role: BuiltInRole,
    scope: &ResourceId,
    account: &ResourceId,
    required: bool,
    codes: &[&'static str],
) -> Finding {
    let subscription = account.subscription_id().unwrap_or_default();
    let f = Finding::new(check, Status::Pass, resource_id, resource_name, Text::default())
        .principal(principal)
        .role(ix.role_definition_id(subscription, role))
        .scope(scope);
    match ix.role_state(principal, role.guid, scope, account) {
        RoleState::Effective(ra) => {
            // The most common finding of a large estate: written in one go.
            let mut message = String::with_capacity(who.len() + role.name.len() + 160);
            push_capitalized(&mut message, who);
            let _ = write!(message, " holds {} on ", role.name);
            push_scope(&mut message, scope);
            message.push_str(" (assigned at ");
            push_scope(&mut message, &ra.scope);
            message.push_str(").");
            Finding {
                message: message.into(),
                ..f.evidence_text("assignmentId", &ra.id).evidence_text("assignmentScope", &ra.scope)
            }
        }
        RoleState::NotRead => Finding {
            status: Status::Unknown,
            message: format!(
                "Could not tell whether {who} holds {}: the storage account's role assignments could not be read.",
                role.name
            )
            .into(),
            ..f
        }
        .because("role assignments of the storage account were not read (see collection.read)"),
        state => {
            let wrong = if let RoleState::WrongShareScope(ra) = state { Some(ra) } else { None };
            let mut msg = if required {
                format!(
                    "{} lacks {} on {}; sync fails with {}.",
                    capitalize(who),
                    role.name,
                    describe_scope(scope),
                    codes.join(" / ")
                )
            } else {
                format!(
                    "{} lacks {} on {}; it will be needed once identity mode is switched on.",
                    capitalize(who),
                    role.name,
                    describe_scope(scope)
                )
            };
            if let Some(ra) = wrong {
                msg.push_str(&format!(
                    " An assignment exists at the share's ARM resource id ({}), but File Sync only honours the '.../fileServices/default/fileshares/<share>' scope.",
                    ra.scope
                ));
            }
            let mut f = Finding {
                status: if required { Status::Fail } else { Status::Warning },
                message: msg.into(),
                ..f.codes(codes)
            };
            if let Some(ra) = wrong {
                f = f.evidence("wrongScopeAssignmentId", &ra.id);
            }
            f.fix(
                format!(
                    "Assign {} to {who} at {} (filesync-identity repair grants every missing role).",
                    role.name,
                    describe_scope(scope)
                ),
                Some(grant_command(principal, role, scope.as_str())),
            )
        }
    }
}

fn endpoint_name(c: &CloudEndpoint, group: &SyncGroup) -> String {
    match c.share() {
        Some(s) => format!("{} (sync group {})", s, group.name),
        None => format!("cloud endpoint {} (sync group {})", c.name, group.name),
    }
}

/// Shared frame for the two service-identity checks.
fn service_role_check(
    ix: &Index,
    ctx: &CheckContext,
    check: CheckId,
    role: BuiltInRole,
    share_scope: bool,
    codes: &[&'static str],
) -> Vec<Finding> {
    ix.cloud_endpoints()
        .map(|(svc, group, c)| {
            let name = Text::from(endpoint_name(c, group));
            let base = Finding::new(check, Status::NotApplicable, &c.id, &name, Text::default());
            let Some(principal) = svc.system_principal_id() else {
                return Finding {
                    message: Text::fixed(
                        "The Storage Sync Service has no identity to hold the role (see service.identity).",
                    ),
                    ..base
                };
            };
            let Some(account) = ix.cloud_account(c) else {
                return Finding {
                    status: Status::Unknown,
                    message: format!(
                        "The cloud endpoint names no usable storage account ('{}').",
                        c.storage_account_resource_id.as_deref().unwrap_or("")
                    )
                    .into(),
                    ..base
                }
                .because("storageAccountResourceId is empty or malformed");
            };
            let scope = if share_scope {
                match ix.cloud_share_scope(c) {
                    Some(s) => s,
                    None => {
                        return Finding {
                            status: Status::Unknown,
                            message: Text::fixed("The cloud endpoint names no usable file share."),
                            ..base
                        }
                        .because("azureFileShareName is empty or malformed")
                    }
                }
            } else {
                account.clone()
            };
            let f = judge(
                ix,
                check,
                &c.id,
                &name,
                "the Storage Sync Service's identity",
                principal,
                role,
                &scope,
                &account,
                svc.use_identity,
                codes,
            );
            let f = if matches!(f.status, Status::Fail | Status::Warning) {
                let mut extra = format!(
                    "The managed identity troubleshooting article (04/2025) gives the same fix as Set-AzStorageSyncCloudEndpointPermission -ResourceGroupName {} -StorageSyncServiceName {} -SyncGroupName {} -Name {} (the cloud endpoint's GUID name).",
                    ps_quote(svc.id.resource_group().unwrap_or_default()),
                    ps_quote(&svc.name),
                    ps_quote(&group.name),
                    ps_quote(&c.name)
                );
                if svc.use_identity && ix.assignments_of(principal).is_empty() {
                    extra.push_str(" The service's identity holds no role at all while everything else is in place, as after a resource move (role assignments do not move, even within a tenant; resource move article, 08/2026): the documented step is to turn the identity on again (Set-AzStorageSyncServiceIdentity) and grant the roles again, which a repair plan does.");
                }
                append_fix(f, &extra)
            } else {
                f
            };
            super::pending::soften(ctx, svc, f)
        })
        .collect()
}

pub(super) fn service_account_role(ix: &Index, ctx: &CheckContext) -> Vec<Finding> {
    service_role_check(
        ix,
        ctx,
        CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE,
        roles::STORAGE_ACCOUNT_CONTRIBUTOR,
        false,
        &["0x80c8305f"],
    )
}

pub(super) fn service_share_role(ix: &Index, ctx: &CheckContext) -> Vec<Finding> {
    service_role_check(
        ix,
        ctx,
        CheckId::CLOUD_ENDPOINT_SERVICE_SHARE_ROLE,
        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        true,
        &["0x80c86053"],
    )
}

/// The identities that must hold the share role for a server endpoint's server, with whether each is in
/// use now: the server's own, or for a cluster name object every node's.
fn identities_for<'a>(
    ix: &Index<'a>,
    svc: &'a StorageSyncService,
    server: &'a RegisteredServer,
) -> Vec<(&'a RegisteredServer, &'a str, bool)> {
    let members = if server.is_cluster_name() { ix.cluster_nodes(svc, server) } else { vec![server] };
    members.into_iter().filter_map(|s| s.any_identity().map(|id| (s, id, s.uses_managed_identity()))).collect()
}

pub(super) fn server_share_role(ix: &Index, ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::SERVER_ENDPOINT_SERVER_SHARE_ROLE;
    let role = roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR;
    let mut out = Vec::with_capacity(ix.server_endpoints().len());
    let mut who_cache: std::collections::HashMap<(usize, bool), String> = std::collections::HashMap::new();
    for e in ix.server_endpoints() {
        let (svc, group, ep, server, name) = (e.service, e.group, e.endpoint, e.server, &e.label);
        let base = Finding::new(check, Status::NotApplicable, &ep.id, name, Text::default());
        let Some(server) = server else {
            out.push(
                Finding {
                    status: Status::Unknown,
                    message: Text::fixed("The server endpoint's registered server was not found."),
                    ..base
                }
                .because("serverResourceId matches no registered server"),
            );
            continue;
        };
        let Some(cloud) = group.cloud_endpoints.first() else {
            out.push(Finding {
                message: Text::fixed("The sync group has no cloud endpoint, so there is no share to reach."),
                ..base
            });
            continue;
        };
        let (Some(account), Some(share)) = (ix.cloud_account(cloud), cloud.share()) else {
            out.push(
                Finding {
                    status: Status::Unknown,
                    message: Text::fixed("The sync group's cloud endpoint names no usable storage account or share."),
                    ..base
                }
                .because("cloud endpoint is incomplete"),
            );
            continue;
        };
        let Some(scope) = ix.cloud_share_scope(cloud) else {
            out.push(
                Finding {
                    status: Status::Unknown,
                    message: format!("The share name '{share}' is not usable.").into(),
                    ..base
                }
                .because("share name is malformed"),
            );
            continue;
        };
        let identities = identities_for(ix, svc, server);
        if identities.is_empty() {
            let msg = if server.is_cluster_name() {
                "No node of this failover cluster has a managed identity yet, so there is nothing to grant (see server.identity)."
            } else {
                "The server has no managed identity yet, so it syncs with keys and needs no role (see server.identity)."
            };
            out.push(Finding { message: msg.into(), ..base });
            continue;
        }
        for (member, principal, in_use) in identities {
            // A server has many endpoints: name its identity once.
            let who =
                who_cache.entry((std::ptr::from_ref(member) as usize, server.is_cluster_name())).or_insert_with(|| {
                    if server.is_cluster_name() {
                        format!("the identity of cluster node '{}'", member.display_name())
                    } else {
                        format!("the identity of server '{}'", member.display_name())
                    }
                });
            let who = who.as_str();
            out.push(super::pending::soften(
                ctx,
                svc,
                with_endpoint_cmdlet(
                    svc,
                    group,
                    ep,
                    judge(
                        ix,
                        check,
                        &ep.id,
                        name,
                        who,
                        principal,
                        role,
                        &scope,
                        &account,
                        in_use && svc.use_identity,
                        &["0x80c86063", "0x80190193"],
                    )
                    .evidence_text("server", member.display_name())
                    .evidence_text_or_null("activeAuthType", member.active_auth_type.as_deref().map(auth_type_text)),
                ),
            ));
        }
    }
    out
}

/// Add a sentence to a finding's remediation.
fn append_fix(f: Finding, extra: &str) -> Finding {
    let remediation = match &f.remediation {
        Some(r) => format!("{r} {extra}"),
        None => extra.to_string(),
    };
    Finding { remediation: Some(remediation.into()), ..f }
}

/// A server share role finding to fix also names the cmdlet the managed identity troubleshooting article
/// (SupportArticles-docs `file-sync-troubleshoot-managed-identities.md`, 04/2025) gives for it, with the
/// server endpoint's GUID name filled in.
fn with_endpoint_cmdlet(svc: &StorageSyncService, group: &SyncGroup, ep: &ServerEndpoint, f: Finding) -> Finding {
    if !matches!(f.status, Status::Fail | Status::Warning) {
        return f;
    }
    let extra = format!(
        "The managed identity troubleshooting article (04/2025) gives the same fix as Set-AzStorageSyncServerEndpointPermission -ResourceGroupName {} -StorageSyncServiceName {} -SyncGroupName {} -Name {} (the server endpoint's GUID name).",
        ps_quote(svc.id.resource_group().unwrap_or_default()),
        ps_quote(&svc.name),
        ps_quote(&group.name),
        ps_quote(&ep.name)
    );
    append_fix(f, &extra)
}

/// A server's activeAuthType as evidence: the values File Sync reports are fixed wording.
fn auth_type_text(value: &str) -> Text {
    ["ManagedIdentity", "Certificate"]
        .into_iter()
        .find(|k| *k == value)
        .map(Text::fixed)
        .unwrap_or_else(|| value.into())
}
