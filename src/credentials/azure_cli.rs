//! The Azure CLI: `az account get-access-token --scope <scope> --output json [--tenant <tenant>]`.
//!
//! The CLI's standard output holds the token: it is parsed and dropped, never quoted in an error.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use serde_json::Value;

use super::jwt::epoch_value;
use super::{auth_error, fmt_duration, scrub, validate_id, validate_scope, AccessToken, TokenCredential};
use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;

/// Timeout for one `az` run.
pub const DEFAULT_CLI_TIMEOUT: Duration = Duration::from_secs(30);

/// Gets tokens from the Azure CLI the user signed in with (`az login`).
#[derive(Clone)]
pub struct AzureCliCredential {
    program: Option<PathBuf>,
    tenant_id: Option<String>,
    timeout: Duration,
}

impl Default for AzureCliCredential {
    fn default() -> Self {
        Self::new()
    }
}

impl AzureCliCredential {
    /// Runs `az` from `PATH` (through `cmd /c` on Windows, where `az` is a batch file), 30 s timeout.
    pub fn new() -> Self {
        AzureCliCredential { program: None, tenant_id: None, timeout: DEFAULT_CLI_TIMEOUT }
    }

    /// Ask for a token in this tenant (`--tenant`).
    pub fn with_tenant(mut self, tenant_id: impl Into<String>) -> Result<Self> {
        let t = tenant_id.into();
        validate_id("the tenant id", &t)?;
        self.tenant_id = Some(t);
        Ok(self)
    }

    /// Run this program instead of `az` (tests use a fake script). It is started directly, without a shell.
    #[cfg(test)]
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn command(&self, scope: &str) -> tokio::process::Command {
        let mut args: Vec<OsString> =
            ["account", "get-access-token", "--scope", scope, "--output", "json"].iter().map(OsString::from).collect();
        if let Some(t) = &self.tenant_id {
            args.push("--tenant".into());
            args.push(t.into());
        }
        let mut cmd = match &self.program {
            Some(p) => tokio::process::Command::new(p),
            None if cfg!(windows) => {
                // `az` is `az.cmd`: it needs the command interpreter. The scope and tenant were checked to
                // contain only [A-Za-z0-9_.:/-], so nothing in them means anything to cmd.
                let mut c = tokio::process::Command::new("cmd.exe");
                c.args(["/d", "/c", "az"]);
                c
            }
            None => tokio::process::Command::new("az"),
        };
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Keep the CLI from asking questions or printing colours.
            .env("AZURE_CORE_NO_COLOR", "true")
            .env("AZURE_CORE_ONLY_SHOW_ERRORS", "true");
        cmd
    }

    fn login_hint(&self) -> String {
        match &self.tenant_id {
            Some(t) => format!("run `az login --tenant {t}`"),
            None => "run `az login`".to_string(),
        }
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        validate_scope(scope)?;
        let child = self.command(scope).spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                auth_error(format!(
                    "the Azure CLI (`az`) was not found: install it and {}, or sign in another way (--access-token, a managed identity)",
                    self.login_hint()
                ))
            } else {
                auth_error(format!("the Azure CLI could not be started: {e}"))
            }
        })?;
        let output = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(r) => r.map_err(|e| auth_error(format!("the Azure CLI could not be run: {e}")))?,
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Network,
                    format!(
                        "the Azure CLI did not answer within {}: run `az account get-access-token --scope {scope}` yourself to see what it waits for",
                        fmt_duration(self.timeout)
                    ),
                ))
            }
        };
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stderr = scrub(stderr.trim().trim_start_matches("ERROR:").trim(), &[]);
            let not_found = stderr.contains("is not recognized as an internal or external command")
                || output.status.code() == Some(127) && stderr.contains("not found");
            if not_found {
                return Err(auth_error(format!(
                    "the Azure CLI (`az`) was not found: install it and {}, or sign in another way",
                    self.login_hint()
                )));
            }
            let detail = if stderr.is_empty() { format!("it exited with {}", output.status) } else { stderr };
            return Err(auth_error(format!(
                "the Azure CLI could not get a token for {scope}: {detail}. To sign in, {}",
                self.login_hint()
            )));
        }
        parse_cli_output(&output.stdout).map_err(|why| {
            auth_error(format!(
                "the Azure CLI's answer to `az account get-access-token` could not be used ({why}); update the Azure CLI or {}",
                self.login_hint()
            ))
        })
    }
}

/// `{"accessToken": "...", "expiresOn": "2024-01-01 10:00:00.000000" (local time), "expires_on": 1704103200}`.
fn parse_cli_output(stdout: &[u8]) -> std::result::Result<AccessToken, &'static str> {
    let v: Value = serde_json::from_slice(stdout).map_err(|_| "it is not JSON")?;
    let token = match v.get("accessToken") {
        Some(Value::String(t)) if !t.trim().is_empty() => Secret::new(t.trim()),
        _ => return Err("it has no accessToken"),
    };
    let expires_on = v
        .get("expires_on")
        .and_then(epoch_value)
        .or_else(|| v.get("expiresOn").and_then(Value::as_str).and_then(parse_local_time));
    Ok(AccessToken { token, expires_on })
}

/// The CLI's `expiresOn`: local time without an offset, with or without fractional seconds.
fn parse_local_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    Local.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

impl fmt::Debug for AzureCliCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCliCredential")
            .field("program", &self.program)
            .field("tenant_id", &self.tenant_id)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl TokenCredential for AzureCliCredential {
    fn get_token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.fetch(scope))
    }

    fn name(&self) -> &'static str {
        "Azure CLI"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_output() {
        let t = parse_cli_output(br#"{"accessToken":"tok","expiresOn":"2030-01-01 10:00:00.000000","expires_on":1893492000,"tokenType":"Bearer"}"#).unwrap();
        assert_eq!(t.token.expose(), "tok");
        assert_eq!(t.expires_on.unwrap().timestamp(), 1_893_492_000);
        let t = parse_cli_output(br#"{"accessToken":"tok","expiresOn":"2030-01-01 10:00:00.123456"}"#).unwrap();
        let local = Local
            .from_local_datetime(&NaiveDateTime::parse_from_str("2030-01-01 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap());
        assert_eq!(t.expires_on.unwrap().timestamp(), local.earliest().unwrap().timestamp());
        assert!(parse_cli_output(b"not json").is_err());
        assert!(parse_cli_output(br#"{"expiresOn":"x"}"#).is_err());
    }
}
