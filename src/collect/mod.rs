//! `collect`: read one Storage Sync Service, or every service in a resource group or subscription, and
//! everything that bears on their identities, into a [`Snapshot`].
//!
//! Request economy: the number of requests grows with services, sync groups and storage accounts, never
//! with servers or principals. Per service: the service (or one listing for many), its registered servers
//! and its sync groups; per sync group: its cloud and server endpoints; per storage account: the account,
//! its file service's settings, its shares, ONE role-assignment listing (at, above and below the account: inherited assignments and
//! share-level ones in one go), the caller's permissions and locks, and (only for an account secured by a
//! network security perimeter) its perimeter configurations. Deny assignments are listed once per
//! subscription (the list shows those at, above and below it); when the caller may not read them there,
//! each storage account's own list is read instead. In a run over many services the subscription-wide
//! lists are read once for all of them ([`SharedReads`]). Storage accounts are read as soon as the first cloud
//! endpoint that names them arrives, and each only once.
//!
//! Order: every read goes out as soon as what it needs is known, not after a whole stage. A service by
//! id is read together with its two lists and its resource group's Activity Log query (the id gives their
//! paths); each resource group's Activity Log query goes out when the group is first seen (the service's,
//! an account's, a machine's), not after the collection. Each of the service's lists leads on as soon as it
//! is answered (the servers to their machines, the sync groups to their endpoints), not once both and the
//! service's read are. A run of one service by id also sends its subscription's role- and deny-assignment
//! lists in that first round trip (kept only if a storage account there is read). Reads that nothing
//! waits on (server endpoints, an account's file service, shares, permissions and locks, the Activity
//! Log) yield their turn in the client to those that lead further (cloud endpoints, the subscription's
//! role-assignment pages, the servers and their machines), so no chain of round trips is left for the end.

pub mod activity;
pub mod graph_rows;
pub mod tenant;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::join_all;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::arm::wire as m;
use crate::arm::{api_versions, ArmClient, Priority};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{log, Event, LogLevel};
use crate::model::principal::PrincipalId;
use crate::model::resource_id::{validate_guid, validate_segment, MachineKind, ResourceId};
use crate::model::snapshot::*;
use crate::sync::LockUnpoisoned;

/// What to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// One Storage Sync Service by id.
    Service(ResourceId),
    /// Every service in a resource group.
    ResourceGroup { subscription_id: String, resource_group: String },
    /// Every service in a subscription.
    Subscription { subscription_id: String },
}

impl TargetSpec {
    /// Build a target from the command line's pieces: a resource id, or subscription [+ group [+ name]].
    pub fn from_parts(
        resource_id: Option<&str>,
        subscription: Option<&str>,
        resource_group: Option<&str>,
        name: Option<&str>,
    ) -> Result<TargetSpec> {
        if let Some(id) = resource_id {
            if subscription.is_some() || resource_group.is_some() || name.is_some() {
                return Err(Error::invalid_input(
                    "give either a resource id, or a subscription with a resource group and name, not both",
                ));
            }
            let id = ResourceId::parse(id)?;
            // The id of a registered server, sync group or endpoint stands for its service.
            let Some((service, _)) = id.storage_sync_service() else {
                return Err(Error::invalid_input(format!(
                    "'{id}' is not a Storage Sync Service id, nor the id of anything in one; expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.StorageSync/storageSyncServices/<name>"
                )));
            };
            return Ok(TargetSpec::Service(service));
        }
        let sub = subscription.ok_or_else(|| {
            Error::invalid_input("say what to diagnose: --resource-id, or --subscription with --resource-group and --name (or set AZURE_SUBSCRIPTION_ID)")
        })?;
        validate_guid("the subscription id", sub)?;
        match (resource_group, name) {
            (Some(rg), Some(n)) => {
                Ok(TargetSpec::Service(crate::model::resource_id::storage_sync_service_id(sub, rg, n)?))
            }
            (Some(rg), None) => {
                validate_segment("the resource group name", rg)?;
                Ok(TargetSpec::ResourceGroup { subscription_id: sub.to_string(), resource_group: rg.to_string() })
            }
            (None, Some(_)) => Err(Error::invalid_input("--name needs --resource-group")),
            (None, None) => Ok(TargetSpec::Subscription { subscription_id: sub.to_string() }),
        }
    }

    pub fn to_target(&self) -> Target {
        match self {
            TargetSpec::Service(id) => Target {
                kind: TargetKind::Service,
                subscription_id: id.subscription_id().unwrap_or_default().to_string(),
                resource_group: id.resource_group().map(str::to_string),
                name: id.name().map(str::to_string),
            },
            TargetSpec::ResourceGroup { subscription_id, resource_group } => Target {
                kind: TargetKind::ResourceGroup,
                subscription_id: subscription_id.clone(),
                resource_group: Some(resource_group.clone()),
                name: None,
            },
            TargetSpec::Subscription { subscription_id } => Target {
                kind: TargetKind::Subscription,
                subscription_id: subscription_id.clone(),
                resource_group: None,
                name: None,
            },
        }
    }
}

/// Options of a collection.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub target: TargetSpec,
    /// The Microsoft.StorageSync service principal's object id, when the caller knows it.
    pub storage_sync_principal_id: Option<PrincipalId>,
    /// Where `storage_sync_principal_id` came from, when not from the caller (`graph`: looked up once for
    /// many services).
    pub storage_sync_principal_source: Option<String>,
    /// Look the object id up in Microsoft Graph when it is not given (default true).
    pub lookup_storage_sync_principal: bool,
    /// For each registered server with an identity, find its machine through Microsoft Graph and read
    /// the machine's current identity in ARM (default true; see [`MachineIdentity`]).
    pub lookup_machines: bool,
    /// Days of Activity Log to read for who changed what (default 30, at most 90; 0 skips it).
    pub activity_days: u32,
}

impl CollectOptions {
    pub fn new(target: TargetSpec) -> Self {
        CollectOptions {
            target,
            storage_sync_principal_id: None,
            storage_sync_principal_source: None,
            lookup_storage_sync_principal: true,
            lookup_machines: true,
            activity_days: crate::collect::activity::DEFAULT_DAYS,
        }
    }
}

/// Errors that stop a collection outright; all others are recorded and the collection goes on.
fn is_fatal(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Authentication | ErrorKind::Internal)
}

/// How a subscription's role assignments were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// Listed once for the whole subscription; `complete` is false when some item could not be read.
    Subscription { complete: bool },
    /// The caller may not list them there: each storage account's own list is read instead.
    PerAccount,
}

/// The cell that holds what is read once per `key` (any letter case): the first caller fills it, later
/// ones wait for it.
fn once_cell_for<T>(map: &Mutex<HashMap<String, Arc<OnceCell<T>>>>, key: &str) -> Arc<OnceCell<T>> {
    let mut map = map.lock_unpoisoned();
    map.entry(key.to_ascii_lowercase()).or_insert_with(|| Arc::new(OnceCell::new())).clone()
}

/// A subscription's role- or deny-assignment list, as read once for a run: its items and the items that
/// could not be read (`Refused`: the caller may not list them there, so each account's own list is read).
#[derive(Clone)]
enum SubscriptionList<T> {
    Listed { items: Vec<T>, errors: Vec<CollectionError> },
    Refused,
}

/// Reads shared by the collections of one run over many services (a scope's services, each collected on
/// its own): a subscription's role- and deny-assignment lists are read once for every service with an
/// account there, not once per service. Each service's snapshot still keeps what its own collection would
/// have kept (the assignments bearing on its accounts, the errors of the lists it used), so a snapshot
/// does not show whether a list was read for it or for a neighbour. A one-service collection uses a fresh
/// one.
#[derive(Default)]
pub struct SharedReads {
    role_assignments: Mutex<HashMap<String, Arc<OnceCell<SubscriptionList<RoleAssignment>>>>>,
    deny_assignments: Mutex<HashMap<String, Arc<OnceCell<SubscriptionList<DenyAssignment>>>>>,
    /// In a run over a scope: the storage accounts and the servers' machines, from Resource Graph (ARM for
    /// any it does not return).
    graph: Option<graph_rows::GraphReads>,
}

impl SharedReads {
    pub fn new() -> Self {
        Self::default()
    }

    /// Shared reads whose storage accounts and machines come from Resource Graph (see
    /// [`graph_rows::GraphReads`]).
    pub(crate) fn with_graph(graph: graph_rows::GraphReads) -> Self {
        SharedReads { graph: Some(graph), ..Self::default() }
    }

    /// A resource as ARM's `GET` shows it, from Resource Graph in a run over a scope; None: read it from ARM.
    async fn graph_row(&self, id: &ResourceId) -> Option<Value> {
        match &self.graph {
            Some(graph) => graph.get(id).await,
            None => None,
        }
    }
}

/// An account read from Resource Graph's row is named as the resource that refers to it names it (see
/// [`graph_rows::GraphReads::get`]), which need not be ARM's casing. ARM's `GET` of its file service,
/// read beside the row at the same path, names it as the storage provider does, and so as its `GET` of
/// the account (the one-service collection's read) would: take that casing when it is the same id.
fn account_named_as_arm(account: &mut StorageAccount, file_service: &Value) {
    const SUFFIX: &str = "/fileServices/default";
    let Some(id) = file_service.get("id").and_then(Value::as_str) else { return };
    let Some(cut) = id.len().checked_sub(SUFFIX.len()) else { return };
    let (Some(prefix), Some(suffix)) = (id.get(..cut), id.get(cut..)) else { return };
    if !suffix.eq_ignore_ascii_case(SUFFIX) || !prefix.eq_ignore_ascii_case(account.id.as_str()) {
        return;
    }
    if let Ok(arm) = ResourceId::parse(prefix) {
        account.id = arm;
    }
}

/// A failed request or item as the snapshot records it.
fn collection_error(resource: &str, operation: &str, e: &Error) -> CollectionError {
    CollectionError {
        resource_id: resource.to_string(),
        operation: operation.to_string(),
        kind: e.kind(),
        message: e.to_string(),
        status: e.arm().map(|a| a.status),
        arm_code: e.arm_code().map(str::to_string),
        request_id: e.request_id().map(str::to_string),
    }
}

struct Collector<'a> {
    client: &'a ArmClient,
    /// What is read once per run (see [`SharedReads`]).
    shared: &'a SharedReads,
    errors: Mutex<Vec<CollectionError>>,
    accounts: Mutex<HashMap<String, Arc<OnceCell<StorageAccount>>>>,
    assignments: Mutex<HashMap<String, RoleAssignment>>,
    denies: Mutex<HashMap<String, DenyAssignment>>,
    /// Per subscription (lower case): whether its deny assignments were listed (false: read per account).
    subscription_denies: Mutex<HashMap<String, Arc<OnceCell<bool>>>>,
    /// Per subscription (lower case): how its role assignments were read (see [`Listing`]).
    subscription_assignments: Mutex<HashMap<String, Arc<OnceCell<Listing>>>>,
    locks: Mutex<HashMap<String, ManagementLock>>,
    groups_total: AtomicUsize,
    groups_done: AtomicUsize,
    /// Look up each server's machine (see [`CollectOptions::lookup_machines`]).
    lookup_machines: bool,
    /// Set once Microsoft Graph could not be asked at all (no endpoint, no token for it, 401/403): why,
    /// so that the other servers' lookups do not ask again.
    graph_refused: Mutex<Option<(String, Option<u16>)>>,
    /// The Activity Log's window (None: not read).
    activity: Option<activity::Window>,
    /// The resource groups whose Activity Log was asked for (subscription, group; lower case), and what
    /// the queries came to.
    activity_groups: Mutex<std::collections::HashSet<(String, String)>>,
    activity_read: Mutex<Vec<activity::Queried>>,
}

impl<'a> Collector<'a> {
    /// Record a non-fatal failure, or pass a fatal one up.
    fn record(&self, resource: &str, operation: &str, e: Error) -> Result<()> {
        if is_fatal(&e) {
            return Err(e);
        }
        log(self.client.events(), LogLevel::Warning, format!("could not read {operation} of {resource}: {e}"));
        self.errors.lock_unpoisoned().push(collection_error(resource, operation, &e));
        Ok(())
    }

    fn progress(&self, status: String) {
        let total = self.groups_total.load(Ordering::Relaxed);
        let done = self.groups_done.load(Ordering::Relaxed);
        let percent = (done * 100).checked_div(total).map(|p| p.min(100) as u8);
        self.client.events().emit(Event::Progress {
            activity: "Collecting the File Sync deployment".into(),
            status,
            percent,
        });
    }

    /// Read the Activity Log of `resource`'s resource group, once per group, as soon as the group is known
    /// (not after the whole collection: the queries are leaves, and fill the client's free slots).
    async fn activity_of(&self, resource: &ResourceId) -> Result<()> {
        let Some(window) = &self.activity else { return Ok(()) };
        let Some((sub, rg)) = activity::group_of(resource) else { return Ok(()) };
        if !self.activity_groups.lock_unpoisoned().insert((sub.clone(), rg.clone())) {
            return Ok(());
        }
        let queried = activity::query(self.client, window, &sub, &rg).await?;
        self.activity_read.lock_unpoisoned().push(queried);
        Ok(())
    }

    /// GET one service by id, its not-found worded for the admin.
    async fn service_by_id(&self, id: &ResourceId) -> Result<StorageSyncService> {
        let v = self.client.get(id.as_str(), api_versions::STORAGE_SYNC).await.map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                let detail = e.arm().cloned();
                let wrapped = Error::new(ErrorKind::NotFound, format!(
                    "there is no Storage Sync Service '{}' in resource group '{}' of subscription {} (or the signed-in identity cannot see it): {}",
                    id.name().unwrap_or_default(), id.resource_group().unwrap_or_default(), id.subscription_id().unwrap_or_default(), e.message()
                )).with_resource(id.as_str());
                match detail {
                    Some(d) => wrapped.with_arm(d),
                    None => wrapped,
                }
            } else {
                e.with_resource(id.as_str())
            }
        })?;
        m::service(&v)
    }

    /// The services of a resource group or subscription: one listing at `path` (a service by id is read
    /// by [`fill_service`](Self::fill_service), beside its own lists).
    async fn listed_services(&self, path: &str) -> Result<Vec<StorageSyncService>> {
        let raw = self.client.list(path, api_versions::STORAGE_SYNC).await?;
        raw.iter().map(m::service).collect()
    }

    /// A service `id` with its registered servers, its sync groups (their endpoints and the storage
    /// accounts those name) and its servers' machines. `read` reads the service itself: for a service by
    /// id its GET, sent together with its two lists and its resource group's Activity Log query, whose
    /// paths the id gives, rather than one round trip before them; a failure to read it ends the
    /// collection at once (the other answers are dropped). For a listed service, its list item.
    async fn fill_service(
        &self,
        id: ResourceId,
        read: impl std::future::Future<Output = Result<StorageSyncService>>,
    ) -> Result<StorageSyncService> {
        let base = id.as_str().to_string();
        let servers_path = format!("{base}/registeredServers");
        let groups_path = format!("{base}/syncGroups");
        // The servers' list leads to their machines' lookups; without those nothing waits on it.
        let servers_priority = if self.lookup_machines { Priority::Normal } else { Priority::Background };
        // Each list's own reads go out as soon as that list is answered: the servers' machine lookups do
        // not wait for the sync groups, nor the groups' endpoints for the servers or the service's read.
        let servers = async {
            let list = self.client.list_with(&servers_path, api_versions::STORAGE_SYNC, servers_priority).await;
            let mut servers = self.parse_list(&base, "registeredServers", list, m::registered_server)?;
            self.progress(format!("{}: {} servers", id.name().unwrap_or_default(), servers.len()));
            self.machines_of(&mut servers).await?;
            Ok::<_, Error>(servers)
        };
        let groups = async {
            let list = self.client.list(&groups_path, api_versions::STORAGE_SYNC).await;
            let parsed = self.parse_list(&base, "syncGroups", list, m::sync_group)?;
            self.groups_total.fetch_add(parsed.len(), Ordering::Relaxed);
            self.progress(format!("{}: {} sync groups", id.name().unwrap_or_default(), parsed.len()));
            join_all(parsed.into_iter().map(|g| self.fill_sync_group(g))).await.into_iter().collect::<Result<Vec<_>>>()
        };
        // Boxed: the collection's futures nest deeply, and a thread's stack need not hold them all.
        let (mut svc, servers, groups, ()) =
            futures::future::try_join4(read, Box::pin(servers), Box::pin(groups), self.activity_of(&id)).await?;
        svc.registered_servers.extend(servers);
        svc.sync_groups.extend(groups);
        Ok(svc)
    }

    /// Look up each registered server's machine (see [`CollectOptions::lookup_machines`]), all at once;
    /// each machine's resource group's Activity Log query goes out as soon as the machine is known.
    async fn machines_of(&self, servers: &mut [RegisteredServer]) -> Result<()> {
        if !self.lookup_machines {
            return Ok(());
        }
        let lookups = servers.iter().enumerate().filter_map(|(i, s)| {
            let principal = s.any_identity().filter(|_| !s.is_cluster_name())?.to_ascii_lowercase();
            Some(async move {
                let found = self.machine_of(&principal).await;
                let machine = found.as_ref().ok().and_then(activity::machine_resource);
                let logged = match machine {
                    Some(m) => self.activity_of(&m).await,
                    None => Ok(()),
                };
                (i, logged.and(found))
            })
        });
        for (i, found) in join_all(lookups).await {
            servers[i].machine = Some(found?);
        }
        Ok(())
    }

    /// A sync group's endpoints. Both lists are asked for at once; the server endpoint lists yield their turn
    /// in the client to the reads that others wait on (see `Priority`), so the storage accounts the cloud
    /// endpoints name are read early rather than behind them.
    async fn fill_sync_group(&self, mut group: SyncGroup) -> Result<SyncGroup> {
        let (c, s) = futures::join!(self.cloud_endpoints_of(&group), self.server_endpoints_of(&group));
        group.cloud_endpoints = c?;
        group.server_endpoints = s?;
        self.groups_done.fetch_add(1, Ordering::Relaxed);
        self.progress(format!("sync group {}", group.name));
        Ok(group)
    }

    /// A sync group's cloud endpoints; each storage account they name is read as soon as it is known (once,
    /// however many groups name it).
    async fn cloud_endpoints_of(&self, group: &SyncGroup) -> Result<Vec<CloudEndpoint>> {
        let base = group.id.as_str();
        let list = self.client.list(&format!("{base}/cloudEndpoints"), api_versions::STORAGE_SYNC).await;
        let endpoints = self.parse_list(base, "cloudEndpoints", list, m::cloud_endpoint)?;
        let reads = endpoints.iter().filter_map(|c| c.storage_account_id()).map(|id| self.account(id));
        for r in join_all(reads).await {
            r?;
        }
        Ok(endpoints)
    }

    /// A sync group's server endpoints.
    async fn server_endpoints_of(&self, group: &SyncGroup) -> Result<Vec<ServerEndpoint>> {
        let base = group.id.as_str();
        // Nothing waits on a server endpoint: the lists yield to the reads that lead somewhere.
        let list = self
            .client
            .list_with(&format!("{base}/serverEndpoints"), api_versions::STORAGE_SYNC, Priority::Background)
            .await;
        self.parse_list(base, "serverEndpoints", list, m::server_endpoint)
    }

    /// The items of a list that could be read; a list that could not be read, or an item that could not,
    /// is recorded against `resource` and `operation` (or ends the collection when fatal).
    fn parse_list<T>(
        &self,
        resource: &str,
        operation: &str,
        list: Result<Vec<Value>>,
        parse: impl Fn(&Value) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        match list {
            Ok(list) => {
                for v in &list {
                    match parse(v) {
                        Ok(item) => items.push(item),
                        Err(e) => self.record(resource, operation, e)?,
                    }
                }
            }
            Err(e) => self.record(resource, operation, e)?,
        }
        Ok(items)
    }

    /// Read a storage account once; later callers wait for the first read.
    async fn account(&self, id: ResourceId) -> Result<()> {
        let cell = once_cell_for(&self.accounts, id.as_str());
        let logged = self.activity_of(&id);
        futures::future::try_join(cell.get_or_try_init(|| self.read_account(id.clone())), logged).await?;
        Ok(())
    }

    async fn read_account(&self, id: ResourceId) -> Result<StorageAccount> {
        let c = self.client;
        let base = id.as_str().to_string();
        let authz = format!("{base}/providers/Microsoft.Authorization");
        let (file_service_path, shares_path, assignments_path, permissions_path, locks_path) = (
            format!("{base}/fileServices/default"),
            format!("{base}/fileServices/default/shares"),
            format!("{authz}/roleAssignments"),
            format!("{authz}/permissions"),
            format!("{authz}/locks"),
        );
        // Nothing waits on the file service, shares, permissions and locks: they yield their turn in the
        // client to the reads that lead somewhere (the subscription's role-assignment pages, the other
        // cloud endpoint lists, the machines' lookups), so that no chain of reads is left for the end.
        let leaf = Priority::Background;
        // In a run over a scope, the account's row from Resource Graph when it has it, else ARM's.
        let account_read = async {
            if let Some(v) = self.shared.graph_row(&id).await {
                return Ok((v, true));
            }
            c.get(&base, api_versions::STORAGE).await.map(|v| (v, false))
        };
        let (account, file_service, shares, assignments, permissions, denies, locks) = futures::join!(
            account_read,
            c.get_with(&file_service_path, api_versions::STORAGE, leaf),
            c.list_with(&shares_path, api_versions::STORAGE, leaf),
            self.role_assignments_of(&id, &assignments_path),
            c.list_with(&permissions_path, api_versions::AUTHORIZATION, leaf),
            self.deny_assignments_of(&id),
            c.list_with(&locks_path, api_versions::LOCKS, leaf),
        );
        denies?;
        let mut acct = match account {
            Ok((v, from_graph)) => match m::storage_account(&v) {
                Ok(mut a) => {
                    if let (true, Ok(fs)) = (from_graph, &file_service) {
                        account_named_as_arm(&mut a, fs);
                    }
                    a
                }
                Err(e) => {
                    self.record(&base, "storageAccount", e)?;
                    unread_account(&id)
                }
            },
            Err(e) => {
                self.record(&base, "storageAccount", e)?;
                unread_account(&id)
            }
        };
        match file_service.and_then(|v| m::smb_settings(&v)) {
            Ok(smb) => acct.smb_settings = Some(smb),
            Err(e) => self.record(&base, "fileServices", e)?,
        }
        // Only an account secured by a perimeter has perimeter rules worth reading: one list, after the
        // account's own read said so.
        let perimeter =
            acct.public_network_access.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("SecuredByPerimeter"));
        if perimeter {
            let path = format!("{base}/networkSecurityPerimeterConfigurations");
            match c.list(&path, api_versions::STORAGE).await {
                Ok(list) => {
                    let mut configs = Vec::new();
                    let mut complete = true;
                    for v in &list {
                        match m::nsp_configuration(v) {
                            Ok(n) => configs.push(n),
                            Err(e) => {
                                complete = false;
                                self.record(&base, "networkSecurityPerimeterConfigurations", e)?;
                            }
                        }
                    }
                    if complete {
                        acct.network_security_perimeter_configurations = Some(configs);
                    }
                }
                Err(e) => self.record(&base, "networkSecurityPerimeterConfigurations", e)?,
            }
        }
        match shares {
            Ok(list) => acct.shares = Some(list.iter().filter_map(m::share_name).collect()),
            Err(e) => self.record(&base, "shares", e)?,
        }
        acct.role_assignments_read = assignments?;
        match permissions {
            Ok(list) => {
                let mut perms = Vec::new();
                for v in &list {
                    match m::permission(v) {
                        Ok(p) => perms.push(p),
                        Err(e) => self.record(&base, "permissions", e)?,
                    }
                }
                acct.caller_permissions = Some(perms);
            }
            Err(e) => self.record(&base, "permissions", e)?,
        }
        match locks {
            Ok(list) => {
                for v in &list {
                    match m::lock(v) {
                        Ok(l) => {
                            self.locks.lock_unpoisoned().insert(l.id.to_ascii_lowercase(), l);
                        }
                        Err(e) => self.record(&base, "locks", e)?,
                    }
                }
            }
            Err(e) => self.record(&base, "locks", e)?,
        }
        Ok(acct)
    }

    /// Role assignments bearing on a storage account (at, above and below it): its subscription's list (read
    /// once, shared by all its accounts: one chain of pages instead of a list per account), or, when the
    /// caller may not list them there, the account's own list. Ok(true) when they were all read.
    async fn role_assignments_of(&self, account: &ResourceId, account_path: &str) -> Result<bool> {
        let Some(sub) = account.subscription_id() else { return Ok(false) };
        let cell = once_cell_for(&self.subscription_assignments, sub);
        match *cell.get_or_try_init(|| self.read_subscription_assignments(sub)).await? {
            Listing::Subscription { complete } => Ok(complete),
            Listing::PerAccount => {
                let base = account.as_str();
                match self.client.list(account_path, api_versions::AUTHORIZATION).await {
                    Ok(list) => self.keep_assignments(base, &list),
                    Err(e) => self.record(base, "roleAssignments", e).map(|_| false),
                }
            }
        }
    }

    /// A subscription's role assignments, from the run's list of them (read by the first collection that
    /// needs it), kept here as if this collection had read them itself.
    async fn read_subscription_assignments(&self, subscription: &str) -> Result<Listing> {
        let cell = once_cell_for(&self.shared.role_assignments, subscription);
        let listed = cell.get_or_try_init(|| self.list_subscription_assignments(subscription)).await?;
        Ok(match listed {
            SubscriptionList::Listed { items, errors } => {
                let mut kept = self.assignments.lock_unpoisoned();
                for a in items {
                    kept.insert(a.id.to_ascii_lowercase(), a.clone());
                }
                self.errors.lock_unpoisoned().extend(errors.iter().cloned());
                Listing::Subscription { complete: errors.is_empty() }
            }
            SubscriptionList::Refused => Listing::PerAccount,
        })
    }

    /// A subscription's role assignments as the run reads them once (see [`SharedReads`]).
    async fn list_subscription_assignments(&self, subscription: &str) -> Result<SubscriptionList<RoleAssignment>> {
        Ok(match self.list_at_subscription(subscription, "roleAssignments", "role assignments").await? {
            Some((scope, list)) => {
                parse_subscription_list(self.client, &scope, "roleAssignments", &list, m::role_assignment)?
            }
            None => SubscriptionList::Refused,
        })
    }

    /// A subscription's deny assignments as the run reads them once (see [`SharedReads`]).
    async fn list_subscription_denies(&self, subscription: &str) -> Result<SubscriptionList<DenyAssignment>> {
        Ok(match self.list_at_subscription(subscription, "denyAssignments", "deny assignments").await? {
            Some((scope, list)) => {
                parse_subscription_list(self.client, &scope, "denyAssignments", &list, m::deny_assignment)?
            }
            None => SubscriptionList::Refused,
        })
    }

    /// Send a subscription's role- and deny-assignment lists now, into the run's shared reads, before any
    /// storage account asks for them: a one-service run knows the service's subscription from its target,
    /// and its storage accounts are mostly there. Their answers count only once a storage account of
    /// that subscription is read ([`read_subscription_assignments`](Self::read_subscription_assignments)
    /// keeps them then, and the snapshot is the same as without this); for a service with none there, two
    /// lists are read for nothing. A fatal error ends the collection, as it would have later.
    async fn prefetch_subscription_lists(&self, subscription: &str) -> Result<()> {
        let assignments = once_cell_for(&self.shared.role_assignments, subscription);
        let denies = once_cell_for(&self.shared.deny_assignments, subscription);
        futures::future::try_join(
            assignments.get_or_try_init(|| self.list_subscription_assignments(subscription)),
            denies.get_or_try_init(|| self.list_subscription_denies(subscription)),
        )
        .await?;
        Ok(())
    }

    /// List `Microsoft.Authorization/{kind}` at a subscription (at, above and below it), with its scope.
    /// None when the caller may not (logged: each storage account's own list is read instead).
    async fn list_at_subscription(
        &self,
        subscription: &str,
        kind: &str,
        what: &str,
    ) -> Result<Option<(String, Vec<Value>)>> {
        let scope = format!("/subscriptions/{subscription}");
        let path = format!("{scope}/providers/Microsoft.Authorization/{kind}");
        match self.client.list(&path, api_versions::AUTHORIZATION).await {
            Ok(list) => Ok(Some((scope, list))),
            Err(e) if is_fatal(&e) => Err(e),
            Err(e) => {
                log(
                    self.client.events(),
                    LogLevel::Verbose,
                    format!("{what} of subscription {subscription} could not be listed ({e}); reading them per storage account"),
                );
                Ok(None)
            }
        }
    }

    /// Keep the role assignments of a list; false when some item could not be read (recorded).
    fn keep_assignments(&self, resource: &str, list: &[Value]) -> Result<bool> {
        let mut complete = true;
        for v in list {
            match m::role_assignment(v) {
                Ok(a) => {
                    let key = a.id.to_ascii_lowercase();
                    self.assignments.lock_unpoisoned().insert(key, a);
                }
                Err(e) => {
                    complete = false;
                    self.record(resource, "roleAssignments", e)?;
                }
            }
        }
        Ok(complete)
    }

    /// Deny assignments bearing on a storage account: its subscription's list (read once, shared by all
    /// its accounts), or, when that cannot be read, the account's own list.
    async fn deny_assignments_of(&self, account: &ResourceId) -> Result<()> {
        let Some(sub) = account.subscription_id() else { return Ok(()) };
        let cell = once_cell_for(&self.subscription_denies, sub);
        let listed = *cell.get_or_try_init(|| self.read_subscription_denies(sub)).await?;
        if listed {
            return Ok(());
        }
        let base = account.as_str();
        let path = format!("{base}/providers/Microsoft.Authorization/denyAssignments");
        match self.client.list(&path, api_versions::AUTHORIZATION).await {
            Ok(list) => self.keep_denies(base, &list),
            Err(e) => self.record(base, "denyAssignments", e),
        }
    }

    /// List a subscription's deny assignments. Ok(false) when they could not be read there (each account's
    /// own list is then read, so a caller with rights on the accounts only still gets an answer).
    /// (From the run's list of them, read by the first collection that needs it.)
    async fn read_subscription_denies(&self, subscription: &str) -> Result<bool> {
        let cell = once_cell_for(&self.shared.deny_assignments, subscription);
        let listed = cell.get_or_try_init(|| self.list_subscription_denies(subscription)).await?;
        Ok(match listed {
            SubscriptionList::Listed { items, errors } => {
                let mut kept = self.denies.lock_unpoisoned();
                for d in items {
                    kept.insert(d.id.to_ascii_lowercase(), d.clone());
                }
                self.errors.lock_unpoisoned().extend(errors.iter().cloned());
                true
            }
            SubscriptionList::Refused => false,
        })
    }

    fn keep_denies(&self, resource: &str, list: &[Value]) -> Result<()> {
        for v in list {
            match m::deny_assignment(v) {
                Ok(d) => {
                    self.denies.lock_unpoisoned().insert(d.id.to_ascii_lowercase(), d);
                }
                Err(e) => self.record(resource, "denyAssignments", e)?,
            }
        }
        Ok(())
    }
}

/// The items of a subscription-wide list and the items that could not be read (logged once here; each
/// collection that uses the list records them as its own). A fatal error ends the collection.
fn parse_subscription_list<T>(
    client: &ArmClient,
    scope: &str,
    operation: &str,
    list: &[Value],
    parse: impl Fn(&Value) -> Result<T>,
) -> Result<SubscriptionList<T>> {
    let (mut items, mut errors) = (Vec::with_capacity(list.len()), Vec::new());
    for v in list {
        match parse(v) {
            Ok(item) => items.push(item),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                log(client.events(), LogLevel::Warning, format!("could not read {operation} of {scope}: {e}"));
                errors.push(collection_error(scope, operation, &e));
            }
        }
    }
    Ok(SubscriptionList::Listed { items, errors })
}

impl Collector<'_> {
    /// Where the identity `principal` (a registered server's) lives now: its service principal in
    /// Microsoft Graph (one GET; `alternativeNames` names the resource that owns a managed identity,
    /// https://learn.microsoft.com/graph/api/resources/serviceprincipal), then that machine in ARM (one
    /// GET), whose `identity.principalId` is the identity it has today. Nothing here stops the collection:
    /// what could not be asked is recorded in the answer, so the check can say `unknown` and why.
    async fn machine_of(&self, principal: &str) -> Result<MachineIdentity> {
        let mut out = MachineIdentity {
            principal_id: principal.to_string(),
            lookup: MachineLookup::GraphUnavailable,
            service_principal_type: None,
            resource_id: None,
            machine_principal_id: None,
            machine_tenant_id: None,
            machine_status: None,
            reason: None,
            status: None,
            request_id: None,
        };
        let refused = self.graph_refused.lock_unpoisoned().clone();
        if let Some((why, status)) = refused {
            out.reason = Some(why);
            out.status = status;
            return Ok(out);
        }
        let sp = match graph_service_principal(self.client, principal).await {
            Ok(sp) => sp,
            Err(GraphLookupError::Fatal(e)) => return Err(e),
            Err(GraphLookupError::Gone { request_id }) => {
                out.lookup = MachineLookup::PrincipalGone;
                out.status = Some(404);
                out.request_id = request_id;
                return Ok(out);
            }
            Err(GraphLookupError::Unavailable { why, status, request_id, for_all }) => {
                if for_all {
                    *self.graph_refused.lock_unpoisoned() = Some((why.clone(), status));
                }
                out.reason = Some(why);
                out.status = status;
                out.request_id = request_id;
                return Ok(out);
            }
        };
        out.service_principal_type = sp.get("servicePrincipalType").and_then(Value::as_str).map(str::to_string);
        let names: Vec<&str> = sp
            .get("alternativeNames")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // The owner's resource id is the entry that is one (the others are flags such as isExplicit=False).
        let owner = names.iter().filter(|n| n.starts_with('/')).find_map(|n| ResourceId::parse(n).ok());
        let machine = owner.as_ref().and_then(|o| o.machine_kind().map(|k| (o.clone(), k)));
        out.resource_id = owner.as_ref().map(|o| o.as_str().to_string());
        let Some((machine, kind)) = machine else {
            out.lookup = MachineLookup::NotAMachine;
            return Ok(out);
        };
        let api = match kind {
            MachineKind::ArcMachine => api_versions::HYBRID_COMPUTE,
            MachineKind::VirtualMachine => api_versions::COMPUTE,
        };
        // In a run over a scope, the machine's row from Resource Graph when it has it, else ARM's.
        let read = match self.shared.graph_row(&machine).await {
            Some(v) => Ok(v),
            None => self.client.get(machine.as_str(), api).await,
        };
        match read {
            Ok(v) => read_machine(&v, kind, &mut out),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                log(
                    self.client.events(),
                    LogLevel::Warning,
                    format!("could not read {} {machine}: {e}", kind.describe()),
                );
                out.lookup = MachineLookup::MachineUnreadable;
                out.status = e.arm().map(|a| a.status);
                out.request_id = e.request_id().map(str::to_string);
                out.reason = Some(e.to_string());
            }
        }
        Ok(out)
    }
}

/// What a snapshot keeps of a machine, from ARM's `GET` of it (or Resource Graph's row in that shape): its
/// system-assigned identity's principal and tenant, and an Arc machine's agent status.
fn read_machine(v: &Value, kind: MachineKind, out: &mut MachineIdentity) {
    out.lookup = MachineLookup::MachineRead;
    out.machine_principal_id = m::system_principal_id(v).map(|p| p.to_ascii_lowercase());
    out.machine_tenant_id = v
        .pointer("/identity/tenantId")
        .and_then(|t| t.as_str())
        .map(str::trim)
        .filter(|t| !t.is_empty() && !crate::model::resource_id::is_zero_guid(t))
        .map(str::to_ascii_lowercase);
    if kind == MachineKind::ArcMachine {
        out.machine_status = v
            .pointer("/properties/status")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
    }
}

/// Why a service principal could not be read from Microsoft Graph.
enum GraphLookupError {
    /// 404: the principal does not exist (any more).
    Gone { request_id: Option<String> },
    /// Graph could not be asked or refused; `for_all` when it would refuse every lookup alike (no endpoint,
    /// no token for Graph, 401, 403).
    Unavailable { why: String, status: Option<u16>, request_id: Option<String>, for_all: bool },
    /// Cancelled: stop the collection.
    Fatal(Error),
}

/// `GET {graph}/v1.0/servicePrincipals/{id}?$select=id,alternativeNames,servicePrincipalType`, at the
/// cloud's own Graph (or `--graph-endpoint`) only, with a token for Graph only.
async fn graph_service_principal(client: &ArmClient, object_id: &str) -> std::result::Result<Value, GraphLookupError> {
    let cloud = client.cloud();
    if cloud.graph.is_empty() {
        return Err(GraphLookupError::Unavailable {
            why: "no Microsoft Graph endpoint goes with a custom ARM endpoint; pass --graph-endpoint (with a token for Graph)".into(),
            status: None,
            request_id: None,
            for_all: true,
        });
    }
    if validate_guid("the principal id", object_id).is_err() {
        return Err(GraphLookupError::Unavailable {
            why: format!("'{}' is not an object id", object_id.escape_debug()),
            status: None,
            request_id: None,
            for_all: false,
        });
    }
    let url =
        format!("{}/v1.0/servicePrincipals/{object_id}?$select=id,alternativeNames,servicePrincipalType", cloud.graph);
    let url = reqwest::Url::parse(&url).map_err(|e| GraphLookupError::Fatal(Error::internal(e.to_string())))?;
    let scope = cloud.graph_scope();
    // A credential that has no token for Graph (an ARM token handed over alone) says so before any request.
    if let Err(e) = client.token(&scope, false).await {
        if e.kind() == ErrorKind::Cancelled {
            return Err(GraphLookupError::Fatal(e));
        }
        return Err(GraphLookupError::Unavailable {
            why: e.message().to_string(),
            status: None,
            request_id: None,
            for_all: true,
        });
    }
    match client.send(reqwest::Method::GET, url, None, &scope).await {
        Ok(r) => Ok(r.body),
        Err(e) if e.kind() == ErrorKind::Cancelled => Err(GraphLookupError::Fatal(e)),
        Err(e) => {
            let status = e.arm().map(|a| a.status);
            let request_id = e.request_id().map(str::to_string);
            match status {
                Some(404) => Err(GraphLookupError::Gone { request_id }),
                Some(401 | 403) => Err(GraphLookupError::Unavailable {
                    why: e.message().to_string(),
                    status,
                    request_id,
                    for_all: true,
                }),
                _ => Err(GraphLookupError::Unavailable {
                    why: e.message().to_string(),
                    status,
                    request_id,
                    for_all: false,
                }),
            }
        }
    }
}

fn unread_account(id: &ResourceId) -> StorageAccount {
    StorageAccount {
        id: id.clone(),
        name: id.name().unwrap_or_default().to_string(),
        location: None,
        read: false,
        network_acls: None,
        allow_shared_key_access: None,
        public_network_access: None,
        private_endpoint_connections: Vec::new(),
        shares: None,
        role_assignments_read: false,
        caller_permissions: None,
        smb_settings: None,
        network_security_perimeter_configurations: None,
    }
}

/// How long the optional Microsoft Graph lookup may take.
const GRAPH_LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Look up the Microsoft.StorageSync service principal's object id in Microsoft Graph.
pub async fn lookup_storage_sync_principal(client: &ArmClient) -> std::result::Result<PrincipalId, String> {
    let cloud = client.cloud();
    if cloud.graph.is_empty() {
        return Err(
            "no Microsoft Graph endpoint goes with a custom ARM endpoint; pass --graph-endpoint (or --storage-sync-principal-id)"
                .to_string(),
        );
    }
    let app_id = cloud.storage_sync_app_id.clone().ok_or_else(|| {
        format!("the Microsoft.StorageSync app id is not known for {}; pass --storage-sync-principal-id", cloud.name)
    })?;
    let url =
        format!("{}/v1.0/servicePrincipals?$filter=appId%20eq%20'{app_id}'&$select=id,appId,displayName", cloud.graph);
    let url = reqwest::Url::parse(&url).map_err(|e| e.to_string())?;
    let items = client.list_url(url, &cloud.graph_scope()).await.map_err(|e| {
        format!(
            "Microsoft Graph could not be asked ({}); pass --storage-sync-principal-id to check the legacy role",
            e.message()
        )
    })?;
    let id = items.iter().find_map(|v| v.get("id").and_then(Value::as_str)).ok_or_else(|| {
        format!("no service principal with app id {app_id} in this tenant (Azure File Sync was never registered here?)")
    })?;
    PrincipalId::parse_named("the object id Microsoft Graph answered", id).map_err(|e| e.to_string())
}

/// Collect a snapshot.
pub async fn collect(client: &ArmClient, options: &CollectOptions) -> Result<Snapshot> {
    collect_inner(client, options, &SharedReads::new(), true).await
}

/// [`collect`] as a task of the runtime, whatever thread awaits it. The client's connections are tasks
/// of the runtime; a collection awaited on a thread outside it (a command line's `block_on`) is woken
/// there for every answer and hands the requests it leads to back to the runtime, two crossings between
/// threads per round trip. Dropping the returned future stops the collection, as it stops [`collect`];
/// a panic in it resumes here.
pub async fn collect_on_runtime(client: ArmClient, options: CollectOptions) -> Result<Snapshot> {
    /// Stops the task when its awaiting future is dropped.
    struct AbortOnDrop(tokio::task::AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let task = tokio::spawn(async move { collect(&client, &options).await });
    let _stop = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(snapshot) => snapshot,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::cancelled()),
    }
}

/// Collect a snapshot, one of a run over many services whose subscription-wide lists are read once for
/// all of them (`shared`, see [`SharedReads`]).
pub async fn collect_with(client: &ArmClient, options: &CollectOptions, shared: &SharedReads) -> Result<Snapshot> {
    collect_inner(client, options, shared, false).await
}

/// `prefetch`: a run of one service by id sends its subscription's role- and deny-assignment lists with
/// its first round trip (see [`Collector::prefetch_subscription_lists`]); a run over many services reads
/// them once a storage account there needs them, so that no subscription without one is listed.
async fn collect_inner(
    client: &ArmClient,
    options: &CollectOptions,
    shared: &SharedReads,
    prefetch: bool,
) -> Result<Snapshot> {
    crate::collect::activity::validate_days(options.activity_days)?;
    let c = Collector {
        client,
        shared,
        errors: Mutex::new(Vec::new()),
        accounts: Mutex::new(HashMap::new()),
        assignments: Mutex::new(HashMap::new()),
        denies: Mutex::new(HashMap::new()),
        subscription_denies: Mutex::new(HashMap::new()),
        subscription_assignments: Mutex::new(HashMap::new()),
        locks: Mutex::new(HashMap::new()),
        groups_total: AtomicUsize::new(0),
        groups_done: AtomicUsize::new(0),
        lookup_machines: options.lookup_machines,
        graph_refused: Mutex::new(None),
        activity: crate::collect::activity::window(options.activity_days, chrono::Utc::now())?,
        activity_groups: Mutex::new(std::collections::HashSet::new()),
        activity_read: Mutex::new(Vec::new()),
    };
    c.progress("finding Storage Sync Services".into());
    let principal = async {
        if let Some(p) = &options.storage_sync_principal_id {
            (Some(p.clone()), Some(options.storage_sync_principal_source.clone().unwrap_or_else(|| "flag".to_string())))
        } else if options.lookup_storage_sync_principal {
            // The lookup is a nicety: never let it hold the diagnosis up for long.
            let lookup = tokio::time::timeout(GRAPH_LOOKUP_TIMEOUT, lookup_storage_sync_principal(client));
            let outcome = lookup.await.unwrap_or_else(|_| {
                Err(format!("Microsoft Graph did not answer within {} s", GRAPH_LOOKUP_TIMEOUT.as_secs()))
            });
            match outcome {
                Ok(id) => (Some(id), Some("graph".to_string())),
                Err(why) => {
                    log(client.events(), LogLevel::Verbose, format!("Microsoft.StorageSync principal unknown: {why}"));
                    (None, Some(format!("unknown: {why}")))
                }
            }
        } else {
            (None, Some("unknown: not looked up".to_string()))
        }
    };
    let services = async {
        let listing = match &options.target {
            TargetSpec::Service(id) => {
                let service = c.fill_service(id.clone(), c.service_by_id(id));
                let prefetch = async {
                    match id.subscription_id() {
                        Some(sub) if prefetch => c.prefetch_subscription_lists(sub).await,
                        _ => Ok(()),
                    }
                };
                let (service, ()) = futures::future::try_join(Box::pin(service), Box::pin(prefetch)).await?;
                return Ok(vec![service]);
            }
            TargetSpec::ResourceGroup { subscription_id, resource_group } => format!("/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.StorageSync/storageSyncServices"),
            TargetSpec::Subscription { subscription_id } => {
                format!("/subscriptions/{subscription_id}/providers/Microsoft.StorageSync/storageSyncServices")
            }
        };
        let services = c.listed_services(&listing).await?;
        let filled = join_all(services.into_iter().map(|s| c.fill_service(s.id.clone(), async { Ok(s) }))).await;
        filled.into_iter().collect::<Result<Vec<_>>>()
    };
    // A failure to read the services ends the collection at once, without waiting for the lookup.
    let ((principal_id, principal_source), services) =
        futures::future::try_join(futures::FutureExt::map(principal, Ok::<_, Error>), services).await?;

    let storage_accounts: Vec<StorageAccount> = c
        .accounts
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_values()
        .filter_map(|cell| Arc::try_unwrap(cell).ok().and_then(|c| c.into_inner()))
        .collect();
    // A subscription's list names every assignment in it; keep those bearing on the storage accounts read
    // (at, above or below one), as the accounts' own lists would have.
    let role_assignments: Vec<RoleAssignment> = c
        .assignments
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_values()
        .filter(|ra| storage_accounts.iter().any(|a| ra.scope.contains(&a.id) || a.id.contains(&ra.scope)))
        .collect();
    let mut deny_assignments: Vec<DenyAssignment> =
        c.denies.into_inner().unwrap_or_else(|p| p.into_inner()).into_values().collect();
    deny_assignments.sort_by(|a, b| a.id.cmp(&b.id));
    let mut locks: Vec<ManagementLock> =
        c.locks.into_inner().unwrap_or_else(|p| p.into_inner()).into_values().collect();
    locks.sort_by(|a, b| a.id.cmp(&b.id));
    let mut collection_errors = c.errors.into_inner().unwrap_or_else(|p| p.into_inner());
    collection_errors.sort_by(|a, b| (&a.resource_id, &a.operation).cmp(&(&b.resource_id, &b.operation)));

    let caller = match client.token(&client.cloud().arm_scope(), false).await {
        Ok(t) => crate::credentials::token_claims(&t.token)
            .map(|claims| Caller { object_id: claims.oid, tenant_id: claims.tid }),
        Err(_) => None,
    };
    c_progress_done(client, services.len(), storage_accounts.len());
    let mut snapshot = Snapshot {
        schema_version: SNAPSHOT_SCHEMA_VERSION,
        collected_at: chrono::Utc::now(),
        tool_version: crate::VERSION.to_string(),
        cloud: client.cloud().name.clone(),
        target: options.target.to_target(),
        caller,
        storage_sync_principal_id: principal_id,
        storage_sync_principal_source: principal_source,
        services,
        storage_accounts,
        role_assignments,
        deny_assignments,
        locks,
        collection_errors,
        activity_log: None,
    };
    if let Some(window) = &c.activity {
        let queried = c.activity_read.into_inner().unwrap_or_else(|p| p.into_inner());
        snapshot.activity_log = Some(Box::new(crate::collect::activity::assemble(window, queried)));
    }
    snapshot.normalize_order();
    Ok(snapshot)
}

fn c_progress_done(client: &ArmClient, services: usize, accounts: usize) {
    client.events().emit(Event::Progress {
        activity: "Collecting the File Sync deployment".into(),
        status: format!("done: {services} services, {accounts} storage accounts"),
        percent: Some(100),
    });
}

// The tenant collection's Resource Graph reads against the fake ARM.
#[cfg(test)]
#[path = "tests/tenant.rs"]
mod tenant_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::ClientOptions;
    use crate::cloud::Cloud;
    use crate::credentials::StaticTokenCredential;
    use crate::events::NullSink;
    use crate::Secret;
    use fake_arm::topology::roles;
    use fake_arm::{
        CloudEndpointSeed, DenyAssignmentSeed, FakeArm, Fault, FaultAction, ServiceSeed, StorageAccountSeed,
        SyncGroupSeed, Topology,
    };

    const SUB: &str = "11111111-2222-4333-8444-555555555555";
    const OTHER_SUB: &str = "99999999-2222-4333-8444-555555555555";
    const TOKEN: &str = "collect-unit-token";
    const CALLER: &str = "c0ffee00-0000-4000-8000-00000000c0de";

    /// A service in `SUB` with one sync group whose cloud endpoint names an account in `account_sub`, the
    /// caller Owner of both subscriptions, and a deny assignment at `SUB`.
    fn topology(account_sub: &str) -> (Topology, ResourceId) {
        let account = StorageAccountSeed::new(account_sub, "rg-data", "sa1").with_share("share1");
        let service = ServiceSeed::new(SUB, "rg-sync", "svc1").with_sync_group(
            SyncGroupSeed::new("sg1").with_cloud_endpoint(CloudEndpointSeed::new("ce1", &account.id(), "share1")),
        );
        let id = ResourceId::parse(&service.id()).unwrap();
        let deny = DenyAssignmentSeed {
            name: "d1".into(),
            scope: format!("/subscriptions/{SUB}"),
            data_actions: vec!["*".into()],
            principals: vec!["00000000-0000-0000-0000-000000000000".into()],
            ..Default::default()
        };
        let topo = Topology::new()
            .with_token(TOKEN, CALLER)
            .with_storage_account(account)
            .with_service(service)
            .with_deny_assignment(deny)
            .assign(&format!("/subscriptions/{SUB}"), roles::OWNER, CALLER)
            .assign(&format!("/subscriptions/{OTHER_SUB}"), roles::OWNER, CALLER);
        (topo, id)
    }

    fn client(url: &str) -> ArmClient {
        let cloud = Cloud::resolve(None, Some(url), None).unwrap();
        let credential = Arc::new(StaticTokenCredential::new(Secret::new(TOKEN)).unwrap());
        ArmClient::new(cloud, credential, ClientOptions::default(), Arc::new(NullSink), Default::default()).unwrap()
    }

    fn options(id: &ResourceId) -> CollectOptions {
        let mut o = CollectOptions::new(TargetSpec::Service(id.clone()));
        o.lookup_storage_sync_principal = false;
        o.lookup_machines = false;
        o.activity_days = 0;
        o
    }

    fn logged(fake: &FakeArm, path: &str) -> fake_arm::LoggedRequest {
        let log = fake.request_log();
        log.iter()
            .find(|r| r.path.eq_ignore_ascii_case(path))
            .unwrap_or_else(|| panic!("no GET {path} in {:#?}", log.iter().map(|r| &r.path).collect::<Vec<_>>()))
            .clone()
    }

    /// When the fake answered a logged request.
    fn answered(r: &fake_arm::LoggedRequest) -> chrono::DateTime<chrono::Utc> {
        r.at + chrono::Duration::milliseconds(r.duration_ms as i64)
    }

    /// A snapshot without what differs from run to run.
    fn comparable(mut s: Snapshot) -> Value {
        s.collected_at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        serde_json::to_value(&s).unwrap()
    }

    #[tokio::test]
    async fn a_one_service_run_sends_its_subscriptions_assignment_lists_with_its_first_round_trip() {
        let (topo, id) = topology(SUB);
        let fake = FakeArm::start(topo).await;
        // The service's read is slow, and so are its cloud endpoints (which name the storage account): the
        // subscription's lists need only the target's subscription, so they go out at once.
        fake.inject(Fault::at_path("GET", id.as_str(), FaultAction::Delay(300)).times(1));
        fake.inject(Fault::new("GET", "/cloudEndpoints", FaultAction::Delay(300)).times(1));
        let snapshot = collect(&client(fake.url()), &options(&id)).await.unwrap();
        let service = logged(&fake, id.as_str());
        let answered = answered(&service);
        for kind in ["roleAssignments", "denyAssignments"] {
            let list = logged(&fake, &format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/{kind}"));
            assert!(
                list.at < answered,
                "{kind} was listed at {} after the service's read was answered at {answered}",
                list.at
            );
        }
        // And they serve the account as before: the caller's Owner grant bears on it, the deny assignment too.
        assert!(snapshot.storage_accounts[0].role_assignments_read);
        assert_eq!(snapshot.role_assignments.len(), 1, "{:#?}", snapshot.role_assignments);
        assert_eq!(snapshot.deny_assignments.len(), 1);
        let lists = fake.request_log().iter().filter(|r| r.path.ends_with("Assignments")).count();
        assert_eq!(lists, 2, "each list once");
    }

    #[tokio::test]
    async fn a_sync_groups_endpoints_do_not_wait_for_the_servers_or_the_services_read() {
        let (topo, id) = topology(SUB);
        let fake = FakeArm::start(topo).await;
        fake.inject(Fault::at_path("GET", id.as_str(), FaultAction::Delay(300)).times(1));
        fake.inject(Fault::new("GET", "/registeredServers", FaultAction::Delay(300)).times(1));
        let snapshot = collect(&client(fake.url()), &options(&id)).await.unwrap();
        assert_eq!(snapshot.services[0].sync_groups[0].cloud_endpoints.len(), 1);
        let service = answered(&logged(&fake, id.as_str()));
        let servers = answered(&logged(&fake, &format!("{id}/registeredServers")));
        for list in ["cloudEndpoints", "serverEndpoints"] {
            let sent = logged(&fake, &format!("{id}/syncGroups/sg1/{list}")).at;
            assert!(sent < service, "{list} asked for at {sent}, after the service's read was answered at {service}");
            assert!(sent < servers, "{list} asked for at {sent}, after the servers' list was answered at {servers}");
        }
    }

    #[tokio::test]
    async fn lists_sent_early_count_only_for_a_storage_account_in_that_subscription() {
        // The account lives in another subscription: the service's subscription's lists go out with the
        // first round trip but nothing of them enters the snapshot, which is the one a collection
        // without them makes.
        let (topo, id) = topology(OTHER_SUB);
        let fake = FakeArm::start(topo).await;
        let early = collect(&client(fake.url()), &options(&id)).await.unwrap();
        let sent = |kind: &str| {
            fake.request_log()
                .iter()
                .filter(|r| {
                    r.path
                        .eq_ignore_ascii_case(&format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/{kind}"))
                })
                .count()
        };
        assert_eq!((sent("roleAssignments"), sent("denyAssignments")), (1, 1));
        assert!(early.deny_assignments.is_empty(), "{:#?}", early.deny_assignments);
        assert!(early
            .role_assignments
            .iter()
            .all(|r| !r.scope.as_str().eq_ignore_ascii_case(&format!("/subscriptions/{SUB}"))));
        let fake2 = FakeArm::start(topology(OTHER_SUB).0).await;
        let late = collect_with(&client(fake2.url()), &options(&id), &SharedReads::new()).await.unwrap();
        assert_eq!(sent_in(&fake2, SUB), 0, "a run over many services lists no subscription without an account");
        assert_eq!(comparable(early), comparable(late));
    }

    fn sent_in(fake: &FakeArm, sub: &str) -> usize {
        let prefix = format!("/subscriptions/{sub}/providers/microsoft.authorization/");
        fake.request_log().iter().filter(|r| r.path.to_ascii_lowercase().starts_with(&prefix)).count()
    }
}
