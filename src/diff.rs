//! What moved between two snapshots of the same deployment: role assignments added or removed, settings
//! changed, resources added or removed, and findings whose status changed.
//!
//! Settings are compared generically: every resource of the snapshot (services, registered servers, sync
//! groups, endpoints, storage accounts, deny assignments, locks) is turned into its JSON fields, nested
//! objects flattened to dotted names (`networkAcls.defaultAction`), and compared field by field. A field
//! added to a snapshot type later is therefore compared without a change here; only fields that are not
//! settings (heartbeats, sync results, what the caller may do) are listed in `IGNORED`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::findings::Status;
use crate::model::snapshot::{Snapshot, Target, TargetKind};

/// The version of the diff's JSON.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// Fields that are not settings, by resource kind: they move on their own (heartbeats, sync results), say
/// who collected (the caller's permissions), or are compared elsewhere (child resources).
const IGNORED: &[(&str, &[&str])] = &[
    ("storageSyncService", &["registeredServers", "syncGroups", "lastModifiedAt"]),
    ("registeredServer", &["lastHeartBeat"]),
    ("syncGroup", &["cloudEndpoints", "serverEndpoints"]),
    (
        "serverEndpoint",
        &[
            "uploadLastSyncResult",
            "downloadLastSyncResult",
            "lastSyncTimestamp",
            "filesNotSyncingErrors",
            "recallErrors",
        ],
    ),
    ("storageAccount", &["read", "roleAssignmentsRead", "callerPermissions"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub(crate) fn sign(self) -> &'static str {
        match self {
            Change::Added => "+",
            Change::Removed => "-",
            Change::Changed => "~",
        }
    }
}

/// When a snapshot was collected, and which file it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    pub collected_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentChange {
    pub change: Change,
    pub principal_id: String,
    pub role_definition_id: String,
    pub role_name: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The assignment's id (the new one for an added assignment).
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingChange {
    pub resource_id: String,
    pub resource_name: String,
    pub kind: String,
    /// The field, dotted for nested ones (`networkAcls.defaultAction`).
    pub field: String,
    /// `null` when the field was absent.
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceChange {
    pub change: Change,
    pub kind: String,
    pub resource_id: String,
    pub resource_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingChange {
    pub check: String,
    pub resource_id: String,
    pub resource_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// `None`: the finding was not there (its resource did not exist, or the check did not apply).
    pub old: Option<Status>,
    pub new: Option<Status>,
    /// The newer finding's message (the older one's when it is gone).
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSummary {
    pub role_assignments: usize,
    pub settings: usize,
    pub resources: usize,
    pub findings: usize,
}

impl DiffSummary {
    pub fn total(&self) -> usize {
        self.role_assignments + self.settings + self.resources + self.findings
    }
}

/// What moved between two snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    pub schema_version: u32,
    pub target: Target,
    pub old: Side,
    pub new: Side,
    pub role_assignments: Vec<RoleAssignmentChange>,
    pub settings: Vec<SettingChange>,
    pub resources: Vec<ResourceChange>,
    pub findings: Vec<FindingChange>,
    pub summary: DiffSummary,
    /// What limits the comparison (parts that could not be read, snapshots in the wrong order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Diff {
    /// Nothing moved.
    pub fn is_empty(&self) -> bool {
        self.summary.total() == 0
    }
    /// 0 when nothing moved, 1 when something did.
    pub fn exit_code(&self) -> i32 {
        if self.is_empty() {
            0
        } else {
            1
        }
    }
}

pub(crate) fn describe(t: &Target) -> String {
    let kind = match t.kind {
        TargetKind::Service => "Storage Sync Service",
        TargetKind::ResourceGroup => "resource group",
        TargetKind::Subscription => "subscription",
    };
    let mut s = match (&t.name, &t.resource_group) {
        (Some(n), Some(rg)) => format!("{kind} '{n}' in resource group {rg}"),
        (None, Some(rg)) => format!("{kind} '{rg}'"),
        _ => kind.to_string(),
    };
    s.push_str(&format!(" (subscription {})", t.subscription_id));
    s
}

fn same_target(a: &Target, b: &Target) -> bool {
    let eq = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        (None, None) => true,
        _ => false,
    };
    a.kind == b.kind
        && a.subscription_id.eq_ignore_ascii_case(&b.subscription_id)
        && eq(&a.resource_group, &b.resource_group)
        && eq(&a.name, &b.name)
}

/// One resource of a snapshot as `(kind, name, fields)`.
type Flat = BTreeMap<String, (String, String, BTreeMap<String, Value>)>;

/// Nested objects to dotted fields; arrays and scalars are values.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&name, x, out);
            }
        }
        Value::Null => {}
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn add<T: Serialize>(flat: &mut Flat, kind: &str, id: &str, name: &str, item: &T) {
    let mut v = serde_json::to_value(item).unwrap_or(Value::Null);
    if let Some(map) = v.as_object_mut() {
        for (k, fields) in IGNORED {
            if *k == kind {
                for f in *fields {
                    map.remove(*f);
                }
            }
        }
        map.remove("id");
    }
    let mut fields = BTreeMap::new();
    flatten("", &v, &mut fields);
    flat.insert(id.to_ascii_lowercase(), (kind.to_string(), name.to_string(), fields));
}

/// Every resource of a snapshot, by lower-case id.
fn resources(s: &Snapshot) -> Flat {
    let mut flat = Flat::new();
    for svc in &s.services {
        add(&mut flat, "storageSyncService", svc.id.as_str(), &svc.name, svc);
        for r in &svc.registered_servers {
            add(&mut flat, "registeredServer", r.id.as_str(), r.display_name(), r);
        }
        for g in &svc.sync_groups {
            add(&mut flat, "syncGroup", g.id.as_str(), &g.name, g);
            for c in &g.cloud_endpoints {
                add(&mut flat, "cloudEndpoint", c.id.as_str(), c.share().unwrap_or(&c.name), c);
            }
            for e in &g.server_endpoints {
                let name = e.server_local_path.as_deref().unwrap_or(&e.name);
                add(&mut flat, "serverEndpoint", e.id.as_str(), name, e);
            }
        }
    }
    for a in &s.storage_accounts {
        add(&mut flat, "storageAccount", a.id.as_str(), &a.name, a);
    }
    for d in &s.deny_assignments {
        add(&mut flat, "denyAssignment", &d.id, &d.name, d);
    }
    for l in &s.locks {
        let name = l.id.rsplit('/').next().unwrap_or(&l.id);
        add(&mut flat, "lock", &l.id, name, l);
    }
    flat
}

/// The key of a role assignment: who, what, where (and on what condition); its id and creation time are
/// not part of what it grants.
fn assignment_key(r: &crate::model::snapshot::RoleAssignment) -> (String, String, String, String) {
    (
        r.principal_id.to_ascii_lowercase(),
        r.role_guid(),
        r.scope.as_str().trim_end_matches('/').to_ascii_lowercase(),
        r.condition.clone().unwrap_or_default(),
    )
}

/// Compare two snapshots of the same deployment (refused, with both named, when they are not).
pub fn diff(old: &Snapshot, new: &Snapshot) -> Result<Diff> {
    diff_sources(old, None, new, None)
}

/// [`diff`], naming the files the snapshots came from.
pub fn diff_sources(
    old: &Snapshot,
    old_source: Option<&str>,
    new: &Snapshot,
    new_source: Option<&str>,
) -> Result<Diff> {
    if !same_target(&old.target, &new.target) {
        return Err(Error::invalid_input(format!(
            "the snapshots are of different deployments: the old one is of {}, the new one of {}; diff compares two collections of the same deployment",
            describe(&old.target),
            describe(&new.target)
        )));
    }
    let mut notes = notes_on(old, new);
    let role_assignments = role_assignment_changes(old, new);
    let (resources_changed, settings) = resource_changes(old, new, &mut notes);
    let findings = finding_changes(old, new);
    let summary = DiffSummary {
        role_assignments: role_assignments.len(),
        settings: settings.len(),
        resources: resources_changed.len(),
        findings: findings.len(),
    };
    notes.dedup();
    Ok(Diff {
        schema_version: DIFF_SCHEMA_VERSION,
        target: new.target.clone(),
        old: Side { collected_at: old.collected_at, source: old_source.map(str::to_string) },
        new: Side { collected_at: new.collected_at, source: new_source.map(str::to_string) },
        role_assignments,
        settings,
        resources: resources_changed,
        findings,
        summary,
        notes,
    })
}

/// What to keep in mind when reading the diff: snapshots in the wrong order, parts that were not read.
fn notes_on(old: &Snapshot, new: &Snapshot) -> Vec<String> {
    let mut notes = Vec::new();
    if new.collected_at < old.collected_at {
        notes.push(format!(
            "the 'new' snapshot ({}) was collected before the 'old' one ({}): the changes read backwards; swap them to see what moved since",
            crate::model::text::when(new.collected_at),
            crate::model::text::when(old.collected_at)
        ));
    }
    for (which, s) in [("old", old), ("new", new)] {
        if !s.collection_errors.is_empty() {
            notes.push(format!(
                "the {which} snapshot has {} parts that could not be read; what they hold is compared as absent",
                s.collection_errors.len()
            ));
        }
    }
    notes
}

/// Role assignments removed and added, by scope.
fn role_assignment_changes(old: &Snapshot, new: &Snapshot) -> Vec<RoleAssignmentChange> {
    type Keyed<'a> = BTreeMap<(String, String, String, String), &'a crate::model::snapshot::RoleAssignment>;
    fn index(s: &Snapshot) -> Keyed<'_> {
        s.role_assignments.iter().map(|r| (assignment_key(r), r)).collect()
    }
    let (before, after) = (index(old), index(new));
    let mut role_assignments = Vec::new();
    let change = |c: Change, r: &crate::model::snapshot::RoleAssignment| RoleAssignmentChange {
        change: c,
        principal_id: r.principal_id.clone(),
        role_definition_id: r.role_definition_id.clone(),
        role_name: crate::model::roles::display_name(&r.role_definition_id),
        scope: r.scope.as_str().to_string(),
        principal_type: r.principal_type.clone(),
        condition: r.condition.clone(),
        id: r.id.to_string(),
    };
    for (k, r) in &before {
        if !after.contains_key(k) {
            role_assignments.push(change(Change::Removed, r));
        }
    }
    for (k, r) in &after {
        if !before.contains_key(k) {
            role_assignments.push(change(Change::Added, r));
        }
    }
    role_assignments.sort_by(|a, b| {
        (a.scope.to_ascii_lowercase(), a.change, &a.principal_id).cmp(&(
            b.scope.to_ascii_lowercase(),
            b.change,
            &b.principal_id,
        ))
    });
    role_assignments
}

/// Resources removed and added, and the settings that changed on those in both (a storage account not
/// read in one snapshot is noted, not compared).
fn resource_changes(
    old: &Snapshot,
    new: &Snapshot,
    notes: &mut Vec<String>,
) -> (Vec<ResourceChange>, Vec<SettingChange>) {
    let (was, is) = (resources(old), resources(new));
    let mut resources_changed = Vec::new();
    let mut settings = Vec::new();
    let unread =
        |s: &Snapshot, id: &str| s.storage_accounts.iter().any(|a| !a.read && a.id.as_str().eq_ignore_ascii_case(id));
    for (id, (kind, name, fields)) in &was {
        match is.get(id) {
            None => resources_changed.push(ResourceChange {
                change: Change::Removed,
                kind: kind.clone(),
                resource_id: original_id(old, id),
                resource_name: name.clone(),
            }),
            Some((_, new_name, new_fields)) => {
                if unread(old, id) || unread(new, id) {
                    notes.push(format!(
                        "storage account '{name}' could not be read in one snapshot: its settings are not compared"
                    ));
                    continue;
                }
                let names: BTreeSet<&String> = fields.keys().chain(new_fields.keys()).collect();
                for f in names {
                    let (a, b) = (fields.get(f), new_fields.get(f));
                    if a != b {
                        settings.push(SettingChange {
                            resource_id: original_id(new, id),
                            resource_name: new_name.clone(),
                            kind: kind.clone(),
                            field: f.clone(),
                            old: a.cloned().unwrap_or(Value::Null),
                            new: b.cloned().unwrap_or(Value::Null),
                        });
                    }
                }
            }
        }
    }
    for (id, (kind, name, _)) in &is {
        if !was.contains_key(id) {
            resources_changed.push(ResourceChange {
                change: Change::Added,
                kind: kind.clone(),
                resource_id: original_id(new, id),
                resource_name: name.clone(),
            });
        }
    }
    resources_changed.sort_by_key(|a| a.resource_id.to_ascii_lowercase());
    (resources_changed, settings)
}

/// The id as the snapshot spells it (the comparison is by lower-case id).
fn original_id(s: &Snapshot, lower: &str) -> String {
    let all = s
        .services
        .iter()
        .flat_map(|svc| {
            std::iter::once(svc.id.as_str()).chain(svc.registered_servers.iter().map(|r| r.id.as_str())).chain(
                svc.sync_groups.iter().flat_map(|g| {
                    std::iter::once(g.id.as_str())
                        .chain(g.cloud_endpoints.iter().map(|c| c.id.as_str()))
                        .chain(g.server_endpoints.iter().map(|e| e.id.as_str()))
                }),
            )
        })
        .chain(s.storage_accounts.iter().map(|a| a.id.as_str()))
        .chain(s.deny_assignments.iter().map(|d| d.id.as_str()))
        .chain(s.locks.iter().map(|l| l.id.as_str()));
    for id in all {
        if id.eq_ignore_ascii_case(lower) {
            return id.to_string();
        }
    }
    lower.to_string()
}

fn finding_changes(old: &Snapshot, new: &Snapshot) -> Vec<FindingChange> {
    let run = |s: &Snapshot| {
        crate::checks::run(s, &crate::checks::CheckContext::at(s.collected_at), &crate::checks::Selection::default())
    };
    let key = |f: &crate::model::findings::Finding| {
        (
            f.check.to_string(),
            f.resource_id.to_ascii_lowercase(),
            f.principal_id.as_deref().unwrap_or("").to_ascii_lowercase(),
            f.scope.as_deref().unwrap_or("").to_ascii_lowercase(),
        )
    };
    let before: BTreeMap<_, _> = run(old).into_iter().map(|f| (key(&f), f)).collect();
    let after: BTreeMap<_, _> = run(new).into_iter().map(|f| (key(&f), f)).collect();
    let keys: BTreeSet<_> = before.keys().chain(after.keys()).cloned().collect();
    let mut out = Vec::new();
    for k in keys {
        let (a, b) = (before.get(&k), after.get(&k));
        let (sa, sb) = (a.map(|f| f.status), b.map(|f| f.status));
        if sa == sb {
            continue;
        }
        let Some(f) = b.or(a) else { continue };
        out.push(FindingChange {
            check: f.check.to_string(),
            resource_id: f.resource_id.to_string(),
            resource_name: f.resource_name.to_string(),
            principal_id: f.principal_id.as_ref().map(|p| p.to_string()),
            old: sa,
            new: sb,
            message: f.message.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        Snapshot::from_json(include_str!("../examples/sample-deployment.json")).unwrap()
    }

    #[test]
    fn a_snapshot_against_itself_moved_nothing() {
        let s = sample();
        let d = diff(&s, &s).unwrap();
        assert!(d.is_empty(), "{}", crate::report::render_diff_table(&d));
        assert_eq!(d.exit_code(), 0);
        assert!(crate::report::render_diff_table(&d).ends_with("Nothing moved.\n"));
    }

    #[test]
    fn removed_roles_changed_settings_and_their_findings_are_listed() {
        let old = sample();
        let mut new = old.clone();
        new.collected_at = old.collected_at + chrono::Duration::hours(1);
        let gone = new.role_assignments.remove(0);
        let account = new.storage_accounts.iter_mut().find(|a| a.read).unwrap();
        let before = account.allow_shared_key_access;
        account.allow_shared_key_access = Some(!account.shared_key_allowed());
        // A heartbeat moves on its own: not a setting.
        if let Some(r) = new.services.get_mut(0).and_then(|s| s.registered_servers.get_mut(0)) {
            r.last_heart_beat = Some("2030-01-01T00:00:00Z".into());
        }
        let d = diff(&old, &new).unwrap();
        assert_eq!(d.role_assignments.len(), 1);
        assert_eq!(d.role_assignments[0].change, Change::Removed);
        assert_eq!(d.role_assignments[0].principal_id, gone.principal_id);
        assert_eq!(d.settings.len(), 1, "{:#?}", d.settings);
        assert_eq!(d.settings[0].field, "allowSharedKeyAccess");
        assert_eq!(d.settings[0].old, serde_json::to_value(before).unwrap());
        assert!(d.resources.is_empty());
        assert_eq!(d.exit_code(), 1);
        let md = crate::report::render_diff_markdown(&d);
        assert!(md.contains("## Role assignments") && md.contains("`allowSharedKeyAccess`"), "{md}");
    }

    #[test]
    fn two_deployments_are_refused_by_name() {
        let old = sample();
        let mut new = old.clone();
        new.target.name = Some("another-service".into());
        let e = diff(&old, &new).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("different deployments") && e.to_string().contains("another-service"), "{e}");
    }
}
