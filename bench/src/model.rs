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
    /// The same requests by the earliest round trip each can go out in (0: with the first, knowing only
    /// the target; k: after k answers, one after another). Empty when not worked out (the baseline).
    pub earliest: BTreeMap<u64, u64>,
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
    /// `n` pages of one list whose first page can go out in round trip `from` (each page needs the one
    /// before it).
    fn pages_from(&mut self, from: u64, n: u64) {
        for i in 0..n {
            *self.earliest.entry(from + i).or_default() += 1;
        }
    }

    /// The fewest round trips in which `slots` requests at a time can send these requests, given when each
    /// can go out at the earliest: for every `k`, the requests that cannot go out before round trip `k`
    /// need `ceil(their number / slots)` more after it, so the run takes at least the largest
    /// `k + ceil(n(>= k) / slots)`. With `k = 0` that is the throughput term `ceil(total / slots)`; with `k`
    /// the last round trip of the longest chain, the critical path. It is larger than both when the first
    /// round trips cannot fill the slots (a one-service run starts with 5 to 7 requests, all that the
    /// target alone names). 0 when `earliest` is empty.
    pub fn rounds(&self, slots: usize) -> u64 {
        let slots = slots.max(1) as u64;
        let mut later: u64 = self.earliest.values().sum();
        let mut rounds = 0;
        for (k, n) in &self.earliest {
            rounds = rounds.max(k + later.div_ceil(slots));
            later -= n;
        }
        rounds
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
    let (mut lookups, mut arc, mut vms, mut machines) = (0, 0, 0, Vec::new());
    for r in &s.registered_servers {
        let Some(machine) = machine_lookup(topo, r) else { continue };
        lookups += 1;
        match machine {
            Some(m) if m.contains("/providers/microsoft.hybridcompute/machines/") => {
                arc += 1;
                machines.push(m);
            }
            Some(m) => {
                vms += 1;
                machines.push(m);
            }
            None => {}
        }
    }
    (lookups, arc, vms, machines)
}

/// One registered server's machine lookup: None when there is none (no identity, or a cluster's name
/// object); else the Arc machine or VM its identity's service principal names (lower case), if any.
fn machine_lookup(topo: &Topology, r: &fake_arm::RegisteredServerSeed) -> Option<Option<String>> {
    if r.server_role.eq_ignore_ascii_case("ClusterName") {
        return None;
    }
    let set = |v: &Option<String>| {
        v.as_deref().filter(|g| !g.is_empty() && *g != "00000000-0000-0000-0000-000000000000").map(lower)
    };
    let identity = if r.active_auth_type.eq_ignore_ascii_case("ManagedIdentity") {
        set(&r.application_id).or_else(|| set(&r.latest_application_id))
    } else {
        set(&r.latest_application_id).or_else(|| set(&r.application_id))
    };
    let p = identity?;
    let sp = topo.graph.service_principals.iter().find(|sp| lower(&sp.id) == p);
    let names: Vec<String> = sp.map(|sp| sp.alternative_names.iter().map(|n| lower(n)).collect()).unwrap_or_default();
    let arc = names.iter().find(|n| n.contains("/providers/microsoft.hybridcompute/machines/"));
    let vm = || names.iter().find(|n| n.contains("/providers/microsoft.compute/virtualmachines/"));
    Some(arc.or_else(vm).cloned())
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
    floor.earliest = floor_earliest(&EarliestInputs {
        topo,
        services: &services,
        by_id: matches!(target, TargetSpec::Service(_)),
        graph_lookup,
        accounts: &accounts,
        ra_per_account_subs: &ra_per_account_subs,
        ra_whole: &ra_ours,
    });
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

/// What [`floor_earliest`] needs of [`models`]' work.
struct EarliestInputs<'a> {
    topo: &'a Topology,
    services: &'a [&'a fake_arm::ServiceSeed],
    /// One service by id (else the services come from a listing).
    by_id: bool,
    graph_lookup: bool,
    accounts: &'a BTreeMap<String, AccountReads>,
    /// Subscriptions where the floor lists role assignments per account.
    ra_per_account_subs: &'a BTreeSet<String>,
    /// Pages of each subscription's whole role-assignment list.
    ra_whole: &'a BTreeMap<String, u64>,
}

/// The floor's requests by the earliest round trip each can go out in, whatever the collector (see
/// [`Count::earliest`]). A list's page `i` goes out `i` round trips after its first; what a list names is
/// known once the page holding it is answered (items are paged in the fake's order, the topology's).
/// Known from the target alone (round trip 0): the Microsoft.StorageSync principal's lookup, the service
/// (or the listing of services), a service by id's two lists and its resource group's Activity Log query,
/// and, generously, every subscription-wide list the floor sends (a collector that guessed the storage
/// accounts' subscription could send them at once). Then: servers -> their identities' Graph lookups ->
/// the machines -> a machine's new resource group's Activity Log query; sync groups -> cloud and server
/// endpoint lists; cloud endpoints -> the storage account's reads (its perimeter list one later) and its
/// resource group's Activity Log query. Each resource group's query at the earliest its group is seen.
fn floor_earliest(i: &EarliestInputs) -> BTreeMap<u64, u64> {
    let page = i.topo.page_size.max(1);
    let at = |index: usize| (index / page) as u64;
    let mut c = Count::default();
    if i.graph_lookup {
        c.pages_from(0, 1);
    }
    if i.by_id {
        c.pages_from(0, 1);
    } else {
        c.pages_from(0, pages(i.services.len(), page));
    }
    let mut log_at: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut seen = |id: &str, round: u64| {
        let key = (subscription_of(id), id.split('/').nth(4).unwrap_or_default().to_ascii_lowercase());
        let r = log_at.entry(key).or_insert(round);
        *r = (*r).min(round);
    };
    let mut account_at: BTreeMap<String, u64> = BTreeMap::new();
    for (k, s) in i.services.iter().enumerate() {
        let known = if i.by_id { 0 } else { at(k) + 1 };
        seen(&s.id(), known);
        c.pages_from(known, pages(s.registered_servers.len(), page));
        c.pages_from(known, pages(s.sync_groups.len(), page));
        if i.graph_lookup {
            for (n, r) in s.registered_servers.iter().enumerate() {
                let Some(machine) = machine_lookup(i.topo, r) else { continue };
                let looked_up = known + at(n) + 1;
                c.pages_from(looked_up, 1);
                if let Some(m) = machine {
                    c.pages_from(looked_up + 1, 1);
                    seen(&m, looked_up + 2);
                }
            }
        }
        for (n, g) in s.sync_groups.iter().enumerate() {
            let group = known + at(n) + 1;
            c.pages_from(group, pages(g.cloud_endpoints.len(), page));
            c.pages_from(group, pages(g.server_endpoints.len(), page));
            for (e, ce) in g.cloud_endpoints.iter().enumerate() {
                let round = group + at(e) + 1;
                let r = account_at.entry(lower(&ce.storage_account_resource_id)).or_insert(round);
                *r = (*r).min(round);
            }
        }
    }
    for (id, a) in i.accounts {
        let Some(&round) = account_at.get(id) else { continue };
        seen(id, round);
        c.pages_from(round, 1); // the account
        c.pages_from(round, 1); // its file service
        c.pages_from(round + 1, a.perimeter);
        c.pages_from(round, a.shares);
        c.pages_from(round, a.permissions);
        c.pages_from(round, a.locks);
        if i.ra_per_account_subs.contains(&a.sub) {
            c.pages_from(round, a.role_assignments);
        }
    }
    let subs: BTreeSet<&String> = i.accounts.values().map(|a| &a.sub).collect();
    for sub in subs {
        if !i.ra_per_account_subs.contains(sub) {
            c.pages_from(0, i.ra_whole.get(sub).copied().unwrap_or(0));
        }
        let scope = format!("/subscriptions/{sub}");
        c.pages_from(0, pages(i.topo.deny_assignments.iter().filter(|d| related(&d.scope, &scope)).count(), page));
    }
    for round in log_at.into_values() {
        c.pages_from(round, 1);
    }
    c.earliest
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
/// / concurrency, rounds x latency)`, where rounds is [`Count::rounds`] (every request takes at least the
/// latency, and one that needs another's answer cannot go out before it).
pub fn latency_bound(count: &Count, latency_s: f64, concurrency: usize) -> f64 {
    (count.critical_path as f64 * latency_s)
        .max(count.total() as f64 * latency_s / concurrency.max(1) as f64)
        .max(count.rounds(concurrency) as f64 * latency_s)
}

/// Lower bound under a token bucket: the reads past the burst come at the refill rate.
pub fn throttle_bound(count: &Count, burst: f64, refill_per_s: f64) -> f64 {
    ((count.arm_reads() as f64 - burst) / refill_per_s).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::{generate, Shape};

    #[test]
    fn every_floor_request_has_its_earliest_round_trip() {
        for shape in [Shape::typical(), Shape::limits(), Shape::typical_quick(), Shape::limits_quick()] {
            let g = generate(&shape);
            let m = models(&g.topology, &g.target, true);
            assert_eq!(m.floor.earliest.values().sum::<u64>(), m.floor.total(), "{}", shape.name);
            // The longest chain ends in the last round trip with a request. (The critical path may be
            // longer: it waits for a storage account's reads after every cloud endpoint that names it,
            // where the earliest round trip takes the first.)
            let last = m.floor.earliest.keys().last().copied().unwrap_or(0);
            assert!(
                last < m.floor.critical_path,
                "{}: {:?}, critical path {}",
                shape.name,
                m.floor.earliest,
                m.floor.critical_path
            );
            if !shape.name.ends_with("quick") {
                assert_eq!(last + 1, m.floor.critical_path, "{}", shape.name);
            }
        }
    }

    #[test]
    fn a_one_service_run_starts_with_the_requests_its_target_names() {
        let g = generate(&Shape::typical());
        let m = models(&g.topology, &g.target, true);
        // The principal's lookup, the service, its two lists, its group's Activity Log query, and the
        // subscription's role- and deny-assignment lists.
        assert_eq!(m.floor.earliest[&0], 7);
        assert_eq!(m.floor.total(), 198);
        // 191 requests after the first round trip need 12 more of 16 slots: 13 round trips, not the
        // throughput term's 198 / 16 = 12.4.
        assert_eq!(m.floor.rounds(16), 13);
        assert!((latency_bound(&m.floor, 0.03, 16) - 0.39).abs() < 1e-9);
    }

    #[test]
    fn rounds_is_at_least_throughput_and_chain() {
        let at = |c: &mut Count, round: u64, n: u64| *c.earliest.entry(round).or_default() += n;
        let mut c = Count::default();
        at(&mut c, 0, 1);
        assert_eq!(c.rounds(16), 1);
        // 33 requests all known at once: 3 round trips of 16.
        at(&mut c, 0, 32);
        assert_eq!(c.rounds(16), 3);
        // A chain of 5 pages from the start: 5 round trips.
        c.pages_from(0, 5);
        assert_eq!(c.rounds(16), 5);
        // 40 more that need one answer first: 1 + ceil((40 + 4 chain pages) / 16) = 4 < 5.
        at(&mut c, 1, 40);
        assert_eq!(c.rounds(16), 5);
        // 40 more again: 1 + ceil(84 / 16) = 7, and all 118 at 16 a round trip need 8.
        at(&mut c, 1, 40);
        assert_eq!(c.rounds(16), 8);
        // Only 2 known at once, 118 - 2 after: 1 + ceil(116 / 16) = 9, above the throughput term's 8.
        let mut d = Count::default();
        at(&mut d, 0, 2);
        at(&mut d, 1, 116);
        assert_eq!(d.rounds(16), 9);
    }
}
