//! Resource Graph rows in place of ARM `GET`s, in a run over many services.
//!
//! Resource Graph's `resources` table indexes the storage accounts the cloud endpoints name and the
//! machines (Azure Arc-enabled servers, Azure VMs) whose identities the registered servers use. In a scope
//! run the collections ask [`GraphReads`] for each such resource instead of ARM; the ids asked for are
//! gathered and asked of Resource Graph together, all kinds in one query ([`rows_query`]): at most
//! [`IDS_PER_QUERY`] ids and [`SUBSCRIPTION_BATCH`] subscriptions a query, projecting `id` (so ARG pages
//! it, 1,000 rows a page) and only what a snapshot keeps of each kind. Each row is put back in the shape
//! of ARM's `GET` of the resource ([`arm_shape`]) and read by the same code as ARM's answer, so a snapshot
//! does not show where a fact came from. Ids are matched ignoring case, and a row's `id` is not taken as
//! the resource's name: Resource Graph's casing of an id is not reliably ARM's ([`GraphReads::get`]).
//!
//! When the gathered ids go out: as soon as a query is full; else once the first of them has waited
//! [`GATHER_MIN`] and the client has a free slot (nothing else is queued, so a query now costs the run
//! nothing and waiting longer would leave the client idle); and at the latest after [`GATHER_MAX`]. While
//! the client is busy with other reads, a service waiting for its rows loses no time, and the ids pile up
//! into fuller queries.
//!
//! Anything Resource Graph does not return is read from ARM as in a one-service run (the answer is None):
//! not indexed yet, in a subscription ARG left out, a row lacking what the snapshot needs of its kind, an
//! id a query cannot name, a query that failed. ARG can lag behind ARM; a repair's apply re-reads its
//! service from ARM before it writes, so a stale row is never what a change rests on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use crate::arm::resource_graph::{QueryScope, SUBSCRIPTION_BATCH};
use crate::arm::ArmClient;
use crate::events::{log, LogLevel};
use crate::model::resource_id::{MachineKind, ResourceId};

/// What kind of resource a row is, by the `type` ARG gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKind {
    StorageAccount,
    ArcMachine,
    VirtualMachine,
}

impl RowKind {
    pub const ALL: [RowKind; 3] = [RowKind::StorageAccount, RowKind::ArcMachine, RowKind::VirtualMachine];

    /// The resource type as ARG writes it (lower case).
    pub fn arg_type(self) -> &'static str {
        match self {
            RowKind::StorageAccount => "microsoft.storage/storageaccounts",
            RowKind::ArcMachine => "microsoft.hybridcompute/machines",
            RowKind::VirtualMachine => "microsoft.compute/virtualmachines",
        }
    }

    /// The kind of a resource id (None: not one Resource Graph is asked about).
    pub fn of(id: &ResourceId) -> Option<RowKind> {
        if id.is_storage_account() {
            return Some(RowKind::StorageAccount);
        }
        match id.machine_kind()? {
            MachineKind::ArcMachine => Some(RowKind::ArcMachine),
            MachineKind::VirtualMachine => Some(RowKind::VirtualMachine),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            RowKind::StorageAccount => "storage accounts",
            RowKind::ArcMachine => "Azure Arc machines",
            RowKind::VirtualMachine => "Azure VMs",
        }
    }
}

/// The columns a query projects besides `id`, `type`, `name` and `location`: for storage accounts the
/// properties a snapshot keeps (the same names and shapes in ARG, which reads a provider's latest stable
/// API version, as in the version the one-service collector asks ARM for); for machines the top-level
/// `identity` (its `type`, `principalId`, `tenantId`) and an Arc machine's agent `status`.
const ACCOUNT_COLUMNS: [&str; 4] =
    ["networkAcls", "allowSharedKeyAccess", "publicNetworkAccess", "privateEndpointConnections"];

/// Ids in one query (each some 130 characters: a query stays near 30 KB).
pub const IDS_PER_QUERY: usize = 200;
/// The least time the first id of a query waits for others.
pub const GATHER_MIN: Duration = Duration::from_millis(250);
/// The most time the first id of a query waits for others.
pub const GATHER_MAX: Duration = Duration::from_secs(4);
/// How often the gatherer looks at the client's room while ids wait.
const GATHER_TICK: Duration = Duration::from_millis(25);

/// The query for `ids` (lower case, each checked by [`quotable_id`]), of any of the [`RowKind`]s.
pub fn rows_query(ids: &[String]) -> String {
    let types: Vec<String> = RowKind::ALL.iter().map(|k| format!("'{}'", k.arg_type())).collect();
    let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    let accounts: Vec<String> = ACCOUNT_COLUMNS.iter().map(|c| format!("{c} = properties.{c}")).collect();
    format!(
        "resources | where type in~ ({}) | where id in~ ({}) | project id, type, name, location, identity, {}, status = properties.status",
        types.join(", "),
        list.join(", "),
        accounts.join(", ")
    )
}

/// An id that can be written between single quotes in a query as it is (lower case, no quote, backslash
/// or control character), with its kind; None otherwise (that resource is read from ARM).
fn quotable_id(id: &ResourceId) -> Option<(RowKind, String)> {
    let kind = RowKind::of(id)?;
    let s = id.as_str().to_ascii_lowercase();
    (!s.chars().any(|c| c == '\'' || c == '\\' || c.is_control())).then_some((kind, s))
}

/// A row of [`rows_query`] put back in the shape of ARM's `GET` of the resource, or None when it lacks
/// what the snapshot needs of its kind (which ARM's answer always has): that resource is then read from
/// ARM. Properties ARG has as null are left out, as ARM leaves them out.
///
/// - every kind: `id`, `name`, `location`, and a `type` of the kind asked for;
/// - a storage account: its `networkAcls` (the other three properties when ARG has them);
/// - a machine: its `identity` when it has one (an object; a machine without one has none in ARM either);
/// - an Arc machine: its `status` too.
pub fn arm_shape(kind: RowKind, row: &Value) -> Option<Value> {
    let text = |k: &str| row.get(k).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    let (id, name, location) = (text("id")?, text("name")?, text("location")?);
    if !text("type")?.eq_ignore_ascii_case(kind.arg_type()) {
        return None;
    }
    let mut out = serde_json::json!({"id": id, "name": name, "location": location});
    let mut properties = Map::new();
    match kind {
        RowKind::StorageAccount => {
            row.get("networkAcls").filter(|n| n.is_object())?;
            for k in ACCOUNT_COLUMNS {
                match row.get(k) {
                    None | Some(Value::Null) => {}
                    Some(v) => {
                        properties.insert(k.to_string(), v.clone());
                    }
                }
            }
        }
        RowKind::ArcMachine | RowKind::VirtualMachine => {
            match row.get("identity") {
                Some(Value::Object(i)) if !i.is_empty() => out["identity"] = Value::Object(i.clone()),
                // ARG shows a resource without an identity with an empty or null column.
                None | Some(Value::Null) | Some(Value::Object(_)) => {}
                Some(Value::String(s)) if s.is_empty() => {}
                Some(_) => return None,
            }
            if kind == RowKind::ArcMachine {
                properties.insert("status".into(), Value::String(text("status")?.to_string()));
            }
        }
    }
    out["properties"] = Value::Object(properties);
    Some(out)
}

type Ask = (ResourceId, oneshot::Sender<Option<Value>>);

/// Where the collections of a run ask for a resource's Resource Graph row (see the module's
/// description). None: Resource Graph did not return it; read it from ARM.
pub(crate) struct GraphReads {
    asks: mpsc::UnboundedSender<Ask>,
}

impl GraphReads {
    /// The reader and the loop that answers it (run it beside the collections; it ends once the reader
    /// is dropped).
    pub(crate) fn new(client: &ArmClient) -> (GraphReads, impl std::future::Future<Output = GraphStats> + '_) {
        let (asks, rx) = mpsc::unbounded_channel();
        (GraphReads { asks }, serve(client, rx))
    }

    /// The resource as ARM's `GET` would show it, from Resource Graph; None to read it from ARM.
    ///
    /// Its `id` is `id` as the caller names it (the cloud endpoint or the server that refers to the
    /// resource), not the row's: Resource Graph's `id` is the same resource ignoring case, but its casing
    /// is not ARM's for certain (a resource group lower-cased, and back again later; see docs/tenant.md),
    /// and a snapshot names a resource as the one-service collection does, whose ARM `GET` went to that
    /// same id.
    pub(crate) async fn get(&self, id: &ResourceId) -> Option<Value> {
        let (tx, rx) = oneshot::channel();
        self.asks.send((id.clone(), tx)).ok()?;
        let mut body = rx.await.ok().flatten()?;
        body["id"] = Value::String(id.as_str().to_string());
        Some(body)
    }
}

/// What the reads came to.
#[derive(Debug, Default, Clone)]
pub(crate) struct GraphStats {
    /// Queries sent, and the pages they took.
    pub queries: u32,
    pub pages: u32,
    /// By kind: ids asked for, and those Resource Graph returned in full.
    pub asked: BTreeMap<RowKind, usize>,
    pub found: BTreeMap<RowKind, usize>,
}

impl GraphStats {
    pub(crate) fn summary(&self) -> String {
        let kinds: Vec<String> = RowKind::ALL
            .iter()
            .filter_map(|k| {
                let asked = self.asked.get(k).copied().unwrap_or(0);
                (asked > 0).then(|| {
                    format!("{} {asked} asked, {} returned", k.describe(), self.found.get(k).copied().unwrap_or(0))
                })
            })
            .collect();
        format!(
            "Resource Graph rows: {} queries, {} pages ({}); the others read from ARM",
            self.queries,
            self.pages,
            if kinds.is_empty() { "none asked".to_string() } else { kinds.join("; ") }
        )
    }
}

async fn serve(client: &ArmClient, mut rx: mpsc::UnboundedReceiver<Ask>) -> GraphStats {
    let mut known: HashMap<String, Option<Value>> = HashMap::new();
    let mut stats = GraphStats::default();
    // The asks waiting for the next query, the ids it will name, and since when the first of them waits.
    let mut waiting: Vec<(String, oneshot::Sender<Option<Value>>)> = Vec::new();
    let mut fresh: BTreeMap<String, RowKind> = BTreeMap::new();
    let mut since: Option<tokio::time::Instant> = None;
    let mut open = true;
    while open || !waiting.is_empty() {
        let ask = match since {
            None => match rx.recv().await {
                Some(ask) => Some(ask),
                None => break,
            },
            Some(_) if !open => None,
            Some(_) => tokio::select! {
                ask = rx.recv() => {
                    open = ask.is_some();
                    ask
                }
                _ = tokio::time::sleep(GATHER_TICK) => None,
                _ = client.cancel_token().cancelled() => {
                    open = false;
                    None
                }
            },
        };
        if let Some((id, tx)) = ask {
            // A resource already asked of Resource Graph (or one a query cannot name) is answered at once.
            match quotable_id(&id) {
                None => {
                    let _ = tx.send(None);
                }
                Some((kind, q)) => match known.get(&q) {
                    Some(row) => {
                        let _ = tx.send(row.clone());
                    }
                    None => {
                        fresh.insert(q.clone(), kind);
                        waiting.push((q, tx));
                        since.get_or_insert_with(tokio::time::Instant::now);
                    }
                },
            }
        }
        let Some(first) = since else { continue };
        let waited = first.elapsed();
        let go = !open
            || fresh.len() >= IDS_PER_QUERY
            || waited >= GATHER_MAX
            || (waited >= GATHER_MIN && client.has_room());
        if !go {
            continue;
        }
        // Ask, then answer.
        let ids: Vec<(String, RowKind)> = std::mem::take(&mut fresh).into_iter().collect();
        since = None;
        if !ids.is_empty() {
            let (mut found, queries, pages) = query_rows(client, &ids).await;
            stats.queries += queries;
            stats.pages += pages;
            for (id, kind) in ids {
                *stats.asked.entry(kind).or_default() += 1;
                let row = found.remove(&id);
                if row.is_some() {
                    *stats.found.entry(kind).or_default() += 1;
                }
                known.insert(id, row);
            }
        }
        for (q, tx) in waiting.drain(..) {
            let _ = tx.send(known.get(&q).cloned().flatten());
        }
    }
    stats
}

/// Ask Resource Graph for `ids` (lower case, with their kinds): their ARM-shaped bodies by id, the
/// queries sent and the pages asked for. What it could not answer is left out (read from ARM); why is
/// logged.
async fn query_rows(client: &ArmClient, ids: &[(String, RowKind)]) -> (HashMap<String, Value>, u32, u32) {
    // Batches of at most IDS_PER_QUERY ids naming at most SUBSCRIPTION_BATCH subscriptions.
    let mut batches: Vec<(BTreeSet<String>, Vec<String>)> = Vec::new();
    for (id, _) in ids {
        let sub = id.split('/').nth(2).unwrap_or_default().to_string();
        let fits = batches.last().is_some_and(|(subs, ids)| {
            ids.len() < IDS_PER_QUERY && (subs.contains(&sub) || subs.len() < SUBSCRIPTION_BATCH)
        });
        if !fits {
            batches.push((BTreeSet::new(), Vec::new()));
        }
        let last = batches.last_mut().expect("a batch");
        last.0.insert(sub);
        last.1.push(id.clone());
    }
    let queries = batches.len() as u32;
    let asks = batches.into_iter().map(|(subs, ids)| async move {
        let scope = QueryScope::Subscriptions(subs.into_iter().collect());
        (ids.len(), client.resource_graph(&scope, &rows_query(&ids)).await)
    });
    let kinds: HashMap<&str, RowKind> = ids.iter().map(|(id, k)| (id.as_str(), *k)).collect();
    let mut found = HashMap::new();
    let mut pages = 0;
    for (n, answer) in futures::future::join_all(asks).await {
        match answer {
            Ok(result) => {
                pages += result.pages;
                if result.truncated {
                    log(
                        client.events(),
                        LogLevel::Verbose,
                        "Resource Graph cut an answer; the resources it left out are read from ARM".to_string(),
                    );
                }
                for row in &result.rows {
                    let Some(id) = row.get("id").and_then(Value::as_str).map(str::to_ascii_lowercase) else { continue };
                    let Some(kind) = kinds.get(id.as_str()) else { continue };
                    match arm_shape(*kind, row) {
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
                format!("Resource Graph could not say of {n} resources ({e}); reading them from ARM"),
            ),
        }
    }
    (found, queries, pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SUB: &str = "2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d";
    const ID: &str = "/subscriptions/2b4e6a8c-1d3f-4a5b-9c7d-0e1f2a3b4c5d/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1";

    fn arc_id() -> String {
        format!("/subscriptions/{SUB}/resourceGroups/rg-servers/providers/Microsoft.HybridCompute/machines/fs1")
    }

    fn account_row() -> Value {
        json!({
            "id": ID, "type": "microsoft.storage/storageaccounts", "name": "st1", "location": "westus", "identity": null,
            "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
            "allowSharedKeyAccess": false, "publicNetworkAccess": null, "privateEndpointConnections": [], "status": null,
        })
    }

    fn arc_row() -> Value {
        json!({
            "id": arc_id(), "type": "microsoft.hybridcompute/machines", "name": "fs1", "location": "westus",
            "identity": {"type": "SystemAssigned", "principalId": "11111111-1111-4111-8111-111111111111", "tenantId": "22222222-2222-4222-8222-222222222222"},
            "networkAcls": null, "allowSharedKeyAccess": null, "publicNetworkAccess": null, "privateEndpointConnections": null,
            "status": "Connected",
        })
    }

    #[test]
    fn an_account_row_reads_as_arms_answer_and_one_lacking_what_the_snapshot_needs_is_left_to_arm() {
        let body = arm_shape(RowKind::StorageAccount, &account_row()).expect("a whole row");
        // ARM leaves out a property it has no value for; so does the row put back in its shape.
        assert!(body["properties"].get("publicNetworkAccess").is_none());
        let arm = json!({"id": ID, "name": "st1", "location": "westus", "kind": "StorageV2", "properties": {
            "networkAcls": account_row()["networkAcls"], "allowSharedKeyAccess": false, "privateEndpointConnections": [],
            "minimumTlsVersion": "TLS1_2"}});
        assert_eq!(crate::arm::wire::storage_account(&body).unwrap(), crate::arm::wire::storage_account(&arm).unwrap());
        for missing in ["id", "type", "name", "location", "networkAcls"] {
            let mut r = account_row();
            r.as_object_mut().unwrap().remove(missing);
            assert!(arm_shape(RowKind::StorageAccount, &r).is_none(), "{missing}");
            let mut r = account_row();
            r[missing] = Value::Null;
            assert!(arm_shape(RowKind::StorageAccount, &r).is_none(), "{missing} null");
        }
        // A row of another type than the id's kind is not taken for it.
        assert!(arm_shape(RowKind::ArcMachine, &account_row()).is_none());
    }

    #[test]
    fn a_machine_row_keeps_its_identity_and_an_arc_machines_status() {
        let body = arm_shape(RowKind::ArcMachine, &arc_row()).expect("a whole row");
        assert_eq!(body["identity"], arc_row()["identity"]);
        assert_eq!(body["properties"], json!({"status": "Connected"}));
        assert_eq!(crate::arm::wire::system_principal_id(&body), Some("11111111-1111-4111-8111-111111111111"));
        // An Arc machine's row without its status is left to ARM; a VM has none to need.
        let mut r = arc_row();
        r["status"] = Value::Null;
        assert!(arm_shape(RowKind::ArcMachine, &r).is_none());
        r["type"] = json!("microsoft.compute/virtualmachines");
        let vm = arm_shape(RowKind::VirtualMachine, &r).expect("a VM needs no status");
        assert_eq!(vm["properties"], json!({}));
        // No identity: ARG's column is empty, ARM's answer has none.
        for empty in [Value::Null, json!({}), json!("")] {
            let mut r = arc_row();
            r["identity"] = empty.clone();
            let body = arm_shape(RowKind::ArcMachine, &r).expect("a machine without identity");
            assert!(body.get("identity").is_none(), "{empty}");
        }
        let mut r = arc_row();
        r["identity"] = json!(["SystemAssigned"]);
        assert!(arm_shape(RowKind::ArcMachine, &r).is_none());
    }

    #[test]
    fn only_plain_ids_of_the_kinds_asked_about_are_written_into_a_query() {
        let id = ResourceId::parse(ID).unwrap();
        assert_eq!(quotable_id(&id), Some((RowKind::StorageAccount, ID.to_ascii_lowercase())));
        let arc = ResourceId::parse(&arc_id()).unwrap();
        assert_eq!(quotable_id(&arc).map(|(k, _)| k), Some(RowKind::ArcMachine));
        let share = ResourceId::parse(&format!("{ID}/fileServices/default/shares/s")).unwrap();
        assert_eq!(quotable_id(&share), None);
        let q = rows_query(&[ID.to_ascii_lowercase(), arc_id().to_ascii_lowercase()]);
        assert!(q.starts_with("resources | where type in~ ('microsoft.storage/storageaccounts', 'microsoft.hybridcompute/machines', 'microsoft.compute/virtualmachines') | where id in~ ('"), "{q}");
        assert!(q.contains(&format!("'{}', '{}'", ID.to_ascii_lowercase(), arc_id().to_ascii_lowercase())), "{q}");
        assert!(q.ends_with("| project id, type, name, location, identity, networkAcls = properties.networkAcls, allowSharedKeyAccess = properties.allowSharedKeyAccess, publicNetworkAccess = properties.publicNetworkAccess, privateEndpointConnections = properties.privateEndpointConnections, status = properties.status"), "{q}");
    }
}
