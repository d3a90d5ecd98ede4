//! `fake-arm`: a strict, stateful fake of Azure Resource Manager (and the slice of Microsoft Graph that
//! File Sync tooling needs), served over HTTP/1.1 on loopback.
//!
//! It is an independent witness for the tests of `filesync-identity`: it does not depend on that crate,
//! and it behaves like ARM where the product can get things wrong (case-insensitive paths, api-versions,
//! 401/403 semantics computed from role assignments, replication delays, 409s, long-running operations,
//! paging, throttling) plus fault injection for what networks do.
//!
//! ```no_run
//! use fake_arm::{FakeArm, Topology, ServiceSeed, topology::roles};
//! let sub = "11111111-1111-1111-1111-111111111111";
//! let me = "22222222-2222-2222-2222-222222222222";
//! let topo = Topology::new()
//!     .with_token("tok", me)
//!     .with_service(ServiceSeed::new(sub, "rg", "sss"))
//!     .assign(&format!("/subscriptions/{sub}"), roles::OWNER, me);
//! let arm = FakeArm::start_blocking(topo);
//! println!("{}", arm.url());
//! ```
//!
//! See `README.md` beside this crate for the topology format and every rule the fake enforces.

pub mod agent;
mod arg;
mod authz;
pub mod fault;
mod handlers;
mod render;
mod server;
mod state;
pub mod topology;
mod util;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::watch;

pub use fault::{Fault, FaultAction, FaultId};
pub use state::LoggedRequest;
pub use topology::*;

use server::Shared;

/// Options for starting a fake beyond its topology.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Port to bind on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// Append each request to this file as a JSON line (the `LoggedRequest` fields).
    pub log_path: Option<PathBuf>,
}

/// A running fake ARM server. It stops when dropped.
pub struct FakeArm {
    shared: Arc<Shared>,
    url: String,
    graph_url: String,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Ready = Result<(String, Arc<Shared>), String>;

fn spawn(
    topology: Topology,
    options: Options,
    ready: Box<dyn FnOnce(Ready) + Send>,
) -> Option<(watch::Sender<bool>, std::thread::JoinHandle<()>)> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let handle = std::thread::Builder::new()
        .name("fake-arm".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .thread_name("fake-arm-worker")
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return ready(Err(format!("cannot start a runtime: {e}"))),
            };
            rt.block_on(async move {
                let state = match state::State::new(topology) {
                    Ok(s) => s,
                    Err(e) => return ready(Err(e)),
                };
                let listener = match tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await {
                    Ok(l) => l,
                    Err(e) => return ready(Err(format!("cannot bind 127.0.0.1:{}: {e}", options.port))),
                };
                let port = match listener.local_addr() {
                    Ok(a) => a.port(),
                    Err(e) => return ready(Err(format!("cannot read the bound address: {e}"))),
                };
                let log_file = match &options.log_path {
                    None => None,
                    Some(p) => match std::fs::OpenOptions::new().create(true).append(true).open(p) {
                        Ok(f) => Some(std::sync::Mutex::new(f)),
                        Err(e) => return ready(Err(format!("cannot open the log file '{}': {e}", p.display()))),
                    },
                };
                let url = format!("http://127.0.0.1:{port}");
                let shared = Arc::new(Shared {
                    state: std::sync::Mutex::new(state),
                    base_url: url.clone(),
                    log_file,
                    log: std::sync::Mutex::new(Vec::new()),
                    connections: std::sync::atomic::AtomicU64::new(0),
                });
                ready(Ok((url, shared.clone())));
                server::serve(listener, shared, stop_rx).await;
            });
            rt.shutdown_timeout(std::time::Duration::from_millis(500));
        })
        .ok()?;
    Some((stop_tx, handle))
}

impl FakeArm {
    /// Start a fake on a free port (from async code). Panics on an invalid topology.
    pub async fn start(topology: Topology) -> FakeArm {
        Self::try_start_with(topology, Options::default()).await.unwrap_or_else(|e| panic!("fake-arm: {e}"))
    }

    /// Start a fake from async code, with options; an invalid topology is an error.
    pub async fn try_start_with(topology: Topology, options: Options) -> Result<FakeArm, String> {
        let (tx, rx) = tokio::sync::oneshot::channel::<Ready>();
        let (stop, thread) =
            spawn(topology, options, Box::new(move |r| drop(tx.send(r)))).ok_or("cannot start the server thread")?;
        let ready = rx.await.map_err(|_| "the server thread ended before it was ready".to_string());
        Self::finish(ready.and_then(|r| r), stop, thread)
    }

    /// Start a fake on a free port from blocking code (it runs its own runtime on a background thread).
    /// Panics on an invalid topology.
    pub fn start_blocking(topology: Topology) -> FakeArm {
        Self::try_start_blocking_with(topology, Options::default()).unwrap_or_else(|e| panic!("fake-arm: {e}"))
    }

    /// Start a fake from blocking code, with options; an invalid topology is an error.
    pub fn try_start_blocking_with(topology: Topology, options: Options) -> Result<FakeArm, String> {
        let (tx, rx) = std::sync::mpsc::channel::<Ready>();
        let (stop, thread) =
            spawn(topology, options, Box::new(move |r| drop(tx.send(r)))).ok_or("cannot start the server thread")?;
        let ready = rx.recv().map_err(|_| "the server thread ended before it was ready".to_string());
        Self::finish(ready.and_then(|r| r), stop, thread)
    }

    fn finish(ready: Ready, stop: watch::Sender<bool>, thread: std::thread::JoinHandle<()>) -> Result<FakeArm, String> {
        match ready {
            Ok((url, shared)) => {
                let graph_url = url.replace("127.0.0.1", "localhost");
                Ok(FakeArm { shared, url, graph_url, stop: Some(stop), thread: Some(thread) })
            }
            Err(e) => {
                let _ = stop.send(true);
                let _ = thread.join();
                Err(e)
            }
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash): the ARM endpoint, and Graph's (`/v1.0/...`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The same server named `localhost`: the URL to give as the Microsoft Graph endpoint, so that Graph
    /// is another origin than ARM (as it is in Azure) and each gets the token for its own audience.
    pub fn graph_url(&self) -> &str {
        &self.graph_url
    }

    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0)
    }

    /// Stop the server and wait for its thread (dropping does the same).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut state::State) -> T) -> T {
        let mut st = self.shared.lock();
        st.settle();
        f(&mut st)
    }

    // ---- the request log -----------------------------------------------------------------------

    /// Every request served so far (faulted ones included), oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared.log().clone()
    }

    /// Forget the request log and reset `write_count`.
    pub fn clear_log(&self) {
        self.shared.log().clear();
        self.shared.lock().write_count = 0;
    }

    /// PUT/PATCH/POST/DELETE requests the fake processed, whatever their outcome (401, 403 and 409
    /// included). Requests stopped by an injected `Status`, `ResetConnection` or `MalformedJson` fault
    /// were not processed and do not count.
    pub fn write_count(&self) -> u64 {
        self.shared.lock().write_count
    }

    /// How many TCP connections the fake has accepted (a client that keeps its connections opens few).
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many logged requests satisfy `f`.
    pub fn count_by(&self, f: impl Fn(&LoggedRequest) -> bool) -> usize {
        self.shared.log().iter().filter(|r| f(r)).count()
    }

    // ---- faults --------------------------------------------------------------------------------

    pub fn inject(&self, fault: Fault) -> FaultId {
        self.shared.lock().add_fault(fault)
    }

    pub fn remove_fault(&self, id: FaultId) {
        self.shared.lock().faults.retain(|f| f.id != id);
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    pub fn set_latency_ms(&self, ms: u64) {
        self.shared.lock().latency_ms = ms;
    }

    pub fn set_lro_delay_ms(&self, ms: u64) {
        self.shared.lock().lro_delay = std::time::Duration::from_millis(ms);
    }

    pub fn set_throttle(&self, throttle: Option<ThrottleSeed>) {
        let mut st = self.shared.lock();
        st.throttle = throttle;
        st.buckets.clear();
    }

    // ---- tokens and the directory --------------------------------------------------------------

    /// Make `token` expired from now on.
    pub fn expire_token(&self, token: &str) {
        if let Some(t) = self.shared.lock().tokens.get_mut(token) {
            t.expires_at = Some(Utc::now() - chrono::Duration::seconds(1));
        }
    }

    pub fn add_token(&self, token: &str, principal: &str, expires_at: Option<DateTime<Utc>>) {
        let seed =
            TokenSeed { principal_id: principal.to_string(), expires_at, graph: true, audience: None, caller: None };
        self.shared.lock().tokens.insert(token.to_string(), seed);
    }

    /// Remove every role assignment of `principal`; returns how many went.
    pub fn revoke_rights(&self, principal: &str) -> usize {
        let mut st = self.shared.lock();
        let before = st.assignments.len();
        st.assignments.retain(|a| !a.seed.principal_id.eq_ignore_ascii_case(principal));
        before - st.assignments.len()
    }

    /// Add a principal to the directory; its replication delay starts now.
    pub fn add_principal(&self, principal: &str) {
        self.shared.lock().add_principal(principal);
    }

    /// Delete a principal from the directory.
    pub fn remove_principal(&self, principal: &str) {
        self.shared.lock().principals.remove(&principal.to_ascii_lowercase());
    }

    /// Is the principal in the directory (replicated or not)?
    pub fn principal_exists(&self, principal: &str) -> bool {
        self.shared.lock().principals.contains_key(&principal.to_ascii_lowercase())
    }

    // ---- state inspection ----------------------------------------------------------------------

    /// The role assignments as they stand now (seeded and created; scopes normalized).
    pub fn role_assignments(&self) -> Vec<RoleAssignmentSeed> {
        self.with_state(|st| st.assignments.iter().map(|a| a.seed.clone()).collect())
    }

    /// The Activity Log: seeded events, then one per write the fake performed, oldest first.
    pub fn activity_log(&self) -> Vec<ActivityEventSeed> {
        self.with_state(|st| st.activity.clone())
    }

    /// Add an event to the Activity Log (something that happened outside the fake's own writes).
    pub fn add_activity_event(&self, event: ActivityEventSeed) {
        self.with_state(|st| st.activity.push(event))
    }

    /// The role assignments as ARM renders them.
    pub fn role_assignments_json(&self) -> Vec<Value> {
        self.with_state(|st| st.assignments.iter().map(render::render_assignment).collect())
    }

    /// Add a role assignment directly (no checks beyond the shape), as if made out of band.
    pub fn add_role_assignment(&self, ra: RoleAssignmentSeed) {
        let mut st = self.shared.lock();
        let mut seed = ra;
        seed.scope = util::normalize_scope(&seed.scope);
        let now = Utc::now();
        st.assignments.push(state::Assignment { seed, created_on: now, updated_on: now, created_by: None });
    }

    /// Remove a role assignment by name; true when one went.
    pub fn remove_role_assignment(&self, name: &str) -> bool {
        let mut st = self.shared.lock();
        let before = st.assignments.len();
        st.assignments.retain(|a| !a.seed.name.eq_ignore_ascii_case(name));
        before != st.assignments.len()
    }

    /// The Storage Sync Service as a GET with api-version 2025-12-01 would show it now.
    pub fn service(&self, subscription: &str, resource_group: &str, name: &str) -> Option<Value> {
        self.with_state(|st| {
            let i = st.find_service(subscription, resource_group, name)?;
            Some(render::render_service(st, &st.services[i], "2025-12-01"))
        })
    }

    /// The registered server as a GET with api-version 2025-12-01 would show it now.
    pub fn registered_server(
        &self,
        subscription: &str,
        resource_group: &str,
        service: &str,
        server_id: &str,
    ) -> Option<Value> {
        self.with_state(|st| {
            let i = st.find_service(subscription, resource_group, service)?;
            let svc = &st.services[i];
            let r = svc.seed.registered_servers.iter().find(|r| r.server_id.eq_ignore_ascii_case(server_id))?;
            Some(render::render_server(svc, r, "2025-12-01"))
        })
    }

    /// The storage account as a GET would show it.
    pub fn storage_account(&self, subscription: &str, resource_group: &str, name: &str) -> Option<Value> {
        self.with_state(|st| {
            st.find_account(subscription, resource_group, name).map(|i| render::render_account(&st.accounts[i]))
        })
    }

    /// Long-running operations not finished yet.
    pub fn pending_operations(&self) -> usize {
        self.with_state(|st| st.operations.iter().filter(|o| o.status == state::OpStatus::InProgress).count())
    }

    pub fn tenant_id(&self) -> String {
        self.shared.lock().tenant.clone()
    }
}

impl Drop for FakeArm {
    fn drop(&mut self) {
        self.stop_now();
    }
}
