//! Reading this machine: its instance metadata and identity token (through the existing Arc and IMDS
//! credentials), its proxy settings, and the reachability of the hosts its sync needs. All the I/O of
//! `test --local` is here; `judge.rs` decides.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::facts::{
    AgentState, Endpoint, IdentityFacts, InstanceFacts, LocalFacts, MachineSource, ProbeResult, ProxyFacts, Step,
};
use crate::credentials::{AzureArcCredential, ManagedIdentityCredential, TokenCredential};
use crate::error::{Error, Result};

/// The scope of the token whose claims say which identity the machine uses for Azure Files.
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";

/// The Arc agent's instance metadata endpoint when `IMDS_ENDPOINT` is not set.
pub const DEFAULT_ARC_METADATA_ENDPOINT: &str = "http://localhost:40342";

/// How `test --local` reads this machine. Every field is optional; the defaults are the real agent's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalOptions {
    /// The Arc agent's token endpoint (else `IDENTITY_ENDPOINT`, else the agent's default).
    #[serde(default)]
    pub arc_identity_endpoint: Option<String>,
    /// The Arc agent's metadata endpoint, scheme and authority (else `IMDS_ENDPOINT`, else
    /// `http://localhost:40342`).
    #[serde(default)]
    pub arc_metadata_endpoint: Option<String>,
    /// Where the Arc agent writes its key files (else its default directory).
    #[serde(default)]
    pub arc_key_directory: Option<PathBuf>,
    /// The Azure VM metadata service (else `http://169.254.169.254`).
    #[serde(default)]
    pub imds_endpoint: Option<String>,
    /// `HOST:PORT:ADDRESS` pins, curl's `--resolve`: HOST on PORT is reached at ADDRESS without a DNS
    /// lookup. ADDRESS may carry its own port (`127.0.0.1:8443`, `[::1]:8443`) to aim the probe there.
    #[serde(default)]
    pub resolve: Vec<String>,
    /// Time limit of each step of a probe, in seconds (default 5).
    #[serde(default)]
    pub probe_timeout_seconds: Option<f64>,
    /// The File Sync agent's state, as the module reads it on Windows.
    #[serde(default)]
    pub agent: Option<AgentState>,
}

/// One `--resolve` pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub host: String,
    pub port: u16,
    pub address: IpAddr,
    /// The port to connect to instead of `port`, when the address carried one.
    pub connect_port: Option<u16>,
}

/// Read `HOST:PORT:ADDRESS` pins, refusing a malformed one by what is wrong.
pub fn parse_pins(pins: &[String]) -> Result<Vec<Pin>> {
    pins.iter().map(|p| parse_pin(p)).collect()
}

fn parse_pin(raw: &str) -> Result<Pin> {
    let bad = |why: &str| {
        Error::invalid_input(format!(
            "--resolve '{}' is not valid: {why}; expected HOST:PORT:ADDRESS (like curl's), e.g. stsync.file.core.windows.net:443:10.1.2.4",
            raw.escape_debug()
        ))
    };
    let mut parts = raw.trim().splitn(3, ':');
    let (host, port, address) = match (parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(a)) => (h, p, a),
        _ => return Err(bad("it needs three parts")),
    };
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
        return Err(bad("the host is not a DNS name"));
    }
    let port: u16 =
        port.parse().ok().filter(|p| *p > 0).ok_or_else(|| bad("the port is not a number from 1 to 65535"))?;
    let address = address.trim();
    let (address, connect_port) =
        if let Ok(ip) = address.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            (ip, None)
        } else if let Ok(sa) = address.parse::<SocketAddr>() {
            (sa.ip(), Some(sa.port()).filter(|p| *p > 0))
        } else {
            return Err(bad("the address is not an IP address (or IP:PORT)"));
        };
    Ok(Pin { host: host.to_ascii_lowercase(), port, address, connect_port })
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// This computer's name, as the agent registers it.
fn host_name() -> Option<String> {
    env("COMPUTERNAME")
        .or_else(|| env("HOSTNAME"))
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
}

/// A proxy URL without the user and password it may carry.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_string(),
        },
        None => match url.split_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => url.to_string(),
        },
    }
}

fn proxy_facts() -> ProxyFacts {
    let get = |a: &str, b: &str| env(a).or_else(|| env(b)).map(|v| without_credentials(&v));
    ProxyFacts {
        https_proxy: get("HTTPS_PROXY", "https_proxy"),
        http_proxy: get("HTTP_PROXY", "http_proxy"),
        no_proxy: get("NO_PROXY", "no_proxy"),
    }
}

/// A local metadata endpoint: http(s) on loopback or link-local only (nothing here may leave the machine).
fn local_endpoint(what: &str, url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| Error::invalid_input(format!("{what} '{}' is not a URL: {e}", url.escape_debug())))?;
    let host = parsed.host_str().unwrap_or("");
    let link_local = host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_link_local());
    if !matches!(parsed.scheme(), "http" | "https") || !(crate::cloud::is_loopback_host(host) || link_local) {
        return Err(Error::invalid_input(format!(
            "{what} '{}' must be on this machine (http to localhost, 127.0.0.1 or 169.254.169.254)",
            url.escape_debug()
        )));
    }
    Ok(parsed)
}

/// An error and its sources, joined with `: `.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// `compute` of `{base}/metadata/instance`.
async fn instance_metadata(
    http: &reqwest::Client,
    base: &reqwest::Url,
    api_version: &str,
    timeout: Duration,
) -> std::result::Result<InstanceFacts, String> {
    let mut url = base.clone();
    let path = format!("{}/metadata/instance", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url.query_pairs_mut().append_pair("api-version", api_version);
    let resp = http
        .get(url.clone())
        .header("Metadata", "true")
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| format!("{} did not answer: {}", url.as_str(), error_chain(&e)))?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| format!("{} broke off its answer: {e}", url.as_str()))?;
    if !status.is_success() {
        return Err(format!("{} answered {}", url.as_str(), status.as_u16()));
    }
    let v: serde_json::Value = serde_json::from_slice(&body[..body.len().min(1 << 20)])
        .map_err(|_| format!("{} did not answer with JSON", url.as_str()))?;
    let compute = v.get("compute").unwrap_or(&v);
    let s = |k: &str| compute.get(k).and_then(|x| x.as_str()).map(str::to_string).filter(|x| !x.is_empty());
    let facts = InstanceFacts {
        name: s("name"),
        resource_id: s("resourceId"),
        location: s("location"),
        subscription_id: s("subscriptionId"),
    };
    if facts.name.is_none() && facts.resource_id.is_none() {
        return Err(format!("{} answered without the machine's name or resource id", url.as_str()));
    }
    Ok(facts)
}

/// The claims of a storage token from `credential`; the token itself is dropped here.
async fn identity_claims(credential: &dyn TokenCredential) -> std::result::Result<IdentityFacts, String> {
    let token = credential.get_token(STORAGE_SCOPE).await.map_err(|e| e.to_string())?;
    let claims = crate::credentials::token_claims(&token.token)
        .ok_or_else(|| "the token is not a JWT: its claims cannot be read".to_string())?;
    Ok(IdentityFacts { oid: claims.oid, tid: claims.tid, xms_mirid: claims.managed_identity_resource_id })
}

/// What the machine's identity sources say: metadata and token claims, from the Arc agent when it is
/// configured (its endpoints given or in the environment), else from the VM metadata service, else (when
/// neither answered) whatever the Arc agent's default endpoint says.
async fn machine_and_identity(options: &LocalOptions, timeout: Duration, facts: &mut LocalFacts) -> Result<()> {
    let http = crate::credentials::local_http_client()?;
    let arc_identity = options.arc_identity_endpoint.clone().or_else(|| env("IDENTITY_ENDPOINT"));
    let arc_metadata = options.arc_metadata_endpoint.clone().or_else(|| env("IMDS_ENDPOINT"));
    let arc_configured = arc_identity.is_some() || arc_metadata.is_some();
    let arc = |identity: Option<String>, metadata: Option<String>| -> Result<(reqwest::Url, AzureArcCredential)> {
        let metadata = local_endpoint(
            "the Azure Arc metadata endpoint (IMDS_ENDPOINT)",
            metadata.as_deref().unwrap_or(DEFAULT_ARC_METADATA_ENDPOINT),
        )?;
        let mut c = AzureArcCredential::new(http.clone()).with_timeout(timeout);
        if let Some(i) = &identity {
            c = c.with_endpoint(i)?;
        }
        if let Some(d) = &options.arc_key_directory {
            c = c.with_key_directory(d.clone());
        }
        Ok((metadata, c))
    };
    let vm = || -> Result<(reqwest::Url, ManagedIdentityCredential)> {
        let base = options.imds_endpoint.clone().unwrap_or_else(|| crate::credentials::DEFAULT_IMDS_ENDPOINT.into());
        let url = local_endpoint("the VM metadata endpoint", &base)?;
        let c = ManagedIdentityCredential::new(http.clone())
            .with_endpoint(&base)?
            .with_timeout(timeout)
            .with_retries(0, Duration::from_millis(100));
        Ok((url, c))
    };
    let mut errors = Vec::new();
    let try_vm = !arc_configured;
    if try_vm {
        let (url, credential) = vm()?;
        match instance_metadata(&http, &url, "2021-02-01", timeout).await {
            Ok(m) => {
                facts.source = Some(MachineSource::AzureVm);
                facts.machine = Some(m);
                match identity_claims(&credential).await {
                    Ok(i) => facts.identity = Some(i),
                    Err(e) => facts.identity_error = Some(e),
                }
                return Ok(());
            }
            Err(e) => errors.push(format!("the VM metadata service: {e}")),
        }
        if options.imds_endpoint.is_some() {
            facts.machine_error = Some(errors.join("; "));
            facts.identity_error = facts.machine_error.clone();
            return Ok(());
        }
    }
    let (url, credential) = arc(arc_identity, arc_metadata)?;
    match instance_metadata(&http, &url, "2020-06-01", timeout).await {
        Ok(m) => {
            facts.source = Some(MachineSource::AzureArc);
            facts.machine = Some(m);
        }
        Err(e) => errors.push(format!("the Azure Arc agent: {e}")),
    }
    match identity_claims(&credential).await {
        Ok(i) => {
            facts.source = Some(MachineSource::AzureArc);
            facts.identity = Some(i);
        }
        Err(e) => facts.identity_error = Some(if facts.source.is_some() { e } else { errors.join("; ") }),
    }
    if facts.machine.is_none() {
        facts.machine_error = Some(errors.join("; "));
    }
    Ok(())
}

/// Everything about the machine except the probes (which need to know the server first).
pub async fn gather_machine(options: &LocalOptions) -> Result<LocalFacts> {
    let timeout = probe_timeout(options)?;
    let mut facts =
        LocalFacts { host_name: host_name(), proxy: proxy_facts(), agent: options.agent.clone(), ..Default::default() };
    machine_and_identity(options, timeout, &mut facts).await?;
    Ok(facts)
}

pub fn probe_timeout(options: &LocalOptions) -> Result<Duration> {
    match options.probe_timeout_seconds {
        None => Ok(Duration::from_secs(5)),
        Some(s) if s.is_finite() && (0.05..=120.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(Error::invalid_input(format!("the probe timeout must be from 0.05 to 120 seconds, not {s}"))),
    }
}

/// Probe every endpoint at once: DNS (or the pin), TCP, then TLS with the host's name.
pub async fn probe_all(endpoints: Vec<Endpoint>, pins: &[Pin], timeout: Duration) -> Vec<ProbeResult> {
    let tls =
        <tokio_rustls::rustls::ClientConfig as rustls_platform_verifier::ConfigVerifierExt>::with_platform_verifier()
            .map(Arc::new)
            .map_err(|e| e.to_string());
    let tls = &tls;
    futures::future::join_all(endpoints.into_iter().map(|e| {
        let pin = pins.iter().find(|p| p.host.eq_ignore_ascii_case(&e.host) && p.port == e.port).cloned();
        async move { probe(e, pin, timeout, tls).await }
    }))
    .await
}

async fn probe(
    endpoint: Endpoint,
    pin: Option<Pin>,
    timeout: Duration,
    tls: &std::result::Result<Arc<tokio_rustls::rustls::ClientConfig>, String>,
) -> ProbeResult {
    let port = pin.as_ref().and_then(|p| p.connect_port).unwrap_or(endpoint.port);
    let mut r = ProbeResult {
        pinned: pin.as_ref().map(|p| p.address),
        addresses: Vec::new(),
        connected_port: port,
        failed_step: None,
        error: None,
        timed_out: false,
        endpoint,
    };
    let secs = timeout.as_secs_f64();
    let fail = |r: &mut ProbeResult, step: Step, error: String, timed_out: bool| {
        r.failed_step = Some(step);
        r.error = Some(error);
        r.timed_out = timed_out;
    };
    // 1. DNS, unless pinned.
    if let Some(p) = &pin {
        r.addresses = vec![p.address];
    } else {
        let lookup = tokio::net::lookup_host(format!("{}:{port}", r.endpoint.host));
        let answer = tokio::time::timeout(timeout, lookup).await;
        match answer {
            Ok(Ok(addrs)) => {
                let mut seen = Vec::new();
                for a in addrs {
                    if !seen.contains(&a.ip()) {
                        seen.push(a.ip());
                    }
                }
                if seen.is_empty() {
                    fail(&mut r, Step::Dns, "no address".into(), false);
                    return r;
                }
                r.addresses = seen;
            }
            Ok(Err(e)) => {
                fail(&mut r, Step::Dns, e.to_string(), false);
                return r;
            }
            Err(_) => {
                fail(&mut r, Step::Dns, format!("no answer within {secs} s"), true);
                return r;
            }
        }
    }
    // 2. TCP, to the first address that answers (at most three tried).
    let mut stream = None;
    let mut last = (String::new(), false);
    for ip in r.addresses.iter().take(3) {
        match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(SocketAddr::new(*ip, port))).await {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => last = (format!("{ip}:{port}: {e}"), false),
            Err(_) => last = (format!("{ip}:{port}: no answer within {secs} s"), true),
        }
    }
    let Some(stream) = stream else {
        fail(&mut r, Step::Tcp, last.0, last.1);
        return r;
    };
    if !r.endpoint.tls {
        return r;
    }
    // 3. TLS, with the host's name (SNI and the certificate's name).
    let config = match tls {
        Ok(c) => c.clone(),
        Err(e) => {
            fail(&mut r, Step::Tls, format!("no TLS configuration: {e}"), false);
            return r;
        }
    };
    let name = match tokio_rustls::rustls::pki_types::ServerName::try_from(r.endpoint.host.clone()) {
        Ok(n) => n,
        Err(e) => {
            fail(&mut r, Step::Tls, format!("not a TLS server name: {e}"), false);
            return r;
        }
    };
    let connector = tokio_rustls::TlsConnector::from(config);
    match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => fail(&mut r, Step::Tls, e.to_string(), false),
        Err(_) => fail(&mut r, Step::Tls, format!("no answer within {secs} s"), true),
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_read_like_curls_resolve_with_an_optional_port() {
        let p = parse_pins(&["St.File.Core.Windows.Net:443:10.1.2.4".into(), "a.b:443:[::1]:8443".into()]).unwrap();
        assert_eq!(
            p[0],
            Pin {
                host: "st.file.core.windows.net".into(),
                port: 443,
                address: "10.1.2.4".parse().unwrap(),
                connect_port: None
            }
        );
        assert_eq!((p[1].address, p[1].connect_port), ("::1".parse().unwrap(), Some(8443)));
        assert_eq!(parse_pins(&["h:443:::1".into()]).unwrap()[0].address, "::1".parse::<IpAddr>().unwrap());
        for bad in ["h:443", "h:0:1.2.3.4", "h:https:1.2.3.4", "h:443:not-an-ip", "h/x:443:1.2.3.4"] {
            let e = parse_pins(&[bad.into()]).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains("HOST:PORT:ADDRESS"), "{e}");
        }
    }

    #[test]
    fn a_proxys_credentials_are_not_kept() {
        assert_eq!(without_credentials("http://user:pw@proxy:8080"), "http://***@proxy:8080");
        assert_eq!(without_credentials("proxy:8080"), "proxy:8080");
    }

    #[test]
    fn metadata_endpoints_stay_on_this_machine() {
        assert!(local_endpoint("x", "http://169.254.169.254").is_ok());
        assert!(local_endpoint("x", "http://localhost:40342").is_ok());
        let e = local_endpoint("the VM metadata endpoint", "http://example.com").unwrap_err().to_string();
        assert!(e.contains("must be on this machine"), "{e}");
    }
}
