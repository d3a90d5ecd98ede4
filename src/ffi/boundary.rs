//! The panic boundary every export runs in, and the checks of what a caller hands in (NULL pointers,
//! UTF-8, JSON). A panic never unwinds into the host: it becomes `FsiResult::Panic` and the thread's last
//! error.

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::Value;

use super::error::{set_last_error, Failure};
use super::FsiResult;

#[cfg(test)]
thread_local! {
    /// Test hook: when set, every export panics inside its boundary.
    pub(super) static FORCE_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called first inside every boundary. In unit-test builds it panics on demand; otherwise it does nothing.
#[inline(always)]
fn test_hook(_export: &str) {
    #[cfg(test)]
    if FORCE_PANIC.with(|f| f.get()) {
        panic!("forced panic in {_export} (test hook)");
    }
}

/// Run an export's body: a panic or an error becomes a result code and the thread's last error.
pub(super) fn boundary(export: &str, body: impl FnOnce() -> Result<FsiResult, Failure>) -> FsiResult {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        test_hook(export);
        body()
    }));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(f)) => {
            set_last_error(&f);
            f.code
        }
        Err(p) => {
            let f = Failure::new(FsiResult::Panic, format!("internal panic in {export}: {}", panic_message(&*p)));
            set_last_error(&f);
            FsiResult::Panic
        }
    }
}

/// Run an export that returns a value rather than a result code: on panic, `fallback` and the thread's last
/// error says `Panic`.
pub(super) fn boundary_value<T>(export: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(|| {
        test_hook(export);
        body()
    })) {
        Ok(v) => v,
        Err(p) => {
            let f = Failure::new(FsiResult::Panic, format!("internal panic in {export}: {}", panic_message(&*p)));
            set_last_error(&f);
            fallback
        }
    }
}

pub(super) fn null(what: &str) -> Failure {
    Failure::new(FsiResult::NullPointer, format!("{what} is NULL"))
}

/// Read `len` bytes at `ptr` as UTF-8 JSON.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes.
pub(super) unsafe fn read_json(ptr: *const u8, len: usize, what: &str) -> Result<Value, Failure> {
    if ptr.is_null() {
        return Err(null(what));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(FsiResult::InvalidInput, format!("{what}: length {len} is too large")));
    }
    // SAFETY: the caller guarantees `len` readable bytes at `ptr`, which is not NULL.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            FsiResult::InvalidUtf8,
            format!("{what} is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()),
        )
    })?;
    serde_json::from_str(text)
        .map_err(|e| Failure::new(FsiResult::InvalidInput, format!("{what} is not valid JSON: {e}")))
}

/// Write `value` to an out pointer that was checked for NULL.
///
/// # Safety
/// `out` must be valid for a write.
pub(super) unsafe fn put<T>(out: *mut *mut T, value: T) {
    // SAFETY: checked by the caller.
    unsafe { *out = Box::into_raw(Box::new(value)) };
}

pub(super) fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}
