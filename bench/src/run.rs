//! Run the collector (as `test` does) against a fake ARM at `url`, through the library's front door
//! (`filesync_identity::api`), counting its requests from the events the front door hands its caller.

use std::sync::Arc;
use std::time::{Duration, Instant};

use filesync_identity::api::{self, CancellationToken, CredentialOptions, Session, SessionOptions, Source, Target};
use filesync_identity::api::{EventSink, TargetSpec};
use filesync_identity::model::snapshot::Snapshot;

use crate::gen::{GRAPH_TOKEN, TOKEN};
use crate::requests::RequestCounter;

/// What one collection produced.
pub struct Collected {
    pub snapshot: Snapshot,
    /// The requests it sent, from the client's request events.
    pub requests: Arc<RequestCounter>,
    pub elapsed: Duration,
}

/// Session options for the fake at `url`, otherwise the product's defaults (concurrency, retries).
pub fn session_options(url: &str) -> SessionOptions {
    SessionOptions {
        arm_endpoint: Some(url.to_string()),
        graph_endpoint: Some(graph_url(url)),
        credential: Some(CredentialOptions::access_token(TOKEN).with_graph_token(GRAPH_TOKEN)),
        ..Default::default()
    }
}

/// The fake at `url` named `localhost`: Microsoft Graph's endpoint, another origin than ARM's, as in Azure.
pub fn graph_url(url: &str) -> String {
    url.replace("127.0.0.1", "localhost")
}

/// Collect `target` from the fake at `url` as a live `test` does (`api::snapshot_for`, the default days of
/// Activity Log), timing it.
pub async fn collect(url: &str, target: &TargetSpec) -> filesync_identity::Result<Collected> {
    let session = Session::new(session_options(url))?;
    let requests = Arc::new(RequestCounter::new());
    let sink: Arc<dyn EventSink> = requests.clone();
    let source = Source { target: Some(Target(target.clone())), ..Default::default() };
    let days = api::limits::ACTIVITY_DAYS.default;
    let started = Instant::now();
    let snapshot = api::snapshot_for(&session, &source, days, sink, &CancellationToken::new()).await?;
    Ok(Collected { snapshot, requests, elapsed: started.elapsed() })
}
