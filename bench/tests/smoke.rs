//! CI smoke test of the benchmark: the generators, the request models and the runner work at a tiny size,
//! and the collector sends exactly the requests its design says (nothing read twice, paging included),
//! which is never fewer than the floor. A correctness test, not a timing one.

use fake_arm::FakeArm;
use filesync_bench::{gen, model, requests, run};
use filesync_identity::api::{self, Selection};

async fn check(shape: gen::Shape) {
    let g = gen::generate(&shape);
    let m = model::models(&g.topology, &g.target, true);
    assert_eq!(m.sync_groups, shape.sync_groups(), "{}", shape.name);
    assert_eq!(m.accounts, shape.accounts(), "{}", shape.name);
    let fake = FakeArm::start(g.topology.clone()).await;
    let got = run::collect(fake.url(), &g.target).await.expect("the collection succeeds");
    let stats = got.requests.by_kind();
    assert_eq!(stats, m.ours.by_kind, "{}: requests by kind, measured vs our collector's model", shape.name);
    assert_eq!(got.requests.attempts(), m.ours.total(), "{}: no retries without faults", shape.name);
    assert_eq!(got.requests.throttled(), 0);
    // The fake's own log agrees with the client's request events.
    let mut logged = std::collections::BTreeMap::<String, u64>::new();
    for r in fake.request_log() {
        assert_eq!(r.status, 200, "{} {} answered {}", r.method, r.path, r.status);
        *logged.entry(requests::kind(&r.method, &r.path)).or_default() += 1;
    }
    assert_eq!(logged, m.ours.by_kind, "{}: the fake's request log", shape.name);
    // The floor is a floor, and our design differs from it only where the model says.
    assert!(m.floor.total() <= m.ours.total());
    for (kind, n) in &m.floor.by_kind {
        if !kind.contains("roleAssignments") && !kind.contains("denyAssignments") {
            assert_eq!(m.ours.by_kind.get(kind), Some(n), "{}: {kind}", shape.name);
        }
    }
    assert!(m.floor.critical_path >= 4 && m.floor.critical_path <= m.ours.critical_path);
    assert!(m.baseline.total() > m.ours.total());
    // The snapshot is whole and the checks run on it.
    assert!(got.snapshot.collection_errors.is_empty(), "{:?}", got.snapshot.collection_errors);
    let groups: usize = got.snapshot.services.iter().map(|s| s.sync_groups.len()).sum();
    assert_eq!(groups, shape.sync_groups());
    assert_eq!(got.snapshot.storage_accounts.len(), shape.accounts());
    let report = api::test_report(&got.snapshot, &Selection::default(), &[]).expect("every check runs");
    assert!(!report.findings.is_empty());
}

#[tokio::test]
async fn typical_quick_requests_match_the_model() {
    check(gen::Shape::typical_quick()).await;
}

#[tokio::test]
async fn limits_quick_requests_match_the_model() {
    check(gen::Shape::limits_quick()).await;
}

/// Under ARM's token bucket the client waits (Retry-After, and pacing on the reads-left header) rather
/// than failing: every request answered, nothing lost, at most a handful of 429s.
#[tokio::test]
async fn throttled_collection_waits_instead_of_failing() {
    let shape = gen::Shape::limits_quick();
    let g = gen::generate(&shape);
    let m = model::models(&g.topology, &g.target, true);
    let fake = FakeArm::start(g.topology.clone().with_throttle(40.0, 40.0)).await;
    let got = run::collect(fake.url(), &g.target).await.expect("the collection succeeds");
    assert!(got.snapshot.collection_errors.is_empty(), "{:?}", got.snapshot.collection_errors);
    assert_eq!(got.requests.by_kind(), m.ours.by_kind);
    assert!(got.requests.throttled() <= 5, "{} 429s", got.requests.throttled());
    assert!(m.ours.total() > 40, "the run must outlast the burst to prove anything");
}

#[test]
fn floor_formula_by_hand() {
    // typical-quick: 1 service by id, 5 servers, 9 groups (2 server endpoints each), 3 accounts with 3
    // shares each, page size 4.
    let shape = gen::Shape::typical_quick();
    let g = gen::generate(&shape);
    let m = model::models(&g.topology, &g.target, true);
    let f = &m.floor.by_kind;
    assert_eq!(f["GET servicePrincipals (list)"], 1);
    assert_eq!(f["GET storageSyncServices"], 1);
    assert_eq!(f["GET registeredServers (list)"], 2); // p(5)
    assert_eq!(f["GET syncGroups (list)"], 3); // p(9)
    assert_eq!(f["GET cloudEndpoints (list)"], 9);
    assert_eq!(f["GET serverEndpoints (list)"], 9);
    assert_eq!(f["GET storageAccounts"], 3);
    assert_eq!(f["GET shares (list)"], 3); // p(3) each
    assert_eq!(f["GET permissions"], 3);
    assert_eq!(f["GET locks (list)"], 3);
    assert_eq!(f["GET denyAssignments (list)"], 1); // once for the subscription
                                                    // Critical path, in the collector's order: the service's GET goes with its two lists (no round trip
                                                    // of its own), then p(9) = 3 pages of sync groups, a cloud endpoint list, the account's longest list
                                                    // (3 pages); the Activity Log's queries go out beside what shows their groups (no final round). The
                                                    // old model added a round before (the GET) and after (the Activity Log): 9.
    assert_eq!(m.floor.critical_path, 7);
    // The generator is deterministic.
    assert_eq!(gen::generate(&shape).topology, g.topology);
    assert_eq!(model::pages(0, 100), 1);
    assert_eq!(model::pages(100, 100), 1);
    assert_eq!(model::pages(101, 100), 2);
}

/// The benchmark program end to end on the quick typical topology: it writes its JSON, and the CLI's own
/// live run (for the whole run's peak memory) either reports a plausible peak resident set and the exit
/// code the in-process report implies, or says how to build the CLI it needs.
#[test]
fn bench_program_measures_the_cli_run() {
    let dir = std::env::temp_dir().join(format!("filesync-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("results.json");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_filesync-bench"))
        .args(["--quick", "--topology", "typical", "--mode", "latency", "--no-offline", "--output"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "filesync-bench exited with {status}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let run = &doc["results"][0];
    assert_eq!(run["mode"], "latency");
    let cli = &run["cliLiveTest"];
    match cli["skipped"].as_str() {
        Some(why) => assert!(why.contains("cargo build"), "unexpected skip: {why}"),
        None => {
            let peak = cli["peakRssMB"].as_f64().expect("peak resident set");
            assert!(peak > 1.0 && peak < 500.0, "implausible peak {peak} MB");
            // The CLI's verdict agrees with the in-process report's: exit code 1 exactly when a check failed.
            let failed = run["checks"]["summary"]["fail"].as_u64().unwrap() > 0;
            assert_eq!(cli["exitCode"], i32::from(failed), "{cli}");
            assert!(cli["wallSeconds"].as_f64().unwrap() > 0.0);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 23: a small tenant under a management group: every service found through Resource Graph in the
/// fewest pages, its storage accounts and machines from Resource Graph, the rest read from ARM with exactly the
/// one-service design's requests, nothing unreadable.
#[tokio::test]
async fn tenant_smoke() {
    use filesync_bench::tenant;
    let g = tenant::generate_tenant(&tenant::TenantShape::quick());
    let m = tenant::tenant_models(&g);
    let fake = FakeArm::start(g.topology.clone()).await;
    let (run, stats, _) = tenant::run_tenant(fake.url()).await.expect("the run succeeds");
    let coverage = run.coverage.as_ref().expect("coverage");
    assert_eq!(run.snapshots.len(), g.services.len());
    assert_eq!(coverage.subscriptions_in_scope, g.shape.subscriptions);
    assert!(coverage.unreadable_subscriptions.is_empty() && !coverage.truncated);
    let by_kind = stats.by_kind();
    // Discovery's pages, then the storage accounts' queries (their ids gathered and asked together: at
    // least the floor's, more when the ids come in over several gathering windows).
    let arg = *by_kind.get("POST resourceGraph").expect("Resource Graph was asked");
    assert_eq!(u64::from(coverage.resource_graph_requests), arg, "{by_kind:?}");
    assert!(arg >= m.arg_floor + m.arg_accounts_floor, "{by_kind:?}");
    assert!(m.arg_accounts_floor >= 1);
    assert_eq!(by_kind.get("GET storageAccounts"), None, "no ARM GET of an account: {by_kind:?}");
    assert_eq!(by_kind.get("GET machines"), None, "no ARM GET of a machine: {by_kind:?}");
    assert_eq!(by_kind.get("GET descendants (list)"), Some(&m.descendants_pages), "{by_kind:?}");
    // After discovery: the one-service design per service, and the one Graph lookup of the tenant.
    let mut rest = by_kind.clone();
    rest.remove("POST resourceGraph");
    rest.remove("GET descendants (list)");
    let lookup = rest.remove("GET servicePrincipals (list)");
    assert_eq!(lookup, Some(1));
    assert_eq!(rest, m.per_service_ours.by_kind);
    assert_eq!(stats.throttled(), 0);
    assert!(m.per_service_floor.total() <= m.per_service_ours.total());
}
