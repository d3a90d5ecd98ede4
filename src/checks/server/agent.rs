//! `server.agent-status`, `server.heartbeat`: the health of registered servers as the service sees it: agent support status and heartbeat.

use crate::model::check_id::CheckId;
use chrono::{DateTime, NaiveDateTime, Utc};

use super::servers;
use crate::checks::check::CheckContext;
use crate::model::findings::{Finding, Status, Text};
use crate::model::index::Index;

/// Parse the timestamps ARM sends for servers (RFC 3339, with or without a zone; zone-less means UTC).
pub(crate) fn parse_arm_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_matches('"');
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%SZ", "%m/%d/%Y %H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), fmt.trim_end_matches('Z')) {
            return Some(n.and_utc());
        }
    }
    None
}

const UPDATE_AGENT: &str = "Update the Azure File Sync agent to the latest version (Microsoft Update, or the installer from the Download Center).";

/// The agent's support status as ARM reports it (`agentVersionStatus`, `agentVersionExpirationDate`).
///
/// Source: the agent update policy in the release notes
/// (<https://learn.microsoft.com/azure/storage/file-sync/file-sync-release-notes#supported-versions>): an expired
/// agent stops syncing. The status and the date are read as they are; a date already past while the status
/// still says Ok is a warning (the status lags, or the clock does), never a pass.
pub(super) fn agent_status(ix: &Index, ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::SERVER_AGENT_STATUS;
    servers(ix)
        .map(|(_, s)| {
            let f = Finding::new(check, Status::Pass, &s.id, s.display_name(), "")
                .evidence("agentVersion", &s.agent_version)
                .evidence("agentVersionStatus", &s.agent_version_status)
                .evidence("agentVersionExpirationDate", &s.agent_version_expiration_date);
            if s.is_cluster_name() {
                return Finding { status: Status::NotApplicable, message: Text::fixed("The cluster name object runs no agent of its own."), ..f };
            }
            let version = s.agent_version.as_deref().unwrap_or("of unknown version");
            let expires = s.agent_version_expiration_date.as_deref().and_then(parse_arm_time);
            let until = match (expires, s.agent_version_expiration_date.as_deref()) {
                (Some(t), _) if t <= ctx.now => format!(" (expired {})", t.format("%Y-%m-%d")),
                (Some(t), _) => format!(" (until {}, {} days from the collection)", t.format("%Y-%m-%d"), (t - ctx.now).num_days()),
                (None, Some(d)) => format!(" (expiration date '{d}')"),
                (None, None) => String::new(),
            };
            match s.agent_version_status.as_deref() {
                None => Finding { status: Status::Unknown, message: Text::fixed("The server reports no agent version status."), ..f }
                    .because("agentVersionStatus is missing"),
                Some(st) if st.eq_ignore_ascii_case("Ok") && expires.is_some_and(|t| t <= ctx.now) => Finding {
                    status: Status::Warning,
                    message: format!("ARM says agent {version} is supported, but its expiration date has passed{until}; once the service treats it as expired the server stops syncing.").into(),
                    ..f
                }
                .fix(UPDATE_AGENT, None),
                Some(st) if st.eq_ignore_ascii_case("Ok") => {
                    Finding { message: format!("Agent {version} is supported{until}.").into(), ..f }
                }
                Some(st) if st.eq_ignore_ascii_case("NearExpiry") => Finding {
                    status: Status::Warning,
                    message: format!("Agent {version} is close to the end of its support{until}; once it expires the server stops syncing.").into(),
                    ..f
                }
                .fix(UPDATE_AGENT, None),
                Some(st) if st.eq_ignore_ascii_case("Expired") || st.eq_ignore_ascii_case("Blocked") => Finding {
                    status: Status::Fail,
                    message: format!(
                        "Agent {version} is {}{until}: the service refuses it, so the server does not sync (0x80c8306b).",
                        st.to_ascii_lowercase()
                    ).into(),
                    ..f.codes(&["0x80c8306b"])
                }
                .fix(UPDATE_AGENT, None),
                Some(st) => Finding { status: Status::Unknown, message: format!("The agent version status '{st}' is not one this tool knows.").into(), ..f }
                    .because("agentVersionStatus is not Ok, NearExpiry, Expired or Blocked"),
            }
        })
        .collect()
}

/// A heartbeat older than this is stale.
pub(crate) fn stale_after() -> chrono::Duration {
    chrono::Duration::days(1)
}

pub(super) fn heartbeat(ix: &Index, ctx: &CheckContext) -> Vec<Finding> {
    let check = CheckId::SERVER_HEARTBEAT;
    servers(ix)
        .map(|(_, s)| {
            let f = Finding::new(check, Status::Pass, &s.id, s.display_name(), "").evidence("lastHeartBeat", &s.last_heart_beat);
            if s.is_cluster_name() {
                return Finding { status: Status::NotApplicable, message: Text::fixed("The cluster name object sends no heartbeat; its nodes do."), ..f };
            }
            let Some(raw) = s.last_heart_beat.as_deref() else {
                return Finding { status: Status::Unknown, message: Text::fixed("The server reports no heartbeat time."), ..f }
                    .because("lastHeartBeat is missing");
            };
            let Some(at) = parse_arm_time(raw) else {
                return Finding { status: Status::Unknown, message: format!("The heartbeat time '{raw}' could not be read.").into(), ..f }
                    .because("lastHeartBeat is not a timestamp");
            };
            let age = ctx.now - at;
            if age > stale_after() {
                let days = age.num_hours() as f64 / 24.0;
                Finding {
                    status: Status::Warning,
                    message: format!(
                        "The server last reported to the service at {} ({days:.1} days before the collection): it is offline, or its agent cannot reach Azure, so identity changes will not reach it either.",
                        at.format("%Y-%m-%d %H:%M UTC")
                    ).into(),
                    ..f
                }
                .fix(
                    "Check that the server is running, the Storage Sync Agent service (FileSyncSvc) is started, and the server can reach Azure (Test-StorageSyncNetworkConnectivity on the server).",
                    Some("Test-StorageSyncNetworkConnectivity".into()),
                )
            } else {
                Finding { message: format!("The server last reported at {}.", at.format("%Y-%m-%d %H:%M UTC")).into(), ..f }
            }
        })
        .collect()
}
