//! Every credential against a local mock (an axum server on 127.0.0.1, a fake `az` script), plus the
//! cache, the option parsing, `auto` selection with an injected environment, and a sentinel check that no
//! secret reaches an error message or `Debug` output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::cloud::{Cloud, CloudName};
use crate::credentials::options::build_with;
use crate::credentials::{
    token_claims, AccessToken, AzureArcCredential, AzureCliCredential, CachingCredential, ClientSecretCredential,
    CredentialOptions, ManagedIdentityCredential, StaticTokenCredential, TokenCredential, WorkloadIdentityCredential,
};
use crate::{Error, ErrorKind, Secret};
use base64::Engine as _;
use chrono::Utc;
use futures::future::BoxFuture;
use serde_json::{json, Value};

const ARM: &str = "https://management.azure.com/.default";
const GRAPH: &str = "https://graph.microsoft.com/.default";

// ---------------------------------------------------------------------------------------------------
// A mock HTTP server: records every request, answers with a closure.

#[derive(Clone, Debug)]
struct Req {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: axum::http::HeaderMap,
    body: String,
}

fn pairs(s: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{s}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Req {
    fn q(&self, k: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
    fn h(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }
    fn form(&self) -> HashMap<String, String> {
        pairs(&self.body).into_iter().collect()
    }
}

struct Resp {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Option<Duration>,
}

impl Resp {
    fn json(status: u16, v: Value) -> Resp {
        Resp { status, headers: vec![("content-type", "application/json".into())], body: v.to_string(), delay: None }
    }
    fn text(status: u16, body: &str) -> Resp {
        Resp { status, headers: vec![], body: body.into(), delay: None }
    }
    fn header(mut self, k: &'static str, v: impl Into<String>) -> Resp {
        self.headers.push((k, v.into()));
        self
    }
    fn delayed(mut self, d: Duration) -> Resp {
        self.delay = Some(d);
        self
    }
}

type Handler = dyn Fn(&Req, usize) -> Resp + Send + Sync;

struct MockState {
    log: Mutex<Vec<Req>>,
    handler: Box<Handler>,
}

struct Mock {
    url: String,
    state: Arc<MockState>,
}

impl Mock {
    /// Start a server; `handler` gets each request and its index (0 for the first).
    async fn start(handler: impl Fn(&Req, usize) -> Resp + Send + Sync + 'static) -> Mock {
        use axum::body::{Body, Bytes};
        use axum::extract::State;
        use axum::http::{HeaderMap, Method, Uri};

        async fn handle(
            State(st): State<Arc<MockState>>,
            method: Method,
            uri: Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> axum::response::Response {
            let req = Req {
                method: method.to_string(),
                path: uri.path().to_string(),
                query: pairs(uri.query().unwrap_or("")),
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            };
            let n = {
                let mut log = st.log.lock().unwrap();
                log.push(req.clone());
                log.len() - 1
            };
            let resp = (st.handler)(&req, n);
            if let Some(d) = resp.delay {
                tokio::time::sleep(d).await;
            }
            let mut b = axum::response::Response::builder().status(resp.status);
            for (k, v) in resp.headers {
                b = b.header(k, v);
            }
            b.body(Body::from(resp.body)).unwrap()
        }

        let state = Arc::new(MockState { log: Mutex::new(Vec::new()), handler: Box::new(handler) });
        let app = axum::Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Mock { url: format!("http://{addr}"), state }
    }

    fn requests(&self) -> Vec<Req> {
        self.state.log.lock().unwrap().clone()
    }
    fn count(&self) -> usize {
        self.state.log.lock().unwrap().len()
    }
}

/// A loopback URL nobody listens on.
async fn refused_url() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn cloud() -> Cloud {
    Cloud::well_known(CloudName::AzureCloud)
}

fn jwt(claims: Value) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{}.signature", e.encode(r#"{"typ":"JWT","alg":"RS256"}"#), e.encode(claims.to_string()))
}

fn epoch_in(secs: i64) -> i64 {
    Utc::now().timestamp() + secs
}

fn token_body(token: &str, expires_in: i64) -> Value {
    json!({"access_token": token, "expires_on": epoch_in(expires_in).to_string(), "token_type": "Bearer",
       "resource": "https://management.azure.com"})
}

#[track_caller]
fn assert_kind(r: &Result<AccessToken, Error>, kind: ErrorKind) -> String {
    match r {
        Ok(_) => panic!("expected a {kind} error, got a token"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "wrong kind for: {e}");
            e.to_string()
        }
    }
}

const AADSTS_BODY: &str = "AADSTS700016: Application with identifier 'x' was not found in the directory 'contoso'.\r\nTrace ID: 9a2d Correlation ID: 5e1c Timestamp: 2024-01-01 00:00:00Z";

fn aadsts_error(echo: &str) -> Value {
    json!({"error": "unauthorized_client", "error_description": format!("{AADSTS_BODY} (received: {echo})"),
       "error_codes": [700016], "trace_id": "trace-1", "correlation_id": "corr-1"})
}

// ---------------------------------------------------------------------------------------------------
// Static token

#[tokio::test]
async fn static_token_reads_exp_and_accepts_opaque_tokens() {
    let exp = epoch_in(3600);
    let t = jwt(json!({"aud": "https://management.core.windows.net/", "exp": exp, "oid": "o1", "tid": "t1"}));
    let c = StaticTokenCredential::new(Secret::new(format!("Bearer {t} \n"))).unwrap();
    let got = c.get_token(ARM).await.unwrap();
    assert_eq!(got.token.expose(), t);
    assert_eq!(got.expires_on.unwrap().timestamp(), exp);
    assert_eq!(c.name(), "access token");
    assert_eq!(c.claims().unwrap().oid.as_deref(), Some("o1"));

    let opaque = StaticTokenCredential::new(Secret::new("not-a-jwt")).unwrap();
    let got = opaque.get_token(ARM).await.unwrap();
    assert_eq!(got.token.expose(), "not-a-jwt");
    assert!(got.expires_on.is_none());
    // An opaque token handed over is for ARM: a well-known other audience (Graph) is refused even
    // though the token cannot tell.
    let msg = assert_kind(&opaque.get_token(GRAPH).await, ErrorKind::Authentication);
    assert!(msg.contains("never sent to Microsoft Graph"), "{msg}");
    assert!(!msg.contains("not-a-jwt"), "{msg}");

    let empty = StaticTokenCredential::new(Secret::new("  ")).unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn static_token_expired_is_an_authentication_error() {
    let t = jwt(json!({"aud": "https://management.azure.com", "exp": epoch_in(-600)}));
    let c = StaticTokenCredential::new(Secret::new(t.clone())).unwrap();
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("expired"), "{msg}");
    assert!(msg.contains("Get-AzAccessToken"), "{msg}");
    assert!(msg.contains("az account get-access-token"), "{msg}");
    assert!(!msg.contains(&t));
}

#[tokio::test]
async fn static_token_audience_mismatch() {
    let t = jwt(json!({"aud": "https://management.core.windows.net/", "exp": epoch_in(3600)}));
    let c = StaticTokenCredential::new(Secret::new(t)).unwrap();
    assert!(c.get_token(ARM).await.is_ok());
    let msg = assert_kind(&c.get_token(GRAPH).await, ErrorKind::Authentication);
    assert!(msg.contains("Azure Resource Manager"), "{msg}");
    assert!(msg.contains("Microsoft Graph"), "{msg}");
    assert!(msg.contains("https://management.core.windows.net/"), "{msg}");
    assert!(msg.contains("https://graph.microsoft.com"), "{msg}");

    // A Graph token for ARM, and a public-cloud ARM token for US Government ARM.
    let g =
        StaticTokenCredential::new(Secret::new(jwt(json!({"aud": "00000003-0000-0000-c000-000000000000"})))).unwrap();
    assert_kind(&g.get_token(ARM).await, ErrorKind::Authentication);
    let gov = "https://management.usgovcloudapi.net/.default";
    assert_kind(&c.get_token(gov).await, ErrorKind::Authentication);
    // A custom (test) endpoint: no opinion.
    assert!(c.get_token("http://127.0.0.1:8080/.default").await.is_ok());
}

#[test]
fn token_claims_for_snapshots() {
    let t = Secret::new(jwt(json!({"oid": "o", "tid": "t", "aud": "a", "exp": 1_700_000_000, "appid": "app",
                              "upn": "u@contoso.com"})));
    let c = token_claims(&t).unwrap();
    assert_eq!(
        (c.oid.as_deref(), c.tid.as_deref(), c.aud.as_deref(), c.appid.as_deref(), c.upn.as_deref()),
        (Some("o"), Some("t"), Some("a"), Some("app"), Some("u@contoso.com"))
    );
    assert_eq!(c.exp.unwrap().timestamp(), 1_700_000_000);
    assert!(token_claims(&Secret::new("opaque")).is_none());
}

// ---------------------------------------------------------------------------------------------------
// Azure CLI (a fake `az`). One script, written once before any test runs it (writing an executable
// while another thread forks can make exec fail with ETXTBSY); it records its arguments in
// `<tenant>.args` and sources `<tenant>.sh` (not executable), so each test picks its behaviour with its
// own tenant id.

#[cfg(unix)]
fn fake_az() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("az");
    std::fs::write(
        &script,
        "#!/bin/sh\ndir=$(dirname \"$0\")\ntenant=none\nprev=\nfor a in \"$@\"; do\n  if [ \"$prev\" = --tenant ]; then tenant=\"$a\"; fi\n  prev=\"$a\"\ndone\nprintf '%s\\n' \"$@\" > \"$dir/$tenant.args\"\n. \"$dir/$tenant.sh\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
})
.path()
}

/// A fake `az` behaving as `body` (shell) for `tenant`.
#[cfg(unix)]
fn az_for(tenant: &str, body: &str) -> AzureCliCredential {
    let dir = fake_az();
    std::fs::write(dir.join(format!("{tenant}.sh")), body).unwrap();
    let c = AzureCliCredential::new().with_program(dir.join("az"));
    if tenant == "none" {
        c
    } else {
        c.with_tenant(tenant).unwrap()
    }
}

#[cfg(unix)]
fn az_args(tenant: &str) -> Vec<String> {
    std::fs::read_to_string(fake_az().join(format!("{tenant}.args"))).unwrap().lines().map(str::to_string).collect()
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_success() {
    let exp = epoch_in(3000);
    let c = az_for(
        "cli-ok",
        &format!(
            r#"echo '{{"accessToken":"tok-cli","expiresOn":"2030-01-01 00:00:00.000000","expires_on":{exp},"tokenType":"Bearer"}}'"#
        ),
    );
    let t = c.get_token(ARM).await.unwrap();
    assert_eq!(t.token.expose(), "tok-cli");
    assert_eq!(t.expires_on.unwrap().timestamp(), exp);
    assert_eq!(
        az_args("cli-ok"),
        ["account", "get-access-token", "--scope", ARM, "--output", "json", "--tenant", "cli-ok"]
    );
    assert_eq!(c.name(), "Azure CLI");

    // Older CLIs only give expiresOn, in local time.
    let c = az_for("none", r#"echo '{"accessToken":"tok-old","expiresOn":"2030-01-01 00:00:00.000000"}'"#);
    let t = c.get_token(ARM).await.unwrap();
    assert_eq!(t.token.expose(), "tok-old");
    assert!(t.expires_on.is_some());
    assert_eq!(az_args("none"), ["account", "get-access-token", "--scope", ARM, "--output", "json"]);
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_login_needed() {
    let c = az_for("cli-login", "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1");
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("az login --tenant cli-login"), "{msg}");
    assert!(msg.contains("Please run 'az login' to setup account."), "{msg}");

    let c =
        az_for("cli-aadsts", "echo 'ERROR: AADSTS70043: The refresh token has expired due to inactivity.' >&2\nexit 1");
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("AADSTS70043"), "{msg}");
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_missing() {
    let c = AzureCliCredential::new().with_program("/nonexistent/dir/az");
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("not found"), "{msg}");
    assert!(msg.contains("az login"), "{msg}");
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_timeout() {
    let c = az_for("cli-slow", "exec sleep 10").with_timeout(Duration::from_millis(300));
    let start = std::time::Instant::now();
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Network);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(msg.contains("did not answer within 0.3 s"), "{msg}");
}

#[cfg(unix)]
#[tokio::test]
async fn azure_cli_rejects_bad_scopes() {
    let c = az_for("cli-scope", "echo '{}'");
    let r = c.get_token("https://x/.default; rm -rf /").await;
    assert_kind(&r, ErrorKind::InvalidInput);
    assert!(AzureCliCredential::new().with_tenant("a b").is_err());
}

// ---------------------------------------------------------------------------------------------------
// Managed identity (IMDS)

fn imds(mock: &Mock) -> ManagedIdentityCredential {
    ManagedIdentityCredential::new(client())
        .with_endpoint(&mock.url)
        .unwrap()
        .with_retries(2, Duration::from_millis(10))
}

#[tokio::test]
async fn imds_success_system_and_user_assigned() {
    let exp = epoch_in(3600);
    let mock = Mock::start(move |_, n| {
        if n == 0 {
            Resp::json(200, json!({"access_token": "tok-imds", "expires_on": exp.to_string()}))
        } else {
            Resp::json(200, json!({"access_token": "tok-imds-2", "expires_on": exp}))
        }
    })
    .await;
    let t = imds(&mock).get_token(ARM).await.unwrap();
    assert_eq!(t.token.expose(), "tok-imds");
    assert_eq!(t.expires_on.unwrap().timestamp(), exp);
    let t = imds(&mock).with_client_id("11111111-2222-3333-4444-555555555555").unwrap().get_token(ARM).await.unwrap();
    assert_eq!(t.token.expose(), "tok-imds-2");
    assert_eq!(t.expires_on.unwrap().timestamp(), exp);

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/metadata/identity/oauth2/token");
        assert_eq!(r.q("api-version"), Some("2018-02-01"));
        assert_eq!(r.q("resource"), Some("https://management.azure.com"));
        assert_eq!(r.h("metadata"), Some("true"));
        assert!(r.h("authorization").is_none());
    }
    assert_eq!(reqs[0].q("client_id"), None);
    assert_eq!(reqs[1].q("client_id"), Some("11111111-2222-3333-4444-555555555555"));

    let mock2 = Mock::start(move |_, _| Resp::json(200, token_body("t", 3600))).await;
    imds(&mock2).with_object_id("oid-1").unwrap().get_token(ARM).await.unwrap();
    assert_eq!(mock2.requests()[0].q("object_id"), Some("oid-1"));
}

#[tokio::test]
async fn imds_failures() {
    let mock = Mock::start(|_, _| {
        Resp::json(400, json!({"error": "invalid_request", "error_description": "Identity not found"}))
    })
    .await;
    let msg = assert_kind(&imds(&mock).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("Identity not found"), "{msg}");
    assert!(msg.contains("system-assigned identity"), "{msg}");
    assert_eq!(mock.count(), 1, "a 400 is not retried");

    let mock = Mock::start(|_, _| Resp::json(400, aadsts_error("nothing"))).await;
    let msg = assert_kind(&imds(&mock).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("AADSTS700016"), "{msg}");
    assert!(msg.contains("trace-1"), "{msg}");

    // Transient answers are retried, then given up on as a Network error.
    let mock =
        Mock::start(|_, n| if n < 2 { Resp::text(500, "busy") } else { Resp::json(200, token_body("late", 3600)) })
            .await;
    assert_eq!(imds(&mock).get_token(ARM).await.unwrap().token.expose(), "late");
    assert_eq!(mock.count(), 3);
    let mock = Mock::start(|_, _| Resp::text(503, "busy")).await;
    let msg = assert_kind(&imds(&mock).get_token(ARM).await, ErrorKind::Network);
    assert!(msg.contains("503"), "{msg}");
    assert_eq!(mock.count(), 3);

    // Nobody listening: not an Azure VM.
    let c = ManagedIdentityCredential::new(client()).with_endpoint(&refused_url().await).unwrap();
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Network);
    assert!(msg.contains("did not answer"), "{msg}");
    assert!(msg.contains("Azure VM"), "{msg}");

    // Too slow.
    let mock = Mock::start(|_, _| Resp::json(200, token_body("t", 3600)).delayed(Duration::from_secs(3))).await;
    let msg =
        assert_kind(&imds(&mock).with_timeout(Duration::from_millis(200)).get_token(ARM).await, ErrorKind::Network);
    assert!(msg.contains("timed out"), "{msg}");

    // A 200 without a token.
    let mock = Mock::start(|_, _| Resp::json(200, json!({"expires_on": "1"}))).await;
    assert_kind(&imds(&mock).get_token(ARM).await, ErrorKind::Authentication);

    // Redirects are not followed.
    let mock = Mock::start(|_, _| Resp::text(302, "").header("location", "http://127.0.0.1:1/")).await;
    let msg = assert_kind(&imds(&mock).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("redirect"), "{msg}");

    assert!(ManagedIdentityCredential::new(client()).with_endpoint("http://example.com").is_err());
}

// ---------------------------------------------------------------------------------------------------
// Azure Arc

struct ArcSetup {
    keys: tempfile::TempDir,
    mock: Mock,
}

/// An Arc agent whose challenge names `realm` (relative names are joined to the key directory) and that
/// gives a token to whoever presents `key`.
async fn arc_agent(realm: impl Fn(&Path) -> PathBuf, key: &str) -> ArcSetup {
    let keys = tempfile::tempdir().unwrap();
    let realm = realm(keys.path());
    let expected = format!("Basic {key}");
    let mock = Mock::start(move |r, _| match r.h("authorization") {
        None => Resp::text(401, "").header("www-authenticate", format!("Basic realm={}", realm.display())),
        Some(a) if a == expected => Resp::json(200, token_body("tok-arc", 3600)),
        Some(a) => Resp::json(401, aadsts_error(a)),
    })
    .await;
    ArcSetup { keys, mock }
}

fn arc(s: &ArcSetup) -> AzureArcCredential {
    AzureArcCredential::new(client())
        .with_endpoint(&format!("{}/metadata/identity/oauth2/token", s.mock.url))
        .unwrap()
        .with_key_directory(s.keys.path())
}

#[tokio::test]
async fn arc_challenge_flow() {
    let s = arc_agent(|d| d.join("abc123.key"), "k3y-contents").await;
    std::fs::write(s.keys.path().join("abc123.key"), "k3y-contents\n").unwrap();
    let t = arc(&s).get_token(ARM).await.unwrap();
    assert_eq!(t.token.expose(), "tok-arc");
    assert!(t.expires_on.is_some());
    let reqs = s.mock.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/metadata/identity/oauth2/token");
        assert_eq!(r.q("api-version"), Some("2020-06-01"));
        assert_eq!(r.q("resource"), Some("https://management.azure.com"));
        assert_eq!(r.h("metadata"), Some("true"));
    }
    assert!(reqs[0].h("authorization").is_none());
    assert_eq!(reqs[1].h("authorization"), Some("Basic k3y-contents"));
    assert_eq!(arc(&s).name(), "Azure Arc managed identity");
}

#[tokio::test]
async fn arc_refuses_a_realm_outside_the_key_directory() {
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("stolen.key");
    std::fs::write(&outside, "not-for-you").unwrap();
    let o = outside.clone();
    let s = arc_agent(move |_| o.clone(), "not-for-you").await;
    let msg = assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("not inside the key directory"), "{msg}");
    assert_eq!(s.mock.count(), 1, "the file's contents were not sent");

    // `..` and symbolic links out of the directory are refused too.
    let s = arc_agent(|d| d.join("..").join("x.key"), "x").await;
    let msg = assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("'..'"), "{msg}");
    #[cfg(unix)]
    {
        let s = arc_agent(|d| d.join("link.key"), "not-for-you").await;
        std::os::unix::fs::symlink(&outside, s.keys.path().join("link.key")).unwrap();
        let msg = assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
        assert!(msg.contains("not inside the key directory"), "{msg}");
        assert_eq!(s.mock.count(), 1);
    }
    // /etc/shadow-like targets: not .key, not inside.
    let s = arc_agent(|_| PathBuf::from("/etc/shadow"), "x").await;
    let msg = assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("refusing"), "{msg}");
    // A relative realm.
    let s = arc_agent(|_| PathBuf::from("abc.key"), "x").await;
    assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
}

#[tokio::test]
async fn arc_refuses_non_key_files_and_big_files() {
    let s = arc_agent(|d| d.join("abc.txt"), "k").await;
    std::fs::write(s.keys.path().join("abc.txt"), "k").unwrap();
    let msg = assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains(".key"), "{msg}");
    assert_eq!(s.mock.count(), 1);

    let big = "a".repeat(4097);
    let s = arc_agent(|d| d.join("big.key"), &big).await;
    std::fs::write(s.keys.path().join("big.key"), &big).unwrap();
    let msg = assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("4097 bytes"), "{msg}");
    assert_eq!(s.mock.count(), 1);

    // Exactly 4096 bytes is fine.
    let ok = "b".repeat(4096);
    let s = arc_agent(|d| d.join("ok.key"), &ok).await;
    std::fs::write(s.keys.path().join("ok.key"), &ok).unwrap();
    assert!(arc(&s).get_token(ARM).await.is_ok());

    // A directory named like a key file.
    let s = arc_agent(|d| d.join("dir.key"), "k").await;
    std::fs::create_dir(s.keys.path().join("dir.key")).unwrap();
    let msg = assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("regular file"), "{msg}");
    // A missing file.
    let s = arc_agent(|d| d.join("gone.key"), "k").await;
    assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
}

#[tokio::test]
async fn arc_failures() {
    // The key is wrong: the AADSTS-style error is reported, the key is not.
    let s = arc_agent(|d| d.join("a.key"), "right-key").await;
    std::fs::write(s.keys.path().join("a.key"), "wrong-key-value").unwrap();
    let msg = assert_kind(&arc(&s).get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("AADSTS700016"), "{msg}");
    assert!(!msg.contains("wrong-key-value"), "{msg}");

    // 401 without a challenge.
    let mock = Mock::start(|_, _| Resp::text(401, "")).await;
    let c = AzureArcCredential::new(client())
        .with_endpoint(&format!("{}/metadata/identity/oauth2/token", mock.url))
        .unwrap();
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("WWW-Authenticate"), "{msg}");

    // 200 without a challenge.
    let mock = Mock::start(|_, _| Resp::json(200, token_body("t", 3600))).await;
    let c = AzureArcCredential::new(client()).with_endpoint(&mock.url).unwrap();
    assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);

    // Nobody listening, and too slow.
    let c = AzureArcCredential::new(client()).with_endpoint(&refused_url().await).unwrap();
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Network);
    assert!(msg.contains("Arc"), "{msg}");
    let mock = Mock::start(|_, _| Resp::text(401, "").delayed(Duration::from_secs(3))).await;
    let c =
        AzureArcCredential::new(client()).with_endpoint(&mock.url).unwrap().with_timeout(Duration::from_millis(200));
    assert_kind(&c.get_token(ARM).await, ErrorKind::Network);

    // The endpoint must be on this machine.
    let e = AzureArcCredential::new(client()).with_endpoint("https://example.com/token").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

// ---------------------------------------------------------------------------------------------------
// Client secret and workload identity (Entra ID)

fn entra_mock_ok(token: &'static str) -> impl Fn(&Req, usize) -> Resp + Send + Sync + 'static {
    move |_, _| {
        Resp::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}),
        )
    }
}

#[tokio::test]
async fn client_secret_success() {
    let mock = Mock::start(entra_mock_ok("tok-sp")).await;
    let c = ClientSecretCredential::new(client(), &cloud(), "contoso.onmicrosoft.com", "app-1", Secret::new("s3cret"))
        .unwrap()
        .with_authority_host(&mock.url)
        .unwrap();
    let t = c.get_token(ARM).await.unwrap();
    assert_eq!(t.token.expose(), "tok-sp");
    let exp = t.expires_on.unwrap();
    assert!(exp > Utc::now() + chrono::Duration::seconds(3500) && exp < Utc::now() + chrono::Duration::seconds(3600));
    let r = &mock.requests()[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token");
    assert!(r.query.is_empty());
    assert_eq!(r.h("content-type"), Some("application/x-www-form-urlencoded"));
    let f = r.form();
    assert_eq!(f.len(), 4, "{f:?}");
    assert_eq!(f["grant_type"], "client_credentials");
    assert_eq!(f["client_id"], "app-1");
    assert_eq!(f["client_secret"], "s3cret");
    assert_eq!(f["scope"], ARM);
    assert_eq!(c.name(), "client secret");
    // The default authority is the cloud's.
    assert!(format!("{:?}", ClientSecretCredential::new(client(), &cloud(), "t", "c", Secret::new("s")).unwrap())
        .contains("https://login.microsoftonline.com"));
    assert!(ClientSecretCredential::new(client(), &cloud(), "../evil", "c", Secret::new("s")).is_err());
}

#[tokio::test]
async fn client_secret_failures() {
    let mock = Mock::start(|r, _| Resp::json(401, aadsts_error(&r.form()["client_secret"]))).await;
    let c = ClientSecretCredential::new(client(), &cloud(), "tenant-1", "app-1", Secret::new("very-secret-value"))
        .unwrap()
        .with_authority_host(&mock.url)
        .unwrap();
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("AADSTS700016"), "{msg}");
    assert!(msg.contains("app-1") && msg.contains("tenant-1"), "{msg}");
    assert!(msg.contains("correlation id corr-1"), "{msg}");
    assert!(!msg.contains("very-secret-value"), "{msg}");
    assert!(!msg.contains("Timestamp"), "{msg}");

    let c = ClientSecretCredential::new(client(), &cloud(), "t", "c", Secret::new("s"))
        .unwrap()
        .with_authority_host(&refused_url().await)
        .unwrap();
    assert_kind(&c.get_token(ARM).await, ErrorKind::Network);

    let mock = Mock::start(|_, _| Resp::json(200, json!({})).delayed(Duration::from_secs(3))).await;
    let c = ClientSecretCredential::new(client(), &cloud(), "t", "c", Secret::new("s"))
        .unwrap()
        .with_authority_host(&mock.url)
        .unwrap()
        .with_timeout(Duration::from_millis(200));
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Network);
    assert!(msg.contains("timed out"), "{msg}");

    let mock = Mock::start(|_, _| Resp::text(503, "<html>down</html>")).await;
    let c = ClientSecretCredential::new(client(), &cloud(), "t", "c", Secret::new("s"))
        .unwrap()
        .with_authority_host(&mock.url)
        .unwrap();
    assert_kind(&c.get_token(ARM).await, ErrorKind::Network);
}

#[tokio::test]
async fn workload_identity_rereads_the_token_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "assertion-one\n").unwrap();
    let mock = Mock::start(entra_mock_ok("tok-wi")).await;
    let env: HashMap<&str, String> = [
        ("AZURE_TENANT_ID", "tenant-wi".to_string()),
        ("AZURE_CLIENT_ID", "client-wi".to_string()),
        ("AZURE_FEDERATED_TOKEN_FILE", file.display().to_string()),
    ]
    .into();
    let lookup = |k: &str| env.get(k).cloned();
    let c = WorkloadIdentityCredential::from_env(client(), &cloud(), &lookup, None, None, None)
        .unwrap()
        .with_authority_host(&mock.url)
        .unwrap();
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "tok-wi");
    std::fs::write(&file, "assertion-two").unwrap();
    c.get_token(ARM).await.unwrap();

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2);
    for (r, assertion) in reqs.iter().zip(["assertion-one", "assertion-two"]) {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/tenant-wi/oauth2/v2.0/token");
        assert_eq!(r.h("content-type"), Some("application/x-www-form-urlencoded"));
        let f = r.form();
        assert_eq!(f.len(), 5, "{f:?}");
        assert_eq!(f["grant_type"], "client_credentials");
        assert_eq!(f["client_id"], "client-wi");
        assert_eq!(f["scope"], ARM);
        assert_eq!(f["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        assert_eq!(f["client_assertion"], assertion);
    }

    // Arguments win over the environment.
    let c =
        WorkloadIdentityCredential::from_env(client(), &cloud(), &lookup, Some("other".into()), None, None).unwrap();
    assert!(format!("{c:?}").contains("\"other\""));
    // Missing settings.
    let none = |_: &str| None;
    let e = WorkloadIdentityCredential::from_env(client(), &cloud(), &none, None, None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("AZURE_TENANT_ID"));
}

#[tokio::test]
async fn workload_identity_failures() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "the-assertion").unwrap();
    let mock = Mock::start(|r, _| Resp::json(400, aadsts_error(&r.form()["client_assertion"]))).await;
    let c = WorkloadIdentityCredential::new(client(), &cloud(), "t", "c", &file)
        .unwrap()
        .with_authority_host(&mock.url)
        .unwrap();
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("AADSTS700016"), "{msg}");
    assert!(msg.contains("federated credential"), "{msg}");
    assert!(!msg.contains("the-assertion"), "{msg}");

    let c = WorkloadIdentityCredential::new(client(), &cloud(), "t", "c", dir.path().join("missing"))
        .unwrap()
        .with_authority_host(&mock.url)
        .unwrap();
    let msg = assert_kind(&c.get_token(ARM).await, ErrorKind::Authentication);
    assert!(msg.contains("AZURE_FEDERATED_TOKEN_FILE"), "{msg}");
    assert_eq!(mock.count(), 1);

    let c = WorkloadIdentityCredential::new(client(), &cloud(), "t", "c", &file)
        .unwrap()
        .with_authority_host(&refused_url().await)
        .unwrap();
    assert_kind(&c.get_token(ARM).await, ErrorKind::Network);
}

// ---------------------------------------------------------------------------------------------------
// Caching

#[tokio::test]
async fn cache_reuses_tokens_per_scope_and_invalidates() {
    let mock =
        Mock::start(|r, n| Resp::json(200, token_body(&format!("tok-{n}-{}", r.q("resource").unwrap()), 3600))).await;
    let c = CachingCredential::new(imds(&mock));
    let a = c.get_token(ARM).await.unwrap();
    let b = c.get_token(ARM).await.unwrap();
    assert_eq!(a.token, b.token);
    assert_eq!(mock.count(), 1, "the second call was served from the cache");
    let g = c.get_token(GRAPH).await.unwrap();
    assert_ne!(g.token, a.token);
    assert_eq!(mock.count(), 2, "another scope is another token");

    c.invalidate(ARM);
    let d = c.get_token(ARM).await.unwrap();
    assert_ne!(d.token, a.token);
    assert_eq!(mock.count(), 3);
    c.get_token(GRAPH).await.unwrap();
    assert_eq!(mock.count(), 3, "invalidating one scope keeps the others");
    assert_eq!(c.name(), "managed identity");
}

#[tokio::test]
async fn cache_refreshes_near_expiry() {
    // 60 s left is inside the five-minute margin: every call refreshes.
    let mock = Mock::start(|_, n| Resp::json(200, token_body(&format!("tok-{n}"), 60))).await;
    let c = CachingCredential::new(imds(&mock));
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "tok-0");
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "tok-1");
    assert_eq!(mock.count(), 2);

    // With a one-minute margin the same token is reused.
    let mock = Mock::start(|_, n| Resp::json(200, token_body(&format!("tok-{n}"), 600))).await;
    let c = CachingCredential::new(imds(&mock)).with_refresh_margin(Duration::from_secs(60));
    c.get_token(ARM).await.unwrap();
    c.get_token(ARM).await.unwrap();
    assert_eq!(mock.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cache_single_flight() {
    let mock =
        Mock::start(|_, n| Resp::json(200, token_body(&format!("tok-{n}"), 3600)).delayed(Duration::from_millis(300)))
            .await;
    let c = Arc::new(CachingCredential::new(imds(&mock)));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.get_token(ARM).await.map(|t| t.token.expose().to_string()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "tok-0");
    }
    assert_eq!(mock.count(), 1, "concurrent callers waited for one refresh");
}

/// Answers from a list, counting calls.
#[derive(Debug)]
struct Scripted {
    answers: Mutex<Vec<Result<AccessToken, Error>>>,
    calls: std::sync::atomic::AtomicUsize,
}

impl TokenCredential for Scripted {
    fn get_token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, Result<AccessToken, Error>> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let next = self.answers.lock().unwrap().remove(0);
        Box::pin(async move { next })
    }
    fn name(&self) -> &'static str {
        "scripted"
    }
}

#[tokio::test]
async fn cache_keeps_a_valid_token_when_a_refresh_fails() {
    let soon = Utc::now() + chrono::Duration::seconds(120);
    let inner = Arc::new(Scripted {
        answers: Mutex::new(vec![
            Ok(AccessToken::new(Secret::new("first"), Some(soon))),
            Err(Error::new(ErrorKind::Network, "down")),
            Err(Error::new(ErrorKind::Network, "down")),
        ]),
        calls: 0.into(),
    });
    let c = CachingCredential::from_arc(inner.clone());
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "first");
    // Within the margin: a refresh is tried, fails, and the still-valid token is returned.
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "first");
    assert_eq!(inner.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    // After invalidate (a 401) the old token is not offered again.
    c.invalidate(ARM);
    assert_eq!(c.get_token(ARM).await.unwrap_err().kind(), ErrorKind::Network);
}

// ---------------------------------------------------------------------------------------------------
// Options and `auto`

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k: &str| map.get(k).cloned()
}

fn auto_with(pairs: &[(&str, &str)]) -> Result<Arc<dyn TokenCredential>, Error> {
    build_with(&CredentialOptions::Auto, &cloud(), &env_of(pairs), Some(client()))
}

#[test]
fn auto_selection() {
    let all = [
        ("AZURE_ACCESS_TOKEN", "tok"),
        ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/azure/tokens/azure-identity-token"),
        ("AZURE_CLIENT_SECRET", "s"),
        ("AZURE_TENANT_ID", "t"),
        ("AZURE_CLIENT_ID", "c"),
        ("IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token"),
        ("IMDS_ENDPOINT", "http://localhost:40342"),
    ];
    assert_eq!(auto_with(&all).unwrap().name(), "access token");
    assert_eq!(auto_with(&all[1..]).unwrap().name(), "workload identity");
    assert_eq!(auto_with(&all[2..]).unwrap().name(), "client secret");
    assert_eq!(auto_with(&all[5..]).unwrap().name(), "Azure Arc managed identity");
    assert_eq!(auto_with(&[]).unwrap().name(), "Azure CLI");
    // Incomplete sets fall through.
    assert_eq!(auto_with(&all[2..4]).unwrap().name(), "Azure CLI");
    assert_eq!(auto_with(&all[5..6]).unwrap().name(), "Azure CLI");
    assert_eq!(auto_with(&[("AZURE_ACCESS_TOKEN", "  ")]).unwrap().name(), "Azure CLI");
    // The Azure CLI gets AZURE_TENANT_ID.
    let cli = auto_with(&[("AZURE_TENANT_ID", "tenant-x")]).unwrap();
    assert!(format!("{cli:?}").contains("tenant-x"));
    // Workload identity without its ids is an error that names them.
    let e = auto_with(&all[1..2]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("AZURE_TENANT_ID"), "{e}");
}

#[test]
fn options_from_json() {
    let p = |v: Value| CredentialOptions::from_json(&v);
    assert_eq!(p(json!({})).unwrap().kind(), "auto");
    assert_eq!(p(Value::Null).unwrap().kind(), "auto");
    assert_eq!(p(json!({"kind": "auto"})).unwrap().kind(), "auto");
    match p(json!({"kind": "accessToken", "token": "abc"})).unwrap() {
        CredentialOptions::AccessToken { token, .. } => assert_eq!(token.unwrap().expose(), "abc"),
        other => panic!("{other:?}"),
    }
    match p(json!({"kind": "managedIdentity", "clientId": "c", "endpoint": "http://127.0.0.1:1"})).unwrap() {
        CredentialOptions::ManagedIdentity { client_id, endpoint, object_id, resource_id } => {
            assert_eq!(client_id.as_deref(), Some("c"));
            assert_eq!(endpoint.as_deref(), Some("http://127.0.0.1:1"));
            assert!(object_id.is_none() && resource_id.is_none());
        }
        other => panic!("{other:?}"),
    }
    match p(json!({"kind": "azureArc", "keyDirectory": "/k"})).unwrap() {
        CredentialOptions::AzureArc { key_directory, endpoint } => {
            assert_eq!(key_directory, Some(PathBuf::from("/k")));
            assert!(endpoint.is_none());
        }
        other => panic!("{other:?}"),
    }
    match p(json!({"kind": "clientSecret", "tenantId": "t", "clientId": "c", "clientSecret": "s"})).unwrap() {
        CredentialOptions::ClientSecret { client_secret, tenant_id, .. } => {
            assert_eq!(client_secret.unwrap().expose(), "s");
            assert_eq!(tenant_id.as_deref(), Some("t"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p(json!({"kind": "azureCli", "tenantId": "t", "timeoutSeconds": 5})).unwrap().kind(), "azureCli");
    assert_eq!(p(json!({"kind": "workloadIdentity", "tokenFile": "/f"})).unwrap().kind(), "workloadIdentity");

    for bad in [
        json!({"kind": "password"}),
        json!({"kind": "accessToken", "tokn": "abc"}),
        json!({"kind": "azureCli", "timeoutSeconds": "soon"}),
        json!("accessToken"),
    ] {
        let e = p(bad.clone()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
    }
    assert!(p(json!({"kind": "password"})).unwrap_err().message().contains("managedIdentity"));
}

#[tokio::test]
async fn build_kinds() {
    let none = |_: &str| None;
    let b = |o: CredentialOptions| build_with(&o, &cloud(), &none, Some(client()));
    let e = b(CredentialOptions::AccessToken { token: None, graph_token: None }).unwrap_err();
    // A missing credential fails like a refused one (issue 15: the same exit code).
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert!(e.message().contains("AZURE_ACCESS_TOKEN"));
    let e = b(CredentialOptions::ManagedIdentity {
        client_id: Some("a".into()),
        object_id: Some("b".into()),
        resource_id: None,
        endpoint: None,
    })
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = b(CredentialOptions::ClientSecret {
        tenant_id: Some("t".into()),
        client_id: None,
        client_secret: None,
        authority_host: None,
    })
    .unwrap_err();
    assert!(e.message().contains("AZURE_CLIENT_ID") && e.message().contains("--client-id"), "{e}");
    assert_eq!(e.kind(), ErrorKind::Authentication);
    let e =
        b(CredentialOptions::AzureArc { endpoint: Some("http://10.0.0.1/x".into()), key_directory: None }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    // End to end: JSON -> build -> a cached managed identity credential against the mock.
    let mock = Mock::start(|_, n| Resp::json(200, token_body(&format!("tok-{n}"), 3600))).await;
    let o = CredentialOptions::from_json(&json!({"kind": "managedIdentity", "endpoint": mock.url, "clientId": "cid"}))
        .unwrap();
    let c = build_with(&o, &cloud(), &none, Some(client())).unwrap();
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "tok-0");
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "tok-0");
    assert_eq!(mock.count(), 1);
    assert_eq!(mock.requests()[0].q("client_id"), Some("cid"));
    c.invalidate(ARM);
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "tok-1");

    // A static token is not wrapped, and reads AZURE_ACCESS_TOKEN.
    let env = env_of(&[("AZURE_ACCESS_TOKEN", "opaque-from-env")]);
    let c =
        build_with(&CredentialOptions::AccessToken { token: None, graph_token: None }, &cloud(), &env, None).unwrap();
    assert_eq!(c.get_token(ARM).await.unwrap().token.expose(), "opaque-from-env");
}

// ---------------------------------------------------------------------------------------------------
// Sentinel: no secret in any error message or Debug output.

const SENTINEL: &str = "SENTINEL-c0ffee-5ecret";

#[tokio::test]
async fn secrets_never_appear_in_errors_or_debug() {
    let mut seen: Vec<String> = Vec::new();
    fn rec(seen: &mut Vec<String>, label: &str, r: &Result<AccessToken, Error>) {
        match r {
            Ok(t) => seen.push(format!("{label}: {t:?}")),
            Err(e) => seen.push(format!("{label}: {e} / {e:?} / {}", e.to_json())),
        }
    }

    // Static tokens: the sentinel is the signature part of JWTs.
    let sjwt = |claims: Value| format!("{}.{SENTINEL}", jwt(claims).rsplit_once('.').unwrap().0);
    let good = StaticTokenCredential::new(Secret::new(sjwt(
        json!({"aud": "https://management.azure.com", "exp": epoch_in(3600)}),
    )))
    .unwrap();
    rec(&mut seen, "static ok", &good.get_token(ARM).await);
    rec(&mut seen, "static aud", &good.get_token(GRAPH).await);
    let expired = StaticTokenCredential::new(Secret::new(sjwt(json!({"exp": epoch_in(-60)})))).unwrap();
    rec(&mut seen, "static expired", &expired.get_token(ARM).await);
    let opaque = StaticTokenCredential::new(Secret::new(SENTINEL)).unwrap();
    rec(&mut seen, "static opaque", &opaque.get_token(ARM).await);
    seen.push(format!("{good:?} {expired:?} {opaque:?}"));

    // Azure CLI: the token on stdout, and stdout that is not the expected JSON.
    #[cfg(unix)]
    {
        let ok =
            az_for("sentinel-ok", &format!(r#"echo '{{"accessToken":"{SENTINEL}","expires_on":{}}}'"#, epoch_in(3600)));
        rec(&mut seen, "cli ok", &ok.get_token(ARM).await);
        let garbage = az_for("sentinel-garbage", &format!(r#"echo 'Warning: {SENTINEL}'"#));
        rec(&mut seen, "cli garbage", &garbage.get_token(ARM).await);
        let noexp = az_for("sentinel-notoken", &format!(r#"echo '{{"token":"{SENTINEL}"}}'"#));
        rec(&mut seen, "cli no token", &noexp.get_token(ARM).await);
        let jwt_stderr =
            az_for("sentinel-stderr", &format!("echo 'ERROR: token {} rejected' >&2; exit 1", sjwt(json!({"a": 1}))));
        rec(&mut seen, "cli stderr", &jwt_stderr.get_token(ARM).await);
        seen.push(format!("{ok:?}"));
    }

    // IMDS: the token in a good answer and in a malformed one.
    let mock = Mock::start(|_, n| match n {
        0 => Resp::json(200, token_body(SENTINEL, 3600)),
        _ => Resp::json(200, json!({"access_token": 1, "note": SENTINEL})),
    })
    .await;
    let mi = imds(&mock);
    rec(&mut seen, "imds ok", &mi.get_token(ARM).await);
    rec(&mut seen, "imds bad", &mi.get_token(ARM).await);
    let cached = CachingCredential::new(imds(&mock));
    let _ = cached.get_token(ARM).await;
    seen.push(format!("{mi:?} {cached:?}"));

    // Arc: the key file holds the sentinel; a failing agent echoes the Authorization header back.
    let s = arc_agent(|d| d.join("s.key"), SENTINEL).await;
    std::fs::write(s.keys.path().join("s.key"), SENTINEL).unwrap();
    rec(&mut seen, "arc ok", &arc(&s).get_token(ARM).await);
    let s2 = arc_agent(|d| d.join("s.key"), "other").await;
    std::fs::write(s2.keys.path().join("s.key"), SENTINEL).unwrap();
    rec(&mut seen, "arc refused", &arc(&s2).get_token(ARM).await);
    seen.push(format!("{:?}", arc(&s)));

    // Client secret: the secret is the sentinel; a failing Entra ID echoes it back.
    let ok = Mock::start(entra_mock_ok("tok")).await;
    let fail = Mock::start(|r, _| Resp::json(401, aadsts_error(&r.body))).await;
    for (label, m) in [("sp ok", &ok), ("sp fail", &fail)] {
        let c = ClientSecretCredential::new(client(), &cloud(), "t", "c", Secret::new(SENTINEL))
            .unwrap()
            .with_authority_host(&m.url)
            .unwrap();
        rec(&mut seen, label, &c.get_token(ARM).await);
        seen.push(format!("{c:?}"));
    }

    // Workload identity: the assertion is the sentinel.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, SENTINEL).unwrap();
    for (label, m) in [("wi ok", &ok), ("wi fail", &fail)] {
        let c = WorkloadIdentityCredential::new(client(), &cloud(), "t", "c", &file)
            .unwrap()
            .with_authority_host(&m.url)
            .unwrap();
        rec(&mut seen, label, &c.get_token(ARM).await);
        seen.push(format!("{c:?}"));
    }

    // Options and what build makes of them.
    let opts = [
        json!({"kind": "accessToken", "token": SENTINEL}),
        json!({"kind": "clientSecret", "tenantId": "t", "clientId": "c", "clientSecret": SENTINEL}),
    ];
    for o in &opts {
        let parsed = CredentialOptions::from_json(o).unwrap();
        seen.push(format!("{parsed:?}"));
        let built = build_with(&parsed, &cloud(), &|_: &str| None, Some(client())).unwrap();
        seen.push(format!("{built:?}"));
    }
    for bad in [
        json!({"kind": "clientSecret", "clientSecret": SENTINEL, "extra": SENTINEL}),
        json!({"kind": "azureCli", "timeoutSeconds": SENTINEL}),
        json!({"kind": SENTINEL}),
        json!({"kind": "accessToken", "token": 5, "x": SENTINEL}),
    ] {
        let e = CredentialOptions::from_json(&bad).unwrap_err();
        seen.push(format!("{e} {e:?}"));
    }
    let env = env_of(&[("AZURE_ACCESS_TOKEN", SENTINEL), ("AZURE_CLIENT_SECRET", SENTINEL)]);
    let built = build_with(&CredentialOptions::Auto, &cloud(), &env, None).unwrap();
    seen.push(format!("{built:?}"));

    assert!(seen.len() > 25, "{}", seen.len());
    for s in &seen {
        assert!(!s.contains("c0ffee"), "a secret leaked: {s}");
    }
    // The good paths did produce the sentinel tokens (so the checks above are meaningful).
    assert_eq!(good.get_token(ARM).await.unwrap().token.expose().rsplit('.').next(), Some(SENTINEL));
}
