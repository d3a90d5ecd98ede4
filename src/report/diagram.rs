//! The deployment's picture, shared by the Markdown (Mermaid) and HTML (SVG) reports.
//!
//! Layers, left to right: Storage Sync Services, sync groups, endpoints (cloud endpoints, then server
//! endpoints), file shares (grouped by storage account) and registered servers, then cluster nodes.
//!
//! Nodes are coloured by the worst finding about their own resource. A link is red when a finding about
//! the link failed:
//! - service -> sync group: a finding about the sync group;
//! - cloud endpoint -> share: a finding about the cloud endpoint (the service identity's access to the
//!   storage account and share);
//! - server endpoint -> server: a finding about the server endpoint (the server identity's access to the
//!   share);
//! - cluster name -> cluster node: a finding about a server endpoint on that cluster for that node's identity.
//!
//! Sync group -> endpoint links are membership only and are never red.

use std::collections::HashMap;

use crate::model::findings::{Report, Status};
use crate::model::snapshot::{RegisteredServer, Snapshot, StorageSyncService, SyncGroup};

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Service,
    SyncGroup,
    CloudEndpoint,
    ServerEndpoint,
    Share,
    Server,
    ClusterNode,
}

impl NodeKind {
    /// The small label shown above the name.
    pub fn caption(self) -> &'static str {
        match self {
            NodeKind::Service => "Storage Sync Service",
            NodeKind::SyncGroup => "Sync group",
            NodeKind::CloudEndpoint => "Cloud endpoint",
            NodeKind::ServerEndpoint => "Server endpoint",
            NodeKind::Share => "File share",
            NodeKind::Server => "Registered server",
            NodeKind::ClusterNode => "Cluster node",
        }
    }

    /// The column in the picture.
    pub fn layer(self) -> usize {
        match self {
            NodeKind::Service => 0,
            NodeKind::SyncGroup => 1,
            NodeKind::CloudEndpoint | NodeKind::ServerEndpoint => 2,
            NodeKind::Share | NodeKind::Server => 3,
            NodeKind::ClusterNode => 4,
        }
    }
}

/// One box in the picture.
#[derive(Debug, Clone)]
pub struct Node {
    /// A safe identifier (`[a-z]+[0-9]+`), never derived from a resource name.
    pub id: String,
    pub kind: NodeKind,
    /// The resource's name as a person knows it (raw: escape it for the output format).
    pub label: String,
    /// The resource id the node stands for (for a share: the storage account's id and the share name).
    pub resource_id: String,
    /// The worst status of the findings about this resource; `None` when there are none.
    pub status: Option<Status>,
    /// For a share: the index of its storage account in [`Diagram::accounts`].
    pub account: Option<usize>,
}

/// A storage account: a frame around its shares.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub resource_id: String,
    pub status: Option<Status>,
    /// Indices of its share nodes.
    pub shares: Vec<usize>,
}

/// One link.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// Indices into `report.findings` of the findings about this link.
    pub findings: Vec<usize>,
    /// Did any of them fail?
    pub failed: bool,
}

/// The whole picture.
#[derive(Debug, Clone, Default)]
pub struct Diagram {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub accounts: Vec<Account>,
}

/// The worst status among some findings: fail, then warning, unknown, pass, not applicable.
pub fn worst(report: &Report, idx: &[usize]) -> Option<Status> {
    idx.iter().map(|&i| report.findings[i].status).min()
}

impl Diagram {
    /// Build the picture of `snapshot`, coloured by `report`: per service, its node, its sync groups and
    /// their endpoints, what the endpoints reach (shares in their accounts, servers), cluster nodes, and
    /// the servers no endpoint names.
    pub fn build(report: &Report, snapshot: &Snapshot) -> Diagram {
        let mut w = Drawing::new(report);
        for svc in &snapshot.services {
            let svc_node = w.node("svc", NodeKind::Service, svc.name.clone(), svc.id.as_str(), None);
            let mut endpoints = Vec::new();
            for sg in &svc.sync_groups {
                w.sync_group(svc, sg, svc_node, &mut endpoints);
            }
            let server_edges = w.endpoint_targets(endpoints);
            w.cluster_links(svc, &server_edges);
            w.lone_servers(svc);
        }
        w.d
    }

    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }
}

/// An endpoint's node, the findings about it, and what it reaches.
type Endpoint<'a> = (usize, Vec<usize>, Target<'a>);

/// A picture being built: the report that colours it, the ids handed out so far, and what is drawn
/// already (by key) so that nothing is drawn twice.
struct Drawing<'r> {
    report: &'r Report,
    /// Findings by lower-cased resource id.
    by_resource: HashMap<String, Vec<usize>>,
    d: Diagram,
    counters: HashMap<&'static str, usize>,
    servers: HashMap<String, usize>,
    shares: HashMap<(String, String), usize>,
    accounts: HashMap<String, usize>,
}

impl<'r> Drawing<'r> {
    fn new(report: &'r Report) -> Self {
        let mut by_resource: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, f) in report.findings.iter().enumerate() {
            by_resource.entry(f.resource_id.to_ascii_lowercase()).or_default().push(i);
        }
        Drawing {
            report,
            by_resource,
            d: Diagram::default(),
            counters: HashMap::new(),
            servers: HashMap::new(),
            shares: HashMap::new(),
            accounts: HashMap::new(),
        }
    }

    /// The findings about a resource.
    fn about(&self, id: &str) -> Vec<usize> {
        self.by_resource.get(&id.to_ascii_lowercase()).cloned().unwrap_or_default()
    }

    /// `svc1`, `svc2`, ...: ids numbered per prefix.
    fn next_id(&mut self, prefix: &'static str) -> String {
        let n = self.counters.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}{n}")
    }

    /// A node coloured by `findings`, or by the findings about its resource when None.
    fn node(
        &mut self,
        prefix: &'static str,
        kind: NodeKind,
        label: String,
        resource_id: &str,
        findings: Option<&[usize]>,
    ) -> usize {
        let status = match findings {
            Some(f) => worst(self.report, f),
            None => worst(self.report, &self.about(resource_id)),
        };
        let id = self.next_id(prefix);
        self.d.push(Node { id, kind, label, resource_id: resource_id.to_string(), status, account: None })
    }

    fn link(&mut self, from: usize, to: usize, findings: Vec<usize>) {
        let failed = findings.iter().any(|&i| self.report.findings[i].status == Status::Fail);
        self.d.edges.push(Edge { from, to, findings, failed });
    }

    /// A sync group linked from its service, and its endpoints linked from it (what they reach is
    /// drawn later, in `endpoints`' order).
    fn sync_group<'s>(
        &mut self,
        svc: &'s StorageSyncService,
        sg: &SyncGroup,
        svc_node: usize,
        endpoints: &mut Vec<Endpoint<'s>>,
    ) {
        let sg_findings = self.about(sg.id.as_str());
        let sg_node = self.node("sg", NodeKind::SyncGroup, sg.name.clone(), sg.id.as_str(), Some(&sg_findings));
        self.link(svc_node, sg_node, sg_findings);
        for ce in &sg.cloud_endpoints {
            let f = self.about(ce.id.as_str());
            let label = match ce.share() {
                Some(s) => s.to_string(),
                None => ce.friendly_name.clone().unwrap_or_else(|| ce.name.clone()),
            };
            let n = self.node("ce", NodeKind::CloudEndpoint, label, ce.id.as_str(), Some(&f));
            self.link(sg_node, n, Vec::new());
            endpoints.push((n, f, Target::Share(ce.storage_account_id(), ce.share().map(str::to_string))));
        }
        for se in &sg.server_endpoints {
            let f = self.about(se.id.as_str());
            let server = se
                .server_id()
                .and_then(|sid| svc.registered_servers.iter().find(|r| r.server_id.eq_ignore_ascii_case(sid)));
            // The path; the server it is on is the node it links to.
            let label = match &se.server_local_path {
                Some(p) if !p.is_empty() => p.clone(),
                _ => se.friendly_name.clone().unwrap_or_else(|| se.name.clone()),
            };
            let n = self.node("se", NodeKind::ServerEndpoint, label, se.id.as_str(), Some(&f));
            self.link(sg_node, n, Vec::new());
            endpoints.push((n, f, Target::Server(server)));
        }
    }

    /// Shares in storage accounts, servers: in the order the endpoints name them, each linked from its
    /// endpoint. Returns the server links (server node, server, findings) for the cluster links.
    fn endpoint_targets<'s>(&mut self, endpoints: Vec<Endpoint<'s>>) -> Vec<(usize, &'s RegisteredServer, Vec<usize>)> {
        let mut server_edges = Vec::new();
        for (n, f, target) in endpoints {
            match target {
                Target::Share(account, share) => {
                    let sh = self.share(account, share);
                    self.link(n, sh, f);
                }
                Target::Server(Some(server)) => {
                    let s = self.server(server, NodeKind::Server);
                    self.link(n, s, f.clone());
                    server_edges.push((s, server, f));
                }
                Target::Server(None) => {}
            }
        }
        server_edges
    }

    /// A share's node inside its storage account's frame (each drawn once).
    fn share(&mut self, account: Option<crate::model::resource_id::ResourceId>, share: Option<String>) -> usize {
        let (acc_key, acc_name, acc_rid) = match &account {
            Some(a) => (a.as_str().to_ascii_lowercase(), a.name().unwrap_or("?").to_string(), a.as_str().to_string()),
            None => (String::new(), "storage account not set".to_string(), String::new()),
        };
        let acc = match self.accounts.get(&acc_key) {
            Some(&a) => a,
            None => {
                let id = self.next_id("sa");
                let status = if acc_rid.is_empty() { None } else { worst(self.report, &self.about(&acc_rid)) };
                self.d.accounts.push(Account {
                    id,
                    name: acc_name,
                    status,
                    resource_id: acc_rid.clone(),
                    shares: Vec::new(),
                });
                self.accounts.insert(acc_key.clone(), self.d.accounts.len() - 1);
                self.d.accounts.len() - 1
            }
        };
        let share_name = share.unwrap_or_else(|| "share not set".to_string());
        let key = (acc_key, share_name.to_ascii_lowercase());
        if let Some(&s) = self.shares.get(&key) {
            return s;
        }
        let id = self.next_id("sh");
        let s = self.d.push(Node {
            id,
            kind: NodeKind::Share,
            label: share_name,
            resource_id: acc_rid,
            status: None,
            account: Some(acc),
        });
        self.d.accounts[acc].shares.push(s);
        self.shares.insert(key, s);
        s
    }

    /// A server's node (each drawn once, as the kind it was first drawn as).
    fn server(&mut self, server: &RegisteredServer, kind: NodeKind) -> usize {
        let key = server.id.as_str().to_ascii_lowercase();
        if let Some(&n) = self.servers.get(&key) {
            return n;
        }
        let n = self.node("srv", kind, server.display_name().to_string(), server.id.as_str(), None);
        self.servers.insert(key, n);
        n
    }

    /// Cluster name -> nodes, red when a server endpoint's finding for that node's identity failed.
    fn cluster_links(&mut self, svc: &StorageSyncService, server_edges: &[(usize, &RegisteredServer, Vec<usize>)]) {
        let mut cluster_links: Vec<(usize, usize, Vec<usize>)> = Vec::new();
        for (s, server, f) in server_edges {
            if !server.is_cluster_name() {
                continue;
            }
            for member in cluster_nodes(&svc.registered_servers, server) {
                let m = self.server(member, NodeKind::ClusterNode);
                let mine: Vec<usize> = f
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let fi = &self.report.findings[i];
                        let ident = member.any_identity();
                        (ident.is_some() && fi.principal_id.as_deref() == ident)
                            || fi.evidence.get("server").and_then(|v| v.as_str()) == Some(member.display_name())
                    })
                    .collect();
                match cluster_links.iter_mut().find(|l| l.0 == *s && l.1 == m) {
                    Some(l) => l.2.extend(mine),
                    None => cluster_links.push((*s, m, mine)),
                }
            }
        }
        for (s, m, f) in cluster_links {
            self.link(s, m, f);
        }
    }

    /// Servers without an endpoint still get a box (their own findings colour it).
    fn lone_servers(&mut self, svc: &StorageSyncService) {
        for server in &svc.registered_servers {
            let kind = if server.role().eq_ignore_ascii_case("ClusterNode") {
                NodeKind::ClusterNode
            } else {
                NodeKind::Server
            };
            let kind = if kind == NodeKind::ClusterNode
                && !svc.registered_servers.iter().any(|c| c.is_cluster_name() && c.cluster_id == server.cluster_id)
            {
                NodeKind::Server
            } else {
                kind
            };
            self.server(server, kind);
        }
    }
}

enum Target<'a> {
    Share(Option<crate::model::resource_id::ResourceId>, Option<String>),
    Server(Option<&'a RegisteredServer>),
}

fn cluster_nodes<'a>(all: &'a [RegisteredServer], cluster: &RegisteredServer) -> Vec<&'a RegisteredServer> {
    let Some(cid) = cluster.cluster_id.as_deref().filter(|c| !crate::model::resource_id::is_zero_guid(c)) else {
        return Vec::new();
    };
    all.iter()
        .filter(|s| {
            s.role().eq_ignore_ascii_case("ClusterNode")
                && s.cluster_id.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(cid))
        })
        .collect()
}
