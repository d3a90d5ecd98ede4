//! How the tool gets a bearer token for Azure Resource Manager (and Microsoft Graph): one trait,
//! [`TokenCredential`], and one implementation per way of signing in.
//!
//! | Credential | Where the token comes from |
//! |---|---|
//! | [`StaticTokenCredential`] | handed over by the caller (`--access-token`, `AZURE_ACCESS_TOKEN`, PowerShell's `Get-AzAccessToken`) |
//! | [`AzureCliCredential`] | `az account get-access-token` |
//! | [`ManagedIdentityCredential`] | the Azure VM instance metadata service (IMDS) |
//! | [`AzureArcCredential`] | the Azure Arc agent's local identity endpoint (key-file challenge) |
//! | [`ClientSecretCredential`] | Entra ID, client-credentials grant with an app secret |
//! | [`WorkloadIdentityCredential`] | Entra ID, client-credentials grant with a federated token file (AKS) |
//!
//! [`CachingCredential`] wraps any of them: one cached token per scope, refreshed five minutes before it
//! expires, one refresh at a time per scope, and [`TokenCredential::invalidate`] after a 401.
//! [`CredentialOptions`] (JSON, camelCase, `{"kind": "...", ...}`) and [`build`] turn settings from the
//! command line or the C ABI into a credential.
//!
//! # Why not `azure_identity`
//!
//! The flows are implemented here directly on `reqwest` rather than with the `azure_identity` crate:
//! - its stable release has no Azure Arc support (only a beta does), no credential for a token handed over
//!   by the caller, and no "pick one from the environment" credential with the order this tool needs;
//! - its VM metadata address is fixed, so tests would have to swap the HTTP transport instead of pointing
//!   the credential at a local mock server as they do here;
//! - the messages matter for this tool (they say what to do: "run `az login`", "is this an Azure VM with a
//!   managed identity?"), and every flow here is a single small request;
//! - tokens stay in [`Secret`] from the moment they are read, and all the code that could leak one is in
//!   this module, where tests check it with a sentinel value.
//!
//! # Secrets
//!
//! Tokens, client secrets, federated assertions and Arc key-file contents are held in [`Secret`]; every
//! struct here that holds one has a hand-written `Debug`. Error messages never include a request body, the
//! Azure CLI's standard output, or a token; text quoted from a server (an `AADSTS` error description, the
//! Azure CLI's standard error) is scrubbed of anything that looks like a JWT and of the secrets that were
//! sent. Nothing in this module logs.
//!
//! # HTTP
//!
//! Token requests never follow redirects. The [`reqwest::Client`] is injectable (tests, and sharing
//! settings with the ARM client); [`default_http_client`] gives one with a 30 s timeout and no redirects,
//! [`local_http_client`] the same without proxies, for the link-local and loopback identity endpoints.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

mod arc;
mod azure_cli;
mod cache;
mod entra;
mod http;
mod imds;
mod jwt;
mod options;
mod static_token;

pub use arc::{AzureArcCredential, DEFAULT_ARC_ENDPOINT};
pub use azure_cli::AzureCliCredential;
pub use cache::CachingCredential;
pub use entra::{ClientSecretCredential, WorkloadIdentityCredential};
pub use http::{default_http_client, local_http_client};
pub use imds::{ManagedIdentityCredential, DEFAULT_IMDS_ENDPOINT};
pub use jwt::token_claims;
pub use options::{build, CredentialOptions};
pub use static_token::StaticTokenCredential;

/// A bearer token and when it expires (when known).
#[derive(Clone, Debug)]
pub struct AccessToken {
    pub token: Secret,
    pub expires_on: Option<DateTime<Utc>>,
}

impl AccessToken {
    pub fn new(token: Secret, expires_on: Option<DateTime<Utc>>) -> Self {
        AccessToken { token, expires_on }
    }

    /// Does the token expire within `margin` from now? `false` when the expiry is not known.
    pub fn expires_within(&self, margin: Duration) -> bool {
        match self.expires_on {
            Some(exp) => {
                let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::days(36_500));
                Utc::now().checked_add_signed(margin).is_none_or(|limit| exp <= limit)
            }
            None => false,
        }
    }

    /// The value for an `Authorization` header: `Bearer <token>`. Treat the result as a secret.
    pub fn authorization_header(&self) -> Secret {
        Secret::new(format!("Bearer {}", self.token.expose()))
    }
}

/// A way to get a token. Implementations are cheap to share (`Arc<dyn TokenCredential>`).
pub trait TokenCredential: Send + Sync + std::fmt::Debug {
    /// A token for `scope`, like `"https://management.azure.com/.default"`.
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>>;

    /// A short name for messages: `"access token"`, `"Azure CLI"`, `"managed identity"`, ...
    fn name(&self) -> &'static str;

    /// Forget any cached token for `scope`, so that the next [`get_token`](Self::get_token) fetches a new
    /// one. Call it after the token was refused with a 401. Does nothing for credentials that do not cache.
    fn invalidate(&self, scope: &str) {
        let _ = scope;
    }
}

impl<T: TokenCredential + ?Sized> TokenCredential for std::sync::Arc<T> {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        (**self).get_token(scope)
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn invalidate(&self, scope: &str) {
        (**self).invalidate(scope)
    }
}

impl<T: TokenCredential + ?Sized> TokenCredential for Box<T> {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        (**self).get_token(scope)
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn invalidate(&self, scope: &str) {
        (**self).invalidate(scope)
    }
}

/// Check a scope: one scope, `[A-Za-z0-9_.:/-]` only (it goes into a command line and a query string).
pub(crate) fn validate_scope(scope: &str) -> Result<()> {
    let ok = !scope.is_empty()
        && scope.len() <= 1024
        && scope.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "'{}' is not a valid token scope: give one scope such as https://management.azure.com/.default",
            scope.escape_debug()
        )))
    }
}

/// The resource (audience) for a scope: the scope without a trailing `/.default`.
pub(crate) fn scope_to_resource(scope: &str) -> &str {
    scope.strip_suffix("/.default").unwrap_or(scope)
}

/// Check a tenant or client id that goes into a URL path or a command line.
pub(crate) fn validate_id(what: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 256
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{what} '{}' is not valid: expected a GUID or a domain name such as contoso.onmicrosoft.com",
            value.escape_debug()
        )))
    }
}

pub(crate) fn auth_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Authentication, message)
}

/// Make text from outside (a server's error description, the Azure CLI's stderr) safe to put in a message:
/// drop anything that looks like a JWT, replace the given secrets, keep it short and on one line.
pub(crate) fn scrub(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        let v = s.expose();
        if v.len() >= 4 {
            out = out.replace(v, "<redacted>");
        }
    }
    // JWT-like words: "eyJ" followed by a long run of base64url characters and dots.
    let mut cleaned = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(pos) = rest.find("eyJ") {
        cleaned.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/')))
            .unwrap_or(tail.len());
        if end >= 20 {
            cleaned.push_str("<redacted>");
        } else {
            cleaned.push_str(&tail[..end]);
        }
        rest = &tail[end..];
    }
    cleaned.push_str(rest);
    let one_line: String = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_chars(&one_line, 600)
}

pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Seconds for messages: `30 s`, `0.3 s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

// Every credential against a local mock server.
#[cfg(test)]
#[path = "tests/sources.rs"]
mod sources_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_ids() {
        assert!(validate_scope("https://management.azure.com/.default").is_ok());
        assert!(validate_scope("https://management.azure.com/.default offline_access").is_err());
        assert!(validate_scope("a;rm -rf").is_err());
        assert!(validate_scope("").is_err());
        assert_eq!(scope_to_resource("https://management.azure.com/.default"), "https://management.azure.com");
        assert_eq!(scope_to_resource("https://management.azure.com/"), "https://management.azure.com/");
        assert!(validate_id("tenant", "contoso.onmicrosoft.com").is_ok());
        assert!(validate_id("tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47").is_ok());
        assert!(validate_id("tenant", "../x").is_err());
        assert!(validate_id("tenant", "a/b").is_err());
    }

    #[test]
    fn scrub_removes_tokens_and_secrets() {
        let s = Secret::new("hunter2-secret");
        let text =
            "ERROR: bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefgh and hunter2-secret\r\n  next";
        let out = scrub(text, &[&s]);
        assert!(!out.contains("hunter2"));
        assert!(!out.contains("eyJhbGci"));
        assert!(out.contains("<redacted>"));
        assert!(out.ends_with("next"));
        assert_eq!(scrub("eyJ short", &[]), "eyJ short");
    }

    #[test]
    fn access_token_expiry() {
        let t = AccessToken::new(Secret::new("x"), Some(Utc::now() + chrono::Duration::seconds(60)));
        assert!(t.expires_within(Duration::from_secs(300)));
        assert!(!t.expires_within(Duration::from_secs(10)));
        assert!(!AccessToken::new(Secret::new("x"), None).expires_within(Duration::from_secs(300)));
        assert!(!format!("{t:?}").contains("\"x\""));
    }
}
