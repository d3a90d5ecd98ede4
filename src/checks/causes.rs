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

use crate::model::check_id::CheckId;

use crate::model::findings::{Finding, Status};
use crate::model::resource_id::ResourceId;

pub use crate::model::findings::Cause;

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
    // Each rule joins findings that share a key; the keys are looked up in maps, so a large estate's
    // thousands of problems are grouped in near-linear time.
    let lower = |s: &str| s.to_ascii_lowercase();
    let mut first: std::collections::HashMap<(u8, String), usize> = std::collections::HashMap::new();
    let mut joins: Vec<(usize, usize)> = Vec::new();
    let mut key = |rule: u8, k: String, i: usize, joins: &mut Vec<(usize, usize)>| match first.entry((rule, k)) {
        std::collections::hash_map::Entry::Occupied(e) => joins.push((*e.get(), i)),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(i);
        }
    };
    for &i in &problems {
        let f = &findings[i];
        // The same fix.
        if let Some(c) = &f.command {
            key(0, c.to_string(), i, &mut joins);
        }
        // By (check, resource): what a live error's `explainedBy` / `explainingResource` point at.
        if f.check.as_str() != CheckId::SYNC_LIVE_ERRORS {
            key(1, format!("{}|{}", f.check, lower(&f.resource_id)), i, &mut joins);
        }
        // A role at the wrong share scope, by identity and account (the missing role joins it below).
        if f.check.as_str() == CheckId::ROLE_WRONG_SHARE_SCOPE {
            if let (Some(p), Some(a)) = (&f.principal_id, account_of(f)) {
                key(2, format!("{}|{a}", lower(p)), i, &mut joins);
            }
        }
        // One server's identity and auth mode; its agent version and support status.
        let pair = match f.check {
            CheckId::SERVER_IDENTITY | CheckId::SERVER_AUTH_MODE => Some(3),
            CheckId::SERVER_AGENT_VERSION | CheckId::SERVER_AGENT_STATUS => Some(4),
            _ => None,
        };
        if let Some(rule) = pair {
            key(rule, lower(&f.resource_id), i, &mut joins);
        }
    }
    for &i in &problems {
        let f = &findings[i];
        // A missing share role joins the wrong-scope role of the same identity on the same account.
        if f.check.ends_with("-share-role") {
            if let (Some(p), Some(a)) = (&f.principal_id, account_of(f)) {
                if let Some(&j) = first.get(&(2, format!("{}|{a}", lower(p)))) {
                    joins.push((j, i));
                }
            }
        }
        // A live error joins the finding that explains it.
        if f.check.as_str() != CheckId::SYNC_LIVE_ERRORS {
            continue;
        }
        let by = f.evidence.get("explainedBy").and_then(|v| v.as_str());
        let at = f.evidence.get("explainingResource").and_then(|v| v.as_str());
        if let (Some(by), Some(at)) = (by, at) {
            if let Some(&j) = first.get(&(1, format!("{by}|{}", lower(at)))) {
                joins.push((j, i));
            }
        }
    }
    for (a, b) in joins {
        join(a, b);
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
    let derived =
        matches!(f.check, CheckId::SYNC_LIVE_ERRORS | CheckId::SERVER_AUTH_MODE | CheckId::SERVER_AGENT_STATUS);
    let first = f.check.as_str() == CheckId::ROLE_WRONG_SHARE_SCOPE;
    (derived, severity(f.status), u8::from(!first), index)
}

/// The storage account a finding's scope (or resource) lies in, lower-cased.
fn account_of(f: &Finding) -> Option<String> {
    let from = |s: &str| {
        ResourceId::parse(s).ok().and_then(|id| id.storage_account()).map(|a| a.as_str().to_ascii_lowercase())
    };
    f.scope.as_ref().and_then(|s| from(s)).or_else(|| from(&f.resource_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(check: CheckId, status: Status, resource: &str, command: Option<&str>) -> Finding {
        let f = Finding::new(check, status, resource, resource, "m");
        match command {
            Some(c) => f.fix("do it", Some(c.to_string())),
            None => f,
        }
    }

    #[test]
    fn one_fix_is_one_cause_and_passes_belong_to_none() {
        let findings = vec![
            f(CheckId::STORAGE_TRUSTED_SERVICES, Status::Fail, "/a", Some("Update-X a")),
            f(CheckId::SERVICE_IDENTITY, Status::Pass, "/s", None),
            f(CheckId::STORAGE_LOCK, Status::Warning, "/a", Some("Update-X a")),
            f(CheckId::SERVER_AGENT_VERSION, Status::Warning, "/r1", None),
            f(CheckId::SERVER_AGENT_STATUS, Status::Warning, "/R1", None),
            f(CheckId::SERVER_AGENT_STATUS, Status::Unknown, "/r2", None),
        ];
        let causes = of(&findings);
        let groups: Vec<Vec<usize>> = causes.iter().map(|c| c.findings.clone()).collect();
        assert_eq!(groups, vec![vec![0, 2], vec![3, 4], vec![5]]);
        assert_eq!(causes[0].status, Status::Fail);
        assert_eq!(causes[1].finding, 3, "the version names the cause, not its support status");
        assert_eq!(causes[2].status, Status::Unknown);
    }

    #[test]
    fn a_live_error_joins_the_finding_that_explains_it() {
        let explained =
            f(CheckId::STORAGE_SHARED_KEY_ACCESS, Status::Fail, "/acct", Some("Set-X")).codes(&["0x80c8307c"]);
        let live = f(CheckId::SYNC_LIVE_ERRORS, Status::Fail, "/ep", None)
            .codes(&["0x80c8307c", "0x80c8305f"])
            .evidence("explainedBy", CheckId::STORAGE_SHARED_KEY_ACCESS)
            .evidence("explainingResource", "/ACCT");
        let causes = of(&[live, explained]);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].finding, 1);
        assert_eq!(causes[0].findings, vec![1, 0]);
        assert_eq!(causes[0].error_codes, vec!["0x80c8307c".to_string(), "0x80c8305f".to_string()]);
    }
}
