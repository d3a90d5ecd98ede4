//! The request API shared by the command line and the C ABI: a session (cloud, endpoint, credential) and
//! requests given as JSON, answered as JSON. Everything the PowerShell module can do goes through
//! [`execute`].
//!
//! Request JSON: `{"operation": "<op>", ...fields}`; operations:
//! - `explain` `{code}` -> a catalog entry
//! - `listChecks` -> the checks with their ids, titles and codes
//! - `resolveTarget` `{resourceId?, subscriptionId?, resourceGroup?, name?, syncGroup?, defaultSubscriptionId?}`
//!   -> `{target, syncGroup?}`: what a piped object points at (see [`resolve_target`]); no request to Azure
//! - `test` `{target | snapshotPath | snapshot, checks?, skip?, syncGroups?}` -> a report
//!   `{schemaVersion, findings, summary}`, narrowed to the named sync groups when given
//! - `collect` `{target, outputPath?}` -> a snapshot (and writes it atomically when `outputPath` is given)
//! - `plan` `{kind: "repair"|"enableIdentity", target | snapshotPath | snapshot, includeSecurityPostureChanges?}`
//!   -> a plan (see [`crate::plan`])
//! - `apply` `{plan | planPath, whatIf?, only?: [change ids], principalNotFoundTimeoutSeconds?}` -> an apply
//!   report `{results: [{id, outcome, message, armCode, requestId}], summary}` (see [`crate::apply`]); a plan
//!   whose live state moved on is refused with error kind `Conflict`
//!
//! - `diff` `{old | oldPath, new | newPath}` -> what moved between two snapshots of one deployment (see
//!   [`crate::diff`]); two different deployments are refused with error kind `InvalidInput`
//!
//! `test` and `collect` take `activityDays` (0 to 90, default 30; 0 skips the Activity Log).
//!
//! A target is `{resourceId}` or `{subscriptionId, resourceGroup?, name?}`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::EventSink;

pub use tokio_util::sync::CancellationToken;

/// How to reach Azure. Serialized as camelCase JSON for the C ABI. Its `Debug` never shows the
/// credential (which may hold a token or a client secret).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionOptions {
    /// `AzureCloud` (default), `AzureUSGovernment`, `AzureChinaCloud`.
    pub cloud: Option<String>,
    /// ARM endpoint override (https, or http to loopback for tests).
    pub arm_endpoint: Option<String>,
    /// Microsoft Graph endpoint override.
    pub graph_endpoint: Option<String>,
    /// How to get a token; in JSON `{"kind":"accessToken","token":"..."}` from PowerShell. Typed, with
    /// every secret a [`crate::secret::Secret`]: the raw JSON is parsed (and refused with a message that
    /// names the field, never the value) as the options are read, and is not kept. Serialized as its kind
    /// only.
    #[serde(deserialize_with = "credential_from_json", serialize_with = "credential_kind_only")]
    pub credential: Option<crate::credentials::CredentialOptions>,
    /// Concurrent ARM requests (default 16).
    pub concurrency: Option<usize>,
    /// Per-request timeout in seconds (default 60).
    pub timeout_seconds: Option<u64>,
    /// Retries for transient failures (default 5).
    pub max_retries: Option<u32>,
    /// Object id of the Microsoft.StorageSync service principal in this tenant, when known.
    pub storage_sync_principal_id: Option<String>,
}

fn credential_from_json<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<crate::credentials::CredentialOptions>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    if value.is_null() {
        return Ok(None);
    }
    crate::credentials::CredentialOptions::from_json(&value).map(Some).map_err(serde::de::Error::custom)
}

fn credential_kind_only<S: serde::Serializer>(
    credential: &Option<crate::credentials::CredentialOptions>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match credential {
        None => s.serialize_none(),
        Some(c) => serde_json::json!({ "kind": c.kind() }).serialize(s),
    }
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self.credential.as_ref().map(|c| c.kind()).unwrap_or("auto");
        f.debug_struct("SessionOptions")
            .field("cloud", &self.cloud)
            .field("arm_endpoint", &self.arm_endpoint)
            .field("graph_endpoint", &self.graph_endpoint)
            .field("credential", &format_args!("{{kind: {kind}, ..<redacted>}}"))
            .field("concurrency", &self.concurrency)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("max_retries", &self.max_retries)
            .field("storage_sync_principal_id", &self.storage_sync_principal_id)
            .finish()
    }
}

/// A session: settings, the cloud, and the credential. Cheap to share between threads; each request
/// builds its own ARM client (so each has its own events, cancellation and statistics) over the shared
/// credential, whose token cache is thereby shared too.
pub struct Session {
    pub options: SessionOptions,
    cloud: crate::cloud::Cloud,
    credential: std::sync::OnceLock<std::sync::Arc<dyn crate::credentials::TokenCredential>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("cloud", &self.cloud.name)
            .field("arm", &self.cloud.resource_manager)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn new(options: SessionOptions) -> Result<Session> {
        let cloud = crate::cloud::Cloud::resolve(
            options.cloud.as_deref(),
            options.arm_endpoint.as_deref(),
            options.graph_endpoint.as_deref(),
        )?;
        if let Some(p) = &options.storage_sync_principal_id {
            crate::resource_id::validate_guid("storageSyncPrincipalId", p)?;
        }
        if options.concurrency == Some(0) {
            return Err(Error::invalid_input("concurrency must be at least 1"));
        }
        Ok(Session { options, cloud, credential: std::sync::OnceLock::new() })
    }

    pub fn cloud(&self) -> &crate::cloud::Cloud {
        &self.cloud
    }

    /// The credential, built on first use.
    pub fn credential(&self) -> Result<std::sync::Arc<dyn crate::credentials::TokenCredential>> {
        if let Some(c) = self.credential.get() {
            return Ok(c.clone());
        }
        let opts = self.options.credential.clone().unwrap_or_default();
        let built = crate::credentials::build(&opts, &self.cloud)?;
        Ok(self.credential.get_or_init(|| built).clone())
    }

    /// An ARM client for one request.
    pub fn client(
        &self,
        events: std::sync::Arc<dyn EventSink>,
        cancel: CancellationToken,
    ) -> Result<crate::arm::ArmClient> {
        let mut o = crate::arm::ClientOptions::default();
        if let Some(c) = self.options.concurrency {
            o.concurrency = c.clamp(1, 256);
        }
        if let Some(t) = self.options.timeout_seconds {
            o.timeout = std::time::Duration::from_secs(t.clamp(1, 3600));
        }
        if let Some(r) = self.options.max_retries {
            o.max_retries = r.min(20);
        }
        crate::arm::ArmClient::new(self.cloud.clone(), self.credential()?, o, events, cancel)
    }
}

/// A target from request JSON: `{resourceId}` or `{subscriptionId, resourceGroup?, name?}`.
fn target_from(v: &serde_json::Value) -> Result<crate::collect::TargetSpec> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str());
    crate::collect::TargetSpec::from_parts(s("resourceId"), s("subscriptionId"), s("resourceGroup"), s("name"))
}

/// `resolveTarget`: what one object piped into a PowerShell cmdlet (or one set of parameters) points at,
/// without asking Azure. Request fields, all optional: `resourceId`, `subscriptionId`, `resourceGroup`,
/// `name`, `syncGroup`, `defaultSubscriptionId` (the Az context's). Answer:
/// `{target: {subscriptionId, resourceGroup, name?}, resourceId, syncGroup?}` (`resourceId`: the target's
/// own ARM id, the service's or the resource group's, for messages).
///
/// With a resource group, the subscription is `subscriptionId`, else the one in `resourceId`, else the
/// default; the sync group is `syncGroup`, else the one `resourceId` lies in when it lies in the named
/// service. Without one, `resourceId` must be a Storage Sync Service or something in one (a registered
/// server, sync group or endpoint: what Az.StorageSync objects carry), which names the service.
fn resolve_target(request: &serde_json::Value) -> Result<serde_json::Value> {
    use crate::resource_id::ResourceId;
    let s = |k: &str| request.get(k).and_then(|x| x.as_str()).map(str::trim).filter(|x| !x.is_empty());
    let resource_id = s("resourceId");
    let (spec, group_in_id) = if let Some(rg) = s("resourceGroup") {
        // A finding's resource id may be anything (a storage account, a role assignment): only its
        // subscription and sync group are used, and only when it parses.
        let parsed = resource_id.and_then(|r| ResourceId::parse(r).ok());
        let subscription = s("subscriptionId")
            .or_else(|| parsed.as_ref().and_then(|p| p.subscription_id()))
            .or_else(|| s("defaultSubscriptionId"))
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "no subscription is known for resource group '{rg}': give the subscription id, or a resource id that contains it"
                ))
            })?;
        let spec = crate::collect::TargetSpec::from_parts(None, Some(subscription), Some(rg), s("name"))?;
        let group = match (&spec, parsed.as_ref().and_then(|p| p.storage_sync_service())) {
            (crate::collect::TargetSpec::Service(service), Some((of, group))) if of.contains(service) => {
                group.map(str::to_string)
            }
            _ => None,
        };
        (spec, group)
    } else if let Some(raw) = resource_id {
        let id = ResourceId::parse(raw)?;
        let group = id.storage_sync_service().and_then(|(_, g)| g.map(str::to_string));
        (crate::collect::TargetSpec::from_parts(Some(raw), None, None, None)?, group)
    } else {
        return Err(Error::invalid_input(
            "say what to diagnose: a resource group (with a Storage Sync Service name), or the resource id of a Storage Sync Service or of anything in one",
        ));
    };
    let target = spec.to_target();
    let mut t = serde_json::json!({ "subscriptionId": target.subscription_id });
    if let Some(rg) = &target.resource_group {
        t["resourceGroup"] = rg.clone().into();
    }
    if let Some(n) = &target.name {
        t["name"] = n.clone().into();
    }
    let scope = match &spec {
        crate::collect::TargetSpec::Service(id) => id.as_str().to_string(),
        _ => match &target.resource_group {
            Some(rg) => format!("/subscriptions/{}/resourceGroups/{rg}", target.subscription_id),
            None => format!("/subscriptions/{}", target.subscription_id),
        },
    };
    let mut out = serde_json::json!({ "target": t, "resourceId": scope });
    if let Some(g) = s("syncGroup").map(str::to_string).or(group_in_id) {
        crate::resource_id::validate_segment("the sync group name", &g)?;
        out["syncGroup"] = g.into();
    }
    Ok(out)
}

/// Is `code` zero in one of the spellings `explain` takes (`0`, `0x0`, `0x00000000`)? A sync session's
/// `LastSyncResult` is 0 when it succeeded: not an error, and not in the catalog.
fn is_success_code(code: &str) -> bool {
    let t = code.trim();
    let digits = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
    !digits.is_empty() && digits.len() <= 8 && digits.bytes().all(|b| b == b'0')
}

/// What `explain` says of 0: success, shaped like a catalog entry.
fn success_entry() -> serde_json::Value {
    serde_json::json!({
        "code": "0x00000000",
        "decimal": 0,
        "names": ["S_OK"],
        "category": "success",
        "summary": "Success: the operation (for a sync session, the last one in this direction) completed without an error.",
        "explanation": "0 is the result File Sync records when a sync session succeeded; there is nothing to explain or fix. A failing session leaves a negative number (an HRESULT such as -2134364065, 0x80c8305f).",
        "remediation": "",
        "checks": [],
        "article": "",
        "docDecimalAliases": [],
        "contexts": [],
    })
}

fn str_list(v: Option<&serde_json::Value>) -> Result<Vec<String>> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(|| Error::invalid_input("check ids must be strings")))
            .collect(),
        Some(serde_json::Value::String(s)) => Ok(vec![s.clone()]),
        Some(_) => Err(Error::invalid_input("'checks' and 'skip' must be lists of check ids")),
    }
}

/// Run one request. Never panics on bad input: a malformed request is an `InvalidInput` error.
pub async fn execute(
    session: &Session,
    request: &serde_json::Value,
    events: std::sync::Arc<dyn EventSink>,
    cancel: &CancellationToken,
) -> Result<serde_json::Value> {
    let op = request.get("operation").and_then(|v| v.as_str()).ok_or_else(|| {
        Error::invalid_input(
            "the request has no 'operation' (expected explain, listChecks, resolveTarget, test, collect, plan, apply or diff)",
        )
    })?;
    match op {
        "explain" => {
            let code = request
                .get("code")
                .map(|c| match c {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .ok_or_else(|| {
                    Error::invalid_input(
                        "'explain' needs a 'code' (0x80c8305f, -2134364065, 2160603231 or a symbolic name)",
                    )
                })?;
            if is_success_code(&code) {
                return Ok(success_entry());
            }
            let entry = crate::catalog::lookup(&code).map_err(Error::from)?;
            Ok(entry.to_json())
        }
        "resolveTarget" => resolve_target(request),
        "listChecks" => Ok(serde_json::to_value(crate::checks::all()).map_err(|e| Error::internal(e.to_string()))?),
        "test" => {
            let snapshot = snapshot_for(session, request, events, cancel).await?;
            let selection = crate::checks::Selection {
                only: str_list(request.get("checks"))?,
                skip: str_list(request.get("skip"))?,
            };
            selection.validate()?;
            let sync_groups = str_list(request.get("syncGroups"))?;
            let ctx = crate::checks::CheckContext::at(snapshot.collected_at);
            let mut report = crate::checks::report(&snapshot, &ctx, &selection);
            crate::checks::narrow::to_sync_groups(&mut report, &snapshot, &sync_groups)?;
            Ok(to_value(&report))
        }
        "collect" => {
            let output = request.get("outputPath").and_then(|p| p.as_str());
            if let Some(path) = output {
                // Before any request: a collection of minutes must not end in a path it cannot write.
                crate::fsutil::check_output_path(std::path::Path::new(path))?;
            }
            let snapshot = snapshot_for(session, request, events, cancel).await?;
            if let Some(path) = output {
                snapshot.save(std::path::Path::new(path))?;
            }
            Ok(to_value(&snapshot))
        }
        "plan" => {
            let kind = crate::plan::PlanKind::parse(
                request
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .ok_or_else(|| Error::invalid_input("'plan' needs a 'kind': \"repair\" or \"enableIdentity\""))?,
            )?;
            let options = crate::plan::PlanOptions {
                include_security_posture_changes: request
                    .get("includeSecurityPostureChanges")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
            };
            let snapshot = snapshot_for(session, request, events, cancel).await?;
            Ok(to_value(&crate::plan::make(&snapshot, kind, options)))
        }
        "apply" => {
            let plan = match (request.get("plan"), request.get("planPath").and_then(|p| p.as_str())) {
                (Some(p), _) => crate::plan::Plan::from_value(p.clone())?,
                (None, Some(path)) => crate::plan::Plan::load(std::path::Path::new(path))?,
                (None, None) => {
                    return Err(Error::invalid_input("'apply' needs a 'plan' (as made by 'plan') or a 'planPath'"))
                }
            };
            let mut options = crate::apply::ApplyOptions {
                what_if: request.get("whatIf").and_then(|v| v.as_bool()).unwrap_or(false),
                ..Default::default()
            };
            if let Some(only) = request.get("only").filter(|v| !v.is_null()) {
                options.only = Some(str_list(Some(only))?);
            }
            if let Some(secs) = request.get("principalNotFoundTimeoutSeconds").and_then(|v| v.as_f64()) {
                options.principal_not_found_timeout = std::time::Duration::from_secs_f64(secs.clamp(0.0, 3600.0));
            }
            let client = session.client(events, cancel.clone())?;
            Ok(to_value(&crate::apply::apply(&client, &plan, &options).await?))
        }
        "diff" => {
            let side = |inline: &str, path: &str| -> Result<(crate::snapshot::Snapshot, Option<String>)> {
                match (request.get(inline).filter(|v| !v.is_null()), request.get(path).and_then(|p| p.as_str())) {
                    (Some(v), _) => Ok((crate::snapshot::Snapshot::from_json(&v.to_string()).map_err(|e| e.context(format!("'{inline}'")))?, None)),
                    (None, Some(p)) => Ok((crate::snapshot::Snapshot::load(std::path::Path::new(p))?, Some(p.to_string()))),
                    (None, None) => Err(Error::invalid_input(format!(
                        "'diff' needs two snapshots: '{inline}' (a snapshot) or '{path}' (its file), and the same for the other side"
                    ))),
                }
            };
            let (old, old_path) = side("old", "oldPath")?;
            let (new, new_path) = side("new", "newPath")?;
            Ok(to_value(&crate::diff::diff_sources(&old, old_path.as_deref(), &new, new_path.as_deref())?))
        }
        other => Err(Error::invalid_input(format!(
            "unknown operation '{other}' (expected explain, listChecks, resolveTarget, test, collect, plan, apply or diff)"
        ))),
    }
}

/// The snapshot a request is about: given inline, read from a file, or collected live.
async fn snapshot_for(
    session: &Session,
    request: &serde_json::Value,
    events: std::sync::Arc<dyn EventSink>,
    cancel: &CancellationToken,
) -> Result<crate::snapshot::Snapshot> {
    if let Some(inline) = request.get("snapshot") {
        return crate::snapshot::Snapshot::from_json(&inline.to_string());
    }
    if let Some(path) = request.get("snapshotPath").and_then(|p| p.as_str()) {
        return crate::snapshot::Snapshot::load(std::path::Path::new(path));
    }
    let target = request.get("target").ok_or_else(|| {
        Error::invalid_input("say what to diagnose: 'target' ({resourceId} or {subscriptionId, resourceGroup, name}), 'snapshotPath' or 'snapshot'")
    })?;
    let spec = target_from(target)?;
    let client = session.client(events, cancel.clone())?;
    let mut options = crate::collect::CollectOptions::new(spec);
    options.storage_sync_principal_id = session.options.storage_sync_principal_id.clone();
    options.activity_days = activity_days(request)?;
    crate::collect::collect(&client, &options).await
}

/// `activityDays` of a request: days of Activity Log to read (0 to 90, 0 skips it). Default: 30 for
/// `test` and `collect`, 0 for `plan` (a plan rests on the current state only).
fn activity_days(request: &serde_json::Value) -> Result<u32> {
    let default = match request.get("operation").and_then(|o| o.as_str()) {
        Some("plan") => 0,
        _ => crate::activity::DEFAULT_DAYS,
    };
    let days = match request.get("activityDays") {
        None | Some(serde_json::Value::Null) => default,
        Some(v) => {
            v.as_u64().filter(|d| *d <= crate::activity::MAX_DAYS as u64).map(|d| d as u32).ok_or_else(|| {
                Error::invalid_input(format!(
                    "'activityDays' must be a whole number from 0 to {} (0 skips the Activity Log), not {v}",
                    crate::activity::MAX_DAYS
                ))
            })?
        }
    };
    Ok(days)
}

/// Serialize one of our own types (which cannot fail) to a JSON value.
fn to_value<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
