//! The table report: findings grouped by resource, one line each, with the fix under every problem.

use std::fmt::Write;

use super::resource_kind;
use crate::findings::{Report, Status};

/// How to draw the table.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    /// ANSI colours (off for NO_COLOR, or when the output is not a terminal).
    pub color: bool,
    /// Show passing and not-applicable findings too (default: yes).
    pub show_passing: bool,
}

impl Default for TableStyle {
    fn default() -> Self {
        TableStyle { color: false, show_passing: true }
    }
}

impl TableStyle {
    /// Colour only when stdout is a terminal and `NO_COLOR` is unset or empty (<https://no-color.org>).
    pub fn detect(stdout_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> TableStyle {
        let no_color = no_color.is_some_and(|v| !v.is_empty());
        TableStyle { color: stdout_is_terminal && !no_color, ..TableStyle::default() }
    }
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn label(status: Status, color: bool) -> String {
    let (text, code) = match status {
        Status::Pass => ("PASS", "32"),
        Status::Fail => ("FAIL", "1;31"),
        Status::Warning => ("WARN", "33"),
        Status::Unknown => ("UNKN", "35"),
        Status::NotApplicable => ("n/a ", "2"),
    };
    paint(color, code, text)
}

/// Render the report as text.
pub fn render_table(report: &Report, style: TableStyle) -> String {
    let mut out = String::new();
    let t = &report.target;
    let what = match (&t.resource_group, &t.name) {
        (Some(rg), Some(n)) => {
            format!("Storage Sync Service '{n}' (resource group {rg}, subscription {})", t.subscription_id)
        }
        (Some(rg), None) => {
            format!("every Storage Sync Service in resource group {rg} (subscription {})", t.subscription_id)
        }
        _ => format!("every Storage Sync Service in subscription {}", t.subscription_id),
    };
    let _ = writeln!(out, "{}", paint(style.color, "1", &format!("Azure File Sync managed identities: {what}")));
    let _ = writeln!(out, "Collected {}\n", report.collected_at.format("%Y-%m-%d %H:%M UTC"));

    // Group by resource, in the order resources first appear.
    let mut groups: Vec<(&str, &str, Vec<usize>)> = Vec::new();
    for (i, f) in report.findings.iter().enumerate() {
        if !style.show_passing && matches!(f.status, Status::Pass | Status::NotApplicable) {
            continue;
        }
        match groups.iter_mut().find(|g| g.0.eq_ignore_ascii_case(&f.resource_id)) {
            Some(g) => g.2.push(i),
            None => groups.push((&f.resource_id, &f.resource_name, vec![i])),
        }
    }
    let width = report.findings.iter().map(|f| f.check.len()).max().unwrap_or(10);
    for (id, name, idx) in &groups {
        let _ = writeln!(out, "{} {}", paint(style.color, "1", resource_kind(id)), paint(style.color, "1;36", name));
        for &i in idx {
            let f = &report.findings[i];
            let _ =
                writeln!(out, "  {}  {:width$}  {}", label(f.status, style.color), f.check, f.message, width = width);
            let pad = " ".repeat(10 + width);
            if matches!(f.status, Status::Fail | Status::Warning | Status::Unknown) {
                if let Some(r) = &f.reason {
                    let _ = writeln!(out, "{pad}why:  {r}");
                }
                if let Some(r) = &f.remediation {
                    let _ = writeln!(out, "{pad}fix:  {r}");
                }
                if let Some(c) = &f.command {
                    let _ = writeln!(out, "{pad}run:  {}", paint(style.color, "36", c));
                }
                if !f.error_codes.is_empty() {
                    let _ = writeln!(out, "{pad}explains: {}", f.error_codes.join(", "));
                }
            }
        }
        out.push('\n');
    }
    if groups.is_empty() {
        let _ = writeln!(out, "No findings to show.\n");
    }
    let s = &report.summary;
    let color = if s.fail > 0 {
        "1;31"
    } else if s.total == 0 || s.unknown > 0 {
        "35"
    } else if s.warning > 0 {
        "33"
    } else {
        "1;32"
    };
    let verdict = paint(style.color, color, super::verdict(s));
    let _ = writeln!(
        out,
        "Summary: {}: {} pass, {} fail, {}, {} unknown, {} not applicable. {verdict}",
        super::count(s.total, "finding", "findings"),
        s.pass,
        s.fail,
        super::count(s.warning, "warning", "warnings"),
        s.unknown,
        s.not_applicable
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(TableStyle::detect(true, None).color);
        assert!(!TableStyle::detect(true, Some(OsStr::new("1"))).color, "NO_COLOR=1 turns colour off");
        assert!(!TableStyle::detect(true, Some(OsStr::new("false"))).color, "any non-empty NO_COLOR counts");
        assert!(TableStyle::detect(true, Some(OsStr::new(""))).color, "an empty NO_COLOR is ignored");
        assert!(!TableStyle::detect(false, None).color, "plain when not a terminal");
        assert!(!TableStyle::detect(false, Some(OsStr::new("1"))).color);
        assert!(TableStyle::detect(true, None).show_passing);
    }

    #[test]
    fn plain_style_writes_no_escape_codes() {
        let snapshot = crate::snapshot::Snapshot::from_json(include_str!("../../examples/sample-deployment.json"))
            .expect("the sample parses");
        let ctx = crate::checks::CheckContext::at(snapshot.collected_at);
        let report = crate::checks::report(&snapshot, &ctx, &Default::default());
        let plain = render_table(&report, TableStyle::detect(true, Some(OsStr::new("1"))));
        assert!(!plain.contains('\x1b'), "NO_COLOR output has no ANSI escapes");
        let coloured = render_table(&report, TableStyle::detect(true, None));
        assert!(coloured.contains("\x1b[1;31mFAIL\x1b[0m"), "a terminal gets colours");
        let stripped = strip_ansi(&coloured);
        assert_eq!(stripped, plain, "colour changes nothing but the escapes");
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
