//! Entry points for the fuzz targets in `fuzz/` (and for the regression test that replays their corpus
//! in `tests/fuzz_regressions.rs`). Each takes arbitrary bytes, must never panic, and checks an invariant
//! when the input is accepted. Not part of the public API.
#![doc(hidden)]

use crate::model::resource_id::ResourceId;
use crate::model::snapshot::Snapshot;

/// Snapshot loading: any bytes give a snapshot or a clear error; an accepted snapshot round-trips.
pub fn snapshot_load(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(snapshot) = Snapshot::from_json(text) {
        let again = Snapshot::from_json(&snapshot.to_json_pretty()).expect("a written snapshot loads");
        assert_eq!(again, snapshot, "a snapshot changed on a round trip");
        // The checks must cope with whatever a snapshot holds.
        let ctx = crate::checks::CheckContext::at(snapshot.collected_at);
        let _ = crate::checks::report(&snapshot, &ctx, &crate::checks::Selection::default());
        // A snapshot compared with itself moved nothing.
        let same = crate::diff::diff(&snapshot, &snapshot).expect("a snapshot is of its own deployment");
        assert!(same.is_empty(), "a snapshot differs from itself: {same:?}");
    }
}

/// Resource-id parsing: an accepted id is normalized, re-parses to itself, contains itself, and carries no
/// character that could change a URL's meaning.
pub fn resource_id(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(id) = ResourceId::parse(text) {
        let again = ResourceId::parse(id.as_str()).expect("a normalized id parses");
        assert_eq!(again, id);
        assert!(id.contains(&id));
        assert!(!id.as_str().contains(['?', '#', '%', '\\', ' ']), "URL syntax in {:?}", id.as_str());
        let _ = (
            id.subscription_id(),
            id.resource_group(),
            id.storage_account(),
            crate::model::resource_id::parse_share_scope(&id),
        );
    }
}

/// Error-code lookup: never panics; a found entry is found again by its own hex spelling.
pub fn error_code(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = crate::catalog::parse_code(text);
    if let Ok(entry) = crate::catalog::lookup(text) {
        let again = crate::catalog::lookup(&crate::catalog::hex(entry.code)).expect("an entry's own code is found");
        assert_eq!(again.code, entry.code);
    }
}

/// The C ABI entry points that take bytes: session options and request JSON. Requests run against a
/// closed loopback port (nothing is listening), so no input can reach a network.
pub fn ffi_bytes(data: &[u8]) {
    use crate::ffi::*;
    // The test hooks compiled into debug builds are not reachable from a real host's input.
    if data.windows(7).any(|w| w == b"ffiTest") {
        return;
    }
    let split = data.first().map(|b| *b as usize % (data.len().max(1))).unwrap_or(0);
    let (options, request) = data.split_at(split.min(data.len()));
    unsafe {
        let mut session = std::ptr::null_mut();
        let _ = fsi_session_new(options.as_ptr(), options.len(), &mut session);
        fsi_session_free(session);
        let fixed = br#"{"armEndpoint":"http://127.0.0.1:9","graphEndpoint":"http://localhost:9","credential":{"kind":"accessToken","token":"fuzz"},"maxRetries":0,"timeoutSeconds":2}"#;
        let mut session = std::ptr::null_mut();
        assert_eq!(fsi_session_new(fixed.as_ptr(), fixed.len(), &mut session), FsiResult::Ok);
        let mut req = std::ptr::null_mut();
        if fsi_request_start(session, request.as_ptr(), request.len(), &mut req) == FsiResult::Ok {
            if fsi_request_wait(req, 5_000) == FsiResult::Busy {
                fsi_request_cancel(req);
                fsi_request_wait(req, u32::MAX);
            }
            let mut buf = std::ptr::null_mut();
            let _ = fsi_request_take_result(req, &mut buf);
            fsi_buffer_free(buf);
            let mut events = std::ptr::null_mut();
            let _ = fsi_events_take(req, &mut events);
            fsi_buffer_free(events);
        }
        fsi_request_free(req);
        fsi_session_free(session);
    }
}

/// Plan loading: any bytes give a plan or a clear error; an accepted plan is one this tool would make
/// (only grantable roles at allowed scopes, PATCHes of the plan's own resources), round-trips through
/// its file form unchanged, and renders.
pub fn plan_load(data: &[u8]) {
    use crate::repair::plan::{ChangeKind, Plan};
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(plan) = Plan::from_json(text) else { return };
    plan.validate().expect("an accepted plan validates");
    let again = Plan::from_json(&plan.to_json_pretty()).expect("a written plan loads");
    assert_eq!(again, plan, "a plan changed on a round trip");
    let file: serde_json::Value = serde_json::from_str(&plan.to_json_pretty()).expect("a written plan is JSON");
    for (i, c) in plan.changes.iter().enumerate() {
        let method = &file["changes"][i]["request"]["method"];
        match c.kind {
            ChangeKind::RoleAssignment => {
                let g = c.grant.as_ref().expect("a grant");
                assert!(crate::model::roles::GRANTABLE.iter().any(|r| r.guid.eq_ignore_ascii_case(&g.role_guid)));
                assert_eq!(method, "PUT");
            }
            _ => assert_eq!(method, "PATCH"),
        }
    }
    let _ = crate::report::render_plan_table(&plan);
    let _ = crate::repair::basis::fingerprint(&plan.basis.facts);
    let _ = crate::repair::apply::target_spec(&plan.target);
}
