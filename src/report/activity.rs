//! The Activity Log's line under the table report.

use crate::model::snapshot::{ActivityLogScope, Snapshot};

/// One line about the Activity Log for the table: what was read, or why not. `None` when it was not asked
/// for (or the snapshot predates it).
pub fn summary_line(snapshot: &Snapshot) -> Option<String> {
    let log = snapshot.activity_log.as_ref()?;
    let unread: Vec<&ActivityLogScope> = log.scopes.iter().filter(|s| !s.read).collect();
    if let Some(first) = unread.first() {
        let groups: Vec<&str> = unread.iter().map(|s| s.resource_group.as_str()).collect();
        return Some(format!(
            "Activity Log: could not be read for {} ({}); who changed what is not shown there (Reader on the resource group suffices).",
            groups.join(", "),
            first.error.as_deref().unwrap_or("refused")
        ));
    }
    if log.events.is_empty() {
        return Some(format!("Activity Log: no changes to the deployment in the last {} days.", log.days));
    }
    None
}
