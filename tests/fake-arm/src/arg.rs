//! Azure Resource Graph (`POST /providers/Microsoft.ResourceGraph/resources`, api-version 2024-04-01) for
//! exactly the queries the tool sends, and the two ARM listings that say which subscriptions a scope holds
//! (`GET /subscriptions`, `GET /providers/Microsoft.Management/managementGroups/{id}/descendants`).
//!
//! ARG's rules, as the REST spec and the Resource Graph articles give them: tables (`resources`,
//! `resourcecontainers`); at most 1,000 rows a page (`$top`), 100 when not said; paging by `$skipToken`
//! only when the query projects `id`, otherwise a larger answer is cut with `resultTruncated: "true"` and
//! no token; a per-user quota (queries per window) told in `x-ms-user-quota-remaining` and
//! `x-ms-user-quota-resets-after` on every answer, and a 429 `RateLimiting` once it is spent;
//! subscriptions the caller cannot read left out without a word (403 only when none of the scope is
//! readable); a management-group scope covers the subscriptions under it. A lag mode
//! (`resourceGraph.staleServiceIds`) keeps rows ARG has not yet dropped though ARM has; for storage
//! accounts and machines, `staleAccounts` / `staleMachines` show one as it was before ARM changed it and
//! `unindexedAccountIds` / `unindexedMachineIds` leave out those ARG has not indexed yet. Rows of
//! `resources` carry ARG's columns as the tool projects them: `type` in lower case, the top-level
//! `identity` (null when the resource has none), properties as ARM's `GET` shows them. Any other query,
//! option or result format is refused with ARG's 400 shape rather than answered.
//!
//! Casing, as real ARG writes its columns (looked up in December 2026):
//! - `type`: always lower case (`microsoft.compute/virtualmachines` for a query that asked
//!   `type =~ 'Microsoft.Compute/virtualMachines'`: azure-rest-api-specs, resourcegraph stable/2024-04-01
//!   examples `ResourcesFilterQuery.json`, `ResourcesBasicQuery.json`); so is `subscriptionId`.
//! - `resourceGroup`: lower case, whatever the group's own casing (a filter `resourceGroup == 'MyGroup'`
//!   finds nothing: Azure/azure-dev issue 115 and PR 119, 2022-07; tomkerkhove/promitor issue 1492,
//!   2021-02). `name` keeps its casing (Azure/azure-dev issue 477, 2022-08).
//! - `id`: the casing the provider gave, mostly the same as ARM's `GET` (the spec examples keep
//!   `resourceGroups/RG1/providers/Microsoft.Compute/virtualMachines/myVm1`), but not reliably: the
//!   resource group segment has been returned lower-cased for one resource and flipped back later
//!   (Azure/azure-rest-api-specs issue 31379, 2024-11-01; Azure/azure-sdk-for-python issue 37740,
//!   2024-10-07), and a type segment in another casing than a role assignment's scope names it
//!   (Azure/azure-sdk-for-go issue 23446, 2024-09-17: `where id == ...` is case-sensitive, `=~`/`in~`
//!   are not). ARM itself is no steadier: Microsoft.Compute answers a VM's resource group upper-cased by
//!   design (azure-rest-api-specs issues 8068, 2020-01, and 13491, 2021-03), and a resource group's
//!   casing is not kept (MicrosoftDocs/azure-docs issue 98457, 2022-09). So ids are equal ignoring case,
//!   and which casing ARG shows varies: the fake writes ARM's casing in `id` unless
//!   `resourceGraph.recasedIds` gives ARG's own text for a resource (a service's, account's or machine's
//!   row then carries that text); `type`, `resourceGroup` and `subscriptionId` are always lower case.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::server::Reply;
use crate::state::{Decision, State};
use crate::util::*;

pub(crate) const API_VERSION: &str = "2024-04-01";
pub(crate) const MANAGEMENT_APIS: &[&str] = &["2020-05-01", "2023-04-01"];
pub(crate) const SUBSCRIPTION_APIS: &[&str] = &["2020-01-01", "2022-12-01"];

/// The queries served: these, and the storage accounts and machines of a list of ids (`ROWS_HEAD`).
const SERVICES: &str =
    "resources | where type =~ 'microsoft.storagesync/storagesyncservices' | project id, name, subscriptionId, resourceGroup, location";
/// The same rows without `id`: ARG cannot page it, so a large answer is truncated.
const SERVICES_NO_ID: &str =
    "resources | where type =~ 'microsoft.storagesync/storagesyncservices' | project name, subscriptionId, resourceGroup";
const SUBSCRIPTIONS: &str =
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId";

/// The storage accounts and machines of a list of ids: this head, the ids (`'id', 'id'`), this tail
/// (projects `id`; the account's properties, the machines' identity and an Arc machine's status).
const ROWS_HEAD: &str = "resources | where type in~ ('microsoft.storage/storageaccounts', 'microsoft.hybridcompute/machines', 'microsoft.compute/virtualmachines') | where id in~ (";
const ROWS_TAIL: &str = ") | project id, type, name, location, identity, networkAcls = properties.networkAcls, allowSharedKeyAccess = properties.allowSharedKeyAccess, publicNetworkAccess = properties.publicNetworkAccess, privateEndpointConnections = properties.privateEndpointConnections, status = properties.status";
/// The columns of `ROWS_TAIL` taken from `properties`.
const ROW_PROPERTIES: [&str; 5] =
    ["networkAcls", "allowSharedKeyAccess", "publicNetworkAccess", "privateEndpointConnections", "status"];

/// The ids of a rows query (None: not that query; Err: that query, but its list is not a list of
/// single-quoted ids).
fn row_ids(query: &str) -> Option<Result<Vec<String>, String>> {
    let list = query.strip_prefix(ROWS_HEAD)?.strip_suffix(ROWS_TAIL)?;
    if list.trim().is_empty() {
        return Some(Err("the list of 'in~' is empty: the fake Resource Graph wants at least one id".into()));
    }
    Some(
        list.split(',')
            .map(|item| {
                let item = item.trim();
                item.strip_prefix('\'')
                    .and_then(|x| x.strip_suffix('\''))
                    .filter(|x| x.starts_with('/') && !x.contains(['\'', '\\', '"']))
                    .map(str::to_ascii_lowercase)
                    .ok_or_else(|| format!("the fake Resource Graph reads the list of 'in~' as single-quoted resource ids only, not {item}"))
            })
            .collect(),
    )
}

const MAX_TOP: u64 = 1000;
const DEFAULT_TOP: u64 = 100;

/// Is this path ARG's query endpoint (a POST that reads, not a write)?
pub(crate) fn is_query_path(path: &str) -> bool {
    let segs = segments(path);
    segs.len() == 3
        && segs[0].eq_ignore_ascii_case("providers")
        && segs[1].eq_ignore_ascii_case("microsoft.resourcegraph")
        && segs[2].eq_ignore_ascii_case("resources")
}

/// ARG's error body: `{"error": {"code", "message", "details": [{"code", "message"}]}}`.
fn arg_error(status: u16, code: &str, details: &[(&str, String)], correlation: &str) -> Reply {
    let details: Vec<Value> = details.iter().map(|(c, m)| json!({"code": c, "message": m})).collect();
    let mut r = Reply::json(
        status,
        json!({"error": {
            "code": code,
            "message": format!("Please provide below info when asking for support: timestamp = {}, correlationId = {correlation}.", chrono::Utc::now().to_rfc3339()),
            "details": details,
        }}),
    );
    r.error_code = Some(code.to_string());
    r
}

fn bad_query(why: String, correlation: &str) -> Reply {
    arg_error(
        400,
        "BadRequest",
        &[
            ("InvalidQuery", "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.".to_string()),
            ("UnsupportedQuery", why),
        ],
        correlation,
    )
}

fn bad_request(detail_code: &str, why: String, correlation: &str) -> Reply {
    arg_error(400, "BadRequest", &[(detail_code, why)], correlation)
}

fn not_a_list(name: &str, correlation: &str) -> Reply {
    bad_request("InvalidRequestContent", format!("'{name}' must be a list of strings."), correlation)
}

/// `hh:mm:ss`, rounded up to the second.
fn hms(d: Duration) -> String {
    let s = d.as_millis().div_ceil(1000) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// Take one unit of the caller's quota: Ok((remaining, resets after)) or Err(resets after) when spent.
fn take_quota(st: &mut State, principal: &str) -> Result<(u32, Duration), Duration> {
    let window = st.arg.window;
    let quota = st.arg.quota;
    let now = Instant::now();
    let entry = st.arg.used.entry(principal.to_ascii_lowercase()).or_insert((0, now));
    if now.duration_since(entry.1) >= window {
        *entry = (0, now);
    }
    let resets = window.saturating_sub(now.duration_since(entry.1));
    if entry.0 >= quota {
        return Err(resets);
    }
    entry.0 += 1;
    Ok((quota - entry.0, resets))
}

/// Subscriptions under a management group (the tenant root group holds every subscription).
pub(crate) fn subscriptions_under(st: &State, mg: &str) -> BTreeSet<String> {
    if mg.eq_ignore_ascii_case(&st.tenant) {
        return st.subscriptions.iter().cloned().collect();
    }
    let mut groups = vec![mg.to_ascii_lowercase()];
    let mut i = 0;
    while i < groups.len() && i < 10_000 {
        let parent = groups[i].clone();
        for m in &st.mgs {
            if m.parent.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(&parent))
                && !groups.contains(&m.name.to_ascii_lowercase())
            {
                groups.push(m.name.to_ascii_lowercase());
            }
        }
        i += 1;
    }
    st.mgs
        .iter()
        .filter(|m| groups.contains(&m.name.to_ascii_lowercase()))
        .flat_map(|m| m.subscriptions.iter().map(|s| s.to_ascii_lowercase()))
        .filter(|s| st.subscriptions.contains(s))
        .collect()
}

fn can_read_subscription(st: &State, principal: &str, sub: &str) -> bool {
    matches!(
        st.decide(principal, &format!("/subscriptions/{sub}"), "Microsoft.Resources/subscriptions/read", None),
        Decision::Allowed
    )
}

/// Serve one ARG query.
pub(crate) fn query(
    st: &mut State,
    principal: &str,
    api: Option<&str>,
    body: Option<&Result<Value, String>>,
    correlation: &str,
) -> Reply {
    match api {
        Some(API_VERSION) => {}
        Some(other) => {
            return bad_request(
                "InvalidApiVersionParameter",
                format!("The api-version '{other}' is invalid. The supported versions are '{API_VERSION}'."),
                correlation,
            )
        }
        None => {
            return bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.".into(),
                correlation,
            )
        }
    }
    let body = match body {
        Some(Ok(Value::Object(o))) => o.clone(),
        _ => {
            return bad_request(
                "InvalidRequestContent",
                "The request content must be a JSON object with a 'query'.".into(),
                correlation,
            )
        }
    };
    for k in body.keys() {
        if !matches!(k.as_str(), "subscriptions" | "managementGroups" | "query" | "options" | "facets") {
            return bad_request(
                "InvalidRequestContent",
                format!("Could not find member '{k}' on object of type 'QueryRequest'."),
                correlation,
            );
        }
    }
    if body.get("facets").is_some_and(|f| !f.as_array().is_some_and(|a| a.is_empty())) {
        return bad_request("UnsupportedFacets", "the fake Resource Graph computes no facets".into(), correlation);
    }
    let text = body.get("query").and_then(Value::as_str).unwrap_or_default();
    let normalized = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let wanted = match row_ids(&normalized) {
        Some(Ok(ids)) => Some(ids),
        Some(Err(why)) => return bad_query(why, correlation),
        None => None,
    };
    let (table_subscriptions, projects_id) = match normalized.as_str() {
        _ if wanted.is_some() => (false, true),
        SERVICES => (false, true),
        SERVICES_NO_ID => (false, false),
        SUBSCRIPTIONS => (true, true),
        "" => return bad_request("InvalidRequestContent", "The 'query' field is required.".into(), correlation),
        other => {
            return bad_query(format!("the fake Resource Graph does not implement the query '{other}'"), correlation)
        }
    };
    // Options.
    let opts = match body.get("options") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return bad_request("InvalidRequestContent", "'options' must be an object.".into(), correlation),
    };
    let mut top = DEFAULT_TOP;
    let mut skip = 0u64;
    let mut token = None;
    for (k, v) in &opts {
        match k.as_str() {
            "$top" => match v.as_u64() {
                Some(t) if (1..=MAX_TOP).contains(&t) => top = t,
                _ => return bad_request("InvalidRequestContent", format!("'$top' must be a whole number from 1 to {MAX_TOP}, not {v}."), correlation),
            },
            "$skip" => match v.as_u64() {
                Some(s) => skip = s,
                None => return bad_request("InvalidRequestContent", format!("'$skip' must be a whole number, not {v}."), correlation),
            },
            "$skipToken" => match v.as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return bad_request("InvalidRequestContent", "'$skipToken' must be a string.".into(), correlation),
            },
            "resultFormat" => match v.as_str() {
                Some("objectArray") => {}
                Some("table") => return bad_request("UnsupportedResultFormat", "the fake Resource Graph answers in 'objectArray' only".into(), correlation),
                _ => return bad_request("InvalidRequestContent", format!("'resultFormat' must be 'table' or 'objectArray', not {v}."), correlation),
            },
            "allowPartialScopes" => {
                if !v.is_boolean() {
                    return bad_request("InvalidRequestContent", "'allowPartialScopes' must be a boolean.".into(), correlation);
                }
            }
            "authorizationScopeFilter" => match v.as_str() {
                Some("AtScopeAndBelow" | "AtScopeAndAbove" | "AtScopeExact" | "AtScopeAboveAndBelow") => {}
                _ => return bad_request("InvalidRequestContent", format!("'authorizationScopeFilter' is not one of AtScopeAndBelow, AtScopeAndAbove, AtScopeExact, AtScopeAboveAndBelow: {v}."), correlation),
            },
            other => return bad_request("InvalidRequestContent", format!("Could not find member '{other}' on object of type 'QueryRequestOptions'."), correlation),
        }
    }
    // Scope.
    let list = |name: &str| -> Result<Option<Vec<String>>, Box<Reply>> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map(|s| s.to_ascii_lowercase()).ok_or(()))
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
                .map_err(|_| Box::new(not_a_list(name, correlation))),
            Some(_) => Err(Box::new(not_a_list(name, correlation))),
        }
    };
    let (subs, mgs) = match (list("subscriptions"), list("managementGroups")) {
        (Ok(s), Ok(m)) => (s, m),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let scope: BTreeSet<String> = match (subs, mgs) {
        (Some(_), Some(_)) => {
            return bad_request(
                "InvalidRequestContent",
                "Give either 'subscriptions' or 'managementGroups', not both.".into(),
                correlation,
            )
        }
        (Some(s), None) => {
            if s.is_empty() {
                return bad_request("InvalidRequestContent", "'subscriptions' must not be empty.".into(), correlation);
            }
            s.into_iter().collect()
        }
        (None, Some(m)) => {
            if m.is_empty() {
                return bad_request(
                    "InvalidRequestContent",
                    "'managementGroups' must not be empty.".into(),
                    correlation,
                );
            }
            let mut all = BTreeSet::new();
            for g in &m {
                if !st.mg_exists(g) {
                    return bad_request(
                        "ManagementGroupNotFound",
                        format!("The management group '{g}' could not be found."),
                        correlation,
                    );
                }
                all.extend(subscriptions_under(st, g));
            }
            all
        }
        (None, None) => st.subscriptions.iter().cloned().collect(),
    };
    // The quota is spent by every query that gets this far.
    let (remaining, resets) = match take_quota(st, principal) {
        Ok(x) => x,
        Err(resets) => {
            return arg_error(
                429,
                "RateLimiting",
                &[("RateLimiting", "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.".into())],
                correlation,
            )
            .header("x-ms-user-quota-remaining", "0")
            .header("x-ms-user-quota-resets-after", hms(resets));
        }
    };
    let quota_headers = |r: Reply| {
        r.header("x-ms-user-quota-remaining", remaining.to_string()).header("x-ms-user-quota-resets-after", hms(resets))
    };
    let readable: BTreeSet<String> = scope
        .iter()
        .filter(|s| st.subscriptions.contains(*s) && can_read_subscription(st, principal, s))
        .cloned()
        .collect();
    if readable.is_empty() {
        return quota_headers(arg_error(
            403,
            "AuthorizationFailed",
            &[("AuthorizationFailed", format!("The client '{principal}' does not have authorization to read any of the subscriptions of the query's scope."))],
            correlation,
        ));
    }
    let mut rows: Vec<(String, Value)> = if table_subscriptions {
        readable
            .iter()
            .map(|s| (format!("/subscriptions/{s}"), json!({"id": format!("/subscriptions/{s}"), "subscriptionId": s})))
            .collect()
    } else if let Some(wanted) = &wanted {
        let mut rows = account_rows(st, principal, &readable, wanted);
        rows.extend(machine_rows(st, principal, &readable, wanted));
        rows
    } else {
        let mut ids: Vec<(String, String, String, String)> = st
            .services
            .iter()
            .map(|s| {
                let seed = &s.seed;
                (
                    format!(
                        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.StorageSync/storageSyncServices/{}",
                        seed.subscription_id, seed.resource_group, seed.name
                    ),
                    seed.name.clone(),
                    seed.resource_group.clone(),
                    seed.location.clone(),
                )
            })
            .collect();
        // Lag: rows ARM has dropped that ARG still shows.
        for stale in &st.arg.stale_service_ids {
            let segs = segments(stale);
            if segs.len() == 8 {
                ids.push((stale.clone(), segs[7].clone(), segs[3].clone(), "westeurope".into()));
            }
        }
        ids.into_iter()
            .filter_map(|(id, name, rg, location)| {
                let segs = segments(&id);
                let sub = segs.get(1)?.to_ascii_lowercase();
                if !readable.contains(&sub) {
                    return None;
                }
                if !matches!(st.decide(principal, &id, "Microsoft.StorageSync/storageSyncServices/read", None), Decision::Allowed) {
                    return None;
                }
                let row = if projects_id {
                    json!({"id": arg_id(st, &id), "name": name, "subscriptionId": sub, "resourceGroup": rg.to_ascii_lowercase(), "location": location})
                } else {
                    json!({"name": name, "subscriptionId": sub, "resourceGroup": rg.to_ascii_lowercase()})
                };
                Some((id.to_ascii_lowercase(), row))
            })
            .collect()
    };
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let total = rows.len() as u64;
    let context = fnv64(&format!("{normalized}|{}", scope.iter().cloned().collect::<Vec<_>>().join(",")));
    let mut offset = skip;
    if let Some(t) = &token {
        let parsed = b64_decode(t)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                let (o, h) = s.split_once(';')?;
                Some((o.strip_prefix("o=")?.parse::<u64>().ok()?, h.strip_prefix("h=")?.parse::<u64>().ok()?))
            })
            .filter(|(_, h)| *h == context);
        match parsed {
            Some((o, _)) if projects_id => offset = o,
            _ => {
                return quota_headers(bad_request(
                    "InvalidSkipToken",
                    format!("The skip token '{t}' is not valid for this query and scope."),
                    correlation,
                ))
            }
        }
    }
    let start = offset.min(total) as usize;
    let end = (offset + top).min(total) as usize;
    let data: Vec<Value> = rows[start..end].iter().map(|(_, v)| v.clone()).collect();
    let more = (end as u64) < total;
    let mut answer = json!({
        "totalRecords": total,
        "count": data.len(),
        "resultTruncated": if more && !projects_id { "true" } else { "false" },
        "data": data,
        "facets": [],
    });
    if more && projects_id {
        answer["$skipToken"] = json!(b64_encode(format!("o={end};h={context}").as_bytes()));
    }
    quota_headers(Reply::json(200, answer))
}

/// The id of a resource as ARG writes it: its text in `recasedIds` when given there, else ARM's.
fn arg_id(st: &State, arm_id: &str) -> String {
    st.arg.recased_ids.iter().find(|r| r.eq_ignore_ascii_case(arm_id)).cloned().unwrap_or_else(|| arm_id.to_string())
}

/// A `resources` row of a rows query from ARM's `GET` of the resource: the columns `ROWS_TAIL` projects,
/// null where the resource has no such property (`identity` null when it has none); `id` as ARG writes it.
fn row_of(st: &State, arm: &Value) -> Value {
    let mut row = json!({
        "id": arm["id"].as_str().map(|id| arg_id(st, id)),
        "type": arm["type"].as_str().map(str::to_ascii_lowercase),
        "name": arm["name"],
        "location": arm["location"],
        "identity": arm.get("identity").cloned().unwrap_or(Value::Null),
    });
    for k in ROW_PROPERTIES {
        row[k] = arm["properties"].get(k).cloned().unwrap_or(Value::Null);
    }
    row
}

/// The rows of the storage accounts `wanted` (lower-case ids) that ARG has and the caller may read. Lag:
/// an account of `unindexedAccountIds` is not listed yet; one of `staleAccounts` shows its older state.
fn account_rows(st: &State, principal: &str, readable: &BTreeSet<String>, wanted: &[String]) -> Vec<(String, Value)> {
    st.accounts
        .iter()
        .filter(|a| wanted.contains(&a.id().to_ascii_lowercase()))
        .filter(|a| readable.contains(&a.subscription_id.to_ascii_lowercase()))
        .filter(|a| !st.arg.unindexed_account_ids.iter().any(|u| u.eq_ignore_ascii_case(&a.id())))
        .filter(|a| {
            matches!(st.decide(principal, &a.id(), "Microsoft.Storage/storageAccounts/read", None), Decision::Allowed)
        })
        .map(|a| st.arg.stale_accounts.iter().find(|s| s.id().eq_ignore_ascii_case(&a.id())).unwrap_or(a))
        .map(|a| (a.id().to_ascii_lowercase(), row_of(st, &crate::render::render_account(a))))
        .collect()
}

/// The rows of the machines `wanted` (Azure Arc-enabled servers, Azure VMs) that ARG has and the caller
/// may read. Lag: a machine of `unindexedMachineIds` is not listed yet; one of `staleMachines` shows its
/// older state.
fn machine_rows(st: &State, principal: &str, readable: &BTreeSet<String>, wanted: &[String]) -> Vec<(String, Value)> {
    st.machines
        .iter()
        .filter(|m| wanted.contains(&m.id().to_ascii_lowercase()))
        .filter(|m| readable.contains(&m.subscription_id.to_ascii_lowercase()))
        .filter(|m| !st.arg.unindexed_machine_ids.iter().any(|u| u.eq_ignore_ascii_case(&m.id())))
        .filter(|m| {
            let action = match m.kind {
                crate::topology::MachineKindSeed::Arc => "Microsoft.HybridCompute/machines/read",
                crate::topology::MachineKindSeed::Vm => "Microsoft.Compute/virtualMachines/read",
            };
            matches!(st.decide(principal, &m.id(), action, None), Decision::Allowed)
        })
        .map(|m| st.arg.stale_machines.iter().find(|s| s.id().eq_ignore_ascii_case(&m.id())).unwrap_or(m))
        .map(|m| (m.id().to_ascii_lowercase(), row_of(st, &crate::render::render_machine(m, &st.tenant))))
        .collect()
}

/// `GET /subscriptions`: the subscriptions the caller can read.
pub(crate) fn list_subscriptions(st: &State, principal: &str) -> Vec<Value> {
    let tenant = st.tenant.clone();
    let mut subs: Vec<&String> = st.subscriptions.iter().filter(|s| can_read_subscription(st, principal, s)).collect();
    subs.sort();
    subs.into_iter()
        .map(|s| {
            json!({
                "id": format!("/subscriptions/{s}"),
                "authorizationSource": "RoleBased",
                "subscriptionId": s,
                "tenantId": tenant,
                "displayName": format!("subscription {}", &s[..8.min(s.len())]),
                "state": "Enabled",
            })
        })
        .collect()
}

/// `GET .../managementGroups/{mg}/descendants`: the groups and subscriptions under a group.
pub(crate) fn descendants(st: &State, mg: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut groups = vec![mg.to_ascii_lowercase()];
    let root = mg.eq_ignore_ascii_case(&st.tenant);
    let mut i = 0;
    while i < groups.len() {
        let parent = groups[i].clone();
        for m in &st.mgs {
            let child = match &m.parent {
                Some(p) => p.eq_ignore_ascii_case(&parent),
                None => root && i == 0,
            };
            if child && !groups.contains(&m.name.to_ascii_lowercase()) {
                groups.push(m.name.to_ascii_lowercase());
                out.push(json!({
                    "id": format!("/providers/Microsoft.Management/managementGroups/{}", m.name),
                    "type": "Microsoft.Management/managementGroups",
                    "name": m.name,
                    "properties": {"displayName": m.name, "parent": {"id": format!("/providers/Microsoft.Management/managementGroups/{parent}")}},
                }));
            }
        }
        i += 1;
    }
    for s in subscriptions_under(st, mg) {
        let parent = st
            .mgs
            .iter()
            .find(|m| m.subscriptions.iter().any(|x| x.eq_ignore_ascii_case(&s)))
            .map(|m| m.name.clone())
            .unwrap_or_else(|| st.tenant.clone());
        out.push(json!({
            "id": format!("/subscriptions/{s}"),
            "type": "Microsoft.Management/managementGroups/subscriptions",
            "name": s,
            "properties": {"displayName": format!("subscription {}", &s[..8.min(s.len())]), "parent": {"id": format!("/providers/Microsoft.Management/managementGroups/{parent}")}},
        }));
    }
    out
}
