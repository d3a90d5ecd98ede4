// Shared plumbing of the cmdlets: the Az session (context and token), the native session, running one request
// with events pumped on the pipeline thread, and errors as ErrorRecords. No File Sync logic lives here: the
// cmdlets only marshal parameters to request JSON and JSON results to objects.
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
    }

    /// <summary>Base of every cmdlet: the Az session, the native session, running requests.</summary>
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

        /// <summary>A session that needs no Azure access (explain, offline snapshots).</summary>
        internal SessionHandle OfflineSession()
        {
            if (_offline == null) _offline = SessionHandle.Open("{}");
            return _offline;
        }

        /// <summary>A property by name, of any object (a .NET object, a PSObject, a PSCustomObject). The value
        /// keeps its PSObject wrapper so that a nested PSCustomObject still has its note properties; use
        /// <see cref="Base"/> or <see cref="Str"/> at the leaf.</summary>
        internal static object Prop(object o, string name)
        {
            if (o == null) return null;
            var p = PSObject.AsPSObject(o).Properties[name];
            return p != null ? p.Value : null;
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
                var done = new ProgressRecord(ProgressActivityId, activity, "Done") { RecordType = ProgressRecordType.Completed };
                if (!_stopping) WriteProgress(done);
                if (rc == FsiResult.Cancelled && _stopping) throw new PipelineStoppedException();
                if (rc != FsiResult.Ok) throw FileSyncNativeException.FromJson(json);
                return Json.ParseObject(json);
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
                        string msg = Json.Str(e, "message") ?? "";
                        if (level == "warning") WriteWarning(msg);
                        else if (level == "debug") WriteDebug(msg);
                        else WriteVerbose(msg);
                        break;
                }
            }
        }

        /// <summary>A failure of the core as an ErrorRecord with its stable id, category and recommended action.</summary>
        internal static ErrorRecord ToErrorRecord(FileSyncNativeException e, object target)
        {
            ErrorCategory category;
            try { category = (ErrorCategory)Enum.Parse(typeof(ErrorCategory), e.Category); }
            catch (ArgumentException) { category = ErrorCategory.NotSpecified; }
            var r = new ErrorRecord(e, e.ErrorId, category, target);
            r.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = e.RecommendedAction };
            return r;
        }

        /// <summary>Resolve a path against PowerShell's current location (not the process's).</summary>
        internal string FullPath(string path)
        {
            return GetUnresolvedProviderPathFromPSPath(path);
        }
    }

    /// <summary>Base of the cmdlets that take a Storage Sync Service: by resource group and name, by resource
    /// id, or from Az.StorageSync objects (and this module's findings) by property name.</summary>
    public abstract class FileSyncTargetCmdletBase : FileSyncCmdletBase
    {
        [Parameter]
        [Alias("AzContext", "AzureRmContext", "AzureCredential")]
        public PSObject DefaultProfile { get; set; }

        [Parameter]
        public SecureString AccessToken { get; set; }

        /// <summary>What Get-AzContext said (null fields when unknown).</summary>
        internal sealed class AzContextInfo
        {
            public string SubscriptionId;
            public string TenantId;
            public string EnvironmentName;
            public string ResourceManagerUrl;
        }

        AzContextInfo _context;

        /// <summary>A session that reuses the Az session (or -AccessToken).</summary>
        internal SessionHandle AzureSession()
        {
            if (AzureSessionCache != null) return AzureSessionCache;
            var ctx = AzContext(AccessToken == null);
            string token = null;
            try
            {
                token = AccessToken != null ? Plain(AccessToken) : AzToken(ctx);
                var options = new Dictionary<string, object>();
                if (ctx != null && !string.IsNullOrEmpty(ctx.EnvironmentName)) options["cloud"] = ctx.EnvironmentName;
                if (ctx != null && !string.IsNullOrEmpty(ctx.ResourceManagerUrl)) options["armEndpoint"] = ctx.ResourceManagerUrl;
                options["credential"] = new Dictionary<string, object> { { "kind", "accessToken" }, { "token", token } };
                AzureSessionCache = SessionHandle.Open(Json.Write(options));
                return AzureSessionCache;
            }
            finally
            {
                token = null;
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
            if (_context != null) return _context;
            if (InvokeCommand.GetCommand("Get-AzContext", CommandTypes.Cmdlet | CommandTypes.Function | CommandTypes.Alias) == null)
            {
                if (!required) return null;
                ThrowTerminatingError(NotConnected("AzFileSync.AzAccountsMissing",
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
                ThrowTerminatingError(NotConnected("AzFileSync.NotConnected",
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
            };
            return _context;
        }

        /// <summary>Get-AzAccessToken for the context's ARM URL; Token is a string (older Az.Accounts) or a
        /// SecureString (Az.Accounts 5).</summary>
        string AzToken(AzContextInfo ctx)
        {
            var splat = new Hashtable();
            if (!string.IsNullOrEmpty(ctx.ResourceManagerUrl)) splat["ResourceUrl"] = ctx.ResourceManagerUrl;
            if (DefaultProfile != null) splat["DefaultProfile"] = DefaultProfile;
            splat["WarningAction"] = "SilentlyContinue";
            System.Collections.ObjectModel.Collection<PSObject> got;
            try
            {
                got = InvokeCommand.InvokeScript(GetAzAccessTokenScript, splat);
            }
            catch (RuntimeException e)
            {
                ThrowTerminatingError(NotConnected("AzFileSync.TokenUnavailable",
                    "Get-AzAccessToken failed: " + e.Message,
                    "Run Connect-AzAccount again (the session may have expired), or pass -AccessToken."));
                return null;
            }
            object t = got != null && got.Count > 0 ? Base(Prop(got[0], "Token")) : null;
            var secure = t as SecureString;
            string token = secure != null ? Plain(secure) : t as string;
            if (string.IsNullOrEmpty(token))
            {
                ThrowTerminatingError(NotConnected("AzFileSync.TokenUnavailable",
                    "Get-AzAccessToken returned no token.",
                    "Run Connect-AzAccount again, or pass -AccessToken."));
            }
            return token;
        }

        ErrorRecord NotConnected(string id, string message, string action)
        {
            var r = new ErrorRecord(new InvalidOperationException(message + " " + action), id, ErrorCategory.AuthenticationError, null);
            r.ErrorDetails = new ErrorDetails(message + " " + action) { RecommendedAction = action };
            return r;
        }

        [Parameter(ParameterSetName = ParameterSets.ByName, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string ResourceGroupName { get; set; }

        [Parameter(ParameterSetName = ParameterSets.ByName, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("StorageSyncServiceName")]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; }

        [Parameter(ParameterSetName = ParameterSets.ByName, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string SubscriptionId { get; set; }

        [Parameter(ParameterSetName = ParameterSets.ByResourceId, Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string ResourceId { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string SyncGroupName { get; set; }

        /// <summary>The request's target: {resourceId} or {subscriptionId, resourceGroup, name?}.</summary>
        internal Dictionary<string, object> Target()
        {
            var t = new Dictionary<string, object>();
            if (ParameterSetName == ParameterSets.ByResourceId)
            {
                t["resourceId"] = ResourceId;
                return t;
            }
            string sub = SubscriptionId ?? ContextSubscriptionId();
            if (string.IsNullOrEmpty(sub))
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException("No subscription: give -SubscriptionId or -ResourceId, or select one with Set-AzContext."),
                    "AzFileSync.NoSubscription", ErrorCategory.InvalidArgument, null));
            }
            t["subscriptionId"] = sub;
            t["resourceGroup"] = ResourceGroupName;
            if (!string.IsNullOrEmpty(Name)) t["name"] = Name;
            return t;
        }

        /// <summary>Adds the target (and the sync group, when given) to a request.</summary>
        internal void AddTarget(Dictionary<string, object> request)
        {
            request["target"] = Target();
            if (!string.IsNullOrEmpty(SyncGroupName)) request["syncGroup"] = SyncGroupName;
        }
    }
}
