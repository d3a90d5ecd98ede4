//! The `fake-arm` binary: first line, serving, `--log`, stopping when stdin closes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn temp_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("fake-arm-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn binary_serves_logs_and_stops_when_stdin_closes() {
    let dir = temp_dir();
    let topo = dir.join("topology.json");
    let log = dir.join("requests.jsonl");
    std::fs::write(&topo, topology().to_json_pretty()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-arm"))
        .arg("--topology")
        .arg(&topo)
        .arg("--log")
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {line:?}")).to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let c = reqwest::blocking::Client::builder().no_proxy().build().unwrap();
    let r = c.get(format!("{url}{}?api-version=2022-09-01", svc_path())).bearer_auth("owner").send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = c.get(format!("{url}{}", svc_path())).send().unwrap();
    assert_eq!(r.status().as_u16(), 401);

    drop(child.stdin.take());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    if status.is_none() {
        let _ = child.kill();
        panic!("fake-arm did not stop when its stdin closed");
    }
    assert!(status.unwrap().success());
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["method"], "GET");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[1]["status"], 401);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_keeps_serving_with_stdin_from_dev_null_and_refuses_bad_topologies() {
    let dir = temp_dir();
    let topo = dir.join("topology.json");
    std::fs::write(&topo, topology().to_json_pretty()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-arm"))
        .arg("--topology")
        .arg(&topo)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "a background job's /dev/null stdin must not stop the server");
    child.kill().unwrap();
    child.wait().unwrap();

    std::fs::write(&topo, r#"{"storageSyncServices": [{"name": 5}]}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fake-arm"))
        .arg("--topology")
        .arg(&topo)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid topology"));
    let _ = std::fs::remove_dir_all(&dir);
}
