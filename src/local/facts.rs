//! What `test --local` reads on the machine, as data: gathered first (`gather.rs`), judged after
//! (`judge.rs`). Nothing here holds a secret: the identity token is read for its claims and dropped.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Where the machine's identity and instance metadata come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MachineSource {
    /// The Azure Connected Machine agent's local endpoint (`IDENTITY_ENDPOINT`, `IMDS_ENDPOINT`).
    AzureArc,
    /// The Azure VM instance metadata service (169.254.169.254).
    AzureVm,
}

impl MachineSource {
    pub fn label(self) -> &'static str {
        match self {
            MachineSource::AzureArc => "the Azure Arc agent",
            MachineSource::AzureVm => "the Azure VM metadata service",
        }
    }
}

/// The machine as its instance metadata describes it (`compute` of `/metadata/instance`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
}

/// The claims of a token for Azure Storage that the machine's identity got (never the token).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityFacts {
    /// `oid`: the identity's object (principal) id, which File Sync records as the server's application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// `tid`: the identity's tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// `xms_mirid`: the identity's resource id (a machine for a system-assigned identity,
    /// `.../userAssignedIdentities/...` for a user-assigned one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xms_mirid: Option<String>,
}

/// The proxy this machine is set to use, from the environment (and, on Windows, what the module reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProxyFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_proxy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_proxy: Option<String>,
}

impl ProxyFacts {
    /// The proxy HTTPS traffic goes through, if any.
    pub fn effective(&self) -> Option<&str> {
        self.https_proxy.as_deref().or(self.http_proxy.as_deref()).filter(|p| !p.trim().is_empty())
    }
}

/// What a host is reached for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Purpose {
    /// A storage account of this server's server endpoints (`<account>.file.<storage suffix>`).
    Storage,
    /// A File Sync service endpoint of the service's region (primary or discovery).
    FileSync,
    /// Entra ID sign-in.
    SignIn,
    /// Azure Resource Manager.
    Arm,
}

/// One host this server's sync needs, and how it must resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub purpose: Purpose,
    /// Whether a TLS handshake is part of the probe (false only for an `http` endpoint, as tests use).
    pub tls: bool,
    /// The name resolves to a private address when the network is right (the resource takes only
    /// private traffic).
    pub expect_private: bool,
    /// The private DNS zone that answers for it, when `expect_private`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_zone: Option<String>,
    /// Why it is needed (the storage account, the service's region).
    pub why: String,
}

/// The step of a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    Dns,
    Tcp,
    Tls,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Dns => "DNS lookup",
            Step::Tcp => "TCP connection",
            Step::Tls => "TLS handshake",
        }
    }
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeResult {
    pub endpoint: Endpoint,
    /// The address a `--resolve` pin gave (no DNS lookup then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<IpAddr>,
    /// The addresses the name resolved to (or the pinned one).
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
    /// The port actually connected to (a pin may aim elsewhere).
    pub connected_port: u16,
    /// The step that failed, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failure was a timeout (no answer) rather than a refusal.
    #[serde(default)]
    pub timed_out: bool,
}

/// The File Sync agent's own state, as the PowerShell module reads it on Windows (registry and the
/// agent's telemetry event log). `None` elsewhere: not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// `ServerAuth` under the agent's registry key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_auth: Option<String>,
    /// `ServerType` under the agent's registry key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_type: Option<String>,
    /// The HResults of the last sync sessions (event 9102), newest first.
    #[serde(default)]
    pub sync_results: Vec<i32>,
    /// What could not be read, in the host's words.
    #[serde(default)]
    pub errors: Vec<String>,
}

/// Everything `test --local` read on this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalFacts {
    /// This computer's host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// Where the metadata and the token came from (`None`: neither the Arc agent nor IMDS answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<MachineSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<InstanceFacts>,
    /// Why the instance metadata could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityFacts>,
    /// Why no token could be had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_error: Option<String>,
    #[serde(default)]
    pub proxy: ProxyFacts,
    #[serde(default)]
    pub probes: Vec<ProbeResult>,
    /// Read only by the module on Windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentState>,
}
