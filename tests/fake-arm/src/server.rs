//! HTTP plumbing: the accept loop, per-request pipeline (latency, faults, processing, logging) and the
//! response body type that can be cut short.

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::fault::FaultAction;
use crate::handlers;
use crate::state::{LoggedRequest, State};
use crate::util::{parse_query, percent_decode, ApiError};

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub base_url: String,
    pub log_file: Option<Mutex<std::fs::File>>,
    /// The request log, apart from the state: an answer is logged without waiting for another request's
    /// work, which holds the state's lock.
    pub log: Mutex<Vec<LoggedRequest>>,
    /// TCP connections accepted.
    pub connections: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn log(&self) -> std::sync::MutexGuard<'_, Vec<LoggedRequest>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A request, read whole.
pub(crate) struct Req {
    pub method: String,
    pub raw_path: String,
    /// Decoded path (the raw one when it does not decode).
    pub path: String,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub headers: hyper::HeaderMap,
    pub body_raw: Bytes,
    /// The body as JSON (None when empty; Err when it is not JSON).
    pub body: Option<Result<Value, String>>,
    /// `x-ms-correlation-request-id`: the client's, or a fresh one (the Activity Log records it).
    pub correlation_id: String,
}

impl Req {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn is_write(&self) -> bool {
        // A Resource Graph query is a POST that reads.
        matches!(self.method.as_str(), "PUT" | "PATCH" | "POST" | "DELETE") && !crate::arg::is_query_path(&self.path)
    }
    fn logged_body(&self) -> Option<Value> {
        match &self.body {
            None => None,
            Some(Ok(v)) => Some(v.clone()),
            Some(Err(_)) => Some(Value::String(String::from_utf8_lossy(&self.body_raw).into_owned())),
        }
    }
}

/// What the processing produced.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    /// Raw body bytes (overrides `body`), for deliberately broken answers.
    pub raw: Option<Bytes>,
    pub headers: Vec<(String, String)>,
    pub error_code: Option<String>,
    pub principal: Option<String>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply { status, body: Some(body), raw: None, headers: Vec::new(), error_code: None, principal: None }
    }
    pub fn empty(status: u16) -> Self {
        Reply { status, body: None, raw: None, headers: Vec::new(), error_code: None, principal: None }
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Self {
        let mut r = Reply::json(e.status, e.body());
        r.headers = e.headers.clone();
        r.error_code = Some(e.code.clone());
        r
    }
}

/// A response body that can end with an error (the connection is then closed mid-body).
pub(crate) struct FakeBody {
    data: Option<Bytes>,
    fail: bool,
    /// Before failing, wait a moment so that what was sent is flushed to the client first.
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl FakeBody {
    fn full(b: Bytes) -> Self {
        FakeBody { data: Some(b), fail: false, pause: None }
    }
    fn truncated(part: Bytes) -> Self {
        FakeBody { data: Some(part), fail: true, pause: Some(Box::pin(tokio::time::sleep(Duration::from_millis(50)))) }
    }
}

impl http_body::Body for FakeBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(d) = self.data.take() {
            if !d.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(d))));
            }
        }
        if let Some(p) = self.pause.as_mut() {
            if p.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
        }
        if self.fail {
            self.fail = false;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "fake-arm: body truncated by fault injection",
            ))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && !self.fail
    }

    fn size_hint(&self) -> SizeHint {
        if self.fail {
            SizeHint::default()
        } else {
            SizeHint::with_exact(self.data.as_ref().map(|d| d.len() as u64).unwrap_or(0))
        }
    }
}

/// The error that makes hyper drop a connection without answering.
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fake-arm: connection reset by fault injection")
    }
}
impl std::error::Error for ResetConnection {}

pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                shared.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut stop = shutdown.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { handle(shared, req).await }
                    });
                    let conn = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

const MAX_BODY: usize = 4 * 1024 * 1024;

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<FakeBody>, ResetConnection> {
    let started = Instant::now();
    let at = chrono::Utc::now();
    let method = req.method().as_str().to_ascii_uppercase();
    let raw_path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let headers = req.headers().clone();
    let body_raw = match http_body_util::Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body = if body_raw.iter().all(|b| b.is_ascii_whitespace()) {
        None
    } else {
        Some(serde_json::from_slice::<Value>(&body_raw).map_err(|e| e.to_string()))
    };
    let path = percent_decode(&raw_path).unwrap_or_else(|_| raw_path.clone());
    let query = parse_query(&raw_query);
    let correlation_id = headers
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(|v| v.to_string())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let req = Req {
        method,
        raw_path,
        path,
        raw_query,
        query,
        headers,
        body_raw,
        body,
        correlation_id: correlation_id.clone(),
    };
    let request_id = uuid::Uuid::new_v4().to_string();

    // The configured latency stands for the network and ARM's own time: it runs from the request's arrival,
    // and the fake's work (the state's lock, building and serializing the answer) happens inside it, off the
    // runtime's worker threads, so one request's rendering neither lengthens its own answer nor delays
    // another's past arrival + latency. A fault's delay still comes before the work (a client that gives up
    // meanwhile drops the request unprocessed).
    // The latency and the fault are read at arrival under the state's lock; while another request's work
    // holds it, on a blocking thread, not on a runtime worker (which would stop the fake's other
    // connections, answers due among them, until that work is done).
    let arrival = |st: &mut State, method: &str, path: &str| (st.latency_ms, st.take_fault(method, path));
    let at_once = match shared.state.try_lock() {
        Ok(mut st) => Some(arrival(&mut st, &req.method, &req.path)),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(arrival(&mut p.into_inner(), &req.method, &req.path)),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    let (latency_ms, fault) = match at_once {
        Some(read) => read,
        None => {
            let (waiting, method, path) = (shared.clone(), req.method.clone(), req.path.clone());
            match tokio::task::spawn_blocking(move || arrival(&mut waiting.lock(), &method, &path)).await {
                Ok(read) => read,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Cancelled: the runtime is shutting down.
                Err(_) => return Err(ResetConnection),
            }
        }
    };
    let latency = Duration::from_millis(latency_ms);
    let answer_at = tokio::time::Instant::from_std(started) + latency;
    let fault_label = fault.as_ref().map(|f| f.action.label().to_string());
    let mut truncate = false;
    let mut lro_failure = None;
    let mut early: Option<Reply> = None;
    let mut delayed = Duration::ZERO;
    if let Some(f) = fault {
        match f.action {
            FaultAction::Delay(ms) => {
                delayed = Duration::from_millis(ms);
                tokio::time::sleep(delayed).await;
            }
            FaultAction::ResetConnection => {
                answer_no_earlier_than(answer_at).await;
                record(&shared, &req, None, 0, None, fault_label, &request_id, &correlation_id, at, started);
                return Err(ResetConnection);
            }
            FaultAction::Status { status, code, message, retry_after } => {
                let mut e = ApiError::new(status, &code, message);
                if let Some(s) = retry_after {
                    e = e.with_header("Retry-After", s.to_string());
                }
                if status == 429 {
                    e = e.with_header("x-ms-ratelimit-remaining-subscription-reads", "0");
                }
                early = Some(e.into());
            }
            FaultAction::MalformedJson => {
                let mut r = Reply::empty(200);
                r.raw = Some(Bytes::from_static(b"{\"value\": [{\"id\": \"/subscriptions/"));
                early = Some(r);
            }
            FaultAction::TruncatedBody => truncate = true,
            FaultAction::FailOperation { code, message } => lro_failure = Some((code, message)),
        }
    }
    let (req, reply) = match early {
        Some(r) => (req, r),
        None => {
            let worker = shared.clone();
            let work = tokio::task::spawn_blocking(move || {
                let mut reply = {
                    let mut st = worker.lock();
                    handlers::process(&mut st, &worker.base_url, &req, lro_failure)
                };
                if reply.raw.is_none() {
                    reply.raw = reply.body.take().map(|v| Bytes::from(serde_json::to_vec(&v).unwrap_or_default()));
                }
                (req, reply)
            });
            match work.await {
                Ok(done) => done,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Cancelled: the runtime is shutting down.
                Err(_) => return Err(ResetConnection),
            }
        }
    };
    answer_no_earlier_than(answer_at + delayed).await;
    record(
        &shared,
        &req,
        reply.principal.clone(),
        reply.status,
        reply.error_code.clone(),
        fault_label,
        &request_id,
        &correlation_id,
        at,
        started,
    );
    Ok(build_response(reply, &request_id, &correlation_id, truncate))
}

/// How long before an answer's time tokio's timer is asked to wake the request: its timer counts whole
/// milliseconds and rounds a deadline up to the next one, and a worker that parks for it wakes a little
/// later still, so a request that slept on it to the deadline was answered up to 1 to 2 ms late.
const COARSE_WAKE_BEFORE: Duration = Duration::from_millis(2);

/// Wait until `deadline` and not much past it: tokio's timer to within [`COARSE_WAKE_BEFORE`] of it (no
/// thread held meanwhile), then the rest (under 2 ms) as a thread's sleep on one of tokio's blocking
/// threads, which the kernel ends within tens of microseconds. The configured latency stands for the network
/// and ARM, so an answer a timer tick late is the fake's error, not the client's.
async fn answer_no_earlier_than(deadline: tokio::time::Instant) {
    if let Some(coarse) = deadline.checked_sub(COARSE_WAKE_BEFORE) {
        if coarse > tokio::time::Instant::now() {
            tokio::time::sleep_until(coarse).await;
        }
    }
    let deadline = deadline.into_std();
    if deadline > Instant::now() {
        // The sleep is measured on the thread itself, which may start a moment after it was asked for.
        let finish = tokio::task::spawn_blocking(move || {
            let now = Instant::now();
            if deadline > now {
                std::thread::sleep(deadline - now);
            }
        });
        // An error is a cancelled finish: the runtime is shutting down.
        let _ = finish.await;
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    shared: &Shared,
    req: &Req,
    principal: Option<String>,
    status: u16,
    error_code: Option<String>,
    fault: Option<String>,
    request_id: &str,
    correlation_id: &str,
    at: chrono::DateTime<chrono::Utc>,
    started: Instant,
) {
    let elapsed = started.elapsed();
    let entry = LoggedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: crate::util::query_decode(&req.raw_query),
        query_pairs: req.query.clone(),
        status,
        authorized: principal.is_some(),
        principal,
        body: req.logged_body(),
        error_code,
        fault,
        request_id: request_id.to_string(),
        correlation_id: correlation_id.to_string(),
        at,
        duration_ms: elapsed.as_millis() as u64,
        duration_us: elapsed.as_micros() as u64,
    };
    if let Some(f) = &shared.log_file {
        if let Ok(line) = serde_json::to_string(&entry) {
            let mut f = f.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(f, "{line}");
            let _ = f.flush();
        }
    }
    shared.log().push(entry);
}

fn build_response(reply: Reply, request_id: &str, correlation_id: &str, truncate: bool) -> Response<FakeBody> {
    let bytes = match (&reply.raw, &reply.body) {
        (Some(raw), _) => raw.clone(),
        (None, Some(v)) => Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        (None, None) => Bytes::new(),
    };
    let full_len = bytes.len();
    let body = if truncate {
        let cut = full_len / 2;
        FakeBody::truncated(bytes.slice(..cut))
    } else {
        FakeBody::full(bytes)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    let mut put = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            h.append(n, v);
        }
    };
    put("Content-Type", "application/json; charset=utf-8");
    put("Cache-Control", "no-cache");
    put("Pragma", "no-cache");
    put("Expires", "-1");
    put("X-Content-Type-Options", "nosniff");
    put("x-ms-request-id", request_id);
    put("x-ms-correlation-request-id", correlation_id);
    for (k, v) in &reply.headers {
        put(k, v);
    }
    if truncate {
        put("Content-Length", &(full_len + 64).to_string());
    }
    resp
}
