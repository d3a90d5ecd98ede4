//! The mutable world behind the fake: resources, the directory, role assignments, operations, buckets.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::authz::{builtin_roles, condition_role_limit, custom_role, role_guid_of, RoleDef};
use crate::fault::{Fault, FaultId};
use crate::topology::*;
use crate::util::{is_guid, is_zero_guid, normalize_scope, scope_key, segments, ApiError, ZERO_GUID};

/// One request as the fake saw it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub method: String,
    /// The decoded path.
    pub path: String,
    /// The decoded query string (`api-version=...&$filter=...`).
    pub query: String,
    /// The decoded query pairs.
    pub query_pairs: Vec<(String, String)>,
    /// The status answered; 0 when the connection was closed without an answer.
    pub status: u16,
    /// Did the request carry a known, unexpired bearer token?
    pub authorized: bool,
    /// The caller's principal id, when the token was valid.
    pub principal: Option<String>,
    /// The request body: JSON when it parsed, else a JSON string; None when empty.
    pub body: Option<Value>,
    /// The ARM error code answered, if any.
    pub error_code: Option<String>,
    /// The injected fault that hit this request, if any (`status`, `resetConnection`, ...).
    pub fault: Option<String>,
    pub request_id: String,
    pub correlation_id: String,
    pub at: DateTime<Utc>,
    pub duration_ms: u64,
    /// The same to the microsecond: from the request's arrival to its answer handed to the connection.
    pub duration_us: u64,
}

impl LoggedRequest {
    /// A decoded query parameter (name case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query_pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn is_write(&self) -> bool {
        // A Resource Graph query is a POST that reads.
        matches!(self.method.as_str(), "PUT" | "PATCH" | "POST" | "DELETE") && !crate::arg::is_query_path(&self.path)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    pub seed: RoleAssignmentSeed,
    pub created_on: DateTime<Utc>,
    pub updated_on: DateTime<Utc>,
    pub created_by: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub seed: ServiceSeed,
    pub last_modified_by: Option<String>,
    pub identity_generation: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OpStatus {
    InProgress,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone)]
pub(crate) enum Change {
    Service { svc: usize, identity: Option<bool>, use_identity: Option<bool>, policy: Option<String>, by: String },
    Server { svc: usize, server: usize, application_id: String },
    Nothing,
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub id: String,
    pub location: String,
    pub subscription: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub due: Instant,
    pub change: Change,
    pub failure: Option<(String, String)>,
    pub status: OpStatus,
    /// (service index, server index) of the resource the operation changes.
    pub resource: (usize, Option<usize>),
    /// The Activity Log event the operation's end records (its status and time are set then).
    pub event: Option<ActivityEventSeed>,
}

pub(crate) struct FaultEntry {
    pub id: FaultId,
    pub fault: Fault,
    pub remaining: Option<u32>,
}

/// Azure Resource Graph's state: each user's queries in the current window, and the lag's stale rows.
#[derive(Debug, Clone)]
pub struct ArgState {
    pub quota: u32,
    pub window: Duration,
    pub used: HashMap<String, (u32, Instant)>,
    pub stale_service_ids: Vec<String>,
    pub stale_accounts: Vec<StorageAccountSeed>,
    pub unindexed_account_ids: Vec<String>,
    pub stale_machines: Vec<MachineSeed>,
    pub unindexed_machine_ids: Vec<String>,
    /// ARG's own casing of some ids (see `ResourceGraphSeed::recased_ids`).
    pub recased_ids: Vec<String>,
}

pub(crate) enum Decision {
    Allowed,
    /// No assignment grants the action (`conditional`: one would, but its condition is not met).
    Denied {
        conditional: bool,
    },
    /// A deny assignment blocks it.
    DeniedByDeny {
        name: String,
        id: String,
        scope: String,
    },
}

pub(crate) enum PrincipalState {
    Missing,
    Replicating,
    Ready,
}

pub(crate) struct State {
    pub tenant: String,
    pub page_size: usize,
    pub replication_delay: Duration,
    pub principal_type_skips_delay: bool,
    pub lro_delay: Duration,
    pub lro_retry_after: u64,
    /// How long a switched server keeps `activeAuthType` Certificate (see `Topology`).
    pub auth_switch_delay: Duration,
    /// Servers switched to their identity whose `activeAuthType` changes at the instant given.
    pub auth_switches: Vec<(usize, usize, Instant)>,
    pub latency_ms: u64,
    pub throttle: Option<ThrottleSeed>,
    pub tokens: HashMap<String, TokenSeed>,
    pub principals: HashMap<String, Instant>,
    pub services: Vec<Service>,
    pub accounts: Vec<StorageAccountSeed>,
    pub assignments: Vec<Assignment>,
    pub roles: Vec<RoleDef>,
    pub denies: Vec<DenyAssignmentSeed>,
    pub locks: Vec<LockSeed>,
    pub mgs: Vec<ManagementGroupSeed>,
    pub subscriptions: HashSet<String>,
    pub resource_groups: HashSet<(String, String)>,
    pub graph: GraphSeed,
    pub machines: Vec<MachineSeed>,
    pub operations: Vec<Operation>,
    pub buckets: HashMap<String, (f64, Instant)>,
    pub faults: Vec<FaultEntry>,
    pub next_fault: u64,
    pub write_count: u64,
    /// The Activity Log: seeded events, then one per write the fake performed (in time order).
    pub activity: Vec<ActivityEventSeed>,
    /// Azure Resource Graph: quota and lag.
    pub arg: ArgState,
}

/// The location of seeded resources that name none.
pub(crate) const DEFAULT_LOCATION: &str = "westus";

/// The date seeded resources claim they were created and last changed (when the seed names none).
pub(crate) fn seed_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 15, 10, 0, 0).unwrap()
}

fn check_guid(what: &str, value: &str, errors: &mut Vec<String>) {
    if !is_guid(value) {
        errors.push(format!("{what} '{value}' is not a GUID"));
    }
}

impl State {
    pub fn new(t: Topology) -> Result<State, String> {
        let mut errors = Vec::new();
        check_guid("tenantId", &t.tenant_id, &mut errors);
        if t.page_size == 0 {
            errors.push("pageSize must be at least 1".into());
        }
        let now = Instant::now();
        let mut principals = HashMap::new();
        for p in &t.principals {
            check_guid("principal", p, &mut errors);
            principals.insert(p.to_ascii_lowercase(), now);
        }
        for (tok, seed) in &t.tokens {
            if tok.is_empty() {
                errors.push("a token is the empty string".into());
            }
            check_guid("tokens.principalId", &seed.principal_id, &mut errors);
        }
        let mut subscriptions: HashSet<String> = t.subscriptions.iter().map(|s| s.to_ascii_lowercase()).collect();
        let mut resource_groups: HashSet<(String, String)> = t
            .resource_groups
            .iter()
            .map(|g| (g.subscription_id.to_ascii_lowercase(), g.name.to_ascii_lowercase()))
            .collect();
        let mut seen_services = HashSet::new();
        for s in &t.storage_sync_services {
            if s.subscription_id.is_empty() || s.resource_group.is_empty() || s.name.is_empty() {
                errors.push(format!("storage sync service '{}' needs subscriptionId, resourceGroup and name", s.name));
            }
            if !seen_services.insert(s.id().to_ascii_lowercase()) {
                errors.push(format!("storage sync service '{}' is seeded twice", s.id()));
            }
            if let Some(id) = &s.identity {
                if let Some(p) = &id.principal_id {
                    check_guid("identity.principalId", p, &mut errors);
                }
            }
            let mut server_ids = HashSet::new();
            for r in &s.registered_servers {
                check_guid("serverId", &r.server_id, &mut errors);
                server_ids.insert(r.server_id.to_ascii_lowercase());
                for g in [&r.application_id, &r.latest_application_id, &r.cluster_id].into_iter().flatten() {
                    check_guid("registered server id field", g, &mut errors);
                }
            }
            for g in &s.sync_groups {
                for se in &g.server_endpoints {
                    if !server_ids.contains(&se.server_id.to_ascii_lowercase()) {
                        errors.push(format!(
                            "server endpoint '{}' of sync group '{}' names serverId '{}', which is not a registered server of '{}'",
                            se.name, g.name, se.server_id, s.name
                        ));
                    }
                }
            }
            subscriptions.insert(s.subscription_id.to_ascii_lowercase());
            resource_groups.insert((s.subscription_id.to_ascii_lowercase(), s.resource_group.to_ascii_lowercase()));
        }
        for a in &t.storage_accounts {
            if a.subscription_id.is_empty() || a.resource_group.is_empty() || a.name.is_empty() {
                errors.push(format!("storage account '{}' needs subscriptionId, resourceGroup and name", a.name));
            }
            subscriptions.insert(a.subscription_id.to_ascii_lowercase());
            resource_groups.insert((a.subscription_id.to_ascii_lowercase(), a.resource_group.to_ascii_lowercase()));
        }
        for mg in &t.management_groups {
            for s in &mg.subscriptions {
                subscriptions.insert(s.to_ascii_lowercase());
            }
        }
        let mut roles = builtin_roles();
        for r in &t.role_definitions {
            check_guid("roleDefinitions.id", &r.id, &mut errors);
            roles.push(custom_role(r));
        }
        let mut names = HashSet::new();
        for ra in &t.role_assignments {
            check_guid("roleAssignments.name", &ra.name, &mut errors);
            check_guid("roleAssignments.principalId", &ra.principal_id, &mut errors);
            if !names.insert(ra.name.to_ascii_lowercase()) {
                errors.push(format!("role assignment name '{}' is seeded twice", ra.name));
            }
            let guid = role_guid_of(&ra.role_definition_id);
            if !roles.iter().any(|r| r.guid == guid) {
                errors.push(format!(
                    "role assignment '{}' names role '{}', which is neither built in nor in roleDefinitions",
                    ra.name, ra.role_definition_id
                ));
            }
            let segs = segments(&ra.scope);
            if segs.len() >= 2 && segs[0].eq_ignore_ascii_case("subscriptions") {
                subscriptions.insert(segs[1].to_ascii_lowercase());
            }
        }
        for sp in &t.graph.service_principals {
            check_guid("graph appId", &sp.app_id, &mut errors);
            check_guid("graph id", &sp.id, &mut errors);
        }
        let mut seen_machines = HashSet::new();
        for m in &t.machines {
            if m.subscription_id.is_empty() || m.resource_group.is_empty() || m.name.is_empty() {
                errors.push(format!("machine '{}' needs subscriptionId, resourceGroup and name", m.name));
            }
            if !seen_machines.insert(m.id().to_ascii_lowercase()) {
                errors.push(format!("machine '{}' is seeded twice", m.id()));
            }
            match (&m.status, m.kind) {
                (Some(_), MachineKindSeed::Vm) => errors.push(format!(
                    "machine '{}' is an Azure VM: only Azure Arc machines have a status (properties.status)",
                    m.name
                )),
                (Some(s), MachineKindSeed::Arc)
                    if !["Connected", "Disconnected", "Error", "Expired"].contains(&s.as_str()) =>
                {
                    errors.push(format!(
                        "machine '{}': status '{s}' is not one of Connected, Disconnected, Error, Expired",
                        m.name
                    ))
                }
                _ => {}
            }
            if let Some(p) = &m.principal_id {
                check_guid("machines.principalId", p, &mut errors);
            }
            subscriptions.insert(m.subscription_id.to_ascii_lowercase());
            resource_groups.insert((m.subscription_id.to_ascii_lowercase(), m.resource_group.to_ascii_lowercase()));
        }
        // ARG's own casing of an id: of a resource the topology has, and once.
        let mut recased = HashSet::new();
        for r in &t.resource_graph.recased_ids {
            let known = t
                .storage_sync_services
                .iter()
                .map(|s| s.id())
                .chain(t.storage_accounts.iter().map(|a| a.id()))
                .chain(t.machines.iter().map(|m| m.id()))
                .any(|id| id.eq_ignore_ascii_case(r));
            if !known {
                errors.push(format!(
                    "resourceGraph.recasedIds names '{r}', which is no storage sync service, storage account or machine of the topology"
                ));
            }
            if !recased.insert(r.to_ascii_lowercase()) {
                errors.push(format!("resourceGraph.recasedIds names '{r}' twice"));
            }
        }
        if let Some(th) = &t.throttle {
            if th.burst < 1.0 || th.refill_per_second <= 0.0 {
                errors.push("throttle needs burst >= 1 and refillPerSecond > 0".into());
            }
        }
        if !errors.is_empty() {
            return Err(format!("invalid topology: {}", errors.join("; ")));
        }
        let seeded = seed_time();
        let assignments = t
            .role_assignments
            .iter()
            .map(|ra| {
                let mut seed = ra.clone();
                seed.scope = normalize_scope(&seed.scope);
                Assignment { seed, created_on: seeded, updated_on: seeded, created_by: None }
            })
            .collect();
        let mut st = State {
            tenant: t.tenant_id.clone(),
            page_size: t.page_size,
            replication_delay: Duration::from_millis(t.principal_replication_delay_ms),
            principal_type_skips_delay: t.principal_type_skips_replication_delay,
            lro_delay: Duration::from_millis(t.lro_delay_ms),
            lro_retry_after: t.lro_retry_after_secs,
            auth_switch_delay: Duration::from_millis(t.server_auth_switch_delay_ms),
            auth_switches: Vec::new(),
            latency_ms: t.latency_ms,
            throttle: t.throttle.clone(),
            tokens: t.tokens.clone().into_iter().collect(),
            principals,
            services: t
                .storage_sync_services
                .iter()
                .map(|s| {
                    let mut seed = s.clone();
                    if seed.location.is_empty() {
                        seed.location = DEFAULT_LOCATION.into();
                    }
                    Service { seed, last_modified_by: None, identity_generation: 0 }
                })
                .collect(),
            accounts: t
                .storage_accounts
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    if a.location.is_empty() {
                        a.location = DEFAULT_LOCATION.into();
                    }
                    a
                })
                .collect(),
            assignments,
            roles,
            denies: t.deny_assignments.clone(),
            locks: t.locks.clone(),
            mgs: t.management_groups.clone(),
            subscriptions,
            resource_groups,
            graph: t.graph.clone(),
            machines: t
                .machines
                .iter()
                .map(|m| {
                    let mut m = m.clone();
                    if m.location.is_empty() {
                        m.location = DEFAULT_LOCATION.into();
                    }
                    m
                })
                .collect(),
            operations: Vec::new(),
            buckets: HashMap::new(),
            faults: Vec::new(),
            next_fault: 1,
            write_count: 0,
            activity: t.activity_log.clone(),
            arg: ArgState {
                quota: t.resource_graph.quota_per_window,
                window: Duration::from_millis(t.resource_graph.window_ms.max(1)),
                used: HashMap::new(),
                stale_service_ids: t.resource_graph.stale_service_ids.clone(),
                stale_accounts: t.resource_graph.stale_accounts.clone(),
                unindexed_account_ids: t.resource_graph.unindexed_account_ids.clone(),
                stale_machines: t.resource_graph.stale_machines.clone(),
                unindexed_machine_ids: t.resource_graph.unindexed_machine_ids.clone(),
                recased_ids: t.resource_graph.recased_ids.clone(),
            },
        };
        for f in t.faults {
            st.add_fault(f);
        }
        Ok(st)
    }

    pub fn add_fault(&mut self, fault: Fault) -> FaultId {
        let id = FaultId(self.next_fault);
        self.next_fault += 1;
        let remaining = fault.times;
        self.faults.push(FaultEntry { id, fault, remaining });
        id
    }

    /// The first fault matching this request, counted down (and dropped once used up).
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let idx = self.faults.iter().position(|f| f.remaining != Some(0) && f.fault.matches(method, path))?;
        let entry = &mut self.faults[idx];
        let fault = entry.fault.clone();
        if let Some(n) = entry.remaining.as_mut() {
            *n -= 1;
            if *n == 0 {
                self.faults.remove(idx);
            }
        }
        Some(fault)
    }

    // ---- the directory -------------------------------------------------------------------------

    pub fn add_principal(&mut self, principal: &str) {
        self.principals.insert(principal.to_ascii_lowercase(), Instant::now());
    }

    pub fn principal_state(&self, principal: &str) -> PrincipalState {
        match self.principals.get(&principal.to_ascii_lowercase()) {
            None => PrincipalState::Missing,
            Some(added) if added.elapsed() < self.replication_delay => PrincipalState::Replicating,
            Some(_) => PrincipalState::Ready,
        }
    }

    // ---- long-running operations ---------------------------------------------------------------

    /// Apply the changes of operations whose time has come, in the order they were started.
    pub fn settle(&mut self) {
        let now = Instant::now();
        // Servers whose agent has picked up the switch to their identity.
        let services = &mut self.services;
        self.auth_switches.retain(|&(svc, server, due)| {
            if now < due {
                return true;
            }
            services[svc].seed.registered_servers[server].active_auth_type = "ManagedIdentity".into();
            false
        });
        for i in 0..self.operations.len() {
            if self.operations[i].status != OpStatus::InProgress || now < self.operations[i].due {
                continue;
            }
            let op = self.operations[i].clone();
            let status = if let Some(_failure) = &op.failure {
                self.operations[i].status = OpStatus::Failed;
                "Failed"
            } else {
                self.apply(&op.change);
                self.operations[i].status = OpStatus::Succeeded;
                "Succeeded"
            };
            self.operations[i].ended_at = Some(Utc::now());
            if let Some(mut event) = op.event {
                event.event_timestamp = Utc::now();
                event.status = status.to_string();
                event.sub_status = Some(if status == "Failed" { "InternalServerError" } else { "OK" }.to_string());
                self.activity.push(event);
            }
        }
    }

    fn apply(&mut self, change: &Change) {
        match change {
            Change::Nothing => {}
            Change::Service { svc, identity, use_identity, policy, by } => {
                let tenant = self.tenant.clone();
                let mut new_principal = None;
                let mut removed_principal = None;
                {
                    let s = &mut self.services[*svc];
                    match identity {
                        Some(true) => {
                            let has = s.seed.identity.as_ref().is_some_and(|i| i.principal_id.is_some());
                            if !has {
                                let id = s.seed.id().to_ascii_lowercase();
                                let name = if s.identity_generation == 0 {
                                    id
                                } else {
                                    format!("{id}#{}", s.identity_generation)
                                };
                                let principal =
                                    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()).to_string();
                                s.identity_generation += 1;
                                s.seed.identity = Some(IdentitySeed {
                                    kind: "SystemAssigned".into(),
                                    principal_id: Some(principal.clone()),
                                    tenant_id: Some(tenant),
                                });
                                new_principal = Some(principal);
                            }
                        }
                        Some(false) => {
                            if let Some(old) = s.seed.identity.take() {
                                removed_principal = old.principal_id;
                            }
                            s.seed.use_identity = false;
                        }
                        None => {}
                    }
                    if let Some(u) = use_identity {
                        s.seed.use_identity = *u;
                    }
                    if let Some(p) = policy {
                        s.seed.incoming_traffic_policy = Some(p.clone());
                    }
                    s.seed.last_modified_at = Some(Utc::now());
                    s.last_modified_by = Some(by.clone());
                }
                if let Some(p) = new_principal {
                    self.add_principal(&p);
                }
                if let Some(p) = removed_principal {
                    self.principals.remove(&p.to_ascii_lowercase());
                }
            }
            Change::Server { svc, server, application_id } => {
                let r = &mut self.services[*svc].seed.registered_servers[*server];
                if self.auth_switch_delay.is_zero() {
                    r.active_auth_type = "ManagedIdentity".into();
                } else if !r.active_auth_type.eq_ignore_ascii_case("ManagedIdentity")
                    && !self.auth_switches.iter().any(|&(a, b, _)| (a, b) == (*svc, *server))
                {
                    self.auth_switches.push((*svc, *server, Instant::now() + self.auth_switch_delay));
                }
                r.application_id = Some(application_id.clone());
                r.latest_application_id = Some(ZERO_GUID.into());
                r.identity = Some(true);
            }
        }
    }

    pub fn start_operation(
        &mut self,
        location: &str,
        subscription: &str,
        change: Change,
        resource: (usize, Option<usize>),
        failure: Option<(String, String)>,
    ) -> String {
        let payload = format!(
            "{{\"partitionId\":\"{}\",\"workflowId\":\"{}\",\"workflowOperationId\":\"{}\"}}",
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4()
        );
        let id = crate::util::b64_encode(payload.as_bytes());
        self.operations.push(Operation {
            id: id.clone(),
            location: location.to_string(),
            subscription: subscription.to_string(),
            started_at: Utc::now(),
            ended_at: None,
            due: Instant::now() + self.lro_delay,
            change,
            failure,
            status: OpStatus::InProgress,
            resource,
            event: None,
        });
        self.settle();
        id
    }

    // ---- throttling ----------------------------------------------------------------------------

    /// Take a read token from `key`'s bucket: Ok(remaining) or Err(retry-after seconds).
    pub fn take_read(&mut self, key: &str) -> Result<u64, u64> {
        let Some(th) = self.throttle.clone() else {
            return Ok(11999);
        };
        let now = Instant::now();
        let entry = self.buckets.entry(key.to_ascii_lowercase()).or_insert((th.burst, now));
        let elapsed = now.duration_since(entry.1).as_secs_f64();
        entry.0 = (entry.0 + elapsed * th.refill_per_second).min(th.burst);
        entry.1 = now;
        if entry.0 >= 1.0 {
            entry.0 -= 1.0;
            Ok(entry.0.floor() as u64)
        } else {
            let wait = ((1.0 - entry.0) / th.refill_per_second).ceil() as u64;
            Err(wait.max(1))
        }
    }

    /// The reads left in `key`'s bucket, without taking one.
    pub fn peek_read(&mut self, key: &str) -> u64 {
        let Some(th) = self.throttle.clone() else { return 11999 };
        let now = Instant::now();
        let entry = self.buckets.entry(key.to_ascii_lowercase()).or_insert((th.burst, now));
        entry.0 = (entry.0 + now.duration_since(entry.1).as_secs_f64() * th.refill_per_second).min(th.burst);
        entry.1 = now;
        entry.0.floor() as u64
    }

    // ---- scopes --------------------------------------------------------------------------------

    fn mg_key(name: &str) -> String {
        format!("/providers/microsoft.management/managementgroups/{}", name.to_ascii_lowercase())
    }

    /// A management group and its ancestors, root first (the tenant root group on top).
    fn mg_lineage(&self, mg: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = Some(mg.to_ascii_lowercase());
        let mut guard = 0;
        while let Some(name) = cur {
            out.push(Self::mg_key(&name));
            guard += 1;
            cur = self
                .mgs
                .iter()
                .find(|m| m.name.eq_ignore_ascii_case(&name))
                .and_then(|m| m.parent.as_ref().map(|p| p.to_ascii_lowercase()));
            if guard > 32 {
                break;
            }
        }
        let root = Self::mg_key(&self.tenant);
        if !out.contains(&root) {
            out.push(root);
        }
        out.push("/".into());
        out.reverse();
        out
    }

    /// Every scope at or above `path` (comparison keys), the root first: the tenant root, management
    /// groups, then each segment prefix of the path itself.
    pub fn chain(&self, path: &str) -> Vec<String> {
        let segs = segments(path);
        let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
        let mut out: Vec<String> = Vec::new();
        let from;
        if lower.len() >= 4
            && lower[0] == "providers"
            && lower[1] == "microsoft.management"
            && lower[2] == "managementgroups"
        {
            out.extend(self.mg_lineage(&lower[3]));
            from = 5;
        } else if lower.len() >= 2 && lower[0] == "subscriptions" {
            let mut lineage: Vec<String> = vec!["/".into(), Self::mg_key(&self.tenant)];
            for mg in self.mgs.iter().filter(|m| m.subscriptions.iter().any(|s| s.eq_ignore_ascii_case(&lower[1]))) {
                for k in self.mg_lineage(&mg.name) {
                    if !lineage.contains(&k) {
                        lineage.push(k);
                    }
                }
            }
            out.extend(lineage);
            from = 2;
        } else {
            out.push("/".into());
            from = 1;
        }
        for n in from..=lower.len() {
            let k = format!("/{}", lower[..n].join("/"));
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }

    /// Is `scope` at or above `path`?
    pub fn at_or_above(&self, scope: &str, path_chain: &[String]) -> bool {
        path_chain.contains(&scope_key(scope))
    }

    /// Is `scope` strictly below `path`?
    pub fn below(&self, scope: &str, path_key: &str) -> bool {
        let k = scope_key(scope);
        k != path_key && self.chain(scope).iter().any(|c| c == path_key)
    }

    // ---- authorization -------------------------------------------------------------------------

    pub fn role(&self, guid: &str) -> Option<&RoleDef> {
        let g = guid.to_ascii_lowercase();
        self.roles.iter().find(|r| r.guid == g)
    }

    /// The caller's assignments that apply at `path`.
    pub fn applicable_assignments(&self, principal: &str, path: &str) -> Vec<&Assignment> {
        let chain = self.chain(path);
        self.assignments
            .iter()
            .filter(|a| a.seed.principal_id.eq_ignore_ascii_case(principal) && self.at_or_above(&a.seed.scope, &chain))
            .collect()
    }

    /// May `principal` perform `action` at `path`? `target_role` is the role GUID a role-assignment
    /// write or delete is about (for conditions).
    pub fn decide(&self, principal: &str, path: &str, action: &str, target_role: Option<&str>) -> Decision {
        let chain = self.chain(path);
        let mut granted = false;
        let mut conditional = false;
        let ra_action = action.eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments/write")
            || action.eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments/delete");
        for a in &self.assignments {
            if !a.seed.principal_id.eq_ignore_ascii_case(principal) || !self.at_or_above(&a.seed.scope, &chain) {
                continue;
            }
            let Some(role) = self.role(&role_guid_of(&a.seed.role_definition_id)) else {
                continue;
            };
            let assignment_limit = a.seed.condition.as_deref().and_then(condition_role_limit);
            for block in &role.permissions {
                if !block.grants(action) {
                    continue;
                }
                if ra_action {
                    let limits = [block.role_assignment_roles.as_ref(), assignment_limit.as_ref()];
                    let ok = limits
                        .iter()
                        .flatten()
                        .all(|allowed| target_role.is_some_and(|t| allowed.iter().any(|g| g.eq_ignore_ascii_case(t))));
                    if !ok {
                        conditional = true;
                        continue;
                    }
                }
                granted = true;
            }
        }
        if !granted {
            return Decision::Denied { conditional };
        }
        for d in &self.denies {
            let dk = scope_key(&d.scope);
            if !chain.contains(&dk) {
                continue;
            }
            if d.do_not_apply_to_child_scopes && dk != target_scope_key(path) {
                continue;
            }
            let hits_principal = d.principals.iter().any(|p| p.eq_ignore_ascii_case(principal) || is_zero_guid(p))
                && !d.exclude_principals.iter().any(|p| p.eq_ignore_ascii_case(principal));
            let hits_action = d.actions.iter().any(|a| crate::util::glob_match(a, action))
                && !d.not_actions.iter().any(|a| crate::util::glob_match(a, action));
            if hits_principal && hits_action {
                return Decision::DeniedByDeny {
                    name: d.name.clone(),
                    id: deny_id(d),
                    scope: normalize_scope(&d.scope),
                };
            }
        }
        Decision::Allowed
    }

    /// `decide`, as the ARM error a refusal becomes.
    pub fn authorize(
        &self,
        principal: &str,
        path: &str,
        action: &str,
        target_role: Option<&str>,
    ) -> Result<(), ApiError> {
        match self.decide(principal, path, action, target_role) {
            Decision::Allowed => Ok(()),
            Decision::Denied { conditional } => {
                let what = if conditional { "does not have authorization or an ABAC condition not fulfilled" } else { "does not have authorization" };
                Err(ApiError::new(
                    403,
                    "AuthorizationFailed",
                    format!(
                        "The client '{principal}' with object id '{principal}' {what} to perform action '{action}' over scope '{path}' or the scope is invalid. If access was recently granted, please refresh your credentials."
                    ),
                ))
            }
            Decision::DeniedByDeny { name, id, scope } => Err(ApiError::new(
                403,
                "AuthorizationFailed",
                format!(
                    "The client '{principal}' with object id '{principal}' has permission to perform action '{action}' on scope '{path}'; however, the access is denied because of the deny assignment with name '{name}' and Id '{id}' at scope '{scope}'."
                ),
            )),
        }
    }

    /// A ReadOnly lock (or, for deletes, any lock) at or above `path`: 409 ScopeLocked.
    pub fn check_locks(&self, path: &str, is_delete: bool) -> Result<(), ApiError> {
        let chain = self.chain(path);
        let locked: Vec<String> = self
            .locks
            .iter()
            .filter(|l| chain.contains(&scope_key(&l.scope)))
            .filter(|l| {
                l.level.eq_ignore_ascii_case("ReadOnly") || (is_delete && l.level.eq_ignore_ascii_case("CanNotDelete"))
            })
            .map(|l| normalize_scope(&l.scope))
            .collect();
        if locked.is_empty() {
            return Ok(());
        }
        Err(ApiError::new(
            409,
            "ScopeLocked",
            format!(
                "The scope '{path}' cannot perform {} operation because following scope(s) are locked: '{}'. Please remove the lock and try again.",
                if is_delete { "delete" } else { "write" },
                locked.join("','")
            ),
        ))
    }

    // ---- lookups -------------------------------------------------------------------------------

    pub fn subscription_exists(&self, sub: &str) -> bool {
        self.subscriptions.contains(&sub.to_ascii_lowercase())
    }

    pub fn resource_group_exists(&self, sub: &str, rg: &str) -> bool {
        self.resource_groups.contains(&(sub.to_ascii_lowercase(), rg.to_ascii_lowercase()))
    }

    pub fn find_service(&self, sub: &str, rg: &str, name: &str) -> Option<usize> {
        self.services.iter().position(|s| {
            s.seed.subscription_id.eq_ignore_ascii_case(sub)
                && s.seed.resource_group.eq_ignore_ascii_case(rg)
                && s.seed.name.eq_ignore_ascii_case(name)
        })
    }

    pub fn find_machine(&self, kind: MachineKindSeed, sub: &str, rg: &str, name: &str) -> Option<usize> {
        self.machines.iter().position(|m| {
            m.kind == kind
                && m.subscription_id.eq_ignore_ascii_case(sub)
                && m.resource_group.eq_ignore_ascii_case(rg)
                && m.name.eq_ignore_ascii_case(name)
        })
    }

    pub fn find_account(&self, sub: &str, rg: &str, name: &str) -> Option<usize> {
        self.accounts.iter().position(|a| {
            a.subscription_id.eq_ignore_ascii_case(sub)
                && a.resource_group.eq_ignore_ascii_case(rg)
                && a.name.eq_ignore_ascii_case(name)
        })
    }

    pub fn mg_exists(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(&self.tenant) || self.mgs.iter().any(|m| m.name.eq_ignore_ascii_case(name))
    }
}

/// The scope a request acts on: its path without a trailing `/providers/Microsoft.Authorization/...`.
fn target_scope_key(path: &str) -> String {
    let key = scope_key(path);
    match key.rfind("/providers/microsoft.authorization") {
        Some(0) => "/".to_string(),
        Some(i) => key[..i].to_string(),
        None => key,
    }
}

pub(crate) fn deny_id(d: &DenyAssignmentSeed) -> String {
    let scope = normalize_scope(&d.scope);
    let prefix = if scope == "/" { String::new() } else { scope };
    format!("{prefix}/providers/Microsoft.Authorization/denyAssignments/{}", d.name)
}
