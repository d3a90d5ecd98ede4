//! `apply`: execute a [`Plan`] against ARM, change by change, and say exactly what was and was not done.
//!
//! Before any write, the state the plan rests on is read again (with the collector) and compared with
//! the plan's basis: a plan whose facts moved on is refused ([`ErrorKind::Conflict`]). The caller's
//! rights are read from `.../providers/Microsoft.Authorization/permissions`; a change the caller may not
//! make is not sent and is reported as failed with the scope and the missing action (when no change at
//! all could be made, apply stops with that message instead).
//!
//! Role assignments are PUT under their deterministic name (see [`crate::repair::plan::assignment_name`]), so a
//! retry or a re-run never duplicates one; `RoleAssignmentExists` counts as already present, and
//! `PrincipalNotFound` (an identity created moments ago, not replicated yet) is retried with exponential
//! back-off up to a bounded time. Service and server PATCHes are long-running: apply polls the
//! `Azure-AsyncOperation` URL, honouring `Retry-After`, until the operation ends (bounded). A failed change
//! does not stop the others; the changes that depend on it are skipped with the reason. With `what_if`,
//! nothing is written at all.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::arm::{api_versions, ArmClient};
use crate::checks::{Index, RoleState};
use crate::collect::{CollectOptions, TargetSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{log, Event, LogLevel};
use crate::model::principal::PrincipalId;
use crate::model::resource_id::ResourceId;
use crate::model::snapshot::{Permission, Snapshot, Target, TargetKind};
use crate::repair::basis::{basis_drift, live_facts};
use crate::repair::plan::{
    assignment_body, assignment_name, assignment_path, known_principals, Change, ChangeKind, ManualStep, Plan,
    NAME_PLACEHOLDER,
};

pub const APPLY_REPORT_SCHEMA_VERSION: u32 = 1;

/// Options of [`apply`].
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Send no write: report what each change would do.
    pub what_if: bool,
    /// Apply only these change ids (the others are reported as skipped, or already present).
    pub only: Option<Vec<String>>,
    /// How long to keep retrying a role assignment whose principal is not replicated yet (default 5 min).
    pub principal_not_found_timeout: Duration,
    /// The first back-off for `PrincipalNotFound`; doubles each time up to 15 s (default 1 s).
    pub principal_retry_base: Duration,
    /// How long a long-running operation may take (default 10 min).
    pub lro_timeout: Duration,
    /// Bounds on the wait between polls; `Retry-After` is honoured within them (default 1 s .. 60 s).
    pub lro_min_poll: Duration,
    pub lro_max_poll: Duration,
}

impl ApplyOptions {
    /// Is the change among those to apply (all, without `only`)?
    fn selects(&self, c: &Change) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(&c.id))
    }
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            what_if: false,
            only: None,
            principal_not_found_timeout: Duration::from_secs(300),
            principal_retry_base: Duration::from_secs(1),
            lro_timeout: Duration::from_secs(600),
            lro_min_poll: Duration::from_secs(1),
            lro_max_poll: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The write was made (a role assignment created, a PATCH completed).
    Created,
    /// Nothing to do: the live state already has it.
    AlreadyPresent,
    /// Not attempted (see the message: not selected, a dependency was not done, cancelled).
    Skipped,
    /// Attempted, or refused before sending for lack of rights, and not done.
    Failed,
    /// What-if: the change would be made.
    WouldChange,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::AlreadyPresent => "alreadyPresent",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::WouldChange => "wouldChange",
        }
    }
    fn satisfied(self) -> bool {
        matches!(self, Outcome::Created | Outcome::AlreadyPresent | Outcome::WouldChange)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeResult {
    pub id: String,
    pub kind: ChangeKind,
    pub title: String,
    pub outcome: Outcome,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm_code: Option<String>,
    /// Why a failed change failed, as the error kinds of [`crate::error`] (hosts map it to their own
    /// categories: PowerShell's ErrorCategory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ErrorKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The request actually sent (placeholders resolved), when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplySummary {
    pub total: usize,
    pub created: usize,
    pub already_present: usize,
    pub skipped: usize,
    pub failed: usize,
    pub would_change: usize,
    /// Write requests sent (retries of one change count once).
    pub writes_sent: u64,
    /// The run was cancelled before every change was attempted (run again to finish: it is safe).
    #[serde(default)]
    pub cancelled: bool,
    /// One sentence: what was and was not done.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyReport {
    pub schema_version: u32,
    pub what_if: bool,
    pub target: Target,
    pub results: Vec<ChangeResult>,
    pub summary: ApplySummary,
    /// Carried over from the plan: what a person still has to do.
    #[serde(default)]
    pub manual_steps: Vec<ManualStep>,
}

impl ApplyReport {
    /// 0 when nothing failed, 1 when some change failed, 130 when the run was cancelled.
    pub fn exit_code(&self) -> i32 {
        if self.summary.cancelled {
            130
        } else if self.summary.failed > 0 {
            1
        } else {
            0
        }
    }
}

/// The collector's target for a plan's target.
pub fn target_spec(t: &Target) -> Result<TargetSpec> {
    let sub = Some(t.subscription_id.as_str());
    match t.kind {
        TargetKind::Service => TargetSpec::from_parts(None, sub, t.resource_group.as_deref(), t.name.as_deref()),
        TargetKind::ResourceGroup => TargetSpec::from_parts(None, sub, t.resource_group.as_deref(), None),
        TargetKind::Subscription => TargetSpec::from_parts(None, sub, None, None),
    }
}

/// Read the live state a plan rests on, and refuse the plan when it moved on.
///
/// A fact that moved to exactly what one of the plan's changes sets does not count: that change is
/// done already (typically by an earlier run that was interrupted while its write was still being
/// processed), so it is reported as already present and not sent again. Any other move refuses the
/// plan ([`ErrorKind::Conflict`]), naming each fact with its planned-from and live values.
pub async fn read_live(client: &ArmClient, plan: &Plan) -> Result<Snapshot> {
    let mut options = CollectOptions::new(target_spec(&plan.target)?);
    options.storage_sync_principal_id = plan.basis.facts.storage_sync_principal_id.clone();
    options.lookup_storage_sync_principal = false;
    options.lookup_machines = false;
    // The plan's facts are all the check needs: no Activity Log.
    options.activity_days = 0;
    let live = crate::collect::collect(client, &options).await?;
    let drift = basis_drift(plan, &live_facts(&plan.basis.facts, &live));
    for d in drift.iter().filter(|d| d.towards) {
        log(
            client.events(),
            LogLevel::Verbose,
            format!("since the plan was made, a change it holds was done already: {d}"),
        );
    }
    let moved: Vec<String> = drift.iter().filter(|d| !d.towards).map(|d| d.to_string()).collect();
    if !moved.is_empty() {
        let shown: Vec<&str> = moved.iter().take(6).map(String::as_str).collect();
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "the live state moved on since the plan was made ({}), so it was not applied; make a new plan. What changed: {}{}",
                plan.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                shown.join("; "),
                if moved.len() > shown.len() { format!("; and {} more", moved.len() - shown.len()) } else { String::new() }
            ),
        ));
    }
    Ok(live)
}

// ---------------------------------------------------------------------------------------------------
// Rights

/// Do these effective permissions allow `action`? (One matcher for the whole crate: [`crate::model::rbac`].)
pub use crate::model::rbac::permits;

/// The scope whose permissions decide a change, and the action it needs.
fn needed_right(change: &Change) -> Option<(String, &'static str)> {
    let path = &change.request.path;
    match change.kind {
        ChangeKind::RoleAssignment => {
            let scope = change.grant.as_ref()?.scope.clone();
            Some((scope, "Microsoft.Authorization/roleAssignments/write"))
        }
        ChangeKind::EnableServiceIdentity | ChangeKind::SetUseIdentity => {
            Some((path.clone(), "Microsoft.StorageSync/storageSyncServices/write"))
        }
        ChangeKind::SetServerIdentity => {
            Some((path.clone(), "Microsoft.StorageSync/storageSyncServices/registeredServers/write"))
        }
        ChangeKind::SetStorageTrustedServices | ChangeKind::SetStorageSharedKeyAccess => {
            Some((path.clone(), "Microsoft.Storage/storageAccounts/write"))
        }
    }
}

struct Rights<'a> {
    client: &'a ArmClient,
    live: &'a Snapshot,
    cache: HashMap<String, Option<Vec<Permission>>>,
}

impl Rights<'_> {
    /// The caller's permissions at a scope (the storage account's, for scopes inside one); None when
    /// they could not be read.
    async fn at(&mut self, scope: &str) -> Option<Vec<Permission>> {
        let id = ResourceId::parse(scope).ok()?;
        let key_id = id.storage_account().unwrap_or(id);
        let key = key_id.as_str().to_ascii_lowercase();
        if let Some(p) = self.cache.get(&key) {
            return p.clone();
        }
        let mut perms = self.live.storage_account(&key_id).and_then(|a| a.caller_permissions.clone());
        if perms.is_none() {
            let path = format!("{}/providers/Microsoft.Authorization/permissions", key_id.as_str());
            perms = match self.client.list(&path, api_versions::AUTHORIZATION).await {
                Ok(items) => Some(items.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect()),
                Err(e) => {
                    log(
                        self.client.events(),
                        LogLevel::Verbose,
                        format!("could not read the permissions at {key}: {e}"),
                    );
                    None
                }
            };
        }
        self.cache.insert(key, perms.clone());
        perms
    }
}

// ---------------------------------------------------------------------------------------------------
// Live-state tests

/// Is the change already in effect in the live state?
fn already_done(change: &Change, plan: &Plan, live: &Snapshot, ix: &Index) -> bool {
    let path = &change.request.path;
    match change.kind {
        ChangeKind::RoleAssignment => {
            let Some(g) = &change.grant else { return false };
            // A grant to a service identity the plan creates: done when that identity exists by now
            // (an earlier run made it) and holds the role.
            let principal = match &change.principal_from {
                None => g.principal_id.clone(),
                Some(from) => {
                    let service_path = plan.changes.iter().find(|c| &c.id == from).map(|c| c.request.path.as_str());
                    match service_path.and_then(|p| service(live, p)).and_then(|s| s.system_principal_id()) {
                        Some(p) => p.to_string(),
                        None => return false,
                    }
                }
            };
            let Ok(scope) = ResourceId::parse(&g.scope) else { return false };
            let Some(account) = scope.storage_account() else { return false };
            matches!(ix.role_state(&principal, &g.role_guid, &scope, &account), RoleState::Effective(_))
        }
        ChangeKind::EnableServiceIdentity => service(live, path).is_some_and(|s| s.system_principal_id().is_some()),
        ChangeKind::SetUseIdentity => service(live, path).is_some_and(|s| s.use_identity),
        ChangeKind::SetServerIdentity => {
            let want = change.request.body.pointer("/properties/applicationId").and_then(|v| v.as_str());
            live.services.iter().flat_map(|s| &s.registered_servers).any(|s| {
                // Switched: in use, or set and waiting for the agent to pick it up (up to 15 minutes).
                let now = if s.switch_requested() { s.application_id.as_deref() } else { s.active_identity() };
                s.id.as_str().eq_ignore_ascii_case(path)
                    && want.is_some_and(|w| now.is_some_and(|a| a.eq_ignore_ascii_case(w)))
            })
        }
        ChangeKind::SetStorageTrustedServices => live.storage_accounts.iter().any(|a| {
            a.id.as_str().eq_ignore_ascii_case(path)
                && (!a.firewall_on() || a.network_acls.as_ref().is_some_and(|n| n.bypasses_azure_services()))
        }),
        ChangeKind::SetStorageSharedKeyAccess => {
            live.storage_accounts.iter().any(|a| a.id.as_str().eq_ignore_ascii_case(path) && a.shared_key_allowed())
        }
    }
}

fn service<'a>(live: &'a Snapshot, path: &str) -> Option<&'a crate::model::snapshot::StorageSyncService> {
    live.services.iter().find(|s| s.id.as_str().eq_ignore_ascii_case(path))
}

// ---------------------------------------------------------------------------------------------------
// Execution

struct Failure {
    kind: ErrorKind,
    message: String,
    arm_code: Option<String>,
    request_id: Option<String>,
    cancelled: bool,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure {
            kind: e.kind(),
            cancelled: e.kind() == ErrorKind::Cancelled,
            arm_code: e.arm_code().map(str::to_string),
            request_id: e.request_id().map(str::to_string),
            message: e.to_string(),
        }
    }
}

async fn sleep_or_cancel(client: &ArmClient, d: Duration) -> Result<()> {
    tokio::select! {
        _ = tokio::time::sleep(d) => Ok(()),
        _ = client.cancel_token().cancelled() => Err(Error::cancelled()),
    }
}

/// PUT a role assignment: 409 RoleAssignmentExists is success, PrincipalNotFound is retried with back-off
/// until `timeout`.
async fn put_assignment(
    client: &ArmClient,
    path: &str,
    body: &serde_json::Value,
    options: &ApplyOptions,
) -> std::result::Result<(Outcome, Option<String>, String), Failure> {
    let started = Instant::now();
    let deadline = started + options.principal_not_found_timeout;
    let mut delay = options.principal_retry_base.max(Duration::from_millis(10));
    let mut tries = 0u32;
    loop {
        tries += 1;
        match client.put(path, api_versions::AUTHORIZATION, body).await {
            Ok(r) => {
                let waited = if tries > 1 {
                    format!(" after waiting {:.1} s for the principal to replicate", started.elapsed().as_secs_f64())
                } else {
                    String::new()
                };
                return Ok((Outcome::Created, r.request_id, format!("Role assignment created{waited}.")));
            }
            Err(e) if e.arm_code() == Some("RoleAssignmentExists") => {
                return Ok((
                    Outcome::AlreadyPresent,
                    e.request_id().map(str::to_string),
                    "The role assignment already exists.".into(),
                ))
            }
            Err(e) if e.arm_code() == Some("PrincipalNotFound") => {
                let now = Instant::now();
                if now >= deadline {
                    let mut f = Failure::from(e);
                    f.message = format!(
                        "the principal was still not found after {:.0} s of retries (a new identity can take a few minutes to replicate; run again later, or raise the limit): {}",
                        options.principal_not_found_timeout.as_secs_f64(),
                        f.message
                    );
                    return Err(f);
                }
                let wait = delay.min(deadline - now);
                log(
                    client.events(),
                    LogLevel::Verbose,
                    format!(
                        "principal not replicated yet; retrying the role assignment in {:.1} s",
                        wait.as_secs_f64()
                    ),
                );
                sleep_or_cancel(client, wait).await.map_err(Failure::from)?;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            Err(e) => return Err(Failure::from(e)),
        }
    }
}

/// PATCH and wait for the long-running operation to end.
async fn patch_and_wait(
    client: &ArmClient,
    path: &str,
    api_version: &str,
    body: &serde_json::Value,
    options: &ApplyOptions,
) -> std::result::Result<Option<String>, Failure> {
    // Every PATCH a plan holds sets absolute values (identity type, useIdentity, applicationId, storage
    // settings): repeating it is harmless, so a 5xx, a reset or a timeout is retried like a PUT.
    let resp = client.patch_idempotent(path, api_version, body).await.map_err(Failure::from)?;
    let request_id = resp.request_id.clone();
    let url = resp.headers.get("azure-asyncoperation").or_else(|| resp.headers.get("location")).cloned();
    let Some(url) = url.filter(|_| resp.status == 202 || resp.status == 201) else {
        return Ok(request_id);
    };
    let deadline = Instant::now() + options.lro_timeout;
    let mut retry_after = resp.headers.get("retry-after").and_then(|v| v.trim().parse::<f64>().ok());
    loop {
        let wait = retry_after
            .map(|s| Duration::from_secs_f64(s.clamp(0.0, 3600.0)))
            .unwrap_or(options.lro_min_poll)
            .clamp(options.lro_min_poll, options.lro_max_poll);
        if Instant::now() + wait > deadline {
            return Err(Failure {
                kind: ErrorKind::Arm,
                message: format!(
                    "the operation did not finish within {:.0} s; it may still complete: run again later to see",
                    options.lro_timeout.as_secs_f64()
                ),
                arm_code: None,
                request_id,
                cancelled: false,
            });
        }
        sleep_or_cancel(client, wait).await.map_err(Failure::from)?;
        let poll = client.get_absolute(&url).await.map_err(Failure::from)?;
        retry_after = poll.headers.get("retry-after").and_then(|v| v.trim().parse::<f64>().ok());
        let status = poll.body.get("status").and_then(|s| s.as_str()).map(str::to_ascii_lowercase);
        match status.as_deref() {
            Some("succeeded") => return Ok(request_id),
            Some("failed") | Some("canceled") | Some("cancelled") => {
                let err = poll.body.get("error");
                let code = err.and_then(|e| e.get("code")).and_then(|c| c.as_str()).map(str::to_string);
                let msg = err.and_then(|e| e.get("message")).and_then(|c| c.as_str()).unwrap_or("no message");
                return Err(Failure {
                    kind: ErrorKind::Arm,
                    message: format!("the operation ended {}: {msg}", status.unwrap_or_default()),
                    arm_code: code,
                    request_id,
                    cancelled: false,
                });
            }
            None if poll.status == 200 => return Ok(request_id),
            _ => {}
        }
    }
}

/// Execute a plan. See the module docs.
pub async fn apply(client: &ArmClient, plan: &Plan, options: &ApplyOptions) -> Result<ApplyReport> {
    plan.validate()?;
    check_only(plan, options)?;
    let writes_before = client.stats().writes();
    client.events().emit(Event::Progress {
        activity: "Applying the plan".into(),
        status: "reading the live state".into(),
        percent: Some(0),
    });
    let pre = preflight(client, plan, options).await?;
    let total = plan.changes.len();
    let mut run = Run::default();
    let mut results: Vec<ChangeResult> = Vec::with_capacity(total);
    for (i, c) in plan.changes.iter().enumerate() {
        let mut r = ChangeResult {
            id: c.id.clone(),
            kind: c.kind,
            title: c.title.clone(),
            outcome: Outcome::Skipped,
            message: String::new(),
            arm_code: None,
            error_kind: None,
            request_id: None,
            path: None,
        };
        match decide(c, plan, &pre, &run, options) {
            Decision::Skip(message) => r.message = message,
            Decision::AlreadyPresent => {
                r.outcome = Outcome::AlreadyPresent;
                r.message = "Already in effect; nothing sent.".into();
                if c.kind == ChangeKind::EnableServiceIdentity {
                    if let Some(p) = service(&pre.live, &c.request.path).and_then(|s| s.system_principal()) {
                        run.resolved.insert(c.id.clone(), p);
                    }
                }
            }
            Decision::Refuse { kind, arm_code, message } => {
                r.outcome = Outcome::Failed;
                r.error_kind = Some(kind);
                r.arm_code = arm_code;
                r.message = message;
            }
            Decision::WouldChange(message) => {
                r.outcome = Outcome::WouldChange;
                r.message = message;
            }
            Decision::Send => match execute(client, c, &run.resolved, options).await {
                Ok((outcome, request_id, message, path, principal)) => {
                    r.outcome = outcome;
                    r.request_id = request_id;
                    r.message = message;
                    r.path = Some(path);
                    if let Some(p) = principal {
                        run.resolved.insert(c.id.clone(), p);
                    }
                }
                Err(f) if f.cancelled => {
                    run.cancelled = true;
                    r.message = "Cancelled while it was being applied; run again to finish (it is safe).".into();
                }
                Err(f) => {
                    r.outcome = Outcome::Failed;
                    r.error_kind = Some(f.kind);
                    r.message = f.message;
                    r.arm_code = f.arm_code;
                    r.request_id = f.request_id;
                    r.path = Some(c.request.path.clone());
                }
            },
        }
        client.events().emit(Event::Progress {
            activity: "Applying the plan".into(),
            status: format!("{}: {}", r.outcome.as_str(), c.title),
            percent: Some((((i + 1) * 100) / total.max(1)) as u8),
        });
        if r.outcome == Outcome::Failed {
            log(client.events(), LogLevel::Warning, format!("{}: {}", c.title, r.message));
        }
        run.outcomes.insert(c.id.clone(), r.outcome);
        results.push(r);
    }
    let writes_sent = client.stats().writes() - writes_before;
    let summary = summarize(&results, writes_sent, options.what_if, run.cancelled);
    Ok(ApplyReport {
        schema_version: APPLY_REPORT_SCHEMA_VERSION,
        what_if: options.what_if,
        target: plan.target.clone(),
        results,
        summary,
        manual_steps: plan.manual_steps.clone(),
    })
}

/// `only` names changes the plan has.
fn check_only(plan: &Plan, options: &ApplyOptions) -> Result<()> {
    let Some(only) = &options.only else { return Ok(()) };
    let unknown: Vec<&String> = only.iter().filter(|id| !plan.changes.iter().any(|c| &c.id == *id)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::invalid_input(format!(
        "the plan has no change {}; its changes are: {}",
        unknown.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", "),
        plan.changes.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
    )))
}

/// What apply knows before it writes: the live state (already checked against the plan's basis), which
/// changes are in effect already, and which the caller may not make (with why).
struct Preflight {
    live: Snapshot,
    /// The principals the live deployment uses (a grant to any other is stale).
    known: std::collections::BTreeSet<PrincipalId>,
    /// Change id -> already in effect.
    done: HashMap<String, bool>,
    /// Change id -> why the caller may not make it.
    denied: BTreeMap<String, String>,
}

/// Read the live state, decide what is done already, and read the caller's rights for the rest. When
/// every change that would be written is refused, stop before anything is sent.
async fn preflight(client: &ArmClient, plan: &Plan, options: &ApplyOptions) -> Result<Preflight> {
    let live = read_live(client, plan).await?;
    let ix = Index::new(&live);
    let known = known_principals(&live);
    let done: HashMap<String, bool> =
        plan.changes.iter().map(|c| (c.id.clone(), already_done(c, plan, &live, &ix))).collect();
    let mut rights = Rights { client, live: &live, cache: HashMap::new() };
    let mut denied: BTreeMap<String, String> = BTreeMap::new();
    let mut to_write = 0usize;
    for c in plan.changes.iter().filter(|c| options.selects(c) && !done[&c.id]) {
        to_write += 1;
        let Some((scope, action)) = needed_right(c) else { continue };
        let Some(perms) = rights.at(&scope).await else { continue };
        if !permits(&perms, action) {
            denied.insert(
                c.id.clone(),
                format!(
                    "the signed-in identity lacks '{action}' on {scope}; ask an Owner, User Access Administrator{} to do it or to grant you the right",
                    if action.starts_with("Microsoft.Authorization") { ", Role Based Access Control Administrator or Azure File Sync Administrator" } else { "" }
                ),
            );
        }
    }
    if to_write > 0 && denied.len() == to_write && !options.what_if {
        let mut lines: Vec<String> = denied.values().cloned().collect();
        lines.dedup();
        return Err(Error::new(
            ErrorKind::Authorization,
            format!("nothing was changed: every change would be refused: {}", lines.join("; ")),
        ));
    }
    Ok(Preflight { live, known, done, denied })
}

/// What happened so far in one run: each change's outcome, the principal ids that changes resolved (a
/// service identity created on the way), and whether the run was cancelled.
#[derive(Default)]
struct Run {
    outcomes: HashMap<String, Outcome>,
    resolved: HashMap<String, PrincipalId>,
    cancelled: bool,
}

/// What to do with one change.
enum Decision {
    /// Not attempted (the message says why).
    Skip(String),
    /// In effect already: nothing to send.
    AlreadyPresent,
    /// Not sent, and a failure: the caller may not make it, or it grants to a principal that left.
    Refuse { kind: ErrorKind, arm_code: Option<String>, message: String },
    /// `what_if`: what would be sent.
    WouldChange(String),
    /// Send it.
    Send,
}

/// Decide one change from the preflight and the run so far (no I/O).
fn decide(c: &Change, plan: &Plan, pre: &Preflight, run: &Run, options: &ApplyOptions) -> Decision {
    if run.cancelled {
        return Decision::Skip("Not attempted: the run was cancelled.".into());
    }
    if pre.done[&c.id] {
        return Decision::AlreadyPresent;
    }
    if !options.selects(c) {
        return Decision::Skip("Not selected (only the selected changes were applied).".into());
    }
    let blocked: Vec<String> = c
        .depends_on
        .iter()
        .filter(|d| !run.outcomes.get(*d).is_some_and(|o| o.satisfied()))
        .map(|d| {
            let title = plan.changes.iter().find(|x| &x.id == d).map(|x| x.title.as_str()).unwrap_or(d);
            format!("'{title}' ({})", run.outcomes.get(d).map(|o| o.as_str()).unwrap_or("not run"))
        })
        .collect();
    if !blocked.is_empty() {
        return Decision::Skip(format!("Not attempted: it needs {} first.", blocked.join(", ")));
    }
    if let Some(why) = pre.denied.get(&c.id) {
        return Decision::Refuse {
            kind: ErrorKind::Authorization,
            arm_code: Some("AuthorizationFailed".into()),
            message: format!("Not sent: {why}."),
        };
    }
    let stale = c.grant.as_ref().is_some_and(|g| {
        c.principal_from.is_none() && !PrincipalId::parse(&g.principal_id).is_ok_and(|p| pre.known.contains(&p))
    });
    if stale {
        return Decision::Refuse {
            kind: ErrorKind::Conflict,
            arm_code: None,
            message: "Not sent: the principal is no longer part of the deployment.".into(),
        };
    }
    if options.what_if {
        return Decision::WouldChange(if c.principal_from.is_some() {
            "Would be granted once the service identity exists (its principal id is known only then).".into()
        } else {
            format!("Would send {} {}.", c.method(), c.request.path)
        });
    }
    Decision::Send
}

/// A `networkAcls` PATCH replaces the whole rule set, and plans carry the IP and virtual network rules
/// but not the resource instance rules (`resourceAccessRules`, which snapshots do not hold): read the
/// account's current ones and send them along, so the change adds the exception and removes nothing.
async fn with_resource_access_rules(client: &ArmClient, c: &Change) -> std::result::Result<serde_json::Value, Failure> {
    let mut body = c.request.body.clone();
    let account = client.get(&c.request.path, &c.request.api_version).await.map_err(Failure::from)?;
    let rules = account
        .pointer("/properties/networkAcls/resourceAccessRules")
        .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()));
    if let (Some(rules), Some(acls)) =
        (rules, body.pointer_mut("/properties/networkAcls").and_then(|a| a.as_object_mut()))
    {
        acls.entry("resourceAccessRules").or_insert_with(|| rules.clone());
    }
    Ok(body)
}

type Executed = (Outcome, Option<String>, String, String, Option<PrincipalId>);

async fn execute(
    client: &ArmClient,
    c: &Change,
    resolved: &HashMap<String, PrincipalId>,
    options: &ApplyOptions,
) -> std::result::Result<Executed, Failure> {
    match c.kind {
        ChangeKind::RoleAssignment => {
            let g =
                c.grant.as_ref().ok_or_else(|| Failure::from(Error::internal("role assignment without a grant")))?;
            let (path, body) = match &c.principal_from {
                Some(from) => {
                    let Some(p) = resolved.get(from) else {
                        return Err(Failure::from(Error::internal("the service identity's principal id is not known")));
                    };
                    let scope = ResourceId::parse(&g.scope).map_err(Failure::from)?;
                    let role = crate::model::roles::GRANTABLE
                        .iter()
                        .copied()
                        .find(|r| r.guid.eq_ignore_ascii_case(&g.role_guid))
                        .ok_or_else(|| Failure::from(Error::internal("role not grantable")))?;
                    let name = assignment_name(scope.as_str(), p, role.guid);
                    debug_assert!(c.request.path.ends_with(NAME_PLACEHOLDER));
                    (assignment_path(scope.as_str(), &name), assignment_body(&scope, role, p))
                }
                None => (c.request.path.clone(), c.request.body.clone()),
            };
            let (outcome, rid, msg) = put_assignment(client, &path, &body, options).await?;
            Ok((outcome, rid, msg, path, None))
        }
        _ => {
            let body = if c.kind == ChangeKind::SetStorageTrustedServices {
                with_resource_access_rules(client, c).await?
            } else {
                c.request.body.clone()
            };
            let rid = patch_and_wait(client, &c.request.path, &c.request.api_version, &body, options).await?;
            let mut principal = None;
            if c.kind == ChangeKind::EnableServiceIdentity {
                let svc = client.get(&c.request.path, api_versions::STORAGE_SYNC).await.map_err(Failure::from)?;
                let p = svc
                    .pointer("/identity/principalId")
                    .and_then(|p| p.as_str())
                    .filter(|p| !crate::model::resource_id::is_zero_guid(p))
                    .and_then(|p| PrincipalId::parse(p).ok());
                match p {
                    Some(p) => principal = Some(p),
                    None => {
                        return Err(Failure {
                            kind: ErrorKind::Arm,
                            message: "the operation succeeded but the service shows no identity principal id".into(),
                            arm_code: None,
                            request_id: rid,
                            cancelled: false,
                        })
                    }
                }
            }
            let msg = match (c.kind, &principal) {
                (ChangeKind::EnableServiceIdentity, Some(p)) => format!("Identity turned on (principal {p})."),
                _ => "Done (the operation succeeded).".into(),
            };
            Ok((Outcome::Created, rid, msg, c.request.path.clone(), principal))
        }
    }
}

fn summarize(results: &[ChangeResult], writes_sent: u64, what_if: bool, cancelled: bool) -> ApplySummary {
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
    let mut s = ApplySummary {
        total: results.len(),
        created: count(Outcome::Created),
        already_present: count(Outcome::AlreadyPresent),
        skipped: count(Outcome::Skipped),
        failed: count(Outcome::Failed),
        would_change: count(Outcome::WouldChange),
        writes_sent,
        cancelled,
        message: String::new(),
    };
    s.message = if what_if {
        format!(
            "What-if: {} would be made, {} already in effect, {} skipped, {} would be refused; nothing was sent.",
            crate::model::text::count(s.would_change as u64, "change", "changes"),
            s.already_present,
            s.skipped,
            s.failed
        )
    } else {
        let mut m = format!(
            "{} made, {} already in effect, {} failed, {} not attempted",
            crate::model::text::count(s.created as u64, "change", "changes"),
            s.already_present,
            s.failed,
            s.skipped
        );
        if cancelled {
            m.push_str(" (cancelled: run again to finish)");
        } else if s.failed > 0 {
            m.push_str(" (see the failures; fix them and run again: completed changes are not repeated)");
        }
        m.push('.');
        m
    };
    s
}
