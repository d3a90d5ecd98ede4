//! `fake-arm --topology FILE [--port N] [--log FILE] [--ignore-stdin]`
//! `fake-arm agent (--arc-key-directory DIR | --vm) --resource-id ID --oid GUID --tid GUID`: the machine's
//! identity endpoints instead (see `fake_arm::agent`), for `Test-AzFileSyncManagedIdentity -Local`.
//!
//! Prints `listening on http://127.0.0.1:PORT` as its first line of standard output, then serves until it
//! is killed or, when its standard input is a pipe or socket, until that input closes (so a harness can
//! stop it by closing stdin). With `--ignore-stdin`, or when stdin is a terminal, /dev/null or a file,
//! only a signal stops it.

use std::io::{Read, Write};
use std::path::PathBuf;

use fake_arm::{FakeArm, Options, Topology};

const USAGE: &str = "usage: fake-arm --topology FILE [--port N] [--log FILE] [--ignore-stdin]";

fn main() {
    match run() {
        Ok(()) => {}
        Err(e) => {
            eprintln!("fake-arm: {e}");
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

/// `fake-arm agent ...`: a fake Arc agent or VM metadata service, until stdin closes.
fn run_agent(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    use fake_arm::agent::{AgentSeed, FakeAgent};
    let (mut keys, mut vm, mut resource_id, mut oid, mut tid) = (None, false, None, None, None);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--arc-key-directory" => keys = Some(value("--arc-key-directory")?),
            "--vm" => vm = true,
            "--resource-id" => resource_id = Some(value("--resource-id")?),
            "--oid" => oid = Some(value("--oid")?),
            "--tid" => tid = Some(value("--tid")?),
            other => return Err(format!("unknown agent argument '{other}'")),
        }
    }
    let (resource_id, oid, tid) = (
        resource_id.ok_or("--resource-id is required")?,
        oid.ok_or("--oid is required")?,
        tid.ok_or("--tid is required")?,
    );
    let seed = match (keys, vm) {
        (Some(k), false) => AgentSeed::arc(k, &resource_id, &oid, &tid),
        (None, true) => AgentSeed::vm(&resource_id, &oid, &tid),
        _ => return Err("give --arc-key-directory DIR or --vm".into()),
    };
    let agent = FakeAgent::start(seed);
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", agent.url()).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    let mut buf = [0u8; 1024];
    let mut stdin = std::io::stdin().lock();
    while let Ok(n) = stdin.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
    drop(agent);
    Ok(())
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("agent") {
        args.next();
        return run_agent(args);
    }
    let mut topology: Option<PathBuf> = None;
    let mut options = Options::default();
    let mut ignore_stdin = false;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--topology" => topology = Some(PathBuf::from(value("--topology")?)),
            "--port" => {
                let v = value("--port")?;
                options.port = v.parse().map_err(|_| format!("--port '{v}' is not a port number"))?;
            }
            "--log" => options.log_path = Some(PathBuf::from(value("--log")?)),
            "--ignore-stdin" => ignore_stdin = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    let path = topology.ok_or("--topology FILE is required")?;
    let topo = Topology::load(&path)?;
    let arm = FakeArm::try_start_blocking_with(topo, options)?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", arm.url()).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    if !ignore_stdin && stdin_is_a_stream() {
        // Serve until stdin closes.
        let mut buf = [0u8; 1024];
        let mut stdin = std::io::stdin().lock();
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        drop(arm);
        Ok(())
    } else {
        loop {
            std::thread::park();
        }
    }
}

/// Is stdin a pipe or a socket (something a harness holds open), rather than a terminal, /dev/null or a
/// file (which a background job gets, and which would end the server at once)?
#[cfg(unix)]
fn stdin_is_a_stream() -> bool {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata("/dev/stdin") {
        Ok(m) => {
            let t = m.file_type();
            t.is_fifo() || t.is_socket()
        }
        Err(_) => false,
    }
}

#[cfg(not(unix))]
fn stdin_is_a_stream() -> bool {
    true
}
