//! Progress and log events. The core never prints: it hands events to an [`EventSink`]. The command line
//! prints them on stderr; the C ABI buffers them for the PowerShell module to fetch on its pipeline thread.

use crate::sync::LockUnpoisoned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Event {
    /// Progress of a long operation.
    #[serde(rename_all = "camelCase")]
    Progress {
        activity: String,
        status: String,
        /// 0..=100, or absent when the total is not known yet.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        percent: Option<u8>,
    },
    /// One ARM (or Graph) request finished. Never carries a token, a query string with secrets, or a body.
    #[serde(rename_all = "camelCase")]
    Request {
        method: String,
        /// Path and query (query strings here never carry secrets).
        path: String,
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        duration_ms: u64,
        attempt: u32,
    },
    /// A message for verbose or warning output.
    #[serde(rename_all = "camelCase")]
    Log { level: LogLevel, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LogLevel {
    Debug,
    Verbose,
    Info,
    Warning,
}

/// Receives events. Implementations must be cheap and must not block.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: Event);
}

/// Drops every event.
pub struct NullSink;
impl EventSink for NullSink {
    fn emit(&self, _event: Event) {}
}

/// Keeps events in memory, bounded (oldest request events are dropped first when full).
#[derive(Default)]
pub struct BufferSink {
    inner: std::sync::Mutex<std::collections::VecDeque<Event>>,
}

impl BufferSink {
    pub const CAPACITY: usize = 10_000;
    pub fn new() -> Self {
        Self::default()
    }
    /// Take every buffered event.
    pub fn drain(&self) -> Vec<Event> {
        let mut q = self.inner.lock_unpoisoned();
        q.drain(..).collect()
    }
}

impl EventSink for BufferSink {
    fn emit(&self, event: Event) {
        let mut q = self.inner.lock_unpoisoned();
        if q.len() >= Self::CAPACITY {
            q.pop_front();
        }
        q.push_back(event);
    }
}

/// Helper: log through a sink.
pub fn log(sink: &dyn EventSink, level: LogLevel, message: impl Into<String>) {
    sink.emit(Event::Log { level, message: message.into() });
}
