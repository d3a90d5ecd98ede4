//! `filesync-bench`: collect + test against the fake ARM at generated topologies; see bench/README.md.
//!
//! The fake runs in a child process (this binary, `serve-fake`), so the peak memory measured here is the
//! collector's and the checks' alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use filesync_bench::gen::{self, Shape};
use filesync_bench::model::{self, Models};
use filesync_bench::requests::kind as request_kind;
use filesync_bench::run;
use filesync_identity::api::{self, Selection, TargetSpec};
use filesync_identity::model::snapshot::Snapshot;
use serde_json::{json, Value};

/// Counts live heap bytes and their peak, for the collector's allocation peak.
struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size > layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const USAGE: &str = "usage: filesync-bench tenant [--quick]   (issue 23: every service under a management group)
       filesync-bench checks SNAPSHOT [CHECK-ID|all]   (where the checks' time goes; see bench/README.md)
       filesync-bench [--topology typical|limits|all] [--mode latency|throttle|all] [--quick]
                      [--output FILE] [--real-bucket] [--checks-runs N] [--no-offline]
  --quick        small topologies (page size 4) and a small bucket, for CI smoke runs
  --real-bucket  run limits/throttle with the real bucket (250 burst, 25/s) instead of the clock scaled x2
  --output       JSON results (default target/bench/results.json)";

const LATENCY_MS: u64 = 30;
const BURST: f64 = 250.0;
const REFILL: f64 = 25.0;

struct Args {
    topologies: Vec<Shape>,
    modes: Vec<&'static str>,
    quick: bool,
    output: PathBuf,
    real_bucket: bool,
    checks_runs: usize,
    offline: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut topology = "all".to_string();
    let mut mode = "all".to_string();
    let mut a = Args {
        topologies: Vec::new(),
        modes: Vec::new(),
        quick: false,
        output: PathBuf::from("target/bench/results.json"),
        real_bucket: false,
        checks_runs: 7,
        offline: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |n: &str| it.next().ok_or_else(|| format!("{n} needs a value"));
        match arg.as_str() {
            "--topology" => topology = value("--topology")?,
            "--mode" => mode = value("--mode")?,
            "--quick" => a.quick = true,
            "--output" => a.output = PathBuf::from(value("--output")?),
            "--real-bucket" => a.real_bucket = true,
            "--checks-runs" => {
                a.checks_runs = value("--checks-runs")?.parse().map_err(|_| "--checks-runs needs a number")?
            }
            "--no-offline" => a.offline = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    let (typical, limits) =
        if a.quick { (Shape::typical_quick(), Shape::limits_quick()) } else { (Shape::typical(), Shape::limits()) };
    a.topologies = match topology.as_str() {
        "typical" => vec![typical],
        "limits" => vec![limits],
        "all" => vec![typical, limits],
        t => return Err(format!("unknown topology '{t}' (typical, limits or all)")),
    };
    a.modes = match mode.as_str() {
        "latency" => vec!["latency"],
        "throttle" => vec!["throttle"],
        "all" => vec!["latency", "throttle"],
        m => return Err(format!("unknown mode '{m}' (latency, throttle or all)")),
    };
    a.checks_runs = a.checks_runs.max(1);
    Ok(a)
}

/// The selection of `test --check` with these ids (none: every check); an unknown id is refused as the
/// command line refuses it.
fn checks_only(ids: Vec<String>) -> Result<Selection, String> {
    Selection::new(ids, Vec::new()).map_err(|e| e.to_string())
}

/// `checks SNAPSHOT [ID|all]`: where the checks' time goes on a saved snapshot (e.g.
/// `target/bench/limits-snapshot.json` after a run), through the front door as `test --snapshot` runs
/// them: load; the lookup index the checks share, built alone; then each check's report on its own
/// (`api::test_report` with that one check: the index, the check, and the report made of its findings;
/// median of 5), then every check's. With a check id (or `all`), only that, 20 times (for a profiler).
fn checks_breakdown(path: &str, only: Option<&str>) -> Result<(), String> {
    if path.is_empty() {
        return Err("usage: filesync-bench checks SNAPSHOT [CHECK-ID|all]".into());
    }
    let mb = |b: usize| b as f64 / (1024.0 * 1024.0);
    let t = Instant::now();
    let base = CURRENT.load(Ordering::Relaxed);
    let mut snapshot = Snapshot::load(Path::new(path)).map_err(|e| e.to_string())?;
    snapshot.normalize_order(); // as `collect` leaves it (older snapshot files may predate that)
    let after_load = CURRENT.load(Ordering::Relaxed);
    println!(
        "load: {:.1} ms; the snapshot holds {:.1} MB of heap",
        t.elapsed().as_secs_f64() * 1000.0,
        mb(after_load.saturating_sub(base))
    );
    let report_of = |selection: &Selection| api::test_report(&snapshot, selection, &[]).map_err(|e| e.to_string());
    {
        PEAK.store(after_load, Ordering::Relaxed);
        let report = report_of(&Selection::default())?;
        let now = CURRENT.load(Ordering::Relaxed);
        println!(
            "report: {} findings hold {:.1} MB of heap; peak while checking {:.1} MB above the snapshot",
            report.findings.len(),
            mb(now.saturating_sub(after_load)),
            mb(PEAK.load(Ordering::Relaxed).saturating_sub(after_load))
        );
    }
    let time = |selection: &Selection| -> Result<(f64, usize), String> {
        let mut runs = Vec::new();
        let mut n = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let report = report_of(selection)?;
            runs.push(t.elapsed().as_secs_f64() * 1000.0);
            n = report.findings.len();
        }
        Ok((median(runs), n))
    };
    if let Some(id) = only {
        let selection = checks_only(if id == "all" { Vec::new() } else { vec![id.to_string()] })?;
        for _ in 0..4 {
            let (ms, n) = time(&selection)?; // 5 runs each
            println!("{id}: {ms:.1} ms, {n} findings");
        }
        return Ok(());
    }
    let mut runs = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(filesync_identity::model::index::Index::new(&snapshot));
        runs.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("index alone: {:.1} ms (built in every row below)", median(runs));
    for c in api::list_checks() {
        let (ms, n) = time(&checks_only(vec![c.id.to_string()])?)?;
        println!("{:<40} {:>9.1} ms {:>7} findings", c.id.as_str(), ms, n);
    }
    let (ms, n) = time(&Selection::default())?;
    println!("{:<40} {:>9.1} ms {:>7} findings", "all", ms, n);
    let t = Instant::now();
    let report = report_of(&Selection::default())?;
    let json = serde_json::to_vec(&report).map_err(|e| e.to_string())?;
    println!("report + JSON: {:.1} ms, {} bytes", t.elapsed().as_secs_f64() * 1000.0, json.len());
    Ok(())
}

/// `tenant [--quick]` (issue 23): every service under a management group of 1,000 subscriptions, at 30 ms
/// a request and Resource Graph's default quota: requests (Resource Graph and ARM apart) against the floor
/// and the per-subscription alternative, time against its bound, the collector's peak memory, the report.
fn tenant_bench(quick: bool) -> Result<(), String> {
    use filesync_bench::tenant;
    let shape = if quick { tenant::TenantShape::quick() } else { tenant::TenantShape::tenant() };
    let mut g = tenant::generate_tenant(&shape);
    g.topology.latency_ms = LATENCY_MS;
    let models = tenant::tenant_models(&g);
    let dir = PathBuf::from("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let topology_path = dir.join(format!("{}-topology.json", shape.name));
    let log_path = dir.join(format!("{}-requests.jsonl", shape.name));
    std::fs::write(&topology_path, g.topology.to_json_pretty()).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&log_path);
    let fake = start_fake(&topology_path, &log_path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let base = reset_peaks();
    let (run, stats, elapsed) = runtime.block_on(tenant::run_tenant(&fake.url)).map_err(|e| e.to_string())?;
    let peak_mb = PEAK.load(Ordering::Relaxed).saturating_sub(base) as f64 / (1024.0 * 1024.0);
    let t = Instant::now();
    let report = api::tenant_report(std::slice::from_ref(&run), &Selection::default()).map_err(|e| e.to_string())?;
    let report_ms = t.elapsed().as_secs_f64() * 1000.0;
    let fake_kb = stop_fake(fake);
    let (logged, throttled, attempts, _) = read_log(&log_path);
    let by_kind = stats.by_kind();
    let arg = by_kind.get("POST resourceGraph").copied().unwrap_or(0);
    let total: u64 = by_kind.values().sum();
    let graph: u64 = by_kind.iter().filter(|(k, _)| k.contains("servicePrincipals")).map(|(_, v)| v).sum();
    let arm = total - arg - graph;
    // ARM's requests only (Microsoft Graph's lookups are counted apart, as `graph` is).
    let floor_arm = models.descendants_pages + models.per_service_floor.arm_reads();
    let ours_arm = models.descendants_pages + models.per_service_ours.arm_reads();
    let alternative_arm = models.per_subscription_discovery + models.per_service_ours.arm_reads();
    let latency = LATENCY_MS as f64 / 1000.0;
    let concurrency = f64::from(api::limits::CONCURRENCY.default);
    // Discovery: the descendants' pages one after another, then the Resource Graph queries side by side
    // (ARG's quota, 15 per 5 s, holds them); then the services' reads, at most `concurrency` at a time,
    // none shorter than the longest service's chain.
    let bound = (models.descendants_pages + 1) as f64 * latency
        + ((models.per_service_ours.total() as f64 * latency) / concurrency)
            .max(models.per_service_ours.critical_path as f64 * latency);
    let coverage = run.coverage.clone().ok_or("no coverage")?;
    let result = json!({
        "shape": {"subscriptions": shape.subscriptions, "withFileSync": shape.with_file_sync, "services": shape.services,
                  "servers": shape.services * shape.servers_per_service, "syncGroups": shape.services * shape.groups_per_service,
                  "storageAccounts": shape.services * shape.accounts_per_service, "latencyMs": LATENCY_MS, "argQuota": "15 per 5 s"},
        "servicesFound": coverage.services_listed, "servicesCollected": run.snapshots.len(),
        "unreadableSubscriptions": coverage.unreadable_subscriptions.len(), "truncated": coverage.truncated,
        "resourceGraphRequests": arg, "resourceGraphFloor": models.arg_floor + models.arg_accounts_floor,
        "resourceGraphDiscovery": models.arg_floor, "resourceGraphAccountQueries": arg.saturating_sub(models.arg_floor),
        "resourceGraphAccountFloor": models.arg_accounts_floor,
        "armRequests": arm, "armFloor": floor_arm, "armOursModel": ours_arm, "graphRequests": graph,
        "perSubscriptionAlternative": {"discoveryListings": models.per_subscription_discovery, "armRequests": alternative_arm},
        "throttled": throttled, "attempts": attempts, "retries": stats.retries(),
        "seconds": elapsed.as_secs_f64(), "boundSeconds": bound, "ratio": elapsed.as_secs_f64() / bound,
        "peakAllocMB": peak_mb, "fakeVmHwmMB": fake_kb as f64 / 1024.0,
        "reportMs": report_ms, "verdict": report.verdict, "requestsByKind": by_kind, "loggedByKind": logged,
    });
    let out = dir.join(format!("{}-results.json", shape.name));
    std::fs::write(&out, serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    println!("{}", serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?);
    Ok(())
}

/// `serve-fake TOPOLOGY LOG`: run the fake until stdin closes, then print this process's VmHWM.
fn serve_fake(topology: &str, log: &str) -> Result<(), String> {
    let topo = fake_arm::Topology::load(Path::new(topology))?;
    let options = fake_arm::Options { port: 0, log_path: Some(PathBuf::from(log)) };
    let arm = fake_arm::FakeArm::try_start_blocking_with(topo, options)?;
    println!("listening on {}", arm.url());
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut sink = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    drop(arm);
    println!("vmhwm_kb {}", vm_hwm_kb().unwrap_or(0));
    Ok(())
}

fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    fn malloc_trim(pad: usize) -> i32;
}

/// Reset the peak resident set (Linux: `5` into clear_refs, after handing freed heap back to the system
/// so that an earlier run's memory does not count) and the allocation peak.
fn reset_peaks() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory at the top of glibc's heaps.
    unsafe {
        malloc_trim(0);
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let now = CURRENT.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

struct Mode {
    name: &'static str,
    latency_ms: u64,
    throttle: Option<(f64, f64)>,
    /// How much faster than real the bucket's clock runs (refill x scale, burst and Retry-After as is).
    clock_scale: f64,
}

fn mode_for(name: &'static str, shape: &Shape, args: &Args) -> Mode {
    match name {
        "latency" => Mode { name, latency_ms: LATENCY_MS, throttle: None, clock_scale: 1.0 },
        _ => {
            let (burst, refill, scale) = if args.quick {
                (20.0, 10.0, 1.0)
            } else if shape.name == "limits" && !args.real_bucket {
                (BURST, REFILL * 2.0, 2.0)
            } else {
                (BURST, REFILL, 1.0)
            };
            Mode { name, latency_ms: LATENCY_MS, throttle: Some((burst, refill)), clock_scale: scale }
        }
    }
}

struct Fake {
    child: std::process::Child,
    url: String,
    stdout: BufReader<std::process::ChildStdout>,
}

fn start_fake(topology_path: &Path, log_path: &Path) -> Result<Fake, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("serve-fake")
        .arg(topology_path)
        .arg(log_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the fake: {e}"))?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    stdout.read_line(&mut line).map_err(|e| e.to_string())?;
    let url = line.trim().strip_prefix("listening on ").ok_or_else(|| format!("the fake said '{line}'"))?.to_string();
    Ok(Fake { child, url, stdout })
}

/// Stop the fake (close its stdin) and return its VmHWM in kB.
fn stop_fake(mut fake: Fake) -> u64 {
    drop(fake.child.stdin.take());
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut fake.stdout, &mut rest);
    let _ = fake.child.wait();
    rest.lines().find_map(|l| l.strip_prefix("vmhwm_kb ")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// Requests by kind from the fake's log (every attempt, 429s apart), the number of 429s, of all
/// attempts, and the fake's own time per request (median, 90th percentile; latency included).
fn read_log(path: &Path) -> (std::collections::BTreeMap<String, u64>, u64, u64, (f64, f64)) {
    let mut by_kind = std::collections::BTreeMap::new();
    let (mut throttled, mut total) = (0, 0);
    let mut durations = Vec::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let method = v["method"].as_str().unwrap_or("");
        let path = v["path"].as_str().unwrap_or("");
        total += 1;
        durations.push(v["durationMs"].as_f64().unwrap_or(0.0));
        if v["status"].as_u64() == Some(429) {
            throttled += 1;
        } else {
            *by_kind.entry(request_kind(method, path)).or_default() += 1;
        }
    }
    durations.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| durations.get(((durations.len() as f64 * q) as usize).min(durations.len().saturating_sub(1)));
    let server = (at(0.5).copied().unwrap_or(0.0), at(0.9).copied().unwrap_or(0.0));
    (by_kind, throttled, total, server)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Time `filesync-identity test --snapshot FILE --format json` (the release binary beside this one).
fn offline_test(snapshot: &Path) -> Value {
    let exe = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("filesync-identity")));
    let Some(cli) = exe.filter(|p| p.exists()) else {
        return json!({"skipped": "build the CLI first: cargo build --release -p filesync-identity --bin filesync-identity"});
    };
    let mut runs = Vec::new();
    let mut exit = None;
    for _ in 0..3 {
        let started = Instant::now();
        let status = Command::new(&cli)
            .args(["test", "--snapshot"])
            .arg(snapshot)
            .args(["--format", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        runs.push(started.elapsed().as_secs_f64());
        exit = status.ok().and_then(|s| s.code());
    }
    let size = std::fs::metadata(snapshot).map(|m| m.len()).unwrap_or(0);
    json!({"command": format!("{} test --snapshot {} --format json", cli.display(), snapshot.display()),
           "medianSeconds": median(runs.clone()), "runsSeconds": runs, "exitCode": exit, "snapshotBytes": size})
}

/// The CLI's own arguments for `target`.
fn target_args(target: &TargetSpec) -> Vec<String> {
    match target {
        TargetSpec::Service(id) => vec!["--resource-id".into(), id.to_string()],
        TargetSpec::ResourceGroup { subscription_id, resource_group } => {
            vec!["--subscription".into(), subscription_id.clone(), "--resource-group".into(), resource_group.clone()]
        }
        TargetSpec::Subscription { subscription_id } => vec!["--subscription".into(), subscription_id.clone()],
    }
}

/// The whole run as an admin runs it: `filesync-identity test --format json` (the release binary beside
/// this one) against a fresh fake with the same topology, in its own process, so that its peak resident set
/// is the tool's alone (this process also holds the generated topology and the models). Returns the wall
/// time, the peak resident set (`ru_maxrss` of that one child) and the exit code.
fn cli_live_test(topology_path: &Path, log_path: &Path, target: &TargetSpec) -> Value {
    let exe = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("filesync-identity")));
    let Some(cli) = exe.filter(|p| p.exists()) else {
        return json!({"skipped": "build the CLI first: cargo build --release -p filesync-identity --bin filesync-identity"});
    };
    let fake = match start_fake(topology_path, log_path) {
        Ok(f) => f,
        Err(e) => return json!({"skipped": e}),
    };
    let started = Instant::now();
    let me = std::env::current_exe().map_err(|e| e.to_string());
    let output = me.and_then(|me| {
        Command::new(me)
            .arg("measure-rss")
            .arg(&cli)
            .arg("test")
            .args(target_args(target))
            .args(["--arm-endpoint", &fake.url, "--graph-endpoint", &filesync_bench::run::graph_url(&fake.url)])
            .args(["--credential", "access-token", "--access-token", filesync_bench::gen::TOKEN, "--format", "json"])
            .args(["--graph-access-token", filesync_bench::gen::GRAPH_TOKEN])
            .env_remove("AZURE_GRAPH_ACCESS_TOKEN")
            .env_remove("AZURE_ACCESS_TOKEN")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| format!("cannot start the CLI: {e}"))
    });
    let elapsed = started.elapsed().as_secs_f64();
    let result = match output {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let value = |key: &str| text.lines().rev().find_map(|l| l.strip_prefix(key)).map(str::trim);
            match value("maxrss_kb ") {
                Some(peak) => json!({
                    "command": format!("{} test {} --arm-endpoint URL --graph-endpoint URL --credential access-token --format json",
                                       cli.display(), target_args(target).join(" ")),
                    "wallSeconds": elapsed,
                    "peakRssMB": peak.parse::<f64>().ok().map(|kb| kb / 1024.0),
                    "exitCode": value("exit ").and_then(|c| c.parse::<i32>().ok()),
                }),
                None => json!({"skipped": "measure-rss printed no peak"}),
            }
        }
        Err(e) => json!({"skipped": e}),
    };
    stop_fake(fake);
    result
}

/// Wait for `child`; its exit code and (on Unix) its own peak resident set in kB.
fn wait_with_peak(child: std::process::Child) -> Result<(Option<i32>, Option<u64>), String> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let mut status = 0;
        // SAFETY: rusage is plain data that wait4 fills; the pid is our own child, waited for once.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
        if pid < 0 {
            return Err(format!("wait4 failed: {}", std::io::Error::last_os_error()));
        }
        let status = std::process::ExitStatus::from_raw(status);
        // Linux reports ru_maxrss in kB.
        Ok((status.code(), Some(usage.ru_maxrss as u64)))
    }
    #[cfg(not(unix))]
    {
        let mut child = child;
        let status = child.wait().map_err(|e| e.to_string())?;
        Ok((status.code(), None))
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}x")).unwrap_or_else(|| "n/a".into())
}

#[allow(clippy::too_many_arguments)]
fn run_one(
    rt: &tokio::runtime::Runtime,
    shape: &Shape,
    target: &TargetSpec,
    models: &Models,
    topology_json: &Value,
    mode: &Mode,
    args: &Args,
    dir: &Path,
    offline: bool,
) -> Result<Value, String> {
    let mut topo = topology_json.clone();
    topo["latencyMs"] = json!(mode.latency_ms);
    topo["throttle"] = match mode.throttle {
        Some((b, r)) => json!({"burst": b, "refillPerSecond": r}),
        None => Value::Null,
    };
    let topo_path = dir.join(format!("{}-{}.topology.json", shape.name, mode.name));
    let log_path = dir.join(format!("{}-{}.requests.jsonl", shape.name, mode.name));
    std::fs::write(&topo_path, serde_json::to_vec(&topo).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&log_path);
    drop(topo);
    let fake = start_fake(&topo_path, &log_path)?;

    let heap_base = reset_peaks();
    let started = Instant::now();
    let collected = rt.block_on(run::collect(&fake.url, target)).map_err(|e| format!("collect failed: {e}"))?;
    let collect_s = collected.elapsed.as_secs_f64();
    let heap_collect = PEAK.load(Ordering::Relaxed).saturating_sub(heap_base);
    let hwm_collect_kb = vm_hwm_kb().unwrap_or(0);
    // As the CLI does between its collection and its checks.
    api::release_free_memory();
    let report = api::test_report(&collected.snapshot, &Selection::default(), &[]).map_err(|e| e.to_string())?;
    let wall = started.elapsed().as_secs_f64();
    let heap_peak = PEAK.load(Ordering::Relaxed).saturating_sub(heap_base);
    let hwm_kb = vm_hwm_kb().unwrap_or(0);
    let fake_hwm_kb = stop_fake(fake);
    let (log_kinds, log_429, log_total, server_ms) = read_log(&log_path);

    // The checks alone, several times.
    let mut times = Vec::new();
    for _ in 0..args.checks_runs {
        let t = Instant::now();
        let r = api::test_report(&collected.snapshot, &Selection::default(), &[]).map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(r);
    }
    let checks_ms = median(times.clone());

    // The whole run once more as the CLI, for its own peak memory (the same in either mode, so only here).
    let cli_result = mode.throttle.is_none().then(|| {
        let cli_log = dir.join(format!("{}-{}.cli-requests.jsonl", shape.name, mode.name));
        let _ = std::fs::remove_file(&cli_log);
        cli_live_test(&topo_path, &cli_log, target)
    });

    let offline_result = if offline && args.offline {
        let path = dir.join(format!("{}-snapshot.json", shape.name));
        collected.snapshot.save(&path).map_err(|e| e.to_string())?;
        Some(offline_test(&path))
    } else {
        None
    };

    let stats = &collected.requests;
    let by_kind = stats.by_kind();
    let measured: u64 = by_kind.values().sum();
    let concurrency = api::limits::CONCURRENCY.default as usize;
    let lat = mode.latency_ms as f64 / 1000.0;
    let mut bound = model::latency_bound(&models.floor, lat, concurrency);
    if let Some((b, r)) = mode.throttle {
        bound = bound.max(model::throttle_bound(&models.floor, b, r));
    }
    let baseline_wall = models.baseline.total() as f64 * lat + model::BASELINE_SLEEP_SECS * models.services as f64;
    let summary = report.summary.clone();
    Ok(json!({
        "topology": shape.name,
        "mode": mode.name,
        "latencyMs": mode.latency_ms,
        "throttle": mode.throttle.map(|(b, r)| json!({"burst": b, "refillPerSecond": r, "clockScale": mode.clock_scale})),
        "concurrency": concurrency,
        "pageSize": shape.page_size,
        "topologyFacts": {"services": models.services, "syncGroups": models.sync_groups, "storageAccounts": models.accounts,
                          "registeredServers": shape.servers(), "roleAssignments": models.role_assignments},
        "requests": {"measured": measured, "floor": models.floor.total(), "oursModel": models.ours.total(),
                     "ratioToFloor": ratio(measured as f64, models.floor.total() as f64),
                     "byKind": by_kind, "floorByKind": models.floor.by_kind, "oursModelByKind": models.ours.by_kind,
                     "fakeLogByKind": log_kinds, "fakeLogTotal": log_total,
                     "attempts": stats.attempts(), "throttled429": stats.throttled(), "fakeLog429": log_429,
                     "retries": stats.retries(),
                     "fakeServerMsP50": server_ms.0, "fakeServerMsP90": server_ms.1},
        "criticalPath": {"floor": models.floor.critical_path, "ours": models.ours.critical_path},
        "wallSeconds": {"collectAndTest": wall, "collect": collect_s, "lowerBound": bound, "ratioToBound": ratio(wall, bound),
                        "collectRatioToBound": ratio(collect_s, bound)},
        "baseline": {"requests": models.baseline.total(), "byKind": models.baseline.by_kind,
                     "oursOverBaseline": ratio(measured as f64, models.baseline.total() as f64),
                     "wallModelSeconds": baseline_wall},
        "memory": {"benchVmHwmMB": hwm_kb as f64 / 1024.0, "benchVmHwmAfterCollectMB": hwm_collect_kb as f64 / 1024.0,
                   "heapPeakMB": heap_peak as f64 / (1024.0 * 1024.0),
                   "collectorHeapPeakMB": heap_collect as f64 / (1024.0 * 1024.0),
                   "fakeVmHwmMB": fake_hwm_kb as f64 / 1024.0},
        "checks": {"medianMs": checks_ms, "runsMs": times, "findings": report.findings.len(), "summary": summary},
        "collectionErrors": collected.snapshot.collection_errors.len(),
        "offlineTest": offline_result,
        "cliLiveTest": cli_result,
    }))
}

fn row(r: &Value) -> String {
    let q = &r["requests"];
    let w = &r["wallSeconds"];
    let mode = match r["throttle"]["clockScale"].as_f64() {
        Some(s) if s != 1.0 => format!("{} (clock x{s})", r["mode"].as_str().unwrap_or("")),
        _ => r["mode"].as_str().unwrap_or("").to_string(),
    };
    format!(
        "| {:<13} | {:<19} | {:>6} / {:<6} = {:<6} | {:>7.2} / {:<7.2} = {:<6} ({}) | {:>5} | {:>7} | {:>6} / {:.1} ({:.1}) | {:>7.1} | {:<6} |",
        r["topology"].as_str().unwrap_or(""),
        mode,
        q["measured"],
        q["floor"],
        fmt_ratio(q["ratioToFloor"].as_f64()),
        w["collectAndTest"].as_f64().unwrap_or(0.0),
        w["lowerBound"].as_f64().unwrap_or(0.0),
        fmt_ratio(w["ratioToBound"].as_f64()),
        fmt_ratio(w["collectRatioToBound"].as_f64()),
        q["throttled429"],
        q["retries"],
        r["cliLiveTest"]["peakRssMB"].as_f64().map_or("-".to_string(), |m| format!("{m:.1}")),
        r["memory"]["benchVmHwmMB"].as_f64().unwrap_or(0.0),
        r["memory"]["heapPeakMB"].as_f64().unwrap_or(0.0),
        r["checks"]["medianMs"].as_f64().unwrap_or(0.0),
        fmt_ratio(r["baseline"]["oursOverBaseline"].as_f64()),
    )
}

const FLOOR_TEXT: &str = "floor (p(n) = max(1, ceil(n / page size)) pages of a list of n items):
  1 Graph lookup of the Microsoft.StorageSync principal (no --storage-sync-principal-id given)
  + services: 1 GET for one service by id, else p(services) for the resource group / subscription list
  + per service: p(registered servers) + p(sync groups)
  + per registered server with an identity: 1 Graph lookup of its service principal + 1 GET of the machine it names
  + per sync group: p(cloud endpoints) + p(server endpoints)
  + per storage account named by a cloud endpoint, once: 1 GET + 1 file service GET + p(shares) + p(caller permission blocks)
    + p(locks at/above) (+ p(perimeter configurations), after the account's GET, for one secured by a perimeter)
  + per subscription of those accounts: min(sum over its accounts of p(role assignments at/above/below the account),
                                            p(role assignments at/above/below the subscription))
  + per subscription: p(deny assignments at/above/below the subscription)
critical path = the shorter of the floor's and our design's chains: listing pages (none for a service by id: its GET goes
                with its lists and its group's Activity Log query) + max over services of max(p(servers) + machine
                lookups (+ a machine's new group's Activity Log query), p(sync groups) + max over groups of
                max(p(server endpoints), p(cloud endpoints) + the account's longest list))
bounds: latency = max(critical path x latency, floor x latency / concurrency); throttle = max(latency bound,
        (floor ARM reads - burst) / refill)
baseline (Set-AzStorageSyncServiceIdentity, per service, sequential): 1 service GET + p(servers) + p(groups)
        + per group p(cloud endpoints) + p(server endpoints) + per grant (2 per cloud endpoint, 1 per server
        endpoint) 1 role-definition read + 1 role-assignment listing; plus a fixed 120 s sleep per run";

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("serve-fake") {
        if let Err(e) = serve_fake(argv.get(2).map_or("", |s| s), argv.get(3).map_or("", |s| s)) {
            eprintln!("serve-fake: {e}");
            std::process::exit(2);
        }
        return;
    }
    if argv.get(1).map(String::as_str) == Some("measure-rss") {
        // `measure-rss CMD ARGS...`: run CMD (its output discarded) and print its exit code and its own peak
        // resident set. A separate small process, so that CMD is forked from it and not from this benchmark
        // (Linux carries the forking parent's resident set into a child's ru_maxrss).
        let Some(cmd) = argv.get(2) else {
            eprintln!("usage: filesync-bench measure-rss CMD [ARGS...]");
            std::process::exit(2);
        };
        let child = Command::new(cmd).args(&argv[3..]).stdout(Stdio::null()).spawn();
        match child.map_err(|e| e.to_string()).and_then(wait_with_peak) {
            Ok((code, peak)) => {
                println!("exit {}", code.map_or("signal".to_string(), |c| c.to_string()));
                println!("maxrss_kb {}", peak.map_or("unknown".to_string(), |p| p.to_string()));
            }
            Err(e) => {
                eprintln!("measure-rss: {e}");
                std::process::exit(2);
            }
        }
        return;
    }
    if argv.get(1).map(String::as_str) == Some("tenant") {
        if let Err(e) = tenant_bench(argv.iter().any(|a| a == "--quick")) {
            eprintln!("filesync-bench tenant: {e}");
            std::process::exit(2);
        }
        return;
    }
    if argv.get(1).map(String::as_str) == Some("checks") {
        if let Err(e) = checks_breakdown(argv.get(2).map_or("", |s| s), argv.get(3).map(String::as_str)) {
            eprintln!("filesync-bench checks: {e}");
            std::process::exit(2);
        }
        return;
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = bench(&args) {
        eprintln!("filesync-bench: {e}");
        std::process::exit(1);
    }
}

fn bench(args: &Args) -> Result<(), String> {
    let dir = args.output.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut results = Vec::new();
    println!("{FLOOR_TEXT}\n");
    for shape in &args.topologies {
        let started = Instant::now();
        let generated = gen::generate(shape);
        let models = model::models(&generated.topology, &generated.target, true);
        let topology_json = serde_json::to_value(&generated.topology).map_err(|e| e.to_string())?;
        let target = generated.target.clone();
        drop(generated);
        eprintln!(
            "{}: {} services, {} sync groups, {} accounts, {} role assignments; floor {} requests (critical path {}), our model {}, baseline {} (generated in {:.1} s)",
            shape.name,
            models.services,
            models.sync_groups,
            models.accounts,
            models.role_assignments,
            models.floor.total(),
            models.floor.critical_path,
            models.ours.total(),
            models.baseline.total(),
            started.elapsed().as_secs_f64()
        );
        for (i, m) in args.modes.iter().enumerate() {
            let mode = mode_for(m, shape, args);
            eprintln!("  running {} / {} ...", shape.name, mode.name);
            let r = run_one(&rt, shape, &target, &models, &topology_json, &mode, args, &dir, i == 0)?;
            eprintln!("  {}", row(&r));
            results.push(r);
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    println!("| topology | mode | requests: measured / floor = ratio | wall s (collect + test) / bound = ratio (collect alone) | 429s | retries | peak MB: CLI / bench (heap) | checks ms | ours / baseline |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &results {
        println!("{}", row(r));
    }
    for r in &results {
        if let Some(o) = r["offlineTest"].as_object() {
            println!(
                "offline test --snapshot ({}): {}",
                r["topology"].as_str().unwrap_or(""),
                o.get("medianSeconds")
                    .map(|s| format!("{:.3} s median of 3", s.as_f64().unwrap_or(0.0)))
                    .unwrap_or_else(|| o.get("skipped").and_then(Value::as_str).unwrap_or("skipped").to_string())
            );
        }
        if let Some(c) = r["cliLiveTest"].as_object() {
            println!(
                "CLI test, live, end to end ({}): {}",
                r["topology"].as_str().unwrap_or(""),
                match (c.get("wallSeconds").and_then(Value::as_f64), c.get("peakRssMB").and_then(Value::as_f64)) {
                    (Some(w), Some(m)) => format!("{w:.2} s, peak resident set {m:.1} MB"),
                    (Some(w), None) => format!("{w:.2} s"),
                    _ => c.get("skipped").and_then(Value::as_str).unwrap_or("skipped").to_string(),
                }
            );
        }
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let doc = json!({
        "schema": 1,
        "commit": commit,
        "at": chrono_now(),
        "quick": args.quick,
        "floorFormula": FLOOR_TEXT,
        "results": results,
    });
    std::fs::write(&args.output, serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n")
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    println!("results written to {}", args.output.display());
    Ok(())
}

fn chrono_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
