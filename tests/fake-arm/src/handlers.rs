//! ARM semantics: gateway checks, authentication, api-versions, routing, authorization and each route.

use chrono::Utc;
use serde_json::{json, Value};

use crate::authz::role_guid_of;
use crate::render::*;
use crate::server::{Reply, Req};
use crate::state::{Assignment, Change, OpStatus, PrincipalState, State};
use crate::topology::{
    ActivityEventSeed, IpRuleSeed, MachineKindSeed, NetworkAclsSeed, ResourceAccessRuleSeed, RoleAssignmentSeed,
    VirtualNetworkRuleSeed,
};
use crate::util::*;

const SYNC_APIS: &[&str] = &["2022-06-01", "2022-09-01", "2025-12-01"];
const STORAGE_APIS: &[&str] = &["2023-01-01", "2023-05-01", "2024-01-01", "2025-06-01"];
const AUTHZ_APIS: &[&str] = &["2022-04-01"];
const PERMISSION_APIS: &[&str] = &["2022-04-01", "2018-07-01", "2015-07-01"];
const LOCK_APIS: &[&str] = &["2016-09-01", "2020-05-01"];
const HYBRID_COMPUTE_APIS: &[&str] = &["2022-12-27", "2023-10-03", "2024-07-10"];
const COMPUTE_APIS: &[&str] = &["2023-09-01", "2024-03-01", "2024-07-01"];
const INSIGHTS_APIS: &[&str] = &["2015-04-01"];
/// How far back the Activity Log goes.
const ACTIVITY_LOG_DAYS: i64 = 90;
const PRINCIPAL_TYPES: &[&str] = &["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"];

/// Everything a handler needs about the request being served.
struct Ctx<'a> {
    st: &'a mut State,
    req: &'a Req,
    base: &'a str,
    principal: String,
    api: String,
    lro_failure: Option<(String, String)>,
}

type R = Result<Reply, ApiError>;

/// Serve one request (called with the state locked).
pub(crate) fn process(st: &mut State, base: &str, req: &Req, lro_failure: Option<(String, String)>) -> Reply {
    st.settle();
    if req.is_write() {
        st.write_count += 1;
    }
    let mut principal_seen = None;
    let operations_before = st.operations.len();
    let result = pipeline(st, base, req, lro_failure, &mut principal_seen);
    let mut reply = match result {
        Ok(r) => r,
        Err(e) => e.into(),
    };
    if let Some(principal) = &principal_seen {
        record_activity(st, req, principal, &reply, operations_before);
    }
    reply.principal = principal_seen;
    // Every ARM answer (not Graph's) says how many reads are left in the subscription's bucket.
    let segs = segments(&req.path);
    let is_graph = segs.first().is_some_and(|s| s.eq_ignore_ascii_case("v1.0"));
    let header = "x-ms-ratelimit-remaining-subscription-reads";
    if !is_graph && !reply.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(header)) {
        let bucket = match segs.as_slice() {
            [first, sub, ..] if first.eq_ignore_ascii_case("subscriptions") => sub.clone(),
            _ => "tenant".to_string(),
        };
        reply.headers.push((header.to_string(), st.peek_read(&bucket).to_string()));
    }
    reply
}

/// The ARM operation name of a write to `path` (`Microsoft.Storage/storageAccounts/write`): the provider,
/// the resource type's segments, and `write`, `delete` or the action a POST names.
fn operation_name(method: &str, segs: &[String]) -> Option<String> {
    let p = segs.iter().rposition(|s| s.eq_ignore_ascii_case("providers")).filter(|p| p + 2 < segs.len())?;
    let rest = &segs[p + 2..];
    let mut types: Vec<&str> = rest.iter().step_by(2).map(String::as_str).collect();
    let verb = match method {
        "DELETE" => "delete",
        "POST" => types.pop().filter(|_| rest.len() % 2 == 1).unwrap_or("action"),
        _ => "write",
    };
    Some(format!("{}/{}/{verb}", segs[p + 1], types.join("/")))
}

/// Record a write in the Activity Log, as ARM does for every write that got past authentication (failed
/// ones included, with status `Failed`). A long-running operation records `Accepted` now and `Succeeded`
/// or `Failed` when it ends.
fn record_activity(st: &mut State, req: &Req, principal: &str, reply: &Reply, operations_before: usize) {
    let segs = segments(&req.path);
    if !req.is_write() || segs.first().is_some_and(|s| s.eq_ignore_ascii_case("v1.0")) || reply.status == 401 {
        return;
    }
    let Some(operation) = operation_name(&req.method, &segs) else { return };
    let caller = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .and_then(|(_, t)| st.tokens.get(t.trim()))
        .and_then(|t| t.caller.clone())
        .unwrap_or_else(|| principal.to_string());
    let (status, sub_status) = match reply.status {
        200 => ("Succeeded", "OK"),
        201 => ("Succeeded", "Created"),
        202 => ("Accepted", "Accepted"),
        204 => ("Succeeded", "NoContent"),
        400 => ("Failed", "BadRequest"),
        403 => ("Failed", "Forbidden"),
        404 => ("Failed", "NotFound"),
        409 => ("Failed", "Conflict"),
        _ => ("Failed", "InternalServerError"),
    };
    let event = ActivityEventSeed {
        event_timestamp: Utc::now(),
        caller,
        operation_name: operation,
        resource_id: req.path.trim_end_matches('/').to_string(),
        status: status.to_string(),
        sub_status: Some(sub_status.to_string()),
        correlation_id: Some(req.correlation_id.clone()),
        http_method: Some(req.method.clone()),
        request_body: req.body.as_ref().and_then(|b| b.as_ref().ok()).cloned(),
        response_body: if reply.status < 300 { reply.body.clone() } else { None },
    };
    let mut end = None;
    if reply.status == 202 && st.operations.len() > operations_before {
        if let Some(op) = st.operations.last_mut() {
            let template = ActivityEventSeed { response_body: None, ..event.clone() };
            match &op.status {
                OpStatus::InProgress => op.event = Some(template),
                // Without an LRO delay the operation ended within the request.
                done => {
                    let ok = *done == OpStatus::Succeeded;
                    end = Some(ActivityEventSeed {
                        status: if ok { "Succeeded" } else { "Failed" }.into(),
                        sub_status: Some(if ok { "OK" } else { "InternalServerError" }.into()),
                        event_timestamp: Utc::now(),
                        ..template
                    });
                }
            }
        }
    }
    st.activity.push(event);
    st.activity.extend(end);
}

fn pipeline(
    st: &mut State,
    base: &str,
    req: &Req,
    lro_failure: Option<(String, String)>,
    principal_seen: &mut Option<String>,
) -> R {
    // The gateway refuses double-encoded and illegal URIs before anything else.
    let full_uri = if req.raw_query.is_empty() {
        format!("{base}{}", req.raw_path)
    } else {
        format!("{base}{}?{}", req.raw_path, req.raw_query)
    };
    if req.raw_path.contains("%25") {
        return Err(ApiError::bad_request(
            "InvalidDoubleEncodedRequestUri",
            format!("The request URI '{full_uri}' is not valid, because it contains double encoding sequence '%25'."),
        )
        .with_header("x-ms-failure-cause", "gateway"));
    }
    let segs = decode_segments(&req.raw_path).map_err(|bad| {
        ApiError::bad_request("InvalidRequestUri", format!("The request URI '{full_uri}' is not valid, because it contains the illegal character {bad:?} in a path segment."))
            .with_header("x-ms-failure-cause", "gateway")
    })?;
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();

    let (principal, graph_ok) = authenticate(st, req)?;
    *principal_seen = Some(principal.clone());

    if lower.first().map(String::as_str) == Some("v1.0") {
        return graph(st, base, req, &segs, graph_ok);
    }

    if crate::arg::is_query_path(&req.path) {
        if req.method != "POST" {
            return Err(ApiError::new(
                405,
                "MethodNotAllowed",
                format!("The requested resource does not support http method '{}'.", req.method),
            ));
        }
        return Ok(crate::arg::query(st, &principal, req.param("api-version"), req.body.as_ref(), &req.correlation_id));
    }
    let tenant_listing = match lower.as_slice() {
        [s] if s == "subscriptions" => Some(None),
        [p, ns, mgs, mg, d]
            if p == "providers" && ns == "microsoft.management" && mgs == "managementgroups" && d == "descendants" =>
        {
            Some(Some(mg.clone()))
        }
        _ => None,
    };
    if let Some(mg) = tenant_listing {
        if req.method != "GET" {
            return Err(ApiError::new(
                405,
                "MethodNotAllowed",
                format!("The requested resource does not support http method '{}'.", req.method),
            ));
        }
        let supported = if mg.is_some() { crate::arg::MANAGEMENT_APIS } else { crate::arg::SUBSCRIPTION_APIS };
        let api = req.param("api-version").map(str::to_string).unwrap_or_default();
        if !supported.contains(&api.as_str()) {
            return Err(ApiError::bad_request(
                if api.is_empty() { "MissingApiVersionParameter" } else { "InvalidApiVersionParameter" },
                format!("The api-version '{api}' is invalid. The supported versions are '{}'.", supported.join(",")),
            ));
        }
        let items = match &mg {
            None => crate::arg::list_subscriptions(st, &principal),
            Some(mg) => {
                if !st.mg_exists(mg) {
                    return Err(ApiError::not_found(
                        "NotFound",
                        format!("'/providers/Microsoft.Management/managementGroups/{mg}' not found"),
                    ));
                }
                st.authorize(
                    &principal,
                    &format!("/providers/Microsoft.Management/managementGroups/{mg}"),
                    "Microsoft.Management/managementGroups/descendants/read",
                    None,
                )?;
                crate::arg::descendants(st, mg)
            }
        };
        let c = Ctx { st, req, base, principal, api, lro_failure };
        return page(&c, items, false);
    }
    let Some(api) = req.param("api-version").map(|s| s.to_string()) else {
        return Err(ApiError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    let route = route(&segs)?;
    let supported = route.api_versions();
    if !supported.contains(&api.as_str()) {
        return Err(ApiError::bad_request(
            "InvalidApiVersionParameter",
            format!("The api-version '{api}' is invalid. The supported versions are '{}'.", supported.join(",")),
        ));
    }

    // Reads are metered per subscription; every answer says what is left.
    let bucket = route.subscription().unwrap_or_else(|| "tenant".to_string());
    let mut extra_headers = Vec::new();
    if req.method == "GET" {
        match st.take_read(&bucket) {
            Ok(left) => {
                extra_headers.push(("x-ms-ratelimit-remaining-subscription-reads".to_string(), left.to_string()))
            }
            Err(wait) => {
                return Err(ApiError::new(
                    429,
                    "SubscriptionRequestsThrottled",
                    format!(
                        "Number of 'read' requests for subscription '{bucket}' actor '{principal}' exceeded. Please try again after '{wait}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling"
                    ),
                )
                .with_header("Retry-After", wait.to_string())
                .with_header("x-ms-ratelimit-remaining-subscription-reads", "0"));
            }
        }
    } else {
        extra_headers.push(("x-ms-ratelimit-remaining-subscription-writes".to_string(), "1199".to_string()));
    }

    let mut c = Ctx { st, req, base, principal, api, lro_failure };
    let mut reply = match route {
        Route::SyncList { sub, rg } => sync_list(&mut c, &sub, rg.as_deref()),
        Route::Sync { sub, rg, svc, rest } => sync_resource(&mut c, &sub, &rg, &svc, &rest),
        Route::SyncOperation { sub, location, results, id } => sync_operation(&mut c, &sub, &location, results, &id),
        Route::StorageList { sub, rg } => storage_list(&mut c, &sub, rg.as_deref()),
        Route::Storage { sub, rg, account, rest } => storage_resource(&mut c, &sub, &rg, &account, &rest),
        Route::Authz { scope, kind, name } => authz_route(&mut c, &scope, &kind, name.as_deref()),
        Route::Machine { kind, sub, rg, name } => machine_resource(&mut c, kind, &sub, &rg, &name),
        Route::ActivityLog { sub } => activity_log(&mut c, &sub),
    }?;
    for (k, v) in extra_headers {
        if !reply.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&k)) {
            reply.headers.push((k, v));
        }
    }
    Ok(reply)
}

/// Split a raw path into decoded segments; Err(the offending character) for ones ARM names cannot hold.
fn decode_segments(raw: &str) -> Result<Vec<String>, char> {
    let mut out = Vec::new();
    for seg in raw.split('/').filter(|s| !s.is_empty()) {
        let d = percent_decode(seg).map_err(|_| '%')?;
        if let Some(bad) =
            d.chars().find(|c| c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%' | '<' | '>' | '"'))
        {
            return Err(bad);
        }
        out.push(d);
    }
    Ok(out)
}

// ---- authentication ----------------------------------------------------------------------------

fn authenticate(st: &State, req: &Req) -> Result<(String, bool), ApiError> {
    let challenge = |desc: &str| {
        format!("Bearer authorization_uri=\"https://login.microsoftonline.com/{}\", error=\"invalid_token\", error_description=\"{desc}\"", st.tenant)
    };
    let Some(h) = req.header("authorization") else {
        let msg = "Authentication failed. The 'Authorization' header is missing.";
        return Err(ApiError::new(401, "AuthenticationFailed", msg).with_header(
            "WWW-Authenticate",
            challenge("The authentication failed because of missing 'Authorization' header."),
        ));
    };
    let token = match h.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("Bearer") && !t.trim().is_empty() => t.trim(),
        _ => {
            return Err(ApiError::new(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            )
            .with_header(
                "WWW-Authenticate",
                challenge("The authentication failed because of an invalid 'Authorization' header."),
            ))
        }
    };
    let Some(seed) = st.tokens.get(token) else {
        return Err(ApiError::new(401, "InvalidAuthenticationToken", "The access token is invalid.")
            .with_header("WWW-Authenticate", challenge("The access token is invalid.")));
    };
    if let Some(exp) = seed.expires_at {
        let now = Utc::now();
        if exp <= now {
            let msg = format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                exp.format("%-m/%-d/%Y %-I:%M:%S %p"),
                now.format("%-m/%-d/%Y %-I:%M:%S %p")
            );
            return Err(ApiError::new(401, "ExpiredAuthenticationToken", msg.clone())
                .with_header("WWW-Authenticate", challenge(&msg)));
        }
    }
    let to_graph = segments(&req.path).first().is_some_and(|s| s.eq_ignore_ascii_case("v1.0"));
    match (seed.audience, to_graph) {
        (Some(crate::topology::TokenAudience::Graph), false) => {
            let msg = "The access token has been obtained for wrong audience or resource 'https://graph.microsoft.com'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.";
            return Err(ApiError::new(401, "InvalidAuthenticationTokenAudience", msg)
                .with_header("WWW-Authenticate", challenge(msg)));
        }
        (Some(crate::topology::TokenAudience::Arm), true) => {
            return Err(ApiError::new(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            ));
        }
        _ => {}
    }
    Ok((seed.principal_id.clone(), seed.graph))
}

// ---- routing -----------------------------------------------------------------------------------

enum Route {
    SyncList { sub: String, rg: Option<String> },
    Sync { sub: String, rg: String, svc: String, rest: Vec<String> },
    SyncOperation { sub: String, location: String, results: bool, id: String },
    StorageList { sub: String, rg: Option<String> },
    Storage { sub: String, rg: String, account: String, rest: Vec<String> },
    Authz { scope: Vec<String>, kind: String, name: Option<String> },
    Machine { kind: MachineKindSeed, sub: String, rg: String, name: String },
    ActivityLog { sub: String },
}

impl Route {
    fn api_versions(&self) -> &'static [&'static str] {
        match self {
            Route::SyncList { .. } | Route::Sync { .. } | Route::SyncOperation { .. } => SYNC_APIS,
            Route::StorageList { .. } | Route::Storage { .. } => STORAGE_APIS,
            Route::Authz { kind, .. } => match kind.as_str() {
                "permissions" => PERMISSION_APIS,
                "locks" => LOCK_APIS,
                _ => AUTHZ_APIS,
            },
            Route::Machine { kind: MachineKindSeed::Arc, .. } => HYBRID_COMPUTE_APIS,
            Route::Machine { kind: MachineKindSeed::Vm, .. } => COMPUTE_APIS,
            Route::ActivityLog { .. } => INSIGHTS_APIS,
        }
    }
    fn subscription(&self) -> Option<String> {
        match self {
            Route::SyncList { sub, .. }
            | Route::Sync { sub, .. }
            | Route::SyncOperation { sub, .. }
            | Route::StorageList { sub, .. }
            | Route::Storage { sub, .. }
            | Route::Machine { sub, .. } => Some(sub.clone()),
            Route::ActivityLog { sub } => Some(sub.clone()),
            Route::Authz { scope, .. } => {
                if scope.len() >= 2 && scope[0].eq_ignore_ascii_case("subscriptions") {
                    Some(scope[1].clone())
                } else {
                    None
                }
            }
        }
    }
}

fn invalid_type(namespace: &str, kind: &str) -> ApiError {
    ApiError::not_found(
        "InvalidResourceType",
        format!("The resource type '{kind}' could not be found in the namespace '{namespace}' for the requested api version."),
    )
}

/// `(subscription, resource group)` from a provider's parent scope.
fn sub_rg(scope: &[String]) -> Option<(String, Option<String>)> {
    let l: Vec<String> = scope.iter().map(|s| s.to_ascii_lowercase()).collect();
    match l.len() {
        2 if l[0] == "subscriptions" => Some((scope[1].clone(), None)),
        4 if l[0] == "subscriptions" && l[2] == "resourcegroups" => Some((scope[1].clone(), Some(scope[3].clone()))),
        _ => None,
    }
}

fn route(segs: &[String]) -> Result<Route, ApiError> {
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let Some(p) = lower.iter().rposition(|s| s == "providers").filter(|p| p + 1 < lower.len()) else {
        return Err(ApiError::not_found(
            "NoRegisteredProviderFound",
            format!("No registered resource provider found for the path '/{}'. The fake ARM server serves Microsoft.StorageSync, Microsoft.Storage, Microsoft.Authorization, Microsoft.HybridCompute and Microsoft.Compute.", segs.join("/")),
        ));
    };
    let namespace = segs[p + 1].clone();
    let scope = &segs[..p];
    let rest: Vec<String> = segs[p + 2..].to_vec();
    let rl: Vec<&str> = lower[p + 2..].iter().map(String::as_str).collect();
    let bad_scope = || {
        ApiError::bad_request(
            "InvalidScope",
            format!("The scope '/{}' is not valid for provider '{namespace}'.", scope.join("/")),
        )
    };
    match lower[p + 1].as_str() {
        "microsoft.storagesync" => {
            let (sub, rg) = sub_rg(scope).ok_or_else(bad_scope)?;
            match (rl.as_slice(), rg) {
                (["storagesyncservices"], rg) => Ok(Route::SyncList { sub, rg }),
                (["storagesyncservices", _, ..], Some(rg)) => {
                    Ok(Route::Sync { sub, rg, svc: rest[1].clone(), rest: rest[2..].to_vec() })
                }
                (["locations", _, kind @ ("operations" | "operationresults"), _], None) => Ok(Route::SyncOperation {
                    sub,
                    location: rest[1].clone(),
                    results: *kind == "operationresults",
                    id: rest[3].clone(),
                }),
                _ => Err(invalid_type("Microsoft.StorageSync", &rest.join("/"))),
            }
        }
        "microsoft.storage" => {
            let (sub, rg) = sub_rg(scope).ok_or_else(bad_scope)?;
            match (rl.as_slice(), rg) {
                (["storageaccounts"], rg) => Ok(Route::StorageList { sub, rg }),
                (["storageaccounts", _, ..], Some(rg)) => {
                    Ok(Route::Storage { sub, rg, account: rest[1].clone(), rest: rest[2..].to_vec() })
                }
                _ => Err(invalid_type("Microsoft.Storage", &rest.join("/"))),
            }
        }
        "microsoft.authorization" => {
            let kind = rl.first().map(|s| s.to_string()).unwrap_or_default();
            let known = ["roleassignments", "roledefinitions", "permissions", "denyassignments", "locks"];
            if !known.contains(&kind.as_str()) || rest.len() > 2 || (kind == "permissions" && rest.len() > 1) {
                return Err(invalid_type("Microsoft.Authorization", &rest.join("/")));
            }
            Ok(Route::Authz { scope: scope.to_vec(), kind, name: rest.get(1).cloned() })
        }
        ns @ ("microsoft.hybridcompute" | "microsoft.compute") => {
            let (kind, ty, display) = if ns == "microsoft.hybridcompute" {
                (MachineKindSeed::Arc, "machines", "Microsoft.HybridCompute")
            } else {
                (MachineKindSeed::Vm, "virtualmachines", "Microsoft.Compute")
            };
            let (sub, rg) = sub_rg(scope).ok_or_else(bad_scope)?;
            match (rl.as_slice(), rg) {
                ([t, _], Some(rg)) if *t == ty => Ok(Route::Machine { kind, sub, rg, name: rest[1].clone() }),
                _ => Err(invalid_type(display, &rest.join("/"))),
            }
        }
        "microsoft.insights" => match (sub_rg(scope), rl.as_slice()) {
            (Some((sub, None)), ["eventtypes", "management", "values"]) => Ok(Route::ActivityLog { sub }),
            _ => Err(invalid_type("Microsoft.Insights", &rest.join("/"))),
        },
        _ => Err(ApiError::not_found(
            "InvalidResourceNamespace",
            format!("The resource namespace '{namespace}' is invalid (the fake ARM server does not serve it)."),
        )),
    }
}

fn method_not_allowed(c: &Ctx) -> ApiError {
    ApiError::new(
        405,
        "MethodNotAllowed",
        format!("The requested resource does not support http method '{}'.", c.req.method),
    )
}

fn need_subscription(c: &Ctx, sub: &str) -> Result<(), ApiError> {
    if c.st.subscription_exists(sub) {
        Ok(())
    } else {
        Err(ApiError::not_found("SubscriptionNotFound", format!("The subscription '{sub}' could not be found.")))
    }
}

fn need_resource_group(c: &Ctx, sub: &str, rg: &str) -> Result<(), ApiError> {
    if c.st.resource_group_exists(sub, rg) {
        Ok(())
    } else {
        Err(ApiError::not_found("ResourceGroupNotFound", format!("Resource group '{rg}' could not be found.")))
    }
}

fn resource_not_found(kind: &str, name: &str, rg: &str) -> ApiError {
    ApiError::not_found(
        "ResourceNotFound",
        format!("The Resource '{kind}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"),
    )
}

fn parent_not_found(parent: &str) -> ApiError {
    ApiError::not_found(
        "ParentResourceNotFound",
        format!("Can not perform requested operation on nested resource. Parent resource '{parent}' not found."),
    )
}

fn authorize(c: &Ctx, action: &str, target_role: Option<&str>) -> Result<(), ApiError> {
    c.st.authorize(&c.principal, &c.req.path, action, target_role)
}

// ---- paging ------------------------------------------------------------------------------------

fn page_context(c: &Ctx) -> u64 {
    let mut params: Vec<String> = c
        .req
        .query
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken") && !k.eq_ignore_ascii_case("api-version"))
        .map(|(k, v)| format!("{}={v}", k.to_ascii_lowercase()))
        .collect();
    params.sort();
    fnv64(&format!("{}|{}", scope_key(&c.req.path), params.join("&")))
}

/// One page of `items` as `{"value":[...],"nextLink":...}` (Graph: `@odata.nextLink`).
fn page(c: &Ctx, items: Vec<Value>, graph: bool) -> R {
    let ctx = page_context(c);
    let mut offset = 0usize;
    if let Some(tok) = c.req.param("$skiptoken") {
        let bad = || {
            if graph {
                ApiError::bad_request("Request_BadRequest", format!("Invalid value '{tok}' for $skiptoken."))
            } else {
                ApiError::bad_request(
                    "InvalidSkipToken",
                    format!("The skip token '{tok}' is not valid for this request."),
                )
            }
        };
        let text = b64_decode(tok).and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
        let (o, h) = text.split_once(';').ok_or_else(bad)?;
        let o: usize = o.strip_prefix("o=").and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        let h: u64 = h.strip_prefix("h=").and_then(|x| x.parse().ok()).ok_or_else(bad)?;
        if h != ctx {
            return Err(bad());
        }
        offset = o;
    }
    let size = c.st.page_size.max(1);
    let total = items.len();
    let end = (offset + size).min(total);
    let value: Vec<Value> = if offset < total { items[offset..end].to_vec() } else { Vec::new() };
    let mut body = if graph {
        json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals", "value": value})
    } else {
        json!({"value": value})
    };
    if end < total {
        let token = b64_encode(format!("o={end};h={ctx}").as_bytes());
        let mut q: Vec<String> = c
            .req
            .query
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
            .map(|(k, v)| format!("{}={}", query_encode(k), query_encode(v)))
            .collect();
        q.push(format!("$skiptoken={}", query_encode(&token)));
        let link = format!("{}{}?{}", c.base, c.req.raw_path, q.join("&"));
        body[if graph { "@odata.nextLink" } else { "nextLink" }] = json!(link);
    }
    Ok(Reply::json(200, body))
}

// ---- Microsoft.StorageSync ---------------------------------------------------------------------

fn sync_list(c: &mut Ctx, sub: &str, rg: Option<&str>) -> R {
    if c.req.method != "GET" {
        return Err(method_not_allowed(c));
    }
    need_subscription(c, sub)?;
    authorize(c, "Microsoft.StorageSync/storageSyncServices/read", None)?;
    if let Some(rg) = rg {
        need_resource_group(c, sub, rg)?;
    }
    let items =
        c.st.services
            .iter()
            .filter(|s| {
                s.seed.subscription_id.eq_ignore_ascii_case(sub)
                    && rg.is_none_or(|rg| s.seed.resource_group.eq_ignore_ascii_case(rg))
            })
            .map(|s| render_service(c.st, s, &c.api))
            .collect();
    page(c, items, false)
}

fn sync_resource(c: &mut Ctx, sub: &str, rg: &str, svc_name: &str, rest: &[String]) -> R {
    let rl: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
    let rl: Vec<&str> = rl.iter().map(String::as_str).collect();
    let base = "Microsoft.StorageSync/storageSyncServices";
    let (action_type, writable) = match rl.as_slice() {
        [] => (base.to_string(), true),
        ["registeredservers"] => (format!("{base}/registeredServers"), false),
        ["registeredservers", _] => (format!("{base}/registeredServers"), true),
        ["syncgroups"] | ["syncgroups", _] => (format!("{base}/syncGroups"), false),
        ["privateendpointconnections"] | ["privateendpointconnections", _] => {
            (format!("{base}/privateEndpointConnections"), false)
        }
        ["syncgroups", _, "cloudendpoints"] | ["syncgroups", _, "cloudendpoints", _] => {
            (format!("{base}/syncGroups/cloudEndpoints"), false)
        }
        ["syncgroups", _, "serverendpoints"] | ["syncgroups", _, "serverendpoints", _] => {
            (format!("{base}/syncGroups/serverEndpoints"), false)
        }
        _ => return Err(invalid_type("Microsoft.StorageSync", &format!("storageSyncServices/{}", rest.join("/")))),
    };
    let action = match c.req.method.as_str() {
        "GET" => format!("{action_type}/read"),
        "PATCH" if writable => format!("{action_type}/write"),
        _ => return Err(method_not_allowed(c)),
    };
    need_subscription(c, sub)?;
    authorize(c, &action, None)?;
    need_resource_group(c, sub, rg)?;
    let Some(si) = c.st.find_service(sub, rg, svc_name) else {
        return Err(if rest.is_empty() { resource_not_found(base, svc_name, rg) } else { parent_not_found(svc_name) });
    };
    let svc = &c.st.services[si];
    let sname = svc.seed.name.clone();
    match rl.as_slice() {
        [] if c.req.method == "PATCH" => patch_service(c, si),
        [] => Ok(Reply::json(200, render_service(c.st, svc, &c.api))),
        ["registeredservers"] => {
            let items = svc.seed.registered_servers.iter().map(|r| render_server(svc, r, &c.api)).collect();
            page(c, items, false)
        }
        ["registeredservers", id] => {
            let Some(ri) = svc.seed.registered_servers.iter().position(|r| r.server_id.eq_ignore_ascii_case(id)) else {
                return Err(resource_not_found(&format!("{base}/{sname}/registeredServers"), &rest[1], rg));
            };
            if c.req.method == "PATCH" {
                patch_server(c, si, ri)
            } else {
                Ok(Reply::json(200, render_server(svc, &svc.seed.registered_servers[ri], &c.api)))
            }
        }
        ["privateendpointconnections"] => {
            let items =
                svc.seed.private_endpoint_connections.iter().map(|p| render_service_pec(&svc.seed, p)).collect();
            page(c, items, false)
        }
        ["privateendpointconnections", name] => {
            match svc.seed.private_endpoint_connections.iter().find(|p| p.name.eq_ignore_ascii_case(name)) {
                Some(p) => Ok(Reply::json(200, render_service_pec(&svc.seed, p))),
                None => Err(resource_not_found(
                    &format!("Microsoft.StorageSync/storageSyncServices/{sname}/privateEndpointConnections"),
                    &rest[1],
                    rg,
                )),
            }
        }
        ["syncgroups"] => {
            let items = svc.seed.sync_groups.iter().map(|g| render_sync_group(&svc.seed, g)).collect();
            page(c, items, false)
        }
        ["syncgroups", sg, more @ ..] => {
            let Some(g) = svc.seed.sync_groups.iter().find(|g| g.name.eq_ignore_ascii_case(sg)) else {
                return Err(if more.is_empty() {
                    resource_not_found(&format!("{base}/{sname}/syncGroups"), &rest[1], rg)
                } else {
                    parent_not_found(&rest[1])
                });
            };
            match more {
                [] => Ok(Reply::json(200, render_sync_group(&svc.seed, g))),
                ["cloudendpoints"] => {
                    let items =
                        g.cloud_endpoints.iter().map(|e| render_cloud_endpoint(c.st, &svc.seed, g, e)).collect();
                    page(c, items, false)
                }
                ["cloudendpoints", name] => {
                    match g.cloud_endpoints.iter().find(|e| e.name.eq_ignore_ascii_case(name)) {
                        Some(e) => Ok(Reply::json(200, render_cloud_endpoint(c.st, &svc.seed, g, e))),
                        None => Err(resource_not_found(
                            &format!("{base}/{sname}/syncGroups/{}/cloudEndpoints", g.name),
                            &rest[3],
                            rg,
                        )),
                    }
                }
                ["serverendpoints"] => {
                    let items = g.server_endpoints.iter().map(|e| render_server_endpoint(&svc.seed, g, e)).collect();
                    page(c, items, false)
                }
                ["serverendpoints", name] => {
                    match g.server_endpoints.iter().find(|e| e.name.eq_ignore_ascii_case(name)) {
                        Some(e) => Ok(Reply::json(200, render_server_endpoint(&svc.seed, g, e))),
                        None => Err(resource_not_found(
                            &format!("{base}/{sname}/syncGroups/{}/serverEndpoints", g.name),
                            &rest[3],
                            rg,
                        )),
                    }
                }
                _ => Err(invalid_type("Microsoft.StorageSync", &rest.join("/"))),
            }
        }
        _ => Err(invalid_type("Microsoft.StorageSync", &rest.join("/"))),
    }
}

fn body_object<'a>(c: &'a Ctx) -> Result<&'a serde_json::Map<String, Value>, ApiError> {
    if let Some(ct) = c.req.header("content-type") {
        if !ct.to_ascii_lowercase().starts_with("application/json") {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!("The content media type '{ct}' is not supported. Only 'application/json' is supported."),
            ));
        }
    }
    match &c.req.body {
        None => Err(ApiError::bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: the body is empty.",
        )),
        Some(Err(e)) => Err(ApiError::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: {e}."),
        )),
        Some(Ok(v)) => v.as_object().ok_or_else(|| {
            ApiError::bad_request(
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized: the body is not a JSON object.",
            )
        }),
    }
}

fn lro_accepted(c: &mut Ctx, location: &str, sub: &str, change: Change, resource: (usize, Option<usize>)) -> Reply {
    let failure = c.lro_failure.take();
    let op = c.st.start_operation(&lro_location(location), sub, change, resource, failure);
    let loc = lro_location(location);
    let root = format!("{}/subscriptions/{sub}/providers/Microsoft.StorageSync/locations/{loc}", c.base);
    Reply::empty(202)
        .header("Azure-AsyncOperation", format!("{root}/operations/{op}?api-version={}", c.api))
        .header("Location", format!("{root}/operationresults/{op}?api-version={}", c.api))
        .header("Retry-After", c.st.lro_retry_after.to_string())
}

fn patch_service(c: &mut Ctx, si: usize) -> R {
    c.st.check_locks(&c.req.path, false)?;
    let body = body_object(c)?;
    let mut identity = match body.get("identity") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => match o
            .get("type")
            .and_then(Value::as_str)
            .map(|t| t.replace(' ', "").to_ascii_lowercase())
        {
            Some(t) if t == "systemassigned" => Some(true),
            Some(t) if t == "none" => Some(false),
            Some(t) if t.contains("userassigned") => return Err(ApiError::bad_request(
                "InvalidIdentityType",
                "User-assigned identities are not supported by the fake ARM server; use 'SystemAssigned' or 'None'.",
            )
            .with_target("identity.type")),
            _ => {
                return Err(ApiError::bad_request(
                    "InvalidIdentityType",
                    "identity.type must be 'SystemAssigned' or 'None'.",
                )
                .with_target("identity.type"))
            }
        },
        Some(_) => {
            return Err(ApiError::bad_request(
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized: 'identity' must be an object.",
            ))
        }
    };
    let props = match body.get("properties") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => {
            return Err(ApiError::bad_request(
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized: 'properties' must be an object.",
            ))
        }
    };
    let mut use_identity = match props.get("useIdentity") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(ApiError::bad_request("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'properties.useIdentity' must be a boolean.").with_target("properties.useIdentity")),
    };
    let policy = match props.get("incomingTrafficPolicy") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "AllowAllTraffic" || s == "AllowVirtualNetworksOnly" => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "InvalidParameter",
                "properties.incomingTrafficPolicy must be 'AllowAllTraffic' or 'AllowVirtualNetworksOnly'.",
            )
            .with_target("properties.incomingTrafficPolicy"))
        }
    };
    if !api_has_identity(&c.api) {
        // 2022-06-01 knows neither property: ARM ignores what the api-version does not define.
        identity = None;
        use_identity = None;
    }
    let svc = &c.st.services[si];
    let will_have_identity =
        identity.unwrap_or_else(|| svc.seed.identity.as_ref().is_some_and(|i| !i.kind.eq_ignore_ascii_case("None")));
    if use_identity == Some(true) && !will_have_identity {
        return Err(ApiError::bad_request(
            "BadRequest",
            "properties.useIdentity cannot be true while the Storage Sync Service has no system-assigned managed identity; set identity.type to 'SystemAssigned' in the same or an earlier request.",
        )
        .with_target("properties.useIdentity"));
    }
    let location = svc.seed.location.clone();
    let sub = svc.seed.subscription_id.clone();
    let change = Change::Service { svc: si, identity, use_identity, policy, by: c.principal.clone() };
    Ok(lro_accepted(c, &location, &sub, change, (si, None)))
}

fn patch_server(c: &mut Ctx, si: usize, ri: usize) -> R {
    c.st.check_locks(&c.req.path, false)?;
    let body = body_object(c)?;
    let Some(props) = body.get("properties").and_then(Value::as_object) else {
        return Err(ApiError::bad_request("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'properties' is required and must be an object.").with_target("properties"));
    };
    let identity = match props.get("identity") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ApiError::bad_request("InvalidRequestContent", "'properties.identity' must be a boolean.")
                .with_target("properties.identity"))
        }
    };
    let app = match props.get("applicationId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if is_guid(s) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::bad_request("InvalidApplicationId", "'properties.applicationId' must be a GUID.")
                .with_target("properties.applicationId"))
        }
    };
    let svc = &c.st.services[si];
    let r = &svc.seed.registered_servers[ri];
    let location = svc.seed.location.clone();
    let sub = svc.seed.subscription_id.clone();
    let mut change = Change::Nothing;
    if api_has_identity(&c.api) {
        if identity == Some(false) {
            return Err(ApiError::bad_request(
                "BadRequest",
                "Switching a registered server back to certificate authentication ('identity': false) is not supported by the fake ARM server.",
            )
            .with_target("properties.identity"));
        }
        if identity == Some(true) || app.is_some() {
            let Some(app) = app else {
                return Err(ApiError::bad_request(
                    "InvalidApplicationId",
                    "'properties.applicationId' is required when 'properties.identity' is true.",
                )
                .with_target("properties.applicationId"));
            };
            let known: Vec<&String> = [&r.latest_application_id, &r.application_id]
                .into_iter()
                .flatten()
                .filter(|g| !is_zero_guid(g))
                .collect();
            if known.is_empty() {
                return Err(ApiError::bad_request(
                    "InvalidApplicationId",
                    format!("The registered server '{}' has no managed identity (applicationId and latestApplicationId are empty); it cannot switch to managed identity authentication.", r.server_id),
                )
                .with_target("properties.applicationId"));
            }
            if !known.iter().any(|g| g.eq_ignore_ascii_case(&app)) {
                return Err(ApiError::bad_request(
                    "InvalidApplicationId",
                    format!(
                        "The applicationId '{app}' does not match the managed identity of registered server '{}' ('{}').",
                        r.server_id,
                        known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("', '")
                    ),
                )
                .with_target("properties.applicationId"));
            }
            change = Change::Server { svc: si, server: ri, application_id: app };
        }
    }
    Ok(lro_accepted(c, &location, &sub, change, (si, Some(ri))))
}

fn sync_operation(c: &mut Ctx, sub: &str, location: &str, results: bool, id: &str) -> R {
    if c.req.method != "GET" {
        return Err(method_not_allowed(c));
    }
    need_subscription(c, sub)?;
    // Operation polls need no role: ARM lets whoever started an operation follow it.
    let Some(op) = c
        .st
        .operations
        .iter()
        .find(|o| o.id == id && o.subscription.eq_ignore_ascii_case(sub) && o.location.eq_ignore_ascii_case(location))
        .cloned()
    else {
        return Err(ApiError::not_found(
            "OperationNotFound",
            format!("The operation '{id}' could not be found in location '{location}'."),
        ));
    };
    let root = format!("/subscriptions/{sub}/providers/Microsoft.StorageSync/locations/{}", op.location);
    if results {
        return match op.status {
            OpStatus::InProgress => Ok(Reply::empty(202)
                .header("Location", format!("{}{root}/operationresults/{}?api-version={}", c.base, op.id, c.api))
                .header("Retry-After", c.st.lro_retry_after.to_string())),
            OpStatus::Failed => {
                let (code, message) = op.failure.clone().unwrap_or_default();
                Err(ApiError::new(500, &code, message))
            }
            OpStatus::Succeeded => {
                let svc = &c.st.services[op.resource.0];
                Ok(Reply::json(
                    200,
                    match op.resource.1 {
                        Some(ri) => render_server(svc, &svc.seed.registered_servers[ri], &c.api),
                        None => render_service(c.st, svc, &c.api),
                    },
                ))
            }
        };
    }
    let mut body = json!({
        "id": format!("{root}/operations/{}", op.id),
        "name": op.id,
        "status": match op.status { OpStatus::InProgress => "InProgress", OpStatus::Succeeded => "Succeeded", OpStatus::Failed => "Failed" },
        "startTime": op.started_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    });
    if let Some(end) = op.ended_at {
        body["endTime"] = json!(end.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    }
    if let Some((code, message)) = &op.failure {
        if op.status == OpStatus::Failed {
            body["error"] = json!({"code": code, "message": message});
        }
    }
    let mut reply = Reply::json(200, body);
    if op.status == OpStatus::InProgress {
        reply = reply.header("Retry-After", c.st.lro_retry_after.to_string());
    }
    Ok(reply)
}

// ---- Microsoft.Storage -------------------------------------------------------------------------

fn storage_list(c: &mut Ctx, sub: &str, rg: Option<&str>) -> R {
    if c.req.method != "GET" {
        return Err(method_not_allowed(c));
    }
    need_subscription(c, sub)?;
    authorize(c, "Microsoft.Storage/storageAccounts/read", None)?;
    if let Some(rg) = rg {
        need_resource_group(c, sub, rg)?;
    }
    let items = c
        .st
        .accounts
        .iter()
        .filter(|a| {
            a.subscription_id.eq_ignore_ascii_case(sub) && rg.is_none_or(|rg| a.resource_group.eq_ignore_ascii_case(rg))
        })
        .map(render_account)
        .collect();
    page(c, items, false)
}

fn storage_resource(c: &mut Ctx, sub: &str, rg: &str, account: &str, rest: &[String]) -> R {
    let rl: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
    let rl: Vec<&str> = rl.iter().map(String::as_str).collect();
    let action = match (rl.as_slice(), c.req.method.as_str()) {
        ([], "GET") => "Microsoft.Storage/storageAccounts/read",
        ([], "PATCH") => "Microsoft.Storage/storageAccounts/write",
        (["fileservices", _, "shares"] | ["fileservices", _, "shares", _], "GET") => {
            "Microsoft.Storage/storageAccounts/fileServices/shares/read"
        }
        (["fileservices", _], "GET") => "Microsoft.Storage/storageAccounts/fileServices/read",
        (["networksecurityperimeterconfigurations"] | ["networksecurityperimeterconfigurations", _], "GET") => {
            "Microsoft.Storage/storageAccounts/networkSecurityPerimeterConfigurations/read"
        }
        (
            []
            | ["fileservices", _]
            | ["fileservices", _, "shares"]
            | ["fileservices", _, "shares", _]
            | ["networksecurityperimeterconfigurations"]
            | ["networksecurityperimeterconfigurations", _],
            _,
        ) => return Err(method_not_allowed(c)),
        _ => return Err(invalid_type("Microsoft.Storage", &format!("storageAccounts/{}", rest.join("/")))),
    };
    need_subscription(c, sub)?;
    authorize(c, action, None)?;
    need_resource_group(c, sub, rg)?;
    let Some(ai) = c.st.find_account(sub, rg, account) else {
        return Err(if rest.is_empty() {
            resource_not_found("Microsoft.Storage/storageAccounts", account, rg)
        } else {
            parent_not_found(account)
        });
    };
    if c.req.method == "PATCH" {
        return patch_account(c, ai);
    }
    let a = &c.st.accounts[ai];
    match rl.as_slice() {
        ["networksecurityperimeterconfigurations"] => {
            let items =
                a.network_security_perimeter_configurations.iter().map(|n| render_nsp_configuration(a, n)).collect();
            return page(c, items, false);
        }
        ["networksecurityperimeterconfigurations", _] => {
            let found = a
                .network_security_perimeter_configurations
                .iter()
                .map(|n| render_nsp_configuration(a, n))
                .find(|v| v["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(&rest[1])));
            return match found {
                Some(v) => Ok(Reply::json(200, v)),
                None => Err(resource_not_found(
                    &format!("Microsoft.Storage/storageAccounts/{}/networkSecurityPerimeterConfigurations", a.name),
                    &rest[1],
                    rg,
                )),
            };
        }
        _ => {}
    }
    if rl.len() >= 2 && rl[1] != "default" {
        return Err(resource_not_found(
            &format!("Microsoft.Storage/storageAccounts/{}/fileServices", a.name),
            &rest[1],
            rg,
        ));
    }
    match rl.as_slice() {
        [] => Ok(Reply::json(200, render_account(a))),
        [_, _] => Ok(Reply::json(200, render_file_service(a))),
        [_, _, _] => {
            let items = a.shares.iter().map(|s| render_share(a, s)).collect();
            page(c, items, false)
        }
        _ => match a.shares.iter().find(|s| s.eq_ignore_ascii_case(&rest[3])) {
            Some(s) => Ok(Reply::json(200, render_share(a, s))),
            None => Err(ApiError::not_found("ShareNotFound", "The specified share does not exist.")),
        },
    }
}

/// Storage's answer to a value it does not accept (the code and wording real ARM uses).
fn invalid_values(account: &str, field: &str) -> ApiError {
    ApiError::bad_request(
        "InvalidValuesForRequestParameters",
        format!("Values for request parameters are invalid: {field}. For more information, see - https://aka.ms/storagenetworkruleset"),
    )
    .with_target(account)
}

fn not_deserializable(what: &str) -> ApiError {
    ApiError::bad_request(
        "InvalidRequestContent",
        format!("The request content was invalid and could not be deserialized: {what}."),
    )
}

/// An IPv4 address or CIDR range with a prefix of at most 30, as storage firewalls take them.
fn valid_ip_rule(v: &str) -> bool {
    let (addr, prefix) = match v.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (v, None),
    };
    addr.parse::<std::net::Ipv4Addr>().is_ok() && prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|n| n <= 30))
}

/// `networkAcls` in a storage account PATCH: a whole rule set, which replaces the account's (members
/// left out take their defaults). Err names the offending field like ARM does.
fn parse_network_acls(account: &str, v: &Value) -> Result<NetworkAclsSeed, ApiError> {
    let Some(o) = v.as_object() else { return Err(not_deserializable("'properties.networkAcls' must be an object")) };
    let default_action = match o.get("defaultAction").and_then(Value::as_str) {
        Some(a) if a.eq_ignore_ascii_case("Allow") => "Allow",
        Some(a) if a.eq_ignore_ascii_case("Deny") => "Deny",
        _ => return Err(invalid_values(account, "networkAcls.defaultAction")),
    };
    let bypass = match o.get("bypass") {
        None | Some(Value::Null) => "AzureServices".to_string(),
        Some(Value::String(b)) => {
            let mut parts = Vec::new();
            for p in b.split(',').map(str::trim) {
                let canon =
                    ["None", "Logging", "Metrics", "AzureServices"].into_iter().find(|k| k.eq_ignore_ascii_case(p));
                match canon {
                    Some(k) if !parts.contains(&k) => parts.push(k),
                    Some(_) => {}
                    None => return Err(invalid_values(account, "networkAcls.bypass")),
                }
            }
            if parts.len() > 1 && parts.contains(&"None") {
                return Err(invalid_values(account, "networkAcls.bypass"));
            }
            parts.join(", ")
        }
        Some(_) => return Err(invalid_values(account, "networkAcls.bypass")),
    };
    let array = |name: &str| -> Result<Vec<serde_json::Map<String, Value>>, ApiError> {
        match o.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_object()
                        .cloned()
                        .ok_or_else(|| not_deserializable(&format!("'networkAcls.{name}' items must be objects")))
                })
                .collect(),
            Some(_) => Err(not_deserializable(&format!("'networkAcls.{name}' must be an array"))),
        }
    };
    let allow_only = |r: &serde_json::Map<String, Value>, field: &str| -> Result<(), ApiError> {
        match r.get("action") {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(a)) if a.eq_ignore_ascii_case("Allow") => Ok(()),
            Some(_) => Err(invalid_values(account, field)),
        }
    };
    let mut ip_rules = Vec::new();
    for r in array("ipRules")? {
        allow_only(&r, "networkAcls.ipRule[*].action")?;
        match r.get("value").and_then(Value::as_str) {
            Some(v) if valid_ip_rule(v) => ip_rules.push(IpRuleSeed { value: v.to_string(), action: None }),
            _ => return Err(invalid_values(account, "networkAcls.ipRule[*].value")),
        }
    }
    let mut virtual_network_rules = Vec::new();
    for r in array("virtualNetworkRules")? {
        allow_only(&r, "networkAcls.virtualNetworkRules[*].action")?;
        let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
        let l: Vec<String> = segments(id).iter().map(|s| s.to_ascii_lowercase()).collect();
        let subnet = l.len() == 10
            && l[0] == "subscriptions"
            && l[2] == "resourcegroups"
            && l[4] == "providers"
            && l[5] == "microsoft.network"
            && l[6] == "virtualnetworks"
            && l[8] == "subnets";
        if !subnet {
            return Err(invalid_values(account, "networkAcls.virtualNetworkRules[*].id"));
        }
        // `state` is read-only: ignored.
        virtual_network_rules.push(VirtualNetworkRuleSeed { id: id.to_string(), action: None, state: None });
    }
    let mut resource_access_rules = Vec::new();
    for r in array("resourceAccessRules")? {
        let tenant = r.get("tenantId").and_then(Value::as_str).filter(|t| is_guid(t));
        let resource = r.get("resourceId").and_then(Value::as_str).filter(|id| segments(id).len() >= 8);
        match (tenant, resource) {
            (Some(t), Some(id)) => resource_access_rules
                .push(ResourceAccessRuleSeed { tenant_id: t.to_string(), resource_id: id.to_string() }),
            (None, _) => return Err(invalid_values(account, "networkAcls.resourceAccessRules[*].tenantId")),
            (_, None) => return Err(invalid_values(account, "networkAcls.resourceAccessRules[*].resourceId")),
        }
    }
    Ok(NetworkAclsSeed {
        bypass,
        default_action: default_action.into(),
        ip_rules,
        virtual_network_rules,
        resource_access_rules,
    })
}

/// `PATCH .../storageAccounts/{name}` (Storage Accounts - Update): properties given replace the
/// account's, properties left out stay; read-only and unknown properties are ignored. Synchronous: 200
/// with the whole account.
fn patch_account(c: &mut Ctx, ai: usize) -> R {
    c.st.check_locks(&c.req.path, false)?;
    let body = body_object(c)?;
    let name = c.st.accounts[ai].name.clone();
    let props = match body.get("properties") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(not_deserializable("'properties' must be an object")),
    };
    let shared_key = match props.get("allowSharedKeyAccess") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(not_deserializable("'properties.allowSharedKeyAccess' must be a boolean")),
    };
    let public = match props.get("publicNetworkAccess") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => {
            match ["Enabled", "Disabled", "SecuredByPerimeter"].into_iter().find(|k| k.eq_ignore_ascii_case(p)) {
                Some(k) => Some(k.to_string()),
                None => return Err(invalid_values(&name, "publicNetworkAccess")),
            }
        }
        Some(_) => return Err(invalid_values(&name, "publicNetworkAccess")),
    };
    let acls = match props.get("networkAcls") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_network_acls(&name, v)?),
    };
    // Everything is valid: change the account at once (no partial update).
    let a = &mut c.st.accounts[ai];
    if let Some(b) = shared_key {
        a.allow_shared_key_access = Some(b);
    }
    if let Some(p) = public {
        a.public_network_access = Some(p);
    }
    if let Some(n) = acls {
        a.network_acls = n;
    }
    Ok(Reply::json(200, render_account(a)))
}

// ---- Microsoft.Insights: the Activity Log -------------------------------------------------------

/// What an Activity Log `$filter` asks for.
#[derive(Default)]
struct ActivityFilter {
    from: Option<chrono::DateTime<Utc>>,
    to: Option<chrono::DateTime<Utc>>,
    resource_group: Option<String>,
    resource_uri: Option<String>,
    correlation_id: Option<String>,
    resource_provider: Option<String>,
}

fn activity_filter_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequest", message)
}

/// Parse `eventTimestamp ge '...' and eventTimestamp le '...' [and resourceGroupName eq '...' | resourceUri
/// eq '...' | correlationId eq '...' | resourceProvider eq '...']`, the patterns ActivityLogs_List allows
/// (`eventChannels` and `levels` clauses are accepted and ignored: every event here is administrative).
fn parse_activity_filter(filter: Option<&str>) -> Result<ActivityFilter, ApiError> {
    let Some(filter) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Err(activity_filter_error(
            "The $filter query parameter is required and must name at least the start time: $filter=eventTimestamp ge '{start}'.",
        ));
    };
    let mut f = ActivityFilter::default();
    let lower = filter.to_ascii_lowercase();
    let mut clauses = Vec::new();
    let mut start = 0;
    while let Some(i) = lower[start..].find(" and ") {
        clauses.push(&filter[start..start + i]);
        start += i + 5;
    }
    clauses.push(&filter[start..]);
    for clause in clauses {
        let parts: Vec<&str> = clause.trim().splitn(3, ' ').collect();
        let [field, op, value] = parts.as_slice() else {
            return Err(activity_filter_error(format!("$filter searching parameters invalid: '{clause}'.")));
        };
        let value = value.trim().trim_matches('\'').to_string();
        let op = op.to_ascii_lowercase();
        let time = || {
            chrono::DateTime::parse_from_rfc3339(&value).map(|t| t.with_timezone(&Utc)).map_err(|_| {
                activity_filter_error(format!(
                    "$filter searching parameters invalid: '{value}' is not a date and time."
                ))
            })
        };
        match (field.to_ascii_lowercase().as_str(), op.as_str()) {
            ("eventtimestamp", "ge") => f.from = Some(time()?),
            ("eventtimestamp", "le") => f.to = Some(time()?),
            ("resourcegroupname", "eq") => f.resource_group = Some(value),
            ("resourceuri", "eq") => f.resource_uri = Some(value),
            ("correlationid", "eq") => f.correlation_id = Some(value),
            ("resourceprovider", "eq") => f.resource_provider = Some(value),
            ("eventchannels" | "levels", "eq") => {}
            _ => {
                return Err(activity_filter_error(format!(
                    "$filter searching parameters invalid: '{clause}' is not supported."
                )))
            }
        }
    }
    let Some(from) = f.from else {
        return Err(activity_filter_error(
            "$filter searching parameters invalid: the start time ('eventTimestamp ge ...') is required.",
        ));
    };
    let now = Utc::now();
    if from < now - chrono::Duration::days(ACTIVITY_LOG_DAYS) {
        return Err(activity_filter_error(format!(
            "The start time '{}' is more than {ACTIVITY_LOG_DAYS} days ago; the Activity Log keeps {ACTIVITY_LOG_DAYS} days of events.",
            from.to_rfc3339()
        )));
    }
    if f.to.is_some_and(|to| to < from) {
        return Err(activity_filter_error(
            "$filter searching parameters invalid: the end time is before the start time.",
        ));
    }
    let scoped = [&f.resource_group, &f.resource_uri, &f.correlation_id, &f.resource_provider];
    if scoped.iter().filter(|x| x.is_some()).count() > 1 {
        return Err(activity_filter_error(
            "$filter searching parameters invalid: use one of resourceGroupName, resourceUri, correlationId or resourceProvider.",
        ));
    }
    Ok(f)
}

/// `GET /subscriptions/{s}/providers/Microsoft.Insights/eventtypes/management/values` (ActivityLogs_List):
/// newest first, paged. Authorized at the scope the filter names (the resource group, the resource, else the
/// subscription), with `Microsoft.Insights/eventtypes/values/read` (Reader has it).
fn activity_log(c: &mut Ctx, sub: &str) -> R {
    if c.req.method != "GET" {
        return Err(method_not_allowed(c));
    }
    need_subscription(c, sub)?;
    let f = parse_activity_filter(c.req.param("$filter"))?;
    let scope = match (&f.resource_group, &f.resource_uri) {
        (Some(rg), _) => format!("/subscriptions/{sub}/resourceGroups/{rg}"),
        (None, Some(uri)) => uri.clone(),
        _ => format!("/subscriptions/{sub}"),
    };
    c.st.authorize(&c.principal, &scope, "Microsoft.Insights/eventtypes/values/read", None)?;
    let to = f.to.unwrap_or_else(Utc::now);
    let sub_prefix = format!("/subscriptions/{}/", sub.to_ascii_lowercase());
    let mut events: Vec<&ActivityEventSeed> =
        c.st.activity
            .iter()
            .filter(|e| {
                let id = e.resource_id.to_ascii_lowercase();
                let segs = segments(&e.resource_id);
                let rg = match segs.as_slice() {
                    [s, _, r, rg, ..]
                        if s.eq_ignore_ascii_case("subscriptions") && r.eq_ignore_ascii_case("resourceGroups") =>
                    {
                        Some(rg.as_str())
                    }
                    _ => None,
                };
                id.starts_with(&sub_prefix)
                    && f.from.is_none_or(|from| e.event_timestamp >= from)
                    && e.event_timestamp <= to
                    && f.resource_group.as_ref().is_none_or(|want| rg.is_some_and(|rg| rg.eq_ignore_ascii_case(want)))
                    && f.resource_uri.as_ref().is_none_or(|u| {
                        let u = u.trim_end_matches('/').to_ascii_lowercase();
                        id == u || id.starts_with(&format!("{u}/"))
                    })
                    && f.correlation_id
                        .as_ref()
                        .is_none_or(|c| e.correlation_id.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(c)))
                    && f.resource_provider
                        .as_ref()
                        .is_none_or(|p| e.operation_name.split('/').next().is_some_and(|x| x.eq_ignore_ascii_case(p)))
            })
            .collect();
    events.sort_by_key(|e| std::cmp::Reverse(e.event_timestamp));
    let tenant = c.st.tenant.clone();
    let items: Vec<Value> = events.into_iter().map(|e| render_activity_event(e, &tenant)).collect();
    page(c, items, false)
}

// ---- Microsoft.Authorization -------------------------------------------------------------------

/// The scope part of an extension-resource path, validated for shape.
fn authz_scope(scope: &[String]) -> Result<String, ApiError> {
    let l: Vec<String> = scope.iter().map(|s| s.to_ascii_lowercase()).collect();
    let ok = match l.len() {
        0 => true,
        4 if l[0] == "providers" && l[1] == "microsoft.management" && l[2] == "managementgroups" => true,
        2 => l[0] == "subscriptions",
        4 => l[0] == "subscriptions" && l[2] == "resourcegroups",
        n if n >= 8 && n % 2 == 0 => l[0] == "subscriptions" && l[2] == "resourcegroups" && l[4] == "providers",
        _ => false,
    };
    if !ok {
        return Err(ApiError::bad_request(
            "InvalidScope",
            format!("The scope '/{}' is not a valid scope.", scope.join("/")),
        ));
    }
    Ok(normalize_scope(&scope.join("/")))
}

/// The scope's subscription must exist (checked before authorization, like ARM).
fn authz_scope_subscription(c: &Ctx, scope: &[String]) -> Result<(), ApiError> {
    if scope.len() >= 2 && scope[0].eq_ignore_ascii_case("subscriptions") {
        need_subscription(c, &scope[1])?;
    }
    Ok(())
}

/// The scope's resource group and resource must exist (checked after authorization).
fn authz_scope_exists(c: &Ctx, scope: &[String]) -> Result<(), ApiError> {
    let l: Vec<String> = scope.iter().map(|s| s.to_ascii_lowercase()).collect();
    if l.len() == 4 && l[0] == "providers" {
        if !c.st.mg_exists(&scope[3]) {
            return Err(ApiError::not_found(
                "ManagementGroupNotFound",
                format!("The management group '{}' could not be found.", scope[3]),
            ));
        }
        return Ok(());
    }
    if l.len() < 4 {
        return Ok(());
    }
    need_resource_group(c, &scope[1], &scope[3])?;
    if l.len() < 8 {
        return Ok(());
    }
    let (sub, rg, name) = (&scope[1], &scope[3], &scope[7]);
    match (l[5].as_str(), l[6].as_str()) {
        ("microsoft.storage", "storageaccounts") => {
            let Some(ai) = c.st.find_account(sub, rg, name) else {
                return Err(resource_not_found("Microsoft.Storage/storageAccounts", name, rg));
            };
            if l.len() >= 10 && l[8] == "fileservices" && l[9] != "default" {
                return Err(resource_not_found(
                    &format!("Microsoft.Storage/storageAccounts/{}/fileServices", c.st.accounts[ai].name),
                    &scope[9],
                    rg,
                ));
            }
            Ok(())
        }
        ("microsoft.storagesync", "storagesyncservices") => match c.st.find_service(sub, rg, name) {
            Some(_) => Ok(()),
            None => Err(resource_not_found("Microsoft.StorageSync/storageSyncServices", name, rg)),
        },
        _ => Err(resource_not_found(&format!("{}/{}", scope[5], scope[6]), name, rg)),
    }
}

fn authz_route(c: &mut Ctx, scope_segs: &[String], kind: &str, name: Option<&str>) -> R {
    let scope = authz_scope(scope_segs)?;
    let method = c.req.method.clone();
    match (kind, name, method.as_str()) {
        ("roleassignments", None, "GET") => list_role_assignments(c, scope_segs, &scope),
        ("roleassignments", Some(n), "GET") => get_role_assignment(c, scope_segs, &scope, n),
        ("roleassignments", Some(n), "PUT") => put_role_assignment(c, scope_segs, &scope, n),
        ("roleassignments", Some(n), "DELETE") => delete_role_assignment(c, scope_segs, &scope, n),
        ("roledefinitions", n, "GET") => role_definitions(c, scope_segs, &scope, n),
        ("permissions", None, "GET") => permissions(c, scope_segs, &scope),
        ("denyassignments", n, "GET") => deny_assignments(c, scope_segs, &scope, n),
        ("locks", None, "GET") => locks(c, scope_segs, &scope),
        _ => Err(method_not_allowed(c)),
    }
}

/// `$filter` of role assignment and deny assignment lists: (at scope only, principal).
fn parse_assignment_filter(filter: Option<&str>) -> Result<(bool, Option<String>), ApiError> {
    let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok((false, None));
    };
    let unsupported = || {
        ApiError::bad_request(
            "UnsupportedQuery",
            format!("The filter '{f}' is not supported. Supported filters are 'atScope()', 'principalId eq '{{value}}'', 'assignedTo('{{value}}')' and 'atScope()' combined with one of the others by 'and'."),
        )
    };
    let mut at_scope = false;
    let mut principal: Option<String> = None;
    let lower = f.to_ascii_lowercase();
    let mut rest = lower.as_str();
    let mut offset = 0usize;
    loop {
        let (clause, next) = match rest.find(" and ") {
            Some(i) => (&rest[..i], Some(i + 5)),
            None => (rest, None),
        };
        let original = f[offset..offset + clause.len()].trim();
        let clause = clause.trim();
        if clause == "atscope()" && !at_scope {
            at_scope = true;
        } else if principal.is_none() && clause.starts_with("principalid") {
            let v = clause["principalid".len()..].trim_start();
            let v = v.strip_prefix("eq").ok_or_else(unsupported)?.trim();
            if !(v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'')) {
                return Err(unsupported());
            }
            let orig_v = original["principalid".len()..].trim_start()[2..].trim();
            principal = Some(orig_v[1..orig_v.len() - 1].to_string());
        } else if principal.is_none() && clause.starts_with("assignedto(") && clause.ends_with(')') {
            let v = clause["assignedto(".len()..clause.len() - 1].trim();
            if !(v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'')) {
                return Err(unsupported());
            }
            principal = Some(v[1..v.len() - 1].to_string());
        } else {
            return Err(unsupported());
        }
        match next {
            Some(n) => {
                offset += n;
                rest = &rest[n..];
            }
            None => break,
        }
    }
    Ok((at_scope, principal))
}

fn list_role_assignments(c: &mut Ctx, scope_segs: &[String], scope: &str) -> R {
    authz_scope_subscription(c, scope_segs)?;
    authorize(c, "Microsoft.Authorization/roleAssignments/read", None)?;
    authz_scope_exists(c, scope_segs)?;
    let (at_scope, principal) = parse_assignment_filter(c.req.param("$filter"))?;
    let chain = c.st.chain(scope);
    let key = scope_key(scope);
    let items =
        c.st.assignments
            .iter()
            .filter(|a| principal.as_deref().is_none_or(|p| a.seed.principal_id.eq_ignore_ascii_case(p)))
            .filter(|a| c.st.at_or_above(&a.seed.scope, &chain) || (!at_scope && c.st.below(&a.seed.scope, &key)))
            .map(render_assignment)
            .collect();
    page(c, items, false)
}

fn find_assignment_at(st: &State, scope: &str, name: &str) -> Option<usize> {
    let key = scope_key(scope);
    st.assignments.iter().position(|a| a.seed.name.eq_ignore_ascii_case(name) && scope_key(&a.seed.scope) == key)
}

fn get_role_assignment(c: &mut Ctx, scope_segs: &[String], scope: &str, name: &str) -> R {
    authz_scope_subscription(c, scope_segs)?;
    authorize(c, "Microsoft.Authorization/roleAssignments/read", None)?;
    authz_scope_exists(c, scope_segs)?;
    match find_assignment_at(c.st, scope, name) {
        Some(i) => Ok(Reply::json(200, render_assignment(&c.st.assignments[i]))),
        None => {
            Err(ApiError::not_found("RoleAssignmentNotFound", format!("The role assignment '{name}' is not found.")))
        }
    }
}

fn str_prop<'a>(props: &'a serde_json::Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    match props.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::bad_request(
            "InvalidRequestContent",
            format!(
                "The request content was invalid and could not be deserialized: 'properties.{name}' must be a string."
            ),
        )
        .with_target(&format!("properties.{name}"))),
    }
}

fn put_role_assignment(c: &mut Ctx, scope_segs: &[String], scope: &str, name: &str) -> R {
    if !is_guid(name) {
        return Err(ApiError::bad_request(
            "InvalidRoleAssignmentId",
            format!("The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."),
        ));
    }
    let body = body_object(c)?;
    let Some(props) = body.get("properties").and_then(Value::as_object) else {
        return Err(ApiError::bad_request(
            "MissingProperty",
            "The request body is missing the required property 'properties'.",
        )
        .with_target("properties"));
    };
    let Some(role_id) = str_prop(props, "roleDefinitionId")? else {
        return Err(ApiError::bad_request(
            "MissingProperty",
            "The request body is missing the required property 'properties.roleDefinitionId'.",
        )
        .with_target("properties.roleDefinitionId"));
    };
    let Some(principal_id) = str_prop(props, "principalId")? else {
        return Err(ApiError::bad_request(
            "MissingProperty",
            "The request body is missing the required property 'properties.principalId'.",
        )
        .with_target("properties.principalId"));
    };
    let principal_type = str_prop(props, "principalType")?;
    let condition = str_prop(props, "condition")?.map(str::to_string);
    let condition_version = str_prop(props, "conditionVersion")?.map(str::to_string);
    let description = str_prop(props, "description")?.map(str::to_string);
    if !is_guid(principal_id) {
        return Err(ApiError::bad_request(
            "InvalidPrincipalId",
            "A valid principal ID must be provided for role assignment.",
        )
        .with_target("properties.principalId"));
    }
    if let Some(t) = principal_type {
        if !PRINCIPAL_TYPES.contains(&t) {
            return Err(ApiError::bad_request(
                "InvalidRoleAssignmentRequest",
                format!("The principal type '{t}' is not valid. It must be one of '{}'.", PRINCIPAL_TYPES.join("', '")),
            )
            .with_target("properties.principalType"));
        }
    }
    // roleDefinitionId: a full id, in this scope's subscription or tenant-level.
    let rsegs = segments(role_id);
    let rl: Vec<String> = rsegs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let well_formed = match rl.len() {
        4 => {
            rl[0] == "providers"
                && rl[1] == "microsoft.authorization"
                && rl[2] == "roledefinitions"
                && is_guid(&rsegs[3])
        }
        6 => {
            rl[0] == "subscriptions"
                && rl[2] == "providers"
                && rl[3] == "microsoft.authorization"
                && rl[4] == "roledefinitions"
                && is_guid(&rsegs[5])
        }
        _ => false,
    } && role_id.starts_with('/');
    if !well_formed {
        return Err(ApiError::bad_request(
            "InvalidRoleDefinitionId",
            format!("The role definition ID '{role_id}' is not valid. Use '/subscriptions/{{subscriptionId}}/providers/Microsoft.Authorization/roleDefinitions/{{roleGuid}}'."),
        )
        .with_target("properties.roleDefinitionId"));
    }
    if rl.len() == 6 {
        if let Some(sub) = scope_subscription(scope) {
            if !rsegs[1].eq_ignore_ascii_case(&sub) {
                return Err(ApiError::bad_request(
                    "InvalidRoleDefinitionId",
                    format!("The role definition ID '{role_id}' names subscription '{}', but the role assignment scope '{scope}' is in subscription '{sub}'.", rsegs[1]),
                )
                .with_target("properties.roleDefinitionId"));
            }
        }
    }
    let role = role_guid_of(role_id);
    if c.st.role(&role).is_none() {
        return Err(ApiError::bad_request(
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{role}' does not exist."),
        ));
    }
    authz_scope_subscription(c, scope_segs)?;
    authorize(c, "Microsoft.Authorization/roleAssignments/write", Some(&role))?;
    authz_scope_exists(c, scope_segs)?;
    c.st.check_locks(&c.req.path, false)?;
    let skip_delay = principal_type.is_some() && c.st.principal_type_skips_delay;
    let not_found = || {
        ApiError::bad_request(
            "PrincipalNotFound",
            format!(
                "Principal {} does not exist in the directory {}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
                principal_id.replace('-', ""),
                c.st.tenant
            ),
        )
    };
    match c.st.principal_state(principal_id) {
        PrincipalState::Missing => return Err(not_found()),
        PrincipalState::Replicating if !skip_delay => return Err(not_found()),
        _ => {}
    }
    if let Some(t) = principal_type {
        if t != "ServicePrincipal" {
            return Err(ApiError::bad_request(
                "UnmatchedPrincipalType",
                format!("The PrincipalId '{}' has type 'ServicePrincipal' , which is different from specified PrincipalType '{t}'.", principal_id.replace('-', "")),
            ));
        }
    }
    let scope_k = scope_key(scope);
    let same_content = |a: &Assignment| {
        a.seed.principal_id.eq_ignore_ascii_case(principal_id)
            && role_guid_of(&a.seed.role_definition_id) == role
            && scope_key(&a.seed.scope) == scope_k
    };
    if let Some(existing) = c.st.assignments.iter().find(|a| a.seed.name.eq_ignore_ascii_case(name)) {
        if same_content(existing) && existing.seed.condition == condition {
            return Ok(Reply::json(201, render_assignment(existing)));
        }
        return Err(ApiError::new(
            409,
            "RoleAssignmentUpdateNotPermitted",
            "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
        ));
    }
    if let Some(existing) = c.st.assignments.iter().find(|a| same_content(a)) {
        return Err(ApiError::new(
            409,
            "RoleAssignmentExists",
            format!(
                "The role assignment already exists. The ID of the existing role assignment is {}.",
                existing.seed.name.replace('-', "")
            ),
        ));
    }
    let now = Utc::now();
    let assignment = Assignment {
        seed: RoleAssignmentSeed {
            name: name.to_ascii_lowercase(),
            scope: scope.to_string(),
            role_definition_id: role_id.to_string(),
            principal_id: principal_id.to_string(),
            principal_type: principal_type.unwrap_or("ServicePrincipal").to_string(),
            condition,
            condition_version,
            description,
        },
        created_on: now,
        updated_on: now,
        created_by: Some(c.principal.clone()),
    };
    let body = render_assignment(&assignment);
    c.st.assignments.push(assignment);
    Ok(Reply::json(201, body))
}

fn delete_role_assignment(c: &mut Ctx, scope_segs: &[String], scope: &str, name: &str) -> R {
    authz_scope_subscription(c, scope_segs)?;
    let found = find_assignment_at(c.st, scope, name);
    let role = found.map(|i| role_guid_of(&c.st.assignments[i].seed.role_definition_id));
    authorize(c, "Microsoft.Authorization/roleAssignments/delete", role.as_deref())?;
    authz_scope_exists(c, scope_segs)?;
    c.st.check_locks(&c.req.path, true)?;
    match found {
        Some(i) => {
            let a = c.st.assignments.remove(i);
            Ok(Reply::json(200, render_assignment(&a)))
        }
        None => Ok(Reply::empty(204)),
    }
}

fn role_definitions(c: &mut Ctx, scope_segs: &[String], scope: &str, name: Option<&str>) -> R {
    authz_scope_subscription(c, scope_segs)?;
    authorize(c, "Microsoft.Authorization/roleDefinitions/read", None)?;
    authz_scope_exists(c, scope_segs)?;
    if let Some(n) = name {
        return match c.st.role(n) {
            Some(r) => Ok(Reply::json(200, render_role_definition(r, scope))),
            None => Err(ApiError::not_found(
                "RoleDefinitionDoesNotExist",
                format!("The specified role definition with ID '{n}' does not exist."),
            )),
        };
    }
    let filter = c.req.param("$filter").map(str::trim).filter(|f| !f.is_empty()).map(str::to_string);
    let pick: Box<dyn Fn(&crate::authz::RoleDef) -> bool> = match filter {
        None => Box::new(|_| true),
        Some(f) => {
            let (field, value) = f
                .split_once(" eq ")
                .map(|(a, b)| (a.trim().to_ascii_lowercase(), b.trim().trim_matches('\'').to_string()))
                .ok_or_else(|| {
                    ApiError::bad_request("UnsupportedQuery", format!("The filter '{f}' is not supported."))
                })?;
            match field.as_str() {
                "rolename" => Box::new(move |r| r.name.eq_ignore_ascii_case(&value)),
                "type" => {
                    let builtin = value.eq_ignore_ascii_case("BuiltInRole");
                    Box::new(move |r| r.builtin == builtin)
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "UnsupportedQuery",
                        format!("The filter '{f}' is not supported."),
                    ))
                }
            }
        }
    };
    let items = c.st.roles.iter().filter(|r| pick(r)).map(|r| render_role_definition(r, scope)).collect();
    page(c, items, false)
}

fn permissions(c: &mut Ctx, scope_segs: &[String], scope: &str) -> R {
    authz_scope_subscription(c, scope_segs)?;
    authz_scope_exists(c, scope_segs)?;
    let mut items = Vec::new();
    for a in c.st.applicable_assignments(&c.principal, scope) {
        if let Some(role) = c.st.role(&role_guid_of(&a.seed.role_definition_id)) {
            for p in &role.permissions {
                items.push(json!({"actions": p.actions, "notActions": p.not_actions, "dataActions": p.data_actions, "notDataActions": p.not_data_actions}));
            }
        }
    }
    page(c, items, false)
}

fn deny_assignments(c: &mut Ctx, scope_segs: &[String], scope: &str, name: Option<&str>) -> R {
    authz_scope_subscription(c, scope_segs)?;
    authorize(c, "Microsoft.Authorization/denyAssignments/read", None)?;
    authz_scope_exists(c, scope_segs)?;
    if let Some(n) = name {
        let key = scope_key(scope);
        return match c.st.denies.iter().find(|d| d.name.eq_ignore_ascii_case(n) && scope_key(&d.scope) == key) {
            Some(d) => Ok(Reply::json(200, render_deny(d))),
            None => {
                Err(ApiError::not_found("DenyAssignmentNotFound", format!("The deny assignment '{n}' is not found.")))
            }
        };
    }
    let (at_scope, principal) = parse_assignment_filter(c.req.param("$filter"))?;
    let chain = c.st.chain(scope);
    let key = scope_key(scope);
    let items =
        c.st.denies
            .iter()
            .filter(|d| {
                principal
                    .as_deref()
                    .is_none_or(|p| d.principals.iter().any(|x| x.eq_ignore_ascii_case(p) || is_zero_guid(x)))
            })
            .filter(|d| c.st.at_or_above(&d.scope, &chain) || (!at_scope && c.st.below(&d.scope, &key)))
            .map(render_deny)
            .collect();
    page(c, items, false)
}

fn locks(c: &mut Ctx, scope_segs: &[String], scope: &str) -> R {
    authz_scope_subscription(c, scope_segs)?;
    authorize(c, "Microsoft.Authorization/locks/read", None)?;
    authz_scope_exists(c, scope_segs)?;
    let chain = c.st.chain(scope);
    let items = c.st.locks.iter().filter(|l| chain.contains(&scope_key(&l.scope))).map(render_lock).collect();
    page(c, items, false)
}

// ---- machines ----------------------------------------------------------------------------------

/// `GET .../Microsoft.HybridCompute/machines/{name}` (Machines_Get) and
/// `GET .../Microsoft.Compute/virtualMachines/{name}` (VirtualMachines_Get).
fn machine_resource(c: &mut Ctx, kind: MachineKindSeed, sub: &str, rg: &str, name: &str) -> R {
    let (action, ty) = match kind {
        MachineKindSeed::Arc => ("Microsoft.HybridCompute/machines/read", "Microsoft.HybridCompute/machines"),
        MachineKindSeed::Vm => ("Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines"),
    };
    if c.req.method != "GET" {
        return Err(method_not_allowed(c));
    }
    need_subscription(c, sub)?;
    authorize(c, action, None)?;
    need_resource_group(c, sub, rg)?;
    let Some(i) = c.st.find_machine(kind, sub, rg, name) else {
        return Err(resource_not_found(ty, name, rg));
    };
    Ok(Reply::json(200, render_machine(&c.st.machines[i], &c.st.tenant)))
}

// ---- Microsoft Graph ---------------------------------------------------------------------------

fn graph_error(status: u16, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

fn graph(st: &mut State, base: &str, req: &Req, segs: &[String], graph_ok: bool) -> R {
    // Links point back at the host the client named (Graph is reached as `localhost`, ARM as 127.0.0.1).
    let named = req.header("host").map(|h| format!("http://{h}"));
    let base = named.as_deref().unwrap_or(base);
    if req.method != "GET" {
        return Err(graph_error(
            405,
            "Request_BadRequest",
            format!("Http method '{}' is not supported by the fake Graph.", req.method),
        ));
    }
    if segs.len() < 2 || !segs[1].eq_ignore_ascii_case("servicePrincipals") || segs.len() > 3 {
        let seg = segs.get(1).cloned().unwrap_or_default();
        return Err(graph_error(400, "BadRequest", format!("Resource not found for the segment '{seg}'.")));
    }
    if !graph_ok {
        return Err(graph_error(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ));
    }
    // $select: only the properties asked for (and @odata.context), as Graph answers; an unknown one is a 400.
    let select: Option<Vec<String>> =
        req.param("$select").map(|v| v.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect());
    let project = |v: Value| -> Result<Value, ApiError> {
        let Some(fields) = &select else { return Ok(v) };
        let mut out = serde_json::Map::new();
        for f in fields {
            match v.get(f.as_str()) {
                Some(x) => {
                    out.insert(f.clone(), x.clone());
                }
                None => {
                    return Err(graph_error(
                        400,
                        "Request_BadRequest",
                        format!("Could not find a property named '{f}' on type 'microsoft.graph.servicePrincipal'."),
                    ))
                }
            }
        }
        Ok(Value::Object(out))
    };
    if let Some(id) = segs.get(2) {
        return match st.graph.service_principals.iter().find(|sp| sp.id.eq_ignore_ascii_case(id)) {
            Some(sp) => {
                let mut body = project(render_sp(sp))?;
                body["@odata.context"] = json!(format!(
                    "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals({})/$entity",
                    select.as_ref().map(|s| s.join(",")).unwrap_or_default()
                ));
                Ok(Reply::json(200, body))
            }
            None => Err(graph_error(
                404,
                "Request_ResourceNotFound",
                format!(
                    "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                ),
            )),
        };
    }
    let filter = req.param("$filter").map(str::trim).filter(|f| !f.is_empty()).map(str::to_string);
    let (field, value) = match &filter {
        None => (String::new(), String::new()),
        Some(f) => {
            let parsed = f.split_once(" eq ").map(|(a, b)| (a.trim().to_string(), b.trim().to_string()));
            match parsed {
                Some((a, b)) if (a == "appId" || a == "displayName") && b.len() >= 2 && b.starts_with('\'') && b.ends_with('\'') => (a, b[1..b.len() - 1].to_string()),
                _ => {
                    return Err(graph_error(
                        400,
                        "Request_UnsupportedQuery",
                        format!("Unsupported or invalid query filter clause specified: '{f}'. The fake Graph supports appId eq '...' and displayName eq '...'."),
                    ))
                }
            }
        }
    };
    let items: Vec<Value> = st
        .graph
        .service_principals
        .iter()
        .filter(|sp| match field.as_str() {
            "appId" => sp.app_id.eq_ignore_ascii_case(&value),
            "displayName" => sp.display_name == value,
            _ => true,
        })
        .map(render_sp)
        .map(project)
        .collect::<Result<_, _>>()?;
    let c = Ctx { st, req, base, principal: String::new(), api: String::new(), lro_failure: None };
    page(&c, items, true)
}
