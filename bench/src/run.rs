//! Run the collector (as `test` does) against a fake ARM at `url`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use filesync_identity::api::CredentialOptions;
use filesync_identity::api::{CancellationToken, Session, SessionOptions};
use filesync_identity::api::{EventSink, NullSink};
use filesync_identity::arm::Stats;
use filesync_identity::collect::{self, CollectOptions, TargetSpec};
use filesync_identity::model::snapshot::Snapshot;

use crate::gen::{GRAPH_TOKEN, TOKEN};

/// What one collection produced.
pub struct Collected {
    pub snapshot: Snapshot,
    pub stats: Arc<Stats>,
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

/// Collect `target` from the fake at `url`, timing it.
pub async fn collect(url: &str, target: &TargetSpec) -> filesync_identity::Result<Collected> {
    let session = Session::new(session_options(url))?;
    let sink: Arc<dyn EventSink> = Arc::new(NullSink);
    let client = session.client(sink, CancellationToken::new())?;
    let started = Instant::now();
    let snapshot = collect::collect(&client, &CollectOptions::new(target.clone())).await?;
    Ok(Collected { snapshot, stats: client.stats(), elapsed: started.elapsed() })
}
