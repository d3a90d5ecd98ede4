//! `sync.live-errors`: the error codes the servers report, looked up in the catalog and tied to the finding that
//! explains them.
//!
//! This check reads the other checks' verdicts. To stay a pure function of the snapshot (and to explain a
//! code even when the explaining check was not selected), it needs every other check's findings:
//! the runner (`checks::run`) hands it the ones it computed anyway; run on its own it computes them itself.

use crate::model::check_id::CheckId;
use crate::model::index::{display_name_of, Caseless, Endpoint, HashMap};

use super::check::CheckContext;
use crate::catalog;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;
use crate::model::phrases::lower_first;
use crate::model::snapshot::ServerEndpoint;

declare_checks! {
    SYNC_LIVE_ERRORS = "sync.live-errors" {
        title: "Errors the servers report are explained",
        description: "Each server endpoint's last upload and download results, per-item errors and recall errors, looked up in the error catalog and tied to the finding that explains them. Runs after (and on the findings of) the other checks.",
        error_codes: &[],
        run: live_errors,
    }
}

const CHECK: CheckId = CheckId::SYNC_LIVE_ERRORS;

pub(super) fn live_errors(ix: &Index, ctx: &CheckContext) -> Vec<Finding> {
    let others: Vec<Finding> = super::areas::CHECKS.iter().flat_map(|c| (c.run)(ix, ctx)).collect();
    review(ix, ctx, &others.iter().collect::<Vec<_>>())
}

/// The other checks' findings by resource id (ignoring case), each with its position (to keep their order).
struct Verdicts<'f> {
    /// Failures and warnings.
    problems: HashMap<Caseless<'f>, Vec<(usize, &'f Finding)>>,
    /// Passes that name the role assignment they rest on.
    grants: HashMap<Caseless<'f>, Vec<(usize, &'f Finding)>>,
}

impl<'f> Verdicts<'f> {
    fn new(others: &[&'f Finding]) -> Self {
        let mut v = Verdicts { problems: HashMap::default(), grants: HashMap::default() };
        for (i, f) in others.iter().enumerate() {
            let map = match f.status {
                Status::Fail | Status::Warning => &mut v.problems,
                Status::Pass if f.evidence.contains_key("assignmentId") => &mut v.grants,
                _ => continue,
            };
            map.entry(Caseless(f.resource_id.as_str())).or_default().push((i, *f));
        }
        v
    }

    /// The findings of `map` about any of `related`, in the other checks' order.
    fn about(map: &HashMap<Caseless<'f>, Vec<(usize, &'f Finding)>>, related: &[String]) -> Vec<&'f Finding> {
        let mut found: Vec<(usize, &Finding)> =
            related.iter().filter_map(|r| map.get(&Caseless(r))).flat_map(|v| v.iter().copied()).collect();
        found.sort_unstable_by_key(|(i, _)| *i);
        found.into_iter().map(|(_, f)| f).collect()
    }
}

/// Where a code was seen on one server endpoint.
struct Seen {
    code: i32,
    places: Vec<String>,
    /// Did a whole session fail with it (rather than single items or recalls)?
    session: bool,
    count: u64,
}

/// Does the endpoint report any error code (what [`collect_codes`] would find)?
fn reports_codes(ep: &ServerEndpoint) -> bool {
    ep.upload_last_sync_result.is_some_and(|c| c != 0)
        || ep.download_last_sync_result.is_some_and(|c| c != 0)
        || ep.files_not_syncing_errors.iter().any(|e| e.error_code != 0)
        || ep.recall_errors.iter().any(|e| e.error_code != 0)
}

fn collect_codes(ep: &ServerEndpoint) -> Vec<Seen> {
    let mut out: Vec<Seen> = Vec::new();
    let mut add = |code: i32, place: String, session: bool, count: u64| {
        if code == 0 {
            return;
        }
        match out.iter_mut().find(|s| s.code == code) {
            Some(s) => {
                if !s.places.contains(&place) {
                    s.places.push(place);
                }
                s.session |= session;
                s.count += count;
            }
            None => out.push(Seen { code, places: vec![place], session, count }),
        }
    };
    if let Some(c) = ep.upload_last_sync_result {
        add(c, "last upload session".into(), true, 0);
    }
    if let Some(c) = ep.download_last_sync_result {
        add(c, "last download session".into(), true, 0);
    }
    for e in &ep.files_not_syncing_errors {
        let dir = e.direction.as_deref().unwrap_or("sync");
        add(e.error_code, format!("{dir} of single items"), false, e.count);
    }
    for e in &ep.recall_errors {
        add(e.error_code, "recall of tiered files".into(), false, e.count);
    }
    out
}

/// Resource ids whose findings bear on this server endpoint.
fn related_ids(ix: &Index, e: &Endpoint) -> Vec<String> {
    let (svc, group, ep) = (e.service, e.group, e.endpoint);
    let mut ids = vec![ep.id.to_string(), svc.id.to_string()];
    if let Some(server) = e.server {
        ids.push(server.id.to_string());
        if server.is_cluster_name() {
            ids.extend(ix.cluster_nodes(svc, server).iter().map(|n| n.id.to_string()));
        }
    }
    for c in &group.cloud_endpoints {
        ids.push(c.id.to_string());
        if let Some(a) = ix.cloud_account(c) {
            ids.push(a.to_string());
        }
    }
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_ascii_lowercase()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A role that would prevent the code, granted less than the propagation delay before the collection.
/// Why a live code whose cause now passes is not a failure: the grant that fixes it is still taking effect,
/// or was made after the sync session that reported the code (which then clears at the next session).
enum Clearing {
    TakingEffect,
    AfterLastSync(chrono::DateTime<chrono::Utc>),
}

fn fresh_grant<'a>(
    ix: &Index<'a>,
    ctx: &CheckContext,
    entry: &catalog::CatalogEntry,
    verdicts: &Verdicts,
    related: &[String],
    last_sync: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<(&'a crate::model::snapshot::RoleAssignment, String, Clearing)> {
    let entry_hex = entry.hex();
    Verdicts::about(&verdicts.grants, related)
        .into_iter()
        .filter(|f| super::areas::explains(&f.check, &entry_hex))
        .find_map(|f| {
            let id = f.evidence.get("assignmentId")?.as_str()?;
            let ra = ix.snapshot.role_assignments.iter().find(|ra| ra.id.eq_ignore_ascii_case(id))?;
            let created = ra.created_on?;
            let age = ctx.now - created;
            if age >= chrono::Duration::zero() && age < ctx.propagation_delay {
                return Some((ra, f.check.to_string(), Clearing::TakingEffect));
            }
            let synced = last_sync?;
            (synced < created).then(|| (ra, f.check.to_string(), Clearing::AfterLastSync(synced)))
        })
}

/// Explain each live code with `others`, the other checks' findings (unsorted, as the checks produced them).
pub(super) fn review(ix: &Index, ctx: &CheckContext, others: &[&Finding]) -> Vec<Finding> {
    let endpoints = ix.server_endpoints();
    // The lookup is only needed when some endpoint reports a code (in a healthy estate none does).
    let verdicts = if endpoints.iter().any(|e| reports_codes(e.endpoint)) {
        Verdicts::new(others)
    } else {
        Verdicts { problems: HashMap::default(), grants: HashMap::default() }
    };
    // In slices of a few thousand endpoints, side by side.
    let slices: Vec<_> = endpoints.chunks(2048).collect();
    let mut out = Vec::with_capacity(endpoints.len());
    for findings in crate::sync::parallel_map(&slices, |slice| review_endpoints(ix, ctx, &verdicts, slice)) {
        out.extend(findings);
    }
    out
}

fn review_endpoints(ix: &Index, ctx: &CheckContext, verdicts: &Verdicts, endpoints: &[Endpoint]) -> Vec<Finding> {
    let mut out = Vec::with_capacity(endpoints.len());
    for e in endpoints {
        let (ep, name) = (e.endpoint, &e.label);
        let codes = collect_codes(ep);
        if codes.is_empty() {
            out.push(Finding::new(
                CHECK,
                Status::Pass,
                &ep.id,
                name,
                Text::fixed("The server endpoint reports no sync, per-item or recall errors."),
            ));
            continue;
        }
        let server_name = display_name_of(e.server, ep);
        let related = related_ids(ix, e);
        for seen in codes {
            out.push(review_code(ix, ctx, verdicts, e, server_name, &related, seen));
        }
    }
    out
}

/// One code one server endpoint reports, in stages: the finding's frame, then the code unknown to the
/// catalog, explained by another check's finding, cleared by a fresh grant, or left unexplained.
fn review_code(
    ix: &Index,
    ctx: &CheckContext,
    verdicts: &Verdicts,
    e: &Endpoint,
    server_name: &str,
    related: &[String],
    seen: Seen,
) -> Finding {
    let ep = e.endpoint;
    let hex = catalog::hex(seen.code);
    let status = if seen.session { Status::Fail } else { Status::Warning };
    let places = seen.places.join(", ");
    let base = Finding::new(CHECK, status, &ep.id, &e.label, Text::default())
        .evidence("code", &hex)
        .evidence("decimal", seen.code)
        .evidence("seenIn", &seen.places);
    let base = if seen.count > 0 { base.evidence("count", seen.count) } else { base };
    let Some(entry) = catalog::get(seen.code) else {
        return Finding {
            message: format!(
                "{hex} ({}) on server '{server_name}' ({places}) is not in this tool's catalog of File Sync errors.",
                seen.code
            )
            .into(),
            ..base
        }
        .fix(
            "Look the code up in the File Sync troubleshooting articles, or run Debug-StorageSyncServer -Diagnose on the server.",
            Some(format!("filesync-identity explain {hex}")),
        );
    };
    let label = entry.name().map(|n| format!("{hex} ({n})")).unwrap_or_else(|| hex.clone());
    // How every message about this code starts.
    let head = format!("{label} on server '{server_name}' ({places})");
    let base = Finding { error_codes: vec![Text::from(&hex)], ..base }.evidence("article", entry.article);
    let mut explaining: Vec<&Finding> = Verdicts::about(&verdicts.problems, related)
        .into_iter()
        .filter(|f| f.explains(&hex) || super::areas::explains(&f.check, &hex))
        .collect();
    explaining.sort_by_key(|f| (f.status, !f.explains(&hex)));
    if !explaining.is_empty() {
        return explained(base, &head, &explaining);
    }
    match fresh_grant(ix, ctx, entry, verdicts, related, last_sync(ep)) {
        Some((ra, check, Clearing::TakingEffect)) => Finding {
            status: Status::Warning,
            message: format!(
                "{head} is most likely a grant still taking effect: {} was assigned to {} {} before the collection (see {check}); role assignments take up to {} minutes to apply.",
                crate::model::roles::display_name(&ra.role_definition_id),
                ra.principal_id,
                crate::model::text::count((ctx.now - ra.created_on.unwrap_or(ctx.now)).num_minutes().max(0) as u64, "minute", "minutes"),
                ctx.propagation_delay.num_minutes()
            ).into(),
            ..base
        }
        .principal(ra.principal_id.as_str())
        .evidence("pendingActivation", true)
        .evidence("assignmentId", &ra.id)
        .fix("Wait a quarter of an hour and sync again (or restart the Storage Sync Agent service), then check again.", None),
        // Fixed since the session that reported it: not a failure for ever (issue 15).
        Some((ra, check, Clearing::AfterLastSync(synced))) => Finding {
            status: Status::Warning,
            message: format!(
                "{head} predates its fix: the last sync session ran at {}, and {} was assigned to {} after it, at {} (see {check}); the code clears at the next sync session.",
                synced.format("%Y-%m-%d %H:%M UTC"),
                crate::model::roles::display_name(&ra.role_definition_id),
                ra.principal_id,
                ra.created_on.map(|c| c.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default(),
            ).into(),
            ..base
        }
        .principal(ra.principal_id.as_str())
        .evidence("fixedAfterLastSync", true)
        .evidence("lastSyncTimestamp", synced.to_rfc3339())
        .evidence("assignmentId", &ra.id)
        .fix("Nothing to change: the server's next sync session (or a restart of its Storage Sync Agent service) clears it; then check again.", None),
        None => Finding {
            message: format!(
                "{head}: {}. None of this tool's checks found its cause in this deployment.",
                entry.summary.trim_end_matches('.')
            )
            .into(),
            ..base
        }
        .fix(entry.remediation, Some(format!("filesync-identity explain {hex}"))),
    }
}

/// A code another check's finding explains (`explaining`, most telling first): its message, principal and
/// fix carry over.
fn explained(base: Finding, head: &str, explaining: &[&Finding]) -> Finding {
    let first = explaining[0];
    let mut checks: Vec<&str> = explaining.iter().map(|f| f.check.as_ref()).collect();
    checks.sort_unstable();
    checks.dedup();
    let mut f = Finding { message: format!("{head} is explained by: {}", lower_first(&first.message)).into(), ..base }
        .evidence("explainedBy", first.check)
        .evidence("explainingResource", &first.resource_id)
        .evidence("explainingChecks", &checks);
    if let Some(p) = &first.principal_id {
        f = f.principal(p.as_str());
    }
    if first.remediation.is_some() {
        f.remediation = first.remediation.clone();
        f.command = first.command.clone();
    }
    f
}

/// When the endpoint's last sync session ran, when ARM says so.
fn last_sync(ep: &crate::model::snapshot::ServerEndpoint) -> Option<chrono::DateTime<chrono::Utc>> {
    let raw = ep.last_sync_timestamp.as_deref()?;
    chrono::DateTime::parse_from_rfc3339(raw).ok().map(|t| t.with_timezone(&chrono::Utc))
}
