//! Tenant scale (issue 23): subscriptions under a management group, some with File Sync; discovery through
//! Azure Resource Graph, each service read from ARM.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_arm::topology::roles;
use fake_arm::{
    CloudEndpointSeed, MachineSeed, ManagementGroupSeed, RegisteredServerSeed, ServerEndpointSeed,
    ServicePrincipalSeed, ServiceSeed, StorageAccountSeed, SyncGroupSeed, TokenAudience, Topology,
};
use filesync_identity::api::{self, CancellationToken, EventSink, Session, Source, TargetSpec, TenantScope};
use filesync_identity::model::resource_id::ResourceId;
use filesync_identity::model::tenant::{Scope, TenantSnapshot};

use crate::gen::{CALLER, GRAPH_TOKEN, P_SYNC, SYNC_APP_ID, TOKEN};
use crate::model::{self, Count};
use crate::requests::RequestCounter;

/// The most resource ids (storage accounts and machines) the collector writes into one Resource Graph
/// query (its `IDS_PER_QUERY`, in `src/collect/graph_rows.rs`), a design choice of the collector and not
/// a fact the front door answers with: the floor of the row queries counts with it, so a change there is
/// made here too (a unit test of the crate holds the two equal).
pub const IDS_PER_QUERY: usize = 200;

/// The size of a generated tenant.
#[derive(Debug, Clone)]
pub struct TenantShape {
    pub name: &'static str,
    pub subscriptions: usize,
    /// Child management groups under the top one (the subscriptions are spread over them).
    pub child_groups: usize,
    /// Subscriptions that hold Storage Sync Services.
    pub with_file_sync: usize,
    pub services: usize,
    pub servers_per_service: usize,
    pub groups_per_service: usize,
    pub accounts_per_service: usize,
    pub page_size: usize,
}

impl TenantShape {
    /// 1,000 subscriptions under one management group (10 child groups), 60 with File Sync: 200 services,
    /// 2,000 servers, 5,000 sync groups, 400 storage accounts.
    pub fn tenant() -> TenantShape {
        TenantShape {
            name: "tenant",
            subscriptions: 1000,
            child_groups: 10,
            with_file_sync: 60,
            services: 200,
            servers_per_service: 10,
            groups_per_service: 25,
            accounts_per_service: 2,
            page_size: 100,
        }
    }
    /// A small tenant for the smoke test (page size 4, so that paging shows).
    pub fn quick() -> TenantShape {
        TenantShape {
            name: "tenant-quick",
            subscriptions: 12,
            child_groups: 3,
            with_file_sync: 3,
            services: 5,
            servers_per_service: 2,
            groups_per_service: 3,
            accounts_per_service: 1,
            page_size: 4,
        }
    }
}

/// The management group of a generated tenant.
pub const MG: &str = "mg-estate";

fn sub_id(i: usize) -> String {
    format!("7e000000-0000-4000-8000-{i:012}")
}

/// A generated tenant: the fake's seed and its services' ids.
pub struct TenantGenerated {
    pub shape: TenantShape,
    pub topology: Topology,
    pub services: Vec<String>,
}

/// Build the tenant: subscriptions spread over child groups of [`MG`]; the services round-robin over
/// the first `with_file_sync` subscriptions; each service with its servers (each on its Arc machine's
/// identity: one Graph lookup and one machine read each), sync groups (one cloud and two server endpoints each) and storage accounts; the
/// caller Owner at the management group.
pub fn generate_tenant(shape: &TenantShape) -> TenantGenerated {
    let mut topo =
        Topology::new().with_token(TOKEN, CALLER).with_token(GRAPH_TOKEN, CALLER).with_page_size(shape.page_size);
    for (t, audience) in [(TOKEN, TokenAudience::Arm), (GRAPH_TOKEN, TokenAudience::Graph)] {
        if let Some(seed) = topo.tokens.get_mut(t) {
            seed.audience = Some(audience);
        }
    }
    topo = topo.with_principal(P_SYNC).with_graph_service_principal(ServicePrincipalSeed::new(
        SYNC_APP_ID,
        P_SYNC,
        "Microsoft.StorageSync",
    ));
    topo = topo.with_management_group(ManagementGroupSeed::new(MG, &[]));
    for c in 0..shape.child_groups {
        let subs: Vec<String> = (0..shape.subscriptions).filter(|i| i % shape.child_groups == c).map(sub_id).collect();
        let refs: Vec<&str> = subs.iter().map(String::as_str).collect();
        let mut mg = ManagementGroupSeed::new(&format!("{MG}-{c:02}"), &refs);
        mg.parent = Some(MG.to_string());
        topo = topo.with_management_group(mg);
    }
    let mut ids = Vec::new();
    for s in 0..shape.services {
        let sub = sub_id(s % shape.with_file_sync);
        let rg = format!("rg-sync-{s:03}");
        let mut svc = ServiceSeed::new(&sub, &rg, &format!("sss-{s:03}"));
        let servers: Vec<String> =
            (0..shape.servers_per_service).map(|k| format!("5e000000-0000-4000-8000-{:06}{k:06}", s)).collect();
        for (k, id) in servers.iter().enumerate() {
            // Each server on its Azure Arc machine's identity (in the service's resource group), so that the
            // run looks each identity up in Graph and reads its machine, as it would in an estate.
            let mi = format!("5d000000-0000-4000-8000-{:06}{k:06}", s);
            let machine = format!("fs{s:03}-{k:02}");
            let mut server = RegisteredServerSeed::new(id, &format!("{machine}.contoso.com")).using_identity(&mi);
            server.agent_version = "20.0.0.0".into();
            svc = svc.with_server(server);
            topo = topo.with_principal(&mi).with_machine_identity(MachineSeed::arc(&sub, &rg, &machine, Some(&mi)));
        }
        let mut accounts: Vec<StorageAccountSeed> = (0..shape.accounts_per_service)
            .map(|a| StorageAccountSeed::new(&sub, &format!("rg-storage-{s:03}"), &format!("st{s:03}x{a:02}")))
            .collect();
        for g in 0..shape.groups_per_service {
            let share = format!("share-{g:03}");
            let a = g % shape.accounts_per_service;
            accounts[a].shares.push(share.clone());
            let mut group = SyncGroupSeed::new(&format!("sg-{g:03}")).with_cloud_endpoint(CloudEndpointSeed::new(
                &format!("ce000000-0000-4000-8000-{:06}{g:06}", s),
                &accounts[a].id(),
                &share,
            ));
            for j in 0..2 {
                let k = (g * 2 + j) % shape.servers_per_service;
                group = group.with_server_endpoint(ServerEndpointSeed::new(
                    &format!("5ee00000-0000-4000-8{j:03}-{:06}{g:06}", s),
                    &servers[k],
                    &format!("D:\\Sync\\{share}"),
                ));
            }
            svc = svc.with_sync_group(group);
        }
        for acct in accounts {
            topo = topo.assign(&acct.id(), roles::READER_AND_DATA_ACCESS, P_SYNC);
            topo = topo.with_storage_account(acct);
        }
        ids.push(svc.id());
        topo = topo.with_service(svc);
    }
    topo = topo.assign(&format!("/providers/Microsoft.Management/managementGroups/{MG}"), roles::OWNER, CALLER);
    // Subscriptions without resources exist too.
    topo.subscriptions = (0..shape.subscriptions).map(sub_id).collect();
    TenantGenerated { shape: shape.clone(), topology: topo, services: ids }
}

/// What the run sent, by model.
pub struct TenantModels {
    /// The one-service collector's design, summed over the services, with the role- and deny-assignment
    /// lists once per subscription (what we send after discovery).
    pub per_service_ours: Count,
    /// The floor of the facts per service, summed.
    pub per_service_floor: Count,
    /// Resource Graph pages discovery needs: the subscriptions that answer and the services.
    pub arg_floor: u64,
    /// Resource Graph queries the services' storage accounts and machines need at the least, were every
    /// id known at once: `ceil((accounts + machines) / ids per query)` (a page holds 1,000 rows, more
    /// than a query's ids).
    pub arg_accounts_floor: u64,
    /// ARM pages of the management group's descendants.
    pub descendants_pages: u64,
    /// What today's subscription scope would send to find the services: one listing per subscription.
    pub per_subscription_discovery: u64,
}

/// The kinds a tenant run reads once per subscription for all its services (see
/// the collector's `SharedReads`), not once per service.
const PER_SUBSCRIPTION: [&str; 2] = ["GET roleAssignments (list)", "GET denyAssignments (list)"];

pub fn tenant_models(g: &TenantGenerated) -> TenantModels {
    let mut ours = Count::default();
    let mut floor = Count::default();
    let add = |into: &mut Count, from: &Count, shared: bool| {
        for (k, v) in &from.by_kind {
            if PER_SUBSCRIPTION.contains(&k.as_str()) == shared {
                *into.by_kind.entry(k.clone()).or_default() += v;
            }
        }
    };
    let mut subscriptions = std::collections::BTreeSet::new();
    let mut accounts = 0u64;
    for id in &g.services {
        let id = ResourceId::parse(id).expect("a generated id parses");
        subscriptions.insert(id.subscription_id().unwrap_or_default().to_ascii_lowercase());
        // With Graph: each identity server's lookup and machine read; the Microsoft.StorageSync
        // principal's lookup is the run's (one, counted apart), not each service's.
        let mut m = model::models(&g.topology, &TargetSpec::Service(id), true);
        for c in [&mut m.ours, &mut m.floor] {
            c.by_kind.remove("GET servicePrincipals (list)");
        }
        // The storage accounts and the servers' machines come from Resource Graph in a tenant run, not
        // from one ARM GET each.
        for kind in ["GET storageAccounts", "GET machines", "GET virtualMachines"] {
            accounts += m.ours.by_kind.remove(kind).unwrap_or(0);
            m.floor.by_kind.remove(kind);
        }
        add(&mut ours, &m.ours, false);
        add(&mut floor, &m.floor, false);
        ours.critical_path = ours.critical_path.max(m.ours.critical_path);
        floor.critical_path = floor.critical_path.max(m.floor.critical_path);
    }
    // Role and deny assignments: one subscription's lists for all its services' accounts (the model of a
    // subscription's collection counts exactly those).
    for sub in subscriptions {
        let m = model::models(&g.topology, &TargetSpec::Subscription { subscription_id: sub }, false);
        add(&mut ours, &m.ours, true);
        add(&mut floor, &m.floor, true);
    }
    let groups = g.shape.child_groups;
    TenantModels {
        per_service_ours: ours,
        per_service_floor: floor,
        arg_floor: model::pages(g.shape.subscriptions, 1000) + model::pages(g.services.len(), 1000),
        arg_accounts_floor: model::pages(accounts as usize, IDS_PER_QUERY),
        descendants_pages: model::pages(g.shape.subscriptions + groups, g.shape.page_size),
        per_subscription_discovery: g.shape.subscriptions as u64,
    }
}

/// One tenant run: discovery and every service's collection, as `test --management-group` reads them
/// (`api::tenant_for` over the scope, the default days of Activity Log), timed; the requests counted from
/// the client's request events.
pub async fn run_tenant(url: &str) -> filesync_identity::Result<(TenantSnapshot, Arc<RequestCounter>, Duration)> {
    let session = Session::new(crate::run::session_options(url))?;
    let requests = Arc::new(RequestCounter::new());
    let sink: Arc<dyn EventSink> = requests.clone();
    let source =
        Source { scope: Some(TenantScope::new(Scope::ManagementGroup { id: MG.to_string() })?), ..Default::default() };
    let days = api::limits::ACTIVITY_DAYS.default;
    let started = Instant::now();
    let mut runs = api::tenant_for(&session, &source, days, sink, &CancellationToken::new()).await?;
    let elapsed = started.elapsed();
    let run = runs
        .pop()
        .filter(|_| runs.is_empty())
        .ok_or_else(|| filesync_identity::Error::internal("a management group's collection makes one run"))?;
    Ok((run, requests, elapsed))
}
