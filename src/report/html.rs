//! The HTML report: one self-contained file (inline CSS, inline SVG, no scripts, no external assets) with
//! the same content as the Markdown report and the same picture, laid out here as simple layers.
//!
//! The output is also well-formed XML (void elements closed, only XML's predefined entities and numeric
//! character references), so tests can check it with a strict XML parser.

use std::collections::HashMap;
use std::fmt::Write;

use super::common::{
    attention, check_title, describe_target, groups, others_summary, resource_kind, resource_label, several_services,
    status_word, verdict, Group,
};
use super::diagram::{Diagram, Edge, Node};
use crate::model::findings::{Finding, Report, Status};
use crate::model::snapshot::Snapshot;

/// Escape text for HTML/XML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn class(s: Status) -> &'static str {
    match s {
        Status::Fail => "fail",
        Status::Warning => "warn",
        Status::Unknown => "unknown",
        Status::Pass => "pass",
        Status::NotApplicable => "na",
    }
}

const CSS: &str = r#"
:root { --fail:#c50f1f; --fail-bg:#fde7e9; --warn:#8a3707; --warn-bg:#fff4ce; --pass:#0e700e; --pass-bg:#e7f5e9;
  --unknown:#5c2e91; --unknown-bg:#efe6f7; --na:#616161; --na-bg:#f3f3f3; --ink:#1b1b1b; --muted:#5f6368;
  --line:#e1e1e1; --accent:#0f6cbd; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: var(--ink);
  font: 14px/1.5 "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 48px; }
header.top { background: #1b2a3a; color: #fff; padding: 22px 28px; }
header.top .inner { max-width: 1280px; margin: 0 auto; }
header.top h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header.top p { margin: 2px 0; color: #c9d4df; }
header.top code { color: #fff; }
h2 { font-size: 17px; margin: 28px 0 10px; }
code, pre { font-family: "Cascadia Code", Consolas, "SFMono-Regular", Menlo, monospace; font-size: 12.5px; }
.verdict { display: flex; align-items: center; gap: 12px; padding: 12px 16px; border-radius: 8px;
  font-weight: 600; margin: 20px 0 12px; border: 1px solid; }
.verdict.fail { background: var(--fail-bg); color: var(--fail); border-color: #f1bbbc; }
.verdict.warn { background: var(--warn-bg); color: var(--warn); border-color: #f9e2ae; }
.verdict.pass { background: var(--pass-bg); color: var(--pass); border-color: #9fd89f; }
.cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
  border-top: 4px solid var(--na); }
.card .n { font-size: 26px; font-weight: 700; line-height: 1.1; }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.fail { border-top-color: var(--fail); } .card.fail .n { color: var(--fail); }
.card.warn { border-top-color: #e3a21a; } .card.warn .n { color: var(--warn); }
.card.unknown { border-top-color: var(--unknown); } .card.unknown .n { color: var(--unknown); }
.card.pass { border-top-color: var(--pass); } .card.pass .n { color: var(--pass); }
.card.total { border-top-color: var(--accent); }
table.glance { width: 100%; border-collapse: collapse; }
table.glance th { text-align: left; font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; font-weight: 600; padding: 8px 12px; border-bottom: 1px solid var(--line); }
table.glance td { padding: 7px 12px; border-bottom: 1px solid #f0f0f0; vertical-align: baseline; }
table.glance tr:last-child td { border-bottom: 0; }
table.glance .kind { color: var(--muted); }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
.panel.flush { padding: 0; overflow: hidden; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.diagram { overflow-x: auto; }
.diagram svg { display: block; max-width: 100%; height: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 18px; color: var(--muted); font-size: 12.5px; margin-top: 8px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.sw { width: 14px; height: 14px; border-radius: 3px; border: 2px solid; display: inline-block; }
.sw.fail { background: var(--fail-bg); border-color: var(--fail); }
.sw.warn { background: var(--warn-bg); border-color: #bc4b09; }
.sw.pass { background: var(--pass-bg); border-color: #107c10; }
.ln { width: 26px; height: 0; border-top: 3px solid #d13438; display: inline-block; }
.ln.ok { border-top: 2px solid #a19f9d; }
article.res { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 0 0 14px;
  border-left: 5px solid var(--na); }
article.res.fail { border-left-color: var(--fail); }
article.res.warn, article.res.unknown { border-left-color: #e3a21a; }
article.res.pass { border-left-color: #107c10; }
article.res > header { padding: 10px 16px; border-bottom: 1px solid var(--line); }
article.res h3 { margin: 0; font-size: 15px; }
article.res h3 .kind { color: var(--muted); font-weight: 400; margin-right: 6px; }
article.res .rid { color: var(--muted); font-size: 11.5px; word-break: break-all; }
.finding { padding: 12px 16px; border-bottom: 1px solid #f0f0f0; }
.finding:last-child { border-bottom: 0; }
.finding .head { display: flex; gap: 10px; align-items: baseline; }
.finding .msg { margin: 4px 0 0; }
.badge { display: inline-block; min-width: 64px; text-align: center; font-size: 11px; font-weight: 700;
  letter-spacing: .05em; padding: 2px 8px; border-radius: 10px; }
.badge.fail { background: var(--fail); color: #fff; }
.badge.warn { background: #ffd335; color: #3d2a00; }
.badge.unknown { background: var(--unknown); color: #fff; }
.badge.pass { background: var(--pass-bg); color: var(--pass); }
.badge.na { background: var(--na-bg); color: var(--na); }
.check { color: var(--muted); }
dl { display: grid; grid-template-columns: 84px 1fr; gap: 6px 10px; margin: 10px 0 0; }
dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; padding-top: 2px; }
dd { margin: 0; }
pre { margin: 0; background: #1e1e1e; color: #e8e8e8; padding: 10px 12px; border-radius: 6px;
  white-space: pre-wrap; word-break: break-all; }
.code { display: inline-block; background: #eef3fb; color: #0c3b73; border-radius: 4px; padding: 0 6px;
  margin-right: 6px; }
details { padding: 8px 16px 10px; color: var(--muted); }
details summary { cursor: pointer; }
details ul { margin: 6px 0 0; padding: 0; list-style: none; }
details li { padding: 3px 0; color: var(--ink); display: flex; gap: 10px; align-items: baseline; }
footer { color: var(--muted); font-size: 12px; margin-top: 28px; }
@media print { body { background: #fff; } .panel, article.res { break-inside: avoid; } }
@media (max-width: 800px) { .cards { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
"#;

/// Render the report as one self-contained HTML file: the head, the verdict and counts, what needs
/// attention, the picture, the findings by resource, the footer.
pub fn render_html(report: &Report, snapshot: &Snapshot) -> String {
    let mut out = String::new();
    push_head(&mut out, report);
    push_verdict(&mut out, report);
    let groups = groups(report);
    push_attention(&mut out, report, &groups);
    push_diagram(&mut out, &Diagram::build(report, snapshot));
    push_findings(&mut out, report, &groups);
    push_footer(&mut out, report);
    out
}

/// The document's head (title, inline CSS) and the page header: what the report is about, when.
fn push_head(out: &mut String, report: &Report) {
    let title = match &report.target.name {
        Some(n) => format!("File Sync identity report: {n}"),
        None => "File Sync identity report".to_string(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<header class=\"top\"><div class=\"inner\"><h1>Azure File Sync managed identities</h1>\n\
         <p>{}</p>\n<p>Collected {} &#183; filesync-identity {}</p></div></header>\n<main>",
        escape(&describe_target(&report.target)),
        escape(&report.collected_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        escape(&report.tool_version)
    );
}

/// The verdict and a card per count.
fn push_verdict(out: &mut String, report: &Report) {
    let s = &report.summary;
    let vclass = if s.fail > 0 {
        "fail"
    } else if s.warning + s.unknown > 0 {
        "warn"
    } else {
        "pass"
    };
    let detail = if s.fail > 0 {
        format!(
            " {} failed {} on {} resources.",
            s.fail,
            if s.fail == 1 { "check" } else { "checks" },
            groups(report).iter().filter(|g| g.worst == Status::Fail).count()
        )
    } else {
        String::new()
    };
    let _ = writeln!(out, "<div class=\"verdict {vclass}\">{}{}</div>", escape(verdict(s)), escape(&detail));
    let _ = writeln!(out, "<div class=\"cards\">");
    for (cls, label, n) in [
        ("fail", "Fail", s.fail),
        ("warn", "Warning", s.warning),
        ("unknown", "Unknown", s.unknown),
        ("pass", "Pass", s.pass),
        ("na", "Not applicable", s.not_applicable),
        ("total", "Findings", s.total),
    ] {
        let _ =
            writeln!(out, "<div class=\"card {cls}\"><div class=\"n\">{n}</div><div class=\"l\">{label}</div></div>");
    }
    let _ = writeln!(out, "</div>");
}

/// What needs attention, at a glance, each linking to its resource below.
fn push_attention(out: &mut String, report: &Report, groups: &[Group<'_>]) {
    let attention = attention(report, groups);
    if attention.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2>Needs attention</h2>\n<div class=\"panel flush\"><table class=\"glance\">\
         <thead><tr><th>Status</th><th>Resource</th><th>Check</th><th>Explains</th></tr></thead><tbody>"
    );
    let several = several_services(report);
    for (g, i) in attention {
        let f = &report.findings[i];
        let _ = writeln!(
            out,
            "<tr><td><span class=\"badge {}\">{}</span></td><td><span class=\"kind\">{}</span> \
             <a href=\"#res-{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            class(f.status),
            status_word(f.status),
            escape(resource_kind(&f.resource_id)),
            g + 1,
            escape(&resource_label(f, several)),
            escape(check_title(&f.check)),
            f.error_codes.iter().map(|c| format!("<code class=\"code\">{}</code>", escape(c))).collect::<String>()
        );
    }
    let _ = writeln!(out, "</tbody></table></div>");
}

/// The picture of the deployment, with its legend.
fn push_diagram(out: &mut String, diagram: &Diagram) {
    if diagram.nodes.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h2>Deployment</h2>\n<div class=\"panel\"><div class=\"diagram\">");
    out.push_str(&svg(diagram));
    let _ = writeln!(
        out,
        "</div>\n<div class=\"legend\"><span><i class=\"sw fail\"></i>a check failed</span>\
         <span><i class=\"sw warn\"></i>needs attention</span><span><i class=\"sw pass\"></i>all checks pass</span>\
         <span><i class=\"ln\"></i>link with a failed check</span><span><i class=\"ln ok\"></i>link</span></div></div>"
    );
}

/// Findings by resource: problems in full, the rest folded away.
fn push_findings(out: &mut String, report: &Report, groups: &[Group<'_>]) {
    let _ = writeln!(out, "<h2>Findings</h2>");
    if groups.is_empty() {
        let _ = writeln!(out, "<div class=\"panel\">No findings.</div>");
    }
    for (n, g) in groups.iter().enumerate() {
        push_resource(out, report, n + 1, g);
    }
}

/// One resource's article (`n` is its anchor, `res-n`).
fn push_resource(out: &mut String, report: &Report, n: usize, g: &Group<'_>) {
    let _ = writeln!(
        out,
        "<article class=\"res {}\" id=\"res-{}\">\n<header><h3><span class=\"kind\">{}</span>{}</h3>\
         <div class=\"rid\">{}</div></header>",
        class(g.worst),
        n,
        escape(resource_kind(g.resource_id)),
        escape(g.resource_name),
        escape(g.resource_id)
    );
    for i in g.problems(report) {
        finding(out, &report.findings[i]);
    }
    let others = g.others(report);
    if !others.is_empty() {
        let what = others_summary(report, &others);
        let _ = writeln!(out, "<details><summary>{}</summary><ul>", escape(&what.join(", ")));
        for i in others {
            let f = &report.findings[i];
            let _ = writeln!(
                out,
                "<li><span class=\"badge {}\">{}</span><span><code class=\"check\">{}</code> {}</span></li>",
                class(f.status),
                status_word(f.status),
                escape(&f.check),
                escape(&f.message)
            );
        }
        let _ = writeln!(out, "</ul></details>");
    }
    let _ = writeln!(out, "</article>");
}

/// The footer: the tool, the snapshot's time, the exit code.
fn push_footer(out: &mut String, report: &Report) {
    let s = &report.summary;
    let _ = writeln!(
        out,
        "<footer>Generated by filesync-identity {} from a snapshot collected {}. \
         Exit code {}: {}.</footer>\n</main>\n</body>\n</html>",
        escape(&report.tool_version),
        escape(&report.collected_at.to_rfc3339()),
        if s.fail > 0 { 1 } else { 0 },
        if s.fail > 0 { "a check failed" } else { "no check failed" }
    );
}

fn finding(out: &mut String, f: &Finding) {
    let _ = writeln!(
        out,
        "<div class=\"finding\"><div class=\"head\"><span class=\"badge {}\">{}</span>\
         <code class=\"check\">{}</code></div>\n<p class=\"msg\">{}</p>",
        class(f.status),
        status_word(f.status),
        escape(&f.check),
        escape(&f.message)
    );
    let mut dl = String::new();
    if let Some(r) = &f.reason {
        let _ = write!(dl, "<dt>Why</dt><dd>{}</dd>", escape(r));
    }
    if let Some(r) = &f.remediation {
        let _ = write!(dl, "<dt>Fix</dt><dd>{}</dd>", escape(r));
    }
    if let Some(c) = &f.command {
        let _ = write!(dl, "<dt>Run</dt><dd><pre><code>{}</code></pre></dd>", escape(c));
    }
    if !f.error_codes.is_empty() {
        let codes: Vec<String> =
            f.error_codes.iter().map(|c| format!("<code class=\"code\">{}</code>", escape(c))).collect();
        let _ = write!(dl, "<dt>Explains</dt><dd>{}</dd>", codes.join(""));
    }
    if !dl.is_empty() {
        let _ = write!(out, "<dl>{dl}</dl>");
    }
    let _ = writeln!(out, "</div>");
}

// ---- The SVG picture ------------------------------------------------------------------------------------

const MARGIN: f64 = 16.0;
const HEAD: f64 = 30.0;
const COL_W: f64 = 232.0;
const COL_GAP: f64 = 64.0;
const NODE_H: f64 = 42.0;
const V_GAP: f64 = 12.0;
const ACC_HEAD: f64 = 26.0;
const ACC_PAD: f64 = 8.0;
const SHARE_GAP: f64 = 8.0;
const MAX_CHARS: usize = 30;

struct Block {
    /// Nodes in it, top to bottom.
    nodes: Vec<usize>,
    /// The storage account it frames, if any.
    account: Option<usize>,
    height: f64,
    desired: f64,
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

fn fills(status: Option<Status>) -> (&'static str, &'static str) {
    match status {
        Some(Status::Fail) => ("#fde7e9", "#c50f1f"),
        Some(Status::Warning | Status::Unknown) => ("#fff4ce", "#bc4b09"),
        Some(Status::Pass | Status::NotApplicable) => ("#f1faf1", "#107c10"),
        None => ("#f5f5f5", "#8a8886"),
    }
}

/// Lay the picture out in columns and draw it: the frame and column heads, the storage accounts'
/// frames, the links, the nodes.
pub fn svg(d: &Diagram) -> String {
    let layout = Layout::of(d);
    let mut s = String::new();
    svg_open(&mut s, &layout);
    account_frames(&mut s, d, &layout);
    links(&mut s, d, &layout);
    for (i, n) in d.nodes.iter().enumerate() {
        node(&mut s, n, col_x(n.kind.layer()), layout.y[&i]);
    }
    s.push_str("</svg>\n");
    s
}

/// Where the picture's nodes go: a column per layer, blocks placed top to bottom in each.
struct Layout {
    layers: usize,
    /// Per layer, its blocks.
    blocks: Vec<Vec<Block>>,
    /// Node -> its top.
    y: HashMap<usize, f64>,
}

/// The left edge of a layer's column.
fn col_x(layer: usize) -> f64 {
    MARGIN + layer as f64 * (COL_W + COL_GAP)
}

impl Layout {
    fn of(d: &Diagram) -> Layout {
        let layers = d.nodes.iter().map(|n| n.kind.layer()).max().map(|m| m + 1).unwrap_or(0);
        let mut layout = Layout { layers, blocks: blocks(d, layers), y: HashMap::new() };
        layout.place(d);
        layout
    }

    /// Place the endpoints first (the widest column), then each other column near what it links to.
    fn place(&mut self, d: &Diagram) {
        let y = &mut self.y;
        let order: Vec<usize> = [2usize, 1, 0, 3, 4].into_iter().filter(|&l| l < self.layers).collect();
        let mut placed_any = false;
        for &layer in &order {
            let mut col = std::mem::take(&mut self.blocks[layer]);
            for b in col.iter_mut() {
                b.desired = if placed_any { desired_top(d, b, y) } else { f64::MAX };
            }
            if placed_any {
                // Unlinked blocks (desired MAX) go last, in their own order.
                col.sort_by(|a, b| a.desired.partial_cmp(&b.desired).unwrap_or(std::cmp::Ordering::Equal));
            }
            let mut next = MARGIN + HEAD;
            for b in &col {
                let top = if b.desired == f64::MAX { next } else { b.desired.max(next) };
                for (k, &n) in b.nodes.iter().enumerate() {
                    y.insert(n, top + b.offset(k));
                }
                next = top + b.height + V_GAP;
            }
            self.blocks[layer] = col;
            placed_any = true;
        }
    }

    fn width(&self) -> f64 {
        MARGIN * 2.0 + self.layers as f64 * COL_W + (self.layers.saturating_sub(1)) as f64 * COL_GAP
    }

    fn height(&self) -> f64 {
        self.blocks.iter().flatten().map(|b| self.top(b) + b.height).fold(MARGIN + HEAD, f64::max) + MARGIN
    }

    /// The top of a block's first node (0 when it has none).
    fn top(&self, b: &Block) -> f64 {
        b.nodes.first().and_then(|n| self.y.get(n)).copied().unwrap_or(0.0)
    }
}

/// Blocks per layer: a node, or a storage account with its shares.
fn blocks(d: &Diagram, layers: usize) -> Vec<Vec<Block>> {
    let mut blocks: Vec<Vec<Block>> = (0..layers).map(|_| Vec::new()).collect();
    let mut seen_account = vec![false; d.accounts.len()];
    for (i, n) in d.nodes.iter().enumerate() {
        match n.account {
            Some(a) if !seen_account[a] => {
                seen_account[a] = true;
                let k = d.accounts[a].shares.len() as f64;
                blocks[n.kind.layer()].push(Block {
                    nodes: d.accounts[a].shares.clone(),
                    account: Some(a),
                    height: ACC_HEAD + k * NODE_H + (k - 1.0).max(0.0) * SHARE_GAP + ACC_PAD,
                    desired: 0.0,
                });
            }
            Some(_) => {}
            None => blocks[n.kind.layer()].push(Block { nodes: vec![i], account: None, height: NODE_H, desired: 0.0 }),
        }
    }
    blocks
}

/// Where a block would like its top: level with the middle of the placed nodes it links to (MAX when
/// it links to none).
fn desired_top(d: &Diagram, b: &Block, y: &HashMap<usize, f64>) -> f64 {
    let mut ys = Vec::new();
    for (k, &n) in b.nodes.iter().enumerate() {
        let offset = b.offset(k);
        for e in &d.edges {
            let other = if e.to == n {
                e.from
            } else if e.from == n {
                e.to
            } else {
                continue;
            };
            if let Some(oy) = y.get(&other) {
                ys.push(oy + NODE_H / 2.0 - offset);
            }
        }
    }
    if ys.is_empty() {
        f64::MAX
    } else {
        ys.iter().sum::<f64>() / ys.len() as f64 - NODE_H / 2.0
    }
}

impl Block {
    /// The offset of its `k`-th node from its top (shares sit under their account's heading).
    fn offset(&self, k: usize) -> f64 {
        if self.account.is_some() {
            ACC_HEAD + k as f64 * (NODE_H + SHARE_GAP)
        } else {
            0.0
        }
    }
}

/// The `<svg>` element, the arrow markers and the column heads.
fn svg_open(s: &mut String, layout: &Layout) {
    let (width, height) = (layout.width(), layout.height());
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" \
         height=\"{height:.0}\" role=\"img\" aria-label=\"Deployment diagram\" \
         font-family=\"Segoe UI, system-ui, -apple-system, Arial, sans-serif\">"
    );
    let _ = writeln!(
        s,
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" \
         orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#a19f9d\"/></marker>\
         <marker id=\"arrow-red\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" \
         orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#d13438\"/></marker></defs>"
    );
    let heads = ["Storage Sync Service", "Sync groups", "Endpoints", "Shares and servers", "Cluster nodes"];
    for (l, h) in heads.iter().enumerate().take(layout.layers) {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" font-weight=\"600\" fill=\"#5f6368\" \
             letter-spacing=\"0.6\">{}</text>",
            col_x(l),
            MARGIN + 12.0,
            escape(&h.to_uppercase())
        );
    }
}

/// A dashed frame around each storage account and its shares.
fn account_frames(s: &mut String, d: &Diagram, layout: &Layout) {
    for b in layout.blocks.iter().flatten() {
        let Some(a) = b.account else { continue };
        let acc = &d.accounts[a];
        let top = layout.top(b) - ACC_HEAD;
        let (fill, stroke) = fills(acc.status);
        let bx = col_x(3) - ACC_PAD;
        let _ = writeln!(
            s,
            "<g class=\"account\" data-id=\"{}\"><title>{}</title><rect x=\"{bx:.1}\" y=\"{top:.1}\" \
             width=\"{:.1}\" height=\"{:.1}\" rx=\"8\" fill=\"{fill}\" fill-opacity=\"0.45\" stroke=\"{stroke}\" \
             stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" \
             font-weight=\"600\" fill=\"#1b1b1b\">{}</text></g>",
            acc.id,
            escape(&format!("Storage account {}\n{}", acc.name, acc.resource_id)),
            COL_W + 2.0 * ACC_PAD,
            b.height,
            bx + 10.0,
            top + 17.0,
            escape(&truncate(&format!("Storage account {}", acc.name), MAX_CHARS + 2))
        );
    }
}

/// The links: grey first, red on top.
fn links(s: &mut String, d: &Diagram, layout: &Layout) {
    let y = &layout.y;
    let link = |s: &mut String, e: &Edge| {
        let (a, b) = (&d.nodes[e.from], &d.nodes[e.to]);
        let (x1, y1) = (col_x(a.kind.layer()) + COL_W, y[&e.from] + NODE_H / 2.0);
        let (x2, y2) = (col_x(b.kind.layer()) - if b.account.is_some() { 0.0 } else { 2.0 }, y[&e.to] + NODE_H / 2.0);
        let mx = (x1 + x2) / 2.0;
        let (stroke, w, marker) = if e.failed { ("#d13438", 3.0, "arrow-red") } else { ("#a19f9d", 1.5, "arrow") };
        let _ = writeln!(
            s,
            "<path class=\"link{}\" data-from=\"{}\" data-to=\"{}\" d=\"M{x1:.1},{y1:.1} C{mx:.1},{y1:.1} \
             {mx:.1},{y2:.1} {x2:.1},{y2:.1}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{w}\" \
             marker-end=\"url(#{marker})\"/>",
            if e.failed { " failed" } else { "" },
            a.id,
            b.id
        );
    };
    for e in d.edges.iter().filter(|e| !e.failed) {
        link(s, e);
    }
    for e in d.edges.iter().filter(|e| e.failed) {
        link(s, e);
    }
}

fn node(s: &mut String, n: &Node, x: f64, y: f64) {
    let (fill, stroke) = fills(n.status);
    let w = COL_W;
    let status = match n.status {
        Some(st) => status_word(st),
        None => "no checks",
    };
    let _ = writeln!(
        s,
        "<g class=\"node\" data-id=\"{}\"><title>{}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" \
         height=\"{NODE_H}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" fill=\"#5f6368\">{}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"600\" fill=\"#1b1b1b\">{}</text></g>",
        n.id,
        escape(&format!("{}: {}\n{}\n{status}", n.kind.caption(), n.label, n.resource_id)),
        if n.status == Some(Status::Fail) { 2.0 } else { 1.2 },
        x + 10.0,
        y + 15.0,
        escape(n.kind.caption()),
        x + 10.0,
        y + 32.0,
        escape(&truncate(&n.label, MAX_CHARS))
    );
}
