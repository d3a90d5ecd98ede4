//! Issue 7: one sweep for the token, across everything the tool can say or write.
//!
//! One distinctive sentinel is the only valid token the fake knows. Every command that can take a token
//! runs with it (every report format, collect, repair and enable-identity planned, saved and applied,
//! apply, explain, list-checks, demo, and error paths: an expired token, a 500, bad input), `-v` where
//! it exists; the library API runs every operation with a sink that keeps every event; the C ABI runs
//! requests and returns its error JSON; sessions, credentials, clients, options and errors are
//! Debug-formatted; and every file written is read back. All of it goes into one corpus, which must
//! not contain the sentinel, its base64 or URL-encoded forms, or any 8-character piece of it (compared
//! case-insensitively).

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use base64::Engine;
use fake_arm::{FakeArm, Fault, FaultAction};
use filesync_identity::api::CredentialOptions;
use filesync_identity::api::{self, CancellationToken, Session, SessionOptions};
use filesync_identity::api::{BufferSink, EventSink};
use support::*;

/// The token. Random-looking, with characters that base64 and URL encoding change.
const SENTINEL: &str = "xQ7vK+2pLm/9TzR4wN8=jH3cY6bD";

/// Everything the tool said or wrote, labelled by where it came from.
#[derive(Default)]
struct Corpus {
    parts: Vec<(String, Vec<u8>)>,
}

impl Corpus {
    fn add(&mut self, label: impl Into<String>, bytes: impl AsRef<[u8]>) {
        self.parts.push((label.into(), bytes.as_ref().to_vec()));
    }
    fn output(&mut self, label: &str, o: &Output) {
        self.add(format!("{label} (stdout)"), &o.stdout);
        self.add(format!("{label} (stderr)"), &o.stderr);
    }
    /// Every file under `dir`.
    fn files(&mut self, dir: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                self.files(&p);
            } else {
                self.add(format!("file {}", p.display()), std::fs::read(&p).unwrap());
            }
        }
    }
    fn total(&self) -> usize {
        self.parts.iter().map(|(_, b)| b.len()).sum()
    }
}

/// The forms the token must not appear in (lower case).
fn needles() -> Vec<String> {
    let mut n = vec![SENTINEL.to_string()];
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        n.push(engine.encode(SENTINEL));
        n.push(engine.encode(format!("Bearer {SENTINEL}")));
    }
    let url: String = SENTINEL
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    n.push(url);
    n.push(SENTINEL.replace('/', "\\/")); // JSON's optional escaping
    let chars: Vec<char> = SENTINEL.chars().collect();
    for w in chars.windows(8) {
        n.push(w.iter().collect());
    }
    n.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn bin() -> Command {
    let mut c = cli_command();
    c.env("NO_COLOR", "1");
    c
}

/// Run the tool with the sentinel in `AZURE_ACCESS_TOKEN` against `fake` (when given).
fn run(corpus: &mut Corpus, fake: Option<&FakeArm>, args: &[&str]) -> Output {
    let mut c = bin();
    c.args(args);
    if let Some(f) = fake {
        c.args(["--arm-endpoint", f.url(), "--graph-endpoint", f.graph_url()]);
    }
    let o = c.env("AZURE_ACCESS_TOKEN", SENTINEL).output().unwrap();
    corpus.output(&args.join(" "), &o);
    o
}

/// The same with the token on the command line instead.
fn run_flag(corpus: &mut Corpus, fake: &FakeArm, args: &[&str]) -> Output {
    let o = bin()
        .args(args)
        .args(["--access-token", SENTINEL, "--arm-endpoint", fake.url(), "--graph-endpoint", fake.graph_url()])
        .output()
        .unwrap();
    corpus.output(&format!("{} --access-token", args.join(" ")), &o);
    o
}

fn options(fake: &FakeArm) -> SessionOptions {
    SessionOptions {
        credential: Some(CredentialOptions::access_token(SENTINEL)),
        max_retries: Some(1),
        ..session_options(fake)
    }
}

/// A deployment with roles missing (so repair has work) whose only valid token is the sentinel.
async fn start(d: Deployment) -> FakeArm {
    let fake = FakeArm::start(d.topology()).await;
    fake.add_token(SENTINEL, CALLER, None);
    fake.expire_token(TOKEN);
    fake
}

fn broken() -> Deployment {
    healthy().without_file_sync_roles()
}

fn shared_key() -> Deployment {
    let mut d = healthy();
    d.service.identity = None;
    d.service.use_identity = false;
    d.account.allow_shared_key_access = None;
    d
}

async fn sweep_command_line(corpus: &mut Corpus, dir: &Path) {
    let svc = service_id();
    let id = ["--resource-id", svc.as_str()];
    let p = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let fake = start(broken()).await;
    let with = |args: &[&str]| -> Vec<String> { args.iter().chain(id.iter()).map(|s| s.to_string()).collect() };
    let call = |corpus: &mut Corpus, args: &[&str]| {
        let all = with(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        run(corpus, Some(&fake), &refs)
    };

    for format in ["table", "json", "markdown", "html"] {
        let o = call(corpus, &["test", "-v", "--format", format]);
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    }
    run_flag(corpus, &fake, &["test", "-v", "--format", "json", "--resource-id", &svc]);
    call(corpus, &["test", "--list-checks"]);
    let snap = p("snapshot.json");
    let o = call(corpus, &["collect", "-v", "--output", &snap]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    call(corpus, &["collect", "--output", "-"]);
    run(corpus, None, &["test", "--snapshot", &snap, "--format", "html"]);
    call(corpus, &["repair", "-v", "--what-if"]);
    call(corpus, &["repair", "--what-if", "--format", "json"]);
    let plan = p("repair-plan.json");
    call(corpus, &["repair", "--plan-output", &plan]);
    let o = run(corpus, Some(&fake), &["apply", "-v", "--plan", &plan, "--yes", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // Applying it again: already present; a stale plan is refused.
    run(corpus, Some(&fake), &["apply", "--plan", &plan, "--yes"]);
    call(corpus, &["repair", "-v", "--yes"]);

    let fake2 = start(shared_key()).await;
    let call2 = |corpus: &mut Corpus, args: &[&str]| {
        let all = with(args);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        run(corpus, Some(&fake2), &refs)
    };
    call2(corpus, &["enable-identity", "-v", "--what-if"]);
    call2(corpus, &["enable-identity", "--what-if", "--format", "json"]);
    call2(corpus, &["enable-identity", "--plan-output", &p("enable-plan.json")]);
    call2(corpus, &["enable-identity", "-v", "--yes"]);

    // Offline commands, with the token in the environment all the same.
    run(corpus, None, &["explain", "0x80c8305f"]);
    run(corpus, None, &["explain", "--format", "json", "-2134351773"]);
    run(corpus, None, &["list-checks", "--format", "json"]);
    run(corpus, None, &["list-checks"]);
    run(corpus, None, &["demo"]);
    run(corpus, None, &["demo", "--format", "html"]);

    // Error paths.
    let expired = start(broken()).await;
    expired.expire_token(SENTINEL);
    let o = run(&mut *corpus, Some(&expired), &["test", "-v", "--resource-id", &svc]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    run_flag(corpus, &expired, &["repair", "-v", "--yes", "--resource-id", &svc]);
    run(corpus, Some(&expired), &["collect", "--output", &p("never.json"), "--resource-id", &svc]);
    let failing = start(broken()).await;
    failing.inject(Fault::new("GET", "", FaultAction::status(500, "InternalServerError", "boom")));
    let o = run(corpus, Some(&failing), &["test", "-v", "--max-retries", "0", "--resource-id", &svc]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    run(corpus, Some(&failing), &["repair", "--yes", "--max-retries", "0", "--resource-id", &svc]);
    run(corpus, Some(&fake), &["test", "--resource-id", "/subscriptions/not-a-guid/whatever"]);
    run(corpus, Some(&fake), &["test", "--subscription", SUB, "--cloud", "NoSuchCloud"]);
    run(corpus, Some(&fake), &["test", "--timeout", "0", "--resource-id", &svc]);
    let junk = p("junk.json");
    std::fs::write(&junk, "{\"schemaVersion\": 1, \"services\": 7}").unwrap();
    run(corpus, None, &["test", "--snapshot", &junk]);
    run(corpus, Some(&fake), &["apply", "--plan", &junk, "--yes"]);
    run(corpus, None, &["test", "--snapshot", &p("missing.json")]);
    // An endpoint that is not allowed (plain http to a non-loopback host): refused before any token
    // is sent.
    let o = bin()
        .args(["test", "--resource-id", &svc, "--arm-endpoint", "http://example.invalid"])
        .env("AZURE_ACCESS_TOKEN", SENTINEL)
        .output()
        .unwrap();
    corpus.output("plain http endpoint", &o);
}

async fn sweep_library(corpus: &mut Corpus, dir: &Path) {
    let fake = start(broken()).await;
    let session = Session::new(options(&fake)).unwrap();
    corpus.add("Session Debug", format!("{session:?} {session:#?}"));
    corpus.add("SessionOptions Debug", format!("{:?} {:#?}", session.options, session.options));
    let credential = session.credential().unwrap();
    corpus.add("credential Debug", format!("{credential:?} {credential:#?} {}", credential.name()));
    let scope = session.cloud().arm_scope();
    let token = credential.get_token(&scope).await.unwrap();
    corpus.add("AccessToken Debug", format!("{token:?} {:?} {}", token.token, token.token));
    let opts = filesync_identity::api::CredentialOptions::from_json(
        &serde_json::json!({"kind": "accessToken", "token": SENTINEL}),
    )
    .unwrap();
    corpus.add("CredentialOptions Debug", format!("{opts:?} {opts:#?}"));
    let sink = Arc::new(BufferSink::new());
    let dyn_sink: Arc<dyn EventSink> = sink.clone();
    corpus.add("ApplyOptions Debug", format!("{:?}", fast_apply()));

    let cancel = CancellationToken::new();
    let target = serde_json::json!({"resourceId": service_id()});
    let snap_path = dir.join("api-snapshot.json");
    let plan_path = dir.join("api-plan.json");
    let mut requests = vec![
        serde_json::json!({"operation": "explain", "code": "0x80c86063"}),
        serde_json::json!({"operation": "listChecks"}),
        serde_json::json!({"operation": "test", "target": target}),
        serde_json::json!({"operation": "collect", "target": target, "outputPath": snap_path}),
        serde_json::json!({"operation": "test", "snapshotPath": snap_path}),
        serde_json::json!({"operation": "plan", "kind": "enableIdentity", "target": target}),
        // Bad input, echoed back in errors.
        serde_json::json!({"operation": "nope"}),
        serde_json::json!({"operation": "test", "target": {"resourceId": "/subscriptions/x"}}),
        serde_json::json!({"operation": "apply", "plan": {"hello": SUB}}),
    ];
    let plan = api::execute(
        &session,
        &serde_json::json!({"operation": "plan", "kind": "repair", "target": target}),
        dyn_sink.clone(),
        &cancel,
    )
    .await
    .unwrap();
    std::fs::write(&plan_path, serde_json::to_vec_pretty(&plan).unwrap()).unwrap();
    corpus.add("api plan", plan.to_string());
    requests.push(serde_json::json!({"operation": "apply", "planPath": plan_path, "whatIf": true}));
    requests.push(serde_json::json!({"operation": "apply", "plan": plan}));
    requests.push(serde_json::json!({"operation": "apply", "plan": plan}));
    for r in &requests {
        match api::execute(&session, r, dyn_sink.clone(), &cancel).await {
            Ok(v) => corpus.add(format!("api {r}"), v.to_string()),
            Err(e) => corpus.add(format!("api error {r}"), format!("{e} {e:?} {}", e.to_json())),
        }
    }
    // Errors from Azure: an expired token, a 500, a cancelled run.
    fake.expire_token(SENTINEL);
    let e =
        api::execute(&session, &serde_json::json!({"operation": "test", "target": target}), dyn_sink.clone(), &cancel)
            .await
            .unwrap_err();
    assert_eq!(e.kind(), filesync_identity::ErrorKind::Authentication, "{e}");
    corpus.add("api expired", format!("{e} {e:?} {}", e.to_json()));
    fake.add_token(SENTINEL, CALLER, None);
    fake.inject(Fault::new("GET", "", FaultAction::status(500, "InternalServerError", "boom")));
    let e =
        api::execute(&session, &serde_json::json!({"operation": "test", "target": target}), dyn_sink.clone(), &cancel)
            .await
            .unwrap_err();
    corpus.add("api 500", format!("{e} {e:?} {}", e.to_json()));
    fake.clear_faults();
    let cancelled = CancellationToken::new();
    cancelled.cancel();
    if let Err(e) = api::execute(
        &session,
        &serde_json::json!({"operation": "test", "target": target}),
        dyn_sink.clone(),
        &cancelled,
    )
    .await
    {
        corpus.add("api cancelled", format!("{e} {e:?}"));
    }
    // A session whose options are wrong.
    // Session options whose credential JSON is wrong: refused as they are read, naming the field only.
    let bad = serde_json::json!({"credential": {"kind": "accessToken", "token": SENTINEL, "extra": SENTINEL}});
    match serde_json::from_value::<SessionOptions>(bad) {
        Ok(o) => corpus.add("bad options Debug", format!("{o:?}")),
        Err(e) => {
            assert!(e.to_string().contains("extra"), "{e}");
            corpus.add("bad options error", format!("{e} {e:?}"));
        }
    }
    // Serialized options say the credential's kind, never its token.
    let good = options(&fake);
    corpus.add("options JSON", serde_json::to_string(&good).unwrap());
    assert!(serde_json::to_string(&good).unwrap().contains("\"kind\":\"accessToken\""));
    let events = sink.drain();
    assert!(events.len() > 50, "the sink saw the runs ({} events)", events.len());
    for ev in &events {
        corpus.add("event", format!("{ev:?} {}", serde_json::to_string(ev).unwrap()));
    }
}

/// Run a request through the C ABI and keep the result, the events and the last error.
/// The C ABI as a host sees it: the library's `#[no_mangle]` exports (`bindings/filesync_identity.h`),
/// declared here as a C caller declares them.
mod c_abi {
    /// `FsiSession`, `FsiRequest`, `FsiBuffer`: opaque to the caller.
    #[repr(C)]
    pub struct Opaque {
        _private: [u8; 0],
    }
    pub type FsiSession = Opaque;
    pub type FsiRequest = Opaque;
    pub type FsiBuffer = Opaque;
    /// `FSI_OK`; any other value is a failure.
    pub const FSI_OK: i32 = 0;

    extern "C" {
        pub fn fsi_last_error(out_buffer: *mut *mut FsiBuffer) -> i32;
        pub fn fsi_session_new(options_json: *const u8, len: usize, out_session: *mut *mut FsiSession) -> i32;
        pub fn fsi_session_free(session: *mut FsiSession);
        pub fn fsi_request_start(
            session: *const FsiSession,
            request_json: *const u8,
            len: usize,
            out_request: *mut *mut FsiRequest,
        ) -> i32;
        pub fn fsi_request_wait(request: *const FsiRequest, timeout_ms: u32) -> i32;
        pub fn fsi_request_take_result(request: *const FsiRequest, out_buffer: *mut *mut FsiBuffer) -> i32;
        pub fn fsi_events_take(request: *const FsiRequest, out_buffer: *mut *mut FsiBuffer) -> i32;
        pub fn fsi_request_free(request: *mut FsiRequest);
        pub fn fsi_buffer_data(buffer: *const FsiBuffer) -> *const u8;
        pub fn fsi_buffer_len(buffer: *const FsiBuffer) -> usize;
        pub fn fsi_buffer_free(buffer: *mut FsiBuffer);
    }
}

fn ffi_request(corpus: &mut Corpus, session: *mut c_abi::FsiSession, request: &serde_json::Value) {
    use c_abi::*;
    let bytes = request.to_string().into_bytes();
    let mut req = std::ptr::null_mut();
    // SAFETY: valid pointers and lengths; each object freed once.
    unsafe {
        let rc = fsi_request_start(session, bytes.as_ptr(), bytes.len(), &mut req);
        assert_eq!(rc, FSI_OK);
        assert_eq!(fsi_request_wait(req, 30_000), FSI_OK);
        let mut buf = std::ptr::null_mut();
        let rc = fsi_request_take_result(req, &mut buf);
        corpus.add(format!("ffi result {request} ({rc:?})"), take(buf));
        let mut ev = std::ptr::null_mut();
        fsi_events_take(req, &mut ev);
        corpus.add("ffi events", take(ev));
        let mut err = std::ptr::null_mut();
        fsi_last_error(&mut err);
        corpus.add("ffi last error", take(err));
        fsi_request_free(req);
    }
}

/// # Safety
/// `buf` is NULL or a live buffer; it is freed.
unsafe fn take(buf: *mut c_abi::FsiBuffer) -> Vec<u8> {
    use c_abi::*;
    if buf.is_null() {
        return Vec::new();
    }
    unsafe {
        let v = std::slice::from_raw_parts(fsi_buffer_data(buf), fsi_buffer_len(buf)).to_vec();
        fsi_buffer_free(buf);
        v
    }
}

fn sweep_c_abi(corpus: &mut Corpus, fake: &FakeArm) {
    use c_abi::*;
    let open = |corpus: &mut Corpus, options: &serde_json::Value| -> *mut FsiSession {
        let bytes = options.to_string().into_bytes();
        let mut s = std::ptr::null_mut();
        // SAFETY: valid pointers.
        unsafe {
            let rc = fsi_session_new(bytes.as_ptr(), bytes.len(), &mut s);
            let mut err = std::ptr::null_mut();
            fsi_last_error(&mut err);
            corpus.add(format!("ffi session ({rc:?})"), take(err));
        }
        s
    };
    // Serialized options carry the credential's kind only; the JSON a host sends carries the token.
    let mut good = serde_json::to_value(options(fake)).unwrap();
    assert_eq!(good["credential"], serde_json::json!({"kind": "accessToken"}));
    good["credential"] = serde_json::json!({"kind": "accessToken", "token": SENTINEL});
    // Options the ABI refuses, with the token inside.
    for bad in [
        serde_json::json!({"credential": {"kind": "accessToken", "token": SENTINEL}, "bogus": SENTINEL}),
        serde_json::json!({"credential": {"kind": "accessToken", "token": [SENTINEL]}, "armEndpoint": fake.url()}),
        serde_json::json!({"credential": {"kind": "accessToken", "token": SENTINEL, "extra": 1}, "armEndpoint": fake.url()}),
        serde_json::json!({"credential": SENTINEL, "armEndpoint": fake.url()}),
        serde_json::json!({"credential": {"kind": "accessToken", "token": SENTINEL}, "concurrency": SENTINEL}),
    ] {
        let s = open(corpus, &bad);
        if !s.is_null() {
            ffi_request(corpus, s, &serde_json::json!({"operation": "test", "target": {"resourceId": service_id()}}));
            // SAFETY: a live session, freed once.
            unsafe { fsi_session_free(s) };
        }
    }
    let s = open(corpus, &good);
    assert!(!s.is_null());
    let target = serde_json::json!({"resourceId": service_id()});
    ffi_request(corpus, s, &serde_json::json!({"operation": "test", "target": target}));
    ffi_request(corpus, s, &serde_json::json!({"operation": "plan", "kind": "repair", "target": target}));
    ffi_request(corpus, s, &serde_json::json!({"operation": "nope", "token": SENTINEL}));
    fake.expire_token(SENTINEL);
    ffi_request(corpus, s, &serde_json::json!({"operation": "test", "target": target}));
    fake.add_token(SENTINEL, CALLER, None);
    // SAFETY: a live session, freed once.
    unsafe { fsi_session_free(s) };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_appears_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut corpus = Corpus::default();
    sweep_command_line(&mut corpus, dir.path()).await;
    sweep_library(&mut corpus, dir.path()).await;
    let fake = start(broken()).await;
    tokio::task::block_in_place(|| sweep_c_abi(&mut corpus, &fake));
    corpus.files(dir.path());
    let files = corpus.parts.iter().filter(|(l, _)| l.starts_with("file ")).count();
    assert!(files >= 5, "the runs wrote snapshots and plans ({files} files)");
    assert!(corpus.total() > 200_000, "the corpus is substantial ({} bytes)", corpus.total());

    let has = |prefix: &str, what: &str| {
        corpus.parts.iter().any(|(l, b)| l.starts_with(prefix) && String::from_utf8_lossy(b).contains(what))
    };
    assert!(has("ffi result", "\"findings\""), "the C ABI ran a live test");
    assert!(has("ffi result", "Authentication"), "the C ABI returned the expired token's error");
    assert!(has("ffi session", "unknown session option"), "the C ABI refused bad options");
    // The C ABI's requests were authorized by the sentinel.
    assert!(fake.request_log().iter().any(|r| r.authorized && r.status == 200));

    let needles = needles();
    let mut leaks = Vec::new();
    for (label, bytes) in &corpus.parts {
        let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        for n in &needles {
            if let Some(at) = text.find(n.as_str()) {
                let from = text[..at].char_indices().rev().nth(40).map(|(i, _)| i).unwrap_or(0);
                leaks.push(format!("{label}: '{n}' in ...{}...", &text[from..(at + n.len()).min(text.len())]));
                break;
            }
        }
    }
    assert!(leaks.is_empty(), "the token leaked:\n{}", leaks.join("\n"));
    eprintln!("swept {} outputs, {} bytes", corpus.parts.len(), corpus.total());
}
