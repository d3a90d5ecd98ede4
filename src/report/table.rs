//! The table report: findings grouped by resource, one line each, with the fix under every problem.

use std::fmt::Write;

use super::common::{count, describe_target, resource_kind, status_word, verdict};
use crate::model::findings::{Cause, Report, Status, Summary};

/// How to draw the table.
#[derive(Debug, Clone, Copy)]
pub struct TableStyle {
    /// ANSI colours (off for NO_COLOR, or when the output is not a terminal).
    pub color: bool,
    /// In the listing of every finding (`show_all`), show passing and not-applicable ones too (default:
    /// yes; `--problems-only` turns it off).
    pub show_passing: bool,
    /// After the causes, list every finding by resource (`--all`); else the passing ones are a count.
    pub show_all: bool,
    /// Wrap lines to this many columns (None: no wrapping). Text wraps at spaces under its own column;
    /// commands are never broken inside a word (see [`command_lines`]).
    pub width: Option<usize>,
}

impl Default for TableStyle {
    fn default() -> Self {
        TableStyle { color: false, show_passing: true, show_all: false, width: None }
    }
}

/// The width to wrap to: `COLUMNS` when set to a number (pipes, CI logs), else the terminal's, else
/// `fallback`.
pub fn output_width(columns: Option<&str>, terminal: Option<usize>, fallback: usize) -> usize {
    columns.and_then(|c| c.trim().parse::<usize>().ok()).filter(|&c| c > 0).or(terminal).unwrap_or(fallback)
}

/// Where a command that does not fit beside `run:` starts, on lines of its own.
const COMMAND_INDENT: usize = 4;

/// Narrower than this, a column of text is not worth wrapping into: the text runs on instead.
const MIN_TEXT_WIDTH: usize = 24;

/// Append `text` after `lead` (whose visible width is `indent`), wrapped at spaces so that no line is wider
/// than `width`; continuation lines start at column `indent`. `style` paints each line.
fn push_wrapped(
    out: &mut String,
    lead: &str,
    indent: usize,
    text: &str,
    width: Option<usize>,
    paint_line: &dyn Fn(&str) -> String,
) {
    let lines: Vec<std::borrow::Cow<'_, str>> = match width {
        // At spaces only: ids and GUIDs hold hyphens and must stay whole.
        Some(w) if w >= indent + MIN_TEXT_WIDTH => textwrap::wrap(
            text,
            textwrap::Options::new(w - indent).word_splitter(textwrap::WordSplitter::NoHyphenation).break_words(false),
        ),
        _ => vec![std::borrow::Cow::Borrowed(text)],
    };
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            out.push_str(lead);
        } else {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&paint_line(line));
        out.push('\n');
    }
}

/// A command as lines that fit `width` from column `indent`, broken only between words (a quoted
/// argument is one word) and joined by the shell's line continuation (PowerShell's backtick, or a
/// backslash for the command-line tool and the Azure CLI), so that copying the lines runs the command.
/// A single word longer than the line keeps its own line.
pub fn command_lines(command: &str, indent: usize, width: Option<usize>) -> Vec<String> {
    let Some(w) = width.filter(|&w| w >= indent + MIN_TEXT_WIDTH) else { return vec![command.to_string()] };
    if indent + command.len() <= w {
        return vec![command.to_string()];
    }
    let continuation =
        if command.starts_with("filesync-identity") || command.starts_with("az ") { " \\" } else { " `" };
    // Words: split at spaces outside single or double quotes.
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match (c, quote) {
            ('\'' | '"', None) => {
                quote = Some(c);
                current.push(c);
            }
            (q, Some(open)) if q == open => {
                quote = None;
                current.push(c);
            }
            (' ', None) => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    // Continuation lines are indented two more; every line but the last ends in the continuation mark.
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in words {
        let room = w - indent - if lines.is_empty() { 0 } else { 2 } - continuation.len();
        if !line.is_empty() && line.len() + 1 + word.len() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    lines.push(line);
    let last = lines.len() - 1;
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let l = if i > 0 { format!("  {l}") } else { l };
            if i < last {
                format!("{l}{continuation}")
            } else {
                l
            }
        })
        .collect()
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

/// What a repair would do for the diagnosed deployment, for the table's outlook line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairOutlook {
    /// Changes `repair` would make.
    pub changes: usize,
    /// Steps a person must take (resource name, what to do), as the plan's manual steps say.
    pub manual_steps: Vec<(String, String)>,
}

/// Render the report as text (without a repair outlook).
pub fn render_table(report: &Report, style: TableStyle) -> String {
    render_table_with(report, style, None)
}

/// Render the report as text: what needs attention first, one entry per root cause with the findings it
/// explains folded under it; then what a repair would change and what needs a person; then the passing
/// findings as a count, or (with `style.show_all`) every finding by resource.
pub fn render_table_with(report: &Report, style: TableStyle, repair: Option<&RepairOutlook>) -> String {
    let mut out = String::new();
    push_heading(&mut out, report, style);
    push_causes(&mut out, report, style);
    if let Some(r) = repair {
        push_outlook(&mut out, report, r, style);
    }
    push_the_rest(&mut out, report, style);
    push_summary(&mut out, &report.summary, style);
    out
}

fn plain(l: &str) -> String {
    l.to_string()
}

/// What the report is about and when it was collected.
fn push_heading(out: &mut String, report: &Report, style: TableStyle) {
    let what = describe_target(&report.target);
    push_wrapped(out, "", 0, &format!("Azure File Sync managed identities: {what}"), style.width, &|l| {
        paint(style.color, "1", l)
    });
    let groups_line = if report.sync_groups.is_empty() {
        String::new()
    } else {
        format!(
            "; narrowed to {} {}",
            if report.sync_groups.len() == 1 { "sync group" } else { "sync groups" },
            report.sync_groups.join(", ")
        )
    };
    let _ = writeln!(out, "Collected {}{groups_line}\n", report.collected_at.format("%Y-%m-%d %H:%M UTC"));
}

/// 1. What needs attention, by root cause.
fn push_causes(out: &mut String, report: &Report, style: TableStyle) {
    if report.causes.is_empty() {
        return;
    }
    let problems: usize = report.causes.iter().map(|c| c.findings.len()).sum();
    let heading = format!(
        "Needs attention: {} ({})",
        count(report.causes.len(), "cause", "causes"),
        count(problems, "finding", "findings")
    );
    let _ = writeln!(out, "{}\n", paint(style.color, "1", &heading));
    let number_width = report.causes.len().to_string().len();
    for (n, cause) in report.causes.iter().enumerate() {
        push_cause(out, report, cause, n + 1, number_width, style);
    }
}

/// One root cause: its own finding in full, the codes it explains, then the other findings it explains.
fn push_cause(out: &mut String, report: &Report, cause: &Cause, n: usize, number_width: usize, style: TableStyle) {
    // Text starts under the check id: "NN. STAT  ".
    let indent = number_width + 2 + 4 + 2;
    let own = &report.findings[cause.finding];
    let lead = format!("{:>number_width$}. {}  ", n, label(cause.status, style.color));
    let title = format!("{}  {} {}", own.check, resource_kind(&own.resource_id), own.resource_name);
    push_wrapped(out, &lead, indent, &title, style.width, &|l| paint(style.color, "1", l));
    push_wrapped(out, &" ".repeat(indent), indent, &own.message, style.width, &plain);
    push_details(out, own, indent, style);
    if !cause.error_codes.is_empty() {
        push_wrapped(
            out,
            &format!("{}explains: ", " ".repeat(indent)),
            indent + 10,
            &cause.error_codes.join(", "),
            style.width,
            &plain,
        );
    }
    let mut shown: Vec<&str> = own.command.iter().map(|c| c.as_str()).collect();
    for &i in &cause.findings[1..] {
        let f = &report.findings[i];
        let also = format!("also {} {} ({}): {}", status_word(f.status), f.check, f.resource_name, f.message);
        push_wrapped(out, &format!("{}- ", " ".repeat(indent)), indent + 2, &also, style.width, &plain);
        // A fix of its own, once (the grant at the right scope beside the wrong-scope removal).
        if let Some(c) = f.command.as_ref().filter(|c| !shown.contains(&c.as_str())) {
            shown.push(c.as_str());
            push_details(out, f, indent + 2, style);
        }
    }
    out.push('\n');
}

/// 2. What a repair would change, and what needs a person.
fn push_outlook(out: &mut String, report: &Report, r: &RepairOutlook, style: TableStyle) {
    if r.changes > 0 {
        push_wrapped(
            out,
            "",
            0,
            &format!(
                "A repair would make {} (see them with: filesync-identity repair --what-if).",
                count(r.changes, "change", "changes")
            ),
            style.width,
            &plain,
        );
    } else if !report.causes.is_empty() {
        push_wrapped(out, "", 0, "A repair would change nothing: what is left needs a person.", style.width, &plain);
    }
    if !r.manual_steps.is_empty() {
        let n = r.manual_steps.len();
        let _ = writeln!(out, "{} {} a person:", count(n, "step", "steps"), if n == 1 { "needs" } else { "need" });
        for (name, message) in &r.manual_steps {
            push_wrapped(out, "  - ", 4, &format!("{name}: {message}"), style.width, &plain);
        }
    }
    if r.changes > 0 || !r.manual_steps.is_empty() {
        out.push('\n');
    }
}

/// 3. Everything else: every finding by resource, or a count.
fn push_the_rest(out: &mut String, report: &Report, style: TableStyle) {
    let s = &report.summary;
    if style.show_all {
        render_by_resource(out, report, style);
    } else if s.pass + s.not_applicable > 0 {
        let line = format!(
            "Not shown: {} pass, {} not applicable (--all lists every finding by resource).\n",
            s.pass, s.not_applicable
        );
        push_wrapped(out, "", 0, &line, style.width, &plain);
    }
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings to show.\n");
    }
}

/// The counts and the verdict, coloured by the worst status.
fn push_summary(out: &mut String, s: &Summary, style: TableStyle) {
    let color = if s.fail > 0 {
        "1;31"
    } else if s.total == 0 || s.unknown > 0 {
        "35"
    } else if s.warning > 0 {
        "33"
    } else {
        "1;32"
    };
    let counts = format!(
        "Summary: {}: {} pass, {} fail, {}, {} unknown, {} not applicable.",
        count(s.total, "finding", "findings"),
        s.pass,
        s.fail,
        count(s.warning, "warning", "warnings"),
        s.unknown,
        s.not_applicable
    );
    push_wrapped(out, "", 0, &counts, style.width, &plain);
    push_wrapped(out, "", 0, verdict(s), style.width, &|l| paint(style.color, color, l));
}

/// A problem finding's why:, fix:, run: lines, starting at column `indent`.
fn push_details(out: &mut String, f: &crate::model::findings::Finding, indent: usize, style: TableStyle) {
    let pad = " ".repeat(indent);
    let detail = indent + 6;
    if let Some(r) = &f.reason {
        push_wrapped(out, &format!("{pad}why:  "), detail, r, style.width, &plain);
    }
    if let Some(r) = &f.remediation {
        push_wrapped(out, &format!("{pad}fix:  "), detail, r, style.width, &plain);
    }
    if let Some(c) = &f.command {
        // On the run: line when it fits there; else on lines of its own from column 4, so that it needs
        // few continuation lines and stays easy to copy.
        let lines = command_lines(c, detail, style.width);
        if lines.len() == 1 {
            let _ = writeln!(out, "{pad}run:  {}", paint(style.color, "36", &lines[0]));
        } else {
            let _ = writeln!(out, "{pad}run:");
            for line in command_lines(c, COMMAND_INDENT, style.width) {
                let _ = writeln!(out, "{}{}", " ".repeat(COMMAND_INDENT), paint(style.color, "36", &line));
            }
        }
    }
}

/// Every finding, grouped by resource in the order resources first appear (passing ones unless
/// `style.show_passing` is off).
fn render_by_resource(out: &mut String, report: &Report, style: TableStyle) {
    let _ = writeln!(out, "{}\n", paint(style.color, "1", "Every finding, by resource"));
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
            let lead = format!("  {}  {:width$}  ", label(f.status, style.color), f.check, width = width);
            push_wrapped(out, &lead, 10 + width, &f.message, style.width, &plain);
            if matches!(f.status, Status::Fail | Status::Warning | Status::Unknown) {
                push_details(out, f, 10 + width, style);
                if !f.error_codes.is_empty() {
                    push_wrapped(
                        out,
                        &format!("{}explains: ", " ".repeat(10 + width)),
                        10 + width + 10,
                        &f.error_codes.join(", "),
                        style.width,
                        &plain,
                    );
                }
            }
        }
        out.push('\n');
    }
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
        let snapshot =
            crate::model::snapshot::Snapshot::from_json(include_str!("../../examples/sample-deployment.json"))
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

#[cfg(test)]
mod wrapping_tests {
    use super::*;

    #[test]
    fn the_width_comes_from_columns_then_the_terminal_then_the_fallback() {
        assert_eq!(output_width(Some("80"), Some(120), 100), 80);
        assert_eq!(output_width(Some(" 132 "), None, 100), 132);
        assert_eq!(output_width(Some("wide"), Some(120), 100), 120);
        assert_eq!(output_width(Some("0"), None, 100), 100);
        assert_eq!(output_width(None, None, 100), 100);
    }

    #[test]
    fn text_wraps_at_spaces_under_its_column_and_keeps_ids_whole() {
        let mut out = String::new();
        let text = "The server has a managed identity (a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02) but still authenticates with its certificate.";
        push_wrapped(&mut out, "  WARN  x  ", 11, text, Some(50), &|l| l.to_string());
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1, "{out}");
        assert!(lines.iter().all(|l| l.len() <= 50), "{out}");
        assert!(lines[1..].iter().all(|l| l.starts_with(&" ".repeat(11)) && !l[11..].starts_with(' ')), "{out}");
        assert!(out.contains("(a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02)"), "a GUID is never split: {out}");
        let rejoined: Vec<&str> = lines.iter().map(|l| l.get(11..).unwrap_or("").trim()).collect();
        assert_eq!(rejoined.join(" "), text);
        // No width: one line.
        let mut one = String::new();
        push_wrapped(&mut one, "", 0, text, None, &|l| l.to_string());
        assert_eq!(one, format!("{text}\n"));
    }

    #[test]
    fn commands_break_between_words_with_the_shell_continuation() {
        let ps = "Set-AzStorageSyncServer -ResourceGroupName 'rg filesync prod' -StorageSyncServiceName 'contoso-filesync' -ServerId '1b7c2f0e-6a3d-4f1e-9b8c-0d2e4f6a8b02' -Identity";
        let lines = command_lines(ps, 4, Some(70));
        assert!(lines.len() > 1);
        assert!(lines[..lines.len() - 1].iter().all(|l| l.ends_with(" `")), "{lines:?}");
        // A quoted argument with spaces stays on one line; rejoining gives the command back.
        assert!(lines.iter().any(|l| l.contains("'rg filesync prod'")), "{lines:?}");
        let rejoined: Vec<String> = lines.iter().map(|l| l.trim().trim_end_matches('`').trim().to_string()).collect();
        assert_eq!(rejoined.join(" "), ps);
        // The command-line tool continues with a backslash; a command that fits stays whole.
        let cli = "filesync-identity enable-identity --resource-id /subscriptions/6f1c2b7e-4a4d-4b1e-9a7c-2d5f0e8b9c31/resourceGroups/rg/providers/Microsoft.StorageSync/storageSyncServices/svc";
        assert!(command_lines(cli, 4, Some(60))[0].ends_with(" \\"));
        assert_eq!(command_lines("Get-AzContext", 4, Some(60)), vec!["Get-AzContext".to_string()]);
        assert_eq!(command_lines(ps, 4, None), vec![ps.to_string()]);
    }
}
