//! `filesync-identity`: the command-line tool. A thin layer: parse flags, call the library, print.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod repair;

use filesync_identity::api::{self, limits};
use filesync_identity::api::{CredentialOptions, Event, EventSink, LogLevel, Selection, TargetSpec};
use filesync_identity::model::principal::PrincipalId;
use filesync_identity::model::snapshot::Snapshot;
use filesync_identity::report::{self, TableStyle};
use filesync_identity::{Error, ErrorKind, Result};

/// The sample deployment `demo` diagnoses: realistic, with several things wrong.
const SAMPLE: &str = include_str!("../../examples/sample-deployment.json");

#[derive(Parser, Debug)]
#[command(
    name = "filesync-identity",
    version,
    about = "Diagnose and repair Azure File Sync managed-identity deployments",
    long_about = "Diagnose and repair Azure File Sync managed-identity deployments.\n\nExit codes (test, demo): 0 every check decided and none failed, 1 a check failed, 4 incomplete (nothing failed, but a check could not decide, or the target had nothing to check), 2 bad usage or input, 3 Azure or network error, or no way to sign in (a credential missing or refused). repair, enable-identity, apply: 0 every change done, 1 a change failed, 2 bad input or a plan whose live state moved on, 3 Azure error.",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Show each ARM request (method, path, status, request id) on stderr.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// No progress output on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Diagnose a deployment: live from Azure, or offline from a snapshot (--snapshot).
    Test(TestArgs),
    /// Read a deployment into a snapshot file, for offline diagnosis or a support ticket.
    Collect(CollectArgs),
    /// Diagnose the bundled sample deployment (no Azure needed).
    Demo(DemoArgs),
    /// List every check: its id, what it verifies, and the error codes it explains.
    ListChecks(ListChecksArgs),
    /// Grant the role assignments the checks find missing: plan, show, confirm, apply.
    Repair(repair::RepairArgs),
    /// Switch a deployment to managed identities (service identity, roles, useIdentity, servers).
    EnableIdentity(repair::PlanArgs),
    /// Apply a plan written by --plan-output, refusing if the live state moved on since.
    Apply(repair::ApplyArgs),
    /// Explain a File Sync error code (0x80c8305f, -2134364065, 2160603231, 80c8305f or a symbolic name).
    Explain(ExplainArgs),
    /// What moved between two snapshots of one deployment: role assignments, settings, resources, findings.
    /// Exit 0 when nothing moved, 1 when something did, 2 for two different deployments.
    Diff(DiffArgs),
}

/// Formats of `diff`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// The older snapshot (collect --output).
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The newer snapshot of the same deployment.
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table, value_parser = FormatParser::<DiffFormat>::new())]
    format: DiffFormat,
}

/// Parses `--format` like clap's own enum parser, but refuses an unknown format by listing the formats
/// instead of suggesting the nearest name ('xml' is not a misspelt 'html').
#[derive(Clone)]
struct FormatParser<T>(std::marker::PhantomData<T>);

impl<T> FormatParser<T> {
    fn new() -> Self {
        FormatParser(std::marker::PhantomData)
    }
}

impl<T: ValueEnum + Clone + Send + Sync + 'static> clap::builder::TypedValueParser for FormatParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<T, clap::Error> {
        let text = value.to_string_lossy();
        T::from_str(&text, true).map_err(|_| {
            let names: Vec<String> = T::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|p| p.get_name().to_string())
                .collect();
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("'{text}' is not an output format; the formats are: {}\n", names.join(", ")),
            )
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(T::value_variants().iter().filter_map(|v| v.to_possible_value())))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Table,
    Json,
}

/// Formats of a diagnosis report (`test`, `demo`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// For people: what needs attention by root cause, then what a repair would do (--all: every finding
    /// by resource); wrapped to the terminal, coloured on one unless NO_COLOR is set.
    Table,
    /// The stable JSON report (docs/report.schema.json).
    Json,
    /// For tickets and wikis, with a Mermaid diagram.
    Markdown,
    /// One self-contained HTML file with an SVG diagram.
    Html,
}

#[derive(Args, Debug, Clone)]
struct TargetArgs {
    /// Subscription id of the Storage Sync Service(s); repeat it for every service of several
    /// subscriptions (found through Azure Resource Graph).
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID", value_name = "GUID", action = clap::ArgAction::Append)]
    subscription: Vec<String>,
    /// Every Storage Sync Service in the subscriptions under this management group (found through Azure
    /// Resource Graph; subscriptions you cannot read are reported, and the verdict is then incomplete).
    #[arg(long, value_name = "ID", conflicts_with_all = ["resource_group", "name", "resource_id", "all_subscriptions"])]
    management_group: Option<String>,
    /// Every Storage Sync Service in every subscription you can read (found through Azure Resource Graph).
    #[arg(long, conflicts_with_all = ["resource_group", "name", "resource_id"])]
    all_subscriptions: bool,
    /// Resource group; without --name, every Storage Sync Service in it.
    #[arg(long, short = 'g', value_name = "NAME")]
    resource_group: Option<String>,
    /// Storage Sync Service name (needs --resource-group).
    #[arg(long, short = 'n', value_name = "NAME")]
    name: Option<String>,
    /// Full resource id of the Storage Sync Service (instead of --subscription/--resource-group/--name).
    #[arg(long, value_name = "ID", conflicts_with_all = ["resource_group", "name"])]
    resource_id: Option<String>,
}

#[derive(Args, Debug, Clone)]
struct ConnectionArgs {
    /// Azure cloud: AzureCloud, AzureUSGovernment or AzureChinaCloud.
    #[arg(long, env = "AZURE_CLOUD", default_value = "AzureCloud", value_name = "NAME")]
    cloud: String,
    /// ARM endpoint to use instead of the cloud's (https; http only to 127.0.0.1/localhost for tests).
    #[arg(long, value_name = "URL")]
    arm_endpoint: Option<String>,
    /// Microsoft Graph endpoint to use instead of the cloud's.
    #[arg(long, value_name = "URL")]
    graph_endpoint: Option<String>,
    /// A bearer token for ARM (else: AZURE_ACCESS_TOKEN, workload identity, a client secret, Azure Arc,
    /// then the Azure CLI). Never printed.
    #[arg(long, env = "AZURE_ACCESS_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    access_token: Option<String>,
    /// A bearer token for Microsoft Graph, used with --access-token only (the ARM token is never sent to
    /// Graph). Graph tells the Microsoft.StorageSync principal and each server's machine. Never printed.
    #[arg(long, env = "AZURE_GRAPH_ACCESS_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    graph_access_token: Option<String>,
    /// How to sign in: auto, access-token, azure-cli, managed-identity, azure-arc, client-secret,
    /// workload-identity.
    #[arg(long, default_value = "auto", value_name = "KIND")]
    credential: String,
    /// The tenant to sign in to, for --credential azure-cli, client-secret or workload-identity
    /// (else AZURE_TENANT_ID).
    #[arg(long, value_name = "GUID")]
    tenant_id: Option<String>,
    /// The app (client) id, for --credential client-secret or workload-identity (else AZURE_CLIENT_ID),
    /// or the client id of a user-assigned identity for --credential managed-identity.
    #[arg(long, value_name = "GUID")]
    client_id: Option<String>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = limits::CONCURRENCY.default, value_name = "N",
          value_parser = clap::value_parser!(u32).range(limits::CONCURRENCY.min as i64..=limits::CONCURRENCY.max as i64))]
    concurrency: u32,
    /// Time limit for one request, in seconds.
    #[arg(long, default_value_t = limits::TIMEOUT_SECONDS.default, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(limits::TIMEOUT_SECONDS.min..=limits::TIMEOUT_SECONDS.max))]
    timeout: u64,
    /// Retries for throttling and transient failures.
    #[arg(long, default_value_t = limits::MAX_RETRIES.default, value_name = "N",
          value_parser = clap::value_parser!(u32).range(limits::MAX_RETRIES.min as i64..=limits::MAX_RETRIES.max as i64))]
    max_retries: u32,
    /// Object id of the Microsoft.StorageSync service principal in your tenant (otherwise looked up in
    /// Microsoft Graph when the credential allows).
    #[arg(long, value_name = "GUID")]
    storage_sync_principal_id: Option<String>,
}

#[derive(Args, Debug, Clone)]
struct SelectArgs {
    /// Run only this check (repeatable; `area.*` selects an area).
    #[arg(long = "check", value_name = "ID")]
    check: Vec<String>,
    /// Skip this check (repeatable).
    #[arg(long = "skip", value_name = "ID")]
    skip: Vec<String>,
    /// Output format (default: table).
    #[arg(long, value_enum, default_value_t = ReportFormat::Table, value_parser = FormatParser::<ReportFormat>::new())]
    format: ReportFormat,
    /// With --all, list only the problems (fail, warning, unknown) by resource.
    #[arg(long)]
    problems_only: bool,
    /// After the causes, list every finding by resource (the table otherwise counts the passing ones).
    #[arg(long)]
    all: bool,
}

impl SelectArgs {
    /// The checks `--check` and `--skip` select, validated.
    fn selection(&self) -> Result<Selection> {
        Selection::new(self.check.clone(), self.skip.clone())
    }
}

#[derive(Args, Debug)]
struct TestArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    select: SelectArgs,
    /// Diagnose this snapshot file instead of reading Azure; repeat it to report several (single
    /// snapshots or the collections `collect --management-group` and the other scopes write) together.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["subscription", "resource_group", "name", "resource_id", "management_group", "all_subscriptions"])]
    snapshot: Vec<PathBuf>,
    /// List every check (id, what it verifies, the codes it explains) and exit; same as `list-checks`.
    #[arg(long)]
    list_checks: bool,
    /// Days of Activity Log to read, to name who changed what a failing check points at (0 to 90; 0 skips).
    #[arg(long, default_value_t = limits::ACTIVITY_DAYS.default, value_name = "DAYS",
          value_parser = clap::value_parser!(u32).range(limits::ACTIVITY_DAYS.min as i64..=limits::ACTIVITY_DAYS.max as i64))]
    activity_days: u32,
    #[command(flatten)]
    local: LocalArgs,
}

/// `test --local`: on a registered server, what this machine's identity and network really are.
#[derive(Args, Debug)]
struct LocalArgs {
    /// Run on a registered server: also check the identity this machine gets tokens for (Azure Arc agent
    /// or Azure VM metadata service) against the registered server's, and reach (DNS, TCP 443, TLS) the
    /// hosts its sync needs. Read-only. Off a registered server of the service: one line, exit 3.
    #[arg(long)]
    local: bool,
    /// With --local: reach HOST on PORT at ADDRESS without a DNS lookup (like curl's --resolve), e.g. to
    /// test a private endpoint before changing DNS. ADDRESS may carry its own port. Repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDRESS", requires = "local")]
    resolve: Vec<String>,
    /// With --local: time limit of each probe step (DNS, TCP, TLS), in seconds.
    #[arg(long, default_value_t = limits::PROBE_TIMEOUT_SECONDS.default, value_name = "SECONDS", requires = "local")]
    probe_timeout: f64,
    /// With --local: where the Azure Arc agent writes its key files (default: its own directory).
    #[arg(long, value_name = "DIR", requires = "local")]
    arc_key_directory: Option<PathBuf>,
    /// With --local: the Azure VM metadata service (default http://169.254.169.254); the Arc agent's
    /// endpoints come from IDENTITY_ENDPOINT and IMDS_ENDPOINT as the agent sets them.
    #[arg(long, value_name = "URL", requires = "local")]
    imds_endpoint: Option<String>,
}

impl LocalArgs {
    fn options(&self) -> api::LocalOptions {
        api::LocalOptions {
            arc_key_directory: self.arc_key_directory.clone(),
            imds_endpoint: self.imds_endpoint.clone(),
            resolve: self.resolve.clone(),
            probe_timeout_seconds: Some(self.probe_timeout),
            ..Default::default()
        }
    }
}

#[derive(Args, Debug)]
struct CollectArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Where to write the snapshot (written atomically; `-` for stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
    /// Days of Activity Log to keep in the snapshot, to name who changed what (0 to 90; 0 skips).
    #[arg(long, default_value_t = limits::ACTIVITY_DAYS.default, value_name = "DAYS",
          value_parser = clap::value_parser!(u32).range(limits::ACTIVITY_DAYS.min as i64..=limits::ACTIVITY_DAYS.max as i64))]
    activity_days: u32,
}

#[derive(Args, Debug)]
struct DemoArgs {
    #[command(flatten)]
    select: SelectArgs,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    /// The error code, in any spelling: hex (0x80c8305f or 80c8305f), signed or unsigned decimal, or the
    /// symbolic name (ECS_E_...). Case does not matter.
    #[arg(value_name = "CODE", allow_hyphen_values = true)]
    code: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, value_parser = FormatParser::<OutputFormat>::new())]
    format: OutputFormat,
}

#[derive(Args, Debug)]
struct ListChecksArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, value_parser = FormatParser::<OutputFormat>::new())]
    format: OutputFormat,
}

/// Prints events on stderr: progress (one line, rewritten on a terminal), warnings, and with --verbose
/// every request.
struct StderrSink {
    verbose: bool,
    quiet: bool,
    tty: bool,
    last_progress: std::sync::Mutex<Option<std::time::Instant>>,
}

impl EventSink for StderrSink {
    fn emit(&self, event: Event) {
        let mut err = std::io::stderr().lock();
        match event {
            Event::Progress { status, percent, .. } if !self.quiet => {
                if self.tty {
                    let p = percent.map(|p| format!("{p:>3}% ")).unwrap_or_default();
                    let mut line = format!("{p}{status}");
                    line.truncate(100);
                    let _ = write!(err, "\r\x1b[2K{line}");
                    if percent == Some(100) {
                        let _ = writeln!(err);
                    }
                } else {
                    // Not a terminal: at most one line every 2 seconds, and the last one.
                    let mut last = self.last_progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    let due = last.map(|t| t.elapsed().as_secs() >= 2).unwrap_or(true);
                    if due || percent == Some(100) {
                        *last = Some(std::time::Instant::now());
                        let _ = writeln!(err, "{}{status}", percent.map(|p| format!("[{p:>3}%] ")).unwrap_or_default());
                    }
                }
            }
            Event::Request { method, path, status, request_id, duration_ms, attempt } if self.verbose => {
                let path = path.split('?').next().unwrap_or("");
                let retry = if attempt > 1 { format!(" (attempt {attempt})") } else { String::new() };
                let _ = writeln!(
                    err,
                    "{}{method} {path} -> {status} in {duration_ms} ms, request id {}{retry}",
                    if self.tty { "\r\x1b[2K" } else { "" },
                    request_id.as_deref().unwrap_or("-")
                );
            }
            Event::Log { level, message } => {
                let show = match level {
                    LogLevel::Warning => !self.quiet,
                    LogLevel::Info => !self.quiet,
                    LogLevel::Verbose | LogLevel::Debug => self.verbose,
                };
                if show {
                    let tag = match level {
                        LogLevel::Warning => "warning: ",
                        _ => "",
                    };
                    let _ = writeln!(err, "{}{tag}{message}", if self.tty { "\r\x1b[2K" } else { "" });
                }
            }
            _ => {}
        }
    }
}

fn color_enabled() -> bool {
    TableStyle::detect(std::io::stdout().is_terminal(), std::env::var_os("NO_COLOR").as_deref()).color
}

/// The width the table wraps to: `COLUMNS` when set, else the terminal's, else 100 (pipes and logs).
fn table_width() -> usize {
    let terminal = terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize);
    report::output_width(std::env::var("COLUMNS").ok().as_deref(), terminal, 100)
}

fn print_report(snapshot: &Snapshot, select: &SelectArgs, selection: &Selection) -> Result<i32> {
    let report = api::test_report(snapshot, selection, &[])?;
    let text = match select.format {
        ReportFormat::Json => {
            // Streamed: the JSON of a large estate is as big as the findings themselves.
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match report::write_json(&report, &mut out).and_then(|_| out.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(Error::new(ErrorKind::Io, format!("cannot write the output: {e}"))),
            }
            let code = api::exit_code(&report);
            std::mem::forget(report); // see `Command::Test`: the process ends next
            return Ok(code);
        }
        ReportFormat::Markdown => report::render_markdown(&report, snapshot),
        ReportFormat::Html => report::render_html(&report, snapshot),
        ReportFormat::Table => {
            let mut text = report::render_table_with(
                &report,
                TableStyle {
                    color: color_enabled(),
                    show_passing: !select.problems_only,
                    show_all: select.all,
                    width: Some(table_width()),
                },
                Some(&api::repair_outlook(snapshot, &report, selection)),
            );
            if let Some(line) = filesync_identity::report::activity_summary_line(snapshot) {
                text.push_str(&line);
                text.push('\n');
            }
            text
        }
    };
    write_stdout(&text)?;
    Ok(api::exit_code(&report))
}

/// The runs of a `test` over many services: a live scope, or several snapshot files (or one tenant
/// collection). None for one service's report.
async fn tenant_runs(
    args: &TestArgs,
    sink: Arc<dyn EventSink>,
) -> Result<Option<Vec<filesync_identity::model::tenant::TenantSnapshot>>> {
    use filesync_identity::model::tenant::TenantSnapshot;
    if !args.snapshot.is_empty() {
        let runs = args.snapshot.iter().map(|p| TenantSnapshot::load(p)).collect::<Result<Vec<_>>>()?;
        // One single snapshot keeps the one-service report.
        if runs.len() == 1 && runs[0].coverage.is_none() && runs[0].snapshots.len() == 1 {
            return Ok(None);
        }
        return Ok(Some(runs));
    }
    if scope_request(&args.target)?.is_none() {
        return Ok(None);
    }
    let source = live_source(&args.target, args.activity_days)?;
    let (session, cancel) = connect(&args.connection)?;
    Ok(Some(api::tenant_for(&session, &source, args.activity_days, sink, &cancel).await?))
}

/// Print the report over many services; its exit code is the set's verdict's.
fn print_tenant_report(
    runs: &[filesync_identity::model::tenant::TenantSnapshot],
    select: &SelectArgs,
    selection: &Selection,
) -> Result<i32> {
    let report = api::tenant_report(runs, selection)?;
    let text = match select.format {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report).expect("reports serialize")),
        ReportFormat::Table => report::render_tenant_table(
            &report,
            TableStyle {
                color: color_enabled(),
                show_passing: !select.problems_only,
                show_all: select.all,
                width: Some(table_width()),
            },
        ),
        ReportFormat::Markdown | ReportFormat::Html => {
            return Err(Error::invalid_input(
                "a report over many services is written as a table or JSON; --format markdown and html render one service's report",
            ))
        }
    };
    write_stdout(&text)?;
    Ok(report.exit_code)
}

fn write_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::new(ErrorKind::Io, format!("cannot write the output: {e}"))),
    }
}

/// The credential the flags name, built as its typed value (no JSON in between).
fn credential_options(c: &ConnectionArgs) -> Result<CredentialOptions> {
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        Auto,
        AccessToken,
        AzureCli,
        ManagedIdentity,
        AzureArc,
        ClientSecret,
        WorkloadIdentity,
    }
    let kind = match c.credential.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
        "auto" => Kind::Auto,
        "accesstoken" | "token" => Kind::AccessToken,
        "azurecli" | "cli" => Kind::AzureCli,
        "managedidentity" | "imds" => Kind::ManagedIdentity,
        "azurearc" | "arc" => Kind::AzureArc,
        "clientsecret" => Kind::ClientSecret,
        "workloadidentity" => Kind::WorkloadIdentity,
        other => {
            return Err(Error::invalid_input(format!(
                "unknown credential '{other}': use auto, access-token, azure-cli, managed-identity, azure-arc, client-secret or workload-identity"
            )))
        }
    };
    // A handed-over token wins in auto; a token kind without one is refused.
    let kind = match (&c.access_token, kind) {
        (Some(_), Kind::Auto) => Kind::AccessToken,
        (None, Kind::AccessToken) => {
            return Err(Error::new(
                ErrorKind::Authentication,
                "--credential access-token needs --access-token or AZURE_ACCESS_TOKEN",
            ))
        }
        (_, k) => k,
    };
    // --tenant-id and --client-id go where the chosen kind takes them, and nowhere else.
    let takes_tenant = matches!(kind, Kind::AzureCli | Kind::ClientSecret | Kind::WorkloadIdentity);
    let takes_client = matches!(kind, Kind::ManagedIdentity | Kind::ClientSecret | Kind::WorkloadIdentity);
    if c.tenant_id.is_some() && !takes_tenant {
        return Err(Error::invalid_input(
            "--tenant-id goes with --credential azure-cli, client-secret or workload-identity; give the credential it is for",
        ));
    }
    if c.client_id.is_some() && !takes_client {
        return Err(Error::invalid_input(
            "--client-id goes with --credential managed-identity, client-secret or workload-identity; give the credential it is for",
        ));
    }
    let (tenant_id, client_id) = (c.tenant_id.clone(), c.client_id.clone());
    Ok(match kind {
        Kind::Auto => CredentialOptions::Auto,
        Kind::AccessToken => {
            let token = CredentialOptions::access_token(c.access_token.clone().unwrap_or_default());
            // Only a handed-over ARM token needs a Graph token beside it; the other ways to sign in get
            // their own Graph tokens (so an AZURE_GRAPH_ACCESS_TOKEN left in the environment does not get
            // in their way).
            match &c.graph_access_token {
                Some(g) => token.with_graph_token(g.clone()),
                None => token,
            }
        }
        Kind::AzureCli => CredentialOptions::AzureCli { tenant_id, timeout_seconds: None },
        Kind::ManagedIdentity => {
            CredentialOptions::ManagedIdentity { client_id, object_id: None, resource_id: None, endpoint: None }
        }
        Kind::AzureArc => CredentialOptions::AzureArc { endpoint: None, key_directory: None },
        Kind::ClientSecret => {
            CredentialOptions::ClientSecret { tenant_id, client_id, client_secret: None, authority_host: None }
        }
        Kind::WorkloadIdentity => {
            CredentialOptions::WorkloadIdentity { tenant_id, client_id, token_file: None, authority_host: None }
        }
    })
}

fn session_options(c: &ConnectionArgs) -> Result<api::SessionOptions> {
    Ok(api::SessionOptions {
        cloud: Some(c.cloud.clone()),
        arm_endpoint: c.arm_endpoint.clone(),
        graph_endpoint: c.graph_endpoint.clone(),
        credential: Some(credential_options(c)?),
        concurrency: Some(c.concurrency as usize),
        timeout_seconds: Some(c.timeout),
        max_retries: Some(c.max_retries),
        storage_sync_principal_id: c
            .storage_sync_principal_id
            .as_deref()
            .map(|p| PrincipalId::parse_named("--storage-sync-principal-id", p))
            .transpose()?,
        az_environment: None,
    })
}

/// The scope of many services the flags name, if they name one: --management-group, --all-subscriptions,
/// or --subscription more than once. A single --subscription (or AZURE_SUBSCRIPTION_ID) beside
/// --management-group or --all-subscriptions is left aside: the environment may set it for every command.
fn scope_request(t: &TargetArgs) -> Result<Option<api::TenantScope>> {
    use filesync_identity::model::tenant::Scope;
    let scope = if let Some(mg) = &t.management_group {
        Scope::ManagementGroup { id: mg.trim().to_string() }
    } else if t.all_subscriptions {
        Scope::AllSubscriptions
    } else if t.subscription.len() > 1 && t.resource_id.is_none() && t.resource_group.is_none() && t.name.is_none() {
        Scope::Subscriptions { ids: t.subscription.iter().map(|s| s.trim().to_string()).collect() }
    } else {
        return Ok(None);
    };
    if (t.management_group.is_some() || t.all_subscriptions) && t.subscription.len() > 1 {
        return Err(Error::invalid_input(
            "give one scope: --management-group, --all-subscriptions or several --subscription, not several",
        ));
    }
    Ok(Some(api::TenantScope::new(scope)?))
}

fn target_spec(t: &TargetArgs) -> Result<TargetSpec> {
    if t.subscription.len() > 1 {
        return Err(Error::invalid_input(
            "several --subscription values name many services: drop --resource-group, --name and --resource-id",
        ));
    }
    TargetSpec::from_parts(
        t.resource_id.as_deref(),
        t.subscription.first().map(String::as_str),
        t.resource_group.as_deref(),
        t.name.as_deref(),
    )
}

/// The session and cancellation of one command that reads Azure (the principal id parsed once, by the
/// flag's name, as the options are built); Ctrl+C cancels what is in flight.
fn connect(connection: &ConnectionArgs) -> Result<(api::Session, api::CancellationToken)> {
    let session = api::Session::new(session_options(connection)?)?;
    let cancel = api::CancellationToken::new();
    let ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            ctrl_c.cancel();
        }
    });
    Ok((session, cancel))
}

/// The request API's source for a live target.
fn live_source(target: &TargetArgs, activity_days: u32) -> Result<api::Source> {
    let activity_days = Some(api::ActivityDays::new(activity_days.into())?);
    if let Some(scope) = scope_request(target)? {
        return Ok(api::Source { scope: Some(scope), activity_days, ..Default::default() });
    }
    Ok(api::Source { target: Some(api::Target(target_spec(target)?)), activity_days, ..Default::default() })
}

async fn collect_live(
    target: &TargetArgs,
    connection: &ConnectionArgs,
    activity_days: u32,
    sink: Arc<dyn EventSink>,
) -> Result<Snapshot> {
    let source = live_source(target, activity_days)?;
    let (session, cancel) = connect(connection)?;
    let snapshot = api::snapshot_for(&session, &source, activity_days, sink, &cancel).await?;
    // What the collection freed need not stay resident while the checks (or the snapshot's writer) run.
    api::release_free_memory();
    Ok(snapshot)
}

/// Print every check: id, title, what it verifies, the codes it explains.
fn list_checks(format: OutputFormat) -> Result<i32> {
    let text = match format {
        OutputFormat::Json => {
            let list: Vec<_> = api::list_checks().iter().collect();
            format!("{}\n", serde_json::to_string_pretty(&list).expect("checks serialize"))
        }
        OutputFormat::Table => {
            let mut s = String::new();
            for c in api::list_checks() {
                s.push_str(&format!("{}\n  {}\n  {}\n", c.id, c.title, c.description));
                if !c.error_codes.is_empty() {
                    s.push_str(&format!("  explains: {}\n", c.error_codes.join(", ")));
                }
                s.push('\n');
            }
            s
        }
    };
    write_stdout(&text)?;
    Ok(0)
}

/// The name of a command that reads no Azure, for `-v` to say it has nothing to show.
fn offline_command(command: &Command) -> Option<&'static str> {
    match command {
        Command::Demo(_) => Some("demo"),
        Command::ListChecks(_) => Some("list-checks"),
        Command::Explain(_) => Some("explain"),
        Command::Diff(_) => Some("diff"),
        Command::Test(t) if !t.snapshot.is_empty() || t.list_checks => Some("test --snapshot"),
        _ => None,
    }
}

async fn run(cli: Cli) -> Result<i32> {
    if cli.verbose && !cli.quiet {
        if let Some(name) = offline_command(&cli.command) {
            eprintln!("note: -v shows every request to Azure; {name} sends none, so it has nothing more to show");
        }
    }
    let sink: Arc<dyn EventSink> = Arc::new(StderrSink {
        verbose: cli.verbose,
        quiet: cli.quiet,
        tty: std::io::stderr().is_terminal(),
        last_progress: Default::default(),
    });
    match cli.command {
        Command::Demo(args) => {
            let snapshot = Snapshot::from_json(SAMPLE)
                .map_err(|e| Error::internal(format!("the bundled sample is broken: {e}")))?;
            print_report(&snapshot, &args.select, &args.select.selection()?)
        }
        Command::ListChecks(args) => list_checks(args.format),
        Command::Explain(args) => {
            let entry = api::explain(&args.code)?;
            let text = match args.format {
                OutputFormat::Json => {
                    format!(
                        "{}\n",
                        serde_json::to_string_pretty(&filesync_identity::report::catalog_entry_json(entry))
                            .expect("entries serialize")
                    )
                }
                OutputFormat::Table => filesync_identity::report::render_catalog_entry(entry),
            };
            write_stdout(&text)?;
            Ok(0)
        }
        Command::Test(args) if args.list_checks => {
            list_checks(if args.select.format == ReportFormat::Json { OutputFormat::Json } else { OutputFormat::Table })
        }
        Command::Test(args) if args.local.local => run_local(args, sink).await,
        Command::Test(args) => {
            // A wrong --check or --skip is refused before minutes of collection, not after.
            let selection = args.select.selection()?;
            if let Some(runs) = tenant_runs(&args, sink.clone()).await? {
                return print_tenant_report(&runs, &args.select, &selection);
            }
            let snapshot = match args.snapshot.first() {
                Some(path) => Snapshot::load(path)?,
                None => collect_live(&args.target, &args.connection, args.activity_days, sink).await?,
            };
            let code = print_report(&snapshot, &args.select, &selection);
            // The process ends next: letting the OS take a large estate's snapshot back at once is faster
            // than freeing it piece by piece.
            std::mem::forget(snapshot);
            code
        }
        Command::Diff(args) => {
            let old = Snapshot::load(&args.old)?;
            let new = Snapshot::load(&args.new)?;
            let (op, np) = (args.old.display().to_string(), args.new.display().to_string());
            let d = api::diff(&old, Some(&op), &new, Some(&np))?;
            let text = match args.format {
                DiffFormat::Json => format!("{}\n", serde_json::to_string_pretty(&d).expect("a diff serializes")),
                DiffFormat::Table => filesync_identity::report::render_diff_table(&d),
                DiffFormat::Markdown => filesync_identity::report::render_diff_markdown(&d),
            };
            write_stdout(&text)?;
            Ok(d.exit_code())
        }
        Command::Repair(args) => repair::run_repair(args, sink, cli.quiet).await,
        Command::EnableIdentity(args) => repair::run_enable_identity(args, sink, cli.quiet).await,
        Command::Apply(args) => repair::run_apply(args, sink).await,
        Command::Collect(args) => {
            if args.output.as_os_str() != "-" {
                api::check_output_path(&args.output)?;
            }
            if scope_request(&args.target)?.is_some() {
                let source = live_source(&args.target, args.activity_days)?;
                let (session, cancel) = connect(&args.connection)?;
                let runs = api::tenant_for(&session, &source, args.activity_days, sink, &cancel).await?;
                let run = runs.into_iter().next().ok_or_else(|| Error::internal("a scope's collection made no run"))?;
                if args.output.as_os_str() == "-" {
                    write_stdout(&format!(
                        "{}\n",
                        serde_json::to_string_pretty(&run).expect("a collection serializes")
                    ))?;
                } else {
                    run.save(&args.output)?;
                    if !cli.quiet {
                        let c = run.coverage.as_ref();
                        eprintln!(
                            "Wrote {} ({} services collected, {} unreadable subscriptions{}).",
                            args.output.display(),
                            run.snapshots.len(),
                            c.map(|c| c.unreadable_subscriptions.len()).unwrap_or(0),
                            if c.is_some_and(|c| c.truncated) { ", a Resource Graph answer was cut" } else { "" }
                        );
                    }
                }
                return Ok(0);
            }
            let snapshot = collect_live(&args.target, &args.connection, args.activity_days, sink.clone()).await?;
            if args.output.as_os_str() == "-" {
                write_stdout(&format!("{}\n", snapshot.to_json_pretty()))?;
            } else {
                snapshot.save(&args.output)?;
                if !cli.quiet {
                    eprintln!(
                        "Wrote {} ({} services, {} storage accounts, {} role assignments{}).",
                        args.output.display(),
                        snapshot.services.len(),
                        snapshot.storage_accounts.len(),
                        snapshot.role_assignments.len(),
                        if snapshot.collection_errors.is_empty() {
                            String::new()
                        } else {
                            format!(", {} parts could not be read", snapshot.collection_errors.len())
                        }
                    );
                }
            }
            Ok(0)
        }
    }
}

/// `test --local`: the service's report, then what this machine sees. The exit code is the worse of the
/// two (1 a failure, 4 undecided, 0 fine); a machine that is no registered server of the service is an
/// error (one line).
async fn run_local(args: TestArgs, sink: Arc<dyn EventSink>) -> Result<i32> {
    // A wrong --check or --skip is refused before minutes of collection, not after.
    let selection = args.select.selection()?;
    if args.select.format == ReportFormat::Html {
        return Err(Error::invalid_input("test --local writes table, json or markdown; not html"));
    }
    let options = args.local.options();
    // Bad pins and limits before minutes of collection.
    api::parse_pins(&options.resolve)?;
    api::probe_timeout(&options)?;
    if scope_request(&args.target)?.is_some() {
        return Err(Error::invalid_input(
            "test --local diagnoses the one service this machine is registered to: name it (--resource-id, or --subscription with --resource-group and --name), not a scope of many",
        ));
    }
    let (session, cancel) = connect(&args.connection)?;
    let snapshot = match args.snapshot.as_slice() {
        [path] => Snapshot::load(path)?,
        [_, _, ..] => {
            return Err(Error::invalid_input(
                "test --local reads one service: give one --snapshot (the service this machine is registered to)",
            ))
        }
        [] => {
            let source = live_source(&args.target, args.activity_days)?;
            api::snapshot_for(&session, &source, args.activity_days, sink, &cancel).await?
        }
    };
    let local = api::local_report(&session, &snapshot, &options, &cancel).await?;
    let report = api::test_report(&snapshot, &selection, &[])?;
    let arm_code = api::exit_code(&report);
    let text = match args.select.format {
        ReportFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({ "report": report, "local": local }))
                .map_err(|e| Error::internal(format!("the report does not serialize: {e}")))?
        ),
        ReportFormat::Markdown => report::render_markdown(&report, &snapshot) + &report::render_local_markdown(&local),
        _ => {
            let mut text = report::render_table_with(
                &report,
                TableStyle {
                    color: color_enabled(),
                    show_passing: !args.select.problems_only,
                    show_all: args.select.all,
                    width: Some(table_width()),
                },
                None,
            );
            text.push_str(&report::render_local_table(&local));
            text
        }
    };
    write_stdout(&text)?;
    let codes = [arm_code, local.exit_code()];
    Ok(if codes.contains(&1) {
        1
    } else if codes.contains(&4) {
        4
    } else {
        0
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(70);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.kind().exit_code() as u8)
        }
    }
}
