//! What crosses the C ABI, for `bindings/contract.json`: the request API's contract (operations, their
//! requests and answers, the session options, the limits) and the ABI's own shapes, the error JSON of
//! `fsi_last_error` and the events of `fsi_events_take`.

use serde_json::{json, Value};

use super::error::error_json;
use super::FsiResult;
use crate::api::Shape;
use crate::events::{Event, LogLevel};

/// The contract (see [`crate::api::contract_json`]) with the error and event shapes beside it.
pub(crate) fn contract_json(sample_json: &str) -> crate::error::Result<Value> {
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// `bindings/contract.json` is the one the types make (rewrite it with
    /// `FSI_UPDATE_BINDINGS=1 cargo test --lib contract`); `tests/api_contract.rs` holds the C ABI's doc
    /// comment, the module's C# and the command line to the checked-in file.
    #[test]
    fn the_checked_in_contract_is_the_one_the_types_make() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let sample = std::fs::read_to_string(root.join("examples/sample-deployment.json")).expect("the sample");
        let generated = super::contract_json(&sample).expect("the sample deployment reads");
        let text = format!("{}\n", serde_json::to_string_pretty(&generated).expect("JSON"));
        let path = root.join("bindings/contract.json");
        if std::env::var_os("FSI_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &text).expect("bindings/contract.json is writable");
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == text,
            "bindings/contract.json is stale: a request, an answer or a limit changed. Review the change, then run FSI_UPDATE_BINDINGS=1 cargo test --lib contract"
        );
    }
}
