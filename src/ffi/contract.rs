//! What crosses the C ABI, for `bindings/contract.json`: the request API's contract (operations, their
//! requests and answers, the session options, the limits) and the ABI's own shapes, the error JSON of
//! `fsi_last_error` and the events of `fsi_events_take`.

use serde_json::{json, Value};

use super::error::error_json;
use super::FsiResult;
use crate::api::Shape;
use crate::events::{Event, LogLevel};

/// The contract (see [`crate::api::contract_json`]) with the error and event shapes beside it.
pub fn contract_json(sample_json: &str) -> crate::error::Result<Value> {
    let mut contract = crate::api::contract_json(sample_json)?;
    let error = Shape::of(&error_json(FsiResult::Arm, "", None)).top;
    let events = [
        Event::Progress { activity: String::new(), status: String::new(), percent: None },
        Event::Request {
            method: String::new(),
            path: String::new(),
            status: 0,
            request_id: None,
            duration_ms: 0,
            attempt: 0,
        },
        Event::Log { level: LogLevel::Info, message: String::new() },
    ];
    let mut event_keys: Vec<String> = Vec::new();
    for e in &events {
        for k in Shape::of(e).top {
            if !event_keys.contains(&k) {
                event_keys.push(k);
            }
        }
    }
    contract["errorJson"] = json!(error);
    contract["events"] = json!(event_keys);
    Ok(contract)
}
