//! The C ABI: a small, stable surface over [`crate::api`] for the PowerShell module (and any other host).
//!
//! Shape (rustls-ffi style): opaque handles, every function returns an [`FsiResult`] (or a documented
//! sentinel), inputs are UTF-8 JSON given as pointer + length (never NUL-terminated), outputs are
//! [`FsiBuffer`]s the caller frees with [`fsi_buffer_free`]. Details of a failure are kept per OS thread and
//! read with [`fsi_last_error`] as JSON.
//!
//! Requests run on one process-wide tokio runtime created on first use; any number of threads (PowerShell
//! runspaces) may start, wait on, cancel and free requests at once. Progress and log events are buffered
//! per request and fetched with [`fsi_events_take`]: nothing calls back into the host.
//!
//! Every export runs inside `catch_unwind`: a panic comes back as [`FsiResult::Panic`], never as an abort of
//! the host process.
//!
//! Layout: this file holds what the generated bindings are made of (the result enum, the opaque handles and
//! every export); `boundary.rs` is the panic boundary and the checks of what callers hand in; `error.rs`
//! turns failures into result codes and error JSON; `requests.rs` is the runtime and the state a request
//! handle shares with its task.
//!
//! Keep this file on edition 2021 (`#[no_mangle]`, not `#[unsafe(no_mangle)]`) and every export a free
//! function at module level: the C# generator (csbindgen) sees nothing else. `tests/bindings.rs` fails
//! when an export is missing from `bindings/NativeMethods.g.cs` or when the checked-in bindings are stale.

use std::ffi::c_char;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::Value;

mod boundary;
#[cfg(test)]
mod contract;
mod error;
mod requests;

use boundary::{boundary, boundary_value, null, put, read_json};
use error::{error_json, set_last_error, Failure, LAST_ERROR};
use requests::{run_request, runtime, RequestShared, RequestState};

use crate::api::{CancellationToken, Session, SessionOptions};
use crate::events::BufferSink;
use crate::sync::LockUnpoisoned;

/// The outcome of an `fsi_` call. 0 is success; 2..=13 are the crate's error kinds (same numbers as
/// `ErrorKind`); 100 and up are ABI-level failures. The numbers are stable.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsiResult {
    /// Success.
    Ok = 0,
    /// The input is wrong: malformed JSON, an unknown field, a bad resource id, an unknown operation.
    InvalidInput = 2,
    /// A snapshot or plan file could not be read or has the wrong shape or version.
    InvalidFile = 3,
    /// No token could be obtained, or ARM rejected it (401).
    Authentication = 4,
    /// ARM refused the request: the caller lacks rights (403).
    Authorization = 5,
    /// The resource does not exist (404).
    NotFound = 6,
    /// ARM answered with another error after all retries.
    Arm = 7,
    /// The network failed (connection, DNS, TLS, timeout).
    Network = 8,
    /// ARM kept throttling (429) past the retry budget.
    Throttled = 9,
    /// Reading or writing a local file failed.
    Io = 10,
    /// The request was cancelled (`fsi_request_cancel` or `fsi_request_free` while running).
    Cancelled = 11,
    /// A bug in the library. Please report it with the message.
    Internal = 12,
    /// The live state moved on since the plan was made; nothing was applied.
    Conflict = 13,
    /// A required pointer argument was NULL.
    NullPointer = 100,
    /// An input buffer was not valid UTF-8.
    InvalidUtf8 = 101,
    /// The library panicked inside this call (a bug). The call had no effect; the process is fine.
    Panic = 102,
    /// The request is still running: `fsi_request_wait` timed out, or the result was asked for too early.
    Busy = 103,
    /// The request's result was already taken by an earlier `fsi_request_take_result`.
    AlreadyTaken = 104,
}

// ---------------------------------------------------------------------------------------------------------
// Handles

/// A byte buffer owned by the library (UTF-8 JSON). Read it with `fsi_buffer_data` / `fsi_buffer_len`, free
/// it with `fsi_buffer_free`.
pub struct FsiBuffer {
    data: Box<[u8]>,
}

impl FsiBuffer {
    fn json(v: &Value) -> FsiBuffer {
        FsiBuffer { data: v.to_string().into_bytes().into_boxed_slice() }
    }
}

/// A session: cloud, endpoints, credential, and the HTTP connections its requests keep and reuse. Shared by
/// any number of requests and threads.
pub struct FsiSession {
    inner: Arc<Session>,
}

/// A running or finished request.
pub struct FsiRequest {
    shared: Arc<RequestShared>,
}

// ---------------------------------------------------------------------------------------------------------
// Exports

/// The library's version, e.g. `0.1.0`, as a static NUL-terminated ASCII string.
///
/// Ownership: the string is static; never free it. Thread safety: callable from any thread.
/// On an internal panic (a bug) it returns an empty string and `fsi_last_error` says `Panic`.
#[no_mangle]
pub extern "C" fn fsi_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    boundary_value("fsi_version", c"".as_ptr(), || VERSION.as_ptr().cast())
}

/// Details of the most recent failed `fsi_` call on the calling OS thread, as UTF-8 JSON:
/// `{"code":5,"kind":"Authorization","message":"...","errorId":"AzFileSync.Arm.AuthorizationFailed",
/// "armCode":"AuthorizationFailed","requestId":"...","correlationId":"...","httpStatus":403,
/// "resourceId":"...","arm":{...}}`
/// (absent facts are `null`). When no call has failed on this thread: `{"code":0,"kind":"Ok",...}`.
///
/// Ownership: on success `*out_buffer` receives a new buffer the caller frees with `fsi_buffer_free`.
/// Thread safety: reads only the calling thread's state; successful calls do not clear it, so call this
/// right after the failing call, on the same thread. Errors: `NullPointer` when `out_buffer` is NULL.
///
/// # Safety
/// `out_buffer` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn fsi_last_error(out_buffer: *mut *mut FsiBuffer) -> FsiResult {
    boundary("fsi_last_error", || {
        if out_buffer.is_null() {
            return Err(null("out_buffer"));
        }
        let json = LAST_ERROR
            .with(|l| l.borrow().as_ref().map(|f| f.json.clone()))
            .unwrap_or_else(|| error_json(FsiResult::Ok, "", None));
        // SAFETY: checked non-NULL; the caller guarantees it is writable.
        unsafe { put(out_buffer, FsiBuffer::json(&json)) };
        Ok(FsiResult::Ok)
    })
}

/// Open a session from UTF-8 JSON options (`options_json`, `len` bytes, no NUL needed):
/// `{"cloud":"AzureCloud","armEndpoint":"https://...","graphEndpoint":"...","credential":{"kind":"accessToken","token":"..."},
/// "concurrency":16,"timeoutSeconds":60,"maxRetries":5,"storageSyncPrincipalId":"...",
/// "azEnvironment":{"name":"AzureStackUser","resourceManagerUrl":"https://...","microsoftGraphUrl":"..."}}`,
/// every field optional (`azEnvironment`, the Az context's, is followed when neither `cloud` nor
/// `armEndpoint` is given); an unknown field is an error (so a typo is not silently ignored).
///
/// Ownership: the input is only read during the call. On success `*out_session` receives a session the
/// caller frees with `fsi_session_free`; on error it is set to NULL (when not NULL itself).
/// Thread safety: any thread; the session may then be used from several threads at once.
/// Errors: `NullPointer`, `InvalidUtf8`, `InvalidInput` (bad JSON, unknown field, unknown cloud, an http
/// endpoint that is not loopback); details from `fsi_last_error`.
///
/// # Safety
/// `options_json` must point to `len` readable bytes; `out_session` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn fsi_session_new(
    options_json: *const u8,
    len: usize,
    out_session: *mut *mut FsiSession,
) -> FsiResult {
    boundary("fsi_session_new", || {
        if out_session.is_null() {
            return Err(null("out_session"));
        }
        // SAFETY: checked non-NULL.
        unsafe { *out_session = std::ptr::null_mut() };
        // SAFETY: the caller guarantees `len` bytes at `options_json`.
        let value = unsafe { read_json(options_json, len, "the session options") }?;
        if !value.is_object() {
            return Err(Failure::new(FsiResult::InvalidInput, "the session options must be a JSON object"));
        }
        // Unknown options are refused by serde (`deny_unknown_fields`); the failure is worded by what it
        // is, never by matching its text.
        let options: SessionOptions = crate::api::de::read(&value).map_err(|r| {
            use crate::api::de::Defect;
            let message = match (&r.defect, r.path.as_str()) {
                (Defect::UnknownField { field, .. }, "") => {
                    format!("unknown session option '{}'", field.escape_debug())
                }
                (Defect::UnknownField { field, .. }, path) => {
                    format!("unknown session option '{path}.{}'", field.escape_debug())
                }
                // The credential's own message names the field at fault and never quotes a value; a
                // value refused by its type (a principal id) says why.
                (Defect::Invalid(m), "credential") => m.clone(),
                (Defect::Invalid(m), path) => format!("session option '{path}' is not valid: {m}"),
                // Never the value: it may be a token.
                (_, path) => format!("session option '{path}' has the wrong type"),
            };
            Failure::from(crate::error::Error::invalid_input(message).with_source(r))
        })?;
        let session = Session::new(options)?;
        // SAFETY: checked non-NULL.
        unsafe { put(out_session, FsiSession { inner: Arc::new(session) }) };
        Ok(FsiResult::Ok)
    })
}

/// Free a session. NULL is a no-op. Requests started from it keep what they need and run to their end.
///
/// Ownership: takes back the session; do not use the pointer afterwards. Thread safety: do not free a
/// session while another thread is starting a request on it.
///
/// # Safety
/// `session` must be NULL or a pointer from `fsi_session_new` that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn fsi_session_free(session: *mut FsiSession) {
    boundary("fsi_session_free", || {
        if !session.is_null() {
            // SAFETY: the caller hands back a pointer from Box::into_raw, once.
            drop(unsafe { Box::from_raw(session) });
        }
        Ok(FsiResult::Ok)
    });
}

/// Start a request: UTF-8 JSON (`request_json`, `len` bytes) such as `{"operation":"explain","code":"0x80c8305f"}`
/// (operations: `explain`, `listChecks`, `wording`, `resolveTarget`, `test`, `testLocal`, `collect`, `plan`,
/// `apply`, `diff`; each request's fields and each answer's shape: `bindings/contract.json`).
/// It runs in the background on the library's runtime; use `fsi_request_wait`, `fsi_events_take`,
/// `fsi_request_take_result`, `fsi_request_cancel`.
///
/// Ownership: the input is only read during the call. On success `*out_request` receives a request the
/// caller frees with `fsi_request_free` (also when it failed); on error it is set to NULL.
/// Thread safety: any thread, several at once, on the same session too.
/// Errors: `NullPointer`, `InvalidUtf8`, `InvalidInput` (not JSON); errors of the operation itself
/// (including an unknown operation) come from `fsi_request_take_result`.
///
/// # Safety
/// `session` must be a live session; `request_json` must point to `len` readable bytes; `out_request` must
/// be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn fsi_request_start(
    session: *const FsiSession,
    request_json: *const u8,
    len: usize,
    out_request: *mut *mut FsiRequest,
) -> FsiResult {
    boundary("fsi_request_start", || {
        if out_request.is_null() {
            return Err(null("out_request"));
        }
        // SAFETY: checked non-NULL.
        unsafe { *out_request = std::ptr::null_mut() };
        if session.is_null() {
            return Err(null("session"));
        }
        // SAFETY: the caller guarantees a live session.
        let session = Arc::clone(unsafe { &(*session).inner });
        // SAFETY: the caller guarantees `len` bytes at `request_json`.
        let request = unsafe { read_json(request_json, len, "the request") }?;
        let rt = runtime()?;
        let shared = Arc::new(RequestShared {
            state: Mutex::new(RequestState::Running),
            done: Condvar::new(),
            events: Arc::new(BufferSink::new()),
            cancel: CancellationToken::new(),
        });
        rt.spawn(run_request(session, request, Arc::clone(&shared)));
        // SAFETY: checked non-NULL.
        unsafe { put(out_request, FsiRequest { shared }) };
        Ok(FsiResult::Ok)
    })
}

/// Wait until the request has finished, for at most `timeout_ms` milliseconds (0 polls; `0xFFFFFFFF` waits
/// without limit). Returns `Ok` when it has finished (successfully or not: read the outcome with
/// `fsi_request_take_result`), `Busy` when it is still running after the timeout. A host that must show
/// progress waits in short slices and calls `fsi_events_take` between them.
///
/// Thread safety: any thread, several at once; `fsi_request_cancel` from another thread makes a waiting
/// call return promptly (within about two seconds even if the operation ignores cancellation).
/// Errors: `NullPointer`.
///
/// # Safety
/// `request` must be NULL or a live request.
#[no_mangle]
pub unsafe extern "C" fn fsi_request_wait(request: *const FsiRequest, timeout_ms: u32) -> FsiResult {
    boundary("fsi_request_wait", || {
        if request.is_null() {
            return Err(null("request"));
        }
        // SAFETY: the caller guarantees a live request.
        let shared = unsafe { &(*request).shared };
        let st = shared.state.lock_unpoisoned();
        let running = |s: &mut RequestState| matches!(s, RequestState::Running);
        let st = if timeout_ms == u32::MAX {
            shared.done.wait_while(st, running).unwrap_or_else(|p| p.into_inner())
        } else {
            let timeout = Duration::from_millis(u64::from(timeout_ms));
            shared.done.wait_timeout_while(st, timeout, running).unwrap_or_else(|p| p.into_inner()).0
        };
        Ok(if matches!(*st, RequestState::Running) { FsiResult::Busy } else { FsiResult::Ok })
    })
}

/// Ask a running request to stop. Returns at once; the request then finishes with `Cancelled` (or with
/// what the operation had completed, if it stops by itself within about two seconds). Cancelling a finished
/// request does nothing.
///
/// Thread safety: meant to be called from another thread than the one waiting (Ctrl+C handlers).
/// Errors: `NullPointer`.
///
/// # Safety
/// `request` must be NULL or a live request.
#[no_mangle]
pub unsafe extern "C" fn fsi_request_cancel(request: *const FsiRequest) -> FsiResult {
    boundary("fsi_request_cancel", || {
        if request.is_null() {
            return Err(null("request"));
        }
        // SAFETY: the caller guarantees a live request.
        unsafe { &(*request).shared }.cancel.cancel();
        Ok(FsiResult::Ok)
    })
}

/// Take the outcome of a finished request. On success returns `Ok` and `*out_buffer` holds the result JSON.
/// When the operation failed, returns its error code (e.g. `Authorization`, `Cancelled`, `Panic`) and
/// `*out_buffer` holds the error JSON (the same shape as `fsi_last_error`, which is set too).
/// Returns `Busy` (and NULL) while the request is running, `AlreadyTaken` on a second call.
///
/// Ownership: the buffer belongs to the caller (free with `fsi_buffer_free`); `*out_buffer` is NULL when no
/// buffer was produced. Thread safety: any thread; exactly one caller gets the outcome.
///
/// # Safety
/// `request` must be NULL or a live request; `out_buffer` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn fsi_request_take_result(
    request: *const FsiRequest,
    out_buffer: *mut *mut FsiBuffer,
) -> FsiResult {
    boundary("fsi_request_take_result", || {
        if out_buffer.is_null() {
            return Err(null("out_buffer"));
        }
        // SAFETY: checked non-NULL.
        unsafe { *out_buffer = std::ptr::null_mut() };
        if request.is_null() {
            return Err(null("request"));
        }
        // SAFETY: the caller guarantees a live request.
        let shared = unsafe { &(*request).shared };
        let mut st = shared.state.lock_unpoisoned();
        match std::mem::replace(&mut *st, RequestState::Taken) {
            RequestState::Running => {
                *st = RequestState::Running;
                Err(Failure::new(FsiResult::Busy, "the request is still running; call fsi_request_wait first"))
            }
            RequestState::Taken => {
                Err(Failure::new(FsiResult::AlreadyTaken, "the result of this request was already taken"))
            }
            RequestState::Done(Ok(v)) => {
                // SAFETY: checked non-NULL.
                unsafe { put(out_buffer, FsiBuffer::json(&v)) };
                Ok(FsiResult::Ok)
            }
            RequestState::Done(Err(f)) => {
                set_last_error(&f);
                // SAFETY: checked non-NULL.
                unsafe { put(out_buffer, FsiBuffer::json(&f.json)) };
                Ok(f.code)
            }
        }
    })
}

/// Take the events buffered since the last call as a UTF-8 JSON array (possibly `[]`) of
/// `{"type":"progress","activity","status","percent"?}`, `{"type":"request","method","path","status",
/// "requestId"?,"durationMs","attempt"}` and `{"type":"log","level":"debug|verbose|info|warning","message"}`.
/// At most 10,000 events are kept per request (the oldest are dropped first).
///
/// Ownership: on success `*out_buffer` is a new buffer for the caller to free with `fsi_buffer_free`.
/// Thread safety: any thread; each event is returned once. Errors: `NullPointer`.
///
/// # Safety
/// `request` must be NULL or a live request; `out_buffer` must be NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn fsi_events_take(request: *const FsiRequest, out_buffer: *mut *mut FsiBuffer) -> FsiResult {
    boundary("fsi_events_take", || {
        if out_buffer.is_null() {
            return Err(null("out_buffer"));
        }
        // SAFETY: checked non-NULL.
        unsafe { *out_buffer = std::ptr::null_mut() };
        if request.is_null() {
            return Err(null("request"));
        }
        // SAFETY: the caller guarantees a live request.
        let events = unsafe { &(*request).shared }.events.drain();
        let json = serde_json::to_value(events)
            .map_err(|e| Failure::new(FsiResult::Internal, format!("could not serialize events: {e}")))?;
        // SAFETY: checked non-NULL.
        unsafe { put(out_buffer, FsiBuffer::json(&json)) };
        Ok(FsiResult::Ok)
    })
}

/// Free a request. NULL is a no-op. A request that is still running is cancelled first and winds down in
/// the background; this call never blocks. Its result and events, if not taken, are discarded.
///
/// Ownership: takes back the request; do not use the pointer afterwards. Thread safety: no other thread may
/// use the request during or after this call.
///
/// # Safety
/// `request` must be NULL or a pointer from `fsi_request_start` that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn fsi_request_free(request: *mut FsiRequest) {
    boundary("fsi_request_free", || {
        if !request.is_null() {
            // SAFETY: the caller hands back a pointer from Box::into_raw, once.
            let req = unsafe { Box::from_raw(request) };
            req.shared.cancel.cancel();
        }
        Ok(FsiResult::Ok)
    });
}

/// The first byte of a buffer (not NUL-terminated: use `fsi_buffer_len`). NULL for a NULL buffer.
///
/// Ownership: the bytes belong to the buffer and live until `fsi_buffer_free`. Thread safety: any thread.
/// On an internal panic (a bug) it returns NULL and `fsi_last_error` says `Panic`.
///
/// # Safety
/// `buffer` must be NULL or a live buffer.
#[no_mangle]
pub unsafe extern "C" fn fsi_buffer_data(buffer: *const FsiBuffer) -> *const u8 {
    boundary_value("fsi_buffer_data", std::ptr::null(), || {
        if buffer.is_null() {
            return std::ptr::null();
        }
        // SAFETY: the caller guarantees a live buffer.
        unsafe { &*buffer }.data.as_ptr()
    })
}

/// The length of a buffer in bytes; 0 for a NULL buffer.
///
/// Thread safety: any thread. On an internal panic (a bug) it returns 0 and `fsi_last_error` says `Panic`.
///
/// # Safety
/// `buffer` must be NULL or a live buffer.
#[no_mangle]
pub unsafe extern "C" fn fsi_buffer_len(buffer: *const FsiBuffer) -> usize {
    boundary_value("fsi_buffer_len", 0, || {
        if buffer.is_null() {
            return 0;
        }
        // SAFETY: the caller guarantees a live buffer.
        unsafe { &*buffer }.data.len()
    })
}

/// Free a buffer returned by this library. NULL is a no-op. Never free it with the C runtime's `free`.
///
/// # Safety
/// `buffer` must be NULL or a buffer from this library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn fsi_buffer_free(buffer: *mut FsiBuffer) {
    boundary("fsi_buffer_free", || {
        if !buffer.is_null() {
            // SAFETY: the caller hands back a pointer from Box::into_raw, once.
            drop(unsafe { Box::from_raw(buffer) });
        }
        Ok(FsiResult::Ok)
    });
}

#[cfg(test)]
mod tests;
