//! On the server: what this machine's identity and network really are (`test --local`).
//!
//! Every other check looks from ARM. This one runs on a registered server and asks the two questions ARM
//! cannot answer: is the identity this machine gets tokens for the one File Sync has on record, and can
//! this machine reach what sync needs?
//!
//! As everywhere in the tool, the facts are gathered first and judged after:
//! - `facts.rs`: the typed [`LocalFacts`] (instance metadata, a storage token's claims, the proxy, one
//!   [`ProbeResult`] per host, the agent's state when the module read it);
//! - `gather.rs`: all the I/O: the Arc agent's or the VM's instance metadata, a token through the
//!   existing [`crate::credentials::AzureArcCredential`] (with its key-file checks) or
//!   [`crate::credentials::ManagedIdentityCredential`], whose claims are kept and the token dropped; DNS,
//!   TCP and TLS probes, all at once, each step with a short time limit; `--resolve` pins;
//! - `judge.rs`: pure functions: which registered server this is, which hosts its sync needs, and the
//!   findings.

pub mod facts;
pub mod gather;
pub mod judge;

use serde::Serialize;

pub use facts::LocalFacts;
pub use gather::LocalOptions;
pub use judge::LocalFinding;

use crate::error::{Error, ErrorKind, Result};
use crate::model::findings::Status;
use crate::model::snapshot::Snapshot;

/// What `test --local` found on this machine.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalReport {
    /// The Storage Sync Service this machine is registered to.
    pub service_id: String,
    /// The registered server this machine is (its ARM id and name).
    pub server_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    pub findings: Vec<LocalFinding>,
    pub facts: LocalFacts,
}

impl LocalReport {
    /// 1 when a finding failed, 4 when one could not decide (and none failed), else 0: the exit codes of
    /// `test`.
    pub fn exit_code(&self) -> i32 {
        if self.findings.iter().any(|f| f.status == Status::Fail) {
            1
        } else if self.findings.iter().any(|f| f.status == Status::Unknown) {
            4
        } else {
            0
        }
    }
}

/// Read this machine, find which registered server of the snapshot it is (an error of kind `NotFound`,
/// one line, when it is none), probe what that server's sync needs, and judge. `cloud_name` picks the
/// storage and File Sync suffixes; `cloud` gives the sign-in and ARM hosts.
pub async fn run(
    snapshot: &Snapshot,
    cloud_name: &str,
    cloud: &crate::cloud::Cloud,
    options: &LocalOptions,
) -> Result<LocalReport> {
    let pins = gather::parse_pins(&options.resolve)?;
    let timeout = gather::probe_timeout(options)?;
    let mut facts = gather::gather_machine(options).await?;
    let (service, server) =
        judge::which_server(&facts, snapshot).map_err(|line| Error::new(ErrorKind::NotFound, line))?;
    let endpoints =
        judge::endpoints_for(snapshot, service, server, cloud_name, &cloud.authority_host, &cloud.resource_manager);
    facts.probes = gather::probe_all(endpoints, &pins, timeout).await;
    let findings = judge::judge(&facts, snapshot, service, server);
    Ok(LocalReport {
        service_id: service.id.as_str().to_string(),
        server_id: server.id.as_str().to_string(),
        server_name: server.server_name.clone(),
        findings,
        facts,
    })
}
