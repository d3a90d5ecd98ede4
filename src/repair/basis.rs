//! A plan's basis: the facts of the snapshot a plan rests on (identities, auth modes, which shares and
//! servers each sync group has), their fingerprint, and what moved when `apply` reads them again. Role
//! assignments are not part of it: granting is idempotent, so a plan stays valid after a partial apply.

use super::plan::*;
use crate::model::resource_id::{is_zero_guid, ResourceId};
use crate::model::snapshot::Snapshot;
use std::collections::BTreeSet;

fn norm(id: Option<&str>) -> Option<String> {
    id.filter(|s| !s.is_empty() && !is_zero_guid(s)).map(str::to_ascii_lowercase)
}

/// The facts of a snapshot a plan rests on.
pub fn basis_facts(snapshot: &Snapshot) -> BasisFacts {
    let mut facts =
        BasisFacts { storage_sync_principal_id: snapshot.storage_sync_principal_id.clone(), ..Default::default() };
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
    if planned.storage_sync_principal_id != live.storage_sync_principal_id {
        out.push(BasisDrift::new(
            "the object id of Microsoft.StorageSync".into(),
            shown(planned.storage_sync_principal_id.as_deref()),
            shown(live.storage_sync_principal_id.as_deref()),
            false,
        ));
    }
    let ids: BTreeSet<&String> = planned.services.keys().chain(live.services.keys()).collect();
    for id in ids {
        match (planned.services.get(id), live.services.get(id)) {
            (Some(p), Some(l)) => service_drift(plan, id, p, l, &mut out),
            (p, l) => {
                let state = |x: Option<&ServiceFacts>| if x.is_some() { "present" } else { "absent" }.to_string();
                out.push(BasisDrift::new(format!("service '{id}'"), state(p), state(l), false));
            }
        }
    }
    for (id, p) in &planned.storage_accounts {
        let l = live.storage_accounts.get(id).cloned().unwrap_or_default();
        storage_drift(plan, id, p, &l, &mut out);
    }
    out
}

impl BasisDrift {
    fn new(fact: String, planned: String, live: String, towards: bool) -> BasisDrift {
        BasisDrift { fact, planned, live, towards }
    }
}

/// What moved in one service: its identity, `useIdentity`, its servers and its sync groups.
fn service_drift(plan: &Plan, id: &str, p: &ServiceFacts, l: &ServiceFacts, out: &mut Vec<BasisDrift>) {
    if p.identity_principal_id != l.identity_principal_id {
        let towards = p.identity_principal_id.is_none()
            && l.identity_principal_id.is_some()
            && change_at(plan, ChangeKind::EnableServiceIdentity, id).is_some();
        out.push(BasisDrift::new(
            format!("identity.principalId of service '{id}'"),
            shown(p.identity_principal_id.as_deref()),
            shown(l.identity_principal_id.as_deref()),
            towards,
        ));
    }
    if p.use_identity != l.use_identity {
        let towards = l.use_identity && change_at(plan, ChangeKind::SetUseIdentity, id).is_some();
        out.push(BasisDrift::new(
            format!("useIdentity of service '{id}'"),
            p.use_identity.to_string(),
            l.use_identity.to_string(),
            towards,
        ));
    }
    let servers: BTreeSet<&String> = p.servers.keys().chain(l.servers.keys()).collect();
    for server in servers {
        let (ps, ls) = (p.servers.get(server), l.servers.get(server));
        if ps == ls {
            continue;
        }
        let path = format!("{id}/registeredservers/{server}");
        let towards = match (ps, ls, change_at(plan, ChangeKind::SetServerIdentity, &path)) {
            (Some(ps), Some(ls), Some(c)) => server_switched(c, ps, ls),
            _ => false,
        };
        out.push(BasisDrift::new(
            format!("registered server '{server}' of service '{id}' (activeAuthType|applicationId|latestApplicationId|role)"),
            shown(ps),
            shown(ls),
            towards,
        ));
    }
    let groups: BTreeSet<&String> = p.sync_groups.keys().chain(l.sync_groups.keys()).collect();
    for g in groups {
        let (pg, lg) = (p.sync_groups.get(g), l.sync_groups.get(g));
        if pg != lg {
            out.push(BasisDrift::new(
                format!("sync group '{g}' of service '{id}' (cloud endpoints <- servers)"),
                shown(pg),
                shown(lg),
                false,
            ));
        }
    }
}

/// Did a server move to what the plan's switch `c` sets? `activeAuthType|applicationId|latestApplicationId|role`:
/// switched to the planned identity, same role (latestApplicationId is cleared by the switch or not).
fn server_switched(c: &Change, planned: &str, live: &str) -> bool {
    let want = c.request.body.pointer("/properties/applicationId").and_then(|v| v.as_str());
    let (pv, lv): (Vec<&str>, Vec<&str>) = (planned.split('|').collect(), live.split('|').collect());
    lv.len() == 4
        && pv.len() == 4
        && lv[0] == "managedidentity"
        && want.is_some_and(|w| w.eq_ignore_ascii_case(lv[1]))
        && lv[3] == pv[3]
}

/// What moved in one storage account's settings that a posture change rewrites.
fn storage_drift(plan: &Plan, id: &str, p: &StorageFacts, l: &StorageFacts, out: &mut Vec<BasisDrift>) {
    if let Some(pk) = p.allow_shared_key_access {
        if l.allow_shared_key_access != Some(pk) {
            let towards = l.allow_shared_key_access == Some(true)
                && change_at(plan, ChangeKind::SetStorageSharedKeyAccess, id).is_some();
            out.push(BasisDrift::new(
                format!("allowSharedKeyAccess of storage account '{id}'"),
                pk.to_string(),
                l.allow_shared_key_access.map(|b| b.to_string()).unwrap_or_else(|| "(not readable)".into()),
                towards,
            ));
        }
    }
    let Some(pa) = &p.network_acls else { return };
    let Some(la) = &l.network_acls else {
        out.push(BasisDrift::new(
            format!("networkAcls of storage account '{id}'"),
            "(read)".into(),
            "(not readable)".into(),
            false,
        ));
        return;
    };
    if pa == la {
        return;
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
            out.push(BasisDrift::new(format!("networkAcls.{field} of storage account '{id}'"), pv, lv, towards));
        }
    }
}
