//! Who changed it, and when: the Activity Log behind a failing finding.
//!
//! Azure keeps 90 days of administrative events (writes and deletes, with the caller, the time, the
//! correlation id, and for role assignment deletes the deleted assignment in `properties.responseBody`):
//! <https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log-schema> . They are read with
//! ActivityLogs_List (`/subscriptions/{s}/providers/Microsoft.Insights/eventtypes/management/values`,
//! api-version 2015-04-01), whose `$filter` must give the start time and may name one resource group:
//! <https://learn.microsoft.com/azure/azure-monitor/essentials/rest-activity-log> . Reader suffices
//! (`Microsoft.Insights/eventtypes/*` is in `*/read`).
//!
//! One window (the `days` before the collection began) is read per subscription and resource group of the
//! deployment ([`query`]: the collector sends each as soon as it sees the group; [`collect`] reads them
//! for a finished snapshot), and the events that bear on it are kept in the snapshot ([`assemble`]);
//! [`crate::checks::attribution`] then ties failing findings to the events that explain them, offline,
//! from the snapshot.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::arm::{ArmClient, Priority};
use crate::error::{ErrorKind, Result};
use crate::events::{log, LogLevel};
use crate::model::resource_id::ResourceId;
use crate::model::snapshot::{ActivityEvent, ActivityLog, ActivityLogScope, MachineIdentity, MachineLookup};

/// The api-version of ActivityLogs_List.
pub const API_VERSION: &str = "2015-04-01";
/// How far back the Activity Log goes.
pub const MAX_DAYS: u32 = 90;
/// The default window.
pub const DEFAULT_DAYS: u32 = 30;
/// At most this many events are kept per query (newest first): a busy resource group's log is long, and
/// only the last change of each setting matters.
const MAX_EVENTS_PER_SCOPE: usize = 2000;

/// Check `days` (0 skips the lookup).
pub fn validate_days(days: u32) -> Result<()> {
    if days > MAX_DAYS {
        return Err(crate::Error::invalid_input(format!(
            "the Activity Log window must be 0 to {MAX_DAYS} days (Azure keeps {MAX_DAYS} days of it; 0 skips it), not {days}"
        )));
    }
    Ok(())
}

/// The operations whose events can explain a finding; others are not kept.
fn relevant(operation: &str) -> bool {
    let o = operation.to_ascii_lowercase();
    (o.ends_with("/write") || o.ends_with("/delete"))
        && (o.starts_with("microsoft.authorization/roleassignments/")
            || o.starts_with("microsoft.storage/storageaccounts/")
            || o.starts_with("microsoft.storagesync/")
            || o.starts_with("microsoft.hybridcompute/machines/")
            || o.starts_with("microsoft.compute/virtualmachines/"))
}

/// The ARM filter of one query (quotes and spaces percent-encoded for the query string).
fn filter(from: DateTime<Utc>, to: DateTime<Utc>, resource_group: &str) -> String {
    let f = format!(
        "eventTimestamp ge '{}' and eventTimestamp le '{}' and resourceGroupName eq '{}'",
        from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        // Rounded up: an event of this very second is in the window.
        (to + Duration::seconds(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        resource_group
    );
    f.replace('%', "%25").replace(' ', "%20").replace('\'', "%27").replace(':', "%3A").replace('+', "%2B")
}

/// `value` of `{"value": ..., "localizedValue": ...}`, or the string itself.
fn value_of(v: &Value) -> Option<&str> {
    v.get("value").and_then(Value::as_str).or_else(|| v.as_str())
}

/// A JSON body that ARM recorded as text (or, in some answers, as an object).
fn body(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Object(_) => v.cloned(),
        _ => None,
    }
}

/// One event from ActivityLogs_List, when it is a successful write or delete that can explain a finding.
pub fn event_from_json(v: &Value) -> Option<ActivityEvent> {
    let operation = value_of(v.get("operationName")?)?.to_string();
    let status = v.get("status").and_then(value_of).unwrap_or("");
    if !status.eq_ignore_ascii_case("Succeeded") || !relevant(&operation) {
        return None;
    }
    let at = DateTime::parse_from_rfc3339(v.get("eventTimestamp")?.as_str()?).ok()?.with_timezone(&Utc);
    let props = v.get("properties");
    let request = body(props.and_then(|p| p.get("requestbody").or_else(|| p.get("requestBody"))));
    let response = body(props.and_then(|p| p.get("responseBody")));
    let mut e = ActivityEvent {
        event_timestamp: at,
        caller: v.get("caller").and_then(Value::as_str).unwrap_or("").to_string(),
        operation_name: operation,
        resource_id: v.get("resourceId").and_then(Value::as_str).unwrap_or("").to_string(),
        correlation_id: v.get("correlationId").and_then(Value::as_str).map(str::to_string),
        principal_id: None,
        role_definition_id: None,
        scope: None,
        changed: Vec::new(),
    };
    if e.operation_name.to_ascii_lowercase().starts_with("microsoft.authorization/roleassignments/") {
        // A delete's answer is the deleted assignment; a write's request names what was granted.
        let assignment = response.as_ref().or(request.as_ref());
        let p = assignment.and_then(|a| a.get("properties"));
        let s = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str).map(str::to_string);
        e.principal_id = s("principalId").map(|x| x.to_ascii_lowercase());
        e.role_definition_id = s("roleDefinitionId");
        e.scope = s("scope").or_else(|| {
            // The assignment's own id ends in /providers/Microsoft.Authorization/roleAssignments/{name}.
            let id = e.resource_id.to_ascii_lowercase();
            id.find("/providers/microsoft.authorization/roleassignments/").map(|i| e.resource_id[..i].to_string())
        });
    } else if let Some(req) = &request {
        let mut changed = BTreeSet::new();
        if req.get("identity").is_some() {
            changed.insert("identity".to_string());
        }
        if let Some(p) = req.get("properties").and_then(Value::as_object) {
            changed.extend(p.keys().cloned());
        }
        e.changed = changed.into_iter().collect();
    }
    Some(e)
}

/// The window of a collection's queries: the `days` before `now` (None when `days` is 0).
pub fn window(days: u32, now: DateTime<Utc>) -> Result<Option<Window>> {
    validate_days(days)?;
    if days == 0 {
        return Ok(None);
    }
    // A window of exactly 90 days would start just before what ARM keeps by the time it arrives.
    let from =
        now - Duration::days(days as i64) + if days == MAX_DAYS { Duration::minutes(5) } else { Duration::zero() };
    Ok(Some(Window { days, from, to: now }))
}

/// The time window of one collection's Activity Log queries (the same for every resource group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub days: u32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// What one query of a resource group's log came to: its scope (read, or why not) and the events kept.
#[derive(Debug, Clone)]
pub struct Queried {
    pub scope: ActivityLogScope,
    pub events: Vec<ActivityEvent>,
}

/// Read one resource group's Activity Log over `window`, as a [`Background`](Priority::Background) list
/// (nothing waits on it). A query that fails is noted in its scope (the caller may lack the right); only
/// cancellation or an internal error is an `Err`.
pub async fn query(client: &ArmClient, window: &Window, subscription: &str, resource_group: &str) -> Result<Queried> {
    let (sub, rg) = (subscription.to_ascii_lowercase(), resource_group.to_ascii_lowercase());
    let path = format!(
        "/subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values?$filter={}",
        filter(window.from, window.to, &rg)
    );
    match client.list_with(&path, API_VERSION, Priority::Background).await {
        Ok(items) => {
            let mut kept: Vec<ActivityEvent> = items.iter().filter_map(event_from_json).collect();
            kept.sort_by_key(|e| std::cmp::Reverse(e.event_timestamp));
            kept.truncate(MAX_EVENTS_PER_SCOPE);
            Ok(Queried {
                scope: ActivityLogScope { subscription_id: sub, resource_group: rg, read: true, error: None },
                events: kept,
            })
        }
        Err(e) if matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Internal) => Err(e),
        Err(e) => {
            let why = match e.arm_code() {
                Some(code) => format!("{code}: {e}"),
                None => e.to_string(),
            };
            log(
                client.events(),
                LogLevel::Warning,
                format!("could not read the Activity Log of resource group {rg}: {why}"),
            );
            Ok(Queried {
                scope: ActivityLogScope { subscription_id: sub, resource_group: rg, read: false, error: Some(why) },
                events: Vec::new(),
            })
        }
    }
}

/// The log of a collection from its queries (in any order): scopes by subscription and resource group,
/// events newest first.
pub fn assemble(window: &Window, queried: Vec<Queried>) -> ActivityLog {
    let mut scopes = Vec::with_capacity(queried.len());
    let mut events = Vec::new();
    for q in queried {
        scopes.push(q.scope);
        events.extend(q.events);
    }
    scopes.sort_by(|a, b| (&a.subscription_id, &a.resource_group).cmp(&(&b.subscription_id, &b.resource_group)));
    scopes.dedup_by(|a, b| a.subscription_id == b.subscription_id && a.resource_group == b.resource_group);
    events.sort_by(|a, b| b.event_timestamp.cmp(&a.event_timestamp).then_with(|| a.resource_id.cmp(&b.resource_id)));
    events.dedup();
    ActivityLog { days: window.days, from: window.from, to: window.to, scopes, events }
}

/// The machine whose resource group's log is read: one that was read, or named but unreadable.
pub fn machine_resource(m: &MachineIdentity) -> Option<ResourceId> {
    if !matches!(m.lookup, MachineLookup::MachineRead | MachineLookup::MachineUnreadable) {
        return None;
    }
    ResourceId::parse(m.resource_id.as_deref()?).ok()
}

/// A resource's (subscription, resource group), lower case.
pub fn group_of(id: &ResourceId) -> Option<(String, String)> {
    Some((id.subscription_id()?.to_ascii_lowercase(), id.resource_group()?.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_assignment_delete_names_the_deleted_assignment() {
        let v = serde_json::json!({
            "caller": "alice@contoso.com",
            "correlationId": "c-1",
            "eventTimestamp": "2026-11-30T14:03:27.123Z",
            "operationName": {"value": "Microsoft.Authorization/roleAssignments/delete", "localizedValue": "Delete role assignment"},
            "resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Authorization/roleAssignments/ra1",
            "status": {"value": "Succeeded"},
            "properties": {"responseBody": "{\"properties\":{\"principalId\":\"ABC\",\"roleDefinitionId\":\"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r1\",\"scope\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa\"}}"}
        });
        let e = event_from_json(&v).expect("kept");
        assert_eq!(e.principal_id.as_deref(), Some("abc"));
        assert_eq!(
            e.scope.as_deref(),
            Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa")
        );
        assert_eq!(crate::model::text::when(e.event_timestamp), "2026-11-30 14:03 UTC");
        // Failed writes and reads explain nothing.
        let mut failed = v.clone();
        failed["status"]["value"] = "Failed".into();
        assert!(event_from_json(&failed).is_none());
        let mut read = v;
        read["operationName"]["value"] = "Microsoft.Storage/storageAccounts/read".into();
        assert!(event_from_json(&read).is_none());
    }

    #[test]
    fn a_storage_write_lists_the_properties_it_set() {
        let v = serde_json::json!({
            "caller": "bob@contoso.com",
            "eventTimestamp": "2026-11-30T14:03:27Z",
            "operationName": {"value": "Microsoft.Storage/storageAccounts/write"},
            "resourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa",
            "status": {"value": "Succeeded"},
            "properties": {"requestbody": "{\"properties\":{\"allowSharedKeyAccess\":false,\"networkAcls\":{}}}"}
        });
        assert_eq!(event_from_json(&v).unwrap().changed, ["allowSharedKeyAccess", "networkAcls"]);
        assert!(validate_days(90).is_ok() && validate_days(91).is_err());
    }
}
