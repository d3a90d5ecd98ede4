//! Rendering reports: a table for people at a terminal, JSON for programs (schema:
//! `docs/report.schema.json`), Markdown for tickets and wikis (with a Mermaid diagram) and one
//! self-contained HTML file (with the same diagram as inline SVG).

mod activity;
mod apply;
mod catalog;
pub mod diagram;
mod diff;
mod html;
mod local;
mod markdown;
mod plan;
mod table;
mod tenant;

pub use activity::summary_line as activity_summary_line;
pub use apply::render_report_table as render_apply_table;
pub use catalog::render_json as catalog_entry_json;
pub use catalog::render_text as render_catalog_entry;
pub use diagram::Diagram;
pub use diff::{render_markdown as render_diff_markdown, render_table as render_diff_table};
pub use html::render_html;
pub use local::{render_markdown as render_local_markdown, render_table as render_local_table};
pub use markdown::render_markdown;
pub use plan::render_plan_table;
pub use table::{command_lines, output_width, render_table, render_table_with, RepairOutlook, TableStyle};
pub use tenant::render_tenant_table;

use crate::model::findings::{Finding, Report, Status};

/// Output formats of `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Markdown,
    Html,
}

impl Format {
    pub fn parse(s: &str) -> crate::Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "table" | "text" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            other => {
                Err(crate::Error::invalid_input(format!("unknown format '{other}': use table, json, markdown or html")))
            }
        }
    }
}

/// The JSON report, pretty-printed, with a trailing newline.
pub fn render_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a report always serializes");
    s.push('\n');
    s
}

/// The same as [`render_json`], written to `out` as it is produced (a large report is never held twice).
pub fn write_json(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// A short human label for the kind of resource an id names.
pub fn resource_kind(resource_id: &str) -> &'static str {
    let lower = resource_id.to_ascii_lowercase();
    if lower.contains("/serverendpoints/") {
        "Server endpoint"
    } else if lower.contains("/cloudendpoints/") {
        "Cloud endpoint"
    } else if lower.contains("/registeredservers/") {
        "Registered server"
    } else if lower.contains("/syncgroups/") {
        "Sync group"
    } else if lower.contains("/microsoft.storagesync/storagesyncservices/") {
        "Storage Sync Service"
    } else if lower.contains("/microsoft.storage/storageaccounts/") {
        "Storage account"
    } else {
        "Resource"
    }
}

/// The name of the Storage Sync Service a resource lies inside (not the service itself), from its id.
pub fn service_of(resource_id: &str) -> Option<&str> {
    let mut segments = resource_id.split('/').filter(|s| !s.is_empty());
    segments.by_ref().find(|s| s.eq_ignore_ascii_case("storageSyncServices"))?;
    let name = segments.next()?;
    // Something below the service: a server, a sync group, an endpoint.
    segments.next().map(|_| name)
}

/// How a summary line names a finding's resource: its name, followed by its service when the report
/// covers more than one (a server or a share name can repeat from one service to the next).
pub fn resource_label<'a>(f: &'a Finding, several_services: bool) -> std::borrow::Cow<'a, str> {
    match service_of(&f.resource_id).filter(|_| several_services) {
        Some(service) => format!("{} (service {service})", f.resource_name).into(),
        None => f.resource_name.as_str().into(),
    }
}

/// Does the report cover more than one Storage Sync Service?
pub fn several_services(report: &Report) -> bool {
    let mut first: Option<&str> = None;
    for f in &report.findings {
        let service = if resource_kind(&f.resource_id) == "Storage Sync Service" {
            f.resource_id.rsplit('/').find(|s| !s.is_empty())
        } else {
            service_of(&f.resource_id)
        };
        match (first, service) {
            (None, Some(s)) => first = Some(s),
            (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => return true,
            _ => {}
        }
    }
    false
}

/// The findings about one resource, in report order.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    pub resource_id: &'a str,
    pub resource_name: &'a str,
    /// Indices into `report.findings`.
    pub findings: Vec<usize>,
    /// The worst status among them.
    pub worst: Status,
}

impl Group<'_> {
    /// Indices of the findings that need attention (fail, warning, unknown), worst first.
    pub fn problems(&self, report: &Report) -> Vec<usize> {
        let mut p: Vec<usize> =
            self.findings.iter().copied().filter(|&i| is_problem(report.findings[i].status)).collect();
        p.sort_by_key(|&i| report.findings[i].status);
        p
    }
    /// Indices of the passing and not-applicable findings.
    pub fn others(&self, report: &Report) -> Vec<usize> {
        self.findings.iter().copied().filter(|&i| !is_problem(report.findings[i].status)).collect()
    }
}

/// Fail, warning and unknown need a person's attention.
pub fn is_problem(s: Status) -> bool {
    matches!(s, Status::Fail | Status::Warning | Status::Unknown)
}

/// Findings grouped by resource (case-insensitive id), resources with failures first, then warnings and
/// unknowns, then the rest; otherwise in the order resources first appear.
pub fn groups(report: &Report) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (i, f) in report.findings.iter().enumerate() {
        match groups.iter_mut().find(|g| g.resource_id.eq_ignore_ascii_case(&f.resource_id)) {
            Some(g) => {
                g.findings.push(i);
                g.worst = g.worst.min(f.status);
            }
            None => groups.push(Group {
                resource_id: &f.resource_id,
                resource_name: &f.resource_name,
                findings: vec![i],
                worst: f.status,
            }),
        }
    }
    // A stable sort keeps first-appearance order within each rank.
    groups.sort_by_key(|g| match g.worst {
        Status::Fail => 0,
        Status::Warning | Status::Unknown => 1,
        Status::Pass | Status::NotApplicable => 2,
    });
    groups
}

/// What the report is about, in a sentence.
pub fn describe_target(t: &crate::model::snapshot::Target) -> String {
    match (&t.resource_group, &t.name) {
        (Some(rg), Some(n)) => {
            format!("Storage Sync Service '{n}' (resource group {rg}, subscription {})", t.subscription_id)
        }
        (Some(rg), None) => {
            format!("every Storage Sync Service in resource group {rg} (subscription {})", t.subscription_id)
        }
        _ => format!("every Storage Sync Service in subscription {}", t.subscription_id),
    }
}

/// The one-line verdict of a summary. Never "all passed" for a diagnosis that could not look: unknown
/// findings or no findings at all say so (see [`crate::checks::exit_code`]).
pub fn verdict(s: &crate::model::findings::Summary) -> &'static str {
    if s.fail > 0 {
        "Problems found."
    } else if s.total == 0 {
        "Nothing was checked: the target has no Storage Sync Service to diagnose (check the resource group and name)."
    } else if s.unknown > 0 {
        "Incomplete: some checks could not decide (see UNKNOWN and why); this is not a clean bill of health."
    } else if s.warning > 0 {
        "No failures, but look at the warnings."
    } else {
        "All checks passed."
    }
}

/// "1 finding", "2 findings": a count with its noun, singular or plural.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    crate::text::count(n as u64, singular, plural)
}

/// A status as a short upper-case word.
pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Fail => "FAIL",
        Status::Warning => "WARNING",
        Status::Unknown => "UNKNOWN",
        Status::Pass => "PASS",
        Status::NotApplicable => "N/A",
    }
}

/// A check's title (its id when the check is unknown to this build).
pub fn check_title(id: &str) -> &str {
    crate::checks::all().iter().find(|c| c.id == id).map(|c| c.title).unwrap_or(id)
}

/// Every finding that needs attention, as (group index, finding index): failures first, then warnings and
/// unknowns, in group order.
pub fn attention(report: &Report, groups: &[Group<'_>]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, group)| group.problems(report).into_iter().map(move |i| (g, i)))
        .collect();
    out.sort_by_key(|&(g, i)| (report.findings[i].status != Status::Fail, g));
    out
}

/// "3 passed", "2 not applicable": the folded line under a resource's problems (Markdown and HTML).
pub(crate) fn others_summary(report: &Report, others: &[usize]) -> Vec<String> {
    let pass = others.iter().filter(|&&i| report.findings[i].status == crate::model::findings::Status::Pass).count();
    let na = others.len() - pass;
    let mut what = Vec::new();
    if pass > 0 {
        what.push(format!("{pass} passed"));
    }
    if na > 0 {
        what.push(format!("{na} not applicable"));
    }
    what
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_of_names_the_service_a_resource_lies_in() {
        let svc = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.StorageSync/storageSyncServices/sync-a";
        assert_eq!(service_of(&format!("{svc}/registeredServers/x")), Some("sync-a"));
        assert_eq!(service_of(&format!("{svc}/syncGroups/g/serverEndpoints/e")), Some("sync-a"));
        assert_eq!(
            service_of(&format!("{}/syncGroups/g", svc.replace("storageSyncServices", "STORAGESYNCSERVICES"))),
            Some("sync-a")
        );
        assert_eq!(service_of(svc), None, "the service itself");
        assert_eq!(service_of(&format!("{svc}/")), None, "the service itself, with a trailing slash");
        assert_eq!(
            service_of("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"),
            None
        );
    }
}
