//! The "On this server" part of `test --local`: the on-server findings, problems first, each with what to
//! do and where.

use crate::local::{LocalFinding, LocalReport};
use crate::model::findings::Status;

fn mark(status: Status) -> &'static str {
    match status {
        Status::Fail => "FAIL",
        Status::Warning => "WARN",
        Status::Unknown => "????",
        Status::Pass => "ok",
        Status::NotApplicable => "n/a",
    }
}

fn rank(f: &LocalFinding) -> u8 {
    match f.status {
        Status::Fail => 0,
        Status::Warning => 1,
        Status::Unknown => 2,
        Status::Pass => 3,
        Status::NotApplicable => 4,
    }
}

fn sorted(report: &LocalReport) -> Vec<&LocalFinding> {
    let mut v: Vec<&LocalFinding> = report.findings.iter().collect();
    v.sort_by_key(|f| rank(f));
    v
}

/// Plain text, for the terminal.
pub fn render_table(report: &LocalReport) -> String {
    let mut s = format!(
        "\nOn this server ({}, registered server of {})\n",
        report.server_name.as_deref().unwrap_or(&report.server_id),
        report.service_id.rsplit('/').next().unwrap_or(&report.service_id)
    );
    for f in sorted(report) {
        s.push_str(&format!("  [{:>4}] {:<15} {}\n", mark(f.status), f.check, f.message));
        if let Some(r) = &f.remediation {
            s.push_str(&format!("         fix: {r}\n"));
        }
    }
    s
}

/// A Markdown section, for tickets.
pub fn render_markdown(report: &LocalReport) -> String {
    let mut s = format!(
        "\n## On this server\n\nRegistered server `{}` of `{}`.\n\n| status | check | finding | fix |\n|---|---|---|---|\n",
        report.server_name.as_deref().unwrap_or(&report.server_id),
        report.service_id
    );
    let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
    for f in sorted(report) {
        s.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            mark(f.status),
            f.check,
            cell(&f.message),
            cell(f.remediation.as_deref().unwrap_or(""))
        ));
    }
    s
}
