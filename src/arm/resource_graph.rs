//! Azure Resource Graph through the one [`ArmClient`]: `POST {arm}/providers/Microsoft.ResourceGraph/resources`
//! (api-version 2024-04-01, azure-rest-api-specs `specification/resourcegraph/resource-manager/
//! Microsoft.ResourceGraph/stable/2024-04-01`).
//!
//! ARG's rules, followed here: at most 1,000 rows a page (`$top`), the next page by `$skipToken` (which
//! ARG gives only when the query projects `id`); an answer with `resultTruncated: "true"` is incomplete and
//! said to be so, never taken as the whole; the per-user quota that every answer states
//! (`x-ms-user-quota-remaining`, `x-ms-user-quota-resets-after` as `hh:mm:ss`) is respected before a 429:
//! once it is spent, the next query waits for the reset (plus a little jitter, so that queries in flight
//! together do not all come back at the same instant); a 429 (`RateLimiting`) is retried after the reset.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{api_versions, ArmClient, Priority};
use crate::error::{Error, Result};
use crate::sync::LockUnpoisoned;

/// Rows in one page: ARG's largest.
pub const MAX_PAGE_ROWS: u64 = 1000;
/// Subscriptions in one request: ARG's guidance is under 300.
pub const SUBSCRIPTION_BATCH: usize = 250;

/// What ARG said last of the caller's quota.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quota {
    /// Queries left in the window (as last told, less those sent since).
    pub remaining: Option<u32>,
    /// When the window resets.
    pub resets_at: Option<Instant>,
    /// A query is out while the quota is unknown: the others wait for what its answer says, rather than
    /// all being sent into a quota that may not hold them.
    pub probing: bool,
}

/// Parse `x-ms-user-quota-resets-after` (`hh:mm:ss`, seconds possibly with a fraction).
pub fn resets_after(value: Option<&str>) -> Option<Duration> {
    let v = value?.trim();
    let mut parts = v.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let h: u64 = h.parse().ok()?;
    let m: u64 = m.parse().ok()?;
    let s: f64 = s.parse().ok()?;
    if !(s.is_finite() && s >= 0.0) || m >= 60 {
        return None;
    }
    Some(Duration::from_secs(h * 3600 + m * 60) + Duration::from_secs_f64(s))
}

/// A wait plus up to a quarter second of jitter.
pub fn with_jitter(d: Duration) -> Duration {
    d + Duration::from_millis(fastrand::u64(0..250))
}

/// Where a query looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryScope {
    Subscriptions(Vec<String>),
    ManagementGroup(String),
}

/// A query's rows over every page.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    pub rows: Vec<Value>,
    /// ARG cut the answer (`resultTruncated: "true"`): `rows` is not the whole.
    pub truncated: bool,
    /// Pages asked for.
    pub pages: u32,
}

impl ArmClient {
    /// Run one query over a scope, page by page. A subscription list longer than ARG's guidance is an
    /// error of the caller (batch with [`SUBSCRIPTION_BATCH`]).
    pub async fn resource_graph(&self, scope: &QueryScope, query: &str) -> Result<QueryResult> {
        let mut body = json!({ "query": query, "options": { "$top": MAX_PAGE_ROWS, "resultFormat": "objectArray" } });
        match scope {
            QueryScope::Subscriptions(subs) => {
                if subs.is_empty() || subs.len() > SUBSCRIPTION_BATCH {
                    return Err(Error::internal(format!(
                        "a Resource Graph query takes 1 to {SUBSCRIPTION_BATCH} subscriptions, not {}",
                        subs.len()
                    )));
                }
                body["subscriptions"] = json!(subs);
            }
            QueryScope::ManagementGroup(mg) => body["managementGroups"] = json!([mg]),
        }
        let url = self.url(&Self::path_with_version(
            "/providers/Microsoft.ResourceGraph/resources",
            api_versions::RESOURCE_GRAPH,
        ))?;
        let mut out = QueryResult::default();
        loop {
            self.wait_for_arg_quota().await?;
            // A query reads: safe to repeat after a failure whose fate is unknown.
            let response = self
                .send_with(
                    reqwest::Method::POST,
                    url.clone(),
                    Some(&body),
                    &self.cloud.arm_scope(),
                    true,
                    Priority::Normal,
                )
                .await;
            // Whatever the answer, the probe is over (an answer with quota headers has said what is left).
            self.arg_quota.lock_unpoisoned().probing = false;
            let response = response?;
            out.pages += 1;
            let page = &response.body;
            match page.get("data") {
                Some(Value::Array(rows)) => out.rows.extend(rows.iter().cloned()),
                _ => {
                    return Err(Error::new(
                        crate::error::ErrorKind::Arm,
                        "Resource Graph answered without a 'data' list of rows (was 'resultFormat' ignored?)",
                    ))
                }
            }
            if page.get("resultTruncated").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("true")) {
                out.truncated = true;
                return Ok(out);
            }
            match page.get("$skipToken").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                Some(token) => body["options"]["$skipToken"] = json!(token),
                None => return Ok(out),
            }
        }
    }

    /// Before a query: when the quota is spent, wait for its reset (with jitter); else take one unit of it,
    /// so that queries sent together do not overdraw it either.
    async fn wait_for_arg_quota(&self) -> Result<()> {
        loop {
            let wait = {
                let mut q = self.arg_quota.lock_unpoisoned();
                let now = Instant::now();
                if q.probing {
                    Some(Duration::from_millis(20))
                } else {
                    match (q.remaining, q.resets_at) {
                        (Some(0), Some(at)) if at > now => Some(at - now),
                        (Some(n), _) if n > 0 => {
                            q.remaining = Some(n - 1);
                            None
                        }
                        // Unknown, or the window has reset: this query's answer will say what is left.
                        _ => {
                            *q = Quota { probing: true, ..Quota::default() };
                            None
                        }
                    }
                }
            };
            let Some(wait) = wait else { return Ok(()) };
            if wait <= Duration::from_millis(20) {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = self.cancel_token().cancelled() => return Err(Error::cancelled()),
                }
                continue;
            }
            let wait = with_jitter(wait);
            crate::events::log(
                self.events(),
                crate::events::LogLevel::Verbose,
                format!("Resource Graph quota spent; waiting {:.1} s for it to reset", wait.as_secs_f64()),
            );
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.cancel_token().cancelled() => return Err(Error::cancelled()),
            }
        }
    }

    /// Keep what an answer (any, 429 included) says of the quota. A 429 leaves the probe with the
    /// request that met it: it retries after the reset, alone.
    pub(super) fn note_arg_quota(&self, status: u16, headers: &std::collections::BTreeMap<String, String>) {
        let remaining = headers.get("x-ms-user-quota-remaining").and_then(|v| v.trim().parse::<u32>().ok());
        let resets = resets_after(headers.get("x-ms-user-quota-resets-after").map(String::as_str));
        if remaining.is_none() && resets.is_none() {
            return;
        }
        let mut q = self.arg_quota.lock_unpoisoned();
        q.remaining = remaining;
        q.resets_at = resets.map(|d| Instant::now() + d);
        if status != 429 {
            q.probing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_reset_parsing() {
        assert_eq!(resets_after(Some("00:00:03")), Some(Duration::from_secs(3)));
        assert_eq!(resets_after(Some("01:02:03.5")), Some(Duration::from_secs_f64(3723.5)));
        assert_eq!(resets_after(Some("3")), None);
        assert_eq!(resets_after(Some("00:61:00")), None);
        assert_eq!(resets_after(None), None);
    }
}
