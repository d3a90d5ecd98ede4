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
    /// The fake's own time (latency included): from its arrival to the answer handed to the connection, ms
    /// (to the microsecond where the fake's log says it, else whole ms).
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

fn run_once(dir: &Path, rows_wanted: bool) -> Result<(f64, RoundTrip), String> {
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
        let fake_ms = match v["durationUs"].as_f64() {
            Some(us) => us / 1000.0,
            None => v["durationMs"].as_f64().unwrap_or(0.0),
        };
        fake.insert(id.to_string(), ((at - wall_start) * 1000.0, fake_ms, kind));
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
            println!("{i:>4} {slot:>4} {:>8.1} {:>8.2} {:>8.1}  {}", r.arrived, r.fake_ms, r.answered, r.kind);
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
    let round_trip = RoundTrip::of(&rows);
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
    println!("per round trip, median (90th percentile) ms: {}", round_trip.line());
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    Ok((total_ms, round_trip))
}

/// Where a round trip's time goes beyond the latency, per request (ms): the fake's lateness (its answer
/// handed to the connection, less arrival + latency); the answer's way to the client (the client's request
/// event, less the answer sent); the client's reaction (a request's arrival at the fake, less the latest
/// answer the client had before it: what the client does with an answer until the request it leads to, or
/// the slot it frees, reaches the fake); and a slot's period (a request's arrival less the arrival of the
/// request before it in the same slot: latency plus all three).
#[derive(Default, Clone)]
struct RoundTrip {
    late: Vec<f64>,
    to_client: Vec<f64>,
    reaction: Vec<f64>,
    period: Vec<f64>,
}

impl RoundTrip {
    fn of(rows: &[Row]) -> RoundTrip {
        let mut out = RoundTrip::default();
        let timed: Vec<&Row> = rows.iter().filter(|r| r.fake_ms.is_finite()).collect();
        for r in &timed {
            out.late.push(r.fake_ms - LATENCY_MS as f64);
            out.to_client.push(r.answered - (r.arrived + r.fake_ms));
        }
        let mut answers: Vec<f64> = timed.iter().map(|r| r.answered).collect();
        answers.sort_by(|a, b| a.total_cmp(b));
        for r in &timed {
            // The latest answer the client had before this request reached the fake.
            let before = answers.partition_point(|a| *a < r.arrived);
            if before > 0 {
                out.reaction.push(r.arrived - answers[before - 1]);
            }
        }
        // Slots as in the rows: each request takes the lowest slot free (its answer at the client) by its arrival.
        let mut slots: Vec<(f64, f64)> = Vec::new();
        for r in &timed {
            match slots.iter().position(|(_, free)| *free <= r.arrived) {
                Some(i) => {
                    out.period.push(r.arrived - slots[i].0);
                    slots[i] = (r.arrived, r.answered);
                }
                None => slots.push((r.arrived, r.answered)),
            }
        }
        out
    }

    fn merge(&mut self, other: &RoundTrip) {
        self.late.extend(&other.late);
        self.to_client.extend(&other.to_client);
        self.reaction.extend(&other.reaction);
        self.period.extend(&other.period);
    }

    fn line(&self) -> String {
        let q = |v: &[f64], at: f64| {
            let mut v = v.to_vec();
            v.sort_by(|a, b| a.total_cmp(b));
            v.get(((v.len() as f64 * at) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(f64::NAN)
        };
        let both = |v: &[f64]| format!("{:.2} ({:.2})", q(v, 0.5), q(v, 0.9));
        format!(
            "the fake's lateness {}; answer to the client {}; the client's reaction to the fake {}; a slot's period {}",
            both(&self.late),
            both(&self.to_client),
            both(&self.reaction),
            both(&self.period)
        )
    }
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
    let (mut totals, mut all) = (Vec::new(), RoundTrip::default());
    for _ in 0..runs {
        match run_once(&dir, rows) {
            Ok((total, round_trip)) => {
                totals.push(total);
                all.merge(&round_trip);
            }
            Err(e) => {
                eprintln!("timeline: {e}");
                std::process::exit(1);
            }
        }
    }
    if runs > 1 {
        totals.sort_by(|a, b| a.total_cmp(b));
        let list: Vec<String> = totals.iter().map(|t| format!("{t:.0}")).collect();
        println!("{runs} runs: collect ms {}; per round trip over all runs: {}", list.join(", "), all.line());
    }
}
