//! The judgement of `test --local`, pure: which registered server this machine is, which hosts its sync
//! needs, and what the gathered [`LocalFacts`] say about them. No I/O, no clock.

use serde::Serialize;

use super::facts::{AgentState, Endpoint, LocalFacts, MachineSource, ProbeResult, Purpose, Step};
use crate::model::findings::Status;
use crate::model::snapshot::{RegisteredServer, Snapshot, StorageSyncService};

/// The ids of the on-server findings (they are not ARM checks: they judge what this machine sees).
pub mod ids {
    /// Which registered server this machine is.
    pub const SERVER: &str = "local.server";
    /// The identity this machine gets tokens for, against the registered server's.
    pub const IDENTITY: &str = "local.identity";
    /// The identity's tenant against the service's.
    pub const TENANT: &str = "local.tenant";
    /// One host this server's sync needs, reached from here (DNS, TCP 443, TLS).
    pub const REACH: &str = "local.reach";
    /// The proxy this machine is set to use.
    pub const PROXY: &str = "local.proxy";
    /// The File Sync agent's own state (registry, last sync sessions); read only on Windows.
    pub const AGENT: &str = "local.agent";
}

/// One on-server finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalFinding {
    pub check: &'static str,
    pub status: Status,
    /// What it is about: the server's name, or a host.
    pub subject: String,
    pub message: String,
    /// What to do, where to do it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
}

impl LocalFinding {
    fn new(check: &'static str, status: Status, subject: impl Into<String>, message: impl Into<String>) -> Self {
        LocalFinding {
            check,
            status,
            subject: subject.into(),
            message: message.into(),
            remediation: None,
            host: None,
            port: None,
            step: None,
        }
    }
    fn fix(mut self, r: impl Into<String>) -> Self {
        self.remediation = Some(r.into());
        self
    }
}

/// The suffixes of a cloud: Azure Files' (`file.<suffix>`), File Sync's, and the private DNS zone of a
/// Storage Sync Service private endpoint (azure-docs `file-sync-firewall-and-proxy.md` and
/// `file-sync-networking-endpoints.md`).
pub fn cloud_suffixes(cloud: &str) -> (&'static str, &'static str, &'static str) {
    match cloud.to_ascii_lowercase().as_str() {
        "azureusgovernment" => ("core.usgovcloudapi.net", "afs.azure.us", "privatelink.afs.azure.us"),
        "azurechinacloud" => ("core.chinacloudapi.cn", "afs.azure.cn", "privatelink.afs.azure.cn"),
        _ => ("core.windows.net", "afs.azure.net", "privatelink.afs.azure.net"),
    }
}

fn same_id(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/').eq_ignore_ascii_case(b.trim().trim_end_matches('/'))
}

/// A host name against a registered server's `serverName` (often an FQDN): equal, or equal first labels.
fn same_host(machine: &str, server_name: &str) -> bool {
    let first = |s: &str| s.trim().split('.').next().unwrap_or("").to_ascii_lowercase();
    let (m, s) = (machine.trim(), server_name.trim());
    !m.is_empty() && (m.eq_ignore_ascii_case(s) || first(m) == first(s))
}

fn is_guid_zero(s: &str) -> bool {
    s.chars().all(|c| c == '0' || c == '-')
}

fn app_id(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|x| !x.is_empty() && !is_guid_zero(x))
}

/// Which registered server of the snapshot's services this machine is: by its machine's resource id (the
/// instance metadata against what ARM and Graph say is behind each server's identity), by the principal
/// its token names, then by name. `Err` holds the one line that says it is none of them.
pub fn which_server<'a>(
    facts: &LocalFacts,
    snapshot: &'a Snapshot,
) -> std::result::Result<(&'a StorageSyncService, &'a RegisteredServer), String> {
    let all = || snapshot.services.iter().flat_map(|s| s.registered_servers.iter().map(move |r| (s, r)));
    let resource_id = facts.machine.as_ref().and_then(|m| m.resource_id.as_deref());
    if let Some(rid) = resource_id {
        let by_machine = all()
            .find(|(_, r)| r.machine.as_ref().and_then(|m| m.resource_id.as_deref()).is_some_and(|m| same_id(m, rid)));
        if let Some(found) = by_machine {
            return Ok(found);
        }
    }
    if let Some(oid) = facts.identity.as_ref().and_then(|i| i.oid.as_deref()) {
        let by_principal = all().find(|(_, r)| {
            app_id(&r.application_id).is_some_and(|a| same_id(a, oid))
                || app_id(&r.latest_application_id).is_some_and(|a| same_id(a, oid))
        });
        if let Some(found) = by_principal {
            return Ok(found);
        }
    }
    let names: Vec<&str> =
        facts.machine.as_ref().and_then(|m| m.name.as_deref()).into_iter().chain(facts.host_name.as_deref()).collect();
    for name in &names {
        if let Some(found) = all().find(|(_, r)| r.server_name.as_deref().is_some_and(|s| same_host(name, s))) {
            return Ok(found);
        }
    }
    let services: Vec<&str> = snapshot.services.iter().map(|s| s.name.as_str()).collect();
    let this = match (names.first(), resource_id) {
        (Some(n), Some(r)) => format!("this machine ({n}, {r})"),
        (Some(n), None) => format!("this machine ({n})"),
        (None, Some(r)) => format!("this machine ({r})"),
        (None, None) => "this machine".to_string(),
    };
    let of = match services.as_slice() {
        [] => "the target (it has no Storage Sync Service)".to_string(),
        [one] => format!("Storage Sync Service '{one}'"),
        many => format!("the Storage Sync Services {}", many.join(", ")),
    };
    Err(format!("{this} is not a registered server of {of}: run `test --local` on a registered server, or name the service it is registered to"))
}

/// The hosts this server's sync needs, with how each must resolve: the storage accounts of its server
/// endpoints' shares, the File Sync endpoints of the service's region (azure-docs
/// `file-sync-firewall-and-proxy.md`: `https://<region>01.<afs suffix>` and the discovery URL
/// `https://tm-<region>01.<afs suffix>`), Entra sign-in and ARM.
pub fn endpoints_for(
    snapshot: &Snapshot,
    service: &StorageSyncService,
    server: &RegisteredServer,
    cloud: &str,
    authority_host: &str,
    resource_manager: &str,
) -> Vec<Endpoint> {
    let (storage_suffix, afs_suffix, zone) = cloud_suffixes(cloud);
    let mut out: Vec<Endpoint> = Vec::new();
    let mut push = |e: Endpoint| {
        if !out.iter().any(|o| o.host.eq_ignore_ascii_case(&e.host) && o.port == e.port) {
            out.push(e);
        }
    };
    for group in &service.sync_groups {
        let mine = group.server_endpoints.iter().any(|se| {
            se.server_resource_id
                .as_deref()
                .is_some_and(|r| same_id(r, server.id.as_str()) || same_id(r, &server.server_id))
        });
        if !mine {
            continue;
        }
        for ce in &group.cloud_endpoints {
            let Some(account_id) = ce.storage_account_resource_id.as_deref() else { continue };
            let Some(account) = account_id.trim_end_matches('/').rsplit('/').next().filter(|a| !a.is_empty()) else {
                continue;
            };
            let known = snapshot.storage_accounts.iter().find(|a| same_id(a.id.as_str(), account_id));
            let private_only = known
                .and_then(|a| a.public_network_access.as_deref())
                .is_some_and(|p| p.eq_ignore_ascii_case("Disabled"));
            let host = format!("{}.file.{storage_suffix}", account.to_ascii_lowercase());
            push(Endpoint {
                host,
                port: 443,
                purpose: Purpose::Storage,
                tls: true,
                expect_private: private_only,
                private_zone: private_only.then(|| format!("privatelink.file.{storage_suffix}")),
                why: format!(
                    "storage account {account} (share {} of sync group {})",
                    ce.azure_file_share_name.as_deref().unwrap_or("?"),
                    group.name
                ),
            });
        }
    }
    if let Some(region) = service.location.as_deref().map(|l| l.replace(' ', "").to_ascii_lowercase()) {
        let vnet_only = service
            .incoming_traffic_policy
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("AllowVirtualNetworksOnly"));
        push(Endpoint {
            host: format!("{region}01.{afs_suffix}"),
            port: 443,
            purpose: Purpose::FileSync,
            tls: true,
            expect_private: vnet_only,
            private_zone: vnet_only.then(|| zone.to_string()),
            why: format!("File Sync service endpoint of {region} (service {})", service.name),
        });
        push(Endpoint {
            host: format!("tm-{region}01.{afs_suffix}"),
            port: 443,
            purpose: Purpose::FileSync,
            tls: true,
            expect_private: false,
            private_zone: None,
            why: format!("File Sync discovery endpoint of {region}"),
        });
    }
    for (url, purpose, why) in [
        (authority_host, Purpose::SignIn, "Entra ID sign-in"),
        (resource_manager, Purpose::Arm, "Azure Resource Manager"),
    ] {
        if let Some((host, port, tls)) = host_port(url) {
            push(Endpoint { host, port, purpose, tls, expect_private: false, private_zone: None, why: why.into() });
        }
    }
    out
}

/// `https://host[:port]/...` -> (host, port, tls).
fn host_port(url: &str) -> Option<(String, u16, bool)> {
    let (tls, rest) =
        if let Some(r) = url.strip_prefix("https://") { (true, r) } else { (false, url.strip_prefix("http://")?) };
    let authority = rest.split(['/', '?', '#']).next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (authority, None), // a bare IPv6 address
        Some((h, p)) => (h, p.parse::<u16>().ok()),
        None => (authority, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port.unwrap_or(if tls { 443 } else { 80 }), tls))
}

/// The command that re-points a registered server at this machine's identity, run here, elevated.
fn set_identity_command(service: &StorageSyncService) -> String {
    format!(
        "on this server, in an elevated PowerShell with the Az.StorageSync module: `Set-AzStorageSyncServer -ResourceGroupName {} -StorageSyncServiceName {} -Identity`",
        service.id.resource_group().unwrap_or("<resource group>"),
        service.name
    )
}

fn server_label(server: &RegisteredServer) -> String {
    server.server_name.clone().unwrap_or_else(|| server.server_id.clone())
}

/// Every finding about this machine, once it is known to be `server` of `service`.
pub fn judge(
    facts: &LocalFacts,
    snapshot: &Snapshot,
    service: &StorageSyncService,
    server: &RegisteredServer,
) -> Vec<LocalFinding> {
    let mut out = Vec::new();
    let label = server_label(server);
    let how = match &facts.machine {
        Some(m) => format!(
            "{} says this machine is {}",
            facts.source.map(MachineSource::label).unwrap_or("the metadata"),
            m.resource_id.as_deref().or(m.name.as_deref()).unwrap_or("?")
        ),
        None => format!("matched by name ({})", facts.host_name.as_deref().unwrap_or("?")),
    };
    out.push(LocalFinding::new(
        ids::SERVER,
        Status::Pass,
        &label,
        format!("This machine is registered server {label} ({}) of {}: {how}.", server.server_id, service.name),
    ));
    out.extend(judge_identity(facts, snapshot, service, server));
    out.extend(facts.probes.iter().map(|p| judge_probe(p, &facts.proxy)));
    out.push(judge_proxy(facts));
    out.push(judge_agent(facts.agent.as_ref()));
    out
}

fn judge_identity(
    facts: &LocalFacts,
    snapshot: &Snapshot,
    service: &StorageSyncService,
    server: &RegisteredServer,
) -> Vec<LocalFinding> {
    let label = server_label(server);
    let Some(identity) = &facts.identity else {
        let why = facts
            .identity_error
            .as_deref()
            .unwrap_or("neither the Azure Arc agent nor the VM metadata service answered");
        let fix = match facts.source {
            Some(MachineSource::AzureVm) => "turn on the VM's system-assigned identity (Azure portal: the VM's Identity blade), then run `Set-AzStorageSyncServer -Identity` here".to_string(),
            _ => "check the Connected Machine agent is installed and Connected (`azcmagent show`); a server outside Azure gets an identity only through Azure Arc, an Azure VM through its system-assigned identity".to_string(),
        };
        return vec![LocalFinding::new(
            ids::IDENTITY,
            Status::Fail,
            &label,
            format!("This machine could not get a token for Azure Storage from its managed identity: {why}. Without one the server cannot use identity mode."),
        )
        .fix(fix)];
    };
    let mut out = Vec::new();
    let oid = identity.oid.as_deref().unwrap_or("");
    let user_assigned =
        identity.xms_mirid.as_deref().is_some_and(|m| m.to_ascii_lowercase().contains("/userassignedidentities/"));
    if user_assigned {
        out.push(
            LocalFinding::new(
                ids::IDENTITY,
                Status::Fail,
                &label,
                format!(
                    "This machine's token is for a user-assigned identity ({}); File Sync supports only a system-assigned identity (Az.StorageSync refuses a user-assigned one).",
                    identity.xms_mirid.as_deref().unwrap_or("")
                ),
            )
            .fix("turn on the machine's system-assigned identity (Azure VM) or use the Arc agent's identity, then run `Set-AzStorageSyncServer -Identity` here"),
        );
    } else if oid.is_empty() {
        out.push(LocalFinding::new(
            ids::IDENTITY,
            Status::Unknown,
            &label,
            "This machine's storage token carries no `oid` claim: which identity it is cannot be told.",
        ));
    } else {
        let applied = app_id(&server.application_id);
        let latest = app_id(&server.latest_application_id);
        match (applied, latest) {
            (Some(a), _) if same_id(a, oid) => out.push(LocalFinding::new(
                ids::IDENTITY,
                Status::Pass,
                &label,
                format!("This machine gets tokens as {oid}, the registered server's applicationId."),
            )),
            (_, Some(l)) if same_id(l, oid) => out.push(
                LocalFinding::new(
                    ids::IDENTITY,
                    Status::Warning,
                    &label,
                    format!(
                        "This machine gets tokens as {oid}, which the registered server holds only as latestApplicationId{}: the server has not switched to it yet.",
                        applied.map(|a| format!(" (applicationId is {a})")).unwrap_or_default()
                    ),
                )
                .fix(format!(
                    "run `Set-AzStorageSyncServiceIdentity -ResourceGroupName {} -StorageSyncServiceName {}` again; the server then uses it within about 15 minutes",
                    service.id.resource_group().unwrap_or("<resource group>"),
                    service.name
                )),
            ),
            (Some(a), _) | (None, Some(a)) => out.push(
                LocalFinding::new(
                    ids::IDENTITY,
                    Status::Fail,
                    &label,
                    format!(
                        "This machine gets tokens as {oid}, but registered server {label} has {} {a}: the machine's identity was reset or the machine re-created after the server was set to use it (sync fails with 0x80c83079 or 0x80c86063).",
                        if applied.is_some() { "applicationId" } else { "latestApplicationId" }
                    ),
                )
                .fix(set_identity_command(service)),
            ),
            (None, None) => out.push(
                LocalFinding::new(
                    ids::IDENTITY,
                    Status::Warning,
                    &label,
                    format!("This machine has an identity ({oid}), but registered server {label} has no applicationId: it does not use a managed identity."),
                )
                .fix(set_identity_command(service)),
            ),
        }
    }
    let service_tenant = service
        .identity
        .as_ref()
        .and_then(|i| i.tenant_id.as_deref())
        .or_else(|| snapshot.caller.as_ref().and_then(|c| c.tenant_id.as_deref()));
    match (identity.tid.as_deref(), service_tenant) {
        (Some(t), Some(s)) if !same_id(t, s) => out.push(
            LocalFinding::new(
                ids::TENANT,
                Status::Fail,
                &label,
                format!("This machine's identity is in tenant {t}, the Storage Sync Service {} in {s}: File Sync across tenants is not supported.", service.name),
            )
            .fix("connect the machine (Arc: `azcmagent connect --tenant-id`) to the service's tenant, then run `Set-AzStorageSyncServer -Identity` here"),
        ),
        (Some(t), Some(_)) => {
            out.push(LocalFinding::new(ids::TENANT, Status::Pass, &label, format!("This machine's identity is in the service's tenant ({t}).")))
        }
        _ => out.push(LocalFinding::new(
            ids::TENANT,
            Status::Unknown,
            &label,
            "The tenant of this machine's identity or of the service is not known.",
        )),
    }
    out
}

fn is_private(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_private() || v4.is_loopback() || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        std::net::IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// One probe's finding: which host, which step failed, and the setting that explains it.
pub fn judge_probe(p: &ProbeResult, proxy: &super::facts::ProxyFacts) -> LocalFinding {
    let e = &p.endpoint;
    let port = p.connected_port;
    let at = match p.pinned {
        Some(a) => format!(" (pinned to {a} by --resolve)"),
        None => String::new(),
    };
    let mut f = LocalFinding::new(ids::REACH, Status::Pass, &e.host, "");
    f.host = Some(e.host.clone());
    f.port = Some(port);
    let proxy_note = proxy
        .effective()
        .map(|p| format!(" This machine is set to use the proxy {p}; this probe went direct, so if only the proxy may go out, this failure is expected here and sync needs the proxy set for the agent (`Set-StorageSyncProxyConfiguration`)."))
        .unwrap_or_default();
    if let Some(step) = p.failed_step {
        f.status = Status::Fail;
        f.step = Some(step);
        let err = p.error.as_deref().unwrap_or("failed");
        let setting = match step {
            Step::Dns if e.expect_private => format!(
                "the name does not resolve here; with the private endpoint it must resolve through the private DNS zone {} (linked to this server's network, or a conditional forwarder to it)",
                e.private_zone.as_deref().unwrap_or("of the private endpoint")
            ),
            Step::Dns => "the name does not resolve here: check the DNS servers this machine uses (and its hosts file)".into(),
            Step::Tcp if p.timed_out => format!("no answer on port {port}: a firewall (or network security group) drops outbound TCP {port}{}", if e.expect_private { " to the private endpoint" } else { "" }),
            Step::Tcp => format!("nothing listens on port {port} at that address, or a firewall rejects the connection"),
            Step::Tls => "a proxy or firewall that inspects TLS answers with its own certificate or cuts the connection: exempt this host from TLS inspection".into(),
        };
        f.message = format!(
            "{} ({}), port {port}{at}: the {} failed: {err}. Setting: {setting}.{proxy_note}",
            e.host,
            e.why,
            step.label()
        );
        return f;
    }
    let addrs: Vec<String> = p.addresses.iter().map(|a| a.to_string()).collect();
    if e.expect_private && p.pinned.is_none() && !p.addresses.iter().any(is_private) {
        f.status = Status::Fail;
        f.step = Some(Step::Dns);
        f.message = format!(
            "{} ({}) resolves to the public address {} although it takes only private traffic. Setting: the private DNS zone {} is missing or not linked to this server's network (or its DNS does not forward to it).",
            e.host,
            e.why,
            addrs.join(", "),
            e.private_zone.as_deref().unwrap_or("of the private endpoint")
        );
        return f;
    }
    let steps = if e.tls { "DNS, TCP and TLS" } else { "DNS and TCP" };
    f.message = format!("{} ({}), port {port}{at}: {steps} succeeded ({}).", e.host, e.why, addrs.join(", "));
    f
}

fn judge_proxy(facts: &LocalFacts) -> LocalFinding {
    let mut f = LocalFinding::new(ids::PROXY, Status::Pass, "proxy", "");
    f.message = match facts.proxy.effective() {
        Some(p) => format!(
            "This machine's environment sets the proxy {p}{}. The File Sync agent uses its own proxy setting (`Get-StorageSyncProxyConfiguration`) or the machine-wide WinHTTP one; the probes here go direct.",
            facts.proxy.no_proxy.as_deref().map(|n| format!(" (not for: {n})")).unwrap_or_default()
        ),
        None => "No proxy is set in this machine's environment (HTTPS_PROXY, HTTP_PROXY); the probes went direct.".into(),
    };
    f
}

fn judge_agent(agent: Option<&AgentState>) -> LocalFinding {
    let Some(a) = agent else {
        return LocalFinding::new(
            ids::AGENT,
            Status::Unknown,
            "File Sync agent",
            "The agent's registry (version, ServerAuth, ServerType) and its last sync sessions (event 9102) were not read: only the PowerShell module reads them, on Windows.",
        );
    };
    let mut parts = Vec::new();
    if let Some(v) = &a.agent_version {
        parts.push(format!("agent {v}"));
    }
    if let Some(s) = &a.server_auth {
        parts.push(format!("ServerAuth {s}"));
    }
    if let Some(s) = &a.server_type {
        parts.push(format!("ServerType {s}"));
    }
    let failing: Vec<String> = a
        .sync_results
        .iter()
        .filter(|r| **r != 0)
        .map(|r| {
            let hex = format!("0x{:08x}", *r as u32);
            match crate::catalog::lookup(&hex) {
                Ok(entry) => format!("{hex} ({})", entry.summary),
                Err(_) => hex,
            }
        })
        .collect();
    let mut status = if a.errors.is_empty() { Status::Pass } else { Status::Unknown };
    let mut message = if parts.is_empty() {
        "The agent's registry key holds no version.".to_string()
    } else {
        parts.join(", ") + "."
    };
    if !failing.is_empty() {
        status = Status::Fail;
        message.push_str(&format!(" Last sync sessions failed with {}.", failing.join("; ")));
    } else if !a.sync_results.is_empty() {
        message.push_str(" The last sync sessions succeeded.");
    }
    if !a.errors.is_empty() {
        message.push_str(&format!(" Not read: {}.", a.errors.join("; ")));
    }
    LocalFinding::new(ids::AGENT, status, "File Sync agent", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::facts::{IdentityFacts, InstanceFacts, ProxyFacts};

    const SAMPLE: &str = include_str!("../../examples/sample-deployment.json");
    const TENANT: &str = "8d2a6c0e-3b1f-4e7a-9c5d-1f0b2e4a6c8d";
    const FS02: &str =
        "/subscriptions/6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31/resourcegroups/rg-fileservers/providers/microsoft.hybridcompute/machines/fs02";

    fn sample() -> Snapshot {
        Snapshot::from_json(SAMPLE).unwrap()
    }

    fn on(resource_id: &str, oid: &str, tid: &str) -> LocalFacts {
        LocalFacts {
            source: Some(MachineSource::AzureArc),
            machine: Some(InstanceFacts { resource_id: Some(resource_id.into()), ..Default::default() }),
            identity: Some(IdentityFacts {
                oid: Some(oid.into()),
                tid: Some(tid.into()),
                xms_mirid: Some(resource_id.into()),
            }),
            ..Default::default()
        }
    }

    fn of<'a>(findings: &'a [LocalFinding], check: &str) -> &'a LocalFinding {
        findings.iter().find(|f| f.check == check).unwrap_or_else(|| panic!("no {check}: {findings:#?}"))
    }

    fn run(facts: &LocalFacts) -> Vec<LocalFinding> {
        let snap = sample();
        let (svc, server) = which_server(facts, &snap).expect("a registered server");
        judge(facts, &snap, svc, server)
    }

    #[test]
    fn an_identity_held_only_as_latest_application_id_is_not_switched_yet() {
        let f = run(&on(FS02, "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02", TENANT));
        let id = of(&f, ids::IDENTITY);
        assert_eq!(id.status, Status::Warning, "{id:#?}");
        assert!(id.message.contains("latestApplicationId") && id.message.contains("not switched"), "{id:#?}");
        assert!(id.remediation.as_deref().unwrap().contains("Set-AzStorageSyncServiceIdentity"));
        assert_eq!(of(&f, ids::TENANT).status, Status::Pass);
    }

    #[test]
    fn a_user_assigned_identity_and_another_tenant_fail() {
        let mut facts = on(FS02, "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02", "0f0f0f0f-0000-4000-8000-000000000000");
        facts.identity.as_mut().unwrap().xms_mirid = Some(
            "/subscriptions/x/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ua".into(),
        );
        let f = run(&facts);
        let id = of(&f, ids::IDENTITY);
        assert_eq!(id.status, Status::Fail);
        assert!(id.message.contains("user-assigned"), "{id:#?}");
        let t = of(&f, ids::TENANT);
        assert_eq!(t.status, Status::Fail);
        assert!(t.message.contains("0f0f0f0f-0000-4000-8000-000000000000") && t.message.contains(TENANT), "{t:#?}");
    }

    #[test]
    fn no_token_names_the_agent_and_the_machine_is_matched_by_name() {
        let facts = LocalFacts {
            host_name: Some("fs03".into()),
            identity_error: Some("the Azure Arc agent: http://localhost:40342 did not answer".into()),
            ..Default::default()
        };
        let f = run(&facts);
        assert!(of(&f, ids::SERVER).message.contains("FS03.corp.contoso.com"));
        let id = of(&f, ids::IDENTITY);
        assert_eq!(id.status, Status::Fail);
        assert!(id.message.contains("did not answer") && id.remediation.as_deref().unwrap().contains("azcmagent show"));
        // Off the service: one line naming the machine and the service.
        let elsewhere = LocalFacts { host_name: Some("laptop".into()), ..Default::default() };
        let line = which_server(&elsewhere, &sample()).unwrap_err();
        assert!(line.contains("this machine (laptop)") && line.contains("'contoso-filesync'") && !line.contains('\n'));
    }

    #[test]
    fn the_hosts_of_a_server_are_its_shares_accounts_the_region_sign_in_and_arm() {
        let snap = sample();
        let facts = on(FS02, "x", TENANT);
        let (svc, server) = which_server(&facts, &snap).unwrap();
        let hosts: Vec<String> = endpoints_for(
            &snap,
            svc,
            server,
            "AzureCloud",
            "https://login.microsoftonline.com",
            "https://management.azure.com",
        )
        .into_iter()
        .map(|e| format!("{}:{}", e.host, e.port))
        .collect();
        assert_eq!(
            hosts,
            [
                "stcontosofinance.file.core.windows.net:443",
                "westeurope01.afs.azure.net:443",
                "tm-westeurope01.afs.azure.net:443",
                "login.microsoftonline.com:443",
                "management.azure.com:443"
            ]
        );
        let mut vnet = svc.clone();
        vnet.incoming_traffic_policy = Some("AllowVirtualNetworksOnly".into());
        let gov = endpoints_for(
            &snap,
            &vnet,
            server,
            "AzureUSGovernment",
            "https://login.microsoftonline.us",
            "https://management.usgovcloudapi.net",
        );
        let afs = gov.iter().find(|e| e.host == "westeurope01.afs.azure.us").unwrap();
        assert!(afs.expect_private && afs.private_zone.as_deref() == Some("privatelink.afs.azure.us"));
        assert!(gov.iter().any(|e| e.host == "stcontosofinance.file.core.usgovcloudapi.net"));
    }

    #[test]
    fn a_public_answer_where_a_private_endpoint_is_expected_names_the_zone() {
        let endpoint = Endpoint {
            host: "westeurope01.afs.azure.net".into(),
            port: 443,
            purpose: Purpose::FileSync,
            tls: true,
            expect_private: true,
            private_zone: Some("privatelink.afs.azure.net".into()),
            why: "File Sync".into(),
        };
        let probe = ProbeResult {
            endpoint,
            pinned: None,
            addresses: vec!["20.50.1.2".parse().unwrap()],
            connected_port: 443,
            failed_step: None,
            error: None,
            timed_out: false,
        };
        let f = judge_probe(&probe, &ProxyFacts::default());
        assert_eq!((f.status, f.step), (Status::Fail, Some(Step::Dns)));
        assert!(f.message.contains("20.50.1.2") && f.message.contains("privatelink.afs.azure.net"), "{f:#?}");
        let private = ProbeResult { addresses: vec!["10.1.2.4".parse().unwrap()], ..probe.clone() };
        assert_eq!(judge_probe(&private, &ProxyFacts::default()).status, Status::Pass);
        // A timeout at TCP names the firewall, and the proxy the machine is set to use.
        let dropped =
            ProbeResult { failed_step: Some(Step::Tcp), timed_out: true, error: Some("no answer".into()), ..private };
        let proxy = ProxyFacts { https_proxy: Some("http://proxy.corp:8080".into()), ..Default::default() };
        let f = judge_probe(&dropped, &proxy);
        assert!(
            f.message.contains("firewall") && f.message.contains("proxy.corp:8080") && f.message.contains("port 443"),
            "{f:#?}"
        );
    }

    #[test]
    fn the_agents_last_sync_results_are_tied_to_the_catalog() {
        let agent = AgentState {
            agent_version: Some("20.0.0.0".into()),
            server_auth: Some("ManagedIdentity".into()),
            server_type: Some("Arc".into()),
            sync_results: vec![0x80c8_3079_u32 as i32, 0],
            errors: vec![],
        };
        let f = judge_agent(Some(&agent));
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("0x80c83079") && f.message.contains("identity was not found"), "{f:#?}");
        assert!(f.message.contains("ServerAuth ManagedIdentity"));
        assert_eq!(judge_agent(None).status, Status::Unknown);
    }
}
