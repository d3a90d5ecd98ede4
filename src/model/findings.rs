//! Findings: the result of one check about one resource, and the report that carries them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::model::check_id::CheckId;
pub use crate::model::text::Text;

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Something is wrong and will break (or already breaks) sync.
    Fail,
    /// Not broken now, but will be, or needs attention.
    Warning,
    /// The facts needed were not available (see `reason`).
    Unknown,
    /// Right as it is.
    Pass,
    /// The check does not apply to this resource.
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warning => "warning",
            Status::NotApplicable => "not_applicable",
            Status::Unknown => "unknown",
        }
    }
}

/// One check's verdict on one resource.
///
/// Its strings are [`Text`]: ids shared with the snapshot and fixed wording are not copied per finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The check's stable id, e.g. `cloud-endpoint.service-share-role`.
    pub check: CheckId,
    pub status: Status,
    /// The resource the verdict is about.
    pub resource_id: Text,
    /// A short name a person recognises (server name, share name, ...).
    pub resource_name: Text,
    /// The identity (object id) concerned, where one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<Text>,
    /// The role concerned, as a role definition id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_definition_id: Option<Text>,
    /// The scope concerned (where the role must be).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Text>,
    /// The File Sync HRESULTs this finding explains, as `0x...` strings.
    #[serde(default)]
    pub error_codes: Vec<Text>,
    /// What was found, in plain words.
    pub message: Text,
    /// What to do about it (empty when nothing needs doing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Text>,
    /// The exact command that fixes it (Az.StorageSync, Az.Resources, Az.Storage or this tool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Text>,
    /// Why the status is `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    /// The facts the verdict rests on.
    #[serde(default, skip_serializing_if = "Evidence::is_empty")]
    pub evidence: Evidence,
}

impl Finding {
    pub fn new(
        check: CheckId,
        status: Status,
        resource_id: impl Into<Text>,
        resource_name: impl Into<Text>,
        message: impl Into<Text>,
    ) -> Self {
        Finding {
            check,
            status,
            resource_id: resource_id.into(),
            resource_name: resource_name.into(),
            principal_id: None,
            role_definition_id: None,
            scope: None,
            error_codes: Vec::new(),
            message: message.into(),
            remediation: None,
            command: None,
            reason: None,
            evidence: Evidence::default(),
        }
    }
    pub fn principal(mut self, p: impl Into<Text>) -> Self {
        self.principal_id = Some(p.into());
        self
    }
    pub fn role(mut self, role_definition_id: impl Into<Text>) -> Self {
        self.role_definition_id = Some(role_definition_id.into());
        self
    }
    pub fn scope(mut self, s: impl Into<Text>) -> Self {
        self.scope = Some(s.into());
        self
    }
    pub fn codes(mut self, codes: &[&'static str]) -> Self {
        self.error_codes = codes.iter().map(|c| Text::fixed(c)).collect();
        self
    }
    /// Does the finding explain `code` (`0x...`)?
    pub fn explains(&self, code: &str) -> bool {
        self.error_codes.iter().any(|c| c.eq_ignore_ascii_case(code))
    }
    pub fn fix(mut self, remediation: impl Into<Text>, command: Option<String>) -> Self {
        self.remediation = Some(remediation.into());
        self.command = command.map(Text::from);
        self
    }
    pub fn because(mut self, reason: impl Into<Text>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    /// A fact, as JSON (strings are kept as [`Fact::Text`]).
    pub fn evidence(mut self, key: &'static str, value: impl Serialize) -> Self {
        self.evidence.insert(Text::fixed(key), Fact::from(serde_json::to_value(value).unwrap_or(Value::Null)));
        self
    }
    /// [`Finding::evidence_text`], or `null` when there is no text.
    pub fn evidence_text_or_null(mut self, key: &'static str, value: Option<Text>) -> Self {
        self.evidence.insert(Text::fixed(key), value.map_or(Fact::Null, Fact::Text));
        self
    }
    /// A text fact without a copy where the text is shared (an id of the snapshot, fixed wording).
    pub fn evidence_text(mut self, key: &'static str, value: impl Into<Text>) -> Self {
        self.evidence.insert(Text::fixed(key), Fact::Text(value.into()));
        self
    }
}

/// One fact of a finding's evidence: a string (kept as [`Text`], so ids are shared) or any other JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    Text(Text),
    /// JSON `null` (also what a missing key reads as).
    Null,
    /// Anything but a string (numbers, booleans, lists, objects, null); boxed, as most facts are text.
    Json(Box<Value>),
}

impl Fact {
    /// The string, when the fact is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Fact::Text(t) => Some(t.as_str()),
            Fact::Null | Fact::Json(_) => None,
        }
    }
}

impl From<Value> for Fact {
    fn from(v: Value) -> Fact {
        match v {
            Value::String(s) => Fact::Text(s.into()),
            Value::Null => Fact::Null,
            v => Fact::Json(Box::new(v)),
        }
    }
}

impl PartialEq<&str> for Fact {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<Value> for Fact {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Fact::Text(t), Value::String(s)) => t == s,
            (Fact::Null, Value::Null) => true,
            (Fact::Json(v), other) => **v == *other,
            _ => false,
        }
    }
}

impl Serialize for Fact {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Fact::Text(t) => t.serialize(s),
            Fact::Null => s.serialize_unit(),
            Fact::Json(v) => v.serialize(s),
        }
    }
}

/// The facts a verdict rests on: a JSON object, keys in order. Kept as a short sorted list (most findings
/// carry two to five facts; a map node per finding would cost more than the facts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence(Vec<(Text, Fact)>);

impl Evidence {
    pub fn get(&self, key: &str) -> Option<&Fact> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }
    /// Set `key`, returning the value it had.
    pub fn insert(&mut self, key: Text, value: Fact) -> Option<Fact> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Fact)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }
}

impl std::ops::Index<&str> for Evidence {
    type Output = Fact;
    /// The value, or `null` when the key is absent (as for a JSON object).
    fn index(&self, key: &str) -> &Fact {
        static NULL: Fact = Fact::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(d)?;
        Ok(Evidence(map.into_iter().map(|(k, v)| (Text::from(k), Fact::from(v))).collect()))
    }
}

/// Counts by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub warning: usize,
    pub not_applicable: usize,
    pub unknown: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Summary {
        let mut s = Summary { total: findings.len(), ..Default::default() };
        for f in findings {
            match f.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Warning => s.warning += 1,
                Status::NotApplicable => s.not_applicable += 1,
                Status::Unknown => s.unknown += 1,
            }
        }
        s
    }
}

/// The JSON report: `{"schemaVersion":1, "findings":[...], "summary":{...}}` plus context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub tool_version: String,
    /// When the snapshot behind the report was collected.
    pub collected_at: chrono::DateTime<chrono::Utc>,
    pub target: crate::model::snapshot::Target,
    /// The sync groups the report was narrowed to (see [`crate::checks::narrow`]); empty for the whole
    /// target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sync_groups: Vec<String>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// The problem findings grouped by root cause, worst first (see [`crate::checks::causes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

/// 2: `causes` and `syncGroups` added.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// One root cause (grouped by `crate::checks::causes`): a thing to fix, and the findings (by index into the report's `findings`) it explains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    /// The finding that names the cause.
    pub finding: usize,
    /// The worst status among its findings.
    pub status: Status,
    /// Every finding of the cause, its own first, then in report order.
    pub findings: Vec<usize>,
    /// The File Sync error codes its findings explain, each once.
    pub error_codes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_is_as_small_as_its_text() {
        assert_eq!(std::mem::size_of::<Fact>(), 16);
        // A large estate holds a hundred thousand findings: keep the struct from growing unnoticed.
        assert!(std::mem::size_of::<Finding>() <= 216, "Finding is {} bytes", std::mem::size_of::<Finding>());
        assert_eq!(Fact::from(Value::Null), Value::Null);
        assert_eq!(Fact::from(serde_json::json!(3)), serde_json::json!(3));
        assert_eq!(serde_json::to_string(&Fact::Null).unwrap(), "null");
    }

    #[test]
    fn evidence_is_a_json_object_with_sorted_keys() {
        let f = Finding::new(CheckId::SERVICE_IDENTITY, Status::Pass, "/r", "r", "m")
            .evidence("zeta", 1)
            .evidence("alpha", "a")
            .evidence("mid", vec!["p", "q"])
            .evidence("alpha", "again");
        assert_eq!(f.evidence.len(), 3);
        assert_eq!(f.evidence["alpha"], "again", "a second value for a key replaces the first");
        assert_eq!(f.evidence["missing"], Value::Null);
        assert!(f.evidence.contains_key("mid") && !f.evidence.contains_key("Mid"));
        let keys: Vec<&str> = f.evidence.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["alpha", "mid", "zeta"]);
        // The same JSON as the map it replaced, and back.
        let json = serde_json::to_string(&f.evidence).unwrap();
        let map: BTreeMap<String, Value> = [
            ("zeta".into(), 1.into()),
            ("alpha".into(), "again".into()),
            ("mid".into(), serde_json::json!(["p", "q"])),
        ]
        .into_iter()
        .collect();
        assert_eq!(json, serde_json::to_string(&map).unwrap());
        let back: Evidence = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f.evidence);
        let finding_back: Finding = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(finding_back, f);
    }
}
