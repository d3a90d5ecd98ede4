//! Issue 7: the fault matrix. Every fault the fake can inject, against every operation (collect, test,
//! repair, enable-identity), each cell its own named test (`fault_matrix::status_503::repair`).
//!
//! Each cell runs the operation once without faults on a fresh fake (the reference) and once with the
//! fault on another fresh fake, and asserts: the faulted run ends with the reference's result (same
//! findings, same end state), or it reports a typed failure that names the resource, ARM's error code
//! and the request id; it never hangs (a time limit), never leaves a partial snapshot file, and sends no
//! write that is not in its plan. Transient faults (429 with Retry-After, 500, 503, a reset connection,
//! a request that outlives the client's timeout, a malformed or truncated body, a token that expires
//! mid-run, a principal that is not replicated yet) must end in success.
//!
//! The ARM client is built with short timeouts and back-offs (`ClientOptions`), so each cell takes well
//! under a second or two. That tuning is the client's own, not the front door's, so the matrix is a unit
//! test of the crate; it sits at the front door because it spans the stages (the client, collect, the
//! checks, apply), on the integration tests' deployments (`tests/support/deployment.rs`).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fake_arm::{FakeArm, Fault, FaultAction};

use crate::api::{BufferSink, CancellationToken, EventSink, Session};
use crate::arm::{ArmClient, ClientOptions};
use crate::checks::{self, CheckContext, Selection};
use crate::collect::{self, CollectOptions, TargetSpec};
use crate::credentials::{AccessToken, TokenCredential};
use crate::model::resource_id::ResourceId;
use crate::model::snapshot::Snapshot;
use crate::repair::apply::{self, ApplyReport, Outcome};
use crate::repair::plan::{Plan, NAME_PLACEHOLDER};
use crate::test_support::*;
use crate::{Result, Secret};

/// The token a credential hands out once the first one was refused (see [`Rotating`]).
const FRESH_TOKEN: &str = "fault-matrix-fresh-token-2d9b";

/// A credential that can be refreshed, as a real one can: the test token until ARM refuses it, then a
/// fresh one.
#[derive(Debug, Default)]
struct Rotating {
    refreshed: AtomicBool,
}

impl TokenCredential for Rotating {
    fn get_token<'a>(&'a self, scope: &'a str) -> futures::future::BoxFuture<'a, Result<AccessToken>> {
        // Graph (the fake named `localhost`) has a token of its own, as a real credential mints one per
        // audience.
        let graph = scope.contains("//localhost");
        let t = if graph {
            GRAPH_TOKEN
        } else if self.refreshed.load(Ordering::SeqCst) {
            FRESH_TOKEN
        } else {
            TOKEN
        };
        Box::pin(async move { Ok(AccessToken::new(Secret::new(t), None)) })
    }
    fn name(&self) -> &'static str {
        "rotating test token"
    }
    fn invalidate(&self, scope: &str) {
        if !scope.contains("//localhost") {
            self.refreshed.store(true, Ordering::SeqCst);
        }
    }
}

/// The client's per-request time limit in the matrix, and the `Delay` that outlives it.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(400);
const SLOW_MS: u64 = 1_200;

/// An ARM client for the fake with short timeouts and back-offs.
fn client(fake: &FakeArm, sink: Arc<dyn EventSink>) -> ArmClient {
    let session = Session::new(session_options(fake)).unwrap();
    let options = ClientOptions {
        concurrency: 8,
        timeout: REQUEST_TIMEOUT,
        max_retries: 3,
        retry_base_delay: Duration::from_millis(10),
        // Caps `Retry-After` too (the fake's is whole seconds).
        max_retry_delay: Duration::from_millis(100),
        read_pace_per_second: 1_000.0,
        ..Default::default()
    };
    let cred: Arc<dyn TokenCredential> = Arc::new(Rotating::default());
    ArmClient::new(session.cloud().clone(), cred, options, sink, CancellationToken::new()).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Collect,
    Test,
    Repair,
    EnableIdentity,
}

impl Op {
    fn writes(self) -> bool {
        matches!(self, Op::Repair | Op::EnableIdentity)
    }
    fn deployment(self) -> Deployment {
        match self {
            Op::Collect | Op::Test => {
                healthy().without_assignment(fake_arm::roles::STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, P_S2)
            }
            Op::Repair => healthy().without_file_sync_roles(),
            Op::EnableIdentity => shared_key_mixed(),
        }
    }
    fn topology(self) -> fake_arm::Topology {
        let mut t = self.deployment().topology();
        t.lro_delay_ms = 30;
        t.lro_retry_after_secs = 0;
        t
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Throttled,
    Status500,
    Status503,
    Reset,
    Timeout,
    Malformed,
    Truncated,
    TokenExpiry,
    PrincipalNotFound,
    Forbidden,
}

impl Kind {
    /// Must the faulted run end like the clean one?
    fn must_succeed(self) -> bool {
        self != Kind::Forbidden
    }
}

/// The request a fault hits, per operation: reads for collect/test, the writes for repair and
/// enable-identity.
fn fault_for(op: Op, kind: Kind) -> Option<Fault> {
    let (method, path) = match op {
        Op::Collect | Op::Test => ("GET", "roleAssignments"),
        Op::Repair => ("PUT", "roleAssignments"),
        Op::EnableIdentity => ("PATCH", "storageSyncServices"),
    };
    let f = |action| Fault::new(method, path, action);
    Some(match kind {
        Kind::Throttled => f(FaultAction::status_retry_after(429, "TooManyRequests", "slow down", 1)).times(2),
        Kind::Status500 => f(FaultAction::status(500, "InternalServerError", "boom")).times(2),
        Kind::Status503 => f(FaultAction::status(503, "ServiceUnavailable", "try later")).times(2),
        Kind::Reset => f(FaultAction::ResetConnection).times(2),
        Kind::Timeout => f(FaultAction::Delay(SLOW_MS)).times(1),
        Kind::Malformed => match op {
            // A read that answers with half a JSON document.
            Op::Collect | Op::Test => Fault::new("GET", "registeredServers", FaultAction::MalformedJson).times(1),
            _ => f(FaultAction::MalformedJson).times(1),
        },
        Kind::Truncated => f(FaultAction::TruncatedBody).times(2),
        Kind::TokenExpiry => return None,
        // ARM's answer for a principal that is not replicated yet, for the first attempts.
        Kind::PrincipalNotFound => Fault::new(
            "PUT",
            "roleAssignments",
            FaultAction::status(400, "PrincipalNotFound", "Principal 5a5a does not exist in the directory."),
        )
        .times(2),
        Kind::Forbidden => {
            let (method, path) = match op {
                Op::Collect | Op::Test => ("GET", format!("storageAccounts/{ACCOUNT}")),
                Op::Repair => ("PUT", format!("fileshares/{SHARE}")),
                Op::EnableIdentity => ("PATCH", format!("registeredServers/{SERVER1}")),
            };
            Fault::new(
                method,
                &path,
                FaultAction::status(403, "AuthorizationFailed", "The client does not have authorization"),
            )
        }
    })
}

/// What a run ended with, comparable between fakes.
#[derive(Debug, PartialEq)]
enum Ended {
    /// Findings as (check, status, resource, principal, scope), sorted.
    Findings(BTreeSet<Vec<String>>),
    /// The deployment as it stands afterwards.
    State(EndState),
}

#[derive(Debug, PartialEq)]
struct EndState {
    /// (scope, role, principal, name), all lower case.
    assignments: BTreeSet<(String, String, String, String)>,
    service: (serde_json::Value, serde_json::Value),
    servers: Vec<(serde_json::Value, serde_json::Value)>,
}

fn findings_key(report: &crate::model::findings::Report) -> BTreeSet<Vec<String>> {
    report
        .findings
        .iter()
        .map(|f| {
            vec![
                f.check.to_string(),
                format!("{:?}", f.status),
                f.resource_id.to_ascii_lowercase(),
                f.principal_id.clone().unwrap_or_default().to_ascii_lowercase(),
                f.scope.clone().unwrap_or_default().to_ascii_lowercase(),
            ]
        })
        .collect()
}

fn end_state(fake: &FakeArm) -> EndState {
    let assignments = assignment_tuples(fake).into_iter().collect();
    let svc = fake.service(SUB, RG, SVC).unwrap();
    let servers = [SERVER1, SERVER2]
        .iter()
        .map(|s| {
            let r = fake.registered_server(SUB, RG, SVC, s).unwrap();
            (r["properties"]["activeAuthType"].clone(), r["properties"]["applicationId"].clone())
        })
        .collect();
    EndState {
        assignments,
        service: (svc["identity"]["principalId"].clone(), svc["properties"]["useIdentity"].clone()),
        servers,
    }
}

fn target() -> TargetSpec {
    TargetSpec::Service(ResourceId::parse(&service_id()).unwrap())
}

async fn collect_with(client: &ArmClient) -> Result<Snapshot> {
    collect::collect(client, &CollectOptions::new(target())).await
}

fn report_of(s: &Snapshot) -> crate::model::findings::Report {
    checks::report(s, &CheckContext::at(s.collected_at), &Selection::default())
}

fn make_plan(op: Op, s: &Snapshot) -> Plan {
    match op {
        Op::Repair => crate::repair::planners::plan_repair(s, &report_of(s).findings),
        _ => crate::repair::planners::plan_enable_identity(s),
    }
}

/// The reference: the operation on a fresh fake, no fault.
async fn clean_run(op: Op) -> Ended {
    let fake = FakeArm::start(op.topology()).await;
    let c = client(&fake, Arc::new(BufferSink::new()));
    let snapshot = collect_with(&c).await.expect("the clean run collects");
    assert!(snapshot.collection_errors.is_empty(), "{:#?}", snapshot.collection_errors);
    if !op.writes() {
        return Ended::Findings(findings_key(&report_of(&snapshot)));
    }
    let plan = make_plan(op, &snapshot);
    assert!(plan.changes.len() >= 3, "{}", crate::report::render_plan_table(&plan));
    let report = apply::apply(&c, &plan, &fast_apply()).await.expect("the clean run applies");
    assert_eq!(report.summary.failed, 0, "{report:#?}");
    Ended::State(end_state(&fake))
}

/// Is this logged write one the plan lists? (Paths compared case-insensitively; a change whose
/// assignment name depends on a principal created on the way matches by its scope.)
fn in_plan(plan: &Plan, method: &str, path: &str) -> bool {
    let path = path.to_ascii_lowercase();
    plan.changes.iter().any(|c| {
        let want = c.request.path.to_ascii_lowercase();
        c.method().eq_ignore_ascii_case(method)
            && match want.strip_suffix(&NAME_PLACEHOLDER.to_ascii_lowercase()) {
                Some(prefix) => path.starts_with(prefix) && !path[prefix.len()..].contains('/'),
                None => path == want,
            }
    })
}

/// Expire the test token once the fake has seen `after` more requests (or writes, for write runs).
async fn expire_mid_run(fake: &FakeArm, writes: bool, done: &AtomicBool) {
    let start = fake.request_log().len();
    loop {
        let reached = if writes { fake.write_count() >= 1 } else { fake.request_log().len() >= start + 3 };
        if reached {
            fake.expire_token(TOKEN);
            return;
        }
        if done.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The failure names the resource, ARM's code and the request id.
fn assert_named(what: &str, resource: &str, code: Option<&str>, request_id: Option<&str>, text: &str) {
    assert_eq!(code, Some("AuthorizationFailed"), "{what}: {text}");
    let rid = request_id.unwrap_or_else(|| panic!("{what}: no request id: {text}"));
    assert!(!rid.is_empty());
    assert!(
        text.to_ascii_lowercase().contains(&resource.to_ascii_lowercase()),
        "{what} does not name {resource}: {text}"
    );
}

enum Out {
    Read(Result<Snapshot>),
    Applied(Result<ApplyReport>),
}

async fn cell(op: Op, kind: Kind) {
    tokio::time::timeout(Duration::from_secs(20), run_cell(op, kind))
        .await
        .unwrap_or_else(|_| panic!("{op:?} under {kind:?} hung"));
}

async fn run_cell(op: Op, kind: Kind) {
    let want = clean_run(op).await;
    let fake = FakeArm::start(op.topology()).await;
    fake.add_token(FRESH_TOKEN, CALLER, None);
    let events = Arc::new(BufferSink::new());
    let c = client(&fake, events.clone());
    // Write runs: the plan is made first, from the fault-free state.
    let plan = if op.writes() {
        let s = collect_with(&c).await.unwrap();
        Some(make_plan(op, &s))
    } else {
        None
    };
    fake.clear_log();
    if let Some(f) = fault_for(op, kind) {
        fake.inject(f);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.json");
    let done = AtomicBool::new(false);
    let run = async {
        let out = match &plan {
            None => match collect_with(&c).await {
                Ok(s) if op == Op::Collect => Out::Read(s.save(&file).map(|()| s)),
                other => Out::Read(other),
            },
            Some(p) => Out::Applied(apply::apply(&c, p, &fast_apply()).await),
        };
        done.store(true, Ordering::SeqCst);
        out
    };
    let watch = async {
        if kind == Kind::TokenExpiry {
            expire_mid_run(&fake, op.writes(), &done).await;
        }
    };
    let (out, ()) = tokio::join!(run, watch);

    // Never a write outside the plan (and none at all for collect and test).
    for r in fake.request_log().iter().filter(|r| r.is_write()) {
        match &plan {
            None => panic!("{op:?} wrote: {} {}", r.method, r.path),
            Some(p) => assert!(in_plan(p, &r.method, &r.path), "a write not in the plan: {} {}", r.method, r.path),
        }
    }
    if kind == Kind::TokenExpiry {
        assert!(fake.count_by(|r| r.status == 401) >= 1, "the token expired mid-run and ARM said so at least once");
    }
    match out {
        // collect / test
        Out::Read(Ok(snapshot)) => {
            if op == Op::Collect {
                let loaded = Snapshot::load(&file).expect("the snapshot file is whole");
                assert_eq!(loaded.collection_errors, snapshot.collection_errors);
                assert_eq!(findings_key(&report_of(&loaded)), findings_key(&report_of(&snapshot)));
            }
            let got = Ended::Findings(findings_key(&report_of(&snapshot)));
            if kind.must_succeed() {
                assert!(snapshot.collection_errors.is_empty(), "{kind:?}: {:#?}", snapshot.collection_errors);
                assert_eq!(got, want, "{kind:?} changed the findings");
            } else {
                // What could not be read is reported, named, with ARM's code and the request id.
                assert!(!snapshot.collection_errors.is_empty(), "a 403 on {ACCOUNT} is reported");
                for e in &snapshot.collection_errors {
                    assert_named(
                        "collection error",
                        ACCOUNT,
                        e.arm_code.as_deref(),
                        e.request_id.as_deref(),
                        &format!("{} {}", e.resource_id, e.message),
                    );
                }
                let read = report_of(&snapshot);
                assert!(
                    read.findings.iter().any(|f| f.check == "collection.read" && f.resource_id.contains(ACCOUNT)),
                    "collection.read names the account"
                );
            }
        }
        Out::Read(Err(e)) | Out::Applied(Err(e)) if !op.writes() || !kind.must_succeed() => {
            // A typed error that names what failed.
            assert!(!kind.must_succeed(), "{kind:?} must not fail {op:?}: {e}");
            let text = e.to_string();
            assert_named("error", ACCOUNT, e.arm_code(), e.request_id(), &text);
            if op == Op::Collect {
                assert!(!file.exists(), "no snapshot file after a failed collection");
            }
        }
        Out::Read(Err(e)) | Out::Applied(Err(e)) => panic!("{op:?} under {kind:?} failed: {e} ({:?})", e.kind()),
        Out::Applied(Ok(report)) => check_apply(op, kind, &fake, plan.as_ref().unwrap(), &report, &want),
    }
    drop(events);
}

fn check_apply(op: Op, kind: Kind, fake: &FakeArm, plan: &Plan, report: &ApplyReport, want: &Ended) {
    if kind.must_succeed() {
        assert_eq!(report.summary.failed, 0, "{op:?} under {kind:?}: {report:#?}");
        assert!(!report.summary.cancelled);
        assert_eq!(&Ended::State(end_state(fake)), want, "{op:?} under {kind:?} ends unlike a clean run");
        return;
    }
    // 403 on one resource: its changes fail, named; the others are done or skipped for depending on it.
    let resource = match op {
        Op::Repair => format!("fileshares/{SHARE}"),
        _ => format!("registeredServers/{SERVER1}"),
    };
    let failed: Vec<_> = report.results.iter().filter(|r| r.outcome == Outcome::Failed).collect();
    assert!(!failed.is_empty(), "{report:#?}");
    for r in &failed {
        let text = format!("{} {}", r.path.as_deref().unwrap_or_default(), r.message);
        assert_named("failed change", &resource, r.arm_code.as_deref(), r.request_id.as_deref(), &text);
        assert!(
            r.message.contains(r.request_id.as_deref().unwrap()),
            "the message quotes the request id: {}",
            r.message
        );
    }
    for r in &report.results {
        match r.outcome {
            Outcome::Failed => {}
            Outcome::Skipped => assert!(r.message.contains("needs"), "{r:#?}"),
            o => assert_eq!(o, Outcome::Created, "{r:#?}"),
        }
    }
    assert_eq!(report.exit_code(), 1);
    // What was done matches a clean run except for what was refused.
    let Ended::State(want) = want else { unreachable!() };
    let got = end_state(fake);
    assert!(got.assignments.is_subset(&want.assignments), "{:#?}", got.assignments.difference(&want.assignments));
    assert_eq!(got.service, want.service);
    let _ = plan;
}

macro_rules! matrix {
    ($($fault:ident => $kind:expr),* $(,)?) => {
        $(
            mod $fault {
                use super::*;
                #[tokio::test]
                async fn collect() {
                    cell(Op::Collect, $kind).await
                }
                #[tokio::test]
                async fn test() {
                    cell(Op::Test, $kind).await
                }
                #[tokio::test]
                async fn repair() {
                    cell(Op::Repair, $kind).await
                }
                #[tokio::test]
                async fn enable_identity() {
                    cell(Op::EnableIdentity, $kind).await
                }
            }
        )*
    };
}

matrix! {
    status_429_retry_after => Kind::Throttled,
    status_500 => Kind::Status500,
    status_503 => Kind::Status503,
    connection_reset => Kind::Reset,
    request_timeout => Kind::Timeout,
    malformed_json => Kind::Malformed,
    truncated_body => Kind::Truncated,
    token_expires_mid_run => Kind::TokenExpiry,
    principal_not_found => Kind::PrincipalNotFound,
    forbidden_one_resource => Kind::Forbidden,
}
