// The cmdlets. Each marshals its parameters into one request of the core (see src/api.rs), runs it, and
// turns the JSON result into output objects. Decisions (what to check, what to change) are the core's.
using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using AzFileSync.ManagedIdentity.Native;

namespace AzFileSync.ManagedIdentity
{
    /// <summary>Test-AzFileSyncManagedIdentity: diagnose a deployment (live, or offline from a snapshot).</summary>
    [Cmdlet(VerbsDiagnostic.Test, "AzFileSyncManagedIdentity", DefaultParameterSetName = ParameterSets.ByName)]
    [OutputType(typeof(FileSyncFinding))]
    [OutputType(typeof(bool))]
    public sealed class TestAzFileSyncManagedIdentityCommand : FileSyncTargetCmdletBase
    {
        [Parameter(ParameterSetName = ParameterSets.BySnapshot, Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string SnapshotPath { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] Check { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        bool _healthy = true;

        protected override void ProcessRecord()
        {
            var request = new Dictionary<string, object> { { "operation", "test" } };
            SessionHandle session;
            object target;
            if (ParameterSetName == ParameterSets.BySnapshot)
            {
                string path = FullPath(SnapshotPath);
                request["snapshotPath"] = path;
                session = OfflineSession();
                target = path;
            }
            else
            {
                session = AzureSession();
                AddTarget(request);
                target = request["target"];
            }
            if (Check != null) request["checks"] = Check;

            Dictionary<string, object> report;
            try
            {
                report = Run(session, request, "Testing Azure File Sync managed identities");
            }
            catch (FileSyncNativeException e)
            {
                _healthy = false;
                WriteError(ToErrorRecord(e, target));
                return;
            }
            if ((Json.Long(Json.Obj(report, "summary"), "fail") ?? 0) > 0) _healthy = false;
            if (Quiet) return;
            var reportTarget = Json.Obj(report, "target");
            var findings = Json.Arr(report, "findings");
            if (findings == null) return;
            foreach (var f in findings)
            {
                WriteObject(new FileSyncFinding(f as Dictionary<string, object>, reportTarget));
            }
        }

        protected override void EndProcessing()
        {
            if (Quiet) WriteObject(_healthy);
        }
    }

    /// <summary>Shared by Repair-AzFileSyncPermission and Enable-AzFileSyncManagedIdentity: plan, ask
    /// ShouldProcess for each change, apply only the approved changes.</summary>
    public abstract class FileSyncPlanCmdletBase : FileSyncTargetCmdletBase
    {
        internal abstract string PlanKind { get; }
        internal abstract string Activity { get; }

        /// <summary>A failed change as an ErrorRecord: AzFileSync.Arm.&lt;ARM code&gt; (or AzFileSync.ChangeFailed).</summary>
        static ErrorRecord ChangeFailed(FileSyncChangeResult r)
        {
            string id = string.IsNullOrEmpty(r.ErrorCode) ? "AzFileSync.ChangeFailed" : "AzFileSync.Arm." + r.ErrorCode;
            string message = string.Format("{0}: {1}{2}", r.Description, r.Message, string.IsNullOrEmpty(r.RequestId) ? "" : " (request id " + r.RequestId + ")");
            var e = new ErrorRecord(new InvalidOperationException(message), id, ErrorCategory.InvalidResult, r);
            e.ErrorDetails = new ErrorDetails(message) { RecommendedAction = "Fix the cause named in the message and run the command again: changes already made are kept and not repeated." };
            return e;
        }

        readonly HashSet<string> _planned = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        protected override void ProcessRecord()
        {
            var session = AzureSession();
            var request = new Dictionary<string, object> { { "operation", "plan" }, { "kind", PlanKind } };
            AddTarget(request);
            // Many findings of one report pipe in with the same target: plan it once.
            if (!_planned.Add(Json.Write(request))) return;

            Dictionary<string, object> plan;
            try
            {
                plan = Run(session, request, Activity + ": planning");
            }
            catch (FileSyncNativeException e)
            {
                WriteError(ToErrorRecord(e, request["target"]));
                return;
            }
            foreach (var item in Json.Arr(plan, "manualSteps") ?? new List<object>())
            {
                var step = item as Dictionary<string, object>;
                string command = Json.Str(step, "command");
                WriteWarning(string.Format("{0}: {1}{2}", Json.Str(step, "resourceName"), Json.Str(step, "message"),
                    string.IsNullOrEmpty(command) ? "" : " (" + command + ")"));
            }
            foreach (var note in Json.StrArr(plan, "notes")) WriteWarning(note);

            var byId = new Dictionary<string, FileSyncPlannedChange>(StringComparer.Ordinal);
            var approved = new List<object>();
            var changes = Json.Arr(plan, "changes") ?? new List<object>();
            foreach (var item in changes)
            {
                var change = new FileSyncPlannedChange(item as Dictionary<string, object>);
                if (change.Id == null) continue;
                byId[change.Id] = change;
                if (ShouldProcess(change.Target, change.Description)) approved.Add(change.Id);
            }
            if (changes.Count == 0) WriteVerbose("Nothing to change: the plan is empty.");
            if (approved.Count == 0) return;

            var apply = new Dictionary<string, object> { { "operation", "apply" }, { "plan", plan }, { "only", approved } };
            Dictionary<string, object> outcome;
            try
            {
                outcome = Run(session, apply, Activity + ": applying");
            }
            catch (FileSyncNativeException e)
            {
                WriteError(ToErrorRecord(e, request["target"]));
                return;
            }
            foreach (var item in Json.Arr(outcome, "results") ?? new List<object>())
            {
                var r = item as Dictionary<string, object>;
                FileSyncPlannedChange change;
                byId.TryGetValue(Json.Str(r, "id") ?? "", out change);
                var result = new FileSyncChangeResult(r, change);
                WriteObject(result);
                if (result.Status == "failed") WriteError(ChangeFailed(result));
            }
        }
    }

    /// <summary>Repair-AzFileSyncPermission: grant the missing role assignments.</summary>
    [Cmdlet(VerbsDiagnostic.Repair, "AzFileSyncPermission", DefaultParameterSetName = ParameterSets.ByName,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(FileSyncChangeResult))]
    public sealed class RepairAzFileSyncPermissionCommand : FileSyncPlanCmdletBase
    {
        internal override string PlanKind { get { return "repair"; } }
        internal override string Activity { get { return "Repairing Azure File Sync permissions"; } }
    }

    /// <summary>Enable-AzFileSyncManagedIdentity: switch a deployment to managed identities.</summary>
    [Cmdlet(VerbsLifecycle.Enable, "AzFileSyncManagedIdentity", DefaultParameterSetName = ParameterSets.ByName,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(FileSyncChangeResult))]
    public sealed class EnableAzFileSyncManagedIdentityCommand : FileSyncPlanCmdletBase
    {
        internal override string PlanKind { get { return "enableIdentity"; } }
        internal override string Activity { get { return "Enabling Azure File Sync managed identities"; } }
    }

    /// <summary>Get-AzFileSyncErrorInfo: explain a File Sync error code given in any spelling.</summary>
    [Cmdlet(VerbsCommon.Get, "AzFileSyncErrorInfo")]
    [OutputType(typeof(FileSyncErrorInfo))]
    public sealed class GetAzFileSyncErrorInfoCommand : FileSyncCmdletBase
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("ErrorCode", "ErrorCodes", "HResult", "LastSyncResult")]
        [ValidateNotNullOrEmpty]
        public string[] Code { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var code in Code)
            {
                var request = new Dictionary<string, object> { { "operation", "explain" }, { "code", code } };
                try
                {
                    WriteObject(new FileSyncErrorInfo(Run(OfflineSession(), request, "Looking up " + code)));
                }
                catch (FileSyncNativeException e)
                {
                    WriteError(ToErrorRecord(e, code));
                }
            }
        }
    }

    /// <summary>Export-AzFileSyncSnapshot: collect a deployment into a snapshot file for offline diagnosis.</summary>
    [Cmdlet(VerbsData.Export, "AzFileSyncSnapshot", DefaultParameterSetName = ParameterSets.ByName)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportAzFileSyncSnapshotCommand : FileSyncTargetCmdletBase
    {
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        protected override void ProcessRecord()
        {
            var session = AzureSession();
            string path = FullPath(Path);
            var request = new Dictionary<string, object> { { "operation", "collect" }, { "outputPath", path } };
            AddTarget(request);
            try
            {
                Run(session, request, "Collecting the Azure File Sync deployment");
            }
            catch (FileSyncNativeException e)
            {
                WriteError(ToErrorRecord(e, request["target"]));
                return;
            }
            WriteObject(new FileInfo(path));
        }
    }
}
