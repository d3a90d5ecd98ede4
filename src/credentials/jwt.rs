//! Reading a JWT access token's payload (no signature check: the token is only inspected, never trusted
//! for a decision that matters to security), and matching its audience against a scope.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::Secret;

/// Claims of an access token that say who it was issued to. Never holds a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenClaims {
    /// `oid`: the object id of the user, service principal or managed identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// `tid`: the tenant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// `aud`: the resource the token is for (the first one when the claim is a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// `exp`: when the token expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<DateTime<Utc>>,
    /// `appid` (v1 tokens) or `azp` (v2 tokens): the client application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// `upn`, `unique_name` or `preferred_username`: the user's sign-in name, for user tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// `idtyp`: `app` or `user`, when the token says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
    /// `xms_mirid`: the resource id of the managed identity, for managed-identity tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_identity_resource_id: Option<String>,
}

/// The payload claims of a JWT (`header.payload.signature`), or `None` for an opaque token.
pub fn token_claims(token: &Secret) -> Option<TokenClaims> {
    let payload = decode_payload(token.expose())?;
    let s = |k: &str| payload.get(k).and_then(Value::as_str).map(str::to_string);
    let aud = match payload.get("aud") {
        Some(Value::String(a)) => Some(a.clone()),
        Some(Value::Array(list)) => list.iter().find_map(Value::as_str).map(str::to_string),
        _ => None,
    };
    Some(TokenClaims {
        oid: s("oid"),
        tid: s("tid"),
        aud,
        exp: payload.get("exp").and_then(epoch_value),
        appid: s("appid").or_else(|| s("azp")),
        upn: s("upn").or_else(|| s("unique_name")).or_else(|| s("preferred_username")),
        idtyp: s("idtyp"),
        managed_identity_resource_id: s("xms_mirid"),
    })
}

/// The decoded payload object of a JWT, or `None` when the token is not a JWT.
pub(crate) fn decode_payload(token: &str) -> Option<Map<String, Value>> {
    const B64: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let mut parts = token.trim().split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.is_empty() || payload.len() > 64 * 1024 {
        return None;
    }
    let bytes = B64.decode(payload).ok()?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A number of seconds since the epoch, as a JSON number or string.
pub(crate) fn epoch_value(v: &Value) -> Option<DateTime<Utc>> {
    let secs = match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?,
        Value::String(s) => s.trim().parse::<i64>().ok().or_else(|| s.trim().parse::<f64>().ok().map(|f| f as i64))?,
        _ => return None,
    };
    Utc.timestamp_opt(secs, 0).single()
}

/// A well-known resource: which service, and in which cloud when that can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KnownResource {
    service: &'static str,
    cloud: Option<&'static str>,
}

fn known_resource(resource: &str) -> Option<KnownResource> {
    let norm = resource.trim().trim_end_matches('/').to_ascii_lowercase();
    let (service, cloud) = match norm.as_str() {
        "https://management.azure.com" | "https://management.core.windows.net" => {
            ("Azure Resource Manager", Some("AzureCloud"))
        }
        "https://management.usgovcloudapi.net" | "https://management.core.usgovcloudapi.net" => {
            ("Azure Resource Manager", Some("AzureUSGovernment"))
        }
        "https://management.chinacloudapi.cn" | "https://management.core.chinacloudapi.cn" => {
            ("Azure Resource Manager", Some("AzureChinaCloud"))
        }
        "797f4846-ba00-4fd7-ba43-dac1f8f63013" => ("Azure Resource Manager", None),
        "https://graph.microsoft.com" => ("Microsoft Graph", Some("AzureCloud")),
        "https://graph.microsoft.us" | "https://dod-graph.microsoft.us" => {
            ("Microsoft Graph", Some("AzureUSGovernment"))
        }
        "https://microsoftgraph.chinacloudapi.cn" => ("Microsoft Graph", Some("AzureChinaCloud")),
        "00000003-0000-0000-c000-000000000000" => ("Microsoft Graph", None),
        "https://graph.windows.net" | "00000002-0000-0000-c000-000000000000" => ("Azure AD Graph", None),
        "https://storage.azure.com" | "e406a681-f3d4-42a8-90b6-c2b029497af1" => ("Azure Storage", None),
        "https://vault.azure.net" | "cfa8b339-82a2-471a-a3c9-0fc0be7a4093" => ("Azure Key Vault", None),
        _ => return None,
    };
    Some(KnownResource { service, cloud })
}

/// Is a token with audience `aud` clearly for another resource than `resource`? Only well-known resources
/// are compared (ARM, Graph, Storage, Key Vault in the three clouds); anything else (a custom or test
/// endpoint, an unknown app id) is given the benefit of the doubt. Returns a description of both sides.
pub(crate) fn audience_mismatch(aud: &str, resource: &str) -> Option<(String, String)> {
    let have = known_resource(aud)?;
    let want = known_resource(resource)?;
    let differ = have.service != want.service || matches!((have.cloud, want.cloud), (Some(a), Some(b)) if a != b);
    if !differ {
        return None;
    }
    let describe = |k: KnownResource, raw: &str| match k.cloud {
        Some(c) => format!("{} in {c} ({raw})", k.service),
        None => format!("{} ({raw})", k.service),
    };
    Some((describe(have, aud), describe(want, resource)))
}

/// Is a token with audience `aud` clearly for another service than `service` (`Azure Resource Manager`,
/// `Microsoft Graph`), wherever that service is reached (a custom or test endpoint included)? Returns a
/// description of the token's audience. Unknown audiences are given the benefit of the doubt.
pub(crate) fn audience_for_other_service(aud: &str, service: &str) -> Option<String> {
    let have = known_resource(aud)?;
    if have.service == service {
        return None;
    }
    Some(match have.cloud {
        Some(c) => format!("{} in {c} ({aud})", have.service),
        None => format!("{} ({aud})", have.service),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_services_are_told_apart_at_any_endpoint() {
        assert!(audience_for_other_service("https://management.azure.com/", "Azure Resource Manager").is_none());
        assert!(audience_for_other_service("https://graph.microsoft.com", "Microsoft Graph").is_none());
        let d = audience_for_other_service("https://management.core.windows.net/", "Microsoft Graph").unwrap();
        assert!(d.contains("Azure Resource Manager"), "{d}");
        assert!(audience_for_other_service("00000003-0000-0000-c000-000000000000", "Azure Resource Manager").is_some());
        assert!(audience_for_other_service("api://my-app", "Microsoft Graph").is_none());
    }

    fn jwt(payload: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(r#"{"alg":"none"}"#), e.encode(payload))
    }

    #[test]
    fn claims_of_a_jwt() {
        let t = Secret::new(jwt(
            r#"{"aud":"https://management.core.windows.net/","exp":1700000000,"oid":"o","tid":"t","azp":"a","preferred_username":"u@x","xms_mirid":"/subscriptions/s"}"#,
        ));
        let c = token_claims(&t).unwrap();
        assert_eq!(c.oid.as_deref(), Some("o"));
        assert_eq!(c.tid.as_deref(), Some("t"));
        assert_eq!(c.appid.as_deref(), Some("a"));
        assert_eq!(c.upn.as_deref(), Some("u@x"));
        assert_eq!(c.exp.unwrap().timestamp(), 1_700_000_000);
        assert_eq!(c.managed_identity_resource_id.as_deref(), Some("/subscriptions/s"));
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["managedIdentityResourceId"], "/subscriptions/s");
    }

    #[test]
    fn opaque_tokens_have_no_claims() {
        assert!(token_claims(&Secret::new("opaque-token")).is_none());
        assert!(token_claims(&Secret::new("a.b.c")).is_none());
        assert!(token_claims(&Secret::new("a.b.c.d.e")).is_none());
        assert!(token_claims(&Secret::new("")).is_none());
        // Padded base64url and a string exp are accepted too.
        let e = base64::engine::general_purpose::URL_SAFE;
        let t = format!("h.{}.s", e.encode(r#"{"exp":"1700000000","aud":["x","y"]}"#));
        let c = token_claims(&Secret::new(t)).unwrap();
        assert_eq!(c.exp.unwrap().timestamp(), 1_700_000_000);
        assert_eq!(c.aud.as_deref(), Some("x"));
    }

    #[test]
    fn audiences() {
        let arm = "https://management.azure.com";
        assert!(audience_mismatch("https://management.core.windows.net/", arm).is_none());
        assert!(audience_mismatch("https://management.azure.com/", arm).is_none());
        assert!(audience_mismatch("797f4846-ba00-4fd7-ba43-dac1f8f63013", arm).is_none());
        assert!(audience_mismatch("https://management.azure.com", "https://management.usgovcloudapi.net").is_some());
        let (have, want) =
            audience_mismatch("https://management.core.windows.net/", "https://graph.microsoft.com").unwrap();
        assert!(have.contains("Azure Resource Manager"), "{have}");
        assert!(want.contains("Microsoft Graph"), "{want}");
        assert!(audience_mismatch("https://graph.microsoft.com", arm).is_some());
        assert!(audience_mismatch("00000003-0000-0000-c000-000000000000", arm).is_some());
        // Unknown on either side: no opinion.
        assert!(audience_mismatch("https://management.azure.com", "http://127.0.0.1:8080").is_none());
        assert!(audience_mismatch("api://my-app", arm).is_none());
    }
}
