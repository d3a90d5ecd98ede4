//! An apply report as a readable table (the command line's `apply`, `repair` and `enable-identity`).

use crate::repair::apply::{ApplyReport, Outcome};

/// The results as a readable table.
pub fn render_report_table(report: &ApplyReport) -> String {
    let mut s = String::new();
    s.push_str(if report.what_if { "What-if (nothing was sent):\n" } else { "Results:\n" });
    for r in &report.results {
        let label = match r.outcome {
            Outcome::Created => "DONE",
            Outcome::AlreadyPresent => "ALREADY",
            Outcome::Skipped => "SKIPPED",
            Outcome::Failed => "FAILED",
            Outcome::WouldChange => "WOULD",
        };
        s.push_str(&format!("  {label:<8} {}\n", r.title));
        s.push_str(&format!("           {}\n", r.message));
        let mut ids = Vec::new();
        if let Some(c) = &r.arm_code {
            ids.push(format!("code {c}"));
        }
        if let Some(q) = &r.request_id {
            ids.push(format!("request id {q}"));
        }
        let already_said = r.request_id.as_deref().is_some_and(|q| r.message.contains(q));
        if !ids.is_empty() && r.outcome == Outcome::Failed && !already_said {
            s.push_str(&format!("           ({})\n", ids.join(", ")));
        }
    }
    if !report.manual_steps.is_empty() {
        s.push_str("\nStill to do by hand:\n");
        for m in &report.manual_steps {
            s.push_str(&format!("  - {}\n", m.message));
        }
    }
    s.push_str(&format!("\nSummary: {}\n", report.summary.message));
    s
}
