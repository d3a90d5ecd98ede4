//! A run over many services: Azure Resource Graph finds them, ARM reads each.
//!
//! Discovery: the scope's subscriptions come from ARM (a management group's `descendants`, or
//! `GET /subscriptions`); Resource Graph then says which of them answer (`resourcecontainers`) and which
//! Storage Sync Services they hold (`resources`), a management group in one query, a subscription list in
//! batches of [`SUBSCRIPTION_BATCH`]. Resource Graph leaves out, without a word, the subscriptions the
//! caller cannot read: those the scope holds but that did not answer are reported as unreadable, and the
//! run is then not complete (never a green verdict over a partial scope). An answer Resource Graph cut
//! (`resultTruncated`) is reported the same way.
//!
//! Everything else is read from ARM, per service, by the one-service collector ([`super::collect_with`]):
//! Resource Graph does not index registered servers, sync groups, endpoints or shares, and it can lag
//! behind ARM, so each snapshot (and any plan made from it) rests on ARM's current state. A service
//! Resource Graph still lists but ARM no longer has is noted as gone, not as a failure. What is listed
//! per subscription (role and deny assignments) is read once for all the services of that subscription
//! ([`super::SharedReads`]), not once per service.
//!
//! The storage accounts the cloud endpoints name and the machines whose identities the registered servers
//! use are read from Resource Graph's `resources` table ([`super::graph_rows`]), gathered and asked for
//! together, each row put back in ARM's shape and read by the same code; ARM reads any that Resource
//! Graph does not return, as in a one-service run. A repair's apply re-reads its service from ARM before
//! it writes, so a fact Resource Graph still shows stale is never what a change rests on. Resource
//! Graph's ids are ARM's ignoring case only; a snapshot names each resource as ARM does (`named_as_arm`).

use std::collections::BTreeSet;

use futures::StreamExt;
use serde_json::Value;

use crate::arm::resource_graph::{QueryScope, SUBSCRIPTION_BATCH};
use crate::arm::{api_versions, ArmClient};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{log, Event, LogLevel};
use crate::model::resource_id::{validate_guid, validate_segment, ResourceId};
use crate::model::snapshot::Snapshot;
use crate::model::tenant::{Coverage, Scope, ServiceNotCollected, TenantSnapshot};

use super::{CollectOptions, TargetSpec};

/// The Storage Sync Services of a scope (projects `id`, so that Resource Graph pages it).
pub const SERVICES_QUERY: &str = "resources | where type =~ 'microsoft.storagesync/storagesyncservices' | project id, name, subscriptionId, resourceGroup, location";
/// The subscriptions of a scope that answer (projects `id`).
pub const SUBSCRIPTIONS_QUERY: &str =
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId";

/// Services collected at once (each one's reads go through the client's shared slots anyway). Twice the
/// 8 it was before the machines came from Resource Graph: services whose rows wait to be asked together
/// hold their place without using the client, and the others in flight keep it busy and bring more ids
/// to the next query (tenant bench: 52 row queries with 8 and a 0.5 s window, 13 with 16 and the
/// client's room deciding, against a floor of 12).
const SERVICES_AT_ONCE: usize = 16;

/// Check a scope's names before any request.
pub fn validate_scope(scope: &Scope) -> Result<()> {
    match scope {
        Scope::ManagementGroup { id } => validate_segment("the management group id", id),
        Scope::AllSubscriptions => Ok(()),
        Scope::Subscriptions { ids } => {
            if ids.is_empty() {
                return Err(Error::invalid_input("give at least one subscription id"));
            }
            ids.iter().try_for_each(|s| validate_guid("the subscription id", s).map(|_| ()))
        }
    }
}

/// What discovery found.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub coverage: Coverage,
    pub services: Vec<ResourceId>,
}

/// Find the services of a scope (see the module's description).
pub async fn discover(client: &ArmClient, scope: &Scope) -> Result<Discovery> {
    validate_scope(scope)?;
    progress(client, format!("finding the subscriptions of {scope}"));
    // The scope's subscriptions, as ARM lists them.
    let (in_scope, unlisted): (Option<BTreeSet<String>>, Option<String>) = match scope {
        Scope::ManagementGroup { id } => {
            let path = format!("/providers/Microsoft.Management/managementGroups/{id}/descendants");
            match client.list(&path, api_versions::MANAGEMENT_GROUPS).await {
                Ok(items) => (Some(subscription_ids(&items, true)), None),
                Err(e) if matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Authentication) => return Err(e),
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!(
                            "there is no management group '{id}' (or the signed-in identity cannot see it): {}",
                            e.message()
                        ),
                    ))
                }
                Err(e) => (None, Some(e.message().to_string())),
            }
        }
        Scope::AllSubscriptions => {
            let items = client.list("/subscriptions", api_versions::SUBSCRIPTIONS).await?;
            (Some(subscription_ids(&items, false)), None)
        }
        Scope::Subscriptions { ids } => (Some(ids.iter().map(|s| s.to_ascii_lowercase()).collect()), None),
    };
    // Resource Graph: which answer, and their services.
    let scopes: Vec<QueryScope> = match (scope, &in_scope) {
        (Scope::ManagementGroup { id }, _) => vec![QueryScope::ManagementGroup(id.clone())],
        (_, Some(subs)) => {
            let subs: Vec<String> = subs.iter().cloned().collect();
            subs.chunks(SUBSCRIPTION_BATCH).map(|c| QueryScope::Subscriptions(c.to_vec())).collect()
        }
        (_, None) => Vec::new(),
    };
    let mut answered = BTreeSet::new();
    let mut rows = Vec::new();
    let mut truncated = false;
    let mut requests = 0u32;
    progress(client, format!("asking Resource Graph for the Storage Sync Services of {scope}"));
    let queries = scopes.iter().map(|s| async move {
        let (subs, services) = futures::join!(graph(client, s, SUBSCRIPTIONS_QUERY), graph(client, s, SERVICES_QUERY));
        // ARG answers 403 only when the caller can read none of the batch: then none of it answered.
        let none_readable = |r: Result<crate::arm::resource_graph::QueryResult>| match r {
            Err(e) if e.arm().is_some_and(|a| a.status == 403) => {
                log(client.events(), LogLevel::Verbose, format!("Resource Graph: none of a batch is readable ({e})"));
                Ok(crate::arm::resource_graph::QueryResult { pages: 1, ..Default::default() })
            }
            other => other,
        };
        Ok::<_, Error>((none_readable(subs)?, none_readable(services)?))
    });
    for answer in futures::future::join_all(queries).await {
        let (subs, services) = answer?;
        requests += subs.pages + services.pages;
        truncated |= subs.truncated || services.truncated;
        answered.extend(subs.rows.iter().filter_map(|r| str_field(r, "subscriptionId")));
        rows.extend(services.rows);
    }
    let in_scope = in_scope.unwrap_or_else(|| answered.clone());
    let unreadable: Vec<String> = in_scope.difference(&answered).cloned().collect();
    let mut services: Vec<ResourceId> = Vec::new();
    for row in &rows {
        let Some(id) = row.get("id").and_then(Value::as_str) else {
            truncated = true; // a row without its id cannot be followed up
            continue;
        };
        match ResourceId::parse(id) {
            Ok(r) if r.subscription_id().is_some_and(|s| in_scope.contains(&s.to_ascii_lowercase())) => {
                if !services.contains(&r) {
                    services.push(r)
                }
            }
            Ok(_) => {}
            Err(e) => {
                log(client.events(), LogLevel::Warning, format!("Resource Graph listed '{id}', not a resource id: {e}"))
            }
        }
    }
    services.sort_by_key(|a| a.as_str().to_ascii_lowercase());
    if !unreadable.is_empty() {
        log(
            client.events(),
            LogLevel::Warning,
            format!(
                "{} subscriptions of {scope} could not be read; their services (if any) are not in this run",
                unreadable.len()
            ),
        );
    }
    Ok(Discovery {
        coverage: Coverage {
            scope: scope.clone(),
            subscriptions_in_scope: in_scope.len(),
            subscriptions_answered: answered.len(),
            unreadable_subscriptions: unreadable,
            scope_unlisted: unlisted,
            truncated,
            services_listed: services.len(),
            services_not_collected: Vec::new(),
            resource_graph_requests: requests,
        },
        services,
    })
}

async fn graph(client: &ArmClient, scope: &QueryScope, query: &str) -> Result<crate::arm::resource_graph::QueryResult> {
    client.resource_graph(scope, query).await.map_err(|e| e.context("Resource Graph".to_string()))
}

fn str_field(row: &Value, name: &str) -> Option<String> {
    row.get(name).and_then(Value::as_str).map(|s| s.to_ascii_lowercase())
}

/// Subscription ids of a `GET /subscriptions` list, or of a management group's descendants.
fn subscription_ids(items: &[Value], descendants: bool) -> BTreeSet<String> {
    items
        .iter()
        .filter(|v| {
            !descendants
                || v.get("type").and_then(Value::as_str).is_some_and(|t| {
                    t.eq_ignore_ascii_case("Microsoft.Management/managementGroups/subscriptions")
                        || t.eq_ignore_ascii_case("/subscriptions")
                })
        })
        .filter_map(|v| {
            v.get("subscriptionId")
                .and_then(Value::as_str)
                .or_else(|| v.get("name").and_then(Value::as_str))
                .map(|s| s.to_ascii_lowercase())
        })
        .collect()
}

/// A service is collected by the id Resource Graph listed, which is ARM's ignoring case but not always in
/// ARM's casing (a resource group lower-cased; see docs/tenant.md). Its snapshot names it as ARM's answer
/// does, as the one-service collection by that id would: the target, and the errors recorded against the
/// service's own lists (the only places the listed id's text reaches; everything else comes from ARM's
/// answers).
fn named_as_arm(snapshot: &mut Snapshot, listed: &ResourceId) {
    let Some(arm) = snapshot.services.first().map(|s| s.id.clone()) else { return };
    if arm != *listed || arm.as_str() == listed.as_str() {
        return;
    }
    snapshot.target = TargetSpec::Service(arm.clone()).to_target();
    let (from, to) = (listed.as_str(), arm.as_str());
    for e in &mut snapshot.collection_errors {
        let under = e.resource_id.get(..from.len()).is_some_and(|p| p.eq_ignore_ascii_case(from))
            && matches!(e.resource_id.as_bytes().get(from.len()), None | Some(b'/'));
        if under {
            e.resource_id = format!("{to}{}", &e.resource_id[from.len()..]);
        }
    }
    snapshot.collection_errors.sort_by(|a, b| (&a.resource_id, &a.operation).cmp(&(&b.resource_id, &b.operation)));
}

fn progress(client: &ArmClient, status: String) {
    client.events().emit(Event::Progress {
        activity: "Collecting the File Sync deployments".into(),
        status,
        percent: None,
    });
}

/// Discover a scope's services and collect each from ARM. `template` gives the options every service's
/// collection takes (its target is replaced).
pub async fn collect_tenant(client: &ArmClient, scope: &Scope, template: &CollectOptions) -> Result<TenantSnapshot> {
    crate::collect::activity::validate_days(template.activity_days)?;
    let Discovery { mut coverage, services } = discover(client, scope).await?;
    // The Microsoft.StorageSync principal is the tenant's: looked up once, not per service.
    let mut template = template.clone();
    if template.storage_sync_principal_id.is_none() && template.lookup_storage_sync_principal {
        if let Ok(id) = super::lookup_storage_sync_principal(client).await {
            template.storage_sync_principal_id = Some(id);
            template.storage_sync_principal_source = Some("graph".into());
        }
        template.lookup_storage_sync_principal = false;
    }
    let total = services.len();
    let template = &template;
    // The services' storage accounts and machines, from Resource Graph, answered beside the collections.
    let (rows, serve_rows) = super::graph_rows::GraphReads::new(client);
    let coverage_ref = &mut coverage;
    let collecting = async move {
        // A subscription's role- and deny-assignment lists are read once for all its services; the reader of
        // Resource Graph rows ends with it, and with it the loop that answers it.
        let shared = super::SharedReads::with_graph(rows);
        let shared = &shared;
        let coverage = coverage_ref;
        let mut done = 0usize;
        let mut snapshots = Vec::with_capacity(total);
        let mut results = futures::stream::iter(services.into_iter().map(|id| async move {
            let mut options = template.clone();
            options.target = TargetSpec::Service(id.clone());
            (id, super::collect_with(client, &options, shared).await)
        }))
        .buffer_unordered(SERVICES_AT_ONCE);
        while let Some((id, result)) = results.next().await {
            done += 1;
            client.events().emit(Event::Progress {
                activity: "Collecting the File Sync deployments".into(),
                status: format!("{done} of {total} services: {}", id.name().unwrap_or_default()),
                percent: Some(((done * 100) / total.max(1)).min(99) as u8),
            });
            match result {
                Ok(mut s) => {
                    named_as_arm(&mut s, &id);
                    snapshots.push(s)
                }
                Err(e)
                    if matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Authentication | ErrorKind::Internal) =>
                {
                    return Err(e)
                }
                Err(e) => {
                    let gone = e.kind() == ErrorKind::NotFound;
                    if gone {
                        log(
                            client.events(),
                            LogLevel::Info,
                            format!("{id}: listed by Resource Graph, but ARM no longer has it (Resource Graph lags)"),
                        );
                    }
                    coverage.services_not_collected.push(ServiceNotCollected {
                        id: id.as_str().to_string(),
                        reason: if gone { "gone" } else { "failed" }.into(),
                        message: e.to_string(),
                    });
                }
            }
        }
        drop(results);
        Ok::<_, Error>(snapshots)
    };
    let (stats, snapshots) = futures::join!(serve_rows, collecting);
    let mut snapshots = snapshots?;
    coverage.resource_graph_requests += stats.pages;
    log(client.events(), LogLevel::Verbose, stats.summary());
    snapshots.sort_by(|a, b| {
        let key = |s: &Snapshot| s.services.first().map(|x| x.id.as_str().to_ascii_lowercase());
        key(a).cmp(&key(b))
    });
    coverage.services_not_collected.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(TenantSnapshot::new(Some(coverage), snapshots))
}
