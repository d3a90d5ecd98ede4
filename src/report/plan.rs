//! A plan as a readable table (the command line's `repair`, `enable-identity` and `apply`).

use crate::repair::plan::*;

/// The plan as a readable table.
pub fn render_plan_table(plan: &Plan) -> String {
    let mut s = String::new();
    let target = match (&plan.target.resource_group, &plan.target.name) {
        (Some(rg), Some(n)) => format!("Storage Sync Service '{n}' (resource group '{rg}')"),
        (Some(rg), None) => format!("resource group '{rg}'"),
        _ => format!("subscription {}", plan.target.subscription_id),
    };
    s.push_str(&format!(
        "Plan ({}) for {target}: {} change{}\n",
        plan.kind.as_str(),
        plan.changes.len(),
        if plan.changes.len() == 1 { "" } else { "s" }
    ));
    if plan.changes.is_empty() {
        s.push_str("  Nothing to change.\n");
    }
    for (i, c) in plan.changes.iter().enumerate() {
        s.push_str(&format!("\n{:>3}. {}\n", i + 1, c.title));
        if c.security_posture_change {
            s.push_str("     ! SECURITY POSTURE CHANGE\n");
        }
        s.push_str(&format!("     id:      {}\n", c.id));
        for r in &c.reasons {
            s.push_str(&format!("     why:     [{}] {}\n", r.check, r.message));
        }
        s.push_str(&format!("     request: {} {}\n", c.method(), c.request.path));
        if !c.depends_on.is_empty() {
            s.push_str(&format!("     after:   {}\n", c.depends_on.join(", ")));
        }
    }
    if !plan.manual_steps.is_empty() {
        s.push_str("\nManual steps (not done by this tool):\n");
        for m in &plan.manual_steps {
            s.push_str(&format!("  - {}\n", m.message));
            if let Some(c) = &m.command {
                s.push_str(&format!("    run: {c}\n"));
            }
        }
    }
    if !plan.notes.is_empty() || !plan.unchanged.is_empty() {
        s.push_str("\nNotes:\n");
        for n in plan.notes.iter().chain(&plan.unchanged) {
            s.push_str(&format!("  - {n}\n"));
        }
    }
    s
}
