//! Root causes: the problem findings (fail, warning, unknown) of a report grouped so that one thing to fix
//! is one entry, with the findings it explains under it. A pure function of the findings; the report keeps
//! every finding as it is and adds the grouping (`causes`), which the table opens with.
//!
//! Findings belong to one cause when:
//! - a live error (`sync.live-errors`) names the finding that explains it (`explainedBy` and
//!   `explainingResource` in its evidence);
//! - they are fixed by the same command;
//! - a role at the wrong share scope (`role.wrong-share-scope`) and the missing role it stands in for are
//!   about the same identity on the same storage account;
//! - on one registered server, the auth mode follows from the identity (`server.auth-mode` from
//!   `server.identity`) and the agent's support status from its version (`server.agent-status` from
//!   `server.agent-version`).
//!
//! The cause's own finding (what the entry is titled by) is the one nothing else in the group explains:
//! not a live error, the worst status, the wrong-scope role before the missing role, then check order.

use serde::{Deserialize, Serialize};

use crate::findings::{Finding, Status};
use crate::resource_id::ResourceId;

/// One root cause: a thing to fix, and the findings (by index into the report's `findings`) it explains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    /// The finding that names the cause.
    pub finding: usize,
    /// The worst status among its findings.
    pub status: Status,
    /// Every finding of the cause, its own first, then in report order.
    pub findings: Vec<usize>,
    /// The File Sync error codes its findings explain, each once.
    pub error_codes: Vec<String>,
}

/// Group the problem findings into causes, worst first (fail, then warning, then unknown), then in the
/// order of their own findings.
pub fn of(findings: &[Finding]) -> Vec<Cause> {
    let problems: Vec<usize> = (0..findings.len()).filter(|&i| is_problem(&findings[i])).collect();
    let mut parent: Vec<usize> = (0..findings.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut join = |a: usize, b: usize| {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    for (n, &a) in problems.iter().enumerate() {
        for &b in &problems[n + 1..] {
            if related(&findings[a], &findings[b]) || related(&findings[b], &findings[a]) {
                join(a, b);
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for &i in &problems {
        let r = root(&mut parent, i);
        match groups.iter_mut().find(|g| g.0 == r) {
            Some(g) => g.1.push(i),
            None => groups.push((r, vec![i])),
        }
    }
    let mut causes: Vec<Cause> = groups
        .into_iter()
        .map(|(_, mut members)| {
            let own = *members.iter().min_by_key(|&&i| precedence(&findings[i], i)).expect("a group has members");
            members.retain(|&i| i != own);
            members.insert(0, own);
            let status =
                members.iter().map(|&i| findings[i].status).min_by_key(|s| severity(*s)).unwrap_or(Status::Unknown);
            let mut error_codes: Vec<String> = Vec::new();
            for &i in &members {
                for c in &findings[i].error_codes {
                    if !error_codes.iter().any(|e| e.eq_ignore_ascii_case(c)) {
                        error_codes.push(c.to_string());
                    }
                }
            }
            Cause { finding: own, status, findings: members, error_codes }
        })
        .collect();
    causes.sort_by_key(|c| (severity(c.status), c.finding));
    causes
}

fn is_problem(f: &Finding) -> bool {
    matches!(f.status, Status::Fail | Status::Warning | Status::Unknown)
}

/// Fail first, then warning, then unknown.
fn severity(s: Status) -> u8 {
    match s {
        Status::Fail => 0,
        Status::Warning => 1,
        Status::Unknown => 2,
        Status::Pass | Status::NotApplicable => 3,
    }
}

/// Smaller is more the cause: not a live error, worse status, the wrong-scope role, the identity before
/// the auth mode, the version before its support status, then report (check) order.
fn precedence(f: &Finding, index: usize) -> (bool, u8, u8, usize) {
    let derived = matches!(f.check.as_str(), "sync.live-errors" | "server.auth-mode" | "server.agent-status");
    let first = f.check.as_str() == "role.wrong-share-scope";
    (derived, severity(f.status), u8::from(!first), index)
}

/// Does `b` belong to the cause of `a` (one direction of the rules in the module's documentation)?
fn related(a: &Finding, b: &Finding) -> bool {
    // A live error and the finding that explains it.
    if a.check.as_str() == "sync.live-errors" {
        let by = a.evidence.get("explainedBy").and_then(|v| v.as_str());
        let at = a.evidence.get("explainingResource").and_then(|v| v.as_str());
        if by == Some(b.check.as_str()) && at.is_some_and(|r| r.eq_ignore_ascii_case(&b.resource_id)) {
            return true;
        }
    }
    // The same fix.
    if let (Some(x), Some(y)) = (&a.command, &b.command) {
        if x.as_str() == y.as_str() {
            return true;
        }
    }
    // A role at the wrong share scope and the missing role, for one identity on one account.
    if a.check.as_str() == "role.wrong-share-scope" && b.check.ends_with("-share-role") {
        let same_principal =
            matches!((&a.principal_id, &b.principal_id), (Some(p), Some(q)) if p.eq_ignore_ascii_case(q));
        return same_principal && account_of(a).is_some() && account_of(a) == account_of(b);
    }
    // On one server: the auth mode follows from the identity, the support status from the version.
    let same_resource = a.resource_id.eq_ignore_ascii_case(&b.resource_id);
    same_resource
        && matches!(
            (a.check.as_str(), b.check.as_str()),
            ("server.identity", "server.auth-mode") | ("server.agent-version", "server.agent-status")
        )
}

/// The storage account a finding's scope (or resource) lies in, lower-cased.
fn account_of(f: &Finding) -> Option<String> {
    let from = |s: &str| {
        ResourceId::parse(s).ok().and_then(|id| id.storage_account()).map(|a| a.as_str().to_ascii_lowercase())
    };
    f.scope.as_ref().and_then(|s| from(s)).or_else(|| from(&f.resource_id))
}
