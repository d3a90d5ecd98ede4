//! `timeline`: one collection of the typical topology (30 ms per request) against the fake, with every
//! request's times, to see where the client's slots sit idle. See bench/README.md.
//!
//! ```text
//! cargo build --release -p filesync-bench
//! ./target/release/timeline [--runs N] [--rows]
//! ```
//!
//! Per request: when the fake received it and answered (its log: arrival to the microsecond, its own time
//! in whole ms) and when the client had the answer (the client's request event, timed here on arrival).
//! Then the slots in use over the run in 5 ms steps and where the idle slot time lies. The fake runs in
//! its own process (`filesync-bench serve-fake`, the benchmark's binary beside this one), as in the
//! benchmark.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use filesync_bench::gen::{self, Shape};
use filesync_bench::run;
use filesync_identity::api::{self, CancellationToken, Event, EventSink, Session, Source, Target};
use serde_json::Value;

const LATENCY_MS: u64 = 30;
const SLOTS: usize = 16;

/// One of the client's request events, with when it arrived here.
struct Answered {
    at: Instant,
    path: String,
    request_id: Option<String>,
    duration_ms: u64,
}

/// The client's request events.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<Answered>>,
}

impl EventSink for Recorder {
    fn emit(&self, event: Event) {
        if let Event::Request { path, request_id, duration_ms, .. } = event {
            let answered = Answered { at: Instant::now(), path, request_id, duration_ms };
            self.events.lock().unwrap_or_else(|e| e.into_inner()).push(answered);
        }
    }
}

/// One request as both sides saw it, in ms from the collection's start.
struct Row {
    kind: String,
    /// The fake received it.
    arrived: f64,
    /// The fake's own time (latency included), whole ms.
    fake_ms: f64,
    /// The client had the answer.
    answered: f64,
}

/// Seconds since midnight UTC of an RFC 3339 time (the fake's `at`).
fn seconds_of_day(at: &str) -> Option<f64> {
    let time = at.split('T').nth(1)?.trim_end_matches('Z');
    let time = time.split(['+', '-']).next()?;
    let mut parts = time.split(':');
    let (h, m, s): (f64, f64, f64) =
        (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    Some(h * 3600.0 + m * 60.0 + s)
}

/// What a request reads, for the eye: the type it lists (a path ending in a collection) or reads (a path
/// ending in a name), with the Microsoft Graph lookups apart.
fn kind_of(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| s.eq_ignore_ascii_case("servicePrincipals")) {
        return if segments.last().is_some_and(|s| s.eq_ignore_ascii_case("servicePrincipals")) {
            "servicePrincipals (list)".into()
        } else {
            "servicePrincipals".into()
        };
    }
    // Past `/subscriptions/{id}` and each `providers/{namespace}`, segments alternate type and name: an
    // odd count ends in a type (a list).
    let providers = segments.iter().filter(|s| s.eq_ignore_ascii_case("providers")).count();
    let tail = segments.len().saturating_sub(2 + 2 * providers);
    let last = segments.last().copied().unwrap_or("");
    if tail % 2 == 1 {
        format!("{last} (list)")
    } else {
        segments.get(segments.len().saturating_sub(2)).copied().unwrap_or("").to_string()
    }
}

fn now_seconds_of_day() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() % 86_400.0).unwrap_or(0.0)
}

fn run_once(dir: &Path, rows_wanted: bool) -> Result<(f64, f64), String> {
    let mut g = gen::generate(&Shape::typical());
    g.topology.latency_ms = LATENCY_MS;
    let topology_path = dir.join("timeline-topology.json");
    let log_path = dir.join("timeline-requests.jsonl");
    std::fs::write(&topology_path, g.topology.to_json_pretty()).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&log_path);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("filesync-bench");
    let mut child = Command::new(&exe)
        .arg("serve-fake")
        .arg(&topology_path)
        .arg(&log_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    stdout.read_line(&mut line).map_err(|e| e.to_string())?;
    let url = line.trim().strip_prefix("listening on ").ok_or_else(|| format!("the fake said '{line}'"))?.to_string();

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let recorder = Arc::new(Recorder::default());
    let (started, wall_start, elapsed) = rt.block_on(async {
        let session = Session::new(run::session_options(&url)).map_err(|e| e.to_string())?;
        let sink: Arc<dyn EventSink> = recorder.clone();
        let source = Source { target: Some(Target(g.target.clone())), ..Default::default() };
        let days = api::limits::ACTIVITY_DAYS.default;
        // Build the credential first (as the benchmark does before its clock starts), so that the run's
        // client is built over a warm one.
        drop(session.credential().map_err(|e| e.to_string())?);
        let wall_start = now_seconds_of_day();
        let started = Instant::now();
        api::snapshot_for(&session, &source, days, sink, &CancellationToken::new()).await.map_err(|e| e.to_string())?;
        Ok::<_, String>((started, wall_start, started.elapsed()))
    })?;
    drop(child.stdin.take());
    let _ = child.wait();

    let mut fake: HashMap<String, (f64, f64, String)> = HashMap::new();
    for l in std::fs::read_to_string(&log_path).map_err(|e| e.to_string())?.lines() {
        let Ok(v) = serde_json::from_str::<Value>(l) else { continue };
        let (Some(id), Some(at)) = (v["requestId"].as_str(), v["at"].as_str().and_then(seconds_of_day)) else {
            continue;
        };
        let kind = kind_of(v["path"].as_str().unwrap_or(""));
        fake.insert(id.to_string(), ((at - wall_start) * 1000.0, v["durationMs"].as_f64().unwrap_or(0.0), kind));
    }
    let events = recorder.events.lock().unwrap_or_else(|e| e.into_inner());
    let mut rows: Vec<Row> = events
        .iter()
        .map(|e| {
            let answered = e.at.duration_since(started).as_secs_f64() * 1000.0;
            let bare = e.path.split('?').next().unwrap_or(&e.path);
            match e.request_id.as_deref().and_then(|id| fake.get(id)) {
                Some((arrived, fake_ms, kind)) => {
                    Row { kind: kind.clone(), arrived: *arrived, fake_ms: *fake_ms, answered }
                }
                None => {
                    Row { kind: kind_of(bare), arrived: answered - e.duration_ms as f64, fake_ms: f64::NAN, answered }
                }
            }
        })
        .collect();
    rows.sort_by(|a, b| a.arrived.total_cmp(&b.arrived));
    let total_ms = elapsed.as_secs_f64() * 1000.0;

    if rows_wanted {
        // Slots: each request takes the lowest free one from its arrival to the client's answer.
        let mut free_at = [f64::NEG_INFINITY; SLOTS * 2];
        println!("{:>4} {:>4} {:>8} {:>8} {:>8}  kind", "#", "slot", "arrive", "fake ms", "answer");
        for (i, r) in rows.iter().enumerate() {
            let slot = free_at.iter().position(|f| *f <= r.arrived).unwrap_or(SLOTS * 2 - 1);
            free_at[slot] = r.answered;
            println!("{i:>4} {slot:>4} {:>8.1} {:>8.0} {:>8.1}  {}", r.arrived, r.fake_ms, r.answered, r.kind);
        }
    }
    // In flight (arrival at the fake to the answer at the client), in 5 ms steps.
    let step = 5.0;
    let buckets = (total_ms / step).ceil() as usize;
    let mut line = String::new();
    let mut idle_ms = 0.0;
    let mut idle_by_third = [0.0; 3];
    for b in 0..buckets {
        let (lo, hi) = (b as f64 * step, (b as f64 + 1.0) * step);
        // Slot-ms in use within the bucket.
        let used: f64 = rows.iter().map(|r| (r.answered.min(hi) - r.arrived.max(lo)).max(0.0)).sum();
        let mean = used / step;
        line.push_str(&format!("{:>3.0}", mean));
        let idle = (SLOTS as f64 * step - used).max(0.0);
        idle_ms += idle;
        idle_by_third[(b * 3 / buckets.max(1)).min(2)] += idle;
    }
    println!("mean slots in use per 5 ms (of {SLOTS}):\n{line}");
    let fake_median = {
        let mut d: Vec<f64> = rows.iter().map(|r| r.fake_ms).filter(|d| d.is_finite()).collect();
        d.sort_by(|a, b| a.total_cmp(b));
        d.get(d.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let answer_lag = {
        let mut d: Vec<f64> =
            rows.iter().map(|r| r.answered - r.arrived - r.fake_ms).filter(|d| d.is_finite()).collect();
        d.sort_by(|a, b| a.total_cmp(b));
        d.get(d.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let first = rows.first().map(|r| r.arrived).unwrap_or(0.0);
    let last = rows.iter().map(|r| r.answered).fold(0.0, f64::max);
    println!(
        "{} requests; collect {:.1} ms; first arrival at the fake {:.1} ms, last answer {:.1} ms; fake's time median {:.0} ms; \
         answer at the client after the fake's time, median {:.1} ms; idle slot-ms {:.0} ({:.1} slot-rounds of {LATENCY_MS} ms; \
         by thirds of the run {:.0} / {:.0} / {:.0})",
        rows.len(),
        total_ms,
        first,
        last,
        fake_median,
        answer_lag,
        idle_ms,
        idle_ms / (SLOTS as f64 * LATENCY_MS as f64),
        idle_by_third[0],
        idle_by_third[1],
        idle_by_third[2],
    );
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    Ok((total_ms, idle_ms))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1usize);
    let rows = args.iter().any(|a| a == "--rows");
    let dir = PathBuf::from("target/bench");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("timeline: {e}");
        std::process::exit(1);
    }
    for _ in 0..runs {
        if let Err(e) = run_once(&dir, rows) {
            eprintln!("timeline: {e}");
            std::process::exit(1);
        }
    }
}
