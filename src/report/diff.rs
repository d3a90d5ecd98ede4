//! A snapshot diff for people (table) and for tickets and wikis (Markdown).

use serde_json::Value;

use crate::diff::*;
use crate::model::findings::Status;

/// The diff for people.
pub fn render_table(d: &Diff) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "What moved in {}\nbetween {} and {}\n\n",
        describe(&d.target),
        crate::model::text::when(d.old.collected_at),
        crate::model::text::when(d.new.collected_at)
    ));
    if !d.role_assignments.is_empty() {
        out.push_str("Role assignments:\n");
        for r in &d.role_assignments {
            out.push_str(&format!("  {} {} for {} at {}\n", r.change.sign(), r.role_name, r.principal_id, r.scope));
        }
        out.push('\n');
    }
    if !d.settings.is_empty() {
        out.push_str("Settings:\n");
        for s in &d.settings {
            out.push_str(&format!(
                "  ~ {} '{}': {}: {} -> {}\n",
                s.kind,
                s.resource_name,
                s.field,
                value(&s.old),
                value(&s.new)
            ));
        }
        out.push('\n');
    }
    if !d.resources.is_empty() {
        out.push_str("Resources:\n");
        for r in &d.resources {
            out.push_str(&format!("  {} {} '{}' ({})\n", r.change.sign(), r.kind, r.resource_name, r.resource_id));
        }
        out.push('\n');
    }
    if !d.findings.is_empty() {
        out.push_str("Findings:\n");
        for f in &d.findings {
            out.push_str(&format!("  {} -> {}  {}  {}\n", status(f.old), status(f.new), f.check, f.resource_name));
        }
        out.push('\n');
    }
    for n in &d.notes {
        out.push_str(&format!("Note: {n}\n"));
    }
    out.push_str(&headline(d));
    out.push('\n');
    out
}

/// Markdown cell text: pipes and line breaks escaped.
fn md(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// The diff for tickets and wikis.
pub fn render_markdown(d: &Diff) -> String {
    let mut out = format!(
        "# What moved\n\n{}, between {} and {}.\n\n**{}**\n\n",
        md(&describe(&d.target)),
        crate::model::text::when(d.old.collected_at),
        crate::model::text::when(d.new.collected_at),
        headline(d)
    );
    if !d.role_assignments.is_empty() {
        out.push_str("## Role assignments\n\n| change | role | principal | scope |\n|---|---|---|---|\n");
        for r in &d.role_assignments {
            out.push_str(&format!(
                "| {:?} | {} | `{}` | `{}` |\n",
                r.change,
                md(&r.role_name),
                md(&r.principal_id),
                md(&r.scope)
            ));
        }
        out.push('\n');
    }
    if !d.settings.is_empty() {
        out.push_str("## Settings\n\n| resource | kind | field | old | new |\n|---|---|---|---|---|\n");
        for s in &d.settings {
            out.push_str(&format!(
                "| {} | {} | `{}` | `{}` | `{}` |\n",
                md(&s.resource_name),
                s.kind,
                md(&s.field),
                md(&value(&s.old)),
                md(&value(&s.new))
            ));
        }
        out.push('\n');
    }
    if !d.resources.is_empty() {
        out.push_str("## Resources\n\n| change | kind | name | id |\n|---|---|---|---|\n");
        for r in &d.resources {
            out.push_str(&format!(
                "| {:?} | {} | {} | `{}` |\n",
                r.change,
                r.kind,
                md(&r.resource_name),
                md(&r.resource_id)
            ));
        }
        out.push('\n');
    }
    if !d.findings.is_empty() {
        out.push_str("## Findings\n\n| was | is | check | resource |\n|---|---|---|---|\n");
        for f in &d.findings {
            out.push_str(&format!(
                "| {} | {} | `{}` | {} |\n",
                status(f.old),
                status(f.new),
                f.check,
                md(&f.resource_name)
            ));
        }
        out.push('\n');
    }
    for n in &d.notes {
        out.push_str(&format!("> Note: {}\n", md(n)));
    }
    out
}

fn status(s: Option<Status>) -> &'static str {
    s.map(Status::as_str).unwrap_or("absent")
}

fn value(v: &Value) -> String {
    match v {
        Value::Null => "(absent)".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn headline(d: &Diff) -> String {
    let s = &d.summary;
    if d.is_empty() {
        "Nothing moved.".to_string()
    } else {
        let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        format!(
            "{}, {}, {}, {}.",
            n(s.role_assignments, "role assignment added or removed", "role assignments added or removed"),
            n(s.settings, "setting changed", "settings changed"),
            n(s.resources, "resource added or removed", "resources added or removed"),
            n(s.findings, "finding changed status", "findings changed status")
        )
    }
}
