//! The Markdown report, for tickets and wikis: a summary table, a Mermaid picture of the deployment with
//! failed links in red, and a section per resource (problems in full, passes folded away).

use std::fmt::Write;

use super::common::{
    attention, check_title, describe_target, groups, resource_kind, resource_label, several_services, status_word,
    verdict,
};
use super::diagram::{Diagram, NodeKind};
use crate::model::findings::{Report, Status};
use crate::model::snapshot::Snapshot;

fn icon(s: Status) -> &'static str {
    match s {
        Status::Fail => "❌",
        Status::Warning => "⚠️",
        Status::Unknown => "❓",
        Status::Pass => "✅",
        Status::NotApplicable => "➖",
    }
}

/// Escape text for Markdown prose: every character Markdown or HTML could act on is backslash-escaped,
/// line breaks become spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '#' | '~' | '!' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An inline code span that holds `text` exactly (longer fences when it contains backticks).
pub fn code(text: &str) -> String {
    let text = text.replace(['\r', '\n'], " ");
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

fn longest_run(text: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A fenced code block that holds `text` exactly.
fn code_block(out: &mut String, lang: &str, text: &str) {
    let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
    let _ = writeln!(out, "{fence}{lang}\n{}\n{fence}", text.trim_end_matches(['\r', '\n']));
}

/// Escape text for a quoted Mermaid label (`id["..."]`): Mermaid's `#name;` entity codes for everything
/// that could end the label or be read as markup.
pub fn mermaid_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The Mermaid `flowchart` of the deployment (without the code fence).
pub fn mermaid(diagram: &Diagram) -> String {
    let mut out = String::from("flowchart LR\n");
    let node_line = |n: &super::diagram::Node| {
        let text = format!("{}<br/>{}", n.kind.caption(), mermaid_label(&n.label));
        match n.kind {
            NodeKind::Service => format!("{}{{{{\"{text}\"}}}}", n.id),
            NodeKind::SyncGroup => format!("{}([\"{text}\"])", n.id),
            NodeKind::Share => format!("{}[(\"{text}\")]", n.id),
            _ => format!("{}[\"{text}\"]", n.id),
        }
    };
    for n in diagram.nodes.iter().filter(|n| n.account.is_none()) {
        let _ = writeln!(out, "    {}", node_line(n));
    }
    for a in &diagram.accounts {
        let _ = writeln!(out, "    subgraph {}[\"Storage account {}\"]", a.id, mermaid_label(&a.name));
        for &s in &a.shares {
            let _ = writeln!(out, "        {}", node_line(&diagram.nodes[s]));
        }
        let _ = writeln!(out, "    end");
    }
    for e in &diagram.edges {
        let arrow = if e.failed { "-- failed -->" } else { "-->" };
        let _ = writeln!(out, "    {} {arrow} {}", diagram.nodes[e.from].id, diagram.nodes[e.to].id);
    }
    let red: Vec<String> =
        diagram.edges.iter().enumerate().filter(|(_, e)| e.failed).map(|(i, _)| i.to_string()).collect();
    if !red.is_empty() {
        let _ = writeln!(out, "    linkStyle {} stroke:red,stroke-width:3px,color:red", red.join(","));
    }
    let _ = writeln!(out, "    classDef fail fill:#fde7e9,stroke:#c50f1f,stroke-width:2px,color:#000");
    let _ = writeln!(out, "    classDef warn fill:#fff4ce,stroke:#bc4b09,stroke-width:2px,color:#000");
    let _ = writeln!(out, "    classDef ok fill:#e7f5e9,stroke:#107c10,color:#000");
    let mut classes: [(&str, Vec<&str>); 3] = [("fail", vec![]), ("warn", vec![]), ("ok", vec![])];
    let statuses = diagram
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.status))
        .chain(diagram.accounts.iter().map(|a| (a.id.as_str(), a.status)));
    for (id, status) in statuses {
        let slot = match status {
            Some(Status::Fail) => 0,
            Some(Status::Warning | Status::Unknown) => 1,
            Some(Status::Pass | Status::NotApplicable) => 2,
            None => continue,
        };
        classes[slot].1.push(id);
    }
    for (class, ids) in classes {
        if !ids.is_empty() {
            let _ = writeln!(out, "    class {} {class}", ids.join(","));
        }
    }
    out
}

/// Render the report as Markdown.
pub fn render_markdown(report: &Report, snapshot: &Snapshot) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(out, "# Azure File Sync managed identities\n");
    let _ = writeln!(out, "- **Target:** {}", escape(&describe_target(&report.target)));
    let _ = writeln!(out, "- **Collected:** {}", report.collected_at.format("%Y-%m-%d %H:%M UTC"));
    let _ = writeln!(out, "- **Tool:** filesync-identity {}", escape(&report.tool_version));
    let icon_v = if s.fail > 0 {
        icon(Status::Fail)
    } else if s.warning + s.unknown > 0 {
        icon(Status::Warning)
    } else {
        icon(Status::Pass)
    };
    let _ = writeln!(out, "- **Verdict:** {icon_v} {}\n", verdict(s));

    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(out, "| Status | Findings |\n| --- | ---: |");
    for (st, n) in [
        (Status::Fail, s.fail),
        (Status::Warning, s.warning),
        (Status::Unknown, s.unknown),
        (Status::Pass, s.pass),
        (Status::NotApplicable, s.not_applicable),
    ] {
        let _ = writeln!(out, "| {} {} | {n} |", icon(st), status_word(st));
    }
    let _ = writeln!(out, "| **Total** | **{}** |\n", s.total);

    let groups = groups(report);
    let attention = attention(report, &groups);
    if !attention.is_empty() {
        let _ = writeln!(out, "## Needs attention\n");
        let _ = writeln!(out, "| Status | Resource | Check | Explains |\n| --- | --- | --- | --- |");
        let several = several_services(report);
        for (_, i) in attention {
            let f = &report.findings[i];
            let codes: Vec<String> = f.error_codes.iter().map(|c| code(c)).collect();
            let _ = writeln!(
                out,
                "| {} {} | {} {} | {} | {} |",
                icon(f.status),
                status_word(f.status),
                escape(resource_kind(&f.resource_id)),
                escape(&resource_label(f, several)),
                escape(check_title(&f.check)),
                codes.join(", ")
            );
        }
        out.push('\n');
    }

    let diagram = Diagram::build(report, snapshot);
    if !diagram.nodes.is_empty() {
        let _ = writeln!(out, "## Deployment\n");
        let _ = writeln!(
            out,
            "Red links carry a failed check; red boxes are resources with a failed check, amber ones need attention.\n"
        );
        let _ = writeln!(out, "```mermaid\n{}```\n", mermaid(&diagram));
    }

    let _ = writeln!(out, "## Findings\n");
    if groups.is_empty() {
        let _ = writeln!(out, "No findings.\n");
    }
    for g in &groups {
        let _ = writeln!(
            out,
            "### {} {} {}\n",
            icon(g.worst),
            escape(resource_kind(g.resource_id)),
            escape(g.resource_name)
        );
        let _ = writeln!(out, "Resource: {}\n", code(g.resource_id));
        for i in g.problems(report) {
            let f = &report.findings[i];
            let _ = writeln!(out, "#### {} {}: {}\n", icon(f.status), status_word(f.status), code(&f.check));
            let _ = writeln!(out, "{}\n", escape(&f.message));
            if let Some(r) = &f.reason {
                let _ = writeln!(out, "**Why:** {}\n", escape(r));
            }
            if let Some(r) = &f.remediation {
                let _ = writeln!(out, "**Fix:** {}\n", escape(r));
            }
            if let Some(c) = &f.command {
                let lang = if c.trim_start().split(' ').next().is_some_and(|w| w.contains('-') && !w.starts_with('-')) {
                    "powershell"
                } else {
                    "shell"
                };
                code_block(&mut out, lang, c);
                out.push('\n');
            }
            if !f.error_codes.is_empty() {
                let codes: Vec<String> = f.error_codes.iter().map(|c| code(c)).collect();
                let _ = writeln!(out, "**Explains:** {}\n", codes.join(", "));
            }
        }
        let others = g.others(report);
        if !others.is_empty() {
            let what = super::common::others_summary(report, &others);
            let _ = writeln!(out, "<details><summary>{}</summary>\n", what.join(", "));
            for i in others {
                let f = &report.findings[i];
                let _ = writeln!(out, "- {} {}: {}", icon(f.status), code(&f.check), escape(&f.message));
            }
            let _ = writeln!(out, "\n</details>\n");
        }
    }
    out
}
