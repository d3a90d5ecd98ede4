//! A fake of the machine's identity endpoints on loopback, for `test --local`: the Azure Arc Connected
//! Machine agent (`/metadata/instance`, and `/metadata/identity/oauth2/token` with its 401 challenge naming a
//! key file it writes into a directory the test owns) or the Azure VM metadata service (the same paths,
//! answered without a challenge). Like the real ones, both refuse a request without `Metadata: true` or
//! without `api-version`. The token is an unsigned JWT carrying the chosen claims; its signature part is a
//! sentinel tests look for in any output.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::sync::watch;

/// The signature part of every token the fake issues: it must never show up in any output.
pub const TOKEN_SENTINEL: &str = "sentinel-agent-token-signature-do-not-print";

/// Which agent the fake plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentKind {
    /// The Arc agent: the token endpoint challenges with a key file written into `key_directory`.
    Arc { key_directory: PathBuf },
    /// The Azure VM metadata service: no challenge.
    Vm,
}

/// What the fake agent says about its machine.
#[derive(Debug, Clone)]
pub struct AgentSeed {
    pub kind: AgentKind,
    pub name: String,
    pub resource_id: String,
    pub location: String,
    pub subscription_id: String,
    /// `None`: the machine has no identity (the token endpoint refuses, as IMDS does, with 400).
    pub oid: Option<String>,
    pub tid: String,
    /// `xms_mirid`; defaults to `resource_id` (a system-assigned identity).
    pub xms_mirid: Option<String>,
}

impl AgentSeed {
    pub fn arc(key_directory: impl Into<PathBuf>, resource_id: &str, oid: &str, tid: &str) -> Self {
        AgentSeed::new(AgentKind::Arc { key_directory: key_directory.into() }, resource_id, oid, tid)
    }
    pub fn vm(resource_id: &str, oid: &str, tid: &str) -> Self {
        AgentSeed::new(AgentKind::Vm, resource_id, oid, tid)
    }
    fn new(kind: AgentKind, resource_id: &str, oid: &str, tid: &str) -> Self {
        let seg = |k: &str| {
            let parts: Vec<&str> = resource_id.split('/').collect();
            parts
                .iter()
                .position(|p| p.eq_ignore_ascii_case(k))
                .and_then(|i| parts.get(i + 1))
                .unwrap_or(&"")
                .to_string()
        };
        AgentSeed {
            kind,
            name: resource_id.rsplit('/').next().unwrap_or("").to_string(),
            resource_id: resource_id.to_string(),
            location: "westeurope".into(),
            subscription_id: seg("subscriptions"),
            oid: Some(oid.to_string()),
            tid: tid.to_string(),
            xms_mirid: None,
        }
    }
}

/// A request the fake saw: method, path and query, and whether it carried an `Authorization` header.
#[derive(Debug, Clone)]
pub struct AgentRequest {
    pub path_and_query: String,
    pub authorized: bool,
}

struct Shared {
    seed: AgentSeed,
    /// The key file's content the current challenge expects.
    key: Mutex<Option<String>>,
    log: Mutex<Vec<AgentRequest>>,
}

/// A running fake agent; stops when dropped.
pub struct FakeAgent {
    url: String,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeAgent {
    /// Start on a free loopback port, on its own thread (usable from sync and async code alike).
    pub fn start(seed: AgentSeed) -> FakeAgent {
        let shared = Arc::new(Shared { seed, key: Mutex::new(None), log: Mutex::new(Vec::new()) });
        let (stop, stop_rx) = watch::channel(false);
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
                let port = listener.local_addr().expect("an address").port();
                let _ = tx.send(format!("http://127.0.0.1:{port}"));
                let mut stop_rx = stop_rx;
                loop {
                    tokio::select! {
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let s = s.clone();
                            tokio::spawn(async move {
                                let svc = hyper::service::service_fn(move |req| {
                                    let s = s.clone();
                                    async move { Ok::<_, Infallible>(handle(&s, req)) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), svc)
                                    .await;
                            });
                        }
                        _ = stop_rx.changed() => break,
                    }
                }
            });
        });
        let url = rx.recv().expect("the fake agent started");
        FakeAgent { url, shared, stop, thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT`: the metadata endpoint (`IMDS_ENDPOINT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The token endpoint (`IDENTITY_ENDPOINT`).
    pub fn identity_endpoint(&self) -> String {
        format!("{}/metadata/identity/oauth2/token", self.url)
    }

    pub fn requests(&self) -> Vec<AgentRequest> {
        self.shared.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn b64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// An unsigned JWT with the seed's claims for `resource`.
pub fn token_for(seed: &AgentSeed, resource: &str) -> String {
    let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
    let exp = chrono::Utc::now().timestamp() + 3600;
    let payload = json!({
        "aud": resource,
        "oid": seed.oid,
        "tid": seed.tid,
        "xms_mirid": seed.xms_mirid.clone().unwrap_or_else(|| seed.resource_id.clone()),
        "idtyp": "app",
        "exp": exp,
    });
    format!("{header}.{}.{TOKEN_SENTINEL}", b64url(payload.to_string().as_bytes()))
}

fn answer(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a response")
}

fn query(q: &str, name: &str) -> Option<String> {
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.replace("%3A", ":").replace("%2F", "/").replace("%2f", "/").replace("%3a", ":"))
    })
}

fn handle(s: &Shared, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let q = req.uri().query().unwrap_or("").to_string();
    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    s.log
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(AgentRequest { path_and_query: format!("{path}?{q}"), authorized: auth.is_some() });
    if req.headers().get("metadata").and_then(|v| v.to_str().ok()) != Some("true") {
        return answer(
            400,
            json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}),
        );
    }
    if query(&q, "api-version").is_none() {
        return answer(
            400,
            json!({"error": "invalid_request", "error_description": "Required query variable 'api-version' is missing"}),
        );
    }
    let seed = &s.seed;
    match path.as_str() {
        "/metadata/instance" => answer(
            200,
            json!({"compute": {
                "name": seed.name, "resourceId": seed.resource_id, "location": seed.location,
                "subscriptionId": seed.subscription_id, "osType": "Windows"
            }}),
        ),
        "/metadata/identity/oauth2/token" => {
            let Some(resource) = query(&q, "resource") else {
                return answer(400, json!({"error": "invalid_request", "error_description": "resource is missing"}));
            };
            if let AgentKind::Arc { key_directory } = &seed.kind {
                let expected = s.key.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let given = auth.as_deref().and_then(|a| a.strip_prefix("Basic ")).map(str::to_string);
                if given.is_none() || given != expected {
                    // A new challenge: a fresh key file, as the agent writes one per challenge.
                    let key = uuid::Uuid::new_v4().to_string();
                    let file = key_directory.join(format!("{}.key", uuid::Uuid::new_v4().simple()));
                    if std::fs::write(&file, &key).is_err() {
                        return answer(
                            500,
                            json!({"error": "server_error", "error_description": "cannot write the key file"}),
                        );
                    }
                    *s.key.lock().unwrap_or_else(|p| p.into_inner()) = Some(key);
                    return Response::builder()
                        .status(401)
                        .header("WWW-Authenticate", format!("Basic realm={}", file.display()))
                        .body(Full::new(Bytes::new()))
                        .expect("a response");
                }
            }
            if seed.oid.is_none() {
                return answer(400, json!({"error": "invalid_request", "error_description": "Identity not found"}));
            }
            answer(
                200,
                json!({
                    "access_token": token_for(seed, &resource),
                    "expires_in": "3600",
                    "resource": resource,
                    "token_type": "Bearer"
                }),
            )
        }
        _ => answer(404, json!({"error": "not_found", "error_description": format!("no such path: {path}")})),
    }
}
