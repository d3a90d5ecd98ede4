//! The checks: pure functions from a [`Snapshot`] to [`Finding`]s. No I/O, no clock (the time is in the
//! [`CheckContext`]), so the same snapshot always gives the same report.
//!
//! Every check has a stable id (`area.what`), a title, a description and the File Sync error codes it can
//! explain; `filesync-identity --list-checks` prints them.

/// Declares an area's checks: for each, its `CheckId` constant and its registry entry (title, description
/// with the Microsoft source it follows, the File Sync error codes it can explain, its function), side by
/// side, so that an id cannot be declared without being registered. It makes the area's `CHECKS`, in
/// report order; [`all`] joins the areas' lists (see `areas.rs`).
macro_rules! declare_checks {
    ($(
        $name:ident = $id:literal {
            title: $title:expr,
            description: $description:expr,
            error_codes: $codes:expr,
            run: $run:path $(,)?
        }
    )*) => {
        impl crate::model::check_id::CheckId {
            $(pub const $name: crate::model::check_id::CheckId = crate::model::check_id::CheckId::declare($id);)*
        }

        /// This area's checks, in report order.
        pub(super) const CHECKS: &[crate::checks::check::CheckInfo] = &[$(
            crate::checks::check::CheckInfo {
                id: crate::model::check_id::CheckId::$name,
                title: $title,
                description: $description,
                error_codes: $codes,
                run: $run,
            },
        )*];
    };
}

// One file or folder per area of check ids (`area.what`); `areas.rs` gives their order in reports.
mod areas;
mod caller;
mod cloud_endpoint;
mod collection;
mod identity;
mod role;
mod server;
mod server_endpoint;
mod service;
mod storage;
mod sync;

// What a check is (its context and its declaration), helpers several areas share, and what is done with
// the findings.
pub mod attribution;
pub mod causes;
mod check;
pub mod narrow;
mod shared;
#[cfg(test)]
mod tests;

use crate::model::check_id::CheckId;

use crate::error::{Error, Result};
use crate::model::findings::{Finding, Report, Status, Summary, REPORT_SCHEMA_VERSION};
use crate::model::snapshot::Snapshot;

pub use crate::model::index::{Index, RoleState};
pub use check::{CheckContext, CheckInfo};

/// Every check's declaration, one area after the other (each area declares its own with `declare_checks!`):
/// the deployment's areas ([`areas`]), then `sync`, whose check reviews their findings.
const LISTS: &[&[CheckInfo]] = &[&areas::LIST, sync::CHECKS];
const COUNT: usize = check::count(LISTS);
static CHECKS: [CheckInfo; COUNT] = check::join(LISTS);

impl CheckId {
    /// Every check id, in report order.
    pub const ALL: &'static [CheckId] = &check::ids::<COUNT>(&check::join(LISTS));
}

/// Every check, in report order.
pub fn all() -> &'static [CheckInfo] {
    &CHECKS
}

/// The checks that can explain a File Sync error code (written `0x` and eight hex digits, any case), in
/// report order: what the catalog's "checks" column shows, derived from the checks' declarations.
pub fn explaining(code: &str) -> Vec<CheckId> {
    all().iter().filter(|c| c.error_codes.iter().any(|e| e.eq_ignore_ascii_case(code.trim()))).map(|c| c.id).collect()
}

/// Which checks to run: every check ([`Selection::all`], the default), or a selection validated once,
/// where it is made from what a user typed ([`Selection::new`]), so that what runs it need not check again.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Run only these (empty: all).
    only: Vec<String>,
    /// Skip these.
    skip: Vec<String>,
}

impl Selection {
    /// Every check.
    pub fn all() -> Selection {
        Selection::default()
    }

    /// Only the checks `only` names (none: every check), less those `skip` names; each a check id or an
    /// area (`storage.*`). An id that names no check is an error that lists the checks, and so is a
    /// selection that leaves no check to run.
    pub fn new(only: Vec<String>, skip: Vec<String>) -> Result<Selection> {
        let selection = Selection { only, skip };
        selection.validate()?;
        Ok(selection)
    }

    /// The ids and areas to run only (empty: every check).
    pub fn only(&self) -> &[String] {
        &self.only
    }

    /// The ids and areas to skip.
    pub fn skip(&self) -> &[String] {
        &self.skip
    }

    /// Does it run every check?
    pub fn is_all(&self) -> bool {
        self.only.is_empty() && self.skip.is_empty()
    }

    /// The ids are known, and some check is left.
    fn validate(&self) -> Result<()> {
        for id in self.only.iter().chain(&self.skip) {
            let known = all()
                .iter()
                .any(|c| c.id == id.as_str() || id.ends_with(".*") && c.id.starts_with(id.trim_end_matches('*')));
            if !known {
                let ids: Vec<&str> = all().iter().map(|c| c.id.as_str()).collect();
                return Err(Error::invalid_input(format!("unknown check '{id}'; the checks are: {}", ids.join(", "))));
            }
        }
        // A selection that runs nothing would end in an empty report that reads as "all passed".
        if !all().iter().any(|c| self.includes(&c.id)) {
            return Err(Error::invalid_input(format!(
                "the selection runs no check (--check {} with --skip {} leaves none); drop a --skip or pick other checks",
                if self.only.is_empty() { "(all)".to_string() } else { self.only.join(",") },
                self.skip.join(",")
            )));
        }
        Ok(())
    }

    fn matches(pattern: &str, id: &str) -> bool {
        pattern == id || (pattern.ends_with(".*") && id.starts_with(pattern.trim_end_matches('*')))
    }

    pub fn includes(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| Self::matches(p, id)))
            && !self.skip.iter().any(|p| Self::matches(p, id))
    }
}

/// Run the selected checks. Findings come in check order, then by resource id.
///
/// `sync.live-errors` reads every other check's verdict; when it is selected the others all run once and
/// it is handed their findings. The checks are pure functions of the snapshot, so they run side by side on
/// the machine's cores (see `crate::sync::parallel_map`); the result does not depend on how many there are.
pub fn run(snapshot: &Snapshot, ctx: &CheckContext, selection: &Selection) -> Vec<Finding> {
    let index = Index::new(snapshot);
    let live_selected = selection.includes(&CheckId::SYNC_LIVE_ERRORS);
    // Positions in the registry of the checks to run, the server endpoint checks first: there are the most
    // server endpoints, so those take longest and should not start last.
    let mut wanted: Vec<usize> = (0..all().len())
        .filter(|&i| all()[i].id != CheckId::SYNC_LIVE_ERRORS && (live_selected || selection.includes(&all()[i].id)))
        .collect();
    wanted.sort_by_key(|&i| !all()[i].id.starts_with("server-endpoint."));
    let mut results: Vec<Option<Vec<Finding>>> = (0..all().len()).map(|_| None).collect();
    for (i, findings) in wanted.iter().zip(crate::sync::parallel_map(&wanted, |&i| (all()[i].run)(&index, ctx))) {
        results[*i] = Some(findings);
    }
    let live = live_selected.then(|| {
        let others: Vec<&Finding> = results.iter().flatten().flatten().collect();
        sync::review(&index, ctx, &others)
    });
    if let (Some(findings), Some(pos)) = (live, all().iter().position(|c| c.id == CheckId::SYNC_LIVE_ERRORS)) {
        results[pos] = Some(findings);
    }
    let mut out = Vec::with_capacity(results.iter().flatten().map(Vec::len).sum());
    for (check, findings) in all().iter().zip(results) {
        let Some(mut findings) = findings.filter(|_| selection.includes(&check.id)) else { continue };
        sort_findings(&mut findings);
        debug_assert!(findings.iter().all(|f| f.check == check.id), "check {} emitted another id", check.id);
        out.extend(findings);
    }
    out
}

/// The order of one check's findings: by resource id (ignoring case), then principal. Most checks produce
/// them in this order already (the snapshot is sorted), so that is tested first without allocating.
fn sort_findings(findings: &mut [Finding]) {
    let order = |a: &Finding, b: &Finding| {
        crate::model::text::cmp_ignore_ascii_case(&a.resource_id, &b.resource_id)
            .then_with(|| a.principal_id.cmp(&b.principal_id))
    };
    if findings.is_sorted_by(|a, b| order(a, b).is_le()) {
        return;
    }
    findings.sort_by_cached_key(|f| (f.resource_id.to_ascii_lowercase(), f.principal_id.clone()));
}

/// Run the checks and wrap the findings in a report.
pub fn report(snapshot: &Snapshot, ctx: &CheckContext, selection: &Selection) -> Report {
    let mut findings = run(snapshot, ctx, selection);
    // Who changed what, from the Activity Log the snapshot kept (no verdict changes).
    attribution::attribute(&mut findings, snapshot);
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        tool_version: crate::VERSION.to_string(),
        collected_at: snapshot.collected_at,
        target: snapshot.target.clone(),
        sync_groups: Vec::new(),
        summary: Summary::of(&findings),
        causes: causes::of(&findings),
        findings,
    }
}

/// Exit code of a diagnosis in which a check failed.
pub const EXIT_PROBLEMS: i32 = 1;
/// Exit code of a diagnosis that is incomplete: nothing failed, but some check could not decide (a read
/// was refused: status `unknown`), or there was nothing to check (no Storage Sync Service in the target).
/// Never 0, so that a script cannot take "could not look" for "healthy".
pub const EXIT_INCOMPLETE: i32 = 4;

/// The exit code a report implies: 1 when any check failed; else 4 when the diagnosis is incomplete
/// (an `unknown` finding, or no finding at all); else 0.
pub fn exit_code(report: &Report) -> i32 {
    if report.findings.iter().any(|f| f.status == Status::Fail) {
        EXIT_PROBLEMS
    } else if report.findings.is_empty() || report.findings.iter().any(|f| f.status == Status::Unknown) {
        EXIT_INCOMPLETE
    } else {
        0
    }
}
