//! `server-endpoint.*`: the share role each server with a server endpoint needs, for its own identity (for
//! a failover cluster: every node's).

use super::check::CheckContext;
use super::shared::grant::{append_fix, judge};
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::ps_quote;
use crate::model::roles;
use crate::model::snapshot::{RegisteredServer, ServerEndpoint, StorageSyncService, SyncGroup};

declare_checks! {
    SERVER_ENDPOINT_SERVER_SHARE_ROLE = "server-endpoint.server-share-role" {
        title: "Server identity holds Storage File Data Privileged Contributor on the share",
        description: "Each server with a server endpoint in a sync group needs Storage File Data Privileged Contributor on the sync group's share, for its own identity (for a failover cluster: every node's identity).",
        error_codes: &["0x80c86063", "0x80190193"],
        run: server_share_role,
    }
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
            out.push(super::shared::pending::soften(
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
