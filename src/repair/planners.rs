//! The two planners: `repair` (a change per failing or warning finding that a change can fix, a manual
//! step for the rest) and `enable-identity` (the switch of a whole service to managed identities). Both
//! are pure: a snapshot (and findings) in, a [`Plan`] out. [`make`] is the entry point: it runs the checks
//! a repair plan needs and picks the planner.

use super::basis::basis_for;
use super::plan::*;
use crate::model::api_versions;
use crate::model::check_id::CheckId;
use crate::model::findings::{Finding, Status};
use crate::model::index::{Index, RoleState};
use crate::model::phrases::{describe_scope, ps_quote};
use crate::model::principal::PrincipalId;
use crate::model::resource_id::{file_share_scope, ResourceId};
use crate::model::roles::{self, BuiltInRole};
use crate::model::snapshot::{RegisteredServer, Snapshot, StorageSyncService, SyncGroup};
use chrono::Utc;
use std::collections::BTreeMap;

/// Make a plan of `kind` from a snapshot (for `repair`, the checks run first).
pub fn make(snapshot: &Snapshot, kind: PlanKind, options: PlanOptions) -> Plan {
    match kind {
        PlanKind::Repair => {
            let findings = crate::checks::run(
                snapshot,
                &crate::checks::CheckContext::at(snapshot.collected_at),
                &crate::checks::Selection::default(),
            );
            plan_repair_with(snapshot, &findings, options)
        }
        PlanKind::EnableIdentity => plan_enable_identity(snapshot),
    }
}

struct Builder<'a> {
    snapshot: &'a Snapshot,
    changes: Vec<Change>,
    manual: Vec<ManualStep>,
    notes: Vec<String>,
    unchanged: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(snapshot: &'a Snapshot) -> Self {
        Builder { snapshot, changes: Vec::new(), manual: Vec::new(), notes: Vec::new(), unchanged: Vec::new() }
    }

    fn push(&mut self, change: Change) -> String {
        if let Some(existing) = self.changes.iter_mut().find(|c| c.id == change.id) {
            for r in change.reasons {
                if !existing.reasons.contains(&r) {
                    existing.reasons.push(r);
                }
            }
            for d in change.depends_on {
                if !existing.depends_on.contains(&d) {
                    existing.depends_on.push(d);
                }
            }
            return existing.id.clone();
        }
        let id = change.id.clone();
        self.changes.push(change);
        id
    }

    fn manual(&mut self, step: ManualStep) {
        if !self.manual.contains(&step) {
            self.manual.push(step);
        }
    }

    fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// A role assignment change. `principal` None: the service identity created by `principal_from`.
    #[allow(clippy::too_many_arguments)]
    fn grant(
        &mut self,
        scope: &ResourceId,
        role: BuiltInRole,
        principal: Option<&PrincipalId>,
        principal_from: Option<&str>,
        who: &str,
        reason: Reason,
        depends_on: Vec<String>,
    ) -> Option<String> {
        if !allowed_scope(scope) || grantable(role.guid).is_none() {
            return None;
        }
        let key_principal =
            principal.map(PrincipalId::to_string).unwrap_or_else(|| format!("from:{}", principal_from.unwrap_or("")));
        let id = change_id(
            ChangeKind::RoleAssignment,
            &format!("{}|{}|{}", scope.as_str().to_ascii_lowercase(), key_principal.to_ascii_lowercase(), role.guid),
        );
        let (name, body_principal) = match principal {
            Some(p) => (assignment_name(scope.as_str(), p, role.guid), p.to_string()),
            None => (NAME_PLACEHOLDER.to_string(), PRINCIPAL_PLACEHOLDER.to_string()),
        };
        let title = format!("Grant {} to {who} on {}", role.name, describe_scope(scope));
        Some(self.push(Change {
            id,
            kind: ChangeKind::RoleAssignment,
            title,
            reasons: vec![reason],
            request: ArmRequest {
                path: assignment_path(scope.as_str(), &name),
                api_version: api_versions::AUTHORIZATION.into(),
                body: assignment_body(scope, role, &body_principal),
            },
            depends_on,
            security_posture_change: false,
            grant: Some(Grant {
                scope: scope.as_str().to_string(),
                role_guid: role.guid.to_string(),
                role_name: role.name.to_string(),
                principal_id: body_principal,
                principal_description: who.to_string(),
            }),
            principal_from: principal_from.map(str::to_string),
        }))
    }

    fn finish(self, kind: PlanKind) -> Plan {
        Plan {
            schema_version: PLAN_SCHEMA_VERSION,
            kind,
            created_at: Utc::now(),
            tool_version: crate::VERSION.to_string(),
            target: self.snapshot.target.clone(),
            basis: basis_for(self.snapshot, &self.changes),
            changes: self.changes,
            manual_steps: self.manual,
            notes: self.notes,
            unchanged: self.unchanged,
        }
    }
}

const ROLE_CHECKS: [CheckId; 4] = [
    CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE,
    CheckId::CLOUD_ENDPOINT_SERVICE_SHARE_ROLE,
    CheckId::SERVER_ENDPOINT_SERVER_SHARE_ROLE,
    CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL,
];

/// A change that PATCHes (or PUTs) one resource's settings, named by its kind and the resource, with no grant:
/// callers add what depends on what and whether it changes the security posture.
fn settings_change(
    kind: ChangeKind,
    path: &str,
    api_version: &str,
    body: serde_json::Value,
    title: String,
    reason: Reason,
) -> Change {
    Change {
        id: change_id(kind, path),
        kind,
        title,
        reasons: vec![reason],
        request: ArmRequest { path: path.to_string(), api_version: api_version.into(), body },
        depends_on: Vec::new(),
        security_posture_change: false,
        grant: None,
        principal_from: None,
    }
}

fn who_is(snapshot: &Snapshot, principal: &PrincipalId) -> String {
    for svc in &snapshot.services {
        if svc.system_principal_id().is_some_and(|p| principal.is(p)) {
            return format!("the identity of Storage Sync Service '{}'", svc.name);
        }
        for s in &svc.registered_servers {
            if s.any_identity().is_some_and(|p| principal.is(p)) {
                return format!("the identity of server '{}'", s.display_name());
            }
        }
    }
    if snapshot.storage_sync_principal_id.as_ref() == Some(principal) {
        return "Microsoft.StorageSync".into();
    }
    format!("principal {principal}")
}

fn arc_or_vm_step(svc: &StorageSyncService, s: &RegisteredServer) -> ManualStep {
    ManualStep {
        resource_id: s.id.as_str().to_string(),
        resource_name: s.display_name().to_string(),
        message: format!(
            "Server '{}' (service '{}') has no managed identity, so it keeps using its certificate and shared keys. Give it a system-assigned identity: outside Azure, connect it to Azure Arc (azcmagent connect); on an Azure VM, turn on the VM's system-assigned identity. With agent 20.0.0.0 or later the server reports the identity on its own (latestApplicationId); then plan the switch again.",
            s.display_name(),
            svc.name
        ),
        command: Some("azcmagent connect --resource-group <group> --tenant-id <tenant> --location <region> --subscription-id <subscription>".into()),
    }
}

/// The repair plan: grant every role the permission checks found missing (fail or warning), at the
/// narrowest correct scope. Everything else the findings report is listed as a manual step or a note.
/// (The doors plan through [`make`] or [`plan_repair_with`]; the tests use this default.)
#[cfg(test)]
pub fn plan_repair(snapshot: &Snapshot, findings: &[Finding]) -> Plan {
    plan_repair_with(snapshot, findings, PlanOptions::default())
}

pub fn plan_repair_with(snapshot: &Snapshot, findings: &[Finding], options: PlanOptions) -> Plan {
    let mut b = Builder::new(snapshot);
    let known = known_principals(snapshot);
    for f in findings.iter().filter(|f| f.status == Status::Unknown && ROLE_CHECKS.contains(&f.check)) {
        b.note(format!("{} ({}): {} Not planned: run again once it can be read.", f.check, f.resource_name, f.message));
    }
    for f in findings.iter().filter(|f| matches!(f.status, Status::Fail | Status::Warning)) {
        let reason = Reason { check: f.check, message: f.message.to_string() };
        if ROLE_CHECKS.contains(&f.check) {
            let (Some(principal), Some(role_def), Some(scope)) = (&f.principal_id, &f.role_definition_id, &f.scope)
            else {
                b.note(format!(
                    "{} on {}: not enough facts to plan a grant ({}).",
                    f.check, f.resource_name, f.message
                ));
                continue;
            };
            let Some(role) = grantable(&crate::model::resource_id::role_guid(role_def)) else {
                b.note(format!("{}: role {role_def} is not one this tool grants.", f.check));
                continue;
            };
            let Ok(scope) = ResourceId::parse(scope) else {
                b.note(format!("{}: the scope '{scope}' is not a resource id.", f.check));
                continue;
            };
            let Some(principal) = PrincipalId::parse(principal).ok().filter(|p| known.contains(p)) else {
                b.note(format!("{}: principal {principal} is not in the snapshot; not granting.", f.check));
                continue;
            };
            let who = who_is(snapshot, &principal);
            b.grant(&scope, role, Some(&principal), None, &who, reason, Vec::new());
            continue;
        }
        match f.check {
            CheckId::SERVER_IDENTITY => {
                for svc in &snapshot.services {
                    if let Some(s) =
                        svc.registered_servers.iter().find(|s| s.id.as_str().eq_ignore_ascii_case(&f.resource_id))
                    {
                        b.manual(arc_or_vm_step(svc, s));
                    }
                }
            }
            CheckId::SERVICE_IDENTITY | CheckId::SERVICE_USE_IDENTITY | CheckId::SERVER_AUTH_MODE => b.note(format!(
                "{} ({}): {} Repair only grants roles; 'filesync-identity enable-identity' switches identities on.",
                f.check, f.resource_name, f.message
            )),
            // Key access off while nothing uses keys is a warning (the docs still list key access as a
            // prerequisite), but turning it back on then is the admin's call: noted, never planned.
            CheckId::STORAGE_SHARED_KEY_ACCESS if f.status == Status::Warning => b.note(format!(
                "{} ({}): {} Not planned: nothing uses keys on this account now; turn key access on yourself if sync reports 0x80c8307c.",
                f.check, f.resource_name, f.message
            )),
            CheckId::STORAGE_TRUSTED_SERVICES | CheckId::STORAGE_SHARED_KEY_ACCESS => {
                if options.include_security_posture_changes {
                    posture_change(&mut b, f, reason);
                } else {
                    b.note(format!(
                        "{} ({}): {} Not planned: storage network and key settings change only with --include-security-posture-changes.",
                        f.check, f.resource_name, f.message
                    ));
                }
            }
            // The grant at the right scope is planned (from the share-role finding); deleting the one at the
            // wrong scope is left to a person, as one step (issue 15: the plan says what it does not do).
            CheckId::ROLE_WRONG_SHARE_SCOPE if f.status == Status::Fail => {
                let scope = f.evidence.get("assignmentScope").and_then(|v| v.as_str()).unwrap_or_default();
                let role = f.role_definition_id.as_deref().map(crate::model::roles::display_name).unwrap_or_default();
                let principal = f.principal_id.as_deref().unwrap_or_default();
                b.manual(ManualStep {
                    resource_id: f.evidence.get("assignmentId").and_then(|v| v.as_str()).unwrap_or(&f.resource_id).to_string(),
                    resource_name: f.resource_name.to_string(),
                    message: format!(
                        "Delete the {role} assignment of {principal} at the share's ARM id ({scope}): File Sync does not count it, and repair grants the role at the scope File Sync uses."
                    ),
                    command: Some(format!(
                        "Remove-AzRoleAssignment -ObjectId {} -RoleDefinitionName {} -Scope {}",
                        ps_quote(principal),
                        ps_quote(&role),
                        ps_quote(scope)
                    )),
                });
            }
            _ => {
                let line = format!("{} ({}): {} (not something repair changes)", f.check, f.resource_name, f.message);
                if !b.unchanged.contains(&line) {
                    b.unchanged.push(line);
                }
            }
        }
    }
    b.finish(PlanKind::Repair)
}

/// Storage account PATCHes, only on request.
fn posture_change(b: &mut Builder, f: &Finding, reason: Reason) {
    let Ok(account) = ResourceId::parse(&f.resource_id) else { return };
    if !account.is_storage_account() {
        return;
    }
    let Some(acct) = b.snapshot.storage_account(&account) else { return };
    let (kind, body, title) = if f.check == CheckId::STORAGE_TRUSTED_SERVICES {
        let acls = acct.network_acls.clone();
        let mut bypass: Vec<String> = acls
            .as_ref()
            .map(|a| {
                a.bypass.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && s != "None").collect()
            })
            .unwrap_or_default();
        bypass.push("AzureServices".into());
        let default_action = acls.as_ref().map(|a| a.default_action.clone()).unwrap_or_else(|| "Deny".into());
        // A PATCH of `networkAcls` replaces the whole rule set: carry the account's IP and virtual
        // network rules over, or the servers they let in would be locked out.
        let ip_rules: Vec<serde_json::Value> = acls
            .as_ref()
            .map(|a| a.ip_rules.iter().map(|v| serde_json::json!({"value": v, "action": "Allow"})).collect())
            .unwrap_or_default();
        let vnet_rules: Vec<serde_json::Value> = acls
            .as_ref()
            .map(|a| a.virtual_network_rules.iter().map(|v| serde_json::json!({"id": v, "action": "Allow"})).collect())
            .unwrap_or_default();
        (
            ChangeKind::SetStorageTrustedServices,
            serde_json::json!({"properties": {"networkAcls": {
                "bypass": bypass.join(", "),
                "defaultAction": default_action,
                "ipRules": ip_rules,
                "virtualNetworkRules": vnet_rules,
            }}}),
            format!(
                "Let trusted Azure services through the firewall of storage account '{}' (network rule change)",
                acct.name
            ),
        )
    } else {
        (
            ChangeKind::SetStorageSharedKeyAccess,
            serde_json::json!({"properties": {"allowSharedKeyAccess": true}}),
            format!("Turn shared key access back on for storage account '{}' while keys are still in use (key access change)", acct.name),
        )
    };
    b.push(Change {
        security_posture_change: true,
        ..settings_change(kind, account.as_str(), api_versions::STORAGE, body, title, reason)
    });
}

/// The full switch to managed identities, per service: turn on the service identity (when off), grant
/// every role for every sync group and every server that has an identity, set `useIdentity`, then set
/// each server with an identity to use it. Servers without one are listed as manual steps.
pub fn plan_enable_identity(snapshot: &Snapshot) -> Plan {
    let ix = Index::new(snapshot);
    let mut b = Builder::new(snapshot);
    for svc in &snapshot.services {
        let Some(identity) = service_identity(&mut b, svc) else { continue };
        let mut granted = grant_share_roles(&mut b, &ix, svc, &identity);
        let switches = servers_to_switch(&mut b, svc, &mut granted);
        if granted.certificate_servers_remain {
            keep_legacy_principal(&mut b, &ix, svc);
        }
        let use_id = switch_service(&mut b, svc, &granted.service);
        switch_servers(&mut b, switches, use_id, &granted);
    }
    b.finish(PlanKind::EnableIdentity)
}

/// A service's identity as enable-identity plans it: the principal it has, or the change that turns it on.
struct ServiceIdentity {
    principal: Option<PrincipalId>,
    /// The `enableServiceIdentity` change, when the service has no identity yet.
    enable_id: Option<String>,
    who: String,
}

/// What the grants of one service leave for its switches to wait on.
#[derive(Default)]
struct Granted {
    /// The change that turns the service identity on and the grants to it: `useIdentity` waits for them.
    service: Vec<String>,
    /// By lower-cased server id: the share grants that server's switch waits for.
    servers: BTreeMap<String, Vec<String>>,
    /// Some server of the service has no identity, so it keeps its certificate (and keys are still used).
    certificate_servers_remain: bool,
}

/// Stage 1: the service's own identity, turned on when it is off. None (and a manual step) when the
/// service has only a user-assigned identity.
fn service_identity(b: &mut Builder, svc: &StorageSyncService) -> Option<ServiceIdentity> {
    let principal = svc.system_principal();
    let mut enable_id = None;
    if principal.is_none() {
        let kind_now = svc.identity.as_ref().map(|i| i.kind.clone()).unwrap_or_default();
        if kind_now.to_ascii_lowercase().contains("userassigned") {
            b.manual(ManualStep {
                resource_id: svc.id.as_str().into(),
                resource_name: svc.name.clone(),
                message: format!(
                    "Service '{}' has a user-assigned identity; File Sync uses the system-assigned one. Turn it on alongside (identity type 'SystemAssigned,UserAssigned') in the portal, then run enable-identity again.",
                    svc.name
                ),
                command: None,
            });
            return None;
        }
        enable_id = Some(b.push(settings_change(
            ChangeKind::EnableServiceIdentity,
            svc.id.as_str(),
            api_versions::STORAGE_SYNC,
            serde_json::json!({"identity": {"type": "SystemAssigned"}}),
            format!("Turn on the system-assigned identity of Storage Sync Service '{}'", svc.name),
            Reason {
                check: CheckId::SERVICE_IDENTITY,
                message: format!("Storage Sync Service '{}' has no system-assigned identity.", svc.name),
            },
        )));
    }
    Some(ServiceIdentity { principal, enable_id, who: format!("the identity of Storage Sync Service '{}'", svc.name) })
}

/// Stage 2: for every cloud endpoint of every sync group, the service identity's roles on the account
/// and the share, and the share role of every server (cluster: every node) with an endpoint in the group.
fn grant_share_roles(b: &mut Builder, ix: &Index, svc: &StorageSyncService, identity: &ServiceIdentity) -> Granted {
    let mut granted = Granted { service: identity.enable_id.iter().cloned().collect(), ..Granted::default() };
    for group in &svc.sync_groups {
        for c in &group.cloud_endpoints {
            let (Some(account), Some(share)) = (c.storage_account_id(), c.share()) else {
                b.note(format!(
                    "Sync group '{}': cloud endpoint {} names no usable storage account or share; nothing granted for it.",
                    group.name, c.name
                ));
                continue;
            };
            let Ok(share_scope) = file_share_scope(&account, share) else { continue };
            grant_service_roles(b, ix, identity, &account, &share_scope, &mut granted.service);
            grant_server_roles(b, ix, svc, group, &account, &share_scope, &mut granted);
        }
    }
    granted
}

/// The service identity's roles for one cloud endpoint: Storage Account Contributor on the account, the
/// privileged data role on the share (for an identity still to be turned on: its placeholder).
fn grant_service_roles(
    b: &mut Builder,
    ix: &Index,
    identity: &ServiceIdentity,
    account: &ResourceId,
    share_scope: &ResourceId,
    grants: &mut Vec<String>,
) {
    for (role, scope, check) in [
        (roles::STORAGE_ACCOUNT_CONTRIBUTOR, account, CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE),
        (roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, share_scope, CheckId::CLOUD_ENDPOINT_SERVICE_SHARE_ROLE),
    ] {
        let who = &identity.who;
        let reason = Reason { check, message: format!("{} needs {} on {}.", who, role.name, describe_scope(scope)) };
        let id = match &identity.principal {
            Some(p) => {
                if matches!(ix.role_state(p, role.guid, scope, account), RoleState::Effective(_)) {
                    continue;
                }
                b.grant(scope, role, Some(p), None, who, reason, Vec::new())
            }
            None => {
                let from = identity.enable_id.as_deref();
                b.grant(scope, role, None, from, who, reason, from.iter().map(|s| s.to_string()).collect())
            }
        };
        grants.extend(id);
    }
}

/// The share role of every server (cluster: every node) with an endpoint in `group`; a server without
/// an identity marks that certificate servers remain.
fn grant_server_roles(
    b: &mut Builder,
    ix: &Index,
    svc: &StorageSyncService,
    group: &SyncGroup,
    account: &ResourceId,
    share_scope: &ResourceId,
    granted: &mut Granted,
) {
    for ep in &group.server_endpoints {
        let Some(server) = ix.server_of(svc, ep) else { continue };
        let members = if server.is_cluster_name() { ix.cluster_nodes(svc, server) } else { vec![server] };
        for m in members {
            let Some(p) = m.any_principal() else {
                granted.certificate_servers_remain = true;
                continue;
            };
            let who = format!("the identity of server '{}'", m.display_name());
            let role = roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR;
            if matches!(ix.role_state(&p, role.guid, share_scope, account), RoleState::Effective(_)) {
                continue;
            }
            let reason = Reason {
                check: CheckId::SERVER_ENDPOINT_SERVER_SHARE_ROLE,
                message: format!("{who} needs {} on {}.", role.name, describe_scope(share_scope)),
            };
            if let Some(id) = b.grant(share_scope, role, Some(&p), None, &who, reason, Vec::new()) {
                granted.servers.entry(m.server_id.to_ascii_lowercase()).or_default().push(id);
            }
        }
    }
}

/// Stage 3: the servers to switch (with the identity each switches to). A server switched already is
/// noted as in progress; one without an identity is a manual step and keeps its certificate.
fn servers_to_switch<'s>(
    b: &mut Builder,
    svc: &'s StorageSyncService,
    granted: &mut Granted,
) -> Vec<(&'s RegisteredServer, String)> {
    let mut switches = Vec::new();
    for s in &svc.registered_servers {
        if s.is_cluster_name() || s.uses_managed_identity() {
            continue;
        }
        // Switched already (identity true, applicationId set): the agent picks it up within about 15
        // minutes, so there is nothing to send again; the server is in progress.
        if s.switch_requested() {
            b.note(format!(
                "In progress: server '{}' (service '{}') has been switched to its identity ({}) and still authenticates with its certificate while its agent picks the switch up (up to 15 minutes); nothing to change.",
                s.display_name(),
                svc.name,
                s.application_id.as_deref().unwrap_or_default()
            ));
            continue;
        }
        match s.any_identity() {
            None => {
                granted.certificate_servers_remain = true;
                b.manual(arc_or_vm_step(svc, s));
            }
            Some(p) => switches.push((s, p.to_string())),
        }
    }
    switches
}

/// Stage 4: while certificate servers remain, Microsoft.StorageSync keeps Reader and Data Access on the
/// service's storage accounts.
fn keep_legacy_principal(b: &mut Builder, ix: &Index, svc: &StorageSyncService) {
    let Some(sync_p) = b.snapshot.storage_sync_principal_id.clone() else {
        b.note(
            "Servers keep using keys, so Microsoft.StorageSync needs Reader and Data Access on the storage accounts, but its object id is unknown: pass --storage-sync-principal-id to plan that grant.".into(),
        );
        return;
    };
    let role = roles::READER_AND_DATA_ACCESS;
    for a in ix.referenced_accounts() {
        if uses_account(svc, &a.id)
            && !matches!(ix.role_state(&sync_p, role.guid, &a.id, &a.id), RoleState::Effective(_))
        {
            let reason = Reason {
                check: CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL,
                message: format!("Servers without an identity still use keys on storage account '{}'.", a.name),
            };
            b.grant(&a.id, role, Some(&sync_p), None, "Microsoft.StorageSync", reason, Vec::new());
        }
    }
}

/// Stage 5: `useIdentity = true` on the service, after the grants to its identity. The change's id, when
/// the service does not use its identity yet.
fn switch_service(b: &mut Builder, svc: &StorageSyncService, after: &[String]) -> Option<String> {
    if svc.use_identity {
        return None;
    }
    let change = settings_change(
        ChangeKind::SetUseIdentity,
        svc.id.as_str(),
        api_versions::STORAGE_SYNC,
        serde_json::json!({"properties": {"useIdentity": true}}),
        format!("Switch Storage Sync Service '{}' to its identity (useIdentity = true)", svc.name),
        Reason {
            check: CheckId::SERVICE_USE_IDENTITY,
            message: format!("Storage Sync Service '{}' does not use its identity (useIdentity is false).", svc.name),
        },
    );
    let id = b.push(Change { depends_on: after.to_vec(), ..change });
    Some(id)
}

/// Stage 6: each server with an identity switched to it, after the service's switch (or, when the
/// service uses its identity already, after the grants to it) and after its own share grants.
fn switch_servers(
    b: &mut Builder,
    switches: Vec<(&RegisteredServer, String)>,
    use_id: Option<String>,
    granted: &Granted,
) {
    for (s, p) in switches {
        let mut deps: Vec<String> = use_id.iter().cloned().collect();
        if use_id.is_none() {
            deps.extend(granted.service.iter().cloned());
        }
        deps.extend(granted.servers.get(&s.server_id.to_ascii_lowercase()).cloned().unwrap_or_default());
        let change = settings_change(
            ChangeKind::SetServerIdentity,
            s.id.as_str(),
            api_versions::STORAGE_SYNC,
            serde_json::json!({"properties": {"identity": true, "applicationId": p}}),
            format!("Switch server '{}' to its managed identity ({p})", s.display_name()),
            Reason {
                check: CheckId::SERVER_AUTH_MODE,
                message: format!(
                    "Server '{}' has an identity but still authenticates with its certificate.",
                    s.display_name()
                ),
            },
        );
        b.push(Change { depends_on: deps, ..change });
    }
}

fn uses_account(svc: &StorageSyncService, account: &ResourceId) -> bool {
    svc.sync_groups.iter().any(|g| g.cloud_endpoints.iter().any(|c| c.storage_account_id().as_ref() == Some(account)))
}
