//! Request models derived from a topology: the floor (the fewest requests that gather the facts the
//! checks need), what our collector is designed to send, and Microsoft's per-grant baseline; each with
//! its critical path (dependent round trips) and the wall-time lower bounds.
//!
//! Notation: `p(n) = max(1, ceil(n / page))` is the number of pages of a list of `n` items at the fake's
//! page size (an empty list still costs one request).

use std::collections::{BTreeMap, BTreeSet};

use fake_arm::Topology;
use filesync_identity::api::TargetSpec;

/// Requests by kind (the labels of [`crate::requests::kind`]) and the critical path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Count {
    pub by_kind: BTreeMap<String, u64>,
    /// Dependent round trips: the longest chain of requests that each need the previous answer.
    pub critical_path: u64,
}

impl Count {
    pub fn total(&self) -> u64 {
        self.by_kind.values().sum()
    }
    /// Requests that ARM meters per subscription (everything but Microsoft Graph).
    pub fn arm_reads(&self) -> u64 {
        self.by_kind.iter().filter(|(k, _)| !k.contains("servicePrincipals")).map(|(_, v)| v).sum()
    }
    fn add(&mut self, kind: &str, n: u64) {
        *self.by_kind.entry(kind.to_string()).or_default() += n;
    }
}

/// The three models of one topology.
#[derive(Debug, Clone)]
pub struct Models {
    pub floor: Count,
    pub ours: Count,
    /// Microsoft's per-grant pattern (see [`baseline`]).
    pub baseline: Count,
    /// Facts about the topology, for the report.
    pub services: usize,
    pub sync_groups: usize,
    pub accounts: usize,
    pub role_assignments: usize,
}

pub fn pages(n: usize, page: usize) -> u64 {
    (n.div_ceil(page.max(1))).max(1) as u64
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// Is `scope` at or above `path` (segment prefix, case-insensitive; `/` is above everything)?
fn at_or_above(scope: &str, path: &str) -> bool {
    let (s, p) = (lower(scope.trim_end_matches('/')), lower(path));
    s.is_empty() || p == s || p.starts_with(&format!("{s}/"))
}

/// Is `scope` at, above or below `path` (what an unfiltered list at `path` shows)?
fn related(scope: &str, path: &str) -> bool {
    at_or_above(scope, path) || at_or_above(path, scope)
}

fn subscription_of(id: &str) -> String {
    id.split('/').nth(2).unwrap_or_default().to_ascii_lowercase()
}

/// The pages of one storage account's reads.
struct AccountReads {
    sub: String,
    /// Secured by a network security perimeter: its perimeter configurations are listed after the account's
    /// own read said so (one more round trip on its chain).
    perimeter: u64,
    shares: u64,
    role_assignments: u64,
    permissions: u64,
    locks: u64,
}

impl AccountReads {
    /// Round trips of the account's reads, all sent at once: the longest paged list.
    fn depth(&self, with_assignments: bool) -> u64 {
        let mut d = [1 + self.perimeter, self.shares, self.permissions, self.locks].into_iter().max().unwrap_or(1);
        if with_assignments {
            d = d.max(self.role_assignments);
        }
        d
    }
}

/// The machine lookups of a service's registered servers: one Graph lookup per server with an identity
/// (not a cluster's name object), and one ARM read per Arc machine / VM its service principal names; and
/// those machines' ids.
fn machine_reads(topo: &Topology, s: &fake_arm::ServiceSeed) -> (u64, u64, u64, Vec<String>) {
    let set = |v: &Option<String>| {
        v.as_deref().filter(|g| !g.is_empty() && *g != "00000000-0000-0000-0000-000000000000").map(lower)
    };
    let (mut lookups, mut arc, mut vms, mut machines) = (0, 0, 0, Vec::new());
    for r in s.registered_servers.iter().filter(|r| !r.server_role.eq_ignore_ascii_case("ClusterName")) {
        let identity = if r.active_auth_type.eq_ignore_ascii_case("ManagedIdentity") {
            set(&r.application_id).or_else(|| set(&r.latest_application_id))
        } else {
            set(&r.latest_application_id).or_else(|| set(&r.application_id))
        };
        let Some(p) = identity else { continue };
        lookups += 1;
        let sp = topo.graph.service_principals.iter().find(|sp| lower(&sp.id) == p);
        let names: Vec<String> =
            sp.map(|sp| sp.alternative_names.iter().map(|n| lower(n)).collect()).unwrap_or_default();
        if let Some(m) = names.iter().find(|n| n.contains("/providers/microsoft.hybridcompute/machines/")) {
            arc += 1;
            machines.push(m.clone());
        } else if let Some(m) = names.iter().find(|n| n.contains("/providers/microsoft.compute/virtualmachines/")) {
            vms += 1;
            machines.push(m.clone());
        }
    }
    (lookups, arc, vms, machines)
}

/// Compute the models. `graph_lookup`: the collector asks Microsoft Graph: the Microsoft.StorageSync
/// principal (one request, the caller did not give its object id) and each identity server's machine.
pub fn models(topo: &Topology, target: &TargetSpec, graph_lookup: bool) -> Models {
    let page = topo.page_size;
    let services: Vec<_> = topo
        .storage_sync_services
        .iter()
        .filter(|s| match target {
            TargetSpec::Service(id) => lower(&s.id()) == lower(id.as_str()),
            TargetSpec::ResourceGroup { subscription_id, resource_group } => {
                lower(&s.subscription_id) == lower(subscription_id) && lower(&s.resource_group) == lower(resource_group)
            }
            TargetSpec::Subscription { subscription_id } => lower(&s.subscription_id) == lower(subscription_id),
        })
        .collect();
    let caller = topo.tokens.values().next().map(|t| lower(&t.principal_id)).unwrap_or_default();

    // The accounts the cloud endpoints name, each once.
    let mut account_ids = BTreeSet::new();
    for s in &services {
        for g in &s.sync_groups {
            for c in &g.cloud_endpoints {
                account_ids.insert(lower(&c.storage_account_resource_id));
            }
        }
    }
    let accounts: BTreeMap<String, AccountReads> = account_ids
        .iter()
        .map(|id| {
            let seed = topo.storage_accounts.iter().find(|a| lower(&a.id()) == *id);
            let shares = seed.map(|a| a.shares.len()).unwrap_or(0);
            let ra = topo.role_assignments.iter().filter(|r| related(&r.scope, id)).count();
            // One permission block per built-in role of each of the caller's assignments at or above.
            let perms = topo
                .role_assignments
                .iter()
                .filter(|r| lower(&r.principal_id) == caller && at_or_above(&r.scope, id))
                .count();
            let locks = topo.locks.iter().filter(|l| at_or_above(&l.scope, id)).count();
            let perimeter = seed
                .filter(|a| {
                    a.public_network_access.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("SecuredByPerimeter"))
                })
                .map(|a| pages(a.network_security_perimeter_configurations.len(), page))
                .unwrap_or(0);
            let reads = AccountReads {
                sub: subscription_of(id),
                perimeter,
                shares: pages(shares, page),
                role_assignments: pages(ra, page),
                permissions: pages(perms, page),
                locks: pages(locks, page),
            };
            (id.clone(), reads)
        })
        .collect();
    let subs: BTreeSet<String> = accounts.values().map(|a| a.sub.clone()).collect();
    // Per subscription: list every assignment at, above and below it once, or each account's; whichever
    // costs fewer pages. Deny assignments: one list at the subscription shows those below it too.
    let mut ra_floor = 0;
    let mut ra_floor_depth = 0;
    let mut ra_per_account_subs = BTreeSet::new();
    let mut deny_floor = 0;
    let mut deny_floor_depth = 0;
    // Ours lists each subscription's role assignments once (per account only when the caller may not list
    // them at the subscription, which the benchmark's Owner caller may).
    let mut ra_ours: BTreeMap<String, u64> = BTreeMap::new();
    for sub in &subs {
        let scope = format!("/subscriptions/{sub}");
        let per_account: u64 = accounts.values().filter(|a| &a.sub == sub).map(|a| a.role_assignments).sum();
        let whole = pages(topo.role_assignments.iter().filter(|r| related(&r.scope, &scope)).count(), page);
        ra_ours.insert(sub.clone(), whole);
        if per_account <= whole {
            ra_floor += per_account;
            ra_per_account_subs.insert(sub.clone());
        } else {
            ra_floor += whole;
            ra_floor_depth = ra_floor_depth.max(whole);
        }
        let d = pages(topo.deny_assignments.iter().filter(|d| related(&d.scope, &scope)).count(), page);
        deny_floor += d;
        deny_floor_depth = deny_floor_depth.max(d);
    }

    // Everything up to the accounts is the same in the floor and in our collector.
    let mut common = Count::default();
    if graph_lookup {
        common.add("GET servicePrincipals (list)", 1);
    }
    let service_pages = match target {
        TargetSpec::Service(_) => {
            common.add("GET storageSyncServices", 1);
            1
        }
        _ => {
            let n = pages(services.len(), page);
            common.add("GET storageSyncServices (list)", n);
            n
        }
    };
    // Each server with an identity: its service principal in Graph, then the machine it names
    // (server.machine-identity); worked out once per service.
    let reads: Vec<(u64, u64, u64, Vec<String>)> =
        services.iter().map(|s| if graph_lookup { machine_reads(topo, s) } else { (0, 0, 0, Vec::new()) }).collect();
    for (s, (lookups, arc, vms, _)) in services.iter().zip(&reads) {
        let (lookups, arc, vms) = (*lookups, *arc, *vms);
        common.add("GET registeredServers (list)", pages(s.registered_servers.len(), page));
        if graph_lookup {
            common.add("GET servicePrincipals", lookups);
            if arc > 0 {
                common.add("GET machines", arc);
            }
            if vms > 0 {
                common.add("GET virtualMachines", vms);
            }
        }
        common.add("GET syncGroups (list)", pages(s.sync_groups.len(), page));
        for g in &s.sync_groups {
            common.add("GET cloudEndpoints (list)", pages(g.cloud_endpoints.len(), page));
            common.add("GET serverEndpoints (list)", pages(g.server_endpoints.len(), page));
        }
    }
    // The Activity Log (who changed what): one query per subscription and resource group of the services,
    // accounts and the servers' machines, each sent when its group is first seen; the benchmark's
    // deployments have no events (one page).
    let mut log_groups = BTreeSet::new();
    for s in &services {
        log_groups.insert((lower(&s.subscription_id), lower(&s.resource_group)));
    }
    for id in accounts.keys() {
        log_groups.insert((subscription_of(id), id.split('/').nth(4).unwrap_or_default().to_ascii_lowercase()));
    }
    let groups_before_machines = log_groups.clone();
    // A machine's group that no service or account has shown is asked for after the machine's read: one
    // more round trip on that server's chain.
    let machine_log: Vec<u64> = reads
        .iter()
        .map(|(_, _, _, machines)| {
            let new = machines.iter().any(|id| {
                let g = (subscription_of(id), id.split('/').nth(4).unwrap_or_default().to_ascii_lowercase());
                !groups_before_machines.contains(&g)
            });
            u64::from(new)
        })
        .collect();
    for id in reads.iter().flat_map(|(_, _, _, machines)| machines) {
        log_groups.insert((subscription_of(id), id.split('/').nth(4).unwrap_or_default().to_ascii_lowercase()));
    }
    // Critical path, in the collector's order: a service by id is read together with its two lists (the
    // id gives their paths) and its group's Activity Log query, so its GET is not a round trip of its own;
    // listed services come after their listing's pages. Then servers -> (their machines' lookups -> the
    // machines -> a new group's Activity Log query) | sync groups -> (server endpoints | cloud endpoints ->
    // the account's reads, its group's Activity Log query beside them).
    let (listing_pages, first_round) = match target {
        TargetSpec::Service(_) => (0, 1),
        _ => (service_pages, 0),
    };
    let depth = |account_depth: &dyn Fn(&AccountReads) -> u64| -> u64 {
        let per_service = services.iter().zip(&reads).zip(&machine_log).map(|((s, (lookups, arc, vms, _)), log)| {
            let groups = s.sync_groups.iter().map(|g| {
                let acct = g
                    .cloud_endpoints
                    .iter()
                    .filter_map(|c| accounts.get(&lower(&c.storage_account_resource_id)))
                    .map(account_depth)
                    .max()
                    .unwrap_or(0);
                (pages(g.cloud_endpoints.len(), page) + acct).max(pages(g.server_endpoints.len(), page))
            });
            let machines = u64::from(*lookups > 0) + u64::from(arc + vms > 0);
            let machines = machines + if arc + vms > 0 { *log } else { 0 };
            (pages(s.registered_servers.len(), page) + machines)
                .max(pages(s.sync_groups.len(), page) + groups.max().unwrap_or(0))
        });
        listing_pages + per_service.max().unwrap_or(0).max(first_round)
    };

    let mut floor = common.clone();
    let mut ours = common.clone();
    for a in accounts.values() {
        for c in [&mut floor, &mut ours] {
            c.add("GET storageAccounts", 1);
            c.add("GET fileServices", 1);
            if a.perimeter > 0 {
                c.add("GET networkSecurityPerimeterConfigurations (list)", a.perimeter);
            }
            c.add("GET shares (list)", a.shares);
            c.add("GET permissions", a.permissions);
            c.add("GET locks (list)", a.locks);
        }
    }
    if !accounts.is_empty() {
        floor.add("GET roleAssignments (list)", ra_floor);
        ours.add("GET roleAssignments (list)", ra_ours.values().sum());
        // Deny assignments: ours lists them once per subscription too (per account only when the caller
        // may not read them at the subscription, which the benchmark's Owner caller may).
        floor.add("GET denyAssignments (list)", deny_floor);
        ours.add("GET denyAssignments (list)", deny_floor);
    }
    let g = u64::from(graph_lookup);
    floor.critical_path = depth(&|a: &AccountReads| a.depth(ra_per_account_subs.contains(&a.sub)))
        .max(ra_floor_depth)
        .max(deny_floor_depth)
        .max(g);
    // Ours starts a subscription's chain of role-assignment pages with its first account's reads.
    ours.critical_path = depth(&|a: &AccountReads| a.depth(false).max(ra_ours.get(&a.sub).copied().unwrap_or(0)))
        .max(deny_floor_depth)
        .max(g);
    // A subscription-wide list saves requests but may be a longer chain of pages than the per-account
    // lists; no collector needs more round trips than the shorter of the two designs.
    floor.critical_path = floor.critical_path.min(ours.critical_path);

    if !log_groups.is_empty() {
        for c in [&mut floor, &mut ours] {
            c.add("GET activityLog (list)", log_groups.len() as u64);
        }
    }

    Models {
        floor,
        ours,
        baseline: baseline(topo, &services.iter().map(|s| (*s).clone()).collect::<Vec<_>>()),
        services: services.len(),
        sync_groups: services.iter().map(|s| s.sync_groups.len()).sum(),
        accounts: accounts.len(),
        role_assignments: topo.role_assignments.len(),
    }
}

/// Microsoft's per-grant pattern (Az.StorageSync `Set-AzStorageSyncServiceIdentity`), reads only, run once
/// per service and strictly one request after another:
/// - the service (1 GET), its registered servers and its sync groups (paged lists);
/// - per sync group: its cloud endpoints and its server endpoints (paged lists);
/// - per grant, i.e. per cloud endpoint for the service's identity (Storage Account Contributor on the
///   account, Storage File Data Privileged Contributor on the share) and per server endpoint for its
///   server's identity (Storage File Data Privileged Contributor on the share): one role-definition read
///   and one role-assignment listing filtered to that principal and scope.
///
/// Not counted: the writes it makes, and its fixed 120 s sleep (reported separately).
pub fn baseline(topo: &Topology, services: &[fake_arm::ServiceSeed]) -> Count {
    let page = topo.page_size;
    let mut c = Count::default();
    for s in services {
        c.add("GET storageSyncServices", 1);
        c.add("GET registeredServers (list)", pages(s.registered_servers.len(), page));
        c.add("GET syncGroups (list)", pages(s.sync_groups.len(), page));
        for g in &s.sync_groups {
            c.add("GET cloudEndpoints (list)", pages(g.cloud_endpoints.len(), page));
            c.add("GET serverEndpoints (list)", pages(g.server_endpoints.len(), page));
            let grants = (2 * g.cloud_endpoints.len() + g.server_endpoints.len()) as u64;
            c.add("GET roleDefinitions (per grant)", grants);
            c.add("GET roleAssignments (per grant)", grants);
        }
    }
    c.critical_path = c.total();
    c
}

/// The fixed sleep of Microsoft's cmdlet, per run (per service).
pub const BASELINE_SLEEP_SECS: f64 = 120.0;

/// Lower bound on wall time under a 30 ms-style latency: `max(critical path x latency, requests x latency
/// / concurrency)`.
pub fn latency_bound(count: &Count, latency_s: f64, concurrency: usize) -> f64 {
    (count.critical_path as f64 * latency_s).max(count.total() as f64 * latency_s / concurrency.max(1) as f64)
}

/// Lower bound under a token bucket: the reads past the burst come at the refill rate.
pub fn throttle_bound(count: &Count, burst: f64, refill_per_s: f64) -> f64 {
    ((count.arm_reads() as f64 - burst) / refill_per_s).max(0.0)
}
