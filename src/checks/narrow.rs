//! A report narrowed to some sync groups: the checks run on the whole snapshot (so verdicts that depend on
//! the rest of the deployment, such as who else uses a storage account, stay right), and only the findings
//! that bear on the named sync groups are kept: the groups and their endpoints, the registered servers
//! that have a server endpoint in them, the storage accounts (and shares) their cloud endpoints use, and
//! everything that belongs to no sync group (the service itself, the caller). Findings about other sync
//! groups, servers that serve none of the named groups, and accounts only other groups use are left out.

use crate::error::{Error, Result};
use crate::model::findings::{Report, Summary};
use crate::model::resource_id::ResourceId;
use crate::model::snapshot::Snapshot;

/// Keep the findings of `report` that bear on the sync groups named in `groups` (case-insensitive).
/// Every name must be a sync group of a service in the snapshot; an unknown name is an `InvalidInput`
/// error that lists the sync groups there are. An empty `groups` leaves the report whole.
pub fn to_sync_groups(report: &mut Report, snapshot: &Snapshot, groups: &[String]) -> Result<()> {
    if groups.is_empty() {
        return Ok(());
    }
    let all: Vec<_> = snapshot.services.iter().flat_map(|s| s.sync_groups.iter().map(move |g| (s, g))).collect();
    for name in groups {
        if !all.iter().any(|(_, g)| g.name.eq_ignore_ascii_case(name)) {
            let known: Vec<&str> = all.iter().map(|(_, g)| g.name.as_str()).collect();
            return Err(Error::invalid_input(format!(
                "there is no sync group '{name}' in {}; its sync groups are: {}",
                describe_target(snapshot),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )));
        }
    }
    let chosen = |n: &str| groups.iter().any(|g| g.eq_ignore_ascii_case(n));
    let (mut kept_groups, mut other_groups, mut servers, mut accounts) = (vec![], vec![], vec![], vec![]);
    for (_, g) in &all {
        if !chosen(&g.name) {
            other_groups.push(&g.id);
            continue;
        }
        kept_groups.push(&g.id);
        for se in &g.server_endpoints {
            if let Some(server) = se.server_resource_id.as_deref().and_then(|r| ResourceId::parse(r).ok()) {
                servers.push(server);
            }
        }
        accounts.extend(g.cloud_endpoints.iter().filter_map(|c| c.storage_account_id()));
    }
    let every_server: Vec<&ResourceId> =
        snapshot.services.iter().flat_map(|s| s.registered_servers.iter().map(|r| &r.id)).collect();

    report.findings.retain(|f| {
        let Ok(id) = ResourceId::parse(f.resource_id.as_str()) else { return true };
        if kept_groups.iter().any(|g| g.contains(&id)) {
            return true;
        }
        if other_groups.iter().any(|g| g.contains(&id)) {
            return false;
        }
        if every_server.iter().any(|s| s.contains(&id)) {
            return servers.iter().any(|s| s.contains(&id));
        }
        match id.storage_account() {
            Some(account) => accounts.iter().any(|a| a.contains(&account)),
            None => true,
        }
    });
    report.summary = Summary::of(&report.findings);
    report.causes = super::causes::of(&report.findings);
    let mut names: Vec<String> = all.iter().filter(|(_, g)| chosen(&g.name)).map(|(_, g)| g.name.clone()).collect();
    names.sort_by_key(|n| n.to_ascii_lowercase());
    names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    report.sync_groups = names;
    Ok(())
}

fn describe_target(snapshot: &Snapshot) -> String {
    match snapshot.services.as_slice() {
        [one] => format!("Storage Sync Service '{}'", one.name),
        [] => "this deployment (it has no Storage Sync Service)".to_string(),
        many => format!("the {} Storage Sync Services diagnosed", many.len()),
    }
}
