//! Failures on their way across the boundary: the numbered result, the error JSON `fsi_last_error`
//! returns, and the per-thread slot that keeps it.

use std::cell::RefCell;

use serde_json::{json, Value};

use super::FsiResult;
use crate::error::{Error, ErrorKind};

impl FsiResult {
    /// The stable name used in error JSON (`kind`).
    pub fn name(self) -> &'static str {
        match self {
            FsiResult::Ok => "Ok",
            FsiResult::NullPointer => "NullPointer",
            FsiResult::InvalidUtf8 => "InvalidUtf8",
            FsiResult::Panic => "Panic",
            FsiResult::Busy => "Busy",
            FsiResult::AlreadyTaken => "AlreadyTaken",
            other => match other.error_kind() {
                Some(k) => k.as_str(),
                None => "Unknown",
            },
        }
    }

    pub(super) fn error_kind(self) -> Option<ErrorKind> {
        Some(match self {
            FsiResult::InvalidInput => ErrorKind::InvalidInput,
            FsiResult::InvalidFile => ErrorKind::InvalidFile,
            FsiResult::Authentication => ErrorKind::Authentication,
            FsiResult::Authorization => ErrorKind::Authorization,
            FsiResult::NotFound => ErrorKind::NotFound,
            FsiResult::Arm => ErrorKind::Arm,
            FsiResult::Network => ErrorKind::Network,
            FsiResult::Throttled => ErrorKind::Throttled,
            FsiResult::Io => ErrorKind::Io,
            FsiResult::Cancelled => ErrorKind::Cancelled,
            FsiResult::Internal => ErrorKind::Internal,
            FsiResult::Conflict => ErrorKind::Conflict,
            _ => return None,
        })
    }
}

impl From<ErrorKind> for FsiResult {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidInput => FsiResult::InvalidInput,
            ErrorKind::InvalidFile => FsiResult::InvalidFile,
            ErrorKind::Authentication => FsiResult::Authentication,
            ErrorKind::Authorization => FsiResult::Authorization,
            ErrorKind::NotFound => FsiResult::NotFound,
            ErrorKind::Arm => FsiResult::Arm,
            ErrorKind::Network => FsiResult::Network,
            ErrorKind::Throttled => FsiResult::Throttled,
            ErrorKind::Io => FsiResult::Io,
            ErrorKind::Cancelled => FsiResult::Cancelled,
            ErrorKind::Internal => FsiResult::Internal,
            ErrorKind::Conflict => FsiResult::Conflict,
        }
    }
}

/// A failure on its way out: the result code and the error JSON that `fsi_last_error` returns.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) code: FsiResult,
    pub(super) json: Value,
}

impl Failure {
    pub(super) fn new(code: FsiResult, message: impl Into<String>) -> Self {
        Failure { code, json: error_json(code, &message.into(), None) }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = FsiResult::from(e.kind());
        Failure { code, json: error_json(code, &e.to_string(), Some(&e)) }
    }
}

/// The error JSON: `{code, kind, message, errorId, armCode, requestId, correlationId, httpStatus,
/// resourceId, arm}`. `errorId` is `AzFileSync.Arm.<ARM code>` when ARM gave a code, else
/// `AzFileSync.<kind>`. What a host says about a kind (PowerShell's `ErrorCategory`, the next step for the
/// user) is the host's wording, not the library's: the module keeps it in `ps-module/src/Native.cs`.
pub(super) fn error_json(code: FsiResult, message: &str, err: Option<&Error>) -> Value {
    let arm = err.and_then(|e| e.arm());
    let arm_code = arm.and_then(|a| a.code.clone());
    let error_id = match &arm_code {
        Some(c) if !c.is_empty() => {
            let clean: String = c.chars().filter(|ch| ch.is_ascii_alphanumeric() || *ch == '.' || *ch == '_').collect();
            format!("AzFileSync.Arm.{clean}")
        }
        _ => format!("AzFileSync.{}", code.name()),
    };
    json!({
        "code": code as i32,
        "kind": code.name(),
        "message": message,
        "errorId": error_id,
        "armCode": arm_code,
        "requestId": arm.and_then(|a| a.request_id.clone()),
        "correlationId": arm.and_then(|a| a.correlation_id.clone()),
        "httpStatus": arm.map(|a| a.status).filter(|s| *s != 0),
        "resourceId": err.and_then(|e| e.resource_id().map(str::to_string)),
        "arm": arm,
    })
}

thread_local! {
    pub(super) static LAST_ERROR: RefCell<Option<Failure>> = const { RefCell::new(None) };
}

pub(super) fn set_last_error(f: &Failure) {
    LAST_ERROR.with(|l| *l.borrow_mut() = Some(f.clone()));
}
