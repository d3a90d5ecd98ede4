//! Issue 7: runs that are interrupted part way, many times at different points, converge.
//!
//! The command line is killed hard (SIGKILL) after a pseudo-random number of writes the fake has seen
//! (a fixed seed, so a failure can be replayed), then run again to completion: the end state (role
//! assignments with their names, identities, service and server properties) must equal one clean run,
//! with no duplicate assignment, and a third run must write nothing. The same for cancellation inside
//! the library, through the cancellation token the API takes, at pseudo-random points.

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_arm::FakeArm;
use filesync_identity::api::{CancellationToken, Session};
use filesync_identity::api::{Plan, PlanKind};
use filesync_identity::ErrorKind;
use support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Repair,
    EnableIdentity,
}

impl Cmd {
    fn arg(self) -> &'static str {
        match self {
            Cmd::Repair => "repair",
            Cmd::EnableIdentity => "enable-identity",
        }
    }
    fn kind(self) -> PlanKind {
        match self {
            Cmd::Repair => PlanKind::Repair,
            Cmd::EnableIdentity => PlanKind::EnableIdentity,
        }
    }
    fn topology(self) -> fake_arm::Topology {
        let mut t = match self {
            Cmd::Repair => broken_with_keys(),
            Cmd::EnableIdentity => shared_key_mixed_from(healthy().with_second_account()),
        }
        .topology();
        t.lro_delay_ms = 60;
        t.lro_retry_after_secs = 0;
        t
    }
}

fn command(fake: &FakeArm, cmd: Cmd) -> Command {
    let mut c = cli_command();
    c.args([cmd.arg(), "--yes", "-q"])
        .args(["--resource-id", &service_id(), "--arm-endpoint", fake.url(), "--graph-endpoint", fake.graph_url()])
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .env("AZURE_GRAPH_ACCESS_TOKEN", GRAPH_TOKEN);
    c
}

/// Run the command to its end; it must succeed.
fn run_to_end(fake: &FakeArm, cmd: Cmd) {
    let o = command(fake, cmd).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{} failed:\n{}\n{}",
        cmd.arg(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Everything a repair or enable-identity can change, as comparable values.
#[derive(Debug, PartialEq)]
struct EndState {
    /// (scope, role, principal, name), lower case, duplicates kept (sorted).
    assignments: Vec<(String, String, String, String)>,
    service: serde_json::Value,
    servers: Vec<serde_json::Value>,
    accounts: Vec<serde_json::Value>,
}

fn end_state(fake: &FakeArm) -> EndState {
    let assignments = assignment_tuples(fake);
    let svc = fake.service(SUB, RG, SVC).unwrap();
    let service = serde_json::json!({
        "identity": svc["identity"],
        "useIdentity": svc["properties"]["useIdentity"],
        "incomingTrafficPolicy": svc["properties"]["incomingTrafficPolicy"],
    });
    let servers = [SERVER1, SERVER2]
        .iter()
        .map(|s| {
            let r = fake.registered_server(SUB, RG, SVC, s).unwrap();
            let p = &r["properties"];
            serde_json::json!({
                "activeAuthType": p["activeAuthType"],
                "applicationId": p["applicationId"],
                "latestApplicationId": p["latestApplicationId"],
                "identity": p["identity"],
            })
        })
        .collect();
    let accounts = [ACCOUNT, ACCOUNT2]
        .iter()
        .map(|a| {
            let v = fake.storage_account(SUB, RG_STORAGE, a).unwrap();
            serde_json::json!({
                "allowSharedKeyAccess": v["properties"]["allowSharedKeyAccess"],
                "networkAcls": v["properties"]["networkAcls"],
            })
        })
        .collect();
    EndState { assignments, service, servers, accounts }
}

fn assert_no_duplicates(state: &EndState) {
    let keys: Vec<_> = state.assignments.iter().map(|(s, r, p, _)| (s, r, p)).collect();
    let unique: BTreeSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "a duplicate role assignment: {:#?}", state.assignments);
}

/// Wait until the fake is quiet: a request the interrupted run had in flight is processed (the fake
/// serves it even though nobody waits for the answer any more) and every long-running operation ended.
/// Only used before comparing end states: a re-run does not wait for it (its writes may land while the
/// re-run reads the live state, and apply takes those as changes already done).
fn settle(fake: &FakeArm) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = fake.request_log().len();
        std::thread::sleep(Duration::from_millis(100));
        let quiet = fake.request_log().len() == seen && fake.pending_operations() == 0;
        if quiet || Instant::now() > deadline {
            return;
        }
    }
}

/// One clean run on a fresh fake: the reference, and how many writes it takes.
fn reference(cmd: Cmd) -> (EndState, u64) {
    let fake = FakeArm::start_blocking(cmd.topology());
    run_to_end(&fake, cmd);
    let writes = fake.write_count();
    let state = end_state(&fake);
    assert_no_duplicates(&state);
    assert!(writes >= 4, "the reference run makes several writes ({writes})");
    (state, writes)
}

/// Kill the command after `kill_after` writes, run it again to the end, then once more.
fn killed_trial(cmd: Cmd, want: &EndState, kill_after: u64) {
    let fake = FakeArm::start_blocking(cmd.topology());
    fake.set_latency_ms(25);
    let mut child = command(&fake, cmd).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut finished_first = false;
    loop {
        if fake.write_count() >= kill_after {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            finished_first = true;
            break;
        }
        assert!(Instant::now() < deadline, "{cmd:?}: the first run neither wrote {kill_after} times nor ended");
        std::thread::sleep(Duration::from_millis(1));
    }
    // SIGKILL: no destructor, no flush, no goodbye.
    let _ = child.kill();
    let status = child.wait().unwrap();
    assert!(!finished_first, "{cmd:?}: the run ended ({status}) before {kill_after} writes");
    let killed_at = fake.write_count();
    // No waiting for the killed run's last write or operation: the re-run starts at once.
    let half = end_state(&fake);
    assert_no_duplicates(&half);
    eprintln!(
        "{cmd:?}: killed after {killed_at} writes (aimed at {kill_after}); {} assignments then",
        half.assignments.len()
    );

    fake.set_latency_ms(0);
    run_to_end(&fake, cmd);
    settle(&fake);
    let got = end_state(&fake);
    assert_no_duplicates(&got);
    assert_eq!(&got, want, "{cmd:?} killed after {killed_at} writes, then run again, ends unlike a clean run");

    fake.clear_log();
    run_to_end(&fake, cmd);
    assert_eq!(fake.write_count(), 0, "{cmd:?}: a third run wrote {:?}", writes_in_log(&fake));
}

fn killed_trials(cmd: Cmd, seed: u64, trials: usize) {
    let (want, writes) = reference(cmd);
    let mut rng = fastrand::Rng::with_seed(seed);
    for _ in 0..trials {
        // Kill after 1 .. writes-1 writes: the run is always cut short.
        let n = rng.u64(1..writes);
        killed_trial(cmd, &want, n);
    }
}

#[test]
fn repair_killed_at_random_points_converges() {
    killed_trials(Cmd::Repair, 0x7_0001, 7);
}

#[test]
fn enable_identity_killed_at_random_points_converges() {
    killed_trials(Cmd::EnableIdentity, 0x7_0002, 6);
}

// ---------------------------------------------------------------------------------------------------
// Cancellation inside the library

/// Plan and apply through the library, cancelling after `cancel_after_ms` (latency on, so a run takes a
/// while); then finish with a clean library run and check the end state.
async fn cancelled_trial(cmd: Cmd, want: &EndState, cancel_after_ms: u64) -> &'static str {
    let fake = FakeArm::start(cmd.topology()).await;
    fake.set_latency_ms(20);
    let session = Session::new(session_options(&fake)).unwrap();
    let cancel = CancellationToken::new();
    let sink: Arc<dyn filesync_identity::api::EventSink> = Arc::new(filesync_identity::api::NullSink);
    let run = async {
        // Collection, planning and applying all happen under the one token.
        let plan = filesync_identity::api::execute(
            &session,
            &serde_json::json!({"operation": "plan", "kind": match cmd { Cmd::Repair => "repair", Cmd::EnableIdentity => "enableIdentity" }, "target": {"resourceId": service_id()}}),
            sink.clone(),
            &cancel,
        )
        .await?;
        let plan = Plan::from_value(plan)?;
        filesync_identity::api::apply_plan(&session, &plan, &fast_apply(), sink.clone(), &cancel).await
    };
    let stop = async {
        tokio::time::sleep(Duration::from_millis(cancel_after_ms)).await;
        cancel.cancel();
    };
    let (result, ()) = tokio::time::timeout(Duration::from_secs(20), async { tokio::join!(run, stop) })
        .await
        .expect("a cancelled run ends promptly");
    let when = match result {
        Ok(report) => {
            // Cancelled while applying (or it was quicker than the cancellation).
            if report.summary.cancelled {
                assert_eq!(report.exit_code(), 130);
                assert!(report.summary.message.contains("run again"), "{}", report.summary.message);
                "while applying"
            } else {
                assert_eq!(report.summary.failed, 0, "{report:#?}");
                "after the end"
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
            "while reading"
        }
    };
    eprintln!("{cmd:?}: cancelled after {cancel_after_ms} ms, {when}");
    // The re-run starts at once, while a write of the cancelled run may still be processed.
    assert_no_duplicates(&end_state(&fake));

    fake.set_latency_ms(0);
    let (_, report) = plan_and_apply(&fake, cmd.kind(), &fast_apply()).await;
    assert_eq!(report.unwrap().summary.failed, 0);
    settle_async(&fake).await;
    let got = end_state(&fake);
    assert_no_duplicates(&got);
    assert_eq!(&got, want, "{cmd:?} cancelled after {cancel_after_ms} ms, then run again, ends unlike a clean run");
    fake.clear_log();
    let (again, _) = plan_and_apply(&fake, cmd.kind(), &fast_apply()).await;
    assert!(again.changes.is_empty());
    assert_eq!(fake.write_count(), 0);
    when
}

async fn settle_async(fake: &FakeArm) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = fake.request_log().len();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let quiet = fake.request_log().len() == seen && fake.pending_operations() == 0;
        if quiet || Instant::now() > deadline {
            return;
        }
    }
}

async fn library_reference(cmd: Cmd) -> EndState {
    let fake = FakeArm::start(cmd.topology()).await;
    let (_, report) = plan_and_apply(&fake, cmd.kind(), &fast_apply()).await;
    assert_eq!(report.unwrap().summary.failed, 0);
    settle_async(&fake).await;
    end_state(&fake)
}

async fn cancelled_trials(cmd: Cmd, seed: u64, trials: usize) {
    let want = library_reference(cmd).await;
    // The library and the command line end alike.
    let (cli_want, _) = tokio::task::spawn_blocking(move || reference(cmd)).await.unwrap();
    assert_eq!(want, cli_want);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut seen = BTreeSet::new();
    for _ in 0..trials {
        seen.insert(cancelled_trial(cmd, &want, rng.u64(5..700)).await);
    }
    // The seed puts cancellations both in the reading and in the applying on an idle machine; on a loaded
    // one the reading takes longer, so later (and earlier) cancellations make sure both phases are hit.
    for later in [1000, 1500, 2500, 4000] {
        if seen.contains("while applying") {
            break;
        }
        seen.insert(cancelled_trial(cmd, &want, later).await);
    }
    if !seen.contains("while reading") {
        seen.insert(cancelled_trial(cmd, &want, 1).await);
    }
    assert!(seen.contains("while reading") && seen.contains("while applying"), "{seen:?}");
}

#[tokio::test]
async fn repair_cancelled_at_random_points_converges() {
    cancelled_trials(Cmd::Repair, 0x7_0003, 5).await;
}

#[tokio::test]
async fn enable_identity_cancelled_at_random_points_converges() {
    cancelled_trials(Cmd::EnableIdentity, 0x7_0004, 5).await;
}
