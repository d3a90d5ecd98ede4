//! The managed identity of an Azure VM, from the instance metadata service (IMDS):
//! `GET {endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={resource}` with
//! `Metadata: true`.

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;

use super::http::{parse_token_response, read_body, send, validate_identity_endpoint, ErrorAnswer};
use super::{auth_error, scope_to_resource, validate_id, validate_scope, AccessToken, TokenCredential};
use crate::error::{Error, Result};

/// The VM metadata service.
pub const DEFAULT_IMDS_ENDPOINT: &str = "http://169.254.169.254";

const IMDS_API_VERSION: &str = "2018-02-01";

/// Which identity of the VM to use.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    SystemAssigned,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

/// A token for the VM's system-assigned identity, or for a user-assigned identity given by client id,
/// object id or resource id.
#[derive(Clone)]
pub struct ManagedIdentityCredential {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    identity: Identity,
    timeout: Option<Duration>,
    max_retries: u32,
    retry_delay: Duration,
}

impl ManagedIdentityCredential {
    /// The system-assigned identity, through the default endpoint. Use a client without a proxy
    /// ([`super::local_http_client`]).
    pub fn new(http: reqwest::Client) -> Self {
        ManagedIdentityCredential {
            http,
            endpoint: reqwest::Url::parse(DEFAULT_IMDS_ENDPOINT).expect("the default endpoint is a URL"),
            identity: Identity::SystemAssigned,
            timeout: None,
            max_retries: 3,
            retry_delay: Duration::from_millis(500),
        }
    }

    /// A user-assigned identity by its client (application) id.
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Result<Self> {
        let id = client_id.into();
        validate_id("the managed identity client id", &id)?;
        self.identity = Identity::ClientId(id);
        Ok(self)
    }

    /// A user-assigned identity by its object (principal) id.
    pub fn with_object_id(mut self, object_id: impl Into<String>) -> Result<Self> {
        let id = object_id.into();
        validate_id("the managed identity object id", &id)?;
        self.identity = Identity::ObjectId(id);
        Ok(self)
    }

    /// A user-assigned identity by its ARM resource id.
    pub fn with_resource_id(mut self, resource_id: impl Into<String>) -> Result<Self> {
        let id = resource_id.into();
        if !id.starts_with('/') || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Error::invalid_input(format!(
                "the managed identity resource id '{}' is not valid: expected /subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
                id.escape_debug()
            )));
        }
        self.identity = Identity::ResourceId(id);
        Ok(self)
    }

    /// Another endpoint (scheme, host and port; tests use a local mock). Plain http only to loopback or
    /// link-local addresses.
    pub fn with_endpoint(mut self, endpoint: &str) -> Result<Self> {
        self.endpoint = validate_identity_endpoint("the managed identity endpoint", endpoint)?;
        Ok(self)
    }

    /// Per-request timeout (default: the client's).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Retries on 404, 410, 429 and 5xx (the metadata service's documented transient answers), with
    /// exponential backoff from `delay`. Default: 3 retries from 0.5 s.
    pub fn with_retries(mut self, max_retries: u32, delay: Duration) -> Self {
        self.max_retries = max_retries;
        self.retry_delay = delay;
        self
    }

    fn url(&self, resource: &str) -> reqwest::Url {
        let mut url = self.endpoint.clone();
        let base = self.endpoint.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/metadata/identity/oauth2/token"));
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", IMDS_API_VERSION).append_pair("resource", resource);
            match &self.identity {
                Identity::SystemAssigned => {}
                Identity::ClientId(id) => {
                    q.append_pair("client_id", id);
                }
                Identity::ObjectId(id) => {
                    q.append_pair("object_id", id);
                }
                Identity::ResourceId(id) => {
                    q.append_pair("msi_res_id", id);
                }
            }
        }
        url
    }

    fn which(&self) -> String {
        match &self.identity {
            Identity::SystemAssigned => "the system-assigned identity".into(),
            Identity::ClientId(id) => format!("the user-assigned identity with client id {id}"),
            Identity::ObjectId(id) => format!("the user-assigned identity with object id {id}"),
            Identity::ResourceId(id) => format!("the user-assigned identity {id}"),
        }
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        validate_scope(scope)?;
        let url = self.url(scope_to_resource(scope));
        let what = format!("the managed identity endpoint ({})", self.endpoint.as_str().trim_end_matches('/'));
        let hint = match self.identity {
            Identity::SystemAssigned => {
                "Is this an Azure VM with a system-assigned identity? Outside Azure, sign in another way (`az login`, --access-token)"
            }
            _ => "Is this an Azure VM with that user-assigned identity? Outside Azure, sign in another way (`az login`, --access-token)",
        };
        let mut attempt = 0u32;
        loop {
            let req = self.http.get(url.clone()).header("Metadata", "true").header("Accept", "application/json");
            let resp = send(req, self.timeout, &what, hint).await?;
            let status = resp.status().as_u16();
            let body = read_body(resp, &what).await?;
            if (200..300).contains(&status) {
                return parse_token_response(&body)
                    .map_err(|why| auth_error(format!("{what} gave an unusable answer: {why}")));
            }
            let transient = matches!(status, 404 | 410 | 429) || status >= 500;
            if transient && attempt < self.max_retries {
                let delay = self.retry_delay.saturating_mul(2u32.saturating_pow(attempt));
                tokio::time::sleep(delay).await;
                attempt += 1;
                continue;
            }
            let answer = ErrorAnswer::parse(status, &body, &[]);
            let text = format!(
                "{} {} {}",
                answer.error.as_deref().unwrap_or(""),
                answer.description.as_deref().unwrap_or(""),
                answer.text.as_deref().unwrap_or("")
            )
            .to_ascii_lowercase();
            let msg = if status == 400 && text.contains("identity not found") {
                format!(
                    "{what} has no {}: {}. Enable the identity on the VM (or assign the user-assigned identity to it), or give the right one",
                    self.which(),
                    answer.summary()
                )
            } else {
                format!("{what} refused a token for {}: {}", self.which(), answer.summary())
            };
            return Err(Error::new(answer.kind(), msg));
        }
    }
}

impl fmt::Debug for ManagedIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedIdentityCredential")
            .field("endpoint", &self.endpoint.as_str())
            .field("identity", &self.identity)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl TokenCredential for ManagedIdentityCredential {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.fetch(scope))
    }

    fn name(&self) -> &'static str {
        "managed identity"
    }
}
