//! Rendering reports: a table for people at a terminal, JSON for programs (schema:
//! `docs/report.schema.json`), Markdown for tickets and wikis (with a Mermaid diagram) and one
//! self-contained HTML file (with the same diagram as inline SVG).

mod activity;
mod apply;
mod catalog;
mod common;
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
pub use common::{count, verdict};
pub use diagram::Diagram;
pub use diff::{render_markdown as render_diff_markdown, render_table as render_diff_table};
pub use html::render_html;
pub use local::{render_markdown as render_local_markdown, render_table as render_local_table};
pub use markdown::render_markdown;
pub use plan::render_plan_table;
pub use table::{command_lines, output_width, render_table, render_table_with, RepairOutlook, TableStyle};
pub use tenant::render_tenant_table;

use crate::model::findings::Report;

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
