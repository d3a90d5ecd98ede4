//! Rendering reports: a table for people at a terminal, JSON for programs.

mod table;

pub use table::{render_table, TableStyle};

use crate::findings::Report;

/// Output formats of `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> crate::Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "table" | "text" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            other => Err(crate::Error::invalid_input(format!("unknown format '{other}': use table or json"))),
        }
    }
}

/// The JSON report, pretty-printed, with a trailing newline.
pub fn render_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a report always serializes");
    s.push('\n');
    s
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
