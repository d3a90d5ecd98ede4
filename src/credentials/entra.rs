//! Entra ID's client-credentials grant: `POST {authority}/{tenant}/oauth2/v2.0/token`, with a client secret
//! ([`ClientSecretCredential`]) or a federated token file ([`WorkloadIdentityCredential`], AKS workload
//! identity).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;

use super::http::{parse_token_response, read_body, send, ErrorAnswer};
use super::{auth_error, validate_id, validate_scope, AccessToken, TokenCredential};
use crate::cloud::{validate_endpoint, Cloud};
use crate::error::{Error, Result};
use crate::secret::Secret;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Where to ask: authority host, tenant, client; shared by both credentials.
#[derive(Clone)]
struct Endpoint {
    http: reqwest::Client,
    authority: String,
    tenant_id: String,
    client_id: String,
    timeout: Option<Duration>,
}

impl Endpoint {
    fn new(http: reqwest::Client, cloud: &Cloud, tenant_id: String, client_id: String) -> Result<Self> {
        validate_id("the tenant id", &tenant_id)?;
        validate_id("the client id", &client_id)?;
        let authority = validate_endpoint("the authority host", &cloud.authority_host)?;
        Ok(Endpoint { http, authority, tenant_id, client_id, timeout: None })
    }

    fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, self.tenant_id)
    }

    /// POST the form; `secrets` are scrubbed from any error text.
    async fn request(
        &self,
        scope: &str,
        credential: &[(&str, &str)],
        secrets: &[&Secret],
        how: &str,
        fix: &str,
    ) -> Result<AccessToken> {
        validate_scope(scope)?;
        let mut form: Vec<(&str, &str)> =
            vec![("grant_type", "client_credentials"), ("client_id", &self.client_id), ("scope", scope)];
        form.extend_from_slice(credential);
        let what = format!("Entra ID ({})", self.authority);
        let req = self.http.post(self.token_url()).header("Accept", "application/json").form(&form);
        let resp =
            send(req, self.timeout, &what, "Check the network connection, proxy settings and the cloud (--cloud)")
                .await?;
        let status = resp.status().as_u16();
        let body = read_body(resp, &what).await?;
        if (200..300).contains(&status) {
            return parse_token_response(&body)
                .map_err(|why| auth_error(format!("{what} gave an unusable answer: {why}")));
        }
        let answer = ErrorAnswer::parse(status, &body, secrets);
        Err(Error::new(
            answer.kind(),
            format!(
                "{what} refused the sign-in of app {} in tenant {} {how}: {}. {fix}",
                self.client_id,
                self.tenant_id,
                answer.summary()
            ),
        ))
    }
}

/// An app registration (service principal) signing in with a client secret.
#[derive(Clone)]
pub struct ClientSecretCredential {
    endpoint: Endpoint,
    client_secret: Secret,
}

impl ClientSecretCredential {
    /// The authority host comes from `cloud` (`login.microsoftonline.com`, ...).
    pub fn new(
        http: reqwest::Client,
        cloud: &Cloud,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> Result<Self> {
        if client_secret.is_empty() {
            return Err(Error::invalid_input("the client secret is empty"));
        }
        Ok(ClientSecretCredential {
            endpoint: Endpoint::new(http, cloud, tenant_id.into(), client_id.into())?,
            client_secret,
        })
    }

    /// Another authority host (https, or http to loopback for tests).
    pub fn with_authority_host(mut self, authority: &str) -> Result<Self> {
        self.endpoint.authority = validate_endpoint("the authority host", authority)?;
        Ok(self)
    }

    /// Per-request timeout (default: the client's).
    #[cfg(test)]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.endpoint.timeout = Some(timeout);
        self
    }
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("authority", &self.endpoint.authority)
            .field("tenant_id", &self.endpoint.tenant_id)
            .field("client_id", &self.endpoint.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl TokenCredential for ClientSecretCredential {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            self.endpoint
                .request(
                    scope,
                    &[("client_secret", self.client_secret.expose())],
                    &[&self.client_secret],
                    "with a client secret",
                    "Check the tenant id, the client (application) id and the secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET): the secret's value, not its id, and not expired",
                )
                .await
        })
    }

    fn name(&self) -> &'static str {
        "client secret"
    }
}

/// Workload identity federation (AKS and others): the client assertion is the Kubernetes service account
/// token in a file (`AZURE_FEDERATED_TOKEN_FILE`), read again for every request because it is rotated.
#[derive(Clone)]
pub struct WorkloadIdentityCredential {
    endpoint: Endpoint,
    token_file: PathBuf,
}

impl WorkloadIdentityCredential {
    pub fn new(
        http: reqwest::Client,
        cloud: &Cloud,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> Result<Self> {
        let token_file = token_file.into();
        if token_file.as_os_str().is_empty() {
            return Err(Error::invalid_input("the federated token file path is empty (AZURE_FEDERATED_TOKEN_FILE)"));
        }
        Ok(WorkloadIdentityCredential {
            endpoint: Endpoint::new(http, cloud, tenant_id.into(), client_id.into())?,
            token_file,
        })
    }

    /// From `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_FEDERATED_TOKEN_FILE`, read through `env`;
    /// the arguments, when given, win over the environment.
    pub fn from_env(
        http: reqwest::Client,
        cloud: &Cloud,
        env: &dyn Fn(&str) -> Option<String>,
        tenant_id: Option<String>,
        client_id: Option<String>,
        token_file: Option<PathBuf>,
    ) -> Result<Self> {
        let get = |v: Option<String>, name: &str| -> Result<String> {
            v.or_else(|| env(name)).ok_or_else(|| {
                Error::invalid_input(format!(
                    "workload identity needs {name} (set by the AKS workload identity webhook, or give it explicitly)"
                ))
            })
        };
        let tenant = get(tenant_id, "AZURE_TENANT_ID")?;
        let client = get(client_id, "AZURE_CLIENT_ID")?;
        let file = match token_file {
            Some(f) => f,
            None => PathBuf::from(get(None, "AZURE_FEDERATED_TOKEN_FILE")?),
        };
        Self::new(http, cloud, tenant, client, file)
    }

    /// Another authority host (https, or http to loopback for tests).
    pub fn with_authority_host(mut self, authority: &str) -> Result<Self> {
        self.endpoint.authority = validate_endpoint("the authority host", authority)?;
        Ok(self)
    }

    async fn assertion(&self) -> Result<Secret> {
        let text = tokio::fs::read_to_string(&self.token_file).await.map_err(|e| {
            auth_error(format!(
                "the federated token file {} (AZURE_FEDERATED_TOKEN_FILE) could not be read ({e}): is workload identity enabled for this pod (service account annotated with the client id, pod labelled azure.workload.identity/use: \"true\")?",
                self.token_file.display()
            ))
        })?;
        let secret = Secret::new(text.trim());
        drop(Secret::new(text));
        if secret.is_empty() {
            return Err(auth_error(format!("the federated token file {} is empty", self.token_file.display())));
        }
        Ok(secret)
    }
}

impl fmt::Debug for WorkloadIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadIdentityCredential")
            .field("authority", &self.endpoint.authority)
            .field("tenant_id", &self.endpoint.tenant_id)
            .field("client_id", &self.endpoint.client_id)
            .field("token_file", &self.token_file)
            .finish()
    }
}

impl TokenCredential for WorkloadIdentityCredential {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(async move {
            let assertion = self.assertion().await?;
            self.endpoint
                .request(
                    scope,
                    &[("client_assertion_type", JWT_BEARER), ("client_assertion", assertion.expose())],
                    &[&assertion],
                    "with a federated token (workload identity)",
                    "Check AZURE_TENANT_ID and AZURE_CLIENT_ID, and the federated credential on the app or managed identity (issuer = the cluster's OIDC issuer URL, subject = system:serviceaccount:<namespace>:<service account>)",
                )
                .await
        })
    }

    fn name(&self) -> &'static str {
        "workload identity"
    }
}
