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
use crate::model::snapshot::{RegisteredServer, Snapshot};

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
    /// Build the picture of `snapshot`, coloured by `report`.
    pub fn build(report: &Report, snapshot: &Snapshot) -> Diagram {
        let mut by_resource: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, f) in report.findings.iter().enumerate() {
            by_resource.entry(f.resource_id.to_ascii_lowercase()).or_default().push(i);
        }
        let about = |id: &str| by_resource.get(&id.to_ascii_lowercase()).cloned().unwrap_or_default();

        let mut d = Diagram::default();
        let mut counters: HashMap<&'static str, usize> = HashMap::new();
        let mut next_id = |prefix: &'static str| {
            let n = counters.entry(prefix).or_insert(0);
            *n += 1;
            format!("{prefix}{n}")
        };
        let mut servers: HashMap<String, usize> = HashMap::new();
        let mut shares: HashMap<(String, String), usize> = HashMap::new();
        let mut accounts: HashMap<String, usize> = HashMap::new();

        for svc in &snapshot.services {
            let svc_node = d.push(Node {
                id: next_id("svc"),
                kind: NodeKind::Service,
                label: svc.name.clone(),
                resource_id: svc.id.as_str().to_string(),
                status: worst(report, &about(svc.id.as_str())),
                account: None,
            });
            let mut endpoints = Vec::new();
            for sg in &svc.sync_groups {
                let sg_findings = about(sg.id.as_str());
                let sg_node = d.push(Node {
                    id: next_id("sg"),
                    kind: NodeKind::SyncGroup,
                    label: sg.name.clone(),
                    resource_id: sg.id.as_str().to_string(),
                    status: worst(report, &sg_findings),
                    account: None,
                });
                d.link(report, svc_node, sg_node, sg_findings);
                for ce in &sg.cloud_endpoints {
                    let f = about(ce.id.as_str());
                    let label = match ce.share() {
                        Some(s) => s.to_string(),
                        None => ce.friendly_name.clone().unwrap_or_else(|| ce.name.clone()),
                    };
                    let n = d.push(Node {
                        id: next_id("ce"),
                        kind: NodeKind::CloudEndpoint,
                        label,
                        resource_id: ce.id.as_str().to_string(),
                        status: worst(report, &f),
                        account: None,
                    });
                    d.link(report, sg_node, n, Vec::new());
                    endpoints.push((n, f, Target::Share(ce.storage_account_id(), ce.share().map(str::to_string))));
                }
                for se in &sg.server_endpoints {
                    let f = about(se.id.as_str());
                    let server = se
                        .server_id()
                        .and_then(|sid| svc.registered_servers.iter().find(|r| r.server_id.eq_ignore_ascii_case(sid)));
                    // The path; the server it is on is the node it links to.
                    let label = match &se.server_local_path {
                        Some(p) if !p.is_empty() => p.clone(),
                        _ => se.friendly_name.clone().unwrap_or_else(|| se.name.clone()),
                    };
                    let n = d.push(Node {
                        id: next_id("se"),
                        kind: NodeKind::ServerEndpoint,
                        label,
                        resource_id: se.id.as_str().to_string(),
                        status: worst(report, &f),
                        account: None,
                    });
                    d.link(report, sg_node, n, Vec::new());
                    endpoints.push((n, f, Target::Server(server)));
                }
            }
            // Shares in storage accounts, servers: in the order the endpoints name them.
            let mut server_edges: Vec<(usize, &RegisteredServer, Vec<usize>)> = Vec::new();
            for (n, f, target) in endpoints {
                match target {
                    Target::Share(account, share) => {
                        let (acc_key, acc_name, acc_rid) = match &account {
                            Some(a) => (
                                a.as_str().to_ascii_lowercase(),
                                a.name().unwrap_or("?").to_string(),
                                a.as_str().to_string(),
                            ),
                            None => (String::new(), "storage account not set".to_string(), String::new()),
                        };
                        let acc = *accounts.entry(acc_key.clone()).or_insert_with(|| {
                            d.accounts.push(Account {
                                id: next_id("sa"),
                                name: acc_name,
                                status: if acc_rid.is_empty() { None } else { worst(report, &about(&acc_rid)) },
                                resource_id: acc_rid.clone(),
                                shares: Vec::new(),
                            });
                            d.accounts.len() - 1
                        });
                        let share_name = share.unwrap_or_else(|| "share not set".to_string());
                        let key = (acc_key, share_name.to_ascii_lowercase());
                        let sh = match shares.get(&key) {
                            Some(&s) => s,
                            None => {
                                let s = d.push(Node {
                                    id: next_id("sh"),
                                    kind: NodeKind::Share,
                                    label: share_name,
                                    resource_id: acc_rid,
                                    status: None,
                                    account: Some(acc),
                                });
                                d.accounts[acc].shares.push(s);
                                shares.insert(key, s);
                                s
                            }
                        };
                        d.link(report, n, sh, f);
                    }
                    Target::Server(Some(server)) => {
                        let s = d.server(report, &mut servers, server, NodeKind::Server, &mut next_id, &about);
                        d.link(report, n, s, f.clone());
                        server_edges.push((s, server, f));
                    }
                    Target::Server(None) => {}
                }
            }
            // Cluster name -> nodes, red when a server endpoint's finding for that node's identity failed.
            let mut cluster_links: Vec<(usize, usize, Vec<usize>)> = Vec::new();
            for (s, server, f) in &server_edges {
                if !server.is_cluster_name() {
                    continue;
                }
                for member in cluster_nodes(&svc.registered_servers, server) {
                    let m = d.server(report, &mut servers, member, NodeKind::ClusterNode, &mut next_id, &about);
                    let mine: Vec<usize> = f
                        .iter()
                        .copied()
                        .filter(|&i| {
                            let fi = &report.findings[i];
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
                d.link(report, s, m, f);
            }
            // Servers without an endpoint still get a box (their own findings colour it).
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
                d.server(report, &mut servers, server, kind, &mut next_id, &about);
            }
        }
        d
    }

    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn link(&mut self, report: &Report, from: usize, to: usize, findings: Vec<usize>) {
        let failed = findings.iter().any(|&i| report.findings[i].status == Status::Fail);
        self.edges.push(Edge { from, to, findings, failed });
    }

    fn server(
        &mut self,
        report: &Report,
        seen: &mut HashMap<String, usize>,
        server: &RegisteredServer,
        kind: NodeKind,
        next_id: &mut impl FnMut(&'static str) -> String,
        about: &impl Fn(&str) -> Vec<usize>,
    ) -> usize {
        let key = server.id.as_str().to_ascii_lowercase();
        if let Some(&n) = seen.get(&key) {
            return n;
        }
        let n = self.push(Node {
            id: next_id("srv"),
            kind,
            label: server.display_name().to_string(),
            resource_id: server.id.as_str().to_string(),
            status: worst(report, &about(server.id.as_str())),
            account: None,
        });
        seen.insert(key, n);
        n
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
