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

use crate::error::{Error, Result};
use crate::model::check_id::CheckId;
use crate::model::principal::PrincipalId;
use crate::model::resource_id::{is_zero_guid, parse_share_scope, ResourceId, ShareScopeSpelling};
use crate::model::roles::{self, BuiltInRole};
use crate::model::snapshot::{Snapshot, Target};

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

    /// The HTTP method of the change's request: a role assignment is a PUT, the rest PATCH a resource.
    pub fn method(self) -> &'static str {
        match self {
            ChangeKind::RoleAssignment => "PUT",
            ChangeKind::EnableServiceIdentity
            | ChangeKind::SetUseIdentity
            | ChangeKind::SetServerIdentity
            | ChangeKind::SetStorageTrustedServices
            | ChangeKind::SetStorageSharedKeyAccess => "PATCH",
        }
    }

    /// Why a request of another method is not one of this kind (the plan file names the method).
    fn wrong_method(self) -> &'static str {
        match self {
            ChangeKind::RoleAssignment => "a role assignment is a PUT",
            ChangeKind::EnableServiceIdentity | ChangeKind::SetUseIdentity | ChangeKind::SetServerIdentity => {
                "service and server changes are PATCHes"
            }
            ChangeKind::SetStorageTrustedServices | ChangeKind::SetStorageSharedKeyAccess => {
                "storage changes are PATCHes of a storage account"
            }
        }
    }
}

/// The finding a change fixes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// The check id (`cloud-endpoint.service-share-role`, ...): a registered check, as a finding's.
    pub check: CheckId,
    pub message: String,
}

/// The exact ARM request of a change. Its method is the change kind's ([`ChangeKind::method`]); the plan
/// file spells it out as `request.method`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmRequest {
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

/// One change of a plan. A plan file holds it with the same fields and the request's method spelled
/// out (the kind's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ChangeFile", try_from = "ChangeFile")]
pub struct Change {
    /// Stable: the same change planned twice has the same id.
    pub id: String,
    pub kind: ChangeKind,
    /// One line a person reads.
    pub title: String,
    /// The findings this change fixes (one or more).
    pub reasons: Vec<Reason>,
    pub request: ArmRequest,
    pub depends_on: Vec<String>,
    /// True for changes to storage network rules or key access.
    pub security_posture_change: bool,
    pub grant: Option<Grant>,
    /// For a role assignment whose principal is a service identity created by this plan: the id of the
    /// `enableServiceIdentity` change that creates it.
    pub principal_from: Option<String>,
}

impl Change {
    /// The HTTP method of its request (the kind's).
    pub fn method(&self) -> &'static str {
        self.kind.method()
    }
}

/// A change as a plan file holds it: the same fields, the request with its method spelled out.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeFile {
    id: String,
    kind: ChangeKind,
    title: String,
    reasons: Vec<Reason>,
    request: RequestFile,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
    #[serde(default)]
    security_posture_change: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    grant: Option<Grant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    principal_from: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestFile {
    /// `PUT` or `PATCH`: must be the change kind's.
    method: String,
    path: String,
    api_version: String,
    body: serde_json::Value,
}

impl From<Change> for ChangeFile {
    fn from(c: Change) -> ChangeFile {
        ChangeFile {
            request: RequestFile {
                method: c.kind.method().to_string(),
                path: c.request.path,
                api_version: c.request.api_version,
                body: c.request.body,
            },
            id: c.id,
            kind: c.kind,
            title: c.title,
            reasons: c.reasons,
            depends_on: c.depends_on,
            security_posture_change: c.security_posture_change,
            grant: c.grant,
            principal_from: c.principal_from,
        }
    }
}

impl TryFrom<ChangeFile> for Change {
    type Error = String;
    /// A request whose method is not its kind's is not one this tool makes.
    fn try_from(c: ChangeFile) -> std::result::Result<Change, String> {
        if c.request.method != c.kind.method() {
            return Err(format!("change '{}' is not one this tool makes: {}", c.id, c.kind.wrong_method()));
        }
        Ok(Change {
            id: c.id,
            kind: c.kind,
            title: c.title,
            reasons: c.reasons,
            request: ArmRequest { path: c.request.path, api_version: c.request.api_version, body: c.request.body },
            depends_on: c.depends_on,
            security_posture_change: c.security_posture_change,
            grant: c.grant,
            principal_from: c.principal_from,
        })
    }
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
    pub storage_sync_principal_id: Option<PrincipalId>,
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
    /// Other things worth knowing (changes left out, a fix that needs a flag, ...): what the person
    /// running the repair should act on.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Findings the repair does not change and that need nothing of this run (other checks' problems,
    /// findings piped in that pass now): for the record, not warnings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<String>,
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
pub fn assignment_name(scope: &str, principal_id: &PrincipalId, role_guid: &str) -> String {
    let key = format!(
        "{}|{}|{}",
        scope.trim_end_matches('/').to_ascii_lowercase(),
        principal_id,
        role_guid.to_ascii_lowercase()
    );
    uuid::Uuid::new_v5(&ASSIGNMENT_NAMESPACE, key.as_bytes()).to_string()
}

pub(super) fn change_id(kind: ChangeKind, key: &str) -> String {
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

pub(super) fn grantable(guid: &str) -> Option<BuiltInRole> {
    roles::GRANTABLE.iter().copied().find(|r| r.guid.eq_ignore_ascii_case(guid))
}

/// Is `scope` a scope this tool grants at: a storage account, or a share's `fileshares` scope?
pub fn allowed_scope(scope: &ResourceId) -> bool {
    scope.is_storage_account() || matches!(parse_share_scope(scope), Some((_, _, ShareScopeSpelling::FileShares)))
}

/// Every principal the snapshot knows: service identities, server identities, Microsoft.StorageSync.
pub fn known_principals(snapshot: &Snapshot) -> BTreeSet<PrincipalId> {
    let mut out = BTreeSet::new();
    for svc in &snapshot.services {
        out.extend(svc.system_principal());
        for s in &svc.registered_servers {
            for id in [s.any_identity(), s.application_id.as_deref(), s.latest_application_id.as_deref()]
                .into_iter()
                .flatten()
            {
                if !is_zero_guid(id) {
                    out.extend(PrincipalId::parse(id).ok());
                }
            }
        }
    }
    out.extend(snapshot.storage_sync_principal_id.clone());
    out
}

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
                    let placeholder = g.principal_id == PRINCIPAL_PLACEHOLDER;
                    if placeholder != c.principal_from.is_some() {
                        return Err(bad("a placeholder principal needs 'principalFrom', and only then"));
                    }
                    let name = if placeholder {
                        NAME_PLACEHOLDER.to_string()
                    } else {
                        let principal = PrincipalId::parse(&g.principal_id)
                            .map_err(|_| bad("the principal is not an object id"))?;
                        assignment_name(scope.as_str(), &principal, role.guid)
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
                }
                ChangeKind::SetStorageTrustedServices | ChangeKind::SetStorageSharedKeyAccess => {
                    if !c.security_posture_change {
                        return Err(bad("a storage setting change must be flagged securityPostureChange"));
                    }
                    let id = ResourceId::parse(&c.request.path).map_err(|_| bad("the path is not a resource id"))?;
                    if !id.is_storage_account() {
                        return Err(bad("storage changes are PATCHes of a storage account"));
                    }
                }
            }
        }
        Ok(())
    }
}
