//! One error type for the whole crate, with a coarse [`ErrorKind`] that maps to exit codes, to the C ABI's
//! numbered error kinds and to PowerShell error categories.

pub mod de;

use std::fmt;

/// What went wrong, coarsely. The numbers are stable: the C ABI and the PowerShell module expose them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[repr(i32)]
pub enum ErrorKind {
    /// The caller's input is wrong: a malformed resource id, an unknown cloud, a bad flag combination.
    InvalidInput = 2,
    /// A snapshot or plan file could not be read or does not have the expected shape or version.
    InvalidFile = 3,
    /// No token could be obtained, or ARM rejected the token (401).
    Authentication = 4,
    /// ARM refused the request because the caller lacks rights (403).
    Authorization = 5,
    /// The resource does not exist (404).
    NotFound = 6,
    /// ARM answered with another error after all retries (4xx/5xx).
    Arm = 7,
    /// The network failed: connection refused or reset, DNS, TLS, a timeout.
    Network = 8,
    /// ARM kept throttling (429) past the retry budget.
    Throttled = 9,
    /// Reading or writing a local file failed.
    Io = 10,
    /// The operation was cancelled by the caller.
    Cancelled = 11,
    /// A bug: something that should not happen. Please report it.
    Internal = 12,
    /// The live state moved on since a plan was made; the plan was not applied.
    Conflict = 13,
}

impl ErrorKind {
    /// The process exit code for this kind (2: bad usage or input, 3: Azure or network error).
    pub fn exit_code(self) -> i32 {
        match self {
            // A stale plan is bad input too: collect or plan again.
            ErrorKind::InvalidInput | ErrorKind::InvalidFile | ErrorKind::Io | ErrorKind::Conflict => 2,
            ErrorKind::Cancelled => 130,
            ErrorKind::Internal => 70,
            _ => 3,
        }
    }

    /// A short stable name, used in JSON and as the tail of PowerShell error ids.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::InvalidFile => "InvalidFile",
            ErrorKind::Authentication => "Authentication",
            ErrorKind::Authorization => "Authorization",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Arm => "Arm",
            ErrorKind::Network => "Network",
            ErrorKind::Throttled => "Throttled",
            ErrorKind::Io => "Io",
            ErrorKind::Cancelled => "Cancelled",
            ErrorKind::Internal => "Internal",
            ErrorKind::Conflict => "Conflict",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts ARM gave about a failed request. Kept whole so a user can quote them to support.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmErrorDetail {
    /// HTTP status code.
    pub status: u16,
    /// `error.code` from the body, e.g. `AuthorizationFailed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `error.message` from the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `x-ms-request-id` response header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` response header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// HTTP method and path (no query string, never a token) of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

/// The crate's error. Its `Display` is a full sentence that says what is wrong and what to do; the
/// lower-level error it came from (an I/O error, a JSON error, a transport error without its URL) stays
/// reachable through [`std::error::Error::source`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}{}", arm_suffix(.arm.as_deref()))]
pub struct Error {
    kind: ErrorKind,
    message: String,
    arm: Option<Box<ArmErrorDetail>>,
    resource_id: Option<String>,
    #[source]
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

/// " (HTTP 403, code AuthorizationFailed, request id ..., correlation id ...)", or nothing.
fn arm_suffix(arm: Option<&ArmErrorDetail>) -> String {
    let Some(arm) = arm else { return String::new() };
    let mut parts = Vec::new();
    if arm.status != 0 {
        parts.push(format!("HTTP {}", arm.status));
    }
    if let Some(c) = &arm.code {
        parts.push(format!("code {c}"));
    }
    if let Some(r) = &arm.request_id {
        parts.push(format!("request id {r}"));
    }
    if let Some(c) = &arm.correlation_id {
        parts.push(format!("correlation id {c}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), arm: None, resource_id: None, source: None }
    }
    /// Keep the lower-level error this one came from (its text should already be in the message; the
    /// source is for callers that walk the chain). Never pass an error that may hold a secret.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }
    pub fn invalid_file(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidFile, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "the operation was cancelled")
    }
    pub fn with_arm(mut self, detail: ArmErrorDetail) -> Self {
        self.arm = Some(Box::new(detail));
        self
    }
    pub fn with_resource(mut self, resource_id: impl Into<String>) -> Self {
        self.resource_id = Some(resource_id.into());
        self
    }
    /// The lower-level error this one came from, when it is a `T`: for callers that branch on what
    /// went wrong by its type (e.g. the request API's typed refusals), never by the message.
    pub fn source_as<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.source.as_deref().and_then(|s| s.downcast_ref::<T>())
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn arm(&self) -> Option<&ArmErrorDetail> {
        self.arm.as_deref()
    }
    pub fn resource_id(&self) -> Option<&str> {
        self.resource_id.as_deref()
    }
    /// ARM's `error.code`, when the error came from ARM.
    pub fn arm_code(&self) -> Option<&str> {
        self.arm.as_ref().and_then(|a| a.code.as_deref())
    }
    /// ARM's `x-ms-request-id`, when the error came from ARM.
    pub fn request_id(&self) -> Option<&str> {
        self.arm.as_ref().and_then(|a| a.request_id.as_deref())
    }
    /// Prefix the message with context ("while reading storage account X: ...").
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// A serializable view (for JSON output and the C ABI).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind.as_str(),
            "kindCode": self.kind as i32,
            "message": self.to_string(),
            "resourceId": self.resource_id,
            "arm": self.arm,
        })
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, e.to_string()).with_source(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn the_source_is_kept_and_the_message_is_unchanged() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "access denied");
        let e = Error::from(io).context("cannot write 'x.json'");
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(e.to_string(), "cannot write 'x.json': access denied");
        let source = e.source().expect("the io error is kept");
        assert_eq!(source.to_string(), "access denied");
        // Clones share it.
        assert!(e.clone().source().is_some());
        let arm = Error::new(ErrorKind::Authorization, "no rights").with_arm(ArmErrorDetail {
            status: 403,
            code: Some("AuthorizationFailed".into()),
            request_id: Some("r1".into()),
            ..Default::default()
        });
        assert_eq!(arm.to_string(), "no rights (HTTP 403, code AuthorizationFailed, request id r1)");
        assert!(arm.source().is_none());
    }
}
