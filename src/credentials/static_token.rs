//! A token handed over by the caller: `--access-token`, `AZURE_ACCESS_TOKEN`, or PowerShell's
//! `Get-AzAccessToken`.

use std::fmt;

use chrono::Utc;
use futures::future::BoxFuture;

use super::jwt::{audience_mismatch, token_claims, TokenClaims};
use super::{auth_error, scope_to_resource, AccessToken, TokenCredential};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// A token that counts as expired this long before its `exp` (a request started now would fail).
const EXPIRY_SKEW_SECONDS: i64 = 30;

/// A token given by the caller. A JWT's `exp` and `aud` are read (no signature check) so that an expired
/// token or one for another resource fails with a clear message instead of a 401; an opaque token is
/// passed on as it is.
#[derive(Clone)]
pub struct StaticTokenCredential {
    token: Secret,
    claims: Option<TokenClaims>,
    /// Microsoft Graph's resource (no trailing slash) and the token for it, when the caller handed one
    /// over; a Graph scope is then answered by that token only (see [`Self::with_graph`]).
    graph: Option<(String, Option<Box<StaticTokenCredential>>)>,
}

impl StaticTokenCredential {
    /// Whitespace around the token and a leading `Bearer ` are removed. An empty token is an InvalidInput
    /// error.
    pub fn new(token: Secret) -> Result<Self> {
        let trimmed = token.expose().trim();
        let trimmed =
            trimmed.strip_prefix("Bearer ").or_else(|| trimmed.strip_prefix("bearer ")).unwrap_or(trimmed).trim();
        if trimmed.is_empty() {
            return Err(Error::invalid_input(
                "the access token is empty: pass a token from `Get-AzAccessToken` or `az account get-access-token`",
            ));
        }
        let token = Secret::new(trimmed);
        let claims = token_claims(&token);
        Ok(StaticTokenCredential { token, claims, graph: None })
    }

    /// Answer scopes of Microsoft Graph (`graph_resource`, e.g. `https://graph.microsoft.com`) with
    /// `graph_token`, and refuse them without one: the handed-over token is for ARM and is never sent to
    /// Graph, whether it is a JWT (whose audience would say so) or opaque.
    pub fn with_graph(mut self, graph_resource: &str, graph_token: Option<StaticTokenCredential>) -> Self {
        self.graph = Some((graph_resource.trim_end_matches('/').to_string(), graph_token.map(Box::new)));
        self
    }

    /// The token's claims, when it is a JWT.
    pub fn claims(&self) -> Option<&TokenClaims> {
        self.claims.as_ref()
    }

    fn check(&self, scope: &str) -> Result<AccessToken> {
        let resource = scope_to_resource(scope);
        let fix = format!(
            "get one with `Get-AzAccessToken -ResourceUrl {resource}` (PowerShell) or `az account get-access-token --resource {resource}` (Azure CLI), or sign in another way"
        );
        let exp = self.claims.as_ref().and_then(|c| c.exp);
        if let Some(exp) = exp {
            let now = Utc::now();
            if exp <= now + chrono::Duration::seconds(EXPIRY_SKEW_SECONDS) {
                let ago = (now - exp).num_minutes();
                let when = if ago > 0 {
                    format!("expired at {} ({ago} minutes ago)", exp.format("%Y-%m-%d %H:%M:%S UTC"))
                } else {
                    format!("expires at {} (now)", exp.format("%Y-%m-%d %H:%M:%S UTC"))
                };
                return Err(auth_error(format!("the access token that was handed over {when}: {fix}")));
            }
        }
        if let Some(aud) = self.claims.as_ref().and_then(|c| c.aud.as_deref()) {
            if let Some((have, want)) = audience_mismatch(aud, resource) {
                return Err(auth_error(format!(
                    "the access token that was handed over is for {have}, but this request needs a token for {want}: {fix}"
                )));
            }
        }
        Ok(AccessToken { token: self.token.clone(), expires_on: exp })
    }
}

impl fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.claims.as_ref();
        f.debug_struct("StaticTokenCredential")
            .field("token", &"<redacted>")
            .field("aud", &c.and_then(|c| c.aud.as_deref()))
            .field("exp", &c.and_then(|c| c.exp))
            .finish()
    }
}

impl TokenCredential for StaticTokenCredential {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            if let Some((graph, token)) = &self.graph {
                if scope_to_resource(scope).trim_end_matches('/').eq_ignore_ascii_case(graph) {
                    return match token {
                        Some(t) => t.check(scope),
                        None => Err(auth_error(format!(
                            "no token for Microsoft Graph ({graph}) was handed over, only one for Azure Resource Manager, which is never sent to Graph: pass a Graph token too (PowerShell: Get-AzAccessToken -ResourceTypeName MSGraph)"
                        ))),
                    };
                }
            }
            self.check(scope)
        })
    }

    fn name(&self) -> &'static str {
        "access token"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(c: &StaticTokenCredential, scope: &str) -> Result<String> {
        futures::executor::block_on(c.get_token(scope)).map(|t| t.token.expose().to_string())
    }

    #[test]
    fn the_arm_token_is_never_sent_to_graph() {
        let arm = StaticTokenCredential::new(Secret::new("opaque-arm")).unwrap();
        // Without with_graph (a credential built outside `build`), every scope gets the one token.
        assert_eq!(token(&arm, "https://graph.microsoft.com/.default").unwrap(), "opaque-arm");

        let arm_only = arm.clone().with_graph("https://graph.microsoft.com/", None);
        assert_eq!(token(&arm_only, "https://management.azure.com/.default").unwrap(), "opaque-arm");
        let err = token(&arm_only, "https://graph.microsoft.com/.default").unwrap_err();
        assert!(err.to_string().contains("MSGraph"), "{err}");
        assert!(!err.to_string().contains("opaque-arm"));

        let graph = StaticTokenCredential::new(Secret::new("opaque-graph")).unwrap();
        let both = arm.with_graph("https://graph.microsoft.com", Some(graph));
        assert_eq!(token(&both, "https://GRAPH.microsoft.com/.default").unwrap(), "opaque-graph");
        assert_eq!(token(&both, "https://management.azure.com/.default").unwrap(), "opaque-arm");
    }
}
