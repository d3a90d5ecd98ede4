// Output types: plain property bags filled from the core's JSON. Property names follow the JSON (PascalCase)
// so that objects pipe by property name into the other cmdlets.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace AzFileSync.ManagedIdentity
{
    /// <summary>A finding's verdict. An enum, so that <c>Where-Object Status -eq Fail</c> compares names
    /// (in any case) and tab completion offers them.</summary>
    public enum FileSyncStatus
    {
        Pass,
        Fail,
        Warning,
        NotApplicable,
        Unknown,
    }

    /// <summary>One check's verdict on one resource (a finding of the report).</summary>
    public sealed class FileSyncFinding
    {
        internal FileSyncFinding(Dictionary<string, object> f, Dictionary<string, object> target, string targetResourceId, int? cause)
        {
            TargetResourceId = targetResourceId;
            Cause = cause;
            Check = Json.Str(f, "check");
            Status = StatusOf(Json.Str(f, "status"));
            ResourceId = Json.Str(f, "resourceId");
            ResourceName = Json.Str(f, "resourceName");
            PrincipalId = Json.Str(f, "principalId");
            RoleDefinitionId = Json.Str(f, "roleDefinitionId");
            Scope = Json.Str(f, "scope");
            ErrorCodes = Json.StrArr(f, "errorCodes");
            Message = Json.Str(f, "message");
            Remediation = Json.Str(f, "remediation");
            Command = Json.Str(f, "command");
            Reason = Json.Str(f, "reason");
            var evidence = Json.Obj(f, "evidence");
            Evidence = ToObject(evidence);
            // Who made the change the finding points at, from the Activity Log (an object when one was found,
            // a sentence saying why not otherwise).
            var change = Json.Obj(evidence, "activityLog");
            if (change != null)
            {
                ChangedBy = Json.Str(change, "caller");
                DateTime at;
                if (DateTime.TryParse(Json.Str(change, "eventTimestamp"), System.Globalization.CultureInfo.InvariantCulture,
                        System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out at))
                {
                    ChangedAt = at;
                }
                ChangeOperation = Json.Str(change, "operationName");
                ChangeCorrelationId = Json.Str(change, "correlationId");
            }
            SubscriptionId = Json.Str(target, "subscriptionId");
            ResourceGroupName = Json.Str(target, "resourceGroup");
            StorageSyncServiceName = Json.Str(target, "name");
        }

        /// <summary>The root cause a problem finding belongs to (1 is the worst), as the command line's
        /// table numbers them: findings with one Cause are fixed together. Null for passing findings.</summary>
        public int? Cause { get; private set; }
        /// <summary>The check's stable id, e.g. cloud-endpoint.service-share-role.</summary>
        public string Check { get; private set; }
        /// <summary>Pass, Fail, Warning, NotApplicable or Unknown.</summary>
        public FileSyncStatus Status { get; private set; }
        public string ResourceId { get; private set; }
        public string ResourceName { get; private set; }
        public string PrincipalId { get; private set; }
        public string RoleDefinitionId { get; private set; }
        public string Scope { get; private set; }
        /// <summary>The File Sync HRESULTs this finding explains (0x... strings); pipe to Get-AzFileSyncErrorInfo.</summary>
        public string[] ErrorCodes { get; private set; }
        public string Message { get; private set; }
        public string Remediation { get; private set; }
        public string Command { get; private set; }
        public string Reason { get; private set; }
        /// <summary>What the check looked at, as objects: <c>$f.Evidence.ActivityLog.Caller</c>.</summary>
        public PSObject Evidence { get; private set; }
        /// <summary>Who made the change that explains the problem (from the Activity Log), e.g. alice@contoso.com.</summary>
        public string ChangedBy { get; private set; }
        /// <summary>When (UTC).</summary>
        public DateTime? ChangedAt { get; private set; }
        /// <summary>The Activity Log operation, e.g. Microsoft.Authorization/roleAssignments/delete.</summary>
        public string ChangeOperation { get; private set; }
        /// <summary>The correlation id of that operation (Get-AzActivityLog -CorrelationId).</summary>
        public string ChangeCorrelationId { get; private set; }
        /// <summary>The diagnosed target (so findings pipe into Repair-AzFileSyncPermission).</summary>
        public string SubscriptionId { get; private set; }
        public string ResourceGroupName { get; private set; }
        public string StorageSyncServiceName { get; private set; }
        /// <summary>The ARM id of the diagnosed deployment (the service, resource group or subscription): a
        /// finding piped into another cmdlet names this, not the resource it is about.</summary>
        public string TargetResourceId { get; private set; }

        /// <summary>The core's status word (pass, fail, warning, not_applicable, unknown) as the enum.</summary>
        internal static FileSyncStatus StatusOf(string status)
        {
            switch (status)
            {
                case "pass": return FileSyncStatus.Pass;
                case "fail": return FileSyncStatus.Fail;
                case "warning": return FileSyncStatus.Warning;
                case "not_applicable": return FileSyncStatus.NotApplicable;
                default: return FileSyncStatus.Unknown;
            }
        }

        /// <summary>A JSON object as a PSCustomObject whose properties are its members (first letter upper
        /// case, as PowerShell names properties; access is case-insensitive either way), nested objects as
        /// objects and arrays as arrays, so that <c>$f.Evidence.ActivityLog.Caller</c> reads a value.</summary>
        internal static PSObject ToObject(Dictionary<string, object> o)
        {
            var pso = new PSObject();
            if (o == null) return pso;
            foreach (var kv in o)
            {
                string name = kv.Key.Length > 0 ? char.ToUpperInvariant(kv.Key[0]) + kv.Key.Substring(1) : kv.Key;
                pso.Properties.Add(new PSNoteProperty(name, ToValue(kv.Value)));
            }
            return pso;
        }

        static object ToValue(object v)
        {
            var dict = v as Dictionary<string, object>;
            if (dict != null) return ToObject(dict);
            var list = v as List<object>;
            if (list != null) return list.ConvertAll(ToValue).ToArray();
            return v;
        }
    }

    /// <summary>The outcome of a run over many services (Test-AzFileSyncManagedIdentity -ManagementGroupName,
    /// -AllSubscriptions, several -SubscriptionId): the verdict over the set, a verdict per service, and why
    /// the scope was not read whole when it was not.</summary>
    public sealed class FileSyncScopeResult
    {
        internal FileSyncScopeResult(Dictionary<string, object> r)
        {
            Verdict = Json.Str(r, "verdict");
            ExitCode = (int)(Json.Long(r, "exitCode") ?? 4);
            Gaps = Json.StrArr(r, "gaps");
            ServicesGone = Json.StrArr(r, "servicesGone");
            var services = new List<FileSyncServiceVerdict>();
            foreach (var s in Json.Arr(r, "services") ?? new List<object>()) services.Add(new FileSyncServiceVerdict(s as Dictionary<string, object>));
            Services = services.ToArray();
            ServiceCount = Services.Length;
            var coverage = new List<PSObject>();
            var unreadable = new List<string>();
            foreach (var c in Json.Arr(r, "coverage") ?? new List<object>())
            {
                var d = c as Dictionary<string, object>;
                coverage.Add(FileSyncFinding.ToObject(d));
                unreadable.AddRange(Json.StrArr(d, "unreadableSubscriptions"));
            }
            Coverage = coverage.ToArray();
            UnreadableSubscriptions = unreadable.ToArray();
        }

        /// <summary>pass, fail or incomplete: pass only when the whole scope was read and every service passes.</summary>
        public string Verdict { get; private set; }
        /// <summary>The command line's exit code for the set: 0 pass, 1 a service fails, 4 incomplete.</summary>
        public int ExitCode { get; private set; }
        public int ServiceCount { get; private set; }
        /// <summary>One verdict per service, worst first.</summary>
        public FileSyncServiceVerdict[] Services { get; private set; }
        /// <summary>Why the scope was not read whole (unreadable subscriptions, a cut Resource Graph answer, a
        /// service that could not be read); empty when it was.</summary>
        public string[] Gaps { get; private set; }
        /// <summary>Subscriptions of the scope that did not answer (the caller cannot read them).</summary>
        public string[] UnreadableSubscriptions { get; private set; }
        /// <summary>Services Resource Graph still lists that ARM no longer has (deleted minutes ago).</summary>
        public string[] ServicesGone { get; private set; }
        /// <summary>What the scope held and what answered, as the core reports it (subscriptionsInScope,
        /// subscriptionsAnswered, truncated, servicesListed, resourceGraphRequests, ...).</summary>
        public PSObject[] Coverage { get; private set; }
    }

    /// <summary>One service's verdict in a run over many services.</summary>
    public sealed class FileSyncServiceVerdict
    {
        internal FileSyncServiceVerdict(Dictionary<string, object> s)
        {
            ResourceId = Json.Str(s, "id");
            Verdict = Json.Str(s, "verdict");
            ExitCode = (int)(Json.Long(s, "exitCode") ?? 4);
            var summary = Json.Obj(Json.Obj(s, "report"), "summary");
            Fail = (int)(Json.Long(summary, "fail") ?? 0);
            Unknown = (int)(Json.Long(summary, "unknown") ?? 0);
        }

        public string ResourceId { get; private set; }
        /// <summary>pass, fail or incomplete.</summary>
        public string Verdict { get; private set; }
        public int ExitCode { get; private set; }
        /// <summary>Findings that fail.</summary>
        public int Fail { get; private set; }
        /// <summary>Findings left undecided.</summary>
        public int Unknown { get; private set; }
    }

    /// <summary>A File Sync error code from the catalog (Get-AzFileSyncErrorInfo).</summary>
    public sealed class FileSyncErrorInfo
    {
        internal FileSyncErrorInfo(Dictionary<string, object> e)
        {
            Code = Json.Str(e, "code");
            Decimal = Json.Long(e, "decimal");
            Names = Json.StrArr(e, "names");
            Name = Names.Length > 0 ? Names[0] : null;
            Category = Json.Str(e, "category");
            Summary = Json.Str(e, "summary");
            Explanation = Json.Str(e, "explanation");
            Remediation = Json.Str(e, "remediation");
            Checks = Json.StrArr(e, "checks");
            Article = Json.Str(e, "article");
        }

        /// <summary>0x and eight hex digits, e.g. 0x80c8305f.</summary>
        public string Code { get; private set; }
        /// <summary>The signed decimal ARM and event logs show, e.g. -2134364065.</summary>
        public long? Decimal { get; private set; }
        public string Name { get; private set; }
        public string[] Names { get; private set; }
        public string Category { get; private set; }
        public string Summary { get; private set; }
        public string Explanation { get; private set; }
        public string Remediation { get; private set; }
        /// <summary>The checks of Test-AzFileSyncManagedIdentity that can explain this code.</summary>
        public string[] Checks { get; private set; }
        public string Article { get; private set; }
    }

    /// <summary>The outcome of one change of a plan (Repair-AzFileSyncPermission, Enable-AzFileSyncManagedIdentity).</summary>
    public sealed class FileSyncChangeResult
    {
        internal FileSyncChangeResult(Dictionary<string, object> r, FileSyncPlannedChange change)
        {
            Id = Json.Str(r, "id");
            Kind = Json.Str(r, "kind");
            Description = Json.Str(r, "title") ?? (change != null ? change.Description : null);
            Status = Json.Str(r, "outcome");
            Message = Json.Str(r, "message");
            ErrorCode = Json.Str(r, "armCode");
            ErrorKind = Json.Str(r, "errorKind");
            RequestId = Json.Str(r, "requestId");
            Path = Json.Str(r, "path");
            Target = change != null ? change.Target : Path;
        }

        public string Id { get; private set; }
        public string Kind { get; private set; }
        /// <summary>created, alreadyPresent, skipped, failed (or wouldChange), as the core reports it.</summary>
        public string Status { get; private set; }
        public string Description { get; private set; }
        public string Target { get; private set; }
        public string Message { get; private set; }
        /// <summary>ARM's error code when the change failed.</summary>
        public string ErrorCode { get; private set; }
        /// <summary>Why the change failed, as the core's error kinds (authorization, notFound, arm, ...).</summary>
        public string ErrorKind { get; private set; }
        public string RequestId { get; private set; }
        /// <summary>The ARM path that was written.</summary>
        public string Path { get; private set; }
    }

    /// <summary>One change of a plan, as the core proposed it (what ShouldProcess is asked about).</summary>
    public sealed class FileSyncPlannedChange
    {
        internal FileSyncPlannedChange(Dictionary<string, object> c)
        {
            Id = Json.Str(c, "id");
            Kind = Json.Str(c, "kind");
            Description = Json.Str(c, "title") ?? Id;
            var request = Json.Obj(c, "request");
            Method = Json.Str(request, "method");
            Path = Json.Str(request, "path");
            var grant = Json.Obj(c, "grant");
            Target = Json.Str(grant, "scope") ?? Path ?? Id;
            PrincipalId = Json.Str(grant, "principalId");
            RoleName = Json.Str(grant, "roleName");
            SecurityPostureChange = Json.Bool(c, "securityPostureChange") ?? false;
            var reasons = new List<string>();
            foreach (var item in Json.Arr(c, "reasons") ?? new List<object>())
            {
                string m = Json.Str(item as Dictionary<string, object>, "message");
                if (m != null) reasons.Add(m);
            }
            Reasons = reasons.ToArray();
        }

        public string Id { get; private set; }
        public string Kind { get; private set; }
        public string Description { get; private set; }
        /// <summary>The scope of a role assignment, or the resource a PATCH changes.</summary>
        public string Target { get; private set; }
        public string Method { get; private set; }
        public string Path { get; private set; }
        public string PrincipalId { get; private set; }
        public string RoleName { get; private set; }
        public bool SecurityPostureChange { get; private set; }
        /// <summary>The findings this change fixes.</summary>
        public string[] Reasons { get; private set; }
    }

    /// <summary>One thing that moved between two snapshots (Compare-AzFileSyncSnapshot).</summary>
    public sealed class FileSyncSnapshotChange
    {
        internal FileSyncSnapshotChange(string area, Dictionary<string, object> c)
        {
            Area = area;
            Change = Json.Str(c, "change") ?? "changed";
            ResourceId = Json.Str(c, "resourceId") ?? Json.Str(c, "scope");
            ResourceName = Json.Str(c, "resourceName");
            Kind = Json.Str(c, "kind");
            Field = Json.Str(c, "field");
            PrincipalId = Json.Str(c, "principalId");
            RoleName = Json.Str(c, "roleName");
            Scope = Json.Str(c, "scope");
            Check = Json.Str(c, "check");
            if (area == "Setting")
            {
                OldValue = Text(c, "old");
                NewValue = Text(c, "new");
            }
            else if (area == "Finding")
            {
                OldValue = Json.Str(c, "old") ?? "absent";
                NewValue = Json.Str(c, "new") ?? "absent";
                Field = Check;
            }
            else if (area == "RoleAssignment")
            {
                ResourceName = RoleName;
                Field = PrincipalId;
            }
        }

        static string Text(Dictionary<string, object> c, string key)
        {
            object v;
            if (!c.TryGetValue(key, out v) || v == null) return null;
            return v as string ?? Json.Write(v);
        }

        /// <summary>RoleAssignment, Setting, Resource or Finding.</summary>
        public string Area { get; private set; }
        /// <summary>added, removed or changed.</summary>
        public string Change { get; private set; }
        public string ResourceId { get; private set; }
        public string ResourceName { get; private set; }
        /// <summary>The resource's kind (storageAccount, registeredServer, ...).</summary>
        public string Kind { get; private set; }
        /// <summary>The setting (dotted for nested ones, e.g. networkAcls.defaultAction), the check of a finding,
        /// or the principal of a role assignment.</summary>
        public string Field { get; private set; }
        /// <summary>The old value (a setting's, or a finding's status); null when absent.</summary>
        public string OldValue { get; private set; }
        public string NewValue { get; private set; }
        public string PrincipalId { get; private set; }
        public string RoleName { get; private set; }
        public string Scope { get; private set; }
        public string Check { get; private set; }
    }
}
