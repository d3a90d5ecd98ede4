//! Lookups over a snapshot that several checks share.

use std::collections::HashMap;

use crate::resource_id::{parse_share_scope, ResourceId, ShareScopeSpelling};
use crate::snapshot::*;

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
}

impl<'a> Index<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let accounts = snapshot.storage_accounts.iter().map(|a| (a.id.as_str().to_ascii_lowercase(), a)).collect();
        let mut by_principal: HashMap<String, Vec<&RoleAssignment>> = HashMap::new();
        for ra in &snapshot.role_assignments {
            by_principal.entry(ra.principal_id.to_ascii_lowercase()).or_default().push(ra);
        }
        Index { snapshot, accounts, by_principal }
    }

    pub fn account(&self, id: &ResourceId) -> Option<&'a StorageAccount> {
        self.accounts.get(&id.as_str().to_ascii_lowercase()).copied()
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
        let Some(list) = self.by_principal.get(&principal.to_ascii_lowercase()) else {
            return RoleState::Missing;
        };
        let mut wrong = None;
        for ra in list.iter().filter(|ra| ra.role_guid() == role_guid) {
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
        let id = endpoint.server_id()?;
        service.registered_servers.iter().find(|s| s.server_id.eq_ignore_ascii_case(id))
    }

    /// The nodes of a failover cluster (servers registered as ClusterNode with the same clusterId).
    pub fn cluster_nodes(
        &self,
        service: &'a StorageSyncService,
        cluster: &RegisteredServer,
    ) -> Vec<&'a RegisteredServer> {
        let Some(cid) = cluster.cluster_id.as_deref().filter(|c| !crate::resource_id::is_zero_guid(c)) else {
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
        let mut why = Vec::new();
        for svc in &self.snapshot.services {
            for group in &svc.sync_groups {
                let on_account = group.cloud_endpoints.iter().any(|c| c.storage_account_id().as_ref() == Some(account));
                if !on_account {
                    continue;
                }
                if !svc.use_identity {
                    let w =
                        format!("Storage Sync Service '{}' is not in identity mode (useIdentity is false)", svc.name);
                    if !why.contains(&w) {
                        why.push(w);
                    }
                }
                for ep in &group.server_endpoints {
                    if let Some(server) = self.server_of(svc, ep) {
                        let servers =
                            if server.is_cluster_name() { self.cluster_nodes(svc, server) } else { vec![server] };
                        for s in servers {
                            if !s.uses_managed_identity() {
                                let w =
                                    format!("server '{}' still authenticates with its certificate", s.display_name());
                                if !why.contains(&w) {
                                    why.push(w);
                                }
                            }
                        }
                    }
                }
            }
        }
        why
    }

    /// Every (service, sync group, cloud endpoint).
    pub fn cloud_endpoints(&self) -> impl Iterator<Item = (&'a StorageSyncService, &'a SyncGroup, &'a CloudEndpoint)> {
        self.snapshot
            .services
            .iter()
            .flat_map(|s| s.sync_groups.iter().flat_map(move |g| g.cloud_endpoints.iter().map(move |c| (s, g, c))))
    }

    /// Every (service, sync group, server endpoint).
    pub fn server_endpoints(
        &self,
    ) -> impl Iterator<Item = (&'a StorageSyncService, &'a SyncGroup, &'a ServerEndpoint)> {
        self.snapshot
            .services
            .iter()
            .flat_map(|s| s.sync_groups.iter().flat_map(move |g| g.server_endpoints.iter().map(move |e| (s, g, e))))
    }

    /// Storage accounts some cloud endpoint points at, each once.
    pub fn referenced_accounts(&self) -> Vec<&'a StorageAccount> {
        let mut out: Vec<&StorageAccount> = Vec::new();
        for (_, _, c) in self.cloud_endpoints() {
            if let Some(id) = c.storage_account_id() {
                if let Some(a) = self.account(&id) {
                    if !out.iter().any(|x| x.id == a.id) {
                        out.push(a);
                    }
                }
            }
        }
        out
    }
}
