//! The managed identity of an Azure Arc-enabled server, from the Connected Machine agent's local endpoint.
//!
//! 1. `GET {IDENTITY_ENDPOINT}?api-version=2020-06-01&resource={resource}` with `Metadata: true` answers
//!    401 with `WWW-Authenticate: Basic realm={path of a .key file}`.
//! 2. The key file is read, and only if it is a regular `.key` file of at most 4096 bytes directly inside
//!    the agent's key directory (after resolving symbolic links and `..`): a local process posing as the
//!    agent must not be able to make this tool read, and send, any other file (say `/etc/shadow`).
//! 3. The request is repeated with `Authorization: Basic {file contents}`.
//!
//! Reading the key file needs root (or the `himds` group) on Linux and Administrator rights on Windows.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::future::BoxFuture;

use super::http::{parse_token_response, read_body, send, validate_identity_endpoint, ErrorAnswer};
use super::{auth_error, scope_to_resource, truncate_chars, validate_scope, AccessToken, TokenCredential};
use crate::cloud::is_loopback_host;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The agent's identity endpoint when `IDENTITY_ENDPOINT` is not set.
pub const DEFAULT_ARC_ENDPOINT: &str = "http://localhost:40342/metadata/identity/oauth2/token";

const ARC_API_VERSION: &str = "2020-06-01";

/// The largest key file accepted.
const MAX_KEY_FILE: u64 = 4096;

/// Where the agent writes its key files: `%ProgramData%\AzureConnectedMachineAgent\Tokens` on Windows,
/// `/var/opt/azcmagent/tokens` elsewhere.
pub fn default_arc_key_directory() -> PathBuf {
    if cfg!(windows) {
        let program_data = std::env::var_os("ProgramData").unwrap_or_else(|| r"C:\ProgramData".into());
        PathBuf::from(program_data).join("AzureConnectedMachineAgent").join("Tokens")
    } else {
        PathBuf::from("/var/opt/azcmagent/tokens")
    }
}

/// A token for the Arc-enabled server's system-assigned identity.
#[derive(Clone)]
pub struct AzureArcCredential {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    key_directory: PathBuf,
    timeout: Option<Duration>,
}

impl AzureArcCredential {
    /// The default endpoint and key directory. Use a client without a proxy ([`super::local_http_client`]).
    pub fn new(http: reqwest::Client) -> Self {
        AzureArcCredential {
            http,
            endpoint: reqwest::Url::parse(DEFAULT_ARC_ENDPOINT).expect("the default endpoint is a URL"),
            key_directory: default_arc_key_directory(),
            timeout: None,
        }
    }

    /// The full token URL (`IDENTITY_ENDPOINT`). It must be on this machine (a loopback address): the key
    /// file's contents are sent to it.
    pub fn with_endpoint(mut self, endpoint: &str) -> Result<Self> {
        let url = validate_identity_endpoint("the Azure Arc identity endpoint (IDENTITY_ENDPOINT)", endpoint)?;
        if !is_loopback_host(url.host_str().unwrap_or("")) {
            return Err(Error::invalid_input(format!(
                "the Azure Arc identity endpoint (IDENTITY_ENDPOINT) '{endpoint}' is not on this machine; the Arc agent listens on {DEFAULT_ARC_ENDPOINT}"
            )));
        }
        self.endpoint = url;
        Ok(self)
    }

    /// The directory the key file must be in.
    pub fn with_key_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.key_directory = dir.into();
        self
    }

    /// Per-request timeout (default: the client's).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        validate_scope(scope)?;
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("api-version", ARC_API_VERSION)
            .append_pair("resource", scope_to_resource(scope));
        let what = format!("the Azure Arc identity endpoint ({})", self.endpoint.as_str());
        let hint = "Is this an Azure Arc-enabled server with the Connected Machine agent running (`azcmagent show`)?";

        // 1. The challenge.
        let req = self.http.get(url.clone()).header("Metadata", "true").header("Accept", "application/json");
        let resp = send(req, self.timeout, &what, hint).await?;
        let status = resp.status().as_u16();
        if status != 401 {
            let body = read_body(resp, &what).await?;
            if (200..300).contains(&status) {
                return Err(auth_error(format!(
                    "{what} answered without asking for its key file (expected a 401 challenge). {hint}"
                )));
            }
            let answer = ErrorAnswer::parse(status, &body, &[]);
            return Err(Error::new(answer.kind(), format!("{what} refused a token: {}", answer.summary())));
        }
        let realm = resp
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(basic_realm)
            .ok_or_else(|| {
                auth_error(format!(
                    "{what} answered 401 without a `WWW-Authenticate: Basic realm=<key file>` challenge. {hint}"
                ))
            })?;
        let _ = read_body(resp, &what).await;

        // 2. The key file.
        let dir = self.key_directory.clone();
        let key = tokio::task::spawn_blocking(move || read_key_file(&realm, &dir))
            .await
            .map_err(|e| Error::internal(format!("reading the Azure Arc key file failed: {e}")))??;

        // 3. The token.
        let req = self
            .http
            .get(url)
            .header("Metadata", "true")
            .header("Accept", "application/json")
            .header(reqwest::header::AUTHORIZATION, format!("Basic {}", key.expose()));
        let resp = send(req, self.timeout, &what, hint).await?;
        let status = resp.status().as_u16();
        let body = read_body(resp, &what).await?;
        if (200..300).contains(&status) {
            return parse_token_response(&body)
                .map_err(|why| auth_error(format!("{what} gave an unusable answer: {why}")));
        }
        let answer = ErrorAnswer::parse(status, &body, &[&key]);
        Err(Error::new(
            answer.kind(),
            format!("{what} refused a token after the key-file challenge: {}", answer.summary()),
        ))
    }
}

/// `Basic realm=/path/to/file.key` (quotes optional) -> the path.
fn basic_realm(header: &str) -> Option<String> {
    let h = header.trim();
    let (scheme, rest) = h.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let rest = rest.trim();
    let pos = rest.to_ascii_lowercase().find("realm=")?;
    let value = rest[pos + "realm=".len()..].trim();
    let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    (!value.is_empty()).then(|| value.to_string())
}

fn has_key_extension(p: &Path) -> bool {
    match p.extension().and_then(|e| e.to_str()) {
        Some(e) if cfg!(windows) => e.eq_ignore_ascii_case("key"),
        Some(e) => e == "key",
        None => false,
    }
}

/// Equal paths, component by component (case-insensitively on Windows).
fn same_path(a: &Path, b: &Path) -> bool {
    if cfg!(windows) {
        a.to_string_lossy()
            .trim_end_matches(['\\', '/'])
            .eq_ignore_ascii_case(b.to_string_lossy().trim_end_matches(['\\', '/']))
    } else {
        a == b
    }
}

/// Read the key file named by the challenge, after checking it is one the agent would have written.
fn read_key_file(realm: &str, key_directory: &Path) -> Result<Secret> {
    let shown = truncate_chars(&realm.escape_debug().to_string(), 300);
    let refuse = |why: &str| {
        auth_error(format!(
            "refusing the Azure Arc key file '{shown}' named by the identity endpoint: {why}. Only a .key file of at most {MAX_KEY_FILE} bytes directly inside {} is read; is something else listening on the Arc agent's port?",
            key_directory.display()
        ))
    };
    let path = Path::new(realm);
    if !path.is_absolute() {
        return Err(refuse("it is not an absolute path"));
    }
    if !has_key_extension(path) {
        return Err(refuse("it does not end in .key"));
    }
    if path.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return Err(refuse("it contains '..'"));
    }
    let lexically_inside = path.parent().is_some_and(|p| same_path(p, key_directory));
    let dir = key_directory.canonicalize().map_err(|e| {
        if !lexically_inside {
            return refuse("it is not inside the key directory");
        }
        auth_error(format!(
            "the Azure Arc key directory {} cannot be read ({e}): run as root or a member of the himds group (Linux) or as Administrator (Windows)",
            key_directory.display()
        ))
    })?;
    let file = path.canonicalize().map_err(|e| {
        if !lexically_inside {
            refuse("it is not inside the key directory")
        } else if e.kind() == std::io::ErrorKind::PermissionDenied {
            auth_error(format!(
                "the Azure Arc key file '{shown}' cannot be read ({e}): run as root or a member of the himds group (Linux) or as Administrator (Windows)"
            ))
        } else {
            refuse(&format!("it cannot be found ({e})"))
        }
    })?;
    if file.parent() != Some(dir.as_path()) {
        return Err(refuse("it is not inside the key directory"));
    }
    if !has_key_extension(&file) {
        return Err(refuse("it does not end in .key"));
    }
    let meta = std::fs::metadata(&file).map_err(|e| refuse(&format!("it cannot be read ({e})")))?;
    if !meta.is_file() {
        return Err(refuse("it is not a regular file"));
    }
    if meta.len() > MAX_KEY_FILE {
        return Err(refuse(&format!("it has {} bytes", meta.len())));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&file)
        .and_then(|f| f.take(MAX_KEY_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                auth_error(format!(
                    "the Azure Arc key file '{shown}' cannot be read ({e}): run as root or a member of the himds group (Linux) or as Administrator (Windows)"
                ))
            } else {
                refuse(&format!("it cannot be read ({e})"))
            }
        })?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(refuse("it grew past the size limit while being read"));
    }
    let text = String::from_utf8(bytes).map_err(|_| refuse("it is not text"))?;
    let key = Secret::new(text.trim());
    if key.is_empty() {
        return Err(refuse("it is empty"));
    }
    Ok(key)
}

impl fmt::Debug for AzureArcCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureArcCredential")
            .field("endpoint", &self.endpoint.as_str())
            .field("key_directory", &self.key_directory)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl TokenCredential for AzureArcCredential {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.fetch(scope))
    }

    fn name(&self) -> &'static str {
        "Azure Arc managed identity"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realms() {
        assert_eq!(
            basic_realm("Basic realm=/var/opt/azcmagent/tokens/a.key").as_deref(),
            Some("/var/opt/azcmagent/tokens/a.key")
        );
        assert_eq!(basic_realm("basic realm=\"C:\\x\\a.key\"").as_deref(), Some("C:\\x\\a.key"));
        assert_eq!(basic_realm("Bearer realm=/x.key"), None);
        assert_eq!(basic_realm("Basic"), None);
        assert_eq!(basic_realm("Basic realm="), None);
    }

    #[test]
    fn default_directory() {
        let d = default_arc_key_directory();
        if cfg!(windows) {
            assert!(d.ends_with(r"AzureConnectedMachineAgent\Tokens"));
        } else {
            assert_eq!(d, PathBuf::from("/var/opt/azcmagent/tokens"));
        }
    }
}
