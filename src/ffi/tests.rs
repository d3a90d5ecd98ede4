//! Unit tests of the C ABI, calling the exports as a C caller would (raw pointers, explicit lengths).

use super::boundary::FORCE_PANIC;
use super::*;
use crate::error::{Error, ErrorKind};
use std::ptr::null_mut;
use std::time::Instant;

/// Read and free a buffer.
fn take_string(buf: *mut FsiBuffer) -> String {
    assert!(!buf.is_null());
    unsafe {
        let data = fsi_buffer_data(buf);
        let len = fsi_buffer_len(buf);
        let s = String::from_utf8(std::slice::from_raw_parts(data, len).to_vec()).expect("buffers are UTF-8");
        fsi_buffer_free(buf);
        s
    }
}

fn last_error() -> Value {
    let mut buf = null_mut();
    assert_eq!(unsafe { fsi_last_error(&mut buf) }, FsiResult::Ok);
    serde_json::from_str(&take_string(buf)).unwrap()
}

fn session(options: &str) -> Result<*mut FsiSession, FsiResult> {
    let mut s = null_mut();
    let rc = unsafe { fsi_session_new(options.as_ptr(), options.len(), &mut s) };
    if rc == FsiResult::Ok {
        assert!(!s.is_null());
        Ok(s)
    } else {
        assert!(s.is_null(), "no session on error");
        Err(rc)
    }
}

fn start(s: *const FsiSession, request: &str) -> *mut FsiRequest {
    let mut r = null_mut();
    assert_eq!(unsafe { fsi_request_start(s, request.as_ptr(), request.len(), &mut r) }, FsiResult::Ok);
    assert!(!r.is_null());
    r
}

/// Wait, take the outcome, free the request: (code, JSON).
fn finish(r: *mut FsiRequest) -> (FsiResult, Value) {
    unsafe {
        assert_eq!(fsi_request_wait(r, u32::MAX), FsiResult::Ok);
        let mut buf = null_mut();
        let rc = fsi_request_take_result(r, &mut buf);
        let v = serde_json::from_str(&take_string(buf)).unwrap();
        fsi_request_free(r);
        (rc, v)
    }
}

#[test]
fn result_codes_match_error_kinds() {
    use ErrorKind::*;
    for k in [
        InvalidInput,
        InvalidFile,
        Authentication,
        Authorization,
        NotFound,
        Arm,
        Network,
        Throttled,
        Io,
        Cancelled,
        Internal,
        Conflict,
    ] {
        let r = FsiResult::from(k);
        assert_eq!(r as i32, k as i32, "{k}");
        assert_eq!(r.name(), k.as_str());
        assert_eq!(r.error_kind(), Some(k));
    }
}

#[test]
fn version_is_the_crate_version() {
    let v = unsafe { std::ffi::CStr::from_ptr(fsi_version()) };
    assert_eq!(v.to_str().unwrap(), crate::VERSION);
}

#[test]
fn session_options_are_validated() {
    let s = session(r#"{"cloud":"AzureCloud","armEndpoint":"http://127.0.0.1:1","timeoutSeconds":5}"#).unwrap();
    unsafe { fsi_session_free(s) };
    let s = session("{}").unwrap();
    unsafe { fsi_session_free(s) };

    assert_eq!(session("{").unwrap_err(), FsiResult::InvalidInput);
    assert!(last_error()["message"].as_str().unwrap().contains("not valid JSON"));

    assert_eq!(session(r#"{"armEndpiont":"x"}"#).unwrap_err(), FsiResult::InvalidInput);
    let e = last_error();
    assert_eq!(e["kind"], "InvalidInput");
    assert_eq!(e["errorId"], "AzFileSync.InvalidInput");
    assert!(e["message"].as_str().unwrap().contains("armEndpiont"), "{e}");

    assert_eq!(session(r#"{"cloud":"Mars"}"#).unwrap_err(), FsiResult::InvalidInput);
    assert!(last_error()["message"].as_str().unwrap().contains("Mars"));

    assert_eq!(session(r#"{"armEndpoint":"http://example.com"}"#).unwrap_err(), FsiResult::InvalidInput);
    assert_eq!(session(r#"{"concurrency":"many"}"#).unwrap_err(), FsiResult::InvalidInput);
    assert!(last_error()["message"].as_str().unwrap().contains("concurrency"));
    assert_eq!(session("[]").unwrap_err(), FsiResult::InvalidInput);
    // Refused by serde itself, worded by what was wrong: a nested unknown option is named with its path,
    // a value its type refuses says why.
    assert_eq!(session(r#"{"azEnvironment":{"nmae":"x"}}"#).unwrap_err(), FsiResult::InvalidInput);
    let m = last_error()["message"].as_str().unwrap().to_string();
    assert!(m.contains("unknown session option 'azEnvironment.nmae'"), "{m}");
    assert_eq!(session(r#"{"storageSyncPrincipalId":"not-a-guid"}"#).unwrap_err(), FsiResult::InvalidInput);
    let m = last_error()["message"].as_str().unwrap().to_string();
    assert!(m.contains("storageSyncPrincipalId") && m.contains("'not-a-guid' is not an object id"), "{m}");
}

#[test]
fn a_wrong_credential_is_refused_when_the_session_opens_naming_the_field_not_the_value() {
    // Issue 14: the credential is a typed value with its secrets as Secrets, parsed as the options are
    // read, so a mistake is a clear error at fsi_session_new rather than at the first request.
    let bad = r#"{"credential":{"kind":"accessToken","token":"SECRET-SENTINEL","tokne":"SECRET-SENTINEL"}}"#;
    assert_eq!(session(bad).unwrap_err(), FsiResult::InvalidInput);
    let e = last_error();
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("tokne") && message.contains("credential"), "{e}");
    assert!(!e.to_string().contains("SECRET-SENTINEL"), "{e}");
    assert_eq!(session(r#"{"credential":{"kind":"password"}}"#).unwrap_err(), FsiResult::InvalidInput);
    assert!(last_error()["message"].as_str().unwrap().contains("unknown kind"));
    let s = session(r#"{"credential":{"kind":"accessToken","token":"t","graphToken":"g"}}"#).unwrap();
    unsafe { fsi_session_free(s) };
}

#[test]
fn a_wrong_type_never_echoes_the_value() {
    // A token in the wrong place must not be quoted back in the error.
    assert_eq!(session(r#"{"cloud":{"token":"SECRET-SENTINEL"}}"#).unwrap_err(), FsiResult::InvalidInput);
    assert!(!last_error().to_string().contains("SECRET-SENTINEL"));
}

#[test]
fn null_and_invalid_utf8_are_rejected() {
    unsafe {
        let mut s = null_mut();
        assert_eq!(fsi_session_new(std::ptr::null(), 2, &mut s), FsiResult::NullPointer);
        assert_eq!(last_error()["kind"], "NullPointer");
        assert_eq!(fsi_session_new(b"{}".as_ptr(), 2, std::ptr::null_mut()), FsiResult::NullPointer);
        let bad = b"{\"cloud\":\"\xff\"}";
        assert_eq!(fsi_session_new(bad.as_ptr(), bad.len(), &mut s), FsiResult::InvalidUtf8);
        assert!(s.is_null());
        let e = last_error();
        assert_eq!(e["code"], 101);
        assert!(e["message"].as_str().unwrap().contains("offset 10"), "{e}");

        let session = session("{}").unwrap();
        let mut r = null_mut();
        assert_eq!(fsi_request_start(std::ptr::null(), b"{}".as_ptr(), 2, &mut r), FsiResult::NullPointer);
        assert_eq!(fsi_request_start(session, std::ptr::null(), 0, &mut r), FsiResult::NullPointer);
        assert_eq!(fsi_request_start(session, b"{}".as_ptr(), 2, std::ptr::null_mut()), FsiResult::NullPointer);
        assert_eq!(fsi_request_start(session, bad.as_ptr(), bad.len(), &mut r), FsiResult::InvalidUtf8);
        assert_eq!(fsi_request_start(session, b"{x".as_ptr(), 2, &mut r), FsiResult::InvalidInput);
        assert!(r.is_null());

        let mut b = null_mut();
        assert_eq!(fsi_request_wait(std::ptr::null(), 0), FsiResult::NullPointer);
        assert_eq!(fsi_request_cancel(std::ptr::null()), FsiResult::NullPointer);
        assert_eq!(fsi_request_take_result(std::ptr::null(), &mut b), FsiResult::NullPointer);
        assert_eq!(fsi_events_take(std::ptr::null(), &mut b), FsiResult::NullPointer);
        assert!(b.is_null());
        assert_eq!(fsi_last_error(std::ptr::null_mut()), FsiResult::NullPointer);
        assert!(fsi_buffer_data(std::ptr::null()).is_null());
        assert_eq!(fsi_buffer_len(std::ptr::null()), 0);
        fsi_buffer_free(std::ptr::null_mut());
        fsi_request_free(std::ptr::null_mut());
        fsi_session_free(std::ptr::null_mut());
        fsi_session_free(session);
    }
}

#[test]
fn a_request_runs_and_its_outcome_is_taken_once() {
    let s = session("{}").unwrap();
    // Whatever `explain` answers today (a catalog entry, or an error while the catalog is being written), the
    // outcome is either the result JSON or the error JSON with the same code.
    let r = start(s, r#"{"operation":"explain","code":"0x80c8305f"}"#);
    unsafe {
        assert_eq!(fsi_request_wait(r, u32::MAX), FsiResult::Ok);
        let mut buf = null_mut();
        let rc = fsi_request_take_result(r, &mut buf);
        let v: Value = serde_json::from_str(&take_string(buf)).unwrap();
        if rc == FsiResult::Ok {
            assert!(v.is_object(), "{v}");
        } else {
            assert_eq!(v["code"], rc as i32, "{v}");
            assert_eq!(last_error(), v);
        }
        let mut again = null_mut();
        assert_eq!(fsi_request_take_result(r, &mut again), FsiResult::AlreadyTaken);
        assert!(again.is_null());
        // Waiting on a finished request returns at once.
        assert_eq!(fsi_request_wait(r, 0), FsiResult::Ok);
        let mut ev = null_mut();
        assert_eq!(fsi_events_take(r, &mut ev), FsiResult::Ok);
        assert!(serde_json::from_str::<Value>(&take_string(ev)).unwrap().is_array());
        fsi_request_free(r);
        fsi_session_free(s);
    }
}

#[test]
fn a_bad_request_fails_with_invalid_input_and_error_json() {
    let s = session("{}").unwrap();
    let (rc, v) = finish(start(s, r#"{"operation":"noSuchOperation"}"#));
    assert_eq!(rc, FsiResult::InvalidInput);
    assert_eq!(v["code"], 2);
    assert_eq!(v["kind"], "InvalidInput");
    assert!(v["message"].as_str().unwrap().contains("noSuchOperation"));
    // The host's wording (PowerShell's category and next step) is not the library's: ps-module/src/Native.cs.
    assert!(v.get("recommendedAction").is_none() && v.get("category").is_none(), "{v}");
    let (rc, _) = finish(start(s, r#"{"no":"operation"}"#));
    assert_eq!(rc, FsiResult::InvalidInput);
    unsafe { fsi_session_free(s) };
}

#[test]
fn wait_times_out_and_take_says_busy_while_running() {
    let s = session("{}").unwrap();
    let r = start(s, r#"{"operation":"explain","code":"0x80c8305f","ffiTestDelayMs":400}"#);
    unsafe {
        let t = Instant::now();
        assert_eq!(fsi_request_wait(r, 50), FsiResult::Busy);
        assert!(t.elapsed() >= Duration::from_millis(45));
        let mut buf = null_mut();
        assert_eq!(fsi_request_take_result(r, &mut buf), FsiResult::Busy);
        assert!(buf.is_null());
        assert_eq!(fsi_request_wait(r, 10_000), FsiResult::Ok);
        assert!(t.elapsed() >= Duration::from_millis(400));
    }
    let (rc, _) = finish(r);
    assert_ne!(rc, FsiResult::Busy);
    unsafe { fsi_session_free(s) };
}

#[test]
fn cancel_from_another_thread_stops_a_waiting_request_promptly() {
    let s = session("{}").unwrap();
    let r = start(s, r#"{"operation":"explain","code":"0x80c8305f","ffiTestDelayMs":60000}"#);
    let addr = r as usize;
    let t = Instant::now();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(unsafe { fsi_request_cancel(addr as *const FsiRequest) }, FsiResult::Ok);
    });
    let (rc, v) = finish(r);
    canceller.join().unwrap();
    assert_eq!(rc, FsiResult::Cancelled, "{v}");
    assert_eq!(v["errorId"], "AzFileSync.Cancelled");
    assert_eq!(v["kind"], "Cancelled");
    assert!(t.elapsed() < Duration::from_secs(5), "took {:?}", t.elapsed());
    unsafe { fsi_session_free(s) };
}

#[test]
fn freeing_a_running_request_or_its_session_is_safe() {
    let s = session("{}").unwrap();
    let r1 = start(s, r#"{"operation":"explain","code":"1","ffiTestDelayMs":60000}"#);
    let r2 = start(s, r#"{"operation":"explain","code":"1","ffiTestDelayMs":200}"#);
    unsafe {
        fsi_request_free(r1);
        fsi_session_free(s);
        // r2 keeps the session alive and still finishes.
        assert_eq!(fsi_request_wait(r2, 10_000), FsiResult::Ok);
        fsi_request_free(r2);
    }
}

#[test]
fn a_panic_inside_a_request_comes_back_as_panic() {
    let s = session("{}").unwrap();
    let (rc, v) = finish(start(s, r#"{"operation":"explain","ffiTestPanic":true}"#));
    assert_eq!(rc, FsiResult::Panic);
    assert_eq!(v["errorId"], "AzFileSync.Panic");
    assert!(v["message"].as_str().unwrap().contains("ffiTestPanic"));
    unsafe { fsi_session_free(s) };
}

#[test]
fn many_threads_share_one_runtime_and_session() {
    let s = session("{}").unwrap() as usize;
    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let r = start(s as *const FsiSession, &format!(r#"{{"operation":"op{i}","ffiTestDelayMs":1}}"#));
                    let (rc, v) = finish(r);
                    assert_eq!(rc, FsiResult::InvalidInput);
                    assert!(v["message"].as_str().unwrap().contains(&format!("op{i}")));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    unsafe { fsi_session_free(s as *mut FsiSession) };
}

#[test]
fn arm_errors_carry_code_request_id_and_a_stable_error_id() {
    let e = Error::new(ErrorKind::Authorization, "cannot read the storage account")
        .with_arm(crate::error::ArmErrorDetail {
            status: 403,
            code: Some("AuthorizationFailed".into()),
            message: Some("no".into()),
            request_id: Some("req-1".into()),
            correlation_id: Some("corr-1".into()),
            request: Some("GET /subscriptions/x".into()),
        })
        .with_resource("/subscriptions/x");
    let f = Failure::from(e);
    assert_eq!(f.code, FsiResult::Authorization);
    let j = f.json;
    assert_eq!(j["errorId"], "AzFileSync.Arm.AuthorizationFailed");
    assert_eq!(j["kind"], "Authorization");
    assert_eq!(j["armCode"], "AuthorizationFailed");
    assert_eq!(j["requestId"], "req-1");
    assert_eq!(j["correlationId"], "corr-1");
    assert_eq!(j["httpStatus"], 403);
    assert_eq!(j["resourceId"], "/subscriptions/x");
    assert!(j["message"].as_str().unwrap().contains("request id req-1"));
    // An odd ARM code cannot break the id's shape.
    let odd = Failure::from(
        Error::new(ErrorKind::Arm, "x")
            .with_arm(crate::error::ArmErrorDetail { code: Some("Bad Code/<x>".into()), ..Default::default() }),
    );
    assert_eq!(odd.json["errorId"], "AzFileSync.Arm.BadCodex");
    assert_eq!(odd.json["httpStatus"], Value::Null);
}

#[test]
fn last_error_is_ok_on_a_fresh_thread() {
    std::thread::spawn(|| {
        let e = last_error();
        assert_eq!(e["code"], 0);
        assert_eq!(e["kind"], "Ok");
    })
    .join()
    .unwrap();
}

/// The names of every export in src/ffi/mod.rs, read from the source.
pub(crate) fn exports_in_source() -> Vec<String> {
    let src = include_str!("mod.rs");
    src.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest =
                l.strip_prefix("pub unsafe extern \"C\" fn ").or_else(|| l.strip_prefix("pub extern \"C\" fn "))?;
            Some(rest.split('(').next()?.to_string())
        })
        .collect()
}

/// Force a panic inside each export and check that it comes back as an error, not an abort.
#[test]
fn a_panic_in_every_export_is_caught() {
    let s = session("{}").unwrap();
    let r = start(s, r#"{"operation":"listChecks"}"#);
    let mut buf = null_mut();
    unsafe { assert_eq!(fsi_events_take(r, &mut buf), FsiResult::Ok) };

    struct Forced;
    impl Forced {
        fn on() -> Forced {
            FORCE_PANIC.with(|f| f.set(true));
            Forced
        }
    }
    impl Drop for Forced {
        fn drop(&mut self) {
            FORCE_PANIC.with(|f| f.set(false));
        }
    }
    let mut checked = Vec::new();
    let mut expect_panic = |name: &str, rc: Option<FsiResult>| {
        if let Some(rc) = rc {
            assert_eq!(rc, FsiResult::Panic, "{name}");
        }
        let e = last_error();
        assert_eq!(e["kind"], "Panic", "{name}: {e}");
        assert!(e["message"].as_str().unwrap().contains(name), "{name}: {e}");
        // Clear it so the next export's check is not fooled by this one.
        LAST_ERROR.with(|l| *l.borrow_mut() = None);
        checked.push(name.to_string());
    };
    unsafe {
        let mut out_s = null_mut();
        let mut out_r = null_mut();
        let mut out_b = null_mut();
        macro_rules! forced {
            ($e:expr) => {{
                let _f = Forced::on();
                $e
            }};
        }
        let v = forced!(fsi_version());
        assert_eq!(std::ffi::CStr::from_ptr(v).to_bytes(), b"");
        expect_panic("fsi_version", None);
        expect_panic("fsi_last_error", Some(forced!(fsi_last_error(&mut out_b))));
        expect_panic("fsi_session_new", Some(forced!(fsi_session_new(b"{}".as_ptr(), 2, &mut out_s))));
        forced!(fsi_session_free(null_mut()));
        expect_panic("fsi_session_free", None);
        expect_panic("fsi_request_start", Some(forced!(fsi_request_start(s, b"{}".as_ptr(), 2, &mut out_r))));
        expect_panic("fsi_request_wait", Some(forced!(fsi_request_wait(r, 0))));
        expect_panic("fsi_request_cancel", Some(forced!(fsi_request_cancel(r))));
        expect_panic("fsi_request_take_result", Some(forced!(fsi_request_take_result(r, &mut out_b))));
        expect_panic("fsi_events_take", Some(forced!(fsi_events_take(r, &mut out_b))));
        forced!(fsi_request_free(null_mut()));
        expect_panic("fsi_request_free", None);
        assert!(forced!(fsi_buffer_data(buf)).is_null());
        expect_panic("fsi_buffer_data", None);
        assert_eq!(forced!(fsi_buffer_len(buf)), 0);
        expect_panic("fsi_buffer_len", None);
        forced!(fsi_buffer_free(null_mut()));
        expect_panic("fsi_buffer_free", None);
        assert!(out_s.is_null() && out_r.is_null() && out_b.is_null());

        // Nothing was damaged: the handles still work.
        let _ = take_string(buf);
        let (rc, _) = finish(r);
        assert_ne!(rc, FsiResult::Panic);
        fsi_session_free(s);
    }
    let mut all = exports_in_source();
    all.sort();
    checked.sort();
    assert_eq!(checked, all, "every export must be in this test");
}
