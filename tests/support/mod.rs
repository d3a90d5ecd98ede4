//! Shared test support: the deployments and the front-door helpers of `deployment.rs` (shared with the
//! crate's unit tests), and the command-line helpers, which only integration tests can have (they run the
//! built binary).
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};

mod deployment;

pub use deployment::*;

use fake_arm::FakeArm;

/// The command-line tool, with none of the developer's Azure settings and no terminal on stdin.
/// The command line running `command` against the fake ARM and its Graph, signed in with the tests' tokens
/// through the environment (as a runbook is); the caller adds the target and the rest.
pub fn live_cli(fake: &FakeArm, command: &str) -> Command {
    let mut c = cli_command();
    c.arg(command)
        .args(["--arm-endpoint", fake.url(), "--graph-endpoint", fake.graph_url()])
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .env("AZURE_GRAPH_ACCESS_TOKEN", GRAPH_TOKEN);
    c
}

/// A command's standard output and standard error, as text.
pub fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Run the command line on the healthy deployment's service in `fake` (ARM and Graph tokens in the
/// environment), `args` first.
pub fn cli(fake: &FakeArm, args: &[&str]) -> Output {
    let svc = service_id();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--resource-id", &svc, "--arm-endpoint", fake.url(), "--graph-endpoint", fake.graph_url()]);
    cli_command()
        .args(&all)
        .env("AZURE_ACCESS_TOKEN", TOKEN)
        .env("AZURE_GRAPH_ACCESS_TOKEN", GRAPH_TOKEN)
        .output()
        .unwrap()
}

pub fn cli_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_filesync-identity"));
    for v in [
        "AZURE_ACCESS_TOKEN",
        "AZURE_GRAPH_ACCESS_TOKEN",
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_CLOUD",
        "NO_COLOR",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        // The table wraps to COLUMNS: without it (and no terminal), to 100.
        "COLUMNS",
    ] {
        c.env_remove(v);
    }
    c.stdin(Stdio::null());
    c
}
