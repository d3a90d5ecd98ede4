//! Deterministic, seeded topology generators: the same shape and seed always give the same deployment.

use fake_arm::topology::roles;
use fake_arm::{
    CloudEndpointSeed, MachineSeed, RegisteredServerSeed, ServerEndpointSeed, ServicePrincipalSeed, ServiceSeed,
    StorageAccountSeed, SyncGroupSeed, TokenAudience, Topology,
};
use filesync_identity::api::TargetSpec;
use filesync_identity::model::resource_id::ResourceId;

/// The one subscription of every generated deployment.
pub const SUB: &str = "5f0c6b1e-3a2d-4c8b-9e7f-1a2b3c4d5e6f";
/// The bearer token the benchmark presents.
pub const TOKEN: &str = "bench-token-not-a-secret";
/// The Microsoft Graph token beside it (ARM refuses it, and Graph refuses TOKEN).
pub const GRAPH_TOKEN: &str = "bench-graph-token-not-a-secret";
/// The caller (Owner on the subscription).
pub const CALLER: &str = "c0ffee00-0000-4000-8000-000000000001";
/// The Microsoft.StorageSync first-party app and its service principal in the tenant.
pub const SYNC_APP_ID: &str = "9469b9f5-6722-4481-a2b2-14ed560b706f";
pub const P_SYNC: &str = "c0ffee00-0000-4000-8000-0000000000aa";

/// Where a server's Storage File Data Privileged Contributor grant sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantScope {
    /// One grant per share per server, and the service's grant per share: what Microsoft's
    /// Set-AzStorageSyncServiceIdentity does.
    Share,
    /// The service's grants at the storage account, each server's at the storage resource group: at the
    /// limits, per-share grants would be 48,000+ role assignments, past ARM's 4,000 per subscription.
    ResourceGroup,
}

/// The size and form of a generated deployment.
#[derive(Debug, Clone)]
pub struct Shape {
    pub name: &'static str,
    pub services: usize,
    pub servers_per_service: usize,
    pub groups_per_service: usize,
    /// Storage accounts of each service (in the service's own storage resource group).
    pub accounts_per_service: usize,
    pub server_endpoints_per_group: usize,
    pub grants: GrantScope,
    /// The fake's page size for every list.
    pub page_size: usize,
    pub seed: u64,
    /// Collect the whole subscription (else the one service by id).
    pub whole_subscription: bool,
}

impl Shape {
    /// 1 service, 20 servers, 50 sync groups (1 cloud endpoint and 4 server endpoints each), 10 accounts.
    pub fn typical() -> Shape {
        Shape {
            name: "typical",
            services: 1,
            servers_per_service: 20,
            groups_per_service: 50,
            accounts_per_service: 10,
            server_endpoints_per_group: 4,
            grants: GrantScope::Share,
            page_size: 100,
            seed: 0x7e_0001,
            whole_subscription: false,
        }
    }
    /// One subscription, 15 services x 100 servers x 200 sync groups (3,000), 150 accounts, 30 server
    /// endpoints per server (15 per sync group).
    pub fn limits() -> Shape {
        Shape {
            name: "limits",
            services: 15,
            servers_per_service: 100,
            groups_per_service: 200,
            accounts_per_service: 10,
            server_endpoints_per_group: 15,
            grants: GrantScope::ResourceGroup,
            page_size: 100,
            seed: 0x11_0002,
            whole_subscription: true,
        }
    }
    /// A small typical, with a page size of 4 so that paging shows.
    pub fn typical_quick() -> Shape {
        Shape {
            name: "typical-quick",
            services: 1,
            servers_per_service: 5,
            groups_per_service: 9,
            accounts_per_service: 3,
            server_endpoints_per_group: 2,
            page_size: 4,
            ..Shape::typical()
        }
    }
    /// A small limits (several services, whole subscription), page size 4.
    pub fn limits_quick() -> Shape {
        Shape {
            name: "limits-quick",
            services: 3,
            servers_per_service: 6,
            groups_per_service: 8,
            accounts_per_service: 2,
            server_endpoints_per_group: 3,
            page_size: 4,
            ..Shape::limits()
        }
    }
    pub fn sync_groups(&self) -> usize {
        self.services * self.groups_per_service
    }
    pub fn servers(&self) -> usize {
        self.services * self.servers_per_service
    }
    pub fn accounts(&self) -> usize {
        self.services * self.accounts_per_service
    }
}

/// SplitMix64: a tiny, seeded, dependable generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// A GUID that depends only on the seed and the parts.
fn guid(seed: u64, parts: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("filesync-bench|{seed}|{parts}").as_bytes()).to_string()
}

/// A generated deployment: the fake's seed and what to collect.
pub struct Generated {
    pub shape: Shape,
    pub topology: Topology,
    pub target: TargetSpec,
}

/// Build the deployment for `shape`. Mostly healthy, with the seeded blemishes a real estate has: some
/// servers not yet switched to their identity (a few with no identity at all), a few old agents, some
/// storage firewalls, key access off on some accounts, and about 1 grant in 50 missing.
pub fn generate(shape: &Shape) -> Generated {
    let seed = shape.seed;
    let mut rng = Rng::new(seed);
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
    let mut grants: Vec<(String, &'static str, String)> = Vec::new();
    let mut first_service_id = String::new();
    for s in 0..shape.services {
        let rg_sync = format!("rg-sync-{s:02}");
        let rg_storage = format!("rg-storage-{s:02}");
        let svc_principal = guid(seed, &format!("svc-mi|{s}"));
        let mut svc = ServiceSeed::new(SUB, &rg_sync, &format!("sss-{s:02}"))
            .with_identity(&svc_principal)
            .with_use_identity(shape.services == 1 || rng.chance(0.9));
        topo = topo.with_principal(&svc_principal);
        // Registered servers.
        let mut server_ids = Vec::with_capacity(shape.servers_per_service);
        let mut server_principals = Vec::with_capacity(shape.servers_per_service);
        for k in 0..shape.servers_per_service {
            let id = guid(seed, &format!("server|{s}|{k}"));
            let mi = guid(seed, &format!("server-mi|{s}|{k}"));
            let name = format!("fs{s:02}-{k:03}.contoso.com");
            let roll = rng.next_u64() % 100;
            let mut server = if roll < 85 {
                RegisteredServerSeed::new(&id, &name).using_identity(&mi)
            } else if roll < 97 {
                RegisteredServerSeed::new(&id, &name).ready_for_identity(&mi)
            } else {
                RegisteredServerSeed::new(&id, &name)
            };
            server.agent_version = if rng.chance(0.9) { "20.0.0.0".into() } else { "19.1.0.0".into() };
            if roll < 97 {
                topo = topo.with_principal(&mi);
                // The server's Azure Arc machine, and its identity's service principal in Graph.
                topo =
                    topo.with_machine_identity(MachineSeed::arc(SUB, &rg_sync, &format!("fs{s:02}-{k:03}"), Some(&mi)));
                server_principals.push(Some(mi));
            } else {
                server_principals.push(None);
            }
            server_ids.push(id);
            svc = svc.with_server(server);
        }
        // Storage accounts of this service.
        let mut accounts: Vec<StorageAccountSeed> = (0..shape.accounts_per_service)
            .map(|a| {
                let tag = &guid(seed, &format!("account|{s}|{a}"))[..6];
                let mut acct = StorageAccountSeed::new(SUB, &rg_storage, &format!("st{s:02}{a:02}{tag}"));
                if rng.chance(0.2) {
                    acct = acct.with_firewall("Deny", "AzureServices");
                }
                if rng.chance(0.3) {
                    acct.allow_shared_key_access = Some(false);
                }
                acct
            })
            .collect();
        // Sync groups: group g's share lives in account g mod accounts; its server endpoints are on
        // consecutive servers, so every server carries the same number of endpoints.
        let e = shape.server_endpoints_per_group;
        for g in 0..shape.groups_per_service {
            let share = format!("share-{g:03}");
            let a = g % shape.accounts_per_service;
            accounts[a].shares.push(share.clone());
            let account_id = accounts[a].id();
            let mut group = SyncGroupSeed::new(&format!("sg-{g:03}")).with_cloud_endpoint(CloudEndpointSeed::new(
                &guid(seed, &format!("ce|{s}|{g}")),
                &account_id,
                &share,
            ));
            let share_scope = format!("{account_id}/fileServices/default/fileshares/{share}");
            if shape.grants == GrantScope::Share {
                grants.push((
                    share_scope.clone(),
                    roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
                    svc_principal.clone(),
                ));
            }
            for j in 0..e {
                let k = (g * e + j) % shape.servers_per_service;
                group = group.with_server_endpoint(ServerEndpointSeed::new(
                    &guid(seed, &format!("se|{s}|{g}|{j}")),
                    &server_ids[k],
                    &format!("D:\\Sync\\{share}"),
                ));
                if let (GrantScope::Share, Some(p)) = (shape.grants, &server_principals[k]) {
                    grants.push((share_scope.clone(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, p.clone()));
                }
            }
            svc = svc.with_sync_group(group);
        }
        for acct in &accounts {
            grants.push((acct.id(), roles::STORAGE_ACCOUNT_CONTRIBUTOR, svc_principal.clone()));
            grants.push((acct.id(), roles::READER_AND_DATA_ACCESS, P_SYNC.to_string()));
            if shape.grants == GrantScope::ResourceGroup {
                grants.push((acct.id(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, svc_principal.clone()));
            }
        }
        if shape.grants == GrantScope::ResourceGroup {
            let rg_scope = format!("/subscriptions/{SUB}/resourceGroups/{rg_storage}");
            for p in server_principals.iter().flatten() {
                grants.push((rg_scope.clone(), roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, p.clone()));
            }
        }
        for acct in accounts {
            topo = topo.with_storage_account(acct);
        }
        if s == 0 {
            first_service_id = svc.id();
        }
        topo = topo.with_service(svc);
    }
    // About 1 grant in 50 is missing, as in a real estate; the caller owns the subscription.
    for (scope, role, principal) in grants {
        if !rng.chance(0.02) {
            topo = topo.assign(&scope, role, &principal);
        }
    }
    topo = topo.assign(&format!("/subscriptions/{SUB}"), roles::OWNER, CALLER);
    let target = if shape.whole_subscription {
        TargetSpec::Subscription { subscription_id: SUB.to_string() }
    } else {
        TargetSpec::Service(ResourceId::parse(&first_service_id).expect("a generated service id parses"))
    };
    Generated { shape: shape.clone(), topology: topo, target }
}
