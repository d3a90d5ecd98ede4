//! Plans: what `repair` and `enable-identity` would change, as data.
//!
//! A plan is computed by pure functions from a [`Snapshot`] (and, for `repair`, its findings). Each
//! [`Change`] carries the reason (the finding it fixes), the exact ARM request, a stable id and the ids of
//! the changes it depends on. Changes are listed in an order that respects `dependsOn`, so applying them
//! top to bottom is always correct. [`crate::repair::apply`] executes a plan.
//!
//! ## Placeholders
//! When `enable-identity` turns on a service's system-assigned identity, the identity's principal id does
//! not exist yet at plan time. Role assignments for it then carry
//! `principalFrom: <id of the enableServiceIdentity change>`, the body's `principalId` is the placeholder
//! [`PRINCIPAL_PLACEHOLDER`], and the path ends in [`NAME_PLACEHOLDER`]. `apply` fills both in after the
//! service PATCH has completed and the service shows its new principal id: the principal id from the
//! service, the assignment name from [`assignment_name`] as for any other assignment.
//!
//! ## Basis
//! `basis` records the facts a plan rests on (identities, auth modes, which shares and servers each sync
//! group has) and a fingerprint of them. `apply` reads the live state again and refuses a plan whose facts
//! moved on. Role assignments are deliberately not part of the basis: granting is idempotent, so a plan
//! stays valid after it was partly applied or after someone granted a role by hand.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::checks::{Index, RoleState};
use crate::error::{Error, Result};
use crate::model::api_versions;
use crate::model::findings::{Finding, Status};
use crate::model::resource_id::{file_share_scope, is_zero_guid, parse_share_scope, ResourceId, ShareScopeSpelling};
use crate::model::roles::{self, BuiltInRole};
use crate::model::snapshot::{RegisteredServer, Snapshot, StorageSyncService, Target};

/// The plan format this build reads and writes.
pub const PLAN_SCHEMA_VERSION: u32 = 1;
/// Stands for the principal id of a service identity that does not exist yet (see the module docs).
pub const PRINCIPAL_PLACEHOLDER: &str = "{servicePrincipalId}";
/// Stands for the role assignment name derived from that principal id.
pub const NAME_PLACEHOLDER: &str = "{assignmentName}";

/// The namespace of role assignment names (a fixed, random UUID: names are v5 UUIDs under it).
const ASSIGNMENT_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2a7e_5d4b_4e8f_9a3c_1b2d_7e6f_5a4b);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PlanKind {
    Repair,
    EnableIdentity,
}

impl PlanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanKind::Repair => "repair",
            PlanKind::EnableIdentity => "enableIdentity",
        }
    }
    /// `repair`, `enableIdentity` or `enable-identity` (any case).
    pub fn parse(s: &str) -> Result<PlanKind> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "repair" => Ok(PlanKind::Repair),
            "enableidentity" => Ok(PlanKind::EnableIdentity),
            _ => Err(Error::invalid_input(format!("unknown plan kind '{s}' (expected repair or enableIdentity)"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// PUT a role assignment.
    RoleAssignment,
    /// PATCH the service: turn on its system-assigned identity (long-running).
    EnableServiceIdentity,
    /// PATCH the service: `useIdentity = true` (long-running).
    SetUseIdentity,
    /// PATCH a registered server: use its identity (long-running).
    SetServerIdentity,
    /// PATCH a storage account's network rules (security posture change; only on request).
    SetStorageTrustedServices,
    /// PATCH a storage account's shared key access (security posture change; only on request).
    SetStorageSharedKeyAccess,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::RoleAssignment => "roleAssignment",
            ChangeKind::EnableServiceIdentity => "enableServiceIdentity",
            ChangeKind::SetUseIdentity => "setUseIdentity",
            ChangeKind::SetServerIdentity => "setServerIdentity",
            ChangeKind::SetStorageTrustedServices => "setStorageTrustedServices",
            ChangeKind::SetStorageSharedKeyAccess => "setStorageSharedKeyAccess",
        }
    }
}

/// The finding a change fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// The check id (`cloud-endpoint.service-share-role`, ...).
    pub check: String,
    pub message: String,
}

/// The exact ARM request of a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmRequest {
    /// `PUT` or `PATCH`.
    pub method: String,
    /// The ARM path, without the api-version.
    pub path: String,
    pub api_version: String,
    pub body: serde_json::Value,
}

/// What a role assignment change grants (also in the request body; kept apart so it is easy to audit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub scope: String,
    pub role_guid: String,
    pub role_name: String,
    /// The principal, or [`PRINCIPAL_PLACEHOLDER`] when it is resolved at apply time.
    pub principal_id: String,
    /// Who the principal is, in words.
    pub principal_description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Stable: the same change planned twice has the same id.
    pub id: String,
    pub kind: ChangeKind,
    /// One line a person reads.
    pub title: String,
    /// The findings this change fixes (one or more).
    pub reasons: Vec<Reason>,
    pub request: ArmRequest,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// True for changes to storage network rules or key access.
    #[serde(default)]
    pub security_posture_change: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Grant>,
    /// For a role assignment whose principal is a service identity created by this plan: the id of the
    /// `enableServiceIdentity` change that creates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_from: Option<String>,
}

/// Something the plan cannot do, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualStep {
    pub resource_id: String,
    pub resource_name: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// The facts a plan rests on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasisFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_sync_principal_id: Option<String>,
    /// By lower-cased service id.
    pub services: BTreeMap<String, ServiceFacts>,
    /// The settings of each storage account a security posture change rewrites, by lower-cased account
    /// id (only in plans with such changes, so other plans keep their fingerprint).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_accounts: BTreeMap<String, StorageFacts>,
}

/// The storage settings a posture change rewrites. A field is set only when a change of the plan
/// rewrites it; `None` on the live side means the account could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageFacts {
    /// `allowSharedKeyAccess`, absent read as true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_shared_key_access: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_acls: Option<AclFacts>,
}

/// `networkAcls`, normalized: lower-case default action and bypass, bypass without `None`, sorted lists.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AclFacts {
    pub default_action: String,
    pub bypass: Vec<String>,
    pub ip_rules: Vec<String>,
    pub virtual_network_rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_principal_id: Option<String>,
    pub use_identity: bool,
    /// By lower-cased server id: `activeAuthType|applicationId|latestApplicationId|role`.
    pub servers: BTreeMap<String, String>,
    /// By lower-cased sync group name: `account/share` of each cloud endpoint and server ids, sorted.
    pub sync_groups: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Basis {
    /// A v5 UUID of the facts: equal fingerprints, equal facts.
    pub fingerprint: String,
    /// When the snapshot behind the plan was collected.
    pub collected_at: DateTime<Utc>,
    pub facts: BasisFacts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub schema_version: u32,
    pub kind: PlanKind,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub tool_version: String,
    pub target: Target,
    pub basis: Basis,
    pub changes: Vec<Change>,
    /// What the plan cannot do and a person must (servers without an identity, ...).
    #[serde(default)]
    pub manual_steps: Vec<ManualStep>,
    /// Other things worth knowing (changes left out, a fix that needs a flag, ...).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Options of planning.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Include storage network and key-access changes (flagged `securityPostureChange`).
    pub include_security_posture_changes: bool,
}

// ---------------------------------------------------------------------------------------------------
// Naming

/// The deterministic name of a role assignment: a v5 UUID of (scope lower-cased, principal, role GUID),
/// so a retry or a re-run can never create a second assignment.
pub fn assignment_name(scope: &str, principal_id: &str, role_guid: &str) -> String {
    let key = format!(
        "{}|{}|{}",
        scope.trim_end_matches('/').to_ascii_lowercase(),
        principal_id.to_ascii_lowercase(),
        role_guid.to_ascii_lowercase()
    );
    uuid::Uuid::new_v5(&ASSIGNMENT_NAMESPACE, key.as_bytes()).to_string()
}

fn change_id(kind: ChangeKind, key: &str) -> String {
    let u =
        uuid::Uuid::new_v5(&ASSIGNMENT_NAMESPACE, format!("{}|{}", kind.as_str(), key.to_ascii_lowercase()).as_bytes());
    format!("{}-{}", kind.as_str(), &u.simple().to_string()[..12])
}

/// The ARM path of a role assignment.
pub fn assignment_path(scope: &str, name: &str) -> String {
    format!("{}/providers/Microsoft.Authorization/roleAssignments/{name}", scope.trim_end_matches('/'))
}

/// The body of a role assignment PUT.
pub fn assignment_body(scope: &ResourceId, role: BuiltInRole, principal_id: &str) -> serde_json::Value {
    let sub = scope.subscription_id().unwrap_or_default();
    serde_json::json!({"properties": {
        "roleDefinitionId": roles::role_definition_id(sub, role),
        "principalId": principal_id,
        "principalType": "ServicePrincipal",
    }})
}

use crate::checks::describe_scope;

fn grantable(guid: &str) -> Option<BuiltInRole> {
    roles::GRANTABLE.iter().copied().find(|r| r.guid.eq_ignore_ascii_case(guid))
}

/// Is `scope` a scope this tool grants at: a storage account, or a share's `fileshares` scope?
pub fn allowed_scope(scope: &ResourceId) -> bool {
    scope.is_storage_account() || matches!(parse_share_scope(scope), Some((_, _, ShareScopeSpelling::FileShares)))
}

/// Every principal the snapshot knows: service identities, server identities, Microsoft.StorageSync.
pub fn known_principals(snapshot: &Snapshot) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for svc in &snapshot.services {
        if let Some(p) = svc.system_principal_id() {
            out.insert(p.to_ascii_lowercase());
        }
        for s in &svc.registered_servers {
            for id in [s.any_identity(), s.application_id.as_deref(), s.latest_application_id.as_deref()]
                .into_iter()
                .flatten()
            {
                if !is_zero_guid(id) {
                    out.insert(id.to_ascii_lowercase());
                }
            }
        }
    }
    if let Some(p) = &snapshot.storage_sync_principal_id {
        out.insert(p.to_ascii_lowercase());
    }
    out
}

// ---------------------------------------------------------------------------------------------------
// Basis

fn norm(id: Option<&str>) -> Option<String> {
    id.filter(|s| !s.is_empty() && !is_zero_guid(s)).map(str::to_ascii_lowercase)
}

/// The facts of a snapshot a plan rests on.
pub fn basis_facts(snapshot: &Snapshot) -> BasisFacts {
    let mut facts = BasisFacts {
        storage_sync_principal_id: norm(snapshot.storage_sync_principal_id.as_deref()),
        ..Default::default()
    };
    for svc in &snapshot.services {
        let mut sf = ServiceFacts {
            identity_principal_id: norm(svc.system_principal_id()),
            use_identity: svc.use_identity,
            ..Default::default()
        };
        for s in &svc.registered_servers {
            sf.servers.insert(
                s.server_id.to_ascii_lowercase(),
                format!(
                    "{}|{}|{}|{}",
                    s.active_auth_type.as_deref().unwrap_or("").to_ascii_lowercase(),
                    norm(s.application_id.as_deref()).unwrap_or_default(),
                    norm(s.latest_application_id.as_deref()).unwrap_or_default(),
                    s.role().to_ascii_lowercase()
                ),
            );
        }
        for g in &svc.sync_groups {
            let mut parts: Vec<String> = g
                .cloud_endpoints
                .iter()
                .map(|c| {
                    format!(
                        "{}/{}",
                        c.storage_account_resource_id.as_deref().unwrap_or("").to_ascii_lowercase(),
                        c.share().unwrap_or("").to_ascii_lowercase()
                    )
                })
                .collect();
            parts.sort();
            let mut servers: Vec<String> =
                g.server_endpoints.iter().filter_map(|e| e.server_id()).map(str::to_ascii_lowercase).collect();
            servers.sort();
            sf.sync_groups.insert(g.name.to_ascii_lowercase(), format!("{} <- {}", parts.join(","), servers.join(",")));
        }
        facts.services.insert(svc.id.as_str().to_ascii_lowercase(), sf);
    }
    facts
}

/// The fingerprint of basis facts.
pub fn fingerprint(facts: &BasisFacts) -> String {
    let text = serde_json::to_string(facts).expect("facts serialize");
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, text.as_bytes()).to_string()
}

pub fn basis(snapshot: &Snapshot) -> Basis {
    basis_for(snapshot, &[])
}

/// The basis of a plan with these changes: the snapshot's facts, plus the storage settings that its
/// security posture changes rewrite (a PATCH of `networkAcls` replaces the whole rule set, so the rule
/// set it was computed from is part of what the plan rests on).
pub fn basis_for(snapshot: &Snapshot, changes: &[Change]) -> Basis {
    let mut facts = basis_facts(snapshot);
    for c in changes {
        let key = c.request.path.to_ascii_lowercase();
        let account = ResourceId::parse(&c.request.path).ok().and_then(|id| snapshot.storage_account(&id).cloned());
        let Some(a) = account.filter(|a| a.read) else { continue };
        match c.kind {
            ChangeKind::SetStorageSharedKeyAccess => {
                facts.storage_accounts.entry(key).or_default().allow_shared_key_access = Some(a.shared_key_allowed());
            }
            ChangeKind::SetStorageTrustedServices => {
                facts.storage_accounts.entry(key).or_default().network_acls = Some(acl_facts(&a));
            }
            _ => {}
        }
    }
    Basis { fingerprint: fingerprint(&facts), collected_at: snapshot.collected_at, facts }
}

fn acl_facts(a: &crate::model::snapshot::StorageAccount) -> AclFacts {
    let Some(n) = &a.network_acls else {
        // No rule set: ARM's default (Allow, AzureServices).
        return AclFacts { default_action: "allow".into(), bypass: vec!["azureservices".into()], ..Default::default() };
    };
    let mut bypass: Vec<String> =
        n.bypass.split(',').map(|b| b.trim().to_ascii_lowercase()).filter(|b| !b.is_empty() && b != "none").collect();
    bypass.sort();
    bypass.dedup();
    let mut ip_rules = n.ip_rules.clone();
    ip_rules.sort();
    let mut virtual_network_rules: Vec<String> =
        n.virtual_network_rules.iter().map(|v| v.to_ascii_lowercase()).collect();
    virtual_network_rules.sort();
    AclFacts { default_action: n.default_action.to_ascii_lowercase(), bypass, ip_rules, virtual_network_rules }
}

/// The live facts to hold against `planned`: the same kinds of fact, read from the live snapshot (a
/// storage fact is `None` when the account could not be read).
pub fn live_facts(planned: &BasisFacts, live: &Snapshot) -> BasisFacts {
    let mut facts = basis_facts(live);
    for (key, want) in &planned.storage_accounts {
        let account = ResourceId::parse(key).ok().and_then(|id| live.storage_account(&id).cloned()).filter(|a| a.read);
        let mut got = StorageFacts::default();
        if let Some(a) = account {
            if want.allow_shared_key_access.is_some() {
                got.allow_shared_key_access = Some(a.shared_key_allowed());
            }
            if want.network_acls.is_some() {
                got.network_acls = Some(acl_facts(&a));
            }
        }
        facts.storage_accounts.insert(key.clone(), got);
    }
    facts
}

/// One fact that differs between a plan's basis and the live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasisDrift {
    /// The fact, in words (`useIdentity of service '/subscriptions/...'`).
    pub fact: String,
    /// Its value when the plan was made.
    pub planned: String,
    /// Its value now.
    pub live: String,
    /// True when the live value is exactly what a change of the plan sets: that change is done already
    /// (an earlier, interrupted run, or someone else, made it), which leaves the plan valid.
    pub towards: bool,
}

impl std::fmt::Display for BasisDrift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: planned from {}, live {}", self.fact, self.planned, self.live)
    }
}

fn shown<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into())
}

fn list(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}

/// The plan's change of `kind` whose request path is `path` (case-insensitive).
fn change_at<'a>(plan: &'a Plan, kind: ChangeKind, path: &str) -> Option<&'a Change> {
    plan.changes.iter().find(|c| c.kind == kind && c.request.path.eq_ignore_ascii_case(path))
}

/// Every fact of the plan's basis that differs from `live` (see [`live_facts`]), each marked whether it
/// moved towards what the plan sets. Empty when nothing moved.
pub fn basis_drift(plan: &Plan, live: &BasisFacts) -> Vec<BasisDrift> {
    let planned = &plan.basis.facts;
    let mut out = Vec::new();
    let mut push = |fact: String, planned: String, live: String, towards: bool| {
        out.push(BasisDrift { fact, planned, live, towards })
    };
    if planned.storage_sync_principal_id != live.storage_sync_principal_id {
        push(
            "the object id of Microsoft.StorageSync".into(),
            shown(planned.storage_sync_principal_id.as_deref()),
            shown(live.storage_sync_principal_id.as_deref()),
            false,
        );
    }
    let ids: BTreeSet<&String> = planned.services.keys().chain(live.services.keys()).collect();
    for id in ids {
        let (p, l) = match (planned.services.get(id), live.services.get(id)) {
            (Some(p), Some(l)) => (p, l),
            (p, l) => {
                let state = |x: Option<&ServiceFacts>| if x.is_some() { "present" } else { "absent" }.to_string();
                push(format!("service '{id}'"), state(p), state(l), false);
                continue;
            }
        };
        if p.identity_principal_id != l.identity_principal_id {
            let towards = p.identity_principal_id.is_none()
                && l.identity_principal_id.is_some()
                && change_at(plan, ChangeKind::EnableServiceIdentity, id).is_some();
            push(
                format!("identity.principalId of service '{id}'"),
                shown(p.identity_principal_id.as_deref()),
                shown(l.identity_principal_id.as_deref()),
                towards,
            );
        }
        if p.use_identity != l.use_identity {
            let towards = l.use_identity && change_at(plan, ChangeKind::SetUseIdentity, id).is_some();
            push(
                format!("useIdentity of service '{id}'"),
                p.use_identity.to_string(),
                l.use_identity.to_string(),
                towards,
            );
        }
        let servers: BTreeSet<&String> = p.servers.keys().chain(l.servers.keys()).collect();
        for server in servers {
            let (ps, ls) = (p.servers.get(server), l.servers.get(server));
            if ps == ls {
                continue;
            }
            let path = format!("{id}/registeredservers/{server}");
            let towards = match (ps, ls, change_at(plan, ChangeKind::SetServerIdentity, &path)) {
                (Some(ps), Some(ls), Some(c)) => {
                    let want = c.request.body.pointer("/properties/applicationId").and_then(|v| v.as_str());
                    let (pv, lv): (Vec<&str>, Vec<&str>) = (ps.split('|').collect(), ls.split('|').collect());
                    // activeAuthType|applicationId|latestApplicationId|role: switched to the planned
                    // identity, same role (latestApplicationId is cleared by the switch or not).
                    lv.len() == 4
                        && pv.len() == 4
                        && lv[0] == "managedidentity"
                        && want.is_some_and(|w| w.eq_ignore_ascii_case(lv[1]))
                        && lv[3] == pv[3]
                }
                _ => false,
            };
            push(
                format!("registered server '{server}' of service '{id}' (activeAuthType|applicationId|latestApplicationId|role)"),
                shown(ps),
                shown(ls),
                towards,
            );
        }
        let groups: BTreeSet<&String> = p.sync_groups.keys().chain(l.sync_groups.keys()).collect();
        for g in groups {
            let (pg, lg) = (p.sync_groups.get(g), l.sync_groups.get(g));
            if pg != lg {
                push(
                    format!("sync group '{g}' of service '{id}' (cloud endpoints <- servers)"),
                    shown(pg),
                    shown(lg),
                    false,
                );
            }
        }
    }
    for (id, p) in &planned.storage_accounts {
        let l = live.storage_accounts.get(id).cloned().unwrap_or_default();
        if let Some(pk) = p.allow_shared_key_access {
            if l.allow_shared_key_access != Some(pk) {
                let towards = l.allow_shared_key_access == Some(true)
                    && change_at(plan, ChangeKind::SetStorageSharedKeyAccess, id).is_some();
                push(
                    format!("allowSharedKeyAccess of storage account '{id}'"),
                    pk.to_string(),
                    l.allow_shared_key_access.map(|b| b.to_string()).unwrap_or_else(|| "(not readable)".into()),
                    towards,
                );
            }
        }
        if let Some(pa) = &p.network_acls {
            let Some(la) = &l.network_acls else {
                push(format!("networkAcls of storage account '{id}'"), "(read)".into(), "(not readable)".into(), false);
                continue;
            };
            if pa == la {
                continue;
            }
            // The trusted-services change sets bypass to the planned one plus AzureServices, and keeps
            // everything else.
            let mut done_bypass = pa.bypass.clone();
            done_bypass.push("azureservices".into());
            done_bypass.sort();
            done_bypass.dedup();
            let towards = change_at(plan, ChangeKind::SetStorageTrustedServices, id).is_some()
                && la.bypass == done_bypass
                && la.default_action == pa.default_action
                && la.ip_rules == pa.ip_rules
                && la.virtual_network_rules == pa.virtual_network_rules;
            for (field, pv, lv) in [
                ("defaultAction", pa.default_action.clone(), la.default_action.clone()),
                ("bypass", list(&pa.bypass), list(&la.bypass)),
                ("ipRules", list(&pa.ip_rules), list(&la.ip_rules)),
                ("virtualNetworkRules", list(&pa.virtual_network_rules), list(&la.virtual_network_rules)),
            ] {
                if pv != lv {
                    push(format!("networkAcls.{field} of storage account '{id}'"), pv, lv, towards);
                }
            }
        }
    }
    out
}

fn flatten(v: &serde_json::Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                flatten(x, &if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// What differs between two sets of facts, in words (empty when equal).
pub fn basis_differences(planned: &BasisFacts, live: &BasisFacts) -> Vec<String> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten(&serde_json::to_value(planned).unwrap_or_default(), "", &mut a);
    flatten(&serde_json::to_value(live).unwrap_or_default(), "", &mut b);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            format!(
                "{k}: planned {}, now {}",
                a.get(k).map(String::as_str).unwrap_or("(absent)"),
                b.get(k).map(String::as_str).unwrap_or("(absent)")
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// Building

struct Builder<'a> {
    snapshot: &'a Snapshot,
    changes: Vec<Change>,
    manual: Vec<ManualStep>,
    notes: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(snapshot: &'a Snapshot) -> Self {
        Builder { snapshot, changes: Vec::new(), manual: Vec::new(), notes: Vec::new() }
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
        principal: Option<&str>,
        principal_from: Option<&str>,
        who: &str,
        reason: Reason,
        depends_on: Vec<String>,
    ) -> Option<String> {
        if !allowed_scope(scope) || grantable(role.guid).is_none() {
            return None;
        }
        let key_principal =
            principal.map(str::to_string).unwrap_or_else(|| format!("from:{}", principal_from.unwrap_or("")));
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
                method: "PUT".into(),
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
        }
    }
}

const ROLE_CHECKS: [&str; 4] = [
    "cloud-endpoint.service-account-role",
    "cloud-endpoint.service-share-role",
    "server-endpoint.server-share-role",
    "storage.legacy-sync-principal",
];

fn who_is(snapshot: &Snapshot, principal: &str) -> String {
    for svc in &snapshot.services {
        if svc.system_principal_id().is_some_and(|p| p.eq_ignore_ascii_case(principal)) {
            return format!("the identity of Storage Sync Service '{}'", svc.name);
        }
        for s in &svc.registered_servers {
            if s.any_identity().is_some_and(|p| p.eq_ignore_ascii_case(principal)) {
                return format!("the identity of server '{}'", s.display_name());
            }
        }
    }
    if snapshot.storage_sync_principal_id.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(principal)) {
        return "Microsoft.StorageSync".into();
    }
    format!("principal {principal}")
}

fn arc_or_vm_step(svc: &StorageSyncService, s: &RegisteredServer) -> ManualStep {
    ManualStep {
        resource_id: s.id.as_str().to_string(),
        resource_name: s.display_name().to_string(),
        message: format!(
            "Server '{}' (service '{}') has no managed identity, so it keeps using its certificate and shared keys. Give it a system-assigned identity: outside Azure, connect it to Azure Arc (azcmagent connect); on an Azure VM, turn on the VM's system-assigned identity. With agent 20.0.0.0 or later the server reports the identity within about an hour; then run enable-identity again.",
            s.display_name(),
            svc.name
        ),
        command: Some("azcmagent connect --resource-group <group> --tenant-id <tenant> --location <region> --subscription-id <subscription>".into()),
    }
}

/// The repair plan: grant every role the permission checks found missing (fail or warning), at the
/// narrowest correct scope. Everything else the findings report is listed as a manual step or a note.
pub fn plan_repair(snapshot: &Snapshot, findings: &[Finding]) -> Plan {
    plan_repair_with(snapshot, findings, PlanOptions::default())
}

pub fn plan_repair_with(snapshot: &Snapshot, findings: &[Finding], options: PlanOptions) -> Plan {
    let mut b = Builder::new(snapshot);
    let known = known_principals(snapshot);
    for f in findings.iter().filter(|f| f.status == Status::Unknown && ROLE_CHECKS.contains(&f.check.as_ref())) {
        b.note(format!("{} ({}): {} Not planned: run again once it can be read.", f.check, f.resource_name, f.message));
    }
    for f in findings.iter().filter(|f| matches!(f.status, Status::Fail | Status::Warning)) {
        let reason = Reason { check: f.check.to_string(), message: f.message.to_string() };
        if ROLE_CHECKS.contains(&f.check.as_ref()) {
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
            if !known.contains(&principal.to_ascii_lowercase()) {
                b.note(format!("{}: principal {principal} is not in the snapshot; not granting.", f.check));
                continue;
            }
            let who = who_is(snapshot, principal);
            b.grant(&scope, role, Some(principal), None, &who, reason, Vec::new());
            continue;
        }
        match f.check.as_ref() {
            "server.identity" if f.status == Status::Fail => {
                for svc in &snapshot.services {
                    if let Some(s) =
                        svc.registered_servers.iter().find(|s| s.id.as_str().eq_ignore_ascii_case(&f.resource_id))
                    {
                        b.manual(arc_or_vm_step(svc, s));
                    }
                }
            }
            "service.identity" | "service.use-identity" | "server.auth-mode" => b.note(format!(
                "{} ({}): {} Repair only grants roles; 'filesync-identity enable-identity' switches identities on.",
                f.check, f.resource_name, f.message
            )),
            // Key access off while nothing uses keys is a warning (the docs still list key access as a
            // prerequisite), but turning it back on then is the admin's call: noted, never planned.
            "storage.shared-key-access" if f.status == Status::Warning => b.note(format!(
                "{} ({}): {} Not planned: nothing uses keys on this account now; turn key access on yourself if sync reports 0x80c8307c.",
                f.check, f.resource_name, f.message
            )),
            "storage.trusted-services" | "storage.shared-key-access" => {
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
            "role.wrong-share-scope" if f.status == Status::Fail => {
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
                        crate::checks::ps_quote(principal),
                        crate::checks::ps_quote(&role),
                        crate::checks::ps_quote(scope)
                    )),
                });
            }
            _ => b.note(format!("{} ({}): {} (not something repair changes)", f.check, f.resource_name, f.message)),
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
    let (kind, body, title) = if f.check == "storage.trusted-services" {
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
        id: change_id(kind, account.as_str()),
        kind,
        title,
        reasons: vec![reason],
        request: ArmRequest {
            method: "PATCH".into(),
            path: account.as_str().to_string(),
            api_version: api_versions::STORAGE.into(),
            body,
        },
        depends_on: Vec::new(),
        security_posture_change: true,
        grant: None,
        principal_from: None,
    });
}

/// The full switch to managed identities, per service: turn on the service identity (when off), grant
/// every role for every sync group and every server that has an identity, set `useIdentity`, then set
/// each server with an identity to use it. Servers without one are listed as manual steps.
pub fn plan_enable_identity(snapshot: &Snapshot) -> Plan {
    let ix = Index::new(snapshot);
    let mut b = Builder::new(snapshot);
    for svc in &snapshot.services {
        let svc_reason = Reason {
            check: "service.identity".into(),
            message: format!("Storage Sync Service '{}' has no system-assigned identity.", svc.name),
        };
        let principal = svc.system_principal_id().map(str::to_string);
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
                continue;
            }
            let id = change_id(ChangeKind::EnableServiceIdentity, svc.id.as_str());
            b.push(Change {
                id: id.clone(),
                kind: ChangeKind::EnableServiceIdentity,
                title: format!("Turn on the system-assigned identity of Storage Sync Service '{}'", svc.name),
                reasons: vec![svc_reason],
                request: ArmRequest {
                    method: "PATCH".into(),
                    path: svc.id.as_str().into(),
                    api_version: api_versions::STORAGE_SYNC.into(),
                    body: serde_json::json!({"identity": {"type": "SystemAssigned"}}),
                },
                depends_on: Vec::new(),
                security_posture_change: false,
                grant: None,
                principal_from: None,
            });
            enable_id = Some(id);
        }
        let svc_who = format!("the identity of Storage Sync Service '{}'", svc.name);
        let mut svc_grants: Vec<String> = enable_id.iter().cloned().collect();
        // (server, share scope change ids) for the server PATCH dependencies.
        let mut server_grants: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut certificate_servers_remain = false;
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
                for (role, scope, check) in [
                    (roles::STORAGE_ACCOUNT_CONTRIBUTOR, &account, "cloud-endpoint.service-account-role"),
                    (
                        roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
                        &share_scope,
                        "cloud-endpoint.service-share-role",
                    ),
                ] {
                    let reason = Reason {
                        check: check.into(),
                        message: format!("{} needs {} on {}.", svc_who, role.name, describe_scope(scope)),
                    };
                    match &principal {
                        Some(p) => {
                            if !matches!(ix.role_state(p, role.guid, scope, &account), RoleState::Effective(_)) {
                                if let Some(id) = b.grant(scope, role, Some(p), None, &svc_who, reason, Vec::new()) {
                                    svc_grants.push(id);
                                }
                            }
                        }
                        None => {
                            let from = enable_id.clone();
                            if let Some(id) = b.grant(
                                scope,
                                role,
                                None,
                                from.as_deref(),
                                &svc_who,
                                reason,
                                from.iter().cloned().collect(),
                            ) {
                                svc_grants.push(id);
                            }
                        }
                    }
                }
                // Every server with an endpoint in this group (cluster: every node).
                for ep in &group.server_endpoints {
                    let Some(server) = ix.server_of(svc, ep) else { continue };
                    let members = if server.is_cluster_name() { ix.cluster_nodes(svc, server) } else { vec![server] };
                    for m in members {
                        let Some(p) = m.any_identity() else {
                            certificate_servers_remain = true;
                            continue;
                        };
                        let who = format!("the identity of server '{}'", m.display_name());
                        let role = roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR;
                        if matches!(ix.role_state(p, role.guid, &share_scope, &account), RoleState::Effective(_)) {
                            continue;
                        }
                        let reason = Reason {
                            check: "server-endpoint.server-share-role".into(),
                            message: format!("{who} needs {} on {}.", role.name, describe_scope(&share_scope)),
                        };
                        if let Some(id) = b.grant(&share_scope, role, Some(p), None, &who, reason, Vec::new()) {
                            server_grants.entry(m.server_id.to_ascii_lowercase()).or_default().push(id);
                        }
                    }
                }
            }
        }
        // Servers: switch those with an identity; list those without.
        let mut server_patches = Vec::new();
        for s in &svc.registered_servers {
            if s.is_cluster_name() || s.uses_managed_identity() {
                continue;
            }
            match s.any_identity() {
                None => {
                    certificate_servers_remain = true;
                    b.manual(arc_or_vm_step(svc, s));
                }
                Some(p) => server_patches.push((s, p.to_string())),
            }
        }
        // Microsoft.StorageSync keeps Reader and Data Access while certificate servers remain.
        if certificate_servers_remain {
            match snapshot.storage_sync_principal_id.as_deref() {
                Some(sync_p) => {
                    for a in ix.referenced_accounts() {
                        let role = roles::READER_AND_DATA_ACCESS;
                        if uses_account(svc, &a.id) && !matches!(ix.role_state(sync_p, role.guid, &a.id, &a.id), RoleState::Effective(_)) {
                            let reason = Reason {
                                check: "storage.legacy-sync-principal".into(),
                                message: format!("Servers without an identity still use keys on storage account '{}'.", a.name),
                            };
                            b.grant(&a.id, role, Some(sync_p), None, "Microsoft.StorageSync", reason, Vec::new());
                        }
                    }
                }
                None => b.note(
                    "Servers keep using keys, so Microsoft.StorageSync needs Reader and Data Access on the storage accounts, but its object id is unknown: pass --storage-sync-principal-id to plan that grant.".into(),
                ),
            }
        }
        let mut use_id = None;
        if !svc.use_identity {
            let id = change_id(ChangeKind::SetUseIdentity, svc.id.as_str());
            b.push(Change {
                id: id.clone(),
                kind: ChangeKind::SetUseIdentity,
                title: format!("Switch Storage Sync Service '{}' to its identity (useIdentity = true)", svc.name),
                reasons: vec![Reason {
                    check: "service.use-identity".into(),
                    message: format!(
                        "Storage Sync Service '{}' does not use its identity (useIdentity is false).",
                        svc.name
                    ),
                }],
                request: ArmRequest {
                    method: "PATCH".into(),
                    path: svc.id.as_str().into(),
                    api_version: api_versions::STORAGE_SYNC.into(),
                    body: serde_json::json!({"properties": {"useIdentity": true}}),
                },
                depends_on: svc_grants.clone(),
                security_posture_change: false,
                grant: None,
                principal_from: None,
            });
            use_id = Some(id);
        }
        for (s, p) in server_patches {
            let mut deps: Vec<String> = use_id.iter().cloned().collect();
            if use_id.is_none() {
                deps.extend(svc_grants.iter().cloned());
            }
            deps.extend(server_grants.get(&s.server_id.to_ascii_lowercase()).cloned().unwrap_or_default());
            b.push(Change {
                id: change_id(ChangeKind::SetServerIdentity, s.id.as_str()),
                kind: ChangeKind::SetServerIdentity,
                title: format!("Switch server '{}' to its managed identity ({p})", s.display_name()),
                reasons: vec![Reason {
                    check: "server.auth-mode".into(),
                    message: format!(
                        "Server '{}' has an identity but still authenticates with its certificate.",
                        s.display_name()
                    ),
                }],
                request: ArmRequest {
                    method: "PATCH".into(),
                    path: s.id.as_str().into(),
                    api_version: api_versions::STORAGE_SYNC.into(),
                    body: serde_json::json!({"properties": {"identity": true, "applicationId": p}}),
                },
                depends_on: deps,
                security_posture_change: false,
                grant: None,
                principal_from: None,
            });
        }
    }
    b.finish(PlanKind::EnableIdentity)
}

fn uses_account(svc: &StorageSyncService, account: &ResourceId) -> bool {
    svc.sync_groups.iter().any(|g| g.cloud_endpoints.iter().any(|c| c.storage_account_id().as_ref() == Some(account)))
}

// ---------------------------------------------------------------------------------------------------
// Files and validation

impl Plan {
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan always serializes")
    }

    /// Parse a plan, checking its version and its shape.
    pub fn from_json(text: &str) -> Result<Plan> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            Error::invalid_file(format!("the plan is not valid JSON ({e}); was the file cut short or edited?"))
                .with_source(e)
        })?;
        Self::from_value(value)
    }

    pub fn from_value(value: serde_json::Value) -> Result<Plan> {
        match value.get("schemaVersion").and_then(|v| v.as_u64()) {
            Some(v) if v == PLAN_SCHEMA_VERSION as u64 => {}
            Some(v) => {
                return Err(Error::invalid_file(format!(
                    "the plan has schemaVersion {v}, but this build reads version {PLAN_SCHEMA_VERSION}; make the plan again with this version"
                )))
            }
            None => return Err(Error::invalid_file("the file has no numeric 'schemaVersion': it is not a filesync-identity plan")),
        }
        let plan: Plan = serde_path_to_error::deserialize(value)
            .map_err(|e| Error::invalid_file(format!("the plan's shape is broken at '{}': {}", e.path(), e.inner())))?;
        plan.validate()?;
        Ok(plan)
    }

    pub fn load(path: &std::path::Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_file(format!("cannot read the plan '{}': {e}", path.display())).with_source(e)
        })?;
        Plan::from_json(&text).map_err(|e| e.context(format!("'{}'", path.display())))
    }

    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        crate::fsutil::write_atomic(path, format!("{}\n", self.to_json_pretty()).as_bytes())
    }

    /// A plan must only ever hold changes this tool would plan: grants of GRANTABLE roles at account or
    /// `fileshares` scope whose request matches the grant, and PATCHes of the target's own resources.
    /// A hand-edited plan that breaks this is refused.
    pub fn validate(&self) -> Result<()> {
        let mut seen = BTreeSet::new();
        for c in &self.changes {
            if !seen.insert(c.id.as_str()) {
                return Err(Error::invalid_file(format!("the plan lists change '{}' twice", c.id)));
            }
            for d in &c.depends_on {
                if !self.changes.iter().take_while(|x| x.id != c.id).any(|x| &x.id == d) {
                    return Err(Error::invalid_file(format!(
                        "change '{}' depends on '{d}', which does not come before it in the plan",
                        c.id
                    )));
                }
            }
            let bad = |why: &str| Error::invalid_file(format!("change '{}' is not one this tool makes: {why}", c.id));
            match c.kind {
                ChangeKind::RoleAssignment => {
                    let g = c.grant.as_ref().ok_or_else(|| bad("a role assignment without its grant"))?;
                    let role = grantable(&g.role_guid).ok_or_else(|| bad("the role is not one this tool grants"))?;
                    let scope = ResourceId::parse(&g.scope).map_err(|_| bad("the scope is not a resource id"))?;
                    if !allowed_scope(&scope) {
                        return Err(bad("grants only go to a storage account or a share's 'fileshares' scope"));
                    }
                    if c.request.method != "PUT" {
                        return Err(bad("a role assignment is a PUT"));
                    }
                    let placeholder = g.principal_id == PRINCIPAL_PLACEHOLDER;
                    if placeholder != c.principal_from.is_some() {
                        return Err(bad("a placeholder principal needs 'principalFrom', and only then"));
                    }
                    let name = if placeholder {
                        NAME_PLACEHOLDER.to_string()
                    } else {
                        assignment_name(scope.as_str(), &g.principal_id, role.guid)
                    };
                    if !c.request.path.eq_ignore_ascii_case(&assignment_path(scope.as_str(), &name)) {
                        return Err(bad("the request path does not match the grant"));
                    }
                    if c.request.body != assignment_body(&scope, role, &g.principal_id) {
                        return Err(bad("the request body does not match the grant"));
                    }
                }
                ChangeKind::EnableServiceIdentity | ChangeKind::SetUseIdentity | ChangeKind::SetServerIdentity => {
                    let id = ResourceId::parse(&c.request.path).map_err(|_| bad("the path is not a resource id"))?;
                    let service = if c.kind == ChangeKind::SetServerIdentity {
                        let s = id.segments();
                        if s.len() < 2 || !s[s.len() - 2].eq_ignore_ascii_case("registeredServers") {
                            return Err(bad("the path is not a registered server"));
                        }
                        let lower = id.as_str().to_ascii_lowercase();
                        lower.rsplit_once("/registeredservers/").map(|(svc, _)| svc.to_string()).unwrap_or_default()
                    } else {
                        id.as_str().to_string()
                    };
                    if !self.basis.facts.services.contains_key(&service.to_ascii_lowercase()) {
                        return Err(bad("the service is not one the plan was made for"));
                    }
                    if c.request.method != "PATCH" {
                        return Err(bad("service and server changes are PATCHes"));
                    }
                }
                ChangeKind::SetStorageTrustedServices | ChangeKind::SetStorageSharedKeyAccess => {
                    if !c.security_posture_change {
                        return Err(bad("a storage setting change must be flagged securityPostureChange"));
                    }
                    let id = ResourceId::parse(&c.request.path).map_err(|_| bad("the path is not a resource id"))?;
                    if !id.is_storage_account() || c.request.method != "PATCH" {
                        return Err(bad("storage changes are PATCHes of a storage account"));
                    }
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------
// Text

/// The plan as a readable table.
pub fn render_plan_table(plan: &Plan) -> String {
    let mut s = String::new();
    let target = match (&plan.target.resource_group, &plan.target.name) {
        (Some(rg), Some(n)) => format!("Storage Sync Service '{n}' (resource group '{rg}')"),
        (Some(rg), None) => format!("resource group '{rg}'"),
        _ => format!("subscription {}", plan.target.subscription_id),
    };
    s.push_str(&format!(
        "Plan ({}) for {target}: {} change{}\n",
        plan.kind.as_str(),
        plan.changes.len(),
        if plan.changes.len() == 1 { "" } else { "s" }
    ));
    if plan.changes.is_empty() {
        s.push_str("  Nothing to change.\n");
    }
    for (i, c) in plan.changes.iter().enumerate() {
        s.push_str(&format!("\n{:>3}. {}\n", i + 1, c.title));
        if c.security_posture_change {
            s.push_str("     ! SECURITY POSTURE CHANGE\n");
        }
        s.push_str(&format!("     id:      {}\n", c.id));
        for r in &c.reasons {
            s.push_str(&format!("     why:     [{}] {}\n", r.check, r.message));
        }
        s.push_str(&format!("     request: {} {}\n", c.request.method, c.request.path));
        if !c.depends_on.is_empty() {
            s.push_str(&format!("     after:   {}\n", c.depends_on.join(", ")));
        }
    }
    if !plan.manual_steps.is_empty() {
        s.push_str("\nManual steps (not done by this tool):\n");
        for m in &plan.manual_steps {
            s.push_str(&format!("  - {}\n", m.message));
            if let Some(c) = &m.command {
                s.push_str(&format!("    run: {c}\n"));
            }
        }
    }
    if !plan.notes.is_empty() {
        s.push_str("\nNotes:\n");
        for n in &plan.notes {
            s.push_str(&format!("  - {n}\n"));
        }
    }
    s
}

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
