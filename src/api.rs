//! The request API shared by the command line and the C ABI: a session (cloud, endpoint, credential) and
//! requests given as JSON, answered as JSON. Everything the PowerShell module can do goes through
//! [`execute`].
//!
//! Request JSON: `{"operation": "<op>", ...fields}`, read into a typed [`Request`] (one variant and one
//! request type per [`Operation`], declared once in `api/contract.rs`): a field its operation does not
//! take is refused by serde, with the list of those it does; each value is parsed into its type (a
//! target, a scope, a principal id, Activity Log days within [`limits`]) once, as the request is read.
//! Each operation answers its own [`Response`] type. Operations:
//! - `explain` `{code}` -> a catalog entry
//! - `listChecks` -> the checks with their ids, titles and codes
//! - `wording` -> `[{id, cli}]`: the command line's phrases that texts use to name its commands and options
//!   (see [`crate::wording`]), for another face to put its own words in their place
//! - `resolveTarget` `{resourceId?, subscriptionId?, resourceGroup?, name?, storageSyncServiceName?,
//!   targetResourceId?, syncGroup?, defaultSubscriptionId?, check?, principalId?, scope?}` -> `{target,
//!   resourceId, syncGroup?, finding?}`: what a piped object points at (see `resolve_target`); no request to
//!   Azure
//! - `test` `{target | snapshotPath | snapshot, checks?, skip?, syncGroups?}` -> a report
//!   `{schemaVersion, findings, summary}`, narrowed to the named sync groups when given
//! - `collect` `{target, outputPath?}` -> a snapshot (and writes it atomically when `outputPath` is given)
//! - `plan` `{kind: "repair"|"enableIdentity", target | snapshotPath | snapshot, includeSecurityPostureChanges?,
//!   findings?: [{check, resourceId, principalId?, scope?}]}` -> a plan (see [`crate::repair::plan`]); with
//!   `findings` (a repair only), just the changes those findings call for
//! - `apply` `{plan | planPath, whatIf?, only?: [change ids], principalNotFoundTimeoutSeconds?}` -> an apply
//!   report `{results: [{id, outcome, message, armCode, requestId}], summary}` (see [`crate::repair::apply`]); a plan
//!   whose live state moved on is refused with error kind `Conflict`
//!
//! - `testLocal` `{target | snapshotPath | snapshot, checks?, skip?, syncGroups?, local?}` -> `{report, local}`: on
//!   a registered server, the report of its service (as `test` makes it) and what this machine sees (see [`crate::local`]); `local` takes
//!   [`crate::local::LocalOptions`]; a machine that is not a registered server of the target is an error of
//!   kind `NotFound`, one line
//! - `diff` `{old | oldPath, new | newPath}` -> what moved between two snapshots of one deployment (see
//!   [`crate::diff`]); two different deployments are refused with error kind `InvalidInput`
//!
//! `test` and `collect` take `activityDays` (0 to 90, default 30; 0 skips the Activity Log).
//!
//! Many services (docs/tenant.md): `test` and `collect` take, instead of `target`, a `scope`
//! `{managementGroup} | {allSubscriptions: true} | {subscriptionIds: [...]}`; `test` also takes
//! `snapshotPaths` (several snapshot files or tenant collections). `test` then answers a report over the set
//! (see [`tenant_report`]), `collect` a tenant collection ([`crate::model::tenant::TenantSnapshot`]).
//!
//! A target is `{resourceId}` or `{subscriptionId, resourceGroup?, name?}`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::principal::PrincipalId;

/// The catalog, held to the checks that explain its codes and to how it is shown (it spans the stages, so
/// it lives at the front door, which names them all).
#[cfg(test)]
mod catalog_suite;
mod contract;
/// Every fault the fake ARM can inject against every operation, on an ARM client tuned for speed.
#[cfg(test)]
#[path = "api/tests/fault_matrix.rs"]
mod fault_matrix;
pub use crate::error::de;

pub use contract::*;

pub use crate::local::LocalOptions;
pub use tokio_util::sync::CancellationToken;

// What the doors and the tests name besides requests, re-exported so that the command line and the
// integration tests reach the library through `api`, `model`, `report` and `error` alone (`tests/layers.rs`).
pub use crate::checks::{exit_code, Selection, EXIT_INCOMPLETE, EXIT_PROBLEMS};
pub use crate::cloud::{Cloud, CloudName};
pub use crate::collect::TargetSpec;
pub use crate::credentials::{AccessToken, CredentialOptions, TokenCredential};
pub use crate::diff::{Change, Diff};
pub use crate::events::{BufferSink, Event, EventSink, LogLevel, NullSink};
pub use crate::fsutil::{check_output_path, release_free_memory};
pub use crate::local::gather::{parse_pins, probe_timeout};
pub use crate::repair::apply::{ApplyOptions, ApplyReport, ApplySummary, ChangeResult, Outcome};
pub use crate::repair::plan::{ChangeKind, Plan, PlanKind, PlanOptions, PRINCIPAL_PLACEHOLDER};

/// The parts of the answers, by family, for a caller that names them (most read them through fields):
/// every type an answer or a call of the front door carries can be named here or above (the crate warns
/// on an unnameable one, and the build refuses warnings).
pub mod parts {
    /// An error code's catalog entry (`explain`).
    pub mod catalog {
        pub use crate::catalog::{CatalogEntry, Category, Context, LookupError, Table};
    }
    /// The registered checks (`listChecks`) and the time they judge at.
    pub mod checks {
        pub use crate::checks::{CheckContext, CheckInfo};
    }
    /// What moved between two snapshots (`diff`).
    pub mod diff {
        pub use crate::diff::{
            Change, Diff, DiffSummary, FindingChange, ResourceChange, RoleAssignmentChange, SettingChange, Side,
        };
    }
    /// A server's own view (`testLocal`).
    pub mod local {
        pub use crate::local::facts::{
            AgentState, Endpoint, IdentityFacts, InstanceFacts, LocalFacts, MachineSource, ProbeResult, ProxyFacts,
            Purpose, Step,
        };
        pub use crate::local::gather::Pin;
        pub use crate::local::judge::LocalFinding;
        pub use crate::local::LocalReport;
    }
    /// A plan's changes, reasons, manual steps and the basis it rests on (`plan`).
    pub mod plan {
        pub use crate::repair::plan::{
            AclFacts, ArmRequest, Basis, BasisFacts, Change, Grant, ManualStep, Reason, ServiceFacts, StorageFacts,
        };
    }
}
/// The command line's phrases the `wording` request answers.
pub use crate::wording::{Phrase, PHRASES};

/// How to reach Azure. Serialized as camelCase JSON for the C ABI. Its `Debug` never shows the
/// credential (which may hold a token or a client secret).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
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
    /// Concurrent ARM requests ([`limits::CONCURRENCY`]; 0 is refused, more than the most is taken as the most).
    pub concurrency: Option<usize>,
    /// Per-request timeout in seconds ([`limits::TIMEOUT_SECONDS`], brought into the range).
    pub timeout_seconds: Option<u64>,
    /// Retries for transient failures ([`limits::MAX_RETRIES`], at most the most).
    pub max_retries: Option<u32>,
    /// Object id of the Microsoft.StorageSync service principal in this tenant, when known.
    pub storage_sync_principal_id: Option<PrincipalId>,
    /// The Az environment of the PowerShell session (Get-AzContext's), used when neither `cloud` nor
    /// `armEndpoint` is given: a well-known cloud by its name, or any other (Azure Stack Hub, a private
    /// ARM) by its endpoints.
    pub az_environment: Option<AzEnvironment>,
}

/// An Az environment as Get-AzContext describes it (`Environment.Name`, `ResourceManagerUrl`,
/// `ExtendedProperties.MicrosoftGraphUrl`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzEnvironment {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub resource_manager_url: Option<String>,
    #[serde(default)]
    pub microsoft_graph_url: Option<String>,
}

impl AzEnvironment {
    /// The cloud of this environment: a known name with its ARM (and Graph) as the environment gives
    /// them; another name (AzureStackUser, a custom environment) by its ARM endpoint, which it must have.
    fn cloud(&self, graph_endpoint: Option<&str>) -> Result<crate::cloud::Cloud> {
        let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|x| !x.is_empty()).map(str::to_string);
        let (name, arm) = (clean(&self.name), clean(&self.resource_manager_url));
        let graph = graph_endpoint.map(str::to_string).or_else(|| clean(&self.microsoft_graph_url));
        let known = name.as_deref().and_then(|n| crate::cloud::CloudName::parse(n).ok());
        if known.is_none() && arm.is_none() {
            return Err(Error::invalid_input(format!(
                "the Az environment '{}' has no Resource Manager URL, so there is nowhere to send requests",
                name.as_deref().unwrap_or("").escape_debug()
            )));
        }
        let mut cloud = crate::cloud::Cloud::resolve(known.map(|k| k.as_str()), arm.as_deref(), graph.as_deref())?;
        if let (None, Some(n)) = (known, name) {
            cloud.name = n;
        }
        Ok(cloud)
    }
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
            .field("az_environment", &self.az_environment)
            .finish()
    }
}

/// A session: settings, the cloud, the credential and the HTTP transport. Cheap to share between threads;
/// each request builds its own ARM client (so each has its own events, cancellation and statistics) over
/// the shared credential, whose token cache is thereby shared too, and over the shared transport, whose
/// connections are thereby reused: the objects piped into one cmdlet, or the calls a program makes on one
/// session, open their connections (and load the system's root certificates) once. A kept connection
/// belongs to the async runtime that opened it; one whose runtime has ended is dropped and a new one made.
pub struct Session {
    pub options: SessionOptions,
    cloud: crate::cloud::Cloud,
    credential: std::sync::OnceLock<std::sync::Arc<dyn crate::credentials::TokenCredential>>,
    http: std::sync::OnceLock<reqwest::Client>,
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
        let cloud = match (&options.az_environment, &options.cloud, &options.arm_endpoint) {
            (Some(env), None, None) => env.cloud(options.graph_endpoint.as_deref())?,
            _ => crate::cloud::Cloud::resolve(
                options.cloud.as_deref(),
                options.arm_endpoint.as_deref(),
                options.graph_endpoint.as_deref(),
            )?,
        };
        if options.concurrency == Some(0) {
            return Err(Error::invalid_input("concurrency must be at least 1"));
        }
        Ok(Session { options, cloud, credential: std::sync::OnceLock::new(), http: std::sync::OnceLock::new() })
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
    pub(crate) fn client(
        &self,
        events: std::sync::Arc<dyn EventSink>,
        cancel: CancellationToken,
    ) -> Result<crate::arm::ArmClient> {
        let mut o = crate::arm::ClientOptions::default();
        if let Some(c) = self.options.concurrency {
            o.concurrency = c.clamp(limits::CONCURRENCY.min as usize, limits::CONCURRENCY.max as usize);
        }
        if let Some(t) = self.options.timeout_seconds {
            o.timeout = std::time::Duration::from_secs(limits::TIMEOUT_SECONDS.clamp(t));
        }
        if let Some(r) = self.options.max_retries {
            o.max_retries = r.min(limits::MAX_RETRIES.max);
        }
        let http = match self.http.get() {
            Some(h) => h.clone(),
            None => {
                let built = crate::arm::http_transport(o.timeout)?;
                self.http.get_or_init(|| built).clone()
            }
        };
        Ok(crate::arm::ArmClient::with_transport(http, self.cloud.clone(), self.credential()?, o, events, cancel))
    }
}

impl FindingRef {
    /// Is `f` the finding this names (case-insensitive ids; principal and scope only when named)?
    fn matches(&self, f: &crate::model::findings::Finding) -> bool {
        fn same(a: &str, b: &str) -> bool {
            a.trim().trim_end_matches('/').eq_ignore_ascii_case(b.trim().trim_end_matches('/'))
        }
        f.check.as_ref() == self.check.as_str()
            && same(&f.resource_id, &self.resource_id)
            && self.principal_id.as_ref().is_none_or(|p| f.principal_id.as_deref().is_some_and(|q| p.is(q)))
            && self.scope.as_deref().is_none_or(|p| f.scope.as_deref().is_some_and(|q| same(p, q)))
    }
}

/// `resolveTarget`: what one object piped into a PowerShell cmdlet (or one set of parameters) points at,
/// without asking Azure. Answer: `{target: {subscriptionId, resourceGroup?, name?}, resourceId,
/// syncGroup?, finding?}` (`resourceId`: the target's own ARM id, the service's, the resource group's or
/// the subscription's, for messages; `finding`: the finding reference, when the object is a finding).
///
/// Which service: a finding's `targetResourceId` (the deployment it was diagnosed in); else the service a
/// `resourceId` lies in (a service, or a registered server, sync group or endpoint of one: what
/// Az.StorageSync objects and `Get-AzResource` carry), which a resource group, subscription or service
/// name given beside it must agree with; else the resource group with `name` or
/// `storageSyncServiceName` (the subscription: `subscriptionId`, else the one in `resourceId`, else the
/// default); else a subscription alone, which is every service in it. An object's own name is never the
/// service's.
fn resolve_target(request: &ResolveTargetRequest) -> Result<ResolvedTarget> {
    use crate::collect::TargetSpec;
    use crate::model::resource_id::ResourceId;
    fn clean(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|x| !x.is_empty())
    }
    let resource_id = clean(&request.resource_id);
    let subscription = clean(&request.subscription_id);
    let resource_group = clean(&request.resource_group);
    // Two spellings of the service's name must not disagree.
    let name = match (clean(&request.name), clean(&request.storage_sync_service_name)) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => {
            return Err(Error::invalid_input(format!(
                "two Storage Sync Service names were given, '{a}' and '{b}': give one"
            )))
        }
        (a, b) => a.or(b),
    };
    let mut finding = None;
    if let Some(check) = clean(&request.check) {
        let resource_id = resource_id
            .ok_or_else(|| Error::invalid_input(format!("the finding of check '{check}' names no resource")))?
            .to_string();
        finding = Some(FindingRef {
            check: crate::model::check_id::CheckId::parse(check).ok_or_else(|| {
                Error::invalid_input(format!("'{}' is not a check id of this tool", check.escape_debug()))
            })?,
            resource_id,
            principal_id: request.principal_id.clone(),
            scope: clean(&request.scope).map(str::to_string),
        });
    }
    let in_service = resource_id
        .and_then(|r| ResourceId::parse(r).ok())
        .and_then(|id| id.storage_sync_service().map(|(service, group)| (service.clone(), group.map(str::to_string))));
    let (spec, group_in_id) = if let Some(tid) = clean(&request.target_resource_id) {
        let id = ResourceId::parse(tid)?;
        let spec = match (id.storage_sync_service(), id.subscription_id(), id.resource_group()) {
            (Some((service, _)), _, _) => TargetSpec::Service(service),
            (None, Some(sub), Some(rg)) if id.segments().len() == 4 => {
                TargetSpec::from_parts(None, Some(sub), Some(rg), None)?
            }
            (None, Some(sub), None) if id.segments().len() == 2 => TargetSpec::from_parts(None, Some(sub), None, None)?,
            _ => {
                return Err(Error::invalid_input(format!(
                    "'{tid}' is not a Storage Sync Service, resource group or subscription id"
                )))
            }
        };
        (spec, None)
    } else if let (Some((service, group)), true) = (in_service, finding.is_none()) {
        // What the id says wins; what is given beside it must say the same.
        let disagree = |what: &str, given: Option<&str>, in_id: Option<&str>| -> Result<()> {
            match (given, in_id) {
                (Some(g), Some(i)) if !g.eq_ignore_ascii_case(i) => Err(Error::invalid_input(format!(
                    "the {what} '{g}' disagrees with the resource id '{}', which is in {what} '{i}': give one of them, or make them agree",
                    resource_id.unwrap_or_default()
                ))),
                _ => Ok(()),
            }
        };
        disagree("subscription", subscription, service.subscription_id())?;
        disagree("resource group", resource_group, service.resource_group())?;
        disagree("Storage Sync Service", name, service.name())?;
        (TargetSpec::Service(service), group)
    } else if let Some(rg) = resource_group {
        let parsed = resource_id.and_then(|r| ResourceId::parse(r).ok());
        let sub = subscription
            .or_else(|| parsed.as_ref().and_then(|p| p.subscription_id()))
            .or_else(|| clean(&request.default_subscription_id))
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "no subscription is known for resource group '{rg}': give the subscription id, or a resource id that contains it"
                ))
            })?;
        (TargetSpec::from_parts(None, Some(sub), Some(rg), name)?, None)
    } else if let (Some(raw), None) = (resource_id, finding.as_ref()) {
        (TargetSpec::from_parts(Some(raw), None, None, None)?, None)
    } else if let (Some(sub), None) = (subscription, name) {
        (TargetSpec::from_parts(None, Some(sub), None, None)?, None)
    } else if name.is_some() {
        return Err(Error::invalid_input(
            "a Storage Sync Service name needs its resource group: give the resource group too, or the service's resource id",
        ));
    } else {
        return Err(Error::invalid_input(
            "say what to diagnose: a resource group (with a Storage Sync Service name), a subscription, or the resource id of a Storage Sync Service or of anything in one",
        ));
    };
    let target = spec.to_target();
    let scope = match &spec {
        TargetSpec::Service(id) => id.as_str().to_string(),
        _ => match &target.resource_group {
            Some(rg) => format!("/subscriptions/{}/resourceGroups/{rg}", target.subscription_id),
            None => format!("/subscriptions/{}", target.subscription_id),
        },
    };
    let sync_group = clean(&request.sync_group).map(str::to_string).or(group_in_id);
    if let Some(g) = &sync_group {
        crate::model::resource_id::validate_segment("the sync group name", g)?;
    }
    Ok(ResolvedTarget {
        target: TargetRef {
            subscription_id: target.subscription_id.clone(),
            resource_group: target.resource_group.clone(),
            name: target.name.clone(),
        },
        resource_id: scope,
        sync_group,
        finding,
    })
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

/// Run one request. Never panics on bad input: a malformed request is an `InvalidInput` error.
pub async fn execute(
    session: &Session,
    request: &serde_json::Value,
    events: std::sync::Arc<dyn EventSink>,
    cancel: &CancellationToken,
) -> Result<serde_json::Value> {
    Ok(execute_request(session, Request::from_json(request)?, events, cancel).await?.to_json())
}

/// Run one typed request.
pub async fn execute_request(
    session: &Session,
    request: Request,
    events: std::sync::Arc<dyn EventSink>,
    cancel: &CancellationToken,
) -> Result<Response> {
    match request {
        Request::Explain(ExplainRequest { code }) => {
            let Some(CodeText(code)) = code else {
                return Err(Error::invalid_input(
                    "'explain' needs a 'code' (0x80c8305f, -2134364065, 2160603231 or a symbolic name)",
                ));
            };
            if is_success_code(&code) {
                return Ok(Response::Explain(ExplainResponse::Success));
            }
            Ok(Response::Explain(ExplainResponse::Entry(explain(&code)?)))
        }
        Request::ResolveTarget(fields) => Ok(Response::ResolveTarget(resolve_target(&fields)?)),
        Request::ListChecks(ListChecksRequest {}) => Ok(Response::ListChecks(list_checks())),
        Request::Wording(WordingRequest {}) => Ok(Response::Wording(crate::wording::PHRASES)),
        Request::Test(mut r) => {
            let source = r.source();
            let (selection, sync_groups) = selection_of(r.checks, r.skip, r.sync_groups)?;
            if source.scope.is_some() || source.snapshot_paths.is_some() {
                if !sync_groups.is_empty() {
                    return Err(Error::invalid_input(
                        "'syncGroups' narrows one service's report; it does not go with a scope or several snapshots",
                    ));
                }
                let runs = tenant_for(session, &source, limits::ACTIVITY_DAYS.default, events, cancel).await?;
                return Ok(Response::TestTenant(Box::new(tenant_report(&runs, &selection)?)));
            }
            let snapshot = snapshot_for(session, &source, limits::ACTIVITY_DAYS.default, events, cancel).await?;
            Ok(Response::Test(Box::new(test_report(&snapshot, &selection, &sync_groups)?)))
        }
        Request::TestLocal(mut r) => {
            let source = r.source();
            let (selection, sync_groups) = selection_of(r.checks, r.skip, r.sync_groups)?;
            let options = r.local.map(|b| *b).unwrap_or_default();
            // Bad pins and limits are refused before minutes of collection.
            crate::local::gather::parse_pins(&options.resolve)?;
            crate::local::gather::probe_timeout(&options)?;
            let snapshot = snapshot_for(session, &source, limits::ACTIVITY_DAYS.default, events, cancel).await?;
            let local = local_report(session, &snapshot, &options, cancel).await?;
            let report = test_report(&snapshot, &selection, &sync_groups)?;
            Ok(Response::TestLocal(Box::new(TestLocalResponse { report, local })))
        }
        Request::Collect(mut r) => {
            let source = r.source();
            if let Some(path) = &r.output_path {
                // Before any request: a collection of minutes must not end in a path it cannot write.
                crate::fsutil::check_output_path(std::path::Path::new(path))?;
            }
            if source.scope.is_some() {
                let runs = tenant_for(session, &source, limits::ACTIVITY_DAYS.default, events, cancel).await?;
                let run = runs.into_iter().next().ok_or_else(|| Error::internal("a scope's collection made no run"))?;
                if let Some(path) = &r.output_path {
                    run.save(std::path::Path::new(path))?;
                }
                return Ok(Response::CollectTenant(Box::new(run)));
            }
            let snapshot = snapshot_for(session, &source, limits::ACTIVITY_DAYS.default, events, cancel).await?;
            if let Some(path) = &r.output_path {
                snapshot.save(std::path::Path::new(path))?;
            }
            Ok(Response::Collect(Box::new(snapshot)))
        }
        Request::Plan(mut r) => {
            let source = r.source();
            let PlanKindText(kind) = r
                .kind
                .ok_or_else(|| Error::invalid_input("'plan' needs a 'kind': \"repair\" or \"enableIdentity\""))?;
            let options = crate::repair::plan::PlanOptions {
                include_security_posture_changes: r.include_security_posture_changes.unwrap_or(false),
            };
            let Some(findings) = r.findings else {
                return Ok(Response::Plan(Box::new(plan_for(session, &source, kind, options, events, cancel).await?)));
            };
            if kind != crate::repair::plan::PlanKind::Repair {
                return Err(Error::invalid_input(
                    "only a repair plans from findings; a switch to managed identities plans the whole service",
                ));
            }
            let snapshot = snapshot_for(session, &source, 0, events, cancel).await?;
            Ok(Response::Plan(Box::new(plan_repair_for_findings(&snapshot, &findings, options))))
        }
        Request::Apply(r) => {
            let plan = match (r.plan, r.plan_path) {
                (Some(p), _) => p.parse()?,
                (None, Some(path)) => crate::repair::plan::Plan::load(std::path::Path::new(&path))?,
                (None, None) => {
                    return Err(Error::invalid_input("'apply' needs a 'plan' (as made by 'plan') or a 'planPath'"))
                }
            };
            let mut options =
                crate::repair::apply::ApplyOptions { what_if: r.what_if.unwrap_or(false), ..Default::default() };
            if let Some(StringList(only)) = r.only {
                options.only = Some(only);
            }
            if let Some(secs) = r.principal_not_found_timeout_seconds {
                let l = limits::PRINCIPAL_TIMEOUT_SECONDS;
                options.principal_not_found_timeout =
                    std::time::Duration::from_secs_f64(secs.clamp(l.min as f64, l.max as f64));
            }
            Ok(Response::Apply(Box::new(apply_plan(session, &plan, &options, events, cancel).await?)))
        }
        Request::Diff(r) => {
            type Side = (crate::model::snapshot::Snapshot, Option<String>);
            let side = |inline: Option<Document<crate::model::snapshot::Snapshot>>,
                        path: Option<String>,
                        inline_name: &str,
                        path_name: &str|
             -> Result<Side> {
                match (inline, path) {
                    (Some(v), _) => Ok((v.parse().map_err(|e| e.context(format!("'{inline_name}'")))?, None)),
                    (None, Some(p)) => Ok((crate::model::snapshot::Snapshot::load(std::path::Path::new(&p))?, Some(p))),
                    (None, None) => Err(Error::invalid_input(format!(
                        "'diff' needs two snapshots: '{inline_name}' (a snapshot) or '{path_name}' (its file), and the same for the other side"
                    ))),
                }
            };
            let (old, old_path) = side(r.old, r.old_path, "old", "oldPath")?;
            let (new, new_path) = side(r.new, r.new_path, "new", "newPath")?;
            Ok(Response::Diff(Box::new(diff(&old, old_path.as_deref(), &new, new_path.as_deref())?)))
        }
    }
}

/// `explain`: the catalog entry for an error code (hex, decimal or a symbolic name).
pub fn explain(code: &str) -> Result<&'static crate::catalog::CatalogEntry> {
    crate::catalog::lookup(code).map_err(Error::from)
}

/// `listChecks`: every registered check, in report order.
pub fn list_checks() -> &'static [crate::checks::CheckInfo] {
    crate::checks::all()
}

/// `diff`: what moved between two snapshots of one deployment (the paths, when known, label the sides).
pub fn diff(
    old: &crate::model::snapshot::Snapshot,
    old_path: Option<&str>,
    new: &crate::model::snapshot::Snapshot,
    new_path: Option<&str>,
) -> Result<crate::diff::Diff> {
    crate::diff::diff_sources(old, old_path, new, new_path)
}

/// `plan`: the changes a repair or a switch to identity mode would make. A plan rests on the current
/// state only, so a live source is read without Activity Log unless the source asks for it. The command
/// line's `repair` and `enable-identity` plan through it.
pub async fn plan_for(
    session: &Session,
    source: &Source,
    kind: crate::repair::plan::PlanKind,
    options: crate::repair::plan::PlanOptions,
    events: std::sync::Arc<dyn EventSink>,
    cancel: &CancellationToken,
) -> Result<crate::repair::plan::Plan> {
    if source.scope.is_some() || source.snapshot_paths.is_some() {
        return Err(Error::invalid_input(
            "a plan is made for one service (or one snapshot): plan each service a scope's report names",
        ));
    }
    let snapshot = snapshot_for(session, source, 0, events, cancel).await?;
    Ok(plan(&snapshot, kind, options))
}

/// The plan of `kind` for a snapshot already at hand (read from a file, or collected before): pure, no
/// request. A repair runs every check on the snapshot and plans from their findings. [`plan_for`] plans
/// through it.
pub fn plan(
    snapshot: &crate::model::snapshot::Snapshot,
    kind: crate::repair::plan::PlanKind,
    options: crate::repair::plan::PlanOptions,
) -> crate::repair::plan::Plan {
    crate::repair::planners::make(snapshot, kind, options)
}

/// A repair of only what some findings call for: the checks run on the (fresh) snapshot, and the plan is
/// made from those of their findings that the references name. A named finding that no longer fails or
/// warns (fixed since, or gone) is said in a note, not planned.
pub fn plan_repair_for_findings(
    snapshot: &crate::model::snapshot::Snapshot,
    wanted: &[FindingRef],
    options: crate::repair::plan::PlanOptions,
) -> crate::repair::plan::Plan {
    use crate::model::findings::Status;
    let all = crate::checks::run(
        snapshot,
        &crate::checks::CheckContext::at(snapshot.collected_at),
        &crate::checks::Selection::default(),
    );
    let chosen: Vec<_> = all.iter().filter(|f| wanted.iter().any(|w| w.matches(f))).cloned().collect();
    let mut plan = crate::repair::planners::plan_repair_with(snapshot, &chosen, options);
    for w in wanted {
        if !chosen.iter().any(|f| w.matches(f) && matches!(f.status, Status::Fail | Status::Warning)) {
            plan.unchanged.push(format!(
                "{} on {}: not a problem now (or no longer there), so nothing is planned for it",
                w.check, w.resource_id
            ));
        }
    }
    plan
}

/// `apply`: carry out a plan (or its `only` changes) through one ARM client; `what_if` reads and decides
/// but writes nothing. The command line's `apply`, `repair` and `enable-identity` apply through it.
pub async fn apply_plan(
    session: &Session,
    plan: &crate::repair::plan::Plan,
    options: &crate::repair::apply::ApplyOptions,
    events: std::sync::Arc<dyn EventSink>,
    cancel: &CancellationToken,
) -> Result<crate::repair::apply::ApplyReport> {
    let client = session.client(events, cancel.clone())?;
    crate::repair::apply::apply(&client, plan, options).await
}

/// What a repair would do for the deployment a report was made from: the plan's change count and the
/// steps that need a person. It reuses the report's findings when they are every check's over the whole
/// deployment; otherwise the checks run again.
pub fn repair_outlook(
    snapshot: &crate::model::snapshot::Snapshot,
    report: &crate::model::findings::Report,
    selection: &crate::checks::Selection,
) -> crate::report::RepairOutlook {
    use crate::repair::plan;
    let plan = if selection.is_all() && report.sync_groups.is_empty() {
        crate::repair::planners::plan_repair_with(snapshot, &report.findings, plan::PlanOptions::default())
    } else {
        crate::repair::planners::make(snapshot, plan::PlanKind::Repair, plan::PlanOptions::default())
    };
    crate::report::RepairOutlook {
        changes: plan.changes.len(),
        manual_steps: plan.manual_steps.iter().map(|m| (m.resource_name.clone(), m.message.clone())).collect(),
    }
}

/// The report `test` answers with: the selected checks over the snapshot (at the time it was collected),
/// narrowed to the named sync groups (the checks still see the whole deployment). The command line's
/// `test` and `demo` render this same report. The selection was validated where it was made.
pub fn test_report(
    snapshot: &crate::model::snapshot::Snapshot,
    selection: &crate::checks::Selection,
    sync_groups: &[String],
) -> Result<crate::model::findings::Report> {
    let ctx = crate::checks::CheckContext::at(snapshot.collected_at);
    let mut report = crate::checks::report(snapshot, &ctx, selection);
    crate::checks::narrow::to_sync_groups(&mut report, snapshot, sync_groups)?;
    Ok(report)
}

/// The snapshot a request is about: given inline, read from a file, or collected live (with
/// `activityDays` of Activity Log, `default_days` when the request does not say). The command line's
/// `test` and `collect` collect through it too.
pub async fn snapshot_for(
    session: &Session,
    source: &Source,
    default_days: u32,
    events: std::sync::Arc<dyn EventSink>,
    cancel: &CancellationToken,
) -> Result<crate::model::snapshot::Snapshot> {
    let days = source.activity_days.map(ActivityDays::get).unwrap_or(default_days);
    if let Some(inline) = &source.snapshot {
        return inline.parse();
    }
    if let Some(path) = &source.snapshot_path {
        return crate::model::snapshot::Snapshot::load(std::path::Path::new(path));
    }
    let target = source.target.as_ref().ok_or_else(|| {
        Error::invalid_input("say what to diagnose: 'target' ({resourceId} or {subscriptionId, resourceGroup, name}), 'snapshotPath' or 'snapshot'")
    })?;
    let client = session.client(events, cancel.clone())?;
    let mut options = crate::collect::CollectOptions::new(target.0.clone());
    options.storage_sync_principal_id = session.options.storage_sync_principal_id.clone();
    options.activity_days = days;
    crate::collect::collect_on_runtime(client, options).await
}

/// `testLocal`'s on-server half: read this machine, match it to a registered server of the snapshot (an
/// error of kind `NotFound`, one line, when it is none), probe what its sync needs, and judge. The command
/// line's `test --local` runs through it.
pub async fn local_report(
    session: &Session,
    snapshot: &crate::model::snapshot::Snapshot,
    options: &crate::local::LocalOptions,
    cancel: &CancellationToken,
) -> Result<crate::local::LocalReport> {
    let cloud_name = session.options.cloud.as_deref().unwrap_or("AzureCloud");
    tokio::select! {
        r = crate::local::run(snapshot, cloud_name, session.cloud(), options) => r,
        _ = cancel.cancelled() => Err(Error::cancelled()),
    }
}

/// The runs a request over many services is about: a live scope (discovered through Resource Graph,
/// each service read from ARM), or several snapshot files (tenant collections or single snapshots, e.g.
/// one per Azure Automation job, see `docs/tenant.md`).
pub async fn tenant_for(
    session: &Session,
    source: &Source,
    default_days: u32,
    events: std::sync::Arc<dyn EventSink>,
    cancel: &CancellationToken,
) -> Result<Vec<crate::model::tenant::TenantSnapshot>> {
    let days = source.activity_days.map(ActivityDays::get).unwrap_or(default_days);
    let given = [source.snapshot.is_some(), source.snapshot_path.is_some(), source.target.is_some()];
    match (&source.scope, &source.snapshot_paths) {
        (Some(_), Some(_)) => Err(Error::invalid_input("give a 'scope' to read live, or 'snapshotPaths', not both")),
        (Some(_), None) | (None, Some(_)) if given.iter().any(|g| *g) => Err(Error::invalid_input(
            "'scope' and 'snapshotPaths' stand alone: drop 'target', 'snapshot' and 'snapshotPath'",
        )),
        (None, Some(paths)) => {
            if paths.is_empty() {
                return Err(Error::invalid_input("'snapshotPaths' is empty: name at least one snapshot file"));
            }
            paths.iter().map(|p| crate::model::tenant::TenantSnapshot::load(std::path::Path::new(p))).collect()
        }
        (Some(scope), None) => {
            let client = session.client(events, cancel.clone())?;
            // The target is replaced per service; this one only carries the options.
            let mut options = crate::collect::CollectOptions::new(crate::collect::TargetSpec::Subscription {
                subscription_id: String::new(),
            });
            options.storage_sync_principal_id = session.options.storage_sync_principal_id.clone();
            options.activity_days = days;
            Ok(vec![crate::collect::tenant::collect_tenant(&client, scope.scope(), &options).await?])
        }
        (None, None) => Err(Error::invalid_input("say which services: a 'scope' or 'snapshotPaths'")),
    }
}

/// One report over many services: each service's report (the selected checks over its snapshot), worst
/// first, and one verdict. The verdict is `fail` when any service fails; otherwise `incomplete` when any
/// service's is, when a scope was partial (unreadable subscriptions, a cut answer, a service that could
/// not be read) or when no service was found; `pass` only over a whole scope whose services all pass.
pub fn tenant_report(
    runs: &[crate::model::tenant::TenantSnapshot],
    selection: &crate::checks::Selection,
) -> Result<crate::model::tenant::TenantReport> {
    use crate::model::tenant::{severity_rank, verdict_of, ServiceReport, TenantReport, TENANT_REPORT_SCHEMA_VERSION};
    let mut services = Vec::new();
    let mut gaps = Vec::new();
    let mut gone = Vec::new();
    let mut coverage = Vec::new();
    for run in runs {
        if let Some(c) = &run.coverage {
            gaps.extend(c.gaps());
            gone.extend(c.services_not_collected.iter().filter(|s| s.reason == "gone").map(|s| s.id.clone()));
            coverage.push(c.clone());
        }
        for snapshot in &run.snapshots {
            let report = test_report(snapshot, selection, &[])?;
            let code = crate::checks::exit_code(&report);
            let t = &snapshot.target;
            let id = snapshot
                .services
                .first()
                .filter(|_| snapshot.services.len() == 1)
                .map(|s| s.id.as_str().to_string())
                .unwrap_or_else(|| match (&t.resource_group, &t.name) {
                    (Some(rg), Some(n)) => format!(
                        "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.StorageSync/storageSyncServices/{n}",
                        t.subscription_id
                    ),
                    (Some(rg), None) => format!("/subscriptions/{}/resourceGroups/{rg}", t.subscription_id),
                    _ => format!("/subscriptions/{}", t.subscription_id),
                });
            services.push(ServiceReport { id, verdict: verdict_of(code).to_string(), exit_code: code, report });
        }
    }
    services.sort_by(|a, b| {
        (severity_rank(a.exit_code), std::cmp::Reverse(a.report.summary.fail), a.id.to_ascii_lowercase()).cmp(&(
            severity_rank(b.exit_code),
            std::cmp::Reverse(b.report.summary.fail),
            b.id.to_ascii_lowercase(),
        ))
    });
    let worst = services.first().map(|s| s.exit_code);
    let exit_code = match worst {
        Some(crate::checks::EXIT_PROBLEMS) => crate::checks::EXIT_PROBLEMS,
        None => crate::checks::EXIT_INCOMPLETE,
        Some(code) if !gaps.is_empty() => code.max(crate::checks::EXIT_INCOMPLETE),
        Some(code) => code,
    };
    if services.is_empty() && gaps.is_empty() {
        gaps.push("no Storage Sync Service was found in the scope".to_string());
    }
    Ok(TenantReport {
        schema_version: TENANT_REPORT_SCHEMA_VERSION,
        verdict: verdict_of(exit_code).to_string(),
        exit_code,
        coverage,
        gaps,
        services_gone: gone,
        services,
    })
}

/// The plans for every service of several runs, each made from its own snapshot (read from ARM, not
/// from Resource Graph, so a plan's basis is ARM's state as for one service). `repair --what-if` over a
/// scope shows them.
pub fn tenant_plans(
    runs: &[crate::model::tenant::TenantSnapshot],
    kind: crate::repair::plan::PlanKind,
    options: crate::repair::plan::PlanOptions,
) -> Vec<crate::repair::plan::Plan> {
    runs.iter().flat_map(|r| &r.snapshots).map(|s| crate::repair::planners::make(s, kind, options)).collect()
}

/// The checks to run and the sync groups to narrow to, of a `test` or `testLocal` request, validated.
fn selection_of(
    checks: Option<StringList>,
    skip: Option<StringList>,
    sync_groups: Option<StringList>,
) -> Result<(crate::checks::Selection, Vec<String>)> {
    let selection = crate::checks::Selection::new(checks.unwrap_or_default().0, skip.unwrap_or_default().0)?;
    Ok((selection, sync_groups.unwrap_or_default().0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(v: serde_json::Value) -> String {
        let e = Request::from_json(&v).expect_err("refused");
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidInput);
        e.to_string()
    }

    /// Issue 13: a field an operation does not take is an error naming it and what it takes, not ignored.
    #[test]
    fn unknown_and_misspelled_fields_are_refused() {
        let m = refused(serde_json::json!({"operation": "test", "target": {"resourceId": "/x"}, "syncGroup": "sg"}));
        assert!(m.contains("'test' does not take 'syncGroup'") && m.contains("syncGroups"), "{m}");
        let m = refused(serde_json::json!({"operation": "apply", "planPath": "p.json", "whatif": true}));
        assert!(m.contains("'whatif'") && m.contains("whatIf"), "{m}");
        let m = refused(serde_json::json!({"operation": "test", "target": {"resourceID": "/x"}}));
        assert!(m.contains("resourceID"), "{m}");
        let m = refused(serde_json::json!({"operation": "tset"}));
        assert!(m.contains("unknown operation 'tset'"), "{m}");
        assert!(refused(serde_json::json!({"code": "0x80c8305f"})).contains("no 'operation'"));
        assert!(refused(serde_json::json!(["explain"])).contains("JSON object"));
        let m =
            refused(serde_json::json!({"operation": "plan", "kind": "repair", "includeSecurityPostureChanges": "yes"}));
        assert!(m.contains("at 'includeSecurityPostureChanges'"), "{m}");
    }

    #[test]
    fn every_operation_reads_its_own_fields() {
        let r = Request::from_json(&serde_json::json!({
            "operation": "test", "snapshotPath": "s.json", "checks": ["service.identity"], "syncGroups": "sg", "activityDays": 0
        }))
        .unwrap();
        let Request::Test(mut t) = r else { panic!("a test request") };
        let source = t.source();
        assert_eq!(source.snapshot_path.as_deref(), Some("s.json"));
        assert_eq!(source.activity_days.map(ActivityDays::get), Some(0));
        assert_eq!(t.checks, Some(StringList(vec!["service.identity".into()])));
        assert_eq!(t.sync_groups, Some(StringList(vec!["sg".into()])));
        // Every field the API took before its requests were typed is still taken, by the same operation
        // (the table the requests replaced, kept here as the record of what callers send).
        const BEFORE: &[(&str, &[&str])] = &[
            ("explain", &["code"]),
            ("listChecks", &[]),
            ("wording", &[]),
            (
                "resolveTarget",
                &[
                    "resourceId",
                    "subscriptionId",
                    "resourceGroup",
                    "name",
                    "storageSyncServiceName",
                    "targetResourceId",
                    "syncGroup",
                    "defaultSubscriptionId",
                    "check",
                    "principalId",
                    "scope",
                ],
            ),
            (
                "test",
                &[
                    "snapshot",
                    "snapshotPath",
                    "target",
                    "activityDays",
                    "checks",
                    "skip",
                    "syncGroups",
                    "scope",
                    "snapshotPaths",
                ],
            ),
            (
                "testLocal",
                &["snapshot", "snapshotPath", "target", "activityDays", "checks", "skip", "syncGroups", "local"],
            ),
            ("collect", &["snapshot", "snapshotPath", "target", "activityDays", "outputPath", "scope"]),
            (
                "plan",
                &[
                    "kind",
                    "snapshot",
                    "snapshotPath",
                    "target",
                    "activityDays",
                    "includeSecurityPostureChanges",
                    "findings",
                ],
            ),
            ("apply", &["plan", "planPath", "whatIf", "only", "principalNotFoundTimeoutSeconds"]),
            ("diff", &["old", "oldPath", "new", "newPath"]),
        ];
        assert_eq!(BEFORE.len(), Operation::ALL.len());
        for (op, fields) in BEFORE {
            let parsed = Operation::parse(op).unwrap_or_else(|| panic!("{op} is an operation"));
            let mut taken = parsed.fields().to_vec();
            taken.sort_unstable();
            let mut before = fields.to_vec();
            before.sort_unstable();
            assert_eq!(taken, before, "{op}");
            let mut v = serde_json::json!({ "operation": op });
            // Every field is accepted by name (null: absent).
            for f in *fields {
                v[*f] = serde_json::Value::Null;
            }
            Request::from_json(&v).unwrap_or_else(|e| panic!("{op}: {e}"));
        }
    }

    /// Values are parsed into their types as the request is read, once: a bad one is refused before
    /// anything runs, by what it is.
    #[test]
    fn values_are_refused_where_they_become_their_type() {
        let m = refused(serde_json::json!({"operation": "test", "snapshotPath": "s.json", "activityDays": 91}));
        assert!(m.contains("'activityDays' must be a whole number from 0 to 90"), "{m}");
        let m = refused(serde_json::json!({"operation": "resolveTarget", "check": "x", "principalId": "nope"}));
        assert!(m.contains("'nope' is not an object id"), "{m}");
        let m = refused(serde_json::json!({"operation": "test", "target": {"subscriptionId": "not-a-guid"}}));
        assert!(m.contains("not-a-guid"), "{m}");
        let m = refused(
            serde_json::json!({"operation": "test", "scope": {"allSubscriptions": true, "managementGroup": "mg"}}),
        );
        assert!(m.contains("give one scope"), "{m}");
        let m = refused(serde_json::json!({"operation": "plan", "kind": "repair",
            "findings": [{"check": "storage.Lock", "resourceId": "/subscriptions/x"}]}));
        assert!(m.contains("unknown check id 'storage.Lock'"), "{m}");
        let m = refused(serde_json::json!({"operation": "plan", "kind": "fix"}));
        assert!(m.contains("unknown plan kind 'fix'"), "{m}");
        let m = refused(serde_json::json!({"operation": "test", "checks": 5}));
        assert!(m.contains("at 'checks'") && m.contains("a list of strings, or one string"), "{m}");
        let ok = Request::from_json(&serde_json::json!({"operation": "explain", "code": -2134364065})).unwrap();
        let Request::Explain(ExplainRequest { code: Some(CodeText(code)) }) = ok else { panic!("explain") };
        assert_eq!(code, "-2134364065");
    }

    /// Item 6 of issue 22: what serde refused is kept, typed, as the error's source, so a caller branches
    /// on the variant (an unknown field and the fields taken) and never on the message.
    #[test]
    fn a_refusal_keeps_its_typed_defect() {
        let e = Request::from_json(&serde_json::json!({"operation": "apply", "whatif": true})).unwrap_err();
        let refusal = e.source_as::<de::Refusal>().expect("the refusal is the source");
        let de::Defect::UnknownField { field, expected } = &refusal.defect else { panic!("{refusal}") };
        assert_eq!(field, "whatif");
        assert_eq!(*expected, Operation::Apply.fields());
    }

    #[test]
    fn the_operations_are_listed_from_their_one_declaration() {
        let m = refused(serde_json::json!({"operation": "tset"}));
        for op in Operation::ALL {
            assert!(m.contains(op.name()), "{m}");
        }
        assert!(m.ends_with("apply or diff)"), "{m}");
    }
}
