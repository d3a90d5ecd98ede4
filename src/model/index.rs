//! Lookups over a snapshot that several checks share.

use std::collections::HashMap as StdHashMap;

/// The checks' lookups: keys are ids and names from the snapshot, hashed with a fast seeded hash.
pub(crate) type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;

use crate::model::findings::Text;
use crate::model::resource_id::{file_share_scope, parse_share_scope, ResourceId, ShareScopeSpelling};
use crate::model::snapshot::*;

/// Whether a principal holds a role at a scope.
#[derive(Debug, Clone, PartialEq)]
pub enum RoleState<'a> {
    /// An assignment at the scope or above grants it.
    Effective(&'a RoleAssignment),
    /// Not granted; but an assignment at the share's ARM id (`.../shares/x`) exists, which File Sync ignores.
    WrongShareScope(&'a RoleAssignment),
    /// Not granted.
    Missing,
    /// The role assignments for this storage account could not be read.
    NotRead,
}

pub struct Index<'a> {
    pub snapshot: &'a Snapshot,
    accounts: HashMap<String, &'a StorageAccount>,
    by_principal: HashMap<String, Vec<&'a RoleAssignment>>,
    /// (index of the service in the snapshot, server id in any case) -> registered server.
    servers: HashMap<(usize, Caseless<'a>), &'a RegisteredServer>,
    /// Every server endpoint with its service, sync group, registered server and label, in snapshot order.
    endpoints: Vec<Endpoint<'a>>,
    /// Address of a server endpoint -> its position in `endpoints`. Addresses are stable: the snapshot is
    /// borrowed for as long as the index lives.
    endpoint_positions: HashMap<usize, u32>,
    /// (lower-cased subscription id, role guid) -> the role definition id, shared by the findings naming it.
    role_definitions: HashMap<(Caseless<'a>, &'static str), Text>,
    /// Address of a cloud endpoint -> its storage account and share scope, parsed once.
    cloud_targets: HashMap<usize, CloudTarget>,
    /// (index of the service, lower-cased server id) -> the (storage account, share) pairs it syncs with.
    server_shares: HashMap<(usize, Caseless<'a>), Vec<(ResourceId, String)>>,
    /// Lower-cased storage account id -> why keys are still in use there (see [`Index::key_users`]).
    key_users: HashMap<String, Vec<String>>,
    /// See [`Index::referenced_accounts`].
    referenced: Vec<&'a StorageAccount>,
    /// (lower-cased account id, lower-cased share) -> assignments at the share's ARM id (`.../shares/x`).
    at_share_resource_ids: HashMap<(String, String), Vec<&'a RoleAssignment>>,
}

/// A server endpoint and what the checks look up about it, found once.
pub struct Endpoint<'a> {
    pub service: &'a StorageSyncService,
    pub group: &'a SyncGroup,
    pub endpoint: &'a ServerEndpoint,
    /// The registered server it belongs to (None when `serverResourceId` names none of the service's).
    pub server: Option<&'a RegisteredServer>,
    /// How findings name it (see `endpoint_label`), shared by the findings of several checks.
    pub label: Text,
}

/// What a cloud endpoint points at.
struct CloudTarget {
    account: Option<ResourceId>,
    /// `{account}/fileServices/default/fileshares/{share}`; None when the account or share is missing or
    /// malformed.
    share_scope: Option<ResourceId>,
}

impl CloudTarget {
    fn of(c: &CloudEndpoint) -> Self {
        let account = c.storage_account_id();
        let share_scope = account.as_ref().zip(c.share()).and_then(|(a, s)| file_share_scope(a, s).ok());
        CloudTarget { account, share_scope }
    }
}

/// A string as a map key that ignores ASCII case, without a lower-cased copy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caseless<'a>(pub &'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}
impl Eq for Caseless<'_> {}

impl std::hash::Hash for Caseless<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The lower-case bytes, a stack buffer at a time (the same chunks for equal keys).
        let mut buf = [0u8; 128];
        for chunk in self.0.as_bytes().chunks(buf.len()) {
            let dst = &mut buf[..chunk.len()];
            for (d, b) in dst.iter_mut().zip(chunk) {
                *d = b.to_ascii_lowercase();
            }
            state.write(dst);
        }
        state.write_usize(self.0.len());
    }
}

/// `s` in lower case for a map lookup: `s` itself when it has no upper-case letter, else a copy (on the
/// stack when short), so that lookups by id rarely allocate.
fn lowered<'b>(s: &'b str, buf: &'b mut [u8; 384]) -> std::borrow::Cow<'b, str> {
    if !s.bytes().any(|b| b.is_ascii_uppercase()) {
        return std::borrow::Cow::Borrowed(s);
    }
    match buf.get_mut(..s.len()) {
        Some(dst) => {
            for (d, b) in dst.iter_mut().zip(s.bytes()) {
                *d = b.to_ascii_lowercase();
            }
            // Lower-casing ASCII letters keeps UTF-8 valid.
            std::borrow::Cow::Borrowed(std::str::from_utf8(dst).unwrap_or(s))
        }
        None => std::borrow::Cow::Owned(s.to_ascii_lowercase()),
    }
}

/// The name of a server endpoint's server (`server`, found with [`Index::server_of`]): its display name, else
/// what the endpoint says.
pub(crate) fn display_name_of<'s>(server: Option<&'s RegisteredServer>, ep: &'s ServerEndpoint) -> &'s str {
    match (server, ep.server_name.as_deref()) {
        (Some(s), _) => s.display_name(),
        (None, Some(n)) => n,
        (None, None) => &ep.name,
    }
}

/// How a server endpoint is named in findings: `D:\Share on FS01 (sync group g)`; `server` as found with
/// [`Index::server_of`].
fn endpoint_label(server: Option<&RegisteredServer>, group: &SyncGroup, ep: &ServerEndpoint) -> String {
    format!(
        "{} on {} (sync group {})",
        ep.server_local_path.as_deref().unwrap_or(&ep.name),
        display_name_of(server, ep),
        group.name
    )
}

fn address<T>(r: &T) -> usize {
    r as *const T as usize
}

impl<'a> Index<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let accounts = snapshot.storage_accounts.iter().map(|a| (a.id.as_str().to_ascii_lowercase(), a)).collect();
        let mut by_principal: HashMap<String, Vec<&RoleAssignment>> = HashMap::default();
        for ra in &snapshot.role_assignments {
            by_principal.entry(ra.principal_id.to_ascii_lowercase()).or_default().push(ra);
        }
        let mut servers = HashMap::default();
        for (i, svc) in snapshot.services.iter().enumerate() {
            for s in &svc.registered_servers {
                servers.entry((i, Caseless(s.server_id.as_str()))).or_insert(s);
            }
        }
        let mut index = Index {
            snapshot,
            accounts,
            by_principal,
            servers,
            endpoints: Vec::new(),
            endpoint_positions: HashMap::default(),
            role_definitions: HashMap::default(),
            cloud_targets: snapshot
                .services
                .iter()
                .flat_map(|s| s.sync_groups.iter().flat_map(|g| &g.cloud_endpoints))
                .map(|c| (address(c), CloudTarget::of(c)))
                .collect(),
            server_shares: HashMap::default(),
            key_users: HashMap::default(),
            referenced: Vec::new(),
            at_share_resource_ids: HashMap::default(),
        };
        for ra in &snapshot.role_assignments {
            if let Some((account, share, ShareScopeSpelling::Shares)) = parse_share_scope(&ra.scope) {
                let key = (account.as_str().to_ascii_lowercase(), share.to_ascii_lowercase());
                index.at_share_resource_ids.entry(key).or_default().push(ra);
            }
        }
        // Each service's endpoints side by side (labels are most of the work), then in snapshot order.
        let numbered: Vec<(usize, &StorageSyncService)> = snapshot.services.iter().enumerate().collect();
        index.endpoints = crate::sync::parallel_map(&numbered, |&(i, svc)| {
            let mut out = Vec::new();
            for group in &svc.sync_groups {
                for endpoint in &group.server_endpoints {
                    let server = endpoint.server_id().and_then(|id| index.servers.get(&(i, Caseless(id))).copied());
                    let label = Text::from(endpoint_label(server, group, endpoint));
                    out.push(Endpoint { service: svc, group, endpoint, server, label });
                }
            }
            out
        })
        .into_iter()
        .flatten()
        .collect();
        index.endpoint_positions =
            index.endpoints.iter().enumerate().map(|(n, e)| (address(e.endpoint), n as u32)).collect();
        for a in &snapshot.storage_accounts {
            let Some(sub) = a.id.subscription_id() else { continue };
            for role in crate::model::roles::KNOWN {
                index
                    .role_definitions
                    .entry((Caseless(sub), role.guid))
                    .or_insert_with(|| Text::shared(&crate::model::roles::role_definition_id(sub, role)));
            }
        }
        index.server_shares = index.compute_server_shares();
        index.key_users = index.compute_key_users();
        index.referenced = index.compute_referenced();
        index
    }

    /// The (storage account, share) pairs each server syncs with, in the order its sync groups and their
    /// cloud endpoints appear. A cluster's nodes sync with what its name object's endpoints name.
    fn compute_server_shares(&self) -> HashMap<(usize, Caseless<'a>), Vec<(ResourceId, String)>> {
        // Each distinct (account, share) once, by its lower-cased spelling; servers hold their numbers.
        let mut numbers: HashMap<(String, String), usize> = HashMap::default();
        let mut pairs: Vec<(ResourceId, String)> = Vec::new();
        let mut by_server: HashMap<(usize, Caseless<'a>), Vec<usize>> = HashMap::default();
        for (i, svc) in self.snapshot.services.iter().enumerate() {
            for g in &svc.sync_groups {
                let group_pairs: Vec<usize> = g
                    .cloud_endpoints
                    .iter()
                    .filter_map(|c| {
                        let (account, share) = (self.cloud_account(c)?, c.share()?);
                        let key = (account.as_str().to_ascii_lowercase(), share.to_ascii_lowercase());
                        Some(*numbers.entry(key).or_insert_with(|| {
                            pairs.push((account, share.to_string()));
                            pairs.len() - 1
                        }))
                    })
                    .collect();
                let mut members: Vec<&'a RegisteredServer> = Vec::new();
                for ep in &g.server_endpoints {
                    let Some(server) = self.server_of(svc, ep) else { continue };
                    members.push(server);
                    if server.is_cluster_name() {
                        members.extend(self.cluster_nodes(svc, server));
                    }
                }
                let mut members: Vec<Caseless<'a>> = members.iter().map(|m| Caseless(m.server_id.as_str())).collect();
                members.sort_unstable_by(|a, b| crate::model::text::cmp_ignore_ascii_case(a.0, b.0));
                members.dedup();
                for m in members {
                    let list = by_server.entry((i, m)).or_default();
                    for n in &group_pairs {
                        if !list.contains(n) {
                            list.push(*n);
                        }
                    }
                }
            }
        }
        by_server.into_iter().map(|(k, ns)| (k, ns.into_iter().map(|n| pairs[n].clone()).collect())).collect()
    }

    /// The (storage account, share) pairs a server syncs with (through its own endpoints or, for a
    /// cluster node, its cluster's).
    pub fn server_shares<'s>(
        &'s self,
        service: &'a StorageSyncService,
        server: &'s RegisteredServer,
    ) -> &'s [(ResourceId, String)] {
        let Some(i) = self.snapshot.services.iter().position(|s| std::ptr::eq(s, service)) else { return &[] };
        self.server_shares.get(&(i, Caseless(server.server_id.as_str()))).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Why each storage account still needs shared keys, computed once for every account: a service that
    /// syncs to it is not in identity mode, or a server with an endpoint in a sync group on it still uses
    /// its certificate. Reasons keep the order in which services, groups and endpoints appear.
    fn compute_key_users(&self) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::default();
        for svc in &self.snapshot.services {
            for group in &svc.sync_groups {
                let mut accounts: Vec<String> = group
                    .cloud_endpoints
                    .iter()
                    .filter_map(|c| self.cloud_account(c))
                    .map(|id| id.as_str().to_ascii_lowercase())
                    .collect();
                accounts.dedup();
                if accounts.is_empty() {
                    continue;
                }
                let mut reasons = Vec::new();
                if !svc.use_identity {
                    reasons.push(format!(
                        "Storage Sync Service '{}' is not in identity mode (useIdentity is false)",
                        svc.name
                    ));
                }
                for ep in &group.server_endpoints {
                    if let Some(server) = self.server_of(svc, ep) {
                        let members =
                            if server.is_cluster_name() { self.cluster_nodes(svc, server) } else { vec![server] };
                        for s in members.into_iter().filter(|s| !s.uses_managed_identity()) {
                            let w = format!("server '{}' still authenticates with its certificate", s.display_name());
                            if !reasons.contains(&w) {
                                reasons.push(w);
                            }
                        }
                    }
                }
                for a in accounts {
                    let list = out.entry(a).or_default();
                    for r in &reasons {
                        if !list.contains(r) {
                            list.push(r.clone());
                        }
                    }
                }
            }
        }
        out
    }

    /// Role assignments at a share's ARM resource id (`{account}/fileServices/default/shares/{share}`), the
    /// scope File Sync does not honour; in snapshot order.
    pub fn assignments_at_share_resource_id(&self, account: &ResourceId, share: &str) -> &[&'a RoleAssignment] {
        let key = (account.as_str().to_ascii_lowercase(), share.to_ascii_lowercase());
        self.at_share_resource_ids.get(&key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The role assignments naming `principal` (any letter case).
    pub fn assignments_of(&self, principal: &str) -> &[&'a RoleAssignment] {
        let mut buf = [0; 384];
        self.by_principal.get(lowered(principal, &mut buf).as_ref()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The storage account a cloud endpoint names (parsed once per snapshot).
    pub fn cloud_account(&self, c: &CloudEndpoint) -> Option<ResourceId> {
        match self.cloud_targets.get(&address(c)) {
            Some(t) => t.account.clone(),
            None => c.storage_account_id(),
        }
    }

    /// The scope File Sync uses for a cloud endpoint's share; None when its account or share is missing or
    /// malformed.
    pub fn cloud_share_scope(&self, c: &CloudEndpoint) -> Option<ResourceId> {
        match self.cloud_targets.get(&address(c)) {
            Some(t) => t.share_scope.clone(),
            None => CloudTarget::of(c).share_scope,
        }
    }

    pub fn account(&self, id: &ResourceId) -> Option<&'a StorageAccount> {
        let mut buf = [0; 384];
        self.accounts.get(lowered(id.as_str(), &mut buf).as_ref()).copied()
    }

    /// Does `principal` hold `role_guid` at `scope` (or above)? `account` tells whether the assignments
    /// bearing on the scope were read.
    pub fn role_state(
        &self,
        principal: &str,
        role_guid: &str,
        scope: &ResourceId,
        account: &ResourceId,
    ) -> RoleState<'a> {
        match self.account(account) {
            Some(a) if a.role_assignments_read => {}
            _ => return RoleState::NotRead,
        }
        let mut buf = [0; 384];
        let Some(list) = self.by_principal.get(lowered(principal, &mut buf).as_ref()) else {
            return RoleState::Missing;
        };
        let mut wrong = None;
        for ra in list.iter().filter(|ra| ra.has_role(role_guid)) {
            if ra.scope.contains(scope) {
                return RoleState::Effective(ra);
            }
            if let (Some((acct, share, ShareScopeSpelling::Shares)), Some((want_acct, want_share, _))) =
                (parse_share_scope(&ra.scope), parse_share_scope(scope))
            {
                if acct == want_acct && share.eq_ignore_ascii_case(&want_share) {
                    wrong = Some(*ra);
                }
            }
        }
        wrong.map(RoleState::WrongShareScope).unwrap_or(RoleState::Missing)
    }

    /// The registered server a server endpoint belongs to.
    pub fn server_of(
        &self,
        service: &'a StorageSyncService,
        endpoint: &ServerEndpoint,
    ) -> Option<&'a RegisteredServer> {
        if let Some(known) = self.known_endpoint(service, endpoint) {
            return known.server;
        }
        let id = endpoint.server_id()?;
        match self.snapshot.services.iter().position(|s| std::ptr::eq(s, service)) {
            Some(i) => self.servers.get(&(i, Caseless(id))).copied(),
            // A service that is not part of this snapshot: look it up directly.
            None => service.registered_servers.iter().find(|s| s.server_id.eq_ignore_ascii_case(id)),
        }
    }

    /// The index's entry for a server endpoint of this snapshot.
    fn known_endpoint(&self, service: &StorageSyncService, endpoint: &ServerEndpoint) -> Option<&Endpoint<'a>> {
        let n = *self.endpoint_positions.get(&address(endpoint))?;
        self.endpoints.get(n as usize).filter(|e| std::ptr::eq(e.service, service))
    }

    /// The id of a built-in role's definition in a subscription.
    pub fn role_definition_id(&self, subscription: &str, role: crate::model::roles::BuiltInRole) -> Text {
        match self.role_definitions.get(&(Caseless(subscription), role.guid)) {
            Some(t) => t.clone(),
            None => crate::model::roles::role_definition_id(subscription, role).into(),
        }
    }

    /// The nodes of a failover cluster (servers registered as ClusterNode with the same clusterId).
    pub fn cluster_nodes(
        &self,
        service: &'a StorageSyncService,
        cluster: &RegisteredServer,
    ) -> Vec<&'a RegisteredServer> {
        let Some(cid) = cluster.cluster_id.as_deref().filter(|c| !crate::model::resource_id::is_zero_guid(c)) else {
            return Vec::new();
        };
        service
            .registered_servers
            .iter()
            .filter(|s| {
                s.role().eq_ignore_ascii_case("ClusterNode")
                    && s.cluster_id.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(cid))
            })
            .collect()
    }

    /// Does anything still need shared keys on this storage account? True when a service that syncs to it
    /// is not in identity mode, or a server with an endpoint in a sync group on it still uses its
    /// certificate. Returns the reasons.
    pub fn key_users(&self, account: &ResourceId) -> Vec<String> {
        let mut buf = [0; 384];
        self.key_users.get(lowered(account.as_str(), &mut buf).as_ref()).cloned().unwrap_or_default()
    }

    /// Every (service, sync group, cloud endpoint).
    pub fn cloud_endpoints(&self) -> impl Iterator<Item = (&'a StorageSyncService, &'a SyncGroup, &'a CloudEndpoint)> {
        self.snapshot
            .services
            .iter()
            .flat_map(|s| s.sync_groups.iter().flat_map(move |g| g.cloud_endpoints.iter().map(move |c| (s, g, c))))
    }

    /// Every server endpoint, with its service, sync group, server and label, in snapshot order.
    pub fn server_endpoints(&self) -> &[Endpoint<'a>] {
        &self.endpoints
    }

    /// Storage accounts some cloud endpoint points at, each once, in the order they are first named.
    pub fn referenced_accounts(&self) -> Vec<&'a StorageAccount> {
        self.referenced.clone()
    }

    fn compute_referenced(&self) -> Vec<&'a StorageAccount> {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<&StorageAccount> = Vec::new();
        for (_, _, c) in self.cloud_endpoints() {
            if let Some(a) = self.cloud_account(c).and_then(|id| self.account(&id)) {
                if seen.insert(address(a)) {
                    out.push(a);
                }
            }
        }
        out
    }
}
