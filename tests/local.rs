//! Issue 24: `test --local` on a registered server: which server this machine is, the identity it really
//! gets tokens for, and whether it reaches what sync needs; against the fake ARM and a fake Arc agent or
//! VM metadata service on loopback. Everything a test writes (the agent's key files) stays in its own
//! temporary folder.

mod support;

use std::net::TcpListener;

use fake_arm::agent::{AgentSeed, FakeAgent, TOKEN_SENTINEL};
use fake_arm::*;
use filesync_identity::api::{self, CancellationToken, Session};
use filesync_identity::api::{BufferSink, EventSink};
use support::*;

/// The identity fs1's machine has after a reset (the registered server still holds P_S1).
const P_NEW: &str = "5a5a5a5a-0000-4000-8000-0000000000f1";
const STORAGE_HOST: &str = "stsyncprod.file.core.windows.net";
const OTHER_HOSTS: [&str; 3] = ["westus01.afs.azure.net", "tm-westus01.afs.azure.net", "login.microsoftonline.com"];

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A loopback port that accepts TCP and then closes (so TLS fails there, after TCP succeeded).
fn accepting_port() -> (u16, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    l.set_nonblocking(false).unwrap();
    let h = std::thread::spawn(move || {
        // Accept a few connections and drop them; the listener goes with the thread.
        for _ in 0..8 {
            let Ok((s, _)) = l.accept() else { return };
            drop(s);
        }
    });
    (port, h)
}

fn drifted() -> Deployment {
    let mut d = healthy();
    d.machines[0].principal_id = Some(P_NEW.into());
    d
}

/// The command line's `test --local` for the service, aimed at the fake agent, with the storage host
/// pinned to `storage_port` and every other host to `other_port` on loopback.
fn local_cli(
    fake: &FakeArm,
    agent: &FakeAgent,
    keys: &std::path::Path,
    storage_port: u16,
    other_port: u16,
) -> std::process::Command {
    let mut c = live_cli(fake, "test");
    c.args(["--resource-id", &service_id(), "--activity-days", "0", "--local", "--probe-timeout", "2"])
        .arg("--arc-key-directory")
        .arg(keys)
        .args(["--resolve", &format!("{STORAGE_HOST}:443:127.0.0.1:{storage_port}")])
        .env("IDENTITY_ENDPOINT", agent.identity_endpoint())
        .env("IMDS_ENDPOINT", agent.url())
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy");
    for h in OTHER_HOSTS {
        c.args(["--resolve", &format!("{h}:443:127.0.0.1:{other_port}")]);
    }
    c
}

/// Done when (1): on a drift deployment (the machine's identity re-created, the registered server on the
/// old one) `test --local` names the mismatch with the command to run here; (2) with the share's storage
/// endpoint pinned to a closed port, it names the host, the port and the step. The token never shows.
#[tokio::test]
async fn a_drifted_server_is_told_the_command_to_run_here_and_a_closed_storage_port_is_named() {
    let fake = FakeArm::start(drifted().topology()).await;
    let keys = tempfile::tempdir().unwrap();
    let agent = FakeAgent::start(AgentSeed::arc(keys.path(), &machine1_id(), P_NEW, &fake.tenant_id()));
    let closed = closed_port();
    let (open, _listener) = accepting_port();
    let out = local_cli(&fake, &agent, keys.path(), closed, open).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let local = &stdout[stdout.find("On this server").expect("an on-server section")..];
    if std::env::var_os("SHOW_LOCAL").is_some() {
        eprintln!("{local}");
    }
    // The mismatch, with the command to run on this server.
    let line = local.lines().find(|l| l.contains("local.identity")).expect("an identity finding");
    assert!(line.contains("FAIL") && line.contains(P_NEW) && line.contains(P_S1), "{local}");
    assert!(
        local
            .contains("Set-AzStorageSyncServer -ResourceGroupName rg-sync -StorageSyncServiceName sync-prod -Identity")
            && local.contains("elevated"),
        "{local}"
    );
    // The closed port: host, port and step.
    let reach = local
        .lines()
        .find(|l| l.contains("local.reach") && l.contains(STORAGE_HOST))
        .expect("a finding for the storage account");
    assert!(reach.contains("FAIL") && reach.contains(&format!("port {closed}")), "{reach}");
    assert!(reach.contains("TCP connection failed") && reach.contains("refused"), "{reach}");
    // The Arc agent was asked through its challenge, and its key file was read only from our folder.
    let asked: Vec<_> = agent.requests().into_iter().filter(|r| r.path_and_query.contains("oauth2/token")).collect();
    assert!(asked.len() >= 2 && asked.iter().any(|r| r.authorized), "{asked:?}");
    assert!(asked.iter().all(|r| r.path_and_query.contains("storage.azure.com")), "{asked:?}");
    // What only Windows knows was not read here, and says so.
    let agent_line = local.lines().find(|l| l.contains("local.agent")).expect("an agent finding");
    assert!(agent_line.contains("were not read") && agent_line.contains("on Windows"), "{agent_line}");
    // Never the token.
    assert!(!stdout.contains(TOKEN_SENTINEL) && !stderr.contains(TOKEN_SENTINEL));
}

/// Done when (3): off a registered server of the service, one line and a non-zero exit.
#[test]
fn off_a_registered_server_it_says_so_in_one_line_and_exits_non_zero() {
    let fake = FakeArm::start_blocking(healthy().topology());
    let keys = tempfile::tempdir().unwrap();
    let elsewhere = MachineSeed::arc(SUB, RG_SERVERS, "laptop7", None).id();
    let agent = FakeAgent::start(AgentSeed::arc(
        keys.path(),
        &elsewhere,
        "5a5a5a5a-0000-4000-8000-0000000000e9",
        &fake.tenant_id(),
    ));
    // Quiet: the progress of the ARM collection aside, the answer is the one line.
    let out = local_cli(&fake, &agent, keys.path(), closed_port(), closed_port()).arg("-q").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("laptop7")
            && lines[0].contains("is not a registered server of Storage Sync Service 'sync-prod'"),
        "{stderr}"
    );
}

async fn test_local(fake: &FakeArm, local: serde_json::Value) -> filesync_identity::Result<serde_json::Value> {
    let session = Session::new(session_options(fake)).unwrap();
    let sink: std::sync::Arc<dyn EventSink> = std::sync::Arc::new(BufferSink::new());
    let request = serde_json::json!({
        "operation": "testLocal", "target": {"resourceId": service_id()}, "activityDays": 0, "local": local
    });
    api::execute(&session, &request, sink, &CancellationToken::new()).await
}

fn finding<'a>(answer: &'a serde_json::Value, check: &str) -> &'a serde_json::Value {
    answer["local"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {answer:#}"))
}

/// An Azure VM: IMDS (no challenge) names the machine; its identity is the registered server's; the
/// reachability of a host pinned to a listening port passes TCP and fails TLS (nothing speaks TLS there).
#[tokio::test]
async fn an_azure_vm_is_matched_through_imds_and_its_identity_passes() {
    let fake = FakeArm::start(healthy().topology()).await;
    let agent = FakeAgent::start(AgentSeed::vm(&machine2_id(), P_S2, &fake.tenant_id()));
    let (open, _l) = accepting_port();
    let mut resolve = vec![format!("{STORAGE_HOST}:443:127.0.0.1:{open}")];
    resolve.extend(OTHER_HOSTS.iter().map(|h| format!("{h}:443:127.0.0.1:{}", closed_port())));
    let answer = test_local(
        &fake,
        serde_json::json!({"imdsEndpoint": agent.url(), "resolve": resolve, "probeTimeoutSeconds": 2}),
    )
    .await
    .expect("a report");
    assert_eq!(answer["local"]["facts"]["source"], "azureVm", "{answer:#}");
    assert_eq!(answer["local"]["serverName"], "fs2.contoso.com");
    assert_eq!(finding(&answer, "local.identity")["status"], "pass", "{answer:#}");
    assert_eq!(finding(&answer, "local.tenant")["status"], "pass", "{answer:#}");
    let storage = answer["local"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["host"] == STORAGE_HOST)
        .expect("the storage probe");
    assert_eq!(storage["step"], "tls", "{storage:#}");
    assert_eq!(storage["port"], open);
    assert!(answer["report"]["findings"].is_array());
    assert!(!answer.to_string().contains(TOKEN_SENTINEL));
}

/// The key-file checks hold here as in the credential (and in release builds: nothing is debug-only): an
/// agent naming a key file outside the key directory given is refused, and no token is had.
#[tokio::test]
async fn a_key_file_outside_the_key_directory_is_refused() {
    let fake = FakeArm::start(healthy().topology()).await;
    let agent_dir = tempfile::tempdir().unwrap();
    let ours = tempfile::tempdir().unwrap();
    let agent = FakeAgent::start(AgentSeed::arc(agent_dir.path(), &machine1_id(), P_S1, &fake.tenant_id()));
    let resolve: Vec<String> = std::iter::once(STORAGE_HOST)
        .chain(OTHER_HOSTS)
        .map(|h| format!("{h}:443:127.0.0.1:{}", closed_port()))
        .collect();
    let answer = test_local(
        &fake,
        serde_json::json!({
            "arcIdentityEndpoint": agent.identity_endpoint(), "arcMetadataEndpoint": agent.url(),
            "arcKeyDirectory": ours.path(), "resolve": resolve, "probeTimeoutSeconds": 1
        }),
    )
    .await
    .expect("a report");
    // Matched by the metadata, but the token was refused by the key-file checks.
    assert_eq!(answer["local"]["serverName"], "fs1.contoso.com");
    let id = finding(&answer, "local.identity");
    assert_eq!(id["status"], "fail");
    assert!(id["message"].as_str().unwrap().contains("refusing the Azure Arc key file"), "{id:#}");
}

/// A bad pin is refused before anything is read, by what is wrong with it.
#[tokio::test]
async fn a_bad_pin_is_refused_by_name() {
    let fake = FakeArm::start(healthy().topology()).await;
    let e =
        test_local(&fake, serde_json::json!({"resolve": ["stsyncprod.file.core.windows.net:443"]})).await.unwrap_err();
    assert_eq!(e.kind(), filesync_identity::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("HOST:PORT:ADDRESS"), "{e}");
    assert_eq!(fake.request_log().len(), 0, "nothing was read");
    let e = test_local(&fake, serde_json::json!({"resolv": []})).await.unwrap_err();
    assert!(e.to_string().contains("resolv"), "{e}");
}
