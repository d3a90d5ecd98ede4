//! The table of a report over many services: the verdict over the set, what the scope left out, one
//! line per service (worst first), then each service that needs attention in full.

use crate::model::tenant::TenantReport;

use super::table::{render_table_with, TableStyle};

/// The short form of a service id: `name (resource group, subscription)`.
fn short(id: &str) -> String {
    let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        [_, sub, _, rg, _, _, _, name] => format!("{name} (resource group {rg}, subscription {sub})"),
        [_, sub, _, rg] => format!("resource group {rg} (subscription {sub})"),
        _ => id.to_string(),
    }
}

/// Render the report; each service that does not pass is shown in full under its verdict line.
pub fn render_tenant_table(report: &TenantReport, style: TableStyle) -> String {
    let mut out = String::new();
    let count = |v: &str| report.services.iter().filter(|s| s.verdict == v).count();
    let scopes: Vec<String> = report
        .coverage
        .iter()
        .map(|c| {
            format!(
                "{} ({} subscriptions, {} answered, {} services listed, {} Resource Graph requests)",
                c.scope,
                c.subscriptions_in_scope,
                c.subscriptions_answered,
                c.services_listed,
                c.resource_graph_requests
            )
        })
        .collect();
    if !scopes.is_empty() {
        out.push_str(&format!("Scope: {}\n", scopes.join("; ")));
    }
    out.push_str(&format!(
        "Verdict: {} over {} Storage Sync Services ({} fail, {} incomplete, {} pass)\n",
        report.verdict.to_ascii_uppercase(),
        report.services.len(),
        count("fail"),
        count("incomplete"),
        count("pass"),
    ));
    for gap in &report.gaps {
        out.push_str(&format!("  not whole: {gap}\n"));
    }
    for gone in &report.services_gone {
        out.push_str(&format!("  gone: {} is listed by Resource Graph but no longer exists in ARM\n", short(gone)));
    }
    out.push('\n');
    for s in &report.services {
        let sum = &s.report.summary;
        out.push_str(&format!(
            "{:<10}  {}  {} fail, {} warning, {} unknown, {} pass\n",
            s.verdict.to_ascii_uppercase(),
            short(&s.id),
            sum.fail,
            sum.warning,
            sum.unknown,
            sum.pass
        ));
    }
    for s in report.services.iter().filter(|s| s.verdict != "pass") {
        out.push_str(&format!("\n=== {}: {} ===\n", s.verdict.to_ascii_uppercase(), short(&s.id)));
        out.push_str(&render_table_with(&s.report, style, None));
    }
    out
}
