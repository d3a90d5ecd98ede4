// Output types: plain property bags filled from the core's JSON. Property names follow the JSON (PascalCase)
// so that objects pipe by property name into the other cmdlets.
using System;
using System.Collections;
using System.Collections.Generic;

namespace AzFileSync.ManagedIdentity
{
    /// <summary>One check's verdict on one resource (a finding of the report).</summary>
    public sealed class FileSyncFinding
    {
        internal FileSyncFinding(Dictionary<string, object> f, Dictionary<string, object> target)
        {
            Check = Json.Str(f, "check");
            Status = Json.Str(f, "status");
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
            Evidence = ToHashtable(Json.Obj(f, "evidence"));
            SubscriptionId = Json.Str(target, "subscriptionId");
            ResourceGroupName = Json.Str(target, "resourceGroup");
            StorageSyncServiceName = Json.Str(target, "name");
        }

        /// <summary>The check's stable id, e.g. cloud-endpoint.service-share-role.</summary>
        public string Check { get; private set; }
        /// <summary>pass, fail, warning, not_applicable or unknown.</summary>
        public string Status { get; private set; }
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
        public Hashtable Evidence { get; private set; }
        /// <summary>The diagnosed target (so findings pipe into Repair-AzFileSyncPermission).</summary>
        public string SubscriptionId { get; private set; }
        public string ResourceGroupName { get; private set; }
        public string StorageSyncServiceName { get; private set; }

        internal static Hashtable ToHashtable(Dictionary<string, object> o)
        {
            var h = new Hashtable(StringComparer.OrdinalIgnoreCase);
            if (o == null) return h;
            foreach (var kv in o)
            {
                object v = kv.Value;
                if (v is Dictionary<string, object> || v is List<object>) v = Json.Write(v);
                h[kv.Key] = v;
            }
            return h;
        }
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

    /// <summary>One change of a plan, as applied (or refused) by Repair-AzFileSyncPermission or Enable-AzFileSyncManagedIdentity.</summary>
    public sealed class FileSyncChangeResult
    {
        internal FileSyncChangeResult(Dictionary<string, object> result, FileSyncPlannedChange change)
        {
            Id = Json.Str(result, "id") ?? (change != null ? change.Id : null);
            Status = Json.Str(result, "status");
            Message = Json.Str(result, "message");
            var err = Json.Obj(result, "error");
            ErrorCode = Json.Str(result, "armCode") ?? Json.Str(err, "armCode") ?? Json.Str(err, "kind");
            RequestId = Json.Str(result, "requestId") ?? Json.Str(err, "requestId");
            if (change != null)
            {
                Description = change.Description;
                Target = change.Target;
            }
        }

        public string Id { get; private set; }
        /// <summary>created, alreadyPresent, skipped or failed (as the core reports it).</summary>
        public string Status { get; private set; }
        public string Description { get; private set; }
        public string Target { get; private set; }
        public string Message { get; private set; }
        public string ErrorCode { get; private set; }
        public string RequestId { get; private set; }
    }

    /// <summary>One change of a plan, as the core proposed it (shown to ShouldProcess).</summary>
    public sealed class FileSyncPlannedChange
    {
        internal FileSyncPlannedChange(Dictionary<string, object> c)
        {
            Id = Json.Str(c, "id");
            var request = Json.Obj(c, "request");
            Method = Json.Str(request, "method");
            Path = Json.Str(request, "path");
            Description = Json.Str(c, "description") ?? Json.Str(c, "action") ?? Id;
            Target = Json.Str(c, "target") ?? Json.Str(c, "scope") ?? Path ?? Id;
        }

        public string Id { get; private set; }
        public string Description { get; private set; }
        public string Target { get; private set; }
        public string Method { get; private set; }
        public string Path { get; private set; }
    }
}
