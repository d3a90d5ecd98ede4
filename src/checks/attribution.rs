//! Who changed it, and when: each failing or warning finding whose cause is a removed role assignment
//! or a changed setting is tied to the Activity Log event that made it (the events the snapshot kept, see
//! [`crate::collect::activity`]), so an offline diagnosis of a snapshot names the same person. Nothing
//! here changes a verdict.

use crate::model::check_id::CheckId;
use crate::model::findings::{Fact, Finding, Status, Text};
use crate::model::snapshot::{ActivityEvent, ActivityLog, Snapshot};
use crate::model::text::when;

/// What kind of change can explain a check's problem findings, and how to find its event.
#[derive(Clone, Copy)]
enum Cause {
    /// A role assignment of the finding's principal and role was deleted.
    RoleRemoved,
    /// The finding's resource (or a child of it) was written, setting one of these properties (any, when
    /// empty).
    Setting { operation_prefix: &'static str, fields: &'static [&'static str] },
    /// The machine behind the server's identity (the finding's scope: an Azure Arc machine or an Azure VM)
    /// was written with a new identity, or deleted (and, typically, created again).
    MachineChanged,
}

/// The machine resource types whose writes and deletes change a server's identity.
const MACHINE_OPERATIONS: [&str; 2] = ["microsoft.hybridcompute/machines/", "microsoft.compute/virtualmachines/"];

/// Checks whose problems a change can explain. New checks join here: a check id, the kind of write, and
/// the property names of its request body that matter (see `docs/snapshot.md`). A check may have several
/// rules: the newest event any of them finds is the one named.
const RULES: &[(CheckId, Cause)] = &[
    (CheckId::CLOUD_ENDPOINT_SERVICE_ACCOUNT_ROLE, Cause::RoleRemoved),
    (CheckId::CLOUD_ENDPOINT_SERVICE_SHARE_ROLE, Cause::RoleRemoved),
    (CheckId::SERVER_ENDPOINT_SERVER_SHARE_ROLE, Cause::RoleRemoved),
    (CheckId::STORAGE_LEGACY_SYNC_PRINCIPAL, Cause::RoleRemoved),
    (
        CheckId::STORAGE_SHARED_KEY_ACCESS,
        Cause::Setting { operation_prefix: "microsoft.storage/storageaccounts/", fields: &["allowSharedKeyAccess"] },
    ),
    (
        CheckId::STORAGE_TRUSTED_SERVICES,
        Cause::Setting { operation_prefix: "microsoft.storage/storageaccounts/", fields: &["networkAcls"] },
    ),
    (
        CheckId::STORAGE_NETWORK_ACCESS,
        Cause::Setting {
            operation_prefix: "microsoft.storage/storageaccounts/",
            fields: &["networkAcls", "publicNetworkAccess"],
        },
    ),
    (
        CheckId::STORAGE_SMB_SETTINGS,
        Cause::Setting { operation_prefix: "microsoft.storage/storageaccounts/", fields: &["protocolSettings"] },
    ),
    (
        CheckId::STORAGE_NETWORK_PERIMETER,
        Cause::Setting { operation_prefix: "microsoft.storage/storageaccounts/", fields: &["publicNetworkAccess"] },
    ),
    (
        CheckId::SERVICE_PRIVATE_ENDPOINT,
        Cause::Setting {
            operation_prefix: "microsoft.storagesync/storagesyncservices/",
            fields: &["incomingTrafficPolicy"],
        },
    ),
    // A service closed to public traffic also loses its way in when its private endpoint connection is
    // removed or rejected (a delete, or a write of the connection's state).
    (
        CheckId::SERVICE_PRIVATE_ENDPOINT,
        Cause::Setting {
            operation_prefix: "microsoft.storagesync/storagesyncservices/privateendpointconnections/",
            fields: &[],
        },
    ),
    (
        CheckId::SERVICE_IDENTITY,
        Cause::Setting { operation_prefix: "microsoft.storagesync/storagesyncservices/", fields: &["identity"] },
    ),
    (
        CheckId::SERVICE_USE_IDENTITY,
        Cause::Setting { operation_prefix: "microsoft.storagesync/storagesyncservices/", fields: &["useIdentity"] },
    ),
    (
        CheckId::SERVER_IDENTITY,
        Cause::Setting {
            operation_prefix: "microsoft.storagesync/storagesyncservices/registeredservers/",
            fields: &[],
        },
    ),
    (
        CheckId::SERVER_AUTH_MODE,
        Cause::Setting {
            operation_prefix: "microsoft.storagesync/storagesyncservices/registeredservers/",
            fields: &[],
        },
    ),
    (CheckId::SERVER_MACHINE_IDENTITY, Cause::MachineChanged),
    (
        CheckId::SERVER_IDENTITY_DRIFT,
        Cause::Setting {
            operation_prefix: "microsoft.storagesync/storagesyncservices/registeredservers/",
            fields: &[],
        },
    ),
];

/// The newest event that explains a finding of `check`, by any of the check's rules, with the rule.
fn newest_explaining<'a>(finding: &Finding, events: &'a [ActivityEvent]) -> Option<(Cause, &'a ActivityEvent)> {
    RULES
        .iter()
        .filter(|(id, _)| *id == finding.check)
        .filter_map(|(_, cause)| explaining(finding, *cause, events).map(|e| (*cause, e)))
        .max_by_key(|(_, e)| e.event_timestamp)
}

/// Is `inner` the scope `outer` or below it (ids compared without case)?
fn within(inner: &str, outer: &str) -> bool {
    let (i, o) = (inner.trim_end_matches('/').to_ascii_lowercase(), outer.trim_end_matches('/').to_ascii_lowercase());
    i == o || i.starts_with(&format!("{o}/"))
}

/// The newest event that explains `finding`, if any.
fn explaining<'a>(finding: &Finding, cause: Cause, events: &'a [ActivityEvent]) -> Option<&'a ActivityEvent> {
    match cause {
        Cause::RoleRemoved => {
            let principal = finding.principal_id.as_deref()?;
            let role = finding.role_definition_id.as_deref().map(crate::model::resource_id::role_guid);
            events.iter().find(|e| {
                e.operation_name.to_ascii_lowercase().ends_with("/roleassignments/delete")
                    && e.principal_id.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(principal))
                    && match (&role, &e.role_definition_id) {
                        (Some(want), Some(had)) => crate::model::resource_id::role_guid(had) == *want,
                        _ => true,
                    }
                    // The deleted assignment counted where the finding needs the role: at that scope or above.
                    && match (finding.scope.as_deref(), e.scope.as_deref()) {
                        (Some(need), Some(had)) => within(need, had),
                        _ => true,
                    }
            })
        }
        Cause::MachineChanged => {
            let machine = finding.scope.as_deref()?;
            events.iter().find(|e| {
                let op = e.operation_name.to_ascii_lowercase();
                MACHINE_OPERATIONS.iter().any(|m| op.starts_with(m))
                    && within(&e.resource_id, machine)
                    && (op.ends_with("/delete") || e.changed.iter().any(|c| c == "identity"))
            })
        }
        Cause::Setting { operation_prefix, fields } => events.iter().find(|e| {
            e.operation_name.to_ascii_lowercase().starts_with(operation_prefix)
                && within(&e.resource_id, &finding.resource_id)
                && (fields.is_empty()
                    || e.changed.is_empty()
                    || e.changed.iter().any(|c| fields.iter().any(|f| f.eq_ignore_ascii_case(c))))
        }),
    }
}

/// Why the Activity Log says nothing about a finding, when it could not be read where the finding lies.
fn unread_reason(log: &ActivityLog, resource_id: &str) -> Option<String> {
    let id = crate::model::resource_id::ResourceId::parse(resource_id).ok()?;
    let (sub, rg) = (id.subscription_id()?, id.resource_group()?);
    let scope = log
        .scopes
        .iter()
        .find(|s| s.subscription_id.eq_ignore_ascii_case(sub) && s.resource_group.eq_ignore_ascii_case(rg))?;
    (!scope.read).then(|| scope.error.clone().unwrap_or_else(|| "not readable".to_string()))
}

/// Add who and when to each failing or warning finding whose cause a change explains: evidence
/// `activityLog` (`{caller, eventTimestamp, operationName, correlationId, resourceId}`, or a sentence
/// saying why there is none) and, when found, a sentence at the end of the message. Verdicts never change.
pub fn attribute(findings: &mut [Finding], snapshot: &Snapshot) {
    let Some(log) = &snapshot.activity_log else { return };
    for f in findings.iter_mut() {
        if !matches!(f.status, Status::Fail | Status::Warning) {
            continue;
        }
        if !RULES.iter().any(|(id, _)| *id == f.check) {
            continue;
        }
        match newest_explaining(f, &log.events) {
            Some((cause, e)) => {
                let verb = match cause {
                    Cause::RoleRemoved => "The role assignment was removed",
                    Cause::Setting { .. } if e.operation_name.to_ascii_lowercase().ends_with("/delete") => "Deleted",
                    Cause::Setting { .. } => "Last changed",
                    Cause::MachineChanged if e.operation_name.to_ascii_lowercase().ends_with("/delete") => {
                        "The machine was deleted"
                    }
                    Cause::MachineChanged => "The machine's identity was last changed",
                };
                let correlation =
                    e.correlation_id.as_deref().map(|c| format!(", correlation id {c}")).unwrap_or_default();
                let caller = if e.caller.is_empty() { "an unnamed caller" } else { &e.caller };
                let sentence = format!(
                    " {verb} by {caller} on {} (Activity Log: {}{correlation}).",
                    when(e.event_timestamp),
                    e.operation_name
                );
                f.message = Text::from(format!("{}{sentence}", f.message.trim_end()));
                let mut fact = serde_json::json!({
                    "caller": e.caller,
                    "eventTimestamp": e.event_timestamp,
                    "operationName": e.operation_name,
                    "resourceId": e.resource_id,
                });
                if let Some(c) = &e.correlation_id {
                    fact["correlationId"] = c.clone().into();
                }
                f.evidence.insert(Text::fixed("activityLog"), Fact::from(fact));
            }
            None => {
                let why = match unread_reason(log, &f.resource_id) {
                    Some(error) => format!("the Activity Log could not be read here ({error})"),
                    None => format!("no matching change in the Activity Log of the last {} days", log.days),
                };
                f.evidence.insert(Text::fixed("activityLog"), Fact::Text(why.into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::activity::event_from_json;

    /// Issue 14's checks are tied to their settings' writes too: an SMB settings change on the file service,
    /// a perimeter association through publicNetworkAccess, and the service closed to public traffic.
    #[test]
    fn the_network_checks_name_the_write_that_changed_their_setting() {
        use crate::model::findings::{Finding, Status};
        let account = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa";
        let service = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.StorageSync/storageSyncServices/svc";
        let event = |op: &str, resource: &str, body: &str| {
            event_from_json(&serde_json::json!({
                "caller": "carol@contoso.com",
                "eventTimestamp": "2026-11-30T14:03:27Z",
                "operationName": {"value": op},
                "resourceId": resource,
                "status": {"value": "Succeeded"},
                "properties": {"requestbody": body}
            }))
            .expect("kept")
        };
        let smb = event(
            "Microsoft.Storage/storageAccounts/fileServices/write",
            &format!("{account}/fileServices/default"),
            "{\"properties\":{\"protocolSettings\":{\"smb\":{\"versions\":\"SMB3.0\"}}}}",
        );
        let closed = event(
            "Microsoft.StorageSync/storageSyncServices/write",
            service,
            "{\"properties\":{\"incomingTrafficPolicy\":\"AllowVirtualNetworksOnly\"}}",
        );
        let perimeter = event(
            "Microsoft.Storage/storageAccounts/write",
            account,
            "{\"properties\":{\"publicNetworkAccess\":\"SecuredByPerimeter\"}}",
        );
        let events = vec![smb, closed, perimeter];
        let finding = |check: CheckId, id: &str| Finding::new(check, Status::Fail, id, "x", "m");
        let who = |check: CheckId, id: &str| {
            let f = finding(check, id);
            newest_explaining(&f, &events).map(|(_, e)| e.operation_name.clone())
        };
        assert_eq!(
            who(CheckId::STORAGE_SMB_SETTINGS, account).as_deref(),
            Some("Microsoft.Storage/storageAccounts/fileServices/write")
        );
        assert_eq!(
            who(CheckId::SERVICE_PRIVATE_ENDPOINT, service).as_deref(),
            Some("Microsoft.StorageSync/storageSyncServices/write")
        );
        assert_eq!(
            who(CheckId::STORAGE_NETWORK_PERIMETER, account).as_deref(),
            Some("Microsoft.Storage/storageAccounts/write")
        );
        // A write that set something else explains nothing.
        assert!(who(CheckId::STORAGE_SHARED_KEY_ACCESS, account).is_none());

        // The service's private endpoint connection removed later than the policy change: that is named.
        let mut removed = event(
            "Microsoft.StorageSync/storageSyncServices/privateEndpointConnections/delete",
            &format!("{service}/privateEndpointConnections/pe1"),
            "{}",
        );
        removed.event_timestamp += chrono::Duration::hours(1);
        let f = finding(CheckId::SERVICE_PRIVATE_ENDPOINT, service);
        let all = vec![events[1].clone(), removed];
        let (cause, e) = newest_explaining(&f, &all).expect("explained");
        assert!(matches!(cause, Cause::Setting { .. }));
        assert_eq!(e.operation_name, "Microsoft.StorageSync/storageSyncServices/privateEndpointConnections/delete");
    }

    /// A server's identity that is no longer its machine's is tied to the write (or delete) of that
    /// machine, found by the finding's scope (the machine), not by the registered server's id.
    #[test]
    fn a_machine_identity_finding_names_the_write_to_its_machine() {
        use crate::model::findings::{Finding, Status};
        let machine = "/subscriptions/s/resourceGroups/rg-servers/providers/Microsoft.HybridCompute/machines/fs01";
        let other = "/subscriptions/s/resourceGroups/rg-servers/providers/Microsoft.HybridCompute/machines/fs02";
        let server = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.StorageSync/storageSyncServices/svc/registeredServers/0001";
        let event = |op: &str, resource: &str, body: Option<&str>, at: &str| {
            let mut v = serde_json::json!({
                "caller": "dave@contoso.com",
                "eventTimestamp": at,
                "operationName": {"value": op},
                "resourceId": resource,
                "status": {"value": "Succeeded"},
            });
            if let Some(b) = body {
                v["properties"] = serde_json::json!({ "requestbody": b });
            }
            event_from_json(&v).expect("kept")
        };
        let finding = Finding::new(CheckId::SERVER_MACHINE_IDENTITY, Status::Fail, server, "fs01", "m").scope(machine);
        let who = |events: &[ActivityEvent]| {
            newest_explaining(&finding, events).map(|(_, e)| (e.operation_name.clone(), e.resource_id.clone()))
        };
        let tags_only = event(
            "Microsoft.HybridCompute/machines/write",
            machine,
            Some("{\"tags\":{\"owner\":\"x\"}}"),
            "2026-11-30T10:00:00Z",
        );
        let reset = event(
            "Microsoft.HybridCompute/machines/write",
            machine,
            Some("{\"identity\":{\"type\":\"SystemAssigned\"}}"),
            "2026-11-29T10:00:00Z",
        );
        let elsewhere = event("Microsoft.HybridCompute/machines/delete", other, None, "2026-12-01T10:00:00Z");
        // The newest write that set the identity, on this machine; not a tag change, not another machine.
        assert_eq!(
            who(&[elsewhere.clone(), tags_only.clone(), reset.clone()]),
            Some(("Microsoft.HybridCompute/machines/write".to_string(), machine.to_string()))
        );
        assert_eq!(who(&[elsewhere.clone(), tags_only]), None);
        let deleted = event("Microsoft.HybridCompute/machines/delete", machine, None, "2026-12-01T11:00:00Z");
        assert_eq!(
            who(&[deleted, reset]).map(|(op, _)| op).as_deref(),
            Some("Microsoft.HybridCompute/machines/delete")
        );
        // Without a machine to look at (Graph could not say which), nothing is claimed.
        let unscoped = Finding::new(CheckId::SERVER_MACHINE_IDENTITY, Status::Fail, server, "fs01", "m");
        assert!(explaining(&unscoped, Cause::MachineChanged, &[elsewhere]).is_none());
    }
}
