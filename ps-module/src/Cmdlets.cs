// The cmdlets. Each marshals its parameters into requests of the core (see src/api.rs), runs them, and
// turns the JSON results into output objects. Decisions (what to check, what to change) are the core's.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using AzFileSync.ManagedIdentity.Native;

namespace AzFileSync.ManagedIdentity
{
    /// <summary>Test-AzFileSyncManagedIdentity: diagnose a deployment (live, or offline from a snapshot).</summary>
    [Cmdlet(VerbsDiagnostic.Test, "AzFileSyncManagedIdentity", DefaultParameterSetName = ParameterSets.ByName, HelpUri = HelpLinks.Test)]
    [OutputType(typeof(FileSyncFinding))]
    [OutputType(typeof(FileSyncScopeResult))]
    [OutputType(typeof(bool))]
    public sealed class TestAzFileSyncManagedIdentityCommand : FileSyncTargetCmdletBase
    {
        /// <summary>Every Storage Sync Service of the subscriptions under this management group.</summary>
        [Parameter(ParameterSetName = ParameterSets.ByScope)]
        [ValidateNotNullOrEmpty]
        public string ManagementGroupName { get; set; }

        /// <summary>Every Storage Sync Service of every subscription the caller can read.</summary>
        [Parameter(ParameterSetName = ParameterSets.ByScope)]
        public SwitchParameter AllSubscriptions { get; set; }

        // Hides the base class's single -SubscriptionId: one value keeps its meaning (the subscription of
        // -ResourceGroupName, or alone every service of it, and it binds from piped objects); several are a
        // scope of those subscriptions, as in ByScope.
        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = ParameterSets.ByScope)]
        [AllowNull, AllowEmptyCollection]
        public new string[] SubscriptionId { get; set; }

        // Not from the pipeline: a piped file would bind its Name to -Name (tested in the real engine).
        [Parameter(ParameterSetName = ParameterSets.BySnapshot, Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string SnapshotPath { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyString]
        public string SyncGroupName { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(CheckIdCompleter))]
        public string[] Check { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        /// <summary>Days of Activity Log to read, to name who changed what a problem points at (0 skips).</summary>
        [Parameter]
        [ValidateRange(0, 90)]
        public int ActivityDays { get; set; } = 30;

        /// <summary>On a registered server: also what this machine's identity and network are (see LocalState.cs).</summary>
        [Parameter]
        public SwitchParameter Local { get; set; }

        /// <summary>With -Local: HOST:PORT:ADDRESS pins, like curl's --resolve.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] Resolve { get; set; }

        /// <summary>With -Local: where the Azure Arc agent writes its key files.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ArcKeyDirectory { get; set; }

        /// <summary>With -Local: the time limit of each probe step, in seconds.</summary>
        [Parameter]
        [ValidateRange(0.05, 120.0)]
        public double ProbeTimeoutSeconds { get; set; } = 5;

        bool _healthy = true;
        bool _diagnosed;

        Dictionary<string, object> WithLocal(Dictionary<string, object> request)
        {
            if (!Local) return request;
            request["operation"] = "testLocal";
            request["local"] = LocalState.Options(this, Resolve, ArcKeyDirectory, ProbeTimeoutSeconds);
            return request;
        }

        internal override string SyncGroupForTarget { get { return SyncGroupName; } }

        protected override void ProcessRecord()
        {
            string[] subscriptions = SubscriptionId ?? new string[0];
            if (ParameterSetName == ParameterSets.ByScope || subscriptions.Length > 1)
            {
                TestScope(subscriptions);
                return;
            }
            if (ParameterSetName != ParameterSets.BySnapshot)
            {
                base.SubscriptionId = subscriptions.Length == 1 ? subscriptions[0] : null;
                base.ProcessRecord();
                return;
            }
            string path = FullPath(SnapshotPath);
            var request = new Dictionary<string, object> { { "operation", "test" }, { "snapshotPath", path } };
            if (!string.IsNullOrEmpty(SyncGroupName)) request["syncGroups"] = new[] { SyncGroupName };
            Diagnose(OfflineSession(), WithLocal(request), path);
        }

        internal override void ProcessTarget(FileSyncTarget target)
        {
            var session = AzureSession(target.ResourceId);
            var request = new Dictionary<string, object> { { "operation", "test" }, { "target", target.Target }, { "activityDays", ActivityDays } };
            if (!target.Whole && target.SyncGroups.Count > 0) request["syncGroups"] = target.SyncGroups;
            Diagnose(session, WithLocal(request), target.ResourceId);
        }

        /// <summary>A scope of many services in one request: the core finds them (Resource Graph), reads each
        /// from ARM and answers one report over the set (see docs/tenant.md).</summary>
        void TestScope(string[] subscriptions)
        {
            if (MyInvocation.ExpectingInput || !string.IsNullOrEmpty(ResourceGroupName) || !string.IsNullOrEmpty(Name)
                || !string.IsNullOrEmpty(ResourceId) || !string.IsNullOrEmpty(StorageSyncServiceName) || !string.IsNullOrEmpty(TargetResourceId)
                || !string.IsNullOrEmpty(SyncGroupName) || Local)
            {
                _healthy = false;
                WriteError(NewError(ErrorIds.SeveralTargets, ErrorCategory.InvalidArgument, subscriptions,
                    "Several -SubscriptionId values, -ManagementGroupName and -AllSubscriptions name a scope of many services; they do not go with piped objects, -ResourceGroupName, -Name, -ResourceId, -SyncGroupName or -Local.",
                    "Give the scope alone, or name one service (one -SubscriptionId with -ResourceGroupName and -Name, or -ResourceId)."));
                return;
            }
            int scopes = (string.IsNullOrEmpty(ManagementGroupName) ? 0 : 1) + (AllSubscriptions ? 1 : 0) + (subscriptions.Length > 0 ? 1 : 0);
            if (scopes != 1)
            {
                _healthy = false;
                WriteError(NewError(scopes == 0 ? ErrorIds.NoTarget : ErrorIds.SeveralTargets, ErrorCategory.InvalidArgument, null,
                    scopes == 0 ? "Nothing to work on was named." : "-ManagementGroupName, -AllSubscriptions and -SubscriptionId each name a scope; give one of them.",
                    "Give -ManagementGroupName, -AllSubscriptions or -SubscriptionId (several values for several subscriptions)."));
                return;
            }
            var scope = new Dictionary<string, object>();
            if (!string.IsNullOrEmpty(ManagementGroupName)) scope["managementGroup"] = ManagementGroupName;
            if (AllSubscriptions) scope["allSubscriptions"] = true;
            if (subscriptions.Length > 0) scope["subscriptionIds"] = subscriptions;
            var request = new Dictionary<string, object> { { "operation", "test" }, { "scope", scope }, { "activityDays", ActivityDays } };
            if (!string.IsNullOrEmpty(SyncGroupName)) request["syncGroups"] = new[] { SyncGroupName };
            if (Check != null) request["checks"] = Check;
            string what = !string.IsNullOrEmpty(ManagementGroupName) ? ManagementGroupName : subscriptions.Length > 0 ? string.Join(",", subscriptions) : "AllSubscriptions";
            Dictionary<string, object> report;
            try
            {
                report = Run(AzureSession(what), request, "Testing Azure File Sync managed identities");
            }
            catch (FileSyncNativeException e)
            {
                _healthy = false;
                WriteError(ToErrorRecord(e, what));
                return;
            }
            _diagnosed = true;
            var result = new FileSyncScopeResult(report);
            // Never a green verdict over a partial scope: only the core's exit code 0 is healthy.
            if (result.ExitCode != 0) _healthy = false;
            if (result.Gaps.Length > 0)
            {
                WriteWarning("The scope was not read whole, so its verdict is at best incomplete: " + string.Join("; ", result.Gaps) + ".");
            }
            if (Quiet) return;
            foreach (var item in Json.Arr(report, "services") ?? new List<object>())
            {
                var service = item as Dictionary<string, object>;
                WriteFindings(Json.Obj(service, "report"), Json.Str(service, "id"));
            }
            WriteObject(result);
        }

        void Diagnose(Native.SessionHandle session, Dictionary<string, object> request, string what)
        {
            if (Check != null) request["checks"] = Check;
            Dictionary<string, object> report;
            try
            {
                report = Run(session, request, "Testing Azure File Sync managed identities");
            }
            catch (FileSyncNativeException e)
            {
                _healthy = false;
                WriteError(ToErrorRecord(e, what));
                return;
            }
            _diagnosed = true;
            var local = Local ? Json.Obj(report, "local") : null;
            if (Local) report = Json.Obj(report, "report") ?? new Dictionary<string, object>();
            var summary = Json.Obj(report, "summary");
            // Healthy means: looked at something, and nothing failed and nothing could not be decided (the
            // command line's exit code 0).
            if ((Json.Long(summary, "fail") ?? 0) > 0 || (Json.Long(summary, "unknown") ?? 0) > 0) _healthy = false;
            if ((Json.Long(summary, "total") ?? 0) == 0)
            {
                _healthy = false;
                WriteWarning("Nothing was checked in " + what + ": it has no Storage Sync Service (check the resource group and name).");
            }
            var localFindings = new List<PSObject>();
            foreach (var f in Json.Arr(local, "findings") ?? new List<object>())
            {
                bool problem;
                localFindings.Add(LocalState.Finding(f as Dictionary<string, object>, Json.Str(local, "serverName"), out problem));
                if (problem) _healthy = false;
            }
            if (Quiet) return;
            WriteFindings(report, TargetIdOf(Json.Obj(report, "target")));
            foreach (var o in localFindings) WriteObject(o);
        }

        /// <summary>The findings of one service's report, each with the diagnosed target.</summary>
        void WriteFindings(Dictionary<string, object> report, string targetId)
        {
            var reportTarget = Json.Obj(report, "target");
            // Which root cause (numbered as the command line's table numbers them) each problem belongs to.
            var causeOf = new Dictionary<long, int>();
            var causes = Json.Arr(report, "causes") ?? new List<object>();
            for (int n = 0; n < causes.Count; n++)
            {
                foreach (var i in Json.Arr(causes[n] as Dictionary<string, object>, "findings") ?? new List<object>())
                {
                    if (i is long) causeOf[(long)i] = n + 1;
                }
            }
            long index = 0;
            foreach (var f in Json.Arr(report, "findings") ?? new List<object>())
            {
                int cause;
                WriteObject(new FileSyncFinding(f as Dictionary<string, object>, reportTarget, targetId, causeOf.TryGetValue(index++, out cause) ? cause : (int?)null));
            }
        }

        protected override void EndProcessing()
        {
            base.EndProcessing();
            if (Quiet) WriteObject(_healthy && _diagnosed);
        }

        /// <summary>The ARM id of a report's target (service, resource group or subscription), as the core
        /// resolves it; null when the report names none.</summary>
        string TargetIdOf(Dictionary<string, object> reportTarget)
        {
            string subscription = Json.Str(reportTarget, "subscriptionId");
            if (string.IsNullOrEmpty(subscription)) return null;
            var request = new Dictionary<string, object> { { "operation", "resolveTarget" }, { "subscriptionId", subscription } };
            string group = Json.Str(reportTarget, "resourceGroup");
            if (!string.IsNullOrEmpty(group)) request["resourceGroup"] = group;
            string name = Json.Str(reportTarget, "name");
            if (!string.IsNullOrEmpty(name)) request["name"] = name;
            try
            {
                return Json.Str(Run(OfflineSession(), request, null), "resourceId");
            }
            catch (FileSyncNativeException)
            {
                return null;
            }
        }
    }

    /// <summary>Shared by Repair-AzFileSyncPermission and Enable-AzFileSyncManagedIdentity: plan, ask
    /// ShouldProcess for each change, apply only the approved changes.</summary>
    public abstract class FileSyncPlanCmdletBase : FileSyncTargetCmdletBase
    {
        internal abstract string PlanKind { get; }
        internal abstract string Activity { get; }

        /// <summary>One more confirmation for all approved changes of a target, after ShouldProcess.</summary>
        internal virtual bool ConfirmAll(FileSyncTarget target, List<FileSyncPlannedChange> approved) { return true; }

        /// <summary>A failed change as an ErrorRecord: AzFileSync.Arm.&lt;ARM code&gt; (or AzFileSync.ChangeFailed),
        /// the category from why it failed, the changed resource as target.</summary>
        static ErrorRecord ChangeFailed(FileSyncChangeResult r)
        {
            string id = string.IsNullOrEmpty(r.ErrorCode) ? ErrorIds.ChangeFailed : "AzFileSync.Arm." + r.ErrorCode;
            string message = string.Format(CultureInfo.InvariantCulture, "{0}: {1}{2}", r.Description, r.Message,
                string.IsNullOrEmpty(r.RequestId) ? "" : " (request id " + r.RequestId + ")");
            return NewError(id, CategoryOfKind(r.ErrorKind), r.Target, message,
                "Fix the cause named in the message and run the command again: changes already made are kept and not repeated.");
        }

        /// <summary>Fields a cmdlet adds to its plan request (Repair: security-posture changes).</summary>
        internal virtual void AddPlanFields(Dictionary<string, object> request) { }

        internal override void ProcessTarget(FileSyncTarget target)
        {
            var session = AzureSession(target.ResourceId);
            var request = new Dictionary<string, object> { { "operation", "plan" }, { "kind", PlanKind }, { "target", target.Target } };
            // Findings piped in (and nothing that named the whole target): only what they call for.
            if (!target.Whole && target.Findings.Count > 0) request["findings"] = target.Findings;
            AddPlanFields(request);
            Dictionary<string, object> plan;
            try
            {
                plan = Run(session, request, Activity + ": planning");
            }
            catch (FileSyncNativeException e)
            {
                WriteError(ToErrorRecord(e, target.ResourceId));
                return;
            }
            foreach (var item in Json.Arr(plan, "manualSteps") ?? new List<object>())
            {
                var step = item as Dictionary<string, object>;
                string command = Json.Str(step, "command");
                WriteWarning(string.Format(CultureInfo.InvariantCulture, "{0}: {1}{2}", Json.Str(step, "resourceName"), Json.Str(step, "message"),
                    string.IsNullOrEmpty(command) ? "" : " (" + command + ")"));
            }
            foreach (var note in Json.StrArr(plan, "notes")) WriteWarning(note);
            // What the repair does not change and needs nothing of this run: on the verbose stream only.
            foreach (var line in Json.StrArr(plan, "unchanged")) WriteVerbose(line);

            var byId = new Dictionary<string, FileSyncPlannedChange>(StringComparer.Ordinal);
            var approved = new List<FileSyncPlannedChange>();
            var changes = Json.Arr(plan, "changes") ?? new List<object>();
            foreach (var item in changes)
            {
                var change = new FileSyncPlannedChange(item as Dictionary<string, object>);
                if (change.Id == null) continue;
                byId[change.Id] = change;
                if (ShouldProcess(change.Target, change.Description)) approved.Add(change);
            }
            if (changes.Count == 0) WriteVerbose("Nothing to change for " + target.ResourceId + ": the plan is empty.");
            if (approved.Count == 0 || !ConfirmAll(target, approved)) return;

            var ids = approved.ConvertAll(c => (object)c.Id);
            var apply = new Dictionary<string, object> { { "operation", "apply" }, { "plan", plan }, { "only", ids } };
            Dictionary<string, object> outcome;
            try
            {
                outcome = Run(session, apply, Activity + ": applying");
            }
            catch (FileSyncNativeException e)
            {
                WriteError(ToErrorRecord(e, target.ResourceId));
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

    /// <summary>Repair-AzFileSyncPermission: grant the missing role assignments (and, on request, the
    /// storage settings File Sync needs). ConfirmImpact Medium, as the Az guidelines give a change that
    /// adds access and is undone by removing it (High is for deletions and what cannot be undone): it
    /// does not ask at the default $ConfirmPreference (High); -Confirm asks for each change, -WhatIf
    /// lists them.</summary>
    [Cmdlet(VerbsDiagnostic.Repair, "AzFileSyncPermission", DefaultParameterSetName = ParameterSets.ByName, HelpUri = HelpLinks.Repair,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(FileSyncChangeResult))]
    public sealed class RepairAzFileSyncPermissionCommand : FileSyncPlanCmdletBase
    {
        /// <summary>Also plan the storage network and key-access changes File Sync needs.</summary>
        [Parameter]
        public SwitchParameter IncludeSecurityPostureChange { get; set; }

        // A piped finding's check, principal and scope: Repair then plans only what the findings piped
        // in call for. Hidden: they come from findings, not from a person.
        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true, DontShow = true)]
        [AllowNull, AllowEmptyString]
        public string Check { get; set; }

        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true, DontShow = true)]
        [AllowNull, AllowEmptyString]
        public string PrincipalId { get; set; }

        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true, DontShow = true)]
        [AllowNull, AllowEmptyString]
        public string Scope { get; set; }

        internal override string FindingCheck { get { return Check; } }
        internal override string FindingPrincipalId { get { return PrincipalId; } }
        internal override string FindingScope { get { return Scope; } }

        internal override void AddPlanFields(Dictionary<string, object> request)
        {
            if (IncludeSecurityPostureChange) request["includeSecurityPostureChanges"] = true;
        }

        internal override string PlanKind { get { return "repair"; } }
        internal override string Activity { get { return "Repairing Azure File Sync permissions"; } }
    }

    /// <summary>Enable-AzFileSyncManagedIdentity: switch a deployment to managed identities. As the Az
    /// guidelines ask of a cmdlet that changes much: ConfirmImpact Medium, ShouldProcess per change (so
    /// -WhatIf lists them and -Confirm asks for each), and one confirmation for the whole switch that -Force
    /// skips (and that a non-interactive session must skip).</summary>
    [Cmdlet(VerbsLifecycle.Enable, "AzFileSyncManagedIdentity", DefaultParameterSetName = ParameterSets.ByName, HelpUri = HelpLinks.Enable,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(FileSyncChangeResult))]
    public sealed class EnableAzFileSyncManagedIdentityCommand : FileSyncPlanCmdletBase
    {
        [Parameter]
        public SwitchParameter Force { get; set; }

        internal override string PlanKind { get { return "enableIdentity"; } }
        internal override string Activity { get { return "Enabling Azure File Sync managed identities"; } }

        internal override bool ConfirmAll(FileSyncTarget target, List<FileSyncPlannedChange> approved)
        {
            if (Force) return true;
            string query = string.Format(CultureInfo.InvariantCulture,
                "Switch {0} to managed identities with {1} change{2} (review them with -WhatIf)? Servers move to their identities as they next sync.",
                target.ResourceId, approved.Count, approved.Count == 1 ? "" : "s");
            try
            {
                return ShouldContinue(query, "Enable Azure File Sync managed identities");
            }
            catch (Exception e) when (e is PSInvalidOperationException || e is System.Management.Automation.Host.HostException || e is NotImplementedException)
            {
                ThrowTerminatingError(NewError(ErrorIds.ConfirmationRequired, ErrorCategory.InvalidOperation, target.ResourceId,
                    "Enable-AzFileSyncManagedIdentity asks once before it changes anything, and this session cannot ask (" + e.Message + ").",
                    "Review the plan with -WhatIf, then run it again with -Force."));
                return false;
            }
        }
    }

    /// <summary>Get-AzFileSyncErrorInfo: explain a File Sync error code given in any spelling, or carried
    /// by an object (a sync session's LastSyncResult, an exception's HResult, a finding's ErrorCodes).</summary>
    [Cmdlet(VerbsCommon.Get, "AzFileSyncErrorInfo", HelpUri = HelpLinks.ErrorInfo)]
    [OutputType(typeof(FileSyncErrorInfo))]
    public sealed class GetAzFileSyncErrorInfoCommand : FileSyncCmdletBase
    {
        /// <summary>The properties, in order, that carry a code on the objects people hold.</summary>
        static readonly string[] CodeProperties = { "LastSyncResult", "HResult", "ErrorCode", "ErrorCodes", "Code" };

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [Alias("ErrorCode", "ErrorCodes", "HResult", "LastSyncResult")]
        public object[] Code { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var item in Code ?? new object[0])
            {
                foreach (var code in CodesOf(item))
                {
                    var request = new Dictionary<string, object> { { "operation", "explain" }, { "code", code } };
                    try
                    {
                        WriteObject(new FileSyncErrorInfo(Run(OfflineSession(), request, null)));
                    }
                    catch (FileSyncNativeException e)
                    {
                        WriteError(ToErrorRecord(e, code));
                    }
                }
            }
        }

        /// <summary>The code text(s) an input stands for; an input with none is an error record.</summary>
        List<string> CodesOf(object item)
        {
            var codes = new List<string>();
            object o = Base(item);
            if (o == null)
            {
                WriteError(NewError(ErrorIds.NoErrorCode, ErrorCategory.InvalidArgument, null, "The input is null: there is no error code to explain.", "Give a code such as 0x80c8305f."));
                return codes;
            }
            string text = Scalar(o);
            if (text != null)
            {
                codes.Add(text);
                return codes;
            }
            var error = o as ErrorRecord;
            if (error != null && error.Exception != null) o = error.Exception;
            var exception = o as Exception;
            if (exception != null)
            {
                codes.Add(exception.HResult.ToString(CultureInfo.InvariantCulture));
                return codes;
            }
            // The properties PowerShell sees (a PSCustomObject's, a deserialized object's notes), read on the
            // object as piped: its base object alone has none of them.
            object holder = item is PSObject && !(o is Exception) ? item : o;
            foreach (string name in CodeProperties)
            {
                if (!HasProp(holder, name)) continue;
                object v = Base(Prop(holder, name));
                if (v == null)
                {
                    WriteError(NewError(ErrorIds.NoErrorCode, ErrorCategory.InvalidData, item,
                        string.Format(CultureInfo.InvariantCulture, "The {0} has no {1}{2}.", TypeName(item), name,
                            name == "LastSyncResult" ? ": no sync session has run in this direction yet" : ""), null));
                    return codes;
                }
                var many = v as IEnumerable;
                if (many != null && !(v is string))
                {
                    foreach (var x in many)
                    {
                        string s = Scalar(Base(x));
                        if (s != null) codes.Add(s);
                    }
                }
                else
                {
                    string s = Scalar(v);
                    if (s != null) codes.Add(s);
                }
                return codes;
            }
            WriteError(NewError(ErrorIds.NoErrorCode, ErrorCategory.InvalidArgument, item,
                string.Format(CultureInfo.InvariantCulture, "A {0} carries no File Sync error code.", TypeName(item)),
                "Pipe a code (0x80c8305f, -2134364065), an exception or error record, or an object with a LastSyncResult, HResult or ErrorCode property, such as $serverEndpoint.SyncStatus.UploadStatus."));
            return codes;
        }

        /// <summary>A string or number as code text; null for anything else.</summary>
        static string Scalar(object o)
        {
            if (o is string) return (string)o;
            if (o is int || o is long || o is uint || o is short || o is ushort || o is ulong || o is byte || o is sbyte)
            {
                return Convert.ToString(o, CultureInfo.InvariantCulture);
            }
            return null;
        }

        static string TypeName(object item)
        {
            var names = PSObject.AsPSObject(item).TypeNames;
            return names.Count > 0 ? names[0] : item.GetType().FullName;
        }
    }

    /// <summary>Export-AzFileSyncSnapshot: collect a deployment into a snapshot file for offline diagnosis.</summary>
    [Cmdlet(VerbsData.Export, "AzFileSyncSnapshot", DefaultParameterSetName = ParameterSets.ByName, HelpUri = HelpLinks.Export)]
    [OutputType(typeof(FileSyncSnapshotInfo))]
    public sealed class ExportAzFileSyncSnapshotCommand : FileSyncTargetCmdletBase
    {
        /// <summary>The first positional argument, in every set: `$svc | Export-AzFileSyncSnapshot snap.json`.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        // Not positional here (they are in the other cmdlets), so that a positional path is never taken for a
        // resource group while piped objects bring theirs. Otherwise as the base declares them.
        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyString]
        [ArgumentCompleter(typeof(ResourceGroupNameCompleter))]
        public override string ResourceGroupName { get; set; }

        // Never from a piped object (an object's Name is its own): piped objects bring StorageSyncServiceName.
        [Parameter(ParameterSetName = ParameterSets.ByName)]
        [AllowNull, AllowEmptyString]
        public override string Name { get; set; }

        /// <summary>Overwrite an existing file (without it, an existing file is an error and is kept).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Days of Activity Log to keep in the snapshot (0 skips).</summary>
        [Parameter]
        [ValidateRange(0, 90)]
        public int ActivityDays { get; set; } = 30;

        internal override void BeforeTargets(List<FileSyncTarget> targets)
        {
            string path = FullPath(Path);
            if (targets.Count > 0 && !Force && (File.Exists(path) || Directory.Exists(path)))
            {
                ThrowTerminatingError(NewError(ErrorIds.FileExists, ErrorCategory.ResourceExists, path,
                    string.Format(CultureInfo.InvariantCulture, "{0} already exists; nothing was collected and the file was kept.", path),
                    "Give another -Path, or add -Force to overwrite it."));
            }
            if (targets.Count <= 1) return;
            var names = targets.ConvertAll(t => t.ResourceId);
            ThrowTerminatingError(NewError(ErrorIds.SeveralTargets, ErrorCategory.InvalidArgument, names.ToArray(),
                string.Format(CultureInfo.InvariantCulture, "The input points at {0} targets ({1}), and a snapshot file holds one; nothing was written.",
                    targets.Count, string.Join(", ", names.ToArray())),
                "Export one service at a time (a -Path each), or give -ResourceGroupName alone to collect every service of a group into one snapshot."));
        }

        internal override void ProcessTarget(FileSyncTarget target)
        {
            var session = AzureSession(target.ResourceId);
            string path = FullPath(Path);
            Dictionary<string, object> snapshot;
            var request = new Dictionary<string, object> { { "operation", "collect" }, { "outputPath", path }, { "target", target.Target }, { "activityDays", ActivityDays } };
            try
            {
                snapshot = Run(session, request, "Collecting the Azure File Sync deployment");
            }
            catch (FileSyncNativeException e)
            {
                WriteError(ToErrorRecord(e, target.ResourceId));
                return;
            }
            WriteObject(new FileSyncSnapshotInfo(path, snapshot, target.ResourceId));
        }
    }

    /// <summary>Compare-AzFileSyncSnapshot: what moved between two snapshots of one deployment.</summary>
    [Cmdlet(VerbsData.Compare, "AzFileSyncSnapshot", DefaultParameterSetName = ParameterSets.ByPath, HelpUri = HelpLinks.Compare)]
    [OutputType(typeof(FileSyncSnapshotChange))]
    public sealed class CompareAzFileSyncSnapshotCommand : FileSyncCmdletBase
    {
        [Parameter(ParameterSetName = ParameterSets.ByPath, Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string ReferencePath { get; set; }

        [Parameter(ParameterSetName = ParameterSets.ByPath, Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string DifferencePath { get; set; }

        /// <summary>The older snapshot as an object (Get-Content -Raw | ConvertFrom-Json).</summary>
        [Parameter(ParameterSetName = ParameterSets.ByObject, Mandatory = true)]
        [ValidateNotNull]
        public PSObject ReferenceSnapshot { get; set; }

        [Parameter(ParameterSetName = ParameterSets.ByObject, Mandatory = true)]
        [ValidateNotNull]
        public PSObject DifferenceSnapshot { get; set; }

        /// <summary>How a snapshot object becomes JSON (a constant, so a host can recognise it).</summary>
        internal const string ConvertToJsonScript = "param($o) $o | ConvertTo-Json -Depth 64 -Compress";

        static readonly string[][] Areas =
        {
            new[] { "roleAssignments", "RoleAssignment" },
            new[] { "settings", "Setting" },
            new[] { "resources", "Resource" },
            new[] { "findings", "Finding" },
        };

        protected override void EndProcessing()
        {
            var request = new Dictionary<string, object> { { "operation", "diff" } };
            if (ParameterSetName == ParameterSets.ByPath)
            {
                request["oldPath"] = FullPath(ReferencePath);
                request["newPath"] = FullPath(DifferencePath);
            }
            else
            {
                request["old"] = SnapshotJson(ReferenceSnapshot);
                request["new"] = SnapshotJson(DifferenceSnapshot);
            }
            Dictionary<string, object> diff;
            try
            {
                diff = Run(OfflineSession(), request, null);
            }
            catch (FileSyncNativeException e)
            {
                ThrowTerminatingError(ToErrorRecord(e, ParameterSetName == ParameterSets.ByPath ? DifferencePath : null));
                return;
            }
            foreach (var n in Json.Arr(diff, "notes") ?? new List<object>())
            {
                if (n is string) WriteWarning((string)n);
            }
            foreach (var area in Areas)
            {
                foreach (var c in Json.Arr(diff, area[0]) ?? new List<object>())
                {
                    WriteObject(new FileSyncSnapshotChange(area[1], c as Dictionary<string, object>));
                }
            }
        }

        /// <summary>A snapshot object as the core's JSON: a path (string, FileInfo, or what Export-AzFileSyncSnapshot
        /// returned) is read by the core; any
        /// other object is converted with ConvertTo-Json.</summary>
        object SnapshotJson(PSObject o)
        {
            object b = o.BaseObject;
            var file = b as FileInfo;
            var saved = b as FileSyncSnapshotInfo;
            string path = file != null ? file.FullName : saved != null ? saved.Path : b as string;
            if (path != null)
            {
                return Json.Parse(File.ReadAllText(FullPath(path)));
            }
            var converted = InvokeCommand.InvokeScript(ConvertToJsonScript, o);
            string text = converted.Count > 0 && converted[0] != null ? converted[0].BaseObject as string : null;
            if (text == null)
            {
                ThrowTerminatingError(NewError(ErrorIds.NoTarget, ErrorCategory.InvalidArgument, o,
                    "The object is not a snapshot: it could not be converted to JSON.",
                    "Pass a snapshot file's path, or the object Get-Content -Raw FILE | ConvertFrom-Json gives."));
            }
            return Json.Parse(text);
        }
    }
}
