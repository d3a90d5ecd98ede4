//! Azure clouds: where ARM, Entra ID and Microsoft Graph live, and which Microsoft.StorageSync app id
//! each cloud uses.

use crate::error::{Error, Result};

/// The clouds by the names Azure itself gives them (`Get-AzEnvironment`, `az cloud list`), which are also
/// their serialized form; hence the shared prefix.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CloudName {
    AzureCloud,
    AzureUSGovernment,
    AzureChinaCloud,
}

impl CloudName {
    pub const ALL: [CloudName; 3] = [CloudName::AzureCloud, CloudName::AzureUSGovernment, CloudName::AzureChinaCloud];

    pub fn parse(s: &str) -> Result<Self> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        match norm.as_str() {
            "azurecloud" | "public" | "azurepubliccloud" => Ok(CloudName::AzureCloud),
            "azureusgovernment" | "usgov" | "azureusgovernmentcloud" => Ok(CloudName::AzureUSGovernment),
            "azurechinacloud" | "china" => Ok(CloudName::AzureChinaCloud),
            _ => Err(Error::invalid_input(format!(
                "unknown cloud '{}': use AzureCloud, AzureUSGovernment or AzureChinaCloud, or give --arm-endpoint",
                s.escape_debug()
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CloudName::AzureCloud => "AzureCloud",
            CloudName::AzureUSGovernment => "AzureUSGovernment",
            CloudName::AzureChinaCloud => "AzureChinaCloud",
        }
    }
}

/// The endpoints the tool talks to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cloud {
    /// `AzureCloud`, ... or `Custom` when an endpoint override is in use.
    pub name: String,
    /// ARM, without a trailing slash.
    pub resource_manager: String,
    /// Entra ID authority host, without a trailing slash.
    pub authority_host: String,
    /// Microsoft Graph, without a trailing slash; empty when none is known (a custom ARM endpoint without
    /// a Graph endpoint: Graph is then not asked at all).
    pub graph: String,
    /// The app id of the Microsoft.StorageSync first-party service principal, when known for this cloud.
    pub storage_sync_app_id: Option<String>,
}

impl Cloud {
    pub fn well_known(name: CloudName) -> Cloud {
        let (arm, login, graph, app) = match name {
            CloudName::AzureCloud => (
                "https://management.azure.com",
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
                Some("9469b9f5-6722-4481-a2b2-14ed560b706f"),
            ),
            CloudName::AzureUSGovernment => (
                "https://management.usgovcloudapi.net",
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
                Some("ce88d19b-f69a-4c2e-ac8a-d1aa9db611e8"),
            ),
            CloudName::AzureChinaCloud => (
                "https://management.chinacloudapi.cn",
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
                None,
            ),
        };
        Cloud {
            name: name.as_str().to_string(),
            resource_manager: arm.into(),
            authority_host: login.into(),
            graph: graph.into(),
            storage_sync_app_id: app.map(str::to_string),
        }
    }

    /// The cloud for a name, with an optional ARM endpoint override (and optional Graph override).
    pub fn resolve(name: Option<&str>, arm_endpoint: Option<&str>, graph_endpoint: Option<&str>) -> Result<Cloud> {
        let base = CloudName::parse(name.unwrap_or("AzureCloud"))?;
        let mut cloud = Cloud::well_known(base);
        if let Some(ep) = arm_endpoint {
            let ep = validate_endpoint("--arm-endpoint", ep)?;
            // The cloud's own ARM given explicitly (the module passes its Az environment's) keeps the cloud's
            // name, which the checks read (the private DNS zone of File Sync's private endpoints).
            if !ep.eq_ignore_ascii_case(&cloud.resource_manager) {
                cloud.name = "Custom".into();
            }
            cloud.resource_manager = ep;
            // The cloud's own Graph belongs with the cloud's own ARM: never send a token for a custom
            // (test, private) ARM endpoint's tenant to the public Graph.
            cloud.graph = String::new();
        }
        if let Some(ep) = graph_endpoint {
            cloud.graph = validate_endpoint("--graph-endpoint", ep)?;
        }
        // A token is for one audience: with one endpoint for both, an ARM token would reach Graph's
        // requests (or a Graph token ARM's).
        if !cloud.graph.is_empty() && cloud.graph.eq_ignore_ascii_case(&cloud.resource_manager) {
            return Err(Error::invalid_input(format!(
                "--graph-endpoint '{}' is the ARM endpoint: Microsoft Graph and Azure Resource Manager are different audiences, and a token for one is never sent to the other; give Graph's own endpoint, or leave it out",
                cloud.graph
            )));
        }
        Ok(cloud)
    }

    /// The token audience (scope) for ARM: `{arm}/.default`.
    pub fn arm_scope(&self) -> String {
        format!("{}/.default", self.resource_manager)
    }

    /// The token audience for Microsoft Graph.
    pub fn graph_scope(&self) -> String {
        format!("{}/.default", self.graph)
    }
}

/// Is `host` a loopback address (`localhost`, 127.0.0.0/8, `[::1]`)?
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// Check an endpoint URL: https anywhere, plain http only to a loopback address (the tests' fake ARM).
/// Returns it without a trailing slash.
pub fn validate_endpoint(flag: &str, url: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| Error::invalid_input(format!("{flag} '{}' is not a URL: {e}", url.escape_debug())))?;
    let host = parsed.host_str().unwrap_or("");
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => {
            return Err(Error::invalid_input(format!(
                "{flag} '{url}' uses plain http to a host that is not loopback; tokens are only sent over https (http is allowed for 127.0.0.1/localhost test servers)"
            )))
        }
        other => return Err(Error::invalid_input(format!("{flag} '{url}' has unsupported scheme '{other}'"))),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err(Error::invalid_input(format!("{flag} '{url}' must not carry a query, fragment or user name")));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_clouds_own_arm_endpoint_keeps_its_name() {
        let gov =
            Cloud::resolve(Some("AzureUSGovernment"), Some("https://management.usgovcloudapi.net/"), None).unwrap();
        assert_eq!(gov.name, "AzureUSGovernment");
        let custom = Cloud::resolve(Some("AzureUSGovernment"), Some("http://127.0.0.1:9"), None).unwrap();
        assert_eq!(custom.name, "Custom");
    }
    #[test]
    fn clouds_and_overrides() {
        assert_eq!(Cloud::resolve(None, None, None).unwrap().resource_manager, "https://management.azure.com");
        assert_eq!(
            Cloud::resolve(Some("azureusgovernment"), None, None).unwrap().resource_manager,
            "https://management.usgovcloudapi.net"
        );
        assert!(Cloud::resolve(Some("mars"), None, None).is_err());
        assert_eq!(
            Cloud::resolve(None, Some("http://127.0.0.1:8080/"), None).unwrap().resource_manager,
            "http://127.0.0.1:8080"
        );
        assert!(Cloud::resolve(None, Some("http://example.com"), None).is_err());
        assert!(Cloud::resolve(None, Some("https://example.com/?a=b"), None).is_err());
        assert!(Cloud::resolve(None, Some("ftp://localhost"), None).is_err());
        assert!(Cloud::resolve(None, Some("http://[::1]:9/"), None).is_ok());
    }

    #[test]
    fn a_custom_arm_endpoint_has_no_graph_unless_one_is_given() {
        assert_eq!(Cloud::resolve(None, None, None).unwrap().graph, "https://graph.microsoft.com");
        assert_eq!(Cloud::resolve(None, Some("http://127.0.0.1:8080"), None).unwrap().graph, "");
        assert_eq!(
            Cloud::resolve(None, Some("http://127.0.0.1:8080"), Some("http://127.0.0.1:8081/")).unwrap().graph,
            "http://127.0.0.1:8081"
        );
        // One endpoint for both audiences is refused, whatever the spelling.
        let e = Cloud::resolve(None, Some("http://127.0.0.1:8080"), Some("http://127.0.0.1:8080/")).unwrap_err();
        assert!(e.to_string().contains("different audiences"), "{e}");
    }
}
