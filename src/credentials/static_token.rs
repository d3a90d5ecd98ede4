//! A token handed over by the caller: `--access-token`, `AZURE_ACCESS_TOKEN`, or PowerShell's
//! `Get-AzAccessToken`.

use std::fmt;

use chrono::Utc;
use futures::future::BoxFuture;

use super::jwt::{audience_for_other_service, audience_mismatch, token_claims, TokenClaims};
use super::{auth_error, scope_to_resource, AccessToken, TokenCredential};
use crate::error::{Error, Result};
use crate::secret::Secret;

const ARM: &str = "Azure Resource Manager";
const GRAPH: &str = "Microsoft Graph";

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
    #[cfg(test)]
    pub fn claims(&self) -> Option<&TokenClaims> {
        self.claims.as_ref()
    }

    /// The token for `scope`, which belongs to `service` (`Azure Resource Manager` or `Microsoft Graph`).
    fn check(&self, scope: &str, service: &str) -> Result<AccessToken> {
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
            // The endpoint may be one the audience table does not know (a sovereign, private or test
            // endpoint): a token for another service is still never sent.
            if let Some(have) = audience_for_other_service(aud, service) {
                return Err(auth_error(format!(
                    "the access token that was handed over is for {have}, but this request needs a token for {service} ({resource}): {fix}"
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
                        Some(t) => t.check(scope, GRAPH),
                        None => Err(auth_error(format!(
                            "no token for Microsoft Graph ({graph}) was handed over, only one for Azure Resource Manager, which is never sent to Graph: pass a Graph token too (--graph-access-token or AZURE_GRAPH_ACCESS_TOKEN; PowerShell: Get-AzAccessToken -ResourceTypeName MSGraph)"
                        ))),
                    };
                }
            }
            // Without a Graph resource named (a credential built outside `build`), a scope of a well-known
            // other service (Graph in any cloud, Storage, Key Vault) is refused too: the token is for ARM.
            if self.graph.is_none() {
                if let Some(other) = audience_for_other_service(scope_to_resource(scope), ARM) {
                    // A JWT says what it is for (the more precise message); an opaque one cannot.
                    self.check(scope, ARM)?;
                    return Err(auth_error(format!(
                        "the access token that was handed over is for Azure Resource Manager and is never sent to {other}"
                    )));
                }
            }
            self.check(scope, ARM)
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
        // Without with_graph (a credential built outside `build`), a well-known Graph is still refused.
        assert!(token(&arm, "https://graph.microsoft.com/.default").is_err());

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

    fn jwt(payload: &str) -> String {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(r#"{"alg":"none"}"#), e.encode(payload))
    }

    #[test]
    fn a_jwt_for_another_service_is_refused_at_custom_endpoints_too() {
        let far = chrono::Utc::now().timestamp() + 3600;
        let arm_jwt = jwt(&format!(r#"{{"aud":"https://management.core.windows.net/","exp":{far}}}"#));
        let graph_jwt = jwt(&format!(r#"{{"aud":"https://graph.microsoft.com","exp":{far}}}"#));
        let fake = "http://127.0.0.1:9";
        // The ARM token handed over as the Graph token: refused for the (test) Graph endpoint.
        let swapped = StaticTokenCredential::new(Secret::new(graph_jwt.clone()))
            .unwrap()
            .with_graph(fake, Some(StaticTokenCredential::new(Secret::new(arm_jwt.clone())).unwrap()));
        let err = token(&swapped, &format!("{fake}/.default")).unwrap_err().to_string();
        assert!(err.contains("Microsoft Graph") && err.contains("Azure Resource Manager"), "{err}");
        // ... and the Graph token as the ARM token: refused for a custom ARM endpoint.
        let err = token(&swapped, "http://127.0.0.1:8/.default").unwrap_err().to_string();
        assert!(err.contains("needs a token for Azure Resource Manager"), "{err}");
        // The right way round, both are given out.
        let right = StaticTokenCredential::new(Secret::new(arm_jwt.clone()))
            .unwrap()
            .with_graph(fake, Some(StaticTokenCredential::new(Secret::new(graph_jwt.clone())).unwrap()));
        assert_eq!(token(&right, &format!("{fake}/.default")).unwrap(), graph_jwt);
        assert_eq!(token(&right, "http://127.0.0.1:8/.default").unwrap(), arm_jwt);
    }
}
