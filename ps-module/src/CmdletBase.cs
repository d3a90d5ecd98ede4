// Shared plumbing of the cmdlets: the Az session (context and tokens), the native sessions, running one
// request with events pumped on the pipeline thread, piped objects gathered into targets, and failures as
// ErrorRecords. No File Sync logic lives here: the cmdlets marshal parameters and piped objects' properties
// into request JSON, and JSON results into objects. What a piped object points at is the core's decision
// (its resolveTarget operation).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using AzFileSync.ManagedIdentity.Native;

namespace AzFileSync.ManagedIdentity
{
    /// <summary>Parameter set names shared by the cmdlets.</summary>
    public static class ParameterSets
    {
        public const string ByName = "ByName";
        public const string ByResourceId = "ByResourceId";
        public const string BySnapshot = "BySnapshot";
        public const string ByPath = "ByPath";
        public const string ByObject = "ByObject";
        /// <summary>Many services: a management group, every readable subscription, or several subscriptions.</summary>
        public const string ByScope = "ByScope";
    }

    /// <summary>Stable error ids the module itself raises (the core's come with its errors).</summary>
    internal static class ErrorIds
    {
        public const string AzAccountsMissing = "AzFileSync.AzAccountsMissing";
        public const string NotConnected = "AzFileSync.NotConnected";
        public const string TokenUnavailable = "AzFileSync.TokenUnavailable";
        public const string ChangeFailed = "AzFileSync.ChangeFailed";
        public const string ConfirmationRequired = "AzFileSync.ConfirmationRequired";
        public const string SeveralTargets = "AzFileSync.SeveralTargets";
        public const string NoErrorCode = "AzFileSync.NoErrorCode";
        public const string NoTarget = "AzFileSync.NoTarget";
        public const string FileExists = "AzFileSync.FileExists";
    }

    /// <summary>Base of every cmdlet: the native sessions, running requests, error records.</summary>
    public abstract class FileSyncCmdletBase : PSCmdlet, IDisposable
    {
        /// <summary>Scripts run through InvokeCommand (constants, so a host can recognise them).</summary>
        internal const string GetAzContextScript = "param($splat) Get-AzContext @splat";
        internal const string GetAzAccessTokenScript = "param($splat) Get-AzAccessToken @splat";

        /// <summary>How long one fsi_request_wait blocks before events are pumped again.</summary>
        internal const uint PumpIntervalMs = 100;

        const int ProgressActivityId = 4711;

        SessionHandle _offline;
        SessionHandle _azure;
        volatile RequestHandle _current;
        volatile bool _stopping;

        protected override void StopProcessing()
        {
            _stopping = true;
            var r = _current;
            if (r != null) r.Cancel();
        }

        public void Dispose()
        {
            if (_offline != null) _offline.Dispose();
            if (_azure != null) _azure.Dispose();
            _offline = null;
            _azure = null;
        }

        // ---------------------------------------------------------------------------------------------
        // Sessions

        /// <summary>The native session in use (set by the Azure-aware base class).</summary>
        internal SessionHandle AzureSessionCache
        {
            get { return _azure; }
            set { _azure = value; }
        }

        /// <summary>A session that needs no Azure access (explain, resolveTarget, offline snapshots).</summary>
        internal SessionHandle OfflineSession()
        {
            if (_offline == null) _offline = OpenSession("{}", null);
            return _offline;
        }

        /// <summary>Open a native session; a refusal (a bad endpoint, an unusable token) is a terminating
        /// error with the core's stable id.</summary>
        internal SessionHandle OpenSession(string optionsJson, object target)
        {
            try
            {
                return SessionHandle.Open(optionsJson);
            }
            catch (FileSyncNativeException e)
            {
                ThrowTerminatingError(ToErrorRecord(e, target));
                return null;
            }
        }

        /// <summary>A property by name, of any object (a .NET object, a PSObject, a PSCustomObject, a
        /// hashtable's key). The value keeps its PSObject wrapper so that a nested PSCustomObject still has
        /// its note properties; use <see cref="Base"/> or <see cref="Str"/> at the leaf.</summary>
        internal static object Prop(object o, string name)
        {
            object value;
            return TryProp(o, name, out value) ? value : null;
        }

        /// <summary>Does the object have a property of that name (even a null one)?</summary>
        internal static bool HasProp(object o, string name)
        {
            object value;
            return TryProp(o, name, out value);
        }

        static bool TryProp(object o, string name, out object value)
        {
            value = null;
            if (o == null) return false;
            var dict = Base(o) as IDictionary;
            if (dict != null)
            {
                foreach (DictionaryEntry e in dict)
                {
                    if (string.Equals(Convert.ToString(e.Key, CultureInfo.InvariantCulture), name, StringComparison.OrdinalIgnoreCase))
                    {
                        value = e.Value;
                        return true;
                    }
                }
                return false;
            }
            var p = PSObject.AsPSObject(o).Properties[name];
            if (p == null) return false;
            value = p.Value;
            return true;
        }

        /// <summary>The object under a PSObject wrapper (null stays null).</summary>
        internal static object Base(object o)
        {
            var pso = o as PSObject;
            return pso != null ? pso.BaseObject : o;
        }

        internal static string Str(object o)
        {
            o = Base(o);
            return o == null ? null : Convert.ToString(o, CultureInfo.InvariantCulture);
        }

        internal static string Plain(SecureString s)
        {
            IntPtr p = IntPtr.Zero;
            try
            {
                p = Marshal.SecureStringToGlobalAllocUnicode(s);
                return Marshal.PtrToStringUni(p);
            }
            finally
            {
                if (p != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(p);
            }
        }

        // ---------------------------------------------------------------------------------------------
        // Requests

        /// <summary>Run one request to its end on this (the pipeline) thread, pumping events between waits.
        /// Returns the result JSON; a failure is thrown as FileSyncNativeException; Ctrl+C cancels it.</summary>
        internal Dictionary<string, object> Run(SessionHandle session, IDictionary request, string activity)
        {
            if (_stopping) throw new PipelineStoppedException();
            using (var req = RequestHandle.Start(session, Json.Write(request)))
            {
                _current = req;
                string json;
                FsiResult rc;
                try
                {
                    if (_stopping) req.Cancel();
                    while (!req.Wait(PumpIntervalMs)) Pump(req, activity);
                    Pump(req, activity);
                    rc = req.TakeResult(out json);
                }
                finally
                {
                    _current = null;
                }
                if (!_stopping && activity != null)
                {
                    WriteProgress(new ProgressRecord(ProgressActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
                }
                if (rc == FsiResult.Cancelled && _stopping) throw new PipelineStoppedException();
                if (rc != FsiResult.Ok) throw FileSyncNativeException.FromJson(json);
                return Json.ParseObject(Wording.Reword(json));
            }
        }

        void Pump(RequestHandle req, string activity)
        {
            if (_stopping) return;
            var events = Json.Parse(req.TakeEvents()) as List<object>;
            if (events == null) return;
            foreach (var item in events)
            {
                var e = item as Dictionary<string, object>;
                switch (Json.Str(e, "type"))
                {
                    case "progress":
                        if (activity == null) break;
                        string act = Json.Str(e, "activity");
                        string status = Json.Str(e, "status");
                        var rec = new ProgressRecord(ProgressActivityId, string.IsNullOrEmpty(act) ? activity : act, string.IsNullOrEmpty(status) ? "..." : status);
                        long? pct = Json.Long(e, "percent");
                        rec.PercentComplete = pct.HasValue ? (int)Math.Max(0, Math.Min(100, pct.Value)) : -1;
                        WriteProgress(rec);
                        break;
                    case "request":
                        WriteVerbose(string.Format(CultureInfo.InvariantCulture, "{0} {1} -> {2} in {3} ms (attempt {4}, request id {5})",
                            Json.Str(e, "method"), Json.Str(e, "path"), Json.Str(e, "status"), Json.Str(e, "durationMs"),
                            Json.Str(e, "attempt"), Json.Str(e, "requestId") ?? "none"));
                        break;
                    case "log":
                        string level = Json.Str(e, "level");
                        string msg = Wording.Reword(Json.Str(e, "message") ?? "");
                        if (level == "warning") WriteWarning(msg);
                        else if (level == "debug") WriteDebug(msg);
                        else WriteVerbose(msg);
                        break;
                }
            }
        }

        /// <summary>A failure of the core as an ErrorRecord with its stable id, category and recommended
        /// action. The target is what the user named: a resource id or a path (never a request).</summary>
        internal static ErrorRecord ToErrorRecord(FileSyncNativeException e, object target)
        {
            var r = new ErrorRecord(e, e.ErrorId, ErrorWording.Category(e.Kind), target ?? e.ResourceId);
            r.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = e.RecommendedAction };
            return r;
        }

        /// <summary>An error the module raises itself.</summary>
        internal static ErrorRecord NewError(string id, ErrorCategory category, object target, string message, string action)
        {
            string text = string.IsNullOrEmpty(action) ? message : message + " " + action;
            var r = new ErrorRecord(new InvalidOperationException(text), id, category, target);
            r.ErrorDetails = new ErrorDetails(text) { RecommendedAction = action ?? "" };
            return r;
        }

        /// <summary>PowerShell's ErrorCategory for one of the core's error kinds (as a change result names
        /// it, camelCase).</summary>
        internal static ErrorCategory CategoryOfKind(string kind)
        {
            return ErrorWording.Category(kind);
        }

        /// <summary>Resolve a path against PowerShell's current location (not the process's).</summary>
        internal string FullPath(string path)
        {
            return GetUnresolvedProviderPathFromPSPath(path);
        }
    }

    /// <summary>One Storage Sync Service (or resource group) to work on, gathered from the parameters and
    /// every piped object that points at it.</summary>
    public sealed class FileSyncTarget
    {
        internal FileSyncTarget(Dictionary<string, object> resolved)
        {
            Target = Json.Obj(resolved, "target");
            ResourceId = Json.Str(resolved, "resourceId");
        }

        /// <summary>The request's target: {subscriptionId, resourceGroup, name?}.</summary>
        internal Dictionary<string, object> Target { get; private set; }
        /// <summary>The target's own ARM id (service or resource group), for messages and error records.</summary>
        public string ResourceId { get; private set; }
        /// <summary>The sync groups piped objects named; empty when one of them named the whole service.</summary>
        internal readonly List<string> SyncGroups = new List<string>();
        /// <summary>The findings piped in (as the core checked them), for a repair of just those.</summary>
        internal readonly List<object> Findings = new List<object>();
        /// <summary>Something named the whole target (not only sync groups or findings of it).</summary>
        internal bool Whole;
    }

    /// <summary>Base of the cmdlets that take a Storage Sync Service: by resource group and name, by resource
    /// id, or from Az.StorageSync objects (and this module's findings) by property name. Piped objects are
    /// gathered first; each distinct service is then worked on once, in EndProcessing.</summary>
    public abstract class FileSyncTargetCmdletBase : FileSyncCmdletBase
    {
        [Parameter]
        [Alias("AzContext", "AzureRmContext", "AzureCredential")]
        public PSObject DefaultProfile { get; set; }

        /// <summary>An ARM token: a SecureString, a string (Az.Accounts before 5, runbooks) or what
        /// Get-AzAccessToken returns.</summary>
        [Parameter]
        [SecretArgumentTransformation]
        public SecureString AccessToken { get; set; }

        /// <summary>A Microsoft Graph token (with -AccessToken), so the Microsoft.StorageSync service
        /// principal and the servers' machines are looked up.</summary>
        [Parameter]
        [SecretArgumentTransformation]
        public SecureString GraphAccessToken { get; set; }

        /// <summary>The object id of the Microsoft.StorageSync service principal in the tenant (instead of
        /// a Microsoft Graph lookup).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string StorageSyncPrincipalId { get; set; }

        /// <summary>The Azure Resource Manager endpoint, instead of the Az context's environment's.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [Alias("ResourceManagerUrl")]
        public string ArmEndpoint { get; set; }

        // The parameter sets, as PowerShell's binder really chooses them (tested in the real engine): a piped
        // Az.StorageSync object or finding carries ResourceGroupName, StorageSyncServiceName and ResourceId
        // (and a finding SubscriptionId) at once, and the binder then takes the default set and binds only
        // that set's parameters. So ByName, the default, holds them all (ResourceId hidden there) and nothing
        // in it is mandatory: what a call or object points at is resolved from whatever it carries, and a
        // call that names nothing is one clear error. ByResourceId is the documented form of -ResourceId.
        [Parameter(ParameterSetName = ParameterSets.ByName, Position = 0, ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyString]
        [ArgumentCompleter(typeof(ResourceGroupNameCompleter))]
        public virtual string ResourceGroupName { get; set; }

        // Never from a piped object: an object's Name is its own (a server's, 'service/group' of
        // Get-AzResource), not the Storage Sync Service's. Objects carry the service's name as
        // StorageSyncServiceName (below).
        [Parameter(ParameterSetName = ParameterSets.ByName, Position = 1)]
        [AllowNull, AllowEmptyString]
        public virtual string Name { get; set; }

        // The service's name as Az.StorageSync objects and findings carry it. Null or empty from a piped
        // object (a finding of a resource-group diagnosis) means every service of the group.
        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true, DontShow = true)]
        [AllowNull, AllowEmptyString]
        public string StorageSyncServiceName { get; set; }

        // Alone, every Storage Sync Service of the subscription.
        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyString]
        public string SubscriptionId { get; set; }

        // In ByName the ResourceId of a piped Az.StorageSync object names its service (and sync group), or
        // the target by itself; shown there too, so that it completes and is in the help whichever set the
        // binder is in. Null or empty from a piped object (a CSV row) leaves the other properties to name the
        // target.
        [Parameter(ParameterSetName = ParameterSets.ByResourceId, Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true)]
        [AllowNull, AllowEmptyString]
        public string ResourceId { get; set; }

        // A finding's diagnosed deployment (service, resource group or subscription): the target of a
        // piped finding, whose ResourceId is only what it is about.
        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true, DontShow = true)]
        [AllowNull, AllowEmptyString]
        public string TargetResourceId { get; set; }

        /// <summary>What Get-AzContext said (null fields when unknown).</summary>
        internal sealed class AzContextInfo
        {
            public string SubscriptionId;
            public string TenantId;
            public string EnvironmentName;
            public string ResourceManagerUrl;
            public string MicrosoftGraphUrl;
        }

        AzContextInfo _context;
        bool _contextLooked;
        readonly List<FileSyncTarget> _targets = new List<FileSyncTarget>();
        readonly Dictionary<string, FileSyncTarget> _byKey = new Dictionary<string, FileSyncTarget>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The sync group this call or piped object names (only Test narrows by it).</summary>
        internal virtual string SyncGroupForTarget { get { return null; } }

        /// <summary>The finding a piped object is, by its properties: check, principal and scope (only
        /// Repair acts on findings; null elsewhere).</summary>
        internal virtual string FindingCheck { get { return null; } }
        internal virtual string FindingPrincipalId { get { return null; } }
        internal virtual string FindingScope { get { return null; } }

        /// <summary>Gathers the target of this call or piped object. Derived cmdlets with other parameter
        /// sets (a snapshot) handle those first and call this for the rest.</summary>
        protected override void ProcessRecord()
        {
            if (string.IsNullOrEmpty(ResourceGroupName) && string.IsNullOrEmpty(ResourceId) && string.IsNullOrEmpty(SubscriptionId)
                && string.IsNullOrEmpty(TargetResourceId))
            {
                WriteError(NewError(ErrorIds.NoTarget, ErrorCategory.InvalidArgument, null,
                    MyInvocation.ExpectingInput ? "The piped object names no Storage Sync Service: it has no ResourceGroupName, ResourceId or SubscriptionId." : "Nothing to work on was named.",
                    "Give -ResourceGroupName (with -Name for one service), -ResourceId, or -SubscriptionId alone for every service of a subscription, or pipe objects of Get-AzStorageSyncService, Get-AzStorageSyncServer, Get-AzStorageSyncGroup and the like."));
                return;
            }
            var request = new Dictionary<string, object> { { "operation", "resolveTarget" } };
            Put(request, "resourceId", ResourceId);
            Put(request, "resourceGroup", ResourceGroupName);
            Put(request, "name", Name);
            Put(request, "storageSyncServiceName", StorageSyncServiceName);
            Put(request, "subscriptionId", SubscriptionId);
            Put(request, "targetResourceId", TargetResourceId);
            Put(request, "syncGroup", SyncGroupForTarget);
            Put(request, "check", FindingCheck);
            Put(request, "principalId", FindingPrincipalId);
            Put(request, "scope", FindingScope);
            if (string.IsNullOrEmpty(SubscriptionId) && !string.IsNullOrEmpty(ResourceGroupName))
            {
                Put(request, "defaultSubscriptionId", ContextSubscriptionId());
            }

            Dictionary<string, object> resolved;
            try
            {
                resolved = Run(OfflineSession(), request, null);
            }
            catch (FileSyncNativeException e)
            {
                object what = !string.IsNullOrEmpty(ResourceId) ? ResourceId
                    : (object)((ResourceGroupName ?? SubscriptionId) + (string.IsNullOrEmpty(Name ?? StorageSyncServiceName) ? "" : "/" + (Name ?? StorageSyncServiceName)));
                // What the user can change here is what names the target, whatever the core refused.
                var record = ToErrorRecord(e, what);
                record.ErrorDetails.RecommendedAction =
                    "Name the target one way: -ResourceGroupName (with -Name, and -SubscriptionId or a subscription selected with Set-AzContext), a valid -ResourceId, or -SubscriptionId alone.";
                WriteError(record);
                return;
            }
            var target = new FileSyncTarget(resolved);
            string key = Json.Write(target.Target);
            FileSyncTarget known;
            if (!_byKey.TryGetValue(key, out known))
            {
                known = target;
                _byKey[key] = known;
                _targets.Add(known);
            }
            var finding = Json.Obj(resolved, "finding");
            if (finding != null)
            {
                known.Findings.Add(finding);
                return;
            }
            string resolvedGroup = Json.Str(resolved, "syncGroup");
            if (string.IsNullOrEmpty(resolvedGroup)) known.Whole = true;
            else if (!known.SyncGroups.Exists(g => string.Equals(g, resolvedGroup, StringComparison.OrdinalIgnoreCase))) known.SyncGroups.Add(resolvedGroup);
        }

        static void Put(Dictionary<string, object> request, string key, string value)
        {
            if (!string.IsNullOrEmpty(value)) request[key] = value;
        }

        /// <summary>Works on each gathered target once.</summary>
        protected override void EndProcessing()
        {
            BeforeTargets(_targets);
            foreach (var t in _targets) ProcessTarget(t);
        }

        /// <summary>Called once with every gathered target, before any is worked on.</summary>
        internal virtual void BeforeTargets(List<FileSyncTarget> targets) { }

        /// <summary>Work on one target.</summary>
        internal abstract void ProcessTarget(FileSyncTarget target);

        /// <summary>A session that reuses the Az session (or -AccessToken): its environment (cloud, ARM and
        /// Graph endpoints) unless -ArmEndpoint names one, its ARM token, and a Graph token.</summary>
        internal SessionHandle AzureSession(object target)
        {
            if (AzureSessionCache != null) return AzureSessionCache;
            var ctx = AzContext(AccessToken == null);
            var options = new Dictionary<string, object>();
            if (!string.IsNullOrEmpty(ArmEndpoint)) options["armEndpoint"] = ArmEndpoint;
            else if (ctx != null)
            {
                options["azEnvironment"] = new Dictionary<string, object>
                {
                    { "name", ctx.EnvironmentName }, { "resourceManagerUrl", ctx.ResourceManagerUrl }, { "microsoftGraphUrl", ctx.MicrosoftGraphUrl },
                };
            }
            if (!string.IsNullOrEmpty(StorageSyncPrincipalId)) options["storageSyncPrincipalId"] = StorageSyncPrincipalId;
            var credential = new Dictionary<string, object> { { "kind", "accessToken" } };
            options["credential"] = credential;
            try
            {
                credential["token"] = AccessToken != null ? Plain(AccessToken) : AzToken(ctx, null);
                // Microsoft Graph tells the Microsoft.StorageSync service principal's object id (for the
                // legacy role check) and the servers' machines: only with a Graph token of its own, at the
                // environment's own Graph.
                if (GraphAccessToken != null) credential["graphToken"] = Plain(GraphAccessToken);
                else if (AccessToken == null && ctx != null && !string.IsNullOrEmpty(ctx.MicrosoftGraphUrl))
                {
                    string graph = AzToken(ctx, "MSGraph");
                    if (!string.IsNullOrEmpty(graph)) credential["graphToken"] = graph;
                }
                if (!credential.ContainsKey("graphToken") && AccessToken != null && string.IsNullOrEmpty(StorageSyncPrincipalId))
                {
                    WriteWarning("Microsoft Graph was not asked (-AccessToken without -GraphAccessToken), so two things stay unknown: whether each server's identity is still its machine's (server.machine-identity), and, where keys are still in use, the Reader and Data Access role of Microsoft.StorageSync. Give -GraphAccessToken (Get-AzAccessToken -ResourceTypeName MSGraph), or -StorageSyncPrincipalId for the role alone.");
                }
                AzureSessionCache = OpenSession(Json.Write(options), target);
                return AzureSessionCache;
            }
            finally
            {
                credential.Clear();
            }
        }

        /// <summary>The current subscription of the Az context, or null.</summary>
        internal string ContextSubscriptionId()
        {
            var ctx = AzContext(false);
            return ctx != null ? ctx.SubscriptionId : null;
        }

        /// <summary>Get-AzContext (with -DefaultProfile). When required, a missing Az.Accounts or a missing
        /// login is one terminating error that says what to run.</summary>
        internal AzContextInfo AzContext(bool required)
        {
            if (_context != null || (_contextLooked && !required)) return _context;
            _contextLooked = true;
            if (InvokeCommand.GetCommand("Get-AzContext", CommandTypes.Cmdlet | CommandTypes.Function | CommandTypes.Alias) == null)
            {
                if (!required) return null;
                ThrowTerminatingError(NewError(ErrorIds.AzAccountsMissing, ErrorCategory.AuthenticationError, null,
                    "The Az.Accounts module is not installed, so there is no Azure session to use.",
                    "Run Install-Module Az.Accounts, then Connect-AzAccount (or pass -AccessToken)."));
            }
            var splat = new Hashtable();
            if (DefaultProfile != null) splat["DefaultProfile"] = DefaultProfile;
            var found = InvokeCommand.InvokeScript(GetAzContextScript, splat);
            object c = found != null && found.Count > 0 ? found[0] : null;
            if (c == null || Prop(c, "Account") == null)
            {
                if (!required) return null;
                ThrowTerminatingError(NewError(ErrorIds.NotConnected, ErrorCategory.AuthenticationError, null,
                    "There is no Azure session: Get-AzContext returned no signed-in account.",
                    "Run Connect-AzAccount (or pass -AccessToken)."));
            }
            var env = Prop(c, "Environment");
            _context = new AzContextInfo
            {
                SubscriptionId = Str(Prop(Prop(c, "Subscription"), "Id")),
                TenantId = Str(Prop(Prop(c, "Tenant"), "Id")),
                EnvironmentName = Str(Prop(env, "Name")),
                ResourceManagerUrl = Str(Prop(env, "ResourceManagerUrl")),
                MicrosoftGraphUrl = Str(Prop(Prop(env, "ExtendedProperties"), "MicrosoftGraphUrl")),
            };
            return _context;
        }

        /// <summary>Get-AzAccessToken for the context's ARM URL (resourceType null) or for a resource type
        /// (MSGraph). Token is a string (Az.Accounts before 5) or a SecureString (Az.Accounts 5 and later). A
        /// failure is terminating for ARM; for Graph it is said on the verbose stream and null returned.</summary>
        string AzToken(AzContextInfo ctx, string resourceType)
        {
            var splat = new Hashtable();
            if (resourceType != null) splat["ResourceTypeName"] = resourceType;
            else if (!string.IsNullOrEmpty(ctx.ResourceManagerUrl)) splat["ResourceUrl"] = ctx.ResourceManagerUrl;
            if (DefaultProfile != null) splat["DefaultProfile"] = DefaultProfile;
            splat["WarningAction"] = "SilentlyContinue";
            System.Collections.ObjectModel.Collection<PSObject> got;
            string failure = null;
            try
            {
                got = InvokeCommand.InvokeScript(GetAzAccessTokenScript, splat);
            }
            catch (RuntimeException e)
            {
                got = null;
                failure = "Get-AzAccessToken failed: " + e.Message;
            }
            object t = got != null && got.Count > 0 ? Base(Prop(got[0], "Token")) : null;
            var secure = t as SecureString;
            string token = secure != null ? Plain(secure) : t as string;
            if (string.IsNullOrEmpty(token))
            {
                if (failure == null) failure = "Get-AzAccessToken returned no token.";
                if (resourceType != null)
                {
                    WriteVerbose("No Microsoft Graph token (" + failure + "): the Microsoft.StorageSync service principal is not looked up, so the legacy role check says unknown.");
                    return null;
                }
                ThrowTerminatingError(NewError(ErrorIds.TokenUnavailable, ErrorCategory.AuthenticationError, null, failure,
                    "Run Connect-AzAccount again (the session may have expired), or pass -AccessToken."));
            }
            return token;
        }
    }
}

namespace AzFileSync.ManagedIdentity
{
    /// <summary>Takes a token as a SecureString, a string (Az.Accounts before 5 returns strings; runbooks
    /// pass them) or the object Get-AzAccessToken returns (its Token, either kind), and gives a
    /// SecureString. A value of another kind is refused without being shown.</summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
    public sealed class SecretArgumentTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object o = FileSyncCmdletBase.Base(inputData);
            if (o == null || o is SecureString) return o;
            if (!(o is string) && FileSyncCmdletBase.HasProp(inputData, "Token"))
            {
                o = FileSyncCmdletBase.Base(FileSyncCmdletBase.Prop(inputData, "Token"));
                if (o is SecureString) return o;
            }
            var text = o as string;
            if (text == null)
            {
                throw new ArgumentTransformationMetadataException(
                    "A token is a SecureString, a string, or the object Get-AzAccessToken returns; a " + o.GetType().Name + " is none of these.");
            }
            var secure = new SecureString();
            foreach (char c in text) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }
    }
}
