//! A run over many Storage Sync Services (a management group, several subscriptions, or every subscription
//! the caller can read): what the scope held and what answered ([`Coverage`]), and one snapshot per
//! service found ([`TenantSnapshot`], saved as one JSON file, `docs/tenant.md`).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::model::snapshot::Snapshot;

/// The `kind` of a tenant collection file.
pub const TENANT_KIND: &str = "tenantCollection";
pub const TENANT_SCHEMA_VERSION: u32 = 1;

/// Where a run looks for Storage Sync Services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", rename_all_fields = "camelCase")]
pub enum Scope {
    /// Every subscription under a management group (and its descendants).
    ManagementGroup { id: String },
    /// Every subscription the caller can read.
    AllSubscriptions,
    /// These subscriptions.
    Subscriptions { ids: Vec<String> },
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::ManagementGroup { id } => write!(f, "management group {id}"),
            Scope::AllSubscriptions => write!(f, "every subscription the caller can read"),
            Scope::Subscriptions { ids } if ids.len() == 1 => write!(f, "subscription {}", ids[0]),
            Scope::Subscriptions { ids } => write!(f, "{} subscriptions", ids.len()),
        }
    }
}

/// A service Resource Graph listed that could not be collected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceNotCollected {
    pub id: String,
    /// `gone`: ARM no longer has it (Resource Graph lags behind ARM); `failed`: it could not be read.
    pub reason: String,
    pub message: String,
}

/// What a scope held and what answered. A run is complete only when every subscription of the scope
/// answered, no Resource Graph answer was cut, the scope's subscriptions could be listed, and every
/// service listed was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    pub scope: Scope,
    /// Subscriptions ARM lists in the scope (for a management group: its descendants).
    pub subscriptions_in_scope: usize,
    /// Subscriptions Resource Graph answered for.
    pub subscriptions_answered: usize,
    /// In the scope, but Resource Graph left them out: the caller cannot read them.
    pub unreadable_subscriptions: Vec<String>,
    /// Why the scope's subscriptions could not be listed (so unreadable ones cannot be named), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_unlisted: Option<String>,
    /// Some Resource Graph answer was cut (`resultTruncated`): services may be missing.
    pub truncated: bool,
    /// Services Resource Graph listed.
    pub services_listed: usize,
    /// Listed but not collected (gone from ARM, or unreadable).
    pub services_not_collected: Vec<ServiceNotCollected>,
    /// Resource Graph queries (pages) sent.
    pub resource_graph_requests: u32,
}

impl Coverage {
    /// Is this scope's answer whole?
    pub fn is_complete(&self) -> bool {
        self.unreadable_subscriptions.is_empty()
            && self.scope_unlisted.is_none()
            && !self.truncated
            && self.services_not_collected.iter().all(|s| s.reason == "gone")
    }

    /// Why the scope's answer is not whole, one sentence each.
    pub fn gaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.unreadable_subscriptions.is_empty() {
            out.push(format!(
                "{} of {} subscriptions in {} could not be read (Resource Graph leaves them out): {}",
                self.unreadable_subscriptions.len(),
                self.subscriptions_in_scope,
                self.scope,
                self.unreadable_subscriptions.join(", ")
            ));
        }
        if let Some(why) = &self.scope_unlisted {
            out.push(format!(
                "the subscriptions of {} could not be listed ({why}): any the caller cannot read go unnamed",
                self.scope
            ));
        }
        if self.truncated {
            out.push(format!(
                "Resource Graph cut its answer for {} (resultTruncated): services may be missing",
                self.scope
            ));
        }
        for s in self.services_not_collected.iter().filter(|s| s.reason != "gone") {
            out.push(format!("{} could not be read: {}", s.id, s.message));
        }
        out
    }
}

/// One run over a scope: its coverage and a snapshot per service collected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSnapshot {
    pub schema_version: u32,
    pub kind: String,
    pub collected_at: DateTime<Utc>,
    /// None for a single deployment's snapshot read as one.
    pub coverage: Option<Coverage>,
    pub snapshots: Vec<Snapshot>,
}

impl TenantSnapshot {
    pub fn new(coverage: Option<Coverage>, snapshots: Vec<Snapshot>) -> TenantSnapshot {
        TenantSnapshot {
            schema_version: TENANT_SCHEMA_VERSION,
            kind: TENANT_KIND.to_string(),
            collected_at: Utc::now(),
            coverage,
            snapshots,
        }
    }

    /// Read a tenant collection, or a single deployment's snapshot (as a run of one, without coverage).
    pub fn from_json(text: &str) -> Result<TenantSnapshot> {
        #[derive(Deserialize)]
        struct Header {
            kind: Option<String>,
        }
        // Anything that is not a tenant collection is read (and refused, with its own words) as a snapshot.
        let kind = serde_json::from_str::<Header>(text).ok().and_then(|h| h.kind);
        if kind.as_deref() == Some(TENANT_KIND) {
            let t: TenantSnapshot = serde_json::from_str(text)
                .map_err(|e| Error::new(ErrorKind::InvalidFile, format!("not a valid tenant collection: {e}")))?;
            if t.schema_version != TENANT_SCHEMA_VERSION {
                return Err(Error::new(
                    ErrorKind::InvalidFile,
                    format!(
                        "tenant collection version {} is not one this tool reads ({TENANT_SCHEMA_VERSION})",
                        t.schema_version
                    ),
                ));
            }
            return Ok(t);
        }
        let one = Snapshot::from_json(text)?;
        Ok(TenantSnapshot { collected_at: one.collected_at, ..TenantSnapshot::new(None, vec![one]) })
    }

    pub fn load(path: &Path) -> Result<TenantSnapshot> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(ErrorKind::InvalidFile, format!("cannot read the snapshot '{}': {e}", path.display()))
                .with_source(e)
        })?;
        TenantSnapshot::from_json(&text).map_err(|e| e.context(format!("'{}'", path.display())))
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a tenant collection always serializes");
        crate::fsutil::write_atomic(path, text.as_bytes())
    }
}

/// `test` over many services: a report per service, worst first, and one verdict over the set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantReport {
    pub schema_version: u32,
    /// `fail` (a check failed somewhere), `incomplete` (nothing failed, but a check could not decide, a
    /// scope was partial, or nothing was found) or `pass`.
    pub verdict: String,
    /// The exit code the command line ends with: 1, 4 or 0, as for one service.
    pub exit_code: i32,
    /// What each run's scope held and what answered (one per snapshot file or live scope).
    pub coverage: Vec<Coverage>,
    /// Why the set is not whole, one sentence each (empty when it is).
    pub gaps: Vec<String>,
    /// Services Resource Graph still listed that ARM no longer has.
    pub services_gone: Vec<String>,
    pub services: Vec<ServiceReport>,
}

/// One service's verdict and report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceReport {
    /// The service's id (or, for a snapshot of a resource group or subscription, that scope).
    pub id: String,
    pub verdict: String,
    pub exit_code: i32,
    pub report: crate::model::findings::Report,
}

pub const TENANT_REPORT_SCHEMA_VERSION: u32 = 1;

/// The verdict word of an exit code.
pub fn verdict_of(exit_code: i32) -> &'static str {
    match exit_code {
        0 => "pass",
        1 => "fail",
        _ => "incomplete",
    }
}

/// Worst first: fail, incomplete, pass.
pub fn severity_rank(exit_code: i32) -> u8 {
    match exit_code {
        1 => 0,
        0 => 2,
        _ => 1,
    }
}
