//! Requests in flight: the process-wide runtime they run on, and the state a request handle shares with
//! its task (running, done with a result, or taken), its buffered events and its cancellation.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;

use super::boundary::panic_message;
use super::error::Failure;
use super::FsiResult;
use crate::api::{CancellationToken, Session};
use crate::error::Error;
use crate::events::BufferSink;
use crate::sync::LockUnpoisoned;

pub(super) fn runtime() -> Result<&'static tokio::runtime::Runtime, Failure> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("filesync-identity")
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Failure::new(FsiResult::Internal, format!("could not start the async runtime: {e}")))
}

/// How long a cancelled request may take to wind down by itself (so the core can report what it did)
/// before it is dropped and reported as cancelled.
pub(super) const CANCEL_GRACE: Duration = Duration::from_secs(2);

pub(super) struct RequestShared {
    pub(super) state: Mutex<RequestState>,
    pub(super) done: Condvar,
    pub(super) events: Arc<BufferSink>,
    pub(super) cancel: CancellationToken,
}

pub(super) enum RequestState {
    Running,
    Done(Result<Value, Failure>),
    Taken,
}

impl RequestShared {
    pub(super) fn finish(&self, outcome: Result<Value, Failure>) {
        let mut st = self.state.lock_unpoisoned();
        *st = RequestState::Done(outcome);
        self.done.notify_all();
    }
}

/// Test-only request fields, honoured in debug builds only (the shipped module is a release build, where
/// they are passed through to the core untouched): `ffiTestDelayMs` waits (cancellably) before the request
/// runs, `ffiTestPanic` panics inside the request's task.
#[cfg(debug_assertions)]
async fn debug_hooks(request: &mut Value, cancel: &CancellationToken) -> Result<(), Error> {
    let Some(obj) = request.as_object_mut() else {
        return Ok(());
    };
    if let Some(ms) = obj.remove("ffiTestDelayMs").and_then(|v| v.as_u64()) {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
            _ = cancel.cancelled() => return Err(Error::cancelled()),
        }
    }
    if obj.remove("ffiTestPanic").and_then(|v| v.as_bool()) == Some(true) {
        panic!("forced panic inside a request (ffiTestPanic)");
    }
    Ok(())
}

pub(super) async fn run_request(session: Arc<Session>, request: Value, shared: Arc<RequestShared>) {
    use futures::FutureExt;
    let work = async {
        #[cfg(debug_assertions)]
        let request = {
            let mut request = request;
            debug_hooks(&mut request, &shared.cancel).await?;
            request
        };
        crate::api::execute(&session, &request, shared.events.clone(), &shared.cancel).await
    };
    let grace = async {
        shared.cancel.cancelled().await;
        tokio::time::sleep(CANCEL_GRACE).await;
    };
    let guarded = async {
        tokio::select! {
            biased;
            r = work => r,
            _ = grace => Err(Error::cancelled()),
        }
    };
    let outcome = match AssertUnwindSafe(guarded).catch_unwind().await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Failure::from(e)),
        Err(p) => Err(Failure::new(
            FsiResult::Panic,
            format!("internal panic while running the request: {}", panic_message(&*p)),
        )),
    };
    shared.finish(outcome);
}
