//! HTTP plumbing shared by the credentials that ask a token endpoint: clients, errors, response parsing.

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use super::jwt::epoch_value;
use super::{auth_error, scrub, AccessToken};
use crate::cloud::is_loopback_host;
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// Timeout of the clients made here (and of a token request in general).
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Token responses are small; anything bigger than this is not one.
const MAX_BODY: usize = 1024 * 1024;

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(DEFAULT_HTTP_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("filesync-identity/", env!("CARGO_PKG_VERSION")))
}

/// A client for token requests to Entra ID: 30 s timeout, never follows redirects, system proxy settings.
/// A client passed to a credential instead must not follow redirects either.
pub fn default_http_client() -> Result<reqwest::Client> {
    builder().build().map_err(|e| Error::internal(format!("could not set up the HTTP client: {}", error_chain(&e))))
}

/// Like [`default_http_client`] but without any proxy: for the VM metadata service (169.254.169.254) and the
/// Azure Arc agent (localhost), which must be reached directly.
pub fn local_http_client() -> Result<reqwest::Client> {
    builder()
        .no_proxy()
        .build()
        .map_err(|e| Error::internal(format!("could not set up the HTTP client: {}", error_chain(&e))))
}

/// An error and its sources, joined with `: `, each said once.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// A failed request (no answer at all) as a Network error. `what` names the endpoint, `hint` says what to do.
pub(crate) fn network_error(what: &str, err: reqwest::Error, hint: &str) -> Error {
    let err = err.without_url();
    let cause = if err.is_timeout() {
        "the request timed out".to_string()
    } else if err.is_connect() {
        format!("could not connect ({})", error_chain(&err))
    } else {
        error_chain(&err)
    };
    let mut msg = format!("{what} did not answer: {cause}");
    if !hint.is_empty() {
        msg.push_str(". ");
        msg.push_str(hint);
    }
    Error::new(ErrorKind::Network, msg).with_source(err)
}

/// Send a token request. Refuses redirects (even when the injected client would follow them, the final URL
/// is checked) and turns transport failures into Network errors.
pub(crate) async fn send(
    req: reqwest::RequestBuilder,
    timeout: Option<Duration>,
    what: &str,
    hint: &str,
) -> Result<reqwest::Response> {
    let req = match timeout {
        Some(t) => req.timeout(t),
        None => req,
    };
    let (client, request) = req.build_split();
    let request = request.map_err(|e| {
        Error::internal(format!("could not build the request to {what}: {}", error_chain(&e.without_url())))
    })?;
    let url = request.url().clone();
    let resp = client.execute(request).await.map_err(|e| network_error(what, e, hint))?;
    if resp.url() != &url || resp.status().is_redirection() {
        return Err(auth_error(format!(
            "{what} answered with a redirect (HTTP {}); token requests never follow redirects: check the endpoint",
            resp.status().as_u16()
        )));
    }
    Ok(resp)
}

/// The body, at most 1 MiB.
pub(crate) async fn read_body(mut resp: reqwest::Response, what: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| network_error(what, e, ""))? {
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(auth_error(format!("{what} answered with more than 1 MiB; that is not a token response")));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Parse `{"access_token", "expires_on" | "expires_in"}` (IMDS, Arc, Entra ID). `Err` says what is wrong
/// without quoting the body.
pub(crate) fn parse_token_response(body: &[u8]) -> std::result::Result<AccessToken, &'static str> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "the answer is not JSON")?;
    let token = match v.get("access_token") {
        Some(Value::String(t)) if !t.trim().is_empty() => Secret::new(t.trim()),
        _ => return Err("the answer has no access_token"),
    };
    let expires_on = v.get("expires_on").and_then(epoch_value).or_else(|| {
        let secs = match v.get("expires_in")? {
            Value::Number(n) => n.as_i64()?,
            Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        Utc::now().checked_add_signed(chrono::Duration::seconds(secs))
    });
    Ok(AccessToken { token, expires_on })
}

/// What an error answer said: OAuth-style `{"error", "error_description", "error_codes", "trace_id",
/// "correlation_id"}`, or a short scrubbed excerpt of a non-JSON body.
#[derive(Debug, Default)]
pub(crate) struct ErrorAnswer {
    pub status: u16,
    pub error: Option<String>,
    pub description: Option<String>,
    pub codes: Vec<i64>,
    pub trace_id: Option<String>,
    pub correlation_id: Option<String>,
    pub text: Option<String>,
}

impl ErrorAnswer {
    pub fn parse(status: u16, body: &[u8], secrets: &[&Secret]) -> ErrorAnswer {
        let mut a = ErrorAnswer { status, ..Default::default() };
        match serde_json::from_slice::<Value>(body) {
            Ok(v) if v.is_object() => {
                let s = |k: &str| v.get(k).and_then(Value::as_str).map(|x| scrub(x, secrets)).filter(|x| !x.is_empty());
                // `error` is a string in OAuth answers, an object `{code, message}` in some others.
                a.error = s("error").or_else(|| {
                    v.get("error").and_then(|e| e.get("code")).and_then(Value::as_str).map(|x| scrub(x, secrets))
                });
                a.description = s("error_description").or_else(|| {
                    v.get("error").and_then(|e| e.get("message")).and_then(Value::as_str).map(|x| scrub(x, secrets))
                });
                // Entra ID appends "Trace ID: ... Correlation ID: ... Timestamp: ..." on new lines: keep line one.
                if let Some(d) = &a.description {
                    let first = d.split(" Trace ID:").next().unwrap_or(d).trim().to_string();
                    a.description = Some(first);
                }
                a.codes = v
                    .get("error_codes")
                    .and_then(Value::as_array)
                    .map(|c| c.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
                a.trace_id = s("trace_id");
                a.correlation_id = s("correlation_id");
            }
            _ => {
                let text = String::from_utf8_lossy(body);
                let t = scrub(&text, secrets);
                if !t.is_empty() {
                    a.text = Some(super::truncate_chars(&t, 200));
                }
            }
        }
        a
    }

    /// The `AADSTS` code, from the description or `error_codes`.
    pub fn aadsts(&self) -> Option<String> {
        if let Some(d) = &self.description {
            if let Some(pos) = d.find("AADSTS") {
                let code: String = d[pos..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                return Some(code);
            }
        }
        self.codes.first().map(|c| format!("AADSTS{c}"))
    }

    /// `HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided. (trace id ..., correlation id ...)`
    pub fn summary(&self) -> String {
        let mut s = format!("HTTP {}", self.status);
        if let Some(e) = &self.error {
            s.push_str(": ");
            s.push_str(e);
        }
        match (&self.description, self.aadsts()) {
            (Some(d), Some(code)) if !d.contains(&code) => s.push_str(&format!(": {code}: {d}")),
            (Some(d), _) => s.push_str(&format!(": {d}")),
            (None, Some(code)) => s.push_str(&format!(": {code}")),
            (None, None) => {}
        }
        if let Some(t) = &self.text {
            s.push_str(&format!(": {t}"));
        }
        let mut ids = Vec::new();
        if let Some(t) = &self.trace_id {
            ids.push(format!("trace id {t}"));
        }
        if let Some(c) = &self.correlation_id {
            ids.push(format!("correlation id {c}"));
        }
        if !ids.is_empty() {
            s.push_str(&format!(" ({})", ids.join(", ")));
        }
        s
    }

    /// Transient answers (429, 5xx) are Network errors; the rest are Authentication errors.
    pub fn kind(&self) -> ErrorKind {
        if self.status == 429 || self.status >= 500 {
            ErrorKind::Network
        } else {
            ErrorKind::Authentication
        }
    }
}

/// Check the URL of a local identity endpoint: https, or plain http to a loopback or link-local
/// (169.254.0.0/16) address; no query, fragment or user. Returns it without a trailing slash.
pub(crate) fn validate_identity_endpoint(what: &str, url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| Error::invalid_input(format!("{what} '{}' is not a URL: {e}", url.escape_debug())))?;
    let host = parsed.host_str().unwrap_or("");
    let link_local = host.parse::<std::net::Ipv4Addr>().map(|ip| ip.is_link_local()).unwrap_or(false);
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) || link_local => {}
        "http" => {
            return Err(Error::invalid_input(format!(
                "{what} '{url}' uses plain http to a host that is neither loopback nor link-local; use https"
            )))
        }
        other => return Err(Error::invalid_input(format!("{what} '{url}' has unsupported scheme '{other}'"))),
    }
    if parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(Error::invalid_input(format!("{what} '{url}' must not carry a query, fragment or user name")));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses() {
        let t = parse_token_response(br#"{"access_token":"abc","expires_on":"1700000000"}"#).unwrap();
        assert_eq!(t.token.expose(), "abc");
        assert_eq!(t.expires_on.unwrap().timestamp(), 1_700_000_000);
        let t = parse_token_response(br#"{"access_token":"abc","expires_on":1700000000}"#).unwrap();
        assert_eq!(t.expires_on.unwrap().timestamp(), 1_700_000_000);
        let t = parse_token_response(br#"{"access_token":"abc","expires_in":3599}"#).unwrap();
        assert!(t.expires_on.unwrap() > Utc::now() + chrono::Duration::seconds(3500));
        assert!(parse_token_response(br#"{"token":"abc"}"#).is_err());
        assert!(parse_token_response(b"<html>").is_err());
    }

    #[test]
    fn error_answers() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Trace ID: 1 Correlation ID: 2","error_codes":[7000215],"trace_id":"t1","correlation_id":"c1"}"#;
        let a = ErrorAnswer::parse(401, body, &[]);
        assert_eq!(a.aadsts().as_deref(), Some("AADSTS7000215"));
        assert_eq!(
            a.summary(),
            "HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided. (trace id t1, correlation id c1)"
        );
        let a =
            ErrorAnswer::parse(400, br#"{"error":"invalid_request","error_description":"Identity not found"}"#, &[]);
        assert_eq!(a.summary(), "HTTP 400: invalid_request: Identity not found");
        let a = ErrorAnswer::parse(400, br#"{"error":"x","error_codes":[50034]}"#, &[]);
        assert_eq!(a.summary(), "HTTP 400: x: AADSTS50034");
        let a = ErrorAnswer::parse(503, b"Service Unavailable", &[]);
        assert_eq!(a.summary(), "HTTP 503: Service Unavailable");
        assert_eq!(a.kind(), ErrorKind::Network);
    }

    #[test]
    fn identity_endpoints() {
        assert!(validate_identity_endpoint("e", "http://169.254.169.254").is_ok());
        assert!(validate_identity_endpoint("e", "http://localhost:40342/metadata/identity/oauth2/token").is_ok());
        assert!(validate_identity_endpoint("e", "http://127.0.0.1:1").is_ok());
        assert!(validate_identity_endpoint("e", "http://example.com").is_err());
        assert!(validate_identity_endpoint("e", "https://example.com/x?y=1").is_err());
        assert!(validate_identity_endpoint("e", "file:///etc/passwd").is_err());
    }
}
