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
//! The storage accounts the cloud endpoints name are read from Resource Graph's `resources` table
//! ([`AccountReads`]): the ids the services' collections ask for are gathered for a moment
//! ([`ACCOUNT_GATHER`]) and asked for together, [`ACCOUNT_IDS_PER_QUERY`] ids and at most
//! [`SUBSCRIPTION_BATCH`] subscriptions a query, each projecting `id` (so ARG pages it) and only what the
//! snapshot keeps of an account. Any account Resource Graph did not return (not indexed yet, a subscription
//! it left out, a row without the fields the snapshot needs, a query that failed) is read from ARM as in a
//! one-service run. The row is put back in ARM's shape and read by the same parser as ARM's answer, so a
//! snapshot does not show where a fact came from. A repair's apply re-reads its service from ARM before it
//! writes, so a fact Resource Graph still shows stale is never what a change rests on.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use crate::arm::resource_graph::{QueryScope, SUBSCRIPTION_BATCH};
use crate::arm::{api_versions, ArmClient};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{log, Event, LogLevel};
use crate::model::resource_id::{validate_guid, validate_segment, ResourceId};
use crate::model::tenant::{Coverage, Scope, ServiceNotCollected, TenantSnapshot};

use super::{CollectOptions, TargetSpec};

/// The Storage Sync Services of a scope (projects `id`, so that Resource Graph pages it).
pub const SERVICES_QUERY: &str = "resources | where type =~ 'microsoft.storagesync/storagesyncservices' | project id, name, subscriptionId, resourceGroup, location";
/// The subscriptions of a scope that answer (projects `id`).
pub const SUBSCRIPTIONS_QUERY: &str =
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId";

/// The storage accounts of `ids` (lower case, each checked by [`quotable_id`]), projecting `id` (so that
/// Resource Graph pages it) and what the snapshot keeps of an account, named as ARM's properties are.
pub fn accounts_query(ids: &[String]) -> String {
    let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    format!(
        "resources | where type =~ 'microsoft.storage/storageaccounts' | where id in~ ({}) | project id, name, location, networkAcls = properties.networkAcls, allowSharedKeyAccess = properties.allowSharedKeyAccess, publicNetworkAccess = properties.publicNetworkAccess, privateEndpointConnections = properties.privateEndpointConnections",
        list.join(", ")
    )
}

/// Storage account ids in one query (each some 130 characters: the query stays near 30 KB).
pub const ACCOUNT_IDS_PER_QUERY: usize = 200;
/// How long the account ids asked for are gathered before they are asked of Resource Graph together: the
/// account's row is one of several reads of an account that go out at once, so the wait costs little,
/// and it keeps the queries to a few a second, inside ARG's quota (15 per 5 seconds in its example).
pub const ACCOUNT_GATHER: Duration = Duration::from_millis(500);

/// An account id that can be written between single quotes in a query as it is (a storage account id,
/// lower case, no quote, backslash or control character); None otherwise (that account is read from ARM).
fn quotable_id(id: &ResourceId) -> Option<String> {
    let s = id.as_str().to_ascii_lowercase();
    let is_account = s.split('/').filter(|x| !x.is_empty()).count() == 8
        && s.contains("/providers/microsoft.storage/storageaccounts/");
    (is_account && !s.chars().any(|c| c == '\'' || c == '\\' || c.is_control())).then_some(s)
}

/// A Resource Graph row of [`accounts_query`] put back in the shape of ARM's `GET` of the account (the
/// properties the query projected, those ARG has as null left out, as ARM leaves them out); None when it
/// lacks what the snapshot needs of every account (its id, name, location and network rules), which
/// ARM's answer always has: that account is then read from ARM.
fn account_from_row(row: &Value) -> Option<Value> {
    let text = |k: &str| row.get(k).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    let (id, name, location) = (text("id")?, text("name")?, text("location")?);
    row.get("networkAcls").filter(|n| n.is_object())?;
    let mut properties = Map::new();
    for k in ["networkAcls", "allowSharedKeyAccess", "publicNetworkAccess", "privateEndpointConnections"] {
        match row.get(k) {
            None | Some(Value::Null) => {}
            Some(v) => {
                properties.insert(k.to_string(), v.clone());
            }
        }
    }
    Some(serde_json::json!({"id": id, "name": name, "location": location, "properties": properties}))
}

type AccountAsk = (ResourceId, oneshot::Sender<Option<Value>>);

/// Where the collections of a run ask for a storage account's Resource Graph row (see the module's
/// description). None: Resource Graph did not return it; read it from ARM.
pub(crate) struct AccountReads {
    asks: mpsc::UnboundedSender<AccountAsk>,
}

impl AccountReads {
    /// The reader and the loop that answers it (run it beside the collections; it ends once the reader
    /// is dropped).
    pub(crate) fn new(client: &ArmClient) -> (AccountReads, impl std::future::Future<Output = AccountStats> + '_) {
        let (asks, rx) = mpsc::unbounded_channel();
        (AccountReads { asks }, serve_accounts(client, rx))
    }

    /// The account as ARM's `GET` would show it, from Resource Graph; None to read it from ARM.
    pub(crate) async fn get(&self, id: &ResourceId) -> Option<Value> {
        let (tx, rx) = oneshot::channel();
        self.asks.send((id.clone(), tx)).ok()?;
        rx.await.ok().flatten()
    }
}

/// What the account reads came to.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AccountStats {
    /// Resource Graph pages asked for.
    pub pages: u32,
    /// Accounts asked for, and those Resource Graph returned in full.
    pub asked: usize,
    pub found: usize,
}

async fn serve_accounts(client: &ArmClient, mut rx: mpsc::UnboundedReceiver<AccountAsk>) -> AccountStats {
    let mut known: HashMap<String, Option<Value>> = HashMap::new();
    let mut stats = AccountStats::default();
    // The asks waiting for the next query, the ids it will name, and when it goes out (the first of them
    // waits at most ACCOUNT_GATHER).
    let mut waiting: Vec<(String, oneshot::Sender<Option<Value>>)> = Vec::new();
    let mut fresh: BTreeSet<String> = BTreeSet::new();
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let ask = match deadline {
            None => match rx.recv().await {
                Some(ask) => Some(ask),
                None => break,
            },
            Some(at) => tokio::select! {
                ask = rx.recv() => ask,
                _ = tokio::time::sleep_until(at) => None,
                _ = client.cancel_token().cancelled() => None,
            },
        };
        if let Some((id, tx)) = ask {
            // An account already asked of Resource Graph (or one a query cannot name) is answered at once.
            match quotable_id(&id) {
                None => {
                    let _ = tx.send(None);
                }
                Some(q) => match known.get(&q) {
                    Some(row) => {
                        let _ = tx.send(row.clone());
                    }
                    None => {
                        fresh.insert(q.clone());
                        waiting.push((q, tx));
                        deadline.get_or_insert_with(|| tokio::time::Instant::now() + ACCOUNT_GATHER);
                    }
                },
            }
            if fresh.len() < ACCOUNT_IDS_PER_QUERY {
                continue;
            }
        }
        // The window is over (or the query is full, or no more asks can come): ask, then answer.
        let ids: Vec<String> = std::mem::take(&mut fresh).into_iter().collect();
        deadline = None;
        if !ids.is_empty() {
            let (mut found, pages) = query_accounts(client, &ids).await;
            stats.pages += pages;
            stats.asked += ids.len();
            stats.found += found.len();
            for id in ids {
                let row = found.remove(&id);
                known.insert(id, row);
            }
        }
        for (q, tx) in waiting.drain(..) {
            let _ = tx.send(known.get(&q).cloned().flatten());
        }
    }
    stats
}

/// Ask Resource Graph for the accounts `ids` (lower case): their ARM-shaped bodies by id, and the pages
/// asked for. What it could not answer is left out (read from ARM); why is logged.
async fn query_accounts(client: &ArmClient, ids: &[String]) -> (HashMap<String, Value>, u32) {
    // Batches of at most ACCOUNT_IDS_PER_QUERY ids naming at most SUBSCRIPTION_BATCH subscriptions.
    let mut batches: Vec<(BTreeSet<String>, Vec<String>)> = Vec::new();
    for id in ids {
        let sub = id.split('/').nth(2).unwrap_or_default().to_string();
        let fits = batches.last().is_some_and(|(subs, ids)| {
            ids.len() < ACCOUNT_IDS_PER_QUERY && (subs.contains(&sub) || subs.len() < SUBSCRIPTION_BATCH)
        });
        if !fits {
            batches.push((BTreeSet::new(), Vec::new()));
        }
        let last = batches.last_mut().expect("a batch");
        last.0.insert(sub);
        last.1.push(id.clone());
    }
    let queries = batches.into_iter().map(|(subs, ids)| async move {
        let scope = QueryScope::Subscriptions(subs.into_iter().collect());
        (ids.len(), client.resource_graph(&scope, &accounts_query(&ids)).await)
    });
    let mut found = HashMap::new();
    let mut pages = 0;
    for (n, answer) in futures::future::join_all(queries).await {
        match answer {
            Ok(result) => {
                pages += result.pages;
                if result.truncated {
                    log(client.events(), LogLevel::Verbose, "Resource Graph cut an answer about storage accounts; the accounts it left out are read from ARM".to_string());
                }
                for row in &result.rows {
                    let Some(id) = row.get("id").and_then(Value::as_str).map(str::to_ascii_lowercase) else { continue };
                    if !ids.contains(&id) {
                        continue;
                    }
                    match account_from_row(row) {
                        Some(body) => {
                            found.insert(id, body);
                        }
                        None => log(
                            client.events(),
                            LogLevel::Verbose,
                            format!("Resource Graph's row of {id} lacks what the snapshot needs; reading it from ARM"),
                        ),
                    }
                }
            }
            Err(e) => log(
                client.events(),
                LogLevel::Verbose,
                format!("Resource Graph could not say of {n} storage accounts ({e}); reading them from ARM"),
            ),
        }
    }
    (found, pages)
}

/// Services collected at once (each one's reads go through the client's shared slots anyway).
const SERVICES_AT_ONCE: usize = 8;

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
    // The services' storage accounts, from Resource Graph, answered beside the collections.
    let (accounts, serve_accounts) = AccountReads::new(client);
    let coverage_ref = &mut coverage;
    let collecting = async move {
        // A subscription's role- and deny-assignment lists are read once for all its services; the reader of
        // accounts ends with it, and with it the loop that answers it.
        let shared = super::SharedReads::with_accounts(accounts);
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
                Ok(s) => snapshots.push(s),
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
    let (stats, snapshots) = futures::join!(serve_accounts, collecting);
    let mut snapshots = snapshots?;
    coverage.resource_graph_requests += stats.pages;
    log(
        client.events(),
        LogLevel::Verbose,
        format!(
            "storage accounts: {} asked of Resource Graph in {} pages, {} returned; the others read from ARM",
            stats.asked, stats.pages, stats.found
        ),
    );
    snapshots.sort_by(|a, b| {
        let key = |s: &crate::model::snapshot::Snapshot| s.services.first().map(|x| x.id.as_str().to_ascii_lowercase());
        key(a).cmp(&key(b))
    });
    coverage.services_not_collected.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(TenantSnapshot::new(Some(coverage), snapshots))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "/subscriptions/2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1";

    fn row() -> Value {
        json!({
            "id": ID, "name": "st1", "location": "westus",
            "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
            "allowSharedKeyAccess": false, "publicNetworkAccess": null, "privateEndpointConnections": [],
        })
    }

    #[test]
    fn a_row_reads_as_arms_answer_and_one_lacking_what_the_snapshot_needs_is_left_to_arm() {
        let body = account_from_row(&row()).expect("a whole row");
        // ARM leaves out a property it has no value for; so does the row put back in its shape.
        assert!(body["properties"].get("publicNetworkAccess").is_none());
        let arm = json!({"id": ID, "name": "st1", "location": "westus", "kind": "StorageV2", "properties": {
            "networkAcls": row()["networkAcls"], "allowSharedKeyAccess": false, "privateEndpointConnections": [],
            "minimumTlsVersion": "TLS1_2"}});
        assert_eq!(crate::arm::wire::storage_account(&body).unwrap(), crate::arm::wire::storage_account(&arm).unwrap());
        for missing in ["id", "name", "location", "networkAcls"] {
            let mut r = row();
            r.as_object_mut().unwrap().remove(missing);
            assert!(account_from_row(&r).is_none(), "{missing}");
            let mut r = row();
            r[missing] = Value::Null;
            assert!(account_from_row(&r).is_none(), "{missing} null");
        }
    }

    #[test]
    fn only_plain_account_ids_are_written_into_a_query() {
        let id = ResourceId::parse(ID).unwrap();
        assert_eq!(quotable_id(&id).as_deref(), Some(ID.to_ascii_lowercase().as_str()));
        let share = ResourceId::parse(&format!("{ID}/fileServices/default/shares/s")).unwrap();
        assert_eq!(quotable_id(&share), None);
        let q = accounts_query(&[ID.to_ascii_lowercase()]);
        assert!(q.contains(&format!("where id in~ ('{}')", ID.to_ascii_lowercase())), "{q}");
        assert!(q.contains("| project id, name, location, networkAcls = properties.networkAcls"), "{q}");
    }
}
