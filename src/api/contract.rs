//! The request contract, declared once: the operations (one enum, [`Operation`]), each operation's
//! request type (strictly typed, unknown fields refused by serde itself), the typed values requests are
//! made of (parsed and validated once, where text becomes them), each operation's response type, and the
//! limits and defaults every door holds to ([`limits`]). `bindings/contract.json` is written from these
//! types (see [`contract_json`]); `tests/api_contract.rs` holds the checked-in copy, the C ABI's doc
//! comment and the module's C# to it.

use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize};

use super::de;
use crate::error::{Error, Result};
use crate::model::principal::PrincipalId;

/// Limits and defaults of the values the doors take: the command line's flags (clap reads them), the
/// request API and the PowerShell module's validation attributes (held to them by a test).
pub mod limits {
    /// A whole or fractional range with its default.
    #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
    pub struct Limit<T> {
        pub min: T,
        pub max: T,
        pub default: T,
    }

    impl<T: Copy + PartialOrd> Limit<T> {
        /// `v` brought into the range.
        pub fn clamp(&self, v: T) -> T {
            if v < self.min {
                self.min
            } else if v > self.max {
                self.max
            } else {
                v
            }
        }
        pub fn contains(&self, v: T) -> bool {
            self.min <= v && v <= self.max
        }
    }

    /// Requests in flight at once (`--concurrency`, session option `concurrency`).
    pub const CONCURRENCY: Limit<u32> = Limit { min: 1, max: 256, default: 16 };
    /// Time limit of one ARM request, in seconds (`--timeout`, `timeoutSeconds`).
    pub const TIMEOUT_SECONDS: Limit<u64> = Limit { min: 1, max: 3600, default: 60 };
    /// Retries of throttled and transient failures (`--max-retries`, `maxRetries`).
    pub const MAX_RETRIES: Limit<u32> = Limit { min: 0, max: 20, default: 5 };
    /// Days of Activity Log to read; 0 skips it (`--activity-days`, `activityDays`, `-ActivityDays`).
    pub const ACTIVITY_DAYS: Limit<u32> =
        Limit { min: 0, max: crate::collect::activity::MAX_DAYS, default: crate::collect::activity::DEFAULT_DAYS };
    /// Time limit of each probe step of `test --local`, in seconds (`--probe-timeout`,
    /// `local.probeTimeoutSeconds`, `-ProbeTimeoutSeconds`).
    pub const PROBE_TIMEOUT_SECONDS: Limit<f64> = Limit { min: 0.05, max: 120.0, default: 5.0 };
    /// How long apply keeps retrying a role assignment for an identity not replicated yet, in seconds
    /// (`--principal-timeout`, `principalNotFoundTimeoutSeconds`).
    pub const PRINCIPAL_TIMEOUT_SECONDS: Limit<u64> = Limit { min: 0, max: 3600, default: 300 };

    /// Every limit by the name the contract gives it.
    pub fn all() -> serde_json::Value {
        serde_json::json!({
            "concurrency": CONCURRENCY,
            "timeoutSeconds": TIMEOUT_SECONDS,
            "maxRetries": MAX_RETRIES,
            "activityDays": ACTIVITY_DAYS,
            "probeTimeoutSeconds": PROBE_TIMEOUT_SECONDS,
            "principalNotFoundTimeoutSeconds": PRINCIPAL_TIMEOUT_SECONDS,
        })
    }
}

// ---------------------------------------------------------------------------------------------------------
// The typed values requests are made of

/// A list of strings, given as a list or as one string (`"checks": "service.*"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StringList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of strings, or one string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<StringList, E> {
                Ok(StringList(vec![s.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> std::result::Result<StringList, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = a.next_element::<String>()? {
                    out.push(s);
                }
                Ok(StringList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Days of Activity Log to read, within [`limits::ACTIVITY_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityDays(u32);

impl ActivityDays {
    pub fn new(days: u64) -> Result<ActivityDays> {
        let l = limits::ACTIVITY_DAYS;
        u32::try_from(days).ok().filter(|d| l.contains(*d)).map(ActivityDays).ok_or_else(|| {
            Error::invalid_input(format!(
                "'activityDays' must be a whole number from {} to {} (0 skips the Activity Log), not {days}",
                l.min, l.max
            ))
        })
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for ActivityDays {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let refuse = || {
            serde::de::Error::custom(format!(
                "'activityDays' must be a whole number from {} to {} (0 skips the Activity Log), not {v}",
                limits::ACTIVITY_DAYS.min,
                limits::ACTIVITY_DAYS.max
            ))
        };
        let days = v.as_u64().ok_or_else(refuse)?;
        ActivityDays::new(days).map_err(|_| refuse())
    }
}

/// An error code as `explain` takes it: text, or a number (taken as decimal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeText(pub String);

impl<'de> Deserialize<'de> for CodeText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(CodeText(s)),
            other => Ok(CodeText(other.to_string())),
        }
    }
}

/// A JSON document given inline (a snapshot, a plan), read by its own type's reader when used, so its
/// errors (a wrong schema version, a bad file) are that reader's.
#[derive(Debug, Clone)]
pub struct Document<T> {
    json: serde_json::Value,
    of: PhantomData<fn() -> T>,
}

impl<'de, T> Deserialize<'de> for Document<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Document { json: serde_json::Value::deserialize(d)?, of: PhantomData })
    }
}

impl Document<crate::model::snapshot::Snapshot> {
    pub fn parse(&self) -> Result<crate::model::snapshot::Snapshot> {
        crate::model::snapshot::Snapshot::from_json(&self.json.to_string())
    }
}

impl Document<crate::repair::plan::Plan> {
    pub fn parse(self) -> Result<crate::repair::plan::Plan> {
        crate::repair::plan::Plan::from_value(self.json)
    }
}

/// A live target, parsed (and checked) once: `{resourceId}` or `{subscriptionId, resourceGroup?, name?}`.
#[derive(Debug, Clone)]
pub struct Target(pub crate::collect::TargetSpec);

/// The JSON shape of a [`Target`].
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetRequest {
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub resource_group: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let t = TargetRequest::deserialize(d)?;
        crate::collect::TargetSpec::from_parts(
            t.resource_id.as_deref(),
            t.subscription_id.as_deref(),
            t.resource_group.as_deref(),
            t.name.as_deref(),
        )
        .map(Target)
        .map_err(serde::de::Error::custom)
    }
}

/// A scope of many services, checked once: a management group, every readable subscription, or these
/// subscriptions.
#[derive(Debug, Clone)]
pub struct TenantScope(crate::model::tenant::Scope);

impl TenantScope {
    pub fn new(scope: crate::model::tenant::Scope) -> Result<TenantScope> {
        crate::collect::tenant::validate_scope(&scope)?;
        Ok(TenantScope(scope))
    }
    pub fn scope(&self) -> &crate::model::tenant::Scope {
        &self.0
    }
}

/// The JSON shape of a [`TenantScope`]: exactly one of its fields.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScopeRequest {
    #[serde(default)]
    pub management_group: Option<String>,
    #[serde(default)]
    pub all_subscriptions: Option<bool>,
    #[serde(default)]
    pub subscription_ids: Option<Vec<String>>,
}

impl ScopeRequest {
    /// The scope it names, refusing none or several.
    pub fn to_scope(&self) -> Result<TenantScope> {
        use crate::model::tenant::Scope;
        let all = self.all_subscriptions.unwrap_or(false);
        let subs = self.subscription_ids.as_ref().filter(|s| !s.is_empty());
        let scope = match (self.management_group.as_deref().map(str::trim).filter(|m| !m.is_empty()), all, subs) {
            (Some(mg), false, None) => Scope::ManagementGroup { id: mg.to_string() },
            (None, true, None) => Scope::AllSubscriptions,
            (None, false, Some(ids)) => {
                Scope::Subscriptions { ids: ids.iter().map(|s| s.trim().to_string()).collect() }
            }
            (None, false, None) => {
                return Err(Error::invalid_input(
                    "a scope needs one of 'managementGroup', 'allSubscriptions': true or 'subscriptionIds'",
                ))
            }
            _ => {
                return Err(Error::invalid_input(
                    "give one scope: 'managementGroup', 'allSubscriptions' or 'subscriptionIds', not several",
                ))
            }
        };
        TenantScope::new(scope)
    }
}

impl PartialEq<crate::model::tenant::Scope> for TenantScope {
    fn eq(&self, other: &crate::model::tenant::Scope) -> bool {
        &self.0 == other
    }
}

impl<'de> Deserialize<'de> for TenantScope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        ScopeRequest::deserialize(d)?.to_scope().map_err(serde::de::Error::custom)
    }
}

/// A plan's kind, as `plan` takes it (`repair`, `enableIdentity`, `enable-identity`, any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanKindText(pub crate::repair::plan::PlanKind);

impl<'de> Deserialize<'de> for PlanKindText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::repair::plan::PlanKind::parse(&s).map(PlanKindText).map_err(serde::de::Error::custom)
    }
}

/// A finding a repair is asked to act on: the check and the resource (and, where the check has them,
/// the principal and scope), as a finding carries them. See [`PlanRequest`]'s `findings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindingRef {
    /// Parsed once, as the reference is read: an id this tool does not have is refused there.
    pub check: crate::model::check_id::CheckId,
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<PrincipalId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------
// The requests

/// Declares a request struct: every field optional (`default`), unknown fields refused by serde, and
/// each field's Rust type kept by name for the contract.
macro_rules! request {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Default, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* #[serde(default)] pub $field: $ty,)*
        }
        impl $name {
            /// Each field's Rust type, in declaration order (for the contract).
            pub const TYPES: &'static [&'static str] = &[$(stringify!($ty)),*];
        }
    };
}

request! {
    /// `explain`: a catalog entry for an error code (hex, decimal or a symbolic name; a number is decimal).
    pub struct ExplainRequest {
        pub code: Option<CodeText>,
    }
}

request! {
    /// `listChecks`: the checks with their ids, titles, sources and codes.
    pub struct ListChecksRequest {}
}

request! {
    /// `wording`: the command line's phrases the texts use (see [`crate::wording`]).
    pub struct WordingRequest {}
}

request! {
    /// `resolveTarget`: what one piped object (or set of parameters) points at; no request to Azure.
    pub struct ResolveTargetRequest {
        pub resource_id: Option<String>,
        pub subscription_id: Option<String>,
        pub resource_group: Option<String>,
        /// The service's name as the caller gave it (PowerShell's `-Name`).
        pub name: Option<String>,
        /// The service's name as an object carries it (Az.StorageSync's `StorageSyncServiceName`).
        pub storage_sync_service_name: Option<String>,
        /// The id of the deployment a finding was diagnosed in (a service, a resource group or a
        /// subscription): given, it is the target, and `resourceId` is only what the finding is about.
        pub target_resource_id: Option<String>,
        pub sync_group: Option<String>,
        pub default_subscription_id: Option<String>,
        /// The object is a finding (of this check, about `resourceId`).
        pub check: Option<String>,
        pub principal_id: Option<PrincipalId>,
        pub scope: Option<String>,
    }
}

request! {
    /// `test`: a report, of a live deployment, a snapshot, or many services.
    pub struct TestRequest {
        pub snapshot: Option<Document<crate::model::snapshot::Snapshot>>,
        pub snapshot_path: Option<String>,
        pub target: Option<Target>,
        pub activity_days: Option<ActivityDays>,
        /// Check ids to run (a list, or one id).
        pub checks: Option<StringList>,
        /// Check ids to skip.
        pub skip: Option<StringList>,
        /// Narrow the report to these sync groups (the checks still see the whole deployment).
        pub sync_groups: Option<StringList>,
        pub scope: Option<TenantScope>,
        pub snapshot_paths: Option<Vec<String>>,
    }
}

request! {
    /// `testLocal`: on a registered server, the report and what this machine's identity and network are.
    pub struct TestLocalRequest {
        pub snapshot: Option<Document<crate::model::snapshot::Snapshot>>,
        pub snapshot_path: Option<String>,
        pub target: Option<Target>,
        pub activity_days: Option<ActivityDays>,
        pub checks: Option<StringList>,
        pub skip: Option<StringList>,
        pub sync_groups: Option<StringList>,
        pub local: Option<Box<crate::local::LocalOptions>>,
    }
}

request! {
    /// `collect`: a snapshot (or a scope's collection), written atomically to `outputPath` when given.
    pub struct CollectRequest {
        pub snapshot: Option<Document<crate::model::snapshot::Snapshot>>,
        pub snapshot_path: Option<String>,
        pub target: Option<Target>,
        pub activity_days: Option<ActivityDays>,
        pub output_path: Option<String>,
        pub scope: Option<TenantScope>,
    }
}

request! {
    /// `plan`: `kind` is `repair` or `enableIdentity`.
    pub struct PlanRequest {
        pub kind: Option<PlanKindText>,
        pub snapshot: Option<Document<crate::model::snapshot::Snapshot>>,
        pub snapshot_path: Option<String>,
        pub target: Option<Target>,
        pub activity_days: Option<ActivityDays>,
        pub include_security_posture_changes: Option<bool>,
        /// A repair only: plan just the changes these findings call for.
        pub findings: Option<Vec<FindingRef>>,
    }
}

request! {
    /// `apply`: carry out a plan (or its `only` changes); `whatIf` writes nothing.
    pub struct ApplyRequest {
        pub plan: Option<Document<crate::repair::plan::Plan>>,
        pub plan_path: Option<String>,
        pub what_if: Option<bool>,
        pub only: Option<StringList>,
        pub principal_not_found_timeout_seconds: Option<f64>,
    }
}

request! {
    /// `diff`: what moved between two snapshots of one deployment.
    pub struct DiffRequest {
        pub old: Option<Document<crate::model::snapshot::Snapshot>>,
        pub old_path: Option<String>,
        pub new: Option<Document<crate::model::snapshot::Snapshot>>,
        pub new_path: Option<String>,
    }
}

/// Where a request's deployment comes from: a snapshot given inline, its file, a live target, a scope of
/// many services or several snapshot files; and how many days of Activity Log a live collection reads.
#[derive(Debug, Default)]
pub struct Source {
    pub snapshot: Option<Document<crate::model::snapshot::Snapshot>>,
    pub snapshot_path: Option<String>,
    pub target: Option<Target>,
    pub activity_days: Option<ActivityDays>,
    pub scope: Option<TenantScope>,
    pub snapshot_paths: Option<Vec<String>>,
}

impl TestRequest {
    pub fn source(&mut self) -> Source {
        Source {
            snapshot: self.snapshot.take(),
            snapshot_path: self.snapshot_path.take(),
            target: self.target.take(),
            activity_days: self.activity_days,
            scope: self.scope.take(),
            snapshot_paths: self.snapshot_paths.take(),
        }
    }
}

impl TestLocalRequest {
    pub fn source(&mut self) -> Source {
        Source {
            snapshot: self.snapshot.take(),
            snapshot_path: self.snapshot_path.take(),
            target: self.target.take(),
            activity_days: self.activity_days,
            ..Default::default()
        }
    }
}

impl CollectRequest {
    pub fn source(&mut self) -> Source {
        Source {
            snapshot: self.snapshot.take(),
            snapshot_path: self.snapshot_path.take(),
            target: self.target.take(),
            activity_days: self.activity_days,
            scope: self.scope.take(),
            ..Default::default()
        }
    }
}

impl PlanRequest {
    pub fn source(&mut self) -> Source {
        Source {
            snapshot: self.snapshot.take(),
            snapshot_path: self.snapshot_path.take(),
            target: self.target.take(),
            activity_days: self.activity_days,
            ..Default::default()
        }
    }
}

/// Declares the operations once: their names, request types and the typed [`Request`].
macro_rules! operations {
    ($($(#[$m:meta])* $variant:ident = $name:literal => $req:ident,)*) => {
        /// The operations of the request API, each named once.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $($(#[$m])* $variant,)*
        }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$variant,)*];

            /// The name a request gives in `operation`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => $name,)*
                }
            }

            /// The request's field names, as serde reads them.
            pub fn fields(self) -> &'static [&'static str] {
                match self {
                    $(Operation::$variant => de::fields_of::<$req>(),)*
                }
            }

            /// The request's field types (Rust's names), in the order of [`Operation::fields`].
            pub fn field_types(self) -> &'static [&'static str] {
                match self {
                    $(Operation::$variant => $req::TYPES,)*
                }
            }

            fn read(self, fields: &serde_json::Value) -> std::result::Result<Request, de::Refusal> {
                Ok(match self {
                    $(Operation::$variant => Request::$variant(de::read(fields)?),)*
                })
            }
        }

        /// A request, typed: one variant per operation, each with its own request type.
        #[derive(Debug)]
        pub enum Request {
            $($variant($req),)*
        }
    };
}

operations! {
    Explain = "explain" => ExplainRequest,
    ListChecks = "listChecks" => ListChecksRequest,
    Wording = "wording" => WordingRequest,
    ResolveTarget = "resolveTarget" => ResolveTargetRequest,
    Test = "test" => TestRequest,
    TestLocal = "testLocal" => TestLocalRequest,
    Collect = "collect" => CollectRequest,
    Plan = "plan" => PlanRequest,
    Apply = "apply" => ApplyRequest,
    Diff = "diff" => DiffRequest,
}

impl Operation {
    pub fn parse(name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|o| o.name() == name)
    }

    /// "explain, listChecks, ... or diff": the operations, for messages.
    pub fn listing() -> String {
        let names: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Request {
    /// Read a request, refusing a missing or unknown operation and any field its operation does not take.
    pub fn from_json(request: &serde_json::Value) -> Result<Request> {
        let Some(obj) = request.as_object() else {
            return Err(Error::invalid_input("a request must be a JSON object"));
        };
        let op = match obj.get("operation") {
            None => {
                return Err(Error::invalid_input(format!(
                    "the request has no 'operation' (expected {})",
                    Operation::listing()
                )))
            }
            Some(serde_json::Value::String(name)) => Operation::parse(name).ok_or_else(|| {
                Error::invalid_input(format!("unknown operation '{name}' (expected {})", Operation::listing()))
            })?,
            Some(_) => {
                return Err(Error::invalid_input(format!(
                    "'operation' must be a string (one of {})",
                    Operation::listing()
                )))
            }
        };
        let mut fields = obj.clone();
        fields.remove("operation");
        op.read(&serde_json::Value::Object(fields)).map_err(|r| refused(op, r))
    }

    pub fn operation(&self) -> Operation {
        match self {
            Request::Explain(_) => Operation::Explain,
            Request::ListChecks(_) => Operation::ListChecks,
            Request::Wording(_) => Operation::Wording,
            Request::ResolveTarget(_) => Operation::ResolveTarget,
            Request::Test(_) => Operation::Test,
            Request::TestLocal(_) => Operation::TestLocal,
            Request::Collect(_) => Operation::Collect,
            Request::Plan(_) => Operation::Plan,
            Request::Apply(_) => Operation::Apply,
            Request::Diff(_) => Operation::Diff,
        }
    }
}

/// The error for a request serde refused, by what was wrong (the refusal kept as its source).
fn refused(op: Operation, r: de::Refusal) -> Error {
    let message = match &r.defect {
        de::Defect::UnknownField { field, expected } if r.path.is_empty() => {
            format!("'{op}' does not take '{}'; it takes: {}", field.escape_debug(), expected.join(", "))
        }
        // The value's own type said what is wrong, naming it.
        de::Defect::Invalid(message) => message.clone(),
        _ => {
            let at = if r.path.is_empty() { String::new() } else { format!(" at '{}'", r.path) };
            format!("the '{op}' request is not valid{at}: {}", r.defect)
        }
    };
    Error::invalid_input(message).with_source(r)
}

// ---------------------------------------------------------------------------------------------------------
// The responses

/// `explain`'s answer: a catalog entry, or what it says of 0 (success), shaped like one.
#[derive(Debug)]
pub enum ExplainResponse {
    Entry(&'static crate::catalog::CatalogEntry),
    Success,
}

impl Serialize for ExplainResponse {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            // The catalog's facts and the checks that explain the code, from the checks' declarations.
            ExplainResponse::Entry(e) => crate::report::catalog_entry_json(e).serialize(s),
            ExplainResponse::Success => super::success_entry().serialize(s),
        }
    }
}

/// `resolveTarget`'s answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedTarget {
    pub target: TargetRef,
    /// The target's own ARM id (service, resource group or subscription), for messages.
    pub resource_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_group: Option<String>,
    /// The finding reference, checked, when the object is a finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<FindingRef>,
}

/// A target as `resolveTarget` answers it and `test`, `collect` and `plan` take it back.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRef {
    pub subscription_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `testLocal`'s answer.
#[derive(Debug, Clone, Serialize)]
pub struct TestLocalResponse {
    pub report: crate::model::findings::Report,
    pub local: crate::local::LocalReport,
}

/// The answer of each operation, typed.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    Explain(ExplainResponse),
    ListChecks(&'static [crate::checks::CheckInfo]),
    Wording(&'static [crate::wording::Phrase]),
    ResolveTarget(ResolvedTarget),
    Test(Box<crate::model::findings::Report>),
    TestTenant(Box<crate::model::tenant::TenantReport>),
    TestLocal(Box<TestLocalResponse>),
    Collect(Box<crate::model::snapshot::Snapshot>),
    CollectTenant(Box<crate::model::tenant::TenantSnapshot>),
    Plan(Box<crate::repair::plan::Plan>),
    Apply(Box<crate::repair::apply::ApplyReport>),
    Diff(Box<crate::diff::Diff>),
}

impl Response {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

// ---------------------------------------------------------------------------------------------------------
// The contract file

/// The field names a value serializes: its top-level ones, and every one at any depth (struct fields,
/// skipped optional ones included, and the keys of maps), read by a capturing `Serializer`.
#[derive(Debug, Default)]
pub struct Shape {
    pub top: Vec<String>,
    pub all: std::collections::BTreeSet<String>,
}

impl Shape {
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Shape {
        let mut w = Walker { depth: 0, shape: Shape::default() };
        let _ = value.serialize(&mut w);
        w.shape
    }
}

/// Top-level field names of a value (see [`Shape`]).
pub fn serialized_fields<T: Serialize + ?Sized>(value: &T) -> Vec<String> {
    Shape::of(value).top
}

mod walk {
    use serde::ser::{self, Serialize};

    use super::Shape;

    #[derive(Debug)]
    pub(crate) struct Never;
    impl std::fmt::Display for Never {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("never")
        }
    }
    impl std::error::Error for Never {}
    impl ser::Error for Never {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Never
        }
    }

    pub(crate) struct Walker {
        pub(crate) depth: usize,
        pub(crate) shape: Shape,
    }

    impl Walker {
        fn field(&mut self, key: &str) {
            if self.depth == 0 && !self.shape.top.iter().any(|k| k == key) {
                self.shape.top.push(key.to_string());
            }
            self.shape.all.insert(key.to_string());
        }
        fn nested<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Never> {
            self.depth += 1;
            let r = v.serialize(&mut *self);
            self.depth -= 1;
            r
        }
    }

    /// The numbers, booleans, characters and bytes both capturing serializers pass over: they name no field.
    macro_rules! ignore_scalars {
        () => {
            ignore_scalars!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
                serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
                serialize_f32: f32, serialize_f64: f64, serialize_char: char, serialize_bytes: &[u8]);
        };
        ($($name:ident: $t:ty),*) => {
            $(fn $name(self, _: $t) -> Result<(), Never> {
                Ok(())
            })*
        };
    }

    /// A map key, when it is text.
    struct Key(Option<String>);
    impl ser::Serializer for &mut Key {
        type Ok = ();
        type Error = Never;
        type SerializeSeq = ser::Impossible<(), Never>;
        type SerializeTuple = ser::Impossible<(), Never>;
        type SerializeTupleStruct = ser::Impossible<(), Never>;
        type SerializeTupleVariant = ser::Impossible<(), Never>;
        type SerializeMap = ser::Impossible<(), Never>;
        type SerializeStruct = ser::Impossible<(), Never>;
        type SerializeStructVariant = ser::Impossible<(), Never>;
        ignore_scalars!();
        fn serialize_str(self, v: &str) -> Result<(), Never> {
            self.0 = Some(v.to_string());
            Ok(())
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<(), Never> {
            self.0 = Some(v.to_string());
            Ok(())
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Result<(), Never> {
            v.serialize(self)
        }
        fn serialize_none(self) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), Never> {
            v.serialize(self)
        }
        fn serialize_unit(self) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Never> {
            Err(Never)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Never> {
            Err(Never)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Never> {
            Err(Never)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Never> {
            Err(Never)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Never> {
            Err(Never)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Never> {
            Err(Never)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Never> {
            Err(Never)
        }
    }

    impl ser::Serializer for &mut Walker {
        type Ok = ();
        type Error = Never;
        type SerializeSeq = Self;
        type SerializeTuple = Self;
        type SerializeTupleStruct = Self;
        type SerializeTupleVariant = Self;
        type SerializeMap = Self;
        type SerializeStruct = Self;
        type SerializeStructVariant = Self;
        ignore_scalars!();
        fn serialize_str(self, _: &str) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_none(self) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), Never> {
            v.serialize(self)
        }
        fn serialize_unit(self) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Never> {
            Ok(())
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Result<(), Never> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
            v: &T,
        ) -> Result<(), Never> {
            self.field(variant);
            self.nested(v)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self, Never> {
            Ok(self)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self, Never> {
            Ok(self)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
            Ok(self)
        }
        fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, Never> {
            Ok(self)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self, Never> {
            Ok(self)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
            Ok(self)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            variant: &'static str,
            _: usize,
        ) -> Result<Self, Never> {
            self.field(variant);
            Ok(self)
        }
    }

    // Elements of a list or tuple keep the depth of the list (a list answer's items are its top level).
    macro_rules! same_depth {
        ($($trait:ident :: $method:ident),*) => {
            $(impl ser::$trait for &mut Walker {
                type Ok = ();
                type Error = Never;
                fn $method<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Never> {
                    v.serialize(&mut **self)
                }
                fn end(self) -> Result<(), Never> {
                    Ok(())
                }
            })*
        };
    }
    same_depth!(
        SerializeSeq::serialize_element,
        SerializeTuple::serialize_element,
        SerializeTupleStruct::serialize_field
    );
    impl ser::SerializeTupleVariant for &mut Walker {
        type Ok = ();
        type Error = Never;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Never> {
            self.nested(v)
        }
        fn end(self) -> Result<(), Never> {
            Ok(())
        }
    }
    impl ser::SerializeMap for &mut Walker {
        type Ok = ();
        type Error = Never;
        fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), Never> {
            let mut key = Key(None);
            let _ = k.serialize(&mut key);
            if let Some(k) = key.0 {
                self.field(&k);
            }
            Ok(())
        }
        fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Never> {
            self.nested(v)
        }
        fn end(self) -> Result<(), Never> {
            Ok(())
        }
    }
    impl ser::SerializeStruct for &mut Walker {
        type Ok = ();
        type Error = Never;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, v: &T) -> Result<(), Never> {
            self.field(key);
            self.nested(v)
        }
        fn skip_field(&mut self, key: &'static str) -> Result<(), Never> {
            self.field(key);
            Ok(())
        }
        fn end(self) -> Result<(), Never> {
            Ok(())
        }
    }
    impl ser::SerializeStructVariant for &mut Walker {
        type Ok = ();
        type Error = Never;
        fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, v: &T) -> Result<(), Never> {
            self.field(key);
            self.nested(v)
        }
        fn skip_field(&mut self, key: &'static str) -> Result<(), Never> {
            self.field(key);
            Ok(())
        }
        fn end(self) -> Result<(), Never> {
            Ok(())
        }
    }
}

use walk::Walker;

/// The contract as JSON (what `bindings/contract.json` holds): every operation with its request's fields
/// and their Rust types, and its response's type(s) and top-level fields; the fields of the values nested
/// in requests; the session options; the limits; and `resultKeys`, every field name an answer can carry at
/// any depth (read from the response types through answers made offline from `sample_json`, a snapshot).
pub fn contract_json(sample_json: &str) -> Result<serde_json::Value> {
    use serde_json::json;
    let sample = &crate::model::snapshot::Snapshot::from_json(sample_json)?;
    // `Option < Document < crate::model::snapshot::Snapshot > >` as `Option<Document<Snapshot>>`.
    let clean = |t: &str| {
        let t = t.replace(' ', "");
        let mut out = String::new();
        for part in t.split_inclusive(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
            let (word, rest) =
                part.split_at(part.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).len());
            out.push_str(word.rsplit("::").next().unwrap_or(word));
            out.push_str(rest);
        }
        out
    };
    let mut all = std::collections::BTreeSet::new();
    let mut operations = serde_json::Map::new();
    let answers = sample_responses(sample);
    for op in Operation::ALL {
        let request: serde_json::Map<String, serde_json::Value> =
            op.fields().iter().zip(op.field_types()).map(|(f, t)| (f.to_string(), clean(t).into())).collect();
        let mut types = Vec::new();
        let mut top: Vec<String> = Vec::new();
        for (_, ty, answer) in answers.iter().filter(|(o, _, _)| o == op) {
            if !types.contains(ty) {
                types.push(*ty);
            }
            let shape = Shape::of(answer);
            top.extend(shape.top.into_iter().filter(|k| !top.contains(k)).collect::<Vec<_>>());
            all.extend(shape.all);
        }
        operations.insert(
            op.name().to_string(),
            json!({ "request": request, "response": { "type": types.join(" | "), "fields": top } }),
        );
    }
    Ok(json!({
        "operations": operations,
        "nested": {
            "target": de::fields_of::<TargetRequest>(),
            "scope": de::fields_of::<ScopeRequest>(),
            "findings": de::fields_of::<FindingRef>(),
            "local": de::fields_of::<crate::local::LocalOptions>(),
            "agent": de::fields_of::<crate::local::facts::AgentState>(),
        },
        "session": de::fields_of::<super::SessionOptions>(),
        "azEnvironment": de::fields_of::<super::AzEnvironment>(),
        "limits": limits::all(),
        "resultKeys": all,
    }))
}

/// An answer of every kind each operation gives, made offline from a snapshot (given an Activity Log, so
/// its shape is in the answers too).
fn sample_responses(sample: &crate::model::snapshot::Snapshot) -> Vec<(Operation, &'static str, Response)> {
    use crate::model::snapshot::{ActivityEvent, ActivityLog, ActivityLogScope};
    use crate::model::tenant::{Coverage, Scope, ServiceNotCollected, TenantSnapshot};
    use crate::repair::plan::{PlanKind, PlanOptions};
    use crate::repair::planners::make;
    let mut sample = sample.clone();
    let at = sample.collected_at;
    if sample.activity_log.is_none() {
        sample.activity_log = Some(Box::new(ActivityLog {
            days: 1,
            from: at,
            to: at,
            scopes: vec![ActivityLogScope {
                subscription_id: String::new(),
                resource_group: String::new(),
                read: false,
                error: Some(String::new()),
            }],
            events: vec![ActivityEvent {
                event_timestamp: at,
                caller: String::new(),
                operation_name: String::new(),
                resource_id: String::new(),
                correlation_id: Some(String::new()),
                principal_id: Some(String::new()),
                role_definition_id: Some(String::new()),
                scope: Some(String::new()),
                changed: vec![String::new()],
            }],
        }));
    }
    let sample = &sample;
    let selection = crate::checks::Selection::default();
    let report = super::test_report(sample, &selection, &[]).ok();
    let mut out = vec![
        (Operation::ListChecks, "[CheckInfo]", Response::ListChecks(super::list_checks())),
        (Operation::Wording, "[Phrase]", Response::Wording(crate::wording::PHRASES)),
        (Operation::Explain, "CatalogEntry", Response::Explain(ExplainResponse::Success)),
    ];
    if let Ok(entry) = super::explain("0x80c8305f") {
        out.push((Operation::Explain, "CatalogEntry", Response::Explain(ExplainResponse::Entry(entry))));
    }
    let zero = PrincipalId::parse("00000000-0000-0000-0000-000000000000").ok();
    out.push((
        Operation::ResolveTarget,
        "ResolvedTarget",
        Response::ResolveTarget(ResolvedTarget {
            target: TargetRef {
                subscription_id: String::new(),
                resource_group: Some(String::new()),
                name: Some(String::new()),
            },
            resource_id: String::new(),
            sync_group: Some(String::new()),
            finding: Some(FindingRef {
                check: crate::model::check_id::CheckId::ALL[0],
                resource_id: String::new(),
                principal_id: zero,
                scope: Some(String::new()),
            }),
        }),
    ));
    if let Some(report) = &report {
        out.push((Operation::Test, "Report", Response::Test(Box::new(report.clone()))));
        let local = crate::local::LocalReport {
            service_id: String::new(),
            server_id: String::new(),
            server_name: Some(String::new()),
            findings: vec![crate::local::LocalFinding {
                check: "",
                status: crate::model::findings::Status::Pass,
                subject: String::new(),
                message: String::new(),
                remediation: None,
                host: None,
                port: None,
                step: None,
            }],
            facts: crate::local::LocalFacts::default(),
        };
        out.push((
            Operation::TestLocal,
            "TestLocalResponse",
            Response::TestLocal(Box::new(TestLocalResponse { report: report.clone(), local })),
        ));
    }
    let coverage = Coverage {
        scope: Scope::AllSubscriptions,
        subscriptions_in_scope: 0,
        subscriptions_answered: 0,
        unreadable_subscriptions: vec![String::new()],
        scope_unlisted: Some(String::new()),
        truncated: false,
        services_listed: 0,
        services_not_collected: vec![ServiceNotCollected {
            id: String::new(),
            reason: String::new(),
            message: String::new(),
        }],
        resource_graph_requests: 0,
    };
    let runs = vec![TenantSnapshot::new(Some(coverage), vec![sample.clone()])];
    if let Ok(tenant) = super::tenant_report(&runs, &selection) {
        out.push((Operation::Test, "TenantReport", Response::TestTenant(Box::new(tenant))));
    }
    out.push((Operation::Collect, "Snapshot", Response::Collect(Box::new(sample.clone()))));
    out.push((Operation::Collect, "TenantSnapshot", Response::CollectTenant(Box::new(runs[0].clone()))));
    let repair = make(sample, PlanKind::Repair, PlanOptions { include_security_posture_changes: true });
    let enable = make(sample, PlanKind::EnableIdentity, PlanOptions::default());
    let applied = crate::repair::apply::ApplyReport {
        schema_version: 1,
        what_if: true,
        target: repair.target.clone(),
        results: repair
            .changes
            .iter()
            .take(1)
            .map(|c| crate::repair::apply::ChangeResult {
                id: c.id.clone(),
                kind: c.kind,
                title: c.title.clone(),
                outcome: crate::repair::apply::Outcome::WouldChange,
                message: String::new(),
                arm_code: None,
                error_kind: None,
                request_id: None,
                path: None,
            })
            .collect(),
        summary: Default::default(),
        manual_steps: repair.manual_steps.clone(),
    };
    out.push((Operation::Apply, "ApplyReport", Response::Apply(Box::new(applied))));
    out.push((Operation::Plan, "Plan", Response::Plan(Box::new(repair))));
    out.push((Operation::Plan, "Plan", Response::Plan(Box::new(enable))));
    // A newer side with a role assignment gone and an account's setting changed.
    let mut newer = sample.clone();
    newer.role_assignments.pop();
    if let Some(account) = newer.storage_accounts.first_mut() {
        account.allow_shared_key_access = Some(!account.allow_shared_key_access.unwrap_or(true));
    }
    if let Ok(d) = super::diff(sample, Some("old.json"), &newer, Some("new.json")) {
        out.push((Operation::Diff, "Diff", Response::Diff(Box::new(d))));
    }
    out
}
