//! The `repair`, `enable-identity` and `apply` commands: plan, show, confirm, apply.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use filesync_identity::api;
use filesync_identity::api::{ApplyOptions, ApplyReport, EventSink, Plan, PlanKind, PlanOptions};
use filesync_identity::{Error, ErrorKind, Result};

use crate::{ConnectionArgs, OutputFormat, TargetArgs};

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    apply: ApplyFlags,
    /// Write the plan to this file (atomically) and stop; apply it later with `apply --plan FILE`.
    #[arg(long, value_name = "FILE")]
    plan_output: Option<PathBuf>,
}

/// `repair`: the plan's flags, and what only a repair plans.
#[derive(Args, Debug)]
pub struct RepairArgs {
    #[command(flatten)]
    plan: PlanArgs,
    /// Also plan storage firewall and shared-key changes, flagged as security posture changes
    /// (enable-identity never changes storage settings).
    #[arg(long)]
    include_security_posture_changes: bool,
}

/// `repair`.
pub async fn run_repair(args: RepairArgs, sink: Arc<dyn EventSink>, quiet: bool) -> Result<i32> {
    let options = PlanOptions { include_security_posture_changes: args.include_security_posture_changes };
    run_plan(PlanKind::Repair, args.plan, options, sink, quiet).await
}

/// `enable-identity`.
pub async fn run_enable_identity(args: PlanArgs, sink: Arc<dyn EventSink>, quiet: bool) -> Result<i32> {
    run_plan(PlanKind::EnableIdentity, args, PlanOptions::default(), sink, quiet).await
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// The plan file to apply (as written by --plan-output).
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    apply: ApplyFlags,
    /// Apply only this change id (repeatable).
    #[arg(long = "only", value_name = "ID")]
    only: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ApplyFlags {
    /// Show the plan and send no write to Azure.
    #[arg(long)]
    what_if: bool,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, value_parser = crate::FormatParser::<OutputFormat>::new())]
    format: OutputFormat,
    /// How long to keep retrying a role assignment for an identity that is not replicated yet, in seconds.
    #[arg(long, default_value_t = api::limits::PRINCIPAL_TIMEOUT_SECONDS.default, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(api::limits::PRINCIPAL_TIMEOUT_SECONDS.min..=api::limits::PRINCIPAL_TIMEOUT_SECONDS.max))]
    principal_timeout: u64,
}

fn print_plan(plan: &Plan, format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Json => crate::write_stdout(&format!("{}\n", plan.to_json_pretty())),
        OutputFormat::Table => crate::write_stdout(&filesync_identity::report::render_plan_table(plan)),
    }
}

/// Ask on the terminal, or refuse when there is no one to ask.
fn confirm(plan: &Plan, flags: &ApplyFlags) -> Result<bool> {
    if flags.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid_input(
            "refusing to change Azure without a confirmation: stdin is not a terminal, so there is no one to ask. Review the plan with --what-if (or --plan-output FILE), then run again with --yes",
        ));
    }
    let posture = plan.changes.iter().filter(|c| c.security_posture_change).count();
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\nApply these {} change(s) to Azure{}? Type 'yes' to go on: ",
        plan.changes.len(),
        if posture > 0 { format!(", {posture} of them changing storage security settings") } else { String::new() }
    );
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

async fn apply_and_print(
    (session, cancel): &(api::Session, api::CancellationToken),
    sink: Arc<dyn EventSink>,
    plan: &Plan,
    flags: &ApplyFlags,
    only: Option<Vec<String>>,
) -> Result<i32> {
    let options = ApplyOptions {
        only,
        principal_not_found_timeout: std::time::Duration::from_secs(flags.principal_timeout),
        ..Default::default()
    };
    let report: ApplyReport = match api::apply_plan(session, plan, &options, sink, cancel).await {
        Ok(r) => r,
        Err(e) if e.kind() == ErrorKind::Conflict => {
            eprintln!("error: {e}");
            return Ok(2);
        }
        Err(e) => return Err(e),
    };
    match flags.format {
        OutputFormat::Json => {
            crate::write_stdout(&format!("{}\n", serde_json::to_string_pretty(&report).expect("reports serialize")))?
        }
        OutputFormat::Table => {
            crate::write_stdout(&format!("\n{}", filesync_identity::report::render_apply_table(&report)))?
        }
    }
    Ok(report.exit_code())
}

/// `repair` and `enable-identity`.
async fn run_plan(
    kind: PlanKind,
    args: PlanArgs,
    plan_options: PlanOptions,
    sink: Arc<dyn EventSink>,
    quiet: bool,
) -> Result<i32> {
    let source = crate::live_source(&args.target, 0)?;
    if source.scope.is_some() {
        return what_if_over_scope(kind, &args, &source, plan_options, sink, quiet).await;
    }
    if let Some(path) = &args.plan_output {
        api::check_output_path(path)?;
    }
    let connection = crate::connect(&args.connection)?;
    // A plan rests on the current state only: no Activity Log.
    let plan = api::plan_for(&connection.0, &source, kind, plan_options, sink.clone(), &connection.1).await?;
    if let Some(path) = &args.plan_output {
        plan.save(path)?;
        if !quiet {
            eprintln!(
                "Wrote the plan to {} ({} change(s), {} manual step(s)). Nothing was changed. Review it, then run: filesync-identity apply --plan {}",
                path.display(),
                plan.changes.len(),
                plan.manual_steps.len(),
                path.display()
            );
        }
        return Ok(0);
    }
    print_plan(&plan, args.apply.format)?;
    if args.apply.what_if || plan.changes.is_empty() {
        return Ok(0);
    }
    if !confirm(&plan, &args.apply)? {
        eprintln!("Nothing was changed.");
        return Ok(0);
    }
    apply_and_print(&connection, sink, &plan, &args.apply, None).await
}

/// `repair --what-if` (or `enable-identity --what-if`) over a scope: each service found is read from ARM
/// and planned; nothing is written. Applying is done per service.
async fn what_if_over_scope(
    kind: PlanKind,
    args: &PlanArgs,
    source: &api::Source,
    plan_options: PlanOptions,
    sink: Arc<dyn EventSink>,
    quiet: bool,
) -> Result<i32> {
    if !args.apply.what_if || args.plan_output.is_some() {
        return Err(filesync_identity::Error::invalid_input(
            "over a management group or several subscriptions, only --what-if is offered: repair each service with --resource-id",
        ));
    }
    let (session, cancel) = crate::connect(&args.connection)?;
    let runs = api::tenant_for(&session, source, 0, sink, &cancel).await?;
    let plans = api::tenant_plans(&runs, kind, plan_options);
    match args.apply.format {
        OutputFormat::Json => {
            crate::write_stdout(&format!("{}\n", serde_json::to_string_pretty(&plans).expect("plans serialize")))?
        }
        OutputFormat::Table => {
            for plan in &plans {
                print_plan(plan, OutputFormat::Table)?;
                crate::write_stdout("\n")?;
            }
        }
    }
    if !quiet {
        for c in runs.iter().filter_map(|r| r.coverage.as_ref()) {
            for gap in c.gaps() {
                eprintln!("warning: not whole: {gap}");
            }
        }
        eprintln!(
            "{} plan(s), {} change(s) in all. Nothing was changed.",
            plans.len(),
            plans.iter().map(|p| p.changes.len()).sum::<usize>()
        );
    }
    Ok(0)
}

/// `apply --plan FILE`.
pub async fn run_apply(args: ApplyArgs, sink: Arc<dyn EventSink>) -> Result<i32> {
    let plan = Plan::load(&args.plan)?;
    let connection = crate::connect(&args.connection)?;
    let only = if args.only.is_empty() { None } else { Some(args.only.clone()) };
    if args.apply.format == OutputFormat::Table {
        print_plan(&plan, OutputFormat::Table)?;
    }
    if args.apply.what_if {
        // Read the live state, check it against the plan and the caller's rights; write nothing.
        let options = ApplyOptions { what_if: true, only, ..Default::default() };
        let report = match api::apply_plan(&connection.0, &plan, &options, sink, &connection.1).await {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::Conflict => {
                eprintln!("error: {e}");
                return Ok(2);
            }
            Err(e) => return Err(e),
        };
        match args.apply.format {
            OutputFormat::Json => crate::write_stdout(&format!(
                "{}\n",
                serde_json::to_string_pretty(&report).expect("reports serialize")
            ))?,
            OutputFormat::Table => {
                crate::write_stdout(&format!("\n{}", filesync_identity::report::render_apply_table(&report)))?
            }
        }
        return Ok(0);
    }
    if plan.changes.is_empty() {
        return Ok(0);
    }
    if !confirm(&plan, &args.apply)? {
        eprintln!("Nothing was changed.");
        return Ok(0);
    }
    apply_and_print(&connection, sink, &plan, &args.apply, only).await
}
