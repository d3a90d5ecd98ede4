//! The one ARM client: every request to Azure Resource Manager (and Microsoft Graph) goes through here.
//!
//! It owns authentication (a bearer token per audience, refreshed before expiry and once after a 401),
//! retries with back-off for transient failures (honouring `Retry-After`), `nextLink` paging, a
//! per-request timeout, a bound on concurrent requests, a bound on response size, cancellation, request
//! events, and request statistics by kind (for the benchmark).
//!
//! Reads are paced per subscription: ARM meters them as a token bucket and says how many are left in
//! `x-ms-ratelimit-remaining-subscription-reads`. Once that falls to the reserve (twice the concurrency),
//! reads go out no faster than `read_pace_per_second`; a 429's `Retry-After` holds every read to that
//! subscription back (not only the one that got it), and halves the pace (at most once a second).

mod limiter;
pub mod resource_graph;
pub mod wire;
pub use limiter::Priority;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::cloud::Cloud;
use crate::credentials::{AccessToken, TokenCredential};
use crate::error::{ArmErrorDetail, Error, ErrorKind, Result};
use crate::events::{Event, EventSink, LogLevel};
use crate::sync::LockUnpoisoned;

/// The api-version used for each resource provider. ARM rejects a request without one.
pub use crate::model::api_versions;

/// Settings of the client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Concurrent requests at most (default 16).
    pub concurrency: usize,
    /// Time limit for one attempt of one request (default 60 s).
    pub timeout: Duration,
    /// Retries after the first attempt for transient failures (default 5).
    pub max_retries: u32,
    /// First back-off delay; doubles each retry, with jitter (default 1 s).
    pub retry_base_delay: Duration,
    /// Longest wait for one retry, whatever `Retry-After` says (default 60 s).
    pub max_retry_delay: Duration,
    /// Responses larger than this are refused (default 64 MiB).
    pub max_response_bytes: usize,
    /// Reads per second per subscription once ARM says the bucket is nearly empty (default 25, ARM's
    /// documented refill rate).
    pub read_pace_per_second: f64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            concurrency: 16,
            timeout: Duration::from_secs(60),
            max_retries: 5,
            retry_base_delay: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(60),
            max_response_bytes: 64 * 1024 * 1024,
            read_pace_per_second: 25.0,
        }
    }
}

/// Counts of requests, by kind, for benchmarks and `--verbose` summaries.
#[derive(Debug, Default)]
pub struct Stats {
    attempts: AtomicU64,
    retries: AtomicU64,
    writes: AtomicU64,
}

impl Stats {
    /// Every HTTP attempt, retries included.
    #[cfg(test)]
    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }
    #[cfg(test)]
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }
}

/// Read pacing for one subscription (see the module comment).
#[derive(Debug)]
struct Pace {
    /// Reads left in ARM's bucket, as the last answer said.
    remaining: Option<u64>,
    /// No read before this (the latest 429's `Retry-After`).
    resume_at: Option<Instant>,
    /// The next free send slot while pacing.
    next_slot: Instant,
    /// Reads per second while pacing.
    rate: f64,
    /// When the pace was last halved.
    slowed_at: Option<Instant>,
}

impl Pace {
    /// Nothing known yet about the bucket: send freely, pace at `rate` once it runs low.
    fn new(now: Instant, rate: f64) -> Pace {
        Pace { remaining: None, resume_at: None, next_slot: now, rate, slowed_at: None }
    }
}

/// The pacing key of a URL: its host and subscription (ARM's buckets are per subscription).
fn pace_key(url: &reqwest::Url) -> String {
    let mut segs = url.path_segments().into_iter().flatten();
    let sub = match segs.next() {
        Some(s) if s.eq_ignore_ascii_case("subscriptions") => segs.next().unwrap_or("").to_ascii_lowercase(),
        _ => String::new(),
    };
    format!("{}|{sub}", url.host_str().unwrap_or(""))
}

/// A response that is not an error.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Value,
    pub request_id: Option<String>,
    /// Headers a caller may need (`Azure-AsyncOperation`, `Location`, `Retry-After`), lower-case names.
    pub headers: BTreeMap<String, String>,
}

pub struct ArmClient {
    http: reqwest::Client,
    cloud: Cloud,
    credential: Arc<dyn TokenCredential>,
    tokens: Mutex<BTreeMap<String, AccessToken>>,
    token_refresh: tokio::sync::Mutex<()>,
    limiter: Arc<limiter::Limiter>,
    pacing: Mutex<HashMap<String, Pace>>,
    options: ClientOptions,
    events: Arc<dyn EventSink>,
    cancel: CancellationToken,
    stats: Arc<Stats>,
    /// What the latest Resource Graph answer said of the caller's quota (see [`resource_graph`]).
    arg_quota: Mutex<resource_graph::Quota>,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient").field("endpoint", &self.cloud.resource_manager).finish_non_exhaustive()
    }
}

/// Which HTTP statuses are worth a retry.
fn transient(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Parse `Retry-After` (seconds, or an HTTP date).
fn retry_after(value: Option<&str>) -> Option<Duration> {
    let v = value?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(3600.0)));
        }
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// Strip the query string (it may carry a skip token) for messages: method and path only.
fn describe(method: &Method, url: &reqwest::Url) -> String {
    format!("{method} {}", url.path())
}

/// What one attempt got back.
enum Answer {
    /// No response: the connection, TLS or the attempt's time limit failed.
    NoResponse(reqwest::Error),
    /// An answer: its status, ids, the headers kept, and its body (or why it could not be read whole).
    Response {
        status: u16,
        request_id: Option<String>,
        correlation_id: Option<String>,
        headers: BTreeMap<String, String>,
        body: Result<Vec<u8>>,
    },
}

/// What to do after an attempt.
enum Next {
    Done(Response),
    Retry {
        after: Option<Duration>,
        why: String,
    },
    /// Get a fresh token and try again; the error when no fresh token can be had.
    Reauthenticate(Error),
    Fail(Error),
}

/// Time limit for making one connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The HTTP transport under ARM clients: its connection pool (kept connections, and the system's root
/// certificates, loaded as it is built), a time limit for each request and for making a connection, and no
/// redirect followed (one could carry the Authorization header to another host).
pub fn http_transport(timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(format!("filesync-identity/{}", crate::VERSION))
        .build()
        .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))
}

/// Connections tried again after one could not be made (so at most `1 + CONNECT_RETRIES` in all, and
/// none once the connect time limit has passed since the first).
const CONNECT_RETRIES: u32 = 2;

impl ArmClient {
    fn connect_timeout(&self) -> Duration {
        CONNECT_TIMEOUT.min(self.options.timeout)
    }

    /// A client over a transport of its own (the crate's tests; a session shares one, see
    /// [`with_transport`](Self::with_transport)).
    #[cfg(test)]
    pub fn new(
        cloud: Cloud,
        credential: Arc<dyn TokenCredential>,
        options: ClientOptions,
        events: Arc<dyn EventSink>,
        cancel: CancellationToken,
    ) -> Result<ArmClient> {
        let http = http_transport(options.timeout)?;
        Ok(ArmClient::with_transport(http, cloud, credential, options, events, cancel))
    }

    /// A client over `http`, a transport from [`http_transport`] shared with other clients (its
    /// connections are kept and reused by all of them). `http`'s time limit is its own: make it with
    /// `options.timeout`.
    pub fn with_transport(
        http: reqwest::Client,
        cloud: Cloud,
        credential: Arc<dyn TokenCredential>,
        options: ClientOptions,
        events: Arc<dyn EventSink>,
        cancel: CancellationToken,
    ) -> ArmClient {
        ArmClient {
            http,
            cloud,
            credential,
            tokens: Mutex::new(BTreeMap::new()),
            token_refresh: tokio::sync::Mutex::new(()),
            limiter: limiter::Limiter::new(options.concurrency.max(1)),
            pacing: Mutex::new(HashMap::new()),
            options,
            events,
            cancel,
            stats: Arc::new(Stats::default()),
            arg_quota: Mutex::new(resource_graph::Quota::default()),
        }
    }

    pub fn cloud(&self) -> &Cloud {
        &self.cloud
    }
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }
    pub fn events(&self) -> &dyn EventSink {
        &*self.events
    }
    /// Whether a request sent now would get a slot at once (nothing queued for one): reads that may be put
    /// off and asked together (Resource Graph rows in a scope run) go out when the client has room.
    pub(crate) fn has_room(&self) -> bool {
        self.limiter.has_room()
    }

    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// The bearer token for an audience, from the cache when it has more than 5 minutes left.
    pub async fn token(&self, scope: &str, force_refresh: bool) -> Result<AccessToken> {
        let fresh = |t: &AccessToken| match t.expires_on {
            Some(exp) => exp - chrono::Utc::now() > chrono::Duration::minutes(5),
            None => true,
        };
        if !force_refresh {
            if let Some(t) = self.tokens.lock_unpoisoned().get(scope) {
                if fresh(t) {
                    return Ok(t.clone());
                }
            }
        }
        let _one_at_a_time = self.token_refresh.lock().await;
        if !force_refresh {
            if let Some(t) = self.tokens.lock_unpoisoned().get(scope) {
                if fresh(t) {
                    return Ok(t.clone());
                }
            }
        }
        let token = tokio::select! {
            t = self.credential.get_token(scope) => t?,
            _ = self.cancel.cancelled() => return Err(Error::cancelled()),
        };
        self.tokens.lock_unpoisoned().insert(scope.to_string(), token.clone());
        Ok(token)
    }

    /// An absolute URL for an ARM path (which must start with '/').
    pub fn url(&self, path_and_query: &str) -> Result<reqwest::Url> {
        if !path_and_query.starts_with('/') {
            return Err(Error::internal(format!("ARM path must start with '/': {path_and_query}")));
        }
        reqwest::Url::parse(&format!("{}{}", self.cloud.resource_manager, path_and_query))
            .map_err(|e| Error::invalid_input(format!("cannot form a URL for '{path_and_query}': {e}")))
    }

    /// `path` plus `api-version`.
    pub fn path_with_version(path: &str, api_version: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}api-version={api_version}")
    }

    /// GET one resource as JSON.
    pub async fn get(&self, path: &str, api_version: &str) -> Result<Value> {
        let url = self.url(&Self::path_with_version(path, api_version))?;
        Ok(self.send(Method::GET, url, None, &self.cloud.arm_scope()).await?.body)
    }

    /// [`get`](Self::get), sent with `priority` (see [`Priority`]).
    pub async fn get_with(&self, path: &str, api_version: &str, priority: Priority) -> Result<Value> {
        let url = self.url(&Self::path_with_version(path, api_version))?;
        Ok(self.send_with(Method::GET, url, None, &self.cloud.arm_scope(), true, priority).await?.body)
    }

    /// GET a collection, following `nextLink` to the end. Returns the items of every page.
    pub async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Value>> {
        self.list_with(path, api_version, Priority::Normal).await
    }

    /// [`list`](Self::list), its pages sent with `priority` (see [`Priority`]).
    pub async fn list_with(&self, path: &str, api_version: &str, priority: Priority) -> Result<Vec<Value>> {
        let first = self.url(&Self::path_with_version(path, api_version))?;
        self.list_pages(first, &self.cloud.arm_scope(), priority).await
    }

    /// GET a collection from an absolute URL (ARM or Graph), following `nextLink` / `@odata.nextLink`.
    pub async fn list_url(&self, first: reqwest::Url, scope: &str) -> Result<Vec<Value>> {
        self.list_pages(first, scope, Priority::Normal).await
    }

    async fn list_pages(&self, first: reqwest::Url, scope: &str, priority: Priority) -> Result<Vec<Value>> {
        let origin = first.origin();
        let mut items = Vec::new();
        let mut next = Some(first);
        let mut pages = 0u32;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > 10_000 {
                return Err(Error::new(
                    ErrorKind::Arm,
                    format!("paging through {} did not end after 10000 pages", url.path()),
                ));
            }
            let mut resp = self.send_with(Method::GET, url.clone(), None, scope, true, priority).await?;
            // The page's items are moved out, not copied: a page of server endpoints is a large tree.
            match resp.body.get_mut("value").map(Value::take) {
                Some(Value::Array(v)) => items.extend(v),
                Some(Value::Null) | None => {}
                Some(_) => {
                    return Err(Error::new(
                        ErrorKind::Arm,
                        format!("the list at {} has a 'value' that is not an array", url.path()),
                    ))
                }
            }
            let link = resp.body.get("nextLink").or_else(|| resp.body.get("@odata.nextLink")).and_then(Value::as_str);
            if let Some(link) = link.filter(|l| !l.is_empty()) {
                let parsed = reqwest::Url::parse(link)
                    .map_err(|e| Error::new(ErrorKind::Arm, format!("ARM sent an unusable nextLink ({e})")))?;
                // The token must never travel to another host.
                if parsed.origin() != origin {
                    return Err(Error::new(
                        ErrorKind::Arm,
                        format!(
                            "ARM sent a nextLink to another host ({}); refusing to follow it with the token",
                            parsed.origin().ascii_serialization()
                        ),
                    ));
                }
                next = Some(parsed);
            }
        }
        Ok(items)
    }

    /// PUT a body. PUT is idempotent, so transient failures are retried.
    pub async fn put(&self, path: &str, api_version: &str, body: &Value) -> Result<Response> {
        let url = self.url(&Self::path_with_version(path, api_version))?;
        self.send(Method::PUT, url, Some(body), &self.cloud.arm_scope()).await
    }

    /// PATCH a body that sets absolute values (`identity.type`, `useIdentity`, `applicationId`, ...), so
    /// that sending it twice has the effect of sending it once: retried like a PUT (5xx, 408, a reset
    /// connection, a timeout, a body cut short), not only when the request was surely not processed.
    pub async fn patch_idempotent(&self, path: &str, api_version: &str, body: &Value) -> Result<Response> {
        let url = self.url(&Self::path_with_version(path, api_version))?;
        self.send_with(Method::PATCH, url, Some(body), &self.cloud.arm_scope(), true, Priority::Normal).await
    }

    /// GET an absolute URL that ARM gave us (an async-operation URL); must be on the ARM host.
    pub async fn get_absolute(&self, url: &str) -> Result<Response> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| Error::new(ErrorKind::Arm, format!("ARM sent an unusable URL ({e})")))?;
        let arm = reqwest::Url::parse(&self.cloud.resource_manager).map_err(|e| Error::internal(e.to_string()))?;
        if parsed.origin() != arm.origin() {
            return Err(Error::new(
                ErrorKind::Arm,
                format!(
                    "ARM sent an operation URL on another host ({}); refusing to send the token there",
                    parsed.origin().ascii_serialization()
                ),
            ));
        }
        self.send(Method::GET, parsed, None, &self.cloud.arm_scope()).await
    }

    /// Send one logical request, with retries. Returns the response for 2xx, an [`Error`] otherwise.
    pub async fn send(&self, method: Method, url: reqwest::Url, body: Option<&Value>, scope: &str) -> Result<Response> {
        let idempotent = matches!(method, Method::GET | Method::PUT | Method::DELETE | Method::HEAD);
        self.send_with(method, url, body, scope, idempotent, Priority::Normal).await
    }

    /// [`send`](Self::send), saying whether the request may be repeated after a failure that leaves its
    /// fate unknown, and how soon it should get one of the client's slots.
    ///
    /// Each attempt is one trip through the steps ([`attempt`](Self::attempt): token, slot, pace, send,
    /// observe, read), and its answer is judged ([`judge`](Self::judge)): done, retried after a back-off,
    /// retried once with a fresh token after a 401, or failed.
    async fn send_with(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<&Value>,
        scope: &str,
        idempotent: bool,
        priority: Priority,
    ) -> Result<Response> {
        let what = describe(&method, &url);
        if method != Method::GET {
            self.stats.writes.fetch_add(1, Ordering::Relaxed);
        }
        let mut attempt: u32 = 0;
        let mut reauthenticated = false;
        let started = Instant::now();
        loop {
            attempt += 1;
            let answer = self.attempt(&method, &url, body, scope, priority, attempt, &what).await?;
            let may_retry = attempt <= self.options.max_retries;
            // An endpoint nothing answers on (a refused port, a wrong host) is not a transient failure
            // worth the whole back-off: a connection is tried again briefly, and the request fails within
            // the connect time limit, naming the endpoint.
            let may_reconnect = may_retry && attempt <= CONNECT_RETRIES && started.elapsed() < self.connect_timeout();
            match self.judge(&what, &url, scope, answer, idempotent, (may_retry, may_reconnect), reauthenticated) {
                Next::Done(response) => return Ok(response),
                Next::Retry { after, why } => self.backoff(attempt, after, &why).await?,
                Next::Reauthenticate(otherwise) => {
                    // The token may have expired mid-run: get a fresh one, once.
                    reauthenticated = true;
                    self.tokens.lock_unpoisoned().remove(scope);
                    self.credential.invalidate(scope);
                    crate::events::log(&*self.events, LogLevel::Verbose, format!("{what}: 401, getting a fresh token"));
                    if self.token(scope, true).await.is_err() {
                        return Err(otherwise);
                    }
                }
                Next::Fail(e) => return Err(e),
            }
        }
    }

    /// One attempt: a token for the audience, a slot (by priority), the subscription's read pace, the
    /// request itself (with a fresh client request id), what its headers say about throttling, and the
    /// body (bounded). Only cancellation and a token that cannot be had end it with an error.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        method: &Method,
        url: &reqwest::Url,
        body: Option<&Value>,
        scope: &str,
        priority: Priority,
        attempt: u32,
        what: &str,
    ) -> Result<Answer> {
        if self.cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        let token = self.token(scope, false).await?;
        let permit = tokio::select! {
            p = self.limiter.acquire(priority) => p,
            _ = self.cancel.cancelled() => return Err(Error::cancelled()),
        };
        if *method == Method::GET {
            self.pace(url).await?;
        }
        let started = Instant::now();
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token.token.expose())
            .header("Accept", "application/json")
            .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string());
        if let Some(b) = body {
            req = req.json(b);
        }
        self.stats.attempts.fetch_add(1, Ordering::Relaxed);
        let outcome = tokio::select! {
            r = req.send() => r,
            _ = self.cancel.cancelled() => return Err(Error::cancelled()),
        };
        let resp = match outcome {
            Ok(r) => r,
            Err(e) => {
                drop(permit);
                self.emit_request(method, url, 0, None, started, attempt);
                return Ok(Answer::NoResponse(e));
            }
        };
        let status = resp.status().as_u16();
        let request_id = header(&resp, "x-ms-request-id");
        let correlation_id = header(&resp, "x-ms-correlation-request-id");
        let mut headers = BTreeMap::new();
        for name in [
            "azure-asyncoperation",
            "location",
            "retry-after",
            "x-ms-ratelimit-remaining-subscription-reads",
            "x-ms-user-quota-remaining",
            "x-ms-user-quota-resets-after",
        ] {
            if let Some(v) = header(&resp, name) {
                headers.insert(name.to_string(), v);
            }
        }
        if headers.contains_key("x-ms-user-quota-remaining") {
            self.note_arg_quota(status, &headers);
        }
        if *method == Method::GET {
            let remaining = headers.get("x-ms-ratelimit-remaining-subscription-reads").and_then(|v| v.parse().ok());
            let wait = if status == 429 {
                Some(retry_after(headers.get("retry-after").map(String::as_str)).unwrap_or_default())
            } else {
                None
            };
            self.observe(url, remaining, wait);
        }
        let body = self.read_body(resp, what).await;
        drop(permit);
        self.emit_request(method, url, status, request_id.clone(), started, attempt);
        Ok(Answer::Response { status, request_id, correlation_id, headers, body })
    }

    /// What an attempt's answer means: the response (2xx with a JSON body, or none), a retry (a
    /// transient failure while retries are left, and for a request that may be repeated or surely was
    /// not processed), one fresh token after a 401, or the error, worded for ARM or Graph.
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &self,
        what: &str,
        url: &reqwest::Url,
        scope: &str,
        answer: Answer,
        idempotent: bool,
        (may_retry, may_reconnect): (bool, bool),
        reauthenticated: bool,
    ) -> Next {
        let (status, request_id, correlation_id, headers, body) = match answer {
            Answer::NoResponse(e) => {
                let connect = e.is_connect();
                let why = if e.is_timeout() {
                    format!("{what} timed out after {} s", self.options.timeout.as_secs())
                } else if connect {
                    format!("cannot connect to {} for {what}", url.origin().ascii_serialization())
                } else {
                    format!("{what} failed on the network: {}", without_url(&e))
                };
                // A connection that was never made cannot have been processed: always safe to repeat,
                // a few times.
                if (connect && may_reconnect) || (!connect && idempotent && may_retry) {
                    return Next::Retry { after: None, why };
                }
                return Next::Fail(
                    Error::new(
                        ErrorKind::Network,
                        format!(
                            "{why}; check the network path to {} (proxy, firewall, DNS) and try again",
                            url.origin().ascii_serialization()
                        ),
                    )
                    .with_source(e.without_url()),
                );
            }
            Answer::Response { status, request_id, correlation_id, headers, body } => {
                (status, request_id, correlation_id, headers, body)
            }
        };
        let bytes = match body {
            Ok(b) => b,
            // A body cut short is a transient network failure; a too-large body is not.
            Err(e) if e.kind() == ErrorKind::Network && idempotent && may_retry => {
                return Next::Retry { after: None, why: e.message().to_string() }
            }
            Err(e) => return Next::Fail(e),
        };
        if (200..300).contains(&status) {
            if bytes.is_empty() {
                return Next::Done(Response { status, body: Value::Null, request_id, headers });
            }
            return match serde_json::from_slice::<Value>(&bytes) {
                Ok(body) => Next::Done(Response { status, body, request_id, headers }),
                Err(_) if idempotent && may_retry => {
                    Next::Retry { after: None, why: format!("{what} returned a malformed JSON body") }
                }
                Err(e) => Next::Fail(
                    Error::new(
                        ErrorKind::Arm,
                        format!(
                            "{what} returned a body that is not valid JSON ({e}); this is usually transient, try again"
                        ),
                    )
                    .with_arm(ArmErrorDetail {
                        status,
                        request_id,
                        correlation_id,
                        request: Some(what.to_string()),
                        ..Default::default()
                    }),
                ),
            };
        }
        // 401 is not transient: a fresh token is tried below, once.
        if transient(status) && (idempotent || status == 429) && may_retry {
            // Resource Graph's 429 says when the user's quota comes back instead of `Retry-After`.
            let after = retry_after(headers.get("retry-after").map(String::as_str)).or_else(|| {
                resource_graph::resets_after(headers.get("x-ms-user-quota-resets-after").map(String::as_str))
                    .map(resource_graph::with_jitter)
            });
            return Next::Retry { after, why: format!("{what}: HTTP {status}") };
        }
        let (code, message) = parse_arm_error(&bytes);
        let detail =
            ArmErrorDetail { status, code, message, request_id, correlation_id, request: Some(what.to_string()) };
        let graph =
            !self.cloud.graph.is_empty() && scope == self.cloud.graph_scope() && scope != self.cloud.arm_scope();
        let error = if graph { graph_error(what, detail) } else { arm_error(what, detail) };
        if status == 401 && !reauthenticated {
            return Next::Reauthenticate(error);
        }
        Next::Fail(error)
    }

    /// Wait for this read's turn: after a 429's `Retry-After`, and at the pace once the bucket is low.
    async fn pace(&self, url: &reqwest::Url) -> Result<()> {
        let until = {
            let mut map = self.pacing.lock_unpoisoned();
            let now = Instant::now();
            let rate = self.options.read_pace_per_second;
            if !(rate.is_finite() && rate > 0.0) {
                return Ok(());
            }
            let p = map.entry(pace_key(url)).or_insert_with(|| Pace::new(now, rate));
            let mut at = p.resume_at.filter(|r| *r > now).unwrap_or(now);
            let reserve = 2 * self.options.concurrency.max(1) as u64;
            if p.remaining.is_some_and(|r| r <= reserve) {
                at = at.max(p.next_slot);
                p.next_slot = at + Duration::from_secs_f64(1.0 / p.rate);
            }
            at
        };
        if until > Instant::now() {
            tokio::select! {
                _ = tokio::time::sleep_until(until.into()) => {}
                _ = self.cancel.cancelled() => return Err(Error::cancelled()),
            }
        }
        Ok(())
    }

    /// Note what a read's answer says about the bucket: the reads left, or a 429 and its wait.
    fn observe(&self, url: &reqwest::Url, remaining: Option<u64>, throttled_for: Option<Duration>) {
        if remaining.is_none() && throttled_for.is_none() {
            return;
        }
        let mut map = self.pacing.lock_unpoisoned();
        let now = Instant::now();
        let rate = self.options.read_pace_per_second;
        let p = map.entry(pace_key(url)).or_insert_with(|| Pace::new(now, rate));
        if let Some(wait) = throttled_for {
            p.remaining = Some(0);
            let until = now + wait.min(self.options.max_retry_delay);
            p.resume_at = Some(p.resume_at.map_or(until, |r| r.max(until)));
            if p.slowed_at.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1)) {
                p.rate = (p.rate / 2.0).max(1.0);
                p.slowed_at = Some(now);
            }
        } else {
            p.remaining = remaining;
        }
    }

    async fn read_body(&self, mut resp: reqwest::Response, what: &str) -> Result<Vec<u8>> {
        let limit = self.options.max_response_bytes;
        if let Some(len) = resp.content_length() {
            if len as usize > limit {
                return Err(Error::new(
                    ErrorKind::Arm,
                    format!("{what}: the response is {len} bytes, more than the {limit}-byte limit; refusing it"),
                ));
            }
        }
        let mut buf = Vec::new();
        loop {
            let chunk = tokio::select! {
                c = resp.chunk() => c,
                _ = self.cancel.cancelled() => return Err(Error::cancelled()),
            };
            match chunk {
                Ok(Some(c)) => {
                    if buf.len() + c.len() > limit {
                        return Err(Error::new(
                            ErrorKind::Arm,
                            format!("{what}: the response exceeds the {limit}-byte limit; refusing it"),
                        ));
                    }
                    buf.extend_from_slice(&c);
                }
                Ok(None) => return Ok(buf),
                Err(e) => {
                    return Err(Error::new(
                        ErrorKind::Network,
                        format!("{what}: the response was cut short ({})", without_url(&e)),
                    ))
                }
            }
        }
    }

    async fn backoff(&self, attempt: u32, retry_after: Option<Duration>, why: &str) -> Result<()> {
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
        let exp = self.options.retry_base_delay.saturating_mul(1u32 << (attempt - 1).min(10));
        let jitter = exp.mul_f64(fastrand::f64() * 0.25);
        let delay = retry_after.unwrap_or(exp + jitter).min(self.options.max_retry_delay);
        crate::events::log(
            &*self.events,
            LogLevel::Verbose,
            format!(
                "{why}; retrying in {:.1} s (attempt {} of {})",
                delay.as_secs_f64(),
                attempt + 1,
                self.options.max_retries + 1
            ),
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => Ok(()),
            _ = self.cancel.cancelled() => Err(Error::cancelled()),
        }
    }

    fn emit_request(
        &self,
        method: &Method,
        url: &reqwest::Url,
        status: u16,
        request_id: Option<String>,
        started: Instant,
        attempt: u32,
    ) {
        let path = match url.query() {
            Some(q) => format!("{}?{}", url.path(), q),
            None => url.path().to_string(),
        };
        self.events.emit(Event::Request {
            method: method.to_string(),
            path,
            status,
            request_id,
            duration_ms: started.elapsed().as_millis() as u64,
            attempt,
        });
    }
}

/// A reqwest error's text without the URL (which could carry a skip token).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), u.path());
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// `{"error":{"code","message"}}` (also tolerates a top-level `code`/`message`, and OData errors).
pub fn parse_arm_error(bytes: &[u8]) -> (Option<String>, Option<String>) {
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let t = text.trim();
            return (None, if t.is_empty() { None } else { Some(t.chars().take(300).collect()) });
        }
    };
    let err = v.get("error").unwrap_or(&v);
    let code = err.get("code").and_then(Value::as_str).map(str::to_string);
    let message = err.get("message").and_then(Value::as_str).map(str::to_string);
    (code, message)
}

/// Turn an ARM error response into an [`Error`] with the right kind and a sentence about what to do.
pub fn arm_error(what: &str, detail: ArmErrorDetail) -> Error {
    let status = StatusCode::from_u16(detail.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let arm_msg = detail.message.clone().unwrap_or_default();
    let (kind, advice) = match detail.status {
        401 => (
            ErrorKind::Authentication,
            "the token was rejected; sign in again (Connect-AzAccount or az login) or pass a fresh --access-token",
        ),
        403 => (
            ErrorKind::Authorization,
            "the signed-in identity lacks the rights for this; ask an Owner or User Access Administrator for the role named in the message",
        ),
        404 => (ErrorKind::NotFound, "check the subscription, resource group and name"),
        429 => (ErrorKind::Throttled, "Azure Resource Manager kept throttling; wait a few minutes and run again"),
        500..=599 => (ErrorKind::Arm, "Azure answered with a server error; this is usually transient, run again"),
        _ => (ErrorKind::Arm, "see the message from Azure"),
    };
    let reason = status.canonical_reason().unwrap_or("error");
    let msg = if arm_msg.is_empty() {
        format!("{what} failed: {} {reason}; {advice}", detail.status)
    } else {
        format!("{what} failed: {arm_msg} ({advice})")
    };
    Error::new(kind, msg).with_arm(detail)
}

/// Turn a Microsoft Graph error response into an [`Error`]: Graph's permissions are Entra ID (Graph API)
/// permissions granted by consent, not Azure roles, so a 403 names the permission reading service
/// principals needs (Application.Read.All, least privileged, or Directory.Read.All:
/// <https://learn.microsoft.com/graph/api/serviceprincipal-get#permissions>).
pub fn graph_error(what: &str, detail: ArmErrorDetail) -> Error {
    let graph_msg = detail.message.clone().unwrap_or_default();
    let (kind, advice) = match detail.status {
        401 => (
            ErrorKind::Authentication,
            "Microsoft Graph rejected the token; it needs a token issued for Microsoft Graph (PowerShell: Get-AzAccessToken -ResourceTypeName MSGraph; CLI: --graph-access-token)".to_string(),
        ),
        403 => (
            ErrorKind::Authorization,
            "reading service principals in Microsoft Graph needs the Graph permission Application.Read.All (or Directory.Read.All) for the signed-in identity: an Entra ID permission an administrator grants (admin consent for an app, a directory role such as Directory Readers for a user), not an Azure role".to_string(),
        ),
        404 => (ErrorKind::NotFound, "no such object in the directory".to_string()),
        429 => (ErrorKind::Throttled, "Microsoft Graph kept throttling; wait a few minutes and run again".to_string()),
        500..=599 => (ErrorKind::Arm, "Microsoft Graph answered with a server error; this is usually transient, run again".to_string()),
        _ => (ErrorKind::Arm, "see the message from Microsoft Graph".to_string()),
    };
    let msg = if graph_msg.is_empty() {
        format!("{what} failed: HTTP {} from Microsoft Graph; {advice}", detail.status)
    } else {
        format!("{what} failed: {graph_msg} ({advice})")
    };
    Error::new(kind, msg).with_arm(detail)
}

// ARM's recorded answers and the REST specs' examples parse into the wire models.
#[cfg(test)]
#[path = "tests/fixtures.rs"]
mod fixtures_tests;

// The client's limits against local servers: tokens stay on ARM's host, responses are bounded.
#[cfg(test)]
#[path = "tests/limits.rs"]
mod limits_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_403_names_the_graph_permission_not_an_azure_role() {
        let detail = ArmErrorDetail {
            status: 403,
            code: Some("Authorization_RequestDenied".into()),
            message: Some("Insufficient privileges to complete the operation.".into()),
            ..Default::default()
        };
        let e = graph_error("GET /v1.0/servicePrincipals/x", detail.clone());
        assert_eq!(e.kind(), ErrorKind::Authorization);
        assert!(e.message().contains("Application.Read.All"), "{}", e.message());
        assert!(!e.message().contains("Owner"), "{}", e.message());
        let arm = arm_error("GET /subscriptions/x", detail);
        assert!(!arm.message().contains("Application.Read.All"), "{}", arm.message());
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(retry_after(Some("7")), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(Some("garbage")), None);
        assert_eq!(retry_after(None), None);
        assert!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")).is_some());
    }

    #[test]
    fn arm_errors_are_parsed() {
        let (c, m) = parse_arm_error(br#"{"error":{"code":"AuthorizationFailed","message":"no"}}"#);
        assert_eq!(c.as_deref(), Some("AuthorizationFailed"));
        assert_eq!(m.as_deref(), Some("no"));
        let e = arm_error(
            "GET /x",
            ArmErrorDetail { status: 403, code: c, message: m, request_id: Some("rid".into()), ..Default::default() },
        );
        assert_eq!(e.kind(), ErrorKind::Authorization);
        assert!(e.to_string().contains("rid"));
        let (c, m) = parse_arm_error(b"<html>oops</html>");
        assert!(c.is_none() && m.unwrap().contains("oops"));
    }
}
