//! [`CredentialOptions`]: how to get a token, as the command line and the C ABI give it, and [`build`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::{
    default_http_client, local_http_client, AzureArcCredential, AzureCliCredential, CachingCredential,
    ClientSecretCredential, ManagedIdentityCredential, StaticTokenCredential, TokenCredential,
    WorkloadIdentityCredential, DEFAULT_ARC_ENDPOINT,
};
use crate::cloud::Cloud;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// How to get a token. JSON: `{"kind": "<kind>", ...fields}`, camelCase, e.g.
/// `{"kind": "accessToken", "token": "eyJ..."}` or `{"kind": "managedIdentity", "clientId": "..."}`.
/// Unknown fields are refused. `Debug` shows no secret (they are [`Secret`]s).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum CredentialOptions {
    /// Pick from the environment: `AZURE_ACCESS_TOKEN` -> access token; `AZURE_FEDERATED_TOKEN_FILE` ->
    /// workload identity; `AZURE_CLIENT_SECRET` + `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` -> client secret;
    /// `IDENTITY_ENDPOINT` + `IMDS_ENDPOINT` -> Azure Arc; otherwise the Azure CLI. (A VM's managed identity
    /// is never picked automatically: ask for `managedIdentity`.)
    #[default]
    Auto,
    /// A token handed over by the caller; `AZURE_ACCESS_TOKEN` when `token` is absent.
    #[serde(rename_all = "camelCase")]
    AccessToken {
        #[serde(default, deserialize_with = "secret_opt")]
        token: Option<Secret>,
        /// A token for Microsoft Graph (PowerShell's `Get-AzAccessToken -ResourceTypeName MSGraph`);
        /// `AZURE_GRAPH_ACCESS_TOKEN` when absent. Without one, Graph is not asked: the ARM token is never
        /// sent to another audience.
        #[serde(default, deserialize_with = "secret_opt")]
        graph_token: Option<Secret>,
    },
    /// `az account get-access-token`.
    #[serde(rename_all = "camelCase")]
    AzureCli {
        #[serde(default)]
        tenant_id: Option<String>,
        /// Default 30.
        #[serde(default)]
        timeout_seconds: Option<u64>,
    },
    /// The Azure VM's managed identity (IMDS). At most one of `clientId`, `objectId`, `resourceId`
    /// (user-assigned); none for the system-assigned identity.
    #[serde(rename_all = "camelCase")]
    ManagedIdentity {
        #[serde(default)]
        client_id: Option<String>,
        #[serde(default)]
        object_id: Option<String>,
        #[serde(default)]
        resource_id: Option<String>,
        /// Default `http://169.254.169.254`.
        #[serde(default)]
        endpoint: Option<String>,
    },
    /// The Azure Arc-enabled server's managed identity.
    #[serde(rename_all = "camelCase")]
    AzureArc {
        /// Default `IDENTITY_ENDPOINT`, else `http://localhost:40342/metadata/identity/oauth2/token`.
        #[serde(default)]
        endpoint: Option<String>,
        /// Default `/var/opt/azcmagent/tokens` or `%ProgramData%\AzureConnectedMachineAgent\Tokens`.
        #[serde(default)]
        key_directory: Option<PathBuf>,
    },
    /// An app registration with a client secret; missing fields come from `AZURE_TENANT_ID`,
    /// `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    #[serde(rename_all = "camelCase")]
    ClientSecret {
        #[serde(default)]
        tenant_id: Option<String>,
        #[serde(default)]
        client_id: Option<String>,
        #[serde(default, deserialize_with = "secret_opt")]
        client_secret: Option<Secret>,
        /// Default: the cloud's (`https://login.microsoftonline.com`, ...).
        #[serde(default)]
        authority_host: Option<String>,
    },
    /// Workload identity federation; missing fields come from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_FEDERATED_TOKEN_FILE`.
    #[serde(rename_all = "camelCase")]
    WorkloadIdentity {
        #[serde(default)]
        tenant_id: Option<String>,
        #[serde(default)]
        client_id: Option<String>,
        #[serde(default)]
        token_file: Option<PathBuf>,
        /// Default: the cloud's.
        #[serde(default)]
        authority_host: Option<String>,
    },
}

fn secret_opt<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::new))
}

impl CredentialOptions {
    /// A token handed over by the caller, for ARM only (no Graph token).
    pub fn access_token(token: impl Into<String>) -> Self {
        CredentialOptions::AccessToken { token: Some(Secret::new(token)), graph_token: None }
    }

    /// The same, with a Microsoft Graph token beside the ARM one (each goes only to its own audience).
    /// Other kinds get their Graph tokens themselves and are returned unchanged.
    pub fn with_graph_token(self, graph: impl Into<String>) -> Self {
        match self {
            CredentialOptions::AccessToken { token, .. } => {
                CredentialOptions::AccessToken { token, graph_token: Some(Secret::new(graph)) }
            }
            other => other,
        }
    }

    /// Parse the JSON form. Errors are InvalidInput and never quote a value.
    pub fn from_json(value: &serde_json::Value) -> Result<Self> {
        let mut v = if value.is_null() { serde_json::json!({}) } else { value.clone() };
        if let Some(m) = v.as_object_mut() {
            m.entry("kind").or_insert_with(|| "auto".into());
        }
        crate::error::de::read::<CredentialOptions>(&v).map_err(|e| {
            use crate::error::de::Defect;
            // Name the field, never quote a value (serde quotes values in type and variant errors): worded
            // by what serde found wrong, not by its message.
            let what = match &e.defect {
                Defect::UnknownVariant { .. } => "unknown kind".to_string(),
                Defect::UnknownField { .. } | Defect::MissingField(_) => super::scrub(&e.defect.to_string(), &[]),
                _ if !v.is_object() => "expected a JSON object".to_string(),
                // `invalid type: string "<value>", expected u64`: keep what was expected only.
                Defect::WrongType { expected, .. } => {
                    format!("wrong type or value ({})", super::scrub(&format!("expected {expected}"), &[]))
                }
                Defect::Invalid(_) => "wrong type or value".to_string(),
            };
            let at = if e.path.is_empty() { String::new() } else { format!(" at '{}'", e.path) };
            Error::invalid_input(format!(
                "the credential options are not valid{at}: {what} (kinds: auto, accessToken, azureCli, managedIdentity, azureArc, clientSecret, workloadIdentity)"
            ))
            // The refusal is not kept as the source: an unknown kind or field may be a secret put there.
        })
    }

    /// The kind as spelled in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            CredentialOptions::Auto => "auto",
            CredentialOptions::AccessToken { .. } => "accessToken",
            CredentialOptions::AzureCli { .. } => "azureCli",
            CredentialOptions::ManagedIdentity { .. } => "managedIdentity",
            CredentialOptions::AzureArc { .. } => "azureArc",
            CredentialOptions::ClientSecret { .. } => "clientSecret",
            CredentialOptions::WorkloadIdentity { .. } => "workloadIdentity",
        }
    }
}

/// The process environment, with empty values counted as unset.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Build the credential `options` describe, reading the process environment where they leave things out.
/// Every credential except a handed-over token is wrapped in a [`CachingCredential`]. Token requests to
/// Entra ID use [`default_http_client`]; those to the VM metadata service and the Arc agent use
/// [`local_http_client`] (no proxy).
pub fn build(options: &CredentialOptions, cloud: &Cloud) -> Result<Arc<dyn TokenCredential>> {
    build_with(options, cloud, &process_env, None)
}

/// [`build`] with an injected environment lookup and, optionally, one HTTP client for every credential
/// (it must not follow redirects). Empty values from `env` count as unset.
pub fn build_with(
    options: &CredentialOptions,
    cloud: &Cloud,
    env: &dyn Fn(&str) -> Option<String>,
    http: Option<reqwest::Client>,
) -> Result<Arc<dyn TokenCredential>> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let remote = || match &http {
        Some(c) => Ok(c.clone()),
        None => default_http_client(),
    };
    let local = || match &http {
        Some(c) => Ok(c.clone()),
        None => local_http_client(),
    };
    let cached = |c: Arc<dyn TokenCredential>| -> Result<Arc<dyn TokenCredential>> {
        Ok(Arc::new(CachingCredential::from_arc(c)))
    };

    match options {
        CredentialOptions::Auto => {
            let chosen = if env("AZURE_ACCESS_TOKEN").is_some() {
                CredentialOptions::AccessToken { token: None, graph_token: None }
            } else if env("AZURE_FEDERATED_TOKEN_FILE").is_some() {
                CredentialOptions::WorkloadIdentity {
                    tenant_id: None,
                    client_id: None,
                    token_file: None,
                    authority_host: None,
                }
            } else if env("AZURE_CLIENT_SECRET").is_some()
                && env("AZURE_TENANT_ID").is_some()
                && env("AZURE_CLIENT_ID").is_some()
            {
                CredentialOptions::ClientSecret {
                    tenant_id: None,
                    client_id: None,
                    client_secret: None,
                    authority_host: None,
                }
            } else if env("IDENTITY_ENDPOINT").is_some() && env("IMDS_ENDPOINT").is_some() {
                CredentialOptions::AzureArc { endpoint: None, key_directory: None }
            } else {
                // The last resort: if it fails, the error says what else was looked for.
                let cli = build_with(
                    &CredentialOptions::AzureCli { tenant_id: env("AZURE_TENANT_ID"), timeout_seconds: None },
                    cloud,
                    &env,
                    http.clone(),
                )?;
                return Ok(Arc::new(AutoFallback { inner: cli, tried: auto_sources_tried(&env) }));
            };
            build_with(&chosen, cloud, &env, http.clone())
        }
        CredentialOptions::AccessToken { token, graph_token } => {
            let token = match token {
                Some(t) => t.clone(),
                None => Secret::new(env("AZURE_ACCESS_TOKEN").ok_or_else(|| {
                    super::auth_error(
                        "no access token was given: pass --access-token, set AZURE_ACCESS_TOKEN, or sign in another way",
                    )
                })?),
            };
            let graph_token = graph_token.clone().or_else(|| env("AZURE_GRAPH_ACCESS_TOKEN").map(Secret::new));
            let mut credential = StaticTokenCredential::new(token)?;
            // The handed-over token is for ARM and goes only to ARM, opaque or not: Graph (when there is
            // one) is answered by the Graph token alone, and refused without one.
            if !cloud.graph.is_empty() {
                let graph = graph_token.as_ref().map(|g| StaticTokenCredential::new(g.clone())).transpose()?;
                credential = credential.with_graph(&cloud.graph, graph);
            }
            Ok(Arc::new(credential))
        }
        CredentialOptions::AzureCli { tenant_id, timeout_seconds } => {
            let mut c = AzureCliCredential::new();
            if let Some(t) = tenant_id {
                c = c.with_tenant(t.clone())?;
            }
            if let Some(s) = timeout_seconds {
                if *s == 0 {
                    return Err(Error::invalid_input("the Azure CLI timeout must be at least one second"));
                }
                c = c.with_timeout(Duration::from_secs(*s));
            }
            cached(Arc::new(c))
        }
        CredentialOptions::ManagedIdentity { client_id, object_id, resource_id, endpoint } => {
            let given = [client_id, object_id, resource_id].iter().filter(|x| x.is_some()).count();
            if given > 1 {
                return Err(Error::invalid_input(
                    "give at most one of the managed identity's client id, object id and resource id",
                ));
            }
            let mut c = ManagedIdentityCredential::new(local()?);
            if let Some(e) = endpoint {
                c = c.with_endpoint(e)?;
            }
            if let Some(id) = client_id {
                c = c.with_client_id(id.clone())?;
            }
            if let Some(id) = object_id {
                c = c.with_object_id(id.clone())?;
            }
            if let Some(id) = resource_id {
                c = c.with_resource_id(id.clone())?;
            }
            cached(Arc::new(c))
        }
        CredentialOptions::AzureArc { endpoint, key_directory } => {
            let endpoint =
                endpoint.clone().or_else(|| env("IDENTITY_ENDPOINT")).unwrap_or_else(|| DEFAULT_ARC_ENDPOINT.into());
            let mut c = AzureArcCredential::new(local()?).with_endpoint(&endpoint)?;
            if let Some(d) = key_directory {
                c = c.with_key_directory(d.clone());
            }
            cached(Arc::new(c))
        }
        CredentialOptions::ClientSecret { tenant_id, client_id, client_secret, authority_host } => {
            // A credential that is not all there is a sign-in failure like a refused one (same exit code).
            let missing = |name: &str| {
                let option = match name {
                    "AZURE_TENANT_ID" => " (or --tenant-id)",
                    "AZURE_CLIENT_ID" => " (or --client-id)",
                    _ => "",
                };
                super::auth_error(format!("a client secret sign-in needs {name}{option}; it is not set"))
            };
            let tenant =
                tenant_id.clone().or_else(|| env("AZURE_TENANT_ID")).ok_or_else(|| missing("AZURE_TENANT_ID"))?;
            let client =
                client_id.clone().or_else(|| env("AZURE_CLIENT_ID")).ok_or_else(|| missing("AZURE_CLIENT_ID"))?;
            let secret = match client_secret {
                Some(s) => s.clone(),
                None => Secret::new(env("AZURE_CLIENT_SECRET").ok_or_else(|| missing("AZURE_CLIENT_SECRET"))?),
            };
            let mut c = ClientSecretCredential::new(remote()?, cloud, tenant, client, secret)?;
            if let Some(a) = authority_host {
                c = c.with_authority_host(a)?;
            }
            cached(Arc::new(c))
        }
        CredentialOptions::WorkloadIdentity { tenant_id, client_id, token_file, authority_host } => {
            let mut c = WorkloadIdentityCredential::from_env(
                remote()?,
                cloud,
                &env,
                tenant_id.clone(),
                client_id.clone(),
                token_file.clone(),
            )?;
            if let Some(a) = authority_host {
                c = c.with_authority_host(a)?;
            }
            cached(Arc::new(c))
        }
    }
}

/// What `auto` looked for before it fell back to the Azure CLI, and why each did not apply.
fn auto_sources_tried(env: &dyn Fn(&str) -> Option<String>) -> String {
    let unset = |names: &[&str]| -> String {
        let missing: Vec<&str> = names.iter().copied().filter(|n| env(n).is_none()).collect();
        format!("{} not set", missing.join(", "))
    };
    [
        format!("a handed-over token (AZURE_ACCESS_TOKEN or --access-token: {})", unset(&["AZURE_ACCESS_TOKEN"])),
        format!("workload identity ({})", unset(&["AZURE_FEDERATED_TOKEN_FILE"])),
        format!("a client secret ({})", unset(&["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"])),
        format!("Azure Arc ({})", unset(&["IDENTITY_ENDPOINT", "IMDS_ENDPOINT"])),
    ]
    .join("; ")
}

/// `auto`'s last resort, the Azure CLI: when it cannot sign in either, the error lists every source
/// `auto` tried and how to use an Azure VM's identity (which `auto` never picks on its own).
#[derive(Debug)]
struct AutoFallback {
    inner: Arc<dyn TokenCredential>,
    tried: String,
}

impl TokenCredential for AutoFallback {
    fn get_token<'a>(&'a self, scope: &'a str) -> futures::future::BoxFuture<'a, Result<super::AccessToken>> {
        Box::pin(async move {
            self.inner.get_token(scope).await.map_err(|e| {
                if e.kind() != crate::error::ErrorKind::Authentication {
                    return e;
                }
                super::auth_error(format!(
                    "no way to sign in was found. Tried, in order: {}; then the Azure CLI: {}. On an Azure VM, use its managed identity: --credential managed-identity (with --client-id for a user-assigned one)",
                    self.tried,
                    e.message()
                ))
            })
        })
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn invalidate(&self, scope: &str) {
        self.inner.invalidate(scope)
    }
}
