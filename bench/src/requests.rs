//! Requests by kind, counted from what the library tells any caller: the `Request` events its one ARM
//! client emits for every attempt (method, path, status, attempt number), through the front door's
//! [`EventSink`]. The labels are the benchmark's own ([`kind`]); the request models of `model.rs` count
//! in the same labels, and the fake's request log is read with them too.

use std::collections::BTreeMap;
use std::sync::Mutex;

use filesync_identity::api::{Event, EventSink};

/// An event sink that counts the requests of a run (and drops every other event).
#[derive(Debug, Default)]
pub struct RequestCounter {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    by_kind: BTreeMap<String, u64>,
    attempts: u64,
    throttled: u64,
    retries: u64,
}

impl RequestCounter {
    pub fn new() -> RequestCounter {
        RequestCounter::default()
    }
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Logical requests by kind: each request's first attempt (retries not counted).
    pub fn by_kind(&self) -> BTreeMap<String, u64> {
        self.counts().by_kind.clone()
    }
    /// Every attempt, retries included.
    pub fn attempts(&self) -> u64 {
        self.counts().attempts
    }
    /// Answers with status 429.
    pub fn throttled(&self) -> u64 {
        self.counts().throttled
    }
    /// Attempts after a request's first.
    pub fn retries(&self) -> u64 {
        self.counts().retries
    }
}

impl EventSink for RequestCounter {
    fn emit(&self, event: Event) {
        let Event::Request { method, path, status, attempt, .. } = event else { return };
        let mut c = self.counts();
        c.attempts += 1;
        if status == 429 {
            c.throttled += 1;
        }
        if attempt <= 1 {
            *c.by_kind.entry(kind(&method, &path)).or_default() += 1;
        } else {
            c.retries += 1;
        }
    }
}

/// A short label for a request: the method and the last resource type its path names (`GET
/// storageAccounts` for one, `GET roleAssignments (list)` for a list, `POST resourceGraph`, `GET
/// activityLog (list)`, `GET servicePrincipals (list)` for Microsoft Graph). The query string is ignored.
pub fn kind(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or("");
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // Known collection names, searched from the end.
    const TYPES: &[&str] = &[
        "roleAssignments",
        "permissions",
        "denyAssignments",
        "locks",
        "serverEndpoints",
        "cloudEndpoints",
        "syncGroups",
        "registeredServers",
        "shares",
        "fileServices",
        "networkSecurityPerimeterConfigurations",
        "privateEndpointConnections",
        "operations",
        "operationresults",
        "storageAccounts",
        "storageSyncServices",
        "servicePrincipals",
        "machines",
        "virtualMachines",
        "descendants",
    ];
    if segs.len() == 3 && segs[1].eq_ignore_ascii_case("Microsoft.ResourceGraph") {
        return format!("{method} resourceGraph");
    }
    if segs.len() == 1 && segs[0].eq_ignore_ascii_case("subscriptions") {
        return format!("{method} subscriptions (list)");
    }
    if segs.iter().any(|s| s.eq_ignore_ascii_case("eventtypes")) {
        return format!("{method} activityLog (list)");
    }
    let mut kind = "other".to_string();
    for (i, s) in segs.iter().enumerate().rev() {
        if let Some(t) = TYPES.iter().find(|t| t.eq_ignore_ascii_case(s)) {
            // `.../storageAccounts/{name}` is a GET of one; `.../storageAccounts` a list.
            let is_list = i == segs.len() - 1;
            kind = if is_list && !matches!(*t, "permissions") { format!("{t} (list)") } else { t.to_string() };
            break;
        }
    }
    format!("{method} {kind}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let account = "/subscriptions/x/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/sa";
        assert_eq!(kind("GET", account), "GET storageAccounts");
        assert_eq!(
            kind("GET", &format!("{account}/providers/Microsoft.Authorization/roleAssignments?api-version=1")),
            "GET roleAssignments (list)"
        );
        assert_eq!(kind("GET", "/subscriptions/x/providers/Microsoft.Authorization/permissions"), "GET permissions");
        assert_eq!(kind("POST", "/providers/Microsoft.ResourceGraph/resources"), "POST resourceGraph");
        assert_eq!(kind("GET", "/v1.0/servicePrincipals"), "GET servicePrincipals (list)");
    }

    /// Each request is counted once by kind, at its first attempt; a retry and a 429 are counted apart.
    #[test]
    fn the_counter_reads_request_events() {
        let c = RequestCounter::new();
        let request = |status, attempt| Event::Request {
            method: "GET".into(),
            path: "/subscriptions/x/providers/Microsoft.Authorization/denyAssignments?api-version=1".into(),
            status,
            request_id: None,
            duration_ms: 1,
            attempt,
        };
        c.emit(request(429, 1));
        c.emit(request(200, 2));
        c.emit(Event::Log { level: filesync_identity::api::LogLevel::Info, message: "not a request".into() });
        assert_eq!(c.by_kind(), BTreeMap::from([("GET denyAssignments (list)".to_string(), 1)]));
        assert_eq!((c.attempts(), c.throttled(), c.retries()), (2, 1, 1));
    }
}
