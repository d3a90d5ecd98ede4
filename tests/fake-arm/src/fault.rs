//! Fault injection: make matching requests fail the ways a network or ARM fails.

use serde::{Deserialize, Serialize};

/// A fault: which requests it hits and what happens to them.
///
/// JSON form (also accepted in a topology's `faults`):
/// `{"method":"GET","pathContains":"roleAssignments","action":{"status":{"status":503,"code":"ServiceUnavailable","message":"try later","retryAfter":2}},"times":1}`;
/// `"pathIs"` in place of `"pathContains"` names one path exactly (not the paths below it);
/// actions: `"resetConnection"`, `"malformedJson"`, `"truncatedBody"`, `{"delay":1500}`,
/// `{"status":{...}}`, `{"failOperation":{"code":"...","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// HTTP method (case-insensitive); None or `*` matches any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Case-insensitive substring of the decoded request path; empty matches every path.
    #[serde(default)]
    pub path_contains: String,
    /// When given, the whole decoded request path (case-insensitive) instead: a fault on one resource's
    /// own read, not on every path under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_is: Option<String>,
    pub action: FaultAction,
    /// How many matching requests it applies to; None = forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this status and an ARM error body (`Retry-After` when given). The request is not
    /// processed.
    Status {
        status: u16,
        code: String,
        message: String,
        #[serde(default, rename = "retryAfter", skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// Close the connection without any response. The request is not processed.
    ResetConnection,
    /// Wait this many milliseconds, then process the request normally.
    Delay(u64),
    /// Answer 200 with a body that is not valid JSON. The request is not processed.
    MalformedJson,
    /// Process the request, then send its answer with a `Content-Length` larger than the bytes sent and
    /// close the connection (the response is lost half way; any write has happened).
    TruncatedBody,
    /// For a write that starts a long-running operation: answer 202 as usual, but the operation ends
    /// `Failed` with this error and its change is never applied.
    FailOperation { code: String, message: String },
}

impl FaultAction {
    /// ARM's refusal of a caller without the right: 403 `AuthorizationFailed` with `message`.
    pub fn forbidden(message: impl Into<String>) -> FaultAction {
        FaultAction::Status {
            status: 403,
            code: "AuthorizationFailed".into(),
            message: message.into(),
            retry_after: None,
        }
    }
}

impl Fault {
    /// A fault for requests with `method` (`*` for any) whose path contains `path_contains`.
    pub fn new(method: &str, path_contains: &str, action: FaultAction) -> Self {
        let method = if method == "*" || method.is_empty() { None } else { Some(method.to_string()) };
        Fault { method, path_contains: path_contains.to_string(), path_is: None, action, times: None }
    }
    /// A fault for requests with `method` (`*` for any) whose path is `path` (no more below it).
    pub fn at_path(method: &str, path: &str, action: FaultAction) -> Self {
        Fault { path_is: Some(path.to_string()), ..Fault::new(method, "", action) }
    }
    /// Apply to the next `n` matching requests only.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        if let Some(m) = &self.method {
            if m != "*" && !m.eq_ignore_ascii_case(method) {
                return false;
            }
        }
        match &self.path_is {
            Some(p) => path.trim_end_matches('/').eq_ignore_ascii_case(p.trim_end_matches('/')),
            None => path.to_ascii_lowercase().contains(&self.path_contains.to_ascii_lowercase()),
        }
    }
}

impl FaultAction {
    /// `Status` without `Retry-After`.
    pub fn status(status: u16, code: &str, message: &str) -> Self {
        FaultAction::Status { status, code: code.into(), message: message.into(), retry_after: None }
    }
    /// `Status` with `Retry-After` seconds.
    pub fn status_retry_after(status: u16, code: &str, message: &str, retry_after: u64) -> Self {
        FaultAction::Status { status, code: code.into(), message: message.into(), retry_after: Some(retry_after) }
    }
    pub(crate) fn label(&self) -> &'static str {
        match self {
            FaultAction::Status { .. } => "status",
            FaultAction::ResetConnection => "resetConnection",
            FaultAction::Delay(_) => "delay",
            FaultAction::MalformedJson => "malformedJson",
            FaultAction::TruncatedBody => "truncatedBody",
            FaultAction::FailOperation { .. } => "failOperation",
        }
    }
}

/// The handle `FakeArm::inject` returns, for `FakeArm::remove_fault`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(pub u64);
